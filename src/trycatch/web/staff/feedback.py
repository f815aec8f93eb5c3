"""The feedback inbox: unhelpful answers grouped by question, an eval case made from one
(and shown failing on the active version), and the other fixes: an article, an engineering
issue, the tools."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from trycatch.desk import Action, actor_label, can, require
from trycatch.evals.access import make_case_from_feedback
from trycatch.evals.cases import CaseFileError
from trycatch.evals.feedback import feedback_inbox
from trycatch.evals.views import feedback_form
from trycatch.tracker import IssueError, IssueKind, create_issue
from trycatch.web.agent_loop import agent_event_loop
from trycatch.web.deps import SessionDep, SettingsDep
from trycatch.web.rendering import render_markdown
from trycatch.web.staff.operators import operator_of
from trycatch.web.staff.render import render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession

router = APIRouter(route_class=StaffRoute)


class CaseInput(BaseModel):
    """The "make an eval case" form: proposals ticked (by position), documents to cite."""

    proposal: list[int] = Field(default_factory=list, max_length=50)
    cites: str = Field(default="", max_length=2_000)  # paths, comma or newline separated
    name: str = Field(default="", max_length=120)

    def cited_paths(self) -> list[str]:
        return [p.strip() for p in self.cites.replace("\n", ",").split(",") if p.strip()]


def _markdown(text: str) -> str:
    return render_markdown(text).html


@router.get("/feedback")
def inbox(
    request: Request, staff: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """Negative feedback and unhelpful escalations, grouped by similar question."""
    include_done = request.query_params.get("all") == "1"
    return render_staff(
        request,
        "feedback.html",
        staff=staff,
        groups=feedback_inbox(session, include_done=include_done),
        include_done=include_done,
        markdown=_markdown,
        operator=operator_of(staff),
    )


def _item_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: StaffSession,
    feedback_id: int,
    *,
    values: CaseInput | None = None,
    error: str = "",
    issue_error: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render_staff(
        request,
        "feedback_item.html",
        staff=staff,
        form=feedback_form(session, feedback_id),
        values=values or CaseInput(),
        error=error,
        issue_error=issue_error,
        issue_kinds=list(IssueKind),
        tools_path=str(settings.agent_tools_path or "tools.yaml"),
        notice=request.query_params.get("notice", ""),
        issue_id=request.query_params.get("issue", ""),
        markdown=_markdown,
        status_code=status_code,
        operator=operator_of(staff),
        may_write_issues=can(staff.user, Action.WRITE_ISSUES),
    )


@router.get("/feedback/{feedback_id}")
def show_item(
    request: Request,
    feedback_id: int,
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One piece of feedback: the conversation, the case form and the other fixes."""
    return _item_page(request, session, settings, staff, feedback_id)


@router.post("/feedback/{feedback_id}/case", response_model=None)
def make_case(
    request: Request,
    feedback_id: int,
    staff: StaffPost,
    session: SessionDep,
    settings: SettingsDep,
    values: Annotated[CaseInput, Form()],
) -> HTMLResponse:
    """Save the case (tagged ``feedback:<id>`` and ``new``) and run it on the active version
    at once: it should fail, proof that it captures the problem."""
    try:
        with agent_event_loop():
            made = make_case_from_feedback(
                session,
                operator=operator_of(staff),
                feedback_id=feedback_id,
                chosen=values.proposal,
                cites=values.cited_paths(),
                settings=settings,
                name=values.name.strip() or None,
            )
    except CaseFileError as error:
        session.rollback()
        return _item_page(
            request,
            session,
            settings,
            staff,
            feedback_id,
            values=values,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return render_staff(
        request,
        "feedback_case.html",
        staff=staff,
        feedback_id=feedback_id,
        case=made.case,
        result=made.result,
        transcript=made.result.transcript(),
        fails=made.fails_on_active,
        markdown=_markdown,
        operator=operator_of(staff),
    )


@router.post("/feedback/{feedback_id}/issue", response_model=None)
def open_issue(
    request: Request,
    feedback_id: int,
    staff: StaffPost,
    session: SessionDep,
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=300)] = "",
    kind: Annotated[IssueKind, Form()] = IssueKind.BUG,
) -> HTMLResponse | RedirectResponse:
    """Record an engineering issue for what this feedback points at."""
    require(staff.user, Action.WRITE_ISSUES)
    feedback_form(session, feedback_id)  # not found before anything is written
    try:
        issue = create_issue(session, kind=kind, title=title, actor=actor_label(staff.user))
    except IssueError as error:
        session.rollback()
        return _item_page(
            request,
            session,
            settings,
            staff,
            feedback_id,
            issue_error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/feedback/{feedback_id}?notice=issue&issue={issue.id}")


__all__ = ["CaseInput", "router"]
