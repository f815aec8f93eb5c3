"""Every table of trycatch, imported in one place so Alembic sees the whole schema."""

from trycatch.agent.models import (
    Conversation,
    ConversationMessage,
    Customer,
    Feedback,
    Handoff,
    PromptVersion,
)
from trycatch.knowledge.models import Article, ArticleVersion, Chunk, Document, Source
from trycatch.store import Base, Event

__all__ = [
    "Article",
    "ArticleVersion",
    "Base",
    "Chunk",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "Document",
    "Event",
    "Feedback",
    "Handoff",
    "PromptVersion",
    "Source",
]
