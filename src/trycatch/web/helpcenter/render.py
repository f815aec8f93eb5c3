"""Rendering help-center pages: the Jinja2 environment and the page helpers routes call."""

from __future__ import annotations

from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from trycatch import __version__
from trycatch.knowledge.models import SourceKind
from trycatch.knowledge.search import SearchHit
from trycatch.settings import Settings
from trycatch.web.deps import web_state
from trycatch.web.rendering import snippet_html

SOURCE_KIND_LABELS = {
    SourceKind.DOCS: "Documentation",
    SourceKind.KB: "Knowledge base",
    SourceKind.EXAMPLES: "Code examples",
}
_DEFAULT_PRODUCT = Settings.model_fields["product_name"].default


def product_label(settings: Settings) -> str:
    """The product's name for headings; empty while it is the unset default."""
    name = settings.product_name.strip()
    return "" if name == _DEFAULT_PRODUCT else name


def section_path(hit: SearchHit) -> list[str]:
    """The headings above a search hit's passage, without the page title they start with."""
    parts = [part.strip() for part in hit.heading_path.split(" > ") if part.strip()]
    if parts and parts[0] == hit.title:
        parts = parts[1:]
    return parts


def template_environment(settings: Settings) -> Environment:
    environment = Environment(
        loader=PackageLoader("trycatch.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    product = product_label(settings)
    environment.globals.update(
        product=product,
        site_name=f"{product} Help Center" if product else "Help Center",
        asset_version=__version__,
        source_kind_labels=SOURCE_KIND_LABELS,
    )
    environment.filters["snippet"] = snippet_html
    environment.filters["section_path"] = section_path
    return environment


# Help-center pages run only our own script; documents are sanitized, and this is the
# second line of defence. Inline style attributes stay allowed for table alignment.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' https: data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def render_page(
    request: Request, template: str, *, status_code: int = status.HTTP_200_OK, **context: Any
) -> HTMLResponse:
    """``template`` rendered with ``context``, as an HTML response."""
    environment = web_state(request).templates
    html = environment.get_template(template).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def not_found_page(request: Request) -> HTMLResponse:
    return render_page(request, "404.html", status_code=status.HTTP_404_NOT_FOUND)


__all__ = [
    "SECURITY_HEADERS",
    "SOURCE_KIND_LABELS",
    "not_found_page",
    "product_label",
    "render_page",
]
