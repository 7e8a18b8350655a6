"""Meta-tests: checks that cannot fail, no-op skips and uncollectable test files are caught."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for d in ("ssltheory", "tests", "proofs_checks", "benchmarks") for p in (ROOT / d).rglob("*.py")
)
_NON_ASSERTING = {"allclose", "isclose", "array_equal", "array_equiv"}


def _statement_calls(tree: ast.AST, names: set[str]) -> list[int]:
    """Line numbers of calls to ``names`` used as bare statements (their result is discarded)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            attr = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if attr in names:
                lines.append(node.lineno)
    return lines


def _mark_skip_in_body(tree: ast.AST) -> list[int]:
    """``pytest.mark.skip(...)`` called inside a function body: a no-op."""
    lines = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                    src = ast.unparse(node.value.func)
                    if src in ("pytest.mark.skip", "pytest.mark.xfail", "pytest.mark.skipif"):
                        lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_check_that_cannot_fail(path):
    tree = ast.parse(path.read_text())
    bad = _statement_calls(tree, _NON_ASSERTING)
    assert not bad, f"{path.name}: allclose/isclose result discarded at lines {bad}; wrap it in assert"
    noop = _mark_skip_in_body(tree)
    assert not noop, f"{path.name}: pytest.mark.skip(...) inside a body does nothing (lines {noop})"


def test_detector_catches_a_discarded_allclose():
    tree = ast.parse(
        "import numpy as np\ndef test_x():\n    np.allclose(1, 2)\n    assert np.isclose(1, 1)\n"
    )
    assert _statement_calls(tree, _NON_ASSERTING) == [3]
    tree = ast.parse("import pytest\ndef test_x():\n    pytest.mark.skip(reason='x')\n")
    assert _mark_skip_in_body(tree) == [3]


def test_test_files_are_collectable_names():
    for d in ("tests", "proofs_checks"):
        for p in (ROOT / d).rglob("*.py"):
            assert "-" not in p.name, f"{p} has a hyphen: pytest will not collect it as a module"


def test_ruff_is_clean():
    pytest.importorskip("ruff")
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
