"""``trycatch user``: staff accounts of the inbox (the catch block) and their API tokens."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.cli.context import console, fail, print_json, state
from trycatch.desk.access import COMMAND_LINE
from trycatch.desk.auth import (
    Scope,
    TokenNotFound,
    UserError,
    create_user,
    issue_api_token,
    list_api_tokens,
    normalize_email,
    revoke_api_token,
)
from trycatch.desk.models import Role, User

app = typer.Typer(help="Staff users: admins, agents and viewers.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.AGENT,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="TRYCATCH_NEW_USER_PASSWORD",
            help="Password (asked for when not given; or TRYCATCH_NEW_USER_PASSWORD).",
        ),
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a staff user (the password is stored as an argon2 hash)."""
    with state(ctx).database().session() as session:
        try:
            user = create_user(
                session, email=email, name=name, role=role, password=password, actor=COMMAND_LINE
            )
        except UserError as error:
            fail(str(error))
        summary = {"id": user.id, "email": user.email, "name": user.name, "role": str(user.role)}
    if as_json:
        print_json(summary)
    else:
        console.print(f"created {summary['role']} {summary['email']}", highlight=False)


@app.command("list")
def list_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """List staff users."""
    with state(ctx).database().session() as session:
        rows = [
            {"id": u.id, "email": u.email, "name": u.name, "role": str(u.role), "active": u.active}
            for u in session.scalars(select(User).order_by(User.id))
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(f"{row['id']}  {row['email']}  {row['role']}  {row['name']}", highlight=False)


def _user(session: Session, email: str) -> User:
    user = session.scalars(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        fail(f"email: no staff user {email}")
    return user


@app.command("token")
def token(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The staff user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. the calling system.")],
    scope: Annotated[
        list[Scope], typer.Option(help="A scope the token holds (repeat for several).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue an API token for the REST API; its secret is printed this once only.

    A token can do at most what its user's role allows: a viewer's tokens can only read.
    """
    with state(ctx).database().session() as session:
        user = _user(session, email)
        try:
            issued, secret = issue_api_token(session, user=user, name=name, scopes=scope)
        except UserError as error:
            fail(str(error))
        summary = {"id": issued.id, "name": issued.name, "scopes": issued.scopes, "secret": secret}
    if as_json:
        print_json(summary)
        return
    console.print(
        f"token {summary['id']} ({', '.join(issued.scopes)}) for {email}; "
        "store the secret now, it is not shown again:",
        highlight=False,
    )
    typer.echo(secret)


@app.command("tokens")
def tokens(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The staff user.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a user's API tokens (never their secrets)."""
    with state(ctx).database().session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in list_api_tokens(session, user=_user(session, email))
        ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state_label = "revoked" if row["revoked_at"] else "live"
        console.print(
            f"{row['id']}  {row['prefix']}…  {state_label}  {' '.join(row['scopes'])}  "
            f"{row['name']}",
            highlight=False,
        )


@app.command("revoke-token")
def revoke_token(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (see `trycatch user tokens`).")],
) -> None:
    """Revoke an API token: it stops working at once."""
    with state(ctx).database().session() as session:
        try:
            revoked = revoke_api_token(session, token_id=token_id, actor=COMMAND_LINE)
        except TokenNotFound:
            fail(f"token_id: no API token {token_id}")
        console.print(f"revoked token {revoked.id} ({revoked.name})", highlight=False)
