r"""Ready-made properties for testing your own SSL loss against the library, in your own CI.

Plain functions that raise :class:`AssertionError` with a message saying what differs; call
them inside a ``@given`` test fed by :mod:`ssltheory.testing.strategies` (or on any arrays).
Against the library's re-implementations of the training libraries and the closed forms:

- :func:`assert_matches_convention`: your two-branch loss equals a training library's, in one
  of the conventions of :func:`ssltheory.losses.list_conventions` (re-implemented exactly by
  :func:`ssltheory.losses.library_loss`);
- :func:`assert_gradient_matches_finite_differences`: your gradient equals central finite
  differences of your loss;
- :func:`assert_loss_at_optimum`: your loss at the closed-form optimum of the paper form
  (Balestriero & LeCun, arXiv:2205.11508) equals the value the theory predicts.

Exact identities of the theory, each side computed by the helper from the other one:

- :func:`assert_spectral_contrastive_factorisation`: your spectral contrastive loss satisfies
  HaoChen et al.'s :math:`L(F)+\lVert\bar A\rVert_F^2=\lVert\bar A-UU^\top\rVert_F^2`
  (arXiv:2106.04156);
- :func:`assert_contrastive_duality`: your dimension-contrastive (covariance) criterion equals
  its sample-contrastive dual through :math:`\lVert K^\top K\rVert_F=\lVert KK^\top\rVert_F`, or the
  reverse (Garrido et al., arXiv:2206.02574);
- :func:`assert_infonce_graph_identity`: your two-branch NT-Xent equals the cross-entropy on the
  two-view relation graph, or your graph-form InfoNCE equals the two-view NT-Xent.

This module needs neither hypothesis nor torch: losses are callables on NumPy float64 arrays
returning a real scalar. Wrap a PyTorch loss (float64 tensors keep the comparison exact)::

    import torch

    def loss(z1, z2):
        return float(my_loss(torch.as_tensor(z1), torch.as_tensor(z2)))

    def grad(z1, z2):
        t1 = torch.as_tensor(z1).requires_grad_()
        t2 = torch.as_tensor(z2).requires_grad_()
        my_loss(t1, t2).backward()
        return t1.grad.numpy(), t2.grad.numpy()

and the same for a loss of one embedding and a graph (``loss(embedding, graph)``) or of one
embedding (``criterion(embedding)``): ``float(f(*map(torch.as_tensor, arrays)))``.

``docs/testing_in_your_ci.md`` walks through a complete test file, ``examples/test_my_vicreg.py``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ssltheory import _backend, _validation
from ssltheory.testing._asserts import default_rtol

__all__ = [
    "assert_contrastive_duality",
    "assert_gradient_matches_finite_differences",
    "assert_infonce_graph_identity",
    "assert_loss_at_optimum",
    "assert_matches_convention",
    "assert_spectral_contrastive_factorisation",
]

_FD_RTOL = 1e-6
_OPTIMUM_METHODS = ("vicreg", "simclr")
_FLOAT64_RTOL = default_rtol(np.float64)  # 4*sqrt(eps) = 5.96e-8


# ----------------------------------------------------------------------------- helpers
def _host(x: Any, name: str) -> np.ndarray:
    """A float64 NumPy copy of an array of any backend."""
    try:
        out = np.array(_backend.to_numpy(x), dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real array, received {type(x).__name__}") from exc
    return out


def _scalar(value: Any, what: str) -> float:
    """``float(value)`` for the value a user's callable returned, with a message saying what to return."""
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what} must return a real scalar (a float, a 0-d array or a one-element tensor), received "
            f"{type(value).__name__}; wrap a torch loss as "
            "lambda z1, z2: float(my_loss(torch.as_tensor(z1), torch.as_tensor(z2)))"
        ) from exc
    return out


def _weights(conv: Any, given: dict[str, Any]) -> dict[str, float]:
    """The library keyword arguments with the library's defaults filled in."""
    return {key: float(given.get(key, default)) for key, default in conv.defaults}


def _unit(conv: Any, weights: dict[str, float]) -> float:
    r"""The natural size of the loss's terms, which sets the absolute tolerance.

    VICReg: the sum of the three weights (each term is its weight times an O(1) normalised
    quantity wherever the variances are O(1)); NT-Xent: :math:`1/\tau` (the value is a difference
    of log-sum-exps and logits of that size, so rounding is relative to it, not to the value);
    Barlow Twins: its overall scale (``scale_loss`` or 1).
    """
    values = [weights[k] for k in conv.keywords]
    if conv.method == "vicreg":
        return max(sum(values[:3]), 1e-300)
    if conv.method == "simclr":
        return 1.0 / weights["temperature"]
    return weights.get("scale_loss", 1.0)


def _fmt(value: float) -> str:
    return f"{value:.16g}"


def _gap(yours: float, desired: float, tol: float, rtol: float, atol: float) -> str:
    return (
        f"  |difference| {abs(yours - desired):.3g} > tolerance {tol:.3g} (rtol={rtol:.3g}, atol={atol:.3g})"
    )


def _other_matches(
    value: float, z1: np.ndarray, z2: np.ndarray, conv: Any, weights: dict[str, float], tol: float
) -> list[str]:
    """Names of the other conventions of the same method your value matches, weights mapped by meaning."""
    from ssltheory.losses import library_loss, list_conventions

    mapped_values = [weights[k] for k in conv.keywords]
    found = []
    for other in list_conventions(conv.method):
        if other.name == conv.name:
            continue
        n = min(len(other.keywords), len(conv.keywords), 3 if conv.method == "vicreg" else 1)
        kwargs = dict(zip(other.keywords[:n], mapped_values[:n], strict=True))
        try:
            ref = float(library_loss(z1, z2, method=conv.method, convention=other.name, **kwargs))
        except ValueError:
            continue
        if abs(value - ref) <= tol:
            found.append(other.name)
    return found


# ----------------------------------------------------------------------------- convention
def assert_matches_convention(
    loss: Callable[..., Any],
    z1: Any,
    z2: Any,
    /,
    *,
    method: str,
    convention: str,
    version: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    **library_weights: Any,
) -> None:
    r"""Assert that your two-branch loss equals a training library's, in one named convention.

    .. math::

        |L_{\rm yours}(z^{(1)},z^{(2)}) - L_{\rm lib}(z^{(1)},z^{(2)})|
        \le \mathrm{atol} + \mathrm{rtol}\,|L_{\rm lib}(z^{(1)},z^{(2)})|

    with :math:`L_{\rm lib}` the library's loss re-implemented exactly by
    :func:`ssltheory.losses.library_loss` (VICReg: ``"reference"`` facebookresearch/vicreg,
    ``"solo_learn"``, ``"lightly"``, ``"stable_pretraining"``; Barlow Twins and SimCLR / NT-Xent
    likewise: :func:`ssltheory.losses.list_conventions` lists them with the source each was read
    from), evaluated in float64 on NumPy copies of the branches.

    Parameters
    ----------
    loss : callable
        ``loss(z1, z2) -> real scalar``, called with ``z1, z2`` exactly as given.
    z1, z2 : array, shape (n_pairs, n_components)
        The two branches (row ``i`` of both from the same sample), e.g. ``*views`` of a
        :func:`~ssltheory.testing.strategies.paired_views` example.
    method : {"vicreg", "barlow_twins", "simclr"}
    convention : str
        A name of :func:`ssltheory.losses.list_conventions` (``"reference"``, ``"solo_learn"``,
        ``"lightly"``, ``"lightly>=1.5.20"`` …), or a library name with ``version``.
    version : str, optional
        The library version, for a library that changed its formula.
    rtol : float, optional
        Default ``default_rtol(float64)`` :math:`=4\sqrt{\epsilon}\approx6\cdot10^{-8}`: a float64
        loss that is the same formula agrees to rounding (about :math:`10^{-15}` relative), and a
        different normalisation (``B`` for ``B - 1``, a missing ``/2``) is off by far more. Pass
        ``default_rtol(np.float32)`` for a loss that computes in float32.
    atol : float, optional
        Default ``rtol`` times the loss's natural unit: the sum of the three VICReg weights,
        :math:`1/\tau` for NT-Xent (its value is a difference of terms of that size), the overall
        scale for Barlow Twins. Needed where the value is (near) zero.
    **library_weights
        The library's own keyword arguments (``sim_coeff=25.0`` …); missing ones take the library
        defaults, as :func:`ssltheory.losses.library_loss`.

    Raises
    ------
    AssertionError
        The values differ beyond the tolerance, or yours is not finite. The message gives both
        values, the difference, the library's formula and source, and any other convention of the
        same method your value matches instead (weights mapped by meaning).
    ValueError
        Unknown method or convention, a keyword the library does not take, branches of different
        shapes (from :func:`ssltheory.losses.library_loss`).
    TypeError
        ``loss`` does not return a real scalar.

    See Also
    --------
    ssltheory.losses.library_loss, ssltheory.losses.to_paper, assert_loss_at_optimum

    Examples
    --------
    An invariance-only loss, in the reference convention with the other two weights off:

    >>> import numpy as np
    >>> from ssltheory.testing.properties import assert_matches_convention
    >>> rng = np.random.default_rng(0)
    >>> z1, z2 = rng.standard_normal((2, 8, 3))
    >>> def mine(z1, z2):
    ...     return 25.0 * np.mean((z1 - z2) ** 2)
    >>> assert_matches_convention(mine, z1, z2, method="vicreg", convention="reference",
    ...                           std_coeff=0.0, cov_coeff=0.0)
    >>> def summed(z1, z2):  # a sum where the library averages over the components
    ...     return 25.0 * np.mean(np.sum((z1 - z2) ** 2, axis=1))
    >>> assert_matches_convention(summed, z1, z2, method="vicreg", convention="reference",
    ...                           std_coeff=0.0, cov_coeff=0.0)
    Traceback (most recent call last):
    ...
    AssertionError: your loss differs from the 'reference' vicreg convention (facebookresearch/vicreg, ...
    """
    from ssltheory.losses import get_convention, library_loss

    conv = get_convention(convention, method=method, version=version)
    h1, h2 = _host(z1, "z1"), _host(z2, "z2")
    reference = float(
        library_loss(h1, h2, method=method, convention=conv.name, version=None, **library_weights)
    )
    weights = _weights(conv, library_weights)
    rtol = _FLOAT64_RTOL if rtol is None else _validation.check_positive(rtol, name="rtol", strict=False)
    atol = (
        rtol * _unit(conv, weights)
        if atol is None
        else _validation.check_positive(atol, name="atol", strict=False)
    )
    yours = _scalar(loss(z1, z2), "loss")
    tol = atol + rtol * abs(reference)
    if math.isfinite(yours) and abs(yours - reference) <= tol:
        return
    lines = [
        f"your loss differs from the {conv.name!r} {conv.method} convention "
        f"({conv.library}, {conv.versions}):",
        f"  yours    {_fmt(yours)}",
        f"  library  {_fmt(reference)}",
        _gap(yours, reference, tol, rtol, atol),
        f"  on branches of shape {h1.shape}, library weights {weights}",
        f"  the library's formula: {conv.formula}",
        f"  read from: {conv.source}",
    ]
    if math.isfinite(yours):
        others = _other_matches(yours, h1, h2, conv, weights, tol)
        if others:
            lines.append(
                f"  your value matches the {', '.join(map(repr, others))} convention instead (same weights)"
            )
    raise AssertionError("\n".join(lines))


# ----------------------------------------------------------------------------- gradient
def _gradients(grad: Callable[..., Any], args: tuple[Any, ...], hosts: list[np.ndarray]) -> list[np.ndarray]:
    out = grad(*args)
    if len(args) == 1 and not isinstance(out, (tuple, list)):
        out = (out,)
    if not isinstance(out, (tuple, list)) or len(out) != len(args):
        raise TypeError(
            f"grad must return one array per argument of loss ({len(args)}), received "
            f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        )
    grads = []
    for i, (g, x) in enumerate(zip(out, hosts, strict=True)):
        g = _host(g, f"grad(...)[{i}]")
        if g.shape != x.shape:
            raise ValueError(
                f"grad(...)[{i}] has shape {g.shape}, but argument {i} of loss has shape {x.shape}"
            )
        grads.append(g)
    return grads


def assert_gradient_matches_finite_differences(
    loss: Callable[..., Any],
    grad: Callable[..., Any],
    /,
    *args: Any,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    max_entries: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> None:
    r"""Assert that your gradient equals central finite differences of your loss, entry by entry.

    .. math::

        d_i = \frac{f(x + h_ie_i) - f(x - h_ie_i)}{2h_i},\qquad h_i = s\max(1, |x_i|),\qquad
        |g_i - d_i| \le \mathrm{atol} + \mathrm{rtol}\,|d_i|,

    for every entry ``i`` of every argument (or ``max_entries`` of them), with
    :math:`s=\epsilon^{1/3}\approx6\cdot10^{-6}`, the step that balances the truncation error
    :math:`h^2|f'''|/6` against the rounding error :math:`\epsilon|f|/h` (both then about
    :math:`\epsilon^{2/3}\approx4\cdot10^{-11}` relative).

    Parameters
    ----------
    loss : callable
        ``loss(*args) -> real scalar``; called with float64 NumPy copies of ``args`` (perturbed
        one entry at a time), ``2 × (number of entries)`` times.
    grad : callable
        ``grad(*args)`` -> one array per argument (a single array when there is one argument),
        each of that argument's shape: your analytic or autograd gradient.
    *args : array
        The point, e.g. ``*views`` of a :func:`~ssltheory.testing.strategies.paired_views`
        example. Keep away from kinks (a hinge exactly at its corner, ``relu`` at 0): there the
        finite differences average the two one-sided slopes.
    rtol : float, optional
        Default ``1e-6``, far above the finite-difference error of a smooth float64 loss and far
        below a wrong formula (a missing factor, a wrong normaliser) that moves entries by their
        own size.
    atol : float, optional
        Default ``rtol × max(max_i |d_i|, |f(x)|)``: entries near zero are compared on the scale
        of the gradient (and of the rounding :math:`\epsilon|f|/h`).
    step : float, optional
        :math:`s`, default :math:`\epsilon_{\rm float64}^{1/3}`; for a loss that computes in
        float32 use about ``5e-3`` (:math:`\epsilon_{\rm float32}^{1/3}`) and ``rtol=1e-2``.
    max_entries : int, optional
        Check only this many entries, drawn without replacement (all by default).
    rng : int or numpy.random.Generator, optional
        Seed for the entries drawn with ``max_entries`` (default 0: the same entries every run).

    Raises
    ------
    AssertionError
        Some entry is off by more than the tolerance, or a value is not finite. The message gives
        the worst entry (argument and index), both values, and the number of entries off.
    TypeError, ValueError
        ``loss`` does not return a real scalar; ``grad`` returns the wrong number of arrays or
        shapes; no ``args``; bad ``rtol``, ``atol``, ``step`` or ``max_entries``.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing.properties import assert_gradient_matches_finite_differences
    >>> x = np.array([[0.5, -1.0], [2.0, 0.25]])
    >>> assert_gradient_matches_finite_differences(lambda z: np.sum(z**3), lambda z: 3 * z**2, x)
    >>> assert_gradient_matches_finite_differences(lambda z: np.sum(z**3), lambda z: 2 * z**2, x)
    Traceback (most recent call last):
    ...
    AssertionError: your gradient differs from central finite differences of your loss at 4 of 4 entries ...
    """
    if not args:
        raise ValueError("args must hold at least one array: the point where the gradient is checked")
    rtol = _FD_RTOL if rtol is None else _validation.check_positive(rtol, name="rtol", strict=False)
    if atol is not None:
        atol = _validation.check_positive(atol, name="atol", strict=False)
    s = np.finfo(np.float64).eps ** (1 / 3) if step is None else _validation.check_positive(step, name="step")
    hosts = [_host(a, f"args[{i}]") for i, a in enumerate(args)]
    grads = _gradients(grad, args, hosts)
    f0 = _scalar(loss(*[h.copy() for h in hosts]), "loss")
    if not math.isfinite(f0):
        raise AssertionError(
            f"your loss is not finite at the point ({f0}); argument shapes {[h.shape for h in hosts]}"
        )
    entries = [(a, j) for a, h in enumerate(hosts) for j in range(h.size)]
    if max_entries is not None:
        max_entries = _validation.check_int(max_entries, name="max_entries", minimum=1)
        if max_entries < len(entries):
            gen = np.random.default_rng(0 if rng is None else rng)
            entries = [entries[i] for i in np.sort(gen.choice(len(entries), size=max_entries, replace=False))]
    analytic = np.array([grads[a].flat[j] for a, j in entries])
    numeric = np.empty(len(entries))
    for n, (a, j) in enumerate(entries):
        x = hosts[a].flat[j]
        h = s * max(1.0, abs(x))
        plus = [v.copy() for v in hosts]
        minus = [v.copy() for v in hosts]
        plus[a].flat[j] = x + h
        minus[a].flat[j] = x - h
        width = plus[a].flat[j] - minus[a].flat[j]  # the step actually taken, after rounding x ± h
        numeric[n] = (_scalar(loss(*plus), "loss") - _scalar(loss(*minus), "loss")) / width
    finite = bool(np.all(np.isfinite(analytic)) and np.all(np.isfinite(numeric)))
    if atol is None:
        atol = rtol * max(float(np.max(np.abs(numeric))) if finite else 0.0, abs(f0))
    err = np.abs(analytic - numeric)
    bound = atol + rtol * np.abs(numeric)
    bad = ~(err <= bound)
    if finite and not bad.any():
        return
    worst = int(np.nanargmax(np.where(np.isfinite(err), err / np.maximum(bound, 1e-300), np.inf)))
    a, j = entries[worst]
    index = np.unravel_index(j, hosts[a].shape)
    raise AssertionError(
        "\n".join(
            [
                f"your gradient differs from central finite differences of your loss at {int(bad.sum())} of "
                f"{len(entries)} entries (rtol={rtol:.3g}, atol={atol:.3g}, step {s:.3g}·max(1, |x|)):",
                f"  worst: argument {a}, entry {tuple(int(i) for i in index)}: "
                f"yours {_fmt(analytic[worst])}, finite difference {_fmt(numeric[worst])}",
                f"  loss at the point: {_fmt(f0)}; argument shapes {[h.shape for h in hosts]}",
            ]
        )
    )


# ----------------------------------------------------------------------------- closed-form optimum
def _optimum(method: str, paper: Any, n_pairs: int, n_components: int) -> tuple[np.ndarray, float, str]:
    """The closed-form optimum of the paper form on ``augmentation_graph(n_pairs, 2)`` and its loss."""
    from ssltheory import DegenerateSpectrumWarning
    from ssltheory.graphs import augmentation_graph
    from ssltheory.spectral import simclr_embedding, vicreg_embedding

    graph = augmentation_graph(n_pairs, 2)
    if method == "vicreg":
        with warnings.catch_warnings():
            # tied eigenvalues make the optimal subspace non-unique, never the optimal value
            warnings.simplefilter("ignore", DegenerateSpectrumWarning)
            sol = vicreg_embedding(graph, n_components=n_components, **paper.loss_kwargs)
        return np.asarray(sol.embedding, dtype=np.float64), paper.scale * float(sol.loss), "vicreg_embedding"
    if n_components < n_pairs - 1:
        raise ValueError(
            "the SimCLR closed form (the regular simplex) needs n_components >= n_pairs - 1 = "
            f"{n_pairs - 1}, received n_components={n_components}"
        )
    kwargs = paper.loss_kwargs
    sol = simclr_embedding(graph, n_components=n_components, temperature=kwargs["temperature"])
    per_row = 1.0 / (2 * n_pairs) if kwargs["reduction"] == "mean" else 1.0  # sol.loss sums the 2B rows
    return (
        np.asarray(sol.embedding, dtype=np.float64),
        paper.scale * per_row * float(sol.loss),
        "simclr_embedding",
    )


def _check_branches_agree(z1: np.ndarray, z2: np.ndarray, paper: Any, method: str) -> None:
    """The paper form equals the library's per-branch form only when the branch statistics agree."""
    if method != "vicreg":
        return
    scale = max(1.0, float(np.max(np.abs(z1))), float(np.max(np.abs(z2))))
    b = z1.shape[0]
    c1 = np.cov(z1, rowvar=False, ddof=1).reshape(z1.shape[1], -1)
    c2 = np.cov(z2, rowvar=False, ddof=1).reshape(z2.shape[1], -1)
    stacked = np.var(np.concatenate((z1, z2)), axis=0, ddof=2)
    tol = 1e-10 * scale**2  # rounding in the solver's embedding is ~1e-15 relative; any real gap is O(1)
    same_means = np.max(np.abs(z1.mean(axis=0) - z2.mean(axis=0))) <= 1e-10 * scale
    same_cov = np.max(np.abs(c1 - c2)) <= tol
    floor = 1e-6  # VICRegLoss's default variance_floor, which to_paper keeps
    if not (same_means and same_cov) or np.min(stacked) < floor:
        raise ValueError(
            f"at this optimum (n_pairs={b}, n_components={z1.shape[1]}, paper weights "
            f"{dict(paper.loss_kwargs)}) the two branches' column means or covariances differ, or a "
            "variance is below the paper's floor, so the library convention's value there is not the "
            f"closed form's ({paper.residual}); choose a larger invariance weight"
        )


def assert_loss_at_optimum(
    loss: Callable[..., Any],
    /,
    *,
    method: str,
    convention: str,
    n_pairs: int,
    n_components: int,
    version: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    **library_weights: Any,
) -> None:
    r"""Assert that your loss at the closed-form optimum equals the value the theory predicts.

    The library convention's weights are converted to the paper form with
    :func:`ssltheory.losses.to_paper`; the paper form's global minimiser :math:`Z^*` on the
    two-view augmentation graph of ``n_pairs`` samples and its optimal value
    :math:`\mathcal L^*` come from the closed forms of Balestriero & LeCun (arXiv:2205.11508):
    :func:`ssltheory.spectral.vicreg_embedding` (the hinge on the standard deviation, as the
    libraries train) or :func:`ssltheory.spectral.simclr_embedding` (the regular simplex). Then,
    with :math:`Z^*=[z^{(1)*};z^{(2)*}]` split into its two branches (view-major rows),

    .. math::

        |L_{\rm yours}(z^{(1)*},z^{(2)*}) - \sigma\rho\,\mathcal L^*|
        \le \mathrm{atol} + \mathrm{rtol}\,|\sigma\rho\,\mathcal L^*|,

    :math:`\sigma` the convention's scale (``PaperProblem.scale``) and :math:`\rho=1/(2B)` for
    NT-Xent (the libraries average the :math:`2B` rows, the closed form sums them), 1 for VICReg.
    :math:`\mathcal L^*` is computed from the spectrum of the graph, not by evaluating a loss on
    :math:`Z^*`. For VICReg the optimum has :math:`z^{(1)*}=z^{(2)*}` with every unbiased branch
    variance at :math:`1-\epsilon`, exactly where the hinge turns on, so a wrong variance
    normaliser (``B`` for ``B - 1``) or a missing :math:`\epsilon` shows at once; for
    ``n_components >= n_pairs`` the optimum is not the trivial zero (the covariance term is
    active).

    Parameters
    ----------
    loss : callable
        ``loss(z1, z2) -> real scalar`` on NumPy float64 branches of shape
        ``(n_pairs, n_components)``.
    method : {"vicreg", "simclr"}
        Barlow Twins is not offered: every library standardises with an :math:`\epsilon`, so no
        library value equals the paper closed form exactly (see ``to_paper(...).residual``); use
        :func:`assert_matches_convention` for it.
    convention : str
        As :func:`assert_matches_convention`.
    n_pairs : int
        :math:`B\ge2`.
    n_components : int
        :math:`K\ge1` (SimCLR: :math:`K\ge B-1`).
    version : str, optional
    rtol, atol : float, optional
        As :func:`assert_matches_convention`.
    **library_weights
        The library's own keyword arguments (defaults: the library's).

    Raises
    ------
    AssertionError
        Your value differs from the predicted one, or is not finite.
    ValueError
        ``method`` not offered; sizes out of range; a VICReg configuration whose optimum has
        branches with different statistics (a tiny invariance weight), where the library value is
        not the paper value; arguments rejected by :func:`ssltheory.losses.to_paper`.
    TypeError
        ``loss`` does not return a real scalar.

    Warns
    -----
    NotConvergedWarning
        From :func:`ssltheory.spectral.vicreg_embedding`, for weights whose hinge optimum is not
        certified (:math:`\alpha<8\beta`); ``DegenerateSpectrumWarning`` is silenced (the
        optimal value is unique even when the optimal subspace is not).

    Examples
    --------
    A NumPy NT-Xent (lightly's default temperature 0.5) at the regular-simplex optimum:

    >>> import numpy as np
    >>> from ssltheory.testing.properties import assert_loss_at_optimum
    >>> def ntxent(z1, z2, t=0.5):
    ...     u = np.concatenate([z1, z2]) / np.linalg.norm(np.concatenate([z1, z2]), axis=1, keepdims=True)
    ...     s = u @ u.T / t
    ...     n = len(z1)
    ...     pos = np.concatenate([np.diag(s, n), np.diag(s, -n)])
    ...     np.fill_diagonal(s, -np.inf)
    ...     return np.mean(np.log(np.exp(s).sum(axis=1)) - pos)
    >>> assert_loss_at_optimum(ntxent, method="simclr", convention="lightly", n_pairs=4, n_components=3)
    """
    from ssltheory.losses import get_convention, to_paper

    if method not in _OPTIMUM_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, _OPTIMUM_METHODS))}, received {method!r}"
            + (
                "; Barlow Twins libraries standardise with an eps, so no library value equals the paper "
                "closed form exactly: use assert_matches_convention"
                if method == "barlow_twins"
                else ""
            )
        )
    b = _validation.check_int(n_pairs, name="n_pairs", minimum=2)
    k = _validation.check_int(n_components, name="n_components", minimum=1)
    conv = get_convention(convention, method=method, version=version)
    paper = to_paper(method=method, convention=conv.name, n_components=k, **library_weights)
    z, predicted, solver = _optimum(method, paper, b, k)
    z1, z2 = z[:b].copy(), z[b:].copy()
    _check_branches_agree(z1, z2, paper, method)
    weights = _weights(conv, library_weights)
    rtol = _FLOAT64_RTOL if rtol is None else _validation.check_positive(rtol, name="rtol", strict=False)
    atol = (
        rtol * _unit(conv, weights)
        if atol is None
        else _validation.check_positive(atol, name="atol", strict=False)
    )
    yours = _scalar(loss(z1, z2), "loss")
    tol = atol + rtol * abs(predicted)
    if math.isfinite(yours) and abs(yours - predicted) <= tol:
        return
    raise AssertionError(
        "\n".join(
            [
                f"your loss at the closed-form optimum differs from the predicted value ({conv.method}, "
                f"convention {conv.name!r}, n_pairs={b}, n_components={k}):",
                f"  yours      {_fmt(yours)}",
                f"  predicted  {_fmt(predicted)}  ({solver} on augmentation_graph({b}, 2), paper weights "
                f"{dict(paper.loss_kwargs)}, scale {paper.scale:g})",
                _gap(yours, predicted, tol, rtol, atol),
                f"  library weights {weights}; the library's formula: {conv.formula}",
            ]
        )
    )


# ----------------------------------------------------------------------------- identities: shared
_SC_WEIGHTINGS = ("degree", "none")
_DUALITY_KINDS = ("dimension_contrastive", "sample_contrastive")
_DUALITY_TARGETS = ("off_diagonal", "identity")
_INFONCE_FORMS = ("two_branch", "graph")
_REDUCTIONS = ("mean", "sum")
_NORM_FLOOR = 1e-12  # rows are divided by max(||z_i||, 1e-12), as torch.nn.functional.normalize
_MAX_HINTS = 3


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, received {value!r}")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, received {type(value).__name__} {value!r}")
    return bool(value)


def _finite(x: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be finite, but entry {idx} is {x[idx]}")


def _matrix(x: Any, name: str, *, what: str = "(n_samples, n_components)") -> np.ndarray:
    """A finite float64 host copy of a 2-D array with at least one row and one column."""
    out = _host(x, name)
    if out.ndim != 2 or 0 in out.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array of shape {what}, received shape {out.shape}")
    _finite(out, name)
    return out


def _relation_graph(graph: Any, n_rows: int) -> np.ndarray:
    """A finite, non-negative, symmetric float64 host copy of ``graph`` with ``n_rows`` nodes."""
    g = _host(graph, "graph")
    if g.ndim != 2 or g.shape[0] != g.shape[1]:
        raise ValueError(f"graph must be a square (n, n) matrix, received shape {g.shape}")
    if g.shape[0] != n_rows:
        raise ValueError(
            f"graph must have one node per row of embedding ({n_rows}), received shape {g.shape}"
        )
    _finite(g, "graph")
    if (g < 0).any():
        idx = tuple(int(i) for i in np.argwhere(g < 0)[0])
        raise ValueError(f"graph must be non-negative, but entry {idx} is {g[idx]}")
    asym = np.abs(g - g.T)
    tol = _FLOAT64_RTOL * float(np.max(np.abs(g)))
    if float(np.max(asym)) > tol:
        r, c = (int(i) for i in np.unravel_index(int(np.argmax(asym)), asym.shape))
        raise ValueError(
            f"graph must be symmetric: entries ({r}, {c}) and ({c}, {r}) differ by {asym[r, c]:.3g} "
            f"(tolerance {tol:.3g}); pass (G + G.T) / 2 if that is what you mean"
        )
    return g


def _tolerances(rtol: float | None, atol: float | None, unit: float) -> tuple[float, float]:
    """``rtol`` (default ``4 sqrt(eps)``) and ``atol`` (default ``rtol`` times the identity's unit)."""
    rtol = _FLOAT64_RTOL if rtol is None else _validation.check_positive(rtol, name="rtol", strict=False)
    atol = rtol * unit if atol is None else _validation.check_positive(atol, name="atol", strict=False)
    return rtol, atol


def _hints(
    yours: float, variants: list[tuple[str, Callable[[], float]]], rtol: float, atol: float
) -> list[str]:
    """The names of the known mistakes (computed lazily) whose value is yours, to the same tolerance."""
    found = []
    with np.errstate(all="ignore"):
        for name, compute in variants:
            value = float(compute())
            if math.isfinite(value) and abs(yours - value) <= atol + rtol * abs(value):
                found.append(name)
            if len(found) == _MAX_HINTS:
                break
    return found


def _fail(lines: list[str], hints: list[str]) -> None:
    if hints:
        lines.append("  your value matches " + "; or ".join(hints) + " instead")
    raise AssertionError("\n".join(lines))


# ----------------------------------------------------------------------------- HaoChen factorisation
def _sc_weights(g: np.ndarray, weighting: str) -> tuple[np.ndarray, np.ndarray]:
    """Edge weights :math:`w_{ij}` and node weights :math:`w_i` of the expectation form."""
    if weighting == "none":
        return g, np.ones(g.shape[0])
    deg = np.sum(g, axis=1)
    vol = float(np.sum(deg))
    return g / vol, deg / vol


def _sc_expectation(
    f: np.ndarray, g: np.ndarray, weighting: str, *, attraction: float = 2.0, repulsion: str = "weighted"
) -> float:
    r"""The expectation form :math:`-a\sum_{ij}w_{ij}f_i^\top f_j+\sum_{ij}w_iw_j(f_i^\top f_j)^2` and
    the variants the failure message names (a different factor ``a``, the repulsion term off the
    diagonal only, or with uniform weights :math:`1/N^2` as a plain batch mean)."""
    wmat, w = _sc_weights(g, weighting)
    gram = f @ f.T
    if repulsion == "uniform":
        rep = gram**2 / g.shape[0] ** 2
    else:
        rep = np.outer(w, w) * gram**2
        if repulsion == "off_diagonal":
            rep = rep - np.diag(np.diag(rep))
    return -attraction * float(np.sum(wmat * gram)) + float(np.sum(rep))


def _sc_factorisation(f: np.ndarray, g: np.ndarray, weighting: str) -> tuple[float, float, float]:
    r""":math:`\lVert\bar A-UU^\top\rVert_F^2`, :math:`\lVert\bar A\rVert_F^2` and the unit
    :math:`(\lVert\bar A\rVert_F+\lVert UU^\top\rVert_F)^2` of their rounding."""
    if weighting == "degree":
        deg = np.sum(g, axis=1)
        inv_sqrt = np.zeros_like(deg)
        np.divide(1.0, np.sqrt(deg), out=inv_sqrt, where=deg > 0)  # an isolated node has Ā_i· = 0
        abar = inv_sqrt[:, None] * g * inv_sqrt[None, :]
        w = deg / np.sum(deg)
    else:
        abar = g
        w = np.ones(g.shape[0])
    u = np.sqrt(w)[:, None] * f
    p = u @ u.T
    a_norm2 = float(np.sum(abar**2))
    unit = (math.sqrt(a_norm2) + float(np.linalg.norm(p))) ** 2
    return float(np.sum((abar - p) ** 2)), a_norm2, unit


def assert_spectral_contrastive_factorisation(
    loss: Callable[..., Any],
    embedding: Any,
    graph: Any,
    /,
    *,
    weighting: str = "degree",
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    r"""Assert HaoChen et al.'s factorisation of your spectral contrastive loss on a relation graph.

    On a finite relation graph :math:`G` (symmetric, non-negative, self-pairs kept as given) with
    degrees :math:`d=G\mathbf 1` and volume :math:`\mathrm{vol}=\mathbf 1^\top G\mathbf 1`, the
    population augmentation graph of HaoChen et al. (arXiv:2106.04156) has edge weights
    :math:`w_{ij}=G_{ij}/\mathrm{vol}` (they sum to 1) and node weights
    :math:`w_i=d_i/\mathrm{vol}`; the spectral contrastive loss of an embedding :math:`F`
    (rows :math:`f_i`) is

    .. math::

        L(F) = -2\,\mathbb E_{x,x^+}\big[f(x)^\top f(x^+)\big]
               + \mathbb E_{x,x'}\big[(f(x)^\top f(x'))^2\big]
             = -2\sum_{ij}w_{ij}f_i^\top f_j + \sum_{ij}w_iw_j\,(f_i^\top f_j)^2 .

    With the normalised adjacency :math:`\bar A=D^{-1/2}GD^{-1/2}` (:math:`\bar A_{ij}=0` where
    :math:`d_id_j=0`) and the rows scaled by the square root of their weight,
    :math:`U=D_w^{1/2}F`, :math:`D_w=\mathrm{diag}(w)`, expanding the square gives exactly

    .. math::

        L(F) + \lVert\bar A\rVert_F^2 = \lVert\bar A - UU^\top\rVert_F^2 ,

    since :math:`\langle\bar A,UU^\top\rangle=\sum_{ij}w_{ij}f_i^\top f_j` and
    :math:`\lVert UU^\top\rVert_F^2=\sum_{ij}w_iw_j(f_i^\top f_j)^2` (the constant of their
    matrix-factorisation lemma is :math:`\lVert\bar A\rVert_F^2`, no other factor).
    ``weighting="none"`` is the unnormalised variant :math:`w_{ij}=G_{ij}`, :math:`w_i=1`:
    :math:`L(F)+\lVert G\rVert_F^2=\lVert G-FF^\top\rVert_F^2`. The helper computes the right-hand
    side from :math:`\bar A` and :math:`U` (never the expectation form) and asserts

    .. math::

        \big|L_{\rm yours}(F,G) - (\lVert\bar A-UU^\top\rVert_F^2-\lVert\bar A\rVert_F^2)\big|
        \le \mathrm{atol} + \mathrm{rtol}\,\big|\lVert\bar A-UU^\top\rVert_F^2-\lVert\bar A\rVert_F^2\big| .

    Parameters
    ----------
    loss : callable
        ``loss(embedding, graph) -> real scalar``, called with float64 NumPy copies: your
        spectral contrastive loss in graph form (as :func:`ssltheory.losses.spectral_contrastive_loss`).
    embedding : array, shape (n_samples, n_components)
        :math:`F`, e.g. an :func:`~ssltheory.testing.strategies.embeddings` example.
    graph : array, shape (n_samples, n_samples)
        :math:`G`, e.g. a :func:`~ssltheory.testing.strategies.graphs` example (sparse is densified).
    weighting : {"degree", "none"}
        ``"degree"`` (default): HaoChen et al.'s weights above; ``"none"``: :math:`w_{ij}=G_{ij}`,
        :math:`w_i=1`.
    rtol : float, optional
        Default ``default_rtol(float64)`` :math:`=4\sqrt{\epsilon}\approx6\cdot10^{-8}`: the same
        function in float64 agrees to about :math:`10^{-15}` relative, a wrong constant (a missing
        2, unweighted negatives) is off by far more. ``default_rtol(np.float32)`` for float32.
    atol : float, optional
        Default ``rtol`` :math:`\times(\lVert\bar A\rVert_F+\lVert UU^\top\rVert_F)^2`: the loss is
        a difference of terms of that size, so its rounding is relative to it, not to the value.

    Raises
    ------
    AssertionError
        The identity fails beyond the tolerance, or your value is not finite. The message gives
        both sides and any known mistake your value matches instead (the other weighting, the
        attraction term without its 2, the repulsion term over :math:`i\ne j` only or with
        uniform weights :math:`1/N^2`, or the factorisation loss itself, :math:`L+\lVert\bar A\rVert_F^2`).
    ValueError
        A non-square, asymmetric, negative or non-finite graph; a graph whose size is not the
        embedding's; an embedding that is not a finite 2-D array; ``weighting="degree"`` on a
        graph with no edge (zero volume); an unknown ``weighting``; bad ``rtol`` or ``atol``.
    TypeError
        ``loss`` does not return a real scalar.

    See Also
    --------
    ssltheory.losses.spectral_contrastive_loss : the library's loss, which satisfies the identity.

    References
    ----------
    J. Z. HaoChen, C. Wei, A. Gaidon, T. Ma, "Provable Guarantees for Self-Supervised Deep
    Learning with Spectral Contrastive Loss", NeurIPS 2021, arXiv:2106.04156.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing.properties import assert_spectral_contrastive_factorisation
    >>> def mine(f, g):
    ...     w, d = g / g.sum(), g.sum(axis=1) / g.sum()
    ...     gram = f @ f.T
    ...     return -2 * np.sum(w * gram) + np.sum(np.outer(d, d) * gram**2)
    >>> rng = np.random.default_rng(0)
    >>> f, g = rng.standard_normal((6, 2)), np.ones((6, 6)) - np.eye(6)
    >>> assert_spectral_contrastive_factorisation(mine, f, g)
    >>> def no_two(f, g):
    ...     return mine(f, g) + np.sum(g / g.sum() * (f @ f.T))
    >>> assert_spectral_contrastive_factorisation(no_two, f, g)
    Traceback (most recent call last):
    ...
    AssertionError: your spectral contrastive loss breaks HaoChen et al.'s factorisation ...
    """
    weighting = _choice(weighting, "weighting", _SC_WEIGHTINGS)
    f = _matrix(embedding, "embedding")
    g = _relation_graph(graph, f.shape[0])
    if weighting == "degree" and not float(np.sum(g)) > 0:
        raise ValueError(
            "graph must have at least one edge for weighting='degree': its volume is 0, so the edge "
            "weights G_ij / vol and the normalised adjacency are undefined"
        )
    lhs_plus, a_norm2, unit = _sc_factorisation(f, g, weighting)
    predicted = lhs_plus - a_norm2
    rtol, atol = _tolerances(rtol, atol, unit)
    yours = _scalar(loss(f.copy(), g.copy()), "loss")
    tol = atol + rtol * abs(predicted)
    if math.isfinite(yours) and abs(yours - predicted) <= tol:
        return
    name = "Ā" if weighting == "degree" else "G"
    lines = [
        f"your spectral contrastive loss breaks HaoChen et al.'s factorisation L(F) + ||{name}||_F^2 = "
        f"||{name} - UU^T||_F^2 (arXiv:2106.04156, weighting={weighting!r}):",
        f"  yours                     {_fmt(yours)}",
        f"  ||{name} - UU^T||^2 - ||{name}||^2  {_fmt(predicted)}  (||{name}||^2 = {_fmt(a_norm2)})",
        _gap(yours, predicted, tol, rtol, atol),
        f"  on an embedding of shape {f.shape} and a graph of volume {_fmt(float(np.sum(g)))}",
        "  Ā = D^-1/2 G D^-1/2, U = D_w^1/2 F, D_w = diag(G 1) / (1^T G 1)"
        if weighting == "degree"
        else "  U = F (unnormalised: w_ij = G_ij, w_i = 1)",
    ]
    if not math.isfinite(yours):
        _fail(lines, [])
    other = "none" if weighting == "degree" else "degree"
    variants: list[tuple[str, Callable[[], float]]] = []
    if other == "none" or float(np.sum(g)) > 0:
        variants.append((f"weighting={other!r}", lambda: _sc_expectation(f, g, other)))
    variants += [
        (
            "the attraction term without its factor 2",
            lambda: _sc_expectation(f, g, weighting, attraction=1.0),
        ),
        (
            "the repulsion term over i != j only",
            lambda: _sc_expectation(f, g, weighting, repulsion="off_diagonal"),
        ),
        (
            "the repulsion term with uniform weights 1/N^2 (a plain mean over all pairs)",
            lambda: _sc_expectation(f, g, weighting, repulsion="uniform"),
        ),
        (f"the factorisation loss ||{name} - UU^T||^2 itself (L + ||{name}||^2)", lambda: lhs_plus),
    ]
    _fail(lines, _hints(yours, variants, rtol, atol))


# ----------------------------------------------------------------------------- Garrido duality
def _duality_k(z: np.ndarray, center: bool, ddof: int | None) -> np.ndarray:
    r""":math:`K=PZ/\sqrt{N-\mathrm{ddof}}` (:math:`P` the centring, if asked; no division for ``None``)."""
    k = z - np.mean(z, axis=0) if center else z.copy()
    return k if ddof is None else k / math.sqrt(z.shape[0] - ddof)


def _gram_criterion(gram: np.ndarray, target: str) -> float:
    r""":math:`\lVert C-T\rVert_F^2`, :math:`T=\mathrm{diag}(C)` or :math:`I`."""
    t = np.diag(np.diag(gram)) if target == "off_diagonal" else np.eye(gram.shape[0])
    return float(np.sum((gram - t) ** 2))


def _own_side(k: np.ndarray, kind: str, target: str) -> float:
    """The criterion of ``kind`` computed directly from its own Gram matrix."""
    return _gram_criterion(k.T @ k if kind == "dimension_contrastive" else k @ k.T, target)


def _dual_side(k: np.ndarray, kind: str, target: str) -> float:
    r"""The criterion of ``kind`` computed from the *other* Gram matrix and the exact correction."""
    n, m = k.shape
    rows4 = float(np.sum(np.sum(k**2, axis=1) ** 2))  # sum_i ||k_i||^4 (rows: samples)
    cols4 = float(np.sum(np.sum(k**2, axis=0) ** 2))  # sum_m ||k^m||^4 (columns: dimensions)
    if kind == "dimension_contrastive":
        other = _gram_criterion(k @ k.T, target)
        return other + (rows4 - cols4 if target == "off_diagonal" else float(m - n))
    other = _gram_criterion(k.T @ k, target)
    return other + (cols4 - rows4 if target == "off_diagonal" else float(n - m))


def _k_text(center: bool, ddof: int | None) -> str:
    top = "(Z - 1 mean(Z))" if center else "Z"
    return top if ddof is None else f"{top} / sqrt(N - {ddof})"


def assert_contrastive_duality(
    criterion: Callable[..., Any],
    embedding: Any,
    /,
    *,
    kind: str,
    target: str = "off_diagonal",
    center: bool = False,
    ddof: int | None = None,
    scale: float = 1.0,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    r"""Assert that your criterion equals its contrastive / non-contrastive dual (Garrido et al.).

    For an embedding :math:`Z\in\mathbb R^{N\times M}` (:math:`N` samples, :math:`M` dimensions)
    let :math:`K=PZ/\sqrt{s}`, with :math:`P=I-\tfrac1N\mathbf 1\mathbf 1^\top` if ``center``
    (else :math:`I`) and :math:`s=N-\mathrm{ddof}` (:math:`s=1` for ``ddof=None``), so that
    :math:`K^\top K` is the (uncentred) Gram matrix, the biased (``ddof=0``) or the unbiased
    (``ddof=1``) covariance. Rows :math:`k_i` are samples, columns :math:`k^m` dimensions.
    Garrido et al. (arXiv:2206.02574) call a criterion on :math:`K^\top K` (:math:`M\times M`)
    dimension-contrastive and one on :math:`KK^\top` (:math:`N\times N`) sample-contrastive;
    since :math:`\lVert K^\top K\rVert_F^2=\operatorname{tr}(K^\top KK^\top K)=\lVert KK^\top\rVert_F^2`,

    .. math::

        \lVert K^\top K-\mathrm{diag}(K^\top K)\rVert_F^2 + \sum_m\lVert k^m\rVert^4
        &= \lVert KK^\top-\mathrm{diag}(KK^\top)\rVert_F^2 + \sum_i\lVert k_i\rVert^4
        \qquad(\texttt{target="off\_diagonal"}),\\
        \lVert K^\top K-I_M\rVert_F^2 - M &= \lVert KK^\top-I_N\rVert_F^2 - N
        \qquad(\texttt{target="identity"}),

    the first being their
    :math:`\mathcal L_{nc}+\sum_m\lVert k^m\rVert^4=\mathcal L_c+\sum_i\lVert k_i\rVert^4`
    (both sides also lose :math:`2\lVert K\rVert_F^2` in the second). Your ``criterion`` is
    :math:`\sigma` (``scale``) times one side; the helper computes the other side from the other
    Gram matrix (never forming yours) and asserts

    .. math::

        |c_{\rm yours}(Z) - \sigma\,\mathrm{dual}(K)|
        \le \mathrm{atol} + \mathrm{rtol}\,|\sigma\,\mathrm{dual}(K)| .

    The VICReg covariance term of one branch (facebookresearch/vicreg) is
    ``kind="dimension_contrastive", target="off_diagonal", center=True, ddof=1, scale=1/M``.

    Parameters
    ----------
    criterion : callable
        ``criterion(embedding) -> real scalar``, called with a float64 NumPy copy of the
        :math:`N\times M` embedding (rows: samples), uncentred and unscaled: it applies its own
        centring and normaliser, which the keywords below declare.
    embedding : array, shape (n_samples, n_components)
        :math:`Z`, e.g. an :func:`~ssltheory.testing.strategies.embeddings` example.
    kind : {"dimension_contrastive", "sample_contrastive"}
        Which side your criterion computes: :math:`\sigma\lVert K^\top K-T_M\rVert_F^2` (VICReg,
        Barlow Twins, W-MSE type, :math:`O(NM^2)`) or :math:`\sigma\lVert KK^\top-T_N\rVert_F^2`
        (SimCLR / spectral contrastive type, :math:`O(N^2M)`).
    target : {"off_diagonal", "identity"}
        :math:`T=\mathrm{diag}(\cdot)` (only the off-diagonal entries are penalised) or
        :math:`T=I` (the diagonal is pushed to 1 too).
    center : bool
        Whether your criterion centres the columns of :math:`Z` first.
    ddof : int, optional
        Your normaliser is :math:`N-\mathrm{ddof}` (0: biased, 1: unbiased covariance); None (the
        default): no normaliser. Needs :math:`\mathrm{ddof}<N`.
    scale : float
        :math:`\sigma>0`, the constant in front (``1/M`` for VICReg's covariance term).
    rtol : float, optional
        Default ``default_rtol(float64)`` :math:`=4\sqrt{\epsilon}\approx6\cdot10^{-8}`; a wrong
        normaliser (:math:`N` for :math:`N-1`, a missing :math:`1/M`) is off by far more.
    atol : float, optional
        Default ``rtol`` :math:`\times\,\sigma\,(\lVert Z\rVert_F^2/s+\sqrt{\max(N,M)}\,[T=I])^2`:
        both sides are differences of terms of that size
        (:math:`\lVert KK^\top\rVert_F\le\lVert K\rVert_F^2`).

    Raises
    ------
    AssertionError
        Your value differs from the dual side beyond the tolerance, or is not finite. The message
        gives both values and any other ``target`` / ``center`` / ``ddof`` / ``scale`` (times
        :math:`M^{\pm1}`, :math:`N^{\pm1}`, :math:`2^{\pm1}`) your value matches instead.
    ValueError
        An embedding that is not a finite 2-D array; unknown ``kind`` or ``target``; ``ddof``
        negative or :math:`\ge N`; ``scale`` not positive; bad ``rtol`` or ``atol``.
    TypeError
        ``criterion`` does not return a real scalar; ``center`` not a bool; ``ddof`` not an int.

    References
    ----------
    Q. Garrido, Y. Chen, A. Bardes, L. Najman, Y. LeCun, "On the duality between contrastive and
    non-contrastive self-supervised learning", ICLR 2023, arXiv:2206.02574.

    Examples
    --------
    VICReg's covariance term of one branch, checked through the :math:`N\times N` sample Gram:

    >>> import numpy as np
    >>> from ssltheory.testing.properties import assert_contrastive_duality
    >>> def cov_term(z):
    ...     c = np.cov(z, rowvar=False)  # centred, divided by N - 1
    ...     return (np.sum(c**2) - np.sum(np.diag(c) ** 2)) / z.shape[1]
    >>> z = np.random.default_rng(0).standard_normal((16, 4))
    >>> assert_contrastive_duality(cov_term, z, kind="dimension_contrastive", center=True, ddof=1,
    ...                            scale=1 / 4)
    >>> assert_contrastive_duality(cov_term, z, kind="dimension_contrastive", center=True, ddof=0,
    ...                            scale=1 / 4)
    Traceback (most recent call last):
    ...
    AssertionError: your dimension-contrastive criterion breaks the duality ...
    """
    kind = _choice(kind, "kind", _DUALITY_KINDS)
    target = _choice(target, "target", _DUALITY_TARGETS)
    center = _flag(center, "center")
    z = _matrix(embedding, "embedding")
    n, m = z.shape
    if ddof is not None:
        ddof = _validation.check_int(ddof, name="ddof", minimum=0)
        if ddof >= n:
            raise ValueError(f"ddof must be < n_samples = {n} (the normaliser N - ddof), received {ddof}")
    scale = _validation.check_positive(scale, name="scale")
    k = _duality_k(z, center, ddof)
    dual = scale * _dual_side(k, kind, target)
    s = 1.0 if ddof is None else float(n - ddof)
    unit = scale * (float(np.sum(z**2)) / s + (math.sqrt(max(n, m)) if target == "identity" else 0.0)) ** 2
    rtol, atol = _tolerances(rtol, atol, unit)
    yours = _scalar(criterion(z.copy()), "criterion")
    tol = atol + rtol * abs(dual)
    if math.isfinite(yours) and abs(yours - dual) <= tol:
        return
    own, other = ("K^T K", "K K^T") if kind == "dimension_contrastive" else ("K K^T", "K^T K")
    t_text = "diag" if target == "off_diagonal" else "I"
    correction = (
        (
            "sum_i ||k_i||^4 - sum_m ||k^m||^4"
            if kind == "dimension_contrastive"
            else "sum_m ||k^m||^4 - sum_i ||k_i||^4"
        )
        if target == "off_diagonal"
        else ("M - N" if kind == "dimension_contrastive" else "N - M")
    )
    lines = [
        f"your {kind.replace('_', '-')} criterion breaks the duality ||{own} - {t_text}||_F^2 = "
        f"||{other} - {t_text}||_F^2 + {correction} (Garrido et al., arXiv:2206.02574):",
        f"  yours      {_fmt(yours)}",
        f"  dual side  {_fmt(dual)}  (scale {scale:.6g} times the right-hand side, from {other})",
        _gap(yours, dual, tol, rtol, atol),
        f"  with K = {_k_text(center, ddof)} on an embedding of shape {z.shape} (N = {n}, M = {m})",
    ]
    if not math.isfinite(yours):
        _fail(lines, [])
    factors = {"": 1.0, f" * 1/M (M = {m})": 1.0 / m, f" * M (M = {m})": float(m)}
    factors.update({f" * 1/N (N = {n})": 1.0 / n, f" * N (N = {n})": float(n), " * 2": 2.0, " * 1/2": 0.5})
    variants: list[tuple[str, Callable[[], float]]] = []
    for t in _DUALITY_TARGETS:
        for c in (True, False):
            for d in (None, 0, 1):
                if d is not None and d >= n:
                    continue
                for label, factor in factors.items():
                    if (t, c, d, factor) == (target, center, ddof, 1.0):
                        continue
                    variants.append(
                        (
                            f"target={t!r}, center={c}, ddof={d}, scale={scale:.6g}{label}",
                            lambda t=t, c=c, d=d, factor=factor: (
                                scale * factor * _own_side(_duality_k(z, c, d), kind, t)
                            ),
                        )
                    )
    _fail(lines, _hints(yours, variants, rtol, atol))


# ----------------------------------------------------------------------------- InfoNCE on a graph
def _rows(z: np.ndarray, normalize: bool) -> np.ndarray:
    if not normalize:
        return z
    return z / np.maximum(np.linalg.norm(z, axis=1), _NORM_FLOOR)[:, None]


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """``log sum exp`` along ``axis``, shifted by the maximum (entries may be ``-inf``, not all)."""
    peak = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(peak, axis=axis) + np.log(np.sum(np.exp(x - peak), axis=axis))


def _pairing_graph(n_pairs: int) -> np.ndarray:
    """The two-view relation graph: ``G_ij = 1`` iff ``|i - j| = n_pairs`` (rows view-major)."""
    eye = np.eye(n_pairs)
    zero = np.zeros((n_pairs, n_pairs))
    return np.block([[zero, eye], [eye, zero]])


def _graph_cross_entropy(z: np.ndarray, g: np.ndarray, tau: float, reduction: str, normalize: bool) -> float:
    r"""The graph side, on any graph: :math:`-c\sum_{ij}G_{ij}\log\mathrm{softmax}_{j\ne i}(S)_{ij}`."""
    u = _rows(z, normalize)
    s = u @ u.T / tau
    np.fill_diagonal(s, -np.inf)  # j != i: the row's own similarity is no candidate
    log_p = s - _logsumexp(s, axis=1)[:, None]
    np.fill_diagonal(log_p, 0.0)  # G_ii = 0: no term
    value = -float(np.sum(g * log_p))
    return value / z.shape[0] if reduction == "mean" else value


def _two_view_ntxent(z1: np.ndarray, z2: np.ndarray, tau: float, reduction: str, normalize: bool) -> float:
    r"""The two-view side: SimCLR's :math:`\ell(i,j)=-\log(e^{S_{ij}}/\sum_{k\ne i}e^{S_{ik}})`
    summed over both orders of every positive pair, the :math:`2B-1` candidates of an anchor being
    the :math:`B` rows of the other view and the other :math:`B-1` rows of its own view."""
    total = 0.0
    for anchors, partners in (
        (_rows(z1, normalize), _rows(z2, normalize)),
        (_rows(z2, normalize), _rows(z1, normalize)),
    ):
        cross = anchors @ partners.T / tau
        within = anchors @ anchors.T / tau
        np.fill_diagonal(within, -np.inf)
        total += float(np.sum(_logsumexp(np.concatenate((cross, within), axis=1), axis=1) - np.diag(cross)))
    return total / (2 * z1.shape[0]) if reduction == "mean" else total


def _infonce_variant(
    z1: np.ndarray,
    z2: np.ndarray,
    tau: float,
    reduction: str,
    normalize: bool,
    *,
    keep_self: bool = False,
    keep_positive: bool = True,
    cross_only: bool = False,
    one_direction: bool = False,
) -> float:
    """The known mistakes the failure message names (row-wise, on the stacked views)."""
    b = z1.shape[0]
    n = 2 * b
    u = _rows(np.concatenate((z1, z2)), normalize)
    s = u @ u.T / tau
    idx = np.arange(n)
    pos = (idx + b) % n
    mask = ~np.eye(n, dtype=bool) if not keep_self else np.ones((n, n), dtype=bool)
    if not keep_positive:
        mask[idx, pos] = False
    if cross_only:
        mask &= (idx[:, None] < b) != (idx[None, :] < b)
    terms = _logsumexp(np.where(mask, s, -np.inf), axis=1) - s[idx, pos]
    if one_direction:
        terms = terms[:b]
    return float(np.mean(terms) if reduction == "mean" else np.sum(terms))


def assert_infonce_graph_identity(
    loss: Callable[..., Any],
    z1: Any,
    z2: Any,
    /,
    *,
    temperature: float,
    form: str = "two_branch",
    reduction: str = "mean",
    normalize: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    r"""Assert that InfoNCE / NT-Xent on two views equals the cross-entropy on its relation graph.

    Stack the branches view-major, :math:`Z=[z^{(1)};z^{(2)}]\in\mathbb R^{N\times K}`,
    :math:`N=2B`, with unit rows :math:`u_i=z_i/\max(\lVert z_i\rVert,10^{-12})` (raw rows with
    ``normalize=False``), similarities :math:`S_{ij}=u_i^\top u_j/\tau`, and the two-view relation
    graph :math:`G_{ij}=1` iff :math:`|i-j|=B` (each row's one positive is the other view of its
    sample; ``ssltheory.graphs.augmentation_graph(B, 2)``). Then the graph form

    .. math::

        \mathcal L_G = -\frac1N\sum_{i,j}G_{ij}\log\frac{e^{S_{ij}}}{\sum_{k\ne i}e^{S_{ik}}}

    equals SimCLR's NT-Xent (Chen et al., arXiv:2002.05709) term by term:

    .. math::

        \mathcal L_{\rm NT\text{-}Xent}=\frac1{2B}\sum_{b=1}^B\big[\ell(b,b+B)+\ell(b+B,b)\big],\qquad
        \ell(i,j)=-\log\frac{e^{S_{ij}}}{\sum_{k\ne i}e^{S_{ik}}},

    because row :math:`i` of :math:`G` has its single 1 at :math:`j=p(i)`. ``reduction="sum"``
    drops the :math:`1/N` (and the :math:`1/2B`) on both sides. ``form`` says which side your
    loss is; the helper computes the other one:

    - ``"two_branch"``: ``loss(z1, z2)`` against :math:`\mathcal L_G`, evaluated by the helper as a
      cross-entropy with the explicit :math:`N\times N` graph;
    - ``"graph"``: ``loss(Z, G)`` (your graph-form InfoNCE, as :func:`ssltheory.losses.simclr_loss`
      with ``reduction="mean"``) against :math:`\mathcal L_{\rm NT\text{-}Xent}`, evaluated by the
      helper pair by pair from the cross-view and within-view blocks.

    and asserts :math:`|L_{\rm yours}-L_{\rm other}|\le\mathrm{atol}+\mathrm{rtol}\,|L_{\rm other}|`.

    Parameters
    ----------
    loss : callable
        ``loss(z1, z2)`` (``form="two_branch"``) or ``loss(embedding, graph)`` (``form="graph"``)
        ``-> real scalar``, called with float64 NumPy arrays.
    z1, z2 : array, shape (n_pairs, n_components)
        The two branches (row ``i`` of both from the same sample), e.g. ``*views`` of a
        :func:`~ssltheory.testing.strategies.paired_views` example.
    temperature : float
        :math:`\tau>0`, the one your loss uses (lightly's default 0.5, solo-learn's 0.1).
    form : {"two_branch", "graph"}
    reduction : {"mean", "sum"}
        ``"mean"`` (default, every library): the :math:`1/N` above; ``"sum"``: no average.
    normalize : bool
        True (default): cosine similarities, as SimCLR; False: raw dot products.
    rtol : float, optional
        Default ``default_rtol(float64)`` :math:`=4\sqrt{\epsilon}\approx6\cdot10^{-8}`.
    atol : float, optional
        Default ``rtol`` :math:`\times(\max_{ij}|S_{ij}|+\log N)` (:math:`\times N` for ``"sum"``):
        each term is a log-sum-exp minus a logit, of that size, so its rounding is relative to it.

    Raises
    ------
    AssertionError
        The two sides differ beyond the tolerance, or your value is not finite. The message gives
        both and any known mistake your value matches instead: the other reduction or
        normalisation, no temperature, the self-similarity kept in the denominator, the positive
        left out of it (as the decoupled contrastive loss), cross-view negatives only (the
        symmetric CLIP-style loss), or one direction only (the ``z1`` anchors).
    ValueError
        Branches of different shapes, not finite 2-D arrays; unknown ``form`` or ``reduction``;
        ``temperature`` not positive; bad ``rtol`` or ``atol``.
    TypeError
        ``loss`` does not return a real scalar; ``normalize`` not a bool.

    See Also
    --------
    ssltheory.losses.simclr_loss : the library's graph form (``reduction="mean"``) satisfies it.
    assert_matches_convention : the value of one library's NT-Xent convention.

    References
    ----------
    T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive Learning of
    Visual Representations", ICML 2020, arXiv:2002.05709.

    Examples
    --------
    >>> import numpy as np
    >>> from ssltheory.testing.properties import assert_infonce_graph_identity
    >>> def ntxent(z1, z2, t=0.5):
    ...     u = np.concatenate([z1, z2]) / np.linalg.norm(np.concatenate([z1, z2]), axis=1, keepdims=True)
    ...     s = u @ u.T / t
    ...     n = len(z1)
    ...     pos = np.concatenate([np.diag(s, n), np.diag(s, -n)])
    ...     np.fill_diagonal(s, -np.inf)
    ...     return np.mean(np.log(np.exp(s).sum(axis=1)) - pos)
    >>> z1, z2 = np.random.default_rng(0).standard_normal((2, 5, 3))
    >>> assert_infonce_graph_identity(ntxent, z1, z2, temperature=0.5)
    >>> def with_self(z1, z2, t=0.5):  # the diagonal left in the denominator
    ...     u = np.concatenate([z1, z2]) / np.linalg.norm(np.concatenate([z1, z2]), axis=1, keepdims=True)
    ...     s = u @ u.T / t
    ...     n = len(z1)
    ...     return np.mean(np.log(np.exp(s).sum(axis=1)) - np.concatenate([np.diag(s, n), np.diag(s, -n)]))
    >>> assert_infonce_graph_identity(with_self, z1, z2, temperature=0.5)
    Traceback (most recent call last):
    ...
    AssertionError: your two-branch InfoNCE loss differs from the cross-entropy on its relation graph...
    """
    form = _choice(form, "form", _INFONCE_FORMS)
    reduction = _choice(reduction, "reduction", _REDUCTIONS)
    normalize = _flag(normalize, "normalize")
    tau = _validation.check_positive(temperature, name="temperature")
    h1 = _matrix(z1, "z1", what="(n_pairs, n_components)")
    h2 = _matrix(z2, "z2", what="(n_pairs, n_components)")
    if h1.shape != h2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, received {h1.shape} and {h2.shape}")
    b = h1.shape[0]
    n = 2 * b
    stacked = np.concatenate((h1, h2))
    g = _pairing_graph(b)
    u = _rows(stacked, normalize)
    unit = (float(np.max(np.abs(u @ u.T))) / tau + math.log(n)) * (n if reduction == "sum" else 1)
    rtol, atol = _tolerances(rtol, atol, unit)
    if form == "two_branch":
        other = _graph_cross_entropy(stacked, g, tau, reduction, normalize)
        yours = _scalar(loss(h1.copy(), h2.copy()), "loss")
        head = "your two-branch InfoNCE loss differs from the cross-entropy on its relation graph"
        side = "graph side"
    else:
        other = _two_view_ntxent(h1, h2, tau, reduction, normalize)
        yours = _scalar(loss(stacked.copy(), g.copy()), "loss")
        head = (
            "your graph-form InfoNCE loss (on the stacked views and the two-view graph) differs from the "
            "two-view NT-Xent"
        )
        side = "NT-Xent"
    tol = atol + rtol * abs(other)
    if math.isfinite(yours) and abs(yours - other) <= tol:
        return
    mean = "(1/N) " if reduction == "mean" else ""
    lines = [
        f"{head} (the identity -{mean}sum_ij G_ij log softmax_(j != i)(u_i.u_j / tau) = NT-Xent, "
        "arXiv:2002.05709):",
        f"  yours       {_fmt(yours)}",
        f"  {side:<10}  {_fmt(other)}",
        _gap(yours, other, tol, rtol, atol),
        f"  on branches of shape {h1.shape} (N = {n} rows), temperature {tau:.6g}, reduction {reduction!r}, "
        f"normalize={normalize}",
    ]
    if not math.isfinite(yours):
        _fail(lines, [])
    other_reduction = "sum" if reduction == "mean" else "mean"
    variants: list[tuple[str, Callable[[], float]]] = [
        (f"reduction={other_reduction!r}", lambda: _infonce_variant(h1, h2, tau, other_reduction, normalize)),
        (f"normalize={not normalize}", lambda: _infonce_variant(h1, h2, tau, reduction, not normalize)),
    ]
    if tau != 1.0:
        variants.append(
            ("no temperature (tau = 1)", lambda: _infonce_variant(h1, h2, 1.0, reduction, normalize))
        )
    variants += [
        (
            "the self-similarity kept in the denominator (k = i included)",
            lambda: _infonce_variant(h1, h2, tau, reduction, normalize, keep_self=True),
        ),
        (
            "the positive left out of the denominator (as the decoupled contrastive loss)",
            lambda: _infonce_variant(h1, h2, tau, reduction, normalize, keep_positive=False),
        ),
        (
            "cross-view negatives only (the symmetric CLIP-style InfoNCE)",
            lambda: _infonce_variant(h1, h2, tau, reduction, normalize, cross_only=True),
        ),
        (
            "one direction only (the z1 rows as anchors)",
            lambda: _infonce_variant(h1, h2, tau, reduction, normalize, one_direction=True),
        ),
    ]
    _fail(lines, _hints(yours, variants, rtol, atol))
