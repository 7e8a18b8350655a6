"""Built-in claims of the spectral area; they register themselves on import."""

from __future__ import annotations

__all__ = []  # claims register themselves on import; nothing here is public API
