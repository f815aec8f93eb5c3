"""Eval cases (list by tag, edit as YAML, history of results) and runs (the per-case
table, the diff against the baseline, each case's transcript)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from trycatch.evals.access import MANUAL_SUITE, save_case_text
from trycatch.evals.cases import CaseFileError
from trycatch.evals.views import case_page, cases_overview, run_page, runs_overview
from trycatch.web.deps import SessionDep
from trycatch.web.rendering import render_markdown
from trycatch.web.staff.operators import operator_of
from trycatch.web.staff.render import render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession

router = APIRouter(route_class=StaffRoute)

CaseText = Annotated[str, Form(max_length=100_000)]
NEW_CASE = """\
name: my-new-case
description: What the agent should do, and why.
tags: [new]
input: The customer's question.
expect:
  - escalates: false
"""


@router.get("/evals")
def cases(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    tag: Annotated[str | None, Query(max_length=120)] = None,
) -> HTMLResponse:
    """The suite, filtered by tag, with each case's status in the latest runs."""
    return render_staff(
        request,
        "cases.html",
        staff=staff,
        page=cases_overview(session, tag=tag or None),
        tag=tag or "",
        operator=operator_of(staff),
    )


def _new_case_form(
    request: Request,
    staff: StaffSession,
    *,
    text: str = NEW_CASE,
    suite: str = MANUAL_SUITE,
    error: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render_staff(
        request,
        "case_new.html",
        staff=staff,
        text=text,
        suite=suite,
        error=error,
        status_code=status_code,
        operator=operator_of(staff),
    )


@router.get("/evals/new")
def new_case(request: Request, staff: CurrentStaff) -> HTMLResponse:
    """An editor for a new case, as YAML."""
    return _new_case_form(request, staff)


@router.post("/evals/cases", response_model=None)
def create_case(
    request: Request,
    staff: StaffPost,
    session: SessionDep,
    text: CaseText = "",
    suite: Annotated[str, Form(max_length=120, pattern=r"^[a-z0-9][a-z0-9_-]*$")] = MANUAL_SUITE,
) -> HTMLResponse | RedirectResponse:
    """Add a case to the stored suite; errors name the field."""
    try:
        row = save_case_text(session, operator=operator_of(staff), text=text, suite=suite)
    except CaseFileError as error:
        session.rollback()
        return _new_case_form(
            request,
            staff,
            text=text,
            suite=suite,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/evals/cases/{row.name}?notice=saved")


def _case(
    request: Request,
    session: SessionDep,
    staff: StaffSession,
    name: str,
    *,
    text: str | None = None,
    error: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    page = case_page(session, name)
    return render_staff(
        request,
        "case.html",
        staff=staff,
        page=page,
        text=page.text if text is None else text,
        error=error,
        notice=request.query_params.get("notice", ""),
        status_code=status_code,
        operator=operator_of(staff),
    )


@router.get("/evals/cases/{name}")
def show_case(
    request: Request, name: str, staff: CurrentStaff, session: SessionDep
) -> HTMLResponse:
    """One case: its YAML (editable), revisions and results in past runs."""
    return _case(request, session, staff, name)


@router.post("/evals/cases/{name}", response_model=None)
def edit_case(
    request: Request, name: str, staff: StaffPost, session: SessionDep, text: CaseText = ""
) -> HTMLResponse | RedirectResponse:
    """Save the case as a new revision; the form comes back with the error by field."""
    try:
        save_case_text(session, operator=operator_of(staff), text=text, name=name)
    except CaseFileError as error:
        session.rollback()
        return _case(
            request,
            session,
            staff,
            name,
            text=text,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/evals/cases/{name}?notice=saved")


@router.get("/evals/runs")
def runs(request: Request, staff: CurrentStaff, session: SessionDep) -> HTMLResponse:
    """Eval runs, newest first."""
    return render_staff(
        request, "runs.html", staff=staff, runs=runs_overview(session), operator=operator_of(staff)
    )


@router.get("/evals/runs/{run_id}")
def show_run(
    request: Request, run_id: int, staff: CurrentStaff, session: SessionDep
) -> HTMLResponse:
    """A run: gate verdict, diff against its baseline, per-case table and transcripts."""
    return render_staff(
        request,
        "run.html",
        staff=staff,
        page=run_page(session, run_id),
        markdown=lambda text: render_markdown(text).html,
        operator=operator_of(staff),
    )


__all__ = ["router"]
