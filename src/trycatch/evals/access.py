"""Who may change the agent, and the changes staff make to it: each checks the role first.

The evals layer sits beside the desk and does not import it, so the caller says what the
staff member's role allows, as an ``Operator``: the web app computes it from the desk's
policy (``agent.improve``: eval cases, runs, draft versions, cases from feedback — agents
and admins; ``agent.manage``: activation and rollback — admins only). Viewers read.
The command line runs with the operator's authority and calls the domain functions
(``activate_version``, ``run_suite``…) directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic_ai.models import Model
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptStatus, PromptVersion
from trycatch.agent.prompts import active_prompt, create_version, get_version
from trycatch.evals.assertions import Assertion
from trycatch.evals.cases import CaseFileError, SuiteCase, parse_case
from trycatch.evals.feedback import FeedbackCase, case_from_feedback, proposed_assertions
from trycatch.evals.gate import ActivationRefused, activate_version, rollback
from trycatch.evals.library import CaseNotFound, get_case, save_case
from trycatch.evals.models import EvalCase
from trycatch.evals.runner import RunReport, run_suite
from trycatch.settings import Settings

MANUAL_SUITE = "manual"
# A suite run from a page: a few workers, so the request does not wait on one case at a time.
WEB_CONCURRENCY = 4


class ChangeDenied(Exception):
    """The staff member's role does not allow this change to the agent."""


@dataclass(frozen=True, slots=True)
class Operator:
    """Someone changing the agent: their name in the audit trail and what their role allows."""

    label: str
    may_improve: bool = False  # eval cases, runs, draft prompt versions
    may_activate: bool = False  # make a version active, roll back to one


def _require_improve(operator: Operator) -> None:
    if not operator.may_improve:
        raise ChangeDenied(f"{operator.label} may not change eval cases, runs or drafts")


def _require_activate(operator: Operator) -> None:
    if not operator.may_activate:
        raise ChangeDenied(f"{operator.label} may not activate prompt versions")


def draft_version(
    session: Session,
    *,
    operator: Operator,
    text: str,
    reason: str,
    tools: Sequence[str],
    parent_id: int | None = None,
) -> PromptVersion:
    """A new draft (versions never change once made: an "edit" is a child); commits."""
    _require_improve(operator)
    return create_version(
        session,
        text=text,
        author=operator.label,
        reason=reason,
        tools=list(tools),
        parent_id=parent_id,
    )


def run_version(
    session: Session,
    *,
    operator: Operator,
    settings: Settings,
    version_id: int,
    model_factory: Callable[[], Model] | None = None,
) -> RunReport:
    """The whole stored suite against one version, cache on, stored as a run; commits."""
    _require_improve(operator)
    active_prompt(session)  # the default prompt is version 1 from first use on
    get_version(session, version_id)  # not found before any work
    return run_suite(
        session,
        settings=settings,
        actor=operator.label,
        version_id=version_id,
        concurrency=WEB_CONCURRENCY,
        model_factory=model_factory,
    )


def activate(session: Session, *, operator: Operator, version_id: int) -> PromptVersion:
    """Activate a version whose gate run passed (``ActivationRefused`` says why not)."""
    _require_activate(operator)
    return activate_version(session, version_id, actor=operator.label)


def roll_back_to(session: Session, *, operator: Operator, version_id: int) -> PromptVersion:
    """Make a retired version active again, gated like any activation."""
    _require_activate(operator)
    version = get_version(session, version_id)
    if version.status != PromptStatus.RETIRED:
        raise ActivationRefused(
            f"version {version_id} is {version.status}: only a retired version is rolled back to"
        )
    return rollback(session, actor=operator.label, to_version_id=version_id)


def parse_case_text(text: str, *, origin: str) -> Any:
    """The YAML mapping of one case, as typed in a form (``CaseFileError`` if not YAML)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CaseFileError(f"{origin}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise CaseFileError(f"{origin}: (top level): must be a mapping (name, input, expect…)")
    return data


def save_case_text(
    session: Session,
    *,
    operator: Operator,
    text: str,
    name: str | None = None,
    suite: str = MANUAL_SUITE,
) -> EvalCase:
    """Save a case typed as YAML: a new one (``name`` None), or a new revision of ``name``
    (its name stays); errors name the field. Commits."""
    _require_improve(operator)
    origin = f"case {name!r}" if name else "the new case"
    data = parse_case_text(text, origin=origin)
    existing: EvalCase | None = None
    if name is not None:
        existing = get_case(session, name)
        if data.get("name", name) != name:
            raise CaseFileError(f"{origin}: name: cannot be changed (make a new case instead)")
        data = {"name": name, **data}
    case = parse_case(data, origin=origin)
    if existing is None:
        try:
            get_case(session, case.name)
        except CaseNotFound:
            pass
        else:
            raise CaseFileError(f"{origin}: name: a case named {case.name!r} exists already")
    item = SuiteCase(existing.suite if existing is not None else suite, case)
    return save_case(session, item, author=operator.label)


def make_case_from_feedback(
    session: Session,
    *,
    operator: Operator,
    feedback_id: int,
    chosen: Sequence[int],
    cites: Sequence[str],
    settings: Settings,
    name: str | None = None,
    model_factory: Callable[[], Model] | None = None,
) -> FeedbackCase:
    """A case from negative feedback with the proposals picked (by position) and the
    documents it must cite; saved, then run on the active version. Commits."""
    _require_improve(operator)
    proposals = proposed_assertions(session, feedback_id)
    expect: list[Any] = [
        proposals[i].model_dump(exclude_defaults=True, mode="json")
        for i in dict.fromkeys(chosen)
        if 0 <= i < len(proposals)
    ]
    paths = [path.strip() for path in cites if path.strip()]
    if paths:
        expect.append({"cites": paths})
    if not expect:
        raise CaseFileError("expect: choose at least one assertion")
    assertions: list[Assertion] = list(
        parse_case({"name": "x", "input": "-", "expect": expect}, origin="the form").expect
    )
    return case_from_feedback(
        session,
        feedback_id=feedback_id,
        expect=assertions,
        author=operator.label,
        settings=settings,
        name=name or None,
        model_factory=model_factory,
    )


__all__ = [
    "MANUAL_SUITE",
    "ChangeDenied",
    "Operator",
    "activate",
    "draft_version",
    "make_case_from_feedback",
    "parse_case_text",
    "roll_back_to",
    "run_version",
    "save_case_text",
]
