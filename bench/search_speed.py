"""Search latency and memory on a synthetic 100,000-chunk corpus, next to a plain bm25s index.

    .venv/bin/python bench/search_speed.py [--chunks 100000] [--queries 500] [--seed 7]
    .venv/bin/python bench/search_speed.py --db postgresql://postgres@127.0.0.1:5432/test

The corpus is generated here, deterministically: a Zipf-distributed vocabulary (English
function words, then 16 everyday words of an email/API product found in 14-21% of chunks,
about 250 other technical words, 30,000 made-up words), documents of 10 sections each with
a title, headings, topic words and some code blocks. It is indexed through trycatch's own
code path (``index_document`` for every document, the ORM models and the full-text backend,
committed every 250 documents; about a minute for 100,000 chunks, so no bulk path is
needed) into a fresh SQLite file, or with ``--db postgresql://...`` into a throwaway schema
(ANALYZEd after the load, dropped at the end even on error; a search statement running
longer than ``--statement-timeout`` is cancelled and counted as a timeout).

The queries mix three shapes: 2-4 word searches, 5-12 word questions, and 20-60 word
customer messages with pasted error text (JSON bodies, SMTP replies, stack traces, request
ids). Each is run through ``trycatch.knowledge.search.search`` (limit 10, one session per
query, after a warm-up) twice: in the process that built the corpus, and in a separate
process that only opens the database and searches, which gives the honest memory of a
search process (RSS from /proc: VmRSS now, VmHWM for the peak, since Linux carries
ru_maxrss across fork and exec). A plain bm25s index (PyStemmer English stemming, English
stop-words) over the same chunk texts answers the same queries (80 chunks per query, the
candidate count trycatch asks its index for at limit 10).

Targets for trycatch on SQLite: p50 <= 5 ms, p95 <= 20 ms, search process < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from psycopg.errors import QueryCanceled
from sqlalchemy import func, make_url, select, text
from sqlalchemy.exc import OperationalError

from common import machine, markdown_table
from ingest_speed import postgres_database, sqlite_database
from trycatch.knowledge.indexing import index_document
from trycatch.knowledge.models import Chunk, Document, Source, SourceKind
from trycatch.knowledge.search import search
from trycatch.store import Database, open_database

SECTIONS_PER_DOCUMENT = 10
COMMIT_EVERY = 250
LIMIT = 10
BM25S_CANDIDATES = 80  # trycatch asks its index for max(60, 8 * limit) chunks
WARMUP_QUERIES = 30
SEARCH_BUDGET_SECONDS = 60.0  # a slow engine stops early and says how far it got
# On PostgreSQL a query is cancelled after this long and counted as a timeout, so that one
# pathological plan cannot hold the benchmark (or a server's worker) for minutes.
STATEMENT_TIMEOUT_SECONDS = 10.0
TARGETS = {"p50": 5.0, "p95": 20.0, "rss_mb": 300.0}

# --- the synthetic corpus ------------------------------------------------------------------

FUNCTION_WORDS = """
    the of and to a in is you for that it with on as this are be by your or can an from at
    if not will use when which has more all have new one each do only how any its they
    their also we our into must then so but other than these may there been should was
""".split()

# The product's everyday words, found in a good share of all chunks (on the Resend docs
# "email" is in 63% of the chunks, "api" in 39%), ranked right after the function words.
CORE_WORDS = """
    email send api domain key dashboard request error webhook create contact audience
    template event update list
""".split()

TECHNICAL_WORDS = """
    email emails domain domains dns dkim spf dmarc mx record records verify verified
    verification api key keys token tokens webhook webhooks endpoint endpoints request
    requests response responses status error errors bounce bounced bounces complaint
    complaints spam inbox deliverability delivery delivered deliver send sending sent
    sender recipient recipients batch broadcast broadcasts audience audiences contact
    contacts template templates attachment attachments header headers subject reply
    replies smtp port tls ssl certificate region regions rate limit limits quota retry
    retries timeout idempotency signature secret payload event events log logs dashboard
    team teams member members role roles permission permissions billing invoice plan
    plans usage project projects sdk node python ruby php java go rust curl json html
    react nextjs vercel serverless function functions lambda deploy deployment production
    staging environment variable variables config configuration subdomain cname txt
    propagation nameserver cloudflare route53 registrar ip address addresses dedicated
    pool warmup reputation blocklist suppression unsubscribe list tracking open opens
    click clicks link links analytics metrics export import csv schedule scheduled cancel
    update delete create retrieve pagination cursor filter query parameter parameters
    field fields schema validation invalid missing required format string integer
    boolean array object null undefined exception stack trace version upgrade migration
    legacy deprecated changelog integration integrations zapier supabase prisma
    framework library package install installation npm pip bundle build compile
    typescript javascript async await promise callback client server browser cors origin
    redirect url uri path route middleware authentication authorization oauth sso saml
    password login account user users session cookie encryption gdpr compliance privacy
    retention storage database queue worker job jobs cron trigger triggers automation
""".split()

CHATTER = """
    hi hello hey thanks thank you please help urgent asap our customers are complaining
    we have been trying since yesterday and nothing seems to work any idea what is wrong
    i followed the docs but still getting this really appreciate a quick answer regards
""".split()


def made_up_words(count: int, rng: random.Random) -> list[str]:
    """Pronounceable, distinct, lower-case words of 2-4 syllables."""
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr ch sh th".split()
    vowels = "a e i o u ai ea io ou".split()
    codas = ["", "", "", "n", "r", "s", "l", "m", "x", "nd", "st"]
    seen = set(FUNCTION_WORDS) | set(CORE_WORDS) | set(TECHNICAL_WORDS)
    words: list[str] = []
    while len(words) < count:
        syllables = rng.choice((2, 2, 3, 3, 3, 4))
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


@dataclass(frozen=True, slots=True)
class Vocabulary:
    words: np.ndarray  # by rank, most frequent first
    cdf: np.ndarray  # Zipf-Mandelbrot cumulative distribution over the ranks
    technical: list[str]

    def draw(self, rng: np.random.Generator, size: int) -> list[str]:
        return list(self.words[np.searchsorted(self.cdf, rng.random(size))])

    def band(self, low: int, high: int) -> np.ndarray:
        return self.words[low:high]


def vocabulary(size: int, seed: int) -> Vocabulary:
    rng = random.Random(seed)
    invented = made_up_words(size, rng)
    # Function words at the top, then the core words, the other technical words among the
    # first few thousand ranks, the invented words filling the rest.
    ranked: list[str] = [*FUNCTION_WORDS, *CORE_WORDS]
    technical = [word for word in dict.fromkeys(TECHNICAL_WORDS) if word not in CORE_WORDS]
    rng.shuffle(technical)
    slots = sorted(rng.sample(range(len(ranked), len(ranked) + 4000), len(technical)))
    fill = iter(invented)
    pending = iter(technical)
    next_slot = iter(slots)
    slot = next(next_slot, None)
    while len(ranked) < len(FUNCTION_WORDS) + len(CORE_WORDS) + len(technical) + len(invented):
        if slot is not None and len(ranked) == slot:
            ranked.append(next(pending))
            slot = next(next_slot, None)
        else:
            ranked.append(next(fill))
    ranks = np.arange(1, len(ranked) + 1, dtype=np.float64)
    weights = 1.0 / (ranks + 2.7) ** 1.05
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    return Vocabulary(
        words=np.array(ranked, dtype=object), cdf=cdf, technical=[*CORE_WORDS, *technical]
    )


@dataclass(frozen=True, slots=True)
class SyntheticDocument:
    path: str
    title: str
    body: str
    topic: tuple[str, ...]
    headings: tuple[str, ...]


_CODE_BLOCKS = (
    '```json\n{{"statusCode": {code}, "name": "{a}_{b}",'
    ' "message": "The {a} {b} is invalid"}}\n```',
    "```bash\ncurl -X POST https://api.example.com/{a}/{b} \\\n"
    '  -H "Authorization: Bearer re_{hex}" \\\n  -d \'{{"{a}": "{b}"}}\'\n```',
    "```ts\nconst {{ data, error }} = await client.{a}.{b}({{ {c}: true }});\n```",
)


def _sentences(words: list[str], rng: random.Random) -> str:
    out: list[str] = []
    start = 0
    while start < len(words):
        end = min(len(words), start + rng.randint(6, 18))
        sentence = words[start:end]
        out.append(sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ".")
        start = end
    return " ".join(out)


def synthetic_documents(vocab: Vocabulary, *, count: int, seed: int) -> Iterator[SyntheticDocument]:
    """``count`` documents of ``SECTIONS_PER_DOCUMENT`` sections, the same for a seed."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    topical = vocab.band(300, 20_000)
    areas = [str(w) for w in vocab.band(200, 230)]
    for number in range(count):
        topic = tuple(str(w) for w in nrng.choice(topical, size=5, replace=False))
        title_words = [*rng.sample(topic, rng.randint(1, 2)), *rng.sample(vocab.technical, 2)]
        rng.shuffle(title_words)
        title = " ".join(title_words).capitalize()
        headings: list[str] = []
        sections: list[str] = []
        for _ in range(SECTIONS_PER_DOCUMENT):
            heading = [rng.choice(topic), *vocab.draw(nrng, rng.randint(1, 3))]
            headings.append(" ".join(heading).capitalize())
            length = min(190, max(15, int(nrng.lognormal(math.log(95), 0.45))))
            words = vocab.draw(nrng, length)
            for position in nrng.choice(length, size=max(1, length // 16), replace=False):
                words[position] = rng.choice(topic)
            paragraphs = [
                _sentences(words[: length // 2], rng),
                _sentences(words[length // 2 :], rng),
            ]
            if rng.random() < 0.15:
                template = rng.choice(_CODE_BLOCKS)
                paragraphs.append(
                    template.format(
                        code=rng.choice((400, 401, 403, 404, 422, 429, 500)),
                        a=rng.choice(topic),
                        b=rng.choice(vocab.technical),
                        c=rng.choice(vocab.technical),
                        hex=f"{rng.getrandbits(64):016x}",
                    )
                )
            sections.append(f"## {headings[-1]}\n\n" + "\n\n".join(paragraphs))
        slug = "-".join(title.lower().split())
        yield SyntheticDocument(
            path=f"{rng.choice(areas)}/{slug}-{number}.md",
            title=title,
            body=f"# {title}\n\n" + "\n\n".join(sections) + "\n",
            topic=topic,
            headings=tuple(headings),
        )


_ERRORS = (
    'Error: {{"statusCode":{code},"name":"{b}_error","message":"The `{a}` field is invalid."}}',
    "550 5.7.1 <{a}@{b}.com>: Recipient address rejected: {c} policy (request id {hex})",
    'Traceback (most recent call last):\n  File "app/{a}.py", line {line}, in send_{b}\n'
    "    client.{b}.send(params)\n{c}.exceptions.ApiError: {code} {b} {a} not allowed",
    "TypeError: Cannot read properties of undefined (reading '{a}') at {c}.{b} "
    "(/var/task/index.js:{line}:17) x-request-id: {hex}",
    'HTTP/1.1 {code} Too Many Requests retry-after: 1 {{"error":"{a} {b} limit exceeded"}}',
)

_QUESTIONS = (
    "How do I {verb} a {a} {b}?",
    "Why is my {a} {b} not {c}?",
    "Can I {verb} {a} with the {b} {c}?",
    "What does the {a} error mean for {b} {c}?",
    "Where can I find the {a} {b} in the {c}?",
)


@dataclass(frozen=True, slots=True)
class Query:
    shape: str  # short, question or long
    text: str
    target: str  # the path of the document the query was written from


def synthetic_queries(
    documents: Sequence[SyntheticDocument], vocab: Vocabulary, *, count: int, seed: int
) -> list[Query]:
    """40% short searches, 20% questions, 40% long messages with pasted errors."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    queries: list[Query] = []
    for _ in range(count):
        document = rng.choice(documents)
        wanted = [*document.topic, *document.title.lower().split(), *vocab.technical[:40]]
        fill = {
            "a": rng.choice(document.topic),
            "b": rng.choice(vocab.technical),
            "c": rng.choice(vocab.technical),
            "verb": rng.choice(("send", "verify", "delete", "update", "configure", "retry")),
            "code": rng.choice((400, 401, 403, 404, 422, 429, 500, 503)),
            "line": rng.randint(10, 900),
            "hex": f"{rng.getrandbits(96):024x}",
        }
        shape = rng.choices(("short", "question", "long"), weights=(4, 2, 4))[0]
        if shape == "short":
            text = " ".join(rng.sample(wanted, rng.randint(2, 4)))
        elif shape == "question":
            text = rng.choice(_QUESTIONS).format(**fill)
            if rng.random() < 0.5:
                text += " " + rng.choice(document.headings).lower()
        else:
            length = rng.randint(20, 60)
            error = rng.choice(_ERRORS).format(**fill)
            opening = " ".join(rng.sample(CHATTER, rng.randint(4, 10)))
            topical = " ".join(rng.sample(wanted, 3))
            used = len(opening.split()) + len(topical.split()) + len(error.split())
            filler = " ".join(vocab.draw(nrng, max(0, length - used)))
            text = f"{opening.capitalize()}. {topical} {filler}.\n\n{error}\n\nThanks"
        queries.append(Query(shape, text, document.path))
    return queries


# --- building the index through trycatch ---------------------------------------------------


def index_corpus(database: Database, documents: Iterable[SyntheticDocument]) -> int:
    """Every document through ``index_document``, committed in batches; the chunk count."""
    with database.session() as session:
        source = Source(
            name="synthetic", kind=SourceKind.DOCS, root=None, base_url=None, boilerplate=[]
        )
        session.add(source)
        session.flush()
        for number, item in enumerate(documents, start=1):
            document = Document(
                source_id=source.id,
                path=item.path,
                title=item.title,
                url=f"/synthetic/{item.path.removesuffix('.md')}",
                body=item.body,
                content_hash=f"{number:064x}",
            )
            session.add(document)
            session.flush()
            index_document(session, document, body=item.body)
            if number % COMMIT_EVERY == 0:
                session.commit()
                session.expunge_all()
        session.commit()
        return session.scalar(select(func.count()).select_from(Chunk)) or 0


# --- measuring -----------------------------------------------------------------------------

# A query to the ranked document paths; None when the database cancelled it (timeout).
Search = Callable[[str], list[str] | None]


@dataclass(frozen=True, slots=True)
class Timing:
    shape: str
    ms: float
    found: bool  # the query's document among the first LIMIT documents
    timed_out: bool = False


def memory_mb() -> dict[str, float]:
    """Resident set size now (VmRSS) and this process's peak (VmHWM), in MB.

    VmHWM rather than ru_maxrss in a child: Linux carries ru_maxrss across fork and exec,
    so a child would report its parent's peak.
    """
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0]) / 1024
    return {"rss": fields["VmRSS"], "peak": fields["VmHWM"]}


def time_queries(run: Search, queries: Sequence[Query], *, budget: float) -> list[Timing]:
    """One timing per query, stopping once ``budget`` seconds are spent."""
    timings: list[Timing] = []
    begun = time.perf_counter()
    for query in queries:
        started = time.perf_counter()
        paths = run(query.text)
        elapsed = (time.perf_counter() - started) * 1000
        found = paths is not None and query.target in paths[:LIMIT]
        timings.append(Timing(query.shape, elapsed, found, timed_out=paths is None))
        if time.perf_counter() - begun > budget:
            break
    return timings


def trycatch_search(database: Database) -> Search:
    def run(query: str) -> list[str] | None:
        with database.session() as session:
            try:
                return [hit.path for hit in search(session, query, limit=LIMIT)]
            except OperationalError as error:
                if isinstance(error.orig, QueryCanceled):
                    return None
                raise

    return run


def with_statement_timeout(url: str, seconds: float) -> str:
    """``url`` (PostgreSQL) with libpq options that cancel a statement after ``seconds``."""
    parsed = make_url(url)
    options = f"{parsed.query.get('options', '')} -cstatement_timeout={int(seconds * 1000)}"
    return parsed.update_query_dict({"options": options.strip()}).render_as_string(
        hide_password=False
    )


def search_worker(url: str, queries_file: str) -> None:
    """The search process: open the database, search, print timings and memory as JSON."""
    payload = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    warmup = [Query(**q) for q in payload["warmup"]]
    queries = [Query(**q) for q in payload["queries"]]
    at_start = memory_mb()
    database = open_database(url)
    run = trycatch_search(database)
    time_queries(run, warmup, budget=payload["budget"] / 4)
    after_warmup = memory_mb()
    timings = time_queries(run, queries, budget=payload["budget"])
    result = {
        "timings": [asdict(t) for t in timings],
        "rss_start": at_start["rss"],
        "rss_warm": after_warmup["rss"],
        "rss_end": memory_mb()["rss"],
        "peak": memory_mb()["peak"],
    }
    database.dispose()
    print(json.dumps(result))


def in_search_process(
    url: str, warmup: Sequence[Query], queries: Sequence[Query], budget: float
) -> dict[str, Any]:
    """Run ``search_worker`` in a fresh interpreter and return what it printed."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as handle:
        json.dump(
            {
                "warmup": [asdict(q) for q in warmup],
                "queries": [asdict(q) for q in queries],
                "budget": budget,
            },
            handle,
        )
        handle.flush()
        completed = subprocess.run(
            [sys.executable, __file__, "--search-worker", url, handle.name],
            check=False,
            capture_output=True,
            text=True,
        )
    if completed.returncode != 0:
        raise SystemExit(f"the search process failed:\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    result["timings"] = [Timing(**t) for t in result["timings"]]
    return result


def chunk_texts(database: Database) -> tuple[list[str], list[str]]:
    """The indexed chunks as bm25s sees them (heading path, title first, and text) and the
    path of each chunk's document."""
    with database.session() as session:
        rows = session.execute(
            select(Chunk.heading_path, Chunk.text, Document.path)
            .join(Document, Chunk.document_id == Document.id)
            .order_by(Chunk.id)
        )
        pairs = [(f"{heading}\n{text}", path) for heading, text, path in rows]
    return [text for text, _ in pairs], [path for _, path in pairs]


def bm25s_search(texts: list[str], paths: list[str]) -> tuple[Search, float]:
    """A plain bm25s index over ``texts``: the search function and the seconds to build it."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    retriever = bm25s.BM25()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever.index(tokens, show_progress=False)
    seconds = time.perf_counter() - started
    k = min(BM25S_CANDIDATES, len(texts))

    def run(query: str) -> list[str]:
        query_tokens = bm25s.tokenize(query, stopwords="en", stemmer=stemmer, show_progress=False)
        if not query_tokens.vocab:
            return []
        results, _ = retriever.retrieve(query_tokens, k=k, show_progress=False)
        return list(dict.fromkeys(paths[i] for i in results[0]))

    return run, seconds


# --- the report ----------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94], cuts[98]


def latency_rows(system: str, timings: Sequence[Timing], planned: int) -> list[list[str]]:
    rows = []
    for shape in ("all", "short", "question", "long"):
        selected = [t for t in timings if shape in {"all", t.shape}]
        if not selected:
            continue
        p50, p95, p99 = percentiles([t.ms for t in selected])
        count = str(len(selected))
        if shape == "all" and len(selected) < planned:
            count += f" of {planned}*"
        found = sum(t.found for t in selected) / len(selected)
        timeouts = sum(t.timed_out for t in selected)
        rows.append(
            [
                system,
                shape,
                count,
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{p99:.1f}",
                f"{found:.2f}",
                str(timeouts),
            ]
        )
    return rows


@dataclass(slots=True)
class TrycatchRun:
    engine: str
    chunks: int
    build_seconds: float
    memory: list[dict[str, float]]  # before the build, after it, after searching
    in_process: list[Timing]
    worker: dict[str, Any]
    texts: list[str]
    paths: list[str]


def run_trycatch(
    db: str,
    documents: list[SyntheticDocument],
    warmup: list[Query],
    queries: list[Query],
    *,
    budget: float,
    statement_timeout: float,
    bm25s: bool,
) -> TrycatchRun:
    """Index the corpus into a fresh database, then time the queries in this process and in
    a separate search process; the chunk texts come back for the bm25s baseline."""
    is_postgres = db.startswith(("postgresql://", "postgres://"))
    fresh = postgres_database(db) if is_postgres else sqlite_database()
    memory = [memory_mb()]
    with fresh as database:
        started = time.perf_counter()
        chunks = index_corpus(database, documents)
        built = time.perf_counter() - started
        memory.append(memory_mb())
        url = database.engine.url.render_as_string(hide_password=False)
        if is_postgres:
            # The statistics autovacuum would gather soon after a bulk load, gathered now so
            # the plans do not change in the middle of the measurement.
            with database.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
            url = with_statement_timeout(url, statement_timeout)
        searching = open_database(url)
        try:
            run = trycatch_search(searching)
            time_queries(run, warmup, budget=budget / 4)
            in_process = time_queries(run, queries, budget=budget)
        finally:
            searching.dispose()
        memory.append(memory_mb())
        worker = in_search_process(url, warmup, queries, budget)
        texts, paths = chunk_texts(database) if bm25s else ([], [])
    return TrycatchRun(
        engine="PostgreSQL" if is_postgres else "SQLite",
        chunks=chunks,
        build_seconds=built,
        memory=memory,
        in_process=in_process,
        worker=worker,
        texts=texts,
        paths=paths,
    )


def memory_table(result: TrycatchRun) -> str:
    worker = result.worker
    before, built, searched = result.memory
    rows = [
        [
            "search process (opens the database, searches)",
            f"{worker['rss_start']:.0f}",
            f"{worker['rss_warm']:.0f} (after warm-up)",
            f"{worker['rss_end']:.0f}",
            f"{worker['peak']:.0f}",
        ],
        [
            "building process (generates, indexes, searches)",
            f"{before['rss']:.0f}",
            f"{built['rss']:.0f} (after build)",
            f"{searched['rss']:.0f}",
            f"{searched['peak']:.0f}",
        ],
    ]
    header = ["process", "RSS at start MB", "RSS before search MB", "RSS after search MB"]
    return markdown_table([*header, "peak RSS MB"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=100_000, help="corpus size in chunks")
    parser.add_argument("--queries", type=int, default=500, help="timed queries")
    parser.add_argument("--vocabulary", type=int, default=30_000, help="made-up words")
    parser.add_argument("--seed", type=int, default=7, help="corpus and query seed")
    parser.add_argument(
        "--db", default="sqlite", help="'sqlite' (a temporary file) or a postgresql:// URL"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=SEARCH_BUDGET_SECONDS,
        help="stop timing one system's queries after this many seconds",
    )
    parser.add_argument(
        "--statement-timeout",
        type=float,
        default=STATEMENT_TIMEOUT_SECONDS,
        help="PostgreSQL only: cancel a search statement after this many seconds",
    )
    parser.add_argument("--no-bm25s", action="store_true", help="skip the bm25s baseline")
    parser.add_argument(
        "--search-worker", nargs=2, metavar=("URL", "QUERIES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.search_worker:
        search_worker(*args.search_worker)
        return

    started = time.perf_counter()
    vocab = vocabulary(args.vocabulary, args.seed)
    count = max(1, args.chunks // SECTIONS_PER_DOCUMENT)
    documents = list(synthetic_documents(vocab, count=count, seed=args.seed))
    queries = synthetic_queries(documents, vocab, count=args.queries, seed=args.seed + 1)
    warmup = synthetic_queries(documents, vocab, count=WARMUP_QUERIES, seed=args.seed + 2)
    generated = time.perf_counter() - started

    result = run_trycatch(
        args.db,
        documents,
        warmup,
        queries,
        budget=args.budget,
        statement_timeout=args.statement_timeout,
        bm25s=not args.no_bm25s,
    )
    planned = len(queries)
    rows = latency_rows(
        f"trycatch {result.engine}, search process", result.worker["timings"], planned
    )
    rows += latency_rows(f"trycatch {result.engine}, building process", result.in_process, planned)
    notes = [
        f"corpus: {len(documents):,} documents, {result.chunks:,} chunks, {args.vocabulary:,} "
        f"made-up words, generated in {generated:.1f} s; indexed through index_document into "
        f"{result.engine} in {result.build_seconds:.1f} s "
        f"({result.chunks / result.build_seconds:,.0f} chunks/s)",
    ]
    if result.texts:
        before = memory_mb()["rss"]
        bm25s_run, bm25s_seconds = bm25s_search(result.texts, result.paths)
        grown = memory_mb()["rss"] - before
        time_queries(bm25s_run, warmup, budget=args.budget)
        rows += latency_rows(
            "bm25s plain, in memory", time_queries(bm25s_run, queries, budget=args.budget), planned
        )
        notes.append(
            f"bm25s: {len(result.texts):,} chunk texts indexed in {bm25s_seconds:.1f} s, "
            f"+{grown:.0f} MB RSS; {BM25S_CANDIDATES} chunks retrieved per query"
        )
    notes.append(
        f"targets on SQLite: p50 <= {TARGETS['p50']:g} ms, p95 <= {TARGETS['p95']:g} ms, "
        f"search process < {TARGETS['rss_mb']:g} MB; found@10: share of queries whose source "
        "document is among the first 10; * stopped at the --budget time; timeouts: "
        "cancelled by the PostgreSQL statement timeout, counted at the time they took"
    )
    header = ["system", "queries", "n", "p50 ms", "p95 ms", "p99 ms", "found@10", "timeouts"]
    print(markdown_table(header, rows))
    print()
    print(memory_table(result))
    print()
    for note in notes:
        print(f"- {note}")
    print(f"- ru_maxrss of the building process at exit, bm25s included: {peak_rss_mb():.0f} MB")
    print(f"\nmachine: {machine()}")


def peak_rss_mb() -> float:
    """The process's peak RSS by getrusage (KB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
