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

#: The documented kinds of ``error`` (``Claim.error_kind``, ``Comparison.error_kind``): what the
#: number compared with the tolerance is. The report prints the kind next to every tolerance and
#: this definition in its glossary; a claim may use another short phrase (shown as given).
ERROR_KINDS: dict[str, str] = {
    "relative error": "|predicted − measured| divided by a scale of the quantity (|predicted|, "
    "max(1, |predicted|) or a norm bounding the summed terms); the tolerance is a relative rounding or "
    "optimiser bound.",
    "absolute error": "|predicted − measured| in the units of the quantity (the largest entry for "
    "arrays); the tolerance is in the same units.",
    "normalised error": "several error components (a loss gap, a spectrum error, a subspace angle …), "
    "each divided by its own tolerance, the largest kept; passes at ≤ 1 (the components are in "
    "report.json).",
    "threshold ratio": "a measured statistic divided by the threshold the claim sets (or the threshold "
    "divided by it, for a lower threshold), the worst over the claim's conditions; passes at ≤ 1. A "
    "p-value enters as level ÷ p (p must stay above the level) or p ÷ level (p must fall below it).",
    "ratio": "measured ÷ predicted (or one value of a sequence ÷ the next); the claim predicts it stays "
    "below the tolerance, e.g. an optimiser going below a naive form.",
    "bound violation": "how far the measured value lies beyond the bound the theory proves (relative to "
    "the bound's scale where the claim says so); 0 while the bound holds, the tolerance covers rounding "
    "or Monte-Carlo error.",
    "count mismatch": "a difference of integers: ranks, region or sign-change counts, seeds short of "
    "the required number, or failed exact conditions; tolerance 0 means exact agreement.",
    "projector distance": "‖P_pred − P_meas‖_F between the orthogonal projectors onto the predicted and "
    "the measured subspace (with a loss's relative error where the claim also compares a loss); the "
    "tolerance grows as 1/eigengap (Davis–Kahan).",
    "Amari distance": "the Amari index of (estimated unmixing) × (true mixing): 0 when the sources are "
    "recovered up to permutation and scale, 1 at worst.",
}


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
    ``error_kind`` says what ``error`` is (a key of :data:`ERROR_KINDS` such as
    ``"relative error"``); ``None`` (default) uses the claim's :attr:`Claim.error_kind`, so it is
    set here only by a claim whose problems measure different kinds of error.
    """

    predicted: float | str
    measured: float | str
    error: float
    tolerance: float
    details: Mapping[str, Any] = field(default_factory=dict)
    error_kind: str | None = None


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
    error_kind: str = "relative error"

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
            "error_kind": self.error_kind,
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
        Where it is stated (``"spectral.md §5 item 1"``); kept in ``report.json``.
    problems : callable ``(rng: numpy.random.Generator, quick: bool) -> Sequence[Problem]``
        Draws the test problems (host NumPy data); ``quick=True`` gives fewer, smaller ones.
    predict, measure : callable ``(problem: Problem, xp) -> value``
        The closed form and the independent measurement, computed on backend ``xp``.
    compare : callable ``(predicted, measured, problem, xp) -> Comparison``
        Turns the two values into an error and a tolerance derived from the numerics.
    plot : callable ``(verdicts: Sequence[Verdict], ax) -> None``, optional
        Draws the claim's figure for the report from the verdicts' ``details``.
    gating : bool
        ``False`` for report-only claims: they run and are reported (as *agrees*,
        *inconclusive* or *disagrees*), but do not change the exit status of
        ``ssltheory verify`` (unless ``--fail-on report-only``).
    error_kind : str
        What ``error`` is, one of :data:`ERROR_KINDS` (default ``"relative error"``): the
        report prints it next to the tolerance. A :class:`Comparison` may override it per problem.
    report_only_reason : str
        Required when ``gating=False``: why the claim does not gate, and what would make it gating.
    figure_caption : str
        Caption of the claim's figure in the report; defines every symbol the figure shows.
    tolerance_reason : str
        Optional: where the tolerance comes from (a rounding bound, an optimiser's stopping rule);
        printed next to the tolerance in the report.
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
    error_kind: str = "relative error"
    report_only_reason: str = ""
    figure_caption: str = ""
    tolerance_reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or "." not in self.id or self.id != self.id.strip():
            raise ValueError(f"Claim id must be a dotted string like 'area.topic', received {self.id!r}")
        for name in ("problems", "predict", "measure", "compare"):
            if not callable(getattr(self, name)):
                raise TypeError(f"Claim {name} must be callable, received {getattr(self, name)!r}")
        for name in ("error_kind", "report_only_reason", "figure_caption", "tolerance_reason"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Claim {name} must be a string, received {getattr(self, name)!r}")
        if not self.error_kind.strip():
            raise ValueError(
                f"Claim error_kind must name the kind of error, e.g. one of {', '.join(ERROR_KINDS)}; "
                f"received {self.error_kind!r}"
            )
        if not self.gating and not self.report_only_reason.strip():
            raise ValueError(
                f"Claim {self.id!r}: report_only_reason must say why a report-only claim (gating=False) "
                "does not gate and what would make it gating, received ''"
            )

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
                error_kind=self.error_kind,
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
            error_kind=comp.error_kind or self.error_kind,
        )
