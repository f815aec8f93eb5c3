"""Search: BM25 with field weights, stemming, one result per document, snippets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories import ingest, make_page, write
from trycatch.knowledge.models import SourceKind
from trycatch.knowledge.search import make_snippet, search


@pytest.fixture
def indexed(session: Session, tmp_path: Path) -> Session:
    root = tmp_path / "docs"
    write(
        root,
        "webhooks/retries.md",
        make_page(
            "Webhook retries",
            ("Schedule", "Failed deliveries are retried eight times over a day."),
            ("Replays", "Replay any event from the last 30 days from the dashboard."),
        ),
    )
    write(
        root,
        "overview.md",
        make_page(
            "Overview",
            ("Concepts", "Events, endpoints and deliveries. Retries exist; see the guide."),
        ),
    )
    write(
        root,
        "security/signatures.md",
        make_page(
            "Verifying signatures",
            ("Header", "Each request carries a signature header computed with HMAC-SHA256."),
            ("Clock skew", "Signatures older than five minutes are rejected."),
        ),
    )
    write(
        root,
        "errors.md",
        make_page(
            "Error codes",
            ("payload_too_large", "HTTP 413: the body exceeds 256 KB."),
            ("rate_limited", "HTTP 429 with a Retry-After header."),
        ),
    )
    ingest(session, root)
    return session


def test_title_match_outranks_a_passing_mention(indexed: Session) -> None:
    paths = [h.path for h in search(indexed, "retries")]
    assert paths[0] == "webhooks/retries.md"
    assert "overview.md" in paths[1:]


def test_stemming_matches_other_word_forms(indexed: Session) -> None:
    assert search(indexed, "verify signature")[0].path == "security/signatures.md"
    assert search(indexed, "replaying events")[0].path == "webhooks/retries.md"


def test_one_result_per_document_with_its_best_passage(indexed: Session) -> None:
    hits = search(indexed, "retried replay dashboard")
    assert [h.path for h in hits].count("webhooks/retries.md") == 1
    best = hits[0]
    assert best.path == "webhooks/retries.md"
    assert best.heading_path == "Webhook retries > Replays"
    assert "**Replay**" in best.snippet


def test_long_message_with_an_error_body_finds_the_page(indexed: Session) -> None:
    message = (
        "Hi team, hope you're well! Since yesterday our worker crashes when we send events. "
        "Here is what we get back:\n```json\n"
        '{"error": {"type": "invalid_request", "code": "payload_too_large", '
        '"message": "Body exceeds limit", "request_id": "9f8e7d6c5b4a39281726"}}\n```\n'
        'Traceback (most recent call last):\n  File "app.py", line 12, in send\n'
        "Any idea? Thanks a lot!"
    )
    assert search(indexed, message)[0].path == "errors.md"


def test_results_carry_the_contract_fields(indexed: Session) -> None:
    hit = search(indexed, "signature header", limit=1)[0]
    assert hit.public().keys() == {"path", "title", "url", "score", "snippet"}
    assert hit.title == "Verifying signatures"
    assert hit.url == "/docs/security/signatures"
    assert hit.score > 0


def test_limit_and_no_match(indexed: Session) -> None:
    assert len(search(indexed, "retries signature errors events", limit=2)) == 2
    assert search(indexed, "kubernetes helm chart") == []
    assert search(indexed, "the and of") == []
    assert search(indexed, "") == []


def test_query_syntax_characters_are_plain_text(indexed: Session) -> None:
    for query in ['"unbalanced', "NEAR(a b)", "col:umn", "a OR", "*", "(((", "-x AND"]:
        search(indexed, query)  # must not raise an FTS syntax error
    assert search(indexed, 'signature" OR "x')[0].path == "security/signatures.md"


def test_filter_by_kind(session: Session, tmp_path: Path) -> None:
    write(tmp_path / "docs", "a.md", make_page("Domains", ("x", "verify domains")))
    write(tmp_path / "kb", "b.md", make_page("Domain FAQ", ("x", "verify domains faq")))
    ingest(session, tmp_path / "docs", source_name="docs")
    ingest(session, tmp_path / "kb", source_name="kb", kind=SourceKind.KB)
    assert {h.path for h in search(session, "verify domains")} == {"a.md", "b.md"}
    assert [h.path for h in search(session, "verify domains", kinds=["kb"])] == ["b.md"]


def test_chinese_text_is_searchable(session: Session, tmp_path: Path) -> None:
    write(tmp_path / "docs", "zh.md", make_page("域名验证", ("步骤", "添加 DNS 记录后等待验证。")))
    write(tmp_path / "docs", "en.md", make_page("Billing", ("x", "invoices")))
    ingest(session, tmp_path / "docs")
    assert search(session, "怎么验证域名")[0].path == "zh.md"


def test_snippet_highlights_the_densest_window() -> None:
    text = "Intro words. " * 30 + "Rotate the key, then revoke the old key." + " Outro." * 30
    snippet = make_snippet(text, {"rotat", "revok"}, words=12)
    assert "**Rotate**" in snippet
    assert "**revoke**" in snippet
    assert snippet.startswith("… ")
    assert snippet.endswith(" …")
