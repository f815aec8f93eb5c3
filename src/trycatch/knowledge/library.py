"""Reading the try block's content as the help center shows it: read-only queries.

Nothing here writes. A page is found by the public URL it was ingested with; sources and
product areas are listed with how many documents they hold; the newest knowledge-base
articles come first on the help center's home.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trycatch.knowledge.models import Document, Source, SourceKind
from trycatch.knowledge.taxonomy import Taxonomy, TaxonomyError, find_taxonomy, load_taxonomy

RECENT_ARTICLES = 6
# Words a slug spells in lowercase that read better as written in docs.
_UPPER_WORDS = frozenset({"api", "apis", "sdk", "sdks", "sso", "ip", "url", "dns", "tls", "faq"})


@dataclass(frozen=True, slots=True)
class SourceSummary:
    name: str
    kind: SourceKind
    documents: int
    root: str | None


@dataclass(frozen=True, slots=True)
class ProductAreaSummary:
    slug: str
    name: str
    description: str
    documents: int


def document_by_url(session: Session, url: str) -> Document | None:
    """The document published at ``url`` (a path such as ``/kb/rotate-a-key``), if any."""
    return session.scalars(
        select(Document).where(Document.url == url).order_by(Document.id).limit(1)
    ).first()


def list_sources(session: Session) -> list[SourceSummary]:
    """Every source with at least one document, largest first."""
    rows = session.execute(
        select(Source.name, Source.kind, Source.root, func.count(Document.id))
        .join(Document, Document.source_id == Source.id)
        .group_by(Source.id, Source.name, Source.kind, Source.root)
        .order_by(func.count(Document.id).desc(), Source.name)
    ).all()
    return [
        SourceSummary(name=name, kind=SourceKind(kind), documents=count, root=root)
        for name, kind, root, count in rows
    ]


def recent_articles(session: Session, *, limit: int = RECENT_ARTICLES) -> list[Document]:
    """The knowledge-base documents changed most recently."""
    return list(
        session.scalars(
            select(Document)
            .join(Source, Document.source_id == Source.id)
            .where(Source.kind == SourceKind.KB)
            .order_by(Document.updated_at.desc(), Document.id.desc())
            .limit(limit)
        )
    )


def documents_in_area(session: Session, slug: str) -> list[Document]:
    """The documents of one product area, by title."""
    return list(
        session.scalars(
            select(Document).where(Document.product_area == slug).order_by(Document.title)
        )
    )


def documents_in_source(session: Session, name: str) -> list[Document]:
    """The documents of one source, by path."""
    return list(
        session.scalars(
            select(Document)
            .join(Source, Document.source_id == Source.id)
            .where(Source.name == name)
            .order_by(Document.path)
        )
    )


def related_documents(session: Session, document: Document, *, limit: int = 5) -> list[Document]:
    """Other documents of the same product area, by title."""
    if document.product_area is None:
        return []
    return list(
        session.scalars(
            select(Document)
            .where(Document.product_area == document.product_area, Document.id != document.id)
            .order_by(Document.title)
            .limit(limit)
        )
    )


def library_taxonomy(session: Session, *, explicit: Path | None = None) -> Taxonomy:
    """The taxonomy that names the product areas: the configured file, else the one next to
    (or one folder above) an ingested source, else the defaults."""
    if explicit is not None:
        return load_taxonomy(explicit)
    folders: list[Path] = []
    for root in session.scalars(select(Source.root).where(Source.root.is_not(None))):
        if root:
            folders += [Path(root), Path(root).parent]
    try:
        return find_taxonomy(*dict.fromkeys(folders))
    except TaxonomyError:
        # A broken file next to the content must not take the help center down.
        return Taxonomy()


def humanize_slug(slug: str) -> str:
    """``api-keys`` → ``API keys``: a readable name for an area the taxonomy does not name."""
    words = [w.upper() if w in _UPPER_WORDS else w for w in slug.replace("_", "-").split("-")]
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def list_product_areas(session: Session, taxonomy: Taxonomy) -> list[ProductAreaSummary]:
    """Product areas that have documents, in the taxonomy's order, then the unnamed ones."""
    counts: dict[str, int] = {
        str(slug): int(count)
        for slug, count in session.execute(
            select(Document.product_area, func.count(Document.id))
            .where(Document.product_area.is_not(None))
            .group_by(Document.product_area)
        ).all()
    }
    order: Sequence[str] = [a.slug for a in taxonomy.product_areas if a.slug in counts]
    order = [*order, *sorted(slug for slug in counts if slug not in order)]
    summaries = []
    for slug in order:
        area = taxonomy.area(slug)
        summaries.append(
            ProductAreaSummary(
                slug=slug,
                name=area.name if area else humanize_slug(slug),
                description=area.description if area else "",
                documents=counts[slug],
            )
        )
    return summaries


@dataclass(frozen=True, slots=True)
class LibraryHome:
    """What the help center's home shows."""

    sources: list[SourceSummary]
    areas: list[ProductAreaSummary]
    recent: list[Document]


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One document with its product area's name and its neighbours."""

    document: Document
    area_name: str | None
    related: list[Document]


@dataclass(frozen=True, slots=True)
class AreaPage:
    area: ProductAreaSummary
    documents: list[Document]


@dataclass(frozen=True, slots=True)
class SourcePage:
    source: SourceSummary
    documents: list[Document]


def library_home(session: Session, *, taxonomy_path: Path | None = None) -> LibraryHome:
    taxonomy = library_taxonomy(session, explicit=taxonomy_path)
    return LibraryHome(
        sources=list_sources(session),
        areas=list_product_areas(session, taxonomy),
        recent=recent_articles(session),
    )


def document_page(
    session: Session, url: str, *, taxonomy_path: Path | None = None
) -> DocumentPage | None:
    """The document at ``url`` as a page, or None."""
    document = document_by_url(session, url)
    if document is None:
        return None
    area_name = None
    if document.product_area is not None:
        area = library_taxonomy(session, explicit=taxonomy_path).area(document.product_area)
        area_name = area.name if area else humanize_slug(document.product_area)
    return DocumentPage(
        document=document, area_name=area_name, related=related_documents(session, document)
    )


def area_page(session: Session, slug: str, *, taxonomy_path: Path | None = None) -> AreaPage | None:
    """The documents of one product area, or None when it has none."""
    taxonomy = library_taxonomy(session, explicit=taxonomy_path)
    area = next((a for a in list_product_areas(session, taxonomy) if a.slug == slug), None)
    if area is None:
        return None
    return AreaPage(area=area, documents=documents_in_area(session, slug))


def source_page(session: Session, name: str) -> SourcePage | None:
    """The documents of one source, or None when it has none."""
    source = next((s for s in list_sources(session) if s.name == name), None)
    if source is None:
        return None
    return SourcePage(source=source, documents=documents_in_source(session, name))


__all__ = [
    "AreaPage",
    "DocumentPage",
    "LibraryHome",
    "ProductAreaSummary",
    "SourcePage",
    "SourceSummary",
    "area_page",
    "document_by_url",
    "document_page",
    "documents_in_area",
    "documents_in_source",
    "humanize_slug",
    "library_home",
    "library_taxonomy",
    "list_product_areas",
    "list_sources",
    "recent_articles",
    "related_documents",
    "source_page",
]
