"""The inbox, read side: queues with their counts, filters, and a customer's other tickets.

Reads only; every query here goes through ``require(actor, Action.VIEW_TICKET)``, so the
inbox shows what ``get_ticket_for`` would hand out. Lists are newest first (the index on
``created_at`` serves the order) and paged by ``before_id``, a keyset that stays as fast
on the hundredth page as on the first, unlike an offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from trycatch.desk.access import Action, Actor, System, require
from trycatch.desk.models import Ticket, TicketStatus
from trycatch.desk.search import ticket_text_condition

MAX_PAGE = 200


class Queue(StrEnum):
    """The inbox's views of work."""

    UNASSIGNED = "unassigned"  # open, nobody on it
    MINE = "mine"  # open or pending, assigned to the viewer
    FLAGGED = "flagged"  # flagged for engineering, not closed
    PENDING = "pending"  # waiting on the customer
    CLOSED = "closed"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class TicketFilters:
    """Narrow a queue; a field left None does not filter."""

    status: TicketStatus | None = None
    category: str | None = None
    product_area: str | None = None
    customer_id: int | None = None
    text: str | None = None  # words that must all appear in the subject or a message


def _queue_condition(queue: Queue, actor: Actor) -> ColumnElement[bool]:
    if queue != Queue.MINE:
        return _QUEUES[queue]
    if isinstance(actor, System):
        return false()  # a system actor has no tickets of its own
    return and_(Ticket.status != TicketStatus.CLOSED, Ticket.assignee_id == actor.id)


_QUEUES: dict[Queue, ColumnElement[bool]] = {
    Queue.UNASSIGNED: and_(Ticket.status == TicketStatus.OPEN, Ticket.assignee_id.is_(None)),
    Queue.FLAGGED: and_(Ticket.flagged.is_(True), Ticket.status != TicketStatus.CLOSED),
    Queue.PENDING: Ticket.status == TicketStatus.PENDING,
    Queue.CLOSED: Ticket.status == TicketStatus.CLOSED,
    Queue.ALL: true(),
}


def _filter_conditions(session: Session, filters: TicketFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Ticket.status == filters.status)
    if filters.category is not None:
        conditions.append(Ticket.category == filters.category)
    if filters.product_area is not None:
        conditions.append(Ticket.product_area == filters.product_area)
    if filters.customer_id is not None:
        conditions.append(Ticket.customer_id == filters.customer_id)
    if filters.text:
        matches = ticket_text_condition(session, filters.text)
        if matches is not None:
            conditions.append(matches)
    return conditions


def list_tickets(
    session: Session,
    *,
    actor: Actor,
    queue: Queue = Queue.ALL,
    filters: TicketFilters | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[Ticket]:
    """One page of a queue, newest first; pass the last id as ``before_id`` for the next."""
    require(actor, Action.VIEW_TICKET)
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit: 1 to {MAX_PAGE}")
    query = select(Ticket).where(
        _queue_condition(Queue(queue), actor),
        *_filter_conditions(session, filters or TicketFilters()),
    )
    if before_id is not None:
        cursor = session.get(Ticket, before_id)
        if cursor is None:
            raise ValueError(f"before_id: no ticket {before_id}")
        query = query.where(
            or_(
                Ticket.created_at < cursor.created_at,
                and_(Ticket.created_at == cursor.created_at, Ticket.id < cursor.id),
            )
        )
    order = (Ticket.created_at.desc(), Ticket.id.desc())
    # The list shows each ticket's customer and assignee: two queries, not one per row.
    query = query.options(selectinload(Ticket.customer), selectinload(Ticket.assignee))
    return list(session.scalars(query.order_by(*order).limit(limit)))


def queue_counts(
    session: Session, *, actor: Actor, filters: TicketFilters | None = None
) -> dict[Queue, int]:
    """How many tickets each queue holds (under the same filters), in one query."""
    require(actor, Action.VIEW_TICKET)
    columns = [
        func.count().filter(_queue_condition(queue, actor)).label(str(queue)) for queue in Queue
    ]
    row = session.execute(
        select(*columns)
        .select_from(Ticket)
        .where(*_filter_conditions(session, filters or TicketFilters()))
    ).one()
    return {queue: int(row[i] or 0) for i, queue in enumerate(Queue)}


def customer_tickets(
    session: Session, *, actor: Actor, customer_id: int, limit: int = 20
) -> list[Ticket]:
    """The customer's tickets, newest first: the "other tickets" beside a ticket."""
    return list_tickets(
        session, actor=actor, filters=TicketFilters(customer_id=customer_id), limit=limit
    )


__all__ = ["Queue", "TicketFilters", "customer_tickets", "list_tickets", "queue_counts"]
