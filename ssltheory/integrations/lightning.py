"""A PyTorch Lightning callback that feeds :class:`ssltheory.track.TheoryTracker` during training.

Lightning is imported lazily, when a :class:`TheoryCallback` is created: this module imports
without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ssltheory.track import TheoryTracker

__all__ = ["TheoryCallback"]

_BOUND: dict[tuple[type, type], type] = {}


def _callback_base() -> type:
    """``lightning.pytorch.Callback``; ImportError naming the extra when Lightning is missing."""
    try:
        from lightning.pytorch import Callback
    except ImportError as exc:
        raise ImportError(
            "TheoryCallback needs PyTorch Lightning: pip install ssltheory[lightning] (lightning>=2.2)"
        ) from exc
    return Callback


class TheoryCallback:
    """Call a :class:`~ssltheory.track.TheoryTracker` from ``on_train_batch_end``.

    Parameters
    ----------
    tracker : TheoryTracker
        The tracker (its ``every`` / ``theory_every`` decide which steps are recorded).
    extract : callable
        ``extract(outputs, batch) -> (z1, z2, ...)``: the embeddings of the views of this batch,
        from what ``training_step`` returned (``outputs``) and the batch. Detach them.
    features : callable, optional
        ``features(outputs, batch) -> (x1, x2, ...)``, the head's inputs (``model="linear"``).
    log : bool, default True
        Log the scalar fields of each record with ``pl_module.log_dict`` (prefixed).
    prefix : str, default "theory/"

    Raises
    ------
    ImportError
        Lightning is not installed (``pip install ssltheory[lightning]``).
    TypeError
        ``tracker`` is not a TheoryTracker, or ``extract``/``features`` not callable.

    Notes
    -----
    The instance created is of a subclass of both this class and ``lightning.pytorch.Callback``
    (built once), so ``Trainer(callbacks=[TheoryCallback(...)])`` accepts it. The step is
    ``trainer.global_step``.

    Examples
    --------
    A ``training_step`` returning ``{"loss": loss, "z1": z1.detach(), "z2": z2.detach()}``::

        cb = TheoryCallback(TheoryTracker(every=50), lambda out, batch: (out["z1"], out["z2"]))
        trainer = lightning.Trainer(callbacks=[cb])
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> TheoryCallback:
        base = _callback_base()
        if not issubclass(cls, base):
            key = (cls, base)
            if key not in _BOUND:
                _BOUND[key] = type(
                    cls.__name__, (cls, base), {"__module__": cls.__module__, "__doc__": cls.__doc__}
                )
            cls = _BOUND[key]
        return object.__new__(cls)

    def __init__(
        self,
        tracker: TheoryTracker,
        extract: Callable[[Any, Any], Any],
        *,
        features: Callable[[Any, Any], Any] | None = None,
        log: bool = True,
        prefix: str = "theory/",
    ) -> None:
        if not isinstance(tracker, TheoryTracker):
            raise TypeError(f"tracker must be a TheoryTracker, received {type(tracker).__name__}")
        if not callable(extract):
            raise TypeError(
                f"extract must be callable (outputs, batch) -> views, received {type(extract).__name__}"
            )
        if features is not None and not callable(features):
            raise TypeError(f"features must be callable or None, received {type(features).__name__}")
        self.tracker, self.extract, self.features = tracker, extract, features
        self.log, self.prefix = bool(log), str(prefix)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Record the batch (Lightning hook); logs the record's scalars when ``log``."""
        step = int(trainer.global_step)
        if step % self.tracker.every:
            return
        views = self.extract(outputs, batch)
        feats = self.features(outputs, batch) if self.features is not None else None
        record = self.tracker.update(step, views, feats)
        if record is not None and self.log:
            scalars = {
                self.prefix + k: float(v)
                for k, v in record.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "step"
            }
            pl_module.log_dict(scalars, on_step=True, on_epoch=False)
