"""The ticket page and its actions: reply, internal note, assign, priority, flag a concern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from trycatch.desk import (
    AttachmentError,
    AttachmentLimits,
    AttachmentNotFound,
    MessageKind,
    Priority,
    TicketClosed,
    TicketInputError,
    TicketNotFound,
    Upload,
    assign,
    flag_concern,
    open_attachment_for,
    set_priority,
    staff_message_with_attachment,
)
from trycatch.desk.delivery import DeliveryNotFound, NotResendable, retry_delivery
from trycatch.desk.views import ticket_page
from trycatch.web.deps import SessionDep, SettingsDep, wake_delivery
from trycatch.web.rendering import render_markdown
from trycatch.web.staff.render import is_htmx, render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession

router = APIRouter(route_class=StaffRoute)


async def _file_field(file: Annotated[UploadFile | None, File()] = None) -> Upload | None:
    """The reply form's optional file, read into memory (the size limit applies after)."""
    if file is None or not file.filename:
        return None  # the form's file field left empty
    return Upload(
        filename=file.filename,
        content_type=file.content_type or "application/octet-stream",
        data=await file.read(),
    )


BodyField = Annotated[str, Form(max_length=100_000)]


def _page(
    request: Request,
    session: SessionDep,
    staff: StaffSession,
    ticket_id: int,
    *,
    template: str = "ticket.html",
    error: str = "",
    draft: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    page = ticket_page(session, actor=staff.user, ticket_id=ticket_id)
    return render_staff(
        request,
        template,
        staff=staff,
        status_code=status_code,
        page=page,
        ticket=page.ticket,
        markdown=lambda text: render_markdown(text).html,
        error=error,
        draft=draft,
        notice=request.query_params.get("notice", ""),
        priorities=list(Priority),
        oob_meta=template == "_thread.html",  # a reply changes the status in the header too
    )


@router.get("/tickets/{ticket_id}")
def show_ticket(
    request: Request, ticket_id: int, staff: CurrentStaff, session: SessionDep
) -> HTMLResponse:
    """The conversation, notes, the agent's handoff, the customer's other tickets, docs."""
    return _page(request, session, staff, ticket_id)


@router.post("/tickets/{ticket_id}/messages", response_model=None)
def post_message(
    request: Request,
    ticket_id: int,
    staff: StaffPost,
    session: SessionDep,
    settings: SettingsDep,
    body: BodyField = "",
    kind: Annotated[str, Form(pattern="^(reply|note)$")] = "reply",
    upload: Annotated[Upload | None, Depends(_file_field)] = None,
) -> HTMLResponse | RedirectResponse:
    """A public reply (emailed to the customer) or an internal note, with an optional file;
    htmx gets the thread back."""
    try:
        staff_message_with_attachment(
            session,
            ticket_id=ticket_id,
            actor=staff.user,
            kind=MessageKind.NOTE if kind == "note" else MessageKind.REPLY,
            body=body,
            upload=upload,
            email_from=settings.email_from,
            directory=settings.attachments_dir,
            limits=AttachmentLimits.from_settings(settings),
        )
    except (TicketInputError, TicketClosed, AttachmentError) as error:
        session.rollback()
        template = "_thread.html" if is_htmx(request) else "ticket.html"
        return _page(
            request,
            session,
            staff,
            ticket_id,
            template=template,
            error=str(error),
            draft=body,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    wake_delivery(request)
    if is_htmx(request):
        return _page(request, session, staff, ticket_id, template="_thread.html")
    return see_other(f"/app/tickets/{ticket_id}")


@router.post("/messages/{message_id}/resend", response_model=None)
def resend_reply(
    request: Request, message_id: int, staff: StaffPost, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    """Send a failed reply's email again (its attempts start over)."""
    try:
        message = retry_delivery(session, message_id=message_id, actor=staff.user)
        wake_delivery(request)
    except DeliveryNotFound as missing:
        raise TicketNotFound(str(missing)) from missing
    except NotResendable as error:
        return render_staff(
            request,
            "error.html",
            staff=staff,
            status_code=status.HTTP_409_CONFLICT,
            message=str(error),
        )
    return see_other(f"/app/tickets/{message.ticket_id}?notice=resent#message-{message.id}")


@router.get("/attachments/{attachment_id}")
def download_attachment(
    attachment_id: int, staff: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """A ticket's file, for staff who may see the ticket; always a download, never rendered."""
    try:
        attachment, path = open_attachment_for(
            session,
            actor=staff.user,
            attachment_id=attachment_id,
            directory=settings.attachments_dir,
        )
    except AttachmentNotFound as missing:
        raise TicketNotFound(str(missing)) from missing
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )


def _act(
    request: Request,
    session: SessionDep,
    staff: StaffSession,
    ticket_id: int,
    change: Callable[[], object],
    notice: str,
) -> HTMLResponse | RedirectResponse:
    """Make ``change``; then back to the ticket, or the page with the error naming the field."""
    try:
        change()
    except (TicketInputError, TicketClosed) as error:
        session.rollback()
        return _page(
            request,
            session,
            staff,
            ticket_id,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/tickets/{ticket_id}?notice={notice}")


def _assignee_id(value: str, staff: StaffSession) -> int | None:
    if value == "me":
        return staff.user.id
    if value.isdigit():
        return int(value)
    if not value:
        return None
    raise TicketInputError("assignee: a staff member's id, 'me' or empty")


@router.post("/tickets/{ticket_id}/assign", response_model=None)
def assign_ticket(
    request: Request,
    ticket_id: int,
    staff: StaffPost,
    session: SessionDep,
    assignee: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse | RedirectResponse:
    """Assign to a staff member ("me" for oneself, empty to unassign)."""
    return _act(
        request,
        session,
        staff,
        ticket_id,
        lambda: assign(
            session,
            ticket_id=ticket_id,
            actor=staff.user,
            assignee_id=_assignee_id(assignee, staff),
        ),
        "assigned",
    )


@router.post("/tickets/{ticket_id}/priority", response_model=None)
def change_priority(
    request: Request,
    ticket_id: int,
    staff: StaffPost,
    session: SessionDep,
    priority: Annotated[Priority, Form()],
) -> HTMLResponse | RedirectResponse:
    return _act(
        request,
        session,
        staff,
        ticket_id,
        lambda: set_priority(session, ticket_id=ticket_id, actor=staff.user, priority=priority),
        "priority",
    )


@router.post("/tickets/{ticket_id}/flag", response_model=None)
def flag_ticket(
    request: Request,
    ticket_id: int,
    staff: StaffPost,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> HTMLResponse | RedirectResponse:
    """Flag a concern for engineering: the ticket goes high priority and on the flagged list."""
    return _act(
        request,
        session,
        staff,
        ticket_id,
        lambda: flag_concern(session, ticket_id=ticket_id, actor=staff.user, reason=reason),
        "flagged",
    )


__all__ = ["router"]
