"""Running a suite against a prompt version: every case in-process, stored as a run.

Each case is played to the agent of the version (its text and tools) with
``rehearse_conversation`` — the same rules, tools and checks as a customer's answer, but
nothing stored as a conversation. Cases run on ``concurrency`` worker threads, each with
its own database session, model and event loop; model responses go through the cache.
The run, its per-case results, the diff against the baseline and the gate's verdict are
stored in one transaction.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
from pydantic_ai.models import Model
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from trycatch.agent.conversations import AgentInputError, RehearsedTurn, rehearse_conversation
from trycatch.agent.models import PromptVersion
from trycatch.agent.prompts import active_prompt, get_version, hash_of
from trycatch.agent.providers import new_model
from trycatch.agent.tools import CustomerContext
from trycatch.agent.toolspec import HttpTool
from trycatch.evals.assertions import Judge, Observed, Verdict, check_all
from trycatch.evals.cache import SCOPE, CachingModel, CaseScope, ResponseCache
from trycatch.evals.cases import SuiteCase, select_cases, suite_hash
from trycatch.evals.compare import Diff, compare, statuses_by_case
from trycatch.evals.gate import GateVerdict, decide_gate
from trycatch.evals.judge import judge_model_factory, model_judge
from trycatch.evals.library import stored_cases, stored_suite
from trycatch.evals.models import EvalResult, EvalRun, ResultStatus
from trycatch.settings import Settings
from trycatch.store import Database, open_database, record_event, utcnow

MAX_CONCURRENCY = 64
MAX_REPEAT = 20


class Baseline(StrEnum):
    """Which run a new run is compared with, when not a run id."""

    LATEST = "latest"  # the last run of the active version
    NONE = "none"


class EvalRunError(ValueError):
    """A run that cannot start (bad option); the message names it."""


@dataclass(slots=True)
class CaseResult:
    """One repetition of one case."""

    name: str
    suite: str
    tags: list[str]
    repetition: int
    status: ResultStatus
    verdicts: list[Verdict]
    failure: str
    turns: list[RehearsedTurn]
    latency_ms: float = 0.0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    cached: int = 0

    def transcript(self) -> list[dict[str, Any]]:
        return [
            {
                "question": t.question,
                "outcome": t.outcome,
                "answer": t.answer,
                "citations": [c.public() for c in t.citations],
                "escalation_reason": t.escalation_reason,
                "confidence": round(t.confidence, 3),
                "tool_calls": t.tool_calls,
            }
            for t in self.turns
        ]


@dataclass(slots=True)
class RunReport:
    """A stored run and what it found (the CLI's and the web's view of it)."""

    run: EvalRun
    results: list[CaseResult]
    diff: Diff
    gate: GateVerdict
    statuses: dict[str, ResultStatus] = field(default_factory=dict)


def _snapshot(version: PromptVersion) -> PromptVersion:
    # A detached copy: worker threads read it without touching the caller's session.
    return PromptVersion(
        id=version.id,
        text=version.text,
        tools=list(version.tools or []),
        model_settings=dict(version.model_settings or {}),
        status=version.status,
        author=version.author,
    )


def try_case(
    session: Session,
    item: SuiteCase,
    *,
    prompt: PromptVersion,
    settings: Settings,
    model: Model | None,
    judge: Judge | None,
    repetition: int = 0,
    http_tools: Sequence[HttpTool] = (),
    http_client: httpx.Client | None = None,
) -> CaseResult:
    """Play one case to the agent of ``prompt`` and check its assertions (nothing stored)."""
    case = item.case
    scope = CaseScope(repetition=repetition, session=session)
    token = SCOPE.set(scope)
    customer = case.input.customer
    started = time.perf_counter()
    try:
        turns = rehearse_conversation(
            session,
            messages=case.input.messages,
            prompt=prompt,
            settings=settings,
            customer=CustomerContext(email=customer.email, external_id=customer.external_id)
            if customer
            else None,
            model=model,
            http_tools=http_tools,
            http_client=http_client,
        )
        latency = round((time.perf_counter() - started) * 1000, 2)
        observed = Observed(
            turns=turns, latency_ms=latency, requests=scope.meter.requests, cost=scope.meter.cost
        )
        checked = check_all(case.expect, observed, judge)
        status, verdicts, failure = checked.status, checked.verdicts, checked.failure
    except AgentInputError as error:
        turns, latency = [], round((time.perf_counter() - started) * 1000, 2)
        status, verdicts, failure = ResultStatus.ERROR, [], f"input: {error}"
    except Exception as error:  # one broken case must not end the run
        turns, latency = [], round((time.perf_counter() - started) * 1000, 2)
        status, verdicts = ResultStatus.ERROR, []
        failure = f"error: {type(error).__name__}: {error}"[:500]
    finally:
        SCOPE.reset(token)
    return CaseResult(
        name=case.name,
        suite=item.suite,
        tags=list(case.tags),
        repetition=repetition,
        status=status,
        verdicts=verdicts,
        failure=failure,
        turns=turns,
        latency_ms=latency,
        requests=scope.meter.requests,
        input_tokens=sum(int(t.usage.get("input_tokens") or 0) for t in turns),
        output_tokens=sum(int(t.usage.get("output_tokens") or 0) for t in turns),
        cost=scope.meter.cost,
        cached=scope.meter.cached,
    )


def run_single(
    session: Session,
    item: SuiteCase,
    *,
    prompt: PromptVersion,
    settings: Settings,
    model_factory: Callable[[], Model] | None = None,
    judge_factory: Callable[[], Model] | None = None,
) -> CaseResult:
    """One case on one version, in this thread, not stored as a run (a case just made from
    feedback, shown failing on the active version)."""
    cache = ResponseCache()
    make_judge = judge_factory or judge_model_factory(settings)
    return try_case(
        session,
        item,
        prompt=_snapshot(prompt),
        settings=settings,
        model=CachingModel(model_factory(), cache)
        if model_factory
        else _pooled(settings, cache, judge=False),
        judge=model_judge(CachingModel(make_judge(), cache, judge=True)) if make_judge else None,
    )


# Models of the configured provider, one per worker thread (a provider's HTTP client
# belongs to one event loop), reused by later runs so agents are not rebuilt every run.
_POOL: dict[tuple[int, str, str, str, str, float, bool], CachingModel] = {}
_POOL_LOCK = threading.Lock()


def _pooled(settings: Settings, cache: ResponseCache, *, judge: bool) -> CachingModel:
    key = (
        threading.get_ident(),
        settings.agent_provider,
        settings.agent_model,
        settings.agent_base_url,
        settings.agent_api_key.get_secret_value(),
        settings.agent_confidence_threshold,
        judge,
    )
    with _POOL_LOCK:
        model = _POOL.get(key)
        if model is None:
            model = _POOL[key] = CachingModel(new_model(settings), cache, judge=judge)
    model.cache = cache
    return model


@dataclass(slots=True)
class _Plan:
    database: Database
    prompt: PromptVersion
    settings: Settings
    cache: ResponseCache
    model_factory: Callable[[], Model] | None
    judge_factory: Callable[[], Model] | None
    http_tools: Sequence[HttpTool]
    http_client: httpx.Client | None
    progress: Callable[[CaseResult], None] | None
    model_names: set[str] = field(default_factory=set)


def _worker(
    plan: _Plan,
    jobs: queue.SimpleQueue[tuple[int, SuiteCase, int] | None],
    results: dict[int, CaseResult],
) -> None:
    if plan.model_factory is not None:
        model: Model = CachingModel(plan.model_factory(), plan.cache)
    else:
        model = _pooled(plan.settings, plan.cache, judge=False)
    plan.model_names.add(model.model_name)
    judge = (
        model_judge(CachingModel(plan.judge_factory(), plan.cache, judge=True))
        if plan.judge_factory is not None
        else None
    )
    try:
        with plan.database.session() as session:
            while (job := jobs.get()) is not None:
                index, item, repetition = job
                result = try_case(
                    session,
                    item,
                    prompt=plan.prompt,
                    settings=plan.settings,
                    model=model,
                    judge=judge,
                    repetition=repetition,
                    http_tools=plan.http_tools,
                    http_client=plan.http_client,
                )
                # Reads only: end the transaction so no snapshot is held between cases.
                session.rollback()
                results[index] = result
                if plan.progress is not None:
                    plan.progress(result)
    finally:
        if threading.current_thread() is not threading.main_thread():
            _close_loop()


def _close_loop() -> None:
    """Close the event loop the agent opened in this worker thread."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


def _execute(plan: _Plan, jobs: list[tuple[SuiteCase, int]], concurrency: int) -> list[CaseResult]:
    work: queue.SimpleQueue[tuple[int, SuiteCase, int] | None] = queue.SimpleQueue()
    for index, (item, repetition) in enumerate(jobs):
        work.put((index, item, repetition))
    workers = max(1, min(concurrency, len(jobs)))
    for _ in range(workers):
        work.put(None)
    results: dict[int, CaseResult] = {}
    threads = [
        threading.Thread(target=_worker, args=(plan, work, results), name=f"eval-{i}")
        for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[i] for i in range(len(jobs))]


def _baseline_run(
    session: Session, baseline: int | Baseline, *, before: int | None = None
) -> EvalRun | None:
    if baseline == Baseline.NONE:
        return None
    if isinstance(baseline, int):
        run = session.get(EvalRun, baseline)
        if run is None:
            raise EvalRunError(f"baseline: no eval run #{baseline}")
        return run
    query = select(EvalRun).where(EvalRun.prompt_version_id == active_prompt(session).id)
    if before is not None:
        query = query.where(EvalRun.id < before)
    return session.scalars(query.order_by(EvalRun.id.desc())).first()


def _baseline_statuses(session: Session, run: EvalRun) -> dict[str, ResultStatus]:
    rows = session.execute(
        select(EvalResult.case_name, EvalResult.status)
        .where(EvalResult.run_id == run.id)
        .order_by(EvalResult.id)
    ).all()
    return statuses_by_case((name, ResultStatus(status)) for name, status in rows)


def run_suite(
    session: Session,
    *,
    settings: Settings,
    actor: str,
    cases: Sequence[SuiteCase] | None = None,
    version_id: int | None = None,
    baseline: int | Baseline = Baseline.LATEST,
    tags: Sequence[str] = (),
    repeat: int = 1,
    concurrency: int = 1,
    use_cache: bool = True,
    model_factory: Callable[[], Model] | None = None,
    judge_factory: Callable[[], Model] | None = None,
    http_tools: Sequence[HttpTool] = (),
    http_client: httpx.Client | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> RunReport:
    """Run the suite (``cases``, else the stored suite) against a prompt version (default:
    the active one), compare with the baseline, apply the gate, store the run; commits.

    ``model_factory`` makes the model of each worker (default: the configured provider);
    ``judge_factory`` the judge's (default: ``TRYCATCH_EVAL_JUDGE_*``, or no judge).
    """
    if not 1 <= repeat <= MAX_REPEAT:
        raise EvalRunError(f"repeat: between 1 and {MAX_REPEAT}")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise EvalRunError(f"concurrency: between 1 and {MAX_CONCURRENCY}")
    version = get_version(session, version_id) if version_id is not None else active_prompt(session)
    suite = list(cases) if cases is not None else stored_suite(session)
    selected = select_cases(suite, tags)
    baseline_run = _baseline_run(session, baseline)
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    cache = ResponseCache(read=use_cache)
    jobs = [(item, r) for item in selected for r in range(repeat)]
    workers = max(1, min(concurrency, len(jobs)))
    # The workers' own pool, one connection each: a worker holds its connection while the
    # model thinks, and the caller's pool is sized for the web server, not for this.
    database = open_database(engine.url.render_as_string(hide_password=False), pool_size=workers)
    plan = _Plan(
        database=database,
        prompt=_snapshot(version),
        settings=settings,
        cache=cache,
        model_factory=model_factory,
        judge_factory=judge_factory or judge_model_factory(settings),
        http_tools=http_tools,
        http_client=http_client,
        progress=progress,
    )
    started_at, started = utcnow(), time.perf_counter()
    try:
        results = _execute(plan, jobs, workers)
    finally:
        database.dispose()
    duration_ms = round((time.perf_counter() - started) * 1000, 2)

    statuses = statuses_by_case((r.name, r.status) for r in results)
    before = _baseline_statuses(session, baseline_run) if baseline_run is not None else None
    diff = compare(statuses, before, baseline_run_id=baseline_run.id if baseline_run else None)
    new_cases = [item.case.name for item in selected if item.case.is_new]
    verdict = decide_gate(
        statuses, new_cases=new_cases, diff=diff, has_baseline=baseline_run is not None
    )
    case_ids = {row.name: row.id for row in stored_cases(session)}
    run = EvalRun(
        prompt_version_id=version.id,
        prompt_hash=hash_of(version),
        suite_hash=suite_hash([item.case for item in selected]),
        tags=sorted(tags),
        baseline_run_id=baseline_run.id if baseline_run else None,
        model=", ".join(sorted(plan.model_names))[:200],
        repeat=repeat,
        cases=len(statuses),
        passed=sum(1 for s in statuses.values() if s == ResultStatus.PASSED),
        failed=sum(1 for s in statuses.values() if s in {ResultStatus.FAILED, ResultStatus.ERROR}),
        skipped=sum(1 for s in statuses.values() if s == ResultStatus.SKIPPED),
        gate_passed=verdict.passed,
        gate_reasons=verdict.reasons,
        diff=diff.public(),
        cost=round(sum(r.cost for r in results), 6),
        cache_hits=cache.hits,
        cache_misses=cache.misses,
        duration_ms=duration_ms,
        actor=actor,
        started_at=started_at,
        finished_at=utcnow(),
    )
    run.results = [
        EvalResult(
            case_name=r.name,
            case_id=case_ids.get(r.name),
            repetition=r.repetition,
            status=r.status,
            tags=r.tags,
            assertions=[v.public() for v in r.verdicts],
            failure=r.failure,
            transcript=r.transcript(),
            latency_ms=r.latency_ms,
            requests=r.requests,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            cost=r.cost,
            cached_requests=r.cached,
        )
        for r in results
    ]
    session.add(run)
    cache.store(session)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="eval_run.passed" if verdict.passed else "eval_run.failed",
        subject=f"eval_run:{run.id}",
        data={"version": version.id, "passed": run.passed, "failed": run.failed},
    )
    session.commit()
    return RunReport(run=run, results=results, diff=diff, gate=verdict, statuses=statuses)


__all__ = [
    "Baseline",
    "CaseResult",
    "EvalRunError",
    "RunReport",
    "run_single",
    "run_suite",
    "try_case",
]
