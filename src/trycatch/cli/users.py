"""``trycatch user``: staff accounts of the inbox (the catch block)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from trycatch.cli.context import console, fail, print_json, state
from trycatch.desk.access import COMMAND_LINE
from trycatch.desk.auth import UserError, create_user
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
