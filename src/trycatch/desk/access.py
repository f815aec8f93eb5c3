"""Who may do what: the policy table, and the only functions that hand out tickets.

Every service of the desk reaches a ticket through ``get_ticket_for`` (staff, checked against
the policy for the action) or ``get_ticket_for_customer`` (the customer's link). Both say
"not found" for a ticket that is missing and for one the caller may not reach, so an error
never reveals what exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.desk.models import MessageKind, Role, Ticket, TicketMessage, User

MAX_KEY_LENGTH = 64
# Keys are URL-safe base64; anything else (a NUL byte, which PostgreSQL refuses) is not one.
_KEY = re.compile(r"[A-Za-z0-9_-]+")


class PermissionDenied(Exception):
    """The actor's role (or an inactive account) does not allow the action."""


class TicketNotFound(LookupError):
    """No such ticket for this caller (also when it exists but is out of their reach)."""


@dataclass(frozen=True, slots=True)
class System:
    """A trusted part of trycatch acting on its own, named in the audit trail.

    The inbound email webhook (after checking its signature), the command line run by
    whoever operates the database, a background job. System actors pass every check:
    they run with the operator's authority, never on a request's say-so.
    """

    name: str


COMMAND_LINE = System("command-line")
EMAIL = System("email")
# The AI agent, opening a ticket from its own escalation.
AGENT = System("agent")

Actor: TypeAlias = User | System


class Action(StrEnum):
    VIEW_TICKET = "ticket.view"
    OPEN_TICKET = "ticket.open"  # incl. taking an agent handoff and outreach
    REPLY = "ticket.reply"
    ADD_NOTE = "ticket.note"
    ASSIGN = "ticket.assign"
    SET_PRIORITY = "ticket.priority"
    FLAG = "ticket.flag"
    CLOSE = "ticket.close"
    TAKE_NEXT = "ticket.take_next"
    WRITE_ISSUES = "issue.write"  # create engineering issues, link tickets to them
    MANAGE_USERS = "user.manage"
    # The agent the team owns (trycatch.evals): eval cases, runs and draft prompt versions;
    # making a version active or rolling back changes every customer's answers, so admins.
    IMPROVE_AGENT = "agent.improve"
    MANAGE_AGENT = "agent.manage"


# The least role allowed each action. Viewers read; agents work tickets; admins run the team.
POLICY: dict[Action, Role] = {
    Action.VIEW_TICKET: Role.VIEWER,
    Action.OPEN_TICKET: Role.AGENT,
    Action.REPLY: Role.AGENT,
    Action.ADD_NOTE: Role.AGENT,
    Action.ASSIGN: Role.AGENT,
    Action.SET_PRIORITY: Role.AGENT,
    Action.FLAG: Role.AGENT,
    Action.CLOSE: Role.AGENT,
    Action.TAKE_NEXT: Role.AGENT,
    Action.WRITE_ISSUES: Role.AGENT,
    Action.MANAGE_USERS: Role.ADMIN,
    Action.IMPROVE_AGENT: Role.AGENT,
    Action.MANAGE_AGENT: Role.ADMIN,
}

RANK: dict[Role, int] = {Role.VIEWER: 0, Role.AGENT: 1, Role.ADMIN: 2}


def role_allows(role: Role, action: Action) -> bool:
    return RANK[Role(role)] >= RANK[POLICY[action]]


def can(actor: Actor, action: Action) -> bool:
    """Whether ``actor`` may do ``action`` (on any ticket: staff see the whole inbox)."""
    if isinstance(actor, System):
        return True
    if not actor.active:
        return False
    return role_allows(actor.role, action)


def require(actor: Actor, action: Action) -> None:
    if not can(actor, action):
        raise PermissionDenied(f"{actor_label(actor)} may not {action}")


def actor_label(actor: Actor) -> str:
    """How the audit trail names an actor."""
    if isinstance(actor, System):
        return f"system:{actor.name}"
    return f"user:{actor.id}"


def get_ticket_for(
    session: Session, *, actor: Actor, ticket_id: int, action: Action = Action.VIEW_TICKET
) -> Ticket:
    """The ticket, if ``actor`` may do ``action`` on it; the one check every service makes."""
    require(actor, action)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"ticket {ticket_id}")
    return ticket


def get_ticket_for_customer(session: Session, *, key: str) -> Ticket:
    """The ticket behind a customer's link; any wrong key reads as a missing ticket."""
    if not key or len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise TicketNotFound("no such ticket")
    ticket = session.scalars(select(Ticket).where(Ticket.key == key)).one_or_none()
    if ticket is None:
        raise TicketNotFound("no such ticket")
    return ticket


def customer_visible_messages(ticket: Ticket) -> list[TicketMessage]:
    """What the customer may read: their messages and public replies, never internal notes."""
    return [message for message in ticket.messages if message.kind != MessageKind.NOTE]


__all__ = [
    "AGENT",
    "COMMAND_LINE",
    "EMAIL",
    "POLICY",
    "Action",
    "Actor",
    "PermissionDenied",
    "System",
    "TicketNotFound",
    "actor_label",
    "can",
    "customer_visible_messages",
    "get_ticket_for",
    "get_ticket_for_customer",
    "require",
    "role_allows",
]
