"""The agent's tools: search the docs, read a page, hand over to a human, custom HTTP tools.

Every call is recorded (name, arguments, outcome, time) for the conversation. Documents the
tools return are remembered per conversation: they are the only ones the agent may cite.
Document and tool text is returned as data inside fields, never as instructions.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from pydantic_ai import RunContext, Tool
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.toolspec import HttpTool
from trycatch.knowledge.analyzer import analyze
from trycatch.knowledge.indexing import index_for
from trycatch.knowledge.models import Chunk, Document, Source
from trycatch.knowledge.query import CHATTER, idf
from trycatch.knowledge.search import search

SEARCH_RESULTS = 5
PASSAGE_CHARS = 1500
DOCUMENT_CHARS = 12_000
RESULT_PREVIEW = 300


@dataclass(frozen=True, slots=True)
class SeenDocument:
    path: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """Who is asking; custom tools only ever see this customer."""

    id: int | None = None
    email: str | None = None
    external_id: str | None = None

    def header(self) -> str:
        return self.external_id or self.email or (str(self.id) if self.id else "anonymous")


@dataclass(slots=True)
class EscalationRequest:
    reason: str
    summary: str


@dataclass(slots=True)
class AgentDeps:
    """Per-answer state the tools share with the service."""

    session: Session
    customer: CustomerContext = field(default_factory=CustomerContext)
    http_tools: dict[str, HttpTool] = field(default_factory=dict)
    http_client: httpx.Client | None = None
    seen: dict[str, SeenDocument] = field(default_factory=dict)
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    escalation: EscalationRequest | None = None
    tool_failure: str | None = None

    def record(
        self, name: str, args: dict[str, Any], *, ok: bool, result: str, started: float
    ) -> None:
        self.tool_calls.append(
            {
                "name": name,
                "args": args,
                "ok": ok,
                "result": result[:RESULT_PREVIEW],
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
        )


def coverage(question_terms: dict[str, float], text: str) -> float:
    """IDF-weighted share of the question's terms found in ``text`` (0..1)."""
    total = sum(question_terms.values())
    if total <= 0:
        return 0.0
    present = set(analyze(text))
    return sum(w for t, w in question_terms.items() if t in present) / total


def weighted_terms(session: Session, text: str) -> dict[str, float]:
    """The informative terms of ``text`` with their IDF in the current index."""
    index = index_for(session)
    terms = [t for t in dict.fromkeys(analyze(text)) if t not in CHATTER]
    frequencies = index.document_frequencies(session, terms)
    total = max(index.size(session), 1)
    return {t: idf(frequencies.get(t, 0), total) for t in terms if frequencies.get(t, 0) > 0}


def search_docs(ctx: RunContext[AgentDeps], query: str) -> list[dict[str, Any]]:
    """Search the documentation, knowledge base and code examples.

    Returns the best matching documents, each with its path (cite it), title, url, the
    section and the passage that matched, and `match`: the share of the query's informative
    words found in that document (0 to 1).
    """
    started = time.perf_counter()
    deps = ctx.deps
    hits = search(deps.session, query, limit=SEARCH_RESULTS)
    terms = weighted_terms(deps.session, query)
    results: list[dict[str, Any]] = []
    for hit in hits:
        passage = deps.session.get(Chunk, hit.chunk_id)
        text = passage.text if passage is not None else hit.snippet
        match = coverage(terms, f"{hit.title}\n{hit.heading_path}\n{text}")
        results.append(
            {
                "path": hit.path,
                "title": hit.title,
                "url": hit.url,
                "section": hit.heading_path,
                "passage": text[:PASSAGE_CHARS],
                "score": round(hit.score, 3),
                "match": round(match, 3),
            }
        )
        deps.seen.setdefault(hit.path, SeenDocument(hit.path, hit.title, hit.url))
    deps.retrieved.extend(
        {k: r[k] for k in ("path", "title", "url", "section", "score", "match")} for r in results
    )
    deps.record(
        "search_docs",
        {"query": query},
        ok=True,
        result=", ".join(r["path"] for r in results) or "no results",
        started=started,
    )
    return results


def read_document(ctx: RunContext[AgentDeps], path: str) -> dict[str, Any]:
    """Read one whole document by its path (as returned by search_docs)."""
    started = time.perf_counter()
    deps = ctx.deps
    row = deps.session.execute(
        select(Document).join(Source).where(Document.path == path).order_by(Document.id).limit(1)
    ).scalar_one_or_none()
    if row is None:
        deps.record("read_document", {"path": path}, ok=True, result="not found", started=started)
        return {"error": f"no document at path {path!r}; use a path from search_docs"}
    deps.seen.setdefault(row.path, SeenDocument(row.path, row.title, row.url))
    deps.record("read_document", {"path": path}, ok=True, result=row.title, started=started)
    return {
        "path": row.path,
        "title": row.title,
        "url": row.url,
        "content": row.body[:DOCUMENT_CHARS],
    }


def escalate_to_human(ctx: RunContext[AgentDeps], reason: str, summary: str) -> str:
    """Hand the conversation to a human. Give the reason and a summary an engineer can act on
    (what the customer tried, what fails, since when, the exact error)."""
    started = time.perf_counter()
    ctx.deps.escalation = EscalationRequest(reason=reason.strip(), summary=summary.strip())
    ctx.deps.record(
        "escalate_to_human", {"reason": reason}, ok=True, result="handed over", started=started
    )
    return "A human from the support team will take over. Tell the customer so, briefly."


class ToolFailedError(RuntimeError):
    """A custom tool failed; the answer escalates with this message as the reason."""


def _http_tool(spec: HttpTool) -> Tool[AgentDeps]:
    placeholders = set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", spec.url))

    def call(ctx: RunContext[AgentDeps], **arguments: Any) -> Any:
        started = time.perf_counter()
        deps = ctx.deps
        url = spec.url
        for name in placeholders:
            url = url.replace("{" + name + "}", quote(str(arguments.get(name, "")), safe=""))
        rest = {k: v for k, v in arguments.items() if k not in placeholders}
        headers = {**spec.resolved_headers(), "X-Trycatch-Customer": deps.customer.header()}
        client = deps.http_client or httpx.Client()
        try:
            response = client.request(
                spec.method,
                url,
                params=rest if spec.method in {"GET", "DELETE"} else None,
                json=rest if spec.method not in {"GET", "DELETE"} else None,
                headers=headers,
                timeout=spec.timeout_seconds,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            message = f"tool {spec.name} failed: {type(error).__name__}: {error}"
            deps.tool_failure = message
            deps.record(spec.name, arguments, ok=False, result=message, started=started)
            raise ToolFailedError(message) from error
        finally:
            if deps.http_client is None:
                client.close()
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:DOCUMENT_CHARS]
        deps.record(spec.name, arguments, ok=True, result=str(body), started=started)
        return {"data": body}

    return Tool.from_schema(
        call,
        name=spec.name,
        description=spec.description,
        json_schema=spec.parameters,
        takes_ctx=True,
    )


BUILTIN_TOOLS: dict[str, Callable[..., Any]] = {
    "search_docs": search_docs,
    "read_document": read_document,
    "escalate_to_human": escalate_to_human,
}


def agent_tools(enabled: Sequence[str], http_tools: Sequence[HttpTool]) -> list[Tool[AgentDeps]]:
    """The built-in tools the prompt version enables, plus every custom HTTP tool
    (declaring a tool in tools.yaml is what makes it available)."""
    tools: list[Tool[AgentDeps]] = [
        Tool(BUILTIN_TOOLS[name], takes_ctx=True) for name in enabled if name in BUILTIN_TOOLS
    ]
    tools += [_http_tool(spec) for spec in http_tools]
    return tools


__all__ = [
    "BUILTIN_TOOLS",
    "AgentDeps",
    "CustomerContext",
    "EscalationRequest",
    "SeenDocument",
    "ToolFailedError",
    "agent_tools",
    "coverage",
    "escalate_to_human",
    "read_document",
    "search_docs",
    "weighted_terms",
]
