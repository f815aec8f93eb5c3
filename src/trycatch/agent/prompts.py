"""Prompt versions: the system prompt and tool set are data, seeded from a default file.

Each conversation records the version that answered. Here: the active version, drafts
(author, reason, parent), history, diffs and the content hash the eval gate checks. Making a
version active is gated by the eval suite, so it lives in ``trycatch.evals.gate``; the
status change itself (``make_active``) is only for that gate to call.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptStatus, PromptVersion
from trycatch.agent.tools import BUILTIN_TOOLS
from trycatch.store import record_event, utcnow


class PromptVersionError(ValueError):
    """A version that cannot be created or changed; the message names the field."""


class PromptVersionNotFound(LookupError):
    """No prompt version with this id."""


DEFAULT_PROMPT_FILE = Path(__file__).parent / "prompts" / "default.md"
DEFAULT_PRODUCT = "our product"


def default_prompt_text() -> str:
    return DEFAULT_PROMPT_FILE.read_text(encoding="utf-8")


def render_prompt(text: str, *, product: str) -> str:
    return text.replace("{product}", product)


def active_prompt(session: Session) -> PromptVersion:
    """The active version; the default prompt becomes version 1 on first use."""
    version = session.scalars(
        select(PromptVersion).where(PromptVersion.status == PromptStatus.ACTIVE)
    ).first()
    if version is not None:
        return version
    version = PromptVersion(
        text=default_prompt_text(),
        tools=list(BUILTIN_TOOLS),
        model_settings={},
        status=PromptStatus.ACTIVE,
        author="trycatch",
        reason="default prompt",
        created_at=utcnow(),
        activated_at=utcnow(),
    )
    session.add(version)
    session.flush()
    record_event(session, actor="trycatch", action="prompt.seeded", subject=f"prompt:{version.id}")
    session.commit()
    return version


def version_hash(*, text: str, tools: Sequence[str], model_settings: dict[str, Any]) -> str:
    """What an eval run proves something about: the prompt text, tools and model settings."""
    canonical = json.dumps(
        {"text": text, "tools": sorted(tools), "model_settings": model_settings},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def hash_of(version: PromptVersion) -> str:
    return version_hash(
        text=version.text, tools=version.tools or [], model_settings=version.model_settings or {}
    )


def get_version(session: Session, version_id: int) -> PromptVersion:
    version = session.get(PromptVersion, version_id)
    if version is None:
        raise PromptVersionNotFound(f"no prompt version {version_id} (see `trycatch prompt list`)")
    return version


def list_versions(session: Session) -> list[PromptVersion]:
    """Every version, newest first: the history."""
    active_prompt(session)
    return list(session.scalars(select(PromptVersion).order_by(PromptVersion.id.desc())))


def create_version(
    session: Session,
    *,
    text: str,
    author: str,
    reason: str,
    tools: Sequence[str] | None = None,
    model_settings: dict[str, Any] | None = None,
    parent_id: int | None = None,
) -> PromptVersion:
    """A draft version (parent: the active one unless given); activating it is gated."""
    if not text.strip():
        raise PromptVersionError("text: must not be empty")
    if not author.strip():
        raise PromptVersionError("author: must not be empty")
    if not reason.strip():
        raise PromptVersionError("reason: say why this version is needed")
    parent = get_version(session, parent_id) if parent_id is not None else active_prompt(session)
    enabled = list(parent.tools if tools is None else tools)
    unknown = [name for name in enabled if name not in BUILTIN_TOOLS]
    if unknown:
        raise PromptVersionError(
            f"tools: unknown built-in tool(s) {', '.join(unknown)}; "
            f"known: {', '.join(BUILTIN_TOOLS)}"
        )
    version = PromptVersion(
        text=text,
        tools=enabled,
        model_settings=dict(parent.model_settings if model_settings is None else model_settings),
        status=PromptStatus.DRAFT,
        parent_id=parent.id,
        author=author.strip(),
        reason=reason.strip(),
        created_at=utcnow(),
    )
    session.add(version)
    session.flush()
    record_event(
        session,
        actor=author,
        action="prompt.created",
        subject=f"prompt:{version.id}",
        data={"parent": parent.id, "reason": version.reason},
    )
    session.commit()
    return version


def diff_versions(old: PromptVersion, new: PromptVersion) -> str:
    """A unified diff of the text (and of the tools, when they differ)."""
    lines = list(
        difflib.unified_diff(
            old.text.splitlines(keepends=True),
            new.text.splitlines(keepends=True),
            fromfile=f"prompt v{old.id} ({old.status})",
            tofile=f"prompt v{new.id} ({new.status})",
        )
    )
    if sorted(old.tools or []) != sorted(new.tools or []):
        lines.append(f"tools: {', '.join(old.tools or [])} -> {', '.join(new.tools or [])}\n")
    if (old.model_settings or {}) != (new.model_settings or {}):
        lines.append(f"model settings: {old.model_settings} -> {new.model_settings}\n")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def make_active(session: Session, version: PromptVersion, *, actor: str, action: str) -> None:
    """Retire the active version and activate ``version``, in the caller's transaction.

    Ungated: only ``trycatch.evals.gate`` calls it, after checking the eval run.
    """
    current = active_prompt(session)
    if current.id != version.id:
        current.status = PromptStatus.RETIRED
    version.status = PromptStatus.ACTIVE
    version.activated_at = utcnow()
    session.flush()
    record_event(
        session,
        actor=actor,
        action=action,
        subject=f"prompt:{version.id}",
        data={"previous": current.id},
    )


__all__ = [
    "DEFAULT_PROMPT_FILE",
    "PromptVersionError",
    "PromptVersionNotFound",
    "active_prompt",
    "create_version",
    "default_prompt_text",
    "diff_versions",
    "get_version",
    "hash_of",
    "list_versions",
    "make_active",
    "render_prompt",
    "version_hash",
]
