"""The runner, cache, baseline diff, gate and gated activation, on a real database.

Models are fakes at the edge only: the offline responder, pydantic-ai FunctionModels, and
the loopback OpenAI-compatible server. Everything else is the real code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai import ModelResponse, ToolCallPart
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import ingest, make_page, write
from trycatch.agent.models import PromptStatus
from trycatch.agent.prompts import active_prompt, create_version, diff_versions, get_version
from trycatch.evals.cases import SuiteCase, parse_suite_text
from trycatch.evals.gate import ActivationRefused, activate_version, rollback
from trycatch.evals.library import replace_suite
from trycatch.evals.models import CachedResponse, EvalResult, ResultStatus
from trycatch.evals.runner import Baseline, run_suite
from trycatch.settings import Settings
from trycatch.testing.openai_server import fake_openai

SETTINGS = Settings(product_name="Hookrelay")

SUITE = """
cases:
  - name: disabled-answered
    tags: [answer]
    input: Why was my endpoint disabled?
    expect:
      - outcome: answered
      - cites: [endpoints/disabled.md]
  - name: signatures-answered
    tags: [answer]
    input: How do I verify webhook signatures with HMAC-SHA256?
    expect:
      - cites: [security/signatures.md]
  - name: refund-escalates
    tags: [escalation]
    input: I was charged twice, please refund me.
    expect:
      - escalates: true
        reason: (?i)billing
  - name: disabled-escalates
    tags: [escalation]
    input: Why was my endpoint disabled?
    expect:
      - escalates: true
  - name: impossible
    tags: [broken]
    input: Why was my endpoint disabled?
    expect:
      - cites: [does/not/exist.md]
"""


# The cases that pass on the default prompt.
PASSING = SUITE.split("  - name: disabled-escalates", maxsplit=1)[0]


def suite(text: str = SUITE, *, suite_name: str = "core") -> list[SuiteCase]:
    return [SuiteCase(suite_name, case) for case in parse_suite_text(text, path="test.yaml")]


@pytest.fixture
def docs(session: Session, tmp_path: Path) -> Session:
    root = tmp_path / "docs"
    write(
        root,
        "endpoints/disabled.md",
        make_page(
            "Why was my endpoint disabled?",
            ("410 Gone", "An endpoint that answers 410 Gone is disabled at once."),
            ("Failures", "After three days of failed deliveries the endpoint is disabled."),
        ),
    )
    write(
        root,
        "security/signatures.md",
        make_page(
            "Verify webhook signatures",
            ("Header", "Compute an HMAC-SHA256 of the raw body with the signing secret."),
        ),
    )
    ingest(session, root)
    return session


def statuses(report: Any) -> dict[str, str]:
    return {name: str(status) for name, status in report.statuses.items()}


def test_run_stores_results_with_assertions_and_transcript(docs: Session) -> None:
    report = run_suite(docs, settings=SETTINGS, actor="ana", cases=suite(), concurrency=3)
    assert statuses(report) == {
        "disabled-answered": "passed",
        "signatures-answered": "passed",
        "refund-escalates": "passed",
        "disabled-escalates": "failed",
        "impossible": "failed",
    }
    run = report.run
    assert (run.cases, run.passed, run.failed, run.skipped) == (5, 3, 2, 0)
    assert run.prompt_version_id == active_prompt(docs).id
    # No baseline (a fresh database): every case must pass, so the gate fails.
    assert report.diff.baseline_run_id is None
    assert not run.gate_passed
    assert "failing (no baseline run to compare with): impossible" in run.gate_reasons
    stored = docs.scalars(
        select(EvalResult).where(EvalResult.case_name == "disabled-escalates")
    ).one()
    assert stored.failure == "escalates: expected an escalation, got answered"
    assert stored.assertions == [
        {"kind": "escalates", "status": "failed", "message": stored.failure.split(": ", 1)[1]}
    ]
    assert stored.transcript[0]["outcome"] == "answered"
    assert stored.transcript[0]["tool_calls"][0]["name"] == "search_docs"
    assert stored.requests == 2
    assert stored.input_tokens > 0


def test_a_rehearsal_stores_no_conversation(docs: Session) -> None:
    from trycatch.agent.models import Conversation, Handoff

    run_suite(docs, settings=SETTINGS, actor="ana", cases=suite())
    assert docs.scalars(select(Conversation)).first() is None
    assert docs.scalars(select(Handoff)).first() is None


def test_tags_select_cases_and_repeat_runs_each_case_n_times(docs: Session) -> None:
    report = run_suite(
        docs,
        settings=SETTINGS,
        actor="ana",
        cases=suite(),
        tags=["escalation"],
        repeat=3,
        concurrency=4,
    )
    assert set(report.statuses) == {"refund-escalates", "disabled-escalates"}
    assert len(report.results) == 6
    assert sorted({r.repetition for r in report.results}) == [0, 1, 2]
    assert report.run.tags == ["escalation"]


def test_cache_makes_a_rerun_free_and_no_cache_asks_again(docs: Session) -> None:
    cases = suite(
        """
cases:
  - name: disabled
    input: Why was my endpoint disabled?
    expect: [{outcome: answered}, {max_model_requests: 2}, {max_cost: 0.01}]
  - name: signatures
    input: How do I verify webhook signatures?
    expect: [{cites: [security/signatures.md]}]
"""
    )
    with fake_openai() as server:
        settings = Settings(
            agent_provider="openai", agent_base_url=server.base_url, agent_model="gpt-4o-mini"
        )
        first = run_suite(docs, settings=settings, actor="ci", cases=cases, concurrency=2)
        calls = len(server.requests)
        assert calls == 4  # search, then answer: per case
        assert (first.run.cache_hits, first.run.cache_misses) == (0, 4)
        assert first.run.cost > 0  # priced by the model's published prices

        second = run_suite(docs, settings=settings, actor="ci", cases=cases, concurrency=2)
        assert len(server.requests) == calls  # not one request reached the model
        assert (second.run.cache_hits, second.run.cache_misses) == (4, 0)
        assert statuses(second) == statuses(first) == {"disabled": "passed", "signatures": "passed"}
        assert [r.cached for r in second.results] == [2, 2]

        third = run_suite(docs, settings=settings, actor="ci", cases=cases, use_cache=False)
        assert len(server.requests) == 2 * calls
        assert third.run.cache_hits == 0
    assert len(docs.scalars(select(CachedResponse)).all()) == 4


def test_a_changed_prompt_misses_the_cache(docs: Session) -> None:
    cases = suite()
    first = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases)
    # Three cases ask the same question: the first asks the model, the others hit.
    assert (first.run.cache_misses, first.run.cache_hits) == (4, 4)
    draft = create_version(
        docs, text=active_prompt(docs).text + "\nBe brief.", author="ana", reason="brevity"
    )
    report = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases, version_id=draft.id)
    assert (report.run.cache_misses, report.run.cache_hits) == (4, 4)
    again = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases, version_id=draft.id)
    assert again.run.cache_misses == 0


def test_baseline_diff_newly_failing_newly_passing_still_failing(docs: Session) -> None:
    cases = suite()
    baseline = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases)
    # Without the search tool the agent cannot answer from the docs: it hands over.
    no_search = create_version(
        docs,
        text=active_prompt(docs).text,
        tools=["escalate_to_human"],
        author="ana",
        reason="try without search",
    )
    report = run_suite(
        docs,
        settings=SETTINGS,
        actor="ci",
        cases=cases,
        version_id=no_search.id,
        baseline=baseline.run.id,
    )
    diff = report.diff
    assert diff.baseline_run_id == baseline.run.id
    assert sorted(diff.newly_failing) == ["disabled-answered", "signatures-answered"]
    assert diff.newly_passing == ["disabled-escalates"]
    assert diff.still_failing == ["impossible"]
    assert not report.gate.passed
    assert any(r.startswith("regression: disabled-answered") for r in report.gate.reasons)


def test_default_baseline_is_the_last_run_of_the_active_version(docs: Session) -> None:
    cases = suite()
    first = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases)
    second = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases)
    assert second.run.baseline_run_id == first.run.id
    assert second.diff.still_failing == ["disabled-escalates", "impossible"]
    # Nothing regressed and no case is new: the gate passes though two cases fail.
    assert second.gate.passed
    none = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases, baseline=Baseline.NONE)
    assert none.run.baseline_run_id is None
    assert not none.gate.passed


def test_a_failing_new_case_fails_the_gate(docs: Session) -> None:
    cases = suite()
    run_suite(docs, settings=SETTINGS, actor="ci", cases=cases)
    with_new = suite(SUITE.replace("tags: [broken]", "tags: [broken, new]"))
    report = run_suite(docs, settings=SETTINGS, actor="ci", cases=with_new)
    assert report.diff.newly_failing == []
    assert report.gate.reasons == ["new case failed: impossible"]


def grader(score: float) -> FunctionModel:
    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        args = {"score": score, "reason": "does not say when it is disabled"}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, args)])

    # Named by its score: the cache tells judges apart by model name.
    return FunctionModel(respond, model_name=f"judge-{score}")


def test_rubric_skipped_without_judge_and_scored_with_one(docs: Session) -> None:
    cases = suite(
        """
cases:
  - name: explains-disabling
    tags: [new]
    input: Why was my endpoint disabled?
    expect:
      - outcome: answered
      - rubric: Says that a 410 Gone disables the endpoint at once.
"""
    )
    skipped = run_suite(docs, settings=SETTINGS, actor="ci", cases=cases)
    assert skipped.statuses == {"explains-disabling": ResultStatus.SKIPPED}
    assert skipped.results[0].failure == "rubric: skipped: no judge model"
    assert skipped.run.passed == 0
    assert skipped.gate.reasons == ["new case skipped: explains-disabling"]

    good = run_suite(
        docs, settings=SETTINGS, actor="ci", cases=cases, judge_factory=lambda: grader(0.9)
    )
    assert good.statuses == {"explains-disabling": ResultStatus.PASSED}
    assert good.gate.passed
    bad = run_suite(
        docs, settings=SETTINGS, actor="ci", cases=cases, judge_factory=lambda: grader(0.3)
    )
    assert bad.results[0].failure == ("rubric: score 0.30 < 0.7: does not say when it is disabled")


def test_activation_needs_a_passing_run_of_exactly_that_text(docs: Session) -> None:
    replace_suite(docs, suite(PASSING), author="ana")
    v1 = active_prompt(docs)
    v2 = create_version(docs, text=v1.text + "\nAlways cite.", author="ana", reason="cite more")
    assert "+Always cite." in diff_versions(v1, v2)

    with pytest.raises(ActivationRefused, match="no eval run of version 2's exact text"):
        activate_version(docs, v2.id, actor="ana")

    broken = create_version(
        docs, text=v1.text, tools=["escalate_to_human"], author="ana", reason="no search"
    )
    run_suite(docs, settings=SETTINGS, actor="ci")  # baseline: the active version
    failing = run_suite(docs, settings=SETTINGS, actor="ci", version_id=broken.id)
    assert not failing.gate.passed
    with pytest.raises(ActivationRefused, match=r"failed the gate: regression: disabled-answered"):
        activate_version(docs, broken.id, actor="ana")

    # A run of a tag selection does not count: only the whole suite does.
    run_suite(docs, settings=SETTINGS, actor="ci", version_id=v2.id, tags=["answer"])
    with pytest.raises(ActivationRefused, match="no eval run"):
        activate_version(docs, v2.id, actor="ana")

    passing = run_suite(docs, settings=SETTINGS, actor="ci", version_id=v2.id)
    assert passing.gate.passed
    activate_version(docs, v2.id, actor="ana")
    assert active_prompt(docs).id == v2.id
    assert get_version(docs, v1.id).status == PromptStatus.RETIRED
    with pytest.raises(ActivationRefused, match="already active"):
        activate_version(docs, v2.id, actor="ana")


def test_activation_is_refused_again_when_the_suite_changes(docs: Session) -> None:
    replace_suite(docs, suite(PASSING), author="ana")
    v2 = create_version(docs, text="Answer briefly.", author="ana", reason="short")
    assert run_suite(docs, settings=SETTINGS, actor="ci", version_id=v2.id).gate.passed
    replace_suite(docs, suite(), author="ana")
    with pytest.raises(ActivationRefused, match="against the current suite"):
        activate_version(docs, v2.id, actor="ana")


def test_rollback_is_one_call_and_gated(docs: Session) -> None:
    replace_suite(docs, suite(PASSING), author="ana")
    v1 = active_prompt(docs)
    assert run_suite(docs, settings=SETTINGS, actor="ci").gate.passed
    v2 = create_version(docs, text=v1.text + "\nBe kind.", author="ana", reason="tone")
    assert run_suite(docs, settings=SETTINGS, actor="ci", version_id=v2.id).gate.passed
    activate_version(docs, v2.id, actor="ana")

    assert rollback(docs, actor="ana").id == v1.id
    assert active_prompt(docs).id == v1.id

    # Forward again, then change the suite: v1 has no run against it, so no rollback.
    activate_version(docs, v2.id, actor="ana")
    replace_suite(
        docs, suite(SUITE.split("  - name: refund-escalates", maxsplit=1)[0]), author="ana"
    )
    with pytest.raises(ActivationRefused, match=f"rollback to version {v1.id} refused"):
        rollback(docs, actor="ana")
    assert active_prompt(docs).id == v2.id


def cli_json(result: Any) -> Any:
    return json.loads(result.output)


def test_cli_exit_codes_follow_the_gate(docs: Session, cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "evals"
    folder.mkdir()
    good = PASSING
    (folder / "core.yaml").write_text(good, encoding="utf-8")

    ok = cli("eval", "run", "--suite", str(folder), "--json")
    assert ok.exit_code == 0, ok.output
    assert cli_json(ok)["gate"] == {"passed": True, "reasons": []}
    table = cli("eval", "run", "--suite", str(folder))
    assert table.exit_code == 0
    assert "gate: passed" in table.output
    assert "baseline: run #1" in table.output

    created = cli(
        "prompt",
        "create",
        "--text",
        "x",
        "--reason",
        "no search",
        "--tool",
        "escalate_to_human",
        "--author",
        "ana",
        "--json",
    )
    version = cli_json(created)["id"]
    regression = cli("eval", "run", "--suite", str(folder), "--version", str(version))
    assert regression.exit_code == 1
    assert "newly failing: disabled-answered, signatures-answered" in regression.output
    assert "regression: disabled-answered" in regression.output

    (folder / "new.yaml").write_text(
        "cases:\n  - name: wants-a-missing-page\n    tags: [new]\n"
        "    input: Why was my endpoint disabled?\n    expect:\n"
        "      - cites: [endpoints/missing.md]\n",
        encoding="utf-8",
    )
    new_failing = cli("eval", "run", "--suite", str(folder), "--json")
    assert new_failing.exit_code == 1
    data = cli_json(new_failing)
    assert data["gate"]["reasons"] == ["new case failed: wants-a-missing-page"]
    row = next(c for c in data["cases"] if c["case"] == "wants-a-missing-page")
    assert row["failure"].startswith("cites: expected a citation of endpoints/missing.md")
    assert {"latency_ms", "input_tokens", "output_tokens", "cost"} <= set(row)

    # Activation checks runs against the stored suite, which these files are not.
    refused = cli("prompt", "activate", str(version))
    assert refused.exit_code == 1
    assert "refused: no eval run of version 2's exact text against the current suite" in (
        refused.output
    )
    assert cli("prompt", "rollback").exit_code == 1
