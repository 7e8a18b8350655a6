"""Built-in claims about the loss evaluators (matrix forms, invariances; spectral.md §5 items 2, 15)."""

from __future__ import annotations

__all__ = []  # claims register themselves on import; nothing here is public API
