"""SIGReg / Epps–Pulley closed forms (arXiv:2511.08544) against the computations they replace.

Run: ``.venv/bin/python benchmarks/bench_dynamics_sigreg.py [--quick]``

(a) **One statistic** of N samples (N = 256; ``--quick``: 64): the closed form (double sum over pairs),
    the paper's 17-knot trapezoid, and ``scipy.integrate.quad`` of the definition (the tool a user would
    otherwise reach for). Printed: seconds, ratio to the closed form, relative deviation from quad.
(b) **The expectation** E[EP] of a non-Gaussian law (rotated Rademacher projection, 16 atoms):
    ``epps_pulley_expectation`` against Monte Carlo with enough replicates for a 1 % standard error.
(c) **SIGReg value + gradient** of an (N, K) embedding on M directions, as in training (N = 512,
    K = 64, M = 256; ``--quick``: N = 256, M = 64): closed form O(N²M), trapezoid O(NMT), and PyTorch
    autograd of the paper's Algorithm 1 (when torch is installed). The crossover is at N ≈ T·(cost of
    cos+sin)/(cost of exp + product): beyond a few hundred samples per batch the trapezoid is cheaper,
    the closed form is exact.

Best of 3 runs; one BLAS thread (a reproducible comparison on a shared machine).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import integrate  # noqa: E402

from ssltheory.dynamics._sigreg import (  # noqa: E402
    epps_pulley,
    epps_pulley_expectation,
    random_directions,
    sigreg,
)


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _quad(x: np.ndarray) -> float:
    def f(t: float) -> float:
        c = float(np.mean(np.cos(t * x))) - math.exp(-t * t / 2)
        s = float(np.mean(np.sin(t * x)))
        return (c * c + s * s) * math.exp(-t * t / 2)

    return 2 * x.size * integrate.quad(f, 0.0, 40.0, limit=2000, epsabs=1e-14, epsrel=1e-12)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    # (a) one statistic
    n = 64 if args.quick else 256
    x = rng.standard_normal(n)
    t_exact, v_exact = _best(lambda: float(epps_pulley(x)))
    t_trap, v_trap = _best(lambda: float(epps_pulley(x, method="trapezoid")))
    t_quad, v_quad = _best(lambda: _quad(x), repeat=1)
    print(f"(a) one Epps-Pulley statistic, N = {n}")
    dev = abs(v_exact / v_quad - 1)
    print(f"    closed form   {t_exact * 1e3:9.3f} ms   1.0x        rel. dev. from quad {dev:.1e}")
    print(
        f"    trapezoid     {t_trap * 1e3:9.3f} ms   {t_trap / t_exact:6.2f}x    rel. dev. from quad "
        f"{abs(v_trap / v_quad - 1):.1e}"
    )
    print(f"    scipy quad    {t_quad * 1e3:9.3f} ms   {t_quad / t_exact:6.0f}x")

    # (b) expectation of a non-Gaussian law
    k, n_b = 4, 128
    q = np.linalg.qr(rng.standard_normal((k, k)))[0]
    b = q.T @ random_directions(k, 1, rng=rng)[:, 0]
    atoms = np.array(list(itertools.product([-1.0, 1.0], repeat=k))) @ b
    t_closed, e = _best(lambda: epps_pulley_expectation(n_b, means=atoms, stds=0.0))

    def monte_carlo() -> tuple[float, int]:
        reps, vals = 256, []
        while True:
            s = rng.choice([-1.0, 1.0], size=(n_b, k, reps))
            vals.append(np.asarray(epps_pulley(np.einsum("nkr,k->nr", s, b))))
            allv = np.concatenate(vals)
            if allv.std() / math.sqrt(allv.size) <= 0.01 * allv.mean():
                return float(allv.mean()), allv.size

    t_mc, (mc, reps) = _best(monte_carlo, repeat=1)
    print(f"(b) E[EP], N = {n_b}, rotated Rademacher projection (16 atoms): {e.mean:.4f}")
    print(f"    closed form   {t_closed * 1e3:9.3f} ms   1.0x")
    ratio = t_mc / t_closed
    print(f"    Monte Carlo   {t_mc * 1e3:9.3f} ms   {ratio:6.0f}x   ({reps} draws for 1% SE: {mc:.4f})")

    # (c) SIGReg value and gradient
    n_c, k_c, m_c = (256, 64, 64) if args.quick else (512, 64, 256)
    z = rng.standard_normal((n_c, k_c))
    a = random_directions(k_c, m_c, rng=rng)
    t_ce, _ = _best(lambda: sigreg(z, directions=a))
    t_ct, _ = _best(lambda: sigreg(z, directions=a, method="trapezoid"))
    print(f"(c) SIGReg value + gradient, N = {n_c}, K = {k_c}, M = {m_c}")
    print(f"    closed form   {t_ce * 1e3:9.3f} ms   1.0x")
    print(f"    trapezoid     {t_ct * 1e3:9.3f} ms   {t_ct / t_ce:6.2f}x")
    try:
        import torch
    except ImportError:
        print("    torch autograd of Algorithm 1: torch not installed")
        return
    torch.set_num_threads(1)
    zt, at = torch.tensor(z), torch.tensor(a)

    def autograd() -> None:
        w = zt.clone().requires_grad_(True)
        t = torch.linspace(-5, 5, 17, dtype=torch.float64)
        exp_f = torch.exp(-0.5 * t**2)
        ecf = torch.exp(1j * (w @ at).unsqueeze(2) * t).mean(0)
        err = (ecf - exp_f).abs().square() * exp_f
        (torch.trapz(err, t, dim=1) * n_c).mean().backward()

    t_ag, _ = _best(autograd)
    print(f"    torch autograd of Algorithm 1 {t_ag * 1e3:9.3f} ms   {t_ag / t_ce:6.2f}x")


if __name__ == "__main__":
    main()
