"""What the staff pages of agent ops show, gathered in one read each: prompt versions, eval
cases with their results, runs with their per-case table and diff, the feedback form.

Reads only; the web layer renders these and never queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptVersion
from trycatch.agent.prompts import active_prompt, diff_versions, get_version, list_versions
from trycatch.agent.tools import BUILTIN_TOOLS
from trycatch.evals.assertions import Assertion
from trycatch.evals.compare import statuses_by_case
from trycatch.evals.feedback import InboxItem, inbox_item, proposed_assertions
from trycatch.evals.gate import activation_refusal
from trycatch.evals.library import get_case
from trycatch.evals.models import EvalCase, EvalCaseRevision, EvalResult, EvalRun, ResultStatus

RECENT_RUNS = 5
HISTORY = 50
RUNS_PAGE = 100


class RunNotFound(LookupError):
    """No eval run with this id."""


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: PromptVersion
    refusal: str | None  # why it may not become active now (None: it may)
    latest_run: EvalRun | None


@dataclass(frozen=True, slots=True)
class VersionPage:
    version: PromptVersion
    active: PromptVersion
    parent: PromptVersion | None
    diff: str  # unified diff from the active version ("" for the active one itself)
    refusal: str | None
    runs: list[EvalRun]
    children: list[PromptVersion]


@dataclass(frozen=True, slots=True)
class CaseRow:
    case: EvalCase
    # The case's status in each of the latest runs, newest first: (run id, status).
    recent: list[tuple[int, ResultStatus]]


@dataclass(frozen=True, slots=True)
class CasesPage:
    cases: list[CaseRow]
    tags: list[str]  # every tag in the suite, for the filter
    runs: list[int]  # the latest runs' ids, newest first (the columns of ``recent``)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    run: EvalRun
    status: ResultStatus
    failure: str
    latency_ms: float


@dataclass(frozen=True, slots=True)
class CasePage:
    case: EvalCase
    text: str  # the case as YAML, for the editor
    revisions: list[EvalCaseRevision]
    history: list[HistoryRow]


@dataclass(slots=True)
class RunRow:
    """One case of a run, its repetitions folded: the worst status, the first failure."""

    name: str
    status: ResultStatus
    passed: str  # "2/3"
    failure: str
    assertions: list[dict[str, Any]]
    latency_ms: float
    requests: int
    input_tokens: int
    output_tokens: int
    cost: float
    cached: int
    transcript: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunPage:
    run: EvalRun
    version: PromptVersion
    rows: list[RunRow]
    baseline: EvalRun | None
    diff: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FeedbackForm:
    item: InboxItem
    proposals: list[Assertion]


def versions_overview(session: Session) -> list[VersionRow]:
    """Every prompt version, newest first, with whether it may become active."""
    versions = list_versions(session)
    latest: dict[int, EvalRun] = {}
    for run in session.scalars(select(EvalRun).order_by(EvalRun.id)):
        latest[run.prompt_version_id] = run
    return [VersionRow(v, activation_refusal(session, v), latest.get(v.id)) for v in versions]


def version_page(session: Session, version_id: int) -> VersionPage:
    active = active_prompt(session)  # first: the default prompt is seeded as version 1
    version = get_version(session, version_id)
    runs = list(
        session.scalars(
            select(EvalRun)
            .where(EvalRun.prompt_version_id == version.id)
            .order_by(EvalRun.id.desc())
            .limit(RUNS_PAGE)
        )
    )
    children = list(
        session.scalars(
            select(PromptVersion)
            .where(PromptVersion.parent_id == version.id)
            .order_by(PromptVersion.id)
        )
    )
    return VersionPage(
        version=version,
        active=active,
        parent=session.get(PromptVersion, version.parent_id) if version.parent_id else None,
        diff="" if version.id == active.id else diff_versions(active, version),
        refusal=activation_refusal(session, version),
        runs=runs,
        children=children,
    )


def draft_source(session: Session, from_id: int | None) -> PromptVersion:
    """The version a new draft starts from: the one asked for, else the active one."""
    return get_version(session, from_id) if from_id is not None else active_prompt(session)


def known_tools() -> list[str]:
    return list(BUILTIN_TOOLS)


def cases_overview(session: Session, *, tag: str | None = None) -> CasesPage:
    """The suite (optionally one tag of it) with each case's status in the latest runs."""
    cases = list(session.scalars(select(EvalCase).order_by(EvalCase.suite, EvalCase.name)))
    tags = sorted({t for case in cases for t in case.tags})
    if tag:
        cases = [case for case in cases if tag in case.tags]
    run_ids = list(
        session.scalars(select(EvalRun.id).order_by(EvalRun.id.desc()).limit(RECENT_RUNS))
    )
    recent: dict[str, list[tuple[int, ResultStatus]]] = {}
    if run_ids:
        rows = session.execute(
            select(EvalResult.run_id, EvalResult.case_name, EvalResult.status)
            .where(EvalResult.run_id.in_(run_ids))
            .order_by(EvalResult.run_id.desc(), EvalResult.id)
        ).all()
        by_run: dict[int, list[tuple[str, ResultStatus]]] = {}
        for run_id, name, status in rows:
            by_run.setdefault(run_id, []).append((name, ResultStatus(status)))
        for run_id in run_ids:
            for name, status in statuses_by_case(by_run.get(run_id, [])).items():
                recent.setdefault(name, []).append((run_id, status))
    return CasesPage(
        cases=[CaseRow(case, recent.get(case.name, [])) for case in cases],
        tags=tags,
        runs=run_ids,
    )


def case_text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def case_page(session: Session, name: str) -> CasePage:
    """One case: its YAML, its revisions (newest first) and its results in past runs."""
    case = get_case(session, name)
    rows = session.execute(
        select(EvalResult, EvalRun)
        .join(EvalRun, EvalResult.run_id == EvalRun.id)
        .where(EvalResult.case_name == case.name)
        .order_by(EvalResult.run_id.desc(), EvalResult.repetition)
        .limit(HISTORY)
    ).all()
    history: dict[int, HistoryRow] = {}
    for result, run in rows:
        seen = history.get(run.id)
        # One row per run: a failing repetition outweighs a passing one.
        if seen is None or (seen.status == ResultStatus.PASSED and result.status != seen.status):
            history[run.id] = HistoryRow(
                run, ResultStatus(result.status), result.failure, result.latency_ms
            )
    return CasePage(
        case=case,
        text=case_text(case.data),
        revisions=list(reversed(case.revisions)),
        history=list(history.values()),
    )


def runs_overview(session: Session, *, limit: int = RUNS_PAGE) -> list[EvalRun]:
    return list(session.scalars(select(EvalRun).order_by(EvalRun.id.desc()).limit(limit)))


def _fold(results: Sequence[EvalResult]) -> list[RunRow]:
    by_case: dict[str, list[EvalResult]] = {}
    for result in results:
        by_case.setdefault(result.case_name, []).append(result)
    statuses = statuses_by_case((r.case_name, ResultStatus(r.status)) for r in results)
    rows = []
    for name, reps in by_case.items():
        worst = next((r for r in reps if r.status != ResultStatus.PASSED), reps[0])
        rows.append(
            RunRow(
                name=name,
                status=statuses[name],
                passed=f"{sum(1 for r in reps if r.status == ResultStatus.PASSED)}/{len(reps)}",
                failure=worst.failure,
                assertions=list(worst.assertions or []),
                latency_ms=round(sum(r.latency_ms for r in reps) / len(reps), 1),
                requests=sum(r.requests for r in reps),
                input_tokens=sum(r.input_tokens for r in reps),
                output_tokens=sum(r.output_tokens for r in reps),
                cost=round(sum(r.cost for r in reps), 6),
                cached=sum(r.cached_requests for r in reps),
                transcript=list(worst.transcript or []),
            )
        )
    return rows


def run_page(session: Session, run_id: int) -> RunPage:
    """One run: per-case table (failing first), its version, baseline and diff."""
    run = session.get(EvalRun, run_id)
    if run is None:
        raise RunNotFound(f"eval run {run_id}")
    rows = _fold(run.results)
    rows.sort(key=lambda row: row.status == ResultStatus.PASSED)
    return RunPage(
        run=run,
        version=get_version(session, run.prompt_version_id),
        rows=rows,
        baseline=session.get(EvalRun, run.baseline_run_id) if run.baseline_run_id else None,
        diff=dict(run.diff or {}),
    )


def feedback_form(session: Session, feedback_id: int) -> FeedbackForm:
    """One piece of negative feedback and the assertions proposed for its case."""
    return FeedbackForm(
        item=inbox_item(session, feedback_id),
        proposals=proposed_assertions(session, feedback_id),
    )


__all__ = [
    "CasePage",
    "CaseRow",
    "CasesPage",
    "FeedbackForm",
    "HistoryRow",
    "RunNotFound",
    "RunPage",
    "RunRow",
    "VersionPage",
    "VersionRow",
    "case_page",
    "case_text",
    "cases_overview",
    "draft_source",
    "feedback_form",
    "known_tools",
    "run_page",
    "runs_overview",
    "version_page",
    "versions_overview",
]
