"""The gate: when a run lets a prompt change ship, and activation that checks it.

A run passes the gate when no case that passed on the baseline fails now, and every case
tagged ``new`` passes. Without a baseline run (a fresh database, as in CI) every case must
pass. A prompt version becomes active — by activation or rollback — only when the latest
run of exactly its content (text, tools, model settings), against the whole current suite,
passed the gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptStatus, PromptVersion
from trycatch.agent.prompts import active_prompt, get_version, hash_of, make_active
from trycatch.evals.cases import suite_hash
from trycatch.evals.compare import FAILING, Diff
from trycatch.evals.library import stored_suite
from trycatch.evals.models import EvalRun, ResultStatus


class ActivationRefused(RuntimeError):
    """A version may not become active; the message says why and what to do."""


@dataclass(slots=True)
class GateVerdict:
    passed: bool
    reasons: list[str] = field(default_factory=list)


def decide_gate(
    statuses: Mapping[str, ResultStatus],
    *,
    new_cases: Sequence[str],
    diff: Diff,
    has_baseline: bool,
) -> GateVerdict:
    """The gate over one run's case statuses and its diff against the baseline."""
    reasons = [
        f"regression: {name} passed on run #{diff.baseline_run_id}, fails now"
        for name in diff.newly_failing
    ]
    for name in new_cases:
        status = statuses.get(name)
        if status is not None and status != ResultStatus.PASSED:
            reasons.append(f"new case {status}: {name}")
    if not has_baseline:
        reasons += [
            f"failing (no baseline run to compare with): {name}"
            for name, status in statuses.items()
            if status in FAILING and name not in new_cases
        ]
    return GateVerdict(passed=not reasons, reasons=reasons)


def current_suite_hash(session: Session) -> str:
    return suite_hash([item.case for item in stored_suite(session)])


def activation_refusal(session: Session, version: PromptVersion) -> str | None:
    """Why ``version`` may not become active now (None: it may)."""
    if version.status == PromptStatus.ACTIVE:
        return f"version {version.id} is already active"
    suite = current_suite_hash(session)
    runs = list(
        session.scalars(
            select(EvalRun)
            .where(EvalRun.prompt_hash == hash_of(version), EvalRun.suite_hash == suite)
            .order_by(EvalRun.id.desc())
        )
    )
    whole = [run for run in runs if not run.tags]
    if not whole:
        return (
            f"no eval run of version {version.id}'s exact text against the current suite: run "
            f"`trycatch eval run --version {version.id}` (the whole suite, no --tag) first"
        )
    latest = whole[0]
    if not latest.gate_passed:
        why = "; ".join(latest.gate_reasons[:5]) or "the gate failed"
        return f"the latest eval run (#{latest.id}) of version {version.id} failed the gate: {why}"
    return None


def activate_version(session: Session, version_id: int, *, actor: str) -> PromptVersion:
    """Make ``version_id`` the active version, if its gate run passed; commits."""
    version = get_version(session, version_id)
    refusal = activation_refusal(session, version)
    if refusal is not None:
        raise ActivationRefused(refusal)
    make_active(session, version, actor=actor, action="prompt.activated")
    session.commit()
    return version


def previous_version(session: Session) -> PromptVersion | None:
    """The version that was active before the current one."""
    current = active_prompt(session)
    return session.scalars(
        select(PromptVersion)
        .where(
            PromptVersion.id != current.id,
            PromptVersion.activated_at.is_not(None),
        )
        .order_by(PromptVersion.activated_at.desc(), PromptVersion.id.desc())
    ).first()


def rollback(session: Session, *, actor: str, to_version_id: int | None = None) -> PromptVersion:
    """Go back to the previously active version (or ``to_version_id``), gated; commits."""
    target = (
        get_version(session, to_version_id)
        if to_version_id is not None
        else previous_version(session)
    )
    if target is None:
        raise ActivationRefused("no earlier active version to roll back to")
    refusal = activation_refusal(session, target)
    if refusal is not None:
        raise ActivationRefused(f"rollback to version {target.id} refused: {refusal}")
    make_active(session, target, actor=actor, action="prompt.rolled_back")
    session.commit()
    return target


__all__ = [
    "ActivationRefused",
    "GateVerdict",
    "activate_version",
    "activation_refusal",
    "current_suite_hash",
    "decide_gate",
    "previous_version",
    "rollback",
]
