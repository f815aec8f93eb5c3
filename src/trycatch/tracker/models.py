"""Tables of engineering work: bugs and feature requests, and the tickets that asked for them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trycatch.store import Base, UTCDateTime, utcnow


class IssueKind(StrEnum):
    BUG = "bug"
    FEATURE = "feature"


class IssueStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TrackerKind(StrEnum):
    """Where the issue lives: here, or in a team's tracker (connectors come later)."""

    INTERNAL = "internal"
    LINEAR = "linear"
    GITHUB = "github"


class EngineeringIssue(Base):
    """A bug or a feature request that support asks engineering for."""

    __tablename__ = "engineering_issues"
    __table_args__ = (
        # NULL external ids (internal issues) never collide on SQLite or PostgreSQL.
        UniqueConstraint("tracker", "external_id", name="uq_engineering_issues_external"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[IssueKind] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[IssueStatus] = mapped_column(String(20), default=IssueStatus.OPEN, index=True)
    tracker: Mapped[TrackerKind] = mapped_column(String(20), default=TrackerKind.INTERNAL)
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    links: Mapped[list[IssueLink]] = relationship(
        back_populates="issue", cascade="all, delete-orphan", passive_deletes=True
    )


class IssueLink(Base):
    """One ticket asking for one issue: the unit of demand."""

    __tablename__ = "issue_links"
    __table_args__ = (UniqueConstraint("issue_id", "ticket_id", name="uq_issue_links_ticket"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("engineering_issues.id", ondelete="CASCADE"), index=True
    )
    # The desk owns tickets; the tracker names their table, never their class.
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    issue: Mapped[EngineeringIssue] = relationship(back_populates="links")
