"""The project's own eval suite for the demo product (Hookrelay), shipped with trycatch.

``src/trycatch/sample/evals/*.yaml``: answers with the pages they must cite, escalations
(money, a human, the customer's account, bug reports), injection attempts, questions out
of scope and conversations of several turns. It passes on the default prompt with the
offline responder; the demo imports it so the gate has a suite from the start.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from trycatch.evals.cases import SuiteCase, load_suite
from trycatch.evals.library import SuiteChanges, replace_suite

SAMPLE_EVALS = Path(__file__).resolve().parent.parent / "sample" / "evals"


def sample_suite() -> list[SuiteCase]:
    return load_suite(SAMPLE_EVALS)


def import_sample_suite(session: Session, *, author: str = "demo") -> SuiteChanges:
    """Make the shipped suite the stored one (the demo's; replaces any stored cases)."""
    return replace_suite(session, sample_suite(), author=author)


__all__ = ["SAMPLE_EVALS", "import_sample_suite", "sample_suite"]
