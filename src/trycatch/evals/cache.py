"""Model responses cached for eval runs: a re-run of unchanged cases is free and the same.

The key is a hash of what the model is asked: its name, the messages (their content: the
instructions, the customer's words, tool calls and results — not timestamps or ids), the
model settings and the tool definitions, and the trycatch version (the offline responder
is code). Responses are kept in the ``eval_response_cache`` table; new ones are written
when the run is stored. ``CachingModel`` also meters every request of a case (requests,
cache hits, cost) for the runner.
"""

from __future__ import annotations

import hashlib
import json
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch import __version__
from trycatch.evals.models import CachedResponse
from trycatch.store import utcnow

_MESSAGE_KEYS = ("kind", "instructions")
_PART_KEYS = ("part_kind", "content", "tool_name", "args")


def _tools(definitions: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters_json_schema,
        }
        for tool in definitions
    ]


def request_key(
    model_name: str,
    messages: list[ModelMessage],
    model_settings: ModelSettings | None,
    parameters: ModelRequestParameters,
    *,
    salt: str = "",
) -> str:
    """The cache key of one model request."""
    dumped = ModelMessagesTypeAdapter.dump_python(messages, mode="json")
    content = [
        {
            **{k: message.get(k) for k in _MESSAGE_KEYS},
            "parts": [{k: p.get(k) for k in _PART_KEYS if k in p} for p in message["parts"]],
        }
        for message in dumped
    ]
    payload = {
        "trycatch": __version__,
        "model": model_name,
        "messages": content,
        "settings": dict(model_settings or {}),
        "function_tools": _tools(parameters.function_tools),
        "output_tools": _tools(parameters.output_tools),
        "instructions": [part.content for part in parameters.instruction_parts or []],
        "output_mode": parameters.output_mode,
        "allow_text_output": parameters.allow_text_output,
        "salt": salt,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(slots=True)
class Meter:
    """What one case's model requests took: counted by ``CachingModel``."""

    requests: int = 0
    cached: int = 0
    cost: float = 0.0
    judge_requests: int = 0


@dataclass(slots=True)
class CaseScope:
    """Per case (set by the runner in the worker): the meter, the repetition (part of the
    key, so repeated runs of a real model are not answered from the cache), and the
    worker's session (the cache is read through it: no second connection per worker)."""

    meter: Meter = field(default_factory=Meter)
    repetition: int = 0
    session: Session | None = None


SCOPE: ContextVar[CaseScope | None] = ContextVar("trycatch_eval_scope", default=None)
_UNPRICED: set[str] = set()


def response_cost(response: ModelResponse) -> float:
    """USD, from the provider's published prices (0 for models without one: offline, local)."""
    name = response.model_name or ""
    if not name or name in _UNPRICED:
        return 0.0
    try:
        price = response.cost().total_price
    except (LookupError, ValueError, AssertionError):
        _UNPRICED.add(name)
        return 0.0
    return float(price) if isinstance(price, Decimal | int | float) else 0.0


class ResponseCache:
    """Cached responses of one run: read from the database, new ones kept until stored."""

    def __init__(self, *, read: bool = True) -> None:
        self.read = read
        self.new: dict[str, tuple[str, str]] = {}
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def get(self, key: str, session: Session | None) -> ModelResponse | None:
        if not self.read:
            return None
        with self._lock:
            fresh = self.new.get(key)
        text = fresh[1] if fresh else None
        if text is None and session is not None:
            text = session.scalar(select(CachedResponse.response).where(CachedResponse.key == key))
        if text is None:
            return None
        message = ModelMessagesTypeAdapter.validate_json(text)[0]
        return message if isinstance(message, ModelResponse) else None

    def put(self, key: str, model_name: str, response: ModelResponse) -> None:
        text = ModelMessagesTypeAdapter.dump_json([response]).decode()
        with self._lock:
            self.new[key] = (model_name, text)

    def count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def store(self, session: Session) -> int:
        """Add the new responses to ``session`` (the run's transaction); how many."""
        if not self.new:
            return 0
        existing = set(
            session.scalars(
                select(CachedResponse.key).where(CachedResponse.key.in_(list(self.new)))
            )
        )
        added = 0
        for key, (model_name, text) in self.new.items():
            if key not in existing:
                session.add(
                    CachedResponse(
                        key=key, model=model_name[:200], response=text, created_at=utcnow()
                    )
                )
                added += 1
        return added


class CachingModel(WrapperModel):
    """A model answered from the cache when it can; every request metered for the case."""

    def __init__(self, wrapped: Model, cache: ResponseCache, *, judge: bool = False) -> None:
        super().__init__(wrapped)
        self.cache = cache
        self.judge = judge

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        scope = SCOPE.get()
        key = request_key(
            self.wrapped.model_name,
            messages,
            model_settings,
            model_request_parameters,
            salt=f"{'judge' if self.judge else 'agent'}:{scope.repetition if scope else 0}",
        )
        response = self.cache.get(key, scope.session if scope else None)
        hit = response is not None
        if response is None:
            response = await self.wrapped.request(
                messages, model_settings, model_request_parameters
            )
            self.cache.put(key, self.wrapped.model_name, response)
        self.cache.count(hit=hit)
        if scope is not None:
            meter = scope.meter
            if self.judge:
                meter.judge_requests += 1
            else:
                meter.requests += 1
                meter.cached += hit
                meter.cost += response_cost(response)
        return response


__all__ = [
    "SCOPE",
    "CachingModel",
    "CaseScope",
    "Meter",
    "ResponseCache",
    "request_key",
    "response_cost",
]
