"""From negative feedback to an eval case that fails on the active version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import ingest, make_page, write
from trycatch.agent.conversations import CustomerRef, answer_question, record_feedback
from trycatch.agent.models import Rating
from trycatch.evals.cases import parse_case
from trycatch.evals.feedback import case_from_feedback, feedback_inbox, proposed_assertions
from trycatch.evals.library import get_case
from trycatch.evals.runner import run_suite
from trycatch.settings import Settings

SETTINGS = Settings(product_name="Hookrelay")
CUSTOMER = CustomerRef(email="dev@acme.example")


def docs(session: Session, root: Path) -> None:
    write(
        root,
        "endpoints/disabled.md",
        make_page(
            "Why was my endpoint disabled?",
            ("410 Gone", "An endpoint that answers 410 Gone is disabled at once."),
        ),
    )
    write(
        root,
        "security/signatures.md",
        make_page("Verify signatures", ("Header", "Compute an HMAC-SHA256 of the raw body.")),
    )
    ingest(session, root)


def rate_down(session: Session, question: str, comment: str, *, first: str | None = None) -> int:
    conversation = None
    if first is not None:
        conversation = answer_question(
            session, question=first, settings=SETTINGS, customer=CUSTOMER
        ).conversation_id
    reply = answer_question(
        session,
        question=question,
        settings=SETTINGS,
        customer=CUSTOMER,
        conversation_id=conversation,
    )
    return record_feedback(
        session,
        conversation_id=reply.conversation_id,
        message_id=reply.message_id,
        rating=Rating.DOWN,
        comment=comment,
        customer=CUSTOMER,
    ).id


def test_inbox_groups_similar_questions_with_answer_and_citations(
    session: Session, tmp_path: Path
) -> None:
    docs(session, tmp_path / "docs")
    a = rate_down(session, "Why was my endpoint disabled?", "not my case")
    b = rate_down(session, "why was my endpoint disabled??", "")
    c = rate_down(session, "Please refund my last invoice", "I wanted an answer, not a ticket")
    up = answer_question(session, question="How do I verify signatures?", settings=SETTINGS)
    record_feedback(
        session, conversation_id=up.conversation_id, message_id=up.message_id, rating=Rating.UP
    )
    groups = feedback_inbox(session)
    assert [[i.feedback_id for i in g.items] for g in groups] == [[c], [b, a]]
    refund, disabled = groups
    assert refund.items[0].kind == "unhelpful escalation"
    assert disabled.items[0].kind == "negative feedback"
    assert disabled.items[1].cited == ["endpoints/disabled.md"]
    assert disabled.items[1].answer
    assert disabled.items[1].comment == "not my case"


def test_case_from_feedback_fails_on_the_active_version(session: Session, tmp_path: Path) -> None:
    docs(session, tmp_path / "docs")
    feedback_id = rate_down(
        session, "Why was my endpoint disabled?", "it was a 500, not a 410", first="Hello"
    )
    proposals = [
        a.model_dump(exclude_defaults=True) for a in proposed_assertions(session, feedback_id)
    ]
    assert proposals == [{"not_cites": ["endpoints/disabled.md"]}, {"escalates": True}]

    expect = parse_case(
        {"name": "x", "input": "-", "expect": [proposals[0], {"escalates": True}]}, origin="t"
    ).expect
    made = case_from_feedback(
        session, feedback_id=feedback_id, expect=expect, author="ana", settings=SETTINGS
    )
    assert made.fails_on_active
    assert made.result.failure == ("not_cites: cited endpoints/disabled.md, which it must not")
    row = get_case(session, made.case.name)
    assert row.name.startswith(f"feedback-{feedback_id}-why-was-my-endpoint")
    assert row.feedback_id == feedback_id
    assert row.origin == "feedback"
    assert row.tags == [f"feedback:{feedback_id}", "new"]
    assert row.data["input"] == {
        "messages": ["Hello", "Why was my endpoint disabled?"],
        "customer": {"email": "dev@acme.example"},
    }
    # Made into a case: out of the inbox, and a new case failing fails the gate.
    assert feedback_inbox(session) == []
    assert feedback_inbox(session, include_done=True)[0].items[0].case_name == row.name
    report = run_suite(session, settings=SETTINGS, actor="ci")
    assert not report.gate.passed
    assert f"new case failed: {row.name}" in report.gate.reasons


def test_cli_feedback_list_and_to_case(session: Session, tmp_path: Path, cli: Any) -> None:
    docs(session, tmp_path / "docs")
    feedback_id = rate_down(session, "Why was my endpoint disabled?", "wrong page")
    listed = cli("feedback", "list")
    assert f"#{feedback_id} negative feedback: answered, cited endpoints/disabled.md" in (
        listed.output
    )
    unchosen = cli("feedback", "to-case", str(feedback_id))
    assert unchosen.exit_code == 2
    assert "--not-cites endpoints/disabled.md" in unchosen.output
    made = cli("feedback", "to-case", str(feedback_id), "--escalates")
    assert made.exit_code == 0, made.output
    assert "fails on the active version — escalates: expected an escalation, got answered" in (
        made.output
    )
    assert cli("feedback", "to-case", "999", "--escalates").exit_code == 1
