"""Replies leave by email: the message a customer receives, SMTP, and one pass of the outbox.

``deliver_due`` sends every reply whose attempt is due, one transaction per reply, and
reports each attempt to the desk (``trycatch.desk.delivery``), which decides on retries
and failure. The background worker (``trycatch.jobs``) and ``trycatch email deliver`` call it.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from sqlalchemy.orm import Session

from trycatch.desk.delivery import (
    RetryPolicy,
    due_deliveries,
    mark_attempt_failed,
    mark_sent,
)
from trycatch.desk.models import DeliveryStatus, MessageKind, TicketMessage
from trycatch.settings import Settings
from trycatch.store import Database, utcnow

MAX_PER_RUN = 500
REPLY_PREFIXES = ("re:", "aw:", "sv:")


class EmailNotConfigured(RuntimeError):
    """No SMTP server is set (``TRYCATCH_SMTP_HOST``): replies stay queued."""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """One attempt at emailing one reply, and where it left the reply."""

    message_id: int
    ticket_id: int
    to: str
    status: DeliveryStatus
    attempts: int
    error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass over the outbox did."""

    results: tuple[DeliveryResult, ...] = ()

    def having(self, status: DeliveryStatus) -> list[DeliveryResult]:
        return [result for result in self.results if result.status == status]

    @property
    def sent(self) -> list[DeliveryResult]:
        return self.having(DeliveryStatus.SENT)

    @property
    def retrying(self) -> list[DeliveryResult]:
        return self.having(DeliveryStatus.RETRYING)

    @property
    def failed(self) -> list[DeliveryResult]:
        return self.having(DeliveryStatus.FAILED)


@dataclass(frozen=True, slots=True)
class _AttemptError:
    text: str
    permanent: bool  # the server refused this email for good: no retry helps
    server_down: bool  # the server could not be reached: the rest of the run waits too


def ticket_link(settings: Settings, key: str) -> str:
    """The customer's link to their ticket (the key is its secret)."""
    return f"{settings.public_url.rstrip('/')}/tickets/{key}"


def reply_subject(subject: str, ticket_id: int) -> str:
    """``Re: <subject> [#<id>]``, without piling up "Re:" prefixes."""
    while subject.lower().startswith(REPLY_PREFIXES):
        subject = subject[3:].lstrip()
    return f"Re: {subject} [#{ticket_id}]"


def _answered_email(message: TicketMessage) -> TicketMessage | None:
    """The customer's latest email before ``message``, which this reply answers."""
    earlier = [
        m
        for m in message.ticket.messages
        if m.kind == MessageKind.CUSTOMER and m.message_id and m.id < message.id
    ]
    return earlier[-1] if earlier else None


def compose_reply(message: TicketMessage, *, settings: Settings) -> EmailMessage:
    """The email carrying a public reply: threaded to the customer's last email, with the
    ticket's link in the footer."""
    ticket = message.ticket
    customer = ticket.customer
    if not customer.email:
        raise ValueError(f"customer {customer.id} has no email address")
    email = EmailMessage()
    email["From"] = settings.email_from
    email["To"] = formataddr((customer.name, customer.email))
    email["Subject"] = reply_subject(ticket.subject, ticket.id)
    email["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    if message.message_id:
        email["Message-ID"] = message.message_id
    answered = _answered_email(message)
    if answered is not None and answered.message_id:
        email["In-Reply-To"] = answered.message_id
        email["References"] = " ".join(m for m in (answered.in_reply_to, answered.message_id) if m)
    link = ticket_link(settings, ticket.key)
    email.set_content(
        f"{message.body}\n\n-- \nReply to this email, or read the whole conversation at\n{link}\n"
    )
    return email


def send_email(email: EmailMessage, *, settings: Settings) -> None:
    """Hand one email to the SMTP server of ``settings`` (TLS and login as configured)."""
    context = ssl.create_default_context()
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_tls == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(email)


def _server_text(text: bytes | str) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else text


def _attempt_error(error: Exception) -> _AttemptError:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        reasons = "; ".join(
            f"{code} {_server_text(text)}" for code, text in error.recipients.values()
        )
        return _AttemptError(f"recipient refused: {reasons}", all(c >= 500 for c in codes), False)
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_server_text(error.smtp_error)}"
        # A 5xx on the message itself is final; other 5xx (login, sender) are ours to fix.
        permanent = isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500
        return _AttemptError(text, permanent, False)
    if isinstance(error, ValueError):
        return _AttemptError(str(error), True, False)
    # OSError covers refused connections, timeouts, TLS failures and dropped connections.
    return _AttemptError(f"{type(error).__name__}: {error}", False, True)


def _send(
    session: Session, message: TicketMessage, *, settings: Settings, keep_lock: bool
) -> _AttemptError | None:
    """Compose and send one claimed reply; what went wrong, if anything."""
    try:
        email = compose_reply(message, settings=settings)
    except ValueError as error:
        return _attempt_error(error)
    if not keep_lock:
        # SQLite: end the read transaction before the network wait, so the write after it
        # does not conflict with what the web app committed meanwhile.
        session.commit()
    try:
        send_email(email, settings=settings)
    except OSError as error:  # smtplib's errors are OSErrors too
        return _attempt_error(error)
    return None


def _attempt(
    session: Session,
    message: TicketMessage,
    *,
    settings: Settings,
    now: datetime,
    policy: RetryPolicy,
    keep_lock: bool,
) -> tuple[DeliveryResult, bool]:
    """Send one claimed reply and record the attempt; whether the server was unreachable."""
    problem = _send(session, message, settings=settings, keep_lock=keep_lock)
    status = DeliveryStatus.SENT
    if problem is None:
        mark_sent(session, message=message)
    else:
        status = mark_attempt_failed(
            session,
            message=message,
            error=problem.text,
            now=now,
            policy=policy,
            permanent=problem.permanent,
        )
    result = DeliveryResult(
        message_id=message.id,
        ticket_id=message.ticket_id,
        to=message.ticket.customer.email or "",
        status=status,
        attempts=message.delivery_attempts,
        error=message.delivery_error,
        next_attempt_at=message.next_delivery_at,
    )
    return result, problem is not None and problem.server_down


def deliver_due(
    database: Database, settings: Settings, *, now: datetime | None = None, limit: int = MAX_PER_RUN
) -> DeliveryReport:
    """Send every reply due at ``now`` once; failures are scheduled again with backoff.

    Each reply is claimed, sent and recorded in its own transaction, so a crash repeats at
    most the one email in flight. When the SMTP server cannot be reached the pass stops
    after that attempt: the other replies wait for the next pass instead of each waiting
    out the timeout.
    """
    if not settings.smtp_host:
        raise EmailNotConfigured("no SMTP server: set TRYCATCH_SMTP_HOST")
    now = now or utcnow()
    policy = RetryPolicy.from_settings(settings)
    results: list[DeliveryResult] = []
    while len(results) < limit:
        with database.session() as session:
            claimed = due_deliveries(session, now=now, limit=1)
            if not claimed:
                break
            result, server_down = _attempt(
                session,
                claimed[0],
                settings=settings,
                now=now,
                policy=policy,
                keep_lock=not database.is_sqlite,
            )
            session.commit()
        results.append(result)
        if server_down:
            break
    return DeliveryReport(tuple(results))


__all__ = [
    "DeliveryReport",
    "DeliveryResult",
    "EmailNotConfigured",
    "compose_reply",
    "deliver_due",
    "reply_subject",
    "send_email",
    "ticket_link",
]
