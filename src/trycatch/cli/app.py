"""The Typer application and its global options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from trycatch import __version__
from trycatch.cli import (
    agent_files,
    articles,
    ask,
    conversations,
    db,
    demo,
    email,
    evals,
    handoffs,
    knowledge,
    serve,
    users,
)
from trycatch.cli.context import AppState, err_console
from trycatch.cli.reference import update_readme
from trycatch.settings import Settings

app = typer.Typer(
    name="trycatch",
    help="Customer support as a try/catch block: docs, knowledge base and an AI agent "
    "answer first; a human takes what they cannot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trycatch {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL_OR_PATH",
            help="Database: a SQLAlchemy URL or a SQLite file path "
            "(default: TRYCATCH_DATABASE_URL, else ./trycatch.db).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    settings = Settings()
    app_state = AppState(settings=settings, db_url=db_url or settings.database_url)
    ctx.obj = app_state
    ctx.call_on_close(app_state.close)


app.command("ingest")(knowledge.ingest)
app.command("search")(knowledge.search_command)
app.command("ask")(ask.ask)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(articles.app, name="kb")
app.add_typer(handoffs.app, name="handoffs")
app.add_typer(conversations.app, name="conversations")
app.add_typer(users.app, name="user")
app.add_typer(knowledge.taxonomy_app, name="taxonomy")
app.add_typer(email.app, name="email")
app.add_typer(evals.eval_app, name="eval")
app.add_typer(evals.prompt_app, name="prompt")
app.add_typer(evals.feedback_app, name="feedback")
app.add_typer(agent_files.app, name="agent")


@app.command("docs", hidden=True)
def docs(
    readme: Annotated[Path, typer.Argument(help="The README to update.")] = Path("README.md"),
) -> None:
    """Regenerate the README's CLI reference and settings table from the code."""
    changed = update_readme(readme, app)
    typer.echo(f"{readme}: {'updated' if changed else 'up to date'}")


def main() -> None:
    try:
        app()
    except SQLAlchemyError as error:
        # A database that cannot be opened or reached is the operator's to fix: say what
        # failed, not where in our code.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        err_console.print(f"[bold red]error:[/] database: {reason}", highlight=False)
        raise SystemExit(1) from None
