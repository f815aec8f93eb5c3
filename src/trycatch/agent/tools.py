"""The agent's tools: search the docs, read a page, hand over to a human, custom HTTP tools.

Every call is recorded (name, arguments, outcome, time) for the conversation. Documents the
tools return are remembered per conversation: they are the only ones the agent may cite.
Document and tool text is returned as data inside fields, never as instructions.
"""

from __future__ import annotations

import functools
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

import httpx
from pydantic_ai import RunContext, Tool
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from trycatch.agent.signals import word_pairs
from trycatch.agent.toolspec import HttpTool
from trycatch.knowledge.analyzer import analyze, stem, words
from trycatch.knowledge.embeddings import Embedder
from trycatch.knowledge.indexing import index_for
from trycatch.knowledge.models import Chunk, Document, Source
from trycatch.knowledge.query import CHATTER, FOREIGN_FUNCTION_WORDS, idf, query_terms
from trycatch.knowledge.search import SearchHit, search

SEARCH_RESULTS = 5
PASSAGE_CHARS = 1500
# Other sections of a result's document that match, for answers that need more than one.
MORE_PASSAGES = 2
MORE_CHARS = 800
FOREIGN_SHARE = 0.1
CORE_SHARE = 0.25
FOREIGN_DISCOUNT = 8
DOCUMENT_CHARS = 12_000
RESULT_PREVIEW = 300
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)


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
    embedder: Embedder | None = None

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
    # Cached: passages repeat across questions, and analyzing is most of what this costs.
    present = word_pairs(text)[0]
    return sum(w for t, w in question_terms.items() if t in present) / total


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """What the index knows of a question: informative terms with IDF, and the unknown."""

    weights: dict[str, float]
    # IDF-weighted share of the question's own informative words that the index knows at
    # all: low for questions outside what the documentation talks about (1 for a question
    # in another language, whose words English docs cannot know).
    known_share: float
    # Whether the question uses the documentation's core words (the product, "email"):
    # in scope, whatever else it says.
    on_topic: bool = False


def question_terms(session: Session, text: str) -> QuestionTerms:
    """The informative terms of ``text`` (glossary translations included) with their IDF."""
    index = index_for(session)
    total = max(index.size(session), 1)
    seen: dict[str, int] = {}
    cached = _frequency_cache(session, total)

    def frequencies(terms: Sequence[str]) -> dict[str, int]:
        missing = [t for t in terms if t not in cached]
        if missing:
            found = index.document_frequencies(session, missing)
            if len(cached) < FREQUENCY_CACHE_SIZE:
                cached.update({t: found.get(t, 0) for t in missing})
        else:
            found = {}
        counts = {t: cached[t] if t in cached else found.get(t, 0) for t in terms}
        seen.update(counts)
        return {t: n for t, n in counts.items() if n}

    terms = query_terms(text, document_frequencies=frequencies, total=total)
    # Latin-script prose words only: CJK runs are bigrams the glossary handles.
    own = [
        t
        for t in dict.fromkeys(analyze(_CODE.sub(" ", text)))
        if t in seen and t not in CHATTER and len(t) > 2 and t.isascii() and not t.isdigit()
    ]
    script = _foreign_script(text)
    language = not script and _foreign_language(text)
    # By IDF: a word the docs never use is the most specific word of the question — less
    # so in another language, where most words are unknown to English docs anyway.
    unknown_idf = idf(0, total) / (FOREIGN_DISCOUNT if language else 1)
    mass = {t: idf(seen[t], total) if seen[t] else unknown_idf for t in own}
    total_mass = sum(mass.values())
    known = sum(w for t, w in mass.items() if seen[t])
    # The documentation's own core words (in most of its sections: the product, "email")
    # put a question in scope whatever else it says; in another language, one is enough.
    core = [t for t in own if seen[t] >= CORE_SHARE * total]
    on_topic = (
        any(seen[t] >= 2 * CORE_SHARE * total for t in core)
        or len(core) >= 2
        or (language and bool(core))
    )
    if script or not total_mass:
        # A message in CJK script has few words to count; the glossary searches for it.
        known, total_mass = 1.0, 1.0
    return QuestionTerms(weights=dict(terms.idf), known_share=known / total_mass, on_topic=on_topic)


def _foreign_script(text: str) -> bool:
    """Whether ``text`` is mostly written in another script (Chinese, Japanese, Korean…)."""
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if not c.isascii()) >= FOREIGN_SHARE * max(len(letters), 1)


def _foreign_language(text: str) -> bool:
    """Whether ``text`` is in another language written in Latin script (its function words)."""
    tokens = [_unaccented(stem(w)) for w in words(text)]
    foreign = sum(1 for t in tokens if t in _FUNCTION_WORDS)
    return foreign >= max(2, FOREIGN_SHARE * len(tokens))


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


# Customers drop accents ("como" for "cómo"): both spellings count.
_FUNCTION_WORDS = FOREIGN_FUNCTION_WORDS | {_unaccented(w) for w in FOREIGN_FUNCTION_WORDS}


# Per engine: the index size they were counted at, and each term's document frequency
# (0 for words the docs never use). Questions share most of their words; the index's own
# cache keeps only common terms, and a rare or unknown term costs a query each time.
_FREQUENCIES: WeakKeyDictionary[Engine, tuple[int, dict[str, int]]] = WeakKeyDictionary()
FREQUENCY_CACHE_SIZE = 50_000


def _frequency_cache(session: Session, total: int) -> dict[str, int]:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, (Engine, Connection)) else None
    if engine is None:
        return {}
    entry = _FREQUENCIES.get(engine)
    if entry is None or entry[0] != total:
        # The index changed: counts start over.
        entry = _FREQUENCIES[engine] = (total, {})
    return entry[1]


def _sections_of(
    session: Session, hits: Sequence[SearchHit], terms: dict[str, float]
) -> tuple[dict[int, str], dict[int, list[tuple[float, str, str]]]]:
    """The text of each hit's passage, and per document its other sections that hold
    question terms, best first (one query for all)."""
    rows = session.execute(
        select(Chunk.document_id, Chunk.id, Chunk.heading_path, Chunk.text)
        .where(Chunk.document_id.in_([hit.document_id for hit in hits]))
        .order_by(Chunk.document_id, Chunk.position)
    ).all()
    shown = {hit.chunk_id for hit in hits}
    passages: dict[int, str] = {}
    others: dict[int, list[tuple[float, str, str]]] = {}
    for document_id, chunk_id, heading, text in rows:
        if chunk_id in shown:
            passages[chunk_id] = text
            continue
        match = coverage(terms, f"{heading}\n{text}")
        if match > 0:
            others.setdefault(document_id, []).append((match, heading, text))
    for sections in others.values():
        sections.sort(key=lambda item: -item[0])
    return passages, others


def search_docs(ctx: RunContext[AgentDeps], query: str) -> list[dict[str, Any]]:
    """Search the documentation, knowledge base and code examples.

    Returns the best matching documents, each with its path (cite it), title, url, the
    section and the passage that matched, up to two more matching sections of the same
    document, `matched`: the query's informative words (stemmed, translated to English)
    found there, and `match`: their IDF-weighted share of the query's (0 to 1). `known` is
    the share of the query's own words that appear anywhere in the documentation: low means
    the question is about something the documentation does not cover, unless `on_topic`
    (the query uses the documentation's core words).
    """
    started = time.perf_counter()
    deps = ctx.deps
    hits = search(deps.session, query, limit=SEARCH_RESULTS, embedder=deps.embedder)
    terms = question_terms(deps.session, query)
    weights = terms.weights
    passages, others = _sections_of(deps.session, hits, weights) if hits else ({}, {})
    results: list[dict[str, Any]] = []
    for hit in hits:
        text = passages.get(hit.chunk_id, hit.snippet)
        more = [
            {"section": heading, "text": body[:MORE_CHARS]}
            for _, heading, body in others.get(hit.document_id, [])[:MORE_PASSAGES]
        ]
        evidence = "\n".join(
            [hit.title, hit.heading_path, text, *(f"{m['section']}\n{m['text']}" for m in more)]
        )
        results.append(
            {
                "path": hit.path,
                "title": hit.title,
                "url": hit.url,
                "section": hit.heading_path,
                "passage": text[:PASSAGE_CHARS],
                "more": more,
                "score": round(hit.score, 3),
                "match": round(coverage(weights, evidence), 3),
                "matched": [t for t in weights if t in word_pairs(evidence)[0]],
                "known": round(terms.known_share, 3),
                "on_topic": terms.on_topic,
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


def _in_loop(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a coroutine, so the agent runs it in its loop, not a worker thread.

    The built-in tools are short database reads on the caller's session; a thread hop per
    call costs more than the call and moves the session to another thread.
    """

    @functools.wraps(function)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return call


def agent_tools(enabled: Sequence[str], http_tools: Sequence[HttpTool]) -> list[Tool[AgentDeps]]:
    """The built-in tools the prompt version enables, plus every custom HTTP tool
    (declaring a tool in tools.yaml is what makes it available)."""
    tools: list[Tool[AgentDeps]] = [
        Tool(_in_loop(BUILTIN_TOOLS[name]), takes_ctx=True)
        for name in enabled
        if name in BUILTIN_TOOLS
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
    "question_terms",
    "read_document",
    "search_docs",
]
