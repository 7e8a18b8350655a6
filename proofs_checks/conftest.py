"""proofs_checks/: sympy derivations of the spec's identities, each tied to the library.

Every file has two layers: ``test_*_symbolic`` proves the identity exactly at a tiny generic
size, ``test_*_matches_library`` lambdifies the derived expression and compares it with the
library on seeded inputs. All items here carry the ``proof`` marker. sympy is a test/proofs
dependency only; ``ssltheory`` never imports it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent

# The backend fixtures ``xp``, ``rng_seed``, ``rng`` come from the repository-root conftest.py.


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.proof)
