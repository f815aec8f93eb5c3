"""KB articles written in the app: create, edit, publish, unpublish, with version history.

Publishing puts the article into the search index in the same transaction, so it is found
by search and the agent the moment the commit returns. Editing a published article updates
the live copy too; every save is a new ArticleVersion.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.knowledge.embeddings import Embedder, EmbeddingsError
from trycatch.knowledge.indexing import index_document, unindex_document
from trycatch.knowledge.models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    Document,
    Source,
    SourceKind,
)
from trycatch.store import record_event, utcnow

logger = logging.getLogger(__name__)

ARTICLES_SOURCE = "articles"
ARTICLES_URL = "/kb"
MAX_TITLE = 300
MAX_BODY = 200_000


class ArticleError(ValueError):
    """Invalid article input; the message names the field."""


class ArticleNotFound(LookupError):
    pass


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "article"


def _validate(*, title: str, body: str) -> tuple[str, str]:
    title = title.strip()
    if not title:
        raise ArticleError("title: must not be empty")
    if len(title) > MAX_TITLE:
        raise ArticleError(f"title: at most {MAX_TITLE} characters")
    if not body.strip():
        raise ArticleError("body: must not be empty")
    if len(body) > MAX_BODY:
        raise ArticleError(f"body: at most {MAX_BODY:,} characters")
    return title, body


def _unique_slug(session: Session, base: str) -> str:
    taken = set(session.scalars(select(Article.slug).where(Article.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def get_article(session: Session, slug: str) -> Article:
    article = session.scalars(select(Article).where(Article.slug == slug)).one_or_none()
    if article is None:
        raise ArticleNotFound(f"no article with slug {slug!r}")
    return article


def list_articles(session: Session, *, status: ArticleStatus | None = None) -> list[Article]:
    query = select(Article).order_by(Article.updated_at.desc())
    if status is not None:
        query = query.where(Article.status == status)
    return list(session.scalars(query))


def _add_version(session: Session, article: Article, *, author: str, note: str) -> None:
    number = len(article.versions) + 1
    article.versions.append(
        ArticleVersion(
            number=number,
            title=article.title,
            body=article.body,
            product_area=article.product_area,
            author=author,
            note=note,
            created_at=utcnow(),
        )
    )


def _articles_source(session: Session) -> Source:
    source = session.scalars(select(Source).where(Source.name == ARTICLES_SOURCE)).one_or_none()
    if source is None:
        source = Source(name=ARTICLES_SOURCE, kind=SourceKind.KB, base_url=ARTICLES_URL)
        session.add(source)
        session.flush()
    return source


def _put_live(session: Session, article: Article, *, embedder: Embedder | None = None) -> None:
    """Create or refresh the article's searchable document."""
    source = _articles_source(session)
    path = f"{article.slug}.md"
    document = session.scalars(
        select(Document).where(Document.source_id == source.id, Document.path == path)
    ).one_or_none()
    version = len(article.versions)
    if document is None:
        document = Document(source_id=source.id, path=path)
    else:
        unindex_document(session, document.id)
    document.title = article.title
    document.description = ""
    document.url = f"{ARTICLES_URL}/{article.slug}"
    document.body = article.body
    document.product_area = article.product_area
    document.content_hash = f"article:{article.id}:{version}"
    document.article_id = article.id
    document.updated_at = utcnow()
    session.add(document)
    session.flush()
    try:
        index_document(session, document, body=article.body, embedder=embedder)
    except EmbeddingsError as error:
        # Publishing must not wait on an embeddings endpoint: BM25 finds the article now,
        # and the next ingest embeds the chunks left without a vector.
        logger.warning("article %s published without embeddings: %s", article.slug, error)
        index_document(session, document, body=article.body)


def _take_down(session: Session, article: Article) -> None:
    for document in session.scalars(select(Document).where(Document.article_id == article.id)):
        unindex_document(session, document.id)
        session.delete(document)


def create_article(
    session: Session,
    *,
    title: str,
    body: str,
    author: str,
    product_area: str | None = None,
    slug: str | None = None,
    source_ticket_id: int | None = None,
) -> Article:
    """Save a new draft article (version 1); ``source_ticket_id``: the ticket that caused it."""
    title, body = _validate(title=title, body=body)
    if slug is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise ArticleError("slug: lowercase letters, digits and dashes only")
    now = utcnow()
    article = Article(
        slug=_unique_slug(session, slug or slugify(title)),
        title=title,
        body=body,
        product_area=product_area,
        status=ArticleStatus.DRAFT,
        author=author,
        created_at=now,
        updated_at=now,
        source_ticket_id=source_ticket_id,
    )
    session.add(article)
    _add_version(session, article, author=author, note="created")
    session.flush()
    record_event(
        session,
        actor=author,
        action="article.created",
        subject=f"article:{article.slug}",
        data={"source_ticket_id": source_ticket_id} if source_ticket_id else None,
    )
    session.commit()
    return article


def edit_article(
    session: Session,
    *,
    slug: str,
    author: str,
    title: str | None = None,
    body: str | None = None,
    product_area: str | None = None,
    note: str = "",
    embedder: Embedder | None = None,
) -> Article:
    """Save a new version; a published article is updated live in the same transaction."""
    article = get_article(session, slug)
    new_title, new_body = _validate(
        title=article.title if title is None else title,
        body=article.body if body is None else body,
    )
    article.title = new_title
    article.body = new_body
    if product_area is not None:
        article.product_area = product_area or None
    article.updated_at = utcnow()
    _add_version(session, article, author=author, note=note or "edited")
    if article.status == ArticleStatus.PUBLISHED:
        _put_live(session, article, embedder=embedder)
    record_event(
        session,
        actor=author,
        action="article.edited",
        subject=f"article:{article.slug}",
        data={"version": len(article.versions)},
    )
    session.commit()
    return article


def publish_article(
    session: Session, *, slug: str, actor: str, embedder: Embedder | None = None
) -> Article:
    """Make the article live: searchable as soon as this commits."""
    article = get_article(session, slug)
    article.status = ArticleStatus.PUBLISHED
    article.published_at = utcnow()
    article.updated_at = article.published_at
    _put_live(session, article, embedder=embedder)
    record_event(
        session,
        actor=actor,
        action="article.published",
        subject=f"article:{article.slug}",
        data={"version": len(article.versions)},
    )
    session.commit()
    return article


def unpublish_article(session: Session, *, slug: str, actor: str) -> Article:
    """Take the article out of the help center and the index; it stays as a draft."""
    article = get_article(session, slug)
    article.status = ArticleStatus.DRAFT
    article.updated_at = utcnow()
    _take_down(session, article)
    record_event(session, actor=actor, action="article.unpublished", subject=f"article:{slug}")
    session.commit()
    return article


__all__ = [
    "ARTICLES_SOURCE",
    "ArticleError",
    "ArticleNotFound",
    "create_article",
    "edit_article",
    "get_article",
    "list_articles",
    "publish_article",
    "slugify",
    "unpublish_article",
]
