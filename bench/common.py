"""Shared by the benchmarks: the corpus, the question sets, scoring, tables."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path

from trycatch.knowledge.ingest import IngestReport, ingest_folder
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.settings import Settings
from trycatch.store import Database, open_database, upgrade

SHARED = Path(os.environ.get("TRYCATCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CORPUS = SHARED / "corpora" / "resend-docs"
QUESTION_SETS = ("dev-questions", "dev-real-questions")
# Files of the corpus folder that describe the snapshot, not pages of the help center.
CORPUS_EXCLUDE = ("SOURCE.md", "MANIFEST.tsv")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    expect: str
    relevant: tuple[str, ...]


def load_questions(name: str) -> list[Question]:
    path = SHARED / "bench" / f"{name}.jsonl"
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            questions.append(
                Question(
                    id=record["id"],
                    question=record["question"],
                    expect=record["expect"],
                    relevant=tuple(record.get("relevant", [])),
                )
            )
    return questions


def corpus_database(folder: Path | None = None) -> tuple[Database, IngestReport]:
    """A fresh SQLite database with the corpus ingested."""
    directory = folder or Path(tempfile.mkdtemp(prefix="trycatch-bench-"))
    url = str(directory / "bench.db")
    upgrade(url)
    database = open_database(url)
    settings = Settings()
    with database.session() as session:
        report = ingest_folder(
            session,
            root=CORPUS,
            source_name="resend-docs",
            taxonomy=Taxonomy(),
            exclude=CORPUS_EXCLUDE,
            max_file_bytes=settings.max_file_bytes,
            boilerplate_share=settings.boilerplate_share,
        )
    return database, report


@dataclass(slots=True)
class RetrievalScore:
    questions: int = 0
    at1: int = 0
    at5: int = 0
    reciprocal: float = 0.0

    def add(self, ranked_paths: list[str], relevant: tuple[str, ...]) -> None:
        self.questions += 1
        distinct = list(dict.fromkeys(ranked_paths))
        rank = next((i for i, p in enumerate(distinct[:10], start=1) if p in relevant), None)
        if rank is None:
            return
        self.reciprocal += 1 / rank
        self.at1 += rank == 1
        self.at5 += rank <= 5

    def row(self) -> tuple[str, str, str]:
        n = max(self.questions, 1)
        return (f"{self.at1 / n:.3f}", f"{self.at5 / n:.3f}", f"{self.reciprocal / n:.3f}")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
