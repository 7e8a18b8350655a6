"""Shared fixtures for tests/ and proofs_checks/: the backend fixture ``xp``, seeds, hypothesis profiles.

``SSLTHEORY_TEST_BACKENDS`` (comma-separated, default ``numpy,array_api_strict``) selects the array
libraries every backend-aware test runs on. A backend that is requested and missing is an error,
never a silent skip. ``HYPOTHESIS_PROFILE`` picks the hypothesis profile (default ``ci``).
"""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from ssltheory import _backend

try:  # tiny dense problems: one BLAS thread avoids spin-waiting on a shared 2-core machine
    import scipy.linalg  # noqa: F401  (SciPy bundles its own OpenBLAS: load it so the limit reaches it)
    from threadpoolctl import threadpool_limits

    _BLAS_LIMIT = threadpool_limits(limits=int(os.environ.get("SSLTHEORY_TEST_BLAS_THREADS", "1")))
except ImportError:  # threadpoolctl comes with scikit-learn (a test dependency)
    _BLAS_LIMIT = None

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=10)
settings.register_profile("thorough", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_DEFAULT_BACKENDS = "numpy,array_api_strict"


def _requested_backends() -> list[str]:
    raw = os.environ.get("SSLTHEORY_TEST_BACKENDS", _DEFAULT_BACKENDS)
    names = [b.strip() for b in raw.split(",") if b.strip()]
    if not names:
        raise pytest.UsageError("SSLTHEORY_TEST_BACKENDS is empty")
    return names


def load_backend(name: str):
    """Namespace for a backend name; raises (never skips) when it cannot be provided."""
    if name not in _backend.BACKENDS:
        raise pytest.UsageError(
            f"unknown backend {name!r} in SSLTHEORY_TEST_BACKENDS; choose from {', '.join(_backend.BACKENDS)}"
        )
    xp = _backend.namespace_for(name)
    if name == "torch":
        importlib.import_module("torch").set_default_dtype(importlib.import_module("torch").float64)
    return xp


@pytest.fixture(scope="session", params=_requested_backends())
def xp(request):
    """The array namespace under test (session-scoped so that ``@given`` tests can use it)."""
    try:
        return load_backend(request.param)
    except (ImportError, RuntimeError) as exc:
        pytest.fail(
            f"backend {request.param!r} was requested in SSLTHEORY_TEST_BACKENDS but is unavailable: {exc}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def rng_seed() -> int:
    """The one seed every test derives its randomness from (override with SSLTHEORY_TEST_SEED)."""
    return int(os.environ.get("SSLTHEORY_TEST_SEED", "20221123"))


@pytest.fixture
def rng(rng_seed, request) -> np.random.Generator:
    """A NumPy generator seeded from ``rng_seed`` and the test's name (independent per test)."""
    import zlib

    return np.random.default_rng([rng_seed, zlib.crc32(request.node.nodeid.encode())])
