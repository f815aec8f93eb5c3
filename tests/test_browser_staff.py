"""The catch block in a real browser: a staff member logs in, answers a ticket the agent
escalated, is refused closing it without a category, writes a KB article from it, closes
it — and the article is live in the help center and found by ``trycatch ask``.

Chromium (Debian's package) through Playwright, the app served by uvicorn on loopback;
the browser fixtures are the help-center tests' own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.desk_factories import PASSWORD, make_customer, make_handoff, make_user
from tests.test_browser import browser, page, screenshots, server  # noqa: F401
from trycatch.desk import COMMAND_LINE, Role, open_ticket_from_handoff

TRYCATCH = str(Path(sys.executable).parent / "trycatch")
# A form sent back with its errors answers 422, which Chromium logs; nothing else may fail.
EXPECTED_ERRORS = ("the server responded with a status of 422",)


@pytest.fixture
def expected_console_errors() -> tuple[str, ...]:
    return EXPECTED_ERRORS


QUESTION = "Can I replay a delivery that ended in the dead letter queue after 3 days?"


def test_answer_close_with_an_article_and_find_it_live(
    page: Page,  # noqa: F811
    server: str,  # noqa: F811
    screenshots: Path,  # noqa: F811
    session: Session,
    db_url: str,
) -> None:
    admin = make_user(session, role=Role.ADMIN, name="Ada Admin", email="ada@hookrelay.example")
    customer = make_customer(session, name="Sam Rivera", email="sam@acme.example")
    handoff = make_handoff(
        session,
        customer=customer,
        questions=[QUESTION],
        retrieved_paths=["docs/deliveries/retries.md"],
    )
    ticket = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=COMMAND_LINE)

    page.goto(server + "/app/inbox")
    expect(page).to_have_url(server + "/app/login?next=%2Fapp%2Finbox")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server + "/app/inbox")
    expect(page.locator("#count-unassigned")).to_have_text("1")
    page.get_by_label("Search tickets").fill("dead letter")
    expect(page.locator(".list-summary")).to_contain_text("matching “dead letter”")
    page.screenshot(path=str(screenshots / "staff-inbox.png"))

    # Keyboard: select the first row and open it.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(page).to_have_url(f"{server}/app/tickets/{ticket.id}")
    expect(page.get_by_role("heading", name="The agent handed this over")).to_be_visible()
    expect(page.locator(".handoff")).to_contain_text("Not confident enough.")

    page.keyboard.press("r")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.get_by_role("textbox", name="Message").fill(
        "Yes: run `hookrelay deliveries replay DELIVERY_ID` within 30 days of the failure."
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-reply")).to_contain_text("hookrelay deliveries replay")
    expect(page.get_by_role("textbox", name="Message")).to_have_value(
        ""
    )  # htmx swapped a fresh composer in
    page.screenshot(path=str(screenshots / "staff-ticket.png"), full_page=True)

    page.keyboard.press("c")
    expect(page).to_have_url(f"{server}/app/tickets/{ticket.id}/close")
    page.get_by_role("button", name="Close ticket").click()
    errors = page.locator("#close-errors")
    expect(errors).to_contain_text("The ticket was not closed")
    expect(errors).to_contain_text("category")
    expect(errors).to_contain_text("outcomes")

    page.get_by_role("link", name="Write a KB article from this ticket").click()
    expect(page.get_by_label("Title")).to_have_value(QUESTION.rstrip("?") + "?")
    expect(page.get_by_label("Body (Markdown)")).to_contain_text("hookrelay deliveries replay")
    page.get_by_label("Title").fill("Replay a dead-lettered delivery")
    page.get_by_label("Product area").select_option("deliveries")
    page.get_by_role("button", name="Publish and use for closing").click()

    expect(page).to_have_url(re.compile(rf"{server}/app/tickets/{ticket.id}/close\?article_id=\d+"))
    page.get_by_label("Reliability").check()
    page.locator("#product_area").select_option("deliveries")
    page.screenshot(path=str(screenshots / "staff-close.png"), full_page=True)
    page.get_by_role("button", name="Close ticket").click()
    expect(page).to_have_url(f"{server}/app/tickets/{ticket.id}?notice=closed")
    expect(page.locator(".ticket-header .status")).to_have_text("closed")
    expect(page.locator(".outcomes")).to_contain_text("Replay a dead-lettered delivery")

    page.goto(server + "/kb/replay-a-dead-lettered-delivery")
    expect(page.get_by_role("heading", level=1)).to_have_text("Replay a dead-lettered delivery")

    # In a process of its own, as a person would run it (Playwright holds this thread's loop).
    answer = subprocess.run(
        [TRYCATCH, "--db", db_url, "ask", "How do I replay a dead-lettered delivery?", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(answer.stdout)
    assert result["outcome"] == "answered"
    assert "/kb/replay-a-dead-lettered-delivery" in [c["url"] for c in result["citations"]]
