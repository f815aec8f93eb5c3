"""Full-text index backends behind one interface: SQLite FTS5, PostgreSQL tsvector.

Both index the same pre-analyzed tokens (the knowledge layer stems and splits text in
Python, identically for documents and queries), so ranking is BM25 over three weighted
fields on both engines: FTS5's ``bm25()`` on SQLite, the same formula in SQL on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

FTS_TABLE = "chunk_fts"
FTS_VOCAB_TABLE = "chunk_fts_vocab"

# BM25 parameters, the usual defaults.
K1 = 1.2
B = 0.75


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
    ) -> list[tuple[int, float]]: ...

    def document_frequencies(self, session: Session, terms: Sequence[str]) -> dict[str, int]: ...

    def size(self, session: Session) -> int: ...


def _match_expression(terms: Sequence[str]) -> str:
    # Tokens are alphanumeric after analysis; quoting keeps FTS5 from reading them as syntax.
    return " OR ".join(f'"{term}"' for term in terms)


class SqliteFts5Index:
    """An FTS5 table whose rowid is the chunk id."""

    def add(self, session: Session, rows: Sequence[IndexedChunk]) -> None:
        if not rows:
            return
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
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        rows = session.execute(
            text(
                f"SELECT rowid, bm25({FTS_TABLE}, :wt, :wh, :wb) AS score FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH :q ORDER BY score LIMIT :k"
            ),
            {
                "q": _match_expression(terms),
                "k": limit,
                "wt": weights.title,
                "wh": weights.headings,
                "wb": weights.body,
            },
        )
        # FTS5's bm25() is negative, smaller is better.
        return [(int(chunk_id), -float(score)) for chunk_id, score in rows]

    def document_frequencies(self, session: Session, terms: Sequence[str]) -> dict[str, int]:
        if not terms:
            return {}
        rows = session.execute(
            text(f"SELECT term, doc FROM {FTS_VOCAB_TABLE} WHERE term IN :terms").bindparams(
                bindparam("terms", expanding=True)
            ),
            {"terms": list(terms)},
        )
        return {str(term): int(doc) for term, doc in rows}

    def size(self, session: Session) -> int:
        return int(session.execute(text(f"SELECT count(*) FROM {FTS_TABLE}")).scalar_one())


# On PostgreSQL the fields are tsvector weight labels: A title, B headings, D body.
_PG_VECTOR = (
    "setweight(to_tsvector('simple', :title), 'A') || "
    "setweight(to_tsvector('simple', :headings), 'B') || "
    "setweight(to_tsvector('simple', :body), 'D')"
)

# BM25 in SQL: unnest() exposes each lexeme's positions and weight labels, so a chunk's term
# frequency is the weighted count of its occurrences, as in BM25F.
_PG_SEARCH = f"""
WITH q(term, idf) AS (SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:idfs AS float8[]))),
     stats AS (SELECT coalesce(avg(length), 1) AS avglen FROM {FTS_TABLE}),
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
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        rows = session.execute(
            text(_PG_SEARCH),
            {
                "terms": list(terms),
                "idfs": [idf.get(term, 1.0) for term in terms],
                "tsquery": " | ".join(terms),
                "wt": weights.title,
                "wh": weights.headings,
                "wb": weights.body,
                "k": limit,
            },
        )
        return [(int(chunk_id), float(score)) for chunk_id, score in rows]

    def document_frequencies(self, session: Session, terms: Sequence[str]) -> dict[str, int]:
        frequencies: dict[str, int] = {}
        for term in terms:
            count = session.execute(
                text(f"SELECT count(*) FROM {FTS_TABLE} WHERE tsv @@ CAST(:t AS tsquery)"),
                {"t": term},
            ).scalar_one()
            if count:
                frequencies[term] = int(count)
        return frequencies

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
