"""The agent-ops loop in a real browser: a customer rates an answer down, staff make an eval
case of it in the feedback inbox, the case fails on the active version, a new prompt
version fixes it, the suite runs, the gate passes, the version is activated — and the next
conversation is answered by it.

The offline responder (the default model) follows the version's tool set, not the words of
its instructions, so the fix here is an "incident mode" version: its text tells the agent
to hand every question to a human, and it turns off the search tools, which is what the
offline responder acts on. With a real model the text alone would carry the change.

Chromium (Debian's package) through Playwright, the app served by uvicorn on loopback;
the browser fixtures are the help-center tests' own.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.desk_factories import PASSWORD, make_user
from tests.test_browser import browser, page, screenshots, server  # noqa: F401
from trycatch.agent.models import Conversation, PromptStatus, PromptVersion
from trycatch.desk import Role

# A refused activation answers 409 and a form sent back with errors 422; Chromium logs
# both. Nothing else may fail.
EXPECTED_ERRORS = (
    "the server responded with a status of 409",
    "the server responded with a status of 422",
)
QUESTION = "Why was my endpoint disabled?"
RULE = "During the incident, hand every question to a human: do not answer from the docs."


@pytest.fixture
def expected_console_errors() -> tuple[str, ...]:
    return EXPECTED_ERRORS


def ask(server: str, question: str) -> dict[str, object]:  # noqa: F811
    """A customer's question through the public API, as the widget sends it."""
    response = httpx.post(f"{server}/api/v1/conversations", json={"message": question}, timeout=60)
    assert response.status_code == 201, response.text
    reply: dict[str, object] = response.json()
    return reply


def test_feedback_to_case_to_a_gated_prompt_version_in_use(
    page: Page,  # noqa: F811
    server: str,  # noqa: F811
    screenshots: Path,  # noqa: F811
    session: Session,
) -> None:
    admin = make_user(session, role=Role.ADMIN, name="Ada Admin", email="ada@hookrelay.example")

    # A customer is answered from the docs, but wanted a person: thumbs down.
    reply = ask(server, QUESTION)
    assert reply["outcome"] == "answered"
    feedback = httpx.post(
        f"{server}/api/v1/conversations/{reply['conversation_id']}/messages/"
        f"{reply['message_id']}/feedback",
        json={"rating": "down", "comment": "We are in an outage, I need a person."},
    )
    assert feedback.status_code == 201, feedback.text
    feedback_id = feedback.json()["id"]

    page.goto(server + "/app/feedback")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server + "/app/feedback")
    item = page.locator(f"#feedback-{feedback_id}")
    expect(item).to_contain_text(QUESTION)
    expect(item).to_contain_text("We are in an outage, I need a person.")
    expect(item).to_contain_text("negative feedback")
    page.screenshot(path=str(screenshots / "staff-feedback.png"), full_page=True)

    # The case: the agent should have handed over. It fails on the active version.
    page.locator(f"#make-case-{feedback_id}").click()
    expect(page).to_have_url(f"{server}/app/feedback/{feedback_id}")
    page.get_by_role("button", name="Make the case and run it").click()
    expect(page.locator("#case-error")).to_contain_text("choose at least one assertion")
    page.get_by_label("escalates (hands over to a human)").check()
    page.get_by_role("button", name="Make the case and run it").click()
    verdict = page.locator("#case-verdict")
    expect(verdict).to_contain_text("It fails on the active version")
    expect(verdict).to_contain_text("escalates")
    expect(page.locator(".ticket-header .meta")).to_contain_text(f"feedback:{feedback_id}")
    page.screenshot(path=str(screenshots / "staff-feedback-case.png"), full_page=True)

    # A new version of the prompt: the incident rule, and no searching the docs.
    page.get_by_role("link", name="Change the prompt").click()
    expect(page).to_have_url(server + "/app/agent/new")
    page.get_by_label("Reason for the change").fill(f"Incident mode (feedback {feedback_id})")
    editor = page.get_by_label("Prompt text")
    editor.fill(editor.input_value().replace("How to work:", f"{RULE}\n\nHow to work:", 1))
    page.get_by_label("search_docs").uncheck()
    page.get_by_label("read_document").uncheck()
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(rf"{server}/app/agent/\d+\?notice=created"))
    version_id = int(re.findall(r"/app/agent/(\d+)", page.url)[0])
    expect(page.locator("#version-status")).to_have_text("draft")
    expect(page.locator("#diff .diff-add", has_text=RULE)).to_have_text("+" + RULE)
    expect(page.locator("#diff")).to_contain_text("tools: search_docs, read_document")

    # Not before the suite has run against exactly this text.
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#refused")).to_contain_text(f"no eval run of version {version_id}")
    page.screenshot(path=str(screenshots / "staff-prompt-version.png"), full_page=True)

    page.get_by_role("button", name="Run suite").click()
    expect(page).to_have_url(re.compile(rf"{server}/app/evals/runs/\d+"))
    expect(page.locator("#gate")).to_have_text("gate passed")
    expect(page.locator("#results")).to_contain_text(f"feedback-{feedback_id}-why-was-my-endpoint")
    expect(page.locator("#results .result").first).to_have_text("passed")
    page.screenshot(path=str(screenshots / "staff-eval-run.png"), full_page=True)

    page.get_by_role("link", name=f"v{version_id}", exact=True).first.click()
    expect(page.locator("#activation")).to_contain_text("Ready:")
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(f"{server}/app/agent/{version_id}?notice=activated")
    expect(page.locator("#version-status")).to_have_text("active")

    # The next customer is answered by the new version.
    later = ask(server, QUESTION)
    assert later["outcome"] == "escalated"
    session.expire_all()
    conversation = session.scalars(
        select(Conversation).where(Conversation.public_id == later["conversation_id"])
    ).one()
    assert conversation.prompt_version_id == version_id
    version = session.get(PromptVersion, version_id)
    assert version is not None
    assert version.status == PromptStatus.ACTIVE
    assert RULE in version.text

    page.goto(server + "/app/evals")
    expect(page.locator("#cases")).to_contain_text("passed")
