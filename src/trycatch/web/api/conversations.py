"""``/api/v1/conversations``: ask the agent, continue, read back, rate an answer, get a human.

Each route parses its schema, calls one agent service function (the asking routes through
``channels.intake.ask_agent``, so an escalation becomes a ticket) and renders the result;
``ConversationNotFound`` and ``AgentInputError`` become 404 and 422 in the app's handlers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from trycatch.agent.conversations import CustomerRef, record_feedback
from trycatch.agent.transcripts import read_conversation
from trycatch.channels.intake import ask_agent, ticket_url
from trycatch.settings import Settings
from trycatch.web.agent_loop import agent_event_loop
from trycatch.web.api.events import STREAM_RESPONSES, event_stream, reply_events
from trycatch.web.api.schemas import (
    ConversationStart,
    CustomerIdentity,
    FeedbackCreate,
    FeedbackPublic,
    HandoffRequest,
    MessageCreate,
    ReplyPublic,
    TranscriptPublic,
    customer_ref,
)
from trycatch.web.deps import SessionDep, SettingsDep

# What "Talk to a human" sends: the agent's escalation rules route it to a person.
HANDOFF_MESSAGE = "I'd like to talk to a human."

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such conversation for this customer."}
}

# Row ids are 32-bit integers in PostgreSQL; a larger one names no message.
MessageId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = APIRouter(prefix="/conversations", tags=["conversations"], responses=NOT_FOUND)


def _answer(
    session: Session,
    settings: Settings,
    *,
    message: str,
    customer: CustomerIdentity | None,
    channel: str = "api",
    conversation_id: str | None = None,
) -> ReplyPublic:
    """One call of the agent service, in an event loop closed afterwards; an escalation
    opens its ticket, and the reply carries the customer's link to it."""
    with agent_event_loop():
        intake = ask_agent(
            session,
            question=message,
            settings=settings,
            channel=channel,
            conversation_id=conversation_id,
            customer=customer_ref(customer),
        )
    link = ticket_url(settings.public_url, intake.ticket) if intake.ticket is not None else None
    return ReplyPublic.from_reply(intake.reply, ticket_url=link)


@router.post("", status_code=status.HTTP_201_CREATED)
def start_conversation(
    body: ConversationStart, session: SessionDep, settings: SettingsDep
) -> ReplyPublic:
    """Start a conversation with its first message; the agent's reply comes back."""
    return _answer(
        session, settings, message=body.message, customer=body.customer, channel=body.channel
    )


@router.post("/stream", response_class=StreamingResponse, responses=STREAM_RESPONSES)
def start_conversation_stream(
    body: ConversationStart, session: SessionDep, settings: SettingsDep
) -> StreamingResponse:
    """As ``POST /conversations``, the reply as server-sent events."""
    reply = _answer(
        session, settings, message=body.message, customer=body.customer, channel=body.channel
    )
    return event_stream(reply_events(reply))


@router.get("/{conversation_id}")
def get_conversation(
    conversation_id: str,
    session: SessionDep,
    customer_email: Annotated[str | None, Query(max_length=320)] = None,
    customer_external_id: Annotated[str | None, Query(max_length=200)] = None,
) -> TranscriptPublic:
    """The transcript, for the customer the conversation belongs to."""
    customer = CustomerRef(email=customer_email, external_id=customer_external_id)
    conversation = read_conversation(session, conversation_id, customer=customer)
    return TranscriptPublic.from_conversation(conversation)


@router.post("/{conversation_id}/messages")
def send_message(
    conversation_id: str, body: MessageCreate, session: SessionDep, settings: SettingsDep
) -> ReplyPublic:
    """The customer's next message; the agent's reply comes back."""
    return _answer(
        session,
        settings,
        message=body.message,
        customer=body.customer,
        conversation_id=conversation_id,
    )


@router.post(
    "/{conversation_id}/messages/stream",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSES,
)
def send_message_stream(
    conversation_id: str, body: MessageCreate, session: SessionDep, settings: SettingsDep
) -> StreamingResponse:
    """As ``POST .../messages``, the reply as server-sent events."""
    reply = _answer(
        session,
        settings,
        message=body.message,
        customer=body.customer,
        conversation_id=conversation_id,
    )
    return event_stream(reply_events(reply))


@router.post(
    "/{conversation_id}/messages/{message_id}/feedback", status_code=status.HTTP_201_CREATED
)
def rate_answer(
    conversation_id: str, message_id: MessageId, body: FeedbackCreate, session: SessionDep
) -> FeedbackPublic:
    """Thumbs up or down on one of the agent's answers (a down vote may say why)."""
    feedback = record_feedback(
        session,
        conversation_id=conversation_id,
        message_id=message_id,
        rating=body.rating,
        comment=body.comment,
        customer=customer_ref(body.customer),
    )
    return FeedbackPublic.model_validate(feedback)


@router.post("/{conversation_id}/handoff")
def request_human(
    conversation_id: str,
    session: SessionDep,
    settings: SettingsDep,
    body: HandoffRequest | None = None,
) -> ReplyPublic:
    """ "Talk to a human": hands the conversation to the support team."""
    return _answer(
        session,
        settings,
        message=HANDOFF_MESSAGE,
        customer=body.customer if body else None,
        conversation_id=conversation_id,
    )


__all__ = ["HANDOFF_MESSAGE", "router"]
