"""The sample help center shipped for the demo: Hookrelay, a fictional webhook-delivery API."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from trycatch.knowledge.ingest import IngestReport, ingest_folder
from trycatch.knowledge.models import SourceKind
from trycatch.knowledge.taxonomy import load_taxonomy

SAMPLE_PRODUCT = "Hookrelay"
SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "sample" / "hookrelay"
SAMPLE_TAXONOMY = SAMPLE_ROOT / "taxonomy.yaml"
# (folder and source name, kind, public URL prefix in the help center)
SAMPLE_SOURCES: tuple[tuple[str, SourceKind], ...] = (
    ("docs", SourceKind.DOCS),
    ("knowledge-base", SourceKind.KB),
    ("examples", SourceKind.EXAMPLES),
)


def ingest_sample(
    session: Session, *, max_file_bytes: int, boilerplate_share: float
) -> list[IngestReport]:
    """Ingest the three sample sources (docs, knowledge base, code examples)."""
    taxonomy = load_taxonomy(SAMPLE_TAXONOMY)
    return [
        ingest_folder(
            session,
            root=SAMPLE_ROOT / folder,
            source_name=folder,
            kind=kind,
            taxonomy=taxonomy,
            max_file_bytes=max_file_bytes,
            boilerplate_share=boilerplate_share,
            actor="demo",
        )
        for folder, kind in SAMPLE_SOURCES
    ]


__all__ = ["SAMPLE_PRODUCT", "SAMPLE_ROOT", "SAMPLE_SOURCES", "SAMPLE_TAXONOMY", "ingest_sample"]
