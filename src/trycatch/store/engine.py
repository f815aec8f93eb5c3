"""Engines and sessions: one ``Database`` per URL, SQLite tuned for a single-file deployment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from trycatch.settings import database_url_from


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while a writer ingests; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_immediate(session: Session, _context: Any, _instances: Any) -> None:
    """Before an ORM flush writes on SQLite, take the write lock first (BEGIN IMMEDIATE).

    The driver otherwise begins a deferred transaction at the first INSERT, which takes a
    read snapshot and then upgrades it; when another process commits in between, SQLite
    refuses at once ("database is locked") instead of waiting out ``busy_timeout``.
    Reads stay outside transactions, so readers never wait for the lock.
    """
    driver = session.connection().connection.driver_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


@dataclass(frozen=True, slots=True)
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work; service functions own the commit."""
        with self.sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, pool_size: int | None = None) -> Database:
    """Create the engine for a SQLAlchemy URL or a SQLite file path.

    ``pool_size``: connections kept for threads working at once (default: SQLAlchemy's 5,
    plus 10 more on demand).
    """
    options: dict[str, Any] = {}
    if pool_size is not None:
        options = {"pool_size": pool_size, "max_overflow": pool_size}
    engine = create_engine(database_url_from(url), **options)
    sessions = sessionmaker(engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(sessions, "before_flush", _begin_immediate)
    return Database(engine=engine, sessions=sessions)
