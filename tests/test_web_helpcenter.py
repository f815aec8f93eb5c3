"""The public help center: pages render with titles and links; untrusted text is sanitized."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.knowledge.articles import create_article, publish_article
from trycatch.knowledge.models import Document
from trycatch.knowledge.sample import ingest_sample
from trycatch.settings import Settings
from trycatch.store import Database
from trycatch.web import create_app
from trycatch.web.app import STATIC_DIR
from trycatch.web.rendering import code_css, render_markdown, snippet_html

HOSTILE_BODY = """\
# Rotate a key

Safe text with **bold**.

<script>alert('xss-script')</script>

<img src="x.png" onerror="alert('xss-onerror')">

<a href="javascript:alert('xss-href')">click</a> and [md link](javascript:alert('xss-md'))

<div onclick="alert('xss-click')" style="position:fixed">overlay</div>

<iframe src="https://evil.example.com"></iframe>
"""


class _Page(HTMLParser):
    """The title, links and script sources of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.links: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.h1: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"title", "h1"}:
            self._in = tag
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag == "script":
            self.scripts.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1.append(data.strip())


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def client(db_url: str, database: Database, session: Session) -> Iterator[TestClient]:
    ingest_sample(session, max_file_bytes=2_000_000, boilerplate_share=0.5)
    settings = Settings(database_url=db_url, product_name="Hookrelay")
    with TestClient(create_app(settings, database)) as test_client:
        yield test_client


def test_home_shows_search_product_areas_sources_and_recent_articles(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.title == "Hookrelay Help Center"
    assert 'action="/search"' in response.text
    assert "/areas/endpoints" in page.links
    assert ">Endpoints<" in response.text  # the taxonomy's name for the area
    assert {"/sources/docs", "/sources/knowledge-base", "/sources/examples"} <= set(page.links)
    assert "/knowledge-base/why-was-my-endpoint-disabled" in page.links
    assert "/ask" in page.links
    (widget,) = page.scripts
    assert widget["src"] is not None
    assert widget["src"].startswith("/widget.js")
    assert "data-trycatch" in widget


def test_every_document_has_a_page(client: TestClient, session: Session) -> None:
    documents = session.scalars(select(Document)).all()
    assert len(documents) >= 30
    for document in documents:
        response = client.get(document.url)
        assert response.status_code == 200, document.url
        page = parse(response.text)
        assert page.title == f"{document.title} · Hookrelay Help Center"
        assert page.h1[0] == document.title
        assert "/" in page.links


def test_a_document_page_renders_tables_code_and_contents(client: TestClient) -> None:
    html = client.get("/knowledge-base/why-was-my-endpoint-disabled").text
    assert "<table>" in html
    assert "<th><code>disabled_reason</code></th>" in html
    assert '<pre class="highlight"><code class="language-bash">' in html
    assert '<span class="s2">' in html  # Pygments marked the string up
    assert '<h2 id="re-enable-the-endpoint">Re-enable the endpoint</h2>' in html
    assert 'href="#re-enable-the-endpoint"' in html  # "On this page"
    assert 'href="/areas/endpoints">Endpoints</a>' in html  # breadcrumb
    assert html.count("<h1>") == 1  # the body's own "# Title" is not repeated


def test_search_page_lists_results_with_links_and_marked_snippets(client: TestClient) -> None:
    response = client.get("/search", params={"q": "signature verification fails"})
    assert response.status_code == 200
    page = parse(response.text)
    assert page.title.startswith("signature verification fails · Search")
    assert "/knowledge-base/signature-verification-fails" in page.links
    assert "<mark>" in response.text


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_shows_the_form(client: TestClient, query: str) -> None:
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200
    assert 'name="q"' in response.text
    assert "result" not in parse(response.text).title


def test_a_search_without_results_offers_the_assistant(client: TestClient) -> None:
    html = client.get("/search", params={"q": "zzzqqqxxx"}).text
    assert "0 results" in html
    assert 'href="/ask"' in html


def test_areas_and_sources_list_their_documents(client: TestClient) -> None:
    area = client.get("/areas/endpoints")
    assert area.status_code == 200
    assert parse(area.text).h1[0] == "Endpoints"
    assert "/knowledge-base/why-was-my-endpoint-disabled" in parse(area.text).links
    source = client.get("/sources/examples")
    assert source.status_code == 200
    assert any(link.startswith("/examples/") for link in parse(source.text).links)


@pytest.mark.parametrize(
    "path", ["/nope", "/docs/endpoints/missing", "/areas/nope", "/sources/nope", "/kb/x"]
)
def test_unknown_pages_are_a_404_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in parse(response.text).title
    assert 'action="/search"' in response.text


def test_the_ask_page_embeds_the_widget_inline(client: TestClient) -> None:
    page = parse(client.get("/ask").text)
    (widget,) = page.scripts
    assert widget["data-mode"] == "inline"
    assert widget["data-target"] == "#trycatch-chat"


def test_widget_and_styles_are_served_without_a_cdn(client: TestClient) -> None:
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert ".innerHTML" not in script.text  # answers are built with DOM nodes only
    for asset in ("/static/widget.css", "/static/helpcenter.css", "/static/favicon.svg"):
        assert client.get(asset).status_code == 200, asset
    for path in ("/", "/ask", "/knowledge-base/why-was-my-endpoint-disabled"):
        html = client.get(path).text
        assert not re.search(r"""(src|href)=["']https?://""", html), path


def test_untrusted_article_html_is_sanitized(client: TestClient, session: Session) -> None:
    create_article(session, title="Rotate a key", body=HOSTILE_BODY, author="mallory", slug="rot")
    publish_article(session, slug="rot", actor="mallory")
    response = client.get("/kb/rot")
    assert response.status_code == 200
    html = response.text
    body = html.split('<div class="doc-body">', 1)[1].split("</article>", 1)[0]
    assert "<strong>bold</strong>" in body
    assert '<img src="x.png">' in body
    assert "xss-script" not in html
    assert "xss-onerror" not in html
    assert "xss-click" not in html
    assert "evil.example.com" not in html
    assert not re.search(r"<(script|iframe)", body)
    assert not re.search(r"\bon\w+=", body)
    assert not re.search(r"href=[\"']?javascript:", html)
    assert "position:fixed" not in body


def test_render_markdown_drops_active_content_and_keeps_structure() -> None:
    rendered = render_markdown(
        "# Title\n\n## Steps\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '```python\nprint("hi")\n```\n\n<svg onload="alert(1)"><circle/></svg>\n',
        title="Title",
    )
    html = str(rendered.html)
    assert "<h1>" not in html
    assert '<h2 id="steps">Steps</h2>' in html
    assert "<td>1</td>" in html
    assert '<span class="nb">print</span>' in html
    assert "onload" not in html
    assert "<svg" not in html
    assert [(h.level, h.anchor, h.text) for h in rendered.headings] == [(2, "steps", "Steps")]


def test_snippets_escape_everything_but_their_marks() -> None:
    assert str(snippet_html("a **<b>x</b>** <script>")) == (
        "a <mark>&lt;b&gt;x&lt;/b&gt;</mark> &lt;script&gt;"
    )


def test_the_stylesheet_has_the_code_colours_pygments_uses() -> None:
    assert code_css(".highlight") in (STATIC_DIR / "helpcenter.css").read_text(encoding="utf-8")


def test_pages_forbid_scripts_from_anywhere_but_the_help_center(client: TestClient) -> None:
    for path in ("/", "/search?q=key", "/ask", "/knowledge-base/which-ips-should-i-allowlist"):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy, path
        assert "frame-ancestors 'self'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in client.get("/nope").headers
