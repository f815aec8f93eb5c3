"""Answering a customer: the agent's loop around the model, and everything it stores.

``answer_question`` is the one writer of conversations. Deterministic rules run first
(a request for a human, the customer's own account/money/data, attacks), then the model
with its tools; whatever the model returns is checked (citations must be documents it was
shown in this conversation, the prompt must not leak, confidence must reach the threshold)
and any failure — provider error, timeout, usage limit, tool failure — becomes an
escalation with a reason, never a stack trace to the customer.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import httpx
from pydantic_ai import Agent, ModelRequest, ModelResponse, TextPart, UsageLimits, UserPromptPart
from pydantic_ai.exceptions import AgentRunError, ModelAPIError, UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models import Model
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.intents import Route, compile_intents, decide
from trycatch.agent.models import (
    Conversation,
    ConversationMessage,
    Customer,
    Feedback,
    Handoff,
    HandoffStatus,
    Outcome,
    PromptVersion,
    Rating,
    Role,
)
from trycatch.agent.offline import DECLINE_ANSWER, HANDOFF_ANSWER
from trycatch.agent.output import AgentOutput, AgentReply, Citation
from trycatch.agent.prompts import active_prompt, render_prompt
from trycatch.agent.providers import build_model
from trycatch.agent.tools import (
    AgentDeps,
    CustomerContext,
    SeenDocument,
    ToolFailedError,
    agent_tools,
)
from trycatch.agent.toolspec import HttpTool
from trycatch.knowledge.analyzer import analyze
from trycatch.knowledge.embeddings import Embedder, EmbeddingsUnavailable, embedder_from_settings
from trycatch.settings import Settings
from trycatch.store import record_event, utcnow

logger = logging.getLogger(__name__)

MAX_COMMENT = 2_000
LEAK_SHINGLE = 8
REPEAT_SIMILARITY = 0.8


class AgentInputError(ValueError):
    """Bad input to the agent; the message names the field."""


class ConversationNotFound(LookupError):
    """No such conversation for this customer (also when it exists for another one)."""


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """How a channel identifies the customer (any of the fields)."""

    email: str | None = None
    external_id: str | None = None
    name: str = ""


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


def customer_for(session: Session, ref: CustomerRef | None) -> Customer | None:
    """The customer ``ref`` names, created the first time they write (find or create).

    Does not commit: the caller's service function owns the transaction.
    """
    if ref is None or not (ref.email or ref.external_id):
        return None
    customer = find_customer(session, ref)
    if customer is None:
        customer = Customer(
            email=ref.email.lower() if ref.email else None,
            external_id=ref.external_id,
            name=ref.name,
            created_at=utcnow(),
        )
        session.add(customer)
        session.flush()
    return customer


def get_conversation_for(
    session: Session, public_id: str, *, customer: Customer | None
) -> Conversation:
    """A conversation the given customer may see; "not found" for anyone else's."""
    conversation = session.scalars(
        select(Conversation).where(Conversation.public_id == public_id)
    ).one_or_none()
    if conversation is None:
        raise ConversationNotFound(public_id)
    if conversation.customer_id is not None and (
        customer is None or customer.id != conversation.customer_id
    ):
        raise ConversationNotFound(public_id)
    return conversation


def _validate_question(question: str, settings: Settings) -> str:
    text = question.strip()
    if not text:
        raise AgentInputError("question: must not be empty")
    if len(text) > settings.agent_max_question_chars:
        raise AgentInputError(f"question: at most {settings.agent_max_question_chars:,} characters")
    return text


def _shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def leaks_prompt(answer: str, prompt: str) -> bool:
    """Whether the answer repeats a run of the system prompt's words."""
    return bool(_shingles(answer, LEAK_SHINGLE) & _prompt_shingles(prompt))


@lru_cache(maxsize=32)
def _prompt_shingles(prompt: str) -> frozenset[tuple[str, ...]]:
    # Every answer is checked against the same few prompt versions.
    return frozenset(_shingles(prompt, LEAK_SHINGLE))


def _similar(a: str, b: str) -> bool:
    left, right = set(analyze(a)), set(analyze(b))
    if not left or not right:
        return a.strip().lower() == b.strip().lower()
    return len(left & right) / len(left | right) >= REPEAT_SIMILARITY


def _asked_again(conversation: Conversation, question: str) -> bool:
    """The same question right after an answer: the answer did not help."""
    messages = conversation.messages
    if len(messages) < 2:
        return False
    last_customer = next((m for m in reversed(messages) if m.role == Role.CUSTOMER), None)
    last_agent = messages[-1]
    return (
        last_customer is not None
        and last_agent.role == Role.AGENT
        and last_agent.outcome == Outcome.ANSWERED
        and _similar(last_customer.text, question)
    )


def _history(conversation: Conversation) -> list[ModelMessage]:
    history: list[ModelMessage] = []
    for message in conversation.messages:
        if message.role == Role.CUSTOMER:
            history.append(ModelRequest(parts=[UserPromptPart(content=message.text)]))
        else:
            history.append(ModelResponse(parts=[TextPart(content=message.text)]))
    return history


def _seen(conversation: Conversation) -> dict[str, SeenDocument]:
    seen: dict[str, SeenDocument] = {}
    for message in conversation.messages:
        for doc in message.retrieved or []:
            seen.setdefault(doc["path"], SeenDocument(doc["path"], doc["title"], doc["url"]))
    return seen


_AGENTS: dict[
    tuple[str, tuple[str, ...], str, int, tuple[str, ...]], Agent[AgentDeps, AgentOutput]
] = {}


def _agent(
    prompt: PromptVersion, settings: Settings, model: Model, http_tools: Sequence[HttpTool]
) -> Agent[AgentDeps, AgentOutput]:
    # Agents are reused across answers: same prompt text, tools, product and model.
    key = (
        prompt.text,
        tuple(prompt.tools),
        settings.product_name,
        id(model),
        tuple(t.name for t in http_tools),
    )
    agent = _AGENTS.get(key)
    if agent is None:
        agent = Agent(
            model,
            output_type=AgentOutput,
            deps_type=AgentDeps,
            instructions=render_prompt(prompt.text, product=settings.product_name),
            tools=agent_tools(prompt.tools, http_tools),
            retries=1,
        )
        _AGENTS[key] = agent
    return agent


@dataclass(slots=True)
class _Result:
    outcome: Literal["answered", "escalated", "declined"]
    answer: str
    citations: list[Citation]
    reason: str
    confidence: float
    summary: str = ""
    usage: dict[str, Any] | None = None


def _run_model(
    *,
    question: str,
    conversation: Conversation,
    prompt: PromptVersion,
    settings: Settings,
    model: Model,
    deps: AgentDeps,
    http_tools: Sequence[HttpTool],
) -> _Result:
    agent = _agent(prompt, settings, model, http_tools)
    limits = UsageLimits(
        request_limit=settings.agent_max_requests,
        tool_calls_limit=settings.agent_max_tool_calls,
        total_tokens_limit=settings.agent_max_tokens,
    )
    try:
        run = agent.run_sync(
            question,
            deps=deps,
            message_history=_history(conversation)[:-1] or None,
            usage_limits=limits,
            timeout=settings.agent_timeout_seconds,
        )
    except ToolFailedError as error:
        return _Result("escalated", HANDOFF_ANSWER, [], f"A tool failed: {error}", 0.0)
    except (
        AgentRunError,
        ModelAPIError,
        UnexpectedModelBehavior,
        httpx.HTTPError,
        TimeoutError,
    ) as error:
        # The customer sees a handoff, staff see what went wrong; never a stack trace.
        return _Result(
            "escalated",
            HANDOFF_ANSWER,
            [],
            f"The model failed: {type(error).__name__}: {error}"[:500],
            0.0,
        )
    usage = run.usage
    return _check_output(
        run.output,
        deps=deps,
        prompt=prompt,
        settings=settings,
        usage={
            "requests": usage.requests,
            "tool_calls": usage.tool_calls,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
        },
    )


def _check_output(
    output: AgentOutput,
    *,
    deps: AgentDeps,
    prompt: PromptVersion,
    settings: Settings,
    usage: dict[str, Any],
) -> _Result:
    """Hold the model's answer to the rules: real citations, no leak, enough confidence."""
    usage_data = usage
    citations = [
        Citation(deps.seen[path].path, deps.seen[path].title, deps.seen[path].url)
        for path in dict.fromkeys(output.citations)
        if path in deps.seen
    ]
    invented = [path for path in output.citations if path not in deps.seen]
    rendered_prompt = render_prompt(prompt.text, product=settings.product_name)
    if leaks_prompt(output.answer, rendered_prompt):
        return _Result(
            "declined",
            DECLINE_ANSWER,
            [],
            "The answer repeated the system prompt.",
            0.0,
            usage=usage_data,
        )
    if deps.escalation is not None or output.outcome == "escalated":
        reason = (deps.escalation.reason if deps.escalation else "") or output.escalation_reason
        summary = deps.escalation.summary if deps.escalation else ""
        return _Result(
            "escalated",
            output.answer or HANDOFF_ANSWER,
            citations,
            reason or "The agent handed over.",
            output.confidence,
            summary=summary,
            usage=usage_data,
        )
    if output.outcome == "declined":
        return _Result(
            "declined", output.answer or DECLINE_ANSWER, [], "", output.confidence, usage=usage_data
        )
    if not citations:
        why = f"invented citation(s): {', '.join(invented)}" if invented else "no citation"
        return _Result(
            "escalated",
            HANDOFF_ANSWER,
            [],
            f"The answer had {why}; not sent.",
            output.confidence,
            usage=usage_data,
        )
    if output.confidence < settings.agent_confidence_threshold:
        return _Result(
            "escalated",
            HANDOFF_ANSWER,
            citations,
            f"Not confident enough ({output.confidence:.2f} < "
            f"{settings.agent_confidence_threshold:.2f}).",
            output.confidence,
            usage=usage_data,
        )
    return _Result("answered", output.answer, citations, "", output.confidence, usage=usage_data)


_EMBEDDERS: dict[tuple[str, str, str], Embedder | None] = {}


def _embedder(settings: Settings) -> Embedder | None:
    """The settings' embedder, once per process; a misconfigured one means BM25 only,
    since a customer's answer must not fail on dense retrieval."""
    key = (settings.embeddings, settings.embeddings_model, settings.embeddings_url)
    if key not in _EMBEDDERS:
        try:
            _EMBEDDERS[key] = embedder_from_settings(settings)
        except (EmbeddingsUnavailable, ValueError) as error:
            logger.warning("dense retrieval off for the agent: %s", error)
            _EMBEDDERS[key] = None
    return _EMBEDDERS[key]


def _respond(
    session: Session,
    *,
    text: str,
    conversation: Conversation,
    prompt: PromptVersion,
    customer: CustomerContext,
    repeated: bool,
    settings: Settings,
    model: Model | None,
    http_tools: Sequence[HttpTool],
    http_client: httpx.Client | None,
) -> tuple[_Result, AgentDeps]:
    """The rules, then the model: the reply to ``text``, the last customer message of
    ``conversation``. Reads only; the caller stores (or, rehearsing, discards) the result."""
    deps = AgentDeps(
        session=session,
        customer=customer,
        http_tools={t.name: t for t in http_tools},
        http_client=http_client,
        seen=_seen(conversation),
        embedder=_embedder(settings),
    )
    decision = decide(text, compile_intents(settings.agent_escalation_intents))
    if decision is not None and decision.route == Route.DECLINE:
        result = _Result("declined", DECLINE_ANSWER, [], decision.reason, 1.0)
    elif decision is not None:
        result = _Result("escalated", HANDOFF_ANSWER, [], decision.reason, 1.0)
    elif repeated:
        result = _Result(
            "escalated", HANDOFF_ANSWER, [], "The customer asked the same question again.", 0.0
        )
    else:
        # Nothing of the answer is flushed by the tools' queries: it is written at the end.
        with session.no_autoflush:
            result = _run_model(
                question=text,
                conversation=conversation,
                prompt=prompt,
                settings=settings,
                model=model or build_model(settings),
                deps=deps,
                http_tools=http_tools,
            )
    return result, deps


@dataclass(slots=True)
class RehearsedTurn:
    """What the agent replied to one customer message of a rehearsal (nothing stored)."""

    question: str
    outcome: Literal["answered", "escalated", "declined"]
    answer: str
    citations: list[Citation]
    escalation_reason: str
    confidence: float
    tool_calls: list[dict[str, Any]]
    usage: dict[str, Any]
    latency_ms: float


def rehearse_conversation(
    session: Session,
    *,
    messages: Sequence[str],
    prompt: PromptVersion,
    settings: Settings,
    customer: CustomerContext | None = None,
    model: Model | None = None,
    http_tools: Sequence[HttpTool] = (),
    http_client: httpx.Client | None = None,
) -> list[RehearsedTurn]:
    """Play the customer's ``messages`` to the agent of ``prompt``, one turn at a time, as
    ``answer_question`` would in one conversation — but store nothing (no conversation, no
    handoff, no event): the eval runner's way to try a prompt version, active or not."""
    conversation = Conversation(public_id="rehearsal", channel="eval")
    turns: list[RehearsedTurn] = []
    for message in messages:
        started = time.perf_counter()
        text = _validate_question(message, settings)
        repeated = bool(turns) and _asked_again(conversation, text)
        conversation.messages.append(ConversationMessage(role=Role.CUSTOMER, text=text))
        result, deps = _respond(
            session,
            text=text,
            conversation=conversation,
            prompt=prompt,
            customer=customer or CustomerContext(),
            repeated=repeated,
            settings=settings,
            model=model,
            http_tools=http_tools,
            http_client=http_client,
        )
        conversation.messages.append(
            ConversationMessage(
                role=Role.AGENT,
                text=result.answer,
                outcome=Outcome(result.outcome),
                retrieved=deps.retrieved,
            )
        )
        turns.append(
            RehearsedTurn(
                question=text,
                outcome=result.outcome,
                answer=result.answer,
                citations=result.citations,
                escalation_reason=result.reason,
                confidence=result.confidence,
                tool_calls=list(deps.tool_calls),
                usage=result.usage or {},
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        )
    return turns


def answer_question(
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
) -> AgentReply:
    """Answer one customer message, store the exchange, and commit."""
    started = time.perf_counter()
    text = _validate_question(question, settings)
    person = customer_for(session, customer)
    if conversation_id is not None:
        conversation = get_conversation_for(session, conversation_id, customer=person)
    else:
        conversation = Conversation(
            public_id=secrets.token_urlsafe(18),
            customer_id=person.id if person else None,
            channel=channel,
            outcome=Outcome.OPEN,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(conversation)
    prompt = active_prompt(session)
    # A new conversation has no earlier question (and no messages to load).
    repeated = conversation_id is not None and _asked_again(conversation, text)
    conversation.messages.append(
        ConversationMessage(role=Role.CUSTOMER, text=text, created_at=utcnow())
    )
    conversation.prompt_version_id = prompt.id
    conversation.updated_at = utcnow()
    # The customer's message is kept before the agent runs: should no answer ever come (the
    # process dies mid-answer), nothing they wrote is lost, and the conversation, still
    # open, is marked abandoned by ``abandon_idle_conversations``.
    session.commit()
    result, deps = _respond(
        session,
        text=text,
        conversation=conversation,
        prompt=prompt,
        customer=CustomerContext(
            id=person.id if person else None,
            email=person.email if person else None,
            external_id=person.external_id if person else None,
        ),
        repeated=repeated,
        settings=settings,
        model=model,
        http_tools=http_tools,
        http_client=http_client,
    )
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    reply_message = ConversationMessage(
        role=Role.AGENT,
        text=result.answer,
        outcome=Outcome(result.outcome),
        confidence=result.confidence,
        escalation_reason=result.reason,
        citations=[c.public() for c in result.citations],
        tool_calls=deps.tool_calls,
        retrieved=deps.retrieved,
        prompt_version_id=prompt.id,
        latency_ms=latency_ms,
        usage=result.usage or {},
        created_at=utcnow(),
    )
    conversation.messages.append(reply_message)
    conversation.outcome = Outcome(result.outcome)
    conversation.updated_at = utcnow()
    session.flush()
    if result.outcome == "escalated":
        session.add(
            Handoff(
                conversation_id=conversation.id,
                message_id=reply_message.id,
                reason=result.reason,
                summary=result.summary or text[:1000],
                attempted_answer=result.answer,
                transcript=[
                    {"role": m.role, "text": m.text, "at": m.created_at.isoformat()}
                    for m in conversation.messages
                ],
                retrieved=deps.retrieved,
                status=HandoffStatus.OPEN,
                created_at=utcnow(),
            )
        )
    record_event(
        session,
        actor=f"customer:{person.id}" if person else f"{channel}:anonymous",
        action=f"conversation.{result.outcome}",
        subject=f"conversation:{conversation.public_id}",
        data={"message_id": reply_message.id, "reason": result.reason},
    )
    session.commit()
    return AgentReply(
        conversation_id=conversation.public_id,
        message_id=reply_message.id,
        outcome=result.outcome,
        answer=result.answer,
        citations=result.citations,
        escalation_reason=result.reason,
        confidence=result.confidence,
        prompt_version_id=prompt.id,
        latency_ms=latency_ms,
        tool_calls=list(deps.tool_calls),
    )


def record_feedback(
    session: Session,
    *,
    conversation_id: str,
    message_id: int,
    rating: Rating,
    comment: str = "",
    customer: CustomerRef | None = None,
) -> Feedback:
    """Thumbs up or down on one of the agent's answers in this conversation."""
    if len(comment) > MAX_COMMENT:
        raise AgentInputError(f"comment: at most {MAX_COMMENT:,} characters")
    conversation = get_conversation_for(
        session, conversation_id, customer=find_customer(session, customer)
    )
    message = session.get(ConversationMessage, message_id)
    if message is None or message.conversation_id != conversation.id or message.role != Role.AGENT:
        raise ConversationNotFound(f"{conversation_id}/{message_id}")
    feedback = Feedback(
        message_id=message.id, rating=rating, comment=comment.strip(), created_at=utcnow()
    )
    session.add(feedback)
    session.flush()
    record_event(
        session,
        actor=f"conversation:{conversation_id}",
        action=f"feedback.{rating}",
        subject=f"message:{message.id}",
        data={"comment": feedback.comment},
    )
    session.commit()
    return feedback


def abandon_idle_conversations(
    session: Session, *, idle_for: timedelta, now: datetime | None = None
) -> int:
    """Mark open conversations idle for longer than ``idle_for`` abandoned; how many.

    A conversation stays open only when a customer's message got no answer (the answer
    failed outside the agent's own error handling, or the process stopped).
    """
    cutoff = (now or utcnow()) - idle_for
    stale = list(
        session.scalars(
            select(Conversation).where(
                Conversation.outcome == Outcome.OPEN, Conversation.updated_at < cutoff
            )
        )
    )
    for conversation in stale:
        conversation.outcome = Outcome.ABANDONED
        conversation.updated_at = utcnow()
        record_event(
            session,
            actor="trycatch",
            action="conversation.abandoned",
            subject=f"conversation:{conversation.public_id}",
            data={"idle_seconds": idle_for.total_seconds()},
        )
    session.commit()
    return len(stale)


def list_handoffs(
    session: Session, *, status: HandoffStatus | None = HandoffStatus.OPEN
) -> list[Handoff]:
    query = select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id.desc())
    if status is not None:
        query = query.where(Handoff.status == status)
    return list(session.scalars(query))


__all__ = [
    "AgentInputError",
    "ConversationNotFound",
    "CustomerRef",
    "RehearsedTurn",
    "abandon_idle_conversations",
    "answer_question",
    "customer_for",
    "find_customer",
    "get_conversation_for",
    "leaks_prompt",
    "list_handoffs",
    "record_feedback",
    "rehearse_conversation",
]
