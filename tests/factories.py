"""Test factories: small help centers on disk, ingested through the real code path."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from trycatch.knowledge.ingest import IngestReport, ingest_folder
from trycatch.knowledge.models import SourceKind
from trycatch.knowledge.taxonomy import Taxonomy

BANNER = "> Looking for help? Our support team answers within a day on weekdays."


def write(root: Path, relative: str, content: str | bytes) -> Path:
    """Write a file under ``root``, creating folders."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def make_page(title: str, *sections: tuple[str, str], front_matter: str = "") -> str:
    """A Markdown page with the given ``(heading, text)`` sections and the shared banner."""
    head = f"---\n{front_matter}\n---\n" if front_matter else ""
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections)
    return f"{head}# {title}\n\n{body}\n\n{BANNER}\n"


def ingest(
    session: Session,
    root: Path,
    *,
    taxonomy: Taxonomy | None = None,
    kind: SourceKind = SourceKind.DOCS,
    source_name: str | None = None,
    max_file_bytes: int = 1_000_000,
) -> IngestReport:
    return ingest_folder(
        session,
        root=root,
        taxonomy=taxonomy or Taxonomy(),
        kind=kind,
        source_name=source_name,
        max_file_bytes=max_file_bytes,
        boilerplate_share=0.5,
    )
