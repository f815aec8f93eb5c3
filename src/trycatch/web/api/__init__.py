"""The JSON API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``).

Every route is rate limited per client; the agent's errors map to HTTP here, once:
``AgentInputError`` is a 422 naming the request field, ``ConversationNotFound`` a 404; the
desk's errors as ``tickets.ERROR_HANDLERS`` says (the ticket routes need an API token).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse

from trycatch.agent.conversations import AgentInputError, ConversationNotFound
from trycatch.web.api import conversations, search, tickets
from trycatch.web.deps import rate_limit

PREFIX = "/api/v1"
# The agent names its own parameters in errors; the API names the request's fields.
_FIELD_NAMES = {"question": "message"}

router = APIRouter(
    prefix=PREFIX,
    dependencies=[Depends(rate_limit)],
    responses={
        422: {"description": "Invalid input; `detail[].loc` names the field."},
        429: {"description": "Too many requests from this client; see Retry-After."},
    },
)
router.include_router(conversations.router)
router.include_router(search.router)
router.include_router(tickets.router)


def _agent_input_error(_request: Request, error: Exception) -> JSONResponse:
    field, _, message = str(error).partition(": ")
    if not message:
        field, message = "body", str(error)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", _FIELD_NAMES.get(field, field)],
                    "msg": message,
                }
            ]
        },
    )


def _conversation_not_found(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_404_NOT_FOUND, content={"detail": "Conversation not found."}
    )


def install(app: FastAPI) -> None:
    """Add the API's routes and error handlers to ``app``."""
    app.include_router(router)
    app.add_exception_handler(AgentInputError, _agent_input_error)
    app.add_exception_handler(ConversationNotFound, _conversation_not_found)
    for error, handler in tickets.ERROR_HANDLERS.items():
        app.add_exception_handler(error, handler)


__all__ = ["PREFIX", "install", "router"]
