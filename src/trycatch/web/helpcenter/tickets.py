"""The customer's ticket page: ``/tickets/{key}``, reached by the unguessable link only.

The page shows the subject, the status and what the customer may read (their messages and
public replies, never internal notes), with the files on them, and a reply form. Any wrong
key, or an attachment that is not on this ticket's visible messages, is the ordinary 404
page: nothing tells a guesser what exists.

The key is in the URL, so these responses are never cached and never sent as a referrer.
The reply form is protected by a double-submit token: a random value in a strict
same-site, HTTP-only cookie and the same value in a hidden field; a POST whose two differ
is refused (403).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from trycatch.desk import (
    Attachment,
    AttachmentError,
    AttachmentLimits,
    MessageKind,
    Ticket,
    TicketInputError,
    Upload,
    customer_reply_with_attachment,
    customer_visible_messages,
    get_ticket_for_customer,
    open_attachment_for_customer,
)
from trycatch.settings import Settings
from trycatch.web.deps import SessionDep, SettingsDep
from trycatch.web.helpcenter.render import render_page
from trycatch.web.rendering import render_markdown

CSRF_COOKIE = "trycatch_ticket_csrf"
CSRF_FIELD = "csrf_token"
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Files are served as downloads, never rendered here: a sandboxed, unsniffed attachment.
DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}

MAX_ROW_ID = 2**31 - 1
# What ``secrets.token_urlsafe(32)`` makes; a cookie of any other shape is not ours.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")

router = APIRouter(prefix="/tickets", include_in_schema=False)


def _well_formed(token: str) -> bool:
    return _TOKEN.fullmatch(token) is not None


def _csrf_token(request: Request) -> str:
    """The browser's token if it has a well-formed one, else a new one."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if _well_formed(token) else secrets.token_urlsafe(32)


def _private(response: Response, *, settings: Settings, token: str | None = None) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    if token is not None:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=settings.public_url.startswith("https://"),
            path="/tickets",
        )
    return response


def _page(
    request: Request,
    ticket: Ticket,
    *,
    settings: Settings,
    token: str,
    error: str = "",
    draft: str = "",
    status_code: int = status.HTTP_200_OK,
) -> Response:
    messages = [
        {
            "message": message,
            "from_customer": message.kind == MessageKind.CUSTOMER,
            "html": render_markdown(message.body).html,
        }
        for message in customer_visible_messages(ticket)
    ]
    response = render_page(
        request,
        "ticket.html",
        status_code=status_code,
        ticket=ticket,
        messages=messages,
        csrf_field=CSRF_FIELD,
        csrf_token=token,
        error=error,
        draft=draft,
        max_megabytes=settings.attachment_max_bytes / (1024 * 1024),
        accept=",".join(settings.attachment_types),
    )
    return _private(response, settings=settings, token=token)


def download(attachment: Attachment, path: Path) -> FileResponse:
    """An attachment's file as a download under its (cleaned) name."""
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )


def _row_id(value: str) -> int:
    """A path's id; anything that is not one is a 404 (the page's, not a validation error)."""
    if not value.isascii() or not value.isdigit() or not 1 <= int(value[:12]) <= MAX_ROW_ID:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    return int(value)


@router.get("/{key}", response_class=HTMLResponse)
def ticket_page(request: Request, key: str, session: SessionDep, settings: SettingsDep) -> Response:
    ticket = get_ticket_for_customer(session, key=key)
    return _page(request, ticket, settings=settings, token=_csrf_token(request))


@router.post("/{key}/replies", response_class=HTMLResponse)
def reply_on_ticket(
    request: Request,
    key: str,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The customer's reply (and optional file): the ticket reopens; back to the page."""
    ticket = get_ticket_for_customer(session, key=key)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not _well_formed(cookie) or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
        return _page(
            request,
            ticket,
            settings=settings,
            token=_csrf_token(request),
            error="The form expired. Please send your reply again.",
            draft=body,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    upload = None
    if file is not None and file.filename:
        data = file.file.read(settings.attachment_max_bytes + 1)
        upload = Upload(filename=file.filename, content_type=file.content_type or "", data=data)
    try:
        customer_reply_with_attachment(
            session,
            key=key,
            body=body,
            upload=upload,
            directory=settings.attachments_dir,
            limits=AttachmentLimits.from_settings(settings),
        )
    except (TicketInputError, AttachmentError) as error:
        field, _, message = str(error).partition(": ")
        label = "Your message" if field == "body" else "The file"
        return _page(
            request,
            ticket,
            settings=settings,
            token=cookie,
            error=f"{label} {message}" if message else str(error),
            draft=body,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    redirect = RedirectResponse(f"/tickets/{key}", status_code=status.HTTP_303_SEE_OTHER)
    return _private(redirect, settings=settings)


@router.get("/{key}/attachments/{attachment_id}")
def ticket_attachment(
    key: str, attachment_id: str, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """A file on one of the ticket's visible messages, as a download."""
    attachment, path = open_attachment_for_customer(
        session,
        key=key,
        attachment_id=_row_id(attachment_id),
        directory=settings.attachments_dir,
    )
    response = download(attachment, path)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "DOWNLOAD_HEADERS", "download", "router"]
