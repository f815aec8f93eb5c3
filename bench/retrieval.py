"""Retrieval quality on the Resend corpus: trycatch search vs a plain bm25s index.

    .venv/bin/python bench/retrieval.py [--embeddings] [--verbose]

Recall@1, Recall@5 and MRR@10 over the questions that expect an answer, per set, for the
default (BM25) search, a plain bm25s index over the same chunks, and (with --embeddings,
needs the [embeddings] extra) the hybrid search.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select

from common import (
    QUESTION_SETS,
    RetrievalScore,
    corpus_database,
    load_questions,
    machine,
    markdown_table,
)
from trycatch.knowledge.models import Chunk, Document
from trycatch.knowledge.search import search


def bm25s_baseline(database):  # type: ignore[no-untyped-def]
    """A plain bm25s index over the same chunks (English stemming and stop-words)."""
    import bm25s
    import Stemmer

    with database.session() as session:
        rows = session.execute(
            select(Chunk.heading_path, Chunk.text, Document.path).join(Document)
        ).all()
    stemmer = Stemmer.Stemmer("english")
    corpus = [f"{heading}\n{text}" for heading, text, _ in rows]
    paths = [path for _, _, path in rows]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )

    def ranked(question: str) -> list[str]:
        tokens = bm25s.tokenize([question], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        results, _ = retriever.retrieve(tokens, k=min(60, len(corpus)), show_progress=False)
        return list(dict.fromkeys(paths[i] for i in results[0]))

    return ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embeddings", action="store_true", help="also run hybrid search")
    parser.add_argument("--verbose", action="store_true", help="print misses")
    args = parser.parse_args()

    database, _ = corpus_database()
    systems = {"trycatch (BM25, default)": None, "bm25s plain": bm25s_baseline(database)}
    rows = []
    for name in QUESTION_SETS:
        questions = [q for q in load_questions(name) if q.expect == "answer"]
        for system, baseline in systems.items():
            score = RetrievalScore()
            with database.session() as session:
                for q in questions:
                    if baseline is None:
                        paths = [hit.path for hit in search(session, q.question, limit=10)]
                    else:
                        paths = baseline(q.question)
                    score.add(paths, q.relevant)
                    missed = not set(paths[:1]) & set(q.relevant)
                    if args.verbose and baseline is None and missed:
                        print(f"  miss {q.id}: want {q.relevant} got {paths[:3]}", file=sys.stderr)
            rows.append([name, system, str(len(questions)), *score.row()])
    print(markdown_table(["set", "system", "questions", "R@1", "R@5", "MRR@10"], rows))
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
