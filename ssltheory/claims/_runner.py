"""Running claims: problems drawn from a seed, checked on one backend, with progress."""

from __future__ import annotations

import contextlib
import sys
import zlib
from collections.abc import Sequence
from types import ModuleType

import numpy as np

from ssltheory.claims._core import Claim, Verdict

__all__ = ["claim_rng", "one_blas_thread", "run_claim", "run_claims"]


def one_blas_thread() -> contextlib.AbstractContextManager:
    """Single-threaded BLAS while claims run (threadpoolctl, installed with scikit-learn).

    Claim problems are small: their optimisers make thousands of tiny BLAS calls, and with
    several BLAS threads those spin-wait; measured 10-100x slower on a loaded 2-core machine.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def claim_rng(claim_id: str, seed: int) -> np.random.Generator:
    """Generator for a claim's problems: independent per claim, reproducible from ``seed``."""
    return np.random.default_rng([int(seed), zlib.crc32(claim_id.encode())])


def run_claim(claim: Claim, *, xp: ModuleType, seed: int = 0, quick: bool = True) -> list[Verdict]:
    """Check ``claim`` on every problem it draws from ``seed`` on backend ``xp``."""
    problems = claim.problems(claim_rng(claim.id, seed), quick)
    with one_blas_thread():
        return [claim.check(p, xp=xp) for p in problems]


def run_claims(
    claims: Sequence[Claim],
    *,
    xp: ModuleType,
    seed: int = 0,
    quick: bool = True,
    progress: bool = True,
) -> list[Verdict]:
    """Check every claim on every problem, with a progress bar on stderr (``progress=False`` off)."""
    from tqdm import tqdm

    jobs = [(c, p) for c in claims for p in c.problems(claim_rng(c.id, seed), quick)]
    verdicts = []
    bar = tqdm(jobs, desc="verifying", unit="check", disable=not progress, file=sys.stderr, leave=False)
    with one_blas_thread():
        for claim, problem in bar:
            bar.set_postfix_str(claim.id, refresh=False)
            verdicts.append(claim.check(problem, xp=xp))
    bar.close()
    return verdicts
