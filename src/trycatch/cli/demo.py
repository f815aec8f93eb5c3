"""``trycatch demo``: the sample help center in a SQLite file, and a session to try it."""

from __future__ import annotations

from typing import Annotated

import typer

from trycatch.cli.context import console, interactive, state
from trycatch.cli.knowledge import _hits_table
from trycatch.knowledge.sample import ingest_sample
from trycatch.knowledge.search import search

DEMO_DATABASE = "trycatch-demo.db"
EXAMPLE_QUESTIONS = (
    "my webhook signature verification fails",
    "why was my endpoint disabled?",
    "how do I get an invoice",
)


def demo(
    ctx: typer.Context,
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="Build the demo database and exit.")
    ] = False,
) -> None:
    """Build the demo and open an interactive session.

    The demo is Hookrelay's sample help center, in ./trycatch-demo.db unless --db is given.
    """
    app_state = state(ctx)
    if ctx.find_root().params.get("db_url") is None:
        app_state.db_url = DEMO_DATABASE
    database = app_state.database()
    with database.session() as session:
        reports = ingest_sample(
            session,
            max_file_bytes=app_state.settings.max_file_bytes,
            boilerplate_share=app_state.settings.boilerplate_share,
        )
    total = sum(r.added + r.updated + r.skipped for r in reports)
    console.print(f"demo database: {app_state.db_url} ({total} sample pages of Hookrelay)")
    if seed_only:
        return
    if not interactive():
        with database.session() as session:
            for question in EXAMPLE_QUESTIONS:
                console.print(f"\n[bold]search:[/] {question}")
                console.print(_hits_table(search(session, question, limit=3)))
        return
    console.print("Type a question (empty line or Ctrl-D to quit). Try: " + EXAMPLE_QUESTIONS[0])
    while True:
        try:
            question = console.input("[bold cyan]search>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        with database.session() as session:
            hits = search(session, question, limit=5)
        console.print(_hits_table(hits) if hits else "no results")
