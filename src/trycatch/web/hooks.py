"""Inbound webhooks under ``/hooks/``: the email webhook (``POST /hooks/email``).

The route reads the raw body (the signature covers its bytes), checks the signature, parses
the payload and hands it to ``trycatch.channels.email_in.receive_email``. Errors: 503 when
no secret is configured, 401 for a bad, missing or stale signature, 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from trycatch.channels.email_in import (
    InboundEmail,
    SignatureError,
    receive_email,
    verify_signature,
)
from trycatch.desk import AttachmentLimits, TicketInputError
from trycatch.store import utcnow
from trycatch.web.deps import SessionDep, SettingsDep

# The desk names its own parameters in errors; the webhook names the payload's fields.
_FIELD_NAMES = {"body": "text"}

router = APIRouter(prefix="/hooks", tags=["hooks"])


async def _raw_body(request: Request) -> bytes:
    return await request.body()


# The bytes as sent: the signature covers them, not a re-serialization.
RawBody = Annotated[bytes, Depends(_raw_body)]


class EmailReceived(BaseModel):
    """Where the email went: its ticket, the stored message's id, whether it was new."""

    ticket_id: int
    message_id: int
    created: bool


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message}])


def _payload(body: bytes) -> InboundEmail:
    try:
        return InboundEmail.model_validate_json(body)
    except ValidationError as error:
        errors: list[dict[str, Any]] = [
            {"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"]}
            for e in error.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


@router.post(
    "/email",
    # The body is read as bytes (the signature covers them); the schema is documented here.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": InboundEmail.model_json_schema(by_alias=True)}
            },
        }
    },
    responses={
        401: {"description": "Missing, wrong or stale signature."},
        422: {"description": "Invalid payload; `detail[].loc` names the field."},
        503: {"description": "The webhook is not configured (no secret)."},
    },
)
def email_webhook(
    body: RawBody,
    session: SessionDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Trycatch-Signature")] = None,
    timestamp: Annotated[str | None, Header(alias="X-Trycatch-Timestamp")] = None,
) -> EmailReceived:
    """Receive one customer email, signed with the webhook secret (docs/email.md)."""
    secret = settings.email_webhook_secret.get_secret_value()
    if not secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "webhook not configured")
    try:
        verify_signature(
            secret=secret, timestamp=timestamp, signature=signature, body=body, now=utcnow()
        )
    except SignatureError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from None
    email = _payload(body)
    try:
        received = receive_email(
            session,
            email,
            attachments_dir=settings.attachments_dir,
            limits=AttachmentLimits.from_settings(settings),
        )
    except TicketInputError as error:
        field, _, message = str(error).partition(": ")
        raise _invalid(_FIELD_NAMES.get(field, field), message or str(error)) from None
    return EmailReceived(
        ticket_id=received.ticket_id, message_id=received.message_id, created=received.created
    )


__all__ = ["router"]
