"""Build notebooks/60_dynamics__linear_ssl.ipynb (outputs stripped, minimal metadata).

Run: ``.venv/bin/python notebooks/_build_60_dynamics.py``

Three closed forms of ``ssltheory.dynamics`` against training, one section each: stepwise learning
of linear Barlow Twins (arXiv:2303.15438), fixed points and collapse boundary of linear SimSiam
(arXiv:2102.06810), dimensional collapse of linear InfoNCE (arXiv:2110.09348). Each section asserts
its agreement within a stated tolerance; the whole notebook runs in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import _nbbuild

PATH = Path(__file__).with_name("60_dynamics__linear_ssl.ipynb")

CELLS: list[tuple[str, str]] = [
    (
        "md",
        r"""# Training dynamics of linear SSL: closed forms against training

`ssltheory.dynamics` holds closed forms for *how* linear self-supervised models train, not only
where they end. This notebook puts three of them next to the training they describe, each with a
figure (lines: theory, markers: training) and an assertion with a stated tolerance:

1. **Stepwise learning** of a linear Barlow Twins-type model from small initialisation: the
   eigenvalues of the embedding cross-correlation follow logistic curves, learned one at a time
   (Simon et al., ICML 2023, arXiv:2303.15438; `docs/dynamics_stepwise.md`).
2. **Linear SimSiam/BYOL** with a linear predictor: the fixed points $p_\pm$ of the predictor
   eigenvalues and the collapse boundary $\eta^*=d^2/(4(d+\sigma^2))$ (Tian, Chen & Ganguli,
   ICML 2021, arXiv:2102.06810; `docs/dynamics_byol.md`).
3. **Dimensional collapse** in contrastive learning: how many embedding dimensions a linear
   InfoNCE encoder collapses (Jing, Vincent, LeCun & Tian, ICLR 2022, arXiv:2110.09348;
   `docs/dynamics_collapse.md`), with the stability threshold that replaces the paper's
   informal criterion.

The same comparisons, over many random problems and with the tolerances derived in full, are the
claims `dynamics.stepwise.*`, `dynamics.byol.*` and `dynamics.collapse.*` (`ssltheory verify`).""",
    ),
    (
        "code",
        """import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from ssltheory.dynamics import (
    byol_fixed_points,
    collapse_boundary,
    predicted_collapse_rank,
    stepwise_gamma,
    stepwise_learning_times,
    stepwise_modes,
    stepwise_trajectory,
)
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import SimCLRLoss
from ssltheory.nets import SGD, Linear, train

threadpool_limits(1, user_api="blas")  # tiny matrices: extra BLAS threads only spin-wait (20x slower, loaded)
T0 = time.perf_counter()


def rotation(rng, k):
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    return q * np.sign(np.diag(r))  # a Haar-random orthogonal matrix""",
    ),
    (
        "md",
        r"""## 1. Stepwise learning in linear Barlow Twins (arXiv:2303.15438)

Paired views $X_a,X_b\in\mathbb R^{n\times m}$, a linear embedding $Z=XW^\top$
($W\in\mathbb R^{d\times m}$, `nets.Linear(m, d, bias=False)`), the symmetrised cross-correlations
$\Gamma=(X_a^\top X_b+X_b^\top X_a)/2n$ and $C=W\Gamma W^\top$, and the loss
$\mathcal L=\|C-I\|_F^2$ (Barlow Twins with redundancy weight 1, no batch normalisation). From
$W(0)=U\,s_0\,V_d^\top$ ($V_d$ the top-$d$ eigenvectors of $\Gamma$, $U$ a rotation) gradient flow
stays aligned and each eigenvalue of $C$ is a logistic curve,

$$c_j(t)=\frac{c_j(0)\,e^{8\lambda_jt}}{1+c_j(0)(e^{8\lambda_jt}-1)},\qquad c_j(0)=\lambda_js_0^2,$$

crossing $\tfrac12$ at $t_j=-\operatorname{logit}c_j(0)/(8\lambda_j)$: with one small init scale,
the modes are learned one at a time, in decreasing order of $\lambda_j$, and the loss steps down
$d, d-1,\dots,0$.

**Training.** Gradient descent with step $\eta$ on $\mathcal L$ through `Linear.forward`/`backward`
(the gradient in $Z$ written out: $\partial\mathcal L/\partial Z_a=Z_b\,2(C-I)/n$), at time
$t=k\eta$. Gradient descent is the Euler scheme of the flow, so it trails the closed form by an
error of first order in $\eta$. **Assertion:** the closed form is the $\eta\to0$ limit of training:
the run with step $\eta/2$ is off the closed form by the Richardson estimate $|c_\eta-c_{\eta/2}|$
of its own error, to 10 % (max over time, per mode; the second-order remainder is about
$4\eta\lambda_1(0.7+|\ell_0|/10)\approx9\,\%$ of the first-order term here, see the claims
`dynamics.stepwise.*`); the same for the step times. A rate off by 2 % would break this by a
factor of 3 or more.""",
    ),
    (
        "code",
        """rng = np.random.default_rng(0)
m, d, n = 8, 4, 32
lam_all = np.array([2.5, 1.4, 0.8, 0.45, 0.25, 0.1, -0.1, -0.3])  # spectrum of Γ: top d well separated
V = rotation(rng, m)
B = np.linalg.qr(rng.standard_normal((n, m)))[0] * np.sqrt(n)  # BᵀB = n I
A = np.eye(m) + 0.3 * rng.standard_normal((m, m)) / np.sqrt(m)
Xa, Xb = B @ A, B @ np.linalg.solve(A.T, (V * lam_all) @ V.T)  # then Γ = V diag(lam_all) Vᵀ exactly
X = np.vstack([Xa, Xb])

gamma = stepwise_gamma(Xa, Xb)  # computed from the views
W0 = 1e-3 * rotation(rng, d) @ V[:, :d].T  # small, aligned: s_j(0) = 1e-3 for every mode
modes = stepwise_modes(gamma, n_components=d, init_weights=W0)
lam, s0 = modes.gamma_eigenvalues, modes.init_scale
t_pred = stepwise_learning_times(lam, init_scale=s0)
print("λ_j =", lam, " s_j(0) =", s0, f" misalignment {modes.misalignment:.1e}")
print("predicted step times t_j =", np.round(t_pred, 4))


def gradient_descent(eta, n_steps):
    \"\"\"GD on ‖C − I‖²_F with nets.Linear; the eigenvalues of C (descending) at every step.\"\"\"
    layer = Linear(m, d, bias=False).init(0)
    layer.set_parameters({"weight": W0})
    eig = np.empty((n_steps + 1, d))
    for k in range(n_steps + 1):
        W = layer.parameters()["weight"]
        Z = layer.forward(X)
        Za, Zb = Z[:n], Z[n:]
        C = (Za.T @ Zb + Zb.T @ Za) / (2 * n)
        eig[k] = np.linalg.eigvalsh(C)[::-1]
        if k == n_steps:
            return eig
        G = 2 * (C - np.eye(d)) / n  # ∂L/∂C = 2(C − I), contracted with Z_b / n (and Z_a / n)
        grad = layer.backward(np.vstack([Zb @ G, Za @ G])).parameters["weight"]
        layer.set_parameters({"weight": W - eta * grad})


def half_crossings(t, c):
    \"\"\"First time each column reaches 1/2, linearly interpolated between steps.\"\"\"
    k = np.argmax(c >= 0.5, axis=0)
    j = np.arange(c.shape[1])
    return t[k - 1] + (t[k] - t[k - 1]) * (0.5 - c[k - 1, j]) / (c[k, j] - c[k - 1, j])


eta = 0.04 / (4 * lam[0])  # 4ηλ₁ = 0.04
n_steps = int(np.ceil(1.25 * t_pred[-1] / eta))
t = eta * np.arange(n_steps + 1)
c_eta = gradient_descent(eta, n_steps)
c_half = gradient_descent(eta / 2, 2 * n_steps)[::2]  # step η/2, on the same time grid
flow = stepwise_trajectory(lam, t, init_scale=s0)

err = np.max(np.abs(c_half - flow.eigenvalues), axis=0)  # GD(η/2) against the closed form
richardson = np.max(np.abs(c_eta - c_half), axis=0)  # ≈ the first-order error of GD(η/2)
print(f"{2 * n_steps} steps of η/2 = {eta / 2:.2e}: max |c_GD − c_flow| per mode", np.round(err, 5))
print("  error / Richardson estimate:", np.round(err / richardson, 4))
# the first-order term accounts for the discrepancy; 10 % covers the second-order remainder (~9 % bound,
# measured 0.05 %). A wrong closed form (rate off by 2 %) gives ratios of 3.5-15 here.
assert np.all(err <= 1.1 * richardson)

t_eta, t_half = half_crossings(t, c_eta), half_crossings(t, c_half)
print("measured step times (η/2):", np.round(t_half, 4))
# order: mode j (the j-th largest λ) is the j-th to reach 1/2; the times are the η → 0 limit of GD,
# with 1e-4 for the interpolation between grid points (curvature error ~1e-5 here)
assert np.all(np.diff(t_half) > 0)
assert np.all(np.abs(t_half - t_pred) <= 1.1 * np.abs(t_eta - t_half) + 1e-4)

loss_gd = np.sum((c_half - 1) ** 2, axis=1)  # ‖C − I‖²_F from the eigenvalues of the symmetric C
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
every = max(n_steps // 60, 1)
for j in range(d):
    line = axes[0].plot(t, flow.eigenvalues[:, j], lw=1.5, label=f"$\\\\lambda_{j + 1}={lam[j]:.2f}$")[0]
    axes[0].plot(t[::every], c_half[::every, j], "o", ms=3, mfc="none", color=line.get_color())
    axes[0].axvline(t_pred[j], color=line.get_color(), ls=":", lw=0.8)
axes[0].set_xlabel("t = learning rate × step")
axes[0].set_ylabel("eigenvalues $c_j$ of $C$")
axes[0].set_title("lines: closed form; circles: GD with nets.Linear; dotted: $t_j$", fontsize=9)
axes[0].legend(fontsize=8)
axes[1].plot(t, flow.loss, "k", lw=1.5, label="closed form $\\\\sum_j(c_j-1)^2$")
axes[1].plot(t[::every], loss_gd[::every], "o", ms=3, mfc="none", color="C3", label="GD")
axes[1].set_xlabel("t = learning rate × step")
axes[1].set_ylabel("loss $\\\\|C-I\\\\|_F^2$")
axes[1].set_title("plateaus at d, d − 1, …, 0", fontsize=9)
axes[1].legend(fontsize=8)
plt.show()""",
    ),
    (
        "md",
        r"""## 2. Linear SimSiam: fixed points and the collapse boundary (arXiv:2102.06810)

Online network $W$, linear predictor $W_p$, target $W$ behind a stop-gradient (SimSiam), weight
decay $\eta$ on both, data covariance $X$ with eigenvalues $d_j$ and isotropic augmentation noise
$\sigma^2$. The population gradient flow is
$\dot W_p=GW^\top-\eta W_p$, $\dot W=W_p^\top G-\eta W$ with $G=WX-W_pW(X+\sigma^2I)$. On the
balanced, aligned manifold each mode obeys $\dot p=-p[(d+\sigma^2)p^2-dp+\eta]$, whose non-trivial
fixed points

$$p_\pm=\frac{d\pm\sqrt{d^2-4\eta(d+\sigma^2)}}{2(d+\sigma^2)}$$

exist iff $\eta\le\eta^*=d^2/(4(d+\sigma^2))$ (`byol_fixed_points`, `collapse_boundary`): past
$\eta^*$ the data direction is lost whatever the initialisation.

**Training.** Gradient descent (step 0.25, time $T=400$) on the *full matrices* in NumPy, in
random bases (no eigen-decomposition while training), from $W_p=W=$ a rotation plus a $10^{-3}$
generic perturbation, batched over 84 weight decays $\eta$. Three data directions,
$d=(2, 1.2, 0.6)$, $\sigma^2=0.5$, three output dimensions. **Assertions:** (a) at every $\eta$
more than 10 % from every $\eta^*_j$ the predictor's eigenvalues are $p_+(d_j)$ or 0 and those of
$F=WXW^\top$ are $d_jp_+^2$ or 0, to $10^{-9}$ (the runs settle to rounding there, $\sim10^{-14}$
measured; nearer $\eta^*$ the saddle-node slows convergence); (b) direction $k$ (data eigenvector
$u_k$, learned when $\|Wu_k\|$ stays above 1 % of its start) is learned at every $\eta<\eta^*_k$
and lost at every $\eta>\eta^*_k+b_k$, where $b_k=1.25\,(2\pi/(p_c(T-T_{\rm tail})))^2/(d_k+\sigma^2)$
bounds how long the saddle-node bottleneck just past $\eta^*$ keeps a doomed direction alive
(`docs/dynamics_byol.md`).""",
    ),
    (
        "code",
        """rng = np.random.default_rng(1)
d_data, sigma2 = np.array([2.0, 1.2, 0.6]), 0.5
k = d_data.shape[0]
U = rotation(rng, k)
X_cov = (U * d_data) @ U.T  # E[x₁x₂ᵀ]; E[x₁x₁ᵀ] = X + σ²I
Vo = rotation(rng, k)
W0 = Vo @ U.T + 1e-3 * rng.standard_normal((k, k))  # every slot at p(0) = 1, above every p₋
Wp0 = Vo @ Vo.T + 1e-3 * rng.standard_normal((k, k))
etas = 0.0325 + 0.005 * np.arange(84)  # weight decays 0.0325 ... 0.4475
LR, T_TRAIN, THETA = 0.25, 400.0, 0.01


def simsiam(etas):
    \"\"\"Batched GD on linear SimSiam with exact population gradients; returns (W_p, W) per η.\"\"\"
    wp = np.repeat(Wp0[None], len(etas), axis=0)
    w = np.repeat(W0[None], len(etas), axis=0)
    e = etas[:, None, None]
    x_views = X_cov + sigma2 * np.eye(k)
    for _ in range(round(T_TRAIN / LR)):
        g = w @ X_cov - wp @ w @ x_views  # G = W_a X − W_p W (X + σ²I), W_a = sg(W)
        wp, w = wp + LR * (g @ w.transpose(0, 2, 1) - e * wp), w + LR * (wp.transpose(0, 2, 1) @ g - e * w)
    return wp, w


wp, w = simsiam(etas)
p_gd = np.sort(np.linalg.eigvals(wp).real, axis=1)[:, ::-1]
f_gd = np.sort(np.linalg.eigvalsh(w @ X_cov @ w.transpose(0, 2, 1)), axis=1)[:, ::-1]
learned = np.linalg.norm(w @ U, axis=1) > THETA * np.linalg.norm(W0 @ U, axis=0)  # (η, direction)

eta_star = collapse_boundary(d_data, noise_variance=sigma2)
fixed = [byol_fixed_points(d_data, noise_variance=sigma2, weight_decay=e) for e in etas]
p_th = np.array([np.sort(fp.predictor)[::-1] for fp in fixed])  # p₊ where it exists, else 0
f_th = np.array([np.sort(fp.features)[::-1] for fp in fixed])  # d p₊² (α_p = 1)
print("collapse boundaries η* =", np.round(eta_star, 4))

# (a) fixed points, away from the boundaries
far = np.min(np.abs(etas[:, None] / eta_star[None, :] - 1), axis=1) > 0.1
p_err = np.max(np.abs(p_gd - p_th)[far])
f_err = np.max(np.abs(f_gd - f_th)[far])
print(f"fixed points at {far.sum()} weight decays: max error predictor {p_err:.1e}, features {f_err:.1e}")
assert p_err <= 1e-9 and f_err <= 1e-9

# (b) the boundary: kept below η*, lost beyond η* + b (saddle-node passage bound)
a = d_data + sigma2
p_c = d_data / (2 * a)
t_tail = 4 * np.log(np.maximum(p_c / (2 * THETA), 1.0)) / (a * p_c**2)
bias = 1.25 * (2 * np.pi / (p_c * (T_TRAIN - t_tail))) ** 2 / a
for j in range(k):
    switch = etas[np.argmin(learned[:, j])]
    print(f"d = {d_data[j]}: η* = {eta_star[j]:.4f}, first lost at {switch:.4f}, bound b = {bias[j]:.1e}")
    assert np.all(learned[etas < eta_star[j], j]) and not np.any(learned[etas > eta_star[j] + bias[j], j])

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
grid = np.linspace(0.0, 0.46, 400)
branches = [byol_fixed_points(d_data, noise_variance=sigma2, weight_decay=e) for e in grid]
p_plus = np.array([np.where(fp.exists, fp.predictor, np.nan) for fp in branches])  # p₊(d_j, η), where real
for j in range(k):
    line = axes[0].plot(grid, p_plus[:, j], lw=1.5, label=f"$p_+$, d = {d_data[j]}")[0]
    axes[0].axvline(eta_star[j], color=line.get_color(), ls=":", lw=0.8)
axes[0].axhline(0.0, color="k", lw=1.0)
for j in range(k):
    axes[0].plot(etas, p_gd[:, j], "o", ms=3, mfc="none", color="0.3", label="GD" if j == 0 else None)
axes[0].set_xlabel("weight decay η")
axes[0].set_ylabel("predictor eigenvalues")
axes[0].set_title("lines: closed-form $p_+$, 0 past $\\\\eta^*$ (dotted); circles: GD at T = 400", fontsize=9)
axes[0].legend(fontsize=8)
axes[1].step(grid, np.sum(grid[:, None] <= eta_star[None, :], axis=1), where="post", color="k",
             label="closed form: #{j: η ≤ η*_j}")
axes[1].plot(etas, learned.sum(axis=1), "o", ms=3, mfc="none", color="C3", label="GD: directions learned")
axes[1].set_xlabel("weight decay η")
axes[1].set_ylabel("data directions learned")
axes[1].legend(fontsize=8)
plt.show()""",
    ),
    (
        "md",
        r"""## 3. Dimensional collapse in linear contrastive learning (arXiv:2110.09348)

A linear encoder $z=Wx$ ($W$ square, `nets.Linear(d, d, bias=False)`) trained with
`SimCLRLoss` (InfoNCE on normalised embeddings, temperature $\tau$) on two views $x+\varepsilon$,
$x+\varepsilon'$. Whitening the views reduces the data to their *canonical correlations*
$\rho_1\ge\dots\ge\rho_d$ (generalised eigenvalues of $(\Sigma_x,\Sigma_x+\Sigma_\varepsilon)$).
Jing et al. argue that directions where the augmentation variance exceeds the data variance
($\rho_k<\tfrac12$) collapse. For the normalised loss the exact criterion is the stability of the
stationary point that keeps the $r$ top (tied) directions: a direction stays collapsed iff
$\rho_k<\rho^*(r,\bar\rho,\tau)$, a closed form in hypergeometric and Bessel functions, and then
exactly $K-r$ embedding dimensions collapse (`predicted_collapse_rank`).

**Training.** 64 pairs of views with *exactly* the intended second moments, mixed by a random
well-conditioned matrix; full-batch SGD (step 2, 400 steps, `nets.train`) from PyTorch's default
initialisation. Three problems: one where the paper's criterion predicts no collapse and one
dimension collapses, one where it predicts a collapse and none happens, and one where both agree.
**Assertion:** the number of eigenvalues of $\mathrm{Cov}(Z)$ below $10^{-4}$ of its trace equals
the prediction. The count is unambiguous: collapsed eigenvalues reach rounding ($<10^{-10}$ of the
trace) and the kept ones stay above $10^{-2}$, both asserted, two decades or more either side of the
threshold. In the figure, red marks the $K-r$ smallest eigenvalues, the ones predicted to collapse
(blue: kept); dashed: the threshold.""",
    ),
    (
        "code",
        """rng = np.random.default_rng(2)
N_PAIRS, COLLAPSED = 64, 1e-4
graph = augmentation_graph(N_PAIRS, 2)


def exact_views(n_pairs, rho):
    \"\"\"Two views (view-major) with view covariance I and cross-covariance diag(rho), exactly.\"\"\"
    dim = rho.shape[0]
    g = rng.standard_normal((n_pairs, 2 * dim))
    g = g - g.mean(axis=0)
    g = np.linalg.solve(np.linalg.cholesky(g.T @ g / n_pairs), g.T).T  # centred and whitened
    s, dif = g[:, :dim] * np.sqrt((1 + rho) / 2), g[:, dim:] * np.sqrt((1 - rho) / 2)
    return np.concatenate([s + dif, s - dif])  # views S ± D: Cov = I, cross-covariance diag(ρ)


problems = {  # name: (canonical correlations ρ, temperature τ)
    "weak augmentation, collapse": (np.array([1.0] * 8 + [0.55]), 1.0),
    "strong augmentation, kept": (np.array([0.7] * 5 + [0.45]), 0.2),
    "strong augmentation, collapse": (np.array([1.0] * 8 + [0.3, 0.3]), 1.0),
}
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained", sharey=True)
for ax, (name, (rho, tau)) in zip(axes, problems.items(), strict=True):
    dim = rho.shape[0]
    T = rotation(rng, dim) * rng.uniform(0.7, 1.4, dim)  # mixing: canonical directions are not the axes
    X = exact_views(N_PAIRS, rho) @ T.T
    pred = predicted_collapse_rank((T * rho) @ T.T, (T * (1 - rho)) @ T.T, temperature=tau)

    encoder = Linear(dim, dim, bias=False).init(np.random.default_rng(3))
    steps, spectra = [0], []

    def spectrum(model):
        z = model.forward(X, train=False)
        zc = z - z.mean(axis=0)
        ev = np.linalg.eigvalsh(zc.T @ zc / len(X))[::-1]
        return ev / ev.sum()

    spectra.append(spectrum(encoder))

    def record(step, value, model):
        steps.append(step)
        spectra.append(spectrum(model))

    train(encoder, SimCLRLoss(temperature=tau, reduction="mean"), X, graph,
          optimizer=SGD(learning_rate=2.0), n_steps=400, callback=record, progress=False)
    final = spectra[-1]
    measured = int(np.sum(final < COLLAPSED))
    lo, hi = pred.n_collapsed_min, pred.n_collapsed_max
    shown = f"{lo}" if lo == hi else f"{lo}..{hi}"
    print(f"{name}: r = {pred.n_kept}, ρ* = {pred.threshold:.3f}; predicted {shown} collapsed, "
          f"measured {measured}; paper's criterion (#ρ < 1/2): {pred.n_augmentation_dominated}")
    assert lo <= measured <= hi
    assert np.all((final < 1e-10) | (final > 1e-2))  # the count does not hinge on the threshold

    spec = np.maximum(np.array(spectra), 1e-18)
    for j in range(dim):
        ax.semilogy(steps, spec[:, j], color="C3" if j >= dim - lo else "C0", lw=1.0)
    ax.axhline(COLLAPSED, color="k", ls="--", lw=0.8)
    ax.set_title(f"{name}\\nρ = {rho[0]:g}×{pred.n_kept}, " + ", ".join(f"{v:g}" for v in rho[pred.n_kept:])
                 + f", τ = {tau:g}; ρ* = {pred.threshold:.2f}", fontsize=8)
    ax.annotate(f"collapsed: predicted {shown} (paper's criterion: {pred.n_augmentation_dominated}), "
                f"measured {measured}", (0.97, 0.55), xycoords="axes fraction", ha="right", fontsize=8)
    ax.set_xlabel("SGD step")
axes[0].set_ylabel("eigenvalues of Cov(Z) / trace")
plt.show()
print(f"notebook ran in {time.perf_counter() - T0:.1f} s")""",
    ),
    (
        "md",
        r"""## What was checked

- **Stepwise** (arXiv:2303.15438): the eigenvalue curves and step times of a `nets.Linear` trained by
  gradient descent converge to the logistic closed form at first order in the step; the modes are
  learned one at a time in decreasing order of $\lambda_j$.
- **SimSiam** (arXiv:2102.06810): full-matrix gradient descent reaches the predicted $p_+$ and
  feature eigenvalues $dp_+^2$ to $10^{-9}$, and each data direction switches off at
  $\eta^*=d^2/(4(d+\sigma^2))$, within the saddle-node passage bound.
- **Dimensional collapse** (arXiv:2110.09348): a trained linear InfoNCE encoder collapses exactly
  the number of dimensions `predicted_collapse_rank` gives, including the two problems where the
  informal "augmentation variance above data variance" criterion gets the count wrong.""",
    ),
]


if __name__ == "__main__":
    _nbbuild.write(CELLS, PATH, id_prefix="dynamics")
