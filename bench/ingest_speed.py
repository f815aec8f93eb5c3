"""Ingestion speed: the Resend docs corpus into a fresh database, documents/s and chunks/s.

    .venv/bin/python bench/ingest_speed.py [--runs 3] [--pg URL | --no-pg]

Each run migrates a fresh database (a new SQLite file; on PostgreSQL a throwaway schema,
dropped at the end even on error), ingests the corpus with the default install (BM25 only,
default settings, no taxonomy file), then ingests it again unchanged (every page skipped).
The table gives the median of the runs; the stemmer's cache is cleared before each run so
every run pays what a fresh ``trycatch ingest`` process pays (imports excluded).
Target: >= 200 documents/s on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, func, select, text

from common import CORPUS, CORPUS_EXCLUDE, machine, markdown_table
from trycatch.knowledge.analyzer import stem
from trycatch.knowledge.ingest import IngestReport, ingest_folder
from trycatch.knowledge.models import Chunk, Document
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.settings import Settings, database_url_from
from trycatch.store import Database, open_database, upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_DOCUMENTS_PER_SECOND = 200

# Opens a fresh, migrated database and disposes of it on exit.
OpenFresh = Callable[[], AbstractContextManager[Database]]


# --- fresh, migrated databases -------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[Database]:
    """A migrated SQLite file in a temporary folder, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="trycatch-bench-") as directory:
        url = str(Path(directory) / "bench.db")
        upgrade(url)
        database = open_database(url)
        try:
            yield database
        finally:
            database.dispose()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """A migrated throwaway schema on the PostgreSQL server at ``url``, dropped afterwards.

    The schema is made the connections' ``search_path`` through libpq's ``options``, so
    trycatch's migrations and queries run in it unchanged.
    """
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url_from(url))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in url else "?"
        scoped = f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
        database: Database | None = None
        try:
            upgrade(scoped)
            database = open_database(scoped)
            yield database
        finally:
            if database is not None:
                database.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


# --- what one row of the table measures ----------------------------------------------------


def ingest_corpus(database: Database) -> IngestReport:
    """The corpus ingested the way ``trycatch ingest`` does with default settings."""
    settings = Settings()
    with database.session() as session:
        return ingest_folder(
            session,
            root=CORPUS,
            source_name="resend-docs",
            taxonomy=Taxonomy(),
            exclude=CORPUS_EXCLUDE,
            max_file_bytes=settings.max_file_bytes,
            boilerplate_share=settings.boilerplate_share,
        )


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of ingesting, a row per database engine: the default install, and later
    optional features (dense embeddings would be one more ``Variant``)."""

    name: str
    ingest: Callable[[Database], IngestReport]


VARIANTS = (Variant("default (BM25)", ingest_corpus),)


@dataclass(slots=True)
class Measurement:
    documents: int = 0
    chunks: int = 0
    ingest_seconds: list[float] = field(default_factory=list)
    reingest_seconds: list[float] = field(default_factory=list)
    migrate_seconds: list[float] = field(default_factory=list)

    def row(self, engine: str, variant: str) -> list[str]:
        ingest = statistics.median(self.ingest_seconds)
        return [
            engine,
            variant,
            str(self.documents),
            str(self.chunks),
            f"{statistics.median(self.migrate_seconds):.2f}",
            f"{ingest:.2f}",
            f"{self.documents / ingest:,.0f}",
            f"{self.chunks / ingest:,.0f}",
            f"{statistics.median(self.reingest_seconds):.3f}",
        ]


def measure(
    open_fresh: OpenFresh,
    variant: Variant,
    *,
    runs: int,
) -> Measurement:
    result = Measurement()
    for _ in range(runs):
        started = time.perf_counter()
        with open_fresh() as database:
            result.migrate_seconds.append(time.perf_counter() - started)
            stem.cache_clear()
            started = time.perf_counter()
            report = variant.ingest(database)
            result.ingest_seconds.append(time.perf_counter() - started)
            if report.problems or report.added == 0:
                raise SystemExit(f"ingest failed: {report}")
            started = time.perf_counter()
            again = variant.ingest(database)
            result.reingest_seconds.append(time.perf_counter() - started)
            if again.skipped != report.added or again.added or again.updated:
                raise SystemExit(f"re-ingest did not skip every page: {again}")
            with database.session() as session:
                result.documents = session.scalar(select(func.count()).select_from(Document)) or 0
                result.chunks = session.scalar(select(func.count()).select_from(Chunk)) or 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh databases per row (median)")
    parser.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL URL (default {DEFAULT_PG})")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()

    engines: list[tuple[str, OpenFresh]] = [("SQLite", sqlite_database)]
    if not args.no_pg:
        engines.append(("PostgreSQL", lambda: postgres_database(args.pg)))

    rows = []
    for engine, open_fresh in engines:
        for variant in VARIANTS:
            result = measure(open_fresh, variant, runs=args.runs)
            rows.append(result.row(engine, variant.name))
    print(
        markdown_table(
            [
                "engine",
                "variant",
                "documents",
                "chunks",
                "migrate s",
                "ingest s",
                "documents/s",
                "chunks/s",
                "re-ingest s (unchanged)",
            ],
            rows,
        )
    )
    print(
        f"\nmedian of {args.runs} runs, fresh database each; target >= "
        f"{TARGET_DOCUMENTS_PER_SECOND} documents/s"
    )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
