"""Tests for ssltheory.losses library conventions: every library's loss re-implemented here from its
published source (NumPy, and torch with torch.nn.functional as the library writes it), and the
paper-form problem of ``to_paper`` checked on the stacked views.

Sources read (repository/path@commit, or the PyPI distribution unpacked):
- facebookresearch/vicreg/main_vicreg.py@b42aa2327afe19773b4fbd7d3bcb46a9af1e4367
- facebookresearch/barlowtwins/main.py@a655214c76c97d0150277b85d16e69328ea52fd9
- vturrisi/solo-learn/solo/losses/{vicreg.py@53e8139, barlow.py@2269ce6, simclr.py@00ce246}
- lightly==1.6.0, 1.5.20-1.5.22, 1.5.19, 1.4.17, 1.4.16, 1.3.0 lightly/loss/{vicreg_loss,
  barlow_twins_loss, ntx_ent_loss}.py
- rbalestr-lab/stable-pretraining/stable_pretraining/losses/joint_embedding.py@8da43dd (+ utils.py
  VCRegLoss), and @b8a9c8a (inline VICReg)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssltheory.graphs import augmentation_graph
from ssltheory.losses import (
    BarlowTwinsLoss,
    SimCLRLoss,
    VICRegLoss,
    convert_vicreg_weights,
    get_convention,
    library_loss,
    list_conventions,
    to_paper,
)

# Two transcriptions of the same sums in float64 differ by rounding of O(B K^2) terms of size |L|;
# with B, K <= 16 that is far below 1e-12 |L| (measured ~1e-15).
RTOL = 1e-12


def _branches(rng, b=12, k=5):
    x = 0.7 * rng.standard_normal((b, k)) + rng.standard_normal(k)
    y = x + 0.4 * rng.standard_normal((b, k))
    return x, y


# ----------------------------------------------------------------------------- NumPy transcriptions
def np_vicreg(x, y, *, w_inv, w_var, w_cov, half, eps=1e-4):
    """main_vicreg.py VICReg.forward (half=True), solo-learn vicreg_loss_func (half=False)."""
    bsz, d = x.shape
    repr_loss = np.mean((x - y) ** 2)
    x = x - x.mean(0)
    y = y - y.mean(0)
    std_x = np.sqrt(x.var(0, ddof=1) + eps)
    std_y = np.sqrt(y.var(0, ddof=1) + eps)
    std_loss = np.mean(np.maximum(0, 1 - std_x)) + np.mean(np.maximum(0, 1 - std_y))
    if half:
        std_loss = std_loss / 2
    off = ~np.eye(d, dtype=bool)
    cov_x = x.T @ x / (bsz - 1)
    cov_y = y.T @ y / (bsz - 1)
    cov_loss = np.sum(cov_x[off] ** 2) / d + np.sum(cov_y[off] ** 2) / d
    return w_inv * repr_loss + w_var * std_loss + w_cov * cov_loss


def np_barlow(x, y, *, lam, scale=1.0, mode):
    bsz, d = x.shape
    if mode == "joint_bn":
        z = np.concatenate([x, y])
        z = (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5)
        a, b = z[:bsz], z[bsz:]
    else:

        def norm(v):
            if mode == "bn":
                return (v - v.mean(0)) / np.sqrt(v.var(0) + 1e-5)
            if mode == "std":
                return (v - v.mean(0)) / v.std(0, ddof=1)
            return (v - v.mean(0)) / (v.std(0, ddof=1) + 1e-5)

        a, b = norm(x), norm(y)
    c = a.T @ b / bsz
    cdif = (c - np.eye(d)) ** 2
    cdif[~np.eye(d, dtype=bool)] *= lam
    return scale * cdif.sum()


def np_ntxent(x, y, *, tau):
    """Row-by-row 2B-way cross-entropy without self-similarity (lightly, stable-pretraining)."""
    out = np.concatenate([x, y])
    out = out / np.linalg.norm(out, axis=1, keepdims=True)
    n, bsz = out.shape[0], x.shape[0]
    total = 0.0
    for i in range(n):
        logits = [out[i] @ out[j] / tau for j in range(n) if j != i]
        total += math.log(sum(math.exp(v) for v in logits)) - out[i] @ out[(i + bsz) % n] / tau
    return total / n


def np_solo_simclr(x, y, *, tau):
    """solo-learn simclr_loss_func with indexes = [0..B-1, 0..B-1]."""
    z = np.concatenate([x, y])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    idx = np.tile(np.arange(x.shape[0]), 2)
    sim = np.exp(z @ z.T / tau)
    pos_mask = idx[:, None] == idx[None, :]
    np.fill_diagonal(pos_mask, False)
    neg_mask = idx[:, None] != idx[None, :]
    pos = np.sum(sim * pos_mask, 1)
    neg = np.sum(sim * neg_mask, 1)
    return -np.mean(np.log(pos / (pos + neg)))


# (method, convention, library kwargs, NumPy reference)
CASES = [
    (
        "vicreg",
        "reference",
        {"sim_coeff": 20.0, "std_coeff": 30.0, "cov_coeff": 2.0},
        lambda x, y: np_vicreg(x, y, w_inv=20.0, w_var=30.0, w_cov=2.0, half=True),
    ),
    (
        "vicreg",
        "solo_learn",
        {"sim_loss_weight": 20.0, "var_loss_weight": 30.0, "cov_loss_weight": 2.0},
        lambda x, y: np_vicreg(x, y, w_inv=20.0, w_var=30.0, w_cov=2.0, half=False),
    ),
    (
        "vicreg",
        "lightly",
        {"lambda_param": 20.0, "mu_param": 30.0, "nu_param": 2.0, "eps": 1e-3},
        lambda x, y: np_vicreg(x, y, w_inv=20.0, w_var=30.0, w_cov=2.0, half=True, eps=1e-3),
    ),
    (
        "vicreg",
        "stable_pretraining",
        {"sim_coeff": 20.0, "std_coeff": 30.0, "cov_coeff": 2.0},
        lambda x, y: np_vicreg(x, y, w_inv=20.0, w_var=30.0, w_cov=2.0, half=True),
    ),
    ("barlow_twins", "reference", {"lambd": 0.3}, lambda x, y: np_barlow(x, y, lam=0.3, mode="bn")),
    (
        "barlow_twins",
        "solo_learn",
        {"lamb": 0.3, "scale_loss": 0.1},
        lambda x, y: np_barlow(x, y, lam=0.3, scale=0.1, mode="bn"),
    ),
    (
        "barlow_twins",
        "lightly<1.4.17",
        {"lambda_param": 0.3},
        lambda x, y: np_barlow(x, y, lam=0.3, mode="std"),
    ),
    (
        "barlow_twins",
        "lightly>=1.4.17,<1.5.20",
        {"lambda_param": 0.3},
        lambda x, y: np_barlow(x, y, lam=0.3, mode="joint_bn"),
    ),
    (
        "barlow_twins",
        "lightly>=1.5.20",
        {"lambda_param": 0.3},
        lambda x, y: np_barlow(x, y, lam=0.3, mode="bn"),
    ),
    (
        "barlow_twins",
        "stable_pretraining",
        {"lambd": 0.3},
        lambda x, y: np_barlow(x, y, lam=0.3, mode="std_eps"),
    ),
    ("simclr", "solo_learn", {"temperature": 0.2}, lambda x, y: np_solo_simclr(x, y, tau=0.2)),
    ("simclr", "lightly", {"temperature": 0.2}, lambda x, y: np_ntxent(x, y, tau=0.2)),
    ("simclr", "stable_pretraining", {"temperature": 0.2}, lambda x, y: np_ntxent(x, y, tau=0.2)),
]
IDS = [f"{m}-{c}" for m, c, _, _ in CASES]


def test_every_registered_convention_has_a_case():
    assert sorted((c.method, c.name) for c in list_conventions()) == sorted((m, c) for m, c, _, _ in CASES)


@pytest.mark.parametrize(("method", "conv", "kw", "ref"), CASES, ids=IDS)
def test_library_loss_matches_numpy_transcription(method, conv, kw, ref, xp, rng):
    """Each library's formula as published (sources in the module docstring and Convention.source)."""
    x, y = _branches(rng)
    got = library_loss(xp.asarray(x), xp.asarray(y), method=method, convention=conv, **kw)
    assert type(got) is type(xp.asarray(x))
    assert float(got) == pytest.approx(ref(x, y), rel=RTOL)


# ----------------------------------------------------------------------------- torch transcriptions
def _torch_refs():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def off_diagonal(x):
        n = x.shape[0]
        return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()

    def vicreg_reference(x, y, sim, std, cov, eps=1e-4, half=True):
        # main_vicreg.py (single process: the FullGatherLayer is the identity)
        repr_loss = F.mse_loss(x, y)
        x = x - x.mean(dim=0)
        y = y - y.mean(dim=0)
        std_x = torch.sqrt(x.var(dim=0) + eps)
        std_y = torch.sqrt(y.var(dim=0) + eps)
        if half:
            std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
        else:  # solo-learn variance_loss
            std_loss = torch.mean(F.relu(1 - std_x)) + torch.mean(F.relu(1 - std_y))
        n, d = x.shape
        cov_x = (x.T @ x) / (n - 1)
        cov_y = (y.T @ y) / (n - 1)
        cov_loss = off_diagonal(cov_x).pow(2).sum().div(d) + off_diagonal(cov_y).pow(2).sum().div(d)
        return sim * repr_loss + std * std_loss + cov * cov_loss

    def bt_bn(x, y, lam, scale=1.0):
        # facebookresearch/barlowtwins main.py, solo-learn barlow_loss_func, lightly>=1.5.20 _normalize
        bn = torch.nn.BatchNorm1d(x.shape[1], affine=False).to(dtype=x.dtype)
        c = bn(x).T @ bn(y) / x.shape[0]
        return scale * ((torch.diagonal(c) - 1).pow(2).sum() + lam * off_diagonal(c).pow(2).sum())

    def bt_lightly_joint(x, y, lam):
        # lightly 1.4.17-1.5.19 _normalize: F.batch_norm of the stacked 2 x N x D tensor
        combined = torch.stack([x, y], dim=0)
        normalized = F.batch_norm(
            combined.flatten(0, 1), running_mean=None, running_var=None, weight=None, bias=None, training=True
        ).view_as(combined)
        c = normalized[0].T @ normalized[1] / x.shape[0]
        return (torch.diagonal(c) - 1).pow(2).sum() + lam * off_diagonal(c).pow(2).sum()

    def bt_lightly_old(x, y, lam):
        # lightly <= 1.4.16
        a = (x - x.mean(0)) / x.std(0)
        b = (y - y.mean(0)) / y.std(0)
        d = x.shape[1]
        c_diff = (torch.mm(a.T, b) / x.shape[0] - torch.eye(d, dtype=x.dtype)).pow(2)
        c_diff[~torch.eye(d, dtype=bool)] *= lam
        return c_diff.sum()

    def bt_spt(x, y, lam):
        # stable-pretraining BarlowTwinsLoss._normalize (@8da43dd)
        a = (x - x.mean(dim=0)) / (x.std(dim=0) + 1e-5)
        b = (y - y.mean(dim=0)) / (y.std(dim=0) + 1e-5)
        c = a.T @ b / x.shape[0]
        return (torch.diagonal(c) - 1).pow(2).sum() + lam * off_diagonal(c).pow(2).sum()

    def ntxent_lightly(x, y, tau):
        # lightly NTXentLoss.forward, memory_bank_size=0, single process
        n = x.shape[0]
        out0, out1 = F.normalize(x, dim=1), F.normalize(y, dim=1)
        diag = torch.eye(n, dtype=torch.bool)
        l00 = (out0 @ out0.T / tau)[~diag].view(n, -1)
        l11 = (out1 @ out1.T / tau)[~diag].view(n, -1)
        l01, l10 = out0 @ out1.T / tau, out1 @ out0.T / tau
        logits = torch.cat([torch.cat([l01, l00], 1), torch.cat([l10, l11], 1)], 0)
        labels = torch.arange(n).repeat(2)
        return F.cross_entropy(logits, labels)

    def ntxent_spt(x, y, tau):
        # stable-pretraining NTXEntLoss.forward (rank 0, world size 1)
        anchors = torch.cat([x, y], 0)
        n, two_n = x.shape[0], 2 * x.shape[0]
        idx = torch.arange(two_n)
        targets = (idx + n) % two_n
        a = F.normalize(anchors, dim=-1)
        logits = (a @ a.T / tau).masked_fill(torch.eye(two_n, dtype=torch.bool), -torch.inf)
        return F.cross_entropy(logits, targets)

    def simclr_solo(x, y, tau):
        z = F.normalize(torch.cat([x, y]), dim=-1)
        indexes = torch.arange(x.shape[0]).repeat(2).unsqueeze(0)
        sim = torch.exp(torch.einsum("if, jf -> ij", z, z) / tau)
        pos_mask = indexes.t() == indexes
        pos_mask.fill_diagonal_(0)
        neg_mask = indexes.t() != indexes
        pos = torch.sum(sim * pos_mask, 1)
        neg = torch.sum(sim * neg_mask, 1)
        return -(torch.mean(torch.log(pos / (pos + neg))))

    return torch, {
        ("vicreg", "reference"): lambda x, y: vicreg_reference(x, y, 20.0, 30.0, 2.0),
        ("vicreg", "solo_learn"): lambda x, y: vicreg_reference(x, y, 20.0, 30.0, 2.0, half=False),
        ("vicreg", "lightly"): lambda x, y: vicreg_reference(x, y, 20.0, 30.0, 2.0, eps=1e-3),
        ("vicreg", "stable_pretraining"): lambda x, y: vicreg_reference(x, y, 20.0, 30.0, 2.0),
        ("barlow_twins", "reference"): lambda x, y: bt_bn(x, y, 0.3),
        ("barlow_twins", "solo_learn"): lambda x, y: bt_bn(x, y, 0.3, scale=0.1),
        ("barlow_twins", "lightly<1.4.17"): lambda x, y: bt_lightly_old(x, y, 0.3),
        ("barlow_twins", "lightly>=1.4.17,<1.5.20"): lambda x, y: bt_lightly_joint(x, y, 0.3),
        ("barlow_twins", "lightly>=1.5.20"): lambda x, y: bt_bn(x, y, 0.3),
        ("barlow_twins", "stable_pretraining"): lambda x, y: bt_spt(x, y, 0.3),
        ("simclr", "solo_learn"): lambda x, y: simclr_solo(x, y, 0.2),
        ("simclr", "lightly"): lambda x, y: ntxent_lightly(x, y, 0.2),
        ("simclr", "stable_pretraining"): lambda x, y: ntxent_spt(x, y, 0.2),
    }


@pytest.mark.parametrize(("method", "conv", "kw", "ref"), CASES, ids=IDS)
def test_library_loss_matches_torch_transcription(method, conv, kw, ref, rng):
    """The library code itself, transcribed with torch.nn.functional (float64, single process)."""
    torch, refs = _torch_refs()
    x, y = _branches(rng)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    want = refs[(method, conv)](tx, ty)
    tx.requires_grad_(True)
    got = library_loss(tx, ty, method=method, convention=conv, **kw)
    assert isinstance(got, torch.Tensor)
    assert float(got.detach()) == pytest.approx(float(want), rel=RTOL)
    got.backward()  # torch stays torch: autograd flows through the re-implementation
    assert tx.grad is not None
    assert bool(torch.isfinite(tx.grad).all())


# ----------------------------------------------------------------------------- paper form
def _equal_stats_symmetric(rng, b=8, k=4, scale=None):
    """x = [a; c], y = [c; a]: y is a row permutation of x (equal column means and covariances) and
    x_c^T y_c = a_c^T c_c + c_c^T a_c is symmetric."""
    a = rng.standard_normal((b, k))
    c = a + 0.6 * rng.standard_normal((b, k))
    if scale is not None:
        a, c = a * scale, c * scale
    return np.concatenate([a, c]), np.concatenate([c, a])


@pytest.mark.parametrize("conv", ["reference", "solo_learn", "lightly", "stable_pretraining"])
def test_vicreg_to_paper_within_bound_equal_branch_statistics(conv, rng):
    k = 4
    x, y = _equal_stats_symmetric(rng, k=k, scale=0.5)  # variances < 1: the hinge is active
    lib_kw = dict(zip(get_convention(conv, method="vicreg").keywords[:3], (25.0, 25.0, 1.0), strict=True))
    p = to_paper(method="vicreg", convention=conv, n_components=k, **lib_kw)
    assert not p.exact
    lib = float(library_loss(x, y, method="vicreg", convention=conv, **lib_kw))
    z = np.concatenate([x, y])
    paper = float(VICRegLoss(**p.loss_kwargs)(z, augmentation_graph(x.shape[0], 2)))
    v = x.var(0, ddof=1)
    assert np.all((v > 1e-6) & (v < 1 - 1e-4))
    # the library's eps travels as variance_eps: between the floor and 1 - eps the two variance terms
    # are the same function of the same variances, so the losses agree to rounding
    assert p.loss_kwargs["variance_eps"] == 1e-4
    assert paper == pytest.approx(lib, rel=RTOL)
    assert float(p.paper_loss(x, y)) == pytest.approx(paper, rel=RTOL)
    # a column below the floor: the paper clamps it up, the library does not; the residual is exactly
    # alpha (sqrt(v + eps) - sqrt(floor + eps)) < 0 for that column, inside the bound the converter states
    x2, y2 = x.copy(), y.copy()
    x2[:, 0] *= 1e-4
    y2[:, 0] *= 1e-4
    v0 = x2[:, 0].var(ddof=1)
    assert v0 < 1e-6
    lib2 = float(library_loss(x2, y2, method="vicreg", convention=conv, **lib_kw))
    paper2 = float(VICRegLoss(**p.loss_kwargs)(np.concatenate([x2, y2]), augmentation_graph(x.shape[0], 2)))
    alpha = p.loss_kwargs["variance_weight"]
    want = alpha * (np.sqrt(v0 + 1e-4) - np.sqrt(1e-6 + 1e-4))
    assert paper2 - lib2 == pytest.approx(want, rel=1e-6, abs=1e-13)  # a difference of O(1) numbers
    assert -alpha * k * (np.sqrt(1e-6 + 1e-4) - np.sqrt(1e-4)) <= paper2 - lib2 <= 0


def test_vicreg_to_paper_exact_invariance_only_and_old_converter(rng):
    x, y = _branches(rng)
    k = x.shape[1]
    p = to_paper(method="vicreg", convention="reference", n_components=k, std_coeff=0.0, cov_coeff=0.0)
    assert p.exact
    lib = float(library_loss(x, y, method="vicreg", convention="reference", std_coeff=0.0, cov_coeff=0.0))
    assert float(p.paper_loss(x, y)) == pytest.approx(lib, rel=RTOL)
    for conv, names in (
        ("reference", ("sim_coeff", "std_coeff", "cov_coeff")),
        ("solo_learn", ("sim_loss_weight", "var_loss_weight", "cov_loss_weight")),
    ):
        p = to_paper(
            method="vicreg", convention=conv, n_components=k, **dict(zip(names, (3.0, 5.0, 7.0), strict=True))
        )
        old = convert_vicreg_weights(
            invariance_weight=3.0,
            variance_weight=5.0,
            covariance_weight=7.0,
            n_components=k,
            from_convention=conv,
            to_convention="paper",
        )
        for key, val in old.items():
            assert p.loss_kwargs[key] == pytest.approx(val, rel=1e-15)


BT_CASES = [
    ("reference", {"lambd": 0.2}, 1.0),
    ("solo_learn", {"lamb": 0.2, "scale_loss": 0.025}, 0.025),
    ("lightly<1.4.17", {"lambda_param": 0.2}, 1.0),
    ("lightly>=1.4.17,<1.5.20", {"lambda_param": 0.2}, 1.0),
    ("lightly>=1.5.20", {"lambda_param": 0.2}, 1.0),
    ("stable_pretraining", {"lambd": 0.2}, 1.0),
]


@pytest.mark.parametrize(("conv", "kw", "scale"), BT_CASES, ids=[c for c, _, _ in BT_CASES])
def test_barlow_to_paper_within_stated_bound(conv, kw, scale, rng):
    """Equal per-branch statistics and a symmetric cross-product: only the divisor differs."""
    x, y = _equal_stats_symmetric(rng)
    bsz, k = x.shape
    p = to_paper(method="barlow_twins", convention=conv, n_components=k, **kw)
    assert p.scale == scale
    assert not p.exact
    lib = float(library_loss(x, y, method="barlow_twins", convention=conv, **kw))
    paper = float(BarlowTwinsLoss(**p.loss_kwargs)(np.concatenate([x, y]), augmentation_graph(bsz, 2)))
    var = x.var(0)  # biased
    divisor = {
        "std": np.sqrt(x.var(0, ddof=1)),
        "eps": np.sqrt(var + 1e-5),
        "std_eps": np.sqrt(x.var(0, ddof=1)) + 1e-5,
    }["std" if conv == "lightly<1.4.17" else "std_eps" if conv == "stable_pretraining" else "eps"]
    delta = 1 - var / divisor**2
    bound = scale * (4 + 2 * 0.2 * (k - 1)) * np.sum(delta)
    assert abs(lib - scale * paper) <= bound
    # and the residual is not negligible where delta ~ 1/B (unbiased std): the bound is not vacuous
    assert abs(lib - scale * paper) > 0


def test_barlow_lightly_joint_exact_antisymmetric_identity(rng):
    """lightly 1.4.17-1.5.19 (lightly==1.5.19 barlow_twins_loss.py) with its eps removed:
    L_lib = L_paper + lambda Σ_{k≠l} a_kl², a = (c - cᵀ)/2, on any batch. eps = 1e-5 changes each
    normalised entry by a relative O(1e-5 / var): tolerance 1e-4."""
    x, y = _branches(rng, b=10, k=4)
    lam = 0.2
    z = np.concatenate([x, y])
    zn = (z - z.mean(0)) / z.std(0)
    c = zn[:10].T @ zn[10:] / 10
    a = (c - c.T) / 2
    paper = float(BarlowTwinsLoss(redundancy_weight=lam, center=True)(z, augmentation_graph(10, 2)))
    lib = float(
        library_loss(x, y, method="barlow_twins", convention="lightly", version="1.5.0", lambda_param=lam)
    )
    assert lib == pytest.approx(paper + lam * np.sum(a**2), rel=1e-4)
    assert np.sum(a**2) > 1e-3  # the antisymmetric part is really there


@pytest.mark.parametrize("conv", ["solo_learn", "lightly", "stable_pretraining"])
def test_simclr_to_paper_exact(conv, rng):
    x, y = _branches(rng)
    p = to_paper(method="simclr", convention=conv, temperature=0.3)
    assert p.exact
    assert dict(p.loss_kwargs) == {"temperature": 0.3, "reduction": "mean"}
    lib = float(library_loss(x, y, method="simclr", convention=conv, temperature=0.3))
    paper = float(SimCLRLoss(**p.loss_kwargs)(np.concatenate([x, y]), augmentation_graph(x.shape[0], 2)))
    assert paper == pytest.approx(lib, rel=1e-12)


# ----------------------------------------------------------------------------- lookup and bad input
def test_versions_resolve_to_the_measured_boundaries():
    bt = [
        ("1.4.16", "lightly<1.4.17"),
        ("1.4.17", "lightly>=1.4.17,<1.5.20"),
        ("1.5.19", "lightly>=1.4.17,<1.5.20"),
        ("1.5.20", "lightly>=1.5.20"),
        ("1.6.0", "lightly>=1.5.20"),
    ]
    for version, name in bt:
        assert get_convention("lightly", method="barlow_twins", version=version).name == name
    assert get_convention("lightly", method="vicreg", version="1.6.0").name == "lightly"
    assert get_convention("solo_learn", method="vicreg").source.startswith("vturrisi/solo-learn/")


def test_bad_inputs(rng):
    x, y = _branches(rng)
    with pytest.raises(ValueError, match="convention must be one of 'reference'"):
        get_convention("pytorch", method="vicreg")
    with pytest.raises(ValueError, match="ambiguous"):
        library_loss(x, y, method="barlow_twins", convention="lightly")
    with pytest.raises(ValueError, match="method must be one of"):
        list_conventions("byol")
    with pytest.raises(ValueError, match="covers version"):
        get_convention("lightly", method="vicreg", version="1.2.30")
    with pytest.raises(ValueError, match="version must be"):
        get_convention("lightly", method="barlow_twins", version="latest")
    with pytest.raises(ValueError, match="lambda_param is not a keyword of the solo-learn"):
        library_loss(x, y, method="vicreg", convention="solo_learn", lambda_param=25.0)
    with pytest.raises(ValueError, match="lambd is not a keyword"):
        to_paper(method="barlow_twins", convention="solo_learn", lambd=5e-3)
    with pytest.raises(ValueError, match="std_coeff must be >= 0"):
        to_paper(method="vicreg", convention="reference", n_components=4, std_coeff=-1.0)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        library_loss(x, y, method="simclr", convention="lightly", temperature=0.0)
    with pytest.raises(ValueError, match="n_components is required"):
        to_paper(method="vicreg", convention="reference")
    with pytest.raises(ValueError, match="same shape"):
        library_loss(x, y[:-1], method="vicreg", convention="reference")
    with pytest.raises(ValueError, match="z1 must have at least 2"):
        library_loss(x[:1], y[:1], method="vicreg", convention="reference")
