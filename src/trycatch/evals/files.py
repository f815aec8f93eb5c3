"""Support as code: the agent's files a team keeps in git, round-tripped with the database.

    prompts/v<id>.md     one prompt version: front matter (id, status, author, reason,
                         parent, tools, model_settings) and the prompt text
    evals/<suite>.yaml   the eval cases, one file per suite
    tools.yaml           the agent's custom HTTP tools
    taxonomy.yaml        categories and product areas

``export_files`` writes them; ``import_files`` reads them back (validating every file
before changing anything). Importing never activates a version — except into a database
that has none yet, which takes the files' statuses as they are — since activation is
gated; a version in the files marked active that is not is reported. A version's content
is immutable: a file that changes a stored version's text is refused (drop its ``id`` to
make it a new draft).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptStatus, PromptVersion
from trycatch.agent.prompts import active_prompt, hash_of, version_hash
from trycatch.agent.tools import BUILTIN_TOOLS
from trycatch.agent.toolspec import ToolsFileError, load_tools
from trycatch.evals.cases import Case, CaseFileError, SuiteCase, dump_suite, load_suite
from trycatch.evals.library import SuiteChanges, replace_suite, stored_suite
from trycatch.evals.models import AgentFile
from trycatch.knowledge.taxonomy import TaxonomyError, load_taxonomy
from trycatch.store import record_event, utcnow

AGENT_FILES = ("tools.yaml", "taxonomy.yaml")


class AgentFilesError(ValueError):
    """A file that cannot be imported; the message names the file and the field."""


class PromptFront(BaseModel):
    """The front matter of ``prompts/*.md``."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(default=None, ge=1)
    status: PromptStatus = PromptStatus.DRAFT
    author: str = Field(min_length=1)
    reason: str = ""
    parent: int | None = None
    tools: list[str] = Field(default_factory=lambda: list(BUILTIN_TOOLS))
    model_settings: dict[str, Any] = Field(default_factory=dict)


@dataclass(slots=True)
class ImportReport:
    versions_added: list[int] = field(default_factory=list)
    versions_unchanged: int = 0
    cases: SuiteChanges = field(default_factory=SuiteChanges)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def public(self) -> dict[str, object]:
        return {
            "versions_added": self.versions_added,
            "versions_unchanged": self.versions_unchanged,
            "cases_added": self.cases.added,
            "cases_changed": self.cases.changed,
            "cases_removed": self.cases.removed,
            "cases_unchanged": self.cases.unchanged,
            "files": self.files,
            "notes": self.notes,
        }


def _prompt_file(version: PromptVersion) -> str:
    front: dict[str, Any] = {
        "id": version.id,
        "status": str(version.status),
        "author": version.author,
        "reason": version.reason,
        "parent": version.parent_id,
        "tools": list(version.tools or []),
        "model_settings": dict(version.model_settings or {}),
    }
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    # The text exactly as stored (no newline added): a version's content is its hash.
    return f"---\n{head}---\n{version.text}"


def _split_front(path: Path, content: str) -> tuple[dict[str, Any], str]:
    if not content.startswith("---\n") or "\n---\n" not in content[3:]:
        raise AgentFilesError(f"{path}: must start with front matter between --- lines")
    head, body = content[4:].split("\n---\n", 1)
    try:
        data = yaml.safe_load(head) or {}
    except yaml.YAMLError as error:
        raise AgentFilesError(f"{path}: front matter is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise AgentFilesError(f"{path}: front matter must be a mapping")
    return data, body


def export_files(session: Session, folder: Path) -> list[Path]:
    """Write the agent's files under ``folder``; the paths written."""
    written: list[Path] = []

    def write(relative: str, content: str) -> None:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)

    active_prompt(session)  # the default prompt is version 1 from first use on
    for version in session.scalars(select(PromptVersion).order_by(PromptVersion.id)):
        write(f"prompts/v{version.id}.md", _prompt_file(version))
    suites: dict[str, list[Case]] = {}
    for item in stored_suite(session):
        suites.setdefault(item.suite, []).append(item.case)
    for suite, cases in suites.items():
        write(f"evals/{suite}.yaml", dump_suite(cases))
    for stored in session.scalars(select(AgentFile).order_by(AgentFile.name)):
        write(stored.name, stored.content)
    return written


@dataclass(slots=True)
class _PromptFile:
    path: Path
    front: PromptFront
    text: str


def _read_prompts(folder: Path) -> list[_PromptFile]:
    prompts = []
    for path in sorted((folder / "prompts").glob("*.md")):
        try:
            metadata, body = _split_front(path, path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise AgentFilesError(f"{path}: cannot read: {error}") from error
        try:
            front = PromptFront.model_validate(metadata)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise AgentFilesError(f"{path}: front matter: {problems}") from error
        unknown = [t for t in front.tools if t not in BUILTIN_TOOLS]
        if unknown:
            raise AgentFilesError(f"{path}: front matter: tools: unknown {', '.join(unknown)}")
        if not body.strip():
            raise AgentFilesError(f"{path}: the prompt text is empty")
        prompts.append(_PromptFile(path, front, body))
    # Files with an id first, in id order; new drafts after, in file name order.
    prompts.sort(key=lambda p: (p.front.id is None, p.front.id or 0, p.path.name))
    return prompts


def _check_agent_file(path: Path) -> None:
    try:
        if path.name == "tools.yaml":
            load_tools(path)
        else:
            load_taxonomy(path)
    except (ToolsFileError, TaxonomyError) as error:
        raise AgentFilesError(str(error)) from error


def _import_prompts(
    session: Session, prompts: list[_PromptFile], *, author: str, report: ImportReport
) -> None:
    bootstrap = session.scalar(select(func.count()).select_from(PromptVersion)) == 0
    for item in prompts:
        front = item.front
        content = version_hash(
            text=item.text, tools=front.tools, model_settings=front.model_settings
        )
        existing = session.get(PromptVersion, front.id) if front.id is not None else None
        if existing is not None:
            if hash_of(existing) != content:
                raise AgentFilesError(
                    f"{item.path}: version {front.id} differs from the stored one; versions "
                    "are immutable: remove `id` from the front matter to make a new draft"
                )
            report.versions_unchanged += 1
            if front.status == PromptStatus.ACTIVE and existing.status != PromptStatus.ACTIVE:
                report.notes.append(
                    f"{item.path.name}: active in the files, not here: activate it with "
                    f"`trycatch prompt activate {existing.id}` (gated by the eval suite)"
                )
            continue
        status = front.status if bootstrap else PromptStatus.DRAFT
        if not bootstrap and front.status == PromptStatus.ACTIVE:
            report.notes.append(
                f"{item.path.name}: imported as a draft; activation is gated by the eval suite"
            )
        version = PromptVersion(
            id=front.id,
            text=item.text,
            tools=list(front.tools),
            model_settings=dict(front.model_settings),
            status=status,
            parent_id=_known(session, front.parent),
            author=front.author,
            reason=front.reason,
            created_at=utcnow(),
            activated_at=utcnow() if status == PromptStatus.ACTIVE else None,
        )
        session.add(version)
        session.flush()
        report.versions_added.append(version.id)
    if report.versions_added and session.get_bind().dialect.name == "postgresql":
        # Ids came from the files: the sequence must move past them.
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('prompt_versions', 'id'), "
                "(SELECT max(id) FROM prompt_versions))"
            )
        )


def _known(session: Session, version_id: int | None) -> int | None:
    if version_id is None or session.get(PromptVersion, version_id) is None:
        return None
    return version_id


def import_files(session: Session, folder: Path, *, author: str) -> ImportReport:
    """Read the agent's files from ``folder`` into the database; commits.

    Every file is validated first; a folder without ``evals/`` leaves the cases alone.
    """
    if not folder.is_dir():
        raise AgentFilesError(f"{folder}: not a folder")
    prompts = _read_prompts(folder)
    suite: list[SuiteCase] | None = None
    if (folder / "evals").is_dir():
        try:
            suite = load_suite(folder / "evals")
        except CaseFileError as error:
            raise AgentFilesError(str(error)) from error
    agent_files = [folder / name for name in AGENT_FILES if (folder / name).is_file()]
    for path in agent_files:
        _check_agent_file(path)

    report = ImportReport()
    _import_prompts(session, prompts, author=author, report=report)
    for path in agent_files:
        content = path.read_text(encoding="utf-8")
        stored = session.get(AgentFile, path.name)
        if stored is None:
            session.add(
                AgentFile(name=path.name, content=content, author=author, updated_at=utcnow())
            )
        elif stored.content != content:
            stored.content, stored.author, stored.updated_at = content, author, utcnow()
        report.files.append(path.name)
    record_event(
        session,
        actor=author,
        action="agent_files.imported",
        subject=f"folder:{folder.name}",
        data={"versions_added": report.versions_added, "files": report.files},
    )
    if suite is not None:
        # Commits the prompts and files with the suite.
        report.cases = replace_suite(session, suite, author=author)
    else:
        session.commit()
    return report


def stored_tools_file(session: Session) -> str | None:
    """The imported ``tools.yaml``, if any (its text)."""
    stored = session.get(AgentFile, "tools.yaml")
    return stored.content if stored is not None else None


__all__ = [
    "AGENT_FILES",
    "AgentFilesError",
    "ImportReport",
    "PromptFront",
    "export_files",
    "import_files",
    "stored_tools_file",
]
