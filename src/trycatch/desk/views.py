"""What the staff pages show, gathered in one read each: the ticket page and the close form.

Reads only, through ``get_ticket_for``; the web layer renders these and never queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import Handoff
from trycatch.desk.access import Action, Actor, can, get_ticket_for
from trycatch.desk.auth import list_staff
from trycatch.desk.inbox import customer_tickets
from trycatch.desk.models import MessageKind, Ticket, TicketMessage, User
from trycatch.desk.suggest import SimilarTicket, Suggestion, similar_closed_tickets
from trycatch.desk.suggest import suggest_classification as _suggest
from trycatch.knowledge.models import Article, ArticleStatus
from trycatch.knowledge.search import SearchHit, search
from trycatch.knowledge.taxonomy import Taxonomy

SUGGESTED_DOCS = 5
QUERY_CHARS = 600


@dataclass(frozen=True, slots=True)
class TicketPage:
    ticket: Ticket
    messages: list[TicketMessage]
    handoff: Handoff | None
    other_tickets: list[Ticket]
    suggested_docs: list[SearchHit]
    staff: list[User]
    can_work: bool  # reply, note, assign, close: false for viewers


@dataclass(frozen=True, slots=True)
class CloseForm:
    ticket: Ticket
    taxonomy: Taxonomy
    suggestion: Suggestion
    similar: list[SimilarTicket]
    articles: list[Article]  # published ones, and drafts written from this ticket


def _question(ticket: Ticket) -> str:
    first = next((m.body for m in ticket.messages if m.kind == MessageKind.CUSTOMER), "")
    return f"{ticket.subject}\n{first}"[:QUERY_CHARS]


def ticket_page(session: Session, *, actor: Actor, ticket_id: int) -> TicketPage:
    """The ticket with its thread, its handoff, the customer's other tickets, suggested docs."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id)
    others = [
        t
        for t in customer_tickets(session, actor=actor, customer_id=ticket.customer_id, limit=11)
        if t.id != ticket.id
    ][:10]
    return TicketPage(
        ticket=ticket,
        messages=list(ticket.messages),
        handoff=ticket.handoff,
        other_tickets=others,
        suggested_docs=search(session, _question(ticket), limit=SUGGESTED_DOCS),
        staff=list_staff(session),
        can_work=can(actor, Action.REPLY),
    )


def close_form(session: Session, *, actor: Actor, ticket_id: int, taxonomy: Taxonomy) -> CloseForm:
    """Everything the close form offers: the taxonomy, a suggestion, articles to choose from."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.CLOSE)
    articles = session.scalars(
        select(Article)
        .where(
            (Article.status == ArticleStatus.PUBLISHED) | (Article.source_ticket_id == ticket.id)
        )
        .order_by(Article.updated_at.desc())
        .limit(200)
    )
    return CloseForm(
        ticket=ticket,
        taxonomy=taxonomy,
        suggestion=_suggest(session, ticket_id=ticket.id, taxonomy=taxonomy),
        similar=similar_closed_tickets(session, ticket),
        articles=list(articles),
    )


__all__ = ["CloseForm", "TicketPage", "close_form", "ticket_page"]
