"""Replies reach customers by email: queued with the reply, sent to a real SMTP server
(aiosmtpd on loopback), retried with backoff, failed visibly, sent again by staff."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.desk_factories import make_customer, make_ticket, make_user
from trycatch.channels.email_out import (
    DeliveryReport,
    EmailNotConfigured,
    deliver_due,
    reply_subject,
)
from trycatch.desk import (
    EMAIL,
    PermissionDenied,
    Role,
    Ticket,
    TicketMessage,
    TicketSource,
    open_ticket,
    reply,
)
from trycatch.desk.delivery import (
    NotResendable,
    RetryPolicy,
    failed_deliveries,
    retry_delivery,
)
from trycatch.desk.models import DeliveryStatus
from trycatch.jobs import DeliveryWorker
from trycatch.settings import Settings
from trycatch.store import Database, utcnow
from trycatch.store.audit import Event
from trycatch.web import create_app

CUSTOMER_EMAIL_ID = "<first-question@mail.example.org>"
ANSWER = "Rotate the signing secret, then redeliver the failed events."


class Mailbox:
    """An SMTP handler that refuses the first ``refuse`` emails with a 451, then keeps them."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.attempts = 0
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    # aiosmtpd calls its handlers by the SMTP verb's name.
    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: SMTPSession, envelope: Envelope
    ) -> str:
        self.attempts += 1
        if self.attempts <= self.refuse:
            return "451 try again"
        content = envelope.content
        assert isinstance(content, bytes)
        email = message_from_bytes(content, policy=default_policy)
        assert isinstance(email, EmailMessage)
        self.received.append(email)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Mailbox, int]]]:
    """Start real SMTP servers on loopback: ``smtp_server(refuse=N) -> (mailbox, port)``."""
    controllers: list[Controller] = []

    def start(refuse: int = 0) -> tuple[Mailbox, int]:
        mailbox = Mailbox(refuse)
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return mailbox, port

    yield start
    for controller in controllers:
        controller.stop()


def email_settings(db_url: str, port: int, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "database_url": db_url,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
        "smtp_timeout_seconds": 5,
        "email_from": "Hookrelay Support <support@hookrelay.test>",
        "public_url": "https://support.hookrelay.test/",
        "email_max_attempts": 3,
        "email_retry_seconds": 30,
    }
    fields.update(overrides)
    return Settings(**fields)


def emailed_ticket(session: Session) -> Ticket:
    customer = make_customer(session, name="Ada Lovelace", email="ada@example.org")
    return make_ticket(
        session,
        customer=customer,
        subject="Webhook deliveries fail with a 401",
        source=TicketSource.EMAIL,
        actor=EMAIL,
        message_id=CUSTOMER_EMAIL_ID,
    )


def answer(session: Session, ticket: Ticket, settings: Settings) -> TicketMessage:
    agent = make_user(session, role=Role.AGENT)
    return reply(
        session, ticket_id=ticket.id, actor=agent, body=ANSWER, email_from=settings.email_from
    )


def events(session: Session, action: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def later(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


# --- queueing, in the reply's own transaction ------------------------------------------------


def test_a_reply_to_a_customer_with_an_email_address_is_queued_with_a_message_id(
    session: Session,
) -> None:
    ticket = emailed_ticket(session)
    message = answer(session, ticket, email_settings("", 25))
    session.expire_all()
    stored = session.get(TicketMessage, message.id)
    assert stored is not None
    assert stored.delivery_status == DeliveryStatus.QUEUED
    assert stored.delivery_attempts == 0
    assert stored.next_delivery_at is not None and stored.next_delivery_at <= utcnow()
    assert re.fullmatch(
        rf"<ticket-{ticket.id}-[0-9a-f]{{24}}@hookrelay\.test>", stored.message_id or ""
    )
    [event] = events(session, "ticket.replied")
    assert event.data == {"message_id": message.id, "delivery": "queued"}


def test_a_reply_to_a_customer_without_email_is_not_queued(session: Session) -> None:
    customer = make_customer(session, email=None)
    ticket = make_ticket(session, customer=customer)
    message = answer(session, ticket, email_settings("", 25))
    assert (message.delivery_status, message.message_id) == (None, None)


def test_an_outreach_ticket_queues_its_first_message(session: Session) -> None:
    agent = make_user(session, role=Role.AGENT)
    customer = make_customer(session)
    ticket = open_ticket(
        session,
        customer_id=customer.id,
        subject="Your webhook volume doubled",
        body="We noticed you send twice as many events; want a hand with batching?",
        source=TicketSource.OUTREACH,
        actor=agent,
        email_from="success@hookrelay.test",
    )
    [message] = ticket.messages
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert (message.message_id or "").endswith("@hookrelay.test>")
    [event] = events(session, "ticket.opened")
    assert event.data["delivery"] == "queued"


# --- sending ---------------------------------------------------------------------------------


def test_a_queued_reply_reaches_the_customer_threaded_with_the_ticket_link(
    session: Session, database: Database, db_url: str, smtp_server: Callable[..., Any]
) -> None:
    mailbox, port = smtp_server()
    settings = email_settings(db_url, port)
    ticket = emailed_ticket(session)
    message = answer(session, ticket, settings)

    report = deliver_due(database, settings)

    assert [(r.message_id, r.status, r.attempts) for r in report.results] == [
        (message.id, DeliveryStatus.SENT, 1)
    ]
    [email] = mailbox.received
    assert mailbox.recipients == [["ada@example.org"]]
    assert email["To"] == "Ada Lovelace <ada@example.org>"
    assert email["From"] == "Hookrelay Support <support@hookrelay.test>"
    assert email["Subject"] == f"Re: Webhook deliveries fail with a 401 [#{ticket.id}]"
    assert email["Message-ID"] == message.message_id
    assert email["In-Reply-To"] == CUSTOMER_EMAIL_ID
    assert CUSTOMER_EMAIL_ID in email["References"]
    body = email.get_content()
    assert ANSWER in body
    assert f"https://support.hookrelay.test/tickets/{ticket.key}" in body
    session.expire_all()
    stored = session.get(TicketMessage, message.id)
    assert stored is not None
    assert (stored.delivery_status, stored.delivery_attempts) == (DeliveryStatus.SENT, 1)
    assert stored.next_delivery_at is None
    assert [e.data["message_id"] for e in events(session, "email.sent")] == [message.id]
    # Sent is sent: a later pass sends nothing again.
    assert deliver_due(database, settings, now=later(3600)).results == ()
    assert len(mailbox.received) == 1


def test_a_refused_reply_is_retried_with_doubling_waits_then_delivered(
    session: Session, database: Database, db_url: str, smtp_server: Callable[..., Any]
) -> None:
    mailbox, port = smtp_server(refuse=2)
    settings = email_settings(db_url, port, email_max_attempts=5, email_retry_seconds=30)
    message = answer(session, emailed_ticket(session), settings)
    start = utcnow()

    first = deliver_due(database, settings, now=start)
    [result] = first.retrying
    assert result.attempts == 1
    assert result.error is not None and result.error.startswith("451")
    assert result.next_attempt_at == start + timedelta(seconds=30)

    assert deliver_due(database, settings, now=start + timedelta(seconds=29)) == DeliveryReport()

    second = deliver_due(database, settings, now=start + timedelta(seconds=30))
    [result] = second.retrying
    assert result.attempts == 2
    assert result.next_attempt_at == start + timedelta(seconds=90)  # 30 s later, then 60 s

    third = deliver_due(database, settings, now=start + timedelta(seconds=90))
    assert [(r.message_id, r.status, r.attempts) for r in third.results] == [
        (message.id, DeliveryStatus.SENT, 3)
    ]
    assert mailbox.attempts == 3
    assert len(mailbox.received) == 1
    assert [e.data["attempts"] for e in events(session, "email.retrying")] == [1, 2]


def test_a_reply_always_refused_fails_after_max_attempts_and_is_listed(
    session: Session, database: Database, db_url: str, smtp_server: Callable[..., Any]
) -> None:
    mailbox, port = smtp_server(refuse=1_000)
    settings = email_settings(db_url, port, email_max_attempts=3)
    message = answer(session, emailed_ticket(session), settings)
    viewer = make_user(session, role=Role.VIEWER)

    statuses = [
        [r.status for r in deliver_due(database, settings, now=later(seconds)).results]
        for seconds in (0, 3600, 7200, 10800)
    ]

    assert statuses == [["retrying"], ["retrying"], ["failed"], []]
    assert mailbox.attempts == 3
    session.expire_all()  # the passes ran in their own sessions
    [failed] = failed_deliveries(session, actor=viewer)
    assert (failed.id, failed.delivery_attempts) == (message.id, 3)
    assert failed.delivery_error is not None and "451" in failed.delivery_error
    [event] = events(session, "email.failed")
    assert event.data["attempts"] == 3


def test_staff_send_a_failed_reply_again_and_a_viewer_may_not(
    session: Session, database: Database, db_url: str, smtp_server: Callable[..., Any]
) -> None:
    _, refusing_port = smtp_server(refuse=1_000)
    settings = email_settings(db_url, refusing_port, email_max_attempts=1)
    message = answer(session, emailed_ticket(session), settings)
    assert [r.status for r in deliver_due(database, settings).results] == ["failed"]
    viewer = make_user(session, role=Role.VIEWER)
    agent = make_user(session, role=Role.AGENT)

    with pytest.raises(PermissionDenied):
        retry_delivery(session, message_id=message.id, actor=viewer)
    session.refresh(message)
    assert message.delivery_status == DeliveryStatus.FAILED

    queued = retry_delivery(session, message_id=message.id, actor=agent)
    assert (queued.delivery_status, queued.delivery_attempts) == (DeliveryStatus.QUEUED, 0)
    [event] = events(session, "email.resend_requested")
    assert event.actor == f"user:{agent.id}"
    assert failed_deliveries(session, actor=agent) == []
    with pytest.raises(NotResendable):
        retry_delivery(session, message_id=message.id, actor=agent)

    accepting, accepting_port = smtp_server()
    report = deliver_due(database, email_settings(db_url, accepting_port), now=later(1))
    assert [r.status for r in report.results] == ["sent"]
    assert accepting.received[0]["Message-ID"] == message.message_id


def test_an_unreachable_server_stops_the_pass_and_keeps_the_replies(
    session: Session, database: Database, db_url: str
) -> None:
    settings = email_settings(db_url, free_port())  # nothing listens there
    first = answer(session, emailed_ticket(session), settings)
    second_ticket = make_ticket(session, customer=make_customer(session))
    answer(session, second_ticket, settings)

    report = deliver_due(database, settings)

    [result] = report.results
    assert (result.message_id, result.status) == (first.id, DeliveryStatus.RETRYING)
    assert result.error is not None and "Connection" in result.error


def test_no_smtp_host_means_replies_stay_queued(database: Database, db_url: str) -> None:
    with pytest.raises(EmailNotConfigured):
        deliver_due(database, Settings(database_url=db_url))


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600), (10_000, 3600)],
)
def test_backoff_doubles_and_is_capped_at_an_hour(attempts: int, wait: int) -> None:
    policy = RetryPolicy(max_attempts=8, first_wait_seconds=30)
    assert policy.wait_after(attempts) == timedelta(seconds=wait)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Bounces", "Re: Bounces [#7]"),
        ("Re: Bounces", "Re: Bounces [#7]"),
        ("RE: re: Bounces", "Re: Bounces [#7]"),
    ],
)
def test_reply_subjects_do_not_pile_up_prefixes(subject: str, expected: str) -> None:
    assert reply_subject(subject, 7) == expected


# --- the server's worker and the command line ------------------------------------------------


def test_the_worker_sends_a_reply_when_notified(
    session: Session, database: Database, db_url: str, smtp_server: Callable[..., Any]
) -> None:
    mailbox, port = smtp_server()
    settings = email_settings(db_url, port)
    worker = DeliveryWorker(database=database, settings=settings, poll_seconds=60)
    worker.start()
    try:
        time.sleep(0.2)  # its first pass finds nothing; the next waits for a notice
        message = answer(session, emailed_ticket(session), settings)
        worker.notify()
        deadline = time.monotonic() + 10
        while not mailbox.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert not worker.running
    assert [m["Message-ID"] for m in mailbox.received] == [message.message_id]


def test_the_web_app_runs_the_worker_only_with_an_smtp_server(
    database: Database, db_url: str
) -> None:
    with TestClient(create_app(email_settings(db_url, free_port()), database)) as client:
        worker = client.app.state.delivery_worker  # type: ignore[attr-defined]
        assert isinstance(worker, DeliveryWorker) and worker.running
    assert not worker.running
    with TestClient(create_app(Settings(database_url=db_url), database)) as client:
        assert client.app.state.delivery_worker is None  # type: ignore[attr-defined]


def test_cli_delivers_and_lists_failures(
    session: Session,
    cli: Callable[..., Any],
    db_url: str,
    smtp_server: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, port = smtp_server(refuse=1_000)
    settings = email_settings(db_url, port, email_max_attempts=1)
    message = answer(session, emailed_ticket(session), settings)
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "none",
        "EMAIL_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(f"TRYCATCH_{name}", value)

    delivered = cli("email", "deliver", "--json")
    [row] = json.loads(delivered.stdout)  # type: ignore[attr-defined]
    assert (row["message_id"], row["status"], row["attempts"]) == (message.id, "failed", 1)

    listed = cli("email", "failed", "--json")
    [row] = json.loads(listed.stdout)  # type: ignore[attr-defined]
    assert (row["message_id"], row["to"]) == (message.id, "ada@example.org")
    assert "451" in row["error"]

    table = cli("email", "failed")
    assert str(message.id) in table.stdout  # type: ignore[attr-defined]

    retried = cli("email", "retry", str(message.id), "--json")
    assert json.loads(retried.stdout) == {"message_id": message.id, "status": "queued"}  # type: ignore[attr-defined]
    assert json.loads(cli("email", "failed", "--json").stdout) == []  # type: ignore[attr-defined]

    summary = cli("email", "deliver")
    assert "0 sent, 0 retrying, 1 failed" in summary.stdout  # type: ignore[attr-defined]
