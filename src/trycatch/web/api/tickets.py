"""``/api/v1/tickets``: the catch block over HTTP, for staff API tokens.

Reads need a token with ``tickets:read``, changes ``tickets:write``; the desk checks the
user's role as well. Each route parses its schema, calls one desk (or intake) service and
renders the result; the desk's errors become HTTP statuses in ``trycatch.web.api``'s
handlers (not found 404, not allowed 403, bad input 422 naming the field, closed 409).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse, JSONResponse

from trycatch.agent.conversations import CustomerRef
from trycatch.channels.intake import open_customer_ticket
from trycatch.desk import (
    AttachmentError,
    AttachmentNotFound,
    ClosePolicyError,
    PermissionDenied,
    Queue,
    StrictModeBlocked,
    TicketClosed,
    TicketFilters,
    TicketInputError,
    TicketNotFound,
    TicketSource,
    TicketStatus,
    add_note,
    assign,
    flag_concern,
    get_ticket_for,
    list_tickets,
    next_ticket_for,
    open_attachment_for,
    reply,
    set_priority,
    store_attachment,
)
from trycatch.knowledge.library import library_taxonomy
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.web.api.auth import AUTH_RESPONSES, ReadUser, WriteUser
from trycatch.web.api.ticket_schemas import (
    AssignRequest,
    AttachmentPublic,
    CloseRequest,
    FlagRequest,
    PendingArticlePublic,
    PriorityRequest,
    ReplyCreate,
    TicketCreate,
    TicketDetail,
    TicketMessagePublic,
    TicketPage,
    TicketPublic,
)
from trycatch.web.closing import close_and_link
from trycatch.web.deps import SessionDep, SettingsDep, wake_delivery
from trycatch.web.helpcenter.render import not_found_page
from trycatch.web.helpcenter.tickets import download

# Row ids are 32-bit integers in PostgreSQL; a larger one names no ticket.
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = APIRouter(
    prefix="/tickets",
    tags=["tickets"],
    responses={
        **AUTH_RESPONSES,
        404: {"description": "No such ticket."},
        409: {"description": "The ticket is closed, or strict mode holds the next ticket."},
    },
)


def get_taxonomy(session: SessionDep, settings: SettingsDep) -> Taxonomy:
    """The categories and product areas tickets close with (as the help center reads them)."""
    return library_taxonomy(session, explicit=settings.taxonomy_path)


TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_ticket(
    body: TicketCreate, user: WriteUser, session: SessionDep, settings: SettingsDep
) -> TicketPublic:
    """Open a ticket for a customer (found by email, else created)."""
    ticket = open_customer_ticket(
        session,
        customer=CustomerRef(
            email=body.customer.email,
            external_id=body.customer.external_id,
            name=body.customer.name,
        ),
        subject=body.subject,
        body=body.body,
        source=TicketSource(body.source),
        actor=user,
        email_from=settings.email_from,
    )
    return TicketPublic.from_ticket(ticket, public_url=settings.public_url)


@router.get("")
def list_ticket_page(
    user: ReadUser,
    session: SessionDep,
    settings: SettingsDep,
    queue: Queue = Queue.ALL,
    status_: Annotated[TicketStatus | None, Query(alias="status")] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    product_area: Annotated[str | None, Query(max_length=100)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words to find.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> TicketPage:
    """A page of a queue, newest first, filtered; full-text search with ``q``."""
    filters = TicketFilters(
        status=status_,
        category=category,
        product_area=product_area,
        customer_id=customer_id,
        text=q,
    )
    try:
        tickets = list_tickets(
            session, actor=user, queue=queue, filters=filters, limit=limit, before_id=before_id
        )
    except ValueError as error:  # a before_id that names no ticket
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"type": "value_error", "loc": ["query", "before_id"], "msg": str(error)}],
        ) from error
    return TicketPage(
        items=[TicketPublic.from_ticket(t, public_url=settings.public_url) for t in tickets],
        next_before_id=tickets[-1].id if len(tickets) == limit else None,
    )


@router.post(
    "/next",
    responses={204: {"description": "No unassigned open ticket is waiting."}},
)
def take_next_ticket(
    user: WriteUser, session: SessionDep, settings: SettingsDep, response: Response
) -> TicketDetail | None:
    """Assign yourself the most urgent, oldest unassigned open ticket.

    A POST, since it changes the ticket. In strict mode a 409 lists the KB articles of
    tickets you closed that must be published first.
    """
    ticket = next_ticket_for(session, user=user, strict=settings.desk_strict_mode)
    if ticket is None:
        response.status_code = status.HTTP_204_NO_CONTENT
        return None
    return TicketDetail.from_ticket(ticket, public_url=settings.public_url)


@router.get("/{ticket_id}")
def get_ticket(
    ticket_id: TicketId, user: ReadUser, session: SessionDep, settings: SettingsDep
) -> TicketDetail:
    """A ticket with every message (internal notes included), attachments and outcomes."""
    ticket = get_ticket_for(session, actor=user, ticket_id=ticket_id)
    return TicketDetail.from_ticket(ticket, public_url=settings.public_url)


@router.post("/{ticket_id}/replies", status_code=status.HTTP_201_CREATED)
def reply_to_ticket(
    request: Request,
    ticket_id: TicketId,
    body: ReplyCreate,
    user: WriteUser,
    session: SessionDep,
    settings: SettingsDep,
) -> TicketMessagePublic:
    """A public reply (emailed to the customer when they have an address): pending."""
    message = reply(
        session, ticket_id=ticket_id, actor=user, body=body.body, email_from=settings.email_from
    )
    wake_delivery(request)
    return TicketMessagePublic.from_message(message)


@router.post("/{ticket_id}/notes", status_code=status.HTTP_201_CREATED)
def add_ticket_note(
    ticket_id: TicketId, body: ReplyCreate, user: WriteUser, session: SessionDep
) -> TicketMessagePublic:
    """An internal note: the customer never sees it."""
    return TicketMessagePublic.from_message(
        add_note(session, ticket_id=ticket_id, actor=user, body=body.body)
    )


@router.post("/{ticket_id}/assign")
def assign_ticket(
    ticket_id: TicketId,
    body: AssignRequest,
    user: WriteUser,
    session: SessionDep,
    settings: SettingsDep,
) -> TicketPublic:
    """Give the ticket to a staff member who works tickets (null: unassign)."""
    ticket = assign(session, ticket_id=ticket_id, actor=user, assignee_id=body.assignee_id)
    return TicketPublic.from_ticket(ticket, public_url=settings.public_url)


@router.post("/{ticket_id}/priority")
def set_ticket_priority(
    ticket_id: TicketId,
    body: PriorityRequest,
    user: WriteUser,
    session: SessionDep,
    settings: SettingsDep,
) -> TicketPublic:
    """Change the priority (a flagged ticket stays high at least)."""
    ticket = set_priority(session, ticket_id=ticket_id, actor=user, priority=body.priority)
    return TicketPublic.from_ticket(ticket, public_url=settings.public_url)


@router.post("/{ticket_id}/flag")
def flag_ticket(
    ticket_id: TicketId,
    body: FlagRequest,
    user: WriteUser,
    session: SessionDep,
    settings: SettingsDep,
) -> TicketPublic:
    """Flag a concern for engineering: the ticket becomes high priority."""
    ticket = flag_concern(session, ticket_id=ticket_id, actor=user, reason=body.reason)
    return TicketPublic.from_ticket(ticket, public_url=settings.public_url)


@router.post("/{ticket_id}/close")
def close(
    ticket_id: TicketId,
    body: CloseRequest,
    user: WriteUser,
    session: SessionDep,
    settings: SettingsDep,
    taxonomy: TaxonomyDep,
) -> TicketDetail:
    """Close with a category, a product area and at least one outcome; a 422 names every
    missing or wrong field at once. Linked engineering issues count the ticket's customer
    towards their demand."""
    ticket = close_and_link(
        session,
        ticket_id=ticket_id,
        actor=user,
        taxonomy=taxonomy,
        category=body.category,
        product_area=body.product_area,
        outcomes=[outcome.to_input() for outcome in body.outcomes],
        strict=settings.desk_strict_mode,
    )
    return TicketDetail.from_ticket(ticket, public_url=settings.public_url)


@router.post("/{ticket_id}/attachments", status_code=status.HTTP_201_CREATED)
def upload_attachment(
    ticket_id: TicketId,
    file: Annotated[UploadFile, File(description="The file (size and type are limited).")],
    message_id: Annotated[int, Form(ge=1, le=2**31 - 1, description="The message it goes with.")],
    user: WriteUser,
    session: SessionDep,
    settings: SettingsDep,
) -> AttachmentPublic:
    """Attach a file to one of the ticket's messages."""
    # One byte past the limit is enough to refuse it; the rest is not read into memory.
    data = file.file.read(settings.attachment_max_bytes + 1)
    attachment = store_attachment(
        session,
        ticket_id=ticket_id,
        message_id=message_id,
        filename=file.filename or "",
        content_type=file.content_type or "",
        data=data,
        actor=user,
        directory=settings.attachments_dir,
        max_bytes=settings.attachment_max_bytes,
        allowed_types=settings.attachment_types,
    )
    return AttachmentPublic.from_attachment(attachment)


@router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"description": "The file, as a download.", "content": {"*/*": {}}}},
)
def download_attachment(
    ticket_id: TicketId,
    attachment_id: RowId,
    user: ReadUser,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    """Download an attachment of the ticket."""
    attachment, path = open_attachment_for(
        session, actor=user, attachment_id=attachment_id, directory=settings.attachments_dir
    )
    if attachment.ticket_id != ticket_id:
        raise AttachmentNotFound(f"attachment {attachment_id}")
    return download(attachment, path)


def _field_error(_request: Request, error: Exception) -> JSONResponse:
    field, _, message = str(error).partition(": ")
    if not message:
        field, message = "body", str(error)
    loc: list[str | int] = ["body", *_path(field)]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": [{"type": "value_error", "loc": loc, "msg": message}]},
    )


def _path(field: str) -> list[str | int]:
    """``outcomes[0].url`` → ``["outcomes", 0, "url"]``, as pydantic's ``loc``."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        parts.append(int(index) if index else name)
    return parts


def _close_refused(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ClosePolicyError)
    detail = [
        {"type": "value_error", "loc": ["body", *_path(field)], "msg": problem}
        for field, problem in error.problems
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


def _not_found(message: str) -> Callable[[Request, Exception], Response]:
    def handler(request: Request, _error: Exception) -> Response:
        if not request.url.path.startswith("/api/"):
            return not_found_page(request)  # a page's link, not an API call
        return JSONResponse(status_code=status.HTTP_404_NOT_FOUND, content={"detail": message})

    return handler


def _status(code: int) -> Callable[[Request, Exception], Response]:
    def handler(_request: Request, error: Exception) -> Response:
        return JSONResponse(status_code=code, content={"detail": str(error)})

    return handler


def _strict_mode(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StrictModeBlocked)
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT,
        content={
            "detail": str(error),
            "pending_articles": [
                PendingArticlePublic(
                    ticket_id=p.ticket_id, article_id=p.article_id, slug=p.slug, title=p.title
                ).model_dump()
                for p in error.pending
            ],
        },
    )


# How the desk's errors read over HTTP; ``trycatch.web.api.install`` registers them.
ERROR_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Response]] = {
    TicketNotFound: _not_found("Ticket not found."),
    AttachmentNotFound: _not_found("Attachment not found."),
    PermissionDenied: _status(status.HTTP_403_FORBIDDEN),
    TicketClosed: _status(status.HTTP_409_CONFLICT),
    StrictModeBlocked: _strict_mode,
    ClosePolicyError: _close_refused,
    TicketInputError: _field_error,
    AttachmentError: _field_error,
}

__all__ = ["ERROR_HANDLERS", "router"]
