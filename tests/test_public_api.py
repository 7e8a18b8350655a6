"""Guards on the public API: literal, sorted, complete ``__all__`` everywhere; a light import."""

from __future__ import annotations
import __future__

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import ssltheory

# modules that need optional dependencies are imported only where those are installed
_OPTIONAL = {"ssltheory.testing.strategies": "hypothesis"}


def _modules() -> list[str]:
    names = ["ssltheory"]
    for info in pkgutil.walk_packages(ssltheory.__path__, prefix="ssltheory."):
        if info.name == "ssltheory.__main__":
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_all_is_literal_sorted_and_complete(name):
    if name in _OPTIONAL:
        pytest.importorskip(_OPTIONAL[name])
    module = importlib.import_module(name)
    source = Path(inspect.getfile(module)).read_text()
    tree = ast.parse(source)
    literal = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            assert isinstance(node.value, ast.List), f"{name}: __all__ must be a literal list"
            assert all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)
            literal = [e.value for e in node.value.elts]
    assert literal is not None, f"{name} has no __all__"
    assert literal == sorted(literal), f"{name}: __all__ is not sorted"
    assert len(set(literal)) == len(literal), f"{name}: __all__ has duplicates"
    lazy = set(getattr(module, "_SUBPACKAGES", ()))
    for public in literal:
        if public not in lazy:
            assert hasattr(module, public), f"{name}.__all__ names {public!r}, which does not exist"
    # every public function/class defined (or re-exported, for packages) here is in __all__
    is_package = hasattr(module, "__path__")
    for attr, obj in vars(module).items():
        if attr.startswith("_") or isinstance(obj, (types.ModuleType, __future__._Feature)):
            continue
        defined_here = getattr(obj, "__module__", None) == name
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and (defined_here or is_package):
            assert attr in literal, f"{name}.{attr} is public but missing from __all__"


def test_top_level_import_is_light():
    code = (
        "import importlib, sys, ssltheory\n"
        "for name in ssltheory._SUBPACKAGES: importlib.import_module('ssltheory.' + name)\n"
        "heavy = ('cupy', 'dask', 'matplotlib', 'sympy', 'hypothesis', 'torch')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing ssltheory pulled in {out}"


def test_lazy_subpackages_resolve():
    assert ssltheory.graphs.__name__ == "ssltheory.graphs"
    assert set(ssltheory._SUBPACKAGES) <= set(dir(ssltheory))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ssltheory.nope  # noqa: B018
