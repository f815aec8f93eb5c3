"""The close form (category, product area, outcomes) and the KB article written from a ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from trycatch.desk import (
    Action,
    ClosePolicyError,
    OutcomeInput,
    OutcomeKind,
    TicketNotFound,
    actor_label,
    get_ticket_for,
    require,
)
from trycatch.desk.drafts import ArticleDraft, draft_article
from trycatch.desk.views import close_form
from trycatch.knowledge.articles import (
    ArticleError,
    ArticleNotFound,
    create_article,
    publish_article,
)
from trycatch.knowledge.library import library_taxonomy
from trycatch.tracker import IssueError, IssueKind, create_issue, open_issues
from trycatch.web.agent_loop import agent_event_loop
from trycatch.web.closing import close_and_link
from trycatch.web.deps import EmbedderDep, SessionDep, SettingsDep
from trycatch.web.staff.render import render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import CurrentStaff, StaffPost, StaffSession, safe_next

router = APIRouter(route_class=StaffRoute)


class CloseInput(BaseModel):
    """The close form as submitted; a checkbox left unticked leaves its outcome out."""

    category: str = Field(default="", max_length=100)
    product_area: str = Field(default="", max_length=100)
    kb_article: bool = False
    article_id: str = Field(default="", max_length=20)
    docs_change: bool = False
    docs_url: str = Field(default="", max_length=2_000)
    engineering_issue: bool = False
    issue_id: str = Field(default="", max_length=20)
    new_issue_title: str = Field(default="", max_length=300)
    new_issue_kind: IssueKind = IssueKind.BUG
    pull_request: bool = False
    pr_url: str = Field(default="", max_length=2_000)
    no_action: bool = False
    no_action_reason: str = Field(default="", max_length=5_000)

    def outcomes(self, *, issue_id: int | None) -> list[OutcomeInput]:
        chosen: list[OutcomeInput] = []
        if self.kb_article:
            article = int(self.article_id) if self.article_id.isdigit() else None
            chosen.append(OutcomeInput(kind=OutcomeKind.KB_ARTICLE, article_id=article))
        if self.docs_change:
            chosen.append(OutcomeInput(kind=OutcomeKind.DOCS_CHANGE, url=self.docs_url.strip()))
        if self.engineering_issue:
            chosen.append(
                OutcomeInput(kind=OutcomeKind.ENGINEERING_ISSUE, engineering_issue_id=issue_id)
            )
        if self.pull_request:
            chosen.append(OutcomeInput(kind=OutcomeKind.PULL_REQUEST, url=self.pr_url.strip()))
        if self.no_action:
            chosen.append(OutcomeInput(kind=OutcomeKind.NO_ACTION, reason=self.no_action_reason))
        return chosen


def _form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: StaffSession,
    ticket_id: int,
    *,
    values: CloseInput | None = None,
    problems: list[tuple[str, str]] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    form = close_form(
        session,
        actor=staff.user,
        ticket_id=ticket_id,
        taxonomy=library_taxonomy(session, explicit=settings.taxonomy_path),
    )
    if values is None:
        chosen_article = request.query_params.get("article_id", "")
        values = CloseInput(
            category=form.ticket.category or form.suggestion.category or "",
            product_area=form.ticket.product_area or form.suggestion.product_area or "",
            kb_article=bool(chosen_article),
            article_id=chosen_article,
        )
    return render_staff(
        request,
        "close.html",
        staff=staff,
        status_code=status_code,
        form=form,
        ticket=form.ticket,
        values=values,
        problems=dict(_merge(problems or [])),
        issues=open_issues(session),
        issue_kinds=list(IssueKind),
        strict=settings.desk_strict_mode,
    )


def _merge(problems: list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for field, problem in problems:
        merged[field] = f"{merged[field]}; {problem}" if field in merged else problem
    return merged


@router.get("/tickets/{ticket_id}/close")
def close_page(
    request: Request,
    ticket_id: int,
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The close form, with a suggested category and product area to confirm."""
    return _form(request, session, settings, staff, ticket_id)


@router.post("/tickets/{ticket_id}/close", response_model=None)
def close(
    request: Request,
    ticket_id: int,
    staff: StaffPost,
    session: SessionDep,
    settings: SettingsDep,
    values: Annotated[CloseInput, Form()],
) -> HTMLResponse | RedirectResponse:
    """Close with category, product area and outcomes, or show every problem by field."""
    issue_id = int(values.issue_id) if values.issue_id.isdigit() else None
    if values.engineering_issue and issue_id is None and values.new_issue_title.strip():
        try:
            issue = create_issue(
                session,
                kind=values.new_issue_kind,
                title=values.new_issue_title,
                actor=actor_label(staff.user),
            )
        except IssueError as error:
            return _form(
                request,
                session,
                settings,
                staff,
                ticket_id,
                values=values,
                problems=[("new_issue_title", str(error).partition(": ")[2] or str(error))],
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        issue_id = issue.id
        # The new issue stays chosen if the close is refused below.
        values = values.model_copy(update={"issue_id": str(issue.id), "new_issue_title": ""})
    try:
        close_and_link(
            session,
            ticket_id=ticket_id,
            actor=staff.user,
            taxonomy=library_taxonomy(session, explicit=settings.taxonomy_path),
            category=values.category,
            product_area=values.product_area,
            outcomes=values.outcomes(issue_id=issue_id),
            strict=settings.desk_strict_mode,
        )
    except ClosePolicyError as refused:
        session.rollback()
        return _form(
            request,
            session,
            settings,
            staff,
            ticket_id,
            values=values,
            problems=refused.problems,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/tickets/{ticket_id}?notice=closed")


def _editor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    staff: StaffSession,
    ticket_id: int,
    draft: ArticleDraft,
    *,
    error: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render_staff(
        request,
        "article.html",
        staff=staff,
        status_code=status_code,
        ticket_id=ticket_id,
        title=draft.title,
        body=draft.body,
        product_area=draft.product_area or "",
        drafted_by=draft.drafted_by,
        taxonomy=library_taxonomy(session, explicit=settings.taxonomy_path),
        error=error,
    )


@router.get("/tickets/{ticket_id}/article")
def article_editor(
    request: Request,
    ticket_id: int,
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """An editor prefilled with a draft from the conversation (the model's, when configured)."""
    with agent_event_loop():
        draft = draft_article(session, actor=staff.user, ticket_id=ticket_id, settings=settings)
    return _editor(request, session, settings, staff, ticket_id, draft)


@router.post("/tickets/{ticket_id}/article", response_model=None)
def save_article(
    request: Request,
    ticket_id: int,
    staff: StaffPost,
    session: SessionDep,
    settings: SettingsDep,
    embedder: EmbedderDep,
    title: Annotated[str, Form(max_length=500)] = "",
    body: Annotated[str, Form(max_length=200_000)] = "",
    product_area: Annotated[str, Form(max_length=100)] = "",
    publish: Annotated[bool, Form()] = False,
) -> HTMLResponse | RedirectResponse:
    """Save the article (linked to the ticket) and publish it live when asked; then close."""
    # Who may close the ticket may write its article.
    get_ticket_for(session, actor=staff.user, ticket_id=ticket_id, action=Action.CLOSE)
    author = actor_label(staff.user)
    try:
        article = create_article(
            session,
            title=title,
            body=body,
            author=author,
            product_area=product_area or None,
            source_ticket_id=ticket_id,
        )
        if publish:
            publish_article(session, slug=article.slug, actor=author, embedder=embedder)
    except ArticleError as error:
        session.rollback()
        typed = ArticleDraft(title=title, body=body, product_area=product_area, drafted_by="")
        return _editor(
            request,
            session,
            settings,
            staff,
            ticket_id,
            typed,
            error=str(error),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return see_other(f"/app/tickets/{ticket_id}/close?article_id={article.id}")


@router.post("/articles/{slug}/publish")
def publish_draft(
    slug: str,
    staff: StaffPost,
    session: SessionDep,
    embedder: EmbedderDep,
    back: Annotated[str, Form(max_length=2_000)] = "",
) -> RedirectResponse:
    """Publish a draft KB article (strict mode waits for this before the next ticket)."""
    require(staff.user, Action.CLOSE)
    try:
        publish_article(session, slug=slug, actor=actor_label(staff.user), embedder=embedder)
    except ArticleNotFound as missing:
        raise TicketNotFound(str(missing)) from missing
    return see_other(safe_next(back))


__all__ = ["CloseInput", "router"]
