"""Linear BYOL / SimSiam closed forms (arXiv:2102.06810) against simulating them: ODE solves and training.

Run: ``.venv/bin/python benchmarks/bench_dynamics_byol.py [--quick]``

The predictor eigenvalues p_j(t) of linear SimSiam (n = d = 32 modes; ``--quick``: 8) on T = 50 time
points up to t = 200, from a balanced, aligned start (σ² = 0.5, η = 0.02, data eigenvalues spread over
[0.2, 2.5], so some modes survive and some collapse):

(a) **closed form**: ``numpy.linalg.eigh`` of X, then ``byol_mode_trajectory`` (O(d) per time point);
    plus ``byol_fixed_points`` for the limits;
(b) **decoupled ODE**: ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10, atol 1e-13) of the (p, w) mode
    equations ``byol_mode_odes``, after the same eigendecomposition;
(c) **matrix ODE**: ``solve_ivp`` (RK45, rtol 1e-8, atol 1e-11) of the full flow of (W_p, W), eigenvalues
    of W_p at the T points (what one would do without the decoupling);
(d) **training**: gradient descent on the full matrices with step 0.02 (the Euler scheme of (c)).

Printed: seconds (best of 3; one run for (c), (d)), the ratio to (a), and the largest deviation of
the sorted eigenvalues from the closed form. One BLAS thread (a reproducible comparison).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

from ssltheory.dynamics._byol import byol_fixed_points, byol_mode_odes, byol_mode_trajectory  # noqa: E402

_SIGMA2, _ETA, _T_END, _N_TIMES, _LR = 0.5, 0.02, 200.0, 50, 0.02


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _problem(k: int, rng: np.random.Generator):
    d = np.sort(rng.uniform(0.2, 2.5, k))[::-1]
    u = np.linalg.qr(rng.standard_normal((k, k)))[0]
    v = np.linalg.qr(rng.standard_normal((k, k)))[0]
    x = (u * d) @ u.T
    p0 = rng.uniform(0.6, 1.2, k)
    return x, (v * p0) @ v.T, (v * p0) @ u.T, p0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 modes instead of 32")
    args = parser.parse_args()
    k = 8 if args.quick else 32
    rng = np.random.default_rng(0)
    x, wp0, w0, p0 = _problem(k, rng)
    times = np.linspace(0.0, _T_END, _N_TIMES)

    def closed():
        d = np.linalg.eigvalsh(x)[::-1]
        traj = byol_mode_trajectory(p0, times, data_eigenvalues=d, noise_variance=_SIGMA2, weight_decay=_ETA)
        byol_fixed_points(d, noise_variance=_SIGMA2, weight_decay=_ETA)
        return np.sort(traj.predictor, axis=1)

    def decoupled():
        d = np.linalg.eigvalsh(x)[::-1]

        def rhs(_, y):
            r = byol_mode_odes(y[:k], y[k:], data_eigenvalues=d, noise_variance=_SIGMA2, weight_decay=_ETA)
            return np.concatenate([r.predictor, r.online])

        sol = solve_ivp(
            rhs,
            (0.0, _T_END),
            np.concatenate([p0, p0]),
            t_eval=times,
            method="DOP853",
            rtol=1e-10,
            atol=1e-13,
        )
        return np.sort(sol.y[:k].T, axis=1)

    xa = x + _SIGMA2 * np.eye(k)

    def matrix_ode():
        def rhs(_, y):
            wp, w = y[: k * k].reshape(k, k), y[k * k :].reshape(k, k)
            g = w @ x - wp @ w @ xa
            return np.concatenate([(g @ w.T - _ETA * wp).ravel(), (wp.T @ g - _ETA * w).ravel()])

        sol = solve_ivp(
            rhs, (0.0, _T_END), np.concatenate([wp0.ravel(), w0.ravel()]), t_eval=times, rtol=1e-8, atol=1e-11
        )
        return np.array([np.sort(np.linalg.eigvals(y[: k * k].reshape(k, k)).real) for y in sol.y.T])

    def training():
        wp, w = wp0.copy(), w0.copy()
        stride = round((times[1] - times[0]) / _LR)
        rows = [np.sort(np.linalg.eigvals(wp).real)]
        for _ in range(_N_TIMES - 1):
            for _ in range(stride):
                g = w @ x - wp @ w @ xa
                wp, w = wp + _LR * (g @ w.T - _ETA * wp), w + _LR * (wp.T @ g - _ETA * w)
            rows.append(np.sort(np.linalg.eigvals(wp).real))
        return np.array(rows)

    t_a, ref = _best(closed)
    rows = [("(a) closed form", t_a, ref)]
    rows.append(("(b) decoupled ODE", *_best(decoupled)))
    rows.append(("(c) matrix ODE", *_best(matrix_ode, 1)))
    rows.append(("(d) GD training", *_best(training, 1)))
    print(f"linear SimSiam, {k} modes, {_N_TIMES} time points to t = {_T_END:g} (σ² = {_SIGMA2}, η = {_ETA})")
    print(f"{'method':22s} {'seconds':>10s} {'ratio to (a)':>13s} {'max |Δp|':>10s}")
    for name, sec, out in rows:
        print(f"{name:22s} {sec:10.4f} {sec / t_a:13.1f} {float(np.max(np.abs(out - ref))):10.2e}")


if __name__ == "__main__":
    main()
