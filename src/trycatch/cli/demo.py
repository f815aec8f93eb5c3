"""``trycatch demo``: the sample help center in a SQLite file, and a session to try it."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from trycatch.cli.ask import _ask, converse, show_reply
from trycatch.cli.context import console, interactive, state
from trycatch.knowledge.sample import SAMPLE_PRODUCT, ingest_sample

DEMO_DATABASE = "trycatch-demo.db"
EXAMPLE_QUESTIONS = (
    "Why was my endpoint disabled?",
    "My webhook signature verification fails, what am I doing wrong?",
    "I was charged twice this month, please refund one payment.",
)


def demo(
    ctx: typer.Context,
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="Build the demo database and exit.")
    ] = False,
) -> None:
    """Build the demo and open an interactive session with the agent.

    The demo is Hookrelay's sample help center, in ./trycatch-demo.db unless --db is given.
    """
    app_state = state(ctx)
    if ctx.find_root().params.get("db_url") is None:
        app_state.db_url = DEMO_DATABASE
    if "TRYCATCH_PRODUCT_NAME" not in os.environ:
        app_state.settings.product_name = SAMPLE_PRODUCT
    database = app_state.database()
    with database.session() as session:
        reports = ingest_sample(
            session,
            max_file_bytes=app_state.settings.max_file_bytes,
            boilerplate_share=app_state.settings.boilerplate_share,
        )
    total = sum(r.added + r.updated + r.skipped for r in reports)
    console.print(f"demo database: {app_state.db_url} ({total} sample pages of {SAMPLE_PRODUCT})")
    console.print(
        "help center, chat widget and API: "
        f"[bold]TRYCATCH_PRODUCT_NAME={SAMPLE_PRODUCT} .venv/bin/trycatch --db "
        f"{app_state.db_url} serve[/], then open http://127.0.0.1:8000 (API docs at /api/v1/docs)",
        highlight=False,
    )
    if seed_only:
        return
    if not interactive():
        for question in EXAMPLE_QUESTIONS:
            console.print(f"\n[bold]customer:[/] {question}")
            show_reply(_ask(database, app_state, question, None))
        return
    console.print(f"Try: {EXAMPLE_QUESTIONS[0]}")
    converse(database, app_state, prompt="customer> ")
