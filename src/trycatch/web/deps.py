"""What routes receive: the request's database session, the settings, the client's identity.

Routes declare these with the ``Annotated`` aliases (``SessionDep``, ``SettingsDep``) and
never open sessions or read ``app.state`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from jinja2 import Environment
from sqlalchemy.orm import Session

from trycatch.knowledge.embeddings import Embedder
from trycatch.settings import Settings
from trycatch.store import Database
from trycatch.web.ratelimit import RateLimiter, retry_after


@dataclass(frozen=True, slots=True)
class WebState:
    """Everything the app factory builds once and every request shares."""

    settings: Settings
    database: Database
    limiter: RateLimiter
    templates: Environment
    embedder: Embedder | None = None
    # Signs staff sessions and CSRF tokens: the configured secret, else random per process.
    secret_key: str = ""


def web_state(request: Request) -> WebState:
    state = request.app.state.trycatch
    assert isinstance(state, WebState)
    return state


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; service functions commit, anything left is rolled back."""
    with web_state(request).database.session() as session:
        yield session


def get_settings(request: Request) -> Settings:
    return web_state(request).settings


def get_embedder(request: Request) -> Embedder | None:
    """The dense-retrieval embedder (None: BM25 only), built once with the app."""
    return web_state(request).embedder


def wake_delivery(request: Request) -> None:
    """A reply was just queued: let the email worker send it now instead of at its next poll."""
    worker = getattr(request.app.state, "delivery_worker", None)
    if worker is not None:
        worker.notify()


def client_address(request: Request) -> str:
    """The client's IP address (the proxy's view of it when uvicorn trusts the proxy)."""
    return request.client.host if request.client is not None else "unknown"


def rate_limit(request: Request) -> None:
    """Spend one of the client's tokens, or refuse with 429 and when to come back."""
    wait = web_state(request).limiter.take(client_address(request))
    if wait > 0:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Too many requests: slow down and retry after the time in Retry-After.",
            headers={"Retry-After": retry_after(wait)},
        )


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EmbedderDep = Annotated[Embedder | None, Depends(get_embedder)]

__all__ = [
    "EmbedderDep",
    "SessionDep",
    "SettingsDep",
    "WebState",
    "client_address",
    "get_session",
    "get_settings",
    "rate_limit",
    "wake_delivery",
    "web_state",
]
