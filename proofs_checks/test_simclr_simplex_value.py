"""SimCLR optimal value on a balanced class graph (spectral.md §4.4a, §5 item 11).

At the regular simplex (within-class cosine 1, between-class cosine −1/(C−1)) the listing form
``Σ_ij G_ij (logsumexp_{k≠i} S_ik − S_ij)``, ``S = ŨŨᵀ/τ``, equals
``N(n−1) log(n−1 + (N−n) e^{−C/((C−1)τ)})``. Symbolic in τ at tiny sizes (every entry written
out, no per-row shortcut), with the τ → 0 and τ → ∞ limits; then lambdified and compared with
``simclr_embedding`` and the ``SimCLRLoss`` evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

SIZES = [(2, 2), (3, 2), (2, 3)]
tau = sp.Symbol("tau", positive=True)


def _listing_value(n_classes: int, n: int):
    labels = [i // n for i in range(n_classes * n)]
    n_nodes = len(labels)
    cos = sp.Matrix(
        n_nodes,
        n_nodes,
        lambda i, j: sp.Integer(1) if labels[i] == labels[j] else sp.Rational(-1, n_classes - 1),
    )
    s = cos / tau
    total = 0
    for i in range(n_nodes):
        lse = sp.log(sum(sp.exp(s[i, k]) for k in range(n_nodes) if k != i))
        for j in range(n_nodes):
            if j != i and labels[i] == labels[j]:
                total += lse - s[i, j]
    return total


def _formula(n_classes: int, n: int):
    n_nodes = n_classes * n
    return (
        n_nodes
        * (n - 1)
        * sp.log(n - 1 + (n_nodes - n) * sp.exp(-sp.Integer(n_classes) / ((n_classes - 1) * tau)))
    )


@pytest.mark.parametrize(("n_classes", "n"), SIZES)
def test_simclr_simplex_value_symbolic(n_classes, n):
    lhs = _listing_value(n_classes, n)
    rhs = _formula(n_classes, n)
    n_nodes = n_classes * n
    per_pair = n_nodes * (n - 1)
    # equal iff the per-positive-pair terms are equal; compare their exponentials (log is injective)
    assert sp.simplify(sp.exp(lhs / per_pair) - sp.exp(rhs / per_pair)) == 0
    # limits of the spec: τ → 0 gives N(n−1)log(n−1), τ → ∞ gives N(n−1)log(N−1)
    assert sp.limit(rhs, tau, 0, "+") == per_pair * sp.log(n - 1)
    assert sp.limit(rhs, tau, sp.oo) == per_pair * sp.log(n_nodes - 1)


@pytest.mark.parametrize(("n_classes", "n"), SIZES)
def test_simclr_simplex_value_matches_library(xp, rng, n_classes, n):
    from ssltheory.graphs import label_graph
    from ssltheory.losses import SimCLRLoss
    from ssltheory.spectral import simclr_embedding

    f = sp.lambdify(tau, _formula(n_classes, n), "numpy")
    g = label_graph(xp.asarray(np.repeat(np.arange(n_classes), n)))
    n_nodes = n_classes * n
    eps = np.finfo(np.float64).eps
    for t in rng.uniform(0.05, 5.0, 4):
        sol = simclr_embedding(g, n_components=n_classes - 1, temperature=float(t))
        expected = float(f(t))
        # sums of N² log/exp terms of size ≤ 1/τ + log N, each a few ulps: 16·N²·eps·(1/τ + log N)
        atol = 16 * n_nodes**2 * eps * (1 / t + np.log(n_nodes))
        assert abs(sol.loss - expected) <= atol
        measured = float(SimCLRLoss(temperature=float(t))(sol.embedding, g))
        assert abs(measured - expected) <= atol
