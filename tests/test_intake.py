"""Agent escalations become tickets at once, through the API and ``trycatch ask``; answered
questions open none."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import Handoff, HandoffStatus
from trycatch.channels.intake import ask_agent
from trycatch.desk import MessageKind, Ticket, TicketSource, TicketStatus
from trycatch.knowledge.sample import ingest_sample
from trycatch.settings import Settings
from trycatch.store import Database, Event
from trycatch.web import create_app

ANSWERED = "Why was my endpoint disabled?"
ESCALATED = "I was charged twice, please refund me"
PUBLIC_URL = "https://help.example.com"


@pytest.fixture
def sample(session: Session) -> None:
    ingest_sample(session, max_file_bytes=2_000_000, boilerplate_share=0.5)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, product_name="Hookrelay", public_url=PUBLIC_URL + "/")


@pytest.fixture
def client(settings: Settings, database: Database, sample: None) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as test_client:
        yield test_client


def tickets(database: Database) -> list[Ticket]:
    with database.session() as fresh:
        rows = list(fresh.scalars(select(Ticket).order_by(Ticket.id)))
        for row in rows:
            _ = row.messages, row.customer, row.handoff
        fresh.expunge_all()
        return rows


def test_an_escalation_through_the_api_opens_one_ticket(
    client: TestClient, database: Database
) -> None:
    response = client.post(
        "/api/v1/conversations",
        json={"message": ESCALATED, "customer": {"email": "ann@example.com", "name": "Ann"}},
    )
    assert response.status_code == 201
    reply = response.json()
    assert reply["outcome"] == "escalated"
    (ticket,) = tickets(database)
    assert reply["ticket_url"] == f"{PUBLIC_URL}/tickets/{ticket.key}"
    assert ticket.source == TicketSource.AGENT
    assert ticket.status == TicketStatus.OPEN
    assert ticket.assignee_id is None
    assert ticket.customer.email == "ann@example.com"
    assert ticket.subject == ESCALATED
    assert [(m.kind, m.body) for m in ticket.messages] == [(MessageKind.CUSTOMER, ESCALATED)]
    assert ticket.handoff is not None
    assert ticket.handoff.message_id == reply["message_id"]
    assert ticket.handoff.status == HandoffStatus.TAKEN
    with database.session() as fresh:
        opened = fresh.scalars(select(Event).where(Event.action == "ticket.opened")).one()
        assert opened.actor == "system:agent"
    # The link works: the customer reads their ticket in the help center.
    page = client.get(reply["ticket_url"].removeprefix(PUBLIC_URL))
    assert page.status_code == 200
    assert ESCALATED in page.text


def test_an_answered_question_opens_no_ticket(client: TestClient, database: Database) -> None:
    reply = client.post("/api/v1/conversations", json={"message": ANSWERED}).json()
    assert reply["outcome"] == "answered"
    assert reply["ticket_url"] is None
    assert tickets(database) == []


def test_talk_to_a_human_in_an_anonymous_conversation_opens_a_ticket(
    client: TestClient, database: Database
) -> None:
    start = client.post("/api/v1/conversations", json={"message": ANSWERED}).json()
    handed = client.post(f"/api/v1/conversations/{start['conversation_id']}/handoff").json()
    assert handed["outcome"] == "escalated"
    (ticket,) = tickets(database)
    assert handed["ticket_url"].endswith(ticket.key)
    assert ticket.customer.email is None
    assert ticket.customer.name.startswith("Anonymous visitor")
    # The whole conversation's customer side is the ticket's first message.
    assert ANSWERED in ticket.messages[0].body


def test_the_stream_carries_the_ticket_link_too(client: TestClient, database: Database) -> None:
    response = client.post("/api/v1/conversations/stream", json={"message": ESCALATED})
    answer = json.loads(response.text.split("data: ", 1)[1].split("\n", 1)[0])
    (ticket,) = tickets(database)
    assert answer["ticket_url"] == f"{PUBLIC_URL}/tickets/{ticket.key}"


def test_ask_agent_returns_the_reply_and_its_ticket(
    session: Session, settings: Settings, sample: None
) -> None:
    answered = ask_agent(session, question=ANSWERED, settings=settings)
    assert (answered.reply.outcome, answered.ticket) == ("answered", None)
    escalated = ask_agent(session, question=ESCALATED, settings=settings, channel="widget")
    assert escalated.ticket is not None
    handoff = session.scalars(select(Handoff)).one()
    assert escalated.ticket.handoff_id == handoff.id


def test_trycatch_ask_escalation_opens_a_ticket(
    cli: Callable[..., Any], database: Database, session: Session, sample: None
) -> None:
    result = cli("ask", ESCALATED, "--json")
    reply = json.loads(result.stdout)
    assert reply["outcome"] == "escalated"
    assert "ticket_url" not in reply  # the CLI's JSON contract is unchanged
    (ticket,) = tickets(database)
    assert ticket.source == TicketSource.AGENT
    assert ticket.subject == ESCALATED
    cli("ask", ANSWERED, "--json")
    assert len(tickets(database)) == 1
    handoffs = json.loads(cli("handoffs", "list", "--json").stdout)
    assert [h["status"] for h in handoffs] == ["taken"]
