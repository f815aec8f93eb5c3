"""Success Outreach: a staff member opens a ticket towards a customer, writing first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from trycatch.agent.conversations import CustomerRef
from trycatch.channels.intake import open_customer_ticket
from trycatch.desk import Action, PermissionDenied, TicketInputError, TicketSource, can
from trycatch.web.deps import SessionDep, SettingsDep, wake_delivery
from trycatch.web.staff.render import render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession

router = APIRouter(route_class=StaffRoute)


class OutreachInput(BaseModel):
    """The outreach form: who, and the first message (emailed to them)."""

    email: str = Field(default="", max_length=320)
    name: str = Field(default="", max_length=200)
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=100_000)


def _form(
    request: Request,
    staff: StaffSession,
    *,
    values: OutreachInput,
    error: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    if not can(staff.user, Action.OPEN_TICKET):
        raise PermissionDenied("viewers cannot open tickets")
    return render_staff(
        request, "outreach.html", staff=staff, values=values, error=error, status_code=status_code
    )


@router.get("/outreach")
def outreach_form(request: Request, staff: CurrentStaff) -> HTMLResponse:
    return _form(request, staff, values=OutreachInput())


@router.post("/outreach", response_model=None)
def open_outreach(
    request: Request,
    staff: StaffPost,
    session: SessionDep,
    settings: SettingsDep,
    values: Annotated[OutreachInput, Form()],
) -> HTMLResponse | RedirectResponse:
    """Open a Success Outreach ticket: pending, assigned to the writer, first reply emailed."""
    try:
        if "@" not in values.email:
            raise TicketInputError("email: the customer's email address is required")
        ticket = open_customer_ticket(
            session,
            customer=CustomerRef(email=values.email.strip(), name=values.name.strip()),
            subject=values.subject,
            body=values.body,
            source=TicketSource.OUTREACH,
            actor=staff.user,
            email_from=settings.email_from,
        )
    except TicketInputError as error:
        session.rollback()
        return _form(
            request,
            staff,
            values=values,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    wake_delivery(request)
    return see_other(f"/app/tickets/{ticket.id}?notice=outreach")


__all__ = ["OutreachInput", "router"]
