"""Ingesting folders: incremental updates, product areas, banners, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import BANNER, ingest, make_page, write
from trycatch.knowledge.ingest import IngestError
from trycatch.knowledge.models import Chunk, Document
from trycatch.knowledge.search import search
from trycatch.knowledge.taxonomy import ProductArea, Taxonomy
from trycatch.store import Event


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write(
        root,
        "domains/verify.md",
        make_page("Verify a domain", ("DKIM", "Add the DKIM TXT record.")),
    )
    write(
        root,
        "keys/rotate.mdx",
        make_page("Rotate API keys", ("Steps", "<Note>Revoke the old key.</Note>")),
    )
    write(root, "billing/invoices.md", make_page("Invoices", ("Download", "Invoices are PDFs.")))
    write(root, "billing/plans.md", make_page("Plans", ("Free", "The free plan has limits.")))
    return root


def _paths(session: Session) -> set[str]:
    return set(session.scalars(select(Document.path)))


def test_first_ingest_adds_every_page(session: Session, docs: Path) -> None:
    report = ingest(session, docs)
    assert (report.added, report.updated, report.removed, report.skipped) == (4, 0, 0, 0)
    assert _paths(session) == {
        "domains/verify.md",
        "keys/rotate.mdx",
        "billing/invoices.md",
        "billing/plans.md",
    }
    assert session.scalar(select(func.count()).select_from(Chunk)) >= 4


def test_reingest_skips_unchanged_updates_changed_removes_deleted(
    session: Session, docs: Path
) -> None:
    ingest(session, docs)
    write(
        docs,
        "billing/invoices.md",
        make_page("Invoices", ("Download", "Invoices are zipped CSVs now.")),
    )
    (docs / "billing" / "plans.md").unlink()
    write(docs, "billing/refunds.md", make_page("Refunds", ("Policy", "Refunds within 14 days.")))

    report = ingest(session, docs)

    assert (report.added, report.updated, report.removed, report.skipped) == (1, 1, 1, 2)
    assert "billing/plans.md" not in _paths(session)
    assert [h.path for h in search(session, "zipped CSVs")] == ["billing/invoices.md"]
    assert search(session, "free plan limits") == []  # the deleted page left the index
    assert [h.path for h in search(session, "refunds")] == ["billing/refunds.md"]


def test_reingest_of_an_unchanged_folder_changes_nothing(session: Session, docs: Path) -> None:
    ingest(session, docs)
    chunks_before = session.scalar(select(func.count()).select_from(Chunk))
    report = ingest(session, docs)
    assert (report.added, report.updated, report.removed, report.skipped) == (0, 0, 0, 4)
    assert session.scalar(select(func.count()).select_from(Chunk)) == chunks_before


def test_ingest_writes_an_audit_event(session: Session, docs: Path) -> None:
    ingest(session, docs, source_name="docs")
    event = session.scalars(select(Event).where(Event.action == "knowledge.ingested")).one()
    assert event.subject == "source:docs"
    assert event.data["added"] == 4


def test_banner_repeated_on_most_pages_is_not_indexed(session: Session, docs: Path) -> None:
    ingest(session, docs)
    assert "support team answers" in BANNER.lower()
    assert search(session, "support team answers within a day weekdays") == []
    texts = session.scalars(select(Chunk.text)).all()
    assert not any("weekdays" in text for text in texts)


def test_product_area_from_front_matter_then_path(session: Session, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write(root, "guides/a.md", make_page("A", ("x", "alpha"), front_matter="area: Billing"))
    write(root, "billing/b.md", make_page("B", ("x", "beta")))
    write(root, "misc/c.md", make_page("C", ("x", "gamma")))
    taxonomy = Taxonomy(
        front_matter_fields=["area"],
        product_areas=[
            ProductArea(slug="billing", name="Billing", paths=["billing/**"]),
            ProductArea(slug="guides", name="Guides", paths=["guides/*"]),
        ],
    )
    ingest(session, root, taxonomy=taxonomy)
    areas = dict(session.execute(select(Document.path, Document.product_area)).all())
    assert areas == {"guides/a.md": "billing", "billing/b.md": "billing", "misc/c.md": None}


def test_bad_files_are_reported_by_name_and_the_rest_is_ingested(
    session: Session, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    outside = write(tmp_path, "secret.md", "# Secret\n\nPrivate notes.\n")
    write(root, "good.md", make_page("Good page", ("Body", "Everything is fine.")))
    write(root, "empty.md", "  \n\n")
    write(root, "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(root, "latin1.md", "caf\xe9".encode("latin-1"))
    write(root, "front.md", "---\ntitle: [broken\n---\n# Broken\n")
    write(root, "huge.md", "# Huge\n\n" + "x" * 5_000)
    (root / "escape.md").symlink_to(outside)
    (root / "dangling.md").symlink_to(tmp_path / "missing.md")

    report = ingest(session, root, max_file_bytes=4_000)

    problems = {p.path: p.problem for p in report.problems}
    assert set(problems) == {
        "empty.md",
        "binary.md",
        "latin1.md",
        "front.md",
        "huge.md",
        "escape.md",
        "dangling.md",
    }
    assert problems["empty.md"] == "empty file"
    assert problems["binary.md"].startswith("binary file")
    assert problems["latin1.md"].startswith("not UTF-8")
    assert problems["front.md"].startswith("bad front matter")
    assert problems["huge.md"].startswith("too large")
    assert problems["escape.md"].startswith("links outside the folder")
    assert problems["dangling.md"].startswith("unreadable")
    assert report.added == 1
    assert _paths(session) == {"good.md"}
    assert search(session, "private notes secret") == []


def test_a_file_that_turns_bad_keeps_its_indexed_version(session: Session, docs: Path) -> None:
    ingest(session, docs)
    write(docs, "billing/plans.md", "")
    report = ingest(session, docs)
    assert [p.path for p in report.problems] == ["billing/plans.md"]
    assert report.removed == 0
    assert "billing/plans.md" in _paths(session)


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_missing_folder_is_an_error(session: Session, tmp_path: Path, make: str) -> None:
    target = tmp_path / "nope"
    if make == "file":
        target.write_text("x")
    with pytest.raises(IngestError, match="nope"):
        ingest(session, target)


def test_exclude_globs_leave_files_out(session: Session, docs: Path) -> None:
    from trycatch.knowledge.ingest import ingest_folder

    ingest_folder(
        session,
        root=docs,
        taxonomy=Taxonomy(),
        exclude=["billing/*"],
        max_file_bytes=10**6,
        boilerplate_share=0.5,
    )
    assert _paths(session) == {"domains/verify.md", "keys/rotate.mdx"}
