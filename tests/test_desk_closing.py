"""Closing a ticket: the policy names every missing piece, each outcome kind closes, strict
mode holds the closer back until their KB article is live, "next ticket" hands out work."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.desk_factories import (
    TAXONOMY,
    make_article,
    make_issue,
    make_ticket,
    make_user,
)
from trycatch.desk import (
    ClosePolicyError,
    OutcomeInput,
    OutcomeKind,
    Priority,
    Role,
    StrictModeBlocked,
    System,
    TicketClosed,
    TicketStatus,
    close_ticket,
    customer_reply,
    next_ticket_for,
    set_priority,
)
from trycatch.knowledge.articles import publish_article
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.store import Event

NO_ACTION = OutcomeInput(kind=OutcomeKind.NO_ACTION, reason="Customer misread the pricing page.")


def _close(session: Session, ticket_id: int, actor: Any, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "taxonomy": TAXONOMY,
        "category": "Functional",
        "product_area": "webhooks",
        "outcomes": [NO_ACTION],
    }
    fields.update(overrides)
    return close_ticket(session, ticket_id=ticket_id, actor=actor, **fields)


# Each row: what the close form sent, and every field the refusal must name.
REFUSALS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("nothing", {"category": None, "product_area": None, "outcomes": []},
     ["category: required", "product_area: required", "outcomes: at least one outcome"]),
    ("blank category", {"category": "  "}, ["category: required"]),
    ("unknown category", {"category": "Billing trouble"}, ["category: 'Billing trouble' is not"]),
    ("unknown product area", {"product_area": "mobile"}, ["product_area: 'mobile' is not"]),
    ("no outcome", {"outcomes": []}, ["outcomes: at least one outcome is required"]),
    ("article without id", {"outcomes": [OutcomeInput(kind=OutcomeKind.KB_ARTICLE)]},
     ["outcomes[0].article_id: required"]),
    ("missing article", {"outcomes": [OutcomeInput(kind="kb_article", article_id=999)]},
     ["outcomes[0].article_id: no article 999"]),
    ("docs change without url", {"outcomes": [OutcomeInput(kind=OutcomeKind.DOCS_CHANGE)]},
     ["outcomes[0].url: an http(s) URL is required"]),
    ("docs change, not http", {"outcomes": [OutcomeInput(kind="docs_change", url="ftp://x/y")]},
     ["outcomes[0].url"]),
    ("pull request, no host", {"outcomes": [OutcomeInput(kind="pull_request", url="https://")]},
     ["outcomes[0].url"]),
    ("issue without id", {"outcomes": [OutcomeInput(kind=OutcomeKind.ENGINEERING_ISSUE)]},
     ["outcomes[0].engineering_issue_id: required"]),
    ("missing issue",
     {"outcomes": [OutcomeInput(kind="engineering_issue", engineering_issue_id=404)]},
     ["outcomes[0].engineering_issue_id: no engineering issue 404"]),
    ("no action, no reason", {"outcomes": [OutcomeInput(kind=OutcomeKind.NO_ACTION)]},
     ["outcomes[0].reason: a written reason of at least 10 characters"]),
    ("no action, short reason",
     {"outcomes": [OutcomeInput(kind=OutcomeKind.NO_ACTION, reason="  dup   ")]},
     ["outcomes[0].reason"]),
    ("unknown kind", {"outcomes": [OutcomeInput(kind="vibes")]},
     ["outcomes[0].kind: unknown outcome 'vibes'"]),
    ("several at once",
     {"category": None, "outcomes": [NO_ACTION, OutcomeInput(kind="docs_change")]},
     ["category: required", "outcomes[1].url"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "named"), [(o, n) for _, o, n in REFUSALS], ids=[i for i, _, _ in REFUSALS]
)
def test_close_is_refused_naming_every_problem(
    session: Session, overrides: dict[str, Any], named: list[str]
) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    with pytest.raises(ClosePolicyError) as refused:
        _close(session, ticket.id, agent, **overrides)
    message = str(refused.value)
    for piece in named:
        assert piece in message
    assert len(refused.value.problems) == len(named)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.outcomes == []
    assert session.scalars(select(Event).where(Event.action == "ticket.closed")).all() == []


def test_the_refusal_of_an_empty_close_reads_as_documented(session: Session) -> None:
    ticket = make_ticket(session)
    with pytest.raises(ClosePolicyError) as refused:
        _close(session, ticket.id, make_user(session), category="", product_area="", outcomes=[])
    assert str(refused.value) == (
        "category: required; product_area: required; outcomes: at least one outcome is required"
    )


def test_a_draft_article_is_refused_outside_strict_mode(session: Session) -> None:
    draft = make_article(session, published=False)
    ticket = make_ticket(session)
    with pytest.raises(ClosePolicyError, match=r"outcomes\[0\]\.article_id: .* not published"):
        _close(
            session,
            ticket.id,
            make_user(session),
            outcomes=[OutcomeInput(kind=OutcomeKind.KB_ARTICLE, article_id=draft.id)],
        )


def test_a_taxonomy_without_product_areas_says_so(session: Session) -> None:
    ticket = make_ticket(session)
    with pytest.raises(ClosePolicyError, match="product_area: the taxonomy defines no product"):
        _close(session, ticket.id, make_user(session), taxonomy=Taxonomy())


@pytest.mark.parametrize(
    "kind",
    [
        OutcomeKind.KB_ARTICLE,
        OutcomeKind.DOCS_CHANGE,
        OutcomeKind.ENGINEERING_ISSUE,
        OutcomeKind.PULL_REQUEST,
        OutcomeKind.NO_ACTION,
    ],
)
def test_close_succeeds_with_each_outcome_kind(session: Session, kind: OutcomeKind) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    outcome = {
        OutcomeKind.KB_ARTICLE: lambda: OutcomeInput(
            kind=kind, article_id=make_article(session).id
        ),
        OutcomeKind.DOCS_CHANGE: lambda: OutcomeInput(
            kind=kind, url="https://docs.example.com/webhooks/retries"
        ),
        OutcomeKind.ENGINEERING_ISSUE: lambda: OutcomeInput(
            kind=kind, engineering_issue_id=make_issue(session).id
        ),
        OutcomeKind.PULL_REQUEST: lambda: OutcomeInput(
            kind=kind, url="http://git.example.com/app/pull/12"
        ),
        OutcomeKind.NO_ACTION: lambda: NO_ACTION,
    }[kind]()

    closed = _close(
        session,
        ticket.id,
        agent,
        category="functional",
        product_area="Webhooks",
        outcomes=[outcome],
    )

    session.expire_all()
    assert closed.status == TicketStatus.CLOSED
    assert closed.category == "Functional"  # the taxonomy's spelling
    assert closed.product_area == "webhooks"  # stored by slug
    assert closed.closed_at is not None and closed.closed_at.tzinfo is not None
    assert closed.closed_by_id == agent.id
    [row] = closed.outcomes
    assert row.kind == kind
    assert (row.article_id, row.url, row.engineering_issue_id) == (
        outcome.article_id,
        outcome.url,
        outcome.engineering_issue_id,
    )
    event = session.scalars(select(Event).where(Event.action == "ticket.closed")).one()
    assert event.subject == f"ticket:{ticket.id}"
    assert event.actor == f"user:{agent.id}"
    assert event.data["category"] == "Functional"
    assert event.data["outcomes"][0]["kind"] == str(kind)


def test_a_closed_ticket_cannot_be_closed_again(session: Session) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    _close(session, ticket.id, agent)
    with pytest.raises(TicketClosed):
        _close(session, ticket.id, agent)


def test_several_outcomes_are_all_kept(session: Session) -> None:
    ticket = make_ticket(session)
    issue = make_issue(session)
    _close(
        session,
        ticket.id,
        make_user(session),
        outcomes=[
            OutcomeInput(kind="engineering_issue", engineering_issue_id=issue.id),
            OutcomeInput(kind="docs_change", url="https://docs.example.com/a", reason="typo"),
        ],
    )
    session.expire_all()
    assert [o.kind for o in ticket.outcomes] == ["engineering_issue", "docs_change"]
    assert ticket.outcomes[1].reason == "typo"


def test_strict_mode_blocks_the_next_ticket_until_the_article_is_published(
    session: Session,
) -> None:
    agent = make_user(session)
    colleague = make_user(session)
    first = make_ticket(session)
    waiting = make_ticket(session)
    draft = make_article(session, published=False)

    _close(
        session,
        first.id,
        agent,
        strict=True,
        outcomes=[OutcomeInput(kind=OutcomeKind.KB_ARTICLE, article_id=draft.id)],
    )
    event = session.scalars(select(Event).where(Event.action == "ticket.closed")).one()
    assert event.data["pending_publication"] == [draft.id]

    with pytest.raises(StrictModeBlocked) as blocked:
        next_ticket_for(session, user=agent, strict=True)
    assert [(p.ticket_id, p.article_id) for p in blocked.value.pending] == [(first.id, draft.id)]
    assert draft.slug in str(blocked.value)
    # Only the closer is held back, and only in strict mode.
    assert next_ticket_for(session, user=agent, strict=False) is not None
    session.refresh(waiting)
    assert waiting.assignee_id == agent.id
    other = make_ticket(session)
    taken = next_ticket_for(session, user=colleague, strict=True)
    assert taken is not None and taken.id == other.id

    publish_article(session, slug=draft.slug, actor="tests")
    make_ticket(session)
    assert next_ticket_for(session, user=agent, strict=True) is not None


def test_only_staff_may_leave_an_article_pending_publication(session: Session) -> None:
    draft = make_article(session, published=False)
    ticket = make_ticket(session)
    kb = [OutcomeInput(kind=OutcomeKind.KB_ARTICLE, article_id=draft.id)]
    with pytest.raises(ClosePolicyError, match="not published"):
        _close(session, ticket.id, System("importer"), strict=True, outcomes=kb)


def test_a_reopened_ticket_does_not_block_until_closed_again(session: Session) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    draft = make_article(session, published=False)
    kb = [OutcomeInput(kind=OutcomeKind.KB_ARTICLE, article_id=draft.id)]
    _close(session, ticket.id, agent, strict=True, outcomes=kb)
    customer_reply(session, key=ticket.key, body="Actually it happens again.")
    taken = next_ticket_for(session, user=agent, strict=True)  # not blocked: it is open again
    assert taken is not None and taken.id == ticket.id


def test_next_ticket_takes_the_most_urgent_then_the_oldest(session: Session) -> None:
    agent = make_user(session)
    admin = make_user(session, role=Role.ADMIN)
    make_ticket(session, subject="oldest")
    make_ticket(session, subject="newer")
    urgent = make_ticket(session, subject="urgent")
    set_priority(session, ticket_id=urgent.id, actor=admin, priority=Priority.URGENT)
    mine = make_ticket(session, subject="already someone's")
    mine.assignee_id = admin.id
    session.commit()

    order = [next_ticket_for(session, user=agent, strict=False) for _ in range(4)]

    assert [t.subject if t else None for t in order] == ["urgent", "oldest", "newer", None]
    assert all(t.assignee_id == agent.id for t in order if t)
    events = session.scalars(select(Event).where(Event.action == "ticket.assigned")).all()
    assert [e.data.get("via") for e in events] == ["next_ticket"] * 3
