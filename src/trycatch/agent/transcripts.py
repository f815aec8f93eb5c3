"""Reading a conversation back: read-only, for the channels that show a transcript.

``answer_question`` creates a customer the first time one is named; showing a transcript
must not, so the customer is only looked up here. Who may see a conversation is decided by
``get_conversation_for``, the one place for that check.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.conversations import CustomerRef, get_conversation_for
from trycatch.agent.models import Conversation, Customer


def find_customer(session: Session, ref: CustomerRef | None) -> Customer | None:
    """The stored customer ``ref`` names (by email, else external id), without creating one."""
    if ref is None:
        return None
    if ref.email:
        return session.scalars(select(Customer).where(Customer.email == ref.email.lower())).first()
    if ref.external_id:
        return session.scalars(
            select(Customer).where(Customer.external_id == ref.external_id)
        ).first()
    return None


def read_conversation(
    session: Session, public_id: str, *, customer: CustomerRef | None
) -> Conversation:
    """The conversation with its messages, when ``customer`` may see it.

    Raises ``ConversationNotFound`` for a conversation that does not exist and for one that
    belongs to someone else alike.
    """
    return get_conversation_for(session, public_id, customer=find_customer(session, customer))


__all__ = ["find_customer", "read_conversation"]
