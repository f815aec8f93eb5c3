"""Chunks along headings, heading paths, long sections, and banner detection."""

from __future__ import annotations

from trycatch.knowledge.chunking import (
    MAX_CHUNK_CHARS,
    find_boilerplate,
    remove_boilerplate,
    split_sections,
)

BODY = """# Domains

Intro to domains.

## Verify

How verification works.

### DKIM

Add the DKIM record.

```bash
# this is a shell comment, not a heading
dig TXT resend._domainkey.example.com
```

## Remove

Delete the domain.
"""


def test_sections_keep_their_heading_path() -> None:
    sections = split_sections(BODY, title="Domains")
    assert [s.heading_path for s in sections] == [
        "Domains",
        "Domains > Verify",
        "Domains > Verify > DKIM",
        "Domains > Remove",
    ]


def test_a_hash_inside_a_code_block_is_not_a_heading() -> None:
    dkim = split_sections(BODY, title="Domains")[2]
    assert "# this is a shell comment, not a heading" in dkim.text
    assert "dig TXT" in dkim.text


def test_long_sections_are_split_at_paragraphs() -> None:
    paragraph = "word " * 100
    body = "## Long\n\n" + "\n\n".join(paragraph.strip() for _ in range(12))
    sections = split_sections(body, title="T")
    assert len(sections) > 1
    assert all(len(s.text) <= MAX_CHUNK_CHARS for s in sections)
    assert {s.heading_path for s in sections} == {"T > Long"}


def test_banner_on_most_pages_is_boilerplate_and_removed() -> None:
    banner = "> Need help? Ask us."
    bodies = [f"# P{i}\n\nUnique text {i}.\n\n{banner}\n" for i in range(6)]
    bodies.append("# Other\n\nNo banner here.\n")
    boilerplate = find_boilerplate(bodies, share=0.5)
    assert boilerplate == {"> need help? ask us."}
    cleaned = remove_boilerplate(bodies[0], boilerplate)
    assert "Need help" not in cleaned
    assert "Unique text 0." in cleaned


def test_shared_headings_and_code_are_not_boilerplate() -> None:
    bodies = [f"## Overview\n\ntext {i}\n\n```bash\nnpm install x\n```\n" for i in range(5)]
    assert find_boilerplate(bodies, share=0.5) == set()


def test_few_pages_have_no_boilerplate() -> None:
    assert find_boilerplate(["same", "same"], share=0.5) == set()
