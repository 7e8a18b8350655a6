"""Random-feature maps and separable random projectors (spec/independence.md D4, §3.2, §4.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend, _validation

__all__ = ["RandomFeatureProjector", "random_feature_projector"]

_FAMILIES = ("rff", "rff_paired", "relu")
_SCALES = ("raw", "kernel")


def _check_family(family: Any) -> str:
    if family not in _FAMILIES:
        raise ValueError(f"family must be one of {', '.join(map(repr, _FAMILIES))}, received {family!r}")
    return family


def _draw_params(
    rng: np.random.Generator, n_in: int, n_features: int, family: str, sigma: float, rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Host draws of (frequencies or weights) ``(rows, n_in, n_draws)`` and offsets ``(rows, n_draws)``.

    ``rff``: ω ~ N(0, σ⁻²), β ~ U[0, 2π); ``rff_paired``: M/2 frequencies, no offset; ``relu``:
    w ~ N(0, σ⁻²), c ~ N(0, 1).
    """
    n_draws = n_features // 2 if family == "rff_paired" else n_features
    w = rng.standard_normal((rows, n_in, n_draws)) / sigma
    if family == "rff":
        b = rng.uniform(0.0, 2.0 * math.pi, (rows, n_draws))
    elif family == "relu":
        b = rng.standard_normal((rows, n_draws))
    else:
        b = np.zeros((rows, n_draws))
    return w, b


def _feature_map(u: Any, b: Any, family: str, scale: str, n_features: int, *, xp: ModuleType) -> Any:
    """ψ applied to pre-activations ``u = x·ω`` (..., n_draws) with offsets ``b``; scaled (D4)."""
    if family == "rff":
        s = math.sqrt(2.0) if scale == "raw" else math.sqrt(2.0 / n_features)
        return s * xp.cos(u + b)
    if family == "relu":
        s = 1.0 if scale == "raw" else 1.0 / math.sqrt(n_features)
        return s * xp.clip(u + b, min=0.0)
    s = 1.0 if scale == "raw" else 1.0 / math.sqrt(n_features // 2)
    return s * xp.concat([xp.cos(u), xp.sin(u)], axis=-1)


def _standardize_columns(h: Any, *, xp: ModuleType) -> Any:
    """Batch standardisation per column (mean, std with ddof 0; a zero std becomes 1)."""
    hc = h - xp.mean(h, axis=0, keepdims=True)
    std = xp.sqrt(xp.mean(hc * hc, axis=0, keepdims=True))
    return hc / xp.where(std > 0, std, xp.ones_like(std))


@dataclass(frozen=True, eq=False)
class RandomFeatureProjector:
    r"""A frozen random-feature projector :math:`g:\mathbb R^K\to\mathbb R^{D}` (spec §4.1, D4).

    Separable: :math:`g(h)=[\phi_1(h_1);\dots;\phi_K(h_K)]`, :math:`D=KM`, block ``k`` holds
    :math:`\phi_k(h_k)=s[\psi(h_k;\theta_{k,m})]_{m\le M}`. Dense (``separable=False``):
    :math:`g(h)=s[\psi(w_m^\top h+b_m)]_{m\le M}`, :math:`D=M`.

    Call it on ``H`` of shape (N, K) to get ``Z`` of shape (N, D) on ``H``'s backend and device.
    """

    K: int
    M: int
    family: str
    scale: str
    shared: bool = False
    separable: bool = True
    standardize: bool = True
    bandwidth: float = 1.0
    weights: np.ndarray = field(default=None, repr=False)
    offsets: np.ndarray = field(default=None, repr=False)

    @property
    def n_outputs(self) -> int:
        """Output dimension D."""
        return self.K * self.M if self.separable else self.M

    def block(self, k: int) -> slice:
        """Columns of block ``k`` (the features of coordinate ``k``) in the output."""
        if not self.separable:
            raise ValueError("a dense projector (separable=False) has no per-coordinate blocks")
        k = _validation.check_int(k, name="k", minimum=0, maximum=self.K - 1)
        return slice(k * self.M, (k + 1) * self.M)

    def __call__(self, h: Any, /) -> Any:
        xp = _backend.get_namespace(h)
        h = _validation.check_array(h, xp=xp, name="H", ndim=2)
        if h.shape[1] != self.K:
            raise ValueError(f"H must have K={self.K} columns, received shape {tuple(h.shape)}")
        if self.standardize:
            h = _standardize_columns(h, xp=xp)
        dev = _backend.device(h)
        w = xp.asarray(self.weights, dtype=h.dtype, device=dev)
        b = xp.asarray(self.offsets, dtype=h.dtype, device=dev)
        if not self.separable:
            u = h @ w[0, ...]  # (N, M')
            return _feature_map(u, b[0, :], self.family, self.scale, self.M, xp=xp)
        # separable: u[n, k, m] = h[n, k] * ω[k, m]
        u = h[:, :, None] * w[:, 0, :][None, :, :]
        z = _feature_map(u, b[None, :, :], self.family, self.scale, self.M, xp=xp)
        return xp.reshape(z, (h.shape[0], self.K * self.M))


def random_feature_projector(
    K: int,
    n_features: int,
    *,
    family: str = "rff",
    bandwidth: float = 1.0,
    scale: str = "raw",
    shared: bool = False,
    separable: bool = True,
    standardize: bool = True,
    seed: Any = 0,
) -> RandomFeatureProjector:
    r"""Draw a frozen random-feature projector (spec/independence.md D4, §3.2).

    .. math::

        g(h) = [\phi_1(h_1);\dots;\phi_K(h_K)],\qquad
        \phi_k(a) = s\,[\psi(a;\theta_{k,m})]_{m=1}^{M},

    with :math:`\psi(a;\omega,\beta)=\sqrt2\cos(\omega a+\beta)` (``"rff"``,
    :math:`\omega\sim N(0,\sigma^{-2})`, :math:`\beta\sim U[0,2\pi)`), :math:`(\cos\omega a,\sin\omega a)`
    on :math:`M/2` frequencies (``"rff_paired"``) or :math:`\max(0,wa+c)` (``"relu"``,
    :math:`w\sim N(0,\sigma^{-2})`, :math:`c\sim N(0,1)`). ``scale="raw"``: :math:`s=1`;
    ``"kernel"``: :math:`s=\#\text{draws}^{-1/2}`, so :math:`\phi(a)^\top\phi(b)\to\kappa(a,b)`.

    Parameters
    ----------
    K : int
        Input dimension (number of representation features).
    n_features : int
        :math:`M`, features per coordinate (separable) or in total (dense); even for ``"rff_paired"``.
    family : {"rff", "rff_paired", "relu"}
    bandwidth : float
        σ of the frequency distribution (default 1, on standardised inputs).
    scale : {"raw", "kernel"}
    shared : bool
        One draw of θ for every coordinate (default: independent draws per coordinate).
    separable : bool
        ``False`` gives a dense random layer on the whole vector (a documented failure mode, §4.5).
    standardize : bool
        Standardise each input column per batch (mean, std ddof 0; zero std → 1) before the map.
    seed : int or numpy.random.Generator

    Returns
    -------
    RandomFeatureProjector

    Raises
    ------
    ValueError, TypeError
        Bad family/scale, non-positive sizes or bandwidth, odd ``n_features`` for ``"rff_paired"``.

    Notes
    -----
    Spec §3.2, §4.1, §10 (``separable_rff``). Parameters are drawn on the host with NumPy and
    moved to the input's device at call time (D1). Cost of a call: :math:`O(NKM)` (separable).

    Examples
    --------
    >>> import numpy as np
    >>> g = random_feature_projector(3, 8, seed=0)
    >>> Z = g(np.random.default_rng(0).standard_normal((10, 3)))
    >>> Z.shape, g.block(1)
    ((10, 24), slice(8, 16, None))
    """
    K = _validation.check_int(K, name="K", minimum=1)
    n_features = _validation.check_int(n_features, name="n_features", minimum=1)
    family = _check_family(family)
    if scale not in _SCALES:
        raise ValueError(f"scale must be 'raw' or 'kernel', received {scale!r}")
    if family == "rff_paired" and n_features % 2:
        raise ValueError(f"n_features must be even for family='rff_paired', received {n_features}")
    sigma = _validation.check_positive(bandwidth, name="bandwidth")
    rng = np.random.default_rng(seed)
    if separable:
        rows = 1 if shared else K
        w, b = _draw_params(rng, 1, n_features, family, sigma, rows)
        if shared:
            w, b = np.repeat(w, K, axis=0), np.repeat(b, K, axis=0)
    else:
        w, b = _draw_params(rng, K, n_features, family, sigma, 1)
    return RandomFeatureProjector(
        K=K,
        M=n_features,
        family=family,
        scale=scale,
        shared=bool(shared),
        separable=bool(separable),
        standardize=bool(standardize),
        bandwidth=sigma,
        weights=w,
        offsets=b,
    )
