"""The shipped eval suite for the demo product passes on the active (default) version."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from trycatch.evals.gate import activation_refusal
from trycatch.evals.runner import run_suite
from trycatch.evals.sample import import_sample_suite, sample_suite
from trycatch.knowledge.sample import SAMPLE_PRODUCT, ingest_sample
from trycatch.settings import Settings


def test_shipped_suite_covers_what_the_issue_asks() -> None:
    cases = sample_suite()
    assert len(cases) >= 40
    tags = Counter(tag for item in cases for tag in item.case.tags)
    for tag in ("answer", "escalation", "injection", "out-of-scope", "conversation", "tools"):
        assert tags[tag] >= 2, tag
    kinds = {next(iter(a.model_dump())) for item in cases for a in item.case.expect}
    assert {"cites", "escalates", "called_tool", "not_called_tool", "outcome"} <= kinds


def test_shipped_suite_passes_on_the_active_version_offline(session: Session) -> None:
    settings = Settings(product_name=SAMPLE_PRODUCT)
    ingest_sample(
        session,
        max_file_bytes=settings.max_file_bytes,
        boilerplate_share=settings.boilerplate_share,
    )
    changes = import_sample_suite(session)
    assert len(changes.added) == len(sample_suite())
    report = run_suite(session, settings=settings, actor="ci", concurrency=2)
    failures = {r.name: r.failure for r in report.results if r.status != "passed"}
    assert failures == {}
    assert report.gate.passed
    assert report.run.passed == len(sample_suite())
    # The active version is the one this run is about: nothing to activate, nothing refused
    # for want of a run.
    version = report.run.prompt_version_id
    assert version == 1
    from trycatch.agent.prompts import get_version

    assert (
        activation_refusal(session, get_version(session, version)) == "version 1 is already active"
    )
