"""Full-text index backends behind one interface: SQLite FTS5, PostgreSQL tsvector.

Both index the same pre-analyzed tokens (the knowledge layer stems and splits text in
Python, identically for documents and queries), so ranking is BM25 over three weighted
fields on both engines: FTS5's ``bm25()`` on SQLite, the same formula in SQL on PostgreSQL.
Query terms may carry an integer weight (``boosts``), and only the rarest terms, within a
budget of postings, select candidates (``split_by_cost``): the cost of a query stays flat
as the index grows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm import Session

FTS_TABLE = "chunk_fts"
FTS_VOCAB_TABLE = "chunk_fts_vocab"

# BM25 parameters, the usual defaults.
K1 = 1.2
B = 0.75
# Rows a query may find through its terms' posting lists. A long message's rarest terms
# select the candidates; the common ones ("email", "send" on an email product's docs), whose
# postings cost most and weigh least, still add to the score of those candidates but find
# none of their own, so search time does not grow with the index.
MATCH_BUDGET = 1_500
_AVERAGES_KEY = "trycatch.fts5_averages"


@dataclass(frozen=True, slots=True)
class FieldWeights:
    """How much a match in each field counts; titles and headings outweigh the body."""

    title: float = 5.0
    headings: float = 2.0
    body: float = 1.0


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    """A chunk's analyzed tokens per field, space-separated."""

    chunk_id: int
    title: str
    headings: str
    body: str


class FullTextIndex(Protocol):
    """``search`` takes each term's IDF, integer weight (default 1) and the number of rows
    holding it (from ``document_frequencies``; without them every term selects rows)."""

    def add(self, session: Session, rows: Sequence[IndexedChunk]) -> None: ...

    def remove(self, session: Session, chunk_ids: Sequence[int]) -> None: ...

    def search(
        self,
        session: Session,
        terms: Sequence[str],
        *,
        limit: int,
        weights: FieldWeights,
        idf: Mapping[str, float],
        boosts: Mapping[str, int] | None = None,
        frequencies: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float]]: ...

    def document_frequencies(self, session: Session, terms: Sequence[str]) -> dict[str, int]: ...

    def size(self, session: Session) -> int: ...


def split_by_cost(
    terms: Sequence[str], frequencies: Mapping[str, int], boosts: Mapping[str, int]
) -> tuple[list[str], list[str]]:
    """(terms that find candidates, terms that only score them), within ``MATCH_BUDGET``.

    The rarest term is always matched; terms of unknown frequency count as free.
    """
    finding: list[str] = []
    scoring: list[str] = []
    cost = 0
    for term in sorted(terms, key=lambda t: frequencies.get(t, 0)):
        cost += frequencies.get(term, 0) * max(1, boosts.get(term, 1))
        if finding and (scoring or cost > MATCH_BUDGET):
            scoring.append(term)
        else:
            finding.append(term)
    return finding, scoring


def _match_expression(terms: Sequence[str], boosts: Mapping[str, int]) -> str:
    # Tokens are alphanumeric after analysis; quoting keeps FTS5 from reading them as syntax.
    # bm25() sums over the query's phrases, so a term repeated n times counts n times: the
    # integer query-term weight that PostgreSQL gets by multiplying the term's IDF.
    return " OR ".join(f'"{term}"' for term in terms for _ in range(max(1, boosts.get(term, 1))))


class SqliteFts5Index:
    """An FTS5 table whose rowid is the chunk id."""

    def add(self, session: Session, rows: Sequence[IndexedChunk]) -> None:
        if not rows:
            return
        session.info.pop(_AVERAGES_KEY, None)
        session.execute(
            text(
                f"INSERT INTO {FTS_TABLE}(rowid, title, headings, body) "
                "VALUES (:chunk_id, :title, :headings, :body)"
            ),
            [
                {"chunk_id": r.chunk_id, "title": r.title, "headings": r.headings, "body": r.body}
                for r in rows
            ],
        )

    def remove(self, session: Session, chunk_ids: Sequence[int]) -> None:
        if not chunk_ids:
            return
        session.info.pop(_AVERAGES_KEY, None)
        session.execute(
            text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": list(chunk_ids)},
        )

    def search(
        self,
        session: Session,
        terms: Sequence[str],
        *,
        limit: int,
        weights: FieldWeights,
        idf: Mapping[str, float],
        boosts: Mapping[str, int] | None = None,
        frequencies: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        boosts = boosts or {}
        finding, scoring = split_by_cost(terms, frequencies or {}, boosts)
        rows = session.execute(
            text(
                f"SELECT rowid, bm25({FTS_TABLE}, :wt, :wh, :wb) AS score FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH :q ORDER BY score LIMIT :k"
            ),
            {
                "q": _match_expression(finding, boosts),
                "k": limit,
                "wt": weights.title,
                "wh": weights.headings,
                "wb": weights.body,
            },
        )
        # FTS5's bm25() is negative, smaller is better.
        scores = {int(chunk_id): -float(score) for chunk_id, score in rows}
        if scoring and scores:
            self._add_scores(session, scores, scoring, weights, boosts, frequencies or {})
        return sorted(scores.items(), key=lambda item: item[1], reverse=True)

    def _add_scores(
        self,
        session: Session,
        scores: dict[int, float],
        terms: Sequence[str],
        weights: FieldWeights,
        boosts: Mapping[str, int],
        frequencies: Mapping[str, int],
    ) -> None:
        """Add the BM25 of ``terms`` to each candidate's score, as FTS5's bm25() computes it.

        bm25() sums, per query phrase, idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl))
        with f the field-weighted count of the phrase in the row and D the row's token count
        over all fields; row and token totals come from FTS5's averages record. Matching these
        terms in SQL instead would read their long posting lists, even with AND.
        """
        fields = session.execute(
            text(
                # The content shadow table, by primary key: the virtual table's own rowid
                # lookups cost twice as much.
                f"SELECT id, c0, c1, c2 FROM {FTS_TABLE}_content WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": list(scores)},
        ).all()
        if not fields:
            return
        rows_total, tokens_total = self._averages(session)
        if rows_total <= 0 or tokens_total <= 0:
            # FTS5 writes its totals when the transaction that first fills the index ends;
            # until then the exact row count and the candidates' own lengths stand in.
            rows_total = self.size(session)
            tokens_total = rows_total * sum(_length(row[1:]) for row in fields) // len(fields)
        average_length = max(tokens_total / max(rows_total, 1), 1.0)
        term_weight = {
            term: _fts5_idf(frequencies.get(term, 0), rows_total) * max(1, boosts.get(term, 1))
            for term in terms
        }
        for chunk_id, title, headings, body in fields:
            frequency: dict[str, float] = {}
            for value, weight in (
                (title, weights.title),
                (headings, weights.headings),
                (body, weights.body),
            ):
                if not value:
                    continue
                # Each token between its own pair of spaces, so str.count finds every one.
                spaced = f" {value.replace(' ', '  ')} "
                for term in terms:
                    if term in value:
                        count = spaced.count(f" {term} ")
                        if count:
                            frequency[term] = frequency.get(term, 0.0) + weight * count
            length = _length((title, headings, body))
            norm = K1 * (1 - B + B * length / average_length)
            scores[int(chunk_id)] += sum(
                term_weight[term] * f * (K1 + 1) / (f + norm) for term, f in frequency.items()
            )

    def _averages(self, session: Session) -> tuple[int, int]:
        """(rows, tokens over all fields) from FTS5's averages record: a few bytes, no scan.

        Read once per transaction: a search asks three times (size, term counts, scores),
        and the record only changes when a transaction that wrote the index ends.
        """
        transaction = session.get_transaction()
        memo = session.info.get(_AVERAGES_KEY)
        if transaction is not None and memo is not None and memo[0] is transaction:
            return memo[1]  # type: ignore[no-any-return]
        block = session.execute(
            text(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 1")
        ).scalar_one_or_none()
        values = _varints(bytes(block or b""))
        averages = (values[0], sum(values[1:])) if values else (0, 0)
        if transaction is not None:
            session.info[_AVERAGES_KEY] = (transaction, averages)
        return averages

    def document_frequencies(self, session: Session, terms: Sequence[str]) -> dict[str, int]:
        """Rows holding each term (terms in no row left out).

        fts5vocab counts a term's rows by reading its whole posting list, as costly as
        matching it, so the counts of common terms are kept per engine while the index
        size stays within ``FREQUENCY_CACHE_DRIFT`` of what it was: their IDF barely moves.
        """
        if not terms:
            return {}
        bind = session.get_bind()
        engine = bind.engine if isinstance(bind, (Engine, Connection)) else None
        rows_now = self._averages(session)[0]
        cache = _FREQUENCY_CACHES.get(engine) if engine is not None else None
        if cache is None or abs(rows_now - cache.rows) > FREQUENCY_CACHE_DRIFT * cache.rows:
            cache = _FrequencyCache(rows_now)
            if engine is not None:
                _FREQUENCY_CACHES[engine] = cache
        frequencies = {term: cache.counts[term] for term in terms if term in cache.counts}
        missing = [term for term in terms if term not in frequencies]
        if missing:
            rows = session.execute(
                text(f"SELECT term, doc FROM {FTS_VOCAB_TABLE} WHERE term IN :terms").bindparams(
                    bindparam("terms", expanding=True)
                ),
                {"terms": missing},
            )
            for term, doc in rows:
                frequencies[str(term)] = int(doc)
                # Not before FTS5 has written its totals: the rows could still be rolled back.
                cacheable = rows_now > 0 and len(cache.counts) < FREQUENCY_CACHE_SIZE
                if cacheable and doc >= FREQUENCY_CACHE_MIN:
                    cache.counts[str(term)] = int(doc)
        return frequencies

    def size(self, session: Session) -> int:
        # FTS5's averages record holds the row count (a few bytes); it is written when a
        # transaction ends, so until the index's first commit the docsize shadow table, one
        # small row per indexed row, is counted instead.
        rows = self._averages(session)[0]
        if rows > 0:
            return rows
        return int(session.execute(text(f"SELECT count(*) FROM {FTS_TABLE}_docsize")).scalar_one())


@dataclass(slots=True)
class _FrequencyCache:
    rows: int
    counts: dict[str, int] = field(default_factory=dict)


# Per engine (weakly held, so a disposed engine's cache goes with it).
_FREQUENCY_CACHES: WeakKeyDictionary[Engine, _FrequencyCache] = WeakKeyDictionary()
FREQUENCY_CACHE_MIN = 500
FREQUENCY_CACHE_SIZE = 100_000
FREQUENCY_CACHE_DRIFT = 0.01


def _length(fields: Sequence[str]) -> int:
    """Tokens in a row's analyzed fields (space-separated), as FTS5 counts them."""
    return sum(value.count(" ") + 1 for value in fields if value)


def _fts5_idf(document_frequency: int, total: int) -> float:
    """bm25()'s IDF, floored as FTS5 floors it (and safe while the totals lag behind)."""
    ratio = (total - document_frequency + 0.5) / (document_frequency + 0.5)
    return math.log(ratio) if ratio > 1 else 1e-6


def _varints(data: bytes) -> list[int]:
    """SQLite's variable-length integers, as FTS5 writes its records."""
    values: list[int] = []
    i = 0
    while i < len(data):
        value = 0
        for _ in range(8):
            byte = data[i]
            i += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        else:
            value = (value << 8) | data[i]
            i += 1
        values.append(value)
    return values


# On PostgreSQL the fields are tsvector weight labels: A title, B headings, D body.
_PG_VECTOR = (
    "setweight(to_tsvector('simple', :title), 'A') || "
    "setweight(to_tsvector('simple', :headings), 'B') || "
    "setweight(to_tsvector('simple', :body), 'D')"
)

# BM25 in SQL: unnest() exposes each lexeme's positions and weight labels, so a chunk's term
# frequency is the weighted count of its occurrences, as in BM25F. As on SQLite, the rare
# terms find the rows (:tsquery) and every term scores them. `stats` is MATERIALIZED: inlined,
# the planner may put its full scan under a hash rebuilt for every matched row.
_PG_SEARCH = f"""
WITH q(term, idf) AS (SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:idfs AS float8[]))),
     stats AS MATERIALIZED (SELECT coalesce(avg(length), 1) AS avglen FROM {FTS_TABLE}),
     hits AS (
       SELECT f.chunk_id, f.length, q.idf,
              (SELECT sum(CASE w WHEN 'A' THEN :wt WHEN 'B' THEN :wh ELSE :wb END)
                 FROM unnest(u.weights) AS w) AS tf
         FROM {FTS_TABLE} f
         CROSS JOIN LATERAL unnest(f.tsv) AS u
         JOIN q ON q.term = u.lexeme
        WHERE f.tsv @@ CAST(:tsquery AS tsquery)
     )
SELECT chunk_id,
       sum(idf * tf * {K1 + 1} / (tf + {K1} * (1 - {B} + {B} * length / stats.avglen))) AS score
  FROM hits, stats
 GROUP BY chunk_id
 ORDER BY score DESC
 LIMIT :k
"""


class PostgresFtsIndex:
    """A ``chunk_fts`` table with a GIN-indexed tsvector and the chunk's token count."""

    def add(self, session: Session, rows: Sequence[IndexedChunk]) -> None:
        if not rows:
            return
        session.execute(
            text(
                f"INSERT INTO {FTS_TABLE}(chunk_id, length, tsv) "
                f"VALUES (:chunk_id, :length, {_PG_VECTOR})"
            ),
            [
                {
                    "chunk_id": r.chunk_id,
                    "title": r.title,
                    "headings": r.headings,
                    "body": r.body,
                    "length": len(r.title.split()) + len(r.headings.split()) + len(r.body.split()),
                }
                for r in rows
            ],
        )

    def remove(self, session: Session, chunk_ids: Sequence[int]) -> None:
        if not chunk_ids:
            return
        session.execute(
            text(f"DELETE FROM {FTS_TABLE} WHERE chunk_id = ANY(:ids)"), {"ids": list(chunk_ids)}
        )

    def search(
        self,
        session: Session,
        terms: Sequence[str],
        *,
        limit: int,
        weights: FieldWeights,
        idf: Mapping[str, float],
        boosts: Mapping[str, int] | None = None,
        frequencies: Mapping[str, int] | None = None,
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        boosts = boosts or {}
        finding, _ = split_by_cost(terms, frequencies or {}, boosts)
        rows = session.execute(
            text(_PG_SEARCH),
            {
                "terms": list(terms),
                "idfs": [idf.get(term, 1.0) * max(1, boosts.get(term, 1)) for term in terms],
                "tsquery": " | ".join(finding),
                "wt": weights.title,
                "wh": weights.headings,
                "wb": weights.body,
                "k": limit,
            },
        )
        return [(int(chunk_id), float(score)) for chunk_id, score in rows]

    def document_frequencies(self, session: Session, terms: Sequence[str]) -> dict[str, int]:
        if not terms:
            return {}
        # One statement for all terms; each count is a GIN index lookup.
        rows = session.execute(
            text(
                f"SELECT t.term, (SELECT count(*) FROM {FTS_TABLE} "
                "WHERE tsv @@ CAST(t.term AS tsquery)) "
                "FROM unnest(CAST(:terms AS text[])) AS t(term)"
            ),
            {"terms": list(terms)},
        )
        return {str(term): int(count) for term, count in rows if count}

    def size(self, session: Session) -> int:
        return int(session.execute(text(f"SELECT count(*) FROM {FTS_TABLE}")).scalar_one())


def fulltext_index_for(dialect_name: str) -> FullTextIndex:
    """The backend for an engine's dialect."""
    if dialect_name == "sqlite":
        return SqliteFts5Index()
    if dialect_name == "postgresql":
        return PostgresFtsIndex()
    raise ValueError(f"no full-text backend for the {dialect_name!r} database engine")


def create_fulltext_schema(connection: Connection) -> None:
    """DDL for the index tables; run by the initial migration."""
    if connection.dialect.name == "sqlite":
        # A plain (not contentless) table: contentless deletes need SQLite 3.43, and the
        # analyzed tokens are small next to the chunk text.
        connection.execute(
            text(
                f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
                "title, headings, body, tokenize='unicode61 remove_diacritics 2')"
            )
        )
        connection.execute(
            text(f"CREATE VIRTUAL TABLE {FTS_VOCAB_TABLE} USING fts5vocab({FTS_TABLE}, 'row')")
        )
    else:
        connection.execute(
            text(
                f"CREATE TABLE {FTS_TABLE} ("
                "chunk_id integer PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, "
                "length integer NOT NULL, tsv tsvector NOT NULL)"
            )
        )
        connection.execute(text(f"CREATE INDEX ix_{FTS_TABLE}_tsv ON {FTS_TABLE} USING gin(tsv)"))


def drop_fulltext_schema(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_VOCAB_TABLE}"))
    connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


FULLTEXT_TABLES = frozenset({FTS_TABLE, FTS_VOCAB_TABLE})
