"""Closing a ticket, the heart of the catch block, and taking the next one.

A ticket closes only with a category and a product area from the taxonomy and at least one
outcome that changed something upstream (or a written reason why nothing should change).
``close_problems`` lists everything wrong at once, by field, so a form can show every error
on its first submit; ``close_ticket`` refuses with the same list.

Strict mode (a setting, passed in as ``strict``) keeps the knowledge base growing: with it,
a KB-article outcome may name an article that is still a draft — recorded as *pending
publication* — but the staff member who closed the ticket cannot take the next ticket until
that article is published. Without strict mode nothing enforces the publication later, so a
draft article is refused at close. ``close_ticket`` and ``next_ticket_for`` must be given
the same ``strict`` value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, case, column, select, table, update
from sqlalchemy.orm import Session

from trycatch.desk.access import Action, Actor, actor_label, get_ticket_for, require
from trycatch.desk.models import (
    OutcomeKind,
    Priority,
    Ticket,
    TicketOutcome,
    TicketStatus,
    User,
)
from trycatch.desk.tickets import PRIORITY_RANK, TicketClosed
from trycatch.knowledge.models import Article, ArticleStatus
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.store import record_event, utcnow

MIN_REASON = 10
MAX_URL = 2_000
MAX_REASON = 5_000
# Attempts at claiming a ticket others are claiming at the same moment.
CLAIM_ATTEMPTS = 5

# The tracker owns this table; the desk may only name it (the two packages are siblings).
_ENGINEERING_ISSUES = table("engineering_issues", column("id"))


@dataclass(frozen=True, slots=True)
class OutcomeInput:
    """One outcome given at close. Which field is needed depends on ``kind``:

    - ``kb_article``: ``article_id`` of a published article (a draft only in strict mode),
    - ``docs_change``, ``pull_request``: ``url``, http(s),
    - ``engineering_issue``: ``engineering_issue_id`` of an existing issue,
    - ``no_action``: ``reason``, at least 10 characters.

    ``reason`` may accompany any kind, as a note on the outcome.
    """

    kind: OutcomeKind | str
    article_id: int | None = None
    url: str | None = None
    engineering_issue_id: int | None = None
    reason: str = ""


class ClosePolicyError(ValueError):
    """The close was refused; ``problems`` holds every (field, problem), the message all."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems))


@dataclass(frozen=True, slots=True)
class PendingArticle:
    """A KB article a staff member closed a ticket with, still unpublished."""

    ticket_id: int
    article_id: int
    slug: str
    title: str


class StrictModeBlocked(Exception):
    """Strict mode: publish the KB articles of tickets you closed before taking another."""

    def __init__(self, pending: list[PendingArticle]) -> None:
        self.pending = pending
        names = ", ".join(f"{p.slug!r} (ticket {p.ticket_id})" for p in pending)
        super().__init__(f"publish the KB article(s) of tickets you closed first: {names}")


def _is_http_url(value: str | None) -> bool:
    if not value or len(value) > MAX_URL or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _category(taxonomy: Taxonomy, value: str) -> str | None:
    wanted = value.strip().lower()
    return next((c.name for c in taxonomy.categories if c.name.lower() == wanted), None)


def _product_area(taxonomy: Taxonomy, value: str) -> str | None:
    wanted = value.strip().lower()
    return next(
        (a.slug for a in taxonomy.product_areas if wanted in {a.slug, a.name.lower()}), None
    )


def _outcome_problems(
    session: Session, index: int, outcome: OutcomeInput, *, strict: bool
) -> list[tuple[str, str]]:
    where = f"outcomes[{index}]"
    try:
        kind = OutcomeKind(outcome.kind)
    except ValueError:
        kinds = ", ".join(OutcomeKind)
        return [(f"{where}.kind", f"unknown outcome {outcome.kind!r} (one of {kinds})")]
    problems: list[tuple[str, str]] = []
    if len(outcome.reason) > MAX_REASON:
        problems.append((f"{where}.reason", f"at most {MAX_REASON:,} characters"))
    if kind == OutcomeKind.KB_ARTICLE:
        article = session.get(Article, outcome.article_id) if outcome.article_id else None
        if outcome.article_id is None:
            problems.append((f"{where}.article_id", "required for a KB article"))
        elif article is None:
            problems.append((f"{where}.article_id", f"no article {outcome.article_id}"))
        elif article.status != ArticleStatus.PUBLISHED and not strict:
            problems.append(
                (f"{where}.article_id", f"article {article.slug!r} is not published yet")
            )
    elif kind in {OutcomeKind.DOCS_CHANGE, OutcomeKind.PULL_REQUEST}:
        if not _is_http_url(outcome.url):
            problems.append((f"{where}.url", "an http(s) URL is required"))
    elif kind == OutcomeKind.ENGINEERING_ISSUE:
        issue_id = outcome.engineering_issue_id
        if issue_id is None:
            problems.append((f"{where}.engineering_issue_id", "required for an engineering issue"))
        elif (
            session.execute(
                select(_ENGINEERING_ISSUES.c.id).where(_ENGINEERING_ISSUES.c.id == issue_id)
            ).first()
            is None
        ):
            problems.append((f"{where}.engineering_issue_id", f"no engineering issue {issue_id}"))
    elif len(outcome.reason.strip()) < MIN_REASON:
        problems.append(
            (f"{where}.reason", f"a written reason of at least {MIN_REASON} characters is required")
        )
    return problems


def close_problems(
    session: Session,
    *,
    taxonomy: Taxonomy,
    category: str | None,
    product_area: str | None,
    outcomes: list[OutcomeInput],
    strict: bool = False,
) -> list[tuple[str, str]]:
    """Every (field, problem) that stops a close; empty when the close may go ahead."""
    problems: list[tuple[str, str]] = []
    if not (category or "").strip():
        problems.append(("category", "required"))
    elif _category(taxonomy, category or "") is None:
        names = ", ".join(c.name for c in taxonomy.categories)
        problems.append(("category", f"{category!r} is not a category (one of {names})"))
    if not (product_area or "").strip():
        problems.append(("product_area", "required"))
    elif not taxonomy.product_areas:
        problems.append(("product_area", "the taxonomy defines no product areas"))
    elif _product_area(taxonomy, product_area or "") is None:
        slugs = ", ".join(a.slug for a in taxonomy.product_areas)
        problems.append(
            ("product_area", f"{product_area!r} is not a product area (one of {slugs})")
        )
    if not outcomes:
        problems.append(("outcomes", "at least one outcome is required"))
    for index, outcome in enumerate(outcomes):
        problems.extend(_outcome_problems(session, index, outcome, strict=strict))
    return problems


def _outcome_row(outcome: OutcomeInput) -> TicketOutcome:
    kind = OutcomeKind(outcome.kind)
    return TicketOutcome(
        kind=kind,
        article_id=outcome.article_id if kind == OutcomeKind.KB_ARTICLE else None,
        url=outcome.url if kind in {OutcomeKind.DOCS_CHANGE, OutcomeKind.PULL_REQUEST} else None,
        engineering_issue_id=(
            outcome.engineering_issue_id if kind == OutcomeKind.ENGINEERING_ISSUE else None
        ),
        reason=outcome.reason.strip(),
        created_at=utcnow(),
    )


def close_ticket(
    session: Session,
    *,
    ticket_id: int,
    actor: Actor,
    taxonomy: Taxonomy,
    category: str | None,
    product_area: str | None,
    outcomes: list[OutcomeInput],
    strict: bool = False,
) -> Ticket:
    """Close the ticket with its category, product area and outcomes, or refuse with every
    problem named (``ClosePolicyError``).

    The category is stored by its taxonomy name, the product area by its slug (either may be
    given by name or slug, in any case). With ``strict``, a KB-article outcome may name a
    draft article: it is pending publication, and ``next_ticket_for(strict=True)`` holds the
    closer back until it is published (a system actor, which takes no tickets, must give a
    published article even in strict mode). Linking the ticket to an engineering issue for
    demand counting is the tracker's ``link_ticket``; the outcome only names the issue.
    """
    ticket = get_ticket_for(session, actor=actor, ticket_id=ticket_id, action=Action.CLOSE)
    if ticket.status == TicketStatus.CLOSED:
        raise TicketClosed(f"ticket {ticket.id} is already closed")
    problems = close_problems(
        session,
        taxonomy=taxonomy,
        category=category,
        product_area=product_area,
        outcomes=outcomes,
        # Only a staff member can be held to publishing later; a system actor cannot.
        strict=strict and isinstance(actor, User),
    )
    if problems:
        raise ClosePolicyError(problems)
    now = utcnow()
    ticket.category = _category(taxonomy, category or "")
    ticket.product_area = _product_area(taxonomy, product_area or "")
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    ticket.closed_by_id = actor.id if isinstance(actor, User) else None
    ticket.updated_at = now
    rows = [_outcome_row(outcome) for outcome in outcomes]
    ticket.outcomes.extend(rows)
    session.flush()
    articles = [session.get(Article, row.article_id) for row in rows if row.article_id]
    pending = [a.id for a in articles if a is not None and a.status != ArticleStatus.PUBLISHED]
    record_event(
        session,
        actor=actor_label(actor),
        action="ticket.closed",
        subject=f"ticket:{ticket.id}",
        data={
            "category": ticket.category,
            "product_area": ticket.product_area,
            "outcomes": [_describe(row) for row in rows],
            "pending_publication": pending,
        },
    )
    session.commit()
    return ticket


def _describe(row: TicketOutcome) -> dict[str, Any]:
    described: dict[str, Any] = {"kind": str(row.kind)}
    for field in ("article_id", "url", "engineering_issue_id", "reason"):
        value = getattr(row, field)
        if value:
            described[field] = value
    return described


def pending_articles_for(session: Session, *, user: User) -> list[PendingArticle]:
    """KB articles of tickets ``user`` closed that are not published (strict mode's debt)."""
    rows = session.execute(
        select(Ticket.id, Article.id, Article.slug, Article.title)
        .join(TicketOutcome, TicketOutcome.ticket_id == Ticket.id)
        .join(Article, Article.id == TicketOutcome.article_id)
        .where(
            Ticket.closed_by_id == user.id,
            Ticket.status == TicketStatus.CLOSED,
            TicketOutcome.kind == OutcomeKind.KB_ARTICLE,
            Article.status != ArticleStatus.PUBLISHED,
        )
        .order_by(Ticket.id, Article.id)
    )
    return [PendingArticle(ticket_id=t, article_id=a, slug=s, title=ti) for t, a, s, ti in rows]


_PRIORITY_ORDER = case(
    {str(priority): rank for priority, rank in PRIORITY_RANK.items()},
    value=Ticket.priority,
    else_=PRIORITY_RANK[Priority.NORMAL],
)


def next_ticket_for(session: Session, *, user: User, strict: bool) -> Ticket | None:
    """Assign ``user`` the most urgent, oldest unassigned open ticket; None when none waits.

    In strict mode a staff member with a closed ticket whose KB article is still a draft is
    refused (``StrictModeBlocked`` lists the articles) until they publish it. Two people
    asking at once never get the same ticket: the claim only succeeds while it is unassigned.
    """
    require(user, Action.TAKE_NEXT)
    if strict:
        pending = pending_articles_for(session, user=user)
        if pending:
            raise StrictModeBlocked(pending)
    for _ in range(CLAIM_ATTEMPTS):
        candidate = session.scalars(
            select(Ticket.id)
            .where(Ticket.status == TicketStatus.OPEN, Ticket.assignee_id.is_(None))
            .order_by(_PRIORITY_ORDER.desc(), Ticket.created_at, Ticket.id)
            .limit(1)
        ).first()
        if candidate is None:
            return None
        now = utcnow()
        claimed = cast(
            CursorResult[Any],
            session.execute(
                update(Ticket)
                .where(Ticket.id == candidate, Ticket.assignee_id.is_(None))
                .values(assignee_id=user.id, updated_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        if claimed.rowcount != 1:
            session.rollback()
            continue
        record_event(
            session,
            actor=actor_label(user),
            action="ticket.assigned",
            subject=f"ticket:{candidate}",
            data={"from": None, "to": user.id, "via": "next_ticket"},
        )
        session.commit()
        return session.get(Ticket, candidate, populate_existing=True)
    return None


__all__ = [
    "MIN_REASON",
    "ClosePolicyError",
    "OutcomeInput",
    "PendingArticle",
    "StrictModeBlocked",
    "close_problems",
    "close_ticket",
    "next_ticket_for",
    "pending_articles_for",
]
