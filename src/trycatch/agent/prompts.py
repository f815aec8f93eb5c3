"""Prompt versions: the system prompt and tool set are data, seeded from a default file.

Each conversation records the version that answered. (Activation gated by the eval suite
comes with the agent-ops work; here a version can be created and the active one read.)
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptStatus, PromptVersion
from trycatch.agent.tools import BUILTIN_TOOLS
from trycatch.store import record_event, utcnow

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


__all__ = ["DEFAULT_PROMPT_FILE", "active_prompt", "default_prompt_text", "render_prompt"]
