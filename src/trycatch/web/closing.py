"""Closing a ticket as the staff pages and the API do it: the desk's close, then the links.

The desk and the tracker are siblings, so the one that links a closed ticket's engineering
issues to it (counting the customer towards the issue's demand) sits above both, here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from trycatch.desk import Actor, OutcomeInput, OutcomeKind, Ticket, actor_label, close_ticket
from trycatch.knowledge.taxonomy import Taxonomy
from trycatch.tracker import link_ticket


def close_and_link(
    session: Session,
    *,
    ticket_id: int,
    actor: Actor,
    taxonomy: Taxonomy,
    category: str | None,
    product_area: str | None,
    outcomes: list[OutcomeInput],
    strict: bool,
) -> Ticket:
    """Close the ticket (or raise ``ClosePolicyError``), then link its engineering issues."""
    ticket = close_ticket(
        session,
        ticket_id=ticket_id,
        actor=actor,
        taxonomy=taxonomy,
        category=category,
        product_area=product_area,
        outcomes=outcomes,
        strict=strict,
    )
    for outcome in outcomes:
        if (
            OutcomeKind(outcome.kind) == OutcomeKind.ENGINEERING_ISSUE
            and outcome.engineering_issue_id
        ):
            link_ticket(
                session,
                issue_id=outcome.engineering_issue_id,
                ticket_id=ticket.id,
                customer_id=ticket.customer_id,
                actor=actor_label(actor),
            )
    return ticket


__all__ = ["close_and_link"]
