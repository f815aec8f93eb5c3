"""Customers' emails arrive through a signed webhook: checking the signature, the payload,
and turning the email into a ticket or a reply on the ticket it answers.

The mail provider (or a small relay) POSTs each email as JSON to ``/hooks/email``, signed
with HMAC-SHA256 over ``timestamp + "." + body`` (docs/email.md). An email answering one of
our replies threads onto its ticket by In-Reply-To/References and reopens it; any other
email opens a ticket. The same Message-ID delivered twice is stored once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from trycatch.agent.conversations import CustomerRef, customer_for
from trycatch.desk import (
    EMAIL,
    AttachmentError,
    AttachmentLimits,
    Ticket,
    TicketSource,
    add_note,
    customer_reply,
    open_ticket,
    store_attachment,
    ticket_for_email,
)
from trycatch.desk.tickets import subject_from

MAX_SKEW = timedelta(minutes=5)
SIGNATURE_PREFIX = "sha256="
MAX_MESSAGE_ID = 498  # the column holds 500 characters, angle brackets included
MAX_REFERENCES = 100
# "On Tue, 3 Mar 2026 at 10:02, Support <support@example.com> wrote:", possibly wrapped
# over two lines by the customer's mail program.
ATTRIBUTION = re.compile(r"^On\b.{0,400}\bwrote:$", re.IGNORECASE | re.DOTALL)
FORWARD_MARKERS = ("-----original message-----", "________________________________")


class SignatureError(Exception):
    """The webhook request is not signed with our secret, or not recently."""


def signature_for(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Trycatch-Signature`` value of a request: ``sha256=<hex HMAC>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify_signature(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Accept the request only when signed with ``secret`` within five minutes of ``now``.

    The timestamp is part of what is signed, so an old request cannot be replayed with a
    fresh one; a replay within the five minutes carries the same Message-ID and is stored
    once.
    """
    if not timestamp or not signature:
        raise SignatureError("missing X-Trycatch-Timestamp or X-Trycatch-Signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("X-Trycatch-Timestamp: not unix seconds") from None
    if abs(now.timestamp() - sent_at) > MAX_SKEW.total_seconds():
        raise SignatureError("X-Trycatch-Timestamp: more than five minutes from now")
    expected = signature_for(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("X-Trycatch-Signature: does not match")


def _message_id(value: str) -> str:
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if len(value) > MAX_MESSAGE_ID + 2 or len(value) < 3 or any(c.isspace() for c in value):
        raise ValueError("not a Message-ID")
    return value


class InboundAttachment(BaseModel):
    """A file sent with the email, its content in base64."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=200)
    content: str = Field(description="The file's bytes, base64-encoded.")


class InboundEmail(BaseModel):
    """The webhook's JSON body: one email as the mail provider parsed it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    sender: str = Field(alias="from", max_length=500, description='"Name <address>"')
    to: str = Field(default="", max_length=2_000)
    subject: str = Field(default="", max_length=2_000)
    text: str = Field(min_length=1, description="The plain-text body.")
    message_id: str
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)
    attachments: list[InboundAttachment] = Field(default_factory=list)

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        _, address = parseaddr(value)
        local, at, domain = address.rpartition("@")
        if not (local and at and "." in domain) or len(address) > 320:
            raise ValueError("not an email address")
        return value

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("message_id")
    @classmethod
    def _own_id(cls, value: str) -> str:
        return _message_id(value)

    @field_validator("in_reply_to")
    @classmethod
    def _parent_id(cls, value: str | None) -> str | None:
        return _message_id(value) if value and value.strip() else None

    @field_validator("references", mode="before")
    @classmethod
    def _reference_ids(cls, value: Any) -> Any:
        # Providers send the References header as it is (one string) or already split.
        if isinstance(value, str):
            value = value.split()
        if isinstance(value, list):
            return [_message_id(v) for v in value[-MAX_REFERENCES:] if isinstance(v, str)]
        return value

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1].lower()

    @property
    def sender_name(self) -> str:
        return parseaddr(self.sender)[0]


@dataclass(frozen=True, slots=True)
class ReceivedEmail:
    """Where an inbound email went: its ticket and stored message (row ids)."""

    ticket_id: int
    message_id: int
    created: bool  # False: this Message-ID was stored before, nothing new was written


def strip_quoted(text: str) -> str:
    """The customer's new words: without the quoted email below them.

    Drops lines starting with ``>`` and everything from an "On ... wrote:" line (or an
    "Original Message" separator) on. When that leaves nothing, the whole body is kept.
    """
    lines = text.strip().splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        wrapped = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else ""
        if ATTRIBUTION.match(stripped) or (
            stripped.lower().startswith("on ") and ATTRIBUTION.match(wrapped)
        ):
            break
        if stripped.lower() in FORWARD_MARKERS:
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    new = "\n".join(kept).strip()
    return new or text.strip()


def _stored(ticket: Ticket, message_id: str) -> int:
    return next(m.id for m in ticket.messages if m.message_id == message_id)


def _decoded(attachment: InboundAttachment) -> bytes:
    try:
        return base64.b64decode(attachment.content, validate=True)
    except (binascii.Error, ValueError):
        raise AttachmentError("content: not base64") from None


def _attach_files(
    session: Session,
    *,
    email: InboundEmail,
    received: ReceivedEmail,
    directory: Path,
    limits: AttachmentLimits,
) -> None:
    """Keep the email's files; a refused one becomes an internal note, never a lost email."""
    refused: list[str] = []
    for attachment in email.attachments:
        try:
            store_attachment(
                session,
                ticket_id=received.ticket_id,
                message_id=received.message_id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                data=_decoded(attachment),
                actor=EMAIL,
                directory=directory,
                max_bytes=limits.max_bytes,
                allowed_types=list(limits.allowed_types),
            )
        except AttachmentError as error:
            session.rollback()
            refused.append(f"- {attachment.filename}: {error}")
    if refused:
        add_note(
            session,
            ticket_id=received.ticket_id,
            actor=EMAIL,
            body="Attachments of the customer's email that were not kept:\n" + "\n".join(refused),
        )


def receive_email(
    session: Session,
    email: InboundEmail,
    *,
    attachments_dir: Path,
    limits: AttachmentLimits,
) -> ReceivedEmail:
    """File an inbound email: on the ticket it answers (reopening it), else a new ticket.

    Call only after ``verify_signature``: the email acts as the desk's ``EMAIL`` system
    actor. The sender becomes a customer the first time they write. Its files are kept
    under ``attachments_dir`` within ``limits``; the same email delivered again stores
    nothing, files included.
    """
    seen = ticket_for_email(session, message_ids=[email.message_id])
    if seen is not None:
        return ReceivedEmail(seen.id, _stored(seen, email.message_id), created=False)
    received = _file_email(session, email)
    _attach_files(session, email=email, received=received, directory=attachments_dir, limits=limits)
    return received


def _file_email(session: Session, email: InboundEmail) -> ReceivedEmail:
    body = strip_quoted(email.text)
    answered = ticket_for_email(
        session, message_ids=[*email.references, *filter(None, [email.in_reply_to])]
    )
    if answered is not None:
        message = customer_reply(
            session,
            key=answered.key,
            body=body,
            message_id=email.message_id,
            in_reply_to=email.in_reply_to,
        )
        return ReceivedEmail(answered.id, message.id, created=True)
    customer = customer_for(
        session, CustomerRef(email=email.sender_address, name=email.sender_name)
    )
    assert customer is not None  # the address was validated with the payload
    ticket = open_ticket(
        session,
        customer_id=customer.id,
        subject=subject_from(email.subject or body),
        body=body,
        source=TicketSource.EMAIL,
        actor=EMAIL,
        message_id=email.message_id,
    )
    return ReceivedEmail(ticket.id, _stored(ticket, email.message_id), created=True)


__all__ = [
    "InboundAttachment",
    "InboundEmail",
    "ReceivedEmail",
    "SignatureError",
    "receive_email",
    "signature_for",
    "strip_quoted",
    "verify_signature",
]
