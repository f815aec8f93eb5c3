"""From feedback to a case: the inbox of unhelpful answers, and a case made from one.

The inbox holds every thumbs-down on an agent reply — on an answer (negative feedback) or
on a handoff (an escalation the customer marked unhelpful) — grouped by similar question,
with the answer given and the documents cited. ``case_from_feedback`` turns one into an
eval case: the customer's turns up to that reply as input, the assertions the staff member
chose, tagged ``feedback:<id>`` and ``new``; it is run on the active version at once, to
show it failing — proof the case captures the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic_ai.models import Model
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import (
    Conversation,
    ConversationMessage,
    Feedback,
    Outcome,
    Rating,
    Role,
)
from trycatch.agent.prompts import active_prompt
from trycatch.evals.assertions import Assertion
from trycatch.evals.cases import FEEDBACK_TAG, NEW_TAG, Case, CaseInput, SuiteCase, parse_case
from trycatch.evals.library import save_case
from trycatch.evals.models import EvalCase
from trycatch.evals.runner import CaseResult, run_single
from trycatch.knowledge.analyzer import analyze
from trycatch.settings import Settings

SIMILAR = 0.5
FEEDBACK_SUITE = "feedback"


class FeedbackNotFound(LookupError):
    """No negative feedback with this id."""


@dataclass(slots=True)
class InboxItem:
    feedback_id: int
    kind: str  # "negative feedback" or "unhelpful escalation"
    conversation_id: str
    questions: list[str]
    answer: str
    outcome: str
    cited: list[str]
    escalation_reason: str
    comment: str
    created_at: datetime
    case_name: str | None = None

    def public(self) -> dict[str, object]:
        return {
            "feedback_id": self.feedback_id,
            "kind": self.kind,
            "conversation_id": self.conversation_id,
            "questions": self.questions,
            "answer": self.answer,
            "outcome": self.outcome,
            "cited": self.cited,
            "escalation_reason": self.escalation_reason,
            "comment": self.comment,
            "created_at": self.created_at.isoformat(),
            "case": self.case_name,
        }


@dataclass(slots=True)
class InboxGroup:
    """Items whose questions are alike (by their words), newest first."""

    question: str
    items: list[InboxItem] = field(default_factory=list)
    _terms: set[str] = field(default_factory=set)

    def public(self) -> dict[str, object]:
        return {"question": self.question, "items": [i.public() for i in self.items]}


def _customer_turns(conversation: Conversation, upto: ConversationMessage) -> list[str]:
    return [m.text for m in conversation.messages if m.role == Role.CUSTOMER and m.id < upto.id]


def _item(feedback: Feedback, message: ConversationMessage, case: str | None) -> InboxItem:
    conversation = message.conversation
    return InboxItem(
        feedback_id=feedback.id,
        kind="unhelpful escalation"
        if message.outcome == Outcome.ESCALATED
        else "negative feedback",
        conversation_id=conversation.public_id,
        questions=_customer_turns(conversation, message),
        answer=message.text,
        outcome=str(message.outcome or ""),
        cited=[str(c.get("path")) for c in message.citations or []],
        escalation_reason=message.escalation_reason,
        comment=feedback.comment,
        created_at=feedback.created_at,
        case_name=case,
    )


def _similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def feedback_inbox(
    session: Session, *, include_done: bool = False, limit: int = 500
) -> list[InboxGroup]:
    """Negative feedback, grouped by similar question, newest group first; feedback
    already made into a case is left out unless ``include_done``."""
    rows = session.execute(
        select(Feedback, ConversationMessage)
        .join(ConversationMessage, Feedback.message_id == ConversationMessage.id)
        .where(Feedback.rating == Rating.DOWN)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    ).all()
    cases: dict[int | None, str] = dict(
        session.execute(
            select(EvalCase.feedback_id, EvalCase.name).where(EvalCase.feedback_id.is_not(None))
        ).all()
    )
    groups: list[InboxGroup] = []
    for feedback, message in rows:
        case = cases.get(feedback.id)
        if case is not None and not include_done:
            continue
        item = _item(feedback, message, case)
        question = item.questions[-1] if item.questions else ""
        terms = set(analyze(question))
        group = max(groups, key=lambda g: _similarity(g._terms, terms), default=None)
        if group is None or _similarity(group._terms, terms) < SIMILAR:
            group = InboxGroup(question=question, _terms=terms)
            groups.append(group)
        group.items.append(item)
    return groups


def _rated_message(session: Session, feedback_id: int) -> tuple[Feedback, ConversationMessage]:
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or feedback.rating != Rating.DOWN:
        raise FeedbackNotFound(f"negative feedback {feedback_id}")
    message = session.get(ConversationMessage, feedback.message_id)
    assert message is not None
    return feedback, message


def inbox_item(session: Session, feedback_id: int) -> InboxItem:
    """One piece of negative feedback as the inbox shows it (with its case, if made)."""
    feedback, message = _rated_message(session, feedback_id)
    case = session.scalars(select(EvalCase.name).where(EvalCase.feedback_id == feedback.id)).first()
    return _item(feedback, message, case)


def proposed_assertions(session: Session, feedback_id: int) -> list[Assertion]:
    """What the staff member may pick from: "does not cite X" for each cited document, and
    "escalates" (or "does not escalate", for an unhelpful handoff). "Cites Y" needs the
    right document, which only they know."""
    _, message = _rated_message(session, feedback_id)
    cited = [str(c.get("path")) for c in message.citations or []]
    case = parse_case(
        {
            "name": "proposal",
            "input": "-",
            "expect": [
                *({"not_cites": [path]} for path in cited),
                {"escalates": message.outcome != Outcome.ESCALATED},
            ],
        },
        origin="proposal",
    )
    return list(case.expect)


def _case_name(session: Session, feedback_id: int, question: str) -> str:
    words = re.findall(r"[a-z0-9]+", question.lower())[:6]
    base = "-".join(["feedback", str(feedback_id), *words])[:100].rstrip("-")
    name, n = base, 2
    while session.scalars(select(EvalCase.id).where(EvalCase.name == name)).first() is not None:
        name, n = f"{base}-{n}", n + 1
    return name


@dataclass(slots=True)
class FeedbackCase:
    case: EvalCase
    result: CaseResult

    @property
    def fails_on_active(self) -> bool:
        return self.result.status != "passed"


def case_from_feedback(
    session: Session,
    *,
    feedback_id: int,
    expect: Sequence[Assertion],
    author: str,
    settings: Settings,
    name: str | None = None,
    description: str = "",
    model_factory: Callable[[], Model] | None = None,
) -> FeedbackCase:
    """A case from this feedback, saved to the suite, and its result on the active version."""
    feedback, message = _rated_message(session, feedback_id)
    questions = _customer_turns(message.conversation, message)
    customer = message.conversation.customer
    payload: dict[str, object] = {"messages": questions}
    if customer is not None and (customer.email or customer.external_id):
        payload["customer"] = {
            k: v
            for k, v in {"email": customer.email, "external_id": customer.external_id}.items()
            if v
        }
    case = Case(
        name=name or _case_name(session, feedback_id, questions[-1] if questions else ""),
        description=description
        or f"From feedback {feedback_id}: {feedback.comment or 'the customer found it unhelpful'}",
        tags=[f"{FEEDBACK_TAG}{feedback.id}", NEW_TAG],
        input=CaseInput.model_validate(payload),
        expect=list(expect),
    )
    # Validated the same way as a case from a file.
    case = parse_case(case.data(), origin=f"feedback {feedback_id}")
    row = save_case(session, SuiteCase(FEEDBACK_SUITE, case), author=author)
    result = run_single(
        session,
        SuiteCase(FEEDBACK_SUITE, case),
        prompt=active_prompt(session),
        settings=settings,
        model_factory=model_factory,
    )
    return FeedbackCase(case=row, result=result)


__all__ = [
    "FEEDBACK_SUITE",
    "FeedbackCase",
    "FeedbackNotFound",
    "InboxGroup",
    "InboxItem",
    "case_from_feedback",
    "feedback_inbox",
    "inbox_item",
    "proposed_assertions",
]
