"""The inbox: queues with counts, filters, full-text search, and "next ticket"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from trycatch.desk import (
    Queue,
    StrictModeBlocked,
    TicketFilters,
    TicketStatus,
    list_tickets,
    next_ticket_for,
    queue_counts,
)
from trycatch.knowledge.library import library_taxonomy
from trycatch.web.deps import SessionDep, SettingsDep
from trycatch.web.staff.render import is_htmx, render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost

router = APIRouter(route_class=StaffRoute)
PAGE = 50


class InboxQuery(BaseModel):
    """The inbox's address: a queue, filters and a page; empty fields do not filter."""

    queue: Queue = Queue.UNASSIGNED
    status: TicketStatus | None = None
    category: str | None = Field(default=None, max_length=100)
    product_area: str | None = Field(default=None, max_length=100)
    customer: int | None = Field(default=None, ge=1)
    q: str | None = Field(default=None, max_length=200)
    before: int | None = Field(default=None, ge=1)

    def filters(self) -> TicketFilters:
        return TicketFilters(
            status=self.status,
            category=self.category or None,
            product_area=self.product_area or None,
            customer_id=self.customer,
            text=self.q or None,
        )

    def link(self, **changes: object) -> str:
        """This address with ``changes``; empty values are left out."""
        values = self.model_dump() | {"before": None} | changes
        shown = {k: v for k, v in values.items() if v not in (None, "")}
        return "/app/inbox?" + urlencode({k: str(v) for k, v in shown.items()})


def parse_inbox_query(request: Request) -> InboxQuery:
    """The query string as an ``InboxQuery``; a filter form sends empty fields for "any"."""
    given = {k: v for k, v in request.query_params.items() if v != "" and k != "notice"}
    try:
        return InboxQuery.model_validate(given)
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from error


@router.get("/inbox")
def inbox(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One page of a queue with the counts of every queue under the same filters."""
    query = parse_inbox_query(request)
    filters = query.filters()
    tickets = list_tickets(
        session,
        actor=staff.user,
        queue=query.queue,
        filters=filters,
        limit=PAGE + 1,
        before_id=query.before,
    )
    more = len(tickets) > PAGE
    tickets = tickets[:PAGE]
    context: dict[str, Any] = {
        "query": query,
        "tickets": tickets,
        "next_page": query.link(before=tickets[-1].id) if more and tickets else None,
        "counts": queue_counts(session, actor=staff.user, filters=filters),
        "queues": list(Queue),
        "statuses": list(TicketStatus),
        "taxonomy": library_taxonomy(session, explicit=settings.taxonomy_path),
        "notice": request.query_params.get("notice", ""),
    }
    if is_htmx(request):  # the list, and the counts out of band
        return render_staff(request, "_ticket_list.html", staff=staff, oob_counts=True, **context)
    return render_staff(request, "inbox.html", staff=staff, oob_counts=False, **context)


@router.post("/next", response_model=None)
def take_next_ticket(
    request: Request, staff: StaffPost, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """Assign the next ticket to the staff member and open it (strict mode may refuse)."""
    try:
        ticket = next_ticket_for(session, user=staff.user, strict=settings.desk_strict_mode)
    except StrictModeBlocked as blocked:
        return render_staff(
            request,
            "blocked.html",
            staff=staff,
            status_code=status.HTTP_409_CONFLICT,
            pending=blocked.pending,
        )
    if ticket is None:
        return see_other("/app/inbox?notice=empty")
    return see_other(f"/app/tickets/{ticket.id}")


__all__ = ["InboxQuery", "router"]
