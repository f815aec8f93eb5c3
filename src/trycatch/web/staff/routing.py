"""``StaffRoute``: the route class of every staff page, turning their errors into pages.

Login, CSRF, permission and not-found errors are handled here rather than by app-wide
exception handlers, so the JSON API keeps its own handlers for the same exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from trycatch.agent.prompts import PromptVersionNotFound
from trycatch.desk import PermissionDenied, TicketNotFound
from trycatch.evals.access import ChangeDenied
from trycatch.evals.feedback import FeedbackNotFound
from trycatch.evals.library import CaseNotFound
from trycatch.evals.views import RunNotFound
from trycatch.web.staff.render import STAFF_HEADERS, is_htmx, render_staff
from trycatch.web.staff.session import CsrfRejected, LoginRequired, login_redirect

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _login_required(request: Request, error: LoginRequired) -> Response:
    target = login_redirect(error.next_path)
    if is_htmx(request):  # htmx would swap the login page into a fragment: navigate instead
        return Response(status_code=status.HTTP_401_UNAUTHORIZED, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER, headers=STAFF_HEADERS)


def _error_page(request: Request, status_code: int, message: str) -> Response:
    return render_staff(request, "error.html", staff=None, status_code=status_code, message=message)


class StaffRoute(APIRoute):
    """A staff route: login, CSRF, permission and not-found errors become pages."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def staff_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as error:
                return _login_required(request, error)
            except CsrfRejected:
                return _error_page(
                    request,
                    status.HTTP_403_FORBIDDEN,
                    "This form has expired or did not come from this site. "
                    "Go back, reload the page and try again.",
                )
            except (PermissionDenied, ChangeDenied):
                return _error_page(
                    request, status.HTTP_403_FORBIDDEN, "Your role does not allow this change."
                )
            except TicketNotFound:
                return _error_page(request, status.HTTP_404_NOT_FOUND, "No such ticket.")
            except (PromptVersionNotFound, CaseNotFound, RunNotFound, FeedbackNotFound) as error:
                return _error_page(request, status.HTTP_404_NOT_FOUND, f"Not found: {error}.")

        return staff_handler


__all__ = ["StaffRoute"]
