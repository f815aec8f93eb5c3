"""The demo's support history: staff, customers and a few hundred tickets over 90 days.

``seed_demo`` tells the stories of ``trycatch.demo.stories`` through the same service
functions staff and channels use (``desk``, ``tracker``, ``knowledge.articles``, the agent's
``answer_question`` for escalations), so every ticket obeys the close policy and every
change has its audit event. Services stamp the current time; the history is spread over
the last 90 days afterwards by moving each step's timestamps (the ticket's, its messages',
outcomes', links', articles' and the step's audit events) to the time it is told at. That
backdating is the only write made outside a service.

Deterministic for a seed and a ``now``; idempotent: a database that has the demo admin is
left as it is.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from trycatch.agent.conversations import CustomerRef, answer_question, customer_for
from trycatch.agent.models import Conversation, Customer, Handoff
from trycatch.demo.agent_ops import seed_agent_ops
from trycatch.demo.people import CUSTOMERS, DEMO_ADMIN_EMAIL, DEMO_PASSWORD, STAFF, DemoCustomer
from trycatch.demo.stories import (
    CUSTOMER_LINES,
    NOTE_LINES,
    STAFF_LINES,
    Fix,
    Story,
    details,
    pick_story,
)
from trycatch.desk import (
    COMMAND_LINE,
    EMAIL,
    Action,
    OutcomeInput,
    OutcomeKind,
    System,
    Ticket,
    TicketSource,
    TicketStatus,
    User,
    add_note,
    assign,
    close_ticket,
    create_user,
    customer_reply,
    flag_concern,
    open_ticket,
    open_ticket_from_handoff,
    reply,
    require,
)
from trycatch.desk.delivery import mark_sent
from trycatch.desk.models import DeliveryStatus, TicketMessage
from trycatch.knowledge.articles import create_article, publish_article
from trycatch.knowledge.models import Article
from trycatch.knowledge.sample import SAMPLE_TAXONOMY
from trycatch.knowledge.taxonomy import Taxonomy, load_taxonomy
from trycatch.settings import Settings
from trycatch.store import Database, Event, utcnow
from trycatch.tracker import create_issue, link_ticket
from trycatch.tracker.models import EngineeringIssue

HISTORY = timedelta(days=90)
# Integrations open API tickets (a support form in a customer's app, say).
API_INTAKE = System("api")
# Stories whose tickets staff flag for engineering when they are told.
FLAGGED_STORIES = {"delivery-lag", "events-api-503", "unsolicited-webhooks", "dashboard-502"}
FLAG_REASON = "More customers report this than usual; engineering should take a look."
T = TypeVar("T")


class Step(StrEnum):
    OPEN = "open"
    ASSIGN = "assign"
    REPLY = "reply"
    STAFF_LINE = "staff_line"
    CUSTOMER = "customer"
    NOTE = "note"
    FLAG = "flag"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What ``seed_demo`` made; ``seeded`` is False when the database had the demo already."""

    seeded: bool
    users: int = 0
    customers: int = 0
    tickets: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    articles: int = 0
    issues: int = 0


@dataclass(slots=True)
class _Plan:
    story: Story
    customer: DemoCustomer
    staff: User
    source: TicketSource
    status: TicketStatus
    created_at: datetime
    assigned: bool
    flagged: bool
    steps: list[tuple[Step, datetime]] = field(default_factory=list)


def _status_for(age: timedelta, rng: random.Random) -> TicketStatus:
    """Recent tickets are still being worked on; old ones are mostly closed."""
    if age < timedelta(days=3):
        weights = (55, 30, 15)
    elif age < timedelta(days=14):
        weights = (20, 20, 60)
    else:
        weights = (3, 4, 93)
    statuses = (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.CLOSED)
    return rng.choices(statuses, weights=weights)[0]


def _source_for(story: Story, rng: random.Random) -> TicketSource:
    if story.outreach:
        return TicketSource.OUTREACH
    if story.question and rng.random() < 0.7:
        return TicketSource.AGENT
    return TicketSource.EMAIL if rng.random() < 0.7 else TicketSource.API


def _steps(plan: _Plan, rng: random.Random) -> list[Step]:
    """What happens on the ticket, in order, for the status it should end in."""
    if plan.source == TicketSource.OUTREACH:
        # Staff wrote first (pending); the customer answers, staff reply, it closes.
        steps = [Step.OPEN]
        if plan.status != TicketStatus.PENDING:
            steps.append(Step.CUSTOMER)
        if plan.status == TicketStatus.CLOSED:
            steps += [Step.REPLY, Step.CLOSE]
        return steps
    steps = [Step.OPEN]
    if not plan.assigned:
        steps += [Step.FLAG] if plan.flagged else []
        if rng.random() < 0.2:
            steps.append(Step.NOTE)
        return steps
    steps.append(Step.ASSIGN)
    if plan.flagged:
        steps.append(Step.FLAG)
    if plan.status == TicketStatus.OPEN and rng.random() < 0.5:
        return [*steps, Step.NOTE] if rng.random() < 0.5 else steps
    steps.append(Step.REPLY)
    if plan.status == TicketStatus.PENDING:
        return [*steps, Step.NOTE] if rng.random() < 0.3 else steps
    steps.append(Step.CUSTOMER)
    if rng.random() < 0.3:
        steps += [Step.STAFF_LINE, Step.CUSTOMER]
    if plan.status == TicketStatus.OPEN:
        return steps
    if plan.story.note or rng.random() < 0.4:
        steps.append(Step.NOTE)
    return [*steps, Step.CLOSE]


def _schedule(plan: _Plan, steps: list[Step], *, now: datetime, rng: random.Random) -> None:
    """Times for the steps: minutes to hours apart, squeezed to end before ``now``."""
    gaps = {
        Step.OPEN: (0, 0),
        Step.ASSIGN: (3, 180),
        Step.REPLY: (5, 300),
        Step.STAFF_LINE: (60, 1_500),
        Step.CUSTOMER: (20, 1_400),
        Step.NOTE: (2, 60),
        Step.FLAG: (1, 30),
        Step.CLOSE: (10, 2_000),
    }
    offsets: list[float] = []
    total = 0.0
    for step in steps:
        low, high = gaps[step]
        total += rng.uniform(low, high) if high else 0.0
        offsets.append(total)
    room = (now - timedelta(minutes=5) - plan.created_at).total_seconds() / 60
    scale = min(1.0, max(0.0, room) / total) if total > 0 else 1.0
    plan.steps = [
        (step, plan.created_at + timedelta(minutes=offset * scale))
        for step, offset in zip(steps, offsets, strict=True)
    ]


class _Seeder:
    def __init__(
        self, session: Session, *, settings: Settings, now: datetime, rng: random.Random
    ) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.rng = rng
        self.taxonomy: Taxonomy = load_taxonomy(SAMPLE_TAXONOMY)
        self.staff: list[User] = []
        self.customers: dict[str, Customer] = {}
        self.articles: dict[str, Article] = {}
        self.issues: dict[str, EngineeringIssue] = {}

    # --- backdating -------------------------------------------------------------------

    def _last_event(self) -> int:
        return self.session.scalar(select(func.max(Event.id))) or 0

    @contextmanager
    def _at(self, when: datetime) -> Iterator[None]:
        """Audit events written inside the block are dated ``when``."""
        marker = self._last_event()
        yield
        self.session.execute(update(Event).where(Event.id > marker).values(at=when))
        self.session.commit()

    def _told_at(self, when: datetime, action: Callable[[], T]) -> T:
        with self._at(when):
            return action()

    # --- people -------------------------------------------------------------------------

    def create_staff(self) -> None:
        joined = self.now - timedelta(days=400)
        for member in STAFF:
            with self._at(joined):
                user = create_user(
                    self.session,
                    email=member.email,
                    name=member.name,
                    role=member.role,
                    password=DEMO_PASSWORD,
                    actor=COMMAND_LINE,
                )
            user.created_at = joined
            self.staff.append(user)
        self.session.commit()

    def create_customers(self) -> None:
        for number, person in enumerate(CUSTOMERS):
            customer = customer_for(self.session, CustomerRef(email=person.email, name=person.name))
            assert customer is not None
            # Company and plan have no service yet; they are facts of the demo's customers.
            customer.company = person.company.name
            customer.tier = person.company.tier
            customer.created_at = self.now - timedelta(days=120 + 5 * number)
            self.customers[person.email] = customer
        self.session.commit()

    @property
    def workers(self) -> list[User]:
        """Staff who work tickets: the admin too, so the demo login has tickets of its own."""
        return [u for u in self.staff if u.role != "viewer"]

    # --- planning -----------------------------------------------------------------------

    def plan(self, count: int) -> list[_Plan]:
        plans: list[_Plan] = []
        workers = self.workers
        for _ in range(count):
            story = pick_story(self.rng)
            # Outreach goes to paying customers; everyone else writes in.
            people = [c for c in CUSTOMERS if not story.outreach or c.company.tier != "free"]
            customer = self.rng.choice(people)
            age = HISTORY * (self.rng.random() ** 1.2)
            created = self.now - age
            status = _status_for(age, self.rng)
            source = _source_for(story, self.rng)
            assigned = (
                source == TicketSource.OUTREACH
                or status != TicketStatus.OPEN
                or self.rng.random() < 0.45
            )
            # Flagged: most tickets of the stories engineering must hear about, and now and
            # then another one that worries whoever works it.
            chance = 0.6 if story.key in FLAGGED_STORIES else 0.02
            if status != TicketStatus.CLOSED:
                chance = max(chance, 0.1)
            flagged = source != TicketSource.OUTREACH and self.rng.random() < chance
            plan = _Plan(
                story=story,
                customer=customer,
                staff=self.rng.choice(workers),
                source=source,
                status=status,
                created_at=created,
                assigned=assigned,
                flagged=flagged,
            )
            _schedule(plan, _steps(plan, self.rng), now=self.now, rng=self.rng)
            plans.append(plan)
        return sorted(plans, key=lambda p: p.created_at)

    # --- telling one ticket -------------------------------------------------------------

    def tell(self, plan: _Plan) -> Ticket:
        person = plan.customer
        fields = details(
            self.rng,
            first=person.first_name,
            company=person.company.name,
            tenant=self.rng.choice(person.company.tenants),
            domain=person.company.domain,
            tier=person.company.tier,
            agent=plan.staff.name.split()[0],
        )
        story = plan.story
        message_times: list[datetime] = []
        told: set[str] = set()
        ticket: Ticket | None = None
        for step, when in plan.steps:
            if step == Step.OPEN:
                ticket = self._open(plan, fields, when)
                message_times.append(when)
                continue
            assert ticket is not None
            ticket_id = ticket.id
            if step == Step.ASSIGN:
                with self._at(when):
                    assign(
                        self.session,
                        ticket_id=ticket_id,
                        actor=plan.staff,
                        assignee_id=plan.staff.id,
                    )
            elif step in {Step.REPLY, Step.STAFF_LINE}:
                text = story.reply if step == Step.REPLY else self.rng.choice(STAFF_LINES)
                self._reply(ticket_id, plan.staff, text.format_map(fields), when)
                message_times.append(when)
            elif step == Step.CUSTOMER:
                # The story's own follow-up first; later answers are the usual back and forth.
                text = story.follow_up or self.rng.choice(CUSTOMER_LINES)
                if text in told:
                    text = self.rng.choice(CUSTOMER_LINES)
                told.add(text)
                with self._at(when):
                    customer_reply(self.session, key=ticket.key, body=text.format_map(fields))
                message_times.append(when)
            elif step == Step.NOTE:
                note = story.note or self.rng.choice(NOTE_LINES)
                with self._at(when):
                    add_note(
                        self.session,
                        ticket_id=ticket_id,
                        actor=plan.staff,
                        body=note.format_map(fields),
                    )
                message_times.append(when)
            elif step == Step.FLAG:
                reason = story.note.format_map(fields) or FLAG_REASON
                with self._at(when):
                    flag_concern(self.session, ticket_id=ticket_id, actor=plan.staff, reason=reason)
            elif step == Step.CLOSE:
                self._close(ticket, plan, when)
        assert ticket is not None
        self._backdate(ticket, plan, message_times)
        return ticket

    def _open(self, plan: _Plan, fields: dict[str, str], when: datetime) -> Ticket:
        story = plan.story
        customer = self.customers[plan.customer.email]
        subject = self.rng.choice(story.subjects).format_map(fields)
        body = story.body.format_map(fields)
        if plan.source == TicketSource.AGENT:
            escalated = self._escalate(plan, fields, when)
            if escalated is not None:
                return escalated
            plan.source = TicketSource.EMAIL  # the agent answered after all: it came by email
        if plan.source == TicketSource.OUTREACH:
            actor: User | System = plan.staff
        else:
            actor = EMAIL if plan.source == TicketSource.EMAIL else API_INTAKE
        number = self.rng.getrandbits(64)
        domain = plan.customer.company.domain
        with self._at(when):
            ticket = open_ticket(
                self.session,
                customer_id=customer.id,
                subject=subject,
                body=body,
                source=plan.source,
                actor=actor,
                message_id=f"<{number:016x}@{domain}>"
                if plan.source == TicketSource.EMAIL
                else None,
                email_from=self.settings.email_from,
            )
            self._sent(ticket.messages[0])
        return ticket

    def _escalate(self, plan: _Plan, fields: dict[str, str], when: datetime) -> Ticket | None:
        """The customer asks the agent, which hands over; a staff member takes the handoff."""
        asked = when - timedelta(minutes=self.rng.uniform(1, 20))
        person = plan.customer
        answer = self._told_at(
            asked,
            lambda: answer_question(
                self.session,
                question=plan.story.question.format_map(fields),
                settings=self.settings,
                channel="widget",
                customer=CustomerRef(email=person.email, name=person.name),
            ),
        )
        conversation = self.session.scalars(
            select(Conversation).where(Conversation.public_id == answer.conversation_id)
        ).one()
        conversation.created_at = conversation.updated_at = asked
        for message in conversation.messages:
            message.created_at = asked
        if answer.outcome != "escalated":
            self.session.commit()
            return None
        handoff = self.session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation.id)
        ).one()
        handoff.created_at = asked
        self.session.commit()
        return self._told_at(
            when,
            lambda: open_ticket_from_handoff(self.session, handoff_id=handoff.id, actor=plan.staff),
        )

    def _reply(self, ticket_id: int, staff: User, text: str, when: datetime) -> None:
        with self._at(when):
            message = reply(
                self.session,
                ticket_id=ticket_id,
                actor=staff,
                body=text,
                email_from=self.settings.email_from,
            )
            self._sent(message)

    def _sent(self, message: TicketMessage) -> None:
        """Replies of the past reached the customer; only new ones wait for SMTP."""
        if message.delivery_status == DeliveryStatus.QUEUED:
            mark_sent(self.session, message=message)

    def _outcome(self, ticket: Ticket, plan: _Plan, when: datetime) -> OutcomeInput:
        fix: Fix = plan.story.fix
        if fix.kind == OutcomeKind.KB_ARTICLE:
            article = self.articles.get(plan.story.key)
            if article is None:
                article = self._write_article(ticket, plan, when)
            return OutcomeInput(kind=fix.kind, article_id=article.id)
        if fix.kind == OutcomeKind.ENGINEERING_ISSUE:
            issue = self.issues.get(fix.title)
            label = f"user:{plan.staff.id}"
            require(plan.staff, Action.WRITE_ISSUES)
            if issue is None:
                issue = self._told_at(
                    when,
                    lambda: create_issue(
                        self.session, kind=fix.issue_kind, title=fix.title, actor=label
                    ),
                )
                issue.created_at = when
                self.issues[fix.title] = issue
            issue_id = issue.id
            link = self._told_at(
                when,
                lambda: link_ticket(
                    self.session,
                    issue_id=issue_id,
                    ticket_id=ticket.id,
                    customer_id=ticket.customer_id,
                    actor=label,
                ),
            )
            link.created_at = when
            return OutcomeInput(kind=fix.kind, engineering_issue_id=issue_id)
        return OutcomeInput(kind=fix.kind, url=fix.url, reason=fix.reason)

    def _write_article(self, ticket: Ticket, plan: _Plan, when: datetime) -> Article:
        """The first ticket of a story with a KB fix writes the article and publishes it."""
        fix = plan.story.fix
        written = when - timedelta(minutes=self.rng.uniform(5, 40))
        author = plan.staff.name
        with self._at(written):
            article = create_article(
                self.session,
                title=fix.title,
                body=fix.body,
                author=author,
                product_area=plan.story.product_area,
                source_ticket_id=ticket.id,
            )
            publish_article(self.session, slug=article.slug, actor=author)
        article.created_at = article.updated_at = article.published_at = written
        for version in article.versions:
            version.created_at = written
        self.articles[plan.story.key] = article
        return article

    def _close(self, ticket: Ticket, plan: _Plan, when: datetime) -> None:
        outcome = self._outcome(ticket, plan, when)
        ticket_id = ticket.id
        self._told_at(
            when,
            lambda: close_ticket(
                self.session,
                ticket_id=ticket_id,
                actor=plan.staff,
                taxonomy=self.taxonomy,
                category=plan.story.category,
                product_area=plan.story.product_area,
                outcomes=[outcome],
                strict=self.settings.desk_strict_mode,
            ),
        )

    def _backdate(self, ticket: Ticket, plan: _Plan, message_times: list[datetime]) -> None:
        ticket.created_at = plan.created_at
        ticket.updated_at = plan.steps[-1][1]
        first_reply = next(
            (when for step, when in plan.steps if step in {Step.REPLY, Step.STAFF_LINE}), None
        )
        if plan.source == TicketSource.OUTREACH:
            first_reply = plan.created_at
        ticket.first_response_at = first_reply if ticket.first_response_at else None
        if ticket.status == TicketStatus.CLOSED:
            ticket.closed_at = plan.steps[-1][1]
            for outcome in ticket.outcomes:
                outcome.created_at = ticket.closed_at
        messages = sorted(ticket.messages, key=lambda m: m.id)
        for message, when in zip(messages, message_times, strict=False):
            message.created_at = when
        self.session.commit()

    # --- all of it ----------------------------------------------------------------------

    def run(self, count: int) -> SeedReport:
        self.create_staff()
        self.create_customers()
        for plan in self.plan(count):
            self.tell(plan)
        return self.report()

    def report(self) -> SeedReport:
        session = self.session
        statuses = Counter(session.scalars(select(Ticket.status)))
        sources = Counter(session.scalars(select(Ticket.source)))
        return SeedReport(
            seeded=True,
            users=session.scalar(select(func.count()).select_from(User)) or 0,
            customers=session.scalar(select(func.count()).select_from(Customer)) or 0,
            tickets=sum(statuses.values()),
            statuses={str(k): v for k, v in sorted(statuses.items())},
            sources={str(k): v for k, v in sorted(sources.items())},
            articles=session.scalar(select(func.count()).select_from(Article)) or 0,
            issues=session.scalar(select(func.count()).select_from(EngineeringIssue)) or 0,
        )


def seed_demo(
    database: Database | sessionmaker[Session],
    *,
    settings: Settings,
    now: datetime | None = None,
    tickets: int = 300,
    rng_seed: int = 7,
) -> SeedReport:
    """Seed the demo's staff, customers and ``tickets`` tickets, and its agent ops (the
    shipped eval suite, a first run, feedback to triage); nothing if already seeded.

    The sample help center should be ingested first (``knowledge.sample.ingest_sample``),
    so the agent has documents to search before it hands questions over.
    """
    sessions = database.sessions if isinstance(database, Database) else database
    with sessions() as session:
        seeded = session.scalars(select(User.id).where(User.email == DEMO_ADMIN_EMAIL)).first()
        if seeded is not None:
            return SeedReport(seeded=False)
        seeder = _Seeder(
            session, settings=settings, now=now or utcnow(), rng=random.Random(rng_seed)
        )
        report = seeder.run(tickets)
        seed_agent_ops(session, settings=settings)
        return report


__all__ = ["SeedReport", "seed_demo"]
