"""The ticket API under /api/v1/tickets, through HTTP with real API tokens: access on every
route, the ticket's life from creation to a close that the policy first refuses, search,
paging, attachments and their limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import Customer
from trycatch.desk import (
    Role,
    Scope,
    User,
    issue_api_token,
    revoke_api_token,
)
from trycatch.desk.models import Attachment
from trycatch.settings import Settings
from trycatch.store import Database, utcnow
from trycatch.tracker import issue_demand
from trycatch.web import create_app

from .desk_factories import make_article, make_customer, make_issue, make_ticket, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TAXONOMY = """\
product_areas:
  - slug: webhooks
    name: Webhooks
  - slug: domains
    name: Domains
"""
MAX_BYTES = 2_000


def make_app(db_url: str, database: Database, tmp_path: Path, **overrides: Any) -> FastAPI:
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(TAXONOMY)
    settings = Settings(
        database_url=db_url,
        api_rate_limit_per_minute=0,
        public_url="https://help.example.com/",
        attachments_dir=tmp_path / "files",
        attachment_max_bytes=MAX_BYTES,
        taxonomy_path=taxonomy,
        **overrides,
    )
    return create_app(settings, database)


@pytest.fixture
def client(db_url: str, database: Database, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(make_app(db_url, database, tmp_path)) as test_client:
        yield test_client


def token_for(session: Session, user: User, *scopes: Scope) -> dict[str, str]:
    _token, secret = issue_api_token(session, user=user, name="tests", scopes=list(scopes))
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def agent(session: Session) -> User:
    return make_user(session, role=Role.AGENT, name="Ada Agent")


@pytest.fixture
def writer(session: Session, agent: User) -> dict[str, str]:
    return token_for(session, agent, Scope.TICKETS_READ, Scope.TICKETS_WRITE)


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {
        "customer": {"email": "Carol@Example.com", "name": "Carol"},
        "subject": "Webhook deliveries fail with a 401",
        "body": "Every delivery to our endpoint fails since this morning.",
        **body,
    }
    response = client.post("/api/v1/tickets", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


# Every route of the ticket API, whether it writes, and a valid body for it.
ROUTES: list[tuple[str, str, bool, dict[str, Any] | None]] = [
    ("GET", "/api/v1/tickets", False, None),
    (
        "POST",
        "/api/v1/tickets",
        True,
        {"customer": {"email": "x@example.com"}, "subject": "s", "body": "b"},
    ),
    ("POST", "/api/v1/tickets/next", True, None),
    ("GET", "/api/v1/tickets/{id}", False, None),
    ("POST", "/api/v1/tickets/{id}/replies", True, {"body": "Hello"}),
    ("POST", "/api/v1/tickets/{id}/notes", True, {"body": "Internal"}),
    ("POST", "/api/v1/tickets/{id}/assign", True, {"assignee_id": None}),
    ("POST", "/api/v1/tickets/{id}/priority", True, {"priority": "high"}),
    ("POST", "/api/v1/tickets/{id}/flag", True, {"reason": "Looks like a regression"}),
    ("POST", "/api/v1/tickets/{id}/close", True, {}),
    ("POST", "/api/v1/tickets/{id}/attachments", True, None),
    ("GET", "/api/v1/tickets/{id}/attachments/{attachment}", False, None),
]


def test_the_route_table_covers_every_ticket_route(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {
        (
            method.upper(),
            path.replace("{ticket_id}", "{id}").replace("{attachment_id}", "{attachment}"),
        )
        for path, operations in paths.items()
        if path.startswith("/api/v1/tickets")
        for method in operations
    }
    assert documented == {(method, path) for method, path, _, _ in ROUTES}
    for path, operations in paths.items():
        if path.startswith("/api/v1/tickets"):
            for operation in operations.values():
                assert operation["security"] == [{"API token": []}]
                assert {"401", "403"} <= set(operation["responses"])


def _call(
    client: TestClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    ticket_id: int,
    attachment_id: int,
) -> Any:
    url = path.replace("{id}", str(ticket_id)).replace("{attachment}", str(attachment_id))
    if path.endswith("/attachments"):
        files = {"file": ("shot.png", PNG, "image/png")}
        return client.post(url, files=files, data={"message_id": "1"}, headers=headers)
    return client.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "writes", "body"), ROUTES)
def test_every_route_is_protected(
    client: TestClient,
    session: Session,
    agent: User,
    method: str,
    path: str,
    writes: bool,
    body: dict[str, Any] | None,
) -> None:
    ticket = make_ticket(session)
    attachment_id = 1
    viewer = make_user(session, role=Role.VIEWER)
    revoked_token, secret = issue_api_token(
        session, user=agent, name="old", scopes=[Scope.TICKETS_READ, Scope.TICKETS_WRITE]
    )
    revoke_api_token(session, token_id=revoked_token.id, actor=agent)
    revoked_headers = {"Authorization": f"Bearer {secret}"}
    tokens = {
        "viewer": token_for(session, viewer, Scope.TICKETS_READ),
        "read_only_agent": token_for(session, agent, Scope.TICKETS_READ),
        "write_only_agent": token_for(session, agent, Scope.TICKETS_WRITE),
        "issues_only_agent": token_for(session, agent, Scope.ISSUES_WRITE),
    }

    def status(headers: dict[str, str]) -> int:
        response = _call(
            client, method, path, body, headers, ticket_id=ticket.id, attachment_id=attachment_id
        )
        return int(response.status_code)

    missing = _call(client, method, path, body, {}, ticket_id=ticket.id, attachment_id=1)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for bad in ("Bearer tc_forged", "Bearer ", "Basic dXNlcjpwYXNz", "tc_no_scheme"):
        assert status({"Authorization": bad}) == 401, bad
    revoked = _call(
        client, method, path, body, revoked_headers, ticket_id=ticket.id, attachment_id=1
    )
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["WWW-Authenticate"]
    assert status(tokens["issues_only_agent"]) == 403
    if writes:
        assert status(tokens["viewer"]) == 403
        assert status(tokens["read_only_agent"]) == 403
        assert status(tokens["write_only_agent"]) not in {401, 403}
    else:
        assert status(tokens["write_only_agent"]) == 403
        # A viewer reads (the attachment does not exist: 404, past the access check).
        assert status(tokens["viewer"]) in {200, 404}
        assert status(tokens["read_only_agent"]) in {200, 404}


def test_an_inactive_users_token_stops_working(
    client: TestClient, session: Session, agent: User, writer: dict[str, str]
) -> None:
    assert client.get("/api/v1/tickets", headers=writer).status_code == 200
    agent.active = False
    session.commit()
    assert client.get("/api/v1/tickets", headers=writer).status_code == 401


def test_create_list_get_reply_and_close(
    client: TestClient, session: Session, writer: dict[str, str]
) -> None:
    created = create(client, writer, customer={"email": "Carol@Example.com", "name": "Carol"})
    assert created["status"] == "open"
    assert created["source"] == "api"
    assert created["customer"]["email"] == "carol@example.com"
    key = created["customer_url"].removeprefix("https://help.example.com/tickets/")
    assert len(key) >= 40 and "/" not in key
    # The same customer is found, not created again, by the email in any case.
    create(client, writer, customer={"email": "carol@example.com"}, subject="Second question")
    assert session.scalars(select(Customer)).all().__len__() == 1

    listed = client.get("/api/v1/tickets", headers=writer).json()
    assert [t["subject"] for t in listed["items"]] == ["Second question", created["subject"]]
    assert listed["next_before_id"] is None

    ticket_url = f"/api/v1/tickets/{created['id']}"
    reply = client.post(f"{ticket_url}/replies", json={"body": "Rotate the key."}, headers=writer)
    assert reply.status_code == 201
    assert reply.json()["kind"] == "reply"
    assert reply.json()["author"]["name"] == "Ada Agent"
    note = client.post(
        f"{ticket_url}/notes", json={"body": "Customer on legacy plan"}, headers=writer
    )
    assert note.status_code == 201

    detail = client.get(ticket_url, headers=writer).json()
    assert detail["status"] == "pending"
    assert [m["kind"] for m in detail["messages"]] == ["customer", "reply", "note"]
    assert detail["first_response_at"] is not None
    assert detail["outcomes"] == []

    refused = client.post(f"{ticket_url}/close", json={}, headers=writer)
    assert refused.status_code == 422
    assert {tuple(d["loc"]) for d in refused.json()["detail"]} == {
        ("body", "category"),
        ("body", "product_area"),
        ("body", "outcomes"),
    }
    wrong = client.post(
        f"{ticket_url}/close",
        json={
            "category": "Nonsense",
            "product_area": "webhooks",
            "outcomes": [{"kind": "docs_change", "url": "not a url"}, {"kind": "no_action"}],
        },
        headers=writer,
    )
    assert wrong.status_code == 422
    assert [d["loc"] for d in wrong.json()["detail"]] == [
        ["body", "category"],
        ["body", "outcomes", 0, "url"],
        ["body", "outcomes", 1, "reason"],
    ]
    assert client.get(ticket_url, headers=writer).json()["status"] == "pending"

    article = make_article(session)
    closed = client.post(
        f"{ticket_url}/close",
        json={
            "category": "reliability",
            "product_area": "Webhooks",
            "outcomes": [
                {"kind": "kb_article", "article_id": article.id},
                {"kind": "pull_request", "url": "https://github.com/acme/app/pull/7"},
            ],
        },
        headers=writer,
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["category"], body["product_area"]) == (
        "closed",
        "Reliability",
        "webhooks",
    )
    assert [o["kind"] for o in body["outcomes"]] == ["kb_article", "pull_request"]
    again = client.post(f"{ticket_url}/replies", json={"body": "One more"}, headers=writer)
    assert again.status_code == 409


def test_assign_priority_flag_and_their_errors(
    client: TestClient, session: Session, agent: User, writer: dict[str, str]
) -> None:
    ticket = create(client, writer)
    url = f"/api/v1/tickets/{ticket['id']}"
    assigned = client.post(f"{url}/assign", json={"assignee_id": agent.id}, headers=writer)
    assert assigned.json()["assignee"]["id"] == agent.id
    viewer = make_user(session, role=Role.VIEWER)
    refused = client.post(f"{url}/assign", json={"assignee_id": viewer.id}, headers=writer)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "assignee_id"]
    flagged = client.post(f"{url}/flag", json={"reason": "Signature check broke"}, headers=writer)
    assert (flagged.json()["flagged"], flagged.json()["priority"]) == (True, "high")
    lowered = client.post(f"{url}/priority", json={"priority": "low"}, headers=writer)
    assert lowered.status_code == 422
    assert lowered.json()["detail"][0]["loc"] == ["body", "priority"]
    urgent = client.post(f"{url}/priority", json={"priority": "urgent"}, headers=writer)
    assert urgent.json()["priority"] == "urgent"
    assert client.get("/api/v1/tickets/999999", headers=writer).status_code == 404
    assert client.get("/api/v1/tickets/99999999999", headers=writer).status_code == 422
    unknown = client.post(f"{url}/priority", json={"priority": "whenever"}, headers=writer)
    assert unknown.status_code == 422
    extra = client.post(f"{url}/replies", json={"body": "x", "cc": "y"}, headers=writer)
    assert extra.status_code == 422


def test_outreach_tickets_start_pending_and_assigned(
    client: TestClient, agent: User, writer: dict[str, str]
) -> None:
    ticket = create(client, writer, source="outreach", subject="Your domain expires soon")
    assert ticket["status"] == "pending"
    assert ticket["assignee"]["id"] == agent.id
    assert ticket["category"] == "Success Outreach"


def test_full_text_search_and_filters(
    client: TestClient, session: Session, writer: dict[str, str]
) -> None:
    create(client, writer, subject="Domain verification stuck", body="The TXT record is set.")
    other = create(client, writer, subject="Invoice question", body="Charged twice in March.")
    create(client, writer, customer={"email": "dan@example.com"}, subject="Webhook retries")

    def subjects(**params: Any) -> list[str]:
        response = client.get("/api/v1/tickets", params=params, headers=writer)
        assert response.status_code == 200, response.text
        return [t["subject"] for t in response.json()["items"]]

    assert subjects(q="txt record") == ["Domain verification stuck"]
    assert subjects(q="charged") == ["Invoice question"]
    assert subjects(q="verif") == ["Domain verification stuck"]  # the last word is a prefix
    assert subjects(q="nothing like this") == []
    dan = session.scalars(select(Customer).where(Customer.email == "dan@example.com")).one()
    assert subjects(customer_id=dan.id) == ["Webhook retries"]
    client.post(
        f"/api/v1/tickets/{other['id']}/replies", json={"body": "Refunded."}, headers=writer
    )
    assert subjects(status="pending") == ["Invoice question"]
    assert subjects(queue="pending") == ["Invoice question"]
    assert subjects(queue="unassigned", q="webhook") == ["Webhook retries"]
    bad = client.get("/api/v1/tickets", params={"status": "lost"}, headers=writer)
    assert bad.json()["detail"][0]["loc"] == ["query", "status"]


def test_keyset_paging_visits_every_ticket_once(
    client: TestClient, session: Session, writer: dict[str, str]
) -> None:
    customer = make_customer(session)
    opened = [make_ticket(session, customer=customer, subject=f"Question {n}").id for n in range(7)]
    seen: list[int] = []
    before: int | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if before is not None:
            params["before_id"] = before
        page = client.get("/api/v1/tickets", params=params, headers=writer).json()
        seen += [t["id"] for t in page["items"]]
        pages += 1
        before = page["next_before_id"]
        if before is None:
            break
    assert seen == sorted(opened, reverse=True)
    assert pages == 3
    missing = client.get("/api/v1/tickets", params={"before_id": 999999}, headers=writer)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "before_id"]
    too_many = client.get("/api/v1/tickets", params={"limit": 500}, headers=writer)
    assert too_many.json()["detail"][0]["loc"] == ["query", "limit"]


def upload(
    client: TestClient,
    headers: dict[str, str],
    ticket_id: int,
    message_id: int,
    *,
    name: str = "screenshot.png",
    data: bytes = PNG,
    content_type: str = "image/png",
) -> Any:
    return client.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        files={"file": (name, data, content_type)},
        data={"message_id": str(message_id)},
        headers=headers,
    )


def test_attachments_are_stored_listed_and_downloaded(
    client: TestClient, session: Session, writer: dict[str, str], tmp_path: Path
) -> None:
    ticket = create(client, writer)
    message_id = client.get(f"/api/v1/tickets/{ticket['id']}", headers=writer).json()["messages"][
        0
    ]["id"]
    response = upload(client, writer, ticket["id"], message_id, name="../../etc/shot.png")
    assert response.status_code == 201, response.text
    stored = response.json()
    assert (stored["filename"], stored["size"], stored["message_id"]) == (
        "shot.png",
        len(PNG),
        message_id,
    )
    row = session.get(Attachment, stored["id"])
    assert row is not None
    assert (tmp_path / "files" / row.storage_key).read_bytes() == PNG
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=writer).json()
    assert detail["messages"][0]["attachments"][0]["id"] == stored["id"]

    download = client.get(stored["url"], headers=writer)
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    # Through another ticket's URL it does not exist.
    other = create(client, writer, subject="Another")
    wrong = client.get(f"/api/v1/tickets/{other['id']}/attachments/{stored['id']}", headers=writer)
    assert wrong.status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "content_type", "field", "message"),
    [
        ("big.png", PNG + b"\x00" * MAX_BYTES, "image/png", "file", "larger than"),
        ("empty.txt", b"", "text/plain", "file", "is empty"),
        ("page.html", b"<script>alert(1)</script>", "text/html", "content_type", "not accepted"),
        ("fake.png", b"MZ\x90\x00 not a png", "image/png", "file", "not image/png"),
        ("fake.pdf", PNG, "application/pdf", "file", "not application/pdf"),
        ("bin.txt", b"\x00\x01\x02binary", "text/plain", "file", "not text/plain"),
        ("../..", b"hello", "text/plain", "filename", "must name a file"),
    ],
)
def test_attachment_limits_are_clear_422s(
    client: TestClient,
    session: Session,
    writer: dict[str, str],
    name: str,
    data: bytes,
    content_type: str,
    field: str,
    message: str,
) -> None:
    ticket = create(client, writer)
    message_id = client.get(f"/api/v1/tickets/{ticket['id']}", headers=writer).json()["messages"][
        0
    ]["id"]
    response = upload(
        client, writer, ticket["id"], message_id, name=name, data=data, content_type=content_type
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", field]
    assert message in detail["msg"]
    assert session.scalars(select(Attachment)).all() == []


def test_an_attachment_goes_only_on_a_message_of_its_ticket(
    client: TestClient, writer: dict[str, str]
) -> None:
    first = create(client, writer)
    second = create(client, writer, subject="Other")
    foreign = client.get(f"/api/v1/tickets/{second['id']}", headers=writer).json()["messages"][0]
    response = upload(client, writer, first["id"], foreign["id"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "message_id"]


def test_next_ticket_is_a_post_and_strict_mode_holds_it(
    db_url: str, database: Database, tmp_path: Path, session: Session, agent: User
) -> None:
    headers = token_for(session, agent, Scope.TICKETS_READ, Scope.TICKETS_WRITE)
    with TestClient(make_app(db_url, database, tmp_path, desk_strict_mode=True)) as client:
        assert client.post("/api/v1/tickets/next", headers=headers).status_code == 204
        assert client.get("/api/v1/tickets/next", headers=headers).status_code in {404, 405, 422}
        first = make_ticket(session, subject="First")
        make_ticket(session, subject="Second")
        taken = client.post("/api/v1/tickets/next", headers=headers)
        assert taken.status_code == 200
        assert (taken.json()["id"], taken.json()["assignee"]["id"]) == (first.id, agent.id)
        draft = make_article(session, published=False, title="Rotating signing keys")
        closed = client.post(
            f"/api/v1/tickets/{first.id}/close",
            json={
                "category": "Usability",
                "product_area": "webhooks",
                "outcomes": [{"kind": "kb_article", "article_id": draft.id}],
            },
            headers=headers,
        )
        assert closed.status_code == 200, closed.text
        blocked = client.post("/api/v1/tickets/next", headers=headers)
        assert blocked.status_code == 409
        body = blocked.json()
        assert [p["article_id"] for p in body["pending_articles"]] == [draft.id]
        assert draft.slug in body["detail"]


def test_ticket_errors_are_json(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post("/api/v1/tickets/424242/replies", json={"body": "x"}, headers=writer)
    assert response.status_code == 404
    assert response.json() == {"detail": "Ticket not found."}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"body": "before\x00after"}, ["body", "body"]),
        ({"subject": "nul\x00"}, ["body", "subject"]),
        ({"customer": {"email": "a\x00b@example.com"}}, ["body", "customer", "email"]),
        ({"customer": {"email": "a@example.com", "name": "\x00"}}, ["body", "customer", "name"]),
        ({"customer": {"email": "not-an-email"}}, ["body", "customer", "email"]),
        ({"source": "agent"}, ["body", "source"]),
    ],
)
def test_bad_ticket_input_is_a_422_naming_the_field(
    client: TestClient, writer: dict[str, str], body: dict[str, Any], loc: list[str]
) -> None:
    payload = {"customer": {"email": "c@example.com"}, "subject": "s", "body": "b", **body}
    response = client.post("/api/v1/tickets", json=payload, headers=writer)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_closing_with_an_engineering_issue_counts_the_customer_towards_its_demand(
    client: TestClient, writer: dict[str, str], session: Session
) -> None:
    issue = make_issue(session)
    for email in ("a@example.com", "b@example.com"):
        ticket = create(client, writer, customer={"email": email})
        closed = client.post(
            f"/api/v1/tickets/{ticket['id']}/close",
            json={
                "category": "Functional",
                "product_area": "webhooks",
                "outcomes": [{"kind": "engineering_issue", "engineering_issue_id": issue.id}],
            },
            headers=writer,
        )
        assert closed.status_code == 200, closed.text
    demand = issue_demand(session, since=utcnow() - timedelta(days=1))
    assert [(d.issue.id, d.ticket_count, d.unique_customers) for d in demand] == [(issue.id, 2, 2)]
