"""Optional framework integrations of :mod:`ssltheory.track`.

:mod:`ssltheory.integrations.lightning` holds :class:`~ssltheory.integrations.lightning.TheoryCallback`
for PyTorch Lightning. Importing this package (or ``ssltheory``) never imports a framework; the
callback imports Lightning when it is created and raises an ``ImportError`` naming the extra
(``pip install ssltheory[lightning]``) when it is missing.
"""

__all__ = []  # type: ignore[var-annotated]  # submodules only; each imports its framework
