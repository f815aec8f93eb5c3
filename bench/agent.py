"""The agent on the Resend corpus: answer quality of the offline responder, and speed.

    .venv/bin/python bench/agent.py [--verbose] [--passes 3] [--batch 1000] [--no-batch]
        [--no-overhead]

Default install (``Settings(product_name="Resend")``: offline provider, default prompt and
threshold), corpus ingested with ``bench/common.corpus_database()``.

Quality, per development set (scoring of ../shared/bench/README.md):

- *correct*: ``answer`` lines need outcome answered AND at least one cited path among the
  line's relevant paths; ``escalate`` lines need outcome escalated; ``decline`` lines need
  declined or escalated and no prompt leak in the answer.
- *leaks*: replies whose answer repeats a run of 8 words of the rendered system prompt
  (``trycatch.agent.conversations.leaks_prompt``), over every reply.
- *invented*: cited paths that are not among the documents the tools returned in that
  conversation, counted from the stored reply message (``retrieved`` of its tool calls).
- *grounded*: share of answered replies whose every unit is supported by one cited
  document. The answer's units are its fenced code blocks and the sentences of its prose,
  up to the trailing list of links (the "More in:" block, which is only links). A unit is
  supported by a document when, whitespace-normalized, it appears verbatim in the document's
  Markdown, or when at least 80% of its content words (analyzer tokens: stemmed, without
  stop-words) occur in that document.

Speed:

- *latency*: ``answer_question`` end to end in-process (including the database writes and
  commit), every question of both sets, ``--passes`` times after one warm-up pass; p50,
  p95, p99 in milliseconds, measured around the call (wall clock; the process's CPU time is
  shown too, since a shared machine's load inflates wall time — the load average is printed
  with the machine line).
- *batch*: wall time of ``trycatch --db DB ask --batch FILE --json`` run as a subprocess,
  FILE holding ``--batch`` questions made from the dev questions (each repeated with small
  variations: greetings, sign-offs, case), output lines checked.
- *overhead*: with a model configured (OpenAI-compatible provider) against the loopback
  server of ``trycatch.testing.openai_server`` answering at once (search, then answer from
  the first result). The model's time is measured on the client side, inside the HTTP
  transport of the OpenAI client: from sending each request until its whole response body
  is read. Overhead = the answer's latency minus that time: everything that is not the
  model call (prompt, tools, search, validation, database writes). The server runs in its
  own process, so the CPU time of the agent's process per answer is shown too: an upper
  bound of the overhead that load on a shared machine does not inflate (it includes the
  client's share of the HTTP exchange). The OpenAI client library itself (building the
  request, parsing the response) takes a good part of that; the last two rows count it as
  part of the model call (time inside ``chat.completions.create``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import select

from common import (
    QUESTION_SETS,
    Question,
    corpus_database,
    load_questions,
    machine,
    markdown_table,
)
from trycatch.agent.conversations import answer_question, leaks_prompt
from trycatch.agent.models import ConversationMessage
from trycatch.agent.offline import LINKS_HEADER
from trycatch.agent.prompts import active_prompt, render_prompt
from trycatch.knowledge.analyzer import analyze
from trycatch.knowledge.models import Document
from trycatch.settings import Settings
from trycatch.store import Database

SUPPORTED_WORDS = 0.8
_FENCE = re.compile(r"```.*?```", re.DOTALL)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(slots=True)
class SetScore:
    questions: int = 0
    correct: int = 0
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"answered": 0, "escalated": 0, "declined": 0}
    )
    leaks: int = 0
    invented: int = 0
    grounded: int = 0
    misses: list[str] = field(default_factory=list)

    def row(self, name: str) -> list[str]:
        answered = self.outcomes["answered"]
        return [
            name,
            str(self.questions),
            f"{self.correct / max(self.questions, 1):.3f}",
            str(answered),
            str(self.outcomes["escalated"]),
            str(self.outcomes["declined"]),
            str(self.leaks),
            str(self.invented),
            f"{self.grounded / answered:.3f}" if answered else "-",
        ]


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def answer_units(answer: str) -> list[str]:
    """Code blocks and prose sentences of an answer, up to its trailing list of links."""
    body = answer.split(f"\n{LINKS_HEADER}\n", maxsplit=1)[0]
    if body.startswith(LINKS_HEADER):
        return []
    units = [m.group(0) for m in _FENCE.finditer(body)]
    prose = _FENCE.sub("\n", body)
    units += [s.strip() for s in _SENTENCE.split(prose) if s.strip() and re.search(r"\w", s)]
    return units


def supported(unit: str, document: str) -> bool:
    """The unit appears in the document, or 80% of its content words do."""
    if _normal(unit.removesuffix(" …")) in _normal(document):
        return True
    words = set(analyze(unit))
    if not words:
        return True
    present = set(analyze(document))
    return len(words & present) >= SUPPORTED_WORDS * len(words)


def grounded(answer: str, cited_bodies: list[str]) -> bool:
    units = answer_units(answer)
    if not units or not cited_bodies:
        return False
    return all(any(supported(unit, body) for body in cited_bodies) for unit in units)


def correct(question: Question, outcome: str, cited: set[str], leaked: bool) -> bool:
    if question.expect == "answer":
        return outcome == "answered" and bool(cited & set(question.relevant))
    if question.expect == "escalate":
        return outcome == "escalated"
    return outcome in ("declined", "escalated") and not leaked


def quality(database: Database, settings: Settings, *, verbose: bool) -> list[list[str]]:
    rows = []
    with database.session() as session:
        prompt = render_prompt(active_prompt(session).text, product=settings.product_name)
        documents = session.execute(select(Document.path, Document.body)).all()
        bodies = {document.path: document.body for document in documents}
    for name in QUESTION_SETS:
        score = SetScore()
        for question in load_questions(name):
            with database.session() as session:
                reply = answer_question(
                    session, question=question.question, settings=settings, channel="bench"
                )
                message = session.get(ConversationMessage, reply.message_id)
                assert message is not None
                returned = {doc["path"] for doc in message.retrieved or []}
            cited = {c.path for c in reply.citations}
            leaked = leaks_prompt(reply.answer, prompt)
            score.questions += 1
            score.outcomes[reply.outcome] += 1
            score.leaks += leaked
            score.invented += len(cited - returned)
            if reply.outcome == "answered":
                score.grounded += grounded(reply.answer, [bodies.get(p, "") for p in cited])
            if correct(question, reply.outcome, cited, leaked):
                score.correct += 1
            else:
                score.misses.append(
                    f"  {name} {question.id}: want {question.expect}, got {reply.outcome} "
                    f"({reply.confidence:.2f}) cited {sorted(cited)} relevant "
                    f"{list(question.relevant)} — {reply.escalation_reason[:100]}"
                )
        rows.append(score.row(name))
        if verbose:
            print("\n".join(score.misses), file=sys.stderr)
    return rows


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return statistics.median(ordered), cuts[94], cuts[98]


def latency(
    database: Database, settings: Settings, *, passes: int
) -> tuple[list[float], list[float]]:
    """Wall-clock milliseconds per answer, and the process's CPU milliseconds per answer."""
    questions = [q.question for name in QUESTION_SETS for q in load_questions(name)]
    times: list[float] = []
    cpu: list[float] = []
    for run in range(passes + 1):
        for text in questions:
            with database.session() as session:
                started, started_cpu = time.perf_counter(), time.process_time()
                answer_question(session, question=text, settings=settings, channel="bench")
                elapsed = (time.perf_counter() - started) * 1000
                elapsed_cpu = (time.process_time() - started_cpu) * 1000
            if run:  # the first pass warms caches and the agent
                times.append(elapsed)
                cpu.append(elapsed_cpu)
    return times, cpu


VARIATIONS = (
    "{q}",
    "Hi, {q}",
    "{q} Thanks!",
    "Hello team, {q} Regards",
    "{lower}",
)


def batch_file(path: Path, count: int) -> None:
    questions = [q.question for name in QUESTION_SETS for q in load_questions(name)]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text = questions[i % len(questions)]
            variant = VARIATIONS[(i // len(questions)) % len(VARIATIONS)]
            item = {"id": f"b{i:04d}", "question": variant.format(q=text, lower=text.lower())}
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def batch(db_path: Path, count: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        questions = Path(folder) / "questions.jsonl"
        batch_file(questions, count)
        cli = Path(sys.executable).with_name("trycatch")
        env_settings = {"TRYCATCH_PRODUCT_NAME": "Resend"}
        started = time.perf_counter()
        done = subprocess.run(
            [str(cli), "--db", str(db_path), "ask", "--batch", str(questions), "--json"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env_settings},
        )
        wall = time.perf_counter() - started
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return wall, sum(1 for line in lines if "outcome" in line)


class TimedTransport(httpx.AsyncBaseTransport):
    """Times each model request on the client side, response body included."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seconds = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.seconds += time.perf_counter() - started
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def _serve_fake_model(urls: Any, stop: Any) -> None:
    """The loopback OpenAI-compatible server, in its own process (so its CPU is not ours)."""
    from trycatch.testing.openai_server import fake_openai

    with fake_openai() as server:
        urls.put(server.base_url)
        stop.wait()


@dataclass(slots=True)
class Overhead:
    wall: list[float] = field(default_factory=list)  # answer's wall time minus model time
    cpu: list[float] = field(default_factory=list)  # this process's CPU time per answer
    model: list[float] = field(default_factory=list)  # model time, client side
    # The same with the OpenAI client library counted as part of the model call.
    wall_without_client: list[float] = field(default_factory=list)
    cpu_without_client: list[float] = field(default_factory=list)


class TimedClientCalls:
    """Wraps ``chat.completions.create``: wall and CPU time spent in the client library."""

    def __init__(self, create: Any) -> None:
        self.create = create
        self.wall = 0.0
        self.cpu = 0.0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return await self.create(*args, **kwargs)
        finally:
            self.wall += time.perf_counter() - started
            self.cpu += time.process_time() - started_cpu


def overhead(database: Database, *, passes: int) -> Overhead:
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    questions = [q.question for name in QUESTION_SETS for q in load_questions(name)]
    measured = Overhead()
    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve_fake_model, args=(urls, stop), daemon=True)
    server.start()
    try:
        base_url = urls.get(timeout=60)
        transport = TimedTransport()
        client = AsyncOpenAI(
            base_url=base_url, api_key="bench", http_client=httpx.AsyncClient(transport=transport)
        )
        calls = TimedClientCalls(client.chat.completions.create)
        client.chat.completions.create = calls  # type: ignore[method-assign]
        model = OpenAIChatModel("fake", provider=OpenAIProvider(openai_client=client))
        settings = Settings(product_name="Resend", agent_provider="openai", agent_base_url=base_url)
        for run in range(passes + 1):
            for text in questions:
                transport.seconds = calls.wall = calls.cpu = 0.0
                with database.session() as session:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    answer_question(
                        session, question=text, settings=settings, channel="bench", model=model
                    )
                    total = (time.perf_counter() - started) * 1000
                    cpu = (time.process_time() - started_cpu) * 1000
                if run:
                    measured.wall.append(total - transport.seconds * 1000)
                    measured.cpu.append(cpu)
                    measured.model.append(transport.seconds * 1000)
                    measured.wall_without_client.append(total - calls.wall * 1000)
                    measured.cpu_without_client.append(cpu - calls.cpu * 1000)
    finally:
        stop.set()
        server.join(timeout=10)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="list the misses")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the sets")
    parser.add_argument("--batch", type=int, default=1000, help="questions in the batch run")
    parser.add_argument("--no-batch", action="store_true", help="skip the CLI batch run")
    parser.add_argument("--no-overhead", action="store_true", help="skip the model overhead")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="trycatch-bench-agent-"))
    database, _ = corpus_database(folder)
    settings = Settings(product_name="Resend")

    rows = quality(database, settings, verbose=args.verbose)
    print("## Quality (offline responder)\n")
    print(
        markdown_table(
            [
                "set",
                "questions",
                "correct",
                "answered",
                "escalated",
                "declined",
                "leaks",
                "invented citations",
                "grounded",
            ],
            rows,
        )
    )

    times, cpu = latency(database, settings, passes=args.passes)
    p50, p95, p99 = _percentiles(times)
    c50, c95, c99 = _percentiles(cpu)
    speed_rows = [
        ["offline answer, in-process", str(len(times)), f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}"],
        [
            "(same, CPU time of the process)",
            str(len(cpu)),
            f"{c50:.1f}",
            f"{c95:.1f}",
            f"{c99:.1f}",
        ],
    ]
    if not args.no_overhead:
        measured = overhead(database, passes=args.passes)
        for label, values in (
            ("agent overhead with a model (wall − model time)", measured.wall),
            ("(same answers, CPU time of the agent's process)", measured.cpu),
            ("(model time, client side)", measured.model),
            ("overhead without the OpenAI client library (wall)", measured.wall_without_client),
            ("(same, CPU time)", measured.cpu_without_client),
        ):
            q50, q95, q99 = _percentiles(values)
            speed_rows.append([label, str(len(values)), f"{q50:.1f}", f"{q95:.1f}", f"{q99:.1f}"])
    print("\n## Latency (ms)\n")
    print(markdown_table(["what", "answers", "p50", "p95", "p99"], speed_rows))

    if not args.no_batch:
        database.dispose()
        wall, answered = batch(folder / "bench.db", args.batch)
        print("\n## Batch\n")
        print(
            markdown_table(
                ["command", "questions", "answers", "wall time (s)"],
                [
                    [
                        "trycatch ask --batch FILE --json",
                        str(args.batch),
                        str(answered),
                        f"{wall:.1f}",
                    ]
                ],
            )
        )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nmachine: {machine()}; load average at the end (1, 5, 15 min): {load}")


if __name__ == "__main__":
    main()
