"""Turning a customer's message into search terms.

Customers paste long messages: greetings, stack traces, JSON error bodies, config dumps,
signatures, text in other languages. The words that find the right page are the rare ones
(an error code, a product noun, a setting name); chatter, identifiers and ubiquitous words
only add noise and cost. So the message is split into what the customer wrote (prose), what
they pasted (code, JSON, quoted replies: weaker evidence) and what names no page (stack
frames, the signature, UUIDs and timestamps: dropped); it keeps its most informative terms,
by inverse document frequency; and the words the index does not know are looked up in a
bilingual glossary, so a question in Chinese or French still finds English pages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trycatch.knowledge.analyzer import STOPWORDS, analyze, stem, words
from trycatch.knowledge.glossary import cjk_translations, latin_translations

# Words of support conversations that never point to a page: greetings, politeness,
# narration ("went", "kept", "since"), feelings and hedges. Rare in documentation, so their
# IDF is high, yet they say nothing about which page answers the message. Query side only.
_CHATTER_WORDS = """
    hi hello hey dear thanks thank thx please pls plz regards cheers kindly anyone someone
    somebody anybody everyone everybody folks guys guy people help helps helped appreciate
    appreciated hope hoping hopefully sorry question questions issue issues problem problems
    trying tried try want wanted wants need needed needs like also really still already
    currently actually anything something everything nothing seems seem seemed way ways
    know knew known let able unable getting got get gets going go goes went gone make made
    use using used work works worked working thing things stuff lot lots bit well
    however although though since yet even ever never always sometimes often usually maybe
    perhaps probably possibly definitely certainly basically simply exactly literally
    seriously honestly obviously clearly apparently unfortunately fortunately anyway
    anyways otherwise instead rather quite pretty much many several whole entire entirely
    completely totally fully almost nearly mostly especially particular particularly
    today yesterday tomorrow tonight morning evening ago recently lately soon later
    earlier suddenly finally eventually meanwhile again back away
    come came comes coming take took taken takes give gave given gives keep kept keeps
    put tell told think thought guess believe wonder wondering feel felt see
    saw seen look looked looks looking notice noticed realize realized mean means meant
    wish ask asked asking advise advice mind sure fine okay ok great good nice awesome
    amazing cool bad weird strange odd frustrating annoying urgent urgently asap
    don doesn didn isn aren wasn weren won wouldn shouldn couldn hasn haven hadn ain
    able possible impossible correct correctly right wrong properly
"""
# Function words of the other languages customers write in (French, Spanish, Portuguese,
# German, Italian), minus those that are also English words. Query side only.
_FOREIGN_FUNCTION_WORDS = """
    le la les des du au aux une est sont avec pour dans sur par mais ou nous vous ils
    elle elles je tu ce cette ces qui que quoi dont sans pas ne très aussi tous tout
    toute toutes comme être avoir été fait peut même ça cela
    el los las del una uno unos unas es está están con por para pero sin sobre muy
    también yo él ella ellos nosotros este esta estos estas ese esa eso lo le se su sus
    cuando donde porque como hay ser estar tiene
    da das dos em com um uma uns umas não é são está estão para pelo pela mas sem muito
    também eu ele ela eles nós este esta isso isto seu sua quando onde porque como
    der die das und ist sind mit für auf zu im den dem des ein eine einen einem einer
    nicht ich wir sie es er aber oder wenn dass auch noch nur schon sehr wie bei von
    aus nach kann können wird werden wurde haben hat habe
    il lo gli della delle degli che non è sono con per una uno ma anche molto
"""
_ENGLISH_HOMOGRAPHS = frozenset("die den con sin son plus non per come me pour".split())
CHATTER = frozenset(stem(word) for word in _CHATTER_WORDS.split())
FOREIGN_FUNCTION_WORDS = frozenset(
    stem(word) for word in _FOREIGN_FUNCTION_WORDS.split() if word not in _ENGLISH_HOMOGRAPHS
)
_IGNORED = CHATTER | FOREIGN_FUNCTION_WORDS

MAX_TERMS = 20
# A host name outside URLs and addresses, and the top-level domains that make one likely
# (not attribute names of code: "user.email", "this.app").
_HOST = re.compile(
    r"(?<![@/\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b(?![@/.]\w)"
)
_TLDS = frozenset(
    """
    com net org io dev co ai xyz info biz us uk de fr cn jp kr br nl ca au ru eu
    """.split()
)
PROSE_BOOST = 2
# Fenced code blocks (an unclosed fence runs to the end) and inline code spans.
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)
# Stack frames and source locations: "at fn (/app/x.js:3:7)", 'File "x.py", line 3'.
_TRACE_LINE = re.compile(
    r"^\s*(?:at\s+\S.*(?:\)|:\d+)\s*$|File\s+\".*\",\s+line\s+\d+|#\d+\s+\S"
    r"|\S+\.(?:[cm]?js|jsx|tsx?|py|rb|php|go|java|cs|kt|rs|swift)(?::\d+)+)"
)
# A line that closes the message: what follows is a signature (name, title, phone).
_SIGN_OFF = re.compile(
    r"^(?:--|—|__+|(?:best|kind|warm)?\s*regards|best|cheers|sincerely|many thanks"
    r"|thanks?(?: you)?(?: (?:so|very) much)?(?: in advance)?(?: for [^.!?]{0,40})?"
    r"|sent from my .*|get outlook for .*)[\s,.!]*$",
    re.IGNORECASE,
)
# The header above the earlier messages an email reply quotes: from there on, it is history.
_REPLY_HEADER = re.compile(
    r"^(?:On .{4,120} wrote:|Le .{4,120} a écrit ?:|Am .{4,120} schrieb .{0,80}:"
    r"|El .{4,120} escribió:|Em .{4,120} escreveu:|-{2,} ?Original Message ?-{2,}"
    r"|-{2,} ?Forwarded message ?-{2,}|From: .+ Sent: .+)$",
    re.IGNORECASE,
)
SIGNATURE_MAX_LINES = 8
SIGNATURE_LINE_WORDS = 8
SIGN_OFF_AFTER_WORDS = 5
# Values that identify one request and never a page: UUIDs, timestamps, dates and times,
# hashes, keys and other long letter-digit strings.
_IDENTIFIER = re.compile(
    r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b"
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b"
    r"|\b(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{7,}\b"
    r"|\b(?=[A-Za-z_]*\d)(?=\d*[A-Za-z])[A-Za-z0-9_]{10,}\b"
)
# Unfenced lines of JSON, config or code: mostly punctuation, few words.
CODE_LINE_SYMBOLS = 0.3
_SPACE = re.compile(r"\s")
_SYMBOL = re.compile(r"[^\w\s]|_")
# The part of a very long message that is read: its first pages say what it is about, and
# the rest (a whole log, a config dump) would only cost time.
MAX_PROSE_CHARS = 10_000
MAX_PASTED_CHARS = 5_000


@dataclass(frozen=True, slots=True)
class QueryTerms:
    terms: list[str]
    idf: dict[str, float]
    boosts: dict[str, int] = field(default_factory=dict)
    # Index rows holding each term: what matching it costs.
    frequencies: dict[str, int] = field(default_factory=dict)


def idf(document_frequency: int, total: int) -> float:
    """BM25's inverse document frequency, floored so a term present everywhere counts ~0."""
    return math.log(1 + (total - document_frequency + 0.5) / (document_frequency + 0.5))


def _searchable(token: str) -> bool:
    # A lone letter or digit ("e.g.", "b'...'", list numbers) matches everywhere and nothing.
    return len(token) > 1 and token not in _IGNORED


def _host_names(prose: str) -> list[str]:
    """A bare host name in the prose ("mail.example.com", not in a URL, an address or code)
    is a domain the customer is asking about."""
    found = []
    for match in _HOST.finditer(prose):
        labels = match.group(0).lower().split(".")
        if labels[-1] in _TLDS:
            found.append("subdomain" if len(labels) > 2 else "domain")
    return found


def _english(word: str, known: Callable[[str], bool]) -> bool:
    return word in STOPWORDS or stem(word) in CHATTER or known(stem(word))


def translations(
    query: str, *, known: Callable[[str], bool], prose: str | None = None
) -> list[str]:
    """English glossary equivalents of the message's CJK text and of its foreign words.

    A Latin-script phrase is translated only when it starts with a word unknown to the
    index (``known`` takes an index token), so English words that happen to look French
    stay as they are.
    """
    found = cjk_translations(query)
    found += _host_names(split_message(query).prose if prose is None else prose)
    message_words = words(query)
    foreign = [not _english(word, known) for word in message_words]
    found += [english for _, _, english in latin_translations(message_words, starts=foreign)]
    return found


@dataclass(frozen=True, slots=True)
class Message:
    """A customer's message, split by what its parts say about the question.

    ``prose`` is what the customer wrote; ``pasted`` is code, JSON, config and quoted earlier
    messages (">" lines, the history below "On ... wrote:"), evidence but weaker; stack
    frames and the signature are left out, since they name files, functions and people,
    never a page.
    """

    prose: str
    pasted: str


# "Hello team," / "Hi Sam!" / "Good morning all:" before the question: who is greeted, not
# what is asked ("team" is also a product word, so it must not reach the search).
_SALUTATION = re.compile(
    r"^\s*(hi|hello|hey|dear|greetings|good\s+(morning|afternoon|evening))\b"
    r"([ \t]+[\w.'-]+){0,3}?[ \t]*[,!:.]\s*",
    re.IGNORECASE,
)


def without_salutation(text: str) -> str:
    """``text`` without a greeting at its very start ("Hello team, ..."), else unchanged."""
    rest = _SALUTATION.sub("", text, count=1)
    return rest if rest.strip() else text


def split_message(query: str) -> Message:
    """The prose and the pasted parts of ``query``; see ``Message``."""
    query = without_salutation(query)
    pasted = [match.group(0) for match in _CODE.finditer(query)]
    lines = _CODE.sub(" ", query).split("\n")
    # Non-blank lines after each line: a sign-off is followed by a short signature only.
    after = [0] * len(lines)
    for number in range(len(lines) - 2, -1, -1):
        after[number] = after[number + 1] + bool(lines[number + 1].strip())
    prose: list[str] = []
    said = 0  # words of prose so far: a sign-off comes after the question, not in a greeting
    for number, line in enumerate(lines):
        stripped = line.strip()
        if said >= SIGN_OFF_AFTER_WORDS and _signature_starts(lines, number, after[number]):
            break
        if _REPLY_HEADER.match(stripped):
            pasted.extend(lines[number + 1 :])
            break
        if _TRACE_LINE.match(line):
            continue
        if stripped.startswith(">") or _code_like(stripped):
            pasted.append(line)
        else:
            prose.append(line)
            said += len(stripped.split())
    return Message(
        prose="\n".join(prose)[:MAX_PROSE_CHARS], pasted="\n".join(pasted)[:MAX_PASTED_CHARS]
    )


def _signature_starts(lines: list[str], number: int, remaining: int) -> bool:
    """A sign-off line followed by a few short lines (name, title, company, contacts)."""
    if remaining > SIGNATURE_MAX_LINES or not _SIGN_OFF.match(lines[number].strip()):
        return False
    rest = (line for line in lines[number + 1 :] if line.strip())
    return all(len(line.split()) <= SIGNATURE_LINE_WORDS and "?" not in line for line in rest)


def _code_like(line: str) -> bool:
    characters = len(line) - len(_SPACE.findall(line))
    if characters < 20:
        return False
    return len(_SYMBOL.findall(line)) / characters > CODE_LINE_SYMBOLS


def query_terms(
    query: str,
    *,
    document_frequencies: Callable[[Sequence[str]], dict[str, int]],
    total: int,
    max_terms: int = MAX_TERMS,
) -> QueryTerms:
    """The terms to search for, best first, with their IDF."""
    message = split_message(_IDENTIFIER.sub(" ", query))
    cleaned = f"{message.prose}\n{message.pasted}"
    counts = Counter(token for token in analyze(cleaned) if _searchable(token))
    if not counts:
        # Nothing but a stack trace or identifiers: they are all there is to go on.
        cleaned = query
        counts = Counter(token for token in analyze(query) if _searchable(token))
    frequencies = document_frequencies(list(counts)) if counts else {}
    expansion = [
        token
        for token in analyze(
            " ".join(translations(cleaned, known=frequencies.__contains__, prose=message.prose))
        )
        if _searchable(token)
    ]
    new_tokens = [token for token in dict.fromkeys(expansion) if token not in counts]
    if new_tokens:
        frequencies |= document_frequencies(new_tokens)
    counts.update(expansion)
    if not counts:
        return QueryTerms([], {})
    weights = {term: idf(frequencies.get(term, 0), max(total, 1)) for term in counts}
    known = [term for term in counts if frequencies.get(term, 0) > 0]
    ranked = sorted(known, key=lambda t: weights[t] * (1 + math.log(counts[t])), reverse=True)
    kept = ranked[:max_terms]
    return QueryTerms(
        kept,
        {term: weights[term] for term in kept},
        _boosts(message.prose, kept),
        {term: frequencies[term] for term in kept},
    )


def _boosts(prose_text: str, kept: list[str]) -> dict[str, int]:
    """Double the terms the customer wrote in prose, when others came from code or glossary.

    A word of the message's own sentences says what it is about; a word found only inside a
    pasted code block, config or log, or added by translation, is weaker evidence.
    """
    prose = {token for token in analyze(prose_text) if _searchable(token)}
    boosted = {term: PROSE_BOOST for term in kept if term in prose}
    # Doubling every term would change no ranking, only the cost.
    return boosted if len(boosted) < len(kept) else {}


__all__ = [
    "CHATTER",
    "FOREIGN_FUNCTION_WORDS",
    "MAX_TERMS",
    "Message",
    "QueryTerms",
    "idf",
    "query_terms",
    "split_message",
    "translations",
]
