"""Fixtures: a real, migrated database per test — SQLite by default, PostgreSQL when
``TRYCATCH_TEST_DATABASE_URL`` points at one (the suite runs on both in CI)."""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from trycatch.cli import app
from trycatch.settings import database_url_from
from trycatch.store import Base, Database, open_database, upgrade
from trycatch.store.fulltext import FTS_TABLE

# Every table on Base.metadata, so a PostgreSQL test starts with all of them empty.
importlib.import_module("trycatch.models")

POSTGRES_URL = os.environ.get("TRYCATCH_TEST_DATABASE_URL", "")
SCHEMA_PREFIX = "trycatch_test_"


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"


def _owner_alive(schema: str) -> bool:
    """Whether the test run that made ``schema`` (its pid is in the name) still runs."""
    try:
        pid = int(schema.removeprefix(SCHEMA_PREFIX).split("_", 1)[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to start every test from: a SQLite file, or a PostgreSQL schema."""
    if not POSTGRES_URL:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(str(path))
        yield str(path)
        return
    admin = create_engine(database_url_from(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    schema = f"{SCHEMA_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        # Schemas left by interrupted earlier runs are dropped; a concurrent run's are not.
        stale = connection.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": f"{SCHEMA_PREFIX}%"},
        ).scalars()
        for name in list(stale):
            if not _owner_alive(name):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        upgrade(_postgres_schema_url(schema))
        yield _postgres_schema_url(schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_url(_database_template: str, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if not POSTGRES_URL:
        target = tmp_path / "trycatch.db"
        shutil.copyfile(_database_template, target)
        return str(target)
    tables = ", ".join([*(f'"{t.name}"' for t in Base.metadata.sorted_tables), FTS_TABLE])
    engine = create_engine(database_url_from(_database_template))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _database_template


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = open_database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.session() as s:
        yield s


@pytest.fixture
def cli(db_url: str) -> Callable[..., object]:
    """Run the ``trycatch`` CLI in-process against this test's database."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> object:
        return runner.invoke(app, ["--db", db_url, *args], input=input, catch_exceptions=False)

    return run
