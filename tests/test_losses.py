"""Tests for ssltheory.losses: values, exact gradients, conventions, matrix forms, invariances.

Every reference is an independent computation written here in plain NumPy (double loops where
the paper's listing loops): the left/right listing of Barlow Twins, ``-sum G log Ĝ`` with Ĝ built
entry by entry, ``np.cov`` VICReg, the spectral-contrastive Frobenius identity, W-MSE with an
explicit Cholesky whitening, and each training library's formula of loss_conventions.md. Gradients
are checked against central finite differences and PyTorch autograd.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import _backend
from ssltheory.graphs import augmentation_graph
from ssltheory.losses import (
    CONVENTIONS,
    BarlowTwinsLoss,
    LossValue,
    SimCLRLoss,
    SpectralContrastiveLoss,
    VICRegLoss,
    WMSELoss,
    barlow_twins_loss,
    convert_vicreg_weights,
    simclr_loss,
    spectral_contrastive_loss,
    vicreg_loss,
    wmse_loss,
)
from ssltheory.testing import assert_close, default_rtol
from ssltheory.testing.strategies import embeddings, graphs

EPS = float(np.finfo(np.float64).eps)
RTOL = default_rtol(np.float64)  # 4 sqrt(eps) ~ 6e-8: the library's default for agreeing formulas
# Two algebraically equal formulas evaluated in float64 differ by a few ulps per operation; with
# O(N^2 K) terms of size |L| the rounding bound is ~N^2 K eps |L|, far below 1e-11 |L| here (N<=12).
FORM_RTOL = 1e-11
FD_STEP = 1e-6


# ----------------------------------------------------------------------------- helpers
def _np(x):
    return np.asarray(_backend.to_numpy(x), dtype=np.float64)


def _weighted_graph(rng, n):
    g = rng.uniform(0.1, 2.0, size=(n, n)) * (rng.random((n, n)) < 0.7)
    g = np.triu(g, 1)
    return g + g.T


def _pairing(b):
    return augmentation_graph(b, 2)


def _fd_grad(loss, z, g, h=FD_STEP):
    """Central finite differences of a loss (NumPy inputs), entry by entry."""
    grad = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        grad[idx] = (float(loss(z + e, g)) - float(loss(z - e, g))) / (2 * h)
    return grad


def _fd_tol(value, grad, h=FD_STEP):
    """Error bound of central differences: rounding 2 eps |L| / (2h) per evaluation pair plus the
    O(h^2) truncation term (third derivatives ~ |grad| for these smooth losses); x20 safety."""
    return 20 * (EPS * max(1.0, abs(value)) / h + h**2 * max(1.0, np.abs(grad).max()))


# ----------------------------------------------------------------------------- references
def ref_vicreg_listing(z, g, *, a, b, c, penalty="square", ddof=1, floor=1e-6):
    """Spec §2.2 listing: np.cov over all stacked rows, 2 Σ triu(C,1)², pairwise invariance / N."""
    n, k = z.shape
    cov = np.atleast_2d(np.cov(z.T, ddof=ddof))
    d = np.diag(cov)
    if penalty == "square":
        var = np.sum((1 - d) ** 2)
    elif penalty == "squared_hinge":
        var = np.sum(np.maximum(0, 1 - d) ** 2)
    else:
        var = k - np.sum(np.sqrt(np.clip(d, floor, 1)))
    covt = 2 * np.sum(np.triu(cov, 1) ** 2)
    inv = sum(g[i, j] * np.sum((z[i] - z[j]) ** 2) for i in range(n) for j in range(n)) / n
    return a * var + b * covt + c * inv


def ref_vicreg_library(x, y, *, a, b, c, convention):
    """facebookresearch/vicreg main_vicreg.py (and solo-learn without the /2, lightly = reference)."""
    bsz, k = x.shape
    repr_loss = np.mean((x - y) ** 2)
    x = x - x.mean(0)
    y = y - y.mean(0)
    std_x = np.sqrt(x.var(0, ddof=1) + 1e-4)
    std_y = np.sqrt(y.var(0, ddof=1) + 1e-4)
    half = 1.0 if convention == "solo_learn" else 0.5
    std_loss = half * np.mean(np.maximum(0, 1 - std_x)) + half * np.mean(np.maximum(0, 1 - std_y))
    cov_x = x.T @ x / (bsz - 1)
    cov_y = y.T @ y / (bsz - 1)
    off = ~np.eye(k, dtype=bool)
    cov_loss = np.sum(cov_x[off] ** 2) / k + np.sum(cov_y[off] ** 2) / k
    return c * repr_loss + a * std_loss + b * cov_loss


def ref_simclr_paper(z, g, *, tau):
    """-Σ G_ij log Ĝ_ij with Ĝ built entry by entry (spec §2.3)."""
    n = z.shape[0]
    u = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    cos = u @ u.T
    total = 0.0
    for i in range(n):
        den = sum(math.exp(cos[i, k] / tau) for k in range(n) if k != i)
        for j in range(n):
            if j != i and g[i, j] != 0:
                total -= g[i, j] * math.log(math.exp(cos[i, j] / tau) / den)
    return total


def ref_simclr_solo(z, indexes, *, tau):
    """solo-learn simclr_loss_func: masks from indexes, -mean(log(pos / (pos + neg)))."""
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    sim = np.exp(u @ u.T / tau)
    pos_mask = indexes[:, None] == indexes[None, :]
    np.fill_diagonal(pos_mask, False)
    neg_mask = indexes[:, None] != indexes[None, :]
    pos = np.sum(sim * pos_mask, 1)
    neg = np.sum(sim * neg_mask, 1)
    return -np.mean(np.log(pos / (pos + neg)))


def ref_ntxent_lightly(x, y, *, tau):
    """lightly NTXentLoss (no memory bank): 2B-way cross-entropy without self-similarity, mean."""
    out = np.concatenate([x, y]) / np.linalg.norm(np.concatenate([x, y]), axis=1, keepdims=True)
    n, bsz = out.shape[0], x.shape[0]
    losses = []
    for i in range(n):
        target = (i + bsz) % n
        logits = [out[i] @ out[j] / tau for j in range(n) if j != i]
        lse = math.log(sum(math.exp(v) for v in logits))
        losses.append(lse - out[i] @ out[target] / tau)
    return float(np.mean(losses))


def ref_bt_listing(z, g, *, alpha, eps=1e-12):
    """Spec §2.4: r, c = nonzero(G); left = Z[r], right = Z[c]; column-normalised cross-correlation."""
    r, c = np.nonzero(g)
    left, right = z[r], z[c]
    k = z.shape[1]
    cc = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            cc[i, j] = (
                left[:, i] @ right[:, j] / (np.linalg.norm(left[:, i]) * np.linalg.norm(right[:, j]) + eps)
            )
    return np.sum((np.diag(cc) - 1) ** 2) + alpha * np.sum(cc[~np.eye(k, dtype=bool)] ** 2)


def ref_bt_library(x, y, *, lambd, convention):
    """facebookresearch/barlowtwins (BatchNorm1d affine=False), solo-learn (x0.025), lightly (std)."""
    bsz = x.shape[0]

    def norm(v):
        if convention == "lightly":
            return (v - v.mean(0)) / v.std(0, ddof=1)
        return (v - v.mean(0)) / np.sqrt(v.var(0) + 1e-5)

    c = norm(x).T @ norm(y) / bsz
    on = np.sum((np.diag(c) - 1) ** 2)
    off = np.sum(c[~np.eye(c.shape[0], dtype=bool)] ** 2)
    loss = on + lambd * off
    return 0.025 * loss if convention == "solo_learn" else loss


def ref_sc(f, g, *, weighting):
    """HaoChen et al. 2021 double sum (spec §2.5)."""
    n = f.shape[0]
    if weighting == "degree":
        vol = g.sum()
        w, wi = g / vol, g.sum(1) / vol
    else:
        w, wi = g, np.ones(n)
    total = 0.0
    for i in range(n):
        for j in range(n):
            s = f[i] @ f[j]
            total += -2 * w[i, j] * s + wi[i] * wi[j] * s**2
    return total


def ref_wmse(z, g):
    """Explicit Cholesky whitening (W-MSE's own whitening), then the pairwise sum / N."""
    n = z.shape[0]
    zc = z - z.mean(0)
    cov = zc.T @ zc / (n - 1)
    chol = np.linalg.cholesky(cov)
    zh = np.linalg.solve(chol, zc.T).T  # Cov(zh) = I
    return sum(g[i, j] * np.sum((zh[i] - zh[j]) ** 2) for i in range(n) for j in range(n)) / n


# ----------------------------------------------------------------------------- cases
def _cases():
    """(id, loss, graph kind): every loss and convention; graph kind 'weighted' or 'pairing'."""
    return [
        ("vicreg-square", VICRegLoss(variance_weight=2.0, covariance_weight=0.5, invariance_weight=0.3), "w"),
        ("vicreg-sqhinge", VICRegLoss(variance_penalty="squared_hinge", ddof=0), "w"),
        ("vicreg-hinge", VICRegLoss(variance_penalty="hinge"), "w"),
        (
            "vicreg-reference",
            VICRegLoss(convention="reference", variance_weight=25.0, invariance_weight=25.0),
            "p",
        ),
        ("vicreg-solo", VICRegLoss(convention="solo_learn", variance_weight=25.0), "p"),
        ("vicreg-lightly", VICRegLoss(convention="lightly"), "p"),
        ("simclr-sum", SimCLRLoss(), "w"),
        ("simclr-mean", SimCLRLoss(reduction="mean", temperature=0.2), "w"),
        ("simclr-solo", SimCLRLoss(convention="solo_learn"), "p"),
        ("simclr-lightly", SimCLRLoss(convention="lightly"), "p"),
        ("bt-paper", BarlowTwinsLoss(redundancy_weight=0.7), "w"),
        ("bt-center", BarlowTwinsLoss(center=True), "w"),
        ("bt-reference", BarlowTwinsLoss(convention="reference"), "p"),
        ("bt-solo", BarlowTwinsLoss(convention="solo_learn"), "p"),
        ("bt-lightly", BarlowTwinsLoss(convention="lightly", redundancy_weight=0.3), "p"),
        ("sc-degree", SpectralContrastiveLoss(), "w"),
        ("sc-none", SpectralContrastiveLoss(weighting="none"), "w"),
        ("wmse", WMSELoss(), "w"),
    ]


CASES = _cases()
CASE_IDS = [c[0] for c in CASES]


def _inputs(rng, kind, n=10, k=3, scale=0.5):
    z = scale * rng.standard_normal((n, k))
    g = _weighted_graph(rng, n) if kind == "w" else _pairing(n // 2)
    return z, g


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize(("name", "loss", "kind"), CASES, ids=CASE_IDS)
def test_gradient_matches_finite_differences(name, loss, kind, rng):
    z, g = _inputs(rng, kind)
    out = loss.value_and_grad(z, g)
    fd = _fd_grad(loss, z, g)
    tol = _fd_tol(float(out.value), _np(out.grad))
    err = np.abs(_np(out.grad) - fd).max()
    assert err <= tol, f"{name}: |grad - FD| = {err:.3g} > {tol:.3g}"


@pytest.mark.parametrize(("name", "loss", "kind"), CASES, ids=CASE_IDS)
def test_backend_preserved_and_consistent(name, loss, kind, xp, rng):
    z, g = _inputs(rng, kind)
    ref = loss.value_and_grad(z, g)
    out = loss.value_and_grad(xp.asarray(z), xp.asarray(g))
    assert isinstance(out, LossValue)
    assert _backend.get_namespace(out.value, out.grad) is _backend.get_namespace(xp.asarray(z))
    assert out.value.shape == ()
    assert out.grad.shape == z.shape
    assert out.grad.dtype == xp.float64
    # same float64 operations on every backend: agreement to rounding (default_rtol is generous)
    assert_close(_np(out.value), _np(ref.value), rtol=RTOL)
    assert_close(_np(out.grad), _np(ref.grad), rtol=RTOL, atol=RTOL * np.abs(_np(ref.grad)).max())
    out32 = loss.value_and_grad(xp.asarray(z, dtype=xp.float32), xp.asarray(g, dtype=xp.float32))
    assert out32.value.dtype == xp.float32
    assert out32.grad.dtype == xp.float32
    # float32 rounding: default_rtol(float32) = 1.4e-3 relative to the value's scale
    assert_close(float(out32.value), float(ref.value), rtol=default_rtol(np.float32), atol=1e-4)


def test_integer_embedding_promoted_to_float64(xp):
    g = xp.asarray(_pairing(3))
    z = xp.asarray([[1, 0], [0, 2], [1, 1], [2, 0], [0, 1], [1, 2]])
    zf = xp.astype(z, xp.float64)
    for loss in (VICRegLoss(), SimCLRLoss(), BarlowTwinsLoss(), SpectralContrastiveLoss(), WMSELoss()):
        out = loss.value_and_grad(z, g)
        assert out.value.dtype == xp.float64
        assert out.grad.dtype == xp.float64
        assert float(out.value) == float(loss(zf, g))


# ----------------------------------------------------------------------------- torch autograd
def _torch_losses(torch):
    fn = torch.nn.functional

    def vicreg_square(z, g, a=2.0, b=0.5, c=0.3):
        n, _k = z.shape
        cov = torch.cov(z.T)
        off = cov - torch.diag(torch.diag(cov))
        inv = (g * torch.cdist(z, z) ** 2).sum() / n
        return a * ((1 - torch.diag(cov)) ** 2).sum() + b * (off**2).sum() + c * inv

    def vicreg_reference(z, g, a=25.0, b=1.0, c=25.0):
        bsz = z.shape[0] // 2
        x, y = z[:bsz], z[bsz:]
        k = x.shape[1]
        repr_loss = fn.mse_loss(x, y)
        x, y = x - x.mean(0), y - y.mean(0)
        sx, sy = torch.sqrt(x.var(0) + 1e-4), torch.sqrt(y.var(0) + 1e-4)
        std_loss = torch.mean(fn.relu(1 - sx)) / 2 + torch.mean(fn.relu(1 - sy)) / 2
        cx, cy = x.T @ x / (bsz - 1), y.T @ y / (bsz - 1)
        mask = ~torch.eye(k, dtype=torch.bool)
        cov_loss = cx[mask].pow(2).sum() / k + cy[mask].pow(2).sum() / k
        return c * repr_loss + a * std_loss + b * cov_loss

    def simclr_sum(z, g, tau=0.5):
        u = fn.normalize(z, dim=1)
        s = u @ u.T / tau
        s = s.masked_fill(torch.eye(z.shape[0], dtype=torch.bool), float("-inf"))
        logp = torch.log_softmax(s, dim=1)
        return -(g * torch.where(g > 0, logp, torch.zeros_like(logp))).sum()

    def simclr_lightly(z, g, tau=0.5):
        bsz = z.shape[0] // 2
        u = fn.normalize(z, dim=1)
        s = (u @ u.T / tau).masked_fill(torch.eye(2 * bsz, dtype=torch.bool), float("-inf"))
        labels = torch.cat([torch.arange(bsz, 2 * bsz), torch.arange(bsz)])
        return fn.cross_entropy(s, labels)

    def bt_paper(z, g, alpha=0.7):
        r, c = torch.nonzero(g, as_tuple=True)
        left, right = z[r] * g[r, c].sqrt()[:, None], z[c] * g[r, c].sqrt()[:, None]
        cc = (left.T @ right) / (left.norm(dim=0)[:, None] * right.norm(dim=0)[None, :] + 1e-12)
        off = cc - torch.diag(torch.diag(cc))
        return ((torch.diag(cc) - 1) ** 2).sum() + alpha * (off**2).sum()

    def bt_reference(z, g, lambd=0.0051):
        bsz = z.shape[0] // 2
        bn = torch.nn.BatchNorm1d(z.shape[1], affine=False).double()
        c = bn(z[:bsz]).T @ bn(z[bsz:]) / bsz
        off = c - torch.diag(torch.diag(c))
        return ((torch.diag(c) - 1) ** 2).sum() + lambd * (off**2).sum()

    def sc_degree(f, g):
        vol = g.sum()
        w = g.sum(1) / vol
        s = f @ f.T
        return -2 * (g / vol * s).sum() + (w[:, None] * w[None, :] * s**2).sum()

    def wmse(z, g):
        n = z.shape[0]
        zc = z - z.mean(0)
        cov = zc.T @ zc / (n - 1)
        wz = zc @ torch.linalg.inv(torch.linalg.cholesky(cov)).T
        return (g * torch.cdist(wz, wz) ** 2).sum() / n

    return [
        ("vicreg-square", vicreg_square, "w"),
        ("vicreg-reference", vicreg_reference, "p"),
        ("simclr-sum", simclr_sum, "w"),
        ("simclr-lightly", simclr_lightly, "p"),
        ("bt-paper", bt_paper, "w"),
        ("bt-reference", bt_reference, "p"),
        ("sc-degree", sc_degree, "w"),
        ("wmse", wmse, "w"),
    ]


def test_torch_autograd_cross_check(rng):
    torch = pytest.importorskip("torch")
    ours = {c[0]: c[1] for c in CASES}
    for name, fn, kind in _torch_losses(torch):
        z, g = _inputs(rng, kind)
        zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        gt = torch.tensor(g, dtype=torch.float64)
        value = fn(zt, gt)
        value.backward()
        out = ours[name].value_and_grad(z, g)
        # independent float64 programs (cdist, log_softmax, BatchNorm): agreement to default_rtol
        assert_close(float(out.value), float(value.detach()), rtol=RTOL, err_msg=name)
        tg = zt.grad.numpy()
        assert_close(_np(out.grad), tg, rtol=RTOL, atol=RTOL * np.abs(tg).max(), err_msg=name)


@pytest.mark.parametrize(("name", "loss", "kind"), CASES, ids=CASE_IDS)
def test_torch_tensors_accepted(name, loss, kind, rng):
    torch = pytest.importorskip("torch")
    z, g = _inputs(rng, kind)
    out = loss.value_and_grad(torch.tensor(z, dtype=torch.float64), torch.tensor(g, dtype=torch.float64))
    assert isinstance(out.grad, torch.Tensor)
    assert out.grad.dtype == torch.float64
    ref = loss.value_and_grad(z, g)
    # same float64 formulas through array-api-compat's torch namespace: rounding-level agreement
    assert_close(float(out.value), float(ref.value), rtol=RTOL)
    assert_close(out.grad.numpy(), _np(ref.grad), rtol=RTOL, atol=RTOL * np.abs(_np(ref.grad)).max())


# ----------------------------------------------------------------------------- conventions pinned
def test_vicreg_library_conventions_match_official_formula(rng):
    bsz, k = 7, 4
    x = 0.6 * rng.standard_normal((bsz, k))
    y = x + 0.3 * rng.standard_normal((bsz, k))
    z = np.concatenate([x, y])
    for conv in ("reference", "solo_learn", "lightly"):
        weights = {"variance_weight": 25.0, "covariance_weight": 1.0, "invariance_weight": 25.0}
        got = vicreg_loss(z, _pairing(bsz), convention=conv, **weights)
        ref = ref_vicreg_library(x, y, a=25.0, b=1.0, c=25.0, convention=conv)
        assert_close(float(got), ref, rtol=FORM_RTOL, err_msg=conv)
    # solo-learn has no /2 on the variance term: its variance part is twice the reference one
    only_var = {"variance_weight": 1.0, "covariance_weight": 0.0, "invariance_weight": 0.0}
    ref_v = float(vicreg_loss(z, _pairing(bsz), convention="reference", **only_var))
    solo_v = float(vicreg_loss(z, _pairing(bsz), convention="solo_learn", **only_var))
    assert ref_v > 0
    assert solo_v == pytest.approx(2 * ref_v, rel=FORM_RTOL)


def test_bt_library_conventions_match_official_formula(rng):
    bsz, k = 9, 3
    x = rng.standard_normal((bsz, k))
    y = x + 0.5 * rng.standard_normal((bsz, k))
    z = np.concatenate([x, y])
    for conv, lam in (("reference", 0.0051), ("solo_learn", 5e-3), ("lightly", 5e-3)):
        got = barlow_twins_loss(z, _pairing(bsz), convention=conv)
        assert_close(
            float(got), ref_bt_library(x, y, lambd=lam, convention=conv), rtol=FORM_RTOL, err_msg=conv
        )
        got = barlow_twins_loss(z, _pairing(bsz), convention=conv, redundancy_weight=0.2)
        assert_close(
            float(got), ref_bt_library(x, y, lambd=0.2, convention=conv), rtol=FORM_RTOL, err_msg=conv
        )


def test_simclr_library_conventions_match_official_formula(rng):
    bsz, k = 6, 4
    z = rng.standard_normal((2 * bsz, k))
    g = _pairing(bsz)
    indexes = np.arange(2 * bsz) % bsz
    got = simclr_loss(z, g, convention="solo_learn")
    assert_close(float(got), ref_simclr_solo(z, indexes, tau=0.1), rtol=FORM_RTOL)
    got = simclr_loss(z, g, convention="lightly")
    assert_close(float(got), ref_ntxent_lightly(z[:bsz], z[bsz:], tau=0.5), rtol=FORM_RTOL)
    # solo-learn multi-positive on a label graph (3 classes of 4): log of a sum of positives
    labels = np.repeat(np.arange(3), 4)
    gl = (labels[:, None] == labels[None, :]).astype(float) - np.eye(12)
    z = rng.standard_normal((12, k))
    got = simclr_loss(z, gl, convention="solo_learn", temperature=0.3)
    assert_close(float(got), ref_simclr_solo(z, labels, tau=0.3), rtol=FORM_RTOL)


def test_library_conventions_follow_pairing_not_row_order(rng):
    """Relabelling the pairs (same permutation in both branches) or swapping the two branches
    permutes the gradient rows and keeps the value: the branch of a node is the lower index of its
    pair (pair_indices), so only orientation-preserving relabellings are symmetries."""
    bsz, k = 5, 3
    z = rng.standard_normal((2 * bsz, k))
    g = _pairing(bsz)
    p = rng.permutation(bsz)
    for perm in (np.concatenate([p, p + bsz]), np.concatenate([p + bsz, p])):
        for loss in (
            VICRegLoss(convention="reference"),
            BarlowTwinsLoss(convention="reference"),
            SimCLRLoss(convention="lightly"),
        ):
            a, b = loss.value_and_grad(z, g), loss.value_and_grad(z[perm], g[np.ix_(perm, perm)])
            # same sums in another order (BT with swapped branches: c -> c^T): rounding only
            assert_close(float(b.value), float(a.value), rtol=FORM_RTOL)
            assert_close(_np(b.grad), _np(a.grad)[perm], rtol=RTOL, atol=RTOL * np.abs(_np(a.grad)).max())


def test_convert_vicreg_weights_invariance_exact(rng):
    bsz, k = 8, 5
    z = rng.standard_normal((2 * bsz, k))
    for conv in ("reference", "solo_learn", "lightly"):
        w = convert_vicreg_weights(
            variance_weight=0.0,
            covariance_weight=0.0,
            invariance_weight=25.0,
            n_components=k,
            from_convention=conv,
            to_convention="paper",
        )
        assert w["invariance_weight"] == pytest.approx(25.0 / k)
        lib = vicreg_loss(
            z,
            _pairing(bsz),
            convention=conv,
            variance_weight=0.0,
            covariance_weight=0.0,
            invariance_weight=25.0,
        )
        paper = vicreg_loss(z, _pairing(bsz), **w)
        assert_close(float(paper), float(lib), rtol=FORM_RTOL, err_msg=conv)


@pytest.mark.parametrize("conv", ["reference", "solo_learn", "lightly"])
def test_convert_vicreg_weights_full_loss_identical_branch_statistics(conv, rng):
    """y = row permutation of x: identical per-branch mean and covariance; paper hinge with ddof=2.

    The two losses then differ only by the library's +1e-4 inside the square root of the variance,
    an exactly known additive term α_paper Σ_k (sqrt(v_k + 1e-4) - sqrt(v_k)) (variances in (0, 1)).
    """
    bsz, k = 12, 3
    x = rng.standard_normal((bsz, k))
    x = (x - x.mean(0)) / x.std(0, ddof=1) * np.sqrt([0.3, 0.5, 0.8])  # per-column variances < 1
    mix = np.linalg.qr(rng.standard_normal((k, k)))[0]
    x = x @ (0.2 * mix + np.eye(k)) / 1.3  # correlate the columns (non-zero covariance term)
    y = x[rng.permutation(bsz)]
    z = np.concatenate([x, y])
    lib_w = {"variance_weight": 25.0, "covariance_weight": 1.0, "invariance_weight": 25.0}
    w = convert_vicreg_weights(n_components=k, from_convention=conv, to_convention="paper", **lib_w)
    lib = float(vicreg_loss(z, _pairing(bsz), convention=conv, **lib_w))
    paper = float(vicreg_loss(z, _pairing(bsz), variance_penalty="hinge", ddof=2, **w))
    v = x.var(0, ddof=1)
    assert np.all(v < 1 - 1e-4)
    assert np.all(v > 1e-6)
    shift = w["variance_weight"] * np.sum(np.sqrt(v + 1e-4) - np.sqrt(v))
    assert shift > 0
    # exact identity up to rounding of O(B K^2) terms
    assert_close(paper - lib, shift, rtol=1e-9, atol=1e-12 * abs(lib))
    back = convert_vicreg_weights(n_components=k, from_convention="paper", to_convention=conv, **w)
    assert back == pytest.approx(lib_w, rel=1e-15)


# ----------------------------------------------------------------------------- matrix vs listing forms
def test_vicreg_matrix_form_equals_listing(rng):
    z, g = _inputs(rng, "w", n=9, k=4)
    for penalty in ("square", "squared_hinge", "hinge"):
        for ddof in (0, 1):
            got = vicreg_loss(
                z,
                g,
                variance_weight=1.5,
                covariance_weight=0.7,
                invariance_weight=0.4,
                variance_penalty=penalty,
                ddof=ddof,
            )
            ref = ref_vicreg_listing(z, g, a=1.5, b=0.7, c=0.4, penalty=penalty, ddof=ddof)
            assert_close(float(got), ref, rtol=FORM_RTOL, err_msg=f"{penalty}, ddof={ddof}")


def test_simclr_matrix_form_equals_listing(rng):
    z, g = _inputs(rng, "w", n=8, k=3)
    for tau in (0.1, 0.5, 2.0):
        assert_close(
            float(simclr_loss(z, g, temperature=tau)), ref_simclr_paper(z, g, tau=tau), rtol=FORM_RTOL
        )
        mean = float(simclr_loss(z, g, temperature=tau, reduction="mean"))
        assert_close(mean, ref_simclr_paper(z, g, tau=tau) / g.sum(), rtol=FORM_RTOL)


def test_bt_matrix_form_equals_left_right_listing(rng):
    # a, b, c mutually related and d, e related (spec §2.4 example), plus a random 0/1 graph
    g1 = np.zeros((5, 5))
    for i, j in [(0, 1), (0, 2), (1, 2), (3, 4)]:
        g1[i, j] = g1[j, i] = 1
    b = (rng.random((9, 9)) < 0.4).astype(float)
    g2 = np.triu(b, 1) + np.triu(b, 1).T
    for g in (g1, g2):
        z = rng.standard_normal((g.shape[0], 3))
        for alpha in (0.3, 1.0, 2.0):
            got = barlow_twins_loss(z, g, redundancy_weight=alpha)
            assert_close(float(got), ref_bt_listing(z, g, alpha=alpha), rtol=FORM_RTOL)


def test_spectral_contrastive_identities(rng):
    f, g = _inputs(rng, "w", n=8, k=3)
    g = g + np.diag(rng.uniform(0.0, 1.0, 8))  # diagonal used as given (spec D2)
    vol, d = g.sum(), g.sum(1)
    abar = g / np.sqrt(np.outer(d, d))
    u = np.sqrt(d / vol)[:, None] * f
    ident = np.linalg.norm(u @ u.T - abar) ** 2 - np.linalg.norm(abar) ** 2
    got = spectral_contrastive_loss(f, g)
    scale = np.linalg.norm(abar) ** 2 + np.linalg.norm(u @ u.T) ** 2  # cancellation in the identity
    assert_close(float(got), ident, rtol=0, atol=FORM_RTOL * scale)
    assert_close(float(got), ref_sc(f, g, weighting="degree"), rtol=FORM_RTOL)
    ident = np.linalg.norm(f @ f.T - g) ** 2 - np.linalg.norm(g) ** 2
    got = spectral_contrastive_loss(f, g, weighting="none")
    scale = np.linalg.norm(g) ** 2 + np.linalg.norm(f @ f.T) ** 2
    assert_close(float(got), ident, rtol=0, atol=FORM_RTOL * scale)
    assert_close(float(got), ref_sc(f, g, weighting="none"), rtol=FORM_RTOL)


def test_wmse_equals_explicit_whitening(rng):
    z, g = _inputs(rng, "w", n=10, k=3)
    # ZCA (ours, via Cov^-1) vs Cholesky whitening: Cov^-1 conditioning amplifies rounding, cond ~ 10
    assert_close(float(wmse_loss(z, g)), ref_wmse(z, g), rtol=1e-10)


def test_wmse_zero_for_invariant_embedding(rng):
    b, k = 6, 2
    x = rng.standard_normal((b, k))
    z = np.concatenate([x, x])
    assert abs(float(wmse_loss(z, _pairing(b)))) <= 1e-12  # exactly invariant up to rounding


# ----------------------------------------------------------------------------- invariances (spec §3)
def _orth(rng, k):
    return np.linalg.qr(rng.standard_normal((k, k)))[0]


def test_vicreg_invariances(rng):
    z, g = _inputs(rng, "w", n=9, k=3)
    r, m = _orth(rng, 3), rng.standard_normal((1, 3))
    sq = VICRegLoss(variance_weight=1.3, covariance_weight=1.3, invariance_weight=0.5)
    base = float(sq(z, g))
    assert_close(float(sq(z @ r, g)), base, rtol=RTOL)
    assert_close(float(sq(z + m, g)), base, rtol=RTOL)
    hinge = VICRegLoss(variance_penalty="hinge")
    sp = np.diag([1.0, -1.0, 1.0])[:, [2, 0, 1]]  # signed permutation
    assert_close(float(hinge(z @ sp + m, g)), float(hinge(z, g)), rtol=RTOL)
    unequal = VICRegLoss(variance_weight=3.0, covariance_weight=1.0)
    assert abs(float(unequal(z @ r, g)) - float(unequal(z, g))) > 1e-3 * float(unequal(z, g))


def test_simclr_invariances(rng):
    z, g = _inputs(rng, "w", n=8, k=3)
    base = float(simclr_loss(z, g))
    a = rng.uniform(0.1, 10.0, size=(8, 1))
    assert_close(float(simclr_loss(a * z, g)), base, rtol=RTOL)
    assert_close(float(simclr_loss(z @ _orth(rng, 3), g)), base, rtol=RTOL)
    assert abs(float(simclr_loss(z + 1.0, g)) - base) > 1e-3 * base  # not translation invariant


def test_bt_invariances(rng):
    z, g = _inputs(rng, "w", n=8, k=3)
    base = float(barlow_twins_loss(z, g))
    s = np.array([2.0, -0.3, 5.0])
    assert_close(float(barlow_twins_loss(z * s, g)), base, rtol=RTOL)
    assert_close(float(barlow_twins_loss(z[:, [2, 0, 1]], g)), base, rtol=RTOL)
    assert abs(float(barlow_twins_loss(z @ _orth(rng, 3), g)) - base) > 1e-3 * base
    assert abs(float(barlow_twins_loss(z + 1.0, g)) - base) > 1e-3 * base
    # centred variant: translations are removed by the degree-weighted mean
    assert_close(
        float(barlow_twins_loss(z + 1.0, g, center=True)),
        float(barlow_twins_loss(z, g, center=True)),
        rtol=RTOL,
    )


def test_sc_and_wmse_invariances(rng):
    z, g = _inputs(rng, "w", n=8, k=3)
    r = _orth(rng, 3)
    assert_close(
        float(spectral_contrastive_loss(z @ r, g)), float(spectral_contrastive_loss(z, g)), rtol=RTOL
    )
    t = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    # W-MSE depends on Z only through the whitened subspace: any invertible T and shift
    assert_close(float(wmse_loss(z @ t + 2.0, g)), float(wmse_loss(z, g)), rtol=1e-9)


# ----------------------------------------------------------------------------- bad input
def test_bad_graphs_rejected(xp, rng):
    z = xp.asarray(rng.standard_normal((4, 2)))
    g = _pairing(2)
    asym = g.copy()
    asym[0, 1] = 3.0
    neg = -g
    nan = g.copy()
    nan[0, 2] = nan[2, 0] = np.nan
    for loss in (VICRegLoss(), SimCLRLoss(), BarlowTwinsLoss(), SpectralContrastiveLoss(), WMSELoss()):
        with pytest.raises(ValueError, match="graph must be symmetric"):
            loss(z, xp.asarray(asym))
        with pytest.raises(ValueError, match="graph must be non-negative"):
            loss(z, xp.asarray(neg))
        with pytest.raises(ValueError, match="graph must be finite"):
            loss(z, xp.asarray(nan))
        with pytest.raises(ValueError, match="graph must be"):
            loss(z, xp.asarray(_pairing(3)))  # 6 nodes for 4 rows


def test_diagonal_policies(xp, rng):
    z = rng.standard_normal((6, 2))
    g = _pairing(3)
    gd = g + np.diag(np.arange(1.0, 7.0))
    for loss in (SimCLRLoss(), BarlowTwinsLoss()):
        with pytest.raises(ValueError, match="zero diagonal"):
            loss(xp.asarray(z), xp.asarray(gd))
    for loss in (VICRegLoss(), WMSELoss()):  # cancels in L
        assert_close(float(loss(xp.asarray(z), xp.asarray(gd))), float(loss(z, g)), rtol=RTOL)
    sc = SpectralContrastiveLoss(weighting="none")  # used as given: the self-terms add -2 Σ G_ii |f_i|²
    extra = -2 * np.sum(np.arange(1.0, 7.0) * np.sum(z**2, axis=1))
    assert_close(float(sc(xp.asarray(z), xp.asarray(gd))), float(sc(z, g)) + extra, rtol=RTOL)


def test_bad_embeddings_and_conventions(xp, rng):
    g = xp.asarray(_pairing(3))
    with pytest.raises(ValueError, match="embedding must be a 2-D array"):
        VICRegLoss()(xp.asarray(rng.standard_normal(6)), g)
    z = rng.standard_normal((6, 2))
    z[1, 1] = np.inf
    with pytest.raises(ValueError, match="embedding must be finite"):
        SimCLRLoss()(xp.asarray(z), g)
    for cls in (SpectralContrastiveLoss, WMSELoss):
        with pytest.raises(ValueError, match="no training library"):
            cls(convention="reference")
    for cls in (VICRegLoss, BarlowTwinsLoss, SimCLRLoss):
        with pytest.raises(ValueError, match="convention must be one of"):
            cls(convention="pytorch")
    with pytest.raises(ValueError, match="convention must be one of"):
        SimCLRLoss(convention="reference")  # the reference VICReg/BT codes define no SimCLR
    with pytest.raises(ValueError, match="reduction must be"):
        SimCLRLoss(reduction="max")
    with pytest.raises(ValueError, match="reduction must be 'mean'"):
        SimCLRLoss(convention="lightly", reduction="sum")
    with pytest.raises(ValueError, match="temperature must be > 0"):
        SimCLRLoss(temperature=0.0)
    with pytest.raises(ValueError, match="weighting must be"):
        SpectralContrastiveLoss(weighting="uniform")
    with pytest.raises(ValueError, match="center=True"):
        BarlowTwinsLoss(center=True, convention="lightly")
    with pytest.raises(TypeError, match="center must be a bool"):
        BarlowTwinsLoss(center=1)
    with pytest.raises(ValueError, match="redundancy_weight must be >= 0"):
        BarlowTwinsLoss(redundancy_weight=-1.0)
    assert CONVENTIONS == ("paper", "reference", "solo_learn", "lightly")


def test_library_conventions_need_pairing_graph(xp, rng):
    z = xp.asarray(rng.standard_normal((6, 2)))
    tri = np.ones((6, 6)) - np.eye(6)  # one 6-clique: not a pairing
    for loss in (
        VICRegLoss(convention="reference"),
        BarlowTwinsLoss(convention="lightly"),
        SimCLRLoss(convention="lightly"),
    ):
        with pytest.raises(ValueError, match="two-view pairing"):
            loss(z, xp.asarray(tri))
    with pytest.raises(ValueError, match="0/1 entries"):
        SimCLRLoss(convention="solo_learn")(z, xp.asarray(0.5 * _pairing(3)))
    iso = _pairing(3)
    iso[0, 3] = iso[3, 0] = 0
    with pytest.raises(ValueError, match="at least one positive"):
        SimCLRLoss(convention="solo_learn")(z, xp.asarray(iso))


def test_wmse_needs_invertible_covariance(xp, rng):
    g = xp.asarray(_pairing(2))
    with pytest.raises(ValueError, match="n_components <= n_samples - 1"):
        WMSELoss()(xp.asarray(rng.standard_normal((4, 4))), g)
    z = rng.standard_normal((4, 1)) @ np.ones((1, 2))  # rank one
    with pytest.raises(ValueError, match="singular covariance"):
        WMSELoss()(xp.asarray(z), g)
    with pytest.raises(ValueError, match="zero volume"):
        SpectralContrastiveLoss()(xp.asarray(z), xp.asarray(np.zeros((4, 4))))


# ----------------------------------------------------------------------------- properties
@settings(max_examples=15)
@given(graph=graphs(("binary", "augmentation", "label", "knn"), min_nodes=3, max_nodes=9), data=st.data())
def test_property_bt_matrix_form_equals_listing(graph, data):
    z = data.draw(embeddings(graph.shape[0], (1, 4), max_abs=3.0))
    if not np.any(graph) or np.any(np.linalg.norm(z, axis=0) < 1e-3):
        return  # no pair / a (near-)zero column: the listing divides 0 by eps, compare only proper cases
    alpha = data.draw(st.floats(0.1, 3.0))
    got = float(barlow_twins_loss(z, graph, redundancy_weight=alpha))
    # C entries are bounded by 1, so the loss is O(K^2) and rounding is absolute ~ K^2 N eps
    assert_close(got, ref_bt_listing(z, graph, alpha=alpha), rtol=1e-9, atol=1e-10)


@settings(max_examples=15)
@given(graph=graphs(min_nodes=2, max_nodes=9), data=st.data())
def test_property_sc_identity_and_simclr_bounds(graph, data):
    f = data.draw(embeddings(graph.shape[0], (1, 4), max_abs=3.0))
    ident = np.linalg.norm(f @ f.T - graph) ** 2 - np.linalg.norm(graph) ** 2
    scale = np.linalg.norm(graph) ** 2 + np.linalg.norm(f @ f.T) ** 2 + 1.0
    assert abs(float(spectral_contrastive_loss(f, graph, weighting="none")) - ident) <= 1e-11 * scale
    if np.any(graph):
        # -log Ĝ_ij >= 0 since Ĝ is a probability: the sum is >= 0 and its mean <= its sum / Σ G
        total = float(simclr_loss(f, graph))
        assert total >= -1e-12
        assert_close(
            float(simclr_loss(f, graph, reduction="mean")), total / graph.sum(), rtol=FORM_RTOL, atol=1e-15
        )


@settings(max_examples=15)
@given(graph=graphs(("weighted", "augmentation"), min_nodes=4, max_nodes=9), data=st.data())
def test_property_vicreg_dirichlet_and_rotation(graph, data):
    n = graph.shape[0]
    z = data.draw(embeddings(n, (1, 3), max_abs=3.0))
    # invariance weight only: (γ/N) Σ G |z_i - z_j|^2 = (2γ/N) Tr(Z^T L Z)
    lap = np.diag(graph.sum(1)) - graph
    got = float(vicreg_loss(z, graph, variance_weight=0.0, covariance_weight=0.0, invariance_weight=1.0))
    want = 2 * np.trace(z.T @ lap @ z) / n
    assert_close(got, want, rtol=FORM_RTOL, atol=1e-12 * (1 + np.abs(lap).sum() * np.abs(z).max() ** 2))
    seed = data.draw(st.integers(0, 2**16))
    r = _orth(np.random.default_rng(seed), z.shape[1])
    loss = VICRegLoss(variance_weight=0.8, covariance_weight=0.8, invariance_weight=0.3)
    base = float(loss(z, graph))
    assert_close(float(loss(z @ r, graph)), base, rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize(("name", "loss", "kind"), CASES, ids=CASE_IDS)
def test_scipy_sparse_graph_equals_dense(name, loss, kind, rng):
    scipy_sparse = pytest.importorskip("scipy.sparse")
    z, g = _inputs(rng, kind)
    dense, sparse = loss.value_and_grad(z, g), loss.value_and_grad(z, scipy_sparse.csr_array(g))
    # the sparse graph is densified once (prepare): identical arithmetic afterwards
    assert float(sparse.value) == float(dense.value)
    np.testing.assert_array_equal(_np(sparse.grad), _np(dense.grad))
