"""Staff identity: argon2 passwords, roles, and hashed, scoped, revocable API tokens."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.desk_factories import PASSWORD, make_user
from trycatch.desk import (
    COMMAND_LINE,
    POLICY,
    Action,
    ApiToken,
    PermissionDenied,
    Role,
    Scope,
    TokenNotFound,
    User,
    UserError,
    authenticate,
    can,
    create_user,
    issue_api_token,
    list_api_tokens,
    revoke_api_token,
    set_user_active,
    verify_api_token,
)
from trycatch.store import Event


def test_create_user_hashes_the_password_with_argon2(session: Session) -> None:
    user = create_user(
        session,
        email="  Ada@Example.COM ",
        name="Ada",
        role=Role.ADMIN,
        password="a long enough secret",
        actor=COMMAND_LINE,
    )
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough secret" not in user.password_hash
    [event] = session.scalars(select(Event).where(Event.action == "user.created"))
    assert event.actor == "system:command-line"
    assert event.data == {"email": "ada@example.com", "role": "admin"}
    assert authenticate(session, email="ADA@example.com", password="a long enough secret") == user


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "Ada", PASSWORD, "email"),
        ("ada@example.com", " ", PASSWORD, "name"),
        ("ada@example.com", "Ada", "short", "password"),
    ],
)
def test_bad_user_input_names_the_field(
    session: Session, email: str, name: str, password: str, field: str
) -> None:
    with pytest.raises(UserError, match=f"^{field}: "):
        create_user(
            session, email=email, name=name, role=Role.AGENT, password=password, actor=COMMAND_LINE
        )


def test_emails_are_unique_whatever_their_case(session: Session) -> None:
    make_user(session, email="dup@example.com")
    with pytest.raises(UserError, match="email: a user with this email exists"):
        create_user(
            session,
            email="DUP@example.com",
            name="Dup",
            role=Role.AGENT,
            password=PASSWORD,
            actor=COMMAND_LINE,
        )


@pytest.mark.parametrize(("role", "allowed"), [(Role.ADMIN, True), (Role.AGENT, False)])
def test_only_admins_create_and_deactivate_users(
    session: Session, role: Role, allowed: bool
) -> None:
    actor = make_user(session, role=role)
    target = make_user(session)
    if not allowed:
        with pytest.raises(PermissionDenied):
            create_user(
                session,
                email="new@example.com",
                name="New",
                role=Role.AGENT,
                password=PASSWORD,
                actor=actor,
            )
        with pytest.raises(PermissionDenied):
            set_user_active(session, user_id=target.id, active=False, actor=actor)
        return
    create_user(
        session,
        email="new@example.com",
        name="New",
        role=Role.AGENT,
        password=PASSWORD,
        actor=actor,
    )
    set_user_active(session, user_id=target.id, active=False, actor=actor)
    assert not target.active


def test_authenticate_refuses_wrong_passwords_unknown_and_inactive_users(
    session: Session,
) -> None:
    user = make_user(session, email="sam@example.com")
    assert authenticate(session, email="sam@example.com", password=PASSWORD) == user
    assert authenticate(session, email="sam@example.com", password=PASSWORD + "x") is None
    assert authenticate(session, email="nobody@example.com", password=PASSWORD) is None
    set_user_active(session, user_id=user.id, active=False, actor=COMMAND_LINE)
    assert authenticate(session, email="sam@example.com", password=PASSWORD) is None


def test_the_policy_ranks_admin_over_agent_over_viewer(session: Session) -> None:
    admin, agent, viewer = (make_user(session, role=r) for r in Role)
    assert all(can(admin, action) for action in Action)
    admin_only = {Action.MANAGE_USERS, Action.MANAGE_AGENT}
    assert all(can(agent, action) for action in Action if action not in admin_only)
    assert not any(can(agent, action) for action in admin_only)
    assert [a for a in Action if can(viewer, a)] == [Action.VIEW_TICKET]
    assert set(POLICY) == set(Action)  # every action has a rule
    inactive = make_user(session, role=Role.ADMIN, active=False)
    assert not any(can(inactive, action) for action in Action)


def test_api_tokens_store_only_the_hash_of_their_secret(session: Session) -> None:
    user = make_user(session)
    token, secret = issue_api_token(
        session, user=user, name="CI", scopes=[Scope.TICKETS_READ, Scope.TICKETS_WRITE]
    )
    assert secret.startswith("tc_") and len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = session.execute(text("SELECT * FROM api_tokens")).mappings().one()
    assert secret not in " ".join(str(value) for value in stored.values())
    assert token.prefix == secret[:10]
    [event] = session.scalars(select(Event).where(Event.action == "api_token.issued"))
    assert secret not in str(event.data)

    assert token.last_used_at is None
    assert verify_api_token(session, secret=secret, scope=Scope.TICKETS_WRITE) == user
    assert token.last_used_at is not None


def test_api_tokens_are_scoped(session: Session) -> None:
    user = make_user(session)
    _, secret = issue_api_token(session, user=user, name="read only", scopes=["tickets:read"])
    assert verify_api_token(session, secret=secret, scope=Scope.TICKETS_READ) == user
    assert verify_api_token(session, secret=secret, scope=Scope.TICKETS_WRITE) is None
    assert verify_api_token(session, secret=secret[:-1], scope=Scope.TICKETS_READ) is None
    assert verify_api_token(session, secret="", scope=Scope.TICKETS_READ) is None


@pytest.mark.parametrize(
    ("role", "scopes", "error"),
    [
        (Role.VIEWER, [Scope.TICKETS_WRITE], "scopes: a viewer may not hold tickets:write"),
        (Role.AGENT, [Scope.USERS_ADMIN], "scopes: a agent may not hold users:admin"),
        (Role.AGENT, ["root"], "scopes: unknown scope 'root'"),
        (Role.AGENT, [], "scopes: at least one scope is required"),
    ],
)
def test_a_token_never_has_more_than_its_users_role(
    session: Session, role: Role, scopes: list[str], error: str
) -> None:
    user = make_user(session, role=role)
    with pytest.raises(UserError, match=error):
        issue_api_token(session, user=user, name="t", scopes=scopes)
    assert session.scalars(select(ApiToken)).all() == []


def test_a_viewer_may_hold_a_read_token(session: Session) -> None:
    viewer = make_user(session, role=Role.VIEWER)
    _, secret = issue_api_token(session, user=viewer, name="reports", scopes=["tickets:read"])
    assert verify_api_token(session, secret=secret, scope=Scope.TICKETS_READ) == viewer


def test_revoked_tokens_and_deactivated_users_stop_working(session: Session) -> None:
    owner = make_user(session)
    other = make_user(session)
    admin = make_user(session, role=Role.ADMIN)
    first, first_secret = issue_api_token(session, user=owner, name="a", scopes=["tickets:read"])
    second, second_secret = issue_api_token(session, user=owner, name="b", scopes=["tickets:read"])
    assert [t.name for t in list_api_tokens(session, user=owner)] == ["a", "b"]

    with pytest.raises(TokenNotFound):  # someone else's token is not found, not "forbidden"
        revoke_api_token(session, token_id=first.id, actor=other)
    revoke_api_token(session, token_id=first.id, actor=owner)
    revoke_api_token(session, token_id=first.id, actor=owner)  # twice: one event
    assert verify_api_token(session, secret=first_secret, scope=Scope.TICKETS_READ) is None
    assert verify_api_token(session, secret=second_secret, scope=Scope.TICKETS_READ) == owner
    revoke_api_token(session, token_id=second.id, actor=admin)
    assert verify_api_token(session, secret=second_secret, scope=Scope.TICKETS_READ) is None
    events = session.scalars(select(Event).where(Event.action == "api_token.revoked")).all()
    assert [e.actor for e in events] == [f"user:{owner.id}", f"user:{admin.id}"]

    _, third_secret = issue_api_token(session, user=owner, name="c", scopes=["tickets:read"])
    set_user_active(session, user_id=owner.id, active=False, actor=admin)
    assert verify_api_token(session, secret=third_secret, scope=Scope.TICKETS_READ) is None
    assert session.get(User, owner.id) is not None
