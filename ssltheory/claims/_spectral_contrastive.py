"""Built-in claims of the spectral area for SimCLR, spectral contrastive and BarlowTwins."""

from __future__ import annotations

__all__ = []  # claims register themselves on import; nothing here is public API
