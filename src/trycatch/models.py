"""Every table of trycatch, imported in one place so Alembic sees the whole schema."""

from trycatch.knowledge.models import Article, ArticleVersion, Chunk, Document, Source
from trycatch.store import Base, Event

__all__ = ["Article", "ArticleVersion", "Base", "Chunk", "Document", "Event", "Source"]
