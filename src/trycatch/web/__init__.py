"""The web: the JSON API, the public help center and the chat widget (``create_app``)."""

from trycatch.web.app import create_app

__all__ = ["create_app"]
