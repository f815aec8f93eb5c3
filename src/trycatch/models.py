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
from trycatch.evals.models import (
    AgentFile,
    CachedResponse,
    EvalCase,
    EvalCaseRevision,
    EvalResult,
    EvalRun,
)
from trycatch.knowledge.models import Article, ArticleVersion, Chunk, Document, Source
from trycatch.store import Base, Event
from trycatch.tracker.models import EngineeringIssue, IssueLink

__all__ = [
    "AgentFile",
    "ApiToken",
    "Article",
    "ArticleVersion",
    "Base",
    "CachedResponse",
    "Chunk",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "Document",
    "EngineeringIssue",
    "EvalCase",
    "EvalCaseRevision",
    "EvalResult",
    "EvalRun",
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
