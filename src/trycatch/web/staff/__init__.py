"""The staff app under ``/app``: login, the inbox, tickets, the close form, and the agent
the team owns — prompt versions, eval cases and runs, the feedback inbox (htmx pages).

Every route needs a signed-in staff member (``CurrentStaff``), every POST the session's
CSRF token (``StaffPost``); the services check the role. Every router here uses
``StaffRoute``, which turns the errors of those checks into pages.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from trycatch.web.staff import (
    agent_evals,
    closing,
    feedback,
    inbox,
    login,
    outreach,
    prompts,
    tickets,
)
from trycatch.web.staff.render import see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import STAFF_PREFIX, CurrentStaff

router = APIRouter(prefix=STAFF_PREFIX, route_class=StaffRoute, include_in_schema=False)


@router.get("")
def staff_home(_staff: CurrentStaff) -> RedirectResponse:
    return see_other(f"{STAFF_PREFIX}/inbox")


for module in (login, inbox, tickets, closing, outreach, prompts, agent_evals, feedback):
    router.include_router(module.router)


def install(app: FastAPI) -> None:
    """Add the staff app's routes to ``app``."""
    app.include_router(router)


__all__ = ["install", "router"]
