"""``/api/v1/search``: the search contract over HTTP (as ``trycatch search --json``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from trycatch.knowledge.search import search
from trycatch.web.api.schemas import SearchResultPublic
from trycatch.web.deps import EmbedderDep, SessionDep

MAX_RESULTS = 50

router = APIRouter(tags=["search"])


@router.get("/search")
def search_documents(
    session: SessionDep,
    embedder: EmbedderDep,
    q: Annotated[str, Query(min_length=1, max_length=500, pattern=r"\S", description="Query.")],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="Documents to return.")] = 10,
) -> list[SearchResultPublic]:
    """Documents that answer ``q``, best first, each with its best passage."""
    return [
        SearchResultPublic.from_hit(hit)
        for hit in search(session, q, limit=limit, embedder=embedder)
    ]


__all__ = ["router"]
