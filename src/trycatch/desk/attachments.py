"""Attachments: files sent with ticket messages, kept on disk, handed out only through access.

An upload is checked before anything is written: not empty, within the size limit, of an
allowed content type, with content that does not contradict that type (an "image/png" must
start like a PNG; text must be UTF-8 text), and with a filename made safe to show and to
offer as a download name. The file is stored under a random ``storage_key`` in the
attachments folder (written to a temporary file, then renamed, so a reader never sees half
a file); the row keeps its facts (name, type, size, SHA-256).

``add_attachment`` is the helper other services call inside their own transaction;
``store_attachment`` (staff, system actors) and ``customer_reply_with_attachment`` (the
customer's link) are services that commit. ``open_attachment_for`` and
``open_attachment_for_customer`` are the only ways to a stored file; both say "not found"
for anything out of the caller's reach.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from trycatch.desk.access import (
    Action,
    Actor,
    TicketNotFound,
    actor_label,
    get_ticket_for,
    get_ticket_for_customer,
)
from trycatch.desk.models import Attachment, MessageKind, Ticket, TicketMessage, User
from trycatch.desk.tickets import add_note, customer_reply, reply
from trycatch.settings import Settings
from trycatch.store import record_event, utcnow

MAX_FILENAME = 255
MAX_CONTENT_TYPE = 200
# How much of a text file is read to tell text from binary.
TEXT_SNIFF_BYTES = 64 * 1024
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_SPACES = re.compile(r"\s+")


class AttachmentError(ValueError):
    """An upload was refused; the message names the field (``file``, ``filename``, ...)."""


class AttachmentNotFound(LookupError):
    """No such attachment for this caller (also when it exists out of their reach)."""


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """What uploads are accepted (from the settings ``attachment_max_bytes``/``_types``)."""

    max_bytes: int
    allowed_types: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> AttachmentLimits:
        return cls(
            max_bytes=settings.attachment_max_bytes,
            allowed_types=tuple(settings.attachment_types),
        )


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as it arrived: its claimed name and type, and its bytes."""

    filename: str
    content_type: str
    data: bytes


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{size:,} bytes"


def clean_filename(filename: str) -> str:
    """A name safe to show and to offer as a download: the last path part, no control or
    format characters, whitespace collapsed, no leading dots, at most 255 characters with
    the extension kept. Raises ``AttachmentError`` when nothing usable is left."""
    name = unicodedata.normalize("NFC", filename)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if not name:
        raise AttachmentError("filename: must name a file")
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME].rstrip()
    return name


def _base_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _is_text(data: bytes) -> bool:
    sample = data[:TEXT_SNIFF_BYTES]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off by the sample's end is still text.
        return error.start >= len(sample) - 3 and len(data) > len(sample)
    return True


# What the first bytes of each sniffed type must look like; types not listed are not sniffed.
_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda d: d[:6] in {b"GIF87a", b"GIF89a"},
    "image/webp": _is_webp,
    "application/pdf": lambda d: d.startswith(b"%PDF-"),
    "application/zip": lambda d: d[:4] in {b"PK\x03\x04", b"PK\x05\x06"},
}


def _content_matches(content_type: str, data: bytes) -> bool:
    signature = _SIGNATURES.get(content_type)
    if signature is not None:
        return signature(data)
    if content_type.startswith("text/") or content_type == "application/json":
        return _is_text(data)
    return True


def check_upload(upload: Upload, limits: AttachmentLimits) -> Upload:
    """The upload with a clean filename and bare content type, or ``AttachmentError``."""
    if not upload.data:
        raise AttachmentError("file: is empty")
    if len(upload.data) > limits.max_bytes:
        raise AttachmentError(f"file: larger than {_megabytes(limits.max_bytes)}")
    content_type = _base_type(upload.content_type)
    if not content_type or len(content_type) > MAX_CONTENT_TYPE or not _TYPE.match(content_type):
        raise AttachmentError("content_type: not a content type")
    allowed = {_base_type(t) for t in limits.allowed_types}
    if content_type not in allowed:
        raise AttachmentError(
            f"content_type: {content_type} is not accepted (one of {', '.join(sorted(allowed))})"
        )
    if not _content_matches(content_type, upload.data):
        raise AttachmentError(f"file: the content is not {content_type}")
    return Upload(
        filename=clean_filename(upload.filename), content_type=content_type, data=upload.data
    )


def _write_file(directory: Path, data: bytes) -> str:
    """Write ``data`` under a new random key, atomically; the key."""
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(20)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(directory / key)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key


def add_attachment(
    session: Session,
    *,
    ticket: Ticket,
    message: TicketMessage | None,
    upload: Upload,
    actor: str,
    directory: Path,
    limits: AttachmentLimits,
) -> Attachment:
    """Check ``upload``, write its file and add its row and audit Event; does not commit.

    For services that attach a file within their own transaction (the caller has reached
    ``ticket`` through access, and ``message``, if any, is one of its messages). Should
    that transaction roll back, the file stays behind, unreferenced: harmless, and rarer
    than a row whose file was never written.
    """
    checked = check_upload(upload, limits)
    if message is not None and message.ticket_id != ticket.id:
        raise AttachmentError("message_id: not a message of this ticket")
    key = _write_file(directory, checked.data)
    attachment = Attachment(
        ticket_id=ticket.id,
        message_id=message.id if message is not None else None,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        storage_key=key,
        created_at=utcnow(),
    )
    session.add(attachment)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="ticket.attachment_added",
        subject=f"ticket:{ticket.id}",
        data={
            "attachment_id": attachment.id,
            "message_id": attachment.message_id,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )
    return attachment


def store_attachment(
    session: Session,
    *,
    ticket_id: int,
    message_id: int | None,
    filename: str,
    content_type: str,
    data: bytes,
    actor: Actor,
    directory: Path,
    max_bytes: int,
    allowed_types: list[str],
) -> Attachment:
    """Attach a file to a ticket (to one of its messages, when ``message_id`` is given).

    Staff need a role that may reply; system actors (the email intake) may always.
    """
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.REPLY)
    message = None
    if message_id is not None:
        message = session.get(TicketMessage, message_id)
        if message is None or message.ticket_id != ticket.id:
            raise AttachmentError("message_id: not a message of this ticket")
    attachment = add_attachment(
        session,
        ticket=ticket,
        message=message,
        upload=Upload(filename=filename, content_type=content_type, data=data),
        actor=actor_label(actor),
        directory=directory,
        limits=AttachmentLimits(max_bytes=max_bytes, allowed_types=tuple(allowed_types)),
    )
    session.commit()
    return attachment


def customer_reply_with_attachment(
    session: Session,
    *,
    key: str,
    body: str,
    upload: Upload | None,
    directory: Path,
    limits: AttachmentLimits,
) -> TicketMessage:
    """The customer writes on their ticket through its link, optionally with a file.

    The file is checked before the reply is stored, so a refused file stores nothing. A
    file alone is enough: the message then says what was sent.
    """
    ticket = get_ticket_for_customer(session, key=key)
    checked = check_upload(upload, limits) if upload is not None else None
    if checked is not None and not body.strip():
        body = f"Sent a file: {checked.filename}"
    message = customer_reply(session, key=key, body=body)
    if checked is None:
        return message
    add_attachment(
        session,
        ticket=ticket,
        message=message,
        upload=checked,
        actor=f"customer:{ticket.customer_id}",
        directory=directory,
        limits=limits,
    )
    session.commit()
    return message


def staff_message_with_attachment(
    session: Session,
    *,
    ticket_id: int,
    actor: User,
    kind: MessageKind,
    body: str,
    upload: Upload | None,
    email_from: str,
    directory: Path,
    limits: AttachmentLimits,
) -> TicketMessage:
    """A staff member's public reply or internal note (``kind``), optionally with a file.

    The file is checked before the message is stored, so a refused file stores nothing.
    """
    checked = check_upload(upload, limits) if upload is not None else None
    if kind == MessageKind.NOTE:
        message = add_note(session, ticket_id=ticket_id, actor=actor, body=body)
    else:
        message = reply(session, ticket_id=ticket_id, actor=actor, body=body, email_from=email_from)
    if checked is None:
        return message
    add_attachment(
        session,
        ticket=message.ticket,
        message=message,
        upload=checked,
        actor=actor_label(actor),
        directory=directory,
        limits=limits,
    )
    session.commit()
    return message


def _file_of(attachment: Attachment, directory: Path) -> Path:
    path = directory / attachment.storage_key
    if not path.is_file():
        raise AttachmentNotFound(f"attachment {attachment.id}: its file is missing")
    return path


def open_attachment_for(
    session: Session, *, actor: Actor, attachment_id: int, directory: Path
) -> tuple[Attachment, Path]:
    """An attachment and its file, for staff who may view its ticket (notes' files too)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise AttachmentNotFound(f"attachment {attachment_id}")
    try:
        get_ticket_for(session, actor=actor, ticket_id=attachment.ticket_id)
    except TicketNotFound:
        raise AttachmentNotFound(f"attachment {attachment_id}") from None
    return attachment, _file_of(attachment, directory)


def open_attachment_for_customer(
    session: Session, *, key: str, attachment_id: int, directory: Path
) -> tuple[Attachment, Path]:
    """An attachment and its file, through the link of the ticket it belongs to.

    Only files of that ticket's customer-visible messages: never a note's, never one not
    on a message (staff may attach those for themselves), never another ticket's.
    """
    ticket = get_ticket_for_customer(session, key=key)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise AttachmentNotFound("no such attachment")
    if attachment.ticket_id != ticket.id:
        raise AttachmentNotFound("no such attachment")
    if attachment.message is None:
        raise AttachmentNotFound("no such attachment")
    if attachment.message.kind == MessageKind.NOTE:
        raise AttachmentNotFound("no such attachment")
    return attachment, _file_of(attachment, directory)


__all__ = [
    "AttachmentError",
    "AttachmentLimits",
    "AttachmentNotFound",
    "Upload",
    "add_attachment",
    "check_upload",
    "clean_filename",
    "customer_reply_with_attachment",
    "open_attachment_for",
    "open_attachment_for_customer",
    "staff_message_with_attachment",
    "store_attachment",
]
