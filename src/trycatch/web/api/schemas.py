"""The API's request and response bodies, one schema per use.

Requests forbid unknown fields and strip whitespace, so an empty or blank message is a 422
naming the field. Responses are built from the service's results, never from table rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from trycatch.agent.conversations import MAX_COMMENT, CustomerRef
from trycatch.agent.models import Conversation, ConversationMessage, Outcome, Rating, Role
from trycatch.agent.output import AgentReply
from trycatch.knowledge.search import SearchHit

# A hard ceiling on what is parsed at all; the configured limit
# (TRYCATCH_AGENT_MAX_QUESTION_CHARS) is checked by the agent and reported the same way.
MESSAGE_CEILING = 100_000

MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_CEILING),
    Field(description="What the customer wrote (Markdown or plain text)."),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerIdentity(_Request):
    """Who is asking, as the embedding site knows them; conversations of a named customer
    are shown only to requests that name the same customer (by email, else external id)."""

    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="The customer's email address.",
    )
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The customer's id in your own system.",
    )
    name: str = Field(default="", max_length=200, description="Display name.")

    def ref(self) -> CustomerRef:
        return CustomerRef(email=self.email, external_id=self.external_id, name=self.name)


def customer_ref(identity: CustomerIdentity | None) -> CustomerRef | None:
    return identity.ref() if identity is not None else None


class ConversationStart(_Request):
    """The first message of a new conversation."""

    message: MessageText
    customer: CustomerIdentity | None = None
    channel: Literal["api", "widget"] = Field(
        default="api", description="Where the conversation happens."
    )


class MessageCreate(_Request):
    """The customer's next message in a conversation."""

    message: MessageText
    customer: CustomerIdentity | None = None


class FeedbackCreate(_Request):
    """Thumbs up or down on one of the agent's answers."""

    rating: Rating
    comment: str = Field(default="", max_length=MAX_COMMENT, description="What was wrong.")
    customer: CustomerIdentity | None = None


class HandoffRequest(_Request):
    """Ask for a human (the body may be left out for an anonymous conversation)."""

    customer: CustomerIdentity | None = None


class CitationPublic(BaseModel):
    path: str
    title: str
    url: str


class ReplyPublic(BaseModel):
    """The agent's answer (the ``trycatch ask --json`` fields) and where it is stored."""

    outcome: Literal["answered", "escalated", "declined"]
    answer: str = Field(description="Markdown.")
    citations: list[CitationPublic]
    escalated: bool
    escalation_reason: str
    confidence: float
    conversation_id: str
    message_id: int
    ticket_url: str | None = Field(
        default=None,
        description="When escalated: the customer's link to the ticket a person will answer.",
    )

    @classmethod
    def from_reply(cls, reply: AgentReply, *, ticket_url: str | None = None) -> ReplyPublic:
        return cls.model_validate({**reply.public(), "ticket_url": ticket_url})


class MessagePublic(BaseModel):
    id: int
    role: Role
    text: str
    outcome: Outcome | None = None
    citations: list[CitationPublic] = Field(default_factory=list)
    created_at: datetime

    @classmethod
    def from_message(cls, message: ConversationMessage) -> MessagePublic:
        return cls(
            id=message.id,
            role=message.role,
            text=message.text,
            outcome=message.outcome,
            citations=[CitationPublic.model_validate(c) for c in message.citations or []],
            created_at=message.created_at,
        )


class TranscriptPublic(BaseModel):
    conversation_id: str
    channel: str
    outcome: Outcome
    created_at: datetime
    updated_at: datetime
    messages: list[MessagePublic]

    @classmethod
    def from_conversation(cls, conversation: Conversation) -> TranscriptPublic:
        return cls(
            conversation_id=conversation.public_id,
            channel=conversation.channel,
            outcome=conversation.outcome,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            messages=[MessagePublic.from_message(m) for m in conversation.messages],
        )


class FromRow(BaseModel):
    """A response read from a row's attributes of the same names (``model_validate(row)``)."""

    model_config = ConfigDict(from_attributes=True)


class FeedbackPublic(FromRow):
    id: int
    message_id: int
    rating: Rating
    comment: str
    created_at: datetime


class SearchResultPublic(BaseModel):
    """One document of the search contract (as ``trycatch search --json``)."""

    path: str
    title: str
    url: str
    score: float
    snippet: str = Field(description="The best passage, matched words in **bold**.")

    @classmethod
    def from_hit(cls, hit: SearchHit) -> SearchResultPublic:
        return cls.model_validate(hit.public())


class Health(BaseModel):
    status: Literal["ok"] = "ok"


__all__ = [
    "CitationPublic",
    "ConversationStart",
    "CustomerIdentity",
    "FeedbackCreate",
    "FeedbackPublic",
    "FromRow",
    "HandoffRequest",
    "Health",
    "MessageCreate",
    "MessagePublic",
    "ReplyPublic",
    "SearchResultPublic",
    "TranscriptPublic",
    "customer_ref",
]
