"""Turning a customer's message into search terms.

Customers paste long messages: greetings, stack traces, JSON error bodies, config dumps,
text in other languages. The words that find the right page are the rare ones (an error
code, a product noun, a setting name); chatter and ubiquitous words only add noise and cost.
So a long message keeps its most informative terms, by inverse document frequency.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trycatch.knowledge.analyzer import analyze, stem

# Words of support conversations that never point to a page.
_CHATTER_WORDS = """
    hi hello hey dear thanks thank please pls regards cheers anyone someone somebody help
    helps helped appreciate appreciated hope hoping sorry question questions issue issues
    problem problems trying tried try want wanted need needed like also really still
    already currently actually anything something everything nothing seems seem seemed
    way ways know let able unable getting got get gets going make made use using used
    work works worked working thing things lot bit guys team support
"""
CHATTER = frozenset(stem(word) for word in _CHATTER_WORDS.split())

MAX_TERMS = 20


@dataclass(frozen=True, slots=True)
class QueryTerms:
    terms: list[str]
    idf: dict[str, float]


def idf(document_frequency: int, total: int) -> float:
    """BM25's inverse document frequency, floored so a term present everywhere counts ~0."""
    return math.log(1 + (total - document_frequency + 0.5) / (document_frequency + 0.5))


def query_terms(
    query: str,
    *,
    document_frequencies: Callable[[Sequence[str]], dict[str, int]],
    total: int,
    max_terms: int = MAX_TERMS,
) -> QueryTerms:
    """The terms to search for, best first, with their IDF."""
    counts = Counter(token for token in analyze(query) if token not in CHATTER)
    if not counts:
        return QueryTerms([], {})
    frequencies = document_frequencies(list(counts))
    weights = {term: idf(frequencies.get(term, 0), max(total, 1)) for term in counts}
    known = [term for term in counts if frequencies.get(term, 0) > 0]
    ranked = sorted(known, key=lambda t: weights[t] * (1 + math.log(counts[t])), reverse=True)
    kept = ranked[:max_terms]
    return QueryTerms(kept, {term: weights[term] for term in kept})


__all__ = ["CHATTER", "MAX_TERMS", "QueryTerms", "idf", "query_terms"]
