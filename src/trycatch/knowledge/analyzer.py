"""Text analysis shared by indexing and querying: split, normalize, stem.

Documents and queries go through the same function, and the full-text backends store its
output, so SQLite and PostgreSQL rank the same tokens. Chinese, Japanese and Korean runs,
which have no spaces, become overlapping character pairs.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Common English words that carry no meaning for retrieval (a classic list, lightly trimmed:
# "not", "no" and "only" stay, since "not verifying" and "only send to" matter in support).
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself nor of off on once or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves s t d ll m re ve
    """.split()
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
# Identifiers that never repeat across messages: hashes, UUID parts, long numbers.
_NOISE = re.compile(r"^(?=.*\d)[0-9a-f]{12,}$|^\d{7,}$")
MAX_TOKEN_LENGTH = 40

_stemmer = Stemmer.Stemmer("english")
_stemmer.maxCacheSize = 50_000


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def _cjk_pairs(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``, camelCase split, before stemming and stop-words."""
    text = unicodedata.normalize("NFKC", text)
    text = _CAMEL.sub(" ", text)
    return _WORD.findall(text.lower())


def analyze(text: str) -> list[str]:
    """The index tokens of ``text``, in order (repeats kept, for term frequency)."""
    tokens: list[str] = []
    for word in words(text):
        if _CJK.search(word):
            for part in re.split(f"({_CJK.pattern})", word):
                if not part:
                    continue
                if _CJK.fullmatch(part):
                    tokens.extend(_cjk_pairs(part))
                elif part not in STOPWORDS:
                    tokens.append(stem(part))
            continue
        if word in STOPWORDS or len(word) > MAX_TOKEN_LENGTH or _NOISE.match(word):
            continue
        tokens.append(stem(word))
    return tokens


def analyzed_text(text: str) -> str:
    """``analyze`` joined by spaces: the form the full-text backends store."""
    return " ".join(analyze(text))


__all__ = ["STOPWORDS", "analyze", "analyzed_text", "stem", "words"]
