"""Build notebooks/40_splines__batchnorm_partition.ipynb (outputs stripped).

Run: ``python notebooks/_build_40_splines.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

CELLS = [
    (
        "md",
        r"""# Batch normalisation and the spline partition of a ReLU network

A piecewise-linear network cuts its input space into convex regions (one affine map each). Batch
normalisation subtracts the batch mean $\mu$ of every unit: that is the total-least-squares offset
of the unit's hyperplane (spec/splines.md R2), so **BN moves the partition onto the data**, even with
random weights. This notebook draws the exact 2D partition of one random net with three biases —
BN, zero, random — over a ring and two moons, then the distances to the boundaries, the local
complexity and the batch-to-batch jitter of the boundaries.""",
    ),
    (
        "code",
        """import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection

from ssltheory import splines

BOX = ((-1.0, 7.0), (-1.0, 7.0))


def ring(n=200, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    return 3.0 + np.c_[np.cos(t), np.sin(t)] + 0.05 * rng.standard_normal((n, 2))


def moons(n=200, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, np.pi, n // 2)
    X = np.r_[np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)]]
    return 1.5 * (X + 0.1 * rng.standard_normal(X.shape)) + np.array([2.5, 3.0])


def arms(X, seed=0):
    out = {}
    for arm in ("bn", "zero", "random"):
        net = splines.random_spline_net(
            [2, 6, 6, 6, 6], negative_slope=0.1, batch_norm=arm == "bn",
            bias="normal" if arm == "random" else "zero", rng=np.random.default_rng(1000 + seed),
        )
        stats = splines.bn_statistics(net, X, mode="population") if arm == "bn" else None
        out[arm] = splines.fold_batch_norm(net, stats)
    return out""",
    ),
    ("md", "## Exact partitions (polygons coloured by region)"),
    (
        "code",
        """fig, axes = plt.subplots(2, 3, figsize=(12, 8), layout="constrained")
parts = {}
for row, (name, X) in enumerate((("ring", ring()), ("moons", moons()))):
    for ax, (arm, folded) in zip(axes[row], arms(X).items()):
        part = splines.enumerate_regions_2d(folded, box=BOX)
        parts[name, arm] = part
        colours = np.random.default_rng(0).uniform(0.3, 1.0, (part.n_regions, 3))
        ax.add_collection(PolyCollection(part.polygons, facecolors=colours, edgecolors="none"))
        ax.add_collection(LineCollection(part.segments, colors="k", linewidths=0.3))
        ax.plot(X[:, 0], X[:, 1], "k.", ms=2)
        ax.set(xlim=BOX[0], ylim=BOX[1], aspect="equal", title=f"{name}, {arm}: {part.n_regions} regions")
plt.show()""",
    ),
    (
        "md",
        r"""## Distance of the data to the partition

`distance_to_boundary` is exact in any dimension (Dist-1: $\min_{\ell,k}|h_{\ell,k}|/\|\nabla h_{\ell,k}\|$);
in 2D it equals the distance to the enumerated segments (claim `splines.partition.exact_distance`).""",
    ),
    (
        "code",
        """X = ring()
nets = arms(X)
fig, ax = plt.subplots(figsize=(6, 3.5))
for arm, folded in nets.items():
    d = splines.distance_to_boundary(folded, X).distance
    seg = splines.segment_distance_2d(parts["ring", arm], X)
    assert np.allclose(d[d < 1], seg[d < 1], atol=1e-9)
    ax.hist(np.log10(d), bins=30, alpha=0.5, label=f"{arm}: median {np.median(d):.3f}")
ax.set_xlabel("log10 d(x_n, ∂Ω)")
ax.legend()
plt.show()""",
    ),
    ("md", "## Local complexity (number of units whose code changes within radius 0.1)"),
    (
        "code",
        """g = np.linspace(-1, 7, 90)
grid = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
fig, axes = plt.subplots(1, 3, figsize=(12, 4), layout="constrained")
for ax, (arm, folded) in zip(axes, nets.items()):
    lc = splines.local_complexity(folded, grid, radius=0.1).total.reshape(90, 90)
    im = ax.imshow(lc, origin="lower", extent=(-1, 7, -1, 7), cmap="magma", vmin=0, vmax=8)
    ax.plot(X[:, 0], X[:, 1], "c.", ms=1)
    ax.set_title(f"{arm}: LC near data {splines.local_complexity(folded, X, radius=0.1).total.mean():.2f}")
fig.colorbar(im, ax=axes, shrink=0.8)
plt.show()""",
    ),
    (
        "md",
        r"""## Mini-batch jitter of the boundaries

With batch statistics, each mini-batch moves every first-layer hyperplane along its normal by
$\Delta=(\hat\mu-\mu)/\|w\|$, with $\mathrm{Var}\,\Delta = s^2/(m\|w\|^2)$ (R7).""",
    ),
    (
        "code",
        """# the raw first-layer weights W_0 shared by the three arms (seed 1000)
w = splines.random_spline_net([2, 6, 6, 6, 6], rng=np.random.default_rng(1000)).layers[0].weight
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
rng = np.random.default_rng(0)
ax = axes[0]
ax.plot(X[:, 0], X[:, 1], "k.", ms=2)
for m, colour in ((8, "C3"), (64, "C0")):
    for _ in range(15):
        idx = rng.choice(len(X), m, replace=False)
        mu = X[idx] @ w.T
        c = -mu.mean(0)
        for k in range(w.shape[0]):
            a, b = w[k]
            xs = np.array([-1.0, 7.0])
            ax.plot(xs, -(a * xs + c[k]) / b, color=colour, lw=0.4, alpha=0.6)
ax.set(xlim=(-1, 7), ylim=(-1, 7), aspect="equal", title="layer-0 BN hyperplanes, m = 8 (red), 64 (blue)")
ms = np.array([4, 8, 16, 32, 64, 128])
pred = [splines.boundary_jitter(w, X, batch_size=int(m)).var_displacement for m in ms]
meas = [
    np.var(splines.sample_boundary_jitter(w, X, batch_size=int(m), n_batches=1000, rng=rng).displacements, 0)
    for m in ms
]
axes[1].loglog(ms, np.array(pred), "k-", lw=0.8)
axes[1].loglog(ms, np.array(meas), "o", ms=4)
axes[1].set(xlabel="batch size m", ylabel="Var Δ (per unit)",
            title="prediction s²/(m‖w‖²) (lines) vs Monte-Carlo")
plt.show()""",
    ),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    for i, (kind, src) in enumerate(CELLS):
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        cell["id"] = f"splines40-{i:02d}"
        nb.cells.append(cell)
    return nb


if __name__ == "__main__":
    path = Path(__file__).with_name("40_splines__batchnorm_partition.ipynb")
    nbformat.write(build(), path)
    print(f"wrote {path}")
