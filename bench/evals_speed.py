"""Eval suite speed: 500 cases, offline responder and a model behind 200 ms of latency.

    .venv/bin/python bench/evals_speed.py [--cases 500] [--delay 0.2] [--concurrency 16]
        [--no-write]

The suite is generated from the shipped suite (``src/trycatch/sample/evals``) and the
sample help center's pages: every shipped case as written, then again with a greeting or a
sign-off around each customer message (same assertions), then one case per page asking
its title (expects a search and no whole-page read), cycled until ``--cases``. The sample
help center is ingested into a fresh SQLite file; the default prompt version is the one
run. Nothing is special-cased: the cases go through ``run_suite`` as a team's would.

Rows, each timed around ``run_suite`` (wall clock, the run stored):

- offline responder, without the cache, concurrency 1 and 2 (the target machine has 2 cores);
- the same suite again with the cache (every model response a hit);
- an OpenAI-compatible model: ``trycatch.testing.openai_server`` in its own process,
  sleeping ``--delay`` s per request, at ``--concurrency`` workers, without the cache.

Targets: < 30 s offline on 2 cores, < 60 s with concurrency 16 against 200 ms per call.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, markdown_table
from trycatch.evals.cases import Case, SuiteCase
from trycatch.evals.runner import run_suite
from trycatch.evals.sample import sample_suite
from trycatch.knowledge.models import Document
from trycatch.knowledge.sample import SAMPLE_PRODUCT, ingest_sample
from trycatch.settings import Settings
from trycatch.store import open_database, upgrade

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTION = "## Eval suite speed (issue 5)"
WRAPS = (("Hi! ", ""), ("", " Thanks!"), ("Hello team, ", " Cheers."))


def _variant(item: SuiteCase, n: int) -> SuiteCase:
    before, after = WRAPS[n % len(WRAPS)]
    data = item.case.data()
    messages = list(item.case.input.messages)
    data["name"] = f"{item.case.name}-v{n}"
    data["input"] = {
        "messages": [f"{before}{m}{after}" for m in messages],
        **(
            {"customer": item.case.input.customer.model_dump(exclude_defaults=True)}
            if item.case.input.customer
            else {}
        ),
    }
    return SuiteCase(item.suite, Case.model_validate(data))


def _page_case(title: str, n: int) -> SuiteCase:
    case = Case.model_validate(
        {
            "name": f"page-{n}",
            "tags": ["generated"],
            "input": title.rstrip("?") + "?",
            "expect": [{"called_tool": "search_docs"}, {"not_called_tool": "read_document"}],
        }
    )
    return SuiteCase("pages", case)


def generate(count: int, titles: list[str]) -> list[SuiteCase]:
    shipped = sample_suite()
    pool: list[SuiteCase] = list(shipped)
    round_ = 0
    while len(pool) < count:
        pool += [_variant(item, round_ * len(shipped) + i) for i, item in enumerate(shipped)]
        pool += [_page_case(t, round_ * len(titles) + i) for i, t in enumerate(titles)]
        round_ += 1
    return pool[:count]


def _serve(urls: Any, stop: Any, delay: float) -> None:
    from trycatch.testing.openai_server import fake_openai

    with fake_openai(delay=delay) as server:
        urls.put(server.base_url)
        stop.wait()


def _timed(
    label: str, database: Any, settings: Settings, cases: list[SuiteCase], **kw: Any
) -> list[str]:
    with database.session() as session:
        started = time.perf_counter()
        report = run_suite(session, settings=settings, actor="bench", cases=cases, **kw)
        wall = time.perf_counter() - started
    run = report.run
    row = [
        label,
        str(len(cases)),
        str(kw.get("concurrency", 1)),
        "off" if not kw.get("use_cache", True) else "on",
        f"{run.passed}/{run.cases}",
        f"{run.cache_hits}/{run.cache_hits + run.cache_misses}",
        f"**{wall:.1f}**",
    ]
    print(" | ".join(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="trycatch-evals-"))
    url = str(folder / "bench.db")
    upgrade(url)
    database = open_database(url)
    settings = Settings(product_name=SAMPLE_PRODUCT)
    with database.session() as session:
        ingest_sample(session, max_file_bytes=settings.max_file_bytes, boilerplate_share=0.5)
        titles = [d.title for d in session.query(Document).order_by(Document.id)]
    cases = generate(args.cases, titles)

    header = ["run", "cases", "concurrency", "cache", "passed", "cache hits", "wall (s)"]
    rows = [
        _timed("offline responder", database, settings, cases, use_cache=False),
        _timed("offline responder", database, settings, cases, use_cache=False, concurrency=2),
        _timed("offline responder, re-run", database, settings, cases, concurrency=2),
    ]
    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(urls, stop, args.delay), daemon=True)
    server.start()
    try:
        base_url = urls.get(timeout=60)
        model = Settings(
            product_name=SAMPLE_PRODUCT,
            agent_provider="openai",
            agent_base_url=base_url,
            agent_model="gpt-4o-mini",
        )
        label = f"OpenAI-compatible, {args.delay * 1000:.0f} ms per call"
        rows.append(
            _timed(label, database, model, cases, use_cache=False, concurrency=args.concurrency)
        )
        rows.append(
            _timed(f"{label}, re-run", database, model, cases, concurrency=args.concurrency)
        )
    finally:
        stop.set()
        server.join(timeout=10)
    database.dispose()
    table = markdown_table(header, rows)
    print(table)
    if not args.no_write:
        _write(table, args)


def _write(table: str, args: argparse.Namespace) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = (
        f"{SECTION}\n\n`.venv/bin/python bench/evals_speed.py --cases {args.cases} --delay "
        f"{args.delay} --concurrency {args.concurrency}` — {machine()}, load average "
        f"{os.getloadavg()[0]:.1f} when it ended (a shared machine). A {args.cases}-case "
        "suite generated from the shipped suite (each case as written, then with a greeting "
        "or sign-off around every message) and one question per sample page; `run_suite` "
        'timed end to end (cases run, results, diff and gate stored). "passed": the '
        "generated variants keep their case's assertions, and a greeting changes some "
        "answers. The model rows talk to `trycatch.testing.openai_server` in its own "
        "process, sleeping per request.\n\n"
        f"{table}\n\nTargets: < 30 s offline on 2 cores, < 60 s at concurrency 16 against "
        "200 ms per call.\n"
    )
    if SECTION in text:
        before, rest = text.split(SECTION, 1)
        after = rest.split("\n## ", 1)
        text = before + section + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
