"""Logging in and out of the staff app."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from trycatch.desk import authenticate
from trycatch.web.deps import SessionDep
from trycatch.web.staff.render import render_staff, see_other
from trycatch.web.staff.routing import StaffRoute
from trycatch.web.staff.session import (
    StaffPost,
    check_login_csrf,
    end_session,
    login_csrf_token,
    safe_next,
    set_login_csrf,
    start_session,
)

router = APIRouter(route_class=StaffRoute)


def _login_form(
    request: Request, *, next_path: str, email: str = "", error: str = "", status_code: int = 200
) -> HTMLResponse:
    token = login_csrf_token(request)
    response = render_staff(
        request,
        "login.html",
        staff=None,
        status_code=status_code,
        login_token=token,
        next_path=safe_next(next_path),
        email=email,
        error=error,
    )
    set_login_csrf(request, response, token)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "") -> HTMLResponse:
    return _login_form(request, next_path=next)


@router.post("/login", response_model=None)
def log_in(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    check_login_csrf(request, csrf_token)
    user = authenticate(session, email=email, password=password)
    if user is None:
        return _login_form(
            request,
            next_path=next,
            email=email,
            error="That email and password do not match an active staff account.",
        )
    response = see_other(safe_next(next))
    start_session(request, response, user=user)
    return response


@router.post("/logout")
def log_out(_staff: StaffPost) -> RedirectResponse:
    response = see_other("/app/login")
    end_session(response)
    return response


__all__ = ["router"]
