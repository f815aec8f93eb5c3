"""Deterministic rules that decide before any model does: hand over, or decline.

They run in front of every provider (the offline responder and real models alike), so
policy does not depend on a model following its prompt: a customer who asks for a human
gets one; questions about their own account, money or data go to staff; attempts to
extract the prompt or other customers' data are declined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class Route(StrEnum):
    ESCALATE = "escalate"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class Decision:
    route: Route
    intent: str
    reason: str


# Each intent: patterns (case-insensitive regexes, several languages) and the reason staff see.
DEFAULT_INTENTS: dict[str, tuple[str, list[str]]] = {
    "human": (
        "The customer asked for a human.",
        [
            r"\b(talk|speak|chat)\s+(to|with)\s+(a\s+)?(real\s+)?(human|person|someone|agent|"
            r"support|engineer|representative|people)\b",
            r"\b(real|actual|live)\s+(human|person|agent)\b",
            r"\bhuman\s+(please|agent|support)\b",
            r"\b(don'?t|do not)\s+want\s+(to\s+talk\s+to\s+)?(a\s+)?(bot|ai|robot)\b",
            r"\bescalate\b",
            r"\bopen\s+a\s+(support\s+)?ticket\b",
            r"人工|真人|客服人员",
        ],
    ),
    "investigate": (
        "The customer asks staff to look into their own account or resource.",
        [
            r"\b(check|look\s+into|investigate|look\s+at)\b.{0,30}\b(on\s+)?your\s+(side|end)\b",
            r"\b(can|could)\s+you\s+(please\s+)?(check|look\s+into|investigate)\b.{0,40}"
            r"\b(my|our)\s+(account|domain|team|emails?|api\s+key|logs?)\b",
        ],
    ),
    "billing": (
        "Billing on the customer's own account (charges, refunds, invoices, payment).",
        [
            r"\brefund",
            r"\bcharged?\b.{0,80}\b(twice|double|wrong|again|incorrect)",
            r"\b(double|duplicate)\s+charge",
            r"\bchargeback\b",
            r"\b(we|i)\s+(were|was|got|have\s+been|'ve\s+been)\s+(charged|billed)\b",
            r"\b(my|our)\s+(invoice|bill|payment|card|subscription)s?\b.{0,80}\b(wrong|incorrect|"
            r"fail|declin|cancel|change)",
            r"\bcancel\s+(my|our)\s+(plan|subscription|account)\b",
            r"退款|扣费|重复扣款",
        ],
    ),
    "account_limits": (
        "A change to the customer's own limits or quota.",
        [
            r"\b(raise|increase|bump|lift|extend|higher)\b.{0,40}\b(limit|quota|cap|rate)",
            r"\b(limit|quota)\s+(increase|raise|extension)\b",
        ],
    ),
    "suspension": (
        "The customer's account was suspended, blocked or banned.",
        [
            # "our team was ...", not a greeting ("Hello team, why was my endpoint disabled?").
            r"\b(my|our|the|this|a)\s+(account|workspace|team)\b.{0,40}\b(suspend|block|ban|"
            r"disabl|deactivat|terminat|lock)",
            r"\baccount\s+(was\s+|is\s+|got\s+|has\s+been\s+|have\s+been\s+)?(suspend|block|"
            r"ban|disabl|deactivat|terminat|lock)",
            r"\b(suspend|ban|block|deactivat)\w*\b.{0,30}\b(my|our)\s+(account|workspace|team)",
            r"\b(my|our)\s+(account|sending)\b.{0,30}\b(paused|restricted|on\s+hold|under\s+review)",
            r"封号|封號|封禁|被封|解封|停权|停權",
        ],
    ),
    "data_deletion": (
        "A request to delete the customer's data or account.",
        [
            r"\b(delete|erase|remove|purge|wipe)\b.{0,40}\b(my|our|all)\b.{0,30}\b(data|account|"
            r"personal|information|records)",
            r"\bright\s+to\s+(be\s+forgotten|erasure)\b",
        ],
    ),
    "legal": (
        "A legal or privacy request (GDPR, DPA, subpoena, law enforcement).",
        # Requests and legal threats, not questions: "where is your DPA?" is for the docs.
        [
            r"\b(under|per|pursuant\s+to|according\s+to)\s+(the\s+)?(gdpr|ccpa|dsgvo|lgpd)\b",
            r"\b(gdpr|ccpa|dsgvo|lgpd)\b.{0,60}\b(request|delet|eras|export|access\s+to|copy\s+of)",
            r"\b(request|demand|exercise)\w*\b.{0,60}\b(gdpr|ccpa|dsgvo|lgpd)\b",
            r"\b(subpoena|lawsuit|sue\s+you|legal\s+action|court\s+order|cease\s+and\s+desist)\b",
            r"\bdata\s+subject\s+(access\s+)?request\b",
        ],
    ),
    "security_incident": (
        "A possible security incident on the customer's account.",
        [
            r"\b(hacked|compromised|breach|unauthori[sz]ed\s+(access|login|use))\b",
        ],
    ),
}

# Attempts to change the agent's instructions, extract them, or reach other customers' data.
ATTACK_PATTERNS: Sequence[str] = (
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|prompt|rule|"
    r"guideline|direction|polic)",
    r"\b(system|hidden|initial|original|developer)\s+(prompt|instruction|message)",
    r"\b(print|show|reveal|repeat|display|output|dump|leak|tell\s+me|give\s+me|what\s+(is|are|"
    r"were))\b.{0,40}\b(your|the)\s+(prompt|instructions|rules|configuration|config|settings|"
    r"system\s+message)",
    r"\b(api[\s_-]?keys?|secret|token|password|credential|env(ironment)?\s+variables?)\b.{0,40}"
    r"\b(of\s+)?(your|the\s+server|trycatch|the\s+agent|configured)\b",
    # "Print your API key", "dump the server's environment variables".
    r"\b(print|show|reveal|dump|display|output|leak|list|give\s+me|tell\s+me|send\s+me)\b.{0,20}"
    r"\b(your|the\s+server'?s?|trycatch'?s?|the\s+agent'?s?|the\s+bot'?s?)\s+(own\s+)?"
    r"(api[\s_-]?keys?|secrets?|tokens?|passwords?|credentials?|env(ironment)?\s+variables?|"
    r"\.env)",
    r"\byou\s+are\s+now\b",
    r"\b(developer|god|jailbreak|dan)\s+mode\b",
    r"\bpretend\s+(to\s+be|you\s+are)\b",
    r"\bact\s+as\s+(if|an?|my)\b",
    r"\brole[\s-]?play\b",
    r"\b(other|another|all|every)\s+(customer|user|account|client)s?'?\b.{0,40}\b(data|email|"
    r"address|key|ticket|account|message|conversation|detail|information)",
    # "the email addresses of other customers" (the data named first).
    r"\b(data|e-?mails?|e-?mail\s+address(es)?|addresses|phone\s+numbers?|api\s+keys?|tickets?|"
    r"accounts?|messages|conversations|details|information|names)\b.{0,30}\b(of|from|for|belonging\s+to)"
    r"\s+(the\s+)?(other|another)\s+(customer|user|account|client|compan(y|ies)|team)s?\b",
    r"\bwhat\s+did\s+(the\s+)?(previous|last|other)\s+(user|customer|person)\b",
    r"\brepeat\s+(everything|the\s+text|all)\s+(above|before)\b",
    r"\b(forget|ignore|disregard)\s+(everything|all|anything)\s+(above|before|earlier|you\s+(were|have\s+been)\s+told)",
    r"\b(new|updated|real)\s+instructions?\s*:",
    r"\bbegin\s+your\s+(reply|answer)\s+with\b",
    r"忽略.{0,10}(指令|提示|说明)|系统提示",
)


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]


def compile_intents(overrides: Mapping[str, Sequence[str]] | None = None) -> list[Intent]:
    """The default intents, with ``overrides`` replacing or adding intents by name."""
    key = tuple((name, tuple(patterns)) for name, patterns in (overrides or {}).items())
    return list(_compiled(key))


@lru_cache(maxsize=64)
def _compiled(overrides: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[Intent, ...]:
    # Every answer asks for the intents of its settings; compile each set once.
    intents: dict[str, tuple[str, Sequence[str]]] = dict(DEFAULT_INTENTS)
    for name, patterns in overrides:
        reason = intents.get(name, (f"Matched the escalation intent '{name}'.", []))[0]
        intents[name] = (reason, patterns)
    return tuple(
        Intent(name, reason, tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in patterns))
        for name, (reason, patterns) in intents.items()
        if patterns
    )


_ATTACKS = tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in ATTACK_PATTERNS)


def is_attack(text: str) -> bool:
    return any(pattern.search(text) for pattern in _ATTACKS)


def decide(text: str, intents: Sequence[Intent]) -> Decision | None:
    """Decline an attack; escalate a policy intent; None lets the agent answer."""
    if is_attack(text):
        return Decision(
            Route.DECLINE, "attack", "Asked to change or reveal the agent's instructions or data."
        )
    for intent in intents:
        if any(pattern.search(text) for pattern in intent.patterns):
            return Decision(Route.ESCALATE, intent.name, intent.reason)
    return None


__all__ = [
    "ATTACK_PATTERNS",
    "DEFAULT_INTENTS",
    "Decision",
    "Intent",
    "Route",
    "compile_intents",
    "decide",
    "is_attack",
]
