"""Engineering issues, their links to tickets, and demand: how many customers asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.desk_factories import make_customer, make_issue, make_ticket
from trycatch.store import Event, utcnow
from trycatch.tracker import (
    IssueError,
    IssueKind,
    IssueLink,
    IssueNotFound,
    IssueStatus,
    TrackerKind,
    create_issue,
    issue_demand,
    link_ticket,
    set_issue_status,
)


def test_create_issue_records_an_event(session: Session) -> None:
    issue = create_issue(
        session, kind=IssueKind.FEATURE, title="  Replay   failed deliveries ", actor="user:1"
    )
    assert (issue.title, issue.status, issue.tracker) == (
        "Replay failed deliveries",
        IssueStatus.OPEN,
        TrackerKind.INTERNAL,
    )
    [event] = session.scalars(select(Event).where(Event.action == "issue.created"))
    assert (event.actor, event.subject) == ("user:1", f"issue:{issue.id}")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": " "}, "title: must not be empty"),
        ({"title": "x" * 301}, "title: at most 300"),
        ({"tracker": TrackerKind.GITHUB}, "external_id: required"),
        ({"url": "javascript:alert(1)"}, "url: an http"),
    ],
)
def test_bad_issue_input_names_the_field(
    session: Session, fields: dict[str, object], error: str
) -> None:
    arguments: dict[str, object] = {"kind": IssueKind.BUG, "title": "Bug", "actor": "t"}
    arguments.update(fields)
    with pytest.raises(IssueError, match=error):
        create_issue(session, **arguments)  # type: ignore[arg-type]


def test_an_external_issue_is_tracked_once(session: Session) -> None:
    create_issue(
        session,
        kind=IssueKind.BUG,
        title="Retries",
        actor="t",
        tracker=TrackerKind.GITHUB,
        external_id="acme/app#12",
        url="https://github.com/acme/app/issues/12",
    )
    with pytest.raises(IssueError, match="external_id: already tracked"):
        create_issue(
            session,
            kind=IssueKind.BUG,
            title="Retries",
            actor="t",
            tracker=TrackerKind.GITHUB,
            external_id="acme/app#12",
        )


def test_linking_a_ticket_twice_counts_once(session: Session) -> None:
    issue = make_issue(session)
    ticket = make_ticket(session)
    first = link_ticket(
        session, issue_id=issue.id, ticket_id=ticket.id, customer_id=ticket.customer_id, actor="t"
    )
    again = link_ticket(
        session, issue_id=issue.id, ticket_id=ticket.id, customer_id=ticket.customer_id, actor="t"
    )
    assert again.id == first.id
    assert len(session.scalars(select(IssueLink)).all()) == 1
    assert len(session.scalars(select(Event).where(Event.action == "issue.linked")).all()) == 1


def test_links_must_name_a_real_ticket_of_that_customer(session: Session) -> None:
    issue = make_issue(session)
    ticket = make_ticket(session)
    stranger = make_customer(session)
    with pytest.raises(IssueError, match="customer_id"):
        link_ticket(
            session, issue_id=issue.id, ticket_id=ticket.id, customer_id=stranger.id, actor="t"
        )
    with pytest.raises(IssueError, match="ticket_id"):
        link_ticket(session, issue_id=issue.id, ticket_id=999, customer_id=stranger.id, actor="t")
    with pytest.raises(IssueNotFound):
        link_ticket(
            session, issue_id=999, ticket_id=ticket.id, customer_id=ticket.customer_id, actor="t"
        )


def test_issue_demand_counts_tickets_customers_and_the_last_week(session: Session) -> None:
    now = utcnow()
    popular = make_issue(session, title="Popular")
    loud = make_issue(session, title="One loud customer")
    old = make_issue(session, title="Asked long ago")
    done = make_issue(session, title="Already fixed")
    alice, bob, carol = (make_customer(session) for _ in range(3))

    def link(issue_id: int, customer_id: int, days_ago: int) -> None:
        ticket = make_ticket(session, customer=session.get(type(alice), customer_id))
        link_ticket(
            session, issue_id=issue_id, ticket_id=ticket.id, customer_id=customer_id, actor="t"
        )
        row = session.scalars(select(IssueLink).where(IssueLink.ticket_id == ticket.id)).one()
        row.created_at = now - timedelta(days=days_ago)  # back-date the link, as history
        session.commit()

    for customer, days in ((alice, 1), (bob, 2), (carol, 20)):
        link(popular.id, customer.id, days)
    for days in (1, 3, 4, 5):
        link(loud.id, alice.id, days)
    link(old.id, bob.id, 60)
    link(done.id, carol.id, 1)
    set_issue_status(session, issue_id=done.id, status=IssueStatus.CLOSED, actor="t")

    demand = issue_demand(session, since=now - timedelta(days=30), now=now)

    assert [
        (d.issue.title, d.ticket_count, d.unique_customers, d.count_last_7_days) for d in demand
    ] == [
        ("Popular", 3, 3, 2),
        ("One loud customer", 4, 1, 4),
    ]
    with_closed = issue_demand(
        session, since=now - timedelta(days=90), now=now, include_closed=True
    )
    assert {d.issue.title for d in with_closed} == {
        "Popular",
        "One loud customer",
        "Asked long ago",
        "Already fixed",
    }
    recent = issue_demand(session, since=now - timedelta(days=2, hours=12), now=now)
    assert [(d.issue.title, d.ticket_count, d.count_last_7_days) for d in recent] == [
        ("Popular", 2, 2),
        ("One loud customer", 1, 4),
    ]
    assert (
        issue_demand(session, since=now - timedelta(days=30), now=now, limit=1)[0].issue == popular
    )
