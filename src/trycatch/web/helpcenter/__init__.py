"""The public help center: server-rendered pages of the try block, the Ask page, and the
customer's ticket page (before the pages, whose last route answers every other path)."""

from fastapi import APIRouter

from trycatch.web.helpcenter import pages, tickets

router = APIRouter()
router.include_router(tickets.router)
router.include_router(pages.router)

__all__ = ["router"]
