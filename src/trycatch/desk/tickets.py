"""A ticket's life until it closes: opening, replies, notes, assignment, priority, flags.

Each function here is the one writer of its change: it reaches the ticket through
``trycatch.desk.access`` (which checks the actor's role), writes the audit Event and
commits. Closing, with its policy, lives in ``trycatch.desk.closing``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trycatch.agent.models import Customer, Handoff, HandoffStatus
from trycatch.agent.models import Role as Speaker
from trycatch.desk.access import (
    Action,
    Actor,
    System,
    actor_label,
    get_ticket_for,
    get_ticket_for_customer,
    require,
    role_allows,
)
from trycatch.desk.delivery import queue_delivery
from trycatch.desk.models import (
    DeliveryStatus,
    MessageKind,
    Priority,
    Ticket,
    TicketMessage,
    TicketSource,
    TicketStatus,
    User,
)
from trycatch.store import record_event, utcnow

MAX_SUBJECT = 300
MAX_BODY = 100_000
MAX_FLAG_REASON = 2_000
OUTREACH_CATEGORY = "Success Outreach"
NO_SUBJECT = "(no subject)"

PRIORITY_RANK: dict[Priority, int] = {
    Priority.LOW: 0,
    Priority.NORMAL: 1,
    Priority.HIGH: 2,
    Priority.URGENT: 3,
}


class TicketInputError(ValueError):
    """Invalid input to a ticket service; the message names the field."""


class TicketClosed(ValueError):
    """The change needs an open or pending ticket."""


class HandoffNotFound(LookupError):
    pass


def new_ticket_key() -> str:
    """The secret of a customer's link: 256 random bits."""
    return secrets.token_urlsafe(32)


def subject_from(text: str) -> str:
    """A subject line from a message: its first non-empty line, whitespace collapsed."""
    for raw in text.splitlines():
        line = re.sub(r"\s+", " ", raw).strip()
        if line:
            return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1] + "…"
    return NO_SUBJECT


def _body(body: str, field: str = "body") -> str:
    if not body.strip():
        raise TicketInputError(f"{field}: must not be empty")
    if "\x00" in body:  # never text; PostgreSQL refuses to store it
        raise TicketInputError(f"{field}: must not contain NUL characters")
    if len(body) > MAX_BODY:
        raise TicketInputError(f"{field}: at most {MAX_BODY:,} characters")
    return body.strip()


def _subject(subject: str) -> str:
    subject = re.sub(r"\s+", " ", subject).strip()
    if not subject:
        raise TicketInputError("subject: must not be empty")
    if len(subject) > MAX_SUBJECT:
        raise TicketInputError(f"subject: at most {MAX_SUBJECT} characters")
    return subject


def _author_id(actor: Actor) -> int | None:
    return None if isinstance(actor, System) else actor.id


def _ticket_event(
    session: Session, *, actor: str, action: str, ticket: Ticket, data: dict[str, Any] | None = None
) -> None:
    record_event(session, actor=actor, action=action, subject=f"ticket:{ticket.id}", data=data)


def _message_by_id(session: Session, message_id: str | None) -> TicketMessage | None:
    if not message_id:
        return None
    return session.scalars(
        select(TicketMessage).where(TicketMessage.message_id == message_id)
    ).one_or_none()


def _flush_or_seen(session: Session, message_id: str | None) -> TicketMessage | None:
    """Flush; if the same email was stored concurrently meanwhile, roll back and return it."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        seen = _message_by_id(session, message_id)
        if seen is None:
            raise
        return seen
    return None


def ticket_for_email(session: Session, *, message_ids: Sequence[str]) -> Ticket | None:
    """The ticket an email answers, from its In-Reply-To and References Message-IDs.

    For the email intake, after it has verified the webhook's signature: no permission check.
    """
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    message = session.scalars(
        select(TicketMessage)
        .where(TicketMessage.message_id.in_(ids))
        .order_by(TicketMessage.id.desc())
        .limit(1)
    ).first()
    return message.ticket if message is not None else None


def open_ticket_from_handoff(session: Session, *, handoff_id: int, actor: Actor) -> Ticket:
    """Turn an agent escalation into a ticket, once: calling again returns the same ticket.

    The subject is the customer's first message; the customer's messages become the ticket's
    first message; the ticket keeps the conversation and the handoff (transcript, attempted
    answer, retrieved documents, reason). The handoff is marked taken. A conversation without
    a known customer gets an anonymous customer row, so the ticket still has someone to
    answer through its link. The ticket starts unassigned.

    A conversation escalated again while its ticket is still open or pending does not open
    a second ticket: the customer's new message joins the first (which reopens).
    """
    require(actor, Action.OPEN_TICKET)
    existing = session.scalars(select(Ticket).where(Ticket.handoff_id == handoff_id)).first()
    if existing is not None:
        return existing
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise HandoffNotFound(f"handoff {handoff_id}")
    conversation = handoff.conversation
    ongoing = session.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == conversation.id, Ticket.status != TicketStatus.CLOSED)
        .order_by(Ticket.id.desc())
        .limit(1)
    ).first()
    if ongoing is not None:
        return _join_ongoing_ticket(session, ticket=ongoing, handoff=handoff, actor=actor)
    asked = [m.text for m in conversation.messages if m.role == Speaker.CUSTOMER]
    now = utcnow()
    customer_id = conversation.customer_id
    if customer_id is None:
        name = f"Anonymous visitor ({conversation.public_id[:8]})"
        anonymous = Customer(name=name, created_at=now)
        session.add(anonymous)
        session.flush()
        customer_id = anonymous.id
    ticket = Ticket(
        key=new_ticket_key(),
        customer_id=customer_id,
        subject=subject_from(asked[0] if asked else handoff.summary),
        status=TicketStatus.OPEN,
        priority=Priority.NORMAL,
        conversation_id=conversation.id,
        handoff_id=handoff.id,
        source=TicketSource.AGENT,
        created_at=now,
        updated_at=now,
    )
    ticket.messages.append(
        TicketMessage(
            kind=MessageKind.CUSTOMER,
            body="\n\n".join(asked) or handoff.summary or NO_SUBJECT,
            created_at=now,
        )
    )
    session.add(ticket)
    handoff.status = HandoffStatus.TAKEN
    try:
        session.flush()
    except IntegrityError:
        # Someone took the same handoff a moment ago: theirs is the ticket.
        session.rollback()
        return session.scalars(select(Ticket).where(Ticket.handoff_id == handoff_id)).one()
    label = actor_label(actor)
    _ticket_event(
        session,
        actor=label,
        action="ticket.opened",
        ticket=ticket,
        data={"source": str(TicketSource.AGENT), "handoff_id": handoff.id},
    )
    record_event(
        session,
        actor=label,
        action="handoff.taken",
        subject=f"handoff:{handoff.id}",
        data={"ticket_id": ticket.id},
    )
    session.commit()
    return ticket


def _join_ongoing_ticket(
    session: Session, *, ticket: Ticket, handoff: Handoff, actor: Actor
) -> Ticket:
    """A second escalation of a conversation: its newest customer message joins the ticket."""
    asked = [m.text for m in handoff.conversation.messages if m.role == Speaker.CUSTOMER]
    now = utcnow()
    ticket.messages.append(
        TicketMessage(
            kind=MessageKind.CUSTOMER, body=asked[-1] if asked else handoff.summary, created_at=now
        )
    )
    previous = ticket.status
    ticket.status = TicketStatus.OPEN
    ticket.updated_at = now
    handoff.status = HandoffStatus.TAKEN
    session.flush()
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.escalated_again",
        ticket=ticket,
        data={"handoff_id": handoff.id, "reason": handoff.reason, "reopened_from": str(previous)},
    )
    session.commit()
    return ticket


def open_ticket(
    session: Session,
    *,
    customer_id: int,
    subject: str,
    body: str,
    source: TicketSource,
    actor: Actor,
    message_id: str | None = None,
    email_from: str | None = None,
) -> Ticket:
    """Open a ticket that came by email or the API, or that staff open towards a customer.

    Email and API tickets start open with the customer's message. An outreach ticket is
    written by a staff member (never a system actor): it starts pending, assigned to them,
    with their message as the first public reply (queued for email as ``reply`` does, with
    ``email_from``) and the category preset to Success Outreach.
    The same email ``message_id`` twice returns the first ticket and stores nothing.
    """
    require(actor, Action.OPEN_TICKET)
    source = TicketSource(source)
    if source == TicketSource.AGENT:
        raise TicketInputError("source: tickets from the agent are opened from their handoff")
    outreach = source == TicketSource.OUTREACH
    if outreach and not isinstance(actor, User):
        raise TicketInputError("source: outreach tickets are opened by a staff member")
    seen = _message_by_id(session, message_id)
    if seen is not None:
        return seen.ticket
    subject = _subject(subject)
    body = _body(body)
    if session.get(Customer, customer_id) is None:
        raise TicketInputError("customer_id: no such customer")
    now = utcnow()
    ticket = Ticket(
        key=new_ticket_key(),
        customer_id=customer_id,
        subject=subject,
        status=TicketStatus.PENDING if outreach else TicketStatus.OPEN,
        priority=Priority.NORMAL,
        source=source,
        category=OUTREACH_CATEGORY if outreach else None,
        assignee_id=_author_id(actor) if outreach else None,
        first_response_at=now if outreach else None,
        created_at=now,
        updated_at=now,
    )
    ticket.messages.append(
        TicketMessage(
            kind=MessageKind.REPLY if outreach else MessageKind.CUSTOMER,
            author_user_id=_author_id(actor) if outreach else None,
            body=body,
            message_id=message_id or None,
            created_at=now,
        )
    )
    session.add(ticket)
    redelivered = _flush_or_seen(session, message_id)
    if redelivered is not None:
        return redelivered.ticket
    data: dict[str, Any] = {"source": str(source), "customer_id": customer_id}
    # The Message-ID names the ticket, so the outreach email is queued once it has an id.
    if outreach and queue_delivery(
        ticket.messages[0], ticket=ticket, now=now, email_from=email_from
    ):
        data["delivery"] = DeliveryStatus.QUEUED
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.opened",
        ticket=ticket,
        data=data,
    )
    session.commit()
    return ticket


def reply(
    session: Session,
    *,
    ticket_id: int,
    actor: Actor,
    body: str,
    message_id: str | None = None,
    email_from: str | None = None,
) -> TicketMessage:
    """A public reply to the customer: the ticket waits on them (pending).

    The first reply sets ``first_response_at``; later ones leave it. When the customer has
    an email address the reply is queued for email in this transaction, with a new
    Message-ID in the domain of ``email_from`` (pass ``settings.email_from``) unless
    ``message_id`` is given, so the customer's answer threads here. Without an address the
    customer reads it through their ticket link.
    """
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.REPLY)
    if ticket.status == TicketStatus.CLOSED:
        raise TicketClosed(f"ticket {ticket.id} is closed; a customer reply reopens it")
    now = utcnow()
    message = TicketMessage(
        kind=MessageKind.REPLY,
        author_user_id=_author_id(actor),
        body=_body(body),
        message_id=message_id or None,
        created_at=now,
    )
    ticket.messages.append(message)
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.status = TicketStatus.PENDING
    ticket.updated_at = now
    queue_delivery(message, ticket=ticket, now=now, email_from=email_from)
    session.flush()
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.replied",
        ticket=ticket,
        data={"message_id": message.id, "delivery": message.delivery_status},
    )
    session.commit()
    return message


def add_note(session: Session, *, ticket_id: int, actor: Actor, body: str) -> TicketMessage:
    """An internal note: staff see it, the customer never does. Status is unchanged."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.ADD_NOTE)
    now = utcnow()
    message = TicketMessage(
        kind=MessageKind.NOTE, author_user_id=_author_id(actor), body=_body(body), created_at=now
    )
    ticket.messages.append(message)
    ticket.updated_at = now
    session.flush()
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.noted",
        ticket=ticket,
        data={"message_id": message.id},
    )
    session.commit()
    return message


def customer_reply(
    session: Session,
    *,
    key: str,
    body: str,
    message_id: str | None = None,
    in_reply_to: str | None = None,
) -> TicketMessage:
    """The customer writes on their ticket (through its link, or an email threaded to it).

    A pending or closed ticket reopens. The same email ``message_id`` twice is stored once.
    """
    ticket = get_ticket_for_customer(session, key=key)
    seen = _message_by_id(session, message_id)
    if seen is not None and seen.ticket_id == ticket.id:
        return seen
    if seen is not None:
        raise TicketInputError("message_id: already stored on another ticket")
    now = utcnow()
    message = TicketMessage(
        kind=MessageKind.CUSTOMER,
        body=_body(body),
        message_id=message_id or None,
        in_reply_to=in_reply_to or None,
        created_at=now,
    )
    ticket.messages.append(message)
    previous = ticket.status
    if previous != TicketStatus.OPEN:
        ticket.status = TicketStatus.OPEN
        ticket.closed_at = None
        ticket.closed_by_id = None
    ticket.updated_at = now
    redelivered = _flush_or_seen(session, message_id)
    if redelivered is not None:
        return redelivered
    _ticket_event(
        session,
        actor=f"customer:{ticket.customer_id}",
        action="ticket.customer_replied",
        ticket=ticket,
        data={
            "message_id": message.id,
            "reopened_from": None if previous == TicketStatus.OPEN else str(previous),
        },
    )
    session.commit()
    return message


def assign(session: Session, *, ticket_id: int, actor: Actor, assignee_id: int | None) -> Ticket:
    """Give the ticket to an active agent or admin; ``assignee_id=None`` unassigns it."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.ASSIGN)
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active:
            raise TicketInputError("assignee_id: no such active staff member")
        if not role_allows(assignee.role, Action.REPLY):
            raise TicketInputError(f"assignee_id: a {assignee.role} cannot work tickets")
    if ticket.assignee_id == assignee_id:
        return ticket
    previous = ticket.assignee_id
    ticket.assignee_id = assignee_id
    ticket.updated_at = utcnow()
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.assigned",
        ticket=ticket,
        data={"from": previous, "to": assignee_id},
    )
    session.commit()
    return ticket


def set_priority(session: Session, *, ticket_id: int, actor: Actor, priority: Priority) -> Ticket:
    """Change the priority; a flagged ticket stays high priority at least."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.SET_PRIORITY)
    priority = Priority(priority)
    if ticket.flagged and PRIORITY_RANK[priority] < PRIORITY_RANK[Priority.HIGH]:
        raise TicketInputError("priority: a flagged ticket is high priority at least")
    if ticket.priority == priority:
        return ticket
    previous = ticket.priority
    ticket.priority = priority
    ticket.updated_at = utcnow()
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.priority_changed",
        ticket=ticket,
        data={"from": str(previous), "to": str(priority)},
    )
    session.commit()
    return ticket


def flag_concern(session: Session, *, ticket_id: int, actor: Actor, reason: str) -> Ticket:
    """Flag the ticket for engineering attention: it becomes high priority at least."""
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.FLAG)
    reason = reason.strip()
    if not reason:
        raise TicketInputError("reason: say what concerns you")
    if len(reason) > MAX_FLAG_REASON:
        raise TicketInputError(f"reason: at most {MAX_FLAG_REASON:,} characters")
    ticket.flagged = True
    ticket.flag_reason = reason
    if PRIORITY_RANK[Priority(ticket.priority)] < PRIORITY_RANK[Priority.HIGH]:
        ticket.priority = Priority.HIGH
    ticket.updated_at = utcnow()
    _ticket_event(
        session,
        actor=actor_label(actor),
        action="ticket.flagged",
        ticket=ticket,
        data={"reason": reason, "priority": str(ticket.priority)},
    )
    session.commit()
    return ticket


__all__ = [
    "OUTREACH_CATEGORY",
    "PRIORITY_RANK",
    "HandoffNotFound",
    "TicketClosed",
    "TicketInputError",
    "add_note",
    "assign",
    "customer_reply",
    "flag_concern",
    "new_ticket_key",
    "open_ticket",
    "open_ticket_from_handoff",
    "reply",
    "set_priority",
    "subject_from",
    "ticket_for_email",
]
