"""A KB article drafted from a ticket: the question as its title, the staff answer as body.

When a model is configured (``agent_provider`` other than offline) it writes the draft from
the conversation; offline, or when the model fails, the draft is made from the ticket's
own text: the subject as title and the public replies, greetings and sign-offs removed, as
body. Either way a person edits it before it is published.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from sqlalchemy.orm import Session

from trycatch.agent.providers import build_model
from trycatch.desk.access import Action, Actor, get_ticket_for
from trycatch.desk.models import MessageKind, Ticket
from trycatch.settings import Settings

log = logging.getLogger(__name__)

NO_ANSWER_YET = "Write the answer here: what the customer should do, with a code example."
_GREETING = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^\n]{0,60}$", re.I)
_SIGN_OFF = re.compile(
    r"^(best|thanks|thank you|cheers|regards|kind regards|best regards|all the best)\b.{0,30}$",
    re.I,
)
INSTRUCTIONS = """\
You turn a resolved support ticket into a help-center article for {product}.
Write a title phrased as the customer's question, and a Markdown body that answers it
for every customer: no names, no greetings, no ticket details, keep code examples exact.
Use only facts from the staff replies."""


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    title: str
    body: str
    product_area: str | None
    drafted_by: str  # "model" or "ticket"


class _ModelDraft(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    body: str = Field(min_length=10)


def _without_pleasantries(text: str) -> str:
    lines = text.strip().splitlines()
    while lines and (not lines[0].strip() or _GREETING.match(lines[0].strip())):
        lines.pop(0)
    for index in range(len(lines) - 1, -1, -1):
        if _SIGN_OFF.match(lines[index].strip()):
            lines = lines[:index]  # the sign-off and the name under it
            break
    return "\n".join(lines).strip()


def _question_title(subject: str) -> str:
    title = subject.strip().rstrip(".!")
    return title if len(title) >= 3 else "Untitled question"


def draft_from_ticket(ticket: Ticket) -> ArticleDraft:
    """The offline draft: the subject as title, the public answers as body."""
    answers = [
        _without_pleasantries(m.body) for m in ticket.messages if m.kind == MessageKind.REPLY
    ]
    body = "\n\n".join(a for a in answers if a) or NO_ANSWER_YET
    return ArticleDraft(
        title=_question_title(ticket.subject),
        body=body,
        product_area=ticket.product_area,
        drafted_by="ticket",
    )


def _transcript(ticket: Ticket) -> str:
    speaker = {MessageKind.CUSTOMER: "Customer", MessageKind.REPLY: "Support"}
    return "\n\n".join(f"{speaker[m.kind]}: {m.body}" for m in ticket.messages if m.kind in speaker)


def _draft_with_model(ticket: Ticket, settings: Settings) -> ArticleDraft:
    agent = Agent(
        build_model(settings),
        output_type=_ModelDraft,
        instructions=INSTRUCTIONS.format(product=settings.product_name or "our product"),
    )
    result = agent.run_sync(f"Subject: {ticket.subject}\n\n{_transcript(ticket)}")
    return ArticleDraft(
        title=result.output.title.strip(),
        body=result.output.body.strip(),
        product_area=ticket.product_area,
        drafted_by="model",
    )


def draft_article(
    session: Session, *, actor: Actor, ticket_id: int, settings: Settings
) -> ArticleDraft:
    """A draft article for the ticket: the model's when one is configured, else the ticket's."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.CLOSE)
    if settings.agent_provider == "offline" or not any(
        m.kind == MessageKind.REPLY for m in ticket.messages
    ):
        return draft_from_ticket(ticket)
    try:
        return _draft_with_model(ticket, settings)
    except Exception as error:  # any provider failure: the person still gets a draft
        log.warning("the model could not draft an article for ticket %s: %s", ticket.id, error)
        return draft_from_ticket(ticket)


__all__ = ["NO_ANSWER_YET", "ArticleDraft", "draft_article", "draft_from_ticket"]
