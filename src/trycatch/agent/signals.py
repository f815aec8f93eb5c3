"""Reading a customer's message before any document is looked at.

Is it a question or a report? Which signs of a defect does a report carry (a regression, a
claim of a bug, the same call working another way, data the product drops, a server error,
an exception, library versions)? Which error messages and status codes does it quote? The
offline responder weighs these against what the documentation says, to tell the bug
reports a human must take from the questions the docs answer. Every pattern is about the
kind of message, never about one product.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from trycatch.knowledge.analyzer import STOPWORDS, analyze, words

# A customer's error is stated by a text when this share of its word pairs occurs there.
ERROR_EXPLAINED = 0.6
# Share of English function words ("the", "to", "is") in a message written in English.
ENGLISH_SHARE = 0.15


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


# Defect signals: name -> (weight, pattern, what staff read in the escalation reason).
DEFECT_SIGNALS: dict[str, tuple[int, re.Pattern[str], str]] = {
    "regression": (
        1,
        _rx(
            r"\bused\s+to\s+work|\bworked\s+(fine\s+|well\s+|perfectly\s+)?(before|until)\b"
            r"|\bstopped\s+(working|arriving|sending|delivering|being)\b"
            r"|\bno\s+longer\s+(works?|sends?|arriv|deliver)|\bout\s+of\s+the\s+blue\b"
            r"|\bsuddenly\b|\ball\s+of\s+a\s+sudden\b"
            r"|\bsince\s+(the\s+)?(latest\s+|last\s+)?(update|upgrade|release|version|v?\d+\.\d+"
            r"|deploy|yesterday|today|this\s+morning|last\s+(night|week))"
            r"|\bafter\s+(updating|upgrading|(an?\s+|the\s+)?([\w-]+\s+)?(update|upgrade|release|deploy)\b)"
            r"|\bstarted\s+(happening\s+)?(around|on|after|since|yesterday|today|this\s+morning)\b"
            r"|\b(have|has|must\s+have)\s+broken\b"
            # The same in the other languages customers write in.
            r"|ne\s+fonctionne\s+plus|depuis\s+la\s+mise\s+à\s+jour|ya\s+no\s+funciona"
            r"|dejó\s+de\s+funcionar|parou\s+de\s+funcionar|não\s+funciona\s+mais"
            r"|funktioniert\s+nicht\s+mehr|seit\s+dem\s+update|突然|升级后|更新后|之前(可以|正常)"
            r"|動かなくなった|以前は"
        ),
        "it used to work (a regression)",
    ),
    "defect_claim": (
        2,
        _rx(
            r"\b(a|the|this)\s+bug\b|\bbuggy\b|\bregression\b|\bI\s+suspect\b"
            r"|\bclearly\s+(a\s+)?(bug|broken|wrong)\b|\bseems?\s+(like\s+|to\s+be\s+)?a\s+bug\b"
            r"|\bseems?\s+(that|like)\b.{0,60}\b(overwrit|ignor|drop|reset|break|broke|strip)"
        ),
        "the customer describes a defect",
    ),
    "works_elsewhere": (
        2,
        _rx(
            r"\b(curl|postman|insomnia|rest\s+api|direct(ly)?\s+(api|rest|http)|raw\s+http)\b"
            r"[^.]{0,80}\b(works?|working|succeed\w*|successful(ly)?|fine)\b"
            r"|\b(works?|working|succeeds?)\b[^.]{0,60}\b(with|via|using|through)\s+"
            r"(curl|postman|the\s+(rest\s+)?api\b|the\s+dashboard)"
            r"|\b(fixes|solves|works\s+around)\s+the\s+(issue|problem)\b"
            r"|\bif\s+(it\s+is\s+)?(sent|i\s+send|we\s+send)\b[^.]{0,40}\bit\s+works\b"
            r"|\b(but|yet)\s+not\s+(in|with|via|through|from|on|a|the)\s+(the\s+)?[\w.]*\s*"
            r"(sdk|library|client|gem|package)\b"
        ),
        "the same request works another way (curl, REST, another field)",
    ),
    "dropped": (
        1,
        _rx(
            r"\b(is|are|were|was)\s+(not|never)\s+(shown|applied|included|respected|honou?red"
            r"|passed|forwarded|preserved|sent|triggered|fired|saved)\b|\bhave\s+no\s+`?[\w-]+`?\s+header"
            r"|\b(ignored|ignores|dropped|drops|stripped|strips|overwrit\w*|nullish)\b"
            r"|\bnever\s+(appears?|shows?\s+up)\b|\barrives?\s+without\b"
            r"|\b(are|is)\s+missing\s+(the\s+|their\s+|its\s+)?\w+"
            r"|\bblank\s+(email|message|body)\b|\bempty\s+(body|email|response)\b"
        ),
        "the product drops or ignores what was sent",
    ),
    "misbehaves": (
        1,
        _rx(
            r"\b(twice|duplicated?)\b[^.]{0,40}\b(every|each|all)\b"
            r"|\b(every|each|all)\b[^.]{0,40}\b(twice|duplicated)\b"
            r"|\bstuck\s+(in|at|on)\b|\bnothing\s+(is\s+)?(being\s+)?(sent|delivered)\b"
            r"|\bno\s+emails?\s+(are\s+)?(being\s+)?(sent|delivered)\b"
            r"|\bblank\s+(page|screen)\b|\bcrash(es|ed|ing)?\b|\b(hangs|freezes)\b"
            r"|\btim(es|ed)\s+out\b"
        ),
        "the product misbehaves (stuck, duplicated, crashing)",
    ),
    "server_error": (
        2,
        _rx(
            # HTTP's, not SMTP's 5xx replies (535 bad credentials is a setup problem).
            r"\b(status|error|code|response|returns?|receives?|got)\b\W{0,3}(code\s+)?50[0-4]\b"
            r"|\b50[0-4]\s+(error|internal|bad\s+gateway|service)\b|\binternal\s+server\s+error\b"
            r"|\b(bad\s+gateway|service\s+unavailable|gateway\s+time-?out)\b"
            r"|(报错|错误|エラー|에러|오류)\W{0,3}50[0-4](?!\d)"
        ),
        "a server error",
    ),
    "exception": (
        1,
        re.compile(
            # A trace, not just an error's class name (a ValidationError is often misuse).
            r"\btraceback\b|\bstack\s*trace\b|\bpanic:|^\s+at\s+\S+\s+\(|^\s+File\s+\"",
            re.MULTILINE,
        ),
        "a stack trace",
    ),
    "version": (
        1,
        _rx(
            # npm-style pins, v-prefixed, "version 1.2", "<name> 1.2.3", "upgraded to 1.2.3";
            # not SMTP's enhanced status codes ("550 5.7.1").
            r"(?<![\w./-])[\w./-]+@\^?~?v?\d+(\.\d+)+|\bv\d+\.\d+(\.\d+)?\b|\bversion\s+v?\d+(\.\d+)*"
            r"|\b[a-z][\w.-]{0,40}[a-z]\s+\d+\.\d+\.\d+\b|\b(to|from)\s+v?\d+\.\d+\.\d+\b"
        ),
        "library versions",
    ),
}
# Software between the customer and the API (an SDK, a framework's mail transport, a
# plugin): an error it raises that the docs do not explain points at that software.
COMPONENT = _rx(
    r"\b(sdk|gem|library|package|plugin|transport|module|wrapper|integration|cli"
    r"|mcp|node|driver|adapter|mailer|client)s?\b"
)
_QUESTION_START = _rx(
    # Not "when": "When I send X, Y fails." narrates (a question about when ends with "?").
    r"^\s*(how|what|which|where|why|who|can|could|should|shall|may|is|are|do|does|did"
    r"|will|would|any\s+(tips|idea|way)|is\s+there)\b"
)
_FOREIGN_QUESTION = re.compile(r"[?？]|吗|吧|如何|怎么|怎样|能否|是否|¿|\bpourquoi\b|\bcomment\b")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+|\n+")
CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTED = re.compile(r"\"([^\"\n]*)\"|`([^`\n]*)`|“([^”\n]*)”")
_MESSAGE_FIELD = re.compile(r"\bmessage[\"']?\s*[:=]\s*[\"']([^\"'\n]{6,300})[\"']", re.IGNORECASE)
_ERROR_LINE = _rx(
    r"\b(?:error|exception|failed|failure)\b\s*[:=]\s*([^\n\"“”]{6,200}?)(?=[\"“”\n]|\.\s|$)"
)
# A pasted error message: a line that states a failure without a subject ("Unsupported mail
# transport [x].", "Cannot find module 'y'"), as opposed to the customer's narration.
_ERROR_SHAPED = re.compile(
    r"^(?!\s*(i|i'm|we|my|our|it|this|that|when|if|how|what|why|is|are|can|could|should|do|does)"
    r"\b)[^\n.?]{0,80}?\b(unsupported|invalid|missing|not\s+found|undefined|not\s+defined"
    r"|cannot|can't|could\s+not|failed|denied|refused|not\s+allowed|not\s+supported"
    r"|unknown|unexpected)\b[^\n.?]{0,80}",
    re.IGNORECASE | re.MULTILINE,
)
_ERROR_CONTEXT = _rx(r"\b(error|fail|return|message|throw|raise|says?|get|got|response)")
# A 4xx/5xx code where the message talks about an error or a response (not a port number).
_STATUS = re.compile(
    r"(?:error|status|code|response|return\w*|got|get|getting|receiv\w*|http|fail\w*|报错?"
    r"|错误)\W{0,12}(?<![0-9A-Za-z.:/-])([45]\d\d)(?![0-9A-Za-z.:])"
    r"|(?<![0-9A-Za-z.:/-])([45]\d\d)(?![0-9A-Za-z.:])\s*(?:\(|error|错误|[A-Z][a-z]+\s+[A-Z]?[a-z]+)",
    re.IGNORECASE,
)
# Code, not an error message: a call, a block, an assignment.
_CODE_LIKE = re.compile(
    r"[{};]|=>|^\$|^(await|const|let|var|import|return|new)\b|^[\w.]+(\(.*\))?$"
)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message is, before any document is looked at."""

    asks: bool
    defects: tuple[str, ...]
    errors: tuple[str, ...]
    statuses: tuple[str, ...]
    versions: tuple[str, ...]
    component: bool
    code: bool
    # Written in English (its function words): only then can unknown words mean "off topic".
    english: bool = True

    @property
    def defect_weight(self) -> int:
        return sum(DEFECT_SIGNALS[name][0] for name in self.defects)

    @property
    def support_context(self) -> bool:
        """Anything that makes it a product problem rather than small talk."""
        return bool(self.defects or self.errors or self.statuses or self.code or self.component)


def _is_question(sentence: str) -> bool:
    text = sentence.strip()
    return text.endswith(("?", "？")) or bool(_QUESTION_START.match(text))


@lru_cache(maxsize=1024)
def read_message(text: str) -> Reading:
    """The signals of a message: question or report, defects, errors, versions."""
    prose = CODE_BLOCK.sub("\n", text)
    sentences = [s for s in _SENTENCE_SPLIT.split(prose) if s.strip()]
    reported = " \n".join(s for s in sentences if not _is_question(s))
    asks = any(_is_question(s) for s in sentences) or bool(_FOREIGN_QUESTION.search(prose))
    defects = tuple(
        name
        for name, (_, pattern, _) in DEFECT_SIGNALS.items()
        if pattern.search(text if name in ("exception", "version") else reported)
    )
    errors: list[str] = []
    for sentence in _SENTENCE_SPLIT.split(prose):
        if not _ERROR_CONTEXT.search(sentence):
            continue
        for match in _QUOTED.finditer(sentence):
            quoted = next((g for g in match.groups() if g), "").strip()
            if (
                8 <= len(quoted) <= 300
                and len(quoted.split()) >= 2
                and re.search(r"[A-Za-z]{3}", quoted)
                and not _CODE_LIKE.search(quoted)
            ):
                errors.append(quoted)
    errors += [m.group(1).strip() for m in _MESSAGE_FIELD.finditer(text)]
    errors += [m.group(1).strip(" `'\"") for m in _ERROR_LINE.finditer(prose)]
    errors += [m.group(0).strip() for m in _ERROR_SHAPED.finditer(_INLINE_CODE.sub("", reported))]
    versions = tuple(
        dict.fromkeys(m.group(0).strip() for m in DEFECT_SIGNALS["version"][1].finditer(text))
    )
    distinct: list[str] = []
    for error in sorted(dict.fromkeys(e for e in errors if e), key=len, reverse=True):
        # "Error: X" and "X" quoted are one error; keep the fuller text, once.
        if not any(error in kept for kept in distinct):
            distinct.append(error)
    return Reading(
        asks=asks,
        defects=defects,
        errors=tuple(e for e in dict.fromkeys(errors) if e in distinct),
        statuses=tuple(
            dict.fromkeys(a or b for a, b in _STATUS.findall(_INLINE_CODE.sub(" ", text)))
        ),
        versions=versions,
        component=bool(COMPONENT.search(prose)),
        english=_english(prose),
        code="```" in text or bool(re.search(r"\w\.\w+\(|=>|\{\s*\"", text)),
    )


def _english(text: str) -> bool:
    found = words(text)
    function = sum(1 for w in found if w in STOPWORDS)
    return function >= 1 and function >= ENGLISH_SHARE * len(found)


@lru_cache(maxsize=8192)
def word_pairs(text: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    tokens = analyze(text)
    return frozenset(tokens), frozenset(itertools.pairwise(tokens))


def states_error(
    error: tuple[frozenset[str], frozenset[tuple[str, str]]],
    words: frozenset[str],
    pairs: frozenset[tuple[str, str]],
) -> bool:
    """Whether a sentence of the docs states the customer's error (or most of it: a long
    message may span two sentences of the docs)."""
    error_words, error_pairs = error
    if len(error_words) <= 3:
        return bool(error_words) and error_words <= words
    shared = len(error_pairs & pairs)
    return shared >= 2 and shared >= ERROR_EXPLAINED * min(len(error_pairs), len(pairs))


__all__ = [
    "CODE_BLOCK",
    "DEFECT_SIGNALS",
    "ERROR_EXPLAINED",
    "Reading",
    "read_message",
    "states_error",
    "word_pairs",
]
