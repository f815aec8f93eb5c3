"""A KB article drafted from a ticket: from its own text offline, by the model when one is set."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.desk_factories import make_ticket, make_user
from trycatch.desk import Role, add_note, reply
from trycatch.desk.access import PermissionDenied
from trycatch.desk.drafts import NO_ANSWER_YET, draft_article
from trycatch.settings import Settings
from trycatch.testing.openai_server import fake_openai, tool_call

OFFLINE = Settings(database_url="sqlite://")


def test_offline_the_question_is_the_title_and_the_staff_answer_the_body(
    session: Session,
) -> None:
    me = make_user(session)
    ticket = make_ticket(session, subject="How do I rotate a signing secret?!")
    reply(
        session,
        ticket_id=ticket.id,
        actor=me,
        body="Hi Jo,\n\nOpen Endpoints → Secrets and press **Rotate**.\n"
        "Both secrets verify for 24 hours.\n\nBest regards,\nMe",
    )
    add_note(session, ticket_id=ticket.id, actor=me, body="Internal: customer is on Pro.")
    reply(session, ticket_id=ticket.id, actor=me, body="Hello again,\nAlso update your SDK.")
    draft = draft_article(session, actor=me, ticket_id=ticket.id, settings=OFFLINE)
    assert draft.title == "How do I rotate a signing secret?"
    assert draft.body == (
        "Open Endpoints → Secrets and press **Rotate**.\nBoth secrets verify for 24 hours."
        "\n\nAlso update your SDK."
    )
    assert "Internal" not in draft.body  # notes never reach an article
    assert draft.drafted_by == "ticket"


def test_a_ticket_without_an_answer_yet_gets_a_placeholder(session: Session) -> None:
    me = make_user(session)
    ticket = make_ticket(session)
    assert draft_article(session, actor=me, ticket_id=ticket.id, settings=OFFLINE).body == (
        NO_ANSWER_YET
    )


def test_a_viewer_cannot_draft(session: Session) -> None:
    ticket = make_ticket(session)
    with pytest.raises(PermissionDenied):
        draft_article(
            session,
            actor=make_user(session, role=Role.VIEWER),
            ticket_id=ticket.id,
            settings=OFFLINE,
        )


def _drafting_model(request: dict[str, Any]) -> dict[str, Any]:
    transcript = request["messages"][-1]["content"]
    assert "Support: Open Endpoints" in transcript  # the model sees the conversation
    return tool_call(
        "final_result",
        {"title": "How do I rotate a signing secret?", "body": "Rotate it under **Secrets**."},
    )


def test_a_configured_model_writes_the_draft(session: Session) -> None:
    me = make_user(session)
    ticket = make_ticket(session, subject="rotate secret??")
    reply(session, ticket_id=ticket.id, actor=me, body="Open Endpoints → Secrets, press Rotate.")
    with fake_openai(_drafting_model) as server:
        settings = Settings(
            database_url="sqlite://",
            agent_provider="openai",
            agent_model="fake",
            agent_base_url=server.base_url,
        )
        draft = draft_article(session, actor=me, ticket_id=ticket.id, settings=settings)
    assert draft.drafted_by == "model"
    assert draft.title == "How do I rotate a signing secret?"
    assert draft.body == "Rotate it under **Secrets**."


def test_a_failing_model_still_leaves_a_draft(session: Session) -> None:
    me = make_user(session)
    ticket = make_ticket(session, subject="rotate secret")
    reply(session, ticket_id=ticket.id, actor=me, body="Open Endpoints → Secrets, press Rotate.")
    with fake_openai(_drafting_model) as server:
        server.status = 500
        settings = Settings(
            database_url="sqlite://",
            agent_provider="openai",
            agent_model="fake",
            agent_base_url=server.base_url,
            agent_timeout_seconds=5,
        )
        draft = draft_article(session, actor=me, ticket_id=ticket.id, settings=settings)
    assert draft.drafted_by == "ticket"
    assert draft.body == "Open Endpoints → Secrets, press Rotate."
