r"""Global optimum of VICReg with the hinge on the standard deviation (the loss people train).

.. math::

    \mathcal L(Z)=\alpha\sum_kh(C_{kk})+\beta\sum_{k\ne l}C_{kl}^2+2\gamma'\,\frac{\mathrm{Tr}(Z^\top LZ)}{M},
    \qquad h(c)=\Big(1-\sqrt{\max(c,f)+\epsilon}\Big)_+,\quad C=\frac{Z^\top HZ}{M},

:math:`f` the variance floor, :math:`\epsilon` the library's constant inside the square root
(:math:`\epsilon=0`: the paper's listing with a clamp; :math:`f\to0`: the libraries'
``relu(1 - sqrt(var + eps))``). Write :math:`\tau=1-\epsilon` (where :math:`h` reaches 0) and
:math:`c_k=2\gamma'\lambda_k` with :math:`\lambda_1\le\lambda_2\le\dots` the available eigenvalues
(``inf`` = no direction left, e.g. :math:`K>N-1`).

**Reduction (exact).** With :math:`HZ=\sqrt M\,U\mathrm{diag}(\sqrt\sigma)V^\top`, :math:`U`
orthonormal in :math:`\mathbf 1^\perp` and :math:`\sigma` descending, :math:`C=V\mathrm{diag}(\sigma)
V^\top` and the invariance term is :math:`\sum_k c_k'\sigma_k` with :math:`c'_k=2\gamma'u_k^\top Lu_k`.
By Ky Fan and Abel summation it is at least :math:`\sum_k\sigma_kc_k`, with equality for the bottom
eigenvectors. By Schur–Horn the diagonal :math:`d` of :math:`C` ranges exactly over the vectors
majorised by :math:`\sigma`. So the problem over :math:`Z` is

.. math::

    \min_{\sigma\ge0,\ d\prec\sigma}\ \sum_k\varphi(d_k)+\beta\lVert\sigma\rVert^2+\sum_k\sigma_kc_k,
    \qquad\varphi(x)=\alpha h(x)-\beta x^2 .\tag{R}

**Facts** (checked symbolically in ``proofs_checks/test_vicreg_hinge_reduction.py``):

1. *Normalisation.* Shrinking a column with :math:`C_{kk}>\tau` to :math:`C_{kk}=\tau`, or zeroing
   one with :math:`C_{kk}<f`, leaves :math:`h` unchanged and scales that column's covariances and
   invariance down: optima with every :math:`d_k\in\{0\}\cup[f,\tau]` exist.
2. *At most r non-zeros.* If :math:`d` has :math:`r` non-zero entries, :math:`d\prec\sigma` forces
   the top-:math:`r` sum of :math:`\sigma` to be the total: :math:`\sigma` has at most :math:`r`
   non-zeros. Then :math:`\beta\lVert\sigma\rVert^2+\sigma\cdot c\ge W_r(\Sigma d)`, the
   water-filling value :math:`W_r(s)=\min\{\beta\lVert\sigma\rVert^2+\sigma\cdot c:\ \sigma\ge0,
   \ \sum\sigma=s,\ \sigma\text{ on the first }\min(r,p)\text{ positions}\}=(a\mu^2-Q_a)/(4\beta)`
   (:math:`\mu` the water level, :math:`a` the active count, :math:`Q_a=\sum_{k\le a}c_k^2`).
3. *Jensen.* With :math:`\check\varphi` the convex envelope of :math:`\varphi` on :math:`[f,\tau]`
   and :math:`t` the mean non-zero entry, :math:`\sum_k\varphi(d_k)\ge r\check\varphi(t)+(K-r)
   \varphi_0`, :math:`\varphi_0=\alpha h(0)`. Both bounds are attained together by
   :math:`d=(t\mathbf 1_r,0)` and the water-filled :math:`\sigma` whenever
   :math:`\check\varphi=\varphi`, i.e. when :math:`\varphi''(x)=\alpha/(4(x+\epsilon)^{3/2})-2\beta
   \ge0` on :math:`[f,\tau]`: **iff** :math:`\alpha\ge8\beta`. The paper's weights
   (:math:`\alpha/\beta=12.5`, or 25 in solo-learn's averaging) are in that regime: there (R) is
   solved exactly by :math:`K+1` one-dimensional convex problems, one per :math:`r`.
4. *One sign change.* For a block of :math:`m` columns with constant diagonal :math:`t`,
   :math:`\frac{d}{dt}[m\varphi(t)+W(mt)]=m(\mu(mt)+\varphi'(t))` and
   :math:`\sqrt{t+\epsilon}\,(\mu(mt)+\varphi'(t))=\sqrt{t+\epsilon}\,(\mu(mt)-2\beta t)-\alpha/2`
   is non-decreasing (:math:`\mu(mt)-2\beta t=2\beta t(m/a-1)+P_a/a\ge0` grows on each
   water-filling piece): bisection finds the minimiser for every :math:`\alpha,\beta`.

For :math:`\alpha<8\beta` the optimum can mix diagonal levels; the lower bound of facts 2–3 still
holds, the returned point is the best of a dynamic programme over contiguous blocks (each
collapsed or with one constant diagonal) and a local polish of (R), and ``certified`` says whether
it meets the bound.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend
from ssltheory._warnings import NotConvergedWarning

# private module: used by the VICReg solvers
__all__ = ["Reduced", "equal_rotation", "hinge_optimum", "loss_at", "solve_reduced"]

_BISECT = 100  # bisection halvings of [f, τ]: 2^-100 is far below double precision
_CERT_RTOL = 1e-9  # certified when (value - lower bound) <= 1e-9 max(1, |value|): bisection is ~1e-15


@dataclass(frozen=True)
class Reduced:
    """Solution of (R): ``C = rotationᵀ diag(sigma) rotation`` has diagonal ``diagonal``."""

    sigma: np.ndarray
    rotation: np.ndarray | None
    diagonal: np.ndarray
    value: float
    lower_bound: float
    certified: bool


@dataclass(frozen=True)
class _Hinge:
    alpha: float
    beta: float
    floor: float
    eps: float

    @property
    def top(self) -> float:
        return 1.0 - self.eps

    @property
    def phi0(self) -> float:
        return self.alpha * (1.0 - math.sqrt(self.floor + self.eps))

    def h(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - np.sqrt(np.clip(x, self.floor, self.top) + self.eps)

    def phi(self, x: np.ndarray) -> np.ndarray:
        return self.alpha * self.h(x) - self.beta * x**2

    def dphi(self, x: np.ndarray) -> np.ndarray:  # on [f, τ] (left derivative at τ)
        return -self.alpha / (2.0 * np.sqrt(x + self.eps)) - 2.0 * self.beta * x

    def envelope(self) -> tuple[float, float]:
        """Convex envelope of φ on [f, τ]: φ on [f, x₁], then the chord to τ (slope returned)."""
        a, b, f, top = self.alpha, self.beta, self.floor, self.top
        if a >= 8.0 * b:
            return top, float(self.dphi(np.array(top)))
        xc = min(max((a / (8.0 * b)) ** (2.0 / 3.0) - self.eps, f), top)  # φ'' = 0: convex below
        p_top = float(self.phi(np.array(top)))

        def q(x: float) -> float:  # tangent at x meets (τ, φ(τ)) iff q(x) = 0; q grows on [f, xc]
            xa = np.array(x)
            return float(self.phi(xa) + self.dphi(xa) * (top - x)) - p_top

        lo, hi = f, xc
        if q(lo) >= 0.0:
            hi = lo
        for _ in range(_BISECT):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if q(mid) < 0.0 else (lo, mid)
        x1 = hi
        if x1 >= top:
            return top, float(self.dphi(np.array(top)))
        return x1, (p_top - float(self.phi(np.array(x1)))) / (top - x1)


class _Water:
    """Water-filling ``min β‖σ‖² + σ·c, σ ≥ 0, Σσ = s`` on ascending finite costs ``c``."""

    def __init__(self, c: np.ndarray, beta: float) -> None:
        self.c, self.beta = c, beta
        self.prefix = np.concatenate([[0.0], np.cumsum(c)])
        self.squares = np.concatenate([[0.0], np.cumsum(c**2)])
        j = np.arange(c.shape[0], dtype=float)
        # total mass at which the level reaches c_j; non-decreasing since c ascends
        self.breaks = np.maximum.accumulate((j * c - self.prefix[:-1]) / (2.0 * beta))

    def level(self, s: np.ndarray, cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Water level μ and active count for masses ``s`` with at most ``cap`` positions."""
        a = np.minimum(np.searchsorted(self.breaks, s, side="left"), cap)
        a = np.maximum(a, 1)
        return (2.0 * self.beta * s + self.prefix[a]) / a, a

    def value(self, s: np.ndarray, cap: np.ndarray) -> np.ndarray:
        mu, a = self.level(s, cap)
        return (a * mu**2 - self.squares[a]) / (4.0 * self.beta)

    def sigma(self, s: float, cap: int) -> np.ndarray:
        mu, a = self.level(np.array([s]), np.array([cap]))
        out = np.zeros(self.c.shape[0])
        out[: int(a[0])] = (float(mu[0]) - self.c[: int(a[0])]) / (2.0 * self.beta)
        return np.clip(out, 0.0, None)


def _block_minimum(
    water: _Water, m: np.ndarray, cap: np.ndarray, hinge: _Hinge, slope: Any, psi: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Minimiser ``t ∈ [f, τ]`` and value of ``m ψ(t) + W(m t)`` per block (fact 4: bisection)."""
    f, top = hinge.floor, hinge.top

    def sign(t: np.ndarray) -> np.ndarray:
        return water.level(m * t, cap)[0] + slope(t)

    lo = np.full(m.shape, f)
    hi = np.full(m.shape, top)
    at_top = sign(hi) <= 0.0
    at_floor = sign(lo) >= 0.0
    for _ in range(_BISECT):
        mid = 0.5 * (lo + hi)
        neg = sign(mid) < 0.0
        lo = np.where(neg, mid, lo)
        hi = np.where(neg, hi, mid)
    t = np.where(at_top, top, np.where(at_floor, f, 0.5 * (lo + hi)))
    return t, m * psi(t) + water.value(m * t, cap)


def equal_rotation(c: np.ndarray) -> np.ndarray:
    """Orthogonal ``R`` with ``diag(Rᵀ diag(c) R) = mean(c)``: at most K − 1 Givens rotations.

    Each step rotates the largest and the smallest open diagonal entries so that one of them
    becomes the mean, then closes it; only two rows and columns change, so the sweep costs
    :math:`O(K^2)` (a dense product per step would cost :math:`O(K^4)`).
    """
    c = np.asarray(c, dtype=float)
    k = c.shape[0]
    a = np.diag(c)
    r = np.eye(k)
    if k <= 1:
        return r
    t = float(np.mean(c))
    tol = 4.0 * k * np.finfo(float).eps * max(1.0, float(np.max(np.abs(c))))
    d = c.copy()  # the open diagonal entries (closed ones: nan)
    for _ in range(k - 1):
        i, j = int(np.nanargmax(d)), int(np.nanargmin(d))
        aii, ajj, aij = a[i, i] - t, a[j, j] - t, a[i, j]
        if aii <= tol:
            break
        # root of (A_jj - t)θ² + 2 A_ij θ + (A_ii - t) = 0 in the cancellation-free form
        disc = math.sqrt(max(aij * aij - ajj * aii, 0.0))  # > 0 since (A_ii - t)(A_jj - t) < 0
        theta = -aii / ((aij + math.copysign(disc, aij)) if aij != 0 else disc)
        co = 1.0 / math.sqrt(1.0 + theta * theta)
        si = theta * co
        for m in (a, r):  # columns: M ← M Q
            ci, cj = m[:, i].copy(), m[:, j].copy()
            m[:, i], m[:, j] = co * ci + si * cj, co * cj - si * ci
        ri, rj = a[i, :].copy(), a[j, :].copy()  # rows: A ← Qᵀ A
        a[i, :], a[j, :] = co * ri + si * rj, co * rj - si * ri
        d[i], d[j] = np.nan, a[j, j]
    return r


def loss_at(sigma: np.ndarray, rotation: np.ndarray, lam: np.ndarray, hinge: _Hinge, gamma_p: float) -> float:
    """Loss of ``Z = U diag(√(Mσ)) R`` (σ_k on the eigenvector of λ_k): (R) with the pairing as given."""
    c_mat = rotation.T @ (sigma[:, None] * rotation)
    d = np.diag(c_mat)
    off = float(np.sum(c_mat**2) - np.sum(d**2))
    used = sigma > 0
    inv = 2.0 * gamma_p * float(np.sum(sigma[used] * lam[used]))
    return float(hinge.alpha * np.sum(hinge.h(d)) + hinge.beta * max(off, 0.0) + inv)


def _prefix_solution(lam: np.ndarray, hinge: _Hinge, gamma_p: float, *, envelope: bool):
    """Best ``r`` of fact 3: returns (value per r = 0..K, t per r, water) with ψ = φ or its envelope."""
    k = lam.shape[0]
    p = int(np.sum(np.isfinite(lam)))
    values = np.full(k + 1, k * hinge.phi0)
    ts = np.zeros(k + 1)
    water = _Water(2.0 * gamma_p * lam[:p], hinge.beta)
    if p == 0:
        return values, ts, water
    if envelope:
        x1, s1 = hinge.envelope()
        p1 = float(hinge.phi(np.array(x1)))

        def slope(t):
            return np.where(t <= x1, hinge.dphi(np.minimum(t, x1)), s1)

        def psi(t):
            return np.where(t <= x1, hinge.phi(t), p1 + s1 * (t - x1))
    else:
        slope, psi = hinge.dphi, hinge.phi
    r = np.arange(1, k + 1)
    t, val = _block_minimum(water, r.astype(float), np.minimum(r, p), hinge, slope, psi)
    values[1:] = val + (k - r) * hinge.phi0
    ts[1:] = t
    return values, ts, water


def solve_reduced(
    lam: np.ndarray,
    *,
    alpha: float,
    beta: float,
    gamma_p: float,
    floor: float,
    eps: float,
    rotation: bool = True,
) -> Reduced:
    r"""Solve (R) for eigenvalues ``lam`` (ascending; ``inf`` = direction not available).

    Cost: :math:`O(K\log K)` per bisection step for :math:`\alpha\ge8\beta` (exact, certified),
    plus :math:`O(K^2)` for the rotation; otherwise :math:`O(K^2\log K)` per step for the
    :math:`K(K+1)/2` blocks plus a local L-BFGS polish (:math:`O(K^3)` per iteration).
    ``rotation=False`` (convex case only) skips the rotation: ``rotation`` is then ``None``.
    """
    lam = np.asarray(lam, dtype=float)
    k = lam.shape[0]
    p = int(np.sum(np.isfinite(lam)))
    hinge = _Hinge(alpha, beta, floor, eps)
    values, ts, water = _prefix_solution(lam, hinge, gamma_p, envelope=False)
    r = int(np.argmin(values))
    sigma, diag = np.zeros(k), np.zeros(k)
    if r:
        sigma[:p] = water.sigma(r * ts[r], min(r, p))
        diag[:r] = ts[r]
    convex = alpha >= 8.0 * beta
    if convex:  # facts 2-4: values[r] is the global minimum and (sigma, diag) attain it
        rot = None
        if rotation:
            rot = np.eye(k)
            rot[:r, :r] = equal_rotation(sigma[:r])
        value = float(values[r])
        return Reduced(sigma, rot, diag, value, value, True)
    rot = np.eye(k)
    rot[:r, :r] = equal_rotation(sigma[:r])
    lower = float(np.min(_prefix_solution(lam, hinge, gamma_p, envelope=True)[0]))
    if p:
        sigma, rot, diag = _nonconvex(lam, hinge, gamma_p, (sigma, rot, diag))
    value = loss_at(sigma, rot, lam, hinge, gamma_p)
    lower = min(lower, value)
    certified = value - lower <= _CERT_RTOL * max(1.0, abs(value))
    return Reduced(sigma, rot, diag, value, lower, bool(certified))


def _nonconvex(lam: np.ndarray, hinge: _Hinge, gamma_p: float, start: tuple):
    """α < 8β: the best of the single prefix block, contiguous blocks (DP) and a local polish."""
    k = lam.shape[0]
    p = int(np.sum(np.isfinite(lam)))
    c = 2.0 * gamma_p * lam[:p]
    cost = np.full((k + 1, k + 1), np.inf)  # cost[a, b] of block [a, b)
    tees = np.zeros((k + 1, k + 1))
    for a in range(k):
        sizes = np.arange(1, k - a + 1)
        cost[a, a + 1 :] = sizes * hinge.phi0  # collapsed
        if a < p:
            water = _Water(c[a:], hinge.beta)
            t, val = _block_minimum(
                water, sizes.astype(float), np.minimum(sizes, p - a), hinge, hinge.dphi, hinge.phi
            )
            better = val < cost[a, a + 1 :]
            cost[a, a + 1 :] = np.where(better, val, cost[a, a + 1 :])
            tees[a, a + 1 :] = np.where(better, t, 0.0)
    best = np.full(k + 1, np.inf)
    best[0] = 0.0
    arg = np.zeros(k + 1, dtype=int)
    for b in range(1, k + 1):
        cand = best[:b] + cost[:b, b]
        arg[b] = int(np.argmin(cand))
        best[b] = cand[arg[b]]
    sigma, rot, diag = np.zeros(k), np.eye(k), np.zeros(k)
    b = k
    while b > 0:
        a = arg[b]
        if tees[a, b] > 0 and a < p:
            q = min(b, p)
            sigma[a:q] = _Water(c[a:], hinge.beta).sigma((b - a) * tees[a, b], q - a)[: q - a]
            rot[a:b, a:b] = equal_rotation(sigma[a:b])
            diag[a:b] = tees[a, b]
        b = a
    candidates = [start, (sigma, rot, diag)]
    values = [loss_at(s, r, lam, hinge, gamma_p) for s, r, _ in candidates]
    best_start = candidates[int(np.argmin(values))]
    polished = _polish(best_start, lam, hinge, gamma_p)
    candidates.append(polished)
    values.append(loss_at(polished[0], polished[1], lam, hinge, gamma_p))
    return candidates[int(np.argmin(values))]


def _polish(start: tuple, lam: np.ndarray, hinge: _Hinge, gamma_p: float, maxiter: int = 500) -> tuple:
    """Local L-BFGS on ``C = AAᵀ`` (A: K × p), from a slightly rotated start (block-constant
    points are saddles of (R) that a gradient method started exactly there cannot leave)."""
    from scipy.optimize import minimize

    sigma0, rot0, _ = start
    k = lam.shape[0]
    p = int(np.sum(np.isfinite(lam)))
    lam_p = lam[:p]
    c0 = rot0.T @ (sigma0[:, None] * rot0)
    w, q = np.linalg.eigh(c0)
    a0 = q[:, ::-1][:, :p] * np.sqrt(np.clip(w[::-1][:p], 0.0, None))[None, :]
    ang = 0.05 * np.sin(np.arange(k * k, dtype=float)).reshape(k, k)
    a0 = np.linalg.qr(np.eye(k) + ang - ang.T)[0] @ a0
    f, top, al, be = hinge.floor, hinge.top, hinge.alpha, hinge.beta

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        a = x.reshape(k, p)
        cm = a @ a.T
        d = np.diag(cm)
        inside = (d >= f) & (d <= top)
        ev, vec = np.linalg.eigh(cm)
        ev, vec = ev[::-1][:p], vec[:, ::-1][:, :p]
        val = al * np.sum(hinge.h(d)) + be * (np.sum(cm**2) - np.sum(d**2))
        val = val + 2.0 * gamma_p * np.sum(ev * lam_p)
        g = 2.0 * be * (cm - np.diag(d)) + 2.0 * gamma_p * (vec * lam_p[None, :]) @ vec.T
        g = g + np.diag(np.where(inside, -al / (2.0 * np.sqrt(np.clip(d, f, top) + hinge.eps)), 0.0))
        return float(val), (2.0 * g @ a).ravel()

    res = minimize(fg, a0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
    a = res.x.reshape(k, p)
    cm = a @ a.T
    scale = np.sqrt(top / np.maximum(np.diag(cm), top))  # fact 1: never increases (R)
    cm = cm * scale[:, None] * scale[None, :]
    small = np.diag(cm) < f
    cm[small, :] = 0.0
    cm[:, small] = 0.0
    w, q = np.linalg.eigh(cm)
    order = np.argsort(-w, kind="stable")
    sigma = np.clip(w[order], 0.0, None)
    sigma[p:] = 0.0
    return sigma, q[:, order].T, np.diag(cm).copy()


def hinge_optimum(
    lam: Any,
    k: int,
    *,
    alpha: float,
    beta: float,
    gamma_p: float,
    floor: float,
    eps: float,
    xp: ModuleType,
    rotation: bool = True,
    stacklevel: int = 4,
) -> tuple[Any, Any, float, int]:
    """``(c, R, loss, cut)`` for the kept eigenvalues ``lam`` (backend array, ascending, length <= k).

    ``Z = U diag(√(M c)) R``; ``cut`` = 1 + the last position with ``c > 0`` (0 if collapsed), for
    the tie check. The reduced problem has K numbers: they are solved on the host and ``c``, ``R``
    (K and K² numbers) go back to ``lam``'s device; nothing of size N moves. ``rotation=False``
    returns ``R = None`` where it can skip it (see :func:`solve_reduced`).
    """
    host = np.full(k, np.inf)
    k_eff = lam.shape[0]
    host[:k_eff] = _backend.to_numpy(lam).astype(float)
    red = solve_reduced(
        host, alpha=alpha, beta=beta, gamma_p=gamma_p, floor=floor, eps=eps, rotation=rotation
    )
    if not red.certified:
        warnings.warn(
            f"hinge VICReg with variance_weight < 8 * covariance_weight ({alpha:.6g} < 8 * {beta:.6g}): "
            f"the returned point (loss {red.value:.10g}) is not certified globally optimal; the best "
            f"lower bound is {red.lower_bound:.10g}",
            NotConvergedWarning,
            stacklevel=stacklevel,
        )
    dtype, dev = lam.dtype, _backend.device(lam)
    c = xp.asarray(red.sigma, dtype=dtype, device=dev)
    rot = None if red.rotation is None else xp.asarray(red.rotation, dtype=dtype, device=dev)
    positive = np.nonzero(red.sigma > 0)[0]
    cut = int(positive[-1]) + 1 if positive.size else 0
    return c, rot, red.value, cut
