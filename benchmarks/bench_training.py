"""Training throughput of ssltheory.nets vs PyTorch, and closed form vs training time.

Run: ``.venv/bin/python benchmarks/bench_training.py [--quick]``

1. Steps per second of one VICReg training step (forward, loss and gradient, backward, Adam) for an
   MLP with BatchNorm on a two-view batch: ssltheory.nets on NumPy (and CuPy when a GPU is
   present) vs the same model and loss in PyTorch (autograd, CPU and CUDA when available), same
   machine, same run. Accuracy: the first-step loss and gradient agree with PyTorch.
2. A linear network trained on VICReg (L-BFGS and Adam, full batch) until its loss is within 1e-6
   of the optimum, vs the closed form ``ssltheory.spectral.vicreg_linear_weights`` when it exists
   (otherwise the reference optimum is a long L-BFGS run and only training times are reported).
"""

from __future__ import annotations

import os

# one BLAS thread for every library: a fair, reproducible comparison on a shared machine
# (override by exporting OMP_NUM_THREADS before running)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ssltheory.graphs import augmentation_graph  # noqa: E402
from ssltheory.losses import VICRegLoss  # noqa: E402
from ssltheory.nets import LBFGS, MLP, Adam, Linear, train  # noqa: E402


def _timeit(fn, *, repeat: int, sync=lambda: None, blocks: int = 3) -> float:
    """Seconds per call: best of ``blocks`` blocks of ``repeat`` calls (robust to a shared machine)."""
    fn()  # warm-up
    sync()
    best = float("inf")
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def _torch_vicreg(torch, Z, G, a=1.0, b=1.0, c=1.0):
    n = Z.shape[0]
    Zc = Z - Z.mean(0)
    C = Zc.T @ Zc / (n - 1)
    d = torch.diagonal(C)
    off = C - torch.diag(d)
    Lz = G.sum(1, keepdim=True) * Z - G @ Z
    return a * ((1 - d) ** 2).sum() + b * (off**2).sum() + 2 * c * (Z * Lz).sum() / n


def bench_steps(quick: bool) -> list[tuple[str, float, str]]:
    n_orig, sizes = (128, [32, 128, 128, 16]) if quick else (256, [64, 512, 512, 32])
    repeat = 5 if quick else 10
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2 * n_orig, sizes[0]))
    G = augmentation_graph(n_orig, 2)
    loss = VICRegLoss()
    rows = []

    def ours_step(xp, Xd, Gd):
        net = MLP(sizes, batchnorm=True).init(np.random.default_rng(1), xp=xp)
        opt = Adam(learning_rate=1e-3)

        def step():
            z = net.forward(Xd, train=True)
            out = loss.value_and_grad(z, Gd)
            net.set_parameters(opt.step(net.parameters(), net.backward(out.grad).parameters))

        return net, step

    import array_api_compat.numpy as npx

    net, step = ours_step(npx, X, G)
    t_np = _timeit(step, repeat=repeat)
    rows.append(("ssltheory.nets, NumPy (CPU)", t_np, ""))
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            import array_api_compat.cupy as cpx

            _, step_cp = ours_step(cpx, cupy.asarray(X), cupy.asarray(G))
            sync = cupy.cuda.Device().synchronize
            rows.append(("ssltheory.nets, CuPy (GPU)", _timeit(step_cp, repeat=repeat, sync=sync), ""))
    except Exception as exc:  # no CuPy or no GPU: report and go on
        rows.append(("ssltheory.nets, CuPy (GPU)", float("nan"), f"unavailable: {type(exc).__name__}"))
    try:
        import torch
    except ImportError:
        rows.append(("PyTorch autograd (CPU)", float("nan"), "torch not installed"))
        return rows
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        layers = []
        for layer in MLP(sizes, batchnorm=True).layers:
            name = type(layer).__name__
            if name == "Linear":
                layers.append(torch.nn.Linear(layer.n_in, layer.n_out))
            elif name == "BatchNorm1d":
                layers.append(torch.nn.BatchNorm1d(layer.n_features))
            else:
                layers.append(torch.nn.ReLU())
        tnet = torch.nn.Sequential(*layers).double().to(dev)
        state = {k: torch.from_numpy(np.asarray(v)) for k, v in net.parameters().items()}
        tnet.load_state_dict(state, strict=False)
        opt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
        Xt, Gt = torch.from_numpy(X).to(dev), torch.from_numpy(G).to(dev)

        def tstep(tnet=tnet, opt=opt, Xt=Xt, Gt=Gt):
            opt.zero_grad()
            _torch_vicreg(torch, tnet(Xt), Gt).backward()
            opt.step()

        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        rows.append((f"PyTorch autograd ({dev.upper()})", _timeit(tstep, repeat=repeat, sync=sync), ""))
    # accuracy: first-step loss of identical weights
    net2, _ = ours_step(npx, X, G)
    ours_val = float(loss(net2.forward(X), G))
    tnet = torch.nn.Sequential(
        *[
            torch.nn.Linear(a.n_in, a.n_out)
            if type(a).__name__ == "Linear"
            else torch.nn.BatchNorm1d(a.n_features)
            if type(a).__name__ == "BatchNorm1d"
            else torch.nn.ReLU()
            for a in net2.layers
        ]
    ).double()
    tnet.load_state_dict(
        {k: torch.from_numpy(np.asarray(v)) for k, v in net2.parameters().items()}, strict=False
    )
    t_val = float(_torch_vicreg(torch, tnet(torch.from_numpy(X)), torch.from_numpy(G)).detach())
    rows.append(("  |loss ours - loss torch| / loss", abs(ours_val - t_val) / abs(t_val), "accuracy"))
    return rows


def bench_closed_form(quick: bool) -> list[tuple[str, float, str]]:
    n_orig, d, k = (100, 10, 3) if quick else (500, 30, 5)
    rng = np.random.default_rng(2)
    base = rng.standard_normal((n_orig, d)) * np.linspace(2.0, 0.3, d)
    X = np.vstack([base + 0.3 * rng.standard_normal(base.shape) for _ in range(2)])
    G = augmentation_graph(n_orig, 2)
    weights = {"variance_weight": 1.0, "covariance_weight": 1.0, "invariance_weight": 1.0}
    loss = VICRegLoss(**weights)
    rows = []
    try:
        from ssltheory.spectral import vicreg_linear_weights
    except ImportError:
        vicreg_linear_weights = None
    if vicreg_linear_weights is not None:
        t0 = time.perf_counter()
        sol = vicreg_linear_weights(X, G, n_components=k, **weights)
        t_cf = time.perf_counter() - t0
        target = float(sol.loss)
        rows.append(("closed form vicreg_linear_weights", t_cf, f"loss {target:.10f}"))
    else:
        ref = Linear(d, k, bias=False).init(np.random.default_rng(3))
        t0 = time.perf_counter()
        train(ref, loss, X, G, optimizer=LBFGS(gtol=1e-12), n_steps=5000, progress=False)
        target = float(loss(ref.forward(X), G))
        rows.append(
            (
                "reference: long L-BFGS run (closed form absent)",
                time.perf_counter() - t0,
                f"loss {target:.10f}",
            )
        )
    for name, opt, n_steps in (("L-BFGS", LBFGS(), 2000), ("Adam lr=1e-2", Adam(learning_rate=1e-2), 20000)):
        model = Linear(d, k, bias=False).init(np.random.default_rng(4))
        hit = {}

        def cb(step, value, model, hit=hit):
            if value - target <= 1e-6 and "step" not in hit:
                hit["step"], hit["t"], hit["gap"] = step, time.perf_counter(), value - target
                return True
            return False

        t0 = time.perf_counter()
        hist = train(model, loss, X, G, optimizer=opt, n_steps=n_steps, callback=cb, progress=False)
        if "step" in hit:
            rows.append(
                (
                    f"train Linear, {name}, to within 1e-6",
                    hit["t"] - t0,
                    f"{hit['step']} steps, gap {hit['gap']:.1e}",
                )
            )
        else:
            gap = hist.final_loss - target
            rows.append(
                (f"train Linear, {name}, to within 1e-6", float("nan"), f"not reached, gap {gap:.2e}")
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    args = parser.parse_args()
    steps = bench_steps(args.quick)
    base = steps[0][1]
    print(
        f"VICReg training step, MLP {'quick' if args.quick else 'full'} sizes with BatchNorm, float64, "
        f"{os.environ['OMP_NUM_THREADS']} CPU thread(s)"
    )
    print(f"{'implementation':<40} {'ms/step':>10} {'steps/s':>10} {'ratio vs ours':>14}  note")
    for name, t, note in steps:
        if note == "accuracy":
            print(f"{name:<40} {t:>10.2e}")
            continue
        print(f"{name:<40} {1e3 * t:>10.2f} {1 / t:>10.1f} {t / base:>14.2f}  {note}")
    rows = bench_closed_form(args.quick)
    print("\nLinear VICReg: closed form vs training to within 1e-6 of the optimum loss")
    print(f"{'method':<52} {'seconds':>10} {'ratio vs first':>15}  note")
    for name, t, note in rows:
        print(f"{name:<52} {t:>10.4f} {t / rows[0][1]:>15.1f}  {note}")


if __name__ == "__main__":
    main()
