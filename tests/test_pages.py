"""Reading pages: front matter, titles, MDX reduced to its content, code kept as code."""

from __future__ import annotations

import pytest

from trycatch.knowledge.pages import PageError, clean_mdx, read_page

MDX = """import { Tabs } from '@/components/tabs'
export const meta = { draft: true }

# Rotate a key

<Note>
  Rotating a key **revokes** the old one after 24 hours.
</Note>

<Steps>
  <Step title="Create the new key">
    Open the dashboard and create a key.
  </Step>
</Steps>

<ParamField body="expires_at" type="string" required>
  When the key stops working.
</ParamField>

<CodeGroup>
  ```python theme={"theme": "dark"}
  def rotate(client):
      if client:
          return client.keys.rotate()
  ```
</CodeGroup>

<img src="https://example.com/x.png" width="300" />
"""


def test_mdx_components_are_reduced_to_their_content() -> None:
    body = clean_mdx(MDX)
    assert "Rotating a key **revokes** the old one after 24 hours." in body
    assert "Open the dashboard and create a key." in body
    assert "**Create the new key**" in body  # a step's title is shown to the reader
    assert "`expires_at`" in body  # so is a parameter's name
    for gone in ("import", "export const", "<Note>", "</Steps>", "theme=", "width=", "<img"):
        assert gone not in body


def test_code_blocks_keep_their_indentation_and_language() -> None:
    body = clean_mdx(MDX)
    assert (
        "```python\ndef rotate(client):\n    if client:\n        return client.keys.rotate()\n```"
        in body
    )


def test_tags_inside_code_blocks_are_code_not_mdx() -> None:
    body = clean_mdx('Intro <Tip>x</Tip>\n\n```html\n<div class="a">keep</div>\n```\n')
    assert '<div class="a">keep</div>' in body
    assert "<Tip>" not in body


def test_inline_code_with_tags_survives() -> None:
    assert "`<Webhook />`" in clean_mdx("Use the `<Webhook />` component.\n")


def test_front_matter_gives_title_and_description() -> None:
    page = read_page(
        "---\ntitle: Signing secrets\ndescription: How we sign.\nproduct_area: security\n---\n"
        "# Another heading\n\nBody.\n",
        path="security/signing.md",
    )
    assert page.title == "Signing secrets"
    assert page.description == "How we sign."
    assert page.front_matter["product_area"] == "security"


def test_title_and_description_fall_back_to_h1_and_blockquote() -> None:
    page = read_page("# Cloud DNS\n\n> Verify your domain.\n\n## Steps\n", path="kb/cloud-dns.md")
    assert (page.title, page.description) == ("Cloud DNS", "Verify your domain.")


def test_title_falls_back_to_the_file_name() -> None:
    assert read_page("Just text.\n", path="kb/why-is-it-slow.md").title == "Why is it slow"


@pytest.mark.parametrize(
    "text",
    ["---\ntitle: [unclosed\n---\nBody\n", "---\ntitle:\n  - a\n  - b\n---\nBody\n"],
)
def test_bad_front_matter_is_a_page_error(text: str) -> None:
    with pytest.raises(PageError, match="bad front matter"):
        read_page(text, path="x.md")
