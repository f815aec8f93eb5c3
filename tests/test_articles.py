"""KB articles: drafts, publishing live in the same transaction, versions, validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.knowledge.articles import (
    ArticleError,
    ArticleNotFound,
    create_article,
    edit_article,
    get_article,
    publish_article,
    unpublish_article,
)
from trycatch.knowledge.models import ArticleStatus, Document
from trycatch.knowledge.search import search
from trycatch.store import Database, Event

BODY = "## Why\n\nThe endpoint answered **410 Gone**, which puts it in quarantine at once.\n"


def _new(session: Session, title: str = "Endpoint disabled after 410") -> str:
    return create_article(
        session, title=title, body=BODY, author="ana", product_area="endpoints"
    ).slug


def test_a_draft_is_not_searchable(session: Session) -> None:
    slug = _new(session)
    assert slug == "endpoint-disabled-after-410"
    assert get_article(session, slug).status == ArticleStatus.DRAFT
    assert search(session, "quarantine") == []


def test_publishing_makes_it_searchable_for_every_session_at_once(
    session: Session, database: Database
) -> None:
    slug = _new(session)
    publish_article(session, slug=slug, actor="ana")
    with database.session() as other:  # a different connection sees the commit
        hits = search(other, "quarantine")
    assert [h.path for h in hits] == [f"{slug}.md"]
    assert hits[0].url == f"/kb/{slug}"
    document = session.scalars(select(Document).where(Document.path == f"{slug}.md")).one()
    assert document.product_area == "endpoints"


def test_editing_a_published_article_updates_the_live_copy(session: Session) -> None:
    slug = _new(session)
    publish_article(session, slug=slug, actor="ana")
    edit_article(
        session, slug=slug, author="bo", body="Now about **idempotency keys**.", note="rewrite"
    )
    assert [h.path for h in search(session, "idempotency keys")] == [f"{slug}.md"]
    assert search(session, "quarantine") == []


def test_every_save_is_a_version(session: Session) -> None:
    slug = _new(session)
    edit_article(session, slug=slug, author="bo", title="Endpoint disabled (410)", note="title")
    edit_article(session, slug=slug, author="cy", body="Shorter.")
    article = get_article(session, slug)
    assert [(v.number, v.author, v.note) for v in article.versions] == [
        (1, "ana", "created"),
        (2, "bo", "title"),
        (3, "cy", "edited"),
    ]
    assert article.versions[0].title == "Endpoint disabled after 410"
    assert article.versions[0].body == BODY
    assert article.title == "Endpoint disabled (410)"


def test_unpublish_takes_it_out_and_keeps_the_draft(session: Session) -> None:
    slug = _new(session)
    publish_article(session, slug=slug, actor="ana")
    unpublish_article(session, slug=slug, actor="ana")
    assert search(session, "quarantine") == []
    assert get_article(session, slug).status == ArticleStatus.DRAFT


def test_changes_are_audited(session: Session) -> None:
    slug = _new(session)
    publish_article(session, slug=slug, actor="ana")
    unpublish_article(session, slug=slug, actor="bo")
    actions = session.scalars(
        select(Event.action).where(Event.subject == f"article:{slug}").order_by(Event.id)
    ).all()
    assert actions == ["article.created", "article.published", "article.unpublished"]


def test_slugs_stay_unique(session: Session) -> None:
    assert _new(session) == "endpoint-disabled-after-410"
    assert _new(session) == "endpoint-disabled-after-410-2"


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("  ", "body", "title"), ("T", "", "body"), ("x" * 301, "body", "title")],
)
def test_invalid_input_names_the_field(session: Session, title: str, body: str, field: str) -> None:
    with pytest.raises(ArticleError, match=f"^{field}:"):
        create_article(session, title=title, body=body, author="ana")


def test_unknown_slug(session: Session) -> None:
    with pytest.raises(ArticleNotFound):
        publish_article(session, slug="nope", actor="ana")
