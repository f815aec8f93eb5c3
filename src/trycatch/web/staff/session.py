"""Staff sign-in: signed session cookies, CSRF tokens, and the ``CurrentStaff`` dependency.

The session is a cookie signed with the app's secret (itsdangerous): the user's id, a CSRF
token and the time it was issued. Nothing is stored server-side; every request loads the
user again, so a deactivated account is out at once. Every POST under ``/app`` carries the
session's CSRF token, in a form field or, for htmx, the ``X-CSRF-Token`` header. The login
form, before any session exists, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData

from trycatch.desk import User, staff_member
from trycatch.web.deps import SessionDep, web_state

SESSION_COOKIE = "trycatch_session"
LOGIN_CSRF_COOKIE = "trycatch_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
STAFF_PREFIX = "/app"


class LoginRequired(Exception):
    """No valid staff session: pages redirect to the login form, htmx gets HX-Redirect."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__("log in first")


class CsrfRejected(Exception):
    """A POST without the session's CSRF token (or with another one)."""


@dataclass(frozen=True, slots=True)
class StaffSession:
    """The signed-in staff member and the CSRF token their forms must send back."""

    user: User
    csrf_token: str


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web_state(request).secret_key, salt="trycatch.staff-session")


def _max_age(request: Request) -> int:
    return int(web_state(request).settings.session_hours * 3600)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(request: Request, response: Response, *, user: User) -> None:
    """Sign ``user`` in on ``response`` with a fresh CSRF token (a new one at every login)."""
    payload = {"uid": user.id, "csrf": secrets.token_urlsafe(32)}
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(request).dumps(payload),
        max_age=_max_age(request),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=STAFF_PREFIX)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def _payload(request: Request) -> dict[str, Any] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        payload = _serializer(request).loads(cookie, max_age=_max_age(request))
    except BadSignature:  # also an expired one (SignatureExpired is a BadSignature)
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        return None
    return payload


def _next_path(request: Request) -> str:
    path = request.url.path
    if request.method != "GET":
        return STAFF_PREFIX + "/inbox"
    return path + (f"?{request.url.query}" if request.url.query else "")


def current_staff(request: Request, session: SessionDep) -> StaffSession:
    """The signed-in, active staff member, or ``LoginRequired``."""
    payload = _payload(request)
    user = staff_member(session, user_id=payload["uid"]) if payload else None
    if payload is None or user is None:
        raise LoginRequired(_next_path(request))
    return StaffSession(user=user, csrf_token=str(payload["csrf"]))


def _same(left: str | None, right: str | None) -> bool:
    return bool(left) and bool(right) and hmac.compare_digest(str(left), str(right))


async def _submitted_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form: FormData = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def staff_post(
    request: Request, staff: Annotated[StaffSession, Depends(current_staff)]
) -> StaffSession:
    """``current_staff`` for a change: the request must carry the session's CSRF token."""
    if not _same(await _submitted_token(request), staff.csrf_token):
        raise CsrfRejected()
    return staff


def login_csrf_token(request: Request) -> str:
    """The login form's token: the one in the browser's cookie, else a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_login_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=STAFF_PREFIX,
    )


def check_login_csrf(request: Request, submitted: str | None) -> None:
    if not _same(submitted, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise CsrfRejected()


def login_redirect(next_path: str) -> str:
    return f"{STAFF_PREFIX}/login?next={quote(next_path, safe='')}"


def safe_next(value: str | None) -> str:
    """Where to go after login: only a path of the staff app, never another site."""
    if value and value.startswith(STAFF_PREFIX + "/") and not value.startswith("//"):
        return value
    return STAFF_PREFIX + "/inbox"


CurrentStaff = Annotated[StaffSession, Depends(current_staff)]
StaffPost = Annotated[StaffSession, Depends(staff_post)]

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "STAFF_PREFIX",
    "CsrfRejected",
    "CurrentStaff",
    "LoginRequired",
    "StaffPost",
    "StaffSession",
    "check_login_csrf",
    "current_staff",
    "end_session",
    "login_csrf_token",
    "login_redirect",
    "safe_next",
    "set_login_csrf",
    "staff_post",
    "start_session",
]
