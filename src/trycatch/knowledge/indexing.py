"""Putting a document's chunks into the search index and taking them out again.

Shared by folder ingestion and KB article publishing, so both are searchable the same way
and in the caller's transaction.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from trycatch.knowledge.analyzer import analyzed_text
from trycatch.knowledge.chunking import split_sections
from trycatch.knowledge.embeddings import Embedder, embed_chunks
from trycatch.knowledge.models import Chunk, Document
from trycatch.store.fulltext import FullTextIndex, IndexedChunk, fulltext_index_for


def index_for(session: Session) -> FullTextIndex:
    return fulltext_index_for(session.get_bind().dialect.name)


def _path_words(path: str) -> str:
    # "knowledge-base/403-error-resend-dev-domain.md" names the page as well as its title.
    without_suffix = re.sub(r"\.(md|mdx|markdown)$", "", path)
    return without_suffix.replace("/", " ").replace("-", " ").replace("_", " ")


def index_document(
    session: Session, document: Document, *, body: str, embedder: Embedder | None = None
) -> list[Chunk]:
    """Cut ``body`` into chunks of ``document`` and index them (and embed them, with an
    ``embedder``). The caller commits."""
    sections = split_sections(body, title=document.title)
    chunks = [
        Chunk(
            document_id=document.id,
            position=position,
            heading_path=section.heading_path,
            text=section.text,
        )
        for position, section in enumerate(sections)
    ]
    if document.description and (not chunks or document.description not in chunks[0].text):
        chunks.insert(0, Chunk(document_id=document.id, position=-1, text=document.description))
        chunks[0].heading_path = document.title
    if embedder is not None:
        embed_chunks(chunks, embedder)
    session.add_all(chunks)
    session.flush()
    title_field = analyzed_text(f"{document.title} {_path_words(document.path)}")
    index_for(session).add(
        session,
        [
            IndexedChunk(
                chunk_id=chunk.id,
                title=title_field,
                headings=analyzed_text(chunk.heading_path.partition(" > ")[2]),
                body=analyzed_text(chunk.text),
            )
            for chunk in chunks
        ],
    )
    return chunks


def unindex_document(session: Session, document_id: int) -> None:
    """Remove a document's chunks from the index and the database. The caller commits."""
    chunk_ids = list(session.scalars(select(Chunk.id).where(Chunk.document_id == document_id)))
    index_for(session).remove(session, chunk_ids)
    session.execute(delete(Chunk).where(Chunk.document_id == document_id))


__all__ = ["index_document", "index_for", "unindex_document"]
