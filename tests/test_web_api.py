"""The JSON API under /api/v1, through HTTP: contract, validation, access, limits, streams."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import Feedback, Handoff, Rating
from trycatch.knowledge.sample import ingest_sample
from trycatch.settings import Settings
from trycatch.store import Database
from trycatch.web import create_app
from trycatch.web.ratelimit import RateLimiter

QUESTION = "Why was my endpoint disabled?"
ALICE = {"email": "alice@example.com", "name": "Alice"}
BOB = {"email": "bob@example.com"}


def make_app(db_url: str, database: Database, **overrides: Any) -> FastAPI:
    settings = Settings(database_url=db_url, product_name="Hookrelay", **overrides)
    return create_app(settings, database)


@pytest.fixture
def sample(session: Session) -> None:
    ingest_sample(session, max_file_bytes=2_000_000, boilerplate_share=0.5)


@pytest.fixture
def client(db_url: str, database: Database, sample: None) -> Iterator[TestClient]:
    with TestClient(make_app(db_url, database)) as test_client:
        yield test_client


def start(client: TestClient, message: str = QUESTION, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/conversations", json={"message": message, **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def parse_events(text: str) -> list[tuple[str, Any]]:
    """A text/event-stream body as (event, data) pairs."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_health_check(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_a_question_is_answered_with_citations(client: TestClient) -> None:
    reply = start(client)
    assert reply["outcome"] == "answered"
    assert reply["escalated"] is False
    assert "/knowledge-base/why-was-my-endpoint-disabled" in {c["url"] for c in reply["citations"]}
    assert set(reply) == {
        "outcome",
        "answer",
        "citations",
        "escalated",
        "escalation_reason",
        "confidence",
        "conversation_id",
        "message_id",
        "ticket_url",
    }
    assert reply["ticket_url"] is None  # only an escalation opens a ticket
    follow_up = client.post(
        f"/api/v1/conversations/{reply['conversation_id']}/messages",
        json={"message": "How do I re-enable it?"},
    )
    assert follow_up.status_code == 200
    assert follow_up.json()["conversation_id"] == reply["conversation_id"]
    assert follow_up.json()["message_id"] > reply["message_id"]


def test_the_transcript_lists_both_sides(client: TestClient) -> None:
    reply = start(client, customer=ALICE)
    response = client.get(
        f"/api/v1/conversations/{reply['conversation_id']}",
        params={"customer_email": "ALICE@example.com"},
    )
    assert response.status_code == 200
    transcript = response.json()
    assert [m["role"] for m in transcript["messages"]] == ["customer", "agent"]
    assert transcript["messages"][0]["text"] == QUESTION
    assert transcript["messages"][1]["id"] == reply["message_id"]
    assert transcript["messages"][1]["citations"] == reply["citations"]
    assert transcript["outcome"] == "answered"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": ""}, "message"),
        ({"message": "   \n\t "}, "message"),
        ({}, "message"),
        ({"message": 42}, "message"),
        ({"message": ["a list"]}, "message"),
        ({"message": "hi", "customer": {"email": "not-an-email"}}, "email"),
        ({"message": "hi", "customer": "alice"}, "customer"),
        ({"message": "hi", "channel": "fax"}, "channel"),
        ({"message": "hi", "surprise": True}, "surprise"),
    ],
)
def test_invalid_input_is_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/conversations", json=body)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


def test_a_message_over_the_configured_limit_is_422_naming_the_field(
    db_url: str, database: Database
) -> None:
    with TestClient(make_app(db_url, database, agent_max_question_chars=200)) as client:
        response = client.post("/api/v1/conversations", json={"message": "x" * 201})
        assert response.status_code == 422
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "message"]
        assert "200" in error["msg"]
        assert client.post("/api/v1/conversations", json={"message": "x" * 200}).status_code == 201


def test_a_follow_up_is_validated_too(client: TestClient) -> None:
    reply = start(client)
    response = client.post(
        f"/api/v1/conversations/{reply['conversation_id']}/messages", json={"message": " "}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "message"]


def test_a_customers_conversation_is_hidden_from_everyone_else(client: TestClient) -> None:
    mine = start(client, customer=ALICE)["conversation_id"]
    url = f"/api/v1/conversations/{mine}"
    allowed = [{"customer_email": "alice@example.com"}]
    denied: list[dict[str, str]] = [{}, {"customer_email": "bob@example.com"}]
    denied.append({"customer_external_id": "alice@example.com"})
    for params in allowed:
        assert client.get(url, params=params).status_code == 200
    for params in denied:
        response = client.get(url, params=params)
        assert response.status_code == 404, params
        assert response.json() == {"detail": "Conversation not found."}
    # Writing to it is refused the same way.
    for customer in (None, BOB):
        body: dict[str, Any] = {"message": "Show me the answer"}
        if customer:
            body["customer"] = customer
        assert client.post(f"{url}/messages", json=body).status_code == 404
        assert client.post(f"{url}/handoff", json={"customer": customer}).status_code == 404


def test_forged_and_neighbouring_ids_are_not_found(client: TestClient) -> None:
    alice = start(client, customer=ALICE)
    bob = start(client, customer=BOB)
    for forged in ("nope", "1", alice["conversation_id"][:-1] + "x", "%2e%2e", "x" * 500):
        assert client.get(f"/api/v1/conversations/{forged}").status_code == 404
    alice_url = f"/api/v1/conversations/{alice['conversation_id']}"
    for params in ({"customer_email": "not an email"}, {"customer_external_id": "' OR 1=1"}):
        assert client.get(alice_url, params=params).status_code == 404
    for message_id in (0, -1, 2**40):
        response = client.post(f"{alice_url}/messages/{message_id}/feedback", json={"rating": "up"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "message_id"]
    # Bob's own identity does not open Alice's conversation, nor her answers.
    assert client.get(alice_url, params={"customer_email": BOB["email"]}).status_code == 404
    feedback = {"rating": "down", "customer": BOB}
    response = client.post(f"{alice_url}/messages/{alice['message_id']}/feedback", json=feedback)
    assert response.status_code == 404
    # A message id from another conversation is not found in this one.
    bob_url = f"/api/v1/conversations/{bob['conversation_id']}"
    response = client.post(
        f"{bob_url}/messages/{alice['message_id']}/feedback", json={"rating": "up", "customer": BOB}
    )
    assert response.status_code == 404


def test_feedback_is_stored(client: TestClient, session: Session) -> None:
    reply = start(client)
    url = f"/api/v1/conversations/{reply['conversation_id']}/messages/{reply['message_id']}"
    response = client.post(
        f"{url}/feedback", json={"rating": "down", "comment": "  It did not say how.  "}
    )
    assert response.status_code == 201
    assert response.json()["rating"] == "down"
    stored = session.scalars(select(Feedback)).one()
    assert (stored.message_id, stored.rating, stored.comment) == (
        reply["message_id"],
        Rating.DOWN,
        "It did not say how.",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "meh"}, "rating"),
        ({}, "rating"),
        ({"rating": "up", "comment": "x" * 2001}, "comment"),
    ],
)
def test_invalid_feedback_is_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    reply = start(client)
    url = f"/api/v1/conversations/{reply['conversation_id']}/messages/{reply['message_id']}"
    response = client.post(f"{url}/feedback", json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]


def test_feedback_on_the_customers_own_message_is_not_found(client: TestClient) -> None:
    reply = start(client)
    customer_message = reply["message_id"] - 1
    url = f"/api/v1/conversations/{reply['conversation_id']}/messages/{customer_message}"
    assert client.post(f"{url}/feedback", json={"rating": "up"}).status_code == 404


def test_talk_to_a_human_escalates(client: TestClient, session: Session) -> None:
    reply = start(client, customer=ALICE)
    response = client.post(
        f"/api/v1/conversations/{reply['conversation_id']}/handoff", json={"customer": ALICE}
    )
    assert response.status_code == 200
    handoff = response.json()
    assert handoff["outcome"] == "escalated"
    assert handoff["escalated"] is True
    assert handoff["escalation_reason"] == "The customer asked for a human."
    assert handoff["conversation_id"] == reply["conversation_id"]
    stored = session.scalars(select(Handoff)).one()
    assert stored.message_id == handoff["message_id"]
    assert [turn["role"] for turn in stored.transcript] == ["customer", "agent"] * 2


def test_an_anonymous_conversation_can_be_handed_over_without_a_body(client: TestClient) -> None:
    reply = start(client)
    response = client.post(f"/api/v1/conversations/{reply['conversation_id']}/handoff")
    assert response.status_code == 200
    assert response.json()["outcome"] == "escalated"


def test_search_follows_the_contract(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "endpoint disabled", "limit": 3})
    assert response.status_code == 200
    results = response.json()
    assert 1 <= len(results) <= 3
    assert all(set(r) == {"path", "title", "url", "score", "snippet"} for r in results)
    assert results[0]["url"].startswith("/")
    assert "**" in results[0]["snippet"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "   "}, "q"), ({"q": "x", "limit": 0}, "limit")],
)
def test_search_validates_its_parameters(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_replies_stream_as_server_sent_events(client: TestClient) -> None:
    response = client.post(
        "/api/v1/conversations/stream",
        json={"message": QUESTION, "channel": "widget"},
        headers={"Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_events(response.text)
    assert [name for name, _ in events] == ["answer", "done"]
    answer = events[0][1]
    assert answer["outcome"] == "answered"
    assert answer["citations"]

    follow_up = client.post(
        f"/api/v1/conversations/{answer['conversation_id']}/messages/stream",
        json={"message": "Can I talk to a human?"},
    )
    (name, reply), (last, _) = parse_events(follow_up.text)
    assert (name, last) == ("answer", "done")
    assert reply["conversation_id"] == answer["conversation_id"]
    assert reply["outcome"] == "escalated"


def test_a_stream_that_cannot_start_is_a_plain_http_error(client: TestClient) -> None:
    response = client.post("/api/v1/conversations/stream", json={"message": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "message"]
    response = client.post("/api/v1/conversations/forged/messages/stream", json={"message": "hi"})
    assert response.status_code == 404


def test_clients_are_rate_limited_by_ip(db_url: str, database: Database) -> None:
    app = make_app(db_url, database, api_rate_limit_per_minute=3)
    with (
        TestClient(app, client=("203.0.113.7", 1000)) as first,
        TestClient(app, client=("203.0.113.8", 1000)) as second,
    ):
        statuses = [first.get("/api/v1/search", params={"q": "key"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = first.post("/api/v1/conversations", json={"message": QUESTION})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        # Another client has its own allowance; pages and health checks are not limited.
        assert second.get("/api/v1/search", params={"q": "key"}).status_code == 200
        assert first.get("/healthz").status_code == 200


def test_the_token_bucket_refills_over_time() -> None:
    now = [1000.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(30.0)
    now[0] += 29.0
    assert limiter.take("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("a") == 0.0
    assert RateLimiter(per_minute=0).take("a") == 0.0  # 0 turns the limit off


def test_openapi_documents_every_route(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/conversations": {"post"},
        "/api/v1/conversations/stream": {"post"},
        "/api/v1/conversations/{conversation_id}": {"get"},
        "/api/v1/conversations/{conversation_id}/messages": {"post"},
        "/api/v1/conversations/{conversation_id}/messages/stream": {"post"},
        "/api/v1/conversations/{conversation_id}/messages/{message_id}/feedback": {"post"},
        "/api/v1/conversations/{conversation_id}/handoff": {"post"},
        "/api/v1/search": {"get"},
        "/api/v1/tickets": {"get", "post"},
        "/api/v1/tickets/next": {"post"},
        "/api/v1/tickets/{ticket_id}": {"get"},
        "/api/v1/tickets/{ticket_id}/replies": {"post"},
        "/api/v1/tickets/{ticket_id}/notes": {"post"},
        "/api/v1/tickets/{ticket_id}/assign": {"post"},
        "/api/v1/tickets/{ticket_id}/priority": {"post"},
        "/api/v1/tickets/{ticket_id}/flag": {"post"},
        "/api/v1/tickets/{ticket_id}/close": {"post"},
        "/api/v1/tickets/{ticket_id}/attachments": {"post"},
        "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}": {"get"},
        "/healthz": {"get"},
        "/hooks/email": {"post"},
    }
    assert {path: set(ops) for path, ops in paths.items()} == expected
    start_op = paths["/api/v1/conversations"]["post"]
    assert {"201", "404", "422", "429"} <= set(start_op["responses"])
    stream = paths["/api/v1/conversations/stream"]["post"]["responses"]["200"]
    assert "text/event-stream" in stream["content"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", docs.text)
    assert assets
    assert all(asset.startswith("/") for asset in assets), assets  # no CDN
    assert all(client.get(asset).status_code == 200 for asset in assets)


def test_unknown_api_paths_are_json_404s(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_the_widget_may_call_the_api_from_another_origin(client: TestClient) -> None:
    response = client.options(
        "/api/v1/conversations",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in {"*", "https://shop.example.com"}
