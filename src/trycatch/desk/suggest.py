"""Suggesting a closed ticket's category and product area; a human confirms.

Two signals, each a vote: the product areas of the documents the agent retrieved while
trying to answer (from the handoff), and the category and product area of closed tickets
whose subjects share words with this one (Jaccard similarity of analyzed words). The most
frequent value wins; a tie goes to the stronger evidence seen first (retrieved documents in
ranking order, then similar tickets from the most similar).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import ConversationMessage
from trycatch.desk.models import Ticket, TicketStatus
from trycatch.knowledge.analyzer import analyze
from trycatch.knowledge.models import Document
from trycatch.knowledge.taxonomy import Taxonomy

# Closed tickets compared, newest first: bounded, so a suggestion costs the same at any size.
MAX_CANDIDATES = 2_000
MAX_SIMILAR = 10
MIN_SIMILARITY = 0.2


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str | None
    product_area: str | None
    why: str


@dataclass(frozen=True, slots=True)
class SimilarTicket:
    ticket_id: int
    subject: str
    category: str | None
    product_area: str | None
    similarity: float


def _retrieved_paths(session: Session, ticket: Ticket) -> list[str]:
    if ticket.handoff is not None:
        retrieved = ticket.handoff.retrieved
    elif ticket.conversation_id is not None:
        retrieved = [
            item
            for message in session.scalars(
                select(ConversationMessage).where(
                    ConversationMessage.conversation_id == ticket.conversation_id
                )
            )
            for item in message.retrieved
        ]
    else:
        retrieved = []
    return list(dict.fromkeys(str(item["path"]) for item in retrieved if item.get("path")))


def _document_areas(session: Session, paths: list[str], taxonomy: Taxonomy) -> list[str]:
    """The product area of each retrieved document, in retrieval order."""
    if not paths:
        return []
    areas = {
        path: area
        for path, area in session.execute(
            select(Document.path, Document.product_area).where(Document.path.in_(paths))
        )
        if area is not None and taxonomy.area(area) is not None
    }
    return [areas[path] for path in paths if path in areas]


def jaccard(left: set[str], right: set[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def similar_closed_tickets(session: Session, ticket: Ticket) -> list[SimilarTicket]:
    """Closed tickets whose subjects share words with this one's, most similar first."""
    words = set(analyze(ticket.subject))
    if not words:
        return []
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.category, Ticket.product_area)
        .where(Ticket.status == TicketStatus.CLOSED, Ticket.id != ticket.id)
        .order_by(Ticket.closed_at.desc())
        .limit(MAX_CANDIDATES)
    )
    similar = [
        SimilarTicket(ticket_id, subject, category, area, jaccard(words, set(analyze(subject))))
        for ticket_id, subject, category, area in rows
    ]
    similar = [s for s in similar if s.similarity >= MIN_SIMILARITY]
    similar.sort(key=lambda s: (-s.similarity, -s.ticket_id))
    return similar[:MAX_SIMILAR]


def _winner(votes: list[str]) -> tuple[str | None, int]:
    if not votes:
        return None, 0
    value, count = Counter(votes).most_common(1)[0]  # ties: first seen wins
    return value, count


def suggest_classification(session: Session, *, ticket_id: int, taxonomy: Taxonomy) -> Suggestion:
    """A category and a product area for the ticket, with the evidence in words.

    Read-only; callers reach the ticket through ``get_ticket_for`` first.
    """
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(f"ticket {ticket_id}")
    categories = {c.name for c in taxonomy.categories}
    doc_areas = _document_areas(session, _retrieved_paths(session, ticket), taxonomy)
    similar = similar_closed_tickets(session, ticket)
    ticket_areas = [
        s.product_area for s in similar if s.product_area and taxonomy.area(s.product_area)
    ]
    ticket_categories = [s.category for s in similar if s.category in categories]
    area, _ = _winner(doc_areas + ticket_areas)
    category, category_votes = _winner([c for c in ticket_categories if c is not None])
    reasons: list[str] = []
    if area is not None:
        from_docs = doc_areas.count(area)
        from_tickets = ticket_areas.count(area)
        parts = []
        if from_docs:
            parts.append(f"{from_docs} of {len(doc_areas)} documents the agent retrieved")
        if from_tickets:
            parts.append(f"{from_tickets} of {len(ticket_areas)} similar closed tickets")
        reasons.append(f"product area {area}: " + " and ".join(parts))
    if category is not None:
        examples = ", ".join(
            [f"#{s.ticket_id} {s.subject!r}" for s in similar if s.category == category][:3]
        )
        reasons.append(
            f"category {category}: {category_votes} of {len(ticket_categories)} similar closed "
            f"tickets ({examples})"
        )
    why = "; ".join(reasons) or "no retrieved documents or similar closed tickets to go on"
    return Suggestion(category=category, product_area=area, why=why)


__all__ = [
    "SimilarTicket",
    "Suggestion",
    "jaccard",
    "similar_closed_tickets",
    "suggest_classification",
]
