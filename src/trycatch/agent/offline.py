"""The offline responder: our own deterministic model, run as a pydantic-ai FunctionModel.

It goes through the same agent, tools and output validation as a real model: it calls
``search_docs``, judges whether the best passages really answer the question, and either
composes a short answer from their most relevant sentences with links, or calls
``escalate_to_human`` (bug reports, questions the docs do not answer), or declines what is
outside the docs' scope. No network, no API key, same answer for the same input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_ai import ModelResponse, ToolCallPart
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from trycatch.knowledge.analyzer import analyze
from trycatch.knowledge.query import CHATTER

MODEL_NAME = "trycatch-offline"
MAX_SENTENCES = 3
MAX_CITATIONS = 3
MAX_SENTENCE_CHARS = 400
# Below this best match, and with nothing that looks like a support problem, the question
# is outside what the documents cover: decline rather than guess.
OUT_OF_SCOPE_MATCH = 0.2

# Signs that a message reports a defect rather than asks how something works.
BUG_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(stopped|stops|stop)\s+working\b",
        r"\b(no longer|not)\s+work(ing|s)?\s+(anymore|any more|since)\b",
        r"\bsince\s+(yesterday|today|this\s+morning|last\s+(night|week)|the\s+(update|upgrade|"
        r"release))\b",
        r"\bout\s+of\s+the\s+blue\b|\bsuddenly\b|\ball\s+of\s+a\s+sudden\b",
        r"\b(bug|regression|broken|breaks|crash(es|ed|ing)?)\b",
        r"\b(500|502|503|504)\b|\binternal\s+server\s+error\b",
        r"\btraceback\b|\bstack\s*trace\b|\bexception\b|\bpanic:",
        r"\b(throws?|thrown|raises?)\b.{0,40}\berror\b",
        r"\bexpected\b.{0,80}\b(but|instead)\b",
        r"\b(sdk|library|package|gem|client|plugin|integration|node)\b.{0,60}\b(returns?|sends?|"
        r"drops?|ignores?|overwrites?)\b",
        r"\bworks?\s+(with|via|using|in)\s+(curl|postman|the\s+api|the\s+dashboard)\b",
        r"\bv?\d+\.\d+\.\d+\b",
    )
)

HANDOFF_ANSWER = (
    "I've passed this to our support team: a human will follow up here with you. "
    "They can see this conversation, so you don't need to repeat anything."
)
DECLINE_ANSWER = (
    "I can only help with questions about our product and its documentation, so I can't "
    "answer that. If you have a question about the product, ask away — or ask for a human."
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[])")
_MARKDOWN_NOISE = re.compile(r"^\s*(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")


@dataclass(frozen=True, slots=True)
class Judgement:
    outcome: str
    confidence: float
    reason: str = ""


def bug_signals(text: str) -> int:
    return sum(1 for pattern in BUG_PATTERNS if pattern.search(text))


def _question(messages: Sequence[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def _returns(message: ModelMessage) -> dict[str, Any]:
    if not isinstance(message, ModelRequest):
        return {}
    return {p.tool_name: p.content for p in message.parts if isinstance(p, ToolReturnPart)}


def _sentences(passage: str) -> list[str]:
    """Prose sentences of a passage; code, tables and headings are left out."""
    sentences: list[str] = []
    in_code = False
    for line in passage.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not stripped or stripped.startswith(("|", "#", "<")):
            continue
        text = _MARKDOWN_NOISE.sub("", stripped)
        sentences.extend(s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) > 3)
    return sentences


def _question_terms(question: str) -> set[str]:
    return {t for t in analyze(question) if t not in CHATTER}


def compose(question: str, results: Sequence[dict[str, Any]], cited: Sequence[str]) -> str:
    """An extractive answer: the sentences of the cited passages closest to the question."""
    terms = _question_terms(question)
    scored: list[tuple[float, int, str]] = []
    order = 0
    for result in results:
        if result["path"] not in cited:
            continue
        for sentence in _sentences(str(result.get("passage", ""))):
            words = set(analyze(sentence))
            overlap = len(words & terms)
            if overlap:
                scored.append((overlap / (1 + 0.02 * len(sentence)), order, sentence))
            order += 1
    chosen = sorted(sorted(scored, reverse=True)[:MAX_SENTENCES], key=lambda item: item[1])
    body = " ".join(
        s if len(s) <= MAX_SENTENCE_CHARS else s[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0] + " …"
        for _, _, s in chosen
    )
    links = "\n".join(f"- [{r['title']}]({r['url']})" for r in results if r["path"] in cited)
    return f"{body}\n\nMore in:\n{links}" if body else f"These pages answer it:\n{links}"


def judge(question: str, results: Sequence[dict[str, Any]], threshold: float) -> Judgement:
    """Answer, escalate or decline, from how well the best passages match the question."""
    bugs = bug_signals(question)
    if not results:
        if bugs:
            return Judgement(
                "escalated", 0.0, "Looks like a problem report; nothing in the docs matches it."
            )
        return Judgement("declined", 0.0, "Outside the scope of the documentation.")
    best = float(results[0]["match"])
    confidence = max(0.0, min(1.0, best - 0.12 * min(bugs, 3)))
    if confidence >= threshold:
        return Judgement("answered", confidence)
    if best < OUT_OF_SCOPE_MATCH and not bugs:
        return Judgement("declined", confidence, "Outside the scope of the documentation.")
    if bugs:
        return Judgement(
            "escalated",
            confidence,
            "Looks like a bug report the documentation does not cover.",
        )
    return Judgement(
        "escalated",
        confidence,
        f"The documentation does not clearly answer this (best match {best:.0%}).",
    )


def _summary(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= 600 else text[:600] + " …"


def _final(info: AgentInfo, **output: Any) -> ModelResponse:
    return ModelResponse(
        parts=[ToolCallPart(info.output_tools[0].name, output)], model_name=MODEL_NAME
    )


def offline_model(*, confidence_threshold: float) -> FunctionModel:
    """The deterministic responder, for the agent's model slot."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
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
            results = [r for r in returns["search_docs"] if isinstance(r, dict)]
            verdict = judge(question, results, confidence_threshold)
            if verdict.outcome == "answered":
                best = float(results[0]["match"])
                cited = [
                    r["path"]
                    for r in results
                    if float(r["match"]) >= max(confidence_threshold, 0.75 * best)
                ][:MAX_CITATIONS]
                return _final(
                    info,
                    answer=compose(question, results, cited),
                    citations=cited,
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
                    escalation_reason="",
                    confidence=round(verdict.confidence, 3),
                )
            return ModelResponse(
                parts=[
                    ToolCallPart(
                        "escalate_to_human",
                        {"reason": verdict.reason, "summary": _summary(question)},
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


__all__ = ["BUG_PATTERNS", "MODEL_NAME", "bug_signals", "compose", "judge", "offline_model"]
