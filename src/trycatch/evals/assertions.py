"""What a case expects of the agent: deterministic assertions, and the model-judged rubric.

Each assertion is one YAML mapping whose key names its kind (``escalates: true``,
``cites: [...]``…). Answer assertions look at the agent's last reply; tool assertions at
every turn; the budgets (latency, model requests, cost) at the whole conversation. A
rubric needs a judge model: without one it is *skipped*, which is never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from trycatch.agent.conversations import RehearsedTurn
from trycatch.evals.models import ResultStatus

NO_JUDGE = "skipped: no judge model"


@dataclass(slots=True)
class Observed:
    """What the agent did in one case: its turns and what they cost."""

    turns: list[RehearsedTurn]
    latency_ms: float = 0.0
    requests: int = 0
    cost: float = 0.0

    @property
    def last(self) -> RehearsedTurn:
        return self.turns[-1]

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [call for turn in self.turns for call in turn.tool_calls]


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    status: ResultStatus
    message: str = ""

    def public(self) -> dict[str, str]:
        return {"kind": self.kind, "status": str(self.status), "message": self.message}


@dataclass(frozen=True, slots=True)
class Score:
    """A judge's grade of an answer against a rubric: 0 (fails) to 1 (fully meets it)."""

    score: float
    reason: str


class Judge(Protocol):
    def __call__(self, *, rubric: str, turns: Sequence[RehearsedTurn]) -> Score: ...


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error}") from error
    return value


def _quote(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


class _Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    KIND: ClassVar[str]

    def _ok(self) -> Verdict:
        return Verdict(self.KIND, ResultStatus.PASSED)

    def _fail(self, message: str) -> Verdict:
        return Verdict(self.KIND, ResultStatus.FAILED, message)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        raise NotImplementedError


class Escalates(_Assertion):
    """The last reply hands over to a human (``true``) or does not (``false``);
    ``reason``: a regex the escalation reason must match."""

    KIND: ClassVar[str] = "escalates"
    escalates: bool
    reason: str | None = None

    _check_reason = field_validator("reason")(lambda v: None if v is None else _regex(v))

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        last = observed.last
        escalated = last.outcome == "escalated"
        if self.escalates and not escalated:
            return self._fail(f"expected an escalation, got {last.outcome}")
        if not self.escalates and escalated:
            return self._fail(f"expected no escalation, got escalated ({last.escalation_reason})")
        if self.escalates and self.reason and not re.search(self.reason, last.escalation_reason):
            return self._fail(
                f"escalated, but the reason {_quote(last.escalation_reason)} does not match "
                f"/{self.reason}/"
            )
        return self._ok()


class OutcomeIs(_Assertion):
    """The last reply's outcome: answered, escalated or declined."""

    KIND: ClassVar[str] = "outcome"
    outcome: Literal["answered", "escalated", "declined"]

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        got = observed.last.outcome
        if got != self.outcome:
            why = f" ({observed.last.escalation_reason})" if observed.last.escalation_reason else ""
            return self._fail(f"expected {self.outcome}, got {got}{why}")
        return self._ok()


def _cited(observed: Observed) -> list[str]:
    return [citation.path for citation in observed.last.citations]


def _matches(path: str, patterns: Sequence[str]) -> bool:
    return any(path == p or fnmatchcase(path, p) for p in patterns)


class Cites(_Assertion):
    """The last reply cites at least one of these documents (paths; globs allowed)."""

    KIND: ClassVar[str] = "cites"
    cites: list[str] = Field(min_length=1)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        cited = _cited(observed)
        if any(_matches(path, self.cites) for path in cited):
            return self._ok()
        return self._fail(
            f"expected a citation of {' or '.join(self.cites)}; cited "
            f"{', '.join(cited) or 'nothing'} ({observed.last.outcome})"
        )


class DoesNotCite(_Assertion):
    """The last reply cites none of these documents."""

    KIND: ClassVar[str] = "not_cites"
    not_cites: list[str] = Field(min_length=1)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        wrong = [path for path in _cited(observed) if _matches(path, self.not_cites)]
        if wrong:
            return self._fail(f"cited {', '.join(wrong)}, which it must not")
        return self._ok()


class Contains(_Assertion):
    """The last answer contains this text (case-insensitive)."""

    KIND: ClassVar[str] = "contains"
    contains: str = Field(min_length=1)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if self.contains.lower() in observed.last.answer.lower():
            return self._ok()
        return self._fail(
            f"the answer does not contain {self.contains!r}: {_quote(observed.last.answer)}"
        )


class NotContains(_Assertion):
    """The last answer does not contain this text (case-insensitive)."""

    KIND: ClassVar[str] = "not_contains"
    not_contains: str = Field(min_length=1)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if self.not_contains.lower() in observed.last.answer.lower():
            return self._fail(f"the answer contains {self.not_contains!r}")
        return self._ok()


class Matches(_Assertion):
    """The last answer matches this regular expression (``re.search``; ``(?i)`` for case)."""

    KIND: ClassVar[str] = "regex"
    regex: str

    _check_regex = field_validator("regex")(_regex)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if re.search(self.regex, observed.last.answer):
            return self._ok()
        return self._fail(
            f"the answer does not match /{self.regex}/: {_quote(observed.last.answer)}"
        )


class CalledTool(_Assertion):
    """The agent called this tool; ``args``: argument name → regex its value must match."""

    KIND: ClassVar[str] = "called_tool"
    called_tool: str = Field(min_length=1)
    args: dict[str, str] = Field(default_factory=dict)

    @field_validator("args")
    @classmethod
    def _regexes(cls, args: dict[str, str]) -> dict[str, str]:
        for value in args.values():
            _regex(value)
        return args

    def _args_match(self, call: dict[str, Any]) -> bool:
        given = call.get("args") or {}
        return all(
            name in given and re.search(pattern, str(given[name]))
            for name, pattern in self.args.items()
        )

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        calls = [c for c in observed.tool_calls if c.get("name") == self.called_tool]
        if not calls:
            names = sorted({str(c.get("name")) for c in observed.tool_calls})
            return self._fail(
                f"{self.called_tool} was not called (called: {', '.join(names) or 'no tool'})"
            )
        if any(self._args_match(call) for call in calls):
            return self._ok()
        wanted = ", ".join(f"{k} ~ /{v}/" for k, v in self.args.items())
        seen = "; ".join(str(call.get("args")) for call in calls[:3])
        return self._fail(f"{self.called_tool} was called, but not with {wanted} (args: {seen})")


class NotCalledTool(_Assertion):
    """The agent did not call this tool."""

    KIND: ClassVar[str] = "not_called_tool"
    not_called_tool: str = Field(min_length=1)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        count = sum(1 for c in observed.tool_calls if c.get("name") == self.not_called_tool)
        if count:
            return self._fail(f"{self.not_called_tool} was called ({count}×)")
        return self._ok()


class MaxLatency(_Assertion):
    """The whole conversation took at most this many milliseconds."""

    KIND: ClassVar[str] = "max_latency_ms"
    max_latency_ms: float = Field(gt=0)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if observed.latency_ms <= self.max_latency_ms:
            return self._ok()
        return self._fail(f"took {observed.latency_ms:.0f} ms > {self.max_latency_ms:g} ms")


class MaxRequests(_Assertion):
    """The agent made at most this many model requests (all turns)."""

    KIND: ClassVar[str] = "max_model_requests"
    max_model_requests: int = Field(ge=0)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if observed.requests <= self.max_model_requests:
            return self._ok()
        return self._fail(f"{observed.requests} model requests > {self.max_model_requests}")


class MaxCost(_Assertion):
    """The agent's model calls cost at most this much (USD, from the provider's prices)."""

    KIND: ClassVar[str] = "max_cost"
    max_cost: float = Field(ge=0)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if observed.cost <= self.max_cost:
            return self._ok()
        return self._fail(f"cost ${observed.cost:.6f} > ${self.max_cost:g}")


class Rubric(_Assertion):
    """A judge model grades the conversation against this rubric (0 to 1); passes at
    ``min_score``. Skipped — never passed — when no judge model is configured."""

    KIND: ClassVar[str] = "rubric"
    rubric: str = Field(min_length=1)
    min_score: float = Field(default=0.7, ge=0, le=1)

    def check(self, observed: Observed, judge: Judge | None) -> Verdict:
        if judge is None:
            return Verdict(self.KIND, ResultStatus.SKIPPED, NO_JUDGE)
        graded = judge(rubric=self.rubric, turns=observed.turns)
        if graded.score >= self.min_score:
            return Verdict(self.KIND, ResultStatus.PASSED, f"score {graded.score:.2f}")
        return self._fail(f"score {graded.score:.2f} < {self.min_score:g}: {graded.reason}")


ASSERTION_TYPES: tuple[type[_Assertion], ...] = (
    Escalates,
    OutcomeIs,
    Cites,
    DoesNotCite,
    Contains,
    NotContains,
    Matches,
    CalledTool,
    NotCalledTool,
    MaxLatency,
    MaxRequests,
    MaxCost,
    Rubric,
)
KINDS: dict[str, type[_Assertion]] = {kind.KIND: kind for kind in ASSERTION_TYPES}


def _kind_of(value: Any) -> str | None:
    if isinstance(value, _Assertion):
        return value.KIND
    if isinstance(value, dict):
        present = [kind for kind in KINDS if kind in value]
        return present[0] if len(present) == 1 else None
    return None


Assertion = Annotated[
    Annotated[Escalates, Tag("escalates")]
    | Annotated[OutcomeIs, Tag("outcome")]
    | Annotated[Cites, Tag("cites")]
    | Annotated[DoesNotCite, Tag("not_cites")]
    | Annotated[Contains, Tag("contains")]
    | Annotated[NotContains, Tag("not_contains")]
    | Annotated[Matches, Tag("regex")]
    | Annotated[CalledTool, Tag("called_tool")]
    | Annotated[NotCalledTool, Tag("not_called_tool")]
    | Annotated[MaxLatency, Tag("max_latency_ms")]
    | Annotated[MaxRequests, Tag("max_model_requests")]
    | Annotated[MaxCost, Tag("max_cost")]
    | Annotated[Rubric, Tag("rubric")],
    Discriminator(
        _kind_of,
        custom_error_type="assertion_kind",
        custom_error_message="an assertion needs exactly one of: " + ", ".join(KINDS),
    ),
]


@dataclass(slots=True)
class Checked:
    """Every assertion of a case, checked; the case's status follows from them."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def status(self) -> ResultStatus:
        statuses = {v.status for v in self.verdicts}
        if ResultStatus.FAILED in statuses:
            return ResultStatus.FAILED
        if ResultStatus.SKIPPED in statuses:
            return ResultStatus.SKIPPED
        return ResultStatus.PASSED

    @property
    def failure(self) -> str:
        """The first failed (else skipped) assertion and why."""
        for wanted in (ResultStatus.FAILED, ResultStatus.SKIPPED):
            for verdict in self.verdicts:
                if verdict.status == wanted:
                    return f"{verdict.kind}: {verdict.message}"
        return ""


def check_all(assertions: Sequence[_Assertion], observed: Observed, judge: Judge | None) -> Checked:
    return Checked([assertion.check(observed, judge) for assertion in assertions])


__all__ = [
    "ASSERTION_TYPES",
    "KINDS",
    "NO_JUDGE",
    "Assertion",
    "CalledTool",
    "Checked",
    "Cites",
    "Contains",
    "DoesNotCite",
    "Escalates",
    "Judge",
    "Matches",
    "MaxCost",
    "MaxLatency",
    "MaxRequests",
    "NotCalledTool",
    "NotContains",
    "Observed",
    "OutcomeIs",
    "Rubric",
    "Score",
    "Verdict",
    "check_all",
]
