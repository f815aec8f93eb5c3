"""Help-center routes: home, search, product areas, sources, the Ask page, every document.

Each route calls one read-only knowledge query and renders a template; nothing here
changes state. The document route comes last and answers any other path: a document's
public URL, else the 404 page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from trycatch.knowledge.library import (
    area_page,
    document_page,
    humanize_slug,
    library_home,
    source_page,
)
from trycatch.knowledge.search import search
from trycatch.web.deps import EmbedderDep, SessionDep, SettingsDep
from trycatch.web.helpcenter.render import SOURCE_KIND_LABELS, render_page
from trycatch.web.rendering import render_markdown

SEARCH_RESULTS = 20
MAX_QUERY = 500

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _not_found() -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND)


@router.get("/")
def home(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    page = library_home(session, taxonomy_path=settings.taxonomy_path)
    return render_page(request, "home.html", home=page)


@router.get("/search")
def search_page(
    request: Request, session: SessionDep, embedder: EmbedderDep, q: Annotated[str, Query()] = ""
) -> HTMLResponse:
    query = q.strip()[:MAX_QUERY]
    hits = search(session, query, limit=SEARCH_RESULTS, embedder=embedder) if query else []
    return render_page(request, "search.html", query=query, hits=hits)


@router.get("/ask")
def ask_page(request: Request) -> HTMLResponse:
    return render_page(request, "ask.html")


@router.get("/areas/{slug}")
def product_area(
    request: Request, slug: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    page = area_page(session, slug, taxonomy_path=settings.taxonomy_path)
    if page is None:
        raise _not_found()
    return render_page(
        request,
        "listing.html",
        title=page.area.name,
        description=page.area.description,
        documents=page.documents,
    )


@router.get("/sources/{name}")
def source(request: Request, name: str, session: SessionDep) -> HTMLResponse:
    page = source_page(session, name)
    if page is None:
        raise _not_found()
    return render_page(
        request,
        "listing.html",
        title=humanize_slug(page.source.name),
        description=SOURCE_KIND_LABELS[page.source.kind],
        documents=page.documents,
    )


@router.get("/{url:path}")
def document(
    request: Request, url: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    page = document_page(session, "/" + url.strip("/"), taxonomy_path=settings.taxonomy_path)
    if page is None:
        raise _not_found()
    rendered = render_markdown(page.document.body, title=page.document.title)
    return render_page(request, "document.html", page=page, rendered=rendered)


__all__ = ["router"]
