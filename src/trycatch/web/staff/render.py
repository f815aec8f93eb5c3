"""Rendering staff pages: the templates under ``templates/staff``, full pages or htmx parts."""

from __future__ import annotations

from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from trycatch.desk import Action, can
from trycatch.knowledge.articles import ARTICLES_URL
from trycatch.web.deps import web_state
from trycatch.web.staff.session import StaffSession

# Staff pages run only our own scripts (htmx and staff.js, served from /static).
STAFF_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_staff(
    request: Request,
    template: str,
    *,
    staff: StaffSession | None,
    status_code: int = status.HTTP_200_OK,
    **context: Any,
) -> HTMLResponse:
    """``staff/<template>`` with the signed-in member, their CSRF token and what they may do."""
    environment = web_state(request).templates
    html = environment.get_template(f"staff/{template}").render(
        request_path=request.url.path,
        staff=staff.user if staff else None,
        csrf_token=staff.csrf_token if staff else "",
        can_work=can(staff.user, Action.REPLY) if staff else False,
        articles_url=ARTICLES_URL,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=STAFF_HEADERS)


def see_other(url: str) -> RedirectResponse:
    """After a POST: go and GET the page (303), for htmx too (it follows redirects)."""
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER, headers=STAFF_HEADERS)


__all__ = ["STAFF_HEADERS", "is_htmx", "render_staff", "see_other"]
