"""Ingesting a folder of Markdown/MDX into a source: incremental, and tolerant of bad files.

A file that cannot be used (unreadable, binary, empty, too large, bad front matter, a link
out of the folder) is reported with its path and problem; the rest of the folder is still
ingested. Unchanged files (same content hash) are skipped, changed ones re-indexed, files
gone from the folder removed from the index — all in one transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.knowledge.chunking import find_boilerplate, remove_boilerplate
from trycatch.knowledge.embeddings import Embedder, embed_missing_chunks
from trycatch.knowledge.indexing import index_document, unindex_document
from trycatch.knowledge.models import Document, Source, SourceKind
from trycatch.knowledge.pages import Page, PageError, read_page
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.store import record_event, utcnow

PAGE_SUFFIXES = frozenset({".md", ".mdx", ".markdown"})
SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__"})

Progress = Callable[[int, int], None]


class IngestError(ValueError):
    """The whole ingest cannot run (the folder itself is missing or not a folder)."""


@dataclass(frozen=True, slots=True)
class IngestProblem:
    path: str
    problem: str


@dataclass(slots=True)
class IngestReport:
    source: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    problems: list[IngestProblem] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.problems)


@dataclass(frozen=True, slots=True)
class _ReadPage:
    path: str
    text: str
    page: Page


class _FileProblem(ValueError):
    pass


def page_files(root: Path, *, exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Markdown and MDX files under ``root``; hidden folders, node_modules and paths
    matching an ``exclude`` glob (relative to ``root``) left out."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part in SKIPPED_DIRECTORIES for part in relative.parts):
            continue
        if any(fnmatchcase(relative.as_posix(), pattern) for pattern in exclude):
            continue
        if path.suffix.lower() in PAGE_SUFFIXES and (path.is_file() or path.is_symlink()):
            yield path


def _read_text(root: Path, path: Path, *, max_bytes: int) -> str:
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise _FileProblem(f"unreadable: {error}") from error
    if not resolved.is_relative_to(root):
        raise _FileProblem(f"links outside the folder (to {resolved}); not ingested")
    try:
        size = resolved.stat().st_size
        if size > max_bytes:
            raise _FileProblem(f"too large: {size:,} bytes, the limit is {max_bytes:,}")
        data = resolved.read_bytes()
    except OSError as error:
        raise _FileProblem(f"unreadable: {error.strerror or error}") from error
    if b"\x00" in data:
        raise _FileProblem("binary file (contains NUL bytes); not a text page")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _FileProblem(
            f"not UTF-8 text (byte {error.start}); binary or another encoding"
        ) from error
    if not text.strip():
        raise _FileProblem("empty file")
    return text


def _read_pages(
    root: Path, *, exclude: Sequence[str], max_bytes: int, report: IngestReport
) -> tuple[list[_ReadPage], set[str]]:
    """The readable pages, and every path seen (a file that fails is kept in the index)."""
    pages: list[_ReadPage] = []
    seen: set[str] = set()
    for path in page_files(root, exclude=exclude):
        relative = path.relative_to(root).as_posix()
        seen.add(relative)
        try:
            text = _read_text(root, path, max_bytes=max_bytes)
            pages.append(_ReadPage(relative, text, read_page(text, path=relative)))
        except (_FileProblem, PageError) as problem:
            report.problems.append(IngestProblem(relative, str(problem)))
    return pages, seen


def _url(base_url: str | None, source_name: str, path: str) -> str:
    slug = path.rsplit(".", 1)[0]
    if base_url:
        return f"{base_url.rstrip('/')}/{slug}"
    return f"/{source_name}/{slug}"


def _content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _source(
    session: Session, *, name: str, kind: SourceKind, root: Path, base_url: str | None
) -> Source:
    source = session.scalars(select(Source).where(Source.name == name)).one_or_none()
    if source is None:
        source = Source(name=name, kind=kind, root=str(root), base_url=base_url, boilerplate=[])
        session.add(source)
        session.flush()
    source.kind = kind
    source.root = str(root)
    source.base_url = base_url
    source.updated_at = utcnow()
    return source


def ingest_folder(
    session: Session,
    *,
    root: Path,
    taxonomy: Taxonomy,
    source_name: str | None = None,
    kind: SourceKind = SourceKind.DOCS,
    base_url: str | None = None,
    exclude: Sequence[str] = (),
    max_file_bytes: int,
    boilerplate_share: float,
    actor: str = "cli",
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Index the Markdown/MDX pages under ``root`` into a source, and commit.

    With an ``embedder``, new and changed chunks are embedded, and so are chunks indexed
    before embeddings were turned on; an embeddings failure rolls the ingest back.
    """
    started = time.perf_counter()
    if not root.exists():
        raise IngestError(f"{root}: no such folder")
    if not root.is_dir():
        raise IngestError(f"{root}: not a folder")
    root = root.resolve()
    name = source_name or root.name
    report = IngestReport(source=name)

    pages, seen = _read_pages(root, exclude=exclude, max_bytes=max_file_bytes, report=report)
    boilerplate = find_boilerplate([p.page.body for p in pages], share=boilerplate_share)
    signature = _content_hash(*sorted(boilerplate))
    source = _source(session, name=name, kind=kind, root=root, base_url=base_url)
    source.boilerplate = sorted(boilerplate)
    existing = {
        document.path: document
        for document in session.scalars(select(Document).where(Document.source_id == source.id))
    }

    for done, item in enumerate(pages, start=1):
        area = taxonomy.product_area_for(path=item.path, front_matter=item.page.front_matter)
        url = _url(base_url, name, item.path)
        content_hash = _content_hash(item.text, signature, area or "", url)
        document = existing.get(item.path)
        if document is not None and document.content_hash == content_hash:
            report.skipped += 1
        else:
            if document is None:
                document = Document(source_id=source.id, path=item.path)
                session.add(document)
                report.added += 1
            else:
                unindex_document(session, document.id)
                report.updated += 1
            document.title = item.page.title
            document.description = item.page.description
            document.url = url
            document.body = item.page.body
            document.product_area = area
            document.content_hash = content_hash
            document.updated_at = utcnow()
            session.flush()
            index_document(
                session,
                document,
                body=remove_boilerplate(item.page.body, boilerplate),
                embedder=embedder,
            )
        if progress is not None:
            progress(done, len(pages))

    for existing_path, document in existing.items():
        if existing_path not in seen:
            unindex_document(session, document.id)
            session.delete(document)
            report.removed += 1

    if embedder is not None:
        embed_missing_chunks(session, embedder)
    report.seconds = round(time.perf_counter() - started, 3)
    record_event(
        session,
        actor=actor,
        action="knowledge.ingested",
        subject=f"source:{name}",
        data={
            "added": report.added,
            "updated": report.updated,
            "removed": report.removed,
            "skipped": report.skipped,
            "failed": report.failed,
        },
    )
    session.commit()
    return report


__all__ = [
    "IngestError",
    "IngestProblem",
    "IngestReport",
    "ingest_folder",
    "page_files",
]
