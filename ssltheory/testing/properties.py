r"""Ready-made properties for testing your own SSL loss against the library, in your own CI.

Three plain functions that raise :class:`AssertionError` with a message saying what differs; call
them inside a ``@given`` test fed by :mod:`ssltheory.testing.strategies` (or on any arrays):

- :func:`assert_matches_convention`: your two-branch loss equals a training library's, in one
  of the conventions of :func:`ssltheory.losses.list_conventions` (re-implemented exactly by
  :func:`ssltheory.losses.library_loss`);
- :func:`assert_gradient_matches_finite_differences`: your gradient equals central finite
  differences of your loss;
- :func:`assert_loss_at_optimum`: your loss at the closed-form optimum of the paper form
  (Balestriero & LeCun, arXiv:2205.11508) equals the value the theory predicts.

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
    "assert_gradient_matches_finite_differences",
    "assert_loss_at_optimum",
    "assert_matches_convention",
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
