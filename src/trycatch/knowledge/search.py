"""Searching the try block's content: ranked documents with their best passage.

Chunks are ranked by BM25 (title and headings weigh more than the body) in the database's
full-text index; results are grouped per document, best chunk first, with a snippet of that
chunk around the query's words. With dense retrieval configured, the BM25 and embedding
rankings are fused by reciprocal rank.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.knowledge.analyzer import stem
from trycatch.knowledge.embeddings import Embedder, dense_ranking_or_none
from trycatch.knowledge.indexing import index_for
from trycatch.knowledge.models import Chunk, Document, Source
from trycatch.knowledge.query import query_terms, split_message
from trycatch.store.fulltext import FieldWeights

WEIGHTS = FieldWeights(title=5.0, headings=2.0, body=1.0)
# A document with several matching sections is a little more likely the answer.
SECOND_CHUNK_SHARE = 0.3
CANDIDATES_PER_RESULT = 8
MIN_CANDIDATES = 60
RRF_K = 60
MIN_LATIN_SHARE = 0.8
_LETTER = re.compile(r"[^\W\d_]")
SNIPPET_WORDS = 36

_WORD_SPAN = re.compile(r"[^\W_]+", re.UNICODE)
_MARKUP = re.compile(r"```[^\n]*|[#>*`|]+|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True, slots=True)
class SearchHit:
    path: str
    title: str
    url: str
    score: float
    snippet: str
    heading_path: str
    source: str
    kind: str
    product_area: str | None
    document_id: int
    chunk_id: int

    def public(self) -> dict[str, object]:
        """The fields of the CLI and API contract."""
        return {
            "path": self.path,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }


def make_snippet(text: str, stems: set[str], *, words: int = SNIPPET_WORDS) -> str:
    """The window of ``text`` richest in query words, those words in **bold**."""
    plain = _MARKUP.sub(lambda m: m.group(1) or " ", text)
    spans = list(_WORD_SPAN.finditer(plain))
    if not spans:
        return ""
    # A word can only stem to a query stem if it starts with the same two letters (English
    # stemming rewrites a third letter at most: "try" -> "tri"), so most words are never
    # stemmed.
    prefixes = tuple({s[:2] for s in stems})
    lowered = [m.group(0).lower() for m in spans]
    matched = [stem(w) if prefixes and w.startswith(prefixes) else "" for w in lowered]
    hits = [word in stems for word in matched]
    # Slide a window over the words, counting the distinct query words inside it.
    inside: Counter[str] = Counter(w for w, h in zip(matched[:words], hits, strict=False) if h)
    best_start, best_score = 0, len(inside)
    for start in range(1, max(1, len(spans) - words + 1)):
        leaving, entering = start - 1, start + words - 1
        if hits[leaving]:
            inside[matched[leaving]] -= 1
            if not inside[matched[leaving]]:
                del inside[matched[leaving]]
        if hits[entering]:
            inside[matched[entering]] += 1
        if len(inside) > best_score:
            best_start, best_score = start, len(inside)
    window = spans[best_start : best_start + words]
    out: list[str] = []
    cursor = window[0].start()
    for match, hit in zip(window, hits[best_start:], strict=False):
        out.append(plain[cursor : match.start()])
        out.append(f"**{match.group(0)}**" if hit else match.group(0))
        cursor = match.end()
    snippet = " ".join("".join(out).split())
    prefix = "… " if best_start > 0 else ""
    suffix = " …" if best_start + words < len(spans) else ""
    return f"{prefix}{snippet}{suffix}"


def _fuse(rankings: Sequence[Sequence[int]]) -> dict[int, float]:
    """Reciprocal rank fusion."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def dense_query(query: str) -> str | None:
    """What the embedding model should read of a message, or None to skip dense retrieval.

    Only the customer's own prose: pasted code, JSON and stack traces are noise to a
    sentence-embedding model, which also reads just its first 128 tokens. And only text
    mostly in Latin script: the bundled model (all-MiniLM-L6-v2) knows English, and maps
    other scripts to vectors that match nothing in particular.
    """
    prose = split_message(query).prose.strip() or query.strip()
    letters = _LETTER.findall(prose)
    if not letters or sum(c.isascii() for c in letters) / len(letters) < MIN_LATIN_SHARE:
        return None
    return prose


def search(
    session: Session,
    query: str,
    *,
    limit: int = 10,
    kinds: Sequence[str] | None = None,
    dense_ranking: Sequence[int] | None = None,
    embedder: Embedder | None = None,
) -> list[SearchHit]:
    """Documents that answer ``query``, best first, at most ``limit``.

    With an ``embedder`` (or a precomputed ``dense_ranking``: chunk ids ranked by an
    embedding model), the dense ranking is fused with BM25 by reciprocal rank.
    """
    if dense_ranking is None and embedder is not None:
        text = dense_query(query)
        dense_ranking = dense_ranking_or_none(session, text, embedder) if text else None
    index = index_for(session)
    terms = query_terms(
        query,
        document_frequencies=lambda ts: index.document_frequencies(session, ts),
        total=index.size(session),
    )
    chunk_scores = index.search(
        session,
        terms.terms,
        limit=max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT),
        weights=WEIGHTS,
        idf=terms.idf,
        boosts=terms.boosts,
        frequencies=terms.frequencies,
    )
    candidate_ids = [chunk_id for chunk_id, _ in chunk_scores]
    if dense_ranking:
        candidate_ids += [chunk_id for chunk_id in dense_ranking if chunk_id not in candidate_ids]
    if not candidate_ids:
        return []
    # Only ids and kinds for the candidates; text and pages for the few that are shown.
    candidates = session.execute(
        select(Chunk.id, Chunk.document_id, Source.kind)
        .join(Document, Chunk.document_id == Document.id)
        .join(Source, Document.source_id == Source.id)
        .where(Chunk.id.in_(candidate_ids))
    ).all()
    document_of = {
        chunk_id: document_id
        for chunk_id, document_id, kind in candidates
        if kinds is None or kind in kinds
    }

    # Per document: its best chunk, and its score (best + a share of the second best).
    best_chunk: dict[int, int] = {}
    doc_scores: dict[int, list[float]] = {}
    for chunk_id, score in chunk_scores:
        if chunk_id not in document_of:
            continue
        document_id = document_of[chunk_id]
        best_chunk.setdefault(document_id, chunk_id)
        doc_scores.setdefault(document_id, []).append(score)
    bm25 = {
        doc: scores[0] + SECOND_CHUNK_SHARE * (scores[1] if len(scores) > 1 else 0.0)
        for doc, scores in doc_scores.items()
    }
    ranked_docs = sorted(bm25, key=bm25.__getitem__, reverse=True)
    final = bm25
    if dense_ranking:
        dense_docs: list[int] = []
        for chunk_id in dense_ranking:
            if chunk_id in document_of and document_of[chunk_id] not in dense_docs:
                dense_docs.append(document_of[chunk_id])
                best_chunk.setdefault(document_of[chunk_id], chunk_id)
        final = _fuse([ranked_docs, dense_docs])
        ranked_docs = sorted(final, key=final.__getitem__, reverse=True)

    shown = ranked_docs[:limit]
    details = {
        row[0]: row
        for row in session.execute(
            select(
                Chunk.id,
                Chunk.heading_path,
                Chunk.text,
                Document.path,
                Document.title,
                Document.url,
                Document.product_area,
                Source.name,
                Source.kind,
            )
            .join(Document, Chunk.document_id == Document.id)
            .join(Source, Document.source_id == Source.id)
            .where(Chunk.id.in_([best_chunk[document_id] for document_id in shown]))
        ).all()
    }
    stems = set(terms.terms)
    hits: list[SearchHit] = []
    for document_id in shown:
        chunk_id = best_chunk[document_id]
        _, heading_path, text, path, title, url, product_area, source, kind = details[chunk_id]
        hits.append(
            SearchHit(
                path=path,
                title=title,
                url=url,
                score=final[document_id],
                snippet=make_snippet(text, stems),
                heading_path=heading_path,
                source=source,
                kind=kind,
                product_area=product_area,
                document_id=document_id,
                chunk_id=chunk_id,
            )
        )
    return hits


__all__ = ["SearchHit", "make_snippet", "search"]
