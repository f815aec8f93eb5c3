"""A run against its baseline, per case: newly failing, newly passing, still failing.

A case's status over its repetitions: failed (or error) when any repetition failed,
skipped when any was skipped and none failed, passed when all passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trycatch.evals.models import ResultStatus

FAILING = frozenset({ResultStatus.FAILED, ResultStatus.ERROR})


def case_status(statuses: Iterable[ResultStatus]) -> ResultStatus:
    seen = set(statuses)
    if ResultStatus.ERROR in seen:
        return ResultStatus.ERROR
    if ResultStatus.FAILED in seen:
        return ResultStatus.FAILED
    if ResultStatus.SKIPPED in seen or not seen:
        return ResultStatus.SKIPPED
    return ResultStatus.PASSED


def statuses_by_case(rows: Iterable[tuple[str, ResultStatus]]) -> dict[str, ResultStatus]:
    """(case name, status of one repetition) pairs → the status of each case, in order."""
    grouped: dict[str, list[ResultStatus]] = {}
    for name, status in rows:
        grouped.setdefault(name, []).append(ResultStatus(status))
    return {name: case_status(statuses) for name, statuses in grouped.items()}


@dataclass(slots=True)
class Diff:
    baseline_run_id: int | None = None
    newly_failing: list[str] = field(default_factory=list)
    newly_passing: list[str] = field(default_factory=list)
    still_failing: list[str] = field(default_factory=list)
    # Cases the baseline did not run (new, or outside its selection), and the reverse.
    not_in_baseline: list[str] = field(default_factory=list)
    only_in_baseline: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "baseline_run_id": self.baseline_run_id,
            "newly_failing": self.newly_failing,
            "newly_passing": self.newly_passing,
            "still_failing": self.still_failing,
            "not_in_baseline": self.not_in_baseline,
            "only_in_baseline": self.only_in_baseline,
        }


def compare(
    current: Mapping[str, ResultStatus],
    baseline: Mapping[str, ResultStatus] | None,
    *,
    baseline_run_id: int | None = None,
) -> Diff:
    """The per-case diff of ``current`` against ``baseline`` (None: no baseline run)."""
    diff = Diff(baseline_run_id=baseline_run_id)
    before = baseline or {}
    for name, now in current.items():
        if name not in before:
            diff.not_in_baseline.append(name)
            continue
        was = before[name]
        if now in FAILING and was == ResultStatus.PASSED:
            diff.newly_failing.append(name)
        elif now == ResultStatus.PASSED and was in FAILING:
            diff.newly_passing.append(name)
        elif now in FAILING and was in FAILING:
            diff.still_failing.append(name)
    diff.only_in_baseline = [name for name in before if name not in current]
    return diff


__all__ = ["FAILING", "Diff", "case_status", "compare", "statuses_by_case"]
