"""The suite in the database: cases saved with their revisions, listed, selected by tag.

Writes are service functions (they commit and record the event). A file import replaces
the stored suite with the files' cases; a case from feedback is added to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.evals.cases import FEEDBACK_TAG, Case, SuiteCase, parse_case
from trycatch.evals.models import CaseOrigin, EvalCase, EvalCaseRevision
from trycatch.store import record_event, utcnow


class CaseNotFound(LookupError):
    """No eval case with this name."""


@dataclass(slots=True)
class SuiteChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def _feedback_id(case: Case) -> int | None:
    for tag in case.tags:
        if tag.startswith(FEEDBACK_TAG) and tag[len(FEEDBACK_TAG) :].isdigit():
            return int(tag[len(FEEDBACK_TAG) :])
    return None


def _put(
    session: Session, item: SuiteCase, *, author: str, existing: EvalCase | None
) -> tuple[EvalCase, bool]:
    """Add or update one case (no commit); whether anything changed."""
    data = item.case.data()
    if existing is not None and existing.data == data and existing.suite == item.suite:
        return existing, False
    feedback_id = _feedback_id(item.case)
    if existing is None:
        existing = EvalCase(
            name=item.case.name,
            suite=item.suite,
            data=data,
            tags=list(item.case.tags),
            origin=CaseOrigin.FEEDBACK if feedback_id else CaseOrigin.MANUAL,
            feedback_id=feedback_id,
            revision=1,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(existing)
    else:
        existing.revision += 1
        existing.suite = item.suite
        existing.data = data
        existing.tags = list(item.case.tags)
        existing.updated_at = utcnow()
    existing.revisions.append(
        EvalCaseRevision(revision=existing.revision, data=data, author=author, created_at=utcnow())
    )
    return existing, True


def save_case(session: Session, item: SuiteCase, *, author: str) -> EvalCase:
    """Add a case to the suite, or change it (a new revision); commits."""
    existing = session.scalars(select(EvalCase).where(EvalCase.name == item.case.name)).first()
    created = existing is None
    row, changed = _put(session, item, author=author, existing=existing)
    if changed:
        session.flush()
        record_event(
            session,
            actor=author,
            action="eval_case.created" if created else "eval_case.changed",
            subject=f"eval_case:{row.name}",
            data={"revision": row.revision, "suite": row.suite},
        )
    session.commit()
    return row


def replace_suite(session: Session, items: Sequence[SuiteCase], *, author: str) -> SuiteChanges:
    """Make the stored suite exactly ``items`` (a folder of files imported); commits."""
    stored = {c.name: c for c in session.scalars(select(EvalCase))}
    changes = SuiteChanges()
    for item in items:
        existing = stored.pop(item.case.name, None)
        _, changed = _put(session, item, author=author, existing=existing)
        if existing is None:
            changes.added.append(item.case.name)
        elif changed:
            changes.changed.append(item.case.name)
        else:
            changes.unchanged += 1
    for name, row in stored.items():
        session.delete(row)
        changes.removed.append(name)
    session.flush()
    record_event(
        session,
        actor=author,
        action="eval_suite.imported",
        subject="eval_suite",
        data={"added": changes.added, "changed": changes.changed, "removed": changes.removed},
    )
    session.commit()
    return changes


def stored_cases(session: Session) -> list[EvalCase]:
    return list(session.scalars(select(EvalCase).order_by(EvalCase.id)))


def stored_suite(session: Session) -> list[SuiteCase]:
    """The suite as stored: every case, in the order it was added."""
    return [
        SuiteCase(row.suite, parse_case(row.data, origin=f"eval case {row.name}"))
        for row in stored_cases(session)
    ]


def get_case(session: Session, name: str) -> EvalCase:
    row = session.scalars(select(EvalCase).where(EvalCase.name == name)).first()
    if row is None:
        raise CaseNotFound(name)
    return row


__all__ = [
    "CaseNotFound",
    "SuiteChanges",
    "get_case",
    "replace_suite",
    "save_case",
    "stored_cases",
    "stored_suite",
]
