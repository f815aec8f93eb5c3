"""Every assertion kind, passing and failing with the message staff read; case files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trycatch.agent.conversations import RehearsedTurn
from trycatch.agent.output import Citation
from trycatch.evals.assertions import NO_JUDGE, Observed, Score, check_all
from trycatch.evals.cases import CaseFileError, dump_suite, load_suite, parse_case, parse_suite_text
from trycatch.evals.models import ResultStatus


def turn(**overrides: Any) -> RehearsedTurn:
    values: dict[str, Any] = {
        "question": "Why was my endpoint disabled?",
        "outcome": "answered",
        "answer": "An endpoint answering 410 Gone is disabled at once.",
        "citations": [Citation("endpoints/disabled.md", "Disabled", "https://x/disabled")],
        "escalation_reason": "",
        "confidence": 0.8,
        "tool_calls": [{"name": "search_docs", "args": {"query": "endpoint disabled"}}],
        "usage": {"requests": 2},
        "latency_ms": 12.0,
    }
    values.update(overrides)
    return RehearsedTurn(**values)


ANSWERED = Observed([turn()], latency_ms=12.0, requests=2, cost=0.002)
ESCALATED = Observed(
    [
        turn(
            outcome="escalated",
            answer="A human will follow up.",
            citations=[],
            escalation_reason="Billing on the customer's own account.",
            tool_calls=[{"name": "escalate_to_human", "args": {"reason": "billing"}}],
        )
    ],
    latency_ms=3.0,
    requests=0,
)


def verdict(expect: dict[str, Any], observed: Observed, judge: Any = None) -> tuple[str, str]:
    case = parse_case({"name": "c", "input": "q", "expect": [expect]}, origin="test")
    result = check_all(case.expect, observed, judge).verdicts[0]
    return str(result.status), result.message


CASES = [
    # (assertion, observed, status, message fragment)
    ({"escalates": True}, ESCALATED, "passed", ""),
    ({"escalates": True}, ANSWERED, "failed", "expected an escalation, got answered"),
    ({"escalates": True, "reason": "(?i)billing"}, ESCALATED, "passed", ""),
    ({"escalates": True, "reason": "refund"}, ESCALATED, "failed", "does not match /refund/"),
    ({"escalates": False}, ANSWERED, "passed", ""),
    ({"escalates": False}, ESCALATED, "failed", "expected no escalation, got escalated (Billing"),
    ({"outcome": "answered"}, ANSWERED, "passed", ""),
    ({"outcome": "declined"}, ANSWERED, "failed", "expected declined, got answered"),
    ({"cites": ["other.md", "endpoints/*.md"]}, ANSWERED, "passed", ""),
    ({"cites": ["billing/plans.md"]}, ANSWERED, "failed", "cited endpoints/disabled.md"),
    ({"cites": ["billing/plans.md"]}, ESCALATED, "failed", "cited nothing (escalated)"),
    ({"not_cites": ["billing/plans.md"]}, ANSWERED, "passed", ""),
    ({"not_cites": ["endpoints/disabled.md"]}, ANSWERED, "failed", "cited endpoints/disabled.md"),
    ({"contains": "410 GONE"}, ANSWERED, "passed", ""),
    ({"contains": "retry"}, ANSWERED, "failed", "does not contain 'retry'"),
    ({"not_contains": "retry"}, ANSWERED, "passed", ""),
    ({"not_contains": "disabled"}, ANSWERED, "failed", "the answer contains 'disabled'"),
    ({"regex": r"\b410\b"}, ANSWERED, "passed", ""),
    ({"regex": r"^\d+$"}, ANSWERED, "failed", r"does not match /^\d+$/"),
    ({"called_tool": "search_docs"}, ANSWERED, "passed", ""),
    ({"called_tool": "search_docs", "args": {"query": "endpoint"}}, ANSWERED, "passed", ""),
    (
        {"called_tool": "search_docs", "args": {"query": "^billing"}},
        ANSWERED,
        "failed",
        "search_docs was called, but not with query ~ /^billing/",
    ),
    ({"called_tool": "read_document"}, ANSWERED, "failed", "read_document was not called"),
    ({"not_called_tool": "escalate_to_human"}, ANSWERED, "passed", ""),
    ({"not_called_tool": "escalate_to_human"}, ESCALATED, "failed", "escalate_to_human was called"),
    ({"max_latency_ms": 100}, ANSWERED, "passed", ""),
    ({"max_latency_ms": 10}, ANSWERED, "failed", "took 12 ms > 10 ms"),
    ({"max_model_requests": 2}, ANSWERED, "passed", ""),
    ({"max_model_requests": 1}, ANSWERED, "failed", "2 model requests > 1"),
    ({"max_cost": 0.01}, ANSWERED, "passed", ""),
    ({"max_cost": 0.001}, ANSWERED, "failed", "cost $0.002000 > $0.001"),
]


@pytest.mark.parametrize(("expect", "observed", "status", "message"), CASES)
def test_assertion_kinds(
    expect: dict[str, Any], observed: Observed, status: str, message: str
) -> None:
    got_status, got_message = verdict(expect, observed)
    assert got_status == status
    assert message in got_message
    if status == "passed":
        assert got_message == ""


def test_every_kind_is_covered_both_ways() -> None:
    kinds = {(next(iter(e)), s) for e, _, s, _ in CASES}
    from trycatch.evals.assertions import KINDS

    assert {(k, s) for k in KINDS if k != "rubric" for s in ("passed", "failed")} <= kinds


def test_rubric_is_skipped_without_a_judge_never_passed() -> None:
    assert verdict({"rubric": "Explains why"}, ANSWERED) == ("skipped", NO_JUDGE)
    case = parse_case(
        {"name": "c", "input": "q", "expect": [{"escalates": False}, {"rubric": "Explains"}]},
        origin="test",
    )
    checked = check_all(case.expect, ANSWERED, None)
    assert checked.status == ResultStatus.SKIPPED
    assert checked.failure == f"rubric: {NO_JUDGE}"


def test_rubric_scored_by_a_judge() -> None:
    def judge(*, rubric: str, turns: Any) -> Score:
        return Score(0.9 if "410" in turns[-1].answer else 0.2, "misses the 410 rule")

    assert verdict({"rubric": "Mentions 410", "min_score": 0.8}, ANSWERED, judge) == (
        "passed",
        "score 0.90",
    )
    status, message = verdict({"rubric": "Mentions 410"}, ESCALATED, judge)
    assert status == "failed"
    assert message == "score 0.20 < 0.7: misses the 410 rule"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: [{name: a, input: hi, expect: [{foo: 1}]}]", "case 'a': expect.0: an assertion"),
        (
            "cases: [{name: a, input: hi, expect: [{escalates: true, reason: '('}]}]",
            "case 'a': expect.0.escalates.reason: Value error, not a valid regular expression",
        ),
        ("cases: [{name: a, input: '', expect: [{escalates: true}]}]", "input.messages"),
        ("cases: [{name: a, input: hi, expect: []}]", "case 'a': expect: List should have"),
        ("cases: [{input: hi, expect: [{escalates: true}]}]", "case 1: name: Field required"),
        ("cases: [{name: a, input: hi, expect: [{max_cost: -1}]}]", "expect.0.max_cost.max_cost"),
        ("cases: [{name: a, inptu: hi, expect: [{escalates: true}]}]", "inptu: Extra inputs"),
        ("other: 1", "the top level must be a mapping with one key, cases"),
        ("cases: [", "not valid YAML"),
    ],
)
def test_case_file_errors_name_file_case_and_field(text: str, message: str) -> None:
    with pytest.raises(CaseFileError) as error:
        parse_suite_text(text, path="evals/billing.yaml")
    assert str(error.value).startswith("evals/billing.yaml")
    assert message in str(error.value)


def test_suite_folder_round_trips_and_refuses_duplicate_names(tmp_path: Path) -> None:
    text = """cases:
  - name: refund
    description: Money goes to a human.
    tags: [billing, new]
    input: I was charged twice
    expect:
      - escalates: true
        reason: (?i)billing
  - name: follow-up
    input:
      - How do I verify signatures?
      - and in Node?
    expect:
      - cites: [verify-signature-node.md]
      - called_tool: search_docs
        args:
          query: (?i)node
  - name: with-customer
    input:
      messages: [Hi]
      customer:
        email: a@example.com
    expect:
      - rubric: Greets back
        min_score: 0.5
"""
    folder = tmp_path / "evals"
    folder.mkdir()
    (folder / "billing.yaml").write_text(text, encoding="utf-8")
    loaded = load_suite(folder)
    assert [(item.suite, item.case.name) for item in loaded] == [
        ("billing", "refund"),
        ("billing", "follow-up"),
        ("billing", "with-customer"),
    ]
    assert loaded[0].case.is_new
    assert loaded[1].case.input.messages == ["How do I verify signatures?", "and in Node?"]
    assert dump_suite([item.case for item in loaded]) == text
    (folder / "other.yaml").write_text(
        "cases: [{name: refund, input: x, expect: [{escalates: true}]}]", encoding="utf-8"
    )
    with pytest.raises(CaseFileError, match="duplicate case name"):
        load_suite(folder)
