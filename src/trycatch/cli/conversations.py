"""``trycatch conversations``: housekeeping of the agent's conversations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from trycatch.agent.conversations import abandon_idle_conversations
from trycatch.cli.context import console, print_json, state

app = typer.Typer(help="The agent's conversations.", no_args_is_help=True)


@app.command("abandon-idle")
def abandon_idle(
    ctx: typer.Context,
    minutes: Annotated[int, typer.Option(min=1, help="Idle for longer than this.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mark conversations left without an answer (still open, idle) as abandoned."""
    with state(ctx).database().session() as session:
        count = abandon_idle_conversations(session, idle_for=timedelta(minutes=minutes))
    if as_json:
        print_json({"abandoned": count})
    else:
        console.print(f"{count} conversation(s) marked abandoned")
