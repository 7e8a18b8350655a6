"""Stepwise learning closed form (arXiv:2303.15438) against simulating it: ODE solves and training.

Run: ``.venv/bin/python benchmarks/bench_dynamics_stepwise.py [--quick]``

The whole trajectory of the d embedding eigenvalues c_j(t) on T time points of a linear Barlow
Twins model (m = 64 features, d = 16; ``--quick``: m = 32, d = 8):

(a) **closed form**: ``stepwise_modes`` (one eigendecomposition of Γ) + ``stepwise_trajectory``
    (O(d) per time point), including the eigendecomposition;
(b) **decoupled ODE**: ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10, atol 1e-14) of the d singular-value
    equations ṡ_j = −4λ_j s_j(λ_j s_j² − 1), after the same eigendecomposition;
(c) **matrix ODE**: ``solve_ivp`` (RK45, rtol 1e-8, atol 1e-12) of dW/dt = −4(WΓWᵀ − I)WΓ, eigenvalues of
    C(t) at the T points (what a user would do without the decoupling);
(d) **training**: gradient descent with ``ssltheory.nets.Linear`` on the views (n = 2m pairs),
    step 4ηλ₁ = 0.01 (the claims' full setting), to the last step time.

Printed: seconds (best of 3; one run for (c), (d)), the ratio to (a), and the largest deviation
from the closed form. One BLAS thread (a reproducible comparison on a shared machine).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

from ssltheory.dynamics._stepwise import stepwise_modes, stepwise_trajectory  # noqa: E402
from ssltheory.nets import Linear  # noqa: E402


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _problem(m: int, d: int, rng: np.random.Generator):
    lam = np.concatenate([np.geomspace(2.0, 0.3, d), rng.uniform(-0.3, 0.2, m - d)])
    v = np.linalg.qr(rng.standard_normal((m, m)))[0]
    gamma = (v * lam) @ v.T
    u = np.linalg.qr(rng.standard_normal((d, d)))[0]
    s0 = 1e-3 * rng.uniform(0.5, 2.0, d)
    w0 = (u * s0) @ v[:, :d].T
    return gamma, w0, u, lam[:d], s0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="m = 32, d = 8")
    args = parser.parse_args()
    m, d = (32, 8) if args.quick else (64, 16)
    rng = np.random.default_rng(0)
    gamma, w0, u, lam, s0 = _problem(m, d, rng)
    t_end = float(np.max(-np.log(lam * s0**2) / (8 * lam))) + 0.5 / lam[-1]
    n_times = 200
    t = np.linspace(0.0, t_end, n_times)

    def closed():
        modes = stepwise_modes(gamma, n_components=d, init_weights=w0)
        return stepwise_trajectory(modes.gamma_eigenvalues, t, init_scale=modes.init_scale).eigenvalues

    t_closed, c_closed = _best(closed)

    def decoupled():
        modes = stepwise_modes(gamma, n_components=d, init_weights=w0)
        lm, sm = modes.gamma_eigenvalues, modes.init_scale
        sol = solve_ivp(
            lambda _, s: -4 * lm * s * (lm * s**2 - 1),
            (0, t_end),
            sm,
            t_eval=t,
            method="DOP853",
            rtol=1e-10,
            atol=1e-14,
        )
        return lm * sol.y.T**2

    t_dec, c_dec = _best(decoupled)

    def matrix():
        def rhs(_, y):
            w = y.reshape(d, m)
            return (-4 * (w @ gamma @ w.T - np.eye(d)) @ w @ gamma).ravel()

        sol = solve_ivp(rhs, (0, t_end), w0.ravel(), t_eval=t, rtol=1e-8, atol=1e-12)
        ws = sol.y.T.reshape(-1, d, m)
        return np.array([np.diag(u.T @ w @ gamma @ w.T @ u) for w in ws])

    t_mat, c_mat = _best(matrix, repeat=1)

    def training():
        n = 2 * m
        b = np.linalg.qr(rng.standard_normal((n, m)))[0] * np.sqrt(n)  # views with Γ exactly
        xa, xb = b, b @ gamma
        x = np.concatenate([xa, xb])
        layer = Linear(m, d, bias=False).init(0)
        layer.set_parameters({"weight": w0})
        eta = 0.01 / (4 * lam[0])
        steps = int(np.ceil(t_end / eta))
        record = set(np.round(t / eta).astype(int).tolist())
        out, eye = [], np.eye(d)
        for k in range(steps + 1):
            w = layer.parameters()["weight"]
            z = layer.forward(x)
            za, zb = z[:n], z[n:]
            c = (za.T @ zb + zb.T @ za) / (2 * n)
            if k in record:
                out.append(np.diag(u.T @ c @ u))
            g = 2 * (c - eye) / n
            grad = layer.backward(np.concatenate([zb @ g, za @ g])).parameters["weight"]
            layer.set_parameters({"weight": w - eta * grad})
        return np.array(out), steps

    t_train, (c_train, steps) = _best(training, repeat=1)
    print(f"linear Barlow Twins, m = {m}, d = {d}, {n_times} time points, t in [0, {t_end:.2f}]")
    print(f"{'method':<42}{'seconds':>10}{'ratio':>10}{'max |Δc|':>12}")
    rows = [
        ("(a) closed form (eigh + logistic)", t_closed, 0.0),
        ("(b) decoupled ODE, solve_ivp DOP853", t_dec, float(np.max(np.abs(c_dec - c_closed)))),
        ("(c) matrix ODE, solve_ivp RK45", t_mat, float(np.max(np.abs(c_mat - c_closed)))),
        (f"(d) training, nets.Linear, {steps} GD steps", t_train, float(np.max(np.abs(c_train - c_closed)))),
    ]
    for name, sec, dev in rows:
        print(f"{name:<42}{sec:>10.4f}{sec / t_closed:>10.1f}{dev:>12.2e}")


if __name__ == "__main__":
    main()
