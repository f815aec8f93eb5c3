"""Who is calling the API: staff API tokens sent as ``Authorization: Bearer <secret>``.

Routes declare the scope they need with ``TokenUser[Scope.X]``-style aliases
(``ReadUser``, ``WriteUser``). No token, or one that is unknown, revoked or whose user is
inactive, is a 401 with ``WWW-Authenticate``; a live token without the scope is a 403. The
user's role is checked again by the desk's services (a token never widens a role).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from trycatch.desk import Scope, User, live_api_token, verify_api_token
from trycatch.web.deps import SessionDep

REALM = "trycatch"

# auto_error=False: a missing header is our 401 (with WWW-Authenticate), not FastAPI's 403.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="API token",
    description="A staff API token: `trycatch user token EMAIL --name N --scope tickets:read`.",
)

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API token, or one that is unknown, revoked or of an inactive user."},
    403: {"description": "The token lacks the scope, or its user's role may not do this."},
}


def _unauthorized(detail: str, *, error: str | None = None) -> HTTPException:
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": challenge},
    )


def token_user(scope: Scope) -> Callable[..., User]:
    """A dependency: the user behind the request's token, which must hold ``scope``."""

    def dependency(
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> User:
        if credentials is None:
            raise _unauthorized("Authentication required: send `Authorization: Bearer <token>`.")
        user = verify_api_token(session, secret=credentials.credentials, scope=scope)
        if user is not None:
            return user
        if live_api_token(session, secret=credentials.credentials) is None:
            raise _unauthorized("The API token is invalid or revoked.", error="invalid_token")
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"The API token lacks the {scope} scope.",
            headers={
                "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", '
                f'scope="{scope}"'
            },
        )

    return dependency


ReadUser = Annotated[User, Depends(token_user(Scope.TICKETS_READ))]
WriteUser = Annotated[User, Depends(token_user(Scope.TICKETS_WRITE))]

__all__ = ["AUTH_RESPONSES", "ReadUser", "WriteUser", "token_user"]
