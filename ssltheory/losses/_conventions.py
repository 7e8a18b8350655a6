r"""The loss conventions of the SSL training libraries, versioned, and their paper-form equivalents.

A user who trained with a library states the method, the library (and, where the library changed
its formula, the version) and the library's own keyword arguments; :func:`library_loss`
re-implements that library's loss on the two branches ``z1, z2`` (``B × K`` each), and
:func:`to_paper` gives the matching problem in the paper convention of Balestriero & LeCun 2022
(arXiv:2205.11508) on the stacked views ``Z = concat(z1, z2)`` with the two-view graph
``augmentation_graph(B, 2)``, together with a statement of when the two agree exactly and how far
apart they can be otherwise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any

from ssltheory import _backend, _validation

__all__ = ["Convention", "PaperProblem", "get_convention", "library_loss", "list_conventions", "to_paper"]

_METHODS = ("barlow_twins", "simclr", "vicreg")
_BN_EPS = 1e-5  # torch.nn.BatchNorm1d / F.batch_norm default eps
_NORM_FLOOR = 1e-12  # F.normalize eps


@dataclass(frozen=True)
class Convention:
    """One library's loss formula for one method, over a range of the library's versions.

    Attributes
    ----------
    name : str
        The name :func:`get_convention` accepts (``"reference"``, ``"solo_learn"``,
        ``"lightly>=1.5.20"`` …).
    method : {"vicreg", "barlow_twins", "simclr"}
    library : str
        Distribution or repository (``"lightly"``, ``"solo-learn"``, ``"facebookresearch/vicreg"`` …).
    versions : str
        The versions this formula holds for (PEP 440 style range, or the repository commit read).
    source : str
        ``repository/path@commit`` (or ``distribution==version/path``) of the code read.
    formula : str
        The loss on two branches ``z1, z2`` (``B × K``), in plain text.
    defaults : tuple of (str, float)
        The library's keyword arguments (its own names) and their defaults.
    """

    name: str
    method: str
    library: str
    versions: str
    source: str
    formula: str
    defaults: tuple[tuple[str, float], ...]

    @property
    def keywords(self) -> tuple[str, ...]:
        """The library keyword arguments this convention accepts."""
        return tuple(k for k, _ in self.defaults)


@dataclass(frozen=True)
class PaperProblem:
    r"""The paper-convention problem that corresponds to a library loss (result of :func:`to_paper`).

    Attributes
    ----------
    method : str
    convention : Convention
        The library convention converted from.
    loss_kwargs : Mapping[str, Any]
        Keyword arguments of the paper-convention evaluator (:class:`~ssltheory.losses.VICRegLoss`,
        :class:`~ssltheory.losses.BarlowTwinsLoss`, :class:`~ssltheory.losses.SimCLRLoss`); the
        weights among them are those the closed-form solvers take.
    scale : float
        :math:`L_{\rm lib}\approx\text{scale}\cdot L_{\rm paper}` (solo-learn's ``scale_loss``).
    exact : bool
        Whether the two losses are equal on every batch (up to rounding).
    residual : str
        When they are not: the conditions under which the residual is small, and its bound.
    """

    method: str
    convention: Convention
    loss_kwargs: Any
    scale: float
    exact: bool
    residual: str

    def stack(self, z1: Any, z2: Any, /) -> Any:
        """The paper embedding ``Z = concat(z1, z2)`` (view-major rows, as ``augmentation_graph(B, 2)``)."""
        xp = _backend.get_namespace(z1, z2)
        return xp.concat([z1, z2], axis=0)

    def graph(self, n_pairs: int, /) -> Any:
        """``augmentation_graph(n_pairs, 2)``: row ``i`` (view 1) paired with row ``i + n_pairs``."""
        from ssltheory.graphs import augmentation_graph

        return augmentation_graph(_validation.check_int(n_pairs, name="n_pairs", minimum=1), 2)

    def paper_loss(self, z1: Any, z2: Any, /) -> Any:
        """``scale`` × the paper-convention loss on the stacked views (0-d array of z1's namespace)."""
        from ssltheory.losses._barlow_twins import BarlowTwinsLoss
        from ssltheory.losses._simclr import SimCLRLoss
        from ssltheory.losses._vicreg import VICRegLoss

        cls = {"vicreg": VICRegLoss, "barlow_twins": BarlowTwinsLoss, "simclr": SimCLRLoss}[self.method]
        xp = _backend.get_namespace(z1, z2)
        z = self.stack(z1, z2)
        g = xp.asarray(self.graph(z1.shape[0]), dtype=z.dtype, device=_backend.device(z))
        return self.scale * cls(**self.loss_kwargs)(z, g)


# ----------------------------------------------------------------------------- the registry
_VICREG_FORMULA = (
    "w_inv * mean((z1 - z2)**2) + w_var * s * [mean(relu(1 - sqrt(var1 + eps))) + "
    "mean(relu(1 - sqrt(var2 + eps)))] + w_cov * [sum_offdiag(C1**2) + sum_offdiag(C2**2)] / K; "
    "var unbiased (B - 1), C = zc^T zc / (B - 1) per branch"
)
_BT_FORMULA = "scale * [sum_k (c_kk - 1)**2 + lambda * sum_{k != l} c_kl**2], c = n(z1)^T n(z2) / B, where n "
_SIMCLR_FORMULA = (
    "mean over the 2B rows of Z = concat(z1, z2) (unit rows u_i) of "
    "-log(exp(u_i.u_p(i) / t) / sum_{k != i} exp(u_i.u_k / t)), p(i) = i +- B"
)

_REGISTRY: tuple[Convention, ...] = (
    # ---------------------------------------------------------------- VICReg
    Convention(
        "reference",
        "vicreg",
        "facebookresearch/vicreg",
        "main (commit read)",
        "facebookresearch/vicreg/main_vicreg.py@b42aa2327afe19773b4fbd7d3bcb46a9af1e4367",
        _VICREG_FORMULA + "; s = 1/2, eps = 1e-4 (fixed)",
        (("sim_coeff", 25.0), ("std_coeff", 25.0), ("cov_coeff", 1.0)),
    ),
    Convention(
        "solo_learn",
        "vicreg",
        "solo-learn",
        "main (commit read)",
        "vturrisi/solo-learn/solo/losses/vicreg.py@53e813950a6a2a5f671e1d3c7239f0672d1b624c",
        _VICREG_FORMULA + "; s = 1 (no /2), eps = 1e-4 (fixed)",
        (("sim_loss_weight", 25.0), ("var_loss_weight", 25.0), ("cov_loss_weight", 1.0)),
    ),
    Convention(
        "lightly",
        "vicreg",
        "lightly",
        ">=1.3.0",
        "lightly==1.6.0/lightly/loss/vicreg_loss.py (same value in 1.3.0, 1.4.0, 1.4.16, 1.5.0, 1.5.19)",
        _VICREG_FORMULA + "; s = 1/2, eps keyword (default 1e-4)",
        (("lambda_param", 25.0), ("mu_param", 25.0), ("nu_param", 1.0), ("eps", 1e-4)),
    ),
    Convention(
        "stable_pretraining",
        "vicreg",
        "stable-pretraining",
        "main (commits read)",
        "rbalestr-lab/stable-pretraining/stable_pretraining/losses/joint_embedding.py"
        "@8da43dd4572559bd1be13614f25e905d3d03f470 (VCRegLoss per branch in losses/utils.py; "
        "same value inline @b8a9c8ace48d476b03a73ac92428e61bbf039750)",
        _VICREG_FORMULA + "; s = 1/2 (std_coeff * mean(relu(1 - std)) / 2 per branch), epsilon keyword",
        (("sim_coeff", 25.0), ("std_coeff", 25.0), ("cov_coeff", 1.0), ("epsilon", 1e-4)),
    ),
    # ---------------------------------------------------------------- Barlow Twins
    Convention(
        "reference",
        "barlow_twins",
        "facebookresearch/barlowtwins",
        "main (commit read)",
        "facebookresearch/barlowtwins/main.py@a655214c76c97d0150277b85d16e69328ea52fd9",
        _BT_FORMULA + "= BatchNorm1d(K, affine=False) on each branch (biased variance, eps 1e-5); scale = 1",
        (("lambd", 0.0051),),
    ),
    Convention(
        "solo_learn",
        "barlow_twins",
        "solo-learn",
        "main (commit read)",
        "vturrisi/solo-learn/solo/losses/barlow.py@2269ce642e166eca444bb8a74cf88a7b0afeda24",
        _BT_FORMULA + "= BatchNorm1d(K, affine=False) on each branch (biased variance, eps 1e-5); "
        "scale = scale_loss",
        (("lamb", 5e-3), ("scale_loss", 0.025)),
    ),
    Convention(
        "lightly<1.4.17",
        "barlow_twins",
        "lightly",
        "<1.4.17",
        "lightly==1.4.16/lightly/loss/barlow_twins_loss.py (also lightly-ai/lightly@11cfbc0)",
        _BT_FORMULA + "(z - mean) / z.std(0) on each branch (unbiased std, no eps); scale = 1",
        (("lambda_param", 5e-3),),
    ),
    Convention(
        "lightly>=1.4.17,<1.5.20",
        "barlow_twins",
        "lightly",
        ">=1.4.17,<1.5.20",
        "lightly==1.5.19/lightly/loss/barlow_twins_loss.py (F.batch_norm of the stacked 2B x K batch; "
        "replaced by lightly-ai/lightly#1806)",
        _BT_FORMULA + "= F.batch_norm of concat(z1, z2) (2B rows: joint mean, joint biased variance, "
        "eps 1e-5), split back; scale = 1",
        (("lambda_param", 5e-3),),
    ),
    Convention(
        "lightly>=1.5.20",
        "barlow_twins",
        "lightly",
        ">=1.5.20",
        "lightly==1.6.0/lightly/loss/barlow_twins_loss.py (same in 1.5.20, 1.5.21, 1.5.22)",
        _BT_FORMULA + "= F.batch_norm on each branch (biased variance, eps 1e-5); scale = 1",
        (("lambda_param", 5e-3),),
    ),
    Convention(
        "stable_pretraining",
        "barlow_twins",
        "stable-pretraining",
        "main (commit read)",
        "rbalestr-lab/stable-pretraining/stable_pretraining/losses/joint_embedding.py"
        "@8da43dd4572559bd1be13614f25e905d3d03f470",
        _BT_FORMULA
        + "(z - mean) / (z.std(0) + 1e-5) on each branch (unbiased std, eps on the std); scale = 1",
        (("lambd", 5e-3),),
    ),
    # ---------------------------------------------------------------- SimCLR / NT-Xent
    Convention(
        "solo_learn",
        "simclr",
        "solo-learn",
        "main (commit read)",
        "vturrisi/solo-learn/solo/losses/simclr.py@00ce2462f8efbf4fb97a0e7c39f794847a44a5e6",
        _SIMCLR_FORMULA + " (simclr_loss_func with indexes = [0..B-1, 0..B-1]); default t = 0.1",
        (("temperature", 0.1),),
    ),
    Convention(
        "lightly",
        "simclr",
        "lightly",
        ">=1.4.0",
        "lightly==1.6.0/lightly/loss/ntx_ent_loss.py (same in 1.4.0), memory_bank_size=0",
        _SIMCLR_FORMULA + " (NTXentLoss, CrossEntropyLoss(reduction='mean')); default t = 0.5",
        (("temperature", 0.5),),
    ),
    Convention(
        "stable_pretraining",
        "simclr",
        "stable-pretraining",
        "main (commit read)",
        "rbalestr-lab/stable-pretraining/stable_pretraining/losses/joint_embedding.py"
        "@8da43dd4572559bd1be13614f25e905d3d03f470",
        _SIMCLR_FORMULA + " (NTXEntLoss via F.cross_entropy over masked logits); default t = 0.5",
        (("temperature", 0.5),),
    ),
)

# version ranges [low, high) of the versioned names, for ``version=``
_RANGES = {
    ("vicreg", "lightly"): ((1, 3, 0), None),
    ("simclr", "lightly"): ((1, 4, 0), None),
    ("barlow_twins", "lightly<1.4.17"): (None, (1, 4, 17)),
    ("barlow_twins", "lightly>=1.4.17,<1.5.20"): ((1, 4, 17), (1, 5, 20)),
    ("barlow_twins", "lightly>=1.5.20"): ((1, 5, 20), None),
}


def _check_method(method: Any) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, received {method!r}")
    return method


def _parse_version(version: Any) -> tuple[int, ...]:
    if not isinstance(version, str) or not re.fullmatch(r"\d+(\.\d+)*", version.strip()):
        raise ValueError(f"version must be a release string such as '1.5.19', received {version!r}")
    return tuple(int(p) for p in version.strip().split("."))


def list_conventions(method: str | None = None) -> tuple[Convention, ...]:
    """All known library conventions, optionally of one method.

    Parameters
    ----------
    method : {"vicreg", "barlow_twins", "simclr"}, optional

    Returns
    -------
    tuple of Convention

    Examples
    --------
    >>> [c.name for c in list_conventions("barlow_twins")][:2]
    ['reference', 'solo_learn']
    """
    if method is None:
        return _REGISTRY
    method = _check_method(method)
    return tuple(c for c in _REGISTRY if c.method == method)


def get_convention(name: str, /, *, method: str, version: str | None = None) -> Convention:
    r"""Look up a library convention by name (and, for a library that changed, its version).

    Parameters
    ----------
    name : str
        A name of :func:`list_conventions` (``"reference"``, ``"solo_learn"``, ``"lightly"``,
        ``"stable_pretraining"``, or a versioned name such as ``"lightly>=1.5.20"``), or a library
        name together with ``version``.
    method : {"vicreg", "barlow_twins", "simclr"}
    version : str, optional
        The installed library version (e.g. ``"1.5.19"``); selects the versioned convention.

    Returns
    -------
    Convention

    Raises
    ------
    ValueError
        Unknown method or name (the message lists the known names), an ambiguous name (lightly
        Barlow Twins without ``version``), a version outside the range where the library has the
        loss.

    Examples
    --------
    >>> get_convention("lightly", method="barlow_twins", version="1.5.19").name
    'lightly>=1.4.17,<1.5.20'
    """
    method = _check_method(method)
    known = list_conventions(method)
    names = [c.name for c in known]
    if version is not None:
        v = _parse_version(version)
        base = name.split("<")[0].split(">")[0]
        hits = []
        for c in known:
            if c.name.split("<")[0].split(">")[0] != base:
                continue
            lo, hi = _RANGES.get((method, c.name), (None, None))
            if (lo is None or v >= lo) and (hi is None or v < hi):
                hits.append(c)
        if not hits:
            raise ValueError(
                f"no {method} convention {name!r} covers version {version!r}; "
                f"known: {', '.join(map(repr, names))}"
            )
        return hits[0]
    for c in known:
        if c.name == name:
            return c
    versioned = [n for n in names if n.startswith(f"{name}<") or n.startswith(f"{name}>")]
    if versioned:
        raise ValueError(
            f"convention {name!r} is ambiguous for {method}: the library changed its formula; name one of "
            f"{', '.join(map(repr, versioned))} or pass version= (e.g. version='1.5.19')"
        )
    raise ValueError(
        f"convention must be one of {', '.join(map(repr, names))} for {method}, received {name!r}"
    )


def _library_weights(conv: Convention, given: dict[str, Any]) -> dict[str, float]:
    allowed = conv.keywords
    for key in given:
        if key not in allowed:
            raise ValueError(
                f"{key} is not a keyword of the {conv.library} {conv.method} loss "
                f"(convention {conv.name!r}); "
                f"it takes {', '.join(allowed)}"
            )
    out = {}
    for key, default in conv.defaults:
        strict = key == "temperature"
        out[key] = _validation.check_positive(given.get(key, default), name=key, strict=strict)
    return out


# ----------------------------------------------------------------------------- the library losses
def _vicreg(
    z1: Any, z2: Any, *, w_inv: float, w_var: float, w_cov: float, s: float, eps: float, xp: ModuleType
) -> Any:
    bsz, k = z1.shape
    eye = xp.eye(k, dtype=z1.dtype, device=_backend.device(z1))
    value = w_inv * xp.mean((z1 - z2) ** 2)
    var_term = 0.0
    cov_term = 0.0
    for z in (z1, z2):
        zc = z - xp.mean(z, axis=0, keepdims=True)
        var = xp.sum(zc**2, axis=0) / (bsz - 1)
        var_term = var_term + xp.mean(xp.clip(1 - xp.sqrt(var + eps), min=0.0))
        cov = zc.mT @ zc / (bsz - 1)
        cov_term = cov_term + xp.sum((cov * (1 - eye)) ** 2) / k
    return value + w_var * s * var_term + w_cov * cov_term


def _standardize(z: Any, *, mode: str, xp: ModuleType) -> Any:
    bsz = z.shape[0]
    zc = z - xp.mean(z, axis=0, keepdims=True)
    if mode == "bn":
        return zc / xp.sqrt(xp.sum(zc**2, axis=0) / bsz + _BN_EPS)
    if mode == "std":
        return zc / xp.sqrt(xp.sum(zc**2, axis=0) / (bsz - 1))
    return zc / (xp.sqrt(xp.sum(zc**2, axis=0) / (bsz - 1)) + _BN_EPS)  # "std_eps"


def _barlow(z1: Any, z2: Any, *, lam: float, scale: float, mode: str, xp: ModuleType) -> Any:
    bsz, k = z1.shape
    if mode == "joint_bn":
        n = _standardize(xp.concat([z1, z2], axis=0), mode="bn", xp=xp)
        n1, n2 = n[:bsz, :], n[bsz:, :]
    else:
        n1, n2 = _standardize(z1, mode=mode, xp=xp), _standardize(z2, mode=mode, xp=xp)
    c = n1.mT @ n2 / bsz
    eye = xp.eye(k, dtype=z1.dtype, device=_backend.device(z1))
    diag = xp.linalg.diagonal(c)
    return scale * (xp.sum((diag - 1) ** 2) + lam * xp.sum((c * (1 - eye)) ** 2))


def _ntxent(z1: Any, z2: Any, *, temperature: float, xp: ModuleType) -> Any:
    bsz = z1.shape[0]
    z = xp.concat([z1, z2], axis=0)
    n = 2 * bsz
    dev = _backend.device(z)
    u = z / xp.clip(xp.sqrt(xp.sum(z * z, axis=1, keepdims=True)), min=_NORM_FLOOR)
    s = u @ u.mT / temperature
    eye = xp.eye(n, dtype=z.dtype, device=dev) != 0
    s_off = xp.where(eye, xp.asarray(-math.inf, dtype=z.dtype, device=dev), s)
    smax = xp.max(s_off, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(s_off - smax), axis=1)) + smax[:, 0]
    idx = xp.arange(n, device=dev)
    partner = (idx + bsz) % n
    onehot = xp.astype(idx[None, :] == partner[:, None], z.dtype)
    pos = xp.sum(s * onehot, axis=1)
    return xp.mean(lse - pos)


_VICREG_SCALE = {"reference": 0.5, "solo_learn": 1.0, "lightly": 0.5, "stable_pretraining": 0.5}
_BT_MODE = {
    "reference": "bn",
    "solo_learn": "bn",
    "lightly<1.4.17": "std",
    "lightly>=1.4.17,<1.5.20": "joint_bn",
    "lightly>=1.5.20": "bn",
    "stable_pretraining": "std_eps",
}


def _vicreg_args(conv: Convention, w: dict[str, float]) -> tuple[float, float, float, float]:
    """(invariance, variance, covariance, eps) in the library's order of meaning."""
    vals = [w[k] for k in conv.keywords]
    eps = vals[3] if len(vals) > 3 else 1e-4
    return vals[0], vals[1], vals[2], eps


def library_loss(
    z1: Any, z2: Any, /, *, method: str, convention: str, version: str | None = None, **library_weights: Any
) -> Any:
    r"""A training library's loss on two branches, re-implemented exactly (value only).

    With :math:`z^{(1)},z^{(2)}\in\mathbb R^{B\times K}`, centred columns :math:`\bar z`, unbiased
    variances :math:`v_k` and covariances :math:`C=\bar z^\top\bar z/(B-1)` per branch:

    .. math::

        L_{\rm VICReg} = w_{\rm inv}\frac{\lVert z^{(1)}-z^{(2)}\rVert_F^2}{BK}
          + w_{\rm var}\,s\sum_{b=1}^2\frac1K\sum_k\big(1-\sqrt{v^{(b)}_k+\epsilon}\big)_+
          + \frac{w_{\rm cov}}K\sum_{b=1}^2\sum_{k\ne l}\big(C^{(b)}_{kl}\big)^2,

    :math:`s=\tfrac12` (``"reference"``, ``"lightly"``, ``"stable_pretraining"``), :math:`s=1`
    (``"solo_learn"``), :math:`\epsilon=10^{-4}`;

    .. math::

        L_{\rm BT} = \sigma\Big[\sum_k(c_{kk}-1)^2+\lambda\sum_{k\ne l}c_{kl}^2\Big],\qquad
        c=\frac{n(z^{(1)})^\top n(z^{(2)})}{B},

    with :math:`n` the column standardisation of the convention: ``BatchNorm1d(affine=False)`` per
    branch, :math:`\bar z/\sqrt{\bar v+10^{-5}}` with biased :math:`\bar v` (``"reference"``,
    ``"solo_learn"`` with :math:`\sigma=` ``scale_loss``, ``"lightly>=1.5.20"``); the same over the
    stacked :math:`2B` rows (``"lightly>=1.4.17,<1.5.20"``); :math:`\bar z/\sqrt{v}` (unbiased, no
    eps, ``"lightly<1.4.17"``); :math:`\bar z/(\sqrt v+10^{-5})` (``"stable_pretraining"``);

    .. math::

        L_{\rm NT\text{-}Xent} = \frac1{2B}\sum_{i=1}^{2B}\Big(\log\sum_{k\ne i}e^{u_i^\top u_k/\tau}
          - u_i^\top u_{p(i)}/\tau\Big),

    :math:`u_i` the unit rows of :math:`Z=[z^{(1)};z^{(2)}]` and :math:`p(i)=i\pm B` (the same
    value for ``"solo_learn"``'s index masks, ``"lightly"``'s ``NTXentLoss`` and
    ``"stable_pretraining"``'s ``NTXEntLoss``).

    Parameters
    ----------
    z1, z2 : array, shape (n_pairs, n_components)
        The two branches (row ``i`` of both from the same sample); NumPy, array-api-strict, torch
        (gradients flow through torch autograd) or CuPy.
    method : {"vicreg", "barlow_twins", "simclr"}
    convention : str
        See :func:`get_convention` / :func:`list_conventions`.
    version : str, optional
        The library version (selects the versioned convention).
    **library_weights
        The library's own keyword arguments (e.g. ``sim_coeff`` for ``"reference"`` VICReg,
        ``lambda_param`` for lightly, ``lamb``/``scale_loss`` for solo-learn Barlow Twins,
        ``temperature``); missing ones take the library default.

    Returns
    -------
    array
        0-d array of the inputs' namespace, device and dtype.

    Raises
    ------
    ValueError
        Unknown method/convention, a keyword the library does not take, a negative weight, a
        non-positive temperature, branches of different shapes or fewer than 2 rows.

    See Also
    --------
    to_paper : the paper-convention problem with the converted weights.

    Notes
    -----
    Single-process values (``world_size == 1``: the all-gathers and all-reduces are identities).
    Each formula is checked in ``tests/test_conventions.py`` against a NumPy transcription and a
    torch transcription of the library's source (repository, path and commit in
    :attr:`Convention.source`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z1, z2 = rng.standard_normal((2, 16, 4))
    >>> ref = library_loss(z1, z2, method="vicreg", convention="reference")
    >>> solo = library_loss(z1, z2, method="vicreg", convention="solo_learn", var_loss_weight=12.5)
    >>> bool(np.isclose(ref, solo))  # solo-learn has no /2 on the variance term
    True
    """
    conv = get_convention(convention, method=method, version=version)
    w = _library_weights(conv, library_weights)
    xp = _backend.get_namespace(z1, z2)
    z1 = _validation.check_array(z1, xp=xp, name="z1", ndim=2, min_rows=2)
    z2 = _validation.check_array(z2, xp=xp, name="z2", ndim=2, min_rows=2)
    if tuple(z1.shape) != tuple(z2.shape):
        raise ValueError(
            f"z1 and z2 must have the same shape, received {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if z1.dtype != z2.dtype:
        z2 = xp.astype(z2, z1.dtype)
    if conv.method == "vicreg":
        w_inv, w_var, w_cov, eps = _vicreg_args(conv, w)
        value = _vicreg(
            z1, z2, w_inv=w_inv, w_var=w_var, w_cov=w_cov, s=_VICREG_SCALE[conv.name], eps=eps, xp=xp
        )
    elif conv.method == "barlow_twins":
        lam = w[conv.keywords[0]]
        scale = w.get("scale_loss", 1.0)
        value = _barlow(z1, z2, lam=lam, scale=scale, mode=_BT_MODE[conv.name], xp=xp)
    else:
        value = _ntxent(z1, z2, temperature=w["temperature"], xp=xp)
    if _backend.is_numpy(xp):  # NumPy reductions return scalars: give back a 0-d array
        value = xp.asarray(value)
    return value


# ----------------------------------------------------------------------------- to the paper form
def to_paper(
    *,
    method: str,
    convention: str,
    n_components: int | None = None,
    version: str | None = None,
    **library_weights: Any,
) -> PaperProblem:
    r"""The paper-convention problem matching a library loss: weights, penalty, ddof, graph, residual.

    On the stacked views :math:`Z=[z^{(1)};z^{(2)}]` (:math:`N=2B` rows) with
    :math:`G=` ``augmentation_graph(B, 2)``:

    - **VICReg** (``variance_penalty="hinge"``, ``ddof=2``):
      :math:`\gamma=w_{\rm inv}/K`, :math:`\beta=2w_{\rm cov}/K`, :math:`\alpha=2s\,w_{\rm var}/K`.
      The invariance terms agree on every batch. The variance and covariance terms agree when both
      branches have the same column means and covariance (then the stacked covariance with
      ``ddof=2`` is each branch's :math:`(B-1)`-normalised one): with the library's :math:`\epsilon`
      passed as ``variance_eps`` they are then equal whenever every variance is at least
      ``variance_floor``, and :math:`-\alpha K(\sqrt{f+\epsilon}-\sqrt{\epsilon})\le L_{\rm paper}
      -L_{\rm lib}\le0` in general (the paper clamps variances below the floor :math:`f` up).
      ``exact`` only without variance and covariance terms.
    - **Barlow Twins** (``center=True``, :math:`\alpha=\lambda`, ``scale`` = ``scale_loss`` or 1):
      the paper :math:`C` is the symmetric part of the cross-correlation of the jointly
      standardised stacked batch. ``"lightly>=1.4.17,<1.5.20"`` standardises jointly: without its
      :math:`10^{-5}` the two differ by exactly :math:`\lambda\sum_{k\ne l}a_{kl}^2`,
      :math:`a=(c-c^\top)/2`. For every convention, when both branches have the same column means
      and variances and :math:`z^{(1)\top}_c z^{(2)}_c` is symmetric (e.g. a batch holding each pair
      in both orders), :math:`|L_{\rm lib}-\sigma L_{\rm paper}|\le\sigma\,(4+2\lambda(K-1))
      \sum_k\delta_k` with :math:`\delta_k=1-\bar v_k/d_k^2`, :math:`\bar v_k` the biased variance
      and :math:`d_k` the convention's divisor (:math:`\sqrt{\bar v_k+10^{-5}}`, the unbiased std
      :math:`\sqrt{B\bar v_k/(B-1)}` — so :math:`\delta_k=1/B` for ``"lightly<1.4.17"`` — or it
      plus :math:`10^{-5}`). Never exact.
    - **SimCLR / NT-Xent** (``reduction="mean"``, same temperature): exact on every batch; the
      paper's default ``reduction="sum"`` is :math:`2B` times the library value.

    Parameters
    ----------
    method : {"vicreg", "barlow_twins", "simclr"}
    convention : str
        See :func:`get_convention`.
    n_components : int, optional
        :math:`K`; required for VICReg (the libraries average over it).
    version : str, optional
        The library version (selects the versioned convention).
    **library_weights
        The library's own keyword arguments, as :func:`library_loss`.

    Returns
    -------
    PaperProblem
        ``loss_kwargs`` for the paper-convention evaluator, ``scale``, ``exact``, ``residual``.

    Raises
    ------
    ValueError
        As :func:`library_loss`; VICReg without ``n_components``; a library ``eps`` other than
        ``1e-4`` is accepted and changes only the stated bound.

    Examples
    --------
    >>> p = to_paper(method="vicreg", convention="solo_learn", n_components=2048)
    >>> sorted(p.loss_kwargs.items())  # doctest: +NORMALIZE_WHITESPACE
    [('covariance_weight', 0.0009765625), ('ddof', 2), ('invariance_weight', 0.01220703125),
     ('variance_eps', 0.0001), ('variance_penalty', 'hinge'), ('variance_weight', 0.0244140625)]
    >>> p.exact
    False
    """
    conv = get_convention(convention, method=method, version=version)
    w = _library_weights(conv, library_weights)
    if conv.method == "vicreg":
        if n_components is None:
            raise ValueError(
                "n_components is required for VICReg (the libraries average over the K components)"
            )
        k = _validation.check_int(n_components, name="n_components", minimum=1)
        w_inv, w_var, w_cov, eps = _vicreg_args(conv, w)
        alpha = 2.0 * _VICREG_SCALE[conv.name] * w_var / k
        kwargs = {
            "variance_weight": alpha,
            "covariance_weight": 2.0 * w_cov / k,
            "invariance_weight": w_inv / k,
            "variance_penalty": "hinge",
            "variance_eps": eps,
            "ddof": 2,
        }
        exact = w_var == 0 and w_cov == 0
        residual = (
            "exact (invariance term only)"
            if exact
            else "the invariance terms agree on every batch; the variance and covariance terms use the "
            "stacked covariance (ddof=2) where the library uses each branch's, and agree when both branches "
            "have equal column means and covariances: then equal when every variance is >= "
            "variance_floor, and -variance_weight * K * (sqrt(variance_floor + eps) - sqrt(eps)) = "
            f"{-alpha * k * (math.sqrt(1e-6 + eps) - math.sqrt(eps)):.6g} <= L_paper - L_lib <= 0 otherwise"
        )
        return PaperProblem("vicreg", conv, MappingProxyType(kwargs), 1.0, exact, residual)
    if conv.method == "barlow_twins":
        lam = w[conv.keywords[0]]
        scale = w.get("scale_loss", 1.0)
        kwargs = {"redundancy_weight": lam, "center": True}
        k_text = (
            "K"
            if n_components is None
            else str(_validation.check_int(n_components, name="n_components", minimum=1))
        )
        extra = (
            " This convention standardises the stacked 2B rows jointly: without its eps the difference is "
            "exactly lambda * sum_{k != l} a_kl^2, a = (c - c^T)/2, on every batch."
            if conv.name == "lightly>=1.4.17,<1.5.20"
            else ""
        )
        residual = (
            "the paper C is the symmetric part of the cross-correlation of the jointly standardised stacked "
            "batch. With equal per-branch column means and variances and a symmetric cross-product "
            f"z1c^T z2c: |L_lib - scale * L_paper| <= scale * (4 + 2 lambda ({k_text} - 1)) * sum_k delta_k, "
            "delta_k = 1 - var_k / d_k^2 (var_k biased, d_k the library's divisor of column k)." + extra
        )
        return PaperProblem("barlow_twins", conv, MappingProxyType(kwargs), scale, False, residual)
    kwargs = {"temperature": w["temperature"], "reduction": "mean"}
    return PaperProblem("simclr", conv, MappingProxyType(kwargs), 1.0, True, "exact on every batch")
