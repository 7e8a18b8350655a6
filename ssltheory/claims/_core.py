"""The claim types: a checkable statement, a test problem, and the verdict of one check."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ssltheory import _backend

__all__ = ["Claim", "Comparison", "Problem", "Verdict"]


@dataclass(frozen=True)
class Problem:
    """One test problem for a claim.

    ``data`` holds host NumPy arrays drawn from a seeded generator; :meth:`Claim.check` moves
    them to the backend under test with ``xp.asarray``, so every backend sees the same numbers.
    ``params`` holds plain Python values (sizes, weights).
    """

    name: str
    data: Mapping[str, np.ndarray] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)

    def arrays(self, xp: ModuleType) -> dict[str, Any]:
        """``data`` converted to arrays of namespace ``xp`` (floating data as float64)."""
        out = {}
        for key, value in self.data.items():
            value = np.asarray(value)
            out[key] = xp.asarray(value, dtype=xp.float64) if value.dtype.kind == "f" else xp.asarray(value)
        return out


@dataclass(frozen=True)
class Comparison:
    """What ``Claim.compare`` returns: summaries for the table, an error and its tolerance.

    ``predicted``/``measured`` are short display values (a float or a string such as a spectrum
    ``"0×4, 3×8"``); ``error`` and ``tolerance`` are non-negative floats and the check passes
    iff ``error <= tolerance``. ``details`` holds small JSON-able extras (used by plots).
    """

    predicted: float | str
    measured: float | str
    error: float
    tolerance: float
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one claim on one problem and one backend."""

    claim_id: str
    problem: str
    backend: str
    predicted: float | str
    measured: float | str
    error: float
    tolerance: float
    passed: bool
    seconds: float
    details: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dictionary (non-finite floats become strings)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            if isinstance(v, np.generic):
                return clean(v.item())
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, Mapping):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v

        return {
            "claim": self.claim_id,
            "problem": self.problem,
            "backend": self.backend,
            "predicted": clean(self.predicted),
            "measured": clean(self.measured),
            "error": clean(self.error),
            "tolerance": clean(self.tolerance),
            "passed": self.passed,
            "seconds": self.seconds,
            "message": self.message,
            "details": clean(dict(self.details)),
        }


@dataclass(frozen=True)
class Claim:
    """A checkable statement from the spec: a closed form, a measurement, and their comparison.

    Parameters
    ----------
    id : str
        Dotted identifier ``area.topic.name``; the area is the part before the first dot.
    statement : str
        The statement in one line.
    spec : str
        Where it is stated (``"spectral.md §5 item 1"``).
    problems : callable ``(rng: numpy.random.Generator, quick: bool) -> Sequence[Problem]``
        Draws the test problems (host NumPy data); ``quick=True`` gives fewer, smaller ones.
    predict, measure : callable ``(problem: Problem, xp) -> value``
        The closed form and the independent measurement, computed on backend ``xp``.
    compare : callable ``(predicted, measured, problem, xp) -> Comparison``
        Turns the two values into an error and a tolerance derived from the numerics.
    plot : callable ``(verdicts: Sequence[Verdict], ax) -> None``, optional
        Draws the claim's figure for the report from the verdicts' ``details``.
    gating : bool
        ``False`` for report-only claims: they run and are reported, but a failure does not
        change the exit status of ``ssltheory verify``.
    """

    id: str
    statement: str
    spec: str
    problems: Callable[[np.random.Generator, bool], Sequence[Problem]]
    predict: Callable[[Problem, ModuleType], Any]
    measure: Callable[[Problem, ModuleType], Any]
    compare: Callable[[Any, Any, Problem, ModuleType], Comparison]
    plot: Callable[[Sequence[Verdict], Any], None] | None = None
    gating: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or "." not in self.id or self.id != self.id.strip():
            raise ValueError(f"Claim id must be a dotted string like 'area.topic', received {self.id!r}")
        for name in ("problems", "predict", "measure", "compare"):
            if not callable(getattr(self, name)):
                raise TypeError(f"Claim {name} must be callable, received {getattr(self, name)!r}")

    @property
    def area(self) -> str:
        """The area (first component of the id)."""
        return self.id.split(".", 1)[0]

    def check(self, problem: Problem, *, xp: ModuleType) -> Verdict:
        """Predict, measure and compare on one problem; an exception becomes a failed verdict."""
        start = time.perf_counter()
        backend = _backend.backend_name(xp)
        try:
            predicted = self.predict(problem, xp)
            measured = self.measure(problem, xp)
            comp = self.compare(predicted, measured, problem, xp)
        except Exception as exc:  # a crashing check is a failing check, reported with its reason
            return Verdict(
                claim_id=self.id,
                problem=problem.name,
                backend=backend,
                predicted="error",
                measured="error",
                error=math.inf,
                tolerance=0.0,
                passed=False,
                seconds=time.perf_counter() - start,
                message=f"{type(exc).__name__}: {exc}",
            )
        error, tol = float(comp.error), float(comp.tolerance)
        return Verdict(
            claim_id=self.id,
            problem=problem.name,
            backend=backend,
            predicted=comp.predicted,
            measured=comp.measured,
            error=error,
            tolerance=tol,
            passed=bool(math.isfinite(error) and error <= tol),
            seconds=time.perf_counter() - start,
            details=dict(comp.details),
        )
