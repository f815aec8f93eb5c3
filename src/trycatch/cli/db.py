"""``trycatch db``: schema migrations."""

from __future__ import annotations

import typer

from trycatch.cli.context import console, state
from trycatch.settings import database_url_from
from trycatch.store.migrate import check, upgrade

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply all migrations to the database (SQLite or PostgreSQL)."""
    url = database_url_from(state(ctx).db_url)
    upgrade(url)
    console.print("database schema is up to date")


@app.command("check")
def check_command(ctx: typer.Context) -> None:
    """Fail if the models and the migrated schema disagree."""
    check(database_url_from(state(ctx).db_url))
    console.print("models and migrations agree")
