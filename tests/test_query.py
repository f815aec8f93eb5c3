"""Turning customer messages into search terms: cleaning, chatter, languages."""

from __future__ import annotations

import pytest

from trycatch.knowledge.analyzer import stem
from trycatch.knowledge.glossary import cjk_translations, latin_translations
from trycatch.knowledge.query import query_terms, split_message, without_salutation


def _terms(message: str, known: dict[str, int] | None = None) -> list[str]:
    frequencies = known or {}

    def lookup(terms: object) -> dict[str, int]:
        return {t: frequencies.get(t, 5) for t in terms}

    return query_terms(message, document_frequencies=lookup, total=1000).terms


def test_code_blocks_and_quoted_replies_are_pasted_not_prose() -> None:
    message = split_message(
        'My webhook endpoint rejects deliveries.\n```json\n{"error": "signature_mismatch"}\n```\n'
        "> earlier: did you check the secret?\nOn Mon, Ana wrote:\n> old text here\n"
    )
    assert "webhook endpoint rejects deliveries" in message.prose
    assert "signature_mismatch" in message.pasted
    assert "did you check the secret" in message.pasted
    assert "old text here" in message.pasted
    assert "signature_mismatch" not in message.prose


def test_stack_frames_and_signatures_are_dropped() -> None:
    message = split_message(
        "The SDK throws when sending a batch of events to the endpoint.\n"
        '  File "/app/worker.py", line 42, in send\n'
        "    at Object.send (/app/node_modules/hookrelay/index.js:10:5)\n"
        "Thanks,\nAna Lima\nStaff Engineer, Acme\n+1 555 0100\n"
    )
    text = message.prose + message.pasted
    assert "worker.py" not in text
    assert "node_modules" not in text
    assert "Ana Lima" not in text
    assert "sending a batch of events" in message.prose


def test_identifiers_and_chatter_never_become_terms() -> None:
    terms = _terms(
        "Hi team, hope you're well! Since yesterday request 3f2b9c1e-8d4a-4b2f-9e6d-1a2b3c4d5e6f "
        "at 2026-11-25T10:22:31Z fails with rate_limited. Thanks so much!"
    )
    assert stem("rate") in terms
    assert stem("limited") in terms
    for noise in ("hi", "hope", "thank", "yesterday", "3f2b9c1e", "2026"):
        assert stem(noise) not in terms


def test_prose_terms_outweigh_pasted_ones() -> None:
    result = query_terms(
        "Endpoint disabled after deliveries failed.\n```\nconfig: retries\n```",
        document_frequencies=lambda ts: dict.fromkeys(ts, 5),
        total=1000,
    )
    assert result.boosts.get(stem("disabled"), 1) > result.boosts.get(stem("retries"), 1)


def test_chinese_support_vocabulary_is_translated() -> None:
    found = cjk_translations("域名验证一直失败，邮件发不出去")
    assert {"domain", "email"} <= {word for phrase in found for word in phrase.split()}


def test_latin_languages_are_translated_by_stem() -> None:
    words = "no puedo verificar mi dominio".split()
    english = {e for _, _, e in latin_translations(words)}
    assert any("domain" in e for e in english)
    assert any("verif" in e for e in english)


def test_english_words_are_not_mistaken_for_foreign_ones() -> None:
    # "and" must not be read as a German word; known English words are never translated.
    terms = _terms("rotate and revoke the key", known={stem("rotate"): 3, stem("revoke"): 3})
    assert stem("rotate") in terms
    assert stem("revoke") in terms


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("Hello team, why was my endpoint disabled?", "why was my endpoint disabled?"),
        ("Hi! How do I rotate a key?", "How do I rotate a key?"),
        ("Dear Hookrelay support team, why?", "why?"),
        ("Hi, I need help with retries", "I need help with retries"),
        ("Hidden fields in the API?", "Hidden fields in the API?"),  # not a greeting
        ("Highest retry count?", "Highest retry count?"),
        ("Hello", "Hello"),  # nothing but the greeting: kept
    ],
)
def test_a_greeting_at_the_start_is_not_part_of_the_question(message: str, kept: str) -> None:
    assert without_salutation(message) == kept
    assert "team" not in split_message("Hello team, why was my endpoint disabled?").prose
