"""Reading a conversation back: read-only, for the channels that show a transcript.

``answer_question`` creates a customer the first time one is named; showing a transcript
must not, so the customer is only looked up (``find_customer``). Who may see a
conversation is decided by ``get_conversation_for``, the one place for that check.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from trycatch.agent.conversations import CustomerRef, find_customer, get_conversation_for
from trycatch.agent.models import Conversation


def read_conversation(
    session: Session, public_id: str, *, customer: CustomerRef | None
) -> Conversation:
    """The conversation with its messages, when ``customer`` may see it.

    Raises ``ConversationNotFound`` for a conversation that does not exist and for one that
    belongs to someone else alike.
    """
    return get_conversation_for(session, public_id, customer=find_customer(session, customer))


__all__ = ["read_conversation"]
