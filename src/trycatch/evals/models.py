"""Tables of agent ops: eval cases (with revisions), runs, results, response cache, agent files."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trycatch.store import Base, UTCDateTime, utcnow


class CaseOrigin(StrEnum):
    MANUAL = "manual"
    FEEDBACK = "feedback"


class ResultStatus(StrEnum):
    """How one case (or one of its assertions) ended. Skipped is never counted as passed."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


class EvalCase(Base):
    """One expectation of the agent, as the team keeps it in ``evals/<suite>.yaml``."""

    __tablename__ = "eval_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    suite: Mapped[str] = mapped_column(String(120), index=True)
    # The case as YAML has it (input, expect, tags, description), validated on the way in.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[CaseOrigin] = mapped_column(String(20), default=CaseOrigin.MANUAL)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    revisions: Mapped[list[EvalCaseRevision]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EvalCaseRevision.revision",
    )


class EvalCaseRevision(Base):
    """A case as it was: every change keeps the earlier content (who, when)."""

    __tablename__ = "eval_case_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("eval_cases.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[EvalCase] = relationship(back_populates="revisions")


class EvalRun(Base):
    """One run of a suite against one prompt version, and what the gate made of it."""

    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompt_version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id"), index=True)
    # What the run proves something about: the version's content and the suite's cases.
    prompt_hash: Mapped[str] = mapped_column(String(64), index=True)
    suite_hash: Mapped[str] = mapped_column(String(64))
    # Runs selected by tag do not count for activation: only the whole suite does.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    baseline_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("eval_runs.id", ondelete="SET NULL")
    )
    model: Mapped[str] = mapped_column(String(200), default="")
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    gate_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    gate_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    diff: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    cache_hits: Mapped[int] = mapped_column(Integer, default=0)
    cache_misses: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    results: Mapped[list[EvalResult]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EvalResult.id",
    )


class EvalResult(Base):
    """One case (one repetition of it) in one run: verdict, assertions, transcript, cost."""

    __tablename__ = "eval_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    case_name: Mapped[str] = mapped_column(String(120), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("eval_cases.id", ondelete="SET NULL"))
    repetition: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ResultStatus] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"kind", "status", "message"}], in the order of the case's ``expect``.
    assertions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failure: Mapped[str] = mapped_column(Text, default="")
    # [{"question", "outcome", "answer", "citations", "escalation_reason", "tool_calls"}]
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    cached_requests: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[EvalRun] = relationship(back_populates="results")


class CachedResponse(Base):
    """A model's response to one exact request (model, messages, settings, tools)."""

    __tablename__ = "eval_response_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgentFile(Base):
    """A file of the team's agent kept with the prompts and cases (``tools.yaml``,
    ``taxonomy.yaml``): validated on import, written back as it came on export."""

    __tablename__ = "agent_files"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = [
    "AgentFile",
    "CachedResponse",
    "CaseOrigin",
    "EvalCase",
    "EvalCaseRevision",
    "EvalResult",
    "EvalRun",
    "ResultStatus",
]
