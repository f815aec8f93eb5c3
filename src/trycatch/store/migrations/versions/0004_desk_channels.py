"""The catch block's channels: email delivery state on replies, attachments, the article a
ticket caused, and full-text search over tickets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from trycatch.store.base import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# FTS5 external-content tables over the rows, kept in step by triggers (SQLite), or GIN
# expression indexes (PostgreSQL). Staff search the subject and every message, notes included.
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE ticket_messages_fts USING fts5(body, content='ticket_messages', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, content='tickets', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ticket_messages_fts_ai AFTER INSERT ON ticket_messages BEGIN "
    "INSERT INTO ticket_messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER ticket_messages_fts_ad AFTER DELETE ON ticket_messages BEGIN "
    "INSERT INTO ticket_messages_fts(ticket_messages_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER ticket_messages_fts_au AFTER UPDATE OF body ON ticket_messages BEGIN "
    "INSERT INTO ticket_messages_fts(ticket_messages_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO ticket_messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject) "
    "VALUES ('delete', old.id, old.subject); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject) "
    "VALUES ('delete', old.id, old.subject); "
    "INSERT INTO tickets_fts(rowid, subject) VALUES (new.id, new.subject); END",
    # Rows that existed before this revision.
    "INSERT INTO ticket_messages_fts(ticket_messages_fts) VALUES ('rebuild')",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS ticket_messages_fts_ai",
    "DROP TRIGGER IF EXISTS ticket_messages_fts_ad",
    "DROP TRIGGER IF EXISTS ticket_messages_fts_au",
    "DROP TRIGGER IF EXISTS tickets_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_fts_au",
    "DROP TABLE IF EXISTS ticket_messages_fts",
    "DROP TABLE IF EXISTS tickets_fts",
]
POSTGRES_SEARCH = [
    "CREATE INDEX ix_ticket_messages_fts ON ticket_messages "
    "USING gin (to_tsvector('english', body))",
    "CREATE INDEX ix_tickets_fts ON tickets USING gin (to_tsvector('english', subject))",
]
POSTGRES_SEARCH_DROP = [
    "DROP INDEX IF EXISTS ix_ticket_messages_fts",
    "DROP INDEX IF EXISTS ix_tickets_fts",
]


def upgrade() -> None:
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("next_delivery_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("delivery_error", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_ticket_messages_delivery", ["delivery_status", "next_delivery_at"], unique=False
        )

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_ticket_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_articles_source_ticket_id"), ["source_ticket_id"], unique=False
        )

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_attachments_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticket_messages.id"],
            name=op.f("fk_attachments_message_id_ticket_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_message_id"), ["message_id"], unique=False)

    bind = op.get_bind()
    statements = SQLITE_SEARCH if bind.dialect.name == "sqlite" else POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    statements = SQLITE_SEARCH_DROP if bind.dialect.name == "sqlite" else POSTGRES_SEARCH_DROP
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_message_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_ticket_id"))
    op.drop_table("attachments")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_source_ticket_id"))
        batch_op.drop_column("source_ticket_id")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_delivery")
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("next_delivery_at")
        batch_op.drop_column("delivery_attempts")
        batch_op.drop_column("delivery_status")
