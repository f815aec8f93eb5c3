"""The demo database: `trycatch demo --seed-only` builds a support history that obeys the
close policy, on SQLite and PostgreSQL, and building it again adds nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trycatch.agent.models import Customer, HandoffStatus
from trycatch.agent.prompts import active_prompt
from trycatch.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from trycatch.demo.agent_ops import UNHELPFUL
from trycatch.desk import (
    OutcomeInput,
    Queue,
    Role,
    Ticket,
    TicketMessage,
    TicketSource,
    TicketStatus,
    User,
    authenticate,
    close_problems,
    queue_counts,
)
from trycatch.evals.feedback import feedback_inbox
from trycatch.evals.library import stored_suite
from trycatch.evals.models import EvalRun
from trycatch.knowledge.models import Article, ArticleStatus
from trycatch.knowledge.sample import SAMPLE_TAXONOMY
from trycatch.knowledge.taxonomy import load_taxonomy
from trycatch.store import Database, Event, utcnow
from trycatch.tracker import EngineeringIssue, issue_demand

Cli = Callable[..., Any]
SIX_CATEGORIES = {
    "Reliability",
    "Usability",
    "Functional",
    "Deliverability",
    "Abuse",
    "Success Outreach",
}


def test_seed_only_builds_a_history_that_obeys_the_close_policy(cli: Cli, session: Session) -> None:
    # One build, checked from every side: seeding takes seconds, not milliseconds.
    result = cli("demo", "--seed-only")
    assert result.exit_code == 0, result.output
    prints_the_login_and_the_urls(result.stdout)
    staff_can_log_in_with_their_roles(session)
    tickets_spread_over_categories_areas_statuses_and_90_days(session)
    every_closed_ticket_satisfies_the_close_policy(session)
    articles_are_published_and_linked_to_the_ticket_that_caused_them(session)
    articles_are_live_for_the_agent(cli)
    queues_have_work_and_demand_ranks_issues(session)
    agent_ops_are_ready_to_try(session)


def prints_the_login_and_the_urls(seeded: str) -> None:
    assert f"{DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}" in seeded
    for url in (
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/app/inbox",
        "http://127.0.0.1:8000/api/v1/docs",
    ):
        assert url in seeded


def staff_can_log_in_with_their_roles(session: Session) -> None:
    admin = authenticate(session, email=DEMO_ADMIN_EMAIL, password=DEMO_PASSWORD)
    assert admin is not None
    assert admin.role == Role.ADMIN
    roles = Counter(session.scalars(select(User.role)))
    assert roles[Role.ADMIN] == 1
    assert 2 <= roles[Role.AGENT] <= 3
    assert roles[Role.VIEWER] == 1
    customers = list(session.scalars(select(Customer)))
    assert 50 <= len(customers) <= 70
    assert all(c.company and c.email and c.email.endswith(".example") for c in customers)


def tickets_spread_over_categories_areas_statuses_and_90_days(session: Session) -> None:
    tickets = list(session.scalars(select(Ticket)))
    assert 250 <= len(tickets) <= 400
    now = utcnow()
    assert all(now - timedelta(days=90) <= t.created_at <= now for t in tickets)
    assert max(t.created_at for t in tickets) > now - timedelta(days=3)
    assert min(t.created_at for t in tickets) < now - timedelta(days=60)
    closed = [t for t in tickets if t.status == TicketStatus.CLOSED]
    assert {t.category for t in closed} == SIX_CATEGORIES
    taxonomy = load_taxonomy(SAMPLE_TAXONOMY)
    areas = Counter(t.product_area for t in closed)
    assert set(areas) <= {a.slug for a in taxonomy.product_areas}
    assert len(areas) >= 6
    statuses = Counter(t.status for t in tickets)
    assert statuses[TicketStatus.CLOSED] > len(tickets) / 2
    assert statuses[TicketStatus.OPEN] >= 10
    assert statuses[TicketStatus.PENDING] >= 10
    sources = Counter(t.source for t in tickets)
    assert set(sources) == set(TicketSource)
    for ticket in tickets:
        times = [m.created_at for m in ticket.messages]
        assert times == sorted(times)
        assert times[0] >= ticket.created_at - timedelta(seconds=1)
        assert ticket.updated_at <= now
        if ticket.first_response_at is not None:
            assert ticket.created_at <= ticket.first_response_at <= now


def every_closed_ticket_satisfies_the_close_policy(session: Session) -> None:
    taxonomy = load_taxonomy(SAMPLE_TAXONOMY)
    closed = list(session.scalars(select(Ticket).where(Ticket.status == TicketStatus.CLOSED)))
    assert closed
    for ticket in closed:
        outcomes = [
            OutcomeInput(
                kind=o.kind,
                article_id=o.article_id,
                url=o.url,
                engineering_issue_id=o.engineering_issue_id,
                reason=o.reason,
            )
            for o in ticket.outcomes
        ]
        problems = close_problems(
            session,
            taxonomy=taxonomy,
            category=ticket.category,
            product_area=ticket.product_area,
            outcomes=outcomes,
        )
        assert problems == [], (ticket.id, problems)
        assert ticket.closed_at is not None
        assert ticket.created_at <= ticket.closed_at <= utcnow()
        assert ticket.closed_by_id is not None
    kinds = Counter(o.kind for t in closed for o in t.outcomes)
    assert len(kinds) == 5, kinds


def articles_are_published_and_linked_to_the_ticket_that_caused_them(session: Session) -> None:
    articles = list(session.scalars(select(Article)))
    assert len(articles) >= 5
    for article in articles:
        assert article.status == ArticleStatus.PUBLISHED
        assert article.source_ticket_id is not None
        ticket = session.get(Ticket, article.source_ticket_id)
        assert ticket is not None
        assert article.id in {o.article_id for o in ticket.outcomes}


def articles_are_live_for_the_agent(cli: Cli) -> None:
    reply = cli("search", "express.raw body parser signature", "--json")
    assert "signature-verification-fails-after" in reply.stdout


def queues_have_work_and_demand_ranks_issues(session: Session) -> None:
    admin = session.scalars(select(User).where(User.email == DEMO_ADMIN_EMAIL)).one()
    counts = queue_counts(session, actor=admin)
    for queue in (Queue.UNASSIGNED, Queue.MINE, Queue.FLAGGED, Queue.PENDING, Queue.CLOSED):
        assert counts[queue] > 0, queue
    demand = issue_demand(session, since=utcnow() - timedelta(days=90))
    assert len(demand) >= 5
    assert demand[0].ticket_count >= 5
    assert demand[0].unique_customers >= 3
    agent_tickets = session.scalars(select(Ticket).where(Ticket.source == TicketSource.AGENT)).all()
    assert agent_tickets
    assert all(t.handoff is not None for t in agent_tickets)
    assert all(t.handoff.status == HandoffStatus.TAKEN for t in agent_tickets if t.handoff)


def agent_ops_are_ready_to_try(session: Session) -> None:
    """The shipped suite is stored and passed on the active version (the gate's baseline),
    and answers rated down wait in the feedback inbox."""
    active = active_prompt(session)
    [run] = session.scalars(select(EvalRun)).all()
    assert run.prompt_version_id == active.id
    assert run.gate_passed
    assert run.failed == 0
    assert len(stored_suite(session)) >= 40
    inbox = feedback_inbox(session)
    assert sum(len(group.items) for group in inbox) == len(UNHELPFUL)
    assert len(inbox) < len(UNHELPFUL)  # alike questions are grouped


def test_building_again_adds_nothing(cli: Cli, database: Database) -> None:
    def counts() -> tuple[int, ...]:
        with database.session() as session:
            rows = [
                session.scalar(select(func.count()).select_from(model)) or 0
                for model in (User, Customer, Ticket, TicketMessage, Article, EngineeringIssue)
            ]
            # The sample help center is checked again, and that check is recorded; the
            # seed itself must write nothing.
            changes = select(func.count()).where(Event.action != "knowledge.ingested")
            return (*rows, session.scalar(changes) or 0)

    first = cli("demo", "--seed-only")
    assert first.exit_code == 0, first.output
    before = counts()
    again = cli("demo", "--seed-only")
    assert again.exit_code == 0, again.output
    assert "seeded before" in again.stdout
    assert counts() == before
