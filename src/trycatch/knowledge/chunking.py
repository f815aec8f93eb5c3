"""Cutting a page into chunks along its headings, each keeping its heading path.

A chunk is what search ranks and what the agent quotes: one section under one heading
("Domains > Verify > DKIM"), split further at paragraph boundaries when it is long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_EMPHASIS = re.compile(r"[*_`]+")
MAX_CHUNK_CHARS = 1800
HEADING_SEPARATOR = " > "


@dataclass(frozen=True, slots=True)
class Section:
    headings: tuple[str, ...]
    text: str

    @property
    def heading_path(self) -> str:
        return HEADING_SEPARATOR.join(self.headings)


def _heading_text(raw: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)  # [label](url) -> label
    return _EMPHASIS.sub("", text).strip()


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks; a code block is one block however many blank lines."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        if fence is None and not line.strip() and current:
            blocks.append("\n".join(current))
            current = []
        elif line.strip() or fence is not None:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for block in _paragraphs(text):
        if current and len(current) + len(block) > MAX_CHUNK_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    if current:
        pieces.append(current)
    return pieces


def split_sections(body: str, *, title: str) -> list[Section]:
    """Sections of a Markdown body; the title is the root of every heading path."""
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    lines: list[str] = []
    fence: str | None = None

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            headings = (title, *(h for _, h in stack))
            sections.extend(Section(headings, piece) for piece in _split_long(text))
        lines.clear()

    for line in body.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            heading = _HEADING.match(line)
            if heading:
                flush()
                level, text = len(heading.group(1)), _heading_text(heading.group(2))
                if level == 1 and text == title:
                    stack.clear()
                    continue
                stack[:] = [(lvl, h) for lvl, h in stack if lvl < level]
                stack.append((level, text))
                continue
        lines.append(line)
    flush()
    return sections


def _normalize(block: str) -> str:
    return " ".join(block.split()).lower()


def find_boilerplate(bodies: list[str], *, share: float, min_pages: int = 3) -> set[str]:
    """Paragraphs found on more than ``share`` of the pages (and on ``min_pages`` at least).

    Headings and code blocks are never boilerplate: a shared "## Overview" or install
    command is content.
    """
    if len(bodies) < min_pages:
        return set()
    counts: dict[str, int] = {}
    for body in bodies:
        seen = {
            _normalize(block)
            for block in _paragraphs(body)
            if not _HEADING.match(block) and not _FENCE.match(block)
        }
        for block in seen:
            counts[block] = counts.get(block, 0) + 1
    threshold = max(min_pages, share * len(bodies))
    return {block for block, count in counts.items() if count >= threshold}


def remove_boilerplate(body: str, boilerplate: set[str]) -> str:
    if not boilerplate:
        return body
    kept = [block for block in _paragraphs(body) if _normalize(block) not in boilerplate]
    return "\n\n".join(kept) + "\n"


__all__ = [
    "HEADING_SEPARATOR",
    "Section",
    "find_boilerplate",
    "remove_boilerplate",
    "split_sections",
]
