"""Tables of the catch block: staff users and their API tokens, tickets, messages (with their
email delivery state), attachments, outcomes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trycatch.agent.models import Conversation, Customer, Handoff
from trycatch.knowledge.models import Article
from trycatch.store import Base, UTCDateTime, utcnow


class Role(StrEnum):
    """What a staff member may do; each role may do everything the ones below it may."""

    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketSource(StrEnum):
    """How the ticket reached the catch block."""

    AGENT = "agent"  # an escalation of the AI agent
    EMAIL = "email"
    API = "api"
    OUTREACH = "outreach"  # staff wrote to the customer first


class MessageKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"  # public, sent to the customer
    NOTE = "note"  # internal, never shown to the customer


class DeliveryStatus(StrEnum):
    """Where a public reply's email is; None on messages that are not emailed."""

    QUEUED = "queued"  # waiting for its first attempt
    RETRYING = "retrying"  # an attempt failed; another is due at ``next_delivery_at``
    SENT = "sent"
    FAILED = "failed"  # every attempt failed; staff see it and may send it again


class OutcomeKind(StrEnum):
    """What a closed ticket left behind upstream."""

    KB_ARTICLE = "kb_article"
    DOCS_CHANGE = "docs_change"
    ENGINEERING_ISSUE = "engineering_issue"
    PULL_REQUEST = "pull_request"
    NO_ACTION = "no_action"


class User(Base):
    """A staff member."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    """A credential for the REST API; only the SHA-256 of its secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class Ticket(Base):
    """A question that reached a human."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The secret in the customer's link; the row id is guessable, this is not.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[TicketStatus] = mapped_column(String(20), index=True)
    priority: Mapped[Priority] = mapped_column(String(20), default=Priority.NORMAL)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    # Unique: one ticket per escalation, even when two people take it at once.
    handoff_id: Mapped[int | None] = mapped_column(
        ForeignKey("handoffs.id", ondelete="SET NULL"), unique=True
    )
    source: Mapped[TicketSource] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    product_area: Mapped[str | None] = mapped_column(String(100), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    flag_reason: Mapped[str] = mapped_column(Text, default="")
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    customer: Mapped[Customer] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    conversation: Mapped[Conversation | None] = relationship()
    handoff: Mapped[Handoff | None] = relationship()
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TicketMessage.id",
    )
    outcomes: Mapped[list[TicketOutcome]] = relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TicketOutcome.id",
    )


class TicketMessage(Base):
    """A customer's message, a public reply, or an internal note."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MessageKind] = mapped_column(String(20))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # The email Message-ID: unique, so a message delivered twice is stored once.
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The email outbox is the message itself: a reply is queued in the transaction that
    # stores it, so a crash between the two cannot lose it.
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(String(20))
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", passive_deletes=True, order_by="Attachment.id"
    )


Index("ix_ticket_messages_delivery", TicketMessage.delivery_status, TicketMessage.next_delivery_at)


class Attachment(Base):
    """A file sent with a message, kept on disk under ``storage_key``; the row has its facts."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Random, so a file's place on disk says nothing about the ticket or the customer.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    message: Mapped[TicketMessage | None] = relationship(back_populates="attachments")


class TicketOutcome(Base):
    """One thing a closed ticket changed upstream (or why it changed nothing)."""

    __tablename__ = "ticket_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OutcomeKind] = mapped_column(String(30))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str | None] = mapped_column(Text)
    # The tracker owns engineering issues; the desk names their table, never their class.
    engineering_issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("engineering_issues.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="outcomes")
    article: Mapped[Article | None] = relationship()
