"""Prompt versions: the history, a version with its diff against the active one, a new
draft, running the suite against a version, and gated activation and rollback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, field_validator

from trycatch.agent.prompts import PromptVersionError
from trycatch.evals.access import activate, draft_version, roll_back_to, run_version
from trycatch.evals.gate import ActivationRefused
from trycatch.evals.views import draft_source, known_tools, version_page, versions_overview
from trycatch.web.agent_loop import agent_event_loop
from trycatch.web.deps import SessionDep, SettingsDep
from trycatch.web.staff.operators import operator_of
from trycatch.web.staff.render import render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession

router = APIRouter(route_class=StaffRoute)

NOTICES = {
    "created": "Draft saved. Run the suite against it; it can be activated once the gate passes.",
    "activated": "Activated: new conversations use this version.",
    "rolled_back": "Rolled back: new conversations use this version again.",
}


class DraftInput(BaseModel):
    """A new version as the form sends it; every tool left unticked is disabled."""

    text: str = Field(default="", max_length=100_000)
    reason: str = Field(default="", max_length=2_000)
    tools: list[str] = Field(default_factory=list, max_length=50)
    parent_id: int | None = Field(default=None, ge=1)

    @field_validator("text")
    @classmethod
    def _unix_newlines(cls, text: str) -> str:
        # Browsers send a textarea's lines ending in CRLF: every line would differ.
        return text.replace("\r\n", "\n")


@router.get("/agent")
def versions(request: Request, staff: CurrentStaff, session: SessionDep) -> HTMLResponse:
    """Every prompt version, newest first: status, author, reason, parent, gate."""
    return render_staff(
        request,
        "prompts.html",
        staff=staff,
        rows=versions_overview(session),
        operator=operator_of(staff),
    )


def _editor(
    request: Request,
    staff: StaffSession,
    values: DraftInput,
    *,
    error: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render_staff(
        request,
        "prompt_edit.html",
        staff=staff,
        values=values,
        known_tools=known_tools(),
        error=error,
        status_code=status_code,
        operator=operator_of(staff),
    )


@router.get("/agent/new")
def new_version(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    from_id: Annotated[int | None, Query(alias="from", ge=1)] = None,
) -> HTMLResponse:
    """A draft editor, prefilled from the active version (or ``?from=ID``)."""
    source = draft_source(session, from_id)
    values = DraftInput(text=source.text, tools=list(source.tools or []), parent_id=source.id)
    return _editor(request, staff, values)


@router.post("/agent/versions", response_model=None)
def create_draft(
    request: Request,
    staff: StaffPost,
    session: SessionDep,
    values: Annotated[DraftInput, Form()],
) -> HTMLResponse | RedirectResponse:
    """Save a new draft version (a child of ``parent_id``): versions never change."""
    try:
        version = draft_version(
            session,
            operator=operator_of(staff),
            text=values.text,
            reason=values.reason,
            tools=values.tools,
            parent_id=values.parent_id,
        )
    except PromptVersionError as error:
        session.rollback()
        return _editor(
            request,
            staff,
            values,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/agent/{version.id}?notice=created")


def _version(
    request: Request,
    session: SessionDep,
    staff: StaffSession,
    version_id: int,
    *,
    refused: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render_staff(
        request,
        "prompt.html",
        staff=staff,
        page=version_page(session, version_id),
        operator=operator_of(staff),
        notice=NOTICES.get(request.query_params.get("notice", ""), ""),
        refused=refused,
        status_code=status_code,
    )


@router.get("/agent/{version_id}")
def show_version(
    request: Request, version_id: int, staff: CurrentStaff, session: SessionDep
) -> HTMLResponse:
    """A version: text, tools, diff against the active one, its runs, what may be done."""
    return _version(request, session, staff, version_id)


@router.post("/agent/{version_id}/run")
def run_against(
    version_id: int, staff: StaffPost, session: SessionDep, settings: SettingsDep
) -> RedirectResponse:
    """Run the whole stored suite against this version now (cache on); show the run."""
    with agent_event_loop():
        report = run_version(
            session, operator=operator_of(staff), settings=settings, version_id=version_id
        )
    return see_other(f"/app/evals/runs/{report.run.id}")


def _gated(
    request: Request,
    session: SessionDep,
    staff: StaffSession,
    version_id: int,
    change: Callable[..., object],
    notice: str,
) -> HTMLResponse | RedirectResponse:
    """Make a gated change to the active version; refused: the page, 409, with the reason."""
    try:
        change(session, operator=operator_of(staff), version_id=version_id)
    except ActivationRefused as refused:
        session.rollback()
        return _version(
            request,
            session,
            staff,
            version_id,
            refused=str(refused),
            status_code=status.HTTP_409_CONFLICT,
        )
    return see_other(f"/app/agent/{version_id}?notice={notice}")


@router.post("/agent/{version_id}/activate", response_model=None)
def activate_it(
    request: Request, version_id: int, staff: StaffPost, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    """Make this version active, if its gate run passed; else 409 with the reason."""
    return _gated(request, session, staff, version_id, activate, "activated")


@router.post("/agent/{version_id}/rollback", response_model=None)
def roll_back(
    request: Request, version_id: int, staff: StaffPost, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    """Make this retired version active again, gated like an activation."""
    return _gated(request, session, staff, version_id, roll_back_to, "rolled_back")


__all__ = ["DraftInput", "router"]
