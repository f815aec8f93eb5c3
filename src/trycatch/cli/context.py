"""What every command shares: the database chosen by ``--db``, settings, error exits."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import typer
from rich.console import Console

from trycatch.knowledge.embeddings import Embedder, EmbeddingsUnavailable, embedder_from_settings
from trycatch.settings import Settings, database_url_from
from trycatch.store import Database, open_database
from trycatch.store.migrate import is_current, upgrade

console = Console()
err_console = Console(stderr=True)


@dataclass(slots=True)
class AppState:
    settings: Settings
    db_url: str
    _database: Database | None = None

    def database(self) -> Database:
        """The database, migrated if it is an embedded SQLite file."""
        if self._database is None:
            url = database_url_from(self.db_url)
            if url.startswith("sqlite"):
                upgrade(url)
            elif not is_current(url):
                fail("the database schema is not up to date: run `trycatch db upgrade` first")
            self._database = open_database(url)
        return self._database

    def embedder(self) -> Embedder | None:
        """The dense-retrieval embedder the settings ask for (None: BM25 only)."""
        try:
            return embedder_from_settings(self.settings)
        except (EmbeddingsUnavailable, ValueError) as error:
            fail(str(error))

    def close(self) -> None:
        """Dispose of the engine: its pooled connections close with the command."""
        if self._database is not None:
            self._database.dispose()
            self._database = None


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def fail(message: str, *, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
