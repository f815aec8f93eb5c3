"""``trycatch ask``: put a question to the agent, one, a batch, or interactively.

An escalation opens its ticket in the inbox at once (``channels.intake.ask_agent``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from trycatch.agent.conversations import AgentInputError
from trycatch.agent.output import AgentReply
from trycatch.channels.intake import ask_agent
from trycatch.cli.context import AppState, console, fail, interactive, print_json, state
from trycatch.cli.knowledge import _batch_lines
from trycatch.store import Database

OUTCOME_STYLE = {"answered": "green", "escalated": "yellow", "declined": "magenta"}


def _ask(
    database: Database, app_state: AppState, question: str, conversation: str | None
) -> AgentReply:
    with database.session() as session:
        return ask_agent(
            session,
            question=question,
            settings=app_state.settings,
            channel="cli",
            conversation_id=conversation,
        ).reply


def show_reply(reply: AgentReply) -> None:
    style = OUTCOME_STYLE[reply.outcome]
    console.print(f"[{style}]{reply.outcome}[/] (confidence {reply.confidence:.2f})")
    console.print(Markdown(reply.answer))
    if reply.escalated:
        console.print(f"[dim]handed over: {reply.escalation_reason}[/]", highlight=False)
    for citation in reply.citations:
        console.print(f"[dim]source:[/] {citation.title} — {citation.url}", highlight=False)


def ask(
    ctx: typer.Context,
    question: Annotated[str | None, typer.Argument(help="The customer's question.")] = None,
    batch: Annotated[
        Path | None, typer.Option(help='JSONL file, one {"id","question"} per line.')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ask the agent: an answer with citations, a handover to a human, or a polite no.

    Without a question on a terminal, starts an interactive conversation.
    """
    if question is not None and batch is not None:
        fail("give a QUESTION or --batch FILE, not both", code=2)
    app_state = state(ctx)
    database = app_state.database()
    if batch is not None:
        for item_id, text, error in _batch_lines(batch):
            if error is not None or text is None:
                print_json({"id": item_id, "error": error})
                continue
            try:
                reply = _ask(database, app_state, text, None)
            except AgentInputError as problem:
                print_json({"id": item_id, "error": str(problem)})
                continue
            print_json({"id": item_id, **reply.public()})
        return
    if question is None:
        if not interactive():
            fail("give a QUESTION or --batch FILE", code=2)
        converse(database, app_state)
        return
    try:
        reply = _ask(database, app_state, question, None)
    except AgentInputError as problem:
        fail(str(problem))
    if as_json:
        print_json(reply.public())
    else:
        show_reply(reply)


def converse(database: Database, app_state: AppState, *, prompt: str = "you> ") -> None:
    """An interactive conversation with the agent until an empty line or Ctrl-D."""
    conversation: str | None = None
    console.print("Ask a question (empty line or Ctrl-D to quit).")
    while True:
        try:
            text = console.input(f"[bold cyan]{prompt}[/]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not text:
            break
        try:
            reply = _ask(database, app_state, text, conversation)
        except AgentInputError as problem:
            console.print(f"[red]{problem}[/]")
            continue
        conversation = reply.conversation_id
        show_reply(reply)
