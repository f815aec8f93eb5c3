"""``trycatch handoffs``: questions the agent handed to a human, until the inbox takes them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from trycatch.agent.conversations import list_handoffs
from trycatch.agent.models import HandoffStatus
from trycatch.cli.context import console, print_json, state

app = typer.Typer(help="Escalations waiting for a human.", no_args_is_help=True)


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[HandoffStatus | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List handoffs, newest first: reason, summary, what the agent found."""
    with state(ctx).database().session() as session:
        handoffs = list_handoffs(session, status=status)[:limit]
        rows = [
            {
                "id": h.id,
                "conversation_id": h.conversation.public_id,
                "status": str(h.status),
                "reason": h.reason,
                "summary": h.summary,
                "attempted_answer": h.attempted_answer,
                "retrieved": [r["path"] for r in h.retrieved],
                "transcript": h.transcript,
                "created_at": h.created_at.isoformat(),
            }
            for h in handoffs
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "when", "reason", "summary", "docs found")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["created_at"])[:16],
            str(row["reason"]),
            str(row["summary"])[:200],
            "\n".join(row["retrieved"][:3]),  # type: ignore[index]
        )
    console.print(table)
