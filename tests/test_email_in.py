"""Customers' emails through the signed webhook ``POST /hooks/email``: tickets opened,
replies threaded and reopening, duplicates stored once, unsigned or stale requests refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.desk_factories import TAXONOMY, make_user
from trycatch.agent.models import Customer
from trycatch.channels.email_in import signature_for, strip_quoted
from trycatch.desk import (
    MessageKind,
    OutcomeInput,
    OutcomeKind,
    Role,
    Ticket,
    TicketMessage,
    TicketStatus,
    close_ticket,
    reply,
)
from trycatch.settings import Settings
from trycatch.store import Database
from trycatch.web import create_app

SECRET = "whsec-test-4f1c9e"
FIRST = {
    "from": "Ada Lovelace <Ada@Example.org>",
    "to": "support@hookrelay.test",
    "subject": "Webhook deliveries fail with a 401",
    "text": "Since this morning every delivery to our endpoint fails with a 401.",
    "message_id": "<q1@mail.example.org>",
    "references": [],
}


@pytest.fixture
def client(db_url: str, database: Database, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=db_url,
        email_webhook_secret=SECRET,
        email_from="support@hookrelay.test",
        attachments_dir=tmp_path / "files",
        attachment_max_bytes=1_000,
    )
    with TestClient(create_app(settings, database)) as test_client:
        yield test_client


def post_email(
    client: TestClient,
    payload: dict[str, Any],
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Response:
    body = json.dumps(payload).encode()
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Trycatch-Timestamp": sent_at,
        "X-Trycatch-Signature": signature
        or signature_for(secret=secret, timestamp=sent_at, body=body),
    }
    return client.post("/hooks/email", content=body, headers=headers)


def received(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_a_signed_email_opens_a_ticket_for_its_sender(client: TestClient, session: Session) -> None:
    data = received(post_email(client, FIRST))

    assert data["created"] is True
    ticket = session.get(Ticket, data["ticket_id"])
    assert ticket is not None
    assert (ticket.subject, ticket.status, ticket.source) == (
        "Webhook deliveries fail with a 401",
        TicketStatus.OPEN,
        "email",
    )
    assert (ticket.customer.email, ticket.customer.name) == ("ada@example.org", "Ada Lovelace")
    [message] = ticket.messages
    assert (message.id, message.kind, message.message_id) == (
        data["message_id"],
        MessageKind.CUSTOMER,
        "<q1@mail.example.org>",
    )
    assert message.body == FIRST["text"]


@pytest.mark.parametrize("status", [TicketStatus.PENDING, TicketStatus.CLOSED])
def test_a_reply_to_our_email_threads_onto_the_ticket_and_reopens_it(
    client: TestClient, session: Session, status: TicketStatus
) -> None:
    ticket_id = received(post_email(client, FIRST))["ticket_id"]
    agent = make_user(session, role=Role.AGENT)
    ours = reply(
        session,
        ticket_id=ticket_id,
        actor=agent,
        body="Could you rotate the signing secret?",
        email_from="support@hookrelay.test",
    )
    if status == TicketStatus.CLOSED:
        close_ticket(
            session,
            ticket_id=ticket_id,
            actor=agent,
            taxonomy=TAXONOMY,
            category="Functional",
            product_area="webhooks",
            outcomes=[OutcomeInput(kind=OutcomeKind.NO_ACTION, reason="A setting on their side")],
        )
    answer = {
        **FIRST,
        "from": "ada@example.org",
        "subject": "Re: Webhook deliveries fail with a 401",
        "text": "Rotated it, works now. Thanks!\n\n"
        "On Tue, 3 Mar 2026 at 10:02, Support <support@hookrelay.test>\nwrote:\n"
        "> Could you rotate the signing secret?\n",
        "message_id": "<q2@mail.example.org>",
        "in_reply_to": ours.message_id,
        "references": "<q1@mail.example.org> " + (ours.message_id or ""),
    }

    data = received(post_email(client, answer))

    assert (data["ticket_id"], data["created"]) == (ticket_id, True)
    session.expire_all()
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    assert ticket.status == TicketStatus.OPEN
    assert ticket.closed_at is None
    last = ticket.messages[-1]
    assert (last.id, last.kind, last.body) == (
        data["message_id"],
        MessageKind.CUSTOMER,
        "Rotated it, works now. Thanks!",
    )
    assert last.in_reply_to == ours.message_id
    assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_same_email_delivered_twice_is_stored_once(
    client: TestClient, session: Session
) -> None:
    first = received(post_email(client, FIRST))
    again = received(post_email(client, FIRST))

    assert again == {**first, "created": False}
    assert session.scalar(select(func.count()).select_from(TicketMessage)) == 1
    assert session.scalar(select(func.count()).select_from(Customer)) == 1


def test_an_email_without_a_known_thread_opens_a_new_ticket(
    client: TestClient, session: Session
) -> None:
    first = received(post_email(client, FIRST))
    other = {
        **FIRST,
        "subject": "",
        "text": "Another question: can I replay events?",
        "message_id": "q3@mail.example.org",  # brackets are added
        "in_reply_to": "<somebody-elses@mail.example.org>",
    }

    data = received(post_email(client, other))

    assert data["ticket_id"] != first["ticket_id"]
    ticket = session.get(Ticket, data["ticket_id"])
    assert ticket is not None
    assert ticket.subject == "Another question: can I replay events?"
    assert ticket.messages[0].message_id == "<q3@mail.example.org>"
    assert ticket.customer_id == session.get(Ticket, first["ticket_id"]).customer_id  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("case", "request_kwargs", "headers"),
    [
        ("wrong secret", {"secret": "not-the-secret"}, None),
        ("tampered signature", {"signature": "sha256=" + "0" * 64}, None),
        ("no prefix", {"signature": "0" * 64}, None),
        ("stale timestamp", {"timestamp": int(time.time()) - 301}, None),
        ("future timestamp", {"timestamp": int(time.time()) + 3600}, None),
        ("no signature", None, {"X-Trycatch-Timestamp": str(int(time.time()))}),
        ("no timestamp", None, {"X-Trycatch-Signature": "sha256=" + "0" * 64}),
        ("nothing", None, {}),
    ],
)
def test_unsigned_wrongly_signed_or_stale_requests_are_refused(
    client: TestClient,
    session: Session,
    case: str,
    request_kwargs: dict[str, Any] | None,
    headers: dict[str, str] | None,
) -> None:
    if headers is None:
        response = post_email(client, FIRST, **(request_kwargs or {}))
    else:
        response = client.post("/hooks/email", content=json.dumps(FIRST), headers=headers)

    assert response.status_code == 401, case
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_replayed_body_with_a_fresh_timestamp_but_old_signature_is_refused(
    client: TestClient,
) -> None:
    body = json.dumps(FIRST).encode()
    old = str(int(time.time()) - 10)
    signature = signature_for(secret=SECRET, timestamp=old, body=body)
    response = client.post(
        "/hooks/email",
        content=body,
        headers={"X-Trycatch-Timestamp": str(int(time.time())), "X-Trycatch-Signature": signature},
    )
    assert response.status_code == 401


def test_without_a_secret_the_webhook_is_not_configured(db_url: str, database: Database) -> None:
    with TestClient(create_app(Settings(database_url=db_url), database)) as client:
        response = post_email(client, FIRST, secret="")
    assert response.status_code == 503
    assert response.json() == {"detail": "webhook not configured"}


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("from", {k: v for k, v in FIRST.items() if k != "from"}),
        ("from", {**FIRST, "from": "Ada Lovelace"}),
        ("text", {k: v for k, v in FIRST.items() if k != "text"}),
        ("text", {**FIRST, "text": "   \n"}),
        ("message_id", {k: v for k, v in FIRST.items() if k != "message_id"}),
        ("message_id", {**FIRST, "message_id": "<two words@example.org>"}),
        ("references", {**FIRST, "references": 42}),
        ("text", {**FIRST, "text": "x" * 100_001}),
    ],
)
def test_an_invalid_payload_is_a_422_naming_the_field(
    client: TestClient, session: Session, field: str, payload: dict[str, Any]
) -> None:
    response = post_email(client, payload)

    assert response.status_code == 422, response.text
    assert [error["loc"][:2] for error in response.json()["detail"]] == [["body", field]]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_body_that_is_not_json_is_a_422(client: TestClient) -> None:
    body = b"not json"
    sent_at = str(int(time.time()))
    response = client.post(
        "/hooks/email",
        content=body,
        headers={
            "X-Trycatch-Timestamp": sent_at,
            "X-Trycatch-Signature": signature_for(secret=SECRET, timestamp=sent_at, body=body),
        },
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Thanks!\n\nOn Mon, 2 Mar 2026, Support wrote:\n> old\n> older", "Thanks!"),
        ("Thanks!\nOn Mon, 2 Mar 2026 at 09:00, Support Team\n<s@x.org> wrote:\n> old", "Thanks!"),
        ("Inline:\n> your question\nmy answer\n> more\nend", "Inline:\nmy answer\nend"),
        ("Top\n-----Original Message-----\nFrom: us", "Top"),
        ("> only quoted\n> nothing new", "> only quoted\n> nothing new"),
        ("On second thought, it works.", "On second thought, it works."),
    ],
)
def test_quoted_text_is_stripped_unless_nothing_else_is_left(text: str, kept: str) -> None:
    assert strip_quoted(text) == kept


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _file(name: str, content_type: str, data: bytes) -> dict[str, str]:
    return {
        "filename": name,
        "content_type": content_type,
        "content": base64.b64encode(data).decode(),
    }


def test_attachments_are_kept_and_refused_ones_noted_without_losing_the_email(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    payload = {
        **FIRST,
        "attachments": [
            _file("screenshot.png", "image/png", PNG),
            _file("huge.png", "image/png", PNG * 100),
            _file("run.exe", "application/x-msdownload", b"MZ..."),
            {"filename": "broken.txt", "content_type": "text/plain", "content": "%%%not base64"},
        ],
    }
    data = received(post_email(client, payload))
    ticket = session.get(Ticket, data["ticket_id"])
    assert ticket is not None
    customer_message, note = ticket.messages
    [kept] = customer_message.attachments
    assert (kept.filename, kept.content_type, kept.size) == (
        "screenshot.png",
        "image/png",
        len(PNG),
    )
    assert (tmp_path / "files" / kept.storage_key).read_bytes() == PNG
    assert note.kind == MessageKind.NOTE
    assert "huge.png: file: larger than" in note.body
    assert "run.exe: content_type:" in note.body
    assert "broken.txt: content: not base64" in note.body
    again = received(post_email(client, payload))  # delivered twice: nothing more is stored
    assert again["created"] is False
    session.expire_all()
    assert len(session.get(Ticket, data["ticket_id"]).messages) == 2  # type: ignore[union-attr]
    assert len(list((tmp_path / "files").iterdir())) == 1
