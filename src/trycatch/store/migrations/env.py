"""Alembic environment: runs migrations on the URL given by trycatch.store.migrate."""

from __future__ import annotations

import importlib
from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

from trycatch.store.base import Base
from trycatch.store.fulltext import FULLTEXT_TABLES

# Full-text search over tickets (migration 0004): FTS5 tables on SQLite, GIN expression
# indexes on PostgreSQL; engine-specific DDL that the models do not declare.
TICKET_SEARCH_TABLES = frozenset({"tickets_fts", "ticket_messages_fts"})
TICKET_SEARCH_INDEXES = frozenset({"ix_tickets_fts", "ix_ticket_messages_fts"})

# Register every table on Base.metadata (the models live in the domain packages).
importlib.import_module("trycatch.models")


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # The full-text tables are engine-specific DDL, not models; FTS5 also creates shadow tables.
    if type_ == "table" and name is not None:
        engine_specific = FULLTEXT_TABLES | TICKET_SEARCH_TABLES
        return not any(name == t or name.startswith(f"{t}_") for t in engine_specific)
    if type_ == "index" and name is not None:
        return name not in TICKET_SEARCH_INDEXES
    return True


def run_migrations() -> None:
    config = context.config
    connectable = config.attributes.get("connection") or engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=_include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
