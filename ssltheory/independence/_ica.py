"""VCReg-ICA (Jacobi rotations on a separable random-feature objective), ICA metrics and data (§5, §8)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = [
    "ICAResult",
    "amari_distance",
    "make_ica_data",
    "make_pairwise_not_mutual",
    "mcc",
    "vcreg_ica",
    "whiten",
]

_SOURCES = ("laplace", "uniform", "mixed", "gauss", "bimodal", "exponential")
_OBJECTIVES = ("cross_block", "full_cov")
_PROJECTORS = ("separable_rff", "dense_relu")


@dataclass(frozen=True)
class ICAResult:
    """Result of :func:`vcreg_ica`.

    Attributes
    ----------
    sources : array (N, d)
        Estimated sources :math:`\\hat S = X_w R^\\top` (zero mean, unit covariance).
    unmixing : array (d, d)
        :math:`W = R W_h`: :math:`\\hat s = W(x-\\bar x)`.
    rotation : array (d, d)
        Orthogonal :math:`R`.
    whitening : array (d, d)
        Symmetric whitening matrix :math:`W_h`.
    objective : float
        The minimised objective at ``rotation`` (raw features, ddof 1).
    objectives_per_restart : tuple of float
    """

    sources: Any
    unmixing: Any
    rotation: Any
    whitening: Any
    objective: float
    objectives_per_restart: tuple[float, ...]


# --------------------------------------------------------------------------- whitening
def whiten(X: Any, /, *, ddof: int = 1) -> tuple[Any, Any]:
    r"""Symmetric (ZCA) whitening.

    .. math::

        C=\tfrac1{N-\mathrm{ddof}}X_c^\top X_c=V\Lambda V^\top,\qquad
        W_h=V\Lambda^{-1/2}V^\top,\qquad X_w=X_cW_h.

    Parameters
    ----------
    X : array of shape (N, d)
    ddof : {0, 1}

    Returns
    -------
    Xw : array (N, d)
        Centred data with identity covariance.
    W_h : array (d, d)
        Symmetric whitening matrix.

    Raises
    ------
    ValueError
        Non-finite input, fewer than ``d + 1`` rows, constant or collinear columns (singular
        covariance).

    Notes
    -----
    spec/independence.md §5, §10. Cost :math:`O(Nd^2+d^3)`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((100, 3)) @ np.array([[2., 1, 0], [0, 1, 0], [0, 0, 3]])
    >>> Xw, Wh = whiten(X)
    >>> bool(np.allclose(Xw.T @ Xw / 99, np.eye(3)))
    True
    """
    xp = _backend.get_namespace(X)
    ddof = _validation.check_int(ddof, name="ddof", minimum=0, maximum=1)
    X = _validation.check_array(X, xp=xp, name="X", ndim=2, min_rows=2)
    n, d = X.shape
    if n <= d:
        raise ValueError(f"X must have more samples than features to be whitened, received shape {(n, d)}")
    return _whiten(X, xp=xp, ddof=ddof)


def _whiten(X: Any, *, xp: ModuleType, ddof: int) -> tuple[Any, Any]:
    n, d = X.shape
    xc = X - xp.mean(X, axis=0, keepdims=True)
    var = xp.sum(xc * xc, axis=0)
    if bool(xp.any(var == 0)):
        col = int(xp.argmax(xp.astype(var == 0, xp.int8)))
        raise ValueError(f"X has a constant column ({col}); it cannot be whitened")
    c = xc.mT @ xc / float(n - ddof)
    w, v = xp.linalg.eigh((c + c.mT) / 2.0)
    if float(w[0]) <= 1e3 * d * float(xp.finfo(X.dtype).eps) * float(w[-1]):
        raise ValueError(
            f"X's covariance is singular (eigenvalues {float(w[0]):.3g} … {float(w[-1]):.3g}): "
            "its columns are collinear and it cannot be whitened"
        )
    wh = (v / xp.sqrt(w)) @ v.mT
    return xc @ wh, wh


# --------------------------------------------------------------------------- Jacobi on the RF objective
def _rff_centred(y: Any, w: Any, b: Any, *, xp: ModuleType) -> Any:
    """Centred raw RFF features of ``y`` (..., N), frequencies ``w`` (M,), offsets ``b`` (M,): (..., M, N)."""
    f = math.sqrt(2.0) * xp.cos(w[:, None] * y[..., None, :] + b[:, None])
    return f - xp.mean(f, axis=-1, keepdims=True)


def _dense_centred(y: Any, w: Any, b: Any, *, xp: ModuleType) -> Any:
    """Centred ReLU features of ``y`` (..., N, d) with weights ``w`` (d, M), biases ``b`` (M,)."""
    f = xp.clip(y @ w + b, min=0.0)
    return f - xp.mean(f, axis=-2, keepdims=True)


def _sq_norm(a: Any, *, xp: ModuleType) -> Any:
    return xp.sum(xp.sum(a * a, axis=-1), axis=-1)


def _offdiag_sq(c: Any, *, xp: ModuleType) -> Any:
    d = xp.linalg.diagonal(c)
    return _sq_norm(c, xp=xp) - xp.sum(d * d, axis=-1)


class _Problem:
    """The objective of D9 on whitened data, with Givens-rotation evaluation over many angles."""

    def __init__(self, xw: Any, w: Any, b: Any, *, xp: ModuleType, objective: str, projector: str) -> None:
        self.xw, self.w, self.b, self.xp = xw, w, b, xp
        self.objective, self.projector = objective, projector
        self.a = float(xw.shape[0] - 1)

    def value(self, y: Any) -> float:
        xp = self.xp
        if self.projector == "dense_relu":
            f = _dense_centred(y, self.w, self.b, xp=xp)
            c = f.mT @ f / self.a
            return float(_offdiag_sq(c, xp=xp))
        d = y.shape[1]
        f = math.sqrt(2.0) * xp.cos(
            xp.permute_dims(y, (1, 0))[:, :, None] * self.w[:, None, :] + self.b[:, None, :]
        )
        f = f - xp.mean(f, axis=1, keepdims=True)  # (d, N, M)
        flat = xp.reshape(xp.permute_dims(f, (1, 0, 2)), (y.shape[0], -1))
        c = flat.mT @ flat / self.a
        m = self.w.shape[-1]
        t = xp.sum(xp.reshape(c * c, (d, m, d, m)), axis=(1, 3))
        cross = float(xp.sum(t)) - float(xp.sum(xp.linalg.diagonal(t)))
        if self.objective == "cross_block":
            return cross
        return float(_offdiag_sq(c, xp=xp))

    def features(self, y: Any) -> list[Any]:
        xp = self.xp
        return [_rff_centred(y[:, k], self.w[k, :], self.b[k, :], xp=xp) for k in range(y.shape[1])]

    def jacobi(self, y: Any, r: Any, angles: np.ndarray, max_sweeps: int) -> tuple[Any, Any]:
        xp = self.xp
        dev = _backend.device(y)
        d = y.shape[1]
        cs = xp.asarray(np.cos(angles), dtype=y.dtype, device=dev)[:, None]
        sn = xp.asarray(np.sin(angles), dtype=y.dtype, device=dev)[:, None]
        zero_idx = int(np.argmin(np.abs(angles)))
        feats = self.features(y) if self.projector == "separable_rff" else None
        for _ in range(max_sweeps):
            moved = False
            for i in range(d - 1):
                for j in range(i + 1, d):
                    yi = cs * y[:, i][None, :] - sn * y[:, j][None, :]  # (A, N)
                    yj = sn * y[:, i][None, :] + cs * y[:, j][None, :]
                    if self.projector == "dense_relu":
                        val, new = self._dense_values(y, i, j, yi, yj), None
                    else:
                        val, new = self._rff_values(feats, i, j, yi, yj)
                    a = int(xp.argmin(val))
                    if a != zero_idx and float(val[a]) < float(val[zero_idx]):
                        moved = True
                        g = np.eye(d)
                        c, s = math.cos(angles[a]), math.sin(angles[a])
                        g[i, i], g[i, j], g[j, i], g[j, j] = c, -s, s, c
                        gx = xp.asarray(g, dtype=y.dtype, device=dev)
                        y = y @ gx.mT
                        r = gx @ r
                        if new is not None:
                            feats[i], feats[j] = new[0][a, ...], new[1][a, ...]
            if not moved:
                break
        return y, r

    def refine(
        self, y: Any, r: Any, *, half_width: float, max_sweeps: int, xatol: float = 1e-3
    ) -> tuple[Any, Any]:
        """Per-pair bounded Brent (SciPy) on the angle in ``[-half_width, half_width]``.

        Sweeps revisit only the pairs sharing a coordinate with a pair that moved (a pair just
        optimised is at its 1-D minimum). Each pair costs ~8 single-angle evaluations, against
        9 per sweep for a 9-angle grid whose resolution is only ``half_width / 4``.
        """
        from scipy.optimize import minimize_scalar

        xp = self.xp
        dev = _backend.device(y)
        d = y.shape[1]
        feats = self.features(y) if self.projector == "separable_rff" else None

        def pair_eval(theta: float, i: int, j: int) -> tuple[float, Any]:
            c, s = math.cos(theta), math.sin(theta)
            yi = (c * y[:, i] - s * y[:, j])[None, :]
            yj = (s * y[:, i] + c * y[:, j])[None, :]
            if self.projector == "dense_relu":
                return float(self._dense_values(y, i, j, yi, yj)[0]), None
            val, new = self._rff_values(feats, i, j, yi, yj)
            return float(val[0]), new

        dirty = {(i, j) for i in range(d - 1) for j in range(i + 1, d)}
        for _ in range(max_sweeps):
            moved = False
            for i in range(d - 1):
                for j in range(i + 1, d):
                    if (i, j) not in dirty:
                        continue
                    dirty.discard((i, j))
                    v0 = pair_eval(0.0, i, j)[0]
                    res = minimize_scalar(
                        lambda t, i=i, j=j: pair_eval(float(t), i, j)[0],
                        bounds=(-half_width, half_width),
                        method="bounded",
                        options={"xatol": xatol},
                    )
                    if not float(res.fun) < v0:
                        continue
                    moved = True
                    theta = float(res.x)
                    _, new = pair_eval(theta, i, j)
                    g = np.eye(d)
                    c, s = math.cos(theta), math.sin(theta)
                    g[i, i], g[i, j], g[j, i], g[j, j] = c, -s, s, c
                    gx = xp.asarray(g, dtype=y.dtype, device=dev)
                    y = y @ gx.mT
                    r = gx @ r
                    if new is not None:
                        feats[i], feats[j] = new[0][0, ...], new[1][0, ...]
                    dirty |= {
                        p
                        for p in ((a, b) for a in range(d - 1) for b in range(a + 1, d))
                        if p != (i, j) and (i in p or j in p)
                    }
            if not moved:
                break
        return y, r

    def _rff_values(self, feats: list[Any], i: int, j: int, yi: Any, yj: Any) -> tuple[Any, tuple[Any, Any]]:
        xp = self.xp
        # features laid out (A, M, N) so that every product is a plain (batched) GEMM
        fi = _rff_centred(yi, self.w[i, :], self.b[i, :], xp=xp)
        fj = _rff_centred(yj, self.w[j, :], self.b[j, :], xp=xp)
        val = _sq_norm(fi @ fj.mT, xp=xp)
        rest = [feats[k] for k in range(len(feats)) if k not in (i, j)]
        if rest:
            fr = xp.concat(rest, axis=0)  # ((d-2)M, N)
            val = val + _sq_norm(fi @ fr.mT, xp=xp) + _sq_norm(fj @ fr.mT, xp=xp)
        if self.objective == "full_cov":
            val = val + _offdiag_sq(fi @ fi.mT, xp=xp) + _offdiag_sq(fj @ fj.mT, xp=xp)
        return val, (fi, fj)

    def _dense_values(self, y: Any, i: int, j: int, yi: Any, yj: Any) -> Any:
        xp = self.xp
        w, b = self.w, self.b
        others = [k for k in range(y.shape[1]) if k not in (i, j)]
        pre = yi[..., None] * w[i, :] + yj[..., None] * w[j, :]  # (A, N, M)
        if others:
            pre = pre + (y[:, others[0] : others[0] + 1] @ w[others[0] : others[0] + 1, :])[None, ...]
            for k in others[1:]:
                pre = pre + (y[:, k : k + 1] @ w[k : k + 1, :])[None, ...]
        f = xp.clip(pre + b, min=0.0)
        f = f - xp.mean(f, axis=-2, keepdims=True)
        return _offdiag_sq(f.mT @ f, xp=xp)


def _random_orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def vcreg_ica(
    X: Any,
    /,
    *,
    n_features: int = 64,
    objective: str = "cross_block",
    projector: str = "separable_rff",
    n_angles: int = 24,
    n_sweeps: int = 6,
    refine: bool = True,
    n_restarts: int = 8,
    bandwidth: float = 1.0,
    seed: Any = 0,
) -> ICAResult:
    r"""Linear ICA by minimising VCReg's cross-block covariance on a separable random-feature projector.

    After whitening, :math:`y=R\tilde x` with :math:`R` orthogonal and
    :math:`Z=[\phi_1(y_1);\dots;\phi_d(y_d)]` (raw RFF, :math:`M` per coordinate, frozen):

    .. math::

        \min_R\ \sum_{k\ne l}\|C_{kl}(Z)\|_F^2=\sum_{k\ne l}\mathrm{HSIC}_{RF}(y_k,y_l)
        \quad(\text{objective}=\text{"cross\_block"}),

    or the full VCReg term :math:`\sum_{j\ne l}C_{jl}^2` (``"full_cov"``, a documented failure
    for sub-Gaussian sources). Pairwise independence suffices for linear ICA (Comon 1994), so
    :math:`RW_hA` is a scaled permutation at the optimum.

    Parameters
    ----------
    X : array of shape (N, d)
        Mixtures, one sample per row (:math:`x=As`).
    n_features : int
        :math:`M` (default 64).
    objective : {"cross_block", "full_cov"}
    projector : {"separable_rff", "dense_relu"}
        ``"dense_relu"``: a dense random ReLU layer of width :math:`M` with the full covariance
        objective (rotation-invariant in expectation: a documented failure, §4.5).
    n_angles : int
        Angles searched per pair and sweep, :math:`k\pi/(2\,\text{n_angles})`.
    n_sweeps : int
        Maximum Jacobi sweeps (stops when a sweep moves nothing).
    refine : bool
        Then, per pair, a bounded Brent search (SciPy, scalars on the host, evaluations on
        ``X``'s backend) over :math:`[-\pi/48,\pi/48]` to :math:`10^{-3}` rad; up to 3 sweeps,
        each revisiting only the pairs that share a coordinate with a pair that moved.
    n_restarts : int
        First from the identity, then random orthogonal; the lowest objective is kept.
    bandwidth : float
        σ of the frequencies :math:`\omega\sim N(0,\sigma^{-2})` (whitened inputs).
    seed : int or numpy.random.Generator

    Returns
    -------
    ICAResult

    Raises
    ------
    ValueError
        Bad options, non-finite input, singular covariance (constant/collinear columns).

    Notes
    -----
    spec/independence.md D9, §8, §10 (``jacobi``). Cost per sweep
    :math:`O(d^2\,A\,N M^2 d)` with :math:`A` angles; everything runs on ``X``'s backend.

    Examples
    --------
    >>> from ssltheory.independence import make_ica_data, amari_distance
    >>> X, S, A = make_ica_data(1000, 2, sources="laplace", seed=0)
    >>> res = vcreg_ica(X, n_features=32, n_restarts=2)
    >>> amari_distance(res.unmixing, A) < 0.1
    True
    """
    xp = _backend.get_namespace(X)
    if objective not in _OBJECTIVES:
        raise ValueError(f"objective must be 'cross_block' or 'full_cov', received {objective!r}")
    if projector not in _PROJECTORS:
        raise ValueError(f"projector must be 'separable_rff' or 'dense_relu', received {projector!r}")
    n_features = _validation.check_int(n_features, name="n_features", minimum=1)
    n_angles = _validation.check_int(n_angles, name="n_angles", minimum=2)
    n_sweeps = _validation.check_int(n_sweeps, name="n_sweeps", minimum=1)
    n_restarts = _validation.check_int(n_restarts, name="n_restarts", minimum=1)
    sigma = _validation.check_positive(bandwidth, name="bandwidth")
    X = _validation.check_array(X, xp=xp, name="X", ndim=2, min_rows=2)
    n, d = X.shape
    if d < 2:
        raise ValueError(f"X must have at least 2 columns (mixtures), received shape {(n, d)}")
    if n <= d:
        raise ValueError(f"X must have more samples than features, received shape {(n, d)}")
    xw, wh = _whiten(X, xp=xp, ddof=1)
    rng = np.random.default_rng(seed)
    dev = _backend.device(X)
    if projector == "separable_rff":
        w_h = rng.standard_normal((d, n_features)) / sigma
        b_h = rng.uniform(0.0, 2.0 * math.pi, (d, n_features))
        obj = objective
    else:
        w_h = rng.standard_normal((d, n_features)) / sigma
        b_h = rng.standard_normal(n_features)
        obj = "full_cov"
    prob = _Problem(
        xw,
        xp.asarray(w_h, dtype=X.dtype, device=dev),
        xp.asarray(b_h, dtype=X.dtype, device=dev),
        xp=xp,
        objective=obj,
        projector=projector,
    )
    coarse = np.arange(n_angles) * (math.pi / (2 * n_angles))
    best = None
    values = []
    for restart in range(n_restarts):
        r0 = np.eye(d) if restart == 0 else _random_orthogonal(rng, d)
        r = xp.asarray(r0, dtype=X.dtype, device=dev)
        y = xw @ r.mT
        y, r = prob.jacobi(y, r, coarse, n_sweeps)
        if refine:
            y, r = prob.refine(y, r, half_width=math.pi / 48, max_sweeps=3)
        val = prob.value(y)
        values.append(val)
        if best is None or val < best[0]:
            best = (val, y, r)
    val, y, r = best
    return ICAResult(
        sources=y,
        unmixing=r @ wh,
        rotation=r,
        whitening=wh,
        objective=val,
        objectives_per_restart=tuple(values),
    )


# --------------------------------------------------------------------------- metrics
def amari_distance(W: Any, A: Any = None, /, *, variant: str = "normalized") -> float:
    r"""Amari distance of :math:`P=WA` (or of ``W``) from a scaled permutation.

    .. math::

        d_A=\frac{1}{2d(d-1)}\Big[\sum_i\Big(\sum_j\frac{|p_{ij}|}{\max_k|p_{ik}|}-1\Big)
        +\sum_j\Big(\sum_i\frac{|p_{ij}|}{\max_k|p_{kj}|}-1\Big)\Big]\in[0,1]

    (``"normalized"``); ``"picard"``: :math:`(s(|P|)+s(|P^\top|))/(2d)`,
    :math:`s(r)=\sum_i(\sum_jr_{ij}^2/\max_jr_{ij}^2-1)`, in :math:`[0,d-1]`.

    Parameters
    ----------
    W : array (d, d)
        Unmixing matrix (or :math:`P` itself when ``A`` is omitted).
    A : array (d, d), optional
        Mixing matrix.
    variant : {"normalized", "picard"}

    Returns
    -------
    float
        0 iff :math:`P=P_\pi\Lambda`; invariant to row/column permutations, sign flips and
        transposition of ``P`` (not to general scalings of a non-permutation ``P``).

    Raises
    ------
    ValueError
        Non-square or mismatched shapes, ``d < 2``, non-finite input, a zero row or column.

    Notes
    -----
    spec/independence.md §6.4, D11; invariances checked in ``proofs_checks/test_amari_invariances.py``.
    Cost :math:`O(d^3)`.

    Examples
    --------
    >>> import numpy as np
    >>> amari_distance(np.array([[0.0, 2.0], [-3.0, 0.0]]))
    0.0
    """
    xp = _backend.get_namespace(W, A)
    if variant not in ("normalized", "picard"):
        raise ValueError(f"variant must be 'normalized' or 'picard', received {variant!r}")
    W = _validation.check_array(W, xp=xp, name="W", ndim=2)
    p = W
    if A is not None:
        A = _validation.check_array(A, xp=xp, name="A", ndim=2)
        if W.shape[1] != A.shape[0]:
            raise ValueError(
                f"W @ A needs W.shape[1] == A.shape[0], received {tuple(W.shape)} and {tuple(A.shape)}"
            )
        p = W @ A
    if p.shape[0] != p.shape[1] or p.shape[0] < 2:
        raise ValueError(f"P = W @ A must be square with d >= 2, received shape {tuple(p.shape)}")
    d = p.shape[0]
    p = xp.abs(p)
    rmax, cmax = xp.max(p, axis=1), xp.max(p, axis=0)
    if bool(xp.any(rmax == 0)) or bool(xp.any(cmax == 0)):
        raise ValueError("P = W @ A has a zero row or column: it is singular and has no Amari distance")
    if variant == "normalized":
        r = xp.sum(p / rmax[:, None], axis=1) - 1.0
        c = xp.sum(p / cmax[None, :], axis=0) - 1.0
        return float(xp.sum(r) + xp.sum(c)) / (2.0 * d * (d - 1))
    p2 = p * p
    s_rows = xp.sum(xp.sum(p2, axis=1) / (rmax * rmax) - 1.0)
    s_cols = xp.sum(xp.sum(p2, axis=0) / (cmax * cmax) - 1.0)
    return float(s_rows + s_cols) / (2.0 * d)


def mcc(S_hat: Any, S: Any, /, *, method: str = "pearson") -> float:
    r"""Mean correlation coefficient between estimated and true sources after the best matching.

    .. math::

        \mathrm{MCC}=\max_\pi\frac1d\sum_i|\rho(\hat s_i,s_{\pi(i)})|,

    :math:`\rho` Pearson (or Spearman) correlation; the assignment is solved on the host
    (SciPy ``linear_sum_assignment``).

    Parameters
    ----------
    S_hat, S : arrays of shape (N, d)
    method : {"pearson", "spearman"}

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        Shapes that differ, non-finite input, constant columns.

    Notes
    -----
    spec/independence.md §6.4, D12. Cost :math:`O(Nd^2+d^3)`.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).standard_normal((100, 3))
    >>> mcc(-2 * S[:, ::-1], S)
    1.0
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.stats import rankdata

    xp = _backend.get_namespace(S_hat, S)
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', received {method!r}")
    S_hat = _validation.check_array(S_hat, xp=xp, name="S_hat", ndim=2, min_rows=2)
    S = _validation.check_array(S, xp=xp, name="S", ndim=2, min_rows=2)
    _validation.check_same_shape(S_hat, S, names=("S_hat", "S"))
    a, b = _backend.to_numpy(S_hat), _backend.to_numpy(S)  # a metric: computed on the host
    if method == "spearman":
        a, b = rankdata(a, axis=0), rankdata(b, axis=0)
    a = a - a.mean(0)
    b = b - b.mean(0)
    na, nb = np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0)
    if np.any(na == 0) or np.any(nb == 0):
        raise ValueError("S_hat and S must not have constant columns (their correlation is undefined)")
    corr = np.abs((a / na).T @ (b / nb))
    rows, cols = linear_sum_assignment(-corr)
    return float(min(1.0, corr[rows, cols].mean()))


# --------------------------------------------------------------------------- data
def _draw_source(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "laplace":
        return rng.laplace(size=n)
    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, n)
    if kind == "bimodal":
        return rng.choice([-1.0, 1.0], n) + 0.3 * rng.standard_normal(n)
    if kind == "exponential":
        return rng.exponential(size=n)
    return rng.standard_normal(n)


def make_ica_data(
    n: int, d: int, *, sources: str = "laplace", seed: Any = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Linear ICA data :math:`X=SA^\top` (spec §8 setup).

    .. math::

        x = As,\qquad A_{ij}\sim N(0,1),\qquad s_j\ \text{independent, standardised}.

    Parameters
    ----------
    n, d : int
        Samples and dimension.
    sources : {"laplace", "uniform", "mixed", "gauss", "bimodal", "exponential"}
        ``"mixed"`` cycles through uniform, Laplace, bimodal (:math:`\pm1+0.3N(0,1)`) and
        exponential.
    seed : int or numpy.random.Generator

    Returns
    -------
    X : ndarray (n, d)
        Mixtures (host NumPy; convert with ``xp.asarray``).
    S : ndarray (n, d)
        Standardised sources (mean 0, std 1 with ddof 0).
    A : ndarray (d, d)
        Mixing matrix.

    Raises
    ------
    ValueError
        Unknown source family, ``n < 2`` or ``d < 1``.

    Notes
    -----
    spec/independence.md §8. Cost :math:`O(nd^2)`.

    Examples
    --------
    >>> X, S, A = make_ica_data(500, 3, sources="mixed", seed=0)
    >>> X.shape, S.shape, A.shape
    ((500, 3), (500, 3), (3, 3))
    """
    n = _validation.check_int(n, name="n", minimum=2)
    d = _validation.check_int(d, name="d", minimum=1)
    if sources not in _SOURCES:
        raise ValueError(f"sources must be one of {', '.join(map(repr, _SOURCES))}, received {sources!r}")
    rng = np.random.default_rng(seed)
    cycle = ("uniform", "laplace", "bimodal", "exponential")
    kinds = [cycle[j % 4] if sources == "mixed" else sources for j in range(d)]
    s = np.stack([_draw_source(rng, k, n) for k in kinds], axis=1)
    s = (s - s.mean(0)) / s.std(0)
    a = rng.standard_normal((d, d))
    return s @ a.T, s, a


def make_pairwise_not_mutual(n: int, *, seed: Any = 0) -> np.ndarray:
    r"""Three pairwise independent but jointly dependent variables (spec §4.3).

    .. math::

        h_1,h_2,\varepsilon\sim N(0,1)\ \text{i.i.d.},\qquad h_3=\operatorname{sign}(h_1h_2)\,|\varepsilon|.

    Every pair is independent (each :math:`h_j` is N(0,1) given any other), but
    :math:`\operatorname{sign}(h_1h_2h_3)=1` always, so dHSIC > 0.

    Parameters
    ----------
    n : int
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray of shape (n, 3) (host NumPy)

    Raises
    ------
    ValueError
        ``n < 2``.

    Notes
    -----
    spec/independence.md §4.3, T7. Cost :math:`O(n)`.

    Examples
    --------
    >>> import numpy as np
    >>> h = make_pairwise_not_mutual(1000, seed=0)
    >>> bool(np.all(np.prod(np.sign(h), axis=1) >= 0))
    True
    """
    n = _validation.check_int(n, name="n", minimum=2)
    rng = np.random.default_rng(seed)
    h1, h2, eps = rng.standard_normal((3, n))
    return np.stack([h1, h2, np.sign(h1 * h2) * np.abs(eps)], axis=1)
