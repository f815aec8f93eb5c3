"""The attachments service: limits, filename cleaning, content sniffing, files on disk, and
who may open a stored file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.desk import (
    EMAIL,
    AttachmentError,
    AttachmentLimits,
    AttachmentNotFound,
    PermissionDenied,
    Role,
    TicketNotFound,
    Upload,
    add_note,
    customer_reply_with_attachment,
    open_attachment_for,
    open_attachment_for_customer,
    reply,
    store_attachment,
)
from trycatch.desk.attachments import clean_filename
from trycatch.desk.models import Attachment, Ticket
from trycatch.store import Event

from .desk_factories import make_ticket, make_user

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
ZIP = b"PK\x03\x04" + b"\x00" * 32
TYPES = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/json",
    "application/zip",
]
LIMIT = 10 * 1024 * 1024


def _store(session: Session, ticket: Ticket, directory: Path, **overrides: Any) -> Attachment:
    fields: dict[str, Any] = {
        "ticket_id": ticket.id,
        "message_id": ticket.messages[0].id,
        "filename": "screenshot.png",
        "content_type": "image/png",
        "data": PNG,
        "actor": EMAIL,
        "directory": directory,
        "max_bytes": LIMIT,
        "allowed_types": TYPES,
    }
    fields.update(overrides)
    return store_attachment(session, **fields)


def test_a_stored_file_is_on_disk_with_its_facts_and_an_event(
    session: Session, tmp_path: Path
) -> None:
    ticket = make_ticket(session)
    directory = tmp_path / "new" / "folder"  # created when needed
    attachment = _store(session, ticket, directory)
    path = directory / attachment.storage_key
    assert path.read_bytes() == PNG
    assert attachment.size == len(PNG)
    assert len(attachment.sha256) == 64
    assert attachment.message_id == ticket.messages[0].id
    # The key says nothing about the ticket; no temporary file is left behind.
    assert len(attachment.storage_key) == 40
    assert attachment.storage_key.isalnum()
    assert [p.name for p in directory.iterdir()] == [attachment.storage_key]
    event = session.scalars(select(Event).where(Event.action == "ticket.attachment_added")).one()
    assert event.subject == f"ticket:{ticket.id}"
    assert event.data["filename"] == "screenshot.png"
    assert event.actor == "system:email"


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/png", PNG),
        ("image/jpeg", JPEG),
        ("image/gif", GIF),
        ("image/webp", WEBP),
        ("application/pdf", PDF),
        ("application/zip", ZIP),
        ("text/plain; charset=utf-8", "Grüße, 2026-01-01 ERROR 401\n".encode()),
        ("TEXT/CSV", b"id,name\n1,Ada\n"),
        ("application/json", b'{"ok": true}'),
    ],
)
def test_content_that_matches_its_type_is_accepted(
    session: Session, tmp_path: Path, content_type: str, data: bytes
) -> None:
    attachment = _store(
        session, make_ticket(session), tmp_path, content_type=content_type, data=data
    )
    assert attachment.content_type == content_type.split(";", maxsplit=1)[0].lower()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"data": b""}, "file: is empty"),
        ({"data": PNG + b"\x00" * 100, "max_bytes": 100}, "file: larger than 100 bytes"),
        ({"data": b"\x89PNG\r\n\x1a\n" + b"\x00" * (LIMIT)}, "file: larger than 10 MB"),
        ({"content_type": "text/html", "data": b"<p>hi</p>"}, "content_type: text/html is not"),
        ({"content_type": "image/svg+xml", "data": b"<svg/>"}, "content_type: image/svg+xml"),
        ({"content_type": "", "data": b"hi"}, "content_type: not a content type"),
        ({"content_type": "image/png", "data": b"MZ\x90\x00\x03"}, "file: the content is not"),
        ({"content_type": "image/jpeg", "data": PNG}, "file: the content is not image/jpeg"),
        ({"content_type": "application/pdf", "data": b"<html>"}, "file: the content is not"),
        ({"content_type": "image/webp", "data": b"RIFF\x00\x00\x00\x00WAVE"}, "file: the"),
        ({"content_type": "text/plain", "data": b"MZ\x00\x00binary"}, "file: the content"),
        ({"content_type": "text/plain", "data": b"\xff\xfe\xfa"}, "file: the content"),
        ({"filename": "../../"}, "filename: must name a file"),
        ({"filename": "\x00\x07\u202e"}, "filename: must name a file"),
        ({"message_id": 999_999}, "message_id: not a message of this ticket"),
    ],
)
def test_refused_uploads_name_the_field_and_leave_nothing(
    session: Session, tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    ticket = make_ticket(session)
    with pytest.raises(AttachmentError, match=message.replace("+", r"\+")):
        _store(session, ticket, tmp_path / "files", **overrides)
    assert session.scalars(select(Attachment)).all() == []
    assert not (tmp_path / "files").exists() or list((tmp_path / "files").iterdir()) == []


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\Desktop\\error log.txt", "error log.txt"),
        ("  spaced \t\n name .txt ", "spaced name .txt"),
        (".htaccess", "htaccess"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # no right-to-left override
        ("bell\x07\x00.png", "bell.png"),
        ("e\u0301cole.txt", "\u00e9cole.txt"),  # NFC
        ("a" * 300 + ".png", "a" * 251 + ".png"),
        ("b" * 300, "b" * 255),
    ],
)
def test_filenames_are_made_safe(given: str, clean: str) -> None:
    assert clean_filename(given) == clean


def test_a_file_on_another_tickets_message_is_refused(session: Session, tmp_path: Path) -> None:
    mine, other = make_ticket(session), make_ticket(session)
    with pytest.raises(AttachmentError, match="message_id"):
        _store(session, mine, tmp_path, message_id=other.messages[0].id)


def test_staff_need_a_role_that_replies(session: Session, tmp_path: Path) -> None:
    ticket = make_ticket(session)
    viewer = make_user(session, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        _store(session, ticket, tmp_path, actor=viewer)
    agent = make_user(session, role=Role.AGENT)
    assert _store(session, ticket, tmp_path, actor=agent).id
    with pytest.raises(TicketNotFound):
        _store(session, ticket, tmp_path, actor=agent, ticket_id=ticket.id + 100)


def test_staff_open_any_attachment_of_a_ticket_they_may_view(
    session: Session, tmp_path: Path
) -> None:
    ticket = make_ticket(session)
    agent = make_user(session, role=Role.AGENT)
    note = add_note(session, ticket_id=ticket.id, actor=agent, body="Their logs")
    on_note = _store(session, ticket, tmp_path, message_id=note.id, actor=agent)
    viewer = make_user(session, role=Role.VIEWER)
    attachment, path = open_attachment_for(
        session, actor=viewer, attachment_id=on_note.id, directory=tmp_path
    )
    assert (attachment.id, path.read_bytes()) == (on_note.id, PNG)
    inactive = make_user(session, role=Role.ADMIN, active=False)
    with pytest.raises(PermissionDenied):
        open_attachment_for(session, actor=inactive, attachment_id=on_note.id, directory=tmp_path)
    with pytest.raises(AttachmentNotFound):
        open_attachment_for(session, actor=viewer, attachment_id=999_999, directory=tmp_path)
    (tmp_path / on_note.storage_key).unlink()
    with pytest.raises(AttachmentNotFound):
        open_attachment_for(session, actor=viewer, attachment_id=on_note.id, directory=tmp_path)


def test_customers_open_only_files_on_visible_messages_of_their_ticket(
    session: Session, tmp_path: Path
) -> None:
    ticket, other = make_ticket(session), make_ticket(session)
    agent = make_user(session, role=Role.AGENT)
    public = reply(session, ticket_id=ticket.id, actor=agent, body="Here is the fix")
    note = add_note(session, ticket_id=ticket.id, actor=agent, body="Internal")
    on_customer = _store(session, ticket, tmp_path)
    on_reply = _store(session, ticket, tmp_path, message_id=public.id, actor=agent)
    on_note = _store(session, ticket, tmp_path, message_id=note.id, actor=agent)
    loose = _store(session, ticket, tmp_path, message_id=None, actor=agent)
    others = _store(session, other, tmp_path)

    def opens(key: str, attachment: Attachment) -> bool:
        try:
            open_attachment_for_customer(
                session, key=key, attachment_id=attachment.id, directory=tmp_path
            )
        except (AttachmentNotFound, TicketNotFound):
            return False
        return True

    assert opens(ticket.key, on_customer)
    assert opens(ticket.key, on_reply)
    assert not opens(ticket.key, on_note)
    assert not opens(ticket.key, loose)
    assert not opens(ticket.key, others)
    assert opens(other.key, others)
    assert not opens(other.key, on_customer)
    assert not opens(ticket.key[:-1], on_customer)
    assert not opens("", on_customer)


def test_a_customer_reply_with_a_file_is_one_message_and_reopens(
    session: Session, tmp_path: Path
) -> None:
    ticket = make_ticket(session)
    agent = make_user(session, role=Role.AGENT)
    reply(session, ticket_id=ticket.id, actor=agent, body="Can you send a screenshot?")
    limits = AttachmentLimits(max_bytes=LIMIT, allowed_types=tuple(TYPES))
    message = customer_reply_with_attachment(
        session,
        key=ticket.key,
        body="",
        upload=Upload(filename="screen.png", content_type="image/png", data=PNG),
        directory=tmp_path,
        limits=limits,
    )
    assert message.body == "Sent a file: screen.png"
    assert [a.filename for a in message.attachments] == ["screen.png"]
    session.refresh(ticket)
    assert ticket.status == "open"
    count = len(ticket.messages)
    with pytest.raises(AttachmentError, match="content_type"):
        customer_reply_with_attachment(
            session,
            key=ticket.key,
            body="And this",
            upload=Upload(filename="x.exe", content_type="application/x-msdownload", data=b"MZ"),
            directory=tmp_path,
            limits=limits,
        )
    session.refresh(ticket)
    assert len(ticket.messages) == count  # a refused file stores no reply either
    with pytest.raises(TicketNotFound):
        customer_reply_with_attachment(
            session, key="nope", body="hi", upload=None, directory=tmp_path, limits=limits
        )
