"""The offline responder: our own deterministic model, run as a pydantic-ai FunctionModel.

It goes through the same agent, tools and output validation as a real model: it calls
``search_docs``, reads the message, judges whether the best passages really answer it, and
either composes a short extractive answer from the cited passages with links, calls
``escalate_to_human`` with a summary an engineer can act on, or declines what is outside
the documentation's scope. No network, no API key, same answer for the same input.

How it decides (every rule is about the kind of message, never about a product):

1. *Read the message* (``signals.read_message``): is it a question, or a report? Which defect
   signals does the report carry: a regression ("used to work", "stopped working since the
   update"), a claim of a defect ("I suspect", "clearly a bug"), the same call working
   another way ("works with curl but not the SDK", "going to html fixes it"), data the
   product dropped ("no Reply-To header", "blank email"), stuck or duplicated sends, a
   server error (5xx), a stack trace, library versions. Signals inside question sentences
   ("is tracking broken?") are hypotheses the customer asks about, not reports, and are
   not counted.
2. *Check the error text against the docs*: an error message the customer quotes that the
   returned passages contain is explained by the docs (answer); one they do not contain,
   raised through a library or integration, is evidence of a defect (escalate).
3. *Calibrate confidence* from retrieval: the share of the question's informative words
   (IDF-weighted) that the best document holds, its score margin over the next documents,
   and whether the question's words are known to the documentation at all.
4. *Decide*: strong defect evidence escalates; otherwise answer when confident, escalate
   an in-scope question the docs do not answer, decline a question the documentation's
   vocabulary does not cover (and that carries no error, code or product words).
5. *Answer* extractively from the cited passages (``compose.compose``), or hand over with
   a summary for the engineer (``summary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import ModelResponse, ToolCallPart
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from trycatch.agent.compose import LINKS_HEADER, compose
from trycatch.agent.signals import (
    CODE_BLOCK,
    DEFECT_SIGNALS,
    ERROR_EXPLAINED,
    Reading,
    read_message,
    word_pairs,
)
from trycatch.knowledge.analyzer import analyze

MODEL_NAME = "trycatch-offline"
MAX_CITATIONS = 3
# A message of at most this many content words, after another one, is a follow-up.
FOLLOW_UP_WORDS = 4
# A document is cited with the best one when its score is this close to the best and it
# covers nearly as much of the question.
CITE_SCORE_SHARE = 0.65
CITE_MATCH_SHARE = 0.5
CITE_MATCH_MIN = 0.3
# Below this share of the question's own words known to the documentation, with nothing
# that looks like a support problem, the question is outside what the documents cover.
IN_SCOPE_KNOWN = 0.3
OUT_OF_SCOPE_MATCH = 0.2
# Defect evidence (sum of signal weights) that escalates whatever the docs say.
DEFECT_ESCALATES = 2
UNEXPLAINED_THROUGH_COMPONENT = 2
ERROR_MATCH_BONUS = 0.15
DEFECT_PENALTY = 0.15
OUT_OF_SCOPE = "Outside the scope of the documentation."

HANDOFF_ANSWER = (
    "I've passed this to our support team: a human will follow up here with you. "
    "They can see this conversation, so you don't need to repeat anything."
)
DECLINE_ANSWER = (
    "I can only help with questions about our product and its documentation, so I can't "
    "answer that. If you have a question about the product, ask away — or ask for a human."
)


@dataclass(frozen=True, slots=True)
class Judgement:
    outcome: str
    confidence: float
    reason: str = ""
    cited: tuple[str, ...] = ()
    unexplained: tuple[str, ...] = field(default_factory=tuple)


def _evidence(result: dict[str, Any]) -> str:
    more = result.get("more") or []
    parts = [str(result.get("title", "")), str(result.get("passage", ""))]
    parts += [f"{m.get('section', '')}\n{m.get('text', '')}" for m in more if isinstance(m, dict)]
    return "\n".join(parts)


def explained(error: str, results: Sequence[dict[str, Any]]) -> bool:
    """Whether one returned passage holds the customer's error text."""
    words, pairs = word_pairs(error)
    if not words:
        return True
    for result in results:
        doc_words, doc_pairs = word_pairs(_evidence(result))
        if len(words) <= 3:
            if words <= doc_words:
                return True
        elif len(pairs & doc_pairs) >= ERROR_EXPLAINED * max(len(pairs), 1):
            return True
    return False


def _explains_error(reading: Reading, result: dict[str, Any]) -> bool:
    words = word_pairs(_evidence(result))[0]
    if any(status in words for status in reading.statuses):
        return True
    return any(explained(error, [result]) for error in reading.errors)


def confidence(results: Sequence[dict[str, Any]]) -> float:
    """How sure the best document answers: its coverage of the question, and its margin."""
    best = float(results[0]["match"])
    known = float(results[0].get("known", 1.0))
    if len(results) > 1:
        second = float(results[1]["score"]) / max(float(results[0]["score"]), 1e-9)
        # A clear winner is likelier the answer than one of several look-alikes.
        margin = 0.1 * min(1.0, (1 - second) / 0.3)
    else:
        margin = 0.1
    # Words the docs never use are part of the question too: coverage of all of it.
    return max(0.0, min(1.0, 0.25 + 0.7 * best * known + margin))


def citations(results: Sequence[dict[str, Any]]) -> list[str]:
    """The best document, and the next ones when they match nearly as well."""
    top_score = float(results[0]["score"])
    top_match = float(results[0]["match"])
    return [
        str(r["path"])
        for r in results
        if float(r["score"]) >= CITE_SCORE_SHARE * top_score
        and float(r["match"]) >= max(CITE_MATCH_SHARE * top_match, min(CITE_MATCH_MIN, top_match))
    ][:MAX_CITATIONS]


def judge(question: str, results: Sequence[dict[str, Any]], threshold: float) -> Judgement:
    """Answer, escalate or decline, from what the message is and how well the docs match."""
    reading = read_message(question)
    if not results:
        if reading.support_context:
            return Judgement("escalated", 0.0, "Nothing in the documentation matches this.")
        return Judgement("declined", 0.0, OUT_OF_SCOPE)
    unexplained = tuple(e for e in reading.errors if not explained(e, results))
    weight = reading.defect_weight
    if unexplained and (reading.component or "regression" in reading.defects):
        # An error the docs do not know, raised by a library or integration: its defect —
        # unless the customer asks how to do it right, which the docs may still answer.
        weight += 1 if reading.asks else UNEXPLAINED_THROUGH_COMPONENT
    if weight >= DEFECT_ESCALATES:
        return Judgement(
            "escalated", 0.0, _bug_reason(reading, unexplained), unexplained=unexplained
        )
    known = float(results[0].get("known", 1.0))
    on_topic = bool(results[0].get("on_topic", False))
    if (
        reading.english
        and not (reading.support_context or on_topic)
        and (known < IN_SCOPE_KNOWN or float(results[0]["match"]) < OUT_OF_SCOPE_MATCH)
    ):
        # Only in English do words the docs never use mean the topic is elsewhere; in
        # another language, a human judges.
        return Judgement("declined", 0.0, OUT_OF_SCOPE)
    conf = confidence(results)
    if _explains_error(reading, results[0]):
        # The best page names the customer's error code or message: the docs cover it.
        conf += ERROR_MATCH_BONUS
    # One defect signal: the docs must match clearly to answer anyway, more so when the
    # message reports rather than asks.
    penalty = DEFECT_PENALTY * weight * (1 if reading.asks else 2)
    conf = max(0.0, min(1.0, conf - penalty))
    if conf >= threshold:
        return Judgement("answered", conf, cited=tuple(citations(results)))
    reason = (
        _bug_reason(reading, unexplained)
        if weight
        else f"The documentation does not clearly answer this (confidence {conf:.0%})."
    )
    return Judgement("escalated", conf, reason, unexplained=unexplained)


def _bug_reason(reading: Reading, unexplained: Sequence[str]) -> str:
    why = [DEFECT_SIGNALS[name][2] for name in reading.defects]
    if unexplained:
        why.append("an error the documentation does not explain")
    return "Looks like a bug report: " + "; ".join(why or ["a problem report"]) + "."


def summary(question: str, reading: Reading, results: Sequence[dict[str, Any]]) -> str:
    """What an engineer needs first: what fails, the error, versions, where we looked."""
    prose = " ".join(CODE_BLOCK.sub(" [code] ", question).split())
    lines = [f"Customer report: {prose[:500]}{' …' if len(prose) > 500 else ''}"]
    errors = list(dict.fromkeys([*reading.errors, *reading.statuses]))
    if errors:
        lines.append("Error: " + " | ".join(e[:200] for e in errors[:3]))
    if reading.versions:
        lines.append("Versions: " + ", ".join(reading.versions[:5]))
    if reading.defects:
        lines.append("Signals: " + ", ".join(reading.defects))
    if results:
        lines.append(
            "Closest docs: "
            + ", ".join(f"{r['path']} ({float(r['match']):.0%})" for r in results[:3])
        )
    return "\n".join(lines)


def _question(messages: Sequence[ModelMessage]) -> str:
    """The customer's message; a short follow-up is read with the message before it."""
    prompts = [
        part.content
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart) and isinstance(part.content, str)
    ]
    if not prompts:
        return ""
    if len(prompts) > 1 and len(analyze(prompts[-1])) <= FOLLOW_UP_WORDS:
        # "and in Python?" means nothing alone: search and answer it with what it follows.
        return f"{prompts[-2]}\n{prompts[-1]}"
    return prompts[-1]


def _returns(message: ModelMessage) -> dict[str, Any]:
    if not isinstance(message, ModelRequest):
        return {}
    return {p.tool_name: p.content for p in message.parts if isinstance(p, ToolReturnPart)}


def _final(info: AgentInfo, **output: Any) -> ModelResponse:
    return ModelResponse(
        parts=[ToolCallPart(info.output_tools[0].name, output)], model_name=MODEL_NAME
    )


def offline_model(*, confidence_threshold: float) -> FunctionModel:
    """The deterministic responder, for the agent's model slot."""

    # A coroutine: the agent calls it in its loop rather than in a worker thread.
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        question = _question(messages)
        returns = _returns(messages[-1])
        if "escalate_to_human" in returns:
            previous = messages[-2] if len(messages) > 1 else None
            reason = ""
            if isinstance(previous, ModelResponse):
                for part in previous.parts:
                    if isinstance(part, ToolCallPart) and part.tool_name == "escalate_to_human":
                        reason = str(part.args_as_dict().get("reason", ""))
            return _final(
                info,
                answer=HANDOFF_ANSWER,
                citations=[],
                outcome="escalated",
                escalation_reason=reason,
                confidence=0.0,
            )
        if "search_docs" in returns:
            content = returns["search_docs"]
            results = (
                [r for r in content if isinstance(r, dict)] if isinstance(content, list) else []
            )
            verdict = judge(question, results, confidence_threshold)
            answer = compose(question, results, verdict.cited) if verdict.cited else ""
            if verdict.outcome == "answered" and not answer:
                verdict = Judgement(
                    "escalated", verdict.confidence, "No passage of the best pages says it."
                )
            if verdict.outcome == "answered":
                return _final(
                    info,
                    answer=answer,
                    citations=list(verdict.cited),
                    outcome="answered",
                    escalation_reason="",
                    confidence=round(verdict.confidence, 3),
                )
            if verdict.outcome == "declined":
                return _final(
                    info,
                    answer=DECLINE_ANSWER,
                    citations=[],
                    outcome="declined",
                    escalation_reason=verdict.reason,
                    confidence=round(verdict.confidence, 3),
                )
            reading = read_message(question)
            return ModelResponse(
                parts=[
                    ToolCallPart(
                        "escalate_to_human",
                        {"reason": verdict.reason, "summary": summary(question, reading, results)},
                    )
                ],
                model_name=MODEL_NAME,
            )
        if "search_docs" not in {t.name for t in info.function_tools}:
            # A prompt version without the search tool cannot answer from the docs.
            return _final(
                info,
                answer=HANDOFF_ANSWER,
                citations=[],
                outcome="escalated",
                escalation_reason="The agent has no search tool enabled.",
                confidence=0.0,
            )
        return ModelResponse(
            parts=[ToolCallPart("search_docs", {"query": question})], model_name=MODEL_NAME
        )

    return FunctionModel(respond, model_name=MODEL_NAME)


def bug_signals(text: str) -> int:
    """The weight of the defect signals in ``text`` (0: reads like a plain question)."""
    return read_message(text).defect_weight


__all__ = [
    "DECLINE_ANSWER",
    "DEFECT_SIGNALS",
    "HANDOFF_ANSWER",
    "LINKS_HEADER",
    "MODEL_NAME",
    "Judgement",
    "Reading",
    "bug_signals",
    "citations",
    "compose",
    "confidence",
    "explained",
    "judge",
    "offline_model",
    "read_message",
    "summary",
]
