"""The customer's ticket page in the help center: reached by its secret link only, never
showing notes, replying with CSRF protection, files only through their own ticket."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from trycatch.desk import (
    EMAIL,
    Role,
    Ticket,
    TicketStatus,
    add_note,
    reply,
    store_attachment,
)
from trycatch.settings import Settings
from trycatch.store import Database
from trycatch.web import create_app
from trycatch.web.helpcenter.tickets import CSRF_COOKIE

from .desk_factories import make_ticket, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40
TYPES = ["image/png", "text/plain"]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        attachments_dir=tmp_path / "files",
        attachment_types=TYPES,
        attachment_max_bytes=1_000,
    )


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as test_client:
        yield test_client


def attach(session: Session, settings: Settings, ticket: Ticket, message_id: int | None) -> int:
    attachment = store_attachment(
        session,
        ticket_id=ticket.id,
        message_id=message_id,
        filename="screenshot.png",
        content_type="image/png",
        data=PNG,
        actor=EMAIL,
        directory=settings.attachments_dir,
        max_bytes=settings.attachment_max_bytes,
        allowed_types=settings.attachment_types,
    )
    return attachment.id


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def send(client: TestClient, key: str, **form: Any) -> Any:
    files = form.pop("files", None)
    return client.post(f"/tickets/{key}/replies", data=form, files=files, follow_redirects=False)


def test_the_link_shows_the_conversation_but_never_notes(
    client: TestClient, session: Session
) -> None:
    ticket = make_ticket(
        session, subject="Webhooks fail", body="Deliveries fail with **401** <script>x()</script>"
    )
    agent = make_user(session, role=Role.AGENT, name="Ada")
    reply(session, ticket_id=ticket.id, actor=agent, body="Rotate the `signing key`.")
    add_note(session, ticket_id=ticket.id, actor=agent, body="SECRET-NOTE: legacy plan")
    response = client.get(f"/tickets/{ticket.key}")
    assert response.status_code == 200
    page = response.text
    assert "Webhooks fail" in page
    assert "<strong>401</strong>" in page  # Markdown rendered ...
    assert "<script>x()" not in page  # ... and sanitized
    assert "<code>signing key</code>" in page
    assert "Ada" in page
    assert "SECRET-NOTE" not in page
    assert "Pending" in page
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in page
    cookie = response.headers["set-cookie"]
    assert f"{CSRF_COOKIE}=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()


def test_wrong_keys_are_the_ordinary_404_page(client: TestClient, session: Session) -> None:
    ticket, other = make_ticket(session), make_ticket(session)
    not_found = client.get("/no-such-page-at-all")
    assert not_found.status_code == 404
    for key in (
        str(ticket.id),
        str(ticket.id + 1),
        str(ticket.id - 1),
        ticket.key[:-1],
        ticket.key[:20],
        ticket.key + "x",
        ticket.key.upper() if ticket.key.upper() != ticket.key else ticket.key + "A",
        "x" * 500,
        "%00",
    ):
        response = client.get(f"/tickets/{key}")
        assert response.status_code == 404, key
        assert response.text == not_found.text  # nothing tells a guesser more
        assert send(client, key, body="hi", csrf_token="t").status_code == 404
    assert client.get(f"/tickets/{other.key}").status_code == 200


def test_a_reply_reopens_the_ticket_and_redirects_back(
    client: TestClient, session: Session, database: Database
) -> None:
    ticket = make_ticket(session)
    agent = make_user(session, role=Role.AGENT)
    reply(session, ticket_id=ticket.id, actor=agent, body="Does it work now?")
    token = csrf_of(client.get(f"/tickets/{ticket.key}").text)
    response = send(client, ticket.key, body="Still failing, see _log_.", csrf_token=token)
    assert response.status_code == 303
    assert response.headers["location"] == f"/tickets/{ticket.key}"
    assert response.headers["cache-control"] == "no-store"
    with database.session() as fresh:
        stored = fresh.get(Ticket, ticket.id)
        assert stored is not None
        assert stored.status == TicketStatus.OPEN
        assert stored.messages[-1].body == "Still failing, see _log_."
    assert "<em>log</em>" in client.get(f"/tickets/{ticket.key}").text


def test_a_closed_ticket_reopens_on_a_reply(
    client: TestClient, session: Session, database: Database
) -> None:
    ticket = make_ticket(session)
    ticket.status = TicketStatus.CLOSED
    session.commit()
    page = client.get(f"/tickets/{ticket.key}").text
    assert "Reply to reopen" in page
    assert (
        send(client, ticket.key, body="It broke again", csrf_token=csrf_of(page)).status_code == 303
    )
    with database.session() as fresh:
        assert fresh.get(Ticket, ticket.id).status == TicketStatus.OPEN  # type: ignore[union-attr]


@pytest.mark.parametrize("token", [None, "", "forged-token-of-some-length", "WRONG"])
def test_a_reply_without_the_matching_csrf_token_is_refused(
    client: TestClient, session: Session, database: Database, token: str | None
) -> None:
    ticket = make_ticket(session)
    client.get(f"/tickets/{ticket.key}")  # sets the cookie
    form = {"body": "Please refund me"}
    if token is not None:
        form["csrf_token"] = token
    response = send(client, ticket.key, **form)
    assert response.status_code == 403
    assert "send your reply again" in response.text
    with database.session() as fresh:
        assert len(fresh.get(Ticket, ticket.id).messages) == 1  # type: ignore[union-attr]


def test_a_reply_without_the_cookie_is_refused(client: TestClient, session: Session) -> None:
    ticket = make_ticket(session)
    token = csrf_of(client.get(f"/tickets/{ticket.key}").text)
    client.cookies.clear()
    assert send(client, ticket.key, body="hi", csrf_token=token).status_code == 403


def test_an_empty_reply_is_shown_again_with_the_problem(
    client: TestClient, session: Session
) -> None:
    ticket = make_ticket(session)
    token = csrf_of(client.get(f"/tickets/{ticket.key}").text)
    response = send(client, ticket.key, body="   ", csrf_token=token)
    assert response.status_code == 422
    assert "Your message must not be empty" in response.text
    response = send(client, ticket.key, body="a\x00b", csrf_token=token)
    assert response.status_code == 422
    assert "Your message must not contain NUL characters" in response.text


def test_a_reply_with_a_file_and_the_download(
    client: TestClient, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(session)
    token = csrf_of(client.get(f"/tickets/{ticket.key}").text)
    response = send(
        client,
        ticket.key,
        body="Here is a screenshot",
        csrf_token=token,
        files={"file": ("screen shot.png", PNG, "image/png")},
    )
    assert response.status_code == 303
    page = client.get(f"/tickets/{ticket.key}").text
    links = re.findall(rf'href="(/tickets/{re.escape(ticket.key)}/attachments/\d+)"', page)
    assert len(links) == 1
    assert "screen shot.png" in page
    download = client.get(links[0])
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["referrer-policy"] == "no-referrer"

    refused = send(
        client,
        ticket.key,
        body="And the log",
        csrf_token=token,
        files={"file": ("run.exe", b"MZ\x90", "application/x-msdownload")},
    )
    assert refused.status_code == 422
    assert "The file application/x-msdownload is not accepted" in refused.text
    assert "And the log" in refused.text  # the draft is kept
    too_big = send(
        client,
        ticket.key,
        body="Big",
        csrf_token=token,
        files={"file": ("big.png", PNG * 100, "image/png")},
    )
    assert too_big.status_code == 422
    assert "larger than" in too_big.text


def test_files_download_only_through_their_own_tickets_link(
    client: TestClient, session: Session, settings: Settings
) -> None:
    ticket, other = make_ticket(session), make_ticket(session)
    agent = make_user(session, role=Role.AGENT)
    note = add_note(session, ticket_id=ticket.id, actor=agent, body="Internal logs")
    visible = attach(session, settings, ticket, ticket.messages[0].id)
    on_note = attach(session, settings, ticket, note.id)
    not_on_a_message = attach(session, settings, ticket, None)
    others = attach(session, settings, other, other.messages[0].id)
    page = client.get(f"/tickets/{ticket.key}").text
    assert f"/attachments/{visible}" in page
    assert f"/attachments/{on_note}" not in page

    def status(key: str, attachment: int | str) -> int:
        return client.get(f"/tickets/{key}/attachments/{attachment}").status_code

    assert status(ticket.key, visible) == 200
    assert status(ticket.key, on_note) == 404
    assert status(ticket.key, not_on_a_message) == 404
    assert status(ticket.key, others) == 404
    assert status(other.key, visible) == 404
    assert status(other.key, others) == 200
    assert status(ticket.key[:-1], visible) == 404
    for bad in ("0", "-1", "abc", "99999999999999", str(others + 100)):
        assert status(ticket.key, bad) == 404
