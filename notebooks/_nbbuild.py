"""Shared by the notebook builders: cells -> a notebook with stable ids and minimal metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat


def build(cells: list[tuple[str, str]], *, id_prefix: str) -> nbformat.NotebookNode:
    """A notebook of ``(kind, source)`` cells, ``kind`` "md" or "code", outputs stripped."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, src) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        cell.id = f"{id_prefix}-{i:02d}"  # stable ids: rebuilding gives an identical file
        nb.cells.append(cell)
    return nb


def write(cells: list[tuple[str, str]], path: Path, *, id_prefix: str) -> None:
    nbformat.write(build(cells, id_prefix=id_prefix), path)
    print(f"wrote {path}")
