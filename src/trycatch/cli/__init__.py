"""The ``trycatch`` command line: every capability is reachable from here."""

from trycatch.cli.app import app, main

__all__ = ["app", "main"]
