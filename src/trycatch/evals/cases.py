"""Eval cases as a team writes them: ``evals/<suite>.yaml`` files, validated, dumped back.

Format (documented with examples in docs/evals.md)::

    cases:
      - name: refund-escalates              # unique across the suite: a-z 0-9 . _ -
        description: Money on their own account goes to a human.
        tags: [billing, escalation]
        input: I was charged twice this month, please refund one.
        expect:
          - escalates: true
            reason: (?i)billing
          - not_called_tool: read_document

``input`` is one message, a list of the customer's messages (a conversation, one turn
each), or ``{messages: [...], customer: {email, external_id, name}}``. Errors name the
file, the case and the field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trycatch.evals.assertions import Assertion

NEW_TAG = "new"
FEEDBACK_TAG = "feedback:"
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,119}$"
SUITE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,119}$"


class CaseFileError(ValueError):
    """A suite file or case that cannot be used; the message names file, case and field."""


class CustomerInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str | None = None
    external_id: str | None = None
    name: str = ""


class CaseInput(BaseModel):
    """The customer's side of the conversation: one message per turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: list[str] = Field(min_length=1)
    customer: CustomerInput | None = None

    @field_validator("messages")
    @classmethod
    def _not_blank(cls, messages: list[str]) -> list[str]:
        if any(not m.strip() for m in messages):
            raise ValueError("a message must not be empty")
        return messages


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    input: CaseInput
    expect: list[Assertion] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _short_input(cls, data: Any) -> Any:
        # ``input: text`` and ``input: [turn, turn]`` are the common spellings.
        if isinstance(data, dict):
            value = data.get("input")
            if isinstance(value, str):
                data = {**data, "input": {"messages": [value]}}
            elif isinstance(value, list):
                data = {**data, "input": {"messages": value}}
        return data

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        if any(not tag.strip() or tag != tag.strip() for tag in tags):
            raise ValueError("tags must be non-empty, without surrounding spaces")
        return list(dict.fromkeys(tags))

    @property
    def is_new(self) -> bool:
        return NEW_TAG in self.tags

    def data(self) -> dict[str, Any]:
        """The case as its YAML mapping, shortest spelling first (what is stored and dumped)."""
        case: dict[str, Any] = {"name": self.name}
        if self.description:
            case["description"] = self.description
        if self.tags:
            case["tags"] = list(self.tags)
        if self.input.customer is None:
            messages = list(self.input.messages)
            case["input"] = messages[0] if len(messages) == 1 else messages
        else:
            case["input"] = self.input.model_dump(exclude_defaults=True)
        case["expect"] = [a.model_dump(exclude_defaults=True, mode="json") for a in self.expect]
        return case


@dataclass(frozen=True, slots=True)
class SuiteCase:
    """A case and the suite (file stem) it belongs to."""

    suite: str
    case: Case


def _where(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_case(data: Any, *, origin: str, index: int = 1) -> Case:
    """Validate one case; errors start with ``origin`` (the file) and the case's name (else
    its position)."""
    name = data.get("name") if isinstance(data, dict) else None
    label = f"{origin}, case {name!r}" if isinstance(name, str) else f"{origin}, case {index}"
    try:
        return Case.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in error.errors())
        raise CaseFileError(f"{label}: {problems}") from error


def parse_suite_text(text: str, *, path: str) -> list[Case]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CaseFileError(f"{path}: not valid YAML: {error}") from error
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"cases"}:
        raise CaseFileError(f"{path}: the top level must be a mapping with one key, cases")
    items = data.get("cases") or []
    if not isinstance(items, list):
        raise CaseFileError(f"{path}: cases: must be a list")
    return [parse_case(item, origin=path, index=i + 1) for i, item in enumerate(items)]


def load_suite(folder: Path) -> list[SuiteCase]:
    """Every case of ``folder/*.yaml`` (or of one file), in file and then case order."""
    files = [folder] if folder.is_file() else sorted(folder.glob("*.yaml"))
    if not folder.exists():
        raise CaseFileError(f"{folder}: no such file or folder")
    loaded: list[SuiteCase] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CaseFileError(f"{path}: cannot read: {error}") from error
        suite = path.stem
        loaded += [SuiteCase(suite, case) for case in parse_suite_text(text, path=str(path))]
    names = [item.case.name for item in loaded]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CaseFileError(f"{folder}: duplicate case name(s): {', '.join(duplicates)}")
    return loaded


class _SuiteDumper(yaml.SafeDumper):
    """Block style, except short lists of single words (tags, paths) on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Lists indented under their key, as people write them.
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    short = all(isinstance(v, str) and len(v) < 60 and not re.search(r"\s", v) for v in data)
    flow = bool(data) and short and sum(len(str(v)) for v in data) < 70
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_SuiteDumper.add_representer(list, _represent_list)


def dump_suite(cases: Sequence[Case]) -> str:
    """The YAML of one suite file."""
    return yaml.dump(
        {"cases": [case.data() for case in cases]},
        Dumper=_SuiteDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def suite_hash(cases: Sequence[Case]) -> str:
    """What a run was checked against: the cases' content, in name order."""
    canonical = json.dumps(
        sorted((case.data() for case in cases), key=lambda c: str(c["name"])),
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def select_cases(cases: Sequence[SuiteCase], tags: Sequence[str]) -> list[SuiteCase]:
    """The cases carrying any of ``tags`` (all of them when none is given)."""
    if not tags:
        return list(cases)
    wanted = set(tags)
    return [item for item in cases if wanted & set(item.case.tags)]


__all__ = [
    "FEEDBACK_TAG",
    "NEW_TAG",
    "Case",
    "CaseFileError",
    "CaseInput",
    "CustomerInput",
    "SuiteCase",
    "dump_suite",
    "load_suite",
    "parse_case",
    "parse_suite_text",
    "select_cases",
    "suite_hash",
]
