"""Engineering issues, the tickets linked to them, and the demand those links add up to.

The tracker knows no staff users (it may not import the desk, its sibling): services take
the actor as the audit label, and callers check the staff member's permission with
``trycatch.desk.access`` (``Action.WRITE_ISSUES``) before calling them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import case, column, func, select, table
from sqlalchemy.orm import Session

from trycatch.store import record_event, utcnow
from trycatch.tracker.models import (
    EngineeringIssue,
    IssueKind,
    IssueLink,
    IssueStatus,
    TrackerKind,
)

MAX_TITLE = 300
MAX_EXTERNAL_ID = 200
RECENT = timedelta(days=7)

# The desk owns this table; the tracker may only name it (the two packages are siblings).
_TICKETS = table("tickets", column("id"), column("customer_id"))


class IssueError(ValueError):
    """Invalid issue input; the message names the field."""


class IssueNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class IssueDemand:
    """How much customers asked for one issue."""

    issue: EngineeringIssue
    ticket_count: int
    unique_customers: int
    count_last_7_days: int


def get_issue(session: Session, issue_id: int) -> EngineeringIssue:
    issue = session.get(EngineeringIssue, issue_id)
    if issue is None:
        raise IssueNotFound(f"engineering issue {issue_id}")
    return issue


def create_issue(
    session: Session,
    *,
    kind: IssueKind,
    title: str,
    actor: str,
    tracker: TrackerKind = TrackerKind.INTERNAL,
    external_id: str | None = None,
    url: str | None = None,
) -> EngineeringIssue:
    """Record a bug or feature request: internal, or one that lives in Linear or GitHub."""
    title = " ".join(title.split())
    tracker = TrackerKind(tracker)
    if not title:
        raise IssueError("title: must not be empty")
    if len(title) > MAX_TITLE:
        raise IssueError(f"title: at most {MAX_TITLE} characters")
    if tracker != TrackerKind.INTERNAL and not external_id:
        raise IssueError(f"external_id: required for an issue in {tracker}")
    if external_id is not None and len(external_id) > MAX_EXTERNAL_ID:
        raise IssueError(f"external_id: at most {MAX_EXTERNAL_ID} characters")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise IssueError("url: an http(s) URL is required")
    if external_id:
        taken = session.scalars(
            select(EngineeringIssue.id).where(
                EngineeringIssue.tracker == tracker, EngineeringIssue.external_id == external_id
            )
        ).first()
        if taken is not None:
            raise IssueError(f"external_id: already tracked as issue {taken}")
    issue = EngineeringIssue(
        kind=IssueKind(kind),
        title=title,
        status=IssueStatus.OPEN,
        tracker=tracker,
        external_id=external_id or None,
        url=url,
        created_at=utcnow(),
    )
    session.add(issue)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="issue.created",
        subject=f"issue:{issue.id}",
        data={"kind": str(issue.kind), "title": title, "tracker": str(tracker)},
    )
    session.commit()
    return issue


def set_issue_status(
    session: Session, *, issue_id: int, status: IssueStatus, actor: str
) -> EngineeringIssue:
    issue = get_issue(session, issue_id)
    status = IssueStatus(status)
    if issue.status == status:
        return issue
    issue.status = status
    record_event(session, actor=actor, action=f"issue.{status}", subject=f"issue:{issue.id}")
    session.commit()
    return issue


def link_ticket(
    session: Session, *, issue_id: int, ticket_id: int, customer_id: int, actor: str
) -> IssueLink:
    """Count a ticket (and its customer) towards an issue's demand; linking twice is a no-op."""
    issue = get_issue(session, issue_id)
    ticket = session.execute(
        select(_TICKETS.c.customer_id).where(_TICKETS.c.id == ticket_id)
    ).first()
    if ticket is None:
        raise IssueError(f"ticket_id: no ticket {ticket_id}")
    if ticket[0] != customer_id:
        raise IssueError(f"customer_id: ticket {ticket_id} belongs to another customer")
    existing = session.scalars(
        select(IssueLink).where(IssueLink.issue_id == issue.id, IssueLink.ticket_id == ticket_id)
    ).one_or_none()
    if existing is not None:
        return existing
    link = IssueLink(
        issue_id=issue.id, ticket_id=ticket_id, customer_id=customer_id, created_at=utcnow()
    )
    session.add(link)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="issue.linked",
        subject=f"issue:{issue.id}",
        data={"ticket_id": ticket_id, "customer_id": customer_id},
    )
    session.commit()
    return link


def open_issues(session: Session, *, limit: int = 200) -> list[EngineeringIssue]:
    """Open issues, newest first: what a ticket can be linked to."""
    return list(
        session.scalars(
            select(EngineeringIssue)
            .where(EngineeringIssue.status == IssueStatus.OPEN)
            .order_by(EngineeringIssue.id.desc())
            .limit(limit)
        )
    )


def issue_demand(
    session: Session,
    *,
    since: datetime,
    now: datetime | None = None,
    include_closed: bool = False,
    limit: int | None = None,
) -> list[IssueDemand]:
    """Issues linked to tickets since ``since``, most demanded first.

    Demand ranks by distinct customers, then tickets, then tickets in the last 7 days (of
    ``now``, default the current time; counted whatever ``since`` is). Closed issues are
    left out unless ``include_closed``.
    """
    now = now or utcnow()
    week_ago = now - RECENT
    in_window = IssueLink.created_at >= since
    tickets = func.sum(case((in_window, 1), else_=0))
    customers = func.count(func.distinct(case((in_window, IssueLink.customer_id), else_=None)))
    recent = func.sum(case((IssueLink.created_at >= week_ago, 1), else_=0))
    query = (
        select(IssueLink.issue_id, tickets, customers, recent)
        .join(EngineeringIssue, EngineeringIssue.id == IssueLink.issue_id)
        .where(IssueLink.created_at >= min(since, week_ago), IssueLink.created_at <= now)
        .group_by(IssueLink.issue_id)
        .having(tickets > 0)
        .order_by(customers.desc(), tickets.desc(), recent.desc(), IssueLink.issue_id)
    )
    if not include_closed:
        query = query.where(EngineeringIssue.status == IssueStatus.OPEN)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    issues = {
        issue.id: issue
        for issue in session.scalars(
            select(EngineeringIssue).where(EngineeringIssue.id.in_([row[0] for row in rows]))
        )
    }
    return [
        IssueDemand(
            issue=issues[issue_id],
            ticket_count=int(count),
            unique_customers=int(unique),
            count_last_7_days=int(last_week),
        )
        for issue_id, count, unique, last_week in rows
    ]


__all__ = [
    "IssueDemand",
    "IssueError",
    "IssueNotFound",
    "create_issue",
    "get_issue",
    "issue_demand",
    "link_ticket",
    "open_issues",
    "set_issue_status",
]
