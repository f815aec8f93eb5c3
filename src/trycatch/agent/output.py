"""What the agent returns: the typed output a model produces, and the reply we store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field


class AgentOutput(BaseModel):
    """The model's final answer (validated; citations are checked against what it saw)."""

    answer: str = Field(description="The reply to the customer, in Markdown.")
    citations: list[str] = Field(
        default_factory=list,
        description="Paths of the documents the answer is based on, as the tools returned them.",
    )
    outcome: Literal["answered", "escalated", "declined"] = Field(
        description="answered: the documents answer it; escalated: a human must; declined: "
        "out of scope or not allowed."
    )
    escalation_reason: str = Field(
        default="", description="Why a human must take over (when escalated)."
    )
    confidence: float = Field(
        ge=0, le=1, description="How sure the cited documents answer this exact question."
    )


@dataclass(frozen=True, slots=True)
class Citation:
    path: str
    title: str
    url: str

    def public(self) -> dict[str, str]:
        return {"path": self.path, "title": self.title, "url": self.url}


@dataclass(slots=True)
class AgentReply:
    """One answer as the channels see it (the ``trycatch ask --json`` contract)."""

    conversation_id: str
    message_id: int
    outcome: Literal["answered", "escalated", "declined"]
    answer: str
    citations: list[Citation]
    escalation_reason: str
    confidence: float
    prompt_version_id: int | None
    latency_ms: float
    tool_calls: list[dict[str, object]] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return self.outcome == "escalated"

    def public(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "answer": self.answer,
            "citations": [c.public() for c in self.citations],
            "escalated": self.escalated,
            "escalation_reason": self.escalation_reason,
            "confidence": round(self.confidence, 3),
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
        }


__all__ = ["AgentOutput", "AgentReply", "Citation"]
