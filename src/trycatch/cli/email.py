"""``trycatch email``: the outbox of replies to customers — send what is due, see failures,
send a failed reply again."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from trycatch.channels.email_out import DeliveryResult, EmailNotConfigured, deliver_due
from trycatch.cli.context import console, fail, print_json, state
from trycatch.desk.access import COMMAND_LINE, TicketNotFound
from trycatch.desk.delivery import (
    DeliveryNotFound,
    NotResendable,
    failed_deliveries,
    retry_delivery,
)

app = typer.Typer(
    help="Replies emailed to customers: send, list failures, retry.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _result_row(result: DeliveryResult) -> dict[str, Any]:
    return {
        "message_id": result.message_id,
        "ticket_id": result.ticket_id,
        "to": result.to,
        "status": str(result.status),
        "attempts": result.attempts,
        "error": result.error,
        "next_attempt_at": _when(result.next_attempt_at),
    }


def _print_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    console.print(table)


@app.command("deliver")
def deliver(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Send every reply that is due now (once); failures are retried later with backoff."""
    app_state = state(ctx)
    try:
        report = deliver_due(app_state.database(), app_state.settings)
    except EmailNotConfigured as error:
        fail(str(error))
    rows = [_result_row(result) for result in report.results]
    if as_json:
        print_json(rows)
        return
    if rows:
        _print_table(rows, ("message_id", "ticket_id", "to", "status", "attempts", "error"))
    console.print(
        f"{len(report.sent)} sent, {len(report.retrying)} retrying, {len(report.failed)} failed",
        highlight=False,
    )


@app.command("failed")
def failed(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List replies whose email failed for good, newest first."""
    with state(ctx).database().session() as session:
        rows = [
            {
                "message_id": m.id,
                "ticket_id": m.ticket_id,
                "to": m.ticket.customer.email,
                "attempts": m.delivery_attempts,
                "error": m.delivery_error,
                "created_at": _when(m.created_at),
            }
            for m in failed_deliveries(session, actor=COMMAND_LINE, limit=limit)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no failed replies")
        return
    _print_table(rows, ("message_id", "ticket_id", "to", "attempts", "error", "created_at"))


@app.command("retry")
def retry(
    ctx: typer.Context,
    message_id: Annotated[int, typer.Argument(help="The reply's id (from `email failed`).")],
    as_json: JsonOption = False,
) -> None:
    """Queue a failed reply to be sent again at the next delivery."""
    with state(ctx).database().session() as session:
        try:
            message = retry_delivery(session, message_id=message_id, actor=COMMAND_LINE)
        except (DeliveryNotFound, TicketNotFound, NotResendable) as error:
            fail(str(error))
        row = {"message_id": message.id, "status": str(message.delivery_status)}
    if as_json:
        print_json(row)
    else:
        console.print(f"reply {row['message_id']} queued", highlight=False)
