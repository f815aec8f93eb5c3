"""The audit trail: every state change writes an Event in the transaction that made it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from trycatch.store.base import Base, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record_event(
    session: Session, *, actor: str, action: str, subject: str, data: dict[str, Any] | None = None
) -> Event:
    """Add an Event to the session; the caller's transaction commits it with the change."""
    event = Event(actor=actor, action=action, subject=subject, at=utcnow(), data=data or {})
    session.add(event)
    return event
