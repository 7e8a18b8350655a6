"""Build notebooks/10_spectral__closed_forms.ipynb (outputs stripped, minimal metadata).

Run: ``.venv/bin/python notebooks/_build_10_spectral.py``
"""

from __future__ import annotations

from pathlib import Path

import _nbbuild

PATH = Path(__file__).with_name("10_spectral__closed_forms.ipynb")

CELLS: list[tuple[str, str]] = [
    (
        "md",
        r"""# Closed-form optima of SSL losses on a relation graph

The relation graph $G$ says which samples are views of each other. VICReg, SimCLR and BarlowTwins
are functions of the embedding $Z$ and of $G$ only, so their global optima are spectral objects of
$G$ (spec/spectral.md, after Balestriero & LeCun, arXiv:2205.11508). This notebook puts the closed
forms of `ssltheory.spectral` next to an independent measurement (the covariance of the returned
embedding, a multi-start L-BFGS optimum of the loss evaluator) for four predictions:

1. **VICReg** (E2): the covariance spectrum of $Z^*$ is $c_k=(1-\gamma'\lambda_k/\alpha)_+$, so the
   rank drops exactly where $\gamma'=\alpha/\lambda_k$ ($\gamma'=\gamma M/N$, $M=N-1$).
2. **SimCLR** (§4.4): on a class graph every optimum is a regular simplex, rank $C-1$.
3. **BarlowTwins** (E5): on a union of $c$ cliques the optimum has rank $\min(K,c)$ and loss
   $\max(0,K-c)$ at $\alpha=1$.
4. **Downstream** (E3, §4.8): with $G$ aligned with the labels every invariance weight keeps the
   class; with $G$ misaligned, a small invariance weight keeps more of it.""",
    ),
    (
        "code",
        """import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from ssltheory.claims._optim import loss_on_host, minimize_multistart
from ssltheory.graphs import augmentation_graph, graph_laplacian, label_graph
from ssltheory.losses import BarlowTwinsLoss, SimCLRLoss, VICRegLoss
from ssltheory.spectral import (
    barlow_twins_embedding,
    simclr_embedding,
    vicreg_embedding,
    vicreg_linear_weights,
)

T0 = time.perf_counter()
rng = np.random.default_rng(0)""",
    ),
    (
        "md",
        r"""## 1. VICReg: the covariance spectrum against the invariance weight

`vicreg_embedding(G, n_components=K, invariance_weight=γ)` (squared variance penalty,
$\alpha=\beta=1$) returns $Z^*=U_K\,\mathrm{diag}(\sqrt{Mc_k})$ with $U_K$ the bottom eigenvectors of
$L=D_G-G$ on $\mathbf 1^\perp$. We take $K=N-1$ (every direction of $\mathbf 1^\perp$), so no
eigenvalue cluster straddles $K$ and the solution is unique up to the free rotation. Blue: the
eigenvalues of `np.cov(Z*)` (measured on the returned embedding); red: the predicted drop points
$\gamma=\alpha N/(M\lambda)$; black: the rank reported by the solver. Each eigenvalue decays
linearly in $\gamma$ and stops at zero.""",
    ),
    (
        "code",
        """graphs = {
    "augmentation, N'=4, V=2": augmentation_graph(4, 2),
    "augmentation, N'=4, V=3": augmentation_graph(4, 3),
    "label graph, classes 3/4/5": label_graph(np.repeat(np.arange(3), [3, 4, 5])),
}
alpha = 1.0
gammas = np.linspace(0.0, 0.7, 141)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
for ax, (name, g) in zip(axes, graphs.items(), strict=True):
    n = g.shape[0]
    m = n - 1  # ddof = 1
    lam = np.linalg.eigvalsh(np.asarray(graph_laplacian(g)))[1:]  # spectrum of L on 1⊥
    measured, ranks = [], []
    for gamma in gammas:
        sol = vicreg_embedding(g, n_components=n - 1, invariance_weight=gamma)
        measured.append(np.sort(np.linalg.eigvalsh(np.cov(sol.embedding, rowvar=False)))[::-1])
        ranks.append(sol.rank)
    measured = np.array(measured)
    predicted = np.array([np.sort(np.clip(1 - gm * m / n * lam / alpha, 0, None))[::-1] for gm in gammas])
    print(f"{name}: max |eig Cov(Z*) - (1 - γ'λ/α)_+| = {np.max(np.abs(measured - predicted)):.1e}")
    ax.plot(gammas, measured, color="C0", lw=1)
    for j, lam_k in enumerate(np.unique(np.round(lam[lam > 1e-9], 9))):
        gamma_drop = alpha * n / (m * lam_k)  # γ' λ_k = α
        ax.axvline(gamma_drop, color="C3", ls="--", lw=0.8)
        ax.text(gamma_drop, 0.9 - 0.1 * j, f" λ={lam_k:g}", color="C3", fontsize=8)
    ax.set(xlabel="invariance weight γ (α = β = 1)", title=name)
    ax2 = ax.twinx()
    ax2.step(gammas, ranks, where="post", color="k", lw=1)
    ax2.set_ylabel("rank of Z*")
axes[0].set_ylabel("eigenvalues of Cov(Z*)")
fig.tight_layout()""",
    ),
    (
        "md",
        r"""The rank steps down by the multiplicity of $\lambda$ at each red line: on the augmentation
graph only the $N'-1$ invariant directions survive once $\gamma'V\ge\alpha$; on the label graph
the within-class directions of the largest class die first (largest $\lambda=n_c$), so **small
classes need a larger invariance weight** to collapse to the supervised solution (§4.8).

The closed form is also the optimum of the loss: multi-start L-BFGS on the evaluator
`VICRegLoss` reaches the same value (here $K=4$ on the label graph: $\lambda=0,0,3,3$, the tied
pair is kept whole, so no cluster straddles $K$).""",
    ),
    (
        "code",
        """g = graphs["label graph, classes 3/4/5"]
for gamma in (0.3, 3.0):
    sol = vicreg_embedding(g, n_components=4, invariance_weight=gamma)
    best = minimize_multistart(
        loss_on_host(VICRegLoss(invariance_weight=gamma), g), (g.shape[0], 4), rng=rng, n_starts=2
    )
    print(f"γ = {gamma}: closed form {sol.loss:.10f}  L-BFGS {best.loss:.10f}  rank {sol.rank}")""",
    ),
    (
        "md",
        r"""## 2. SimCLR: the class simplex

On a label graph with $C$ classes of size $n$ and $K\ge C-1$, every SimCLR minimiser puts each class
on one point of the unit sphere and the $C$ points on a regular simplex: cosine $1$ within a class,
$-1/(C-1)$ between classes, rank $C-1$ whatever $K$ and the temperature. `simclr_embedding` returns
that simplex; an L-BFGS run on `SimCLRLoss` from random starts finds the same cosines (up to a
rotation, which the loss leaves free).""",
    ),
    (
        "code",
        """labels = np.repeat(np.arange(4), 3)
g = label_graph(labels)
sol = simclr_embedding(g, n_components=5)
u = sol.embedding / np.linalg.norm(sol.embedding, axis=1, keepdims=True)
same = labels[:, None] == labels[None, :]
print(
    "closed form: rank",
    sol.rank,
    "| within-class cosines",
    np.unique(np.round((u @ u.T)[same], 10)),
    "| between-class",
    np.unique(np.round((u @ u.T)[~same], 10)),
    "(-1/(C-1) = -1/3)",
)
best = minimize_multistart(loss_on_host(SimCLRLoss(), g), (12, 5), rng=rng, n_starts=3)
ub = best.embedding / np.linalg.norm(best.embedding, axis=1, keepdims=True)
print(f"loss: closed form {sol.loss:.8f}, multi-start L-BFGS {best.loss:.8f}")
print("L-BFGS optimum, singular values of its unit rows:", np.round(np.linalg.svd(ub, compute_uv=False), 4))
print("max |cosines(L-BFGS) - cosines(closed form)| =", f"{np.max(np.abs(ub @ ub.T - u @ u.T)):.1e}")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
axes[0].imshow(u @ u.T, cmap="RdBu_r", vmin=-1, vmax=1)
axes[0].set_title("closed form: cosines")
im = axes[1].imshow(ub @ ub.T, cmap="RdBu_r", vmin=-1, vmax=1)
axes[1].set_title("L-BFGS optimum: cosines")
fig.colorbar(im, ax=axes[:2])
basis = np.linalg.svd(ub, full_matrices=False)[2][:3]  # the optimum's own 3-D span
p = ub @ basis.T
axes[2].scatter(p[:, 0], p[:, 1], c=labels, cmap="tab10", s=60)
axes[2].set(title="L-BFGS rows, 2 of the 3 simplex axes", aspect="equal")""",
    ),
    (
        "md",
        r"""## 3. BarlowTwins: collapse to the number of components

On a union of $c$ cliques (here a label graph with 4 classes of sizes 2, 2, 3, 3), BarlowTwins reaches
zero loss iff $K\le c$; beyond, the optimum keeps rank $c$ and pays $K-c$ at $\alpha=1$ (the v1
claim "BT enforces rank$(Z)$ = rank$(\bar G)$"). For $K<c$ the optimal set is not unique
(any $K$ degree-orthogonal combinations of the component indicators): the solver says so with a
`DegenerateSpectrumWarning`, which we collect and count here rather than hide.""",
    ),
    (
        "code",
        """sizes = [2, 2, 3, 3]
g = label_graph(np.repeat(np.arange(len(sizes)), sizes))
c = len(sizes)
ks = list(range(1, 8))
ks_measured = [2, 4, 5, 7]  # L-BFGS at a few K (a run at K <= c is the slow one: loss -> 0)
pred_loss, pred_rank, meas_loss, meas_rank = [], [], [], []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for k in ks:
        sol = barlow_twins_embedding(g, n_components=k)
        pred_loss.append(sol.loss)
        pred_rank.append(sol.rank)
for k in ks_measured:
    best = minimize_multistart(
        loss_on_host(BarlowTwinsLoss(), g), (g.shape[0], k), rng=rng, n_starts=1, maxiter=100, gtol=1e-10
    )
    s = np.linalg.svd(best.embedding / np.linalg.norm(best.embedding, axis=0), compute_uv=False)
    meas_loss.append(best.loss)
    meas_rank.append(int(np.sum(s > 1e-3 * s[0])))  # numerical rank of the unit-column optimum
print(f"{len(caught)} DegenerateSpectrumWarning(s) for K < c (non-unique optimum), e.g.:")
print("  ", str(caught[0].message)[:110], "...")
print("closed form  K", ks, "rank", pred_rank, "loss", np.round(pred_loss, 6).tolist())
print("L-BFGS       K", ks_measured, "rank", meas_rank, "loss", np.round(meas_loss, 6).tolist())

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].plot(ks, pred_rank, "o-", label="closed form")
axes[0].plot(ks_measured, meas_rank, "x", ms=10, mew=2, label="L-BFGS (σ > 1e-3 σ₁)")
axes[0].axhline(c, color="k", ls=":", label=f"c = {c} components")
axes[0].set(xlabel="n_components K", ylabel="rank of Z*", title="rank min(K, c)")
axes[0].legend()
axes[1].plot(ks, pred_loss, "o-", label="closed form max(0, K - c)")
axes[1].plot(ks_measured, meas_loss, "x", ms=10, mew=2, label="L-BFGS")
axes[1].set(xlabel="n_components K", ylabel="loss", title="optimal BarlowTwins loss (α = 1)")
axes[1].legend()
fig.tight_layout()""",
    ),
    (
        "md",
        r"""## 4. Downstream: $G$ aligned vs misaligned with the labels

Toy of spec §4.8: two classes, the class signal in feature 0 of $D=8$, two views per sample, linear
VICReg with $K=D$ (`vicreg_linear_weights`, the closed-form $W^*$), then a least-squares probe on
$[XW^*,\mathbf 1]$ (training accuracy).

- **aligned**: the augmentation perturbs the 7 nuisance features; the class direction is invariant
  ($\mu\approx0$), so it is kept for every $\gamma$ and the probe is perfect.
- **misaligned**: the augmentation perturbs the class feature itself; that direction has the largest
  $\mu$ and is the first to die as $\gamma$ grows. A small invariance weight keeps every direction
  (rank 8), information beyond $G$: the paper's advice to prefer VICReg with a small invariance
  weight when $G$ is misspecified. Data sizes are not specified by the spec: the target is qualitative
  (spec: 1.000 everywhere aligned; misaligned 0.833 for $\gamma\le1$, 0.61 at $\gamma=10$).""",
    ),
    (
        "code",
        """def toy(noise_on, *, n_orig=60, d=8, rng):
    y = rng.integers(0, 2, n_orig)
    base = rng.standard_normal((n_orig, d))
    base[:, 0] = 2.0 * y - 1.0 + 0.3 * rng.standard_normal(n_orig)  # the class signal
    views = []
    for _ in range(2):
        v = base.copy()
        v[:, noise_on] += 1.5 * rng.standard_normal((n_orig, len(noise_on)))  # the augmentation
        views.append(v)
    return np.vstack(views), np.tile(y, 2), augmentation_graph(n_orig, 2)


def probe_accuracy(z, y):
    a = np.column_stack([z, np.ones(len(z))])
    coef, *_ = np.linalg.lstsq(a, 2.0 * y - 1.0, rcond=None)
    return float(np.mean((a @ coef > 0) == (y == 1)))


gammas = np.geomspace(0.01, 100.0, 9)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for name, noise_on in (
    ("aligned: noise on nuisance features", list(range(1, 8))),
    ("misaligned: noise on the class feature", [0]),
):
    x, y, g = toy(noise_on, rng=np.random.default_rng(1))
    acc, rank = [], []
    for gamma in gammas:
        sol = vicreg_linear_weights(x, g, n_components=8, invariance_weight=gamma)
        acc.append(probe_accuracy(x @ sol.weights, y))
        rank.append(sol.rank)
    print(f"{name:40s} accuracy {np.round(acc, 3).tolist()}  rank {rank}")
    axes[0].plot(gammas, acc, "o-", label=name)
    axes[1].plot(gammas, rank, "o-", label=name)
axes[0].set(xscale="log", xlabel="invariance weight γ", ylabel="probe accuracy", ylim=(0.45, 1.05))
axes[1].set(xscale="log", xlabel="invariance weight γ", ylabel="rank of XW*")
axes[0].legend(fontsize=8)
fig.tight_layout()
print(f"notebook ran in {time.perf_counter() - T0:.1f} s")""",
    ),
]


if __name__ == "__main__":
    _nbbuild.write(CELLS, PATH, id_prefix="spectral")
