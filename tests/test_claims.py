"""The claims registry and runner: every registered claim passes on every backend, and a wrong
claim is caught (the machinery can fail)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssltheory import claims
from ssltheory.claims import Claim, Comparison, Problem

ALL_IDS = [c.id for c in claims.all_claims()]


def test_builtin_claims_registered():
    assert "graphs.dirichlet_energy" in ALL_IDS
    assert "graphs.augmentation_spectrum" in ALL_IDS
    assert all(c.area == "graphs" for c in claims.all_claims("graphs"))
    assert "graphs" in claims.areas()


@pytest.mark.parametrize("claim_id", ALL_IDS)
def test_every_claim_passes_on_every_backend(xp, claim_id, rng_seed):
    claim = claims.get(claim_id)
    if not claim.gating:
        pytest.skip("report-only claim: runs in `ssltheory verify`, does not gate")
    verdicts = claims.run_claim(claim, xp=xp, seed=rng_seed, quick=True)
    assert verdicts, f"{claim_id} drew no problems"
    failed = [v for v in verdicts if not v.passed]
    assert not failed, "\n".join(f"{v.problem}: {v.message or (v.error, v.tolerance)}" for v in failed)


@pytest.mark.parametrize("claim_id", ALL_IDS)
@settings(max_examples=3)  # 3 extra seeds per claim and backend keep the default run short
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_every_claim_passes_for_drawn_seeds(xp, claim_id, seed):
    claim = claims.get(claim_id)
    if not claim.gating:
        return
    for v in claims.run_claim(claim, xp=xp, seed=seed, quick=True):
        assert v.passed, f"{v.problem}: {v.message or (v.error, v.tolerance)}"


def test_problems_are_reproducible_from_seed():
    claim = claims.get("graphs.dirichlet_energy")
    a = claim.problems(claims.claim_rng(claim.id, 7), True)
    b = claim.problems(claims.claim_rng(claim.id, 7), True)
    c = claim.problems(claims.claim_rng(claim.id, 8), True)
    np.testing.assert_array_equal(a[0].data["embedding"], b[0].data["embedding"])
    assert not np.array_equal(a[0].data["embedding"], c[0].data["embedding"])


# --------------------------------------------------------------------------- a claim that must fail
def _toy_claim(claim_id: str, offset: float = 0.0, crash: bool = False) -> Claim:
    def problems(rng, quick):
        return [Problem("toy", {"x": rng.standard_normal(5)})]

    def predict(problem, xp):
        if crash:
            raise RuntimeError("boom")
        return float(np.sum(problem.data["x"] ** 2)) + offset

    def measure(problem, xp):
        x = problem.arrays(xp)["x"]
        return float(xp.sum(x * x))

    def compare(p, m, problem, xp):
        return Comparison(p, m, abs(p - m) / max(abs(m), 1.0), 1e-12)

    return Claim(claim_id, "toy statement", "nowhere", problems, predict, measure, compare)


def test_wrong_claim_fails_and_crash_is_reported(xp):
    bad = claims.run_claim(_toy_claim("toy.wrong", offset=1e-3), xp=xp)
    assert not bad[0].passed
    assert bad[0].error > bad[0].tolerance
    crash = claims.run_claim(_toy_claim("toy.crash", crash=True), xp=xp)
    assert not crash[0].passed
    assert math.isinf(crash[0].error)
    assert "RuntimeError: boom" in crash[0].message
    good = claims.run_claim(_toy_claim("toy.right"), xp=xp)
    assert good[0].passed


def test_register_get_unregister():
    c = _toy_claim("toy.registered")
    claims.register(c)
    try:
        assert claims.get("toy.registered") is c
        with pytest.raises(ValueError, match="already registered"):
            claims.register(c)
        claims.register(c, replace=True)
        assert "toy" in claims.areas()
    finally:
        claims.unregister("toy.registered")
    with pytest.raises(KeyError, match=r"no claim with id 'toy\.registered'"):
        claims.get("toy.registered")


def test_get_suggests_close_ids():
    with pytest.raises(KeyError, match=r"did you mean graphs\.dirichlet_energy"):
        claims.get("graphs.dirichlet_enrgy")


def test_register_rejects_non_claims_and_bad_ids():
    with pytest.raises(TypeError, match=r"must be a ssltheory\.claims\.Claim"):
        claims.register("graphs.x")
    good = _toy_claim("toy.ok")
    with pytest.raises(ValueError, match="dotted string"):
        Claim("nodots", "s", "spec", good.problems, good.predict, good.measure, good.compare)
    with pytest.raises(TypeError, match="predict must be callable"):
        Claim("toy.bad", "s", "spec", good.problems, 3, good.measure, good.compare)


def test_summary_and_table():
    claim = _toy_claim("toy.table", offset=1.0)
    import array_api_compat.numpy as xp

    verdicts = claims.run_claim(claim, xp=xp)
    summaries = claims.summarize([claim], verdicts)
    text = claims.format_table(summaries, width=100)
    assert "toy.table" in text
    assert "FAIL" in text
    assert text.splitlines()[-1] == "1 of 1 gating claims FAIL"


def test_report_only_claim_must_say_why():
    good = _toy_claim("toy.ro")
    args = ("toy.ro", "s", "spec", good.problems, good.predict, good.measure, good.compare)
    with pytest.raises(ValueError, match="report_only_reason must say why"):
        Claim(*args, gating=False)
    with pytest.raises(ValueError, match="report_only_reason must say why"):
        Claim(*args, gating=False, report_only_reason="   ")
    assert Claim(
        *args, gating=False, report_only_reason="a toy; it would gate with a bound"
    ).report_only_reason
    with pytest.raises(ValueError, match="error_kind must name the kind of error"):
        Claim(*args, error_kind="")
    with pytest.raises(TypeError, match="figure_caption must be a string"):
        Claim(*args, figure_caption=None)


def test_error_kind_reaches_the_verdict():
    import array_api_compat.numpy as xp

    good = _toy_claim("toy.kinds")
    args = ("toy.kinds", "s", "spec", good.problems, good.predict, good.measure)
    # the claim's kind by default, a Comparison's own kind where it sets one, the claim's on a crash
    (v,) = claims.run_claim(Claim(*args, good.compare), xp=xp)
    assert v.error_kind == "relative error"
    assert v.to_dict()["error_kind"] == "relative error"
    (v,) = claims.run_claim(Claim(*args, good.compare, error_kind="absolute error"), xp=xp)
    assert v.error_kind == "absolute error"

    def per_problem(p, m, problem, xp):
        return Comparison(p, m, 0.0, 1.0, error_kind="bound violation")

    (v,) = claims.run_claim(Claim(*args, per_problem, error_kind="absolute error"), xp=xp)
    assert v.error_kind == "bound violation"
    crashing = _toy_claim("toy.kinds", crash=True)
    (v,) = claims.run_claim(Claim(*args[:3], crashing.problems, crashing.predict, crashing.measure,
                                  crashing.compare, error_kind="count mismatch"), xp=xp)  # fmt: skip
    assert not v.passed
    assert v.error_kind == "count mismatch"


@pytest.mark.parametrize("claim_id", ALL_IDS)
def test_builtin_claims_state_a_documented_error_kind(claim_id):
    from ssltheory.claims._core import ERROR_KINDS

    claim = claims.get(claim_id)
    assert claim.error_kind in ERROR_KINDS
    if claim.plot is not None:
        assert claim.figure_caption, "a claim with a figure captions it"
    if not claim.gating:
        assert claim.report_only_reason


def test_builtin_claims_give_a_tolerance_reason():
    # every built-in claim outside the dynamics area says where its tolerance comes from, in plain words
    # (the report prints it next to the tolerance), without pointing at the internal spec
    import re

    checked = [c for c in claims.all_claims() if c.area != "dynamics"]
    assert checked
    missing = [c.id for c in checked if not c.tolerance_reason.strip()]
    assert not missing, f"claims without a tolerance_reason: {missing}"
    # spec paths, section signs, and item codes (a capital D, T or R followed by digits)
    spec_code = re.compile(r"spec/|§|\b[DTR]\d+\b")
    cites = [c.id for c in checked if spec_code.search(c.tolerance_reason)]
    assert not cites, f"tolerance_reason cites the spec: {cites}"


def test_all_claims_refuses_an_unknown_area():
    # an unknown area used to return [] (a CI filter with a typo then checks nothing)
    with pytest.raises(ValueError, match=r"area must be one of .*'spectral'.*received 'bogus'"):
        claims.all_claims("bogus")
    with pytest.raises(TypeError, match="area must be a string"):
        claims.all_claims(3)
