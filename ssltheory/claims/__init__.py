"""The claims registry: every checkable statement of the spec, with its closed form and check.

A :class:`Claim` pairs a closed-form prediction with an independent measurement and compares
them with a tolerance derived from the numerics. Tests, ``ssltheory verify`` and the notebooks
all consume the registry; users can :func:`register` their own claims.

Examples
--------
>>> from ssltheory import claims
>>> import array_api_compat.numpy as xp
>>> claim = claims.get("graphs.dirichlet_energy")
>>> all(v.passed for v in claims.run_claim(claim, xp=xp, seed=0, quick=True))
True
"""

from ssltheory.claims._core import Claim, Comparison, Problem, Verdict
from ssltheory.claims._registry import all_claims, areas, get, register, unregister
from ssltheory.claims._report import ClaimSummary, format_table, summarize, write_report
from ssltheory.claims._runner import claim_rng, run_claim, run_claims

__all__ = [
    "Claim",
    "ClaimSummary",
    "Comparison",
    "Problem",
    "Verdict",
    "all_claims",
    "areas",
    "claim_rng",
    "format_table",
    "get",
    "register",
    "run_claim",
    "run_claims",
    "summarize",
    "unregister",
    "write_report",
]
