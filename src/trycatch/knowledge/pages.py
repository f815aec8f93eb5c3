"""Reading one Markdown or MDX page: front matter, title, description, MDX reduced to text.

MDX components are reduced to their content: a ``<Note>`` or ``<Steps>`` body stays, the
tags, their props and ``import``/``export`` lines go. Props that are shown to the reader as
text (a ``title`` of an accordion or step, the field name of a parameter) are kept, since
they are what the customer sees on the page. Code blocks are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import frontmatter
import yaml

_FENCE = re.compile(r"^\s*(```|~~~)")
_IMPORT_EXPORT = re.compile(r"^(import\s.+\sfrom\s|import\s+['\"]|export\s)")
_JSX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)
# An opening, closing or self-closing tag of an MDX component or HTML element, props and all
# (props may span lines; `{...}` expressions may hold `>`, so they are matched first).
_TAG = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s+(?:\{[^{}]*\}|\"[^\"]*\"|'[^']*'|[^<>\"'{}])*)?/?>")
_SHOWN_PROPS = re.compile(r"\b(title|label)=(?:\"([^\"]*)\"|'([^']*)')")
_FIELD_PROPS = re.compile(r"\b(body|query|path|header|name)=(?:\"([^\"]*)\"|'([^']*)')")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")


class PageError(ValueError):
    """A page that cannot be read; the message names the problem (the caller adds the file)."""


@dataclass(slots=True)
class Page:
    title: str
    description: str
    body: str
    front_matter: dict[str, Any] = field(default_factory=dict)


def _replace_tag(match: re.Match[str]) -> str:
    tag = match.group(0)
    if tag.startswith("</"):
        return "\n"
    shown = _SHOWN_PROPS.search(tag)
    if shown:
        return f"\n**{shown.group(2) or shown.group(3)}**\n"
    named = _FIELD_PROPS.search(tag)
    if named and tag[1:2].isupper():
        return f"\n`{named.group(2) or named.group(3)}`\n"
    return "\n" if tag[1:2].isupper() else " "


def _clean_prose(text: str) -> str:
    """Strip MDX syntax from text known to hold no code block."""
    text = _JSX_COMMENT.sub("", text)
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = _INLINE_CODE.sub(keep, text)
    text = _TAG.sub(_replace_tag, text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)
    lines = [line for line in text.split("\n") if not _IMPORT_EXPORT.match(line.strip())]
    return "\n".join(lines)


def _dedent_block(lines: list[str]) -> list[str]:
    """Remove the indentation MDX nesting adds, so Markdown does not read it as code."""
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]


_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def _prose_lines(text: str) -> list[str]:
    # Component nesting indents prose; unindented, Markdown no longer reads it as code.
    # List items keep their indentation, which carries their nesting.
    cleaned = _clean_prose(text).split("\n")
    return [line.rstrip() if _LIST_ITEM.match(line) else line.strip() for line in cleaned]


def clean_mdx(body: str) -> str:
    """Reduce MDX to Markdown: component tags and imports removed, code blocks untouched."""
    out: list[str] = []
    prose: list[str] = []
    code: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        if fence is None:
            match = _FENCE.match(line)
            if match:
                fence = match.group(1)
                out.extend(_prose_lines("\n".join(prose)))
                prose = []
                # Keep the language; drop display props such as theme={...}.
                info = line.strip()[len(fence) :].split()
                code = [line[: line.index(fence)] + fence + (info[0] if info else "")]
            else:
                prose.append(line)
        else:
            code.append(line)
            if line.strip().startswith(fence) and line.strip().strip("`~") == "":
                out.extend(_dedent_block(code))
                fence = None
                code = []
    out.extend(_prose_lines("\n".join(prose)))
    out.extend(code)  # an unclosed fence keeps its text
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def _title_from_path(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or path


def _description_after_title(body: str) -> str:
    """Mintlify-style pages put a one-line summary as a blockquote under the H1."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if _H1.match(line):
            for after in lines[index + 1 :]:
                if not after.strip():
                    continue
                return after.strip()[1:].strip() if after.startswith(">") else ""
    return ""


def read_page(text: str, *, path: str) -> Page:
    """Parse a page's text. Raises PageError for bad front matter."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as error:
        problem = str(error).replace("\n", " ")
        raise PageError(f"bad front matter: {problem}") from error
    except Exception as error:  # python-frontmatter raises plain errors for odd headers
        raise PageError(f"bad front matter: {error}") from error
    metadata = dict(post.metadata)
    for key in ("title", "description"):
        if key in metadata and not isinstance(metadata[key], str | int | float):
            raise PageError(f"bad front matter: '{key}' must be text")
    body = clean_mdx(post.content) if path.endswith(".mdx") or "<" in post.content else post.content
    title = str(metadata.get("title") or "").strip()
    if not title:
        for line in body.split("\n"):
            match = _H1.match(line)
            if match:
                title = match.group(1).strip()
                break
    description = str(metadata.get("description") or "").strip() or _description_after_title(body)
    return Page(
        title=title or _title_from_path(path),
        description=description,
        body=body,
        front_matter=metadata,
    )


__all__ = ["Page", "PageError", "clean_mdx", "read_page"]
