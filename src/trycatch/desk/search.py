"""Full-text search over tickets for the inbox: the subject and every message, notes included.

SQLite keeps FTS5 tables in step with the rows by triggers; PostgreSQL has GIN indexes on
``to_tsvector('english', ...)`` (both made by migration 0004). A search is a condition on
``Ticket.id`` that the inbox adds to its queue and filters, so counts and pages agree.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, column, func, or_, select, text
from sqlalchemy.orm import Session

from trycatch.desk.models import Ticket, TicketMessage

MAX_QUERY = 200
MAX_TERMS = 12
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str) -> list[str]:
    """The words of a search box's text, lower-cased; punctuation and operators dropped."""
    return [w.lower() for w in _WORD.findall(query[:MAX_QUERY])][:MAX_TERMS]


def _fts5_query(terms: list[str]) -> str:
    # Every word must appear; the last is a prefix, so results follow the typing.
    quoted = [f'"{term}"' for term in terms]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def ticket_text_condition(session: Session, query: str) -> ColumnElement[bool] | None:
    """Tickets whose subject or any message has every word of ``query``; None: no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if session.get_bind().dialect.name == "sqlite":
        match = _fts5_query(terms)
        message_rows = (
            text("SELECT rowid FROM ticket_messages_fts WHERE ticket_messages_fts MATCH :q")
            .bindparams(q=match)
            .columns(column("rowid", Integer))
        )
        subject_rows = (
            text("SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :s")
            .bindparams(s=match)
            .columns(column("rowid", Integer))
        )
        in_messages = select(TicketMessage.ticket_id).where(TicketMessage.id.in_(message_rows))
        return or_(Ticket.id.in_(in_messages), Ticket.id.in_(subject_rows))
    tsquery = func.to_tsquery("english", " & ".join(f"{term}:*" for term in terms))
    in_messages_pg = select(TicketMessage.ticket_id).where(
        func.to_tsvector("english", TicketMessage.body).op("@@")(tsquery)
    )
    return or_(
        Ticket.id.in_(in_messages_pg),
        func.to_tsvector("english", Ticket.subject).op("@@")(tsquery),
    )


__all__ = ["search_terms", "ticket_text_condition"]
