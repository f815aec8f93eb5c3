"""``trycatch serve``: the help center, chat widget and JSON API over HTTP (uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from trycatch.cli.context import AppState, console, state
from trycatch.settings import database_url_from

# uvicorn imports the app itself (as it must to run several workers), through the factory.
APP_FACTORY = "trycatch.web:create_app"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (rate limits count per process).")
    ] = 1,
) -> None:
    """Serve the help center at /, the chat widget at /widget.js and the API at /api/v1.

    Health check: GET /healthz. API documentation: /api/v1/docs.
    """
    run_server(state(ctx), host=host, port=port, workers=workers)


def run_server(app_state: AppState, *, host: str, port: int, workers: int = 1) -> None:
    """Serve the app on the database of ``app_state`` until interrupted (also the demo's)."""
    # Migrates a SQLite file, or stops with a message when PostgreSQL is behind.
    app_state.database().dispose()
    # The factory reads its settings from the environment, in this process and in workers.
    os.environ["TRYCATCH_DATABASE_URL"] = database_url_from(app_state.db_url)
    console.print(f"help center on http://{host}:{port}/  (API docs: /api/v1/docs)")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )
