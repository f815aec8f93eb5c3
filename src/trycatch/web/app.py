"""The app factory: the JSON API, the public help center and the chat widget in one app.

``create_app`` builds everything from its arguments (settings from ``TRYCATCH_*`` when none
are given); importing this module opens no database. A SQLite file is migrated on start,
as the CLI does; a PostgreSQL schema must be upgraded first (``trycatch db upgrade``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from trycatch import __version__
from trycatch.jobs import DeliveryWorker
from trycatch.knowledge.embeddings import embedder_from_settings
from trycatch.settings import Settings, database_url_from
from trycatch.store import Database, open_database
from trycatch.store.migrate import is_current, upgrade
from trycatch.web import api, helpcenter, hooks, staff
from trycatch.web.api.schemas import Health
from trycatch.web.deps import WebState
from trycatch.web.helpcenter.render import not_found_page, template_environment
from trycatch.web.ratelimit import RateLimiter

STATIC_DIR = Path(__file__).parent / "static"
API_DESCRIPTION = """\
Ask trycatch's agent, read a conversation back, rate an answer, get a human, search the
help center. Answers carry citations to the documents they are based on; questions the
agent cannot answer are handed to the support team.

Replies can also be read as server-sent events (the `/stream` routes): `delta` events with
pieces of the answer when the model streams, then `answer` (the whole reply) and `done`.
"""


class SchemaNotCurrent(RuntimeError):
    """The database's schema is behind the code: run ``trycatch db upgrade``."""


def open_app_database(settings: Settings) -> Database:
    """The database of ``settings``: a SQLite file migrated in place, PostgreSQL checked."""
    url = database_url_from(settings.database_url)
    if url.startswith("sqlite"):
        upgrade(url)
    elif not is_current(url):
        raise SchemaNotCurrent(
            "the database schema is not up to date: run `trycatch db upgrade` first"
        )
    return open_database(url)


async def _not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404 and not request.url.path.startswith(api.PREFIX):
        return not_found_page(request)
    return await http_exception_handler(request, error)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The trycatch web app: ``/api/v1`` (JSON), ``/`` (help center), ``/widget.js``."""
    settings = settings or Settings()
    owns_database = database is None
    db = database if database is not None else open_app_database(settings)

    # Replies are emailed by this process when an SMTP server is set; else they stay queued.
    delivery = DeliveryWorker(database=db, settings=settings) if settings.smtp_host else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if delivery is not None:
            delivery.start()
        yield
        if delivery is not None:
            delivery.stop()
        if owns_database:
            db.dispose()

    # The API docs page with Swagger UI served from here, not from a CDN.
    app = FastAPIOffline(
        title="trycatch API",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url=f"{api.PREFIX}/openapi.json",
        docs_url=f"{api.PREFIX}/docs",
        redoc_url=None,
        static_url=f"{api.PREFIX}/docs-assets",
        favicon_url="/static/favicon.svg",
        lifespan=lifespan,
    )
    app.state.trycatch = WebState(
        settings=settings,
        database=db,
        limiter=RateLimiter(per_minute=settings.api_rate_limit_per_minute),
        templates=template_environment(settings),
        embedder=embedder_from_settings(settings),
        secret_key=settings.secret_key.get_secret_value() or secrets.token_urlsafe(32),
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allow_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Accept"],
        max_age=600,
    )
    app.add_exception_handler(StarletteHTTPException, _not_found)

    @app.get("/healthz", tags=["health"])
    def healthz() -> Health:
        """Liveness: the process answers."""
        return Health()

    @app.get("/widget.js", include_in_schema=False)
    def widget_script() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js",
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300"},
        )

    app.state.delivery_worker = delivery
    api.install(app)
    staff.install(app)
    app.include_router(hooks.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Last: the help center answers every other path (a document's URL, or its 404 page).
    app.include_router(helpcenter.router)
    return app


__all__ = ["SchemaNotCurrent", "create_app", "open_app_database"]
