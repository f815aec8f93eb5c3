"""Intake: questions that reach the agent or the desk directly, from the API and the CLI.

``ask_agent`` puts a customer's message to the agent and, when the agent escalates, opens
the ticket at once (the catch block), so the customer's link exists as soon as they are
told a person will answer. ``open_customer_ticket`` is the REST intake: it finds or
creates the customer and opens their ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from pydantic_ai.models import Model
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.conversations import CustomerRef, answer_question, customer_for
from trycatch.agent.models import Handoff
from trycatch.agent.output import AgentReply
from trycatch.agent.toolspec import HttpTool
from trycatch.desk import (
    AGENT,
    Actor,
    Ticket,
    TicketInputError,
    TicketSource,
    open_ticket,
    open_ticket_from_handoff,
)
from trycatch.settings import Settings


@dataclass(frozen=True, slots=True)
class AgentIntake:
    """The agent's reply, and the ticket its escalation opened (None when it answered)."""

    reply: AgentReply
    ticket: Ticket | None = None


def ticket_url(public_url: str, ticket: Ticket) -> str:
    """The customer's link to their ticket (``public_url`` from the settings): the help
    center's page, keyed by the ticket's secret."""
    return f"{public_url.rstrip('/')}/tickets/{ticket.key}"


def _handoff_of(session: Session, reply: AgentReply) -> Handoff | None:
    return session.scalars(
        select(Handoff).where(Handoff.message_id == reply.message_id)
    ).one_or_none()


def ask_agent(
    session: Session,
    *,
    question: str,
    settings: Settings,
    channel: str = "api",
    conversation_id: str | None = None,
    customer: CustomerRef | None = None,
    model: Model | None = None,
    http_tools: Sequence[HttpTool] = (),
    http_client: httpx.Client | None = None,
) -> AgentIntake:
    """Answer with the agent (``answer_question``); an escalation opens its ticket.

    Each escalation is a handoff and becomes one ticket (``open_ticket_from_handoff`` is
    idempotent), opened by the ``agent`` system actor and left unassigned for the inbox.
    """
    reply = answer_question(
        session,
        question=question,
        settings=settings,
        channel=channel,
        conversation_id=conversation_id,
        customer=customer,
        model=model,
        http_tools=http_tools,
        http_client=http_client,
    )
    if not reply.escalated:
        return AgentIntake(reply=reply)
    handoff = _handoff_of(session, reply)
    if handoff is None:  # an escalation always stores its handoff; nothing to open without
        return AgentIntake(reply=reply)
    ticket = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=AGENT)
    return AgentIntake(reply=reply, ticket=ticket)


def open_customer_ticket(
    session: Session,
    *,
    customer: CustomerRef,
    subject: str,
    body: str,
    source: TicketSource,
    actor: Actor,
    email_from: str | None = None,
) -> Ticket:
    """Open a ticket for the customer ``customer`` names, creating them the first time.

    ``source`` is ``api`` (the customer's question, sent by another system) or
    ``outreach`` (a staff member writes to the customer first).
    """
    person = customer_for(session, customer)
    if person is None:
        raise TicketInputError("customer: an email or external_id is required")
    return open_ticket(
        session,
        customer_id=person.id,
        subject=subject,
        body=body,
        source=source,
        actor=actor,
        email_from=email_from,
    )


__all__ = ["AgentIntake", "ask_agent", "open_customer_ticket", "ticket_url"]
