"""``trycatch demo``: Hookrelay's help center and 90 days of its support desk, served."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from trycatch.cli.context import console, state
from trycatch.cli.serve import run_server
from trycatch.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, seed_demo
from trycatch.knowledge.sample import SAMPLE_PRODUCT, ingest_sample

DEMO_DATABASE = "trycatch-demo.db"
DEMO_HOST = "127.0.0.1"
EXAMPLE_QUESTION = "Why was my endpoint disabled?"


def demo(
    ctx: typer.Context,
    seed_only: Annotated[
        bool, typer.Option("--seed-only", help="Build the demo database and exit.")
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
) -> None:
    """Build the demo and serve it: help center, chat widget, staff inbox and API.

    The demo is Hookrelay's sample help center with seeded customers and a few hundred
    tickets of the last 90 days, in ./trycatch-demo.db unless --db is given. Strict mode
    is on. Building again reuses what is there.
    """
    app_state = state(ctx)
    if ctx.find_root().params.get("db_url") is None:
        app_state.db_url = DEMO_DATABASE
    # The demo's settings, unless the environment says otherwise; the server's processes
    # read them from the environment too.
    os.environ.setdefault("TRYCATCH_PRODUCT_NAME", SAMPLE_PRODUCT)
    os.environ.setdefault("TRYCATCH_DESK_STRICT_MODE", "true")
    settings = app_state.settings
    settings.product_name = os.environ["TRYCATCH_PRODUCT_NAME"]
    settings.desk_strict_mode = os.environ["TRYCATCH_DESK_STRICT_MODE"].lower() in {
        "1",
        "true",
        "yes",
        "on",
    }
    database = app_state.database()
    with database.session() as session:
        reports = ingest_sample(
            session,
            max_file_bytes=settings.max_file_bytes,
            boilerplate_share=settings.boilerplate_share,
        )
    pages = sum(r.added + r.updated + r.skipped for r in reports)
    with console.status("seeding 90 days of support tickets…"):
        seeded = seed_demo(database, settings=settings)
    history = (
        f"{seeded.tickets} tickets, {seeded.customers} customers, {seeded.articles} KB "
        f"articles, {seeded.issues} engineering issues"
        if seeded.seeded
        else "seeded before, kept as it is"
    )
    base = f"http://{DEMO_HOST}:{port}"
    console.print(
        f"demo database: {app_state.db_url}\n"
        f"contents:      {pages} sample pages of {SAMPLE_PRODUCT}; {history}\n"
        f"staff login:   [bold]{DEMO_ADMIN_EMAIL}[/] / [bold]{DEMO_PASSWORD}[/]\n"
        f"help center:   {base}/\n"
        f"staff inbox:   {base}/app/inbox\n"
        f"API docs:      {base}/api/v1/docs\n"
        f'ask the agent: .venv/bin/trycatch --db {app_state.db_url} ask "{EXAMPLE_QUESTION}"',
        highlight=False,
        soft_wrap=True,
    )
    if seed_only:
        return
    run_server(app_state, host=DEMO_HOST, port=port)
