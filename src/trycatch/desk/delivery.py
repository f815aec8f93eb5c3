"""The email outbox of public replies: queueing, claiming what is due, attempts, failures.

A reply's delivery state lives on its ``TicketMessage`` (queued in the transaction that
stores the reply, so a crash cannot lose it). This module knows nothing of SMTP: the email
channel claims due messages here, sends them, and reports each attempt back with
``mark_sent`` or ``mark_attempt_failed``. Those are helpers for the channel's transaction
and never commit; ``retry_delivery`` is the staff's "send again" and commits.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.desk.access import (
    Action,
    Actor,
    System,
    actor_label,
    get_ticket_for,
    require,
)
from trycatch.desk.models import DeliveryStatus, MessageKind, Ticket, TicketMessage
from trycatch.settings import Settings
from trycatch.store import record_event, utcnow

# The background sender, as the audit trail names it.
DELIVERY = System("email-delivery")
MAX_WAIT = timedelta(hours=1)
MAX_ERROR_CHARS = 1_000
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)


class DeliveryNotFound(LookupError):
    """No public reply with that id (or none the caller may reach)."""


class NotResendable(ValueError):
    """Only a reply whose sending failed or is being retried can be sent again."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a reply is tried, and how long to wait between attempts."""

    max_attempts: int
    first_wait_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.email_max_attempts,
            first_wait_seconds=settings.email_retry_seconds,
        )

    def wait_after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: doubling, capped at one hour."""
        # The exponent is capped too: 2**attempts overflows a float long after the wait has.
        seconds = self.first_wait_seconds * 2 ** min(max(attempts - 1, 0), 32)
        return min(timedelta(seconds=seconds), MAX_WAIT)


def outgoing_message_id(*, ticket_id: int, email_from: str | None) -> str:
    """A new RFC 5322 Message-ID for a reply on ``ticket_id``, in the sender's domain.

    Without a sender address the host's name is the domain, as ``email.utils.make_msgid``
    does. The random part makes it unguessable: knowing it is what lets an email thread
    onto the ticket.
    """
    domain = email_from.rpartition("@")[2].strip(" >") if email_from else ""
    return f"<ticket-{ticket_id}-{secrets.token_hex(12)}@{domain or socket.gethostname()}>"


def queue_delivery(
    message: TicketMessage, *, ticket: Ticket, now: datetime, email_from: str | None
) -> bool:
    """Queue a public reply for email when the customer has an address; whether it was.

    A helper for the service storing the reply (same transaction, no commit). The reply
    gets its Message-ID here so the customer's answer threads back to the ticket. A customer
    without an email address reads the reply through their ticket link instead.
    """
    if message.kind != MessageKind.REPLY or not ticket.customer.email:
        return False
    message.delivery_status = DeliveryStatus.QUEUED
    message.delivery_attempts = 0
    message.next_delivery_at = now
    message.delivery_error = None
    if not message.message_id:
        message.message_id = outgoing_message_id(ticket_id=ticket.id, email_from=email_from)
    return True


def due_deliveries(session: Session, *, now: datetime, limit: int) -> list[TicketMessage]:
    """Claim up to ``limit`` replies whose next attempt is due, oldest first.

    On PostgreSQL the rows stay locked (``FOR UPDATE SKIP LOCKED``) until the caller's
    transaction ends, so several senders never send one reply twice. SQLite has no row
    locks: there, one process sends (the server's worker, or ``trycatch email deliver``).
    """
    query = (
        select(TicketMessage)
        .where(TicketMessage.delivery_status.in_(PENDING))
        .where(TicketMessage.next_delivery_at <= now)
        .order_by(TicketMessage.next_delivery_at, TicketMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=TicketMessage)
    return list(session.scalars(query))


def _delivery_event(
    session: Session,
    *,
    message: TicketMessage,
    action: str,
    actor: Actor = DELIVERY,
    data: dict[str, Any] | None = None,
) -> None:
    record_event(
        session,
        actor=actor_label(actor),
        action=action,
        subject=f"ticket:{message.ticket_id}",
        data={"message_id": message.id, **(data or {})},
    )


def mark_sent(session: Session, *, message: TicketMessage) -> None:
    """The attempt succeeded: the reply reached the SMTP server. No commit."""
    message.delivery_attempts += 1
    message.delivery_status = DeliveryStatus.SENT
    message.next_delivery_at = None
    message.delivery_error = None
    _delivery_event(
        session,
        message=message,
        action="email.sent",
        data={"attempts": message.delivery_attempts},
    )


def mark_attempt_failed(
    session: Session,
    *,
    message: TicketMessage,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    permanent: bool = False,
) -> DeliveryStatus:
    """The attempt failed: retry after a doubling wait, or fail for good. No commit.

    The reply is failed after ``policy.max_attempts`` attempts, or at once when the error
    is ``permanent`` (the server refused the recipient for good). Failed replies are listed
    for staff (``failed_deliveries``), never dropped.
    """
    message.delivery_attempts += 1
    message.delivery_error = error[:MAX_ERROR_CHARS]
    status = DeliveryStatus.RETRYING
    next_attempt: datetime | None = now + policy.wait_after(message.delivery_attempts)
    if permanent or message.delivery_attempts >= policy.max_attempts:
        status, next_attempt = DeliveryStatus.FAILED, None
    message.delivery_status = status
    message.next_delivery_at = next_attempt
    _delivery_event(
        session,
        message=message,
        action=f"email.{status}",
        data={
            "attempts": message.delivery_attempts,
            "error": message.delivery_error,
            "next_attempt_at": next_attempt.isoformat() if next_attempt else None,
        },
    )
    return status


def retry_delivery(session: Session, *, message_id: int, actor: Actor) -> TicketMessage:
    """Staff's "send again": a failed (or retrying) reply is queued for an attempt now.

    ``message_id`` is the reply's row id. Whoever may reply on the ticket may send again;
    the attempts start over.
    """
    require(actor, Action.REPLY)
    message = session.get(TicketMessage, message_id)
    if message is None or message.kind != MessageKind.REPLY:
        raise DeliveryNotFound(f"reply {message_id}")
    get_ticket_for(session, actor=actor, ticket_id=message.ticket_id, action=Action.REPLY)
    if message.delivery_status not in (DeliveryStatus.FAILED, DeliveryStatus.RETRYING):
        raise NotResendable(
            f"reply {message_id} is {message.delivery_status or 'not emailed'}; "
            "only a failed or retrying reply can be sent again"
        )
    previous, last_error = message.delivery_status, message.delivery_error
    message.delivery_status = DeliveryStatus.QUEUED
    message.delivery_attempts = 0
    message.next_delivery_at = utcnow()
    message.delivery_error = None
    _delivery_event(
        session,
        message=message,
        action="email.resend_requested",
        actor=actor,
        data={"from": str(previous), "last_error": last_error},
    )
    session.commit()
    return message


def failed_deliveries(session: Session, *, actor: Actor, limit: int = 100) -> list[TicketMessage]:
    """Replies whose email failed for good, newest first, for staff to see and send again."""
    require(actor, Action.VIEW_TICKET)
    return list(
        session.scalars(
            select(TicketMessage)
            .where(TicketMessage.delivery_status == DeliveryStatus.FAILED)
            .order_by(TicketMessage.created_at.desc(), TicketMessage.id.desc())
            .limit(limit)
        )
    )


__all__ = [
    "DELIVERY",
    "DeliveryNotFound",
    "NotResendable",
    "RetryPolicy",
    "due_deliveries",
    "failed_deliveries",
    "mark_attempt_failed",
    "mark_sent",
    "outgoing_message_id",
    "queue_delivery",
    "retry_delivery",
]
