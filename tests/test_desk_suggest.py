"""The close form's suggestion: the product area of what the agent retrieved, and the
category and area of similar closed tickets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tests.desk_factories import TAXONOMY, make_handoff, make_ticket, make_user
from tests.factories import ingest, make_page, write
from trycatch.desk import (
    OutcomeInput,
    close_ticket,
    open_ticket_from_handoff,
    suggest_classification,
)
from trycatch.desk.suggest import jaccard


def _docs(session: Session, root: Path) -> None:
    write(root, "domains/verify.md", make_page("Verify a domain", ("DNS", "Add a TXT record.")))
    write(root, "domains/dkim.md", make_page("DKIM", ("Keys", "Publish the DKIM key.")))
    write(root, "webhooks/retries.md", make_page("Retries", ("Backoff", "We retry 8 times.")))
    ingest(session, root, taxonomy=TAXONOMY)


def _closed(session: Session, subject: str, category: str, area: str) -> None:
    ticket = make_ticket(session, subject=subject)
    close_ticket(
        session,
        ticket_id=ticket.id,
        actor=make_user(session),
        taxonomy=TAXONOMY,
        category=category,
        product_area=area,
        outcomes=[OutcomeInput(kind="no_action", reason="Answered from the docs.")],
    )


def test_the_area_of_the_retrieved_documents_wins(session: Session, tmp_path: Path) -> None:
    _docs(session, tmp_path / "docs")
    handoff = make_handoff(
        session,
        questions=["Our sending domain is stuck on pending"],
        retrieved_paths=["domains/verify.md", "webhooks/retries.md", "domains/dkim.md"],
    )
    ticket = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=make_user(session))

    suggestion = suggest_classification(session, ticket_id=ticket.id, taxonomy=TAXONOMY)

    assert suggestion.product_area == "domains"
    assert suggestion.category is None
    assert "2 of 3 documents the agent retrieved" in suggestion.why


def test_similar_closed_tickets_suggest_category_and_area(session: Session) -> None:
    _closed(session, "Webhook deliveries fail with 401", "Functional", "webhooks")
    _closed(session, "Webhook deliveries failing with 401 errors", "Functional", "webhooks")
    _closed(session, "Webhook deliveries fail after rotating secret", "Usability", "webhooks")
    _closed(session, "Invoice shows the wrong VAT number", "Usability", "billing")
    ticket = make_ticket(session, subject="Webhook deliveries fail with a 401")

    suggestion = suggest_classification(session, ticket_id=ticket.id, taxonomy=TAXONOMY)

    assert (suggestion.category, suggestion.product_area) == ("Functional", "webhooks")
    assert "category Functional: 2 of 3 similar closed tickets" in suggestion.why
    assert "VAT" not in suggestion.why


def test_documents_and_tickets_vote_together(session: Session, tmp_path: Path) -> None:
    _docs(session, tmp_path / "docs")
    _closed(session, "Domain verification pending forever", "Deliverability", "domains")
    handoff = make_handoff(
        session,
        questions=["Domain verification pending"],
        retrieved_paths=["webhooks/retries.md"],
    )
    ticket = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=make_user(session))
    _closed(session, "Domain verification pending again", "Deliverability", "domains")

    suggestion = suggest_classification(session, ticket_id=ticket.id, taxonomy=TAXONOMY)

    assert (suggestion.category, suggestion.product_area) == ("Deliverability", "domains")


def test_no_evidence_suggests_nothing(session: Session) -> None:
    ticket = make_ticket(session, subject="Hello")
    suggestion = suggest_classification(session, ticket_id=ticket.id, taxonomy=TAXONOMY)
    assert (suggestion.category, suggestion.product_area) == (None, None)
    assert "no retrieved documents" in suggestion.why


def test_jaccard() -> None:
    assert jaccard({"a", "b"}, {"b", "c"}) == 1 / 3
    assert jaccard(set(), {"a"}) == 0.0
