"""Warning classes raised by ssltheory.

Every warning the library emits is a subclass of :class:`SSLTheoryWarning`, so users can filter
them as one family (``warnings.simplefilter("error", SSLTheoryWarning)``).
"""

__all__ = ["DegenerateSpectrumWarning", "NotConvergedWarning", "SSLTheoryWarning"]


class SSLTheoryWarning(UserWarning):
    """Base class of every warning issued by ssltheory."""


class DegenerateSpectrumWarning(SSLTheoryWarning):
    """An eigenvalue cluster straddles the number of kept components.

    The optimal subspace is then not unique (spec/spectral.md D12): the solver returns a
    deterministic basis, but another basis of the tied eigenspace is equally optimal. Compare
    invariants (losses, spectra, the span of the whole cluster), not the returned columns.
    """


class NotConvergedWarning(SSLTheoryWarning):
    """An iterative solver stopped before reaching its tolerance."""
