"""Staff identity: users with argon2 password hashes, and scoped, hashed API tokens.

What a user may do is decided in ``trycatch.desk.access``; this module only answers who
they are. A token's scopes narrow what its user may do through the API, never widen it:
a request needs the scope *and* the user's role must allow the action.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trycatch.desk.access import RANK, Action, Actor, actor_label, can, require
from trycatch.desk.models import ApiToken, Role, User
from trycatch.store import record_event, utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1_000
MAX_NAME = 200
TOKEN_PREFIX = "tc_"
# Marking a token as used is a write; once a minute is enough to tell stale tokens apart.
LAST_USED_PRECISION = timedelta(minutes=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")

_hasher = PasswordHasher()


class UserError(ValueError):
    """Invalid user or token input; the message names the field."""


class UserNotFound(LookupError):
    pass


class TokenNotFound(LookupError):
    """No such token for this actor (also when it belongs to someone else)."""


class Scope(StrEnum):
    """What an API token may be used for."""

    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    ISSUES_WRITE = "issues:write"
    USERS_ADMIN = "users:admin"


# The least role that may hold each scope: a viewer's token can only read.
SCOPE_ROLE: dict[Scope, Role] = {
    Scope.TICKETS_READ: Role.VIEWER,
    Scope.TICKETS_WRITE: Role.AGENT,
    Scope.ISSUES_WRITE: Role.AGENT,
    Scope.USERS_ADMIN: Role.ADMIN,
}


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _validate_user(*, email: str, name: str, password: str) -> tuple[str, str]:
    email = normalize_email(email)
    name = name.strip()
    if not _EMAIL.fullmatch(email) or len(email) > 320:
        raise UserError("email: not a valid email address")
    if not name:
        raise UserError("name: must not be empty")
    if len(name) > MAX_NAME:
        raise UserError(f"name: at most {MAX_NAME} characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password: at most {MAX_PASSWORD_LENGTH:,} characters")
    return email, name


def create_user(
    session: Session, *, email: str, name: str, role: Role, password: str, actor: Actor
) -> User:
    """Add a staff member; admins (or the command line, for the first one) may."""
    require(actor, Action.MANAGE_USERS)
    email, name = _validate_user(email=email, name=name, password=password)
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        raise UserError("email: a user with this email exists")
    user = User(
        email=email,
        name=name,
        role=Role(role),
        password_hash=hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # created concurrently since the check above
        session.rollback()
        raise UserError("email: a user with this email exists") from error
    record_event(
        session,
        actor=actor_label(actor),
        action="user.created",
        subject=f"user:{user.id}",
        data={"email": email, "role": str(user.role)},
    )
    session.commit()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this email and password, else None.

    A password is verified even for unknown or inactive accounts, so the time taken does
    not tell which emails belong to staff.
    """
    user = session.scalars(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        _verify(_dummy_hash(), password)
        return None
    if not _verify(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # Stronger parameters since the hash was made; not a change anyone made, so no event.
        user.password_hash = hash_password(password)
        session.commit()
    return user


def staff_member(session: Session, *, user_id: int) -> User | None:
    """The active staff member with this id (a signed-in session's user), else None."""
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def list_staff(session: Session) -> list[User]:
    """Every active staff member, by name: the people a ticket can be assigned to."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def set_user_active(session: Session, *, user_id: int, active: bool, actor: Actor) -> User:
    """Deactivate (or reactivate) a staff member: an inactive user can do nothing."""
    require(actor, Action.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"user {user_id}")
    user.active = active
    record_event(
        session,
        actor=actor_label(actor),
        action="user.activated" if active else "user.deactivated",
        subject=f"user:{user.id}",
    )
    session.commit()
    return user


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scopes_for(user: User, scopes: list[Scope] | list[str]) -> list[Scope]:
    if not scopes:
        raise UserError("scopes: at least one scope is required")
    chosen: list[Scope] = []
    for value in scopes:
        try:
            scope = Scope(value)
        except ValueError:
            raise UserError(f"scopes: unknown scope {value!r}") from None
        if RANK[Role(user.role)] < RANK[SCOPE_ROLE[scope]]:
            raise UserError(f"scopes: a {user.role} may not hold {scope}")
        if scope not in chosen:
            chosen.append(scope)
    return chosen


def issue_api_token(
    session: Session, *, user: User, name: str, scopes: list[Scope] | list[str]
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, which is shown this once and never stored.

    Staff issue tokens for themselves; a scope beyond the user's role is refused, so a
    viewer's tokens can only read. Issuing a credential changes no support data, so viewers
    may do it too.
    """
    if not user.active:
        raise UserError("user: inactive users cannot hold tokens")
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise UserError(f"name: 1 to {MAX_NAME} characters")
    chosen = _scopes_for(user, scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scopes=[str(scope) for scope in chosen],
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    record_event(
        session,
        actor=actor_label(user),
        action="api_token.issued",
        subject=f"api_token:{token.id}",
        data={"name": name, "scopes": token.scopes},
    )
    session.commit()
    return token, secret


def live_api_token(session: Session, *, secret: str) -> ApiToken | None:
    """The token with this secret if it is live (not revoked, its user active), else None.

    The lookup is by the secret's SHA-256, so comparing stored values leaks nothing useful
    about the secret. Writes nothing: the API tells "no valid token" (401) from "a valid
    token without the scope" (403) with it.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    ).one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token


def verify_api_token(session: Session, *, secret: str, scope: Scope) -> User | None:
    """The active user behind a live token that holds ``scope``, else None.

    Marks the token as used (at most once a minute, to keep reads cheap).
    """
    token = live_api_token(session, secret=secret)
    if token is None or str(scope) not in token.scopes:
        return None
    user = token.user
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        session.commit()
    return user


def list_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke_api_token(session: Session, *, token_id: int, actor: Actor) -> ApiToken:
    """Revoke a token: its owner, an admin or the command line may; it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFound(f"api token {token_id}")
    owner = isinstance(actor, User) and token.user_id == actor.id and actor.active
    if not owner and not can(actor, Action.MANAGE_USERS):
        raise TokenNotFound(f"api token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(
            session,
            actor=actor_label(actor),
            action="api_token.revoked",
            subject=f"api_token:{token.id}",
        )
        session.commit()
    return token


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SCOPE_ROLE",
    "Scope",
    "TokenNotFound",
    "UserError",
    "UserNotFound",
    "authenticate",
    "create_user",
    "hash_password",
    "hash_token",
    "issue_api_token",
    "list_api_tokens",
    "list_staff",
    "live_api_token",
    "revoke_api_token",
    "set_user_active",
    "staff_member",
    "verify_api_token",
]
