"""The public help center: server-rendered pages of the try block, and the Ask page."""

from trycatch.web.helpcenter.pages import router

__all__ = ["router"]
