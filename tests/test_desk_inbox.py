"""The inbox's read side: queues, counts, filters, keyset pages, a customer's tickets."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.desk_factories import TAXONOMY, make_customer, make_ticket, make_user
from trycatch.desk import (
    EMAIL,
    OutcomeInput,
    PermissionDenied,
    Queue,
    Role,
    TicketFilters,
    TicketStatus,
    add_note,
    assign,
    close_ticket,
    customer_tickets,
    flag_concern,
    list_tickets,
    queue_counts,
    reply,
)


def test_queues_hold_what_their_names_say(session: Session) -> None:
    me = make_user(session)
    colleague = make_user(session)
    alice = make_customer(session)
    make_ticket(session, customer=alice, subject="unassigned")
    mine = make_ticket(session, subject="mine")
    assign(session, ticket_id=mine.id, actor=me, assignee_id=me.id)
    theirs = make_ticket(session, subject="theirs")
    assign(session, ticket_id=theirs.id, actor=me, assignee_id=colleague.id)
    pending = make_ticket(session, customer=alice, subject="pending")
    reply(session, ticket_id=pending.id, actor=me, body="Can you try again?")
    flagged = make_ticket(session, subject="flagged")
    flag_concern(session, ticket_id=flagged.id, actor=me, reason="Possible data loss")
    closed = make_ticket(session, customer=alice, subject="closed")
    close_ticket(
        session,
        ticket_id=closed.id,
        actor=me,
        taxonomy=TAXONOMY,
        category="Usability",
        product_area="billing",
        outcomes=[OutcomeInput(kind="no_action", reason="Explained the invoice layout.")],
    )

    def subjects(queue: Queue, filters: TicketFilters | None = None) -> list[str]:
        return [t.subject for t in list_tickets(session, actor=me, queue=queue, filters=filters)]

    assert subjects(Queue.UNASSIGNED) == ["flagged", "unassigned"]
    assert subjects(Queue.MINE) == ["mine"]
    assert subjects(Queue.FLAGGED) == ["flagged"]
    assert subjects(Queue.PENDING) == ["pending"]
    assert subjects(Queue.CLOSED) == ["closed"]
    assert len(subjects(Queue.ALL)) == 6
    assert subjects(Queue.ALL, TicketFilters(product_area="billing")) == ["closed"]
    assert subjects(Queue.ALL, TicketFilters(category="Usability")) == ["closed"]
    assert subjects(Queue.ALL, TicketFilters(status=TicketStatus.OPEN, customer_id=alice.id)) == [
        "unassigned"
    ]
    assert queue_counts(session, actor=me) == {
        Queue.UNASSIGNED: 2,
        Queue.MINE: 1,
        Queue.FLAGGED: 1,
        Queue.PENDING: 1,
        Queue.CLOSED: 1,
        Queue.ALL: 6,
    }
    assert (
        queue_counts(session, actor=me, filters=TicketFilters(customer_id=alice.id))[Queue.ALL] == 3
    )
    assert queue_counts(session, actor=EMAIL)[Queue.MINE] == 0
    others = customer_tickets(session, actor=me, customer_id=alice.id)
    assert [t.subject for t in others] == ["closed", "pending", "unassigned"]


def test_pages_follow_each_other_without_gaps(session: Session) -> None:
    viewer = make_user(session, role=Role.VIEWER)
    made = [make_ticket(session, subject=f"t{i}").id for i in range(7)]
    seen: list[int] = []
    before: int | None = None
    while page := list_tickets(session, actor=viewer, limit=3, before_id=before):
        seen.extend(t.id for t in page)
        before = page[-1].id
    assert seen == list(reversed(made))


def test_the_inbox_is_for_active_staff(session: Session) -> None:
    gone = make_user(session, active=False)
    with pytest.raises(PermissionDenied):
        list_tickets(session, actor=gone)
    with pytest.raises(PermissionDenied):
        queue_counts(session, actor=gone)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("signature", ["webhook"]),  # a word of the customer's message
        ("SIGNATURES", ["webhook"]),  # stemmed, any case
        ("invoice", ["billing"]),  # a word of the subject only
        ("refund", ["billing"]),  # a word of a staff member's internal note
        ("sig", ["webhook"]),  # the last word is a prefix: results follow the typing
        ("signature refund", []),  # every word must appear
        ('"; DROP TABLE tickets; --', []),  # punctuation is dropped, never an FTS syntax error
        ("NEAR(", []),
    ],
)
def test_search_finds_tickets_by_subject_and_messages(
    session: Session, query: str, expected: list[str]
) -> None:
    me = make_user(session)
    make_ticket(session, subject="webhook", body="The signature check fails on every delivery.")
    billing = make_ticket(session, subject="billing invoice question", body="Where is my PDF?")
    add_note(
        session, ticket_id=billing.id, actor=me, body="Offer a refund if it was charged twice."
    )
    make_ticket(session, subject="other", body="Nothing to see here.")

    found = list_tickets(session, actor=me, filters=TicketFilters(text=query))
    subjects = [t.subject.split()[0] for t in found]
    assert subjects == expected
    counts = queue_counts(session, actor=me, filters=TicketFilters(text=query))
    assert counts[Queue.ALL] == len(expected)


def test_a_search_of_only_punctuation_filters_nothing(session: Session) -> None:
    me = make_user(session)
    make_ticket(session, subject="one")
    make_ticket(session, subject="two")
    assert len(list_tickets(session, actor=me, filters=TicketFilters(text="?!  --"))) == 2
