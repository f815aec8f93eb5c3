"""Persistence: engine and sessions, the declarative Base, migrations, full-text backends."""

from trycatch.store.audit import Event, record_event
from trycatch.store.base import Base, UTCDateTime, utcnow
from trycatch.store.engine import Database, open_database
from trycatch.store.migrate import upgrade

__all__ = [
    "Base",
    "Database",
    "Event",
    "UTCDateTime",
    "open_database",
    "record_event",
    "upgrade",
    "utcnow",
]
