"""The ticket page and its actions: reply, internal note, assign, priority, flag a concern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from trycatch.desk import (
    Priority,
    TicketClosed,
    TicketInputError,
    add_note,
    assign,
    flag_concern,
    reply,
    set_priority,
)
from trycatch.desk.views import ticket_page
from trycatch.web.deps import SessionDep
from trycatch.web.rendering import render_markdown
from trycatch.web.staff.render import is_htmx, render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession

router = APIRouter(route_class=StaffRoute)
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
    body: BodyField = "",
    kind: Annotated[str, Form(pattern="^(reply|note)$")] = "reply",
) -> HTMLResponse | RedirectResponse:
    """A public reply (emailed to the customer) or an internal note; htmx gets the thread."""
    try:
        if kind == "note":
            add_note(session, ticket_id=ticket_id, actor=staff.user, body=body)
        else:
            reply(session, ticket_id=ticket_id, actor=staff.user, body=body)
    except (TicketInputError, TicketClosed) as error:
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
    if is_htmx(request):
        return _page(request, session, staff, ticket_id, template="_thread.html")
    return see_other(f"/app/tickets/{ticket_id}")


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
