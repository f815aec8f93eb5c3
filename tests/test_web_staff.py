"""The staff app under /app, through HTTP: login, CSRF, roles, the inbox, tickets, closing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.desk_factories import PASSWORD, make_customer, make_ticket, make_user
from trycatch.desk import (
    MessageKind,
    Role,
    Ticket,
    TicketMessage,
    TicketStatus,
    User,
    reply,
    set_user_active,
)
from trycatch.desk.access import COMMAND_LINE
from trycatch.desk.models import DeliveryStatus
from trycatch.knowledge.models import Article, ArticleStatus
from trycatch.knowledge.sample import ingest_sample
from trycatch.knowledge.search import search
from trycatch.settings import Settings
from trycatch.store import Database
from trycatch.web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(db_url: str, database: Database, **overrides: Any) -> FastAPI:
    settings = Settings(database_url=db_url, product_name="Hookrelay", **overrides)
    return create_app(settings, database)


@pytest.fixture
def app(db_url: str, database: Database, session: Session) -> FastAPI:
    ingest_sample(session, max_file_bytes=2_000_000, boilerplate_share=0.5)
    return make_app(db_url, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, user: User, password: str = PASSWORD) -> str:
    """Log ``user`` in; the session's CSRF token (from the inbox page)."""
    form = client.get("/app/login")
    response = client.post(
        "/app/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303, response.text
    inbox = client.get("/app/inbox")
    assert inbox.status_code == 200
    return csrf_of(inbox.text)


def staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the staff app, ids filled in."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith("/app"):
            for method in route.methods:
                found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(found)


PUBLIC = {("GET", "/app/login"), ("POST", "/app/login")}


def test_every_staff_route_requires_a_login(app: FastAPI, client: TestClient) -> None:
    routes = staff_routes(app)
    assert len(routes) >= 14  # the enumeration found the app's routes
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, path)
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/app/login?next="), (method, path)
        htmx = client.request(method, path, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, (method, path)
        assert htmx.headers["HX-Redirect"].startswith("/app/login")


def test_every_staff_post_requires_the_csrf_token(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.ADMIN)
    token = log_in(client, user)
    posts = [path for method, path in staff_routes(app) if method == "POST"]
    assert "/app/tickets/1/close" in posts
    for path in posts:
        if ("POST", path) in PUBLIC:
            continue
        missing = client.post(path, data={})
        assert missing.status_code == 403, path
        wrong = client.post(path, data={"csrf_token": token[:-2] + "xx"})
        assert wrong.status_code == 403, path
    # The login form's own token is a double-submit cookie.
    refused = client.post("/app/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 403


def test_login_with_a_wrong_password_or_an_inactive_account_fails(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    form = client.get("/app/login")
    bad = client.post(
        "/app/login",
        data={"email": user.email, "password": "nope", "csrf_token": csrf_of(form.text)},
    )
    assert bad.status_code == 200  # the form again, with the error
    assert "do not match" in bad.text
    assert "trycatch_session" not in bad.cookies
    log_in(client, user)
    set_user_active(session, user_id=user.id, active=False, actor=COMMAND_LINE)
    assert client.get("/app/inbox").status_code == 303  # the session ends with the account


def test_a_tampered_session_cookie_is_refused(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session))
    cookie = client.cookies["trycatch_session"]
    client.cookies.clear()
    client.cookies.set("trycatch_session", cookie[:-3] + "abc")
    assert client.get("/app/inbox").status_code == 303
    client.cookies.clear()
    client.cookies.set("trycatch_session", cookie)
    assert client.get("/app/inbox").status_code == 200


def test_logout_ends_the_session(client: TestClient, session: Session) -> None:
    token = log_in(client, make_user(session))
    response = client.post("/app/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/app/inbox").status_code == 303


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/app/x", "//evil.example/app", "/elsewhere"]
)
def test_login_never_redirects_off_the_staff_app(
    client: TestClient, session: Session, next_path: str
) -> None:
    user = make_user(session)
    form = client.get("/app/login")
    response = client.post(
        "/app/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": next_path,
        },
    )
    assert response.headers["location"] == "/app/inbox"


def test_a_viewer_reads_but_cannot_change_anything(client: TestClient, session: Session) -> None:
    ticket = make_ticket(session)
    token = log_in(client, make_user(session, role=Role.VIEWER))
    page = client.get(f"/app/tickets/{ticket.id}")
    assert page.status_code == 200
    assert ticket.subject in page.text
    assert 'id="composer"' not in page.text  # no forms to change it
    changes = [
        (f"/app/tickets/{ticket.id}/messages", {"body": "hi", "kind": "reply"}),
        (f"/app/tickets/{ticket.id}/assign", {"assignee": "me"}),
        (f"/app/tickets/{ticket.id}/priority", {"priority": "high"}),
        (f"/app/tickets/{ticket.id}/flag", {"reason": "worrying"}),
        (f"/app/tickets/{ticket.id}/close", {"category": "Usability"}),
        (f"/app/tickets/{ticket.id}/article", {"title": "T", "body": "B" * 20}),
        ("/app/next", {}),
        ("/app/outreach", {"email": "x@example.org", "subject": "Hi", "body": "Hello"}),
        # The agent the team owns: test_web_staff_agent.py tries every change.
        ("/app/agent/versions", {"text": "A prompt.", "reason": "why"}),
        ("/app/agent/1/activate", {}),
        ("/app/evals/cases", {"text": "name: x\ninput: hi\nexpect: [{escalates: true}]"}),
    ]
    for path, data in changes:
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
    session.expire_all()
    refreshed = session.get(Ticket, ticket.id)
    assert refreshed is not None
    assert refreshed.assignee_id is None
    assert not refreshed.flagged
    assert len(refreshed.messages) == 1


def test_inbox_queues_filters_and_search(client: TestClient, session: Session) -> None:
    alice = make_customer(session, name="Alice Liddell")
    make_ticket(session, customer=alice, subject="Signature mismatch", body="HMAC fails")
    make_ticket(session, subject="Invoice question", body="Where is my invoice?")
    log_in(client, make_user(session))
    page = client.get("/app/inbox")
    assert "Signature mismatch" in page.text and "Invoice question" in page.text
    assert re.search(r'id="count-unassigned">2<', page.text)
    found = client.get("/app/inbox", params={"q": "hmac", "status": "", "category": ""})
    assert "Signature mismatch" in found.text and "Invoice question" not in found.text
    htmx = client.get("/app/inbox", params={"q": "invoice"}, headers={"HX-Request": "true"})
    assert htmx.text.lstrip().startswith('<div id="ticket-list">')  # a partial, not a page
    assert 'hx-swap-oob="true"' in htmx.text  # counts follow the filters
    assert "Invoice question" in htmx.text and "Signature mismatch" not in htmx.text
    assert client.get("/app/inbox", params={"status": "bogus"}).status_code == 422
    closed = client.get("/app/inbox", params={"queue": "closed"})
    assert "Nothing here." in closed.text


def test_customer_text_is_sanitized_everywhere_staff_see_it(
    client: TestClient, session: Session
) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>\n\n**bold**'
    ticket = make_ticket(session, subject='<b onmouseover="x">Hi</b>', body=attack)
    log_in(client, make_user(session))
    page = client.get(f"/app/tickets/{ticket.id}").text
    inbox = client.get("/app/inbox").text
    for html in (page, inbox):
        assert "<script>alert" not in html
        assert "onerror=" not in html
        assert 'onmouseover="x"' not in html
    assert "<strong>bold</strong>" in page  # Markdown still renders


def test_reply_and_note_through_htmx_and_forms(client: TestClient, session: Session) -> None:
    ticket = make_ticket(session)
    token = log_in(client, make_user(session))
    htmx = client.post(
        f"/app/tickets/{ticket.id}/messages",
        data={"body": "Rotate the secret, then retry.", "kind": "reply", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200
    assert htmx.text.lstrip().startswith('<section id="thread"')
    assert "Rotate the secret" in htmx.text
    note = client.post(
        f"/app/tickets/{ticket.id}/messages",
        data={"body": "Customer is on the old SDK.", "kind": "note", "csrf_token": token},
    )
    assert note.status_code == 303
    empty = client.post(
        f"/app/tickets/{ticket.id}/messages",
        data={"body": "   ", "kind": "reply", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert empty.status_code == 422
    assert "body: must not be empty" in empty.text
    session.expire_all()
    refreshed = session.get(Ticket, ticket.id)
    assert refreshed is not None
    assert [m.kind for m in refreshed.messages] == [
        MessageKind.CUSTOMER,
        MessageKind.REPLY,
        MessageKind.NOTE,
    ]
    assert refreshed.status == TicketStatus.PENDING
    emailed = refreshed.messages[1]
    assert emailed.delivery_status == DeliveryStatus.QUEUED  # the customer has an address
    assert (emailed.message_id or "").endswith("@example.com>")  # the domain of email_from


def test_assign_priority_and_flag(client: TestClient, session: Session) -> None:
    ticket = make_ticket(session)
    me = make_user(session)
    token = log_in(client, me)
    assert (
        client.post(
            f"/app/tickets/{ticket.id}/assign", data={"assignee": "me", "csrf_token": token}
        )
        .headers["location"]
        .endswith("notice=assigned")
    )
    client.post(
        f"/app/tickets/{ticket.id}/priority", data={"priority": "urgent", "csrf_token": token}
    )
    no_reason = client.post(f"/app/tickets/{ticket.id}/flag", data={"csrf_token": token})
    assert no_reason.status_code == 422
    assert "reason: say what concerns you" in no_reason.text
    client.post(
        f"/app/tickets/{ticket.id}/flag", data={"reason": "Data loss?", "csrf_token": token}
    )
    session.expire_all()
    refreshed = session.get(Ticket, ticket.id)
    assert refreshed is not None
    assert refreshed.assignee_id == me.id
    assert refreshed.priority == "urgent"
    assert refreshed.flagged
    flagged = client.get("/app/inbox", params={"queue": "flagged"})
    assert ticket.subject in flagged.text


def test_a_missing_ticket_is_a_404_page(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session))
    response = client.get("/app/tickets/999999")
    assert response.status_code == 404
    assert "No such ticket" in response.text


def _close(client: TestClient, ticket_id: int, token: str, **fields: str) -> Any:
    return client.post(f"/app/tickets/{ticket_id}/close", data={"csrf_token": token, **fields})


def test_closing_needs_category_area_and_an_outcome(client: TestClient, session: Session) -> None:
    ticket = make_ticket(session, subject="Deliveries are retried too often")
    token = log_in(client, make_user(session))
    form = client.get(f"/app/tickets/{ticket.id}/close")
    assert form.status_code == 200
    # Each category is shown with its description from the taxonomy.
    for category in ("Reliability", "Usability", "Functional", "Deliverability", "Abuse"):
        assert category in form.text
    assert "Success Outreach" in form.text
    refused = _close(client, ticket.id, token)
    assert refused.status_code == 422
    for field in ("category", "product area", "outcomes"):
        assert f"<strong>{field}</strong>" in refused.text
    bad_url = _close(
        client,
        ticket.id,
        token,
        category="Reliability",
        product_area="deliveries",
        docs_change="true",
        docs_url="not a url",
    )
    assert bad_url.status_code == 422
    assert "outcomes[0]" in bad_url.text
    assert 'value="Reliability" checked' in bad_url.text  # what was chosen stays chosen
    closed = _close(
        client,
        ticket.id,
        token,
        category="Reliability",
        product_area="deliveries",
        engineering_issue="true",
        new_issue_title="Back off retries on 429",
        new_issue_kind="feature",
    )
    assert closed.status_code == 303
    session.expire_all()
    refreshed = session.get(Ticket, ticket.id)
    assert refreshed is not None
    assert refreshed.status == TicketStatus.CLOSED
    assert [o.kind for o in refreshed.outcomes] == ["engineering_issue"]
    issue_page = client.get(f"/app/tickets/{ticket.id}")
    assert f"issue #{refreshed.outcomes[0].engineering_issue_id}" in issue_page.text


def test_a_kb_article_written_from_the_ticket_goes_live_and_closes_it(
    client: TestClient, session: Session
) -> None:
    me = make_user(session)
    ticket = make_ticket(
        session,
        subject="How do I replay a dead-lettered delivery",
        body="A delivery ended in the dead letter queue. Can I send it again?",
    )
    reply(
        session,
        ticket_id=ticket.id,
        actor=me,
        body="Hi Sam,\n\nUse `hookrelay deliveries replay DELIVERY_ID` within 30 days.\n\n"
        "Best,\nMe",
    )
    token = log_in(client, me)
    editor = client.get(f"/app/tickets/{ticket.id}/article")
    assert editor.status_code == 200
    assert "How do I replay a dead-lettered delivery" in editor.text  # the question as title
    assert "hookrelay deliveries replay DELIVERY_ID" in editor.text  # the staff answer as body
    assert "Hi Sam" not in editor.text and "Best," not in editor.text
    saved = client.post(
        f"/app/tickets/{ticket.id}/article",
        data={
            "csrf_token": token,
            "title": "Replay a dead-lettered delivery",
            "body": "Run `hookrelay deliveries replay DELIVERY_ID` within 30 days of the failure.",
            "product_area": "deliveries",
            "publish": "true",
        },
    )
    assert saved.status_code == 303
    article = session.query(Article).filter_by(source_ticket_id=ticket.id).one()
    assert article.status == ArticleStatus.PUBLISHED
    assert saved.headers["location"] == f"/app/tickets/{ticket.id}/close?article_id={article.id}"
    # Live at once: the agent's index finds it, the help center serves it.
    assert search(session, "replay dead-lettered delivery")[0].title == article.title
    assert client.get(f"/kb/{article.slug}").status_code == 200
    form = client.get(saved.headers["location"])
    assert f'<option value="{article.id}" selected>' in form.text
    closed = _close(
        client,
        ticket.id,
        token,
        category="Usability",
        product_area="deliveries",
        kb_article="true",
        article_id=str(article.id),
    )
    assert closed.status_code == 303
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == TicketStatus.CLOSED  # type: ignore[union-attr]


def test_strict_mode_blocks_the_next_ticket_until_the_article_is_published(
    db_url: str, database: Database, session: Session
) -> None:
    ingest_sample(session, max_file_bytes=2_000_000, boilerplate_share=0.5)
    me = make_user(session)
    ticket = make_ticket(session, subject="Endpoint disabled after failures")
    make_ticket(session, subject="Another one waiting")
    with TestClient(
        make_app(db_url, database, desk_strict_mode=True), follow_redirects=False
    ) as client:
        token = log_in(client, me)
        saved = client.post(
            f"/app/tickets/{ticket.id}/article",
            data={
                "csrf_token": token,
                "title": "Why endpoints get disabled",
                "body": "After 5 days of failed deliveries the endpoint is disabled.",
                "publish": "false",
            },
        )
        article_id = saved.headers["location"].rsplit("=", 1)[1]
        closed = _close(
            client,
            ticket.id,
            token,
            category="Reliability",
            product_area="endpoints",
            kb_article="true",
            article_id=article_id,
        )
        assert closed.status_code == 303
        blocked = client.post("/app/next", data={"csrf_token": token})
        assert blocked.status_code == 409
        assert "why-endpoints-get-disabled" in blocked.text
        published = client.post(
            "/app/articles/why-endpoints-get-disabled/publish",
            data={"csrf_token": token, "back": "https://evil.example/"},
        )
        assert published.headers["location"] == "/app/inbox"
        taken = client.post("/app/next", data={"csrf_token": token})
        assert taken.status_code == 303
        assert taken.headers["location"].startswith("/app/tickets/")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_reply_with_a_file_and_its_download(
    db_url: str, database: Database, session: Session, tmp_path: Any
) -> None:
    ticket = make_ticket(session)
    me = make_user(session)
    app = make_app(db_url, database, attachments_dir=tmp_path / "files", attachment_max_bytes=1000)
    with TestClient(app, follow_redirects=False) as client:
        token = log_in(client, me)
        sent = client.post(
            f"/app/tickets/{ticket.id}/messages",
            data={"body": "Here is the screenshot.", "kind": "reply", "csrf_token": token},
            files={"file": ("../../screen shot.png", PNG, "image/png")},
        )
        assert sent.status_code == 303
        page = client.get(f"/app/tickets/{ticket.id}").text
        link = re.search(r'href="(/app/attachments/\d+)">([^<]+)</a>', page)
        assert link and link.group(2) == "screen shot.png"  # the path is gone
        download = client.get(link.group(1))
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.headers["x-content-type-options"] == "nosniff"
        for bad, problem in [
            (("big.png", PNG * 20, "image/png"), "file: larger than"),
            (("run.sh", b"#!/bin/sh\nrm -rf /", "application/x-sh"), "content_type:"),
            (("fake.png", b"not a png at all", "image/png"), "file: the content is not"),
        ]:
            refused = client.post(
                f"/app/tickets/{ticket.id}/messages",
                data={"body": "Another file.", "kind": "reply", "csrf_token": token},
                files={"file": bad},
            )
            assert refused.status_code == 422, bad[0]
            assert problem in refused.text
            assert "Another file." in refused.text  # the draft is kept
        client.post("/app/logout", data={"csrf_token": token})
        assert client.get(link.group(1)).status_code == 303  # files need a login too
    session.expire_all()
    refreshed = session.get(Ticket, ticket.id)
    assert refreshed is not None
    assert len(refreshed.messages) == 2  # refused uploads stored no message


def test_a_failed_email_is_visible_and_can_be_sent_again(
    client: TestClient, session: Session
) -> None:
    me = make_user(session)
    ticket = make_ticket(session)
    message = reply(session, ticket_id=ticket.id, actor=me, body="Try again now.")
    assert message.delivery_status == DeliveryStatus.QUEUED
    message.delivery_status = DeliveryStatus.FAILED  # every attempt failed (tested with SMTP)
    message.delivery_attempts = 8
    message.delivery_error = "451 try again later"
    session.commit()
    token = log_in(client, me)
    page = client.get(f"/app/tickets/{ticket.id}").text
    assert "email failed after 8 attempts" in page
    assert "451 try again later" in page
    resent = client.post(f"/app/messages/{message.id}/resend", data={"csrf_token": token})
    assert resent.status_code == 303
    session.expire_all()
    again = session.get(TicketMessage, message.id)
    assert again is not None and again.delivery_status == DeliveryStatus.QUEUED
    twice = client.post(f"/app/messages/{message.id}/resend", data={"csrf_token": token})
    assert twice.status_code == 409


def test_success_outreach_from_the_staff_app(client: TestClient, session: Session) -> None:
    me = make_user(session)
    token = log_in(client, me)
    form = client.get("/app/outreach")
    assert form.status_code == 200
    missing = client.post(
        "/app/outreach",
        data={"csrf_token": token, "email": "", "subject": "Quota", "body": "Hello"},
    )
    assert missing.status_code == 422
    assert "email: the customer&#39;s email address is required" in missing.text
    opened = client.post(
        "/app/outreach",
        data={
            "csrf_token": token,
            "email": "Dana@Example.org",
            "name": "Dana",
            "subject": "You are at 90% of your monthly quota",
            "body": "Want to talk about the Scale plan before you hit the limit?",
        },
    )
    assert opened.status_code == 303
    ticket_id = int(opened.headers["location"].split("/")[3].split("?")[0])
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    assert (ticket.status, ticket.source, ticket.category, ticket.assignee_id) == (
        TicketStatus.PENDING,
        "outreach",
        "Success Outreach",
        me.id,
    )
    assert ticket.customer.email == "dana@example.org"
    assert ticket.messages[0].delivery_status == DeliveryStatus.QUEUED
    mine = client.get("/app/inbox", params={"queue": "all", "customer": ticket.customer_id})
    assert "You are at 90% of your monthly quota" in mine.text


def test_an_invalid_article_keeps_what_was_typed(client: TestClient, session: Session) -> None:
    ticket = make_ticket(session)
    token = log_in(client, make_user(session))
    refused = client.post(
        f"/app/tickets/{ticket.id}/article",
        data={"csrf_token": token, "title": "", "body": "Rotate the secret first."},
    )
    assert refused.status_code == 422
    assert "title:" in refused.text
    assert "Rotate the secret first." in refused.text
    assert session.query(Article).filter_by(source_ticket_id=ticket.id).count() == 0
