"""Composing an answer from the passages the tools returned: extractive, short, cited.

The answer quotes the sentences (or table rows) of the cited passages closest to the
question, with the sentence that follows the best one (usually what to do about it), leads
with the docs' entry for an error message the customer quotes, adds a code block in the
language asked for when the question asks how to do something in code, and ends with the
links. Nothing in it is written by us, so nothing in it can be invented.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trycatch.agent.signals import CODE_BLOCK, read_message, states_error, word_pairs
from trycatch.knowledge.analyzer import analyze

MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
MAX_CODE_LINES = 30
ERROR_UNIT_BONUS = 10.0
# Sentences of the second and third cited pages weigh this much less, per rank.
RANK_DECAY = 0.8
LINKS_HEADER = "More in:"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)\s+(?=[A-Z0-9`\"'(\[*])")
_MARKDOWN_NOISE = re.compile(r"^\s*(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")
_CODE_REQUEST = _rx(
    r"\b(code|sdk|snippet|example|python|ruby|php|node(\.js)?|javascript|typescript|java|go"
    r"|golang|rust|elixir|\.net|c#|curl|laravel|django|flask|rails|next\.?js|api\s+call"
    r"|programmatically|endpoint)\b"
)
_HOW_TO = _rx(r"\bhow\s+(do|can|should|to)\b|\bexample\b|\bway\s+to\b")
# Fence info strings of code blocks, by the words a customer uses for that language.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "python": ("python", "py", "django", "flask"),
    "ruby": ("ruby", "rb", "rails"),
    "php": ("php", "laravel"),
    "go": ("golang",),
    "rust": ("rust",),
    "java": ("java",),
    "elixir": ("elixir", "ex"),
    "csharp": (".net", "c#", "cs", "csharp", "dotnet"),
    "bash": ("curl", "bash", "sh", "shell"),
    "ts": ("node", "node.js", "javascript", "typescript", "js", "ts", "next.js", "nextjs"),
}


@dataclass(frozen=True, slots=True)
class _Unit:
    """A piece of a passage an answer can quote: a sentence, or a row of a table."""

    text: str
    heading: str
    # For a table row: the table's header and separator lines, to render it readably.
    table: str = ""
    # A list item that is not a sentence of its own: rendered as a bullet.
    item: bool = False


def _units(passage: str, heading: str) -> list[_Unit]:
    """Prose sentences and table rows of a passage; code, headings and markup are left out.

    Hard-wrapped lines of one paragraph or list item are joined before splitting sentences.
    """
    units: list[_Unit] = []
    in_code = False
    table: list[str] = []
    paragraph: list[str] = []
    in_item = False

    def flush() -> None:
        text = " ".join(paragraph)
        paragraph.clear()
        for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
            if _LABELLED.match(sentence):
                units.append(_Unit(sentence, heading, item=True))
            elif _quotable(sentence):
                item = in_item or not sentence.endswith(_ENDINGS)
                units.append(_Unit(sentence, heading, item=item))

    for line in passage.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if stripped.startswith("|"):
            flush()
            table.append(stripped)
            if len(table) > 2 and not set(stripped) <= set("|-: "):
                units.append(_Unit(stripped, heading, table="\n".join(table[:2])))
            continue
        table = []
        if (
            not stripped
            or stripped.startswith(("#", "<", "{", "}", "//"))
            or _CODE_LINE.search(stripped)
        ):
            flush()
            in_item = False
            continue
        marker = _MARKDOWN_NOISE.match(stripped)
        if marker:
            flush()  # a list item or quote starts a new unit
            in_item = not marker.group(0).strip().startswith(">")
        paragraph.append(_MARKDOWN_NOISE.sub("", stripped))
    flush()
    return units


# Code that sits outside a fenced block (MDX components, pasted snippets).
_CODE_LINE = re.compile(
    r"[;{]\s*$|=>|^(const|let|var|return|function|import|export|await)\b|^[\w.]+\(.*\);?$"
)
_ENDINGS = (".", "!", "?", ")", "`", "*")
# "**Username**: `resend`": a short fact of a settings list, quotable however short.
_LABELLED = re.compile(r"^\*\*[^*]{1,40}\*\*\s*:\s*\S")


def _quotable(sentence: str) -> bool:
    """A sentence that reads on its own: not a heading in bold, a label or a fragment."""
    if len(sentence.split()) < 4 or sentence.endswith(":"):
        return False
    if re.fullmatch(r"\*\*[^*]+\*\*[.:]?", sentence):
        return False
    # A line without a verb-like ending is usually a label; keep it only when long enough.
    return sentence.endswith(_ENDINGS) or len(sentence.split()) >= 8


def _local_weights(terms: set[str], texts: Sequence[str]) -> dict[str, float]:
    """IDF of the question's terms among the returned passages: words every passage has
    ("email", "send") say little about which sentence answers."""
    sets = [word_pairs(text)[0] for text in texts]
    total = max(len(sets), 1)
    return {t: math.log(1 + total / (1 + sum(1 for words in sets if t in words))) for t in terms}


def _clip(text: str) -> str:
    if len(text) <= MAX_SENTENCE_CHARS:
        return text
    return text[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0] + " …"


def _render(chosen: Sequence[_Unit]) -> str:
    """Sentences as a paragraph, list items as bullets, table rows under their header."""
    body = " ".join(_clip(u.text) for u in chosen if not u.table and not u.item)
    items = "\n".join(f"- {_clip(u.text)}" for u in chosen if u.item and not u.table)
    tables: dict[str, list[str]] = {}
    for unit in chosen:
        if unit.table:
            tables.setdefault(unit.table, []).append(unit.text)
    blocks = [block for block in (body, items) if block]
    blocks += ["\n".join([head, *rows]) for head, rows in tables.items()]
    return "\n\n".join(blocks)


def _code_blocks(passage: str) -> list[tuple[str, str]]:
    """(language, block) of each fenced code block of a passage."""
    blocks = []
    for match in re.finditer(r"```([^\n`]*)\n(.*?)```", passage, re.DOTALL):
        info = match.group(1).strip().split()
        blocks.append((info[0].lower() if info else "", match.group(0)))
    return blocks


# "go" is also an English verb: the language only in these phrasings.
_GO = _rx(r"\b(in|with|using|for)\s+go\b|\bgo\s+(sdk|package|client|module|library|code)\b")


def _wanted_language(question: str) -> str | None:
    words = set(re.findall(r"[\w.#+]+", question.lower()))
    for language, names in LANGUAGES.items():
        if words & set(names):
            return language
    return "go" if _GO.search(question) else None


def _code_for(question: str, passages: Sequence[str]) -> str:
    """A code block from the passages when the question asks how to do it in code."""
    prose = CODE_BLOCK.sub(" ", question)
    if not (read_message(question).asks and _HOW_TO.search(prose) and _CODE_REQUEST.search(prose)):
        return ""
    candidates = [block for passage in passages for block in _code_blocks(passage)]
    if not candidates:
        return ""
    asked = _wanted_language(question)
    names = set(LANGUAGES.get(asked or "ts", ())) | {asked or "ts"}
    chosen = next((b for lang, b in candidates if lang in names), None)
    if chosen is None:
        # Another language than the one asked for does not help; with none asked, the first.
        chosen = "" if asked else candidates[0][1]
    return chosen if chosen.count("\n") <= MAX_CODE_LINES else ""


def _sections(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(heading, text) of the passages a search result returned."""
    sections = [(str(result.get("section", "")), str(result.get("passage", "")))]
    sections += [
        (str(m.get("section", "")), str(m.get("text", "")))
        for m in result.get("more") or []
        if isinstance(m, dict)
    ]
    return sections


def compose(question: str, results: Sequence[dict[str, Any]], cited: Sequence[str]) -> str:
    """An extractive answer from the cited passages: their sentences (or table rows) closest
    to the question, a code block when the question asks how to do it in code, the links.

    Empty when no sentence of the cited passages shares a word with the question.
    """
    # Every word counts here: among the cited passages, local IDF weighs the common ones down.
    terms = {t for t in analyze(CODE_BLOCK.sub(" ", question)) if len(t) > 1}
    chosen_results = [r for r in results if r["path"] in cited]
    # The search's own terms found in the cited pages: English translations of a question
    # asked in another language, which its words alone would not match.
    terms |= {str(t) for r in chosen_results for t in r.get("matched") or []}
    sections = [(rank, h, t) for rank, r in enumerate(chosen_results) for h, t in _sections(r)]
    weights = _local_weights(terms, [f"{h}\n{t}" for _, h, t in sections])
    errors = [word_pairs(error) for error in read_message(question).errors]
    units: list[_Unit] = []
    scores: list[float] = []
    seen: set[str] = set()
    for rank, heading, text in sections:
        heading_words = word_pairs(heading)[0]
        for unit in _units(text, heading):
            words, pairs = word_pairs(unit.text)
            overlap = sum(weights[t] for t in terms & words)
            # Context from the section's heading; the best document first; short, dense
            # sentences over long ones.
            context = 0.5 * sum(weights[t] for t in (terms & heading_words) - words)
            score = (overlap + context) / (1 + 0.01 * len(unit.text)) * RANK_DECAY**rank
            quotes_error = any(states_error(error, words, pairs) for error in errors)
            if quotes_error:
                # The docs' sentence naming the customer's error leads.
                score += ERROR_UNIT_BONUS
            units.append(unit)
            repeated = unit.text in seen
            seen.add(unit.text)
            scores.append(score if (overlap or quotes_error) and not repeated else 0.0)
    ranked = sorted((i for i, score in enumerate(scores) if score > 0), key=lambda i: -scores[i])
    if not ranked:
        return ""
    top = ranked[0]
    # What follows the best match in its section is usually what to do about it: one
    # sentence, or two after the customer's error message.
    followers = 2 if scores[top] >= ERROR_UNIT_BONUS else 1
    chosen = [top] + [
        i
        for i in range(top + 1, min(top + 1 + followers, len(units)))
        if units[i].heading == units[top].heading
    ]
    if scores[top] < ERROR_UNIT_BONUS:
        # (The docs' entry for the customer's error is the answer on its own.)
        chosen += [i for i in ranked[1:] if i not in chosen][: max(0, MAX_SENTENCES - len(chosen))]
    body = _render([units[i] for i in sorted(chosen)])
    code = _code_for(question, [t for rank, _, t in sections if rank == 0])
    links = "\n".join(f"- [{r['title']}]({r['url']})" for r in chosen_results)
    return "\n\n".join([p for p in (body, code) if p] + [f"{LINKS_HEADER}\n{links}"])


__all__ = ["LINKS_HEADER", "compose"]
