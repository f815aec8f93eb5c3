"""The delivery worker: a thread of the server process that emails due replies.

It runs a pass of the outbox (``trycatch.channels.email_out.deliver_due``) every few
seconds, and at once when notified (after a reply is stored). Several processes may each
run one on PostgreSQL, where replies are claimed with row locks; on SQLite run one.
"""

from __future__ import annotations

import logging
import threading

from trycatch.channels.email_out import deliver_due
from trycatch.settings import Settings
from trycatch.store import Database

POLL_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 30.0

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Emails due replies in the background until stopped."""

    def __init__(
        self, *, database: Database, settings: Settings, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self.database = database
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name="trycatch-email-delivery", daemon=True
        )
        self._thread.start()

    def notify(self) -> None:
        """Run a pass now rather than at the next poll (a reply was just queued)."""
        self._wake.set()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Let the pass in flight finish (each email is its own transaction), then stop."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> None:
        """One pass of the outbox; an error is logged and the next pass tries again."""
        try:
            report = deliver_due(self.database, self.settings)
        except Exception:
            # The worker must outlive a database hiccup; the replies stay queued.
            log.exception("email delivery pass failed")
            return
        if report.results:
            log.info(
                "email delivery: %d sent, %d retrying, %d failed",
                len(report.sent),
                len(report.retrying),
                len(report.failed),
            )

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.run_once()
            self._wake.wait(self.poll_seconds)
            self._wake.clear()


__all__ = ["DeliveryWorker"]
