"""Every table of trycatch, imported in one place so Alembic sees the whole schema."""

from trycatch.agent.models import (
    Conversation,
    ConversationMessage,
    Customer,
    Feedback,
    Handoff,
    PromptVersion,
)
from trycatch.desk.models import ApiToken, Ticket, TicketMessage, TicketOutcome, User
from trycatch.knowledge.models import Article, ArticleVersion, Chunk, Document, Source
from trycatch.store import Base, Event
from trycatch.tracker.models import EngineeringIssue, IssueLink

__all__ = [
    "ApiToken",
    "Article",
    "ArticleVersion",
    "Base",
    "Chunk",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "Document",
    "EngineeringIssue",
    "Event",
    "Feedback",
    "Handoff",
    "IssueLink",
    "PromptVersion",
    "Source",
    "Ticket",
    "TicketMessage",
    "TicketOutcome",
    "User",
]
