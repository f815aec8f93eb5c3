"""The offline responder: answers extractively with real citations, escalates bug reports
with a summary, declines what the docs do not cover — through the whole agent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import ingest, make_page, write
from trycatch.agent.conversations import answer_question, list_handoffs
from trycatch.agent.models import ConversationMessage
from trycatch.agent.offline import LINKS_HEADER, compose, read_message
from trycatch.knowledge.models import Document
from trycatch.settings import Settings

SETTINGS = Settings(product_name="Hookrelay")

SEND_EVENTS = make_page(
    "Send events",
    (
        "Send an event from Python",
        "Install the SDK with pip. Call `client.events.send` with the event type and its "
        "payload; the call returns the event id.\n\n"
        "```python\nimport hookrelay\n\nclient = hookrelay.Client('hr_key')\n"
        "client.events.send(type='order.paid', payload={'id': 1})\n```\n\n"
        "```ts\nimport { Hookrelay } from 'hookrelay';\n\n"
        "const client = new Hookrelay('hr_key');\n"
        "await client.events.send({ type: 'order.paid', payload: { id: 1 } });\n```",
    ),
)
SIGNATURES = make_page(
    "Signature verification failed",
    (
        "Why it happens",
        "Hookrelay rejects a delivery with the error `Signature verification failed: timestamp "
        "outside tolerance` when the receiving server's clock is more than five minutes off. "
        "Synchronize the clock with NTP and verify again.",
    ),
)
LIMITS = make_page(
    "Plan limits",
    (
        "Endpoints per plan",
        "Each plan allows a fixed number of endpoints.\n\n"
        "| Plan | Endpoints | Events per day |\n|---|---|---|\n"
        "| Free | 3 | 1,000 |\n| Team | 50 | 100,000 |",
    ),
)
ERRORS = make_page(
    "Error codes",
    (
        "validation_error",
        "* **Message:** The `from` address is already registered by another team.\n"
        "* **Action:** Ask the owner of that team to release the address.\n"
        "* **Message:** The endpoint URL is not reachable from the internet.\n"
        "* **Action:** Expose the endpoint publicly or use a tunnel while developing.",
    ),
)
PYTHON_CLIENT = make_page(
    "Python client",
    ("Install", "The Python client supports Python 3.9 and later. Install it with pip."),
)
REPLAYS = make_page(
    "Replaying deliveries",
    (
        "Replay a failed delivery",
        "Open the delivery in the dashboard and click Replay. Replays are kept for 30 days.",
    ),
)


@pytest.fixture
def docs(session: Session, tmp_path: Path) -> Session:
    root = tmp_path / "docs"
    write(root, "guides/send-events.md", SEND_EVENTS)
    write(root, "knowledge-base/signature-verification-failed.md", SIGNATURES)
    write(root, "plans/limits.md", LIMITS)
    write(root, "guides/replays.md", REPLAYS)
    write(root, "guides/python-client.md", PYTHON_CLIENT)
    write(root, "errors.md", ERRORS)
    ingest(session, root)
    return session


def _ask(session: Session, question: str):  # type: ignore[no-untyped-def]
    return answer_question(session, question=question, settings=SETTINGS, channel="test")


def _body(answer: str) -> str:
    return answer.split(f"\n{LINKS_HEADER}\n", maxsplit=1)[0]


def _page_text(session: Session, path: str) -> str:
    return " ".join(
        session.scalars(select(Document.body).where(Document.path == path)).one().split()
    )


def test_how_to_question_is_answered_from_the_page_with_its_code(docs: Session) -> None:
    reply = _ask(docs, "How do I send an event from Python with the SDK?")

    assert reply.outcome == "answered"
    assert reply.citations[0].path == "guides/send-events.md"
    body = _body(reply.answer)
    assert "```python" in body and "client.events.send" in body
    page = _page_text(docs, "guides/send-events.md")
    prose = re.sub(r"```.*?```", "", body, flags=re.DOTALL)
    for sentence in filter(None, (s.strip() for s in re.split(r"(?<=\.)\s+", prose))):
        assert " ".join(sentence.split()) in page  # extractive: quoted, not invented
    assert "[Send events](" in reply.answer.split(LINKS_HEADER)[1]


def test_error_message_the_docs_explain_is_answered_with_that_page(docs: Session) -> None:
    reply = _ask(
        docs,
        'Our endpoint logs "Signature verification failed: timestamp outside tolerance" '
        "for every delivery.",
    )

    assert reply.outcome == "answered"
    assert "knowledge-base/signature-verification-failed.md" in {c.path for c in reply.citations}
    assert "NTP" in reply.answer


def test_answer_leads_with_the_docs_entry_for_the_quoted_error(docs: Session) -> None:
    reply = _ask(
        docs,
        'Creating the endpoint fails:\n```\n{ "message": "The endpoint URL is not reachable '
        'from the internet" }\n```',
    )

    assert reply.outcome == "answered"
    body = _body(reply.answer)
    assert (
        body.splitlines()[0]
        == "- **Message:** The endpoint URL is not reachable from the internet."
    )
    assert "use a tunnel while developing" in body
    assert "already registered" not in body


def test_answer_quotes_a_table_row_when_the_facts_are_in_a_table(docs: Session) -> None:
    reply = _ask(docs, "How many endpoints does the Team plan allow?")

    assert reply.outcome == "answered"
    assert "| Team | 50 | 100,000 |" in reply.answer
    assert "| Plan | Endpoints | Events per day |" in reply.answer


def test_bug_report_with_a_stack_trace_escalates_with_a_summary(docs: Session) -> None:
    report = (
        "Since upgrading to hookrelay 2.4.1 every `client.events.send` call fails:\n"
        '```\nTraceback (most recent call last):\n  File "app.py", line 3\n'
        "hookrelay.errors.TransportError: connection reset\n```\n"
        "The same request works with curl."
    )
    reply = _ask(docs, report)

    assert reply.outcome == "escalated"
    assert reply.citations == []
    assert reply.escalation_reason.startswith("Looks like a bug report")
    handoff = list_handoffs(docs)[0]
    assert handoff.reason == reply.escalation_reason
    assert "2.4.1" in handoff.summary  # versions, for the engineer
    assert "Customer report:" in handoff.summary
    assert "escalate_to_human" in [call["name"] for call in reply.tool_calls]


def test_server_error_that_started_suddenly_escalates(docs: Session) -> None:
    reply = _ask(docs, "Deliveries stopped working this morning, the API returns 502 Bad Gateway.")

    assert reply.outcome == "escalated"
    assert "server error" in reply.escalation_reason


def test_short_follow_up_is_answered_in_the_context_of_the_question_before(
    docs: Session,
) -> None:
    alone = _ask(docs, "And in Python?")
    first = _ask(docs, "How do I send an event?")
    follow_up = answer_question(
        docs,
        question="And in Python?",
        settings=SETTINGS,
        channel="test",
        conversation_id=first.conversation_id,
    )

    assert alone.citations[0].path == "guides/python-client.md"
    assert follow_up.outcome == "answered"
    assert follow_up.citations[0].path == "guides/send-events.md"
    assert "```python" in follow_up.answer


@pytest.mark.parametrize(
    "question",
    ["What's the best recipe for sourdough bread?", "What is the capital of Australia?"],
)
def test_out_of_scope_question_is_declined_without_citations(docs: Session, question: str) -> None:
    reply = _ask(docs, question)

    assert reply.outcome == "declined"
    assert reply.citations == []
    assert list_handoffs(docs) == []


def test_an_off_topic_question_in_another_language_goes_to_a_human_not_to_the_docs(
    docs: Session,
) -> None:
    reply = _ask(docs, "¿Cuál es la capital de Francia?")

    assert reply.outcome in ("declined", "escalated")
    assert reply.citations == []


@pytest.mark.parametrize(
    "question",
    [
        "How do I replay a failed delivery?",
        "How many events per day on the Free plan?",
        "Signature verification failed, what now?",
        "The dashboard is broken, deliveries vanish since yesterday",
    ],
)
def test_citations_are_only_documents_the_tools_returned(docs: Session, question: str) -> None:
    reply = _ask(docs, question)

    message = docs.get(ConversationMessage, reply.message_id)
    assert message is not None
    returned = {doc["path"] for doc in message.retrieved}
    assert {c.path for c in reply.citations} <= returned


@pytest.mark.parametrize(
    ("message", "signals"),
    [
        ("How do I replay a delivery?", ()),
        ("Is the replay feature broken?", ()),  # a question about it, not a report
        ("Replays used to work but stopped working after the update.", ("regression",)),
        ("I suspect the SDK resets the status.", ("defect_claim",)),
        ("It works with curl but not with the SDK.", ("works_elsewhere",)),
        ("The `X-Request-Id` header is not shown in the delivery.", ("dropped",)),
        ("The API returns 500 for every call.", ("server_error",)),
        ("We use hookrelay@^3.2.0 in production.", ("version",)),
        ("Every event is delivered twice to all endpoints.", ("misbehaves",)),
        ("Las entregas ya no funcionan.", ("regression",)),
        ("Emails bounce with 550 5.7.1 from Outlook.", ()),  # an SMTP code, not a version
    ],
)
def test_reading_a_message_finds_its_defect_signals(message: str, signals: tuple[str, ...]) -> None:
    assert read_message(message).defects == signals


def test_a_request_to_look_into_the_customers_own_resource_escalates(docs: Session) -> None:
    reply = _ask(
        docs, "Endpoint ep_123 shows 0 deliveries since Monday, please check on your side."
    )

    assert reply.outcome == "escalated"
    assert "look into" in reply.escalation_reason


def test_reading_a_message_finds_quoted_errors_and_status_codes() -> None:
    reading = read_message(
        'Sending fails with "Domain is not verified for this account" (HTTP 403). '
        "We run on port 465."
    )

    assert reading.errors == ("Domain is not verified for this account",)
    assert reading.statuses == ("403",)  # not the port


def test_compose_quotes_only_the_cited_passages() -> None:
    results = [
        {
            "path": "a.md",
            "title": "Replays",
            "url": "/a",
            "section": "Replays > Replay a delivery",
            "passage": "Open the delivery and click Replay. Replays are kept for 30 days.",
            "more": [],
        },
        {
            "path": "b.md",
            "title": "Other",
            "url": "/b",
            "section": "Other",
            "passage": "Deliveries can be replayed by the support team on request only.",
            "more": [],
        },
    ]

    answer = compose("How long are replays kept?", results, ["a.md"])

    assert "Replays are kept for 30 days." in answer
    assert "support team" not in answer
    assert answer.endswith("- [Replays](/a)")
    assert compose("What about invoices?", results, ["a.md"]) == ""
