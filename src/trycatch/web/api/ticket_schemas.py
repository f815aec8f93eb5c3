"""Request and response bodies of the ticket API (``/api/v1/tickets``), one per use.

Requests forbid unknown fields and strip whitespace. Close requests accept a missing
category, product area or outcome list on purpose: the desk's close policy names every
problem at once, so one 422 lists them all. Responses are built from the desk's results
(``from_ticket``), and carry the customer's link to the ticket (``customer_url``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from trycatch.channels.intake import ticket_url
from trycatch.desk import (
    Attachment,
    MessageKind,
    OutcomeInput,
    OutcomeKind,
    Priority,
    Ticket,
    TicketMessage,
    TicketSource,
    TicketStatus,
    User,
)
from trycatch.desk.models import DeliveryStatus
from trycatch.web.api.schemas import FromRow

BODY_CEILING = 100_000

Body = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_CEILING),
    Field(description="Markdown or plain text."),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # A NUL is never text (and PostgreSQL refuses to store one).
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class TicketCustomer(_Request):
    """The customer the ticket is for: found by email (else external id), or created."""

    email: str = Field(
        max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Email address."
    )
    name: str = Field(default="", max_length=200, description="Display name.")
    external_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="Their id in your own system."
    )


class TicketCreate(_Request):
    """A ticket sent by another system (``api``) or opened towards a customer (``outreach``:
    the message is your first reply; the ticket starts pending, assigned to you)."""

    customer: TicketCustomer
    subject: str = Field(min_length=1, max_length=300)
    body: Body
    source: Literal["api", "outreach"] = "api"


class ReplyCreate(_Request):
    body: Body


class AssignRequest(_Request):
    assignee_id: int | None = Field(description="A staff member's id; null unassigns.")


class PriorityRequest(_Request):
    priority: Priority


class FlagRequest(_Request):
    reason: str = Field(min_length=1, max_length=2_000, description="What concerns you.")


class OutcomeCreate(_Request):
    """One thing the ticket changed upstream; which field is needed depends on ``kind``:
    ``kb_article`` → ``article_id``; ``docs_change``/``pull_request`` → ``url``;
    ``engineering_issue`` → ``engineering_issue_id``; ``no_action`` → ``reason``."""

    kind: OutcomeKind
    article_id: int | None = None
    url: str | None = Field(default=None, max_length=2_000)
    engineering_issue_id: int | None = None
    reason: str = Field(default="", max_length=5_000)

    def to_input(self) -> OutcomeInput:
        return OutcomeInput(
            kind=self.kind,
            article_id=self.article_id,
            url=self.url,
            engineering_issue_id=self.engineering_issue_id,
            reason=self.reason,
        )


class CloseRequest(_Request):
    """Close with a category, a product area and at least one outcome (all are required;
    a missing one is reported with the others in a single 422)."""

    category: str | None = Field(default=None, max_length=100)
    product_area: str | None = Field(default=None, max_length=100)
    outcomes: list[OutcomeCreate] = Field(default_factory=list, max_length=20)


class CustomerPublic(FromRow):
    id: int
    email: str | None
    name: str
    external_id: str | None


class StaffPublic(FromRow):
    id: int
    name: str
    email: str


def _staff(user: User | None) -> StaffPublic | None:
    return None if user is None else StaffPublic.model_validate(user)


class TicketPublic(BaseModel):
    """A ticket as lists show it."""

    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    source: TicketSource
    customer: CustomerPublic
    assignee: StaffPublic | None
    category: str | None
    product_area: str | None
    flagged: bool
    flag_reason: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    customer_url: str = Field(description="The customer's secret link to this ticket.")

    @classmethod
    def fields_of(cls, ticket: Ticket, *, public_url: str) -> dict[str, object]:
        return {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "source": ticket.source,
            "customer": CustomerPublic.model_validate(ticket.customer),
            "assignee": _staff(ticket.assignee),
            "category": ticket.category,
            "product_area": ticket.product_area,
            "flagged": ticket.flagged,
            "flag_reason": ticket.flag_reason,
            "created_at": ticket.created_at,
            "updated_at": ticket.updated_at,
            "first_response_at": ticket.first_response_at,
            "closed_at": ticket.closed_at,
            "customer_url": ticket_url(public_url, ticket),
        }

    @classmethod
    def from_ticket(cls, ticket: Ticket, *, public_url: str) -> TicketPublic:
        return cls.model_validate(cls.fields_of(ticket, public_url=public_url))


class AttachmentPublic(BaseModel):
    id: int
    message_id: int | None
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    url: str = Field(description="Download it here (with the same token).")

    @classmethod
    def from_attachment(cls, attachment: Attachment) -> AttachmentPublic:
        return cls(
            id=attachment.id,
            message_id=attachment.message_id,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            created_at=attachment.created_at,
            url=f"/api/v1/tickets/{attachment.ticket_id}/attachments/{attachment.id}",
        )


class TicketMessagePublic(BaseModel):
    """A customer's message, a public reply, or an internal note (``kind``)."""

    id: int
    kind: MessageKind
    author: StaffPublic | None = Field(description="The staff member; null for the customer.")
    body: str = Field(description="Markdown; customer text is untrusted.")
    created_at: datetime
    delivery_status: DeliveryStatus | None = Field(
        description="Where the reply's email is (replies to customers with an address)."
    )
    attachments: list[AttachmentPublic]

    @classmethod
    def from_message(cls, message: TicketMessage) -> TicketMessagePublic:
        return cls(
            id=message.id,
            kind=message.kind,
            author=_staff(message.author),
            body=message.body,
            created_at=message.created_at,
            delivery_status=message.delivery_status,
            attachments=[AttachmentPublic.from_attachment(a) for a in message.attachments],
        )


class OutcomePublic(FromRow):
    kind: OutcomeKind
    article_id: int | None
    url: str | None
    engineering_issue_id: int | None
    reason: str


class HandoffPublic(BaseModel):
    """The agent's escalation the ticket came from."""

    id: int
    reason: str
    summary: str
    attempted_answer: str
    retrieved: list[str] = Field(description="Paths of the documents the agent retrieved.")


class TicketDetail(TicketPublic):
    """A ticket with its messages (notes included), attachments and outcomes."""

    messages: list[TicketMessagePublic]
    outcomes: list[OutcomePublic]
    handoff: HandoffPublic | None

    @classmethod
    def from_ticket(cls, ticket: Ticket, *, public_url: str) -> TicketDetail:
        handoff = ticket.handoff
        return cls.model_validate(
            {
                **TicketPublic.fields_of(ticket, public_url=public_url),
                "messages": [TicketMessagePublic.from_message(m) for m in ticket.messages],
                "outcomes": [OutcomePublic.model_validate(o) for o in ticket.outcomes],
                "handoff": None
                if handoff is None
                else HandoffPublic(
                    id=handoff.id,
                    reason=handoff.reason,
                    summary=handoff.summary,
                    attempted_answer=handoff.attempted_answer,
                    retrieved=[str(r.get("path", "")) for r in handoff.retrieved],
                ),
            }
        )


class TicketPage(BaseModel):
    """One page of tickets, newest first."""

    items: list[TicketPublic]
    next_before_id: int | None = Field(
        description="Pass as `before_id` for the next page; null on the last page."
    )


class PendingArticlePublic(BaseModel):
    ticket_id: int
    article_id: int
    slug: str
    title: str


__all__ = [
    "AssignRequest",
    "AttachmentPublic",
    "CloseRequest",
    "CustomerPublic",
    "FlagRequest",
    "OutcomeCreate",
    "PendingArticlePublic",
    "PriorityRequest",
    "ReplyCreate",
    "TicketCreate",
    "TicketDetail",
    "TicketMessagePublic",
    "TicketPage",
    "TicketPublic",
]
