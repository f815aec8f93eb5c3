"""Markdown to safe HTML for the help center: tables, highlighted code, heading anchors.

Document bodies and article text are untrusted (authors, imported folders, customers), so
whatever markdown-it produces, raw HTML included, passes through nh3 with an allow-list
before it reaches a page. Code is highlighted by Pygments into CSS classes
(static/helpcenter.css holds the colours), never inline styles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_CODE_FORMATTER = HtmlFormatter(nowrap=True)
_TAGS = (nh3.ALLOWED_TAGS - {"center", "acronym", "strike", "tt", "map", "area"}) | {"input"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "div": {"class"},
    "th": {"style", "colspan", "rowspan", "scope"},
    "td": {"style", "colspan", "rowspan"},
    "ol": {"start"},
    "input": {"type", "checked", "disabled"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
_SNIPPET_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    html: Markup
    headings: list[Heading] = field(default_factory=list)


def _highlight(code: str, language: str, _attrs: Any) -> str:
    name = (language or "").strip().split()[0] if language and language.strip() else ""
    try:
        lexer = get_lexer_by_name(name) if name else None
    except ClassNotFound:
        lexer = None
    body = highlight(code, lexer, _CODE_FORMATTER) if lexer is not None else escape(code)
    css = f"language-{escape(name)}" if name else "language-text"
    return f'<pre class="highlight"><code class="{css}">{body}</code></pre>\n'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    anchors_plugin(md, min_level=2, max_level=3)
    return md


_MARKDOWN = _parser()


def sanitize_html(html: str) -> str:
    """Keep only the tags, attributes and URL schemes a document page needs."""
    return nh3.clean(
        html,
        tags=set(_TAGS),
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
    )


def _headings(tokens: list[Token]) -> list[Heading]:
    found: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.tag not in {"h2", "h3"}:
            continue
        anchor = str(token.attrs.get("id", ""))
        inline = tokens[index + 1] if index + 1 < len(tokens) else None
        text = inline.content if inline is not None else ""
        if anchor:
            found.append(Heading(level=int(token.tag[1]), anchor=anchor, text=text))
    return found


def _without_title(tokens: list[Token], title: str) -> list[Token]:
    """Drop a leading ``# Title`` the page already shows as its heading."""
    if (
        len(tokens) >= 3
        and tokens[0].type == "heading_open"
        and tokens[0].tag == "h1"
        and tokens[1].content.strip() == title.strip()
    ):
        return tokens[3:]
    return tokens


def render_markdown(text: str, *, title: str | None = None) -> RenderedMarkdown:
    """``text`` as sanitized HTML, with the h2/h3 headings for a table of contents.

    With ``title``, a first heading that repeats it is left out.
    """
    tokens = _MARKDOWN.parse(text)
    if title is not None:
        tokens = _without_title(tokens, title)
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return RenderedMarkdown(html=Markup(sanitize_html(html)), headings=_headings(tokens))


def snippet_html(snippet: str) -> Markup:
    """A search snippet with its ``**matches**`` marked, everything else escaped."""
    return Markup(_SNIPPET_BOLD.sub(r"<mark>\1</mark>", escape(snippet)))


def code_css(selector: str = ".highlight") -> str:
    """The Pygments colours for highlighted code (written into static/helpcenter.css)."""
    # The stubs leave get_style_defs untyped.
    formatter: Any = HtmlFormatter(style="default")
    return str(formatter.get_style_defs(selector))


__all__ = ["Heading", "RenderedMarkdown", "code_css", "render_markdown", "snippet_html"]
