"""The desk at 100,000 tickets (1,000,000 messages): inbox and ticket pages, API ticket intake.

    .venv/bin/python bench/desk_speed.py                       # SQLite
    .venv/bin/python bench/desk_speed.py --db postgresql://postgres@127.0.0.1:5432/test
    options: [--tickets 100000] [--workers 1 2] [--requests 300] [--locust-seconds 30]
             [--users 32] [--rebuild]

The database is built once and cached: a SQLite file under /tmp/trycatch-bench/, or the
schema ``bench_desk`` on PostgreSQL (made with trycatch's migrations; its comment marks a
finished build), both keyed by ``BUILD_VERSION`` and the ticket count; ``--rebuild`` makes
it again. Staff and customers are created through the services (``create_user``) or plain
rows; tickets and messages are bulk-inserted in big transactions (SQLAlchemy Core
``executemany`` on SQLite, where the FTS5 triggers of migration 0004 fill the search index
as rows arrive; ``COPY`` on PostgreSQL, whose GIN indexes of migration 0004 are dropped for
the load and made again after it with the migration's own statements). Text comes from the
demo's stories (``trycatch.demo.stories``) with their random details; categories, product
areas, statuses (85% closed), assignees (10 agents and an admin), flags and sources are
spread as in the demo.

Then the real app is started with uvicorn in a subprocess (``trycatch --db ... serve``,
``TRYCATCH_API_RATE_LIMIT_PER_MINUTE=0``) and measured from this process over HTTP with
httpx, one request at a time: the inbox (``/app/inbox`` with a mix of queues, category,
product area, status and full-text filters), the ticket page (``/app/tickets/{id}`` of
random tickets), logged in through ``/app/login``. API ticket creation
(``POST /api/v1/tickets``) is loaded by locust, headless, in its own process
(``bench/locustfile_tickets.py``). The same inbox and ticket reads are also timed in this
process through the desk's services (``list_tickets`` + ``queue_counts``; ``get_ticket_for``
+ messages + ``customer_tickets``), which separates database time from HTTP and rendering.

Targets (SQLite, 2 cores): inbox p95 <= 150 ms, ticket page p95 <= 100 ms, API >= 200
tickets/s.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.orm import selectinload

from common import machine, markdown_table
from trycatch.agent.models import Customer
from trycatch.demo.stories import CUSTOMER_LINES, NOTE_LINES, STAFF_LINES, STORIES, details
from trycatch.desk import (
    COMMAND_LINE,
    Queue,
    Role,
    Scope,
    TicketFilters,
    TicketStatus,
    User,
    create_user,
    customer_tickets,
    get_ticket_for,
    issue_api_token,
    list_tickets,
    queue_counts,
)
from trycatch.desk.models import MessageKind, Ticket, TicketMessage
from trycatch.settings import database_url_from
from trycatch.store import Database, open_database, upgrade
from trycatch.store.migrate import MIGRATIONS_DIR

BUILD_VERSION = 1
CACHE = Path(os.environ.get("TRYCATCH_BENCH_CACHE", "/tmp/trycatch-bench"))
SCHEMA = "bench_desk"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
MESSAGES_PER_TICKET = 10  # on average: 4 to 16
CUSTOMERS = 5_000
AGENTS = 10
BENCH_ADMIN = "bench-admin@bench.example"
BENCH_PASSWORD = "bench-password-1"
BATCH = 20_000
HISTORY = timedelta(days=365)
WARMUP = 20
TARGETS = {"inbox_p95": 150.0, "ticket_p95": 100.0, "api_rps": 200.0}
VENV_BIN = Path(sys.executable).parent
# Words staff search for: the stories' own vocabulary, common and rare.
SEARCH_WORDS = (
    "signature",
    "timeout",
    "disabled",
    "refund",
    "replay",
    "tenant",
    "invoice",
    "okta",
    "ordering",
    "payload",
    "rate limit",
    "express raw",
    "certificate",
    "duplicate",
    "quota",
    "webhook",
)
QUEUES = (Queue.UNASSIGNED, Queue.MINE, Queue.FLAGGED, Queue.PENDING, Queue.CLOSED)


# --- building the database -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Built:
    url: str
    tickets: int
    messages: int
    seconds: float  # 0 when the cached build was reused
    size: str


def _migration_0004() -> Any:
    """The migration that made the ticket search indexes, for its PostgreSQL statements."""
    path = MIGRATIONS_DIR / "versions" / "0004_desk_channels.py"
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(
    tickets: int, *, seed: int, staff: list[int], admin: int
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each ticket's row and its messages' rows, ids given, oldest first."""
    rng = random.Random(seed)
    weights = [story.weight for story in STORIES]
    now = datetime.now(UTC)
    start = now - HISTORY
    step = HISTORY / tickets
    message_id = 0
    for number in range(1, tickets + 1):
        story = rng.choices(STORIES, weights=weights)[0]
        customer = rng.randrange(CUSTOMERS)
        created = start + step * number
        age = now - created
        if age < timedelta(days=3):
            status = rng.choices(("open", "pending", "closed"), weights=(55, 30, 15))[0]
        elif age < timedelta(days=14):
            status = rng.choices(("open", "pending", "closed"), weights=(20, 20, 60))[0]
        else:
            status = rng.choices(("open", "pending", "closed"), weights=(6, 7, 87))[0]
        assignee = None
        if status != "open" or rng.random() < 0.5:
            assignee = admin if rng.random() < 1 / (AGENTS + 1) else rng.choice(staff)
        flagged = rng.random() < (0.1 if status != "closed" else 0.02)
        fields = details(
            rng,
            first=f"Customer{customer}",
            company=f"Company {customer // 2}",
            tenant=f"tenant-{customer % 97}",
            domain="bench.example",
            tier=rng.choice(("free", "pro", "scale")),
            agent="Alex",
        )
        count = rng.randint(4, 16)
        times = sorted(created + timedelta(minutes=rng.uniform(0, 4_000)) for _ in range(count))
        times[0] = created
        messages = []
        replied: datetime | None = None
        for position, when in enumerate(times):
            message_id += 1
            if position == 0:
                kind, body = MessageKind.CUSTOMER, story.body
            elif position == 1:
                kind, body = MessageKind.REPLY, story.reply
            else:
                kind = rng.choice((MessageKind.CUSTOMER, MessageKind.REPLY, MessageKind.NOTE))
                lines = {
                    MessageKind.CUSTOMER: (story.follow_up or CUSTOMER_LINES[0], *CUSTOMER_LINES),
                    MessageKind.REPLY: STAFF_LINES,
                    MessageKind.NOTE: (story.note or NOTE_LINES[0], *NOTE_LINES),
                }[kind]
                body = rng.choice(lines)
            if kind == MessageKind.REPLY and replied is None:
                replied = when
            messages.append(
                {
                    "id": message_id,
                    "ticket_id": number,
                    "kind": str(kind),
                    "author_user_id": assignee if kind != MessageKind.CUSTOMER else None,
                    "body": body.format_map(fields),
                    "message_id": None,
                    "in_reply_to": None,
                    "created_at": when,
                    "delivery_status": "sent" if kind == MessageKind.REPLY else None,
                    "delivery_attempts": 1 if kind == MessageKind.REPLY else 0,
                    "next_delivery_at": None,
                    "delivery_error": None,
                }
            )
        closed = status == "closed"
        ticket = {
            "id": number,
            "key": f"{rng.getrandbits(256):064x}",
            "customer_id": customer + 1,
            "subject": rng.choice(story.subjects).format_map(fields),
            "status": status,
            "priority": "high" if flagged else rng.choice(("normal", "normal", "low", "high")),
            "assignee_id": assignee,
            "conversation_id": None,
            "handoff_id": None,
            "source": "outreach"
            if story.outreach
            else rng.choice(("email", "email", "api", "agent")),
            "category": story.category if closed or story.outreach else None,
            "product_area": story.product_area if closed else None,
            "flagged": flagged,
            "flag_reason": "Several customers report this." if flagged else "",
            "closed_by_id": (assignee or admin) if closed else None,
            "created_at": created,
            "first_response_at": replied,
            "closed_at": times[-1] + timedelta(minutes=5) if closed else None,
            "updated_at": times[-1],
        }
        yield ticket, messages


def _staff(database: Database) -> tuple[list[int], int]:
    """The benchmark's staff, created through ``create_user``: agent ids and the admin's."""
    with database.session() as session:
        admin = create_user(
            session,
            email=BENCH_ADMIN,
            name="Bench Admin",
            role=Role.ADMIN,
            password=BENCH_PASSWORD,
            actor=COMMAND_LINE,
        )
        agents = [
            create_user(
                session,
                email=f"agent{n}@bench.example",
                name=f"Agent {n}",
                role=Role.AGENT,
                password=BENCH_PASSWORD,
                actor=COMMAND_LINE,
            ).id
            for n in range(AGENTS)
        ]
        return agents, admin.id


def _customers(database: Database) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": n + 1,
            "email": f"customer{n}@bench.example",
            "name": f"Customer {n}",
            "company": f"Company {n // 2}",
            "external_id": None,
            "tier": "pro",
            "created_at": now - HISTORY - timedelta(days=1),
        }
        for n in range(CUSTOMERS)
    ]
    with database.engine.begin() as connection:
        connection.execute(insert(Customer.__table__), rows)


def _load_sqlite(database: Database, rows: Iterator[tuple[dict[str, Any], list[Any]]]) -> int:
    tickets: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    total = 0
    connection = database.engine.connect()
    transaction = connection.begin()
    for ticket, its_messages in rows:
        tickets.append(ticket)
        messages.extend(its_messages)
        if len(messages) >= BATCH * 5:
            connection.execute(insert(Ticket.__table__), tickets)
            connection.execute(insert(TicketMessage.__table__), messages)
            total += len(messages)
            tickets, messages = [], []
            transaction.commit()
            transaction = connection.begin()
            print(f"  {total:,} messages", file=sys.stderr, flush=True)
    if tickets:
        connection.execute(insert(Ticket.__table__), tickets)
        connection.execute(insert(TicketMessage.__table__), messages)
        total += len(messages)
    transaction.commit()
    connection.close()
    return total


def _load_postgres(database: Database, rows: Iterator[tuple[dict[str, Any], list[Any]]]) -> int:
    migration = _migration_0004()
    ticket_columns = [c.name for c in Ticket.__table__.columns]
    message_columns = [c.name for c in TicketMessage.__table__.columns]
    total = 0
    with database.engine.begin() as connection:
        for statement in migration.POSTGRES_SEARCH_DROP:
            connection.execute(text(statement))
    raw = database.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            tickets_copy = f"COPY tickets ({', '.join(ticket_columns)}) FROM STDIN"
            messages_copy = f"COPY ticket_messages ({', '.join(message_columns)}) FROM STDIN"
            batch: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

            def flush() -> int:
                with cursor.copy(tickets_copy) as copy:
                    for ticket, _ in batch:
                        copy.write_row([ticket[c] for c in ticket_columns])
                count = 0
                with cursor.copy(messages_copy) as copy:
                    for _, messages in batch:
                        for message in messages:
                            copy.write_row([message[c] for c in message_columns])
                            count += 1
                driver.commit()
                return count

            for item in rows:
                batch.append(item)
                if len(batch) >= BATCH:
                    total += flush()
                    batch = []
                    print(f"  {total:,} messages", file=sys.stderr, flush=True)
            if batch:
                total += flush()
    finally:
        raw.close()
    with database.engine.begin() as connection:
        for statement in migration.POSTGRES_SEARCH:
            connection.execute(text(statement))
        for table in ("tickets", "ticket_messages", "customers"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        connection.execute(text("ANALYZE"))
    return total


def _schema_url(url: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={SCHEMA}')}"


def _postgres_fresh(admin: Any, marker: str, *, rebuild: bool) -> bool:
    """Whether the schema must be built; if so, it is made again, empty."""
    query = "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = :s"
    with admin.connect() as connection:
        comment = connection.execute(text(query), {"s": SCHEMA}).scalar()
        if not rebuild and comment == marker:
            return False
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    return True


def _size(db: str, url: str, admin: Any) -> str:
    if db == "sqlite":
        return f"{Path(url).stat().st_size / 1e6:,.0f} MB file"
    with admin.connect() as connection:
        total = connection.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind = 'r'"
            ),
            {"s": SCHEMA},
        ).scalar()
    return f"{int(total or 0) / 1e6:,.0f} MB in schema {SCHEMA}"


def build(db: str, tickets: int, *, rebuild: bool, seed: int) -> Built:
    """The cached benchmark database, built first when missing (or ``rebuild``)."""
    marker = f"desk-bench v{BUILD_VERSION} {tickets} tickets"
    admin = None
    if db == "sqlite":
        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / f"desk-{tickets // 1000}k-v{BUILD_VERSION}.db"
        done = path.with_suffix(".done")
        url = str(path)
        if rebuild or not done.exists():
            for stale in (path, done, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
        fresh = not done.exists()
    else:
        admin = create_engine(database_url_from(db), isolation_level="AUTOCOMMIT")
        fresh = _postgres_fresh(admin, marker, rebuild=rebuild)
        url = _schema_url(db)
    seconds = 0.0
    if fresh:
        print(f"building {marker} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        upgrade(url)
        database = open_database(url)
        staff, admin_id = _staff(database)
        _customers(database)
        rows = _rows(tickets, seed=seed, staff=staff, admin=admin_id)
        if admin is None:
            _load_sqlite(database, rows)
            with database.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
            done.write_text(marker)
        else:
            _load_postgres(database, rows)
            with admin.connect() as connection:
                connection.execute(text(f"COMMENT ON SCHEMA \"{SCHEMA}\" IS '{marker}'"))
        database.dispose()
        seconds = time.perf_counter() - started
    database = open_database(url)
    with database.session() as session:
        ticket_count = session.scalar(select(func.count()).select_from(Ticket)) or 0
        message_count = session.scalar(select(func.count()).select_from(TicketMessage)) or 0
    database.dispose()
    size = _size(db, url, admin)
    if admin is not None:
        admin.dispose()
    return Built(url, ticket_count, message_count, seconds, size)


def reset(url: str, tickets: int) -> None:
    """Back to the state of the build: tickets and customers the API load added go."""
    database = open_database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM ticket_messages WHERE ticket_id > :n"), {"n": tickets})
        connection.execute(text("DELETE FROM tickets WHERE id > :n"), {"n": tickets})
        connection.execute(text("DELETE FROM customers WHERE id > :n"), {"n": CUSTOMERS})
    database.dispose()


# --- the server --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(url: str, *, workers: int, log: Path) -> Iterator[str]:
    """``trycatch serve`` on a free loopback port until the block ends; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "TRYCATCH_API_RATE_LIMIT_PER_MINUTE": "0",
        # One key for every worker, so a staff session made by one is valid in the others.
        "TRYCATCH_SECRET_KEY": secrets.token_urlsafe(32),
    }
    command = [
        str(VENV_BIN / "trycatch"),
        "--db",
        url,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the server exited: see {log}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start in time: see {log}")
                time.sleep(0.2)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- measuring ---------------------------------------------------------------------------


def inbox_queries(count: int, *, seed: int) -> list[dict[str, str]]:
    """A mix of queues and filters, the same for a seed."""
    rng = random.Random(seed)
    categories = sorted({s.category for s in STORIES})
    areas = sorted({s.product_area for s in STORIES})
    queries = []
    for _ in range(count):
        query = {"queue": str(rng.choice(QUEUES))}
        if rng.random() < 0.35:
            query["category"] = rng.choice(categories)
        if rng.random() < 0.3:
            query["product_area"] = rng.choice(areas)
        if rng.random() < 0.15:
            query["status"] = rng.choice(("open", "pending", "closed"))
        if rng.random() < 0.3:
            query["q"] = rng.choice(SEARCH_WORDS)
        queries.append(query)
    return queries


def _filters(query: dict[str, str]) -> TicketFilters:
    return TicketFilters(
        status=TicketStatus(query["status"]) if "status" in query else None,
        category=query.get("category"),
        product_area=query.get("product_area"),
        text=query.get("q"),
    )


@dataclass(slots=True)
class Timings:
    name: str
    ms: list[float]
    errors: int = 0
    note: str = ""

    def row(self, target: float | None) -> list[str]:
        if not self.ms:
            return [self.name, "0", "-", "-", "-", str(self.errors), self.note or "not measured"]
        cuts = statistics.quantiles(self.ms, n=100, method="inclusive")
        p95 = cuts[94]
        verdict = "" if target is None else ("met" if p95 <= target else "**missed**")
        return [
            self.name,
            str(len(self.ms)),
            f"{statistics.median(self.ms):.1f}",
            f"**{p95:.1f}**",
            f"{cuts[98]:.1f}",
            str(self.errors),
            " ".join(part for part in (verdict, self.note) if part),
        ]


def _timed(name: str, calls: Sequence[Callable[[], bool]]) -> Timings:
    for call in calls[:WARMUP]:
        call()
    timings = Timings(name, [])
    for call in calls:
        started = time.perf_counter()
        ok = call()
        timings.ms.append((time.perf_counter() - started) * 1000)
        timings.errors += not ok
    return timings


def log_in(client: httpx.Client) -> bool:
    """Log in through the staff login form; False when the staff UI is not there."""
    page = client.get("/app/login")
    token = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    if page.status_code != 200 or token is None:
        return False
    answer = client.post(
        "/app/login",
        data={"email": BENCH_ADMIN, "password": BENCH_PASSWORD, "csrf_token": token.group(1)},
    )
    return answer.status_code == 303


def http_pages(
    base: str, queries: list[dict[str, str]], ticket_ids: list[int], label: str
) -> list[Timings]:
    with httpx.Client(base_url=base, timeout=30) as client:
        if not log_in(client):
            note = "staff UI not available (no login form at /app/login)"
            return [
                Timings(f"inbox page, HTTP ({label})", [], note=note),
                Timings(f"ticket page, HTTP ({label})", [], note=note),
            ]

        def inbox(query: dict[str, str]) -> Callable[[], bool]:
            return lambda: client.get("/app/inbox", params=query).status_code == 200

        def ticket(ticket_id: int) -> Callable[[], bool]:
            return lambda: client.get(f"/app/tickets/{ticket_id}").status_code == 200

        return [
            _timed(f"inbox page, HTTP ({label})", [inbox(q) for q in queries]),
            _timed(f"ticket page, HTTP ({label})", [ticket(t) for t in ticket_ids]),
        ]


def service_reads(url: str, queries: list[dict[str, str]], ticket_ids: list[int]) -> list[Timings]:
    """The inbox's and ticket page's reads through the desk services, in this process."""
    database = open_database(url)
    with database.session() as session:
        admin_id = session.scalars(select(User.id).where(User.email == BENCH_ADMIN)).one()

    def inbox(query: dict[str, str]) -> Callable[[], bool]:
        def run() -> bool:
            with database.session() as session:
                admin = session.get(User, admin_id)
                assert admin is not None
                filters = _filters(query)
                queue = Queue(query["queue"])
                list_tickets(session, actor=admin, queue=queue, filters=filters, limit=50)
                queue_counts(session, actor=admin, filters=filters)
            return True

        return run

    def ticket(ticket_id: int) -> Callable[[], bool]:
        def run() -> bool:
            with database.session() as session:
                admin = session.get(User, admin_id)
                assert admin is not None
                found = get_ticket_for(session, actor=admin, ticket_id=ticket_id)
                session.scalars(
                    select(TicketMessage)
                    .where(TicketMessage.ticket_id == found.id)
                    .options(selectinload(TicketMessage.attachments))
                    .order_by(TicketMessage.id)
                ).all()
                customer_tickets(session, actor=admin, customer_id=found.customer_id)
            return True

        return run

    try:
        return [
            _timed("inbox reads, desk services", [inbox(q) for q in queries]),
            _timed("ticket reads, desk services", [ticket(t) for t in ticket_ids]),
        ]
    finally:
        database.dispose()


@dataclass(frozen=True, slots=True)
class Load:
    label: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    note: str = ""

    def row(self) -> list[str]:
        if not self.requests:
            return [self.label, "0", "-", "-", "-", "-", self.note]
        verdict = "met" if self.rps >= TARGETS["api_rps"] else "**missed**"
        return [
            self.label,
            f"{self.requests:,}",
            str(self.failures),
            f"**{self.rps:.0f}**",
            f"{self.p50:.0f}",
            f"{self.p95:.0f}",
            " ".join(part for part in (verdict, self.note) if part),
        ]


def api_token(url: str) -> str:
    database = open_database(url)
    try:
        with database.session() as session:
            admin = session.scalars(select(User).where(User.email == BENCH_ADMIN)).one()
            _, secret = issue_api_token(
                session, user=admin, name="desk bench", scopes=[Scope.TICKETS_WRITE]
            )
            return secret
    finally:
        database.dispose()


def api_load(base: str, token: str, *, users: int, seconds: int, label: str) -> Load:
    """Locust, headless, in its own process, against ``POST /api/v1/tickets``."""
    probe = httpx.post(
        f"{base}/api/v1/tickets",
        json={
            "customer": {"email": "customer0@bench.example", "name": "Customer 0"},
            "subject": "Probe",
            "body": "Is the ticket API there?",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if probe.status_code not in (200, 201):
        return Load(label, 0, 0, 0, 0, 0, f"POST /api/v1/tickets answered {probe.status_code}")
    with tempfile.TemporaryDirectory(prefix="trycatch-locust-") as directory:
        prefix = Path(directory) / "tickets"
        command = [
            str(VENV_BIN / "locust"),
            "-f",
            str(Path(__file__).with_name("locustfile_tickets.py")),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        env = {**os.environ, "BENCH_API_TOKEN": token, "BENCH_CUSTOMERS": str(CUSTOMERS)}
        subprocess.run(command, env=env, check=False, capture_output=True)
        with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return Load(
        label,
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50=float(total["50%"]),
        p95=float(total["95%"]),
    )


# --- the report --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite", help="'sqlite' or a postgresql:// URL")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--locust-seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=32, help="locust users")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--no-api", action="store_true", help="skip the locust run")
    args = parser.parse_args()

    built = build(args.db, args.tickets, rebuild=args.rebuild, seed=args.seed)
    # The API load of an earlier run added tickets; every run starts from the build.
    reset(built.url, args.tickets)
    built = build(args.db, args.tickets, rebuild=False, seed=args.seed)
    load_before = os.getloadavg()[0]
    engine = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    rng = random.Random(args.seed + 1)
    queries = inbox_queries(args.requests, seed=args.seed)
    ticket_ids = [rng.randint(1, built.tickets) for _ in range(args.requests)]
    page_rows = [t.row(_target(t.name)) for t in service_reads(built.url, queries, ticket_ids)]
    load_rows: list[list[str]] = []
    logs = Path(tempfile.mkdtemp(prefix="trycatch-desk-bench-"))
    for workers in args.workers:
        label = f"{workers} worker{'s' if workers > 1 else ''}"
        reset(built.url, args.tickets)
        with served(built.url, workers=workers, log=logs / f"server-{workers}.log") as base:
            for timings in http_pages(base, queries, ticket_ids, label):
                page_rows.append(timings.row(_target(timings.name)))
            if not args.no_api:
                token = api_token(built.url)
                load = api_load(
                    base, token, users=args.users, seconds=args.locust_seconds, label=label
                )
                load_rows.append(load.row())
    print(f"## {engine}: {built.tickets:,} tickets, {built.messages:,} messages ({built.size})\n")
    header = ["read", "n", "p50 ms", "p95 ms", "p99 ms", "errors", "target"]
    print(markdown_table(header, page_rows))
    if load_rows:
        print()
        header = ["POST /api/v1/tickets", "requests", "failures", "req/s", "p50 ms", "p95 ms"]
        print(markdown_table([*header, "target"], load_rows))
    print()
    built_note = f"built in {built.seconds:.0f} s" if built.seconds else "cached build reused"
    print(f"- database: {built.url} ({built_note})")
    print(f"- locust: {args.users} users, {args.locust_seconds} s, on the same machine")
    print(f"- server logs: {logs}")
    # Other work on the machine shows in the figures; the load average says how much.
    print(f"- load average (1 min) before / after measuring: {load_before:.1f} / "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"- machine: {machine()}")


def _target(name: str) -> float | None:
    if name.startswith("inbox"):
        return TARGETS["inbox_p95"]
    if name.startswith("ticket"):
        return TARGETS["ticket_p95"]
    return None


if __name__ == "__main__":
    main()
