"""Tests of the exact-identity properties of ssltheory.testing.properties.

Three identities, each checked on a loss written here from its published formula (pure-Python
sums, independent of ``ssltheory.losses`` and of the helpers' own matrix code), on the library's
own losses, and on deliberately broken losses that must fail with a message naming the mistake:

- HaoChen et al.'s factorisation L(F) + ||Ā||² = ||Ā − UUᵀ||² (arXiv:2106.04156);
- Garrido et al.'s contrastive / non-contrastive duality through ||KᵀK||_F = ||KKᵀ||_F
  (arXiv:2206.02574);
- InfoNCE as a cross-entropy on the two-view relation graph = NT-Xent (SimCLR, arXiv:2002.05709).

Tolerances: the helpers default to rtol = 4·sqrt(eps) ≈ 6e-8 with an absolute part scaled by the
size of the terms; a float64 re-implementation agrees to ~1e-15 relative, every broken variant
below is off by more than 1e-3 relative on the inputs used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ssltheory.graphs import augmentation_graph
from ssltheory.losses import library_loss, simclr_loss, spectral_contrastive_loss
from ssltheory.testing.properties import (
    assert_contrastive_duality,
    assert_infonce_graph_identity,
    assert_spectral_contrastive_factorisation,
)
from ssltheory.testing.strategies import PAIR_RELATIONS, embeddings, graphs, paired_views


# ----------------------------------------------------------------------------- HaoChen: references
def dot(a, b):
    return sum(float(x) * float(y) for x, y in zip(a, b, strict=True))


def sc_expectation(f, g, *, weighting="degree", attraction=2.0, repulsion="weighted"):
    """-2 E_{x,x+}[f(x)·f(x+)] + E_{x,x'}[(f(x)·f(x'))²] on the finite graph, by explicit double sums.

    degree weighting (HaoChen et al.): w_ij = G_ij / vol, w_i = d_i / vol; "none": w_ij = G_ij, w_i = 1.
    ``attraction`` and ``repulsion`` produce the broken variants.
    """
    n = g.shape[0]
    vol = float(g.sum()) if weighting == "degree" else 1.0
    w = [float(g[i].sum()) / vol if weighting == "degree" else 1.0 for i in range(n)]
    pos = neg = 0.0
    for i in range(n):
        for j in range(n):
            s = dot(f[i], f[j])
            pos += float(g[i, j]) / vol * s
            if repulsion == "weighted" or (repulsion == "off_diagonal" and i != j):
                neg += w[i] * w[j] * s**2
            elif repulsion == "uniform":
                neg += s**2 / n**2
    return -attraction * pos + neg


def factorisation_loss(f, g):
    """||Ā − UUᵀ||_F² itself (the matrix-factorisation loss, not the contrastive one)."""
    d = g.sum(axis=1)
    abar = g / np.sqrt(np.outer(d, d))
    u = np.sqrt(d / d.sum())[:, None] * f
    return float(np.sum((abar - u @ u.T) ** 2))


def graph_and_embedding(**graph_kwargs):
    """A graph from the library's strategy and an embedding with one row per node."""
    return graphs(**graph_kwargs).flatmap(
        lambda g: st.tuples(st.just(g), embeddings(n_samples=g.shape[0], n_components=(1, 4), max_abs=3.0))
    )


# ----------------------------------------------------------------------------- HaoChen: tests
def test_factorisation_on_a_hand_computed_case():
    # G = [[0, 1], [1, 0]], F = [[1], [1]]: w_12 = w_21 = 1/2, w_i = 1/2, f_i·f_j = 1, so
    # L = -2 (1/2 + 1/2) + 4 (1/4) = -1; Ā = G, ||Ā||² = 2, U = F/sqrt(2): ||Ā - J/2||² = 1 = L + 2
    g = np.array([[0.0, 1.0], [1.0, 0.0]])
    f = np.array([[1.0], [1.0]])
    assert_spectral_contrastive_factorisation(lambda f, g: -1.0, f, g)
    assert_spectral_contrastive_factorisation(lambda f, g: -1.0 * (1 + 1e-12), f, g)  # rounding: passes
    with pytest.raises(AssertionError, match=r"yours\s+-0\.999"):
        assert_spectral_contrastive_factorisation(lambda f, g: -0.999, f, g)
    # weighting="none": L = -2·2 + 4·1 = 0, ||G||² = 2, ||G - FFᵀ||² = ||[[−1, 0], [0, −1]]||² = 2
    assert_spectral_contrastive_factorisation(lambda f, g: 0.0, f, g, weighting="none")


@given(data=graph_and_embedding(connected=True, max_nodes=12))
def test_published_formula_and_library_satisfy_the_factorisation(data):
    g, f = data
    assert_spectral_contrastive_factorisation(sc_expectation, f, g)
    assert_spectral_contrastive_factorisation(lambda f, g: float(spectral_contrastive_loss(f, g)), f, g)


@given(data=graph_and_embedding(max_nodes=12))
def test_unnormalised_variant_and_any_graph(data):
    g, f = data
    assert_spectral_contrastive_factorisation(
        lambda f, g: sc_expectation(f, g, weighting="none"), f, g, weighting="none"
    )
    assert_spectral_contrastive_factorisation(
        lambda f, g: float(spectral_contrastive_loss(f, g, weighting="none")), f, g, weighting="none"
    )
    assume(g.sum() > 0)  # degree weighting needs an edge; isolated nodes (d_i = 0) are allowed
    assert_spectral_contrastive_factorisation(sc_expectation, f, g)


def test_self_pairs_and_isolated_nodes(rng):
    # self-pairs count as positives (kept as given); node 4 has no edge, so w_4 = 0 and Ā_4· = 0
    g = np.zeros((5, 5))
    g[:4, :4] = rng.uniform(0.1, 2.0, (4, 4))
    g = (g + g.T) / 2
    f = rng.standard_normal((5, 3))
    assert_spectral_contrastive_factorisation(sc_expectation, f, g)
    assert_spectral_contrastive_factorisation(lambda f, g: float(spectral_contrastive_loss(f, g)), f, g)


@pytest.mark.parametrize(
    ("broken", "hint"),
    [
        (lambda f, g: sc_expectation(f, g, attraction=1.0), "the attraction term without its factor 2"),
        (lambda f, g: sc_expectation(f, g, repulsion="off_diagonal"), r"the repulsion term over i != j"),
        (lambda f, g: sc_expectation(f, g, repulsion="uniform"), r"uniform weights 1/N\^2"),
        (lambda f, g: sc_expectation(f, g, weighting="none"), "weighting='none'"),
        (factorisation_loss, r"the factorisation loss \|\|Ā - UU\^T\|\|\^2 itself"),
    ],
)
def test_broken_spectral_losses_fail_and_are_named(rng, broken, hint):
    g = rng.uniform(0.1, 3.0, (7, 7))
    g = (g + g.T) / 2
    np.fill_diagonal(g, 0.0)
    f = rng.standard_normal((7, 3))
    # each variant is off by far more than the tolerance here (checked: the difference is printed)
    assert abs(broken(f, g) - sc_expectation(f, g)) > 1e-3 * abs(sc_expectation(f, g))
    with pytest.raises(AssertionError, match=r"(?s)breaks HaoChen et al.'s factorisation.*" + hint):
        assert_spectral_contrastive_factorisation(broken, f, g)


def test_spectral_bad_inputs_name_the_argument():
    g = np.ones((3, 3)) - np.eye(3)
    f = np.ones((3, 2))
    loss = sc_expectation
    with pytest.raises(ValueError, match="graph must be a square"):
        assert_spectral_contrastive_factorisation(loss, f, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"one node per row of embedding \(4\)"):
        assert_spectral_contrastive_factorisation(loss, np.ones((4, 2)), g)
    with pytest.raises(ValueError, match="graph must be symmetric"):
        assert_spectral_contrastive_factorisation(loss, f, np.triu(g))
    with pytest.raises(ValueError, match="graph must be non-negative"):
        assert_spectral_contrastive_factorisation(loss, f, -g)
    with pytest.raises(ValueError, match="graph must be finite"):
        assert_spectral_contrastive_factorisation(loss, f, np.where(g > 0, np.nan, 0.0))
    with pytest.raises(ValueError, match="embedding must be finite"):
        assert_spectral_contrastive_factorisation(loss, np.full((3, 2), np.inf), g)
    with pytest.raises(ValueError, match="embedding must be a non-empty 2-D array"):
        assert_spectral_contrastive_factorisation(loss, np.ones(3), g)
    with pytest.raises(ValueError, match="at least one edge for weighting='degree'"):
        assert_spectral_contrastive_factorisation(loss, f, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="weighting must be one of 'degree', 'none'"):
        assert_spectral_contrastive_factorisation(loss, f, g, weighting="sym")
    with pytest.raises(TypeError, match="loss must return a real scalar"):
        assert_spectral_contrastive_factorisation(lambda f, g: f, f, g)
    with pytest.raises(AssertionError, match=r"yours\s+nan"):
        assert_spectral_contrastive_factorisation(lambda f, g: math.nan, f, g)
    with pytest.raises(ValueError, match="rtol must be >= 0"):
        assert_spectral_contrastive_factorisation(loss, f, g, rtol=-1.0)


# ----------------------------------------------------------------------------- Garrido: references
def gram_columns(z):
    """KᵀK by explicit sums over samples (M × M)."""
    n, m = z.shape
    return [[sum(z[i, a] * z[i, b] for i in range(n)) for b in range(m)] for a in range(m)]


def l_nc(z):
    """Garrido's dimension-contrastive ||KᵀK − diag(KᵀK)||_F² (K = Z, no centring or normaliser)."""
    c = gram_columns(z)
    return sum(c[a][b] ** 2 for a in range(len(c)) for b in range(len(c)) if a != b)


def l_c(z):
    """Garrido's sample-contrastive ||KKᵀ − diag(KKᵀ)||_F² = sum_{i≠j} (z_i·z_j)²."""
    n = z.shape[0]
    return sum(dot(z[i], z[j]) ** 2 for i in range(n) for j in range(n) if i != j)


def vicreg_covariance_term(z, *, ddof=1, center=True, per_component=True, keep_diagonal=False):
    """One branch's VICReg covariance term (facebookresearch/vicreg): sum_{k≠l} C_kl² / M, C = cov(z)."""
    n, m = z.shape
    x = z - z.mean(axis=0) if center else z
    c = x.T @ x / (n - ddof)
    off = c if keep_diagonal else c - np.diag(np.diag(c))
    return float(np.sum(off**2)) / (m if per_component else 1)


def whitening_criterion(z):
    """||ZᵀZ / N − I_M||_F²: the second moment pushed to the identity (diagonal included)."""
    n, m = z.shape
    return float(np.sum((z.T @ z / n - np.eye(m)) ** 2))


def sample_identity_criterion(z):
    """||ZZᵀ − I_N||_F²: the sample Gram pushed to the identity (unit norms, orthogonal samples)."""
    return float(np.sum((z @ z.T - np.eye(z.shape[0])) ** 2))


# ----------------------------------------------------------------------------- Garrido: tests
@given(z=embeddings(n_samples=(1, 10), n_components=(1, 5), max_abs=3.0))
def test_garrido_identity_holds_between_the_two_published_criteria(z):
    # the identity itself, from the two definitions only: L_nc + sum_m ||k^m||^4 = L_c + sum_i ||k_i||^4;
    # both sides are sums of terms up to ||Z||_F^4, so rounding is relative to that
    cols4 = sum(sum(z[i, m] ** 2 for i in range(z.shape[0])) ** 2 for m in range(z.shape[1]))
    rows4 = sum(dot(z[i], z[i]) ** 2 for i in range(z.shape[0]))
    scale = float(np.sum(z**2)) ** 2
    assert abs((l_nc(z) + cols4) - (l_c(z) + rows4)) <= 1e-12 * max(scale, 1.0)
    assert_contrastive_duality(l_nc, z, kind="dimension_contrastive")
    assert_contrastive_duality(l_c, z, kind="sample_contrastive")


@given(z=embeddings(n_samples=(2, 16), n_components=(1, 6)))
def test_vicreg_covariance_term_equals_its_sample_contrastive_dual(z):
    m = z.shape[1]
    kwargs = {"kind": "dimension_contrastive", "center": True, "ddof": 1, "scale": 1.0 / m}
    assert_contrastive_duality(vicreg_covariance_term, z, **kwargs)
    # the library's reference VICReg with only the covariance weight, on two equal branches: the
    # two per-branch terms are equal, so cov_coeff = 1/2 leaves exactly one branch's term
    assert_contrastive_duality(
        lambda z: float(
            library_loss(
                z, z, method="vicreg", convention="reference", sim_coeff=0, std_coeff=0, cov_coeff=0.5
            )
        ),
        z,
        **kwargs,
    )


@given(z=embeddings(n_samples=(1, 12), n_components=(1, 6), max_abs=3.0))
def test_identity_target_criteria_on_both_sides(z):
    # ||ZᵀZ/N − I_M||² − M = ||ZZᵀ/N − I_N||² − N, and ||ZZᵀ − I_N||² − N = ||ZᵀZ − I_M||² − M
    assert_contrastive_duality(
        whitening_criterion, z, kind="dimension_contrastive", target="identity", ddof=0
    )
    assert_contrastive_duality(sample_identity_criterion, z, kind="sample_contrastive", target="identity")


@pytest.mark.parametrize(
    ("broken", "hint"),
    [
        (lambda z: vicreg_covariance_term(z, ddof=0), r"center=True, ddof=0, scale=0\.25(?!\d| \*)"),
        (lambda z: vicreg_covariance_term(z, center=False), r"center=False, ddof=1, scale=0\.25(?!\d| \*)"),
        (lambda z: vicreg_covariance_term(z, per_component=False), r"ddof=1, scale=0\.25 \* M \(M = 4\)"),
        (lambda z: vicreg_covariance_term(z, keep_diagonal=True), None),
    ],
)
def test_broken_covariance_terms_fail_and_are_named(rng, broken, hint):
    z = rng.standard_normal((9, 4)) + 0.5  # non-zero column means, so centring matters
    assert abs(broken(z) - vicreg_covariance_term(z)) > 1e-3 * vicreg_covariance_term(z)
    with pytest.raises(AssertionError, match="breaks the duality") as info:
        assert_contrastive_duality(broken, z, kind="dimension_contrastive", center=True, ddof=1, scale=0.25)
    if hint is None:  # the diagonal kept: no declared normalisation explains it
        assert "matches" not in str(info.value)
    else:
        assert info.match(hint)


def test_a_sample_criterion_declared_as_dimension_fails(rng):
    z = rng.standard_normal((6, 3))
    with pytest.raises(AssertionError, match=r"yours\s+\S+\n\s+dual side"):
        assert_contrastive_duality(l_c, z, kind="dimension_contrastive")


def test_duality_bad_inputs_name_the_argument():
    z = np.ones((4, 2))
    with pytest.raises(ValueError, match="kind must be one of 'dimension_contrastive', 'sample_contrastive'"):
        assert_contrastive_duality(l_nc, z, kind="covariance")
    with pytest.raises(ValueError, match="target must be one of 'off_diagonal', 'identity'"):
        assert_contrastive_duality(l_nc, z, kind="dimension_contrastive", target="diag")
    with pytest.raises(ValueError, match=r"ddof must be < n_samples = 4"):
        assert_contrastive_duality(l_nc, z, kind="dimension_contrastive", ddof=4)
    with pytest.raises(ValueError, match="ddof must be >= 0"):
        assert_contrastive_duality(l_nc, z, kind="dimension_contrastive", ddof=-1)
    with pytest.raises(TypeError, match="ddof must be an integer"):
        assert_contrastive_duality(l_nc, z, kind="dimension_contrastive", ddof=1.0)
    with pytest.raises(ValueError, match="scale must be > 0"):
        assert_contrastive_duality(l_nc, z, kind="dimension_contrastive", scale=0.0)
    with pytest.raises(TypeError, match="center must be a bool"):
        assert_contrastive_duality(l_nc, z, kind="dimension_contrastive", center=1)
    with pytest.raises(ValueError, match="embedding must be finite"):
        assert_contrastive_duality(l_nc, np.full((2, 2), np.nan), kind="dimension_contrastive")
    with pytest.raises(TypeError, match="criterion must return a real scalar"):
        assert_contrastive_duality(lambda z: "x", z, kind="dimension_contrastive")


# ----------------------------------------------------------------------------- InfoNCE: references
def similarity(a, b, tau, normalize):
    if normalize:
        return dot(a, b) / (math.sqrt(dot(a, a)) * math.sqrt(dot(b, b))) / tau
    return dot(a, b) / tau


def log_sum_exp(values):
    peak = max(values)
    return peak + math.log(sum(math.exp(v - peak) for v in values))


def ntxent_pairs(z1, z2, *, tau, normalize=True, reduction="mean", self_in_denominator=False, anchors=2):
    """SimCLR's Algorithm 1 (arXiv:2002.05709): ℓ(i, j) = −log e^{s_ij} / sum_{k≠i} e^{s_ik}, summed over
    both orders of every pair, divided by 2B; ``self_in_denominator`` and ``anchors=1`` are broken."""
    x = [*z1, *z2]
    b = len(z1)
    n = 2 * b

    def ell(i, j):
        candidates = [
            similarity(x[i], x[k], tau, normalize) for k in range(n) if k != i or self_in_denominator
        ]
        return log_sum_exp(candidates) - similarity(x[i], x[j], tau, normalize)

    total = sum(ell(k, k + b) + (ell(k + b, k) if anchors == 2 else 0.0) for k in range(b))
    return total / (anchors * b) if reduction == "mean" else total


def graph_infonce(z, g, *, tau, normalize=True, reduction="mean"):
    """−(1/N) sum_ij G_ij log softmax_{j≠i}(s_ij) on any relation graph, by explicit sums."""
    n = z.shape[0]
    total = 0.0
    for i in range(n):
        lse = log_sum_exp([similarity(z[i], z[k], tau, normalize) for k in range(n) if k != i])
        for j in range(n):
            if g[i, j] != 0:
                total += float(g[i, j]) * (lse - similarity(z[i], z[j], tau, normalize))
    return total / n if reduction == "mean" else total


def clip_style(z1, z2, *, tau):
    """Symmetric InfoNCE with cross-view negatives only (no within-view negatives)."""
    b = len(z1)
    total = 0.0
    for a, p in ((z1, z2), (z2, z1)):
        for i in range(b):
            total += log_sum_exp([similarity(a[i], p[k], tau, True) for k in range(b)])
            total -= similarity(a[i], p[i], tau, True)
    return total / (2 * b)


TEMPERATURES = st.sampled_from([0.1, 0.5, 1.0])


# ----------------------------------------------------------------------------- InfoNCE: tests
@given(views=paired_views(n_pairs=(2, 8), n_components=(1, 5), relation=PAIR_RELATIONS), tau=TEMPERATURES)
def test_two_view_ntxent_equals_the_graph_cross_entropy(views, tau):
    z1, z2 = views
    assume(np.all(np.linalg.norm(views.stacked, axis=1) > 1e-6))  # cosine similarity needs z_i != 0
    assert_infonce_graph_identity(lambda a, b: ntxent_pairs(a, b, tau=tau), z1, z2, temperature=tau)
    assert_infonce_graph_identity(
        lambda a, b: ntxent_pairs(a, b, tau=tau, reduction="sum"), z1, z2, temperature=tau, reduction="sum"
    )
    assert_infonce_graph_identity(
        lambda a, b: float(library_loss(a, b, method="simclr", convention="lightly", temperature=tau)),
        z1,
        z2,
        temperature=tau,
    )


@given(views=paired_views(n_pairs=(2, 8), n_components=(1, 5), relation=PAIR_RELATIONS), tau=TEMPERATURES)
def test_graph_form_infonce_equals_the_two_view_ntxent(views, tau):
    z1, z2 = views
    assume(np.all(np.linalg.norm(views.stacked, axis=1) > 1e-6))
    kw = {"temperature": tau, "form": "graph"}
    assert_infonce_graph_identity(lambda z, g: graph_infonce(z, g, tau=tau), z1, z2, **kw)
    # the library's graph form, its three conventions (one positive per row: solo-learn's multi-positive
    # log-sum equals the single logit) and the paper's sum; the graph it gets is augmentation_graph(B, 2)
    for convention in ("paper", "lightly", "solo_learn"):
        assert_infonce_graph_identity(
            lambda z, g, c=convention: float(
                simclr_loss(z, g, temperature=tau, convention=c, reduction="mean")
            ),
            z1,
            z2,
            **kw,
        )
    assert_infonce_graph_identity(
        lambda z, g: float(simclr_loss(z, g, temperature=tau, reduction="sum")), z1, z2, reduction="sum", **kw
    )


@given(views=paired_views(n_pairs=(2, 6), n_components=(1, 4), max_abs=2.0), tau=TEMPERATURES)
def test_raw_dot_products(views, tau):
    z1, z2 = views
    assert_infonce_graph_identity(
        lambda a, b: ntxent_pairs(a, b, tau=tau, normalize=False), z1, z2, temperature=tau, normalize=False
    )
    assert_infonce_graph_identity(
        lambda z, g: graph_infonce(z, g, tau=tau, normalize=False),
        z1,
        z2,
        temperature=tau,
        normalize=False,
        form="graph",
    )


def test_hand_computed_cases():
    # two samples on orthogonal axes, views equal, tau = 1: every row has similarity 1 to its positive
    # and 0 to the two other rows, so each term is log(e + 2) - 1 = log(1 + 2/e) (mean over rows: same)
    z1 = np.array([[1.0, 0.0], [0.0, 1.0]])
    value = math.log(1 + 2 / math.e)
    for form in ("two_branch", "graph"):
        assert_infonce_graph_identity(lambda *a: value, z1, z1.copy(), temperature=1.0, form=form)
        assert_infonce_graph_identity(
            lambda *a: 4 * value, z1, z1.copy(), temperature=1.0, form=form, reduction="sum"
        )
        with pytest.raises(AssertionError, match="reduction='mean'"):
            assert_infonce_graph_identity(
                lambda *a: value, z1, z1.copy(), temperature=1.0, form=form, reduction="sum"
            )
    # one pair: the positive is the only candidate, so the softmax is 1 and the loss is 0
    assert_infonce_graph_identity(lambda a, b: 0.0, z1[:1], z1[1:], temperature=0.5)


def test_the_graph_handed_to_a_graph_form_loss_is_the_two_view_graph(rng):
    z1, z2 = rng.standard_normal((2, 4, 3))
    seen = {}

    def spy(z, g):
        seen["z"], seen["g"] = z, g
        return graph_infonce(z, g, tau=0.5)

    assert_infonce_graph_identity(spy, z1, z2, temperature=0.5, form="graph")
    np.testing.assert_array_equal(seen["g"], augmentation_graph(4, 2))
    np.testing.assert_array_equal(seen["z"], np.concatenate((z1, z2)))


@pytest.mark.parametrize(
    ("broken", "hint"),
    [
        (lambda a, b: ntxent_pairs(a, b, tau=0.5, self_in_denominator=True), r"self-similarity kept"),
        (lambda a, b: ntxent_pairs(a, b, tau=0.5, anchors=1), r"one direction only"),
        (lambda a, b: ntxent_pairs(a, b, tau=0.5, reduction="sum"), r"reduction='sum'"),
        (lambda a, b: ntxent_pairs(a, b, tau=0.5, normalize=False), r"normalize=False"),
        (lambda a, b: ntxent_pairs(a, b, tau=1.0), r"no temperature"),
        (lambda a, b: clip_style(a, b, tau=0.5), r"cross-view negatives only"),
    ],
)
def test_broken_ntxent_fails_and_is_named(rng, broken, hint):
    z1, z2 = rng.standard_normal((2, 6, 4))
    right = ntxent_pairs(z1, z2, tau=0.5)
    assert abs(broken(z1, z2) - right) > 1e-3 * right
    with pytest.raises(
        AssertionError, match=r"(?s)differs from the cross-entropy on its relation graph.*" + hint
    ):
        assert_infonce_graph_identity(broken, z1, z2, temperature=0.5)


def test_decoupled_denominator_fails_in_graph_form(rng):
    z1, z2 = rng.standard_normal((2, 5, 3))

    def decoupled(z, g):  # the positive left out of every denominator
        n = z.shape[0]
        total = 0.0
        for i in range(n):
            negatives = [similarity(z[i], z[k], 0.5, True) for k in range(n) if k != i and g[i, k] == 0]
            for j in np.flatnonzero(g[i]):
                total += log_sum_exp(negatives) - similarity(z[i], z[j], 0.5, True)
        return total / n

    with pytest.raises(
        AssertionError, match=r"(?s)differs from the two-view NT-Xent.*decoupled contrastive loss"
    ):
        assert_infonce_graph_identity(decoupled, z1, z2, temperature=0.5, form="graph")


def test_rounding_level_differences_pass_and_small_ones_fail(rng):
    z1, z2 = rng.standard_normal((2, 6, 3))
    right = ntxent_pairs(z1, z2, tau=0.2)
    assert_infonce_graph_identity(lambda a, b: right * (1 + 1e-12), z1, z2, temperature=0.2)
    with pytest.raises(AssertionError, match="tolerance"):
        assert_infonce_graph_identity(lambda a, b: right * (1 + 1e-6), z1, z2, temperature=0.2)


def test_infonce_bad_inputs_name_the_argument():
    z = np.ones((3, 2))
    loss = ntxent_pairs
    with pytest.raises(ValueError, match="z1 and z2 must have the same shape"):
        assert_infonce_graph_identity(loss, z, np.ones((4, 2)), temperature=0.5)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        assert_infonce_graph_identity(loss, z, z, temperature=0.0)
    with pytest.raises(ValueError, match="form must be one of 'two_branch', 'graph'"):
        assert_infonce_graph_identity(loss, z, z, temperature=0.5, form="paired")
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum'"):
        assert_infonce_graph_identity(loss, z, z, temperature=0.5, reduction="none")
    with pytest.raises(TypeError, match="normalize must be a bool"):
        assert_infonce_graph_identity(loss, z, z, temperature=0.5, normalize="yes")
    with pytest.raises(ValueError, match="z2 must be finite"):
        assert_infonce_graph_identity(loss, z, np.full((3, 2), np.nan), temperature=0.5)
    with pytest.raises(TypeError, match="loss must return a real scalar"):
        assert_infonce_graph_identity(lambda a, b: [1.0, 2.0], z, z, temperature=0.5)
