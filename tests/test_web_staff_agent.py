"""The agent the team owns, in the staff app through HTTP: prompt versions (draft, diff,
run, gated activation and rollback), eval cases and runs, the feedback inbox to a case —
and viewers who read but change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.desk_factories import make_user
from tests.test_web_staff import log_in, make_app
from trycatch.agent.models import PromptStatus, PromptVersion
from trycatch.desk import Role
from trycatch.evals.library import get_case
from trycatch.evals.models import EvalRun
from trycatch.knowledge.sample import ingest_sample
from trycatch.store import Database
from trycatch.tracker.models import EngineeringIssue

QUESTION = "Why was my endpoint disabled?"
# Always true of an answer: the gate is under test here, not the agent.
STEADY_CASE = """\
name: steady
tags: [smoke]
input: How do I verify webhook signatures?
expect:
  - not_contains: a sentence no answer holds
"""
# Passes while the agent may search the docs, fails on a version without that tool.
ANSWERS_CASE = """\
name: answers-from-docs
input: How do I verify webhook signatures?
expect:
  - escalates: false
"""


@pytest.fixture
def app(db_url: str, database: Database, session: Session) -> FastAPI:
    ingest_sample(session, max_file_bytes=2_000_000, boilerplate_share=0.5)
    return make_app(db_url, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def post(client: TestClient, path: str, token: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf_token": token})


def add_case(client: TestClient, token: str, text: str) -> None:
    response = post(client, "/app/evals/cases", token, text=text)
    assert response.status_code == 303, response.text


def new_draft(client: TestClient, token: str, *, text: str, tools: list[str] | None = None) -> int:
    page = client.get("/app/agent/new")
    assert page.status_code == 200
    parent = re.search(r'name="parent_id" value="(\d+)"', page.text)
    assert parent
    response = client.post(
        "/app/agent/versions",
        data={
            "csrf_token": token,
            "text": text,
            "reason": "a test change",
            "parent_id": parent.group(1),
            "tools": tools if tools is not None else ["search_docs", "escalate_to_human"],
        },
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/app/agent/(\d+)\?notice=created", response.headers["location"])
    assert match
    return int(match.group(1))


def run_version(client: TestClient, token: str, version_id: int) -> int:
    response = post(client, f"/app/agent/{version_id}/run", token)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/app/evals/runs/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def status_of(session: Session, version_id: int) -> PromptStatus:
    session.expire_all()
    version = session.get(PromptVersion, version_id)
    assert version is not None
    return PromptStatus(version.status)


def rate_down(client: TestClient, question: str = QUESTION, comment: str = "") -> int:
    """A conversation through the public API, its answer rated down; the feedback's id."""
    reply = client.post("/api/v1/conversations", json={"message": question}).json()
    url = f"/api/v1/conversations/{reply['conversation_id']}/messages/{reply['message_id']}"
    response = client.post(f"{url}/feedback", json={"rating": "down", "comment": comment})
    assert response.status_code == 201, response.text
    feedback_id = response.json()["id"]
    assert isinstance(feedback_id, int)
    return feedback_id


def test_pages_render_for_staff(client: TestClient, session: Session) -> None:
    token = log_in(client, make_user(session, role=Role.ADMIN))
    add_case(client, token, STEADY_CASE)
    run_id = run_version(client, token, 1)
    rate_down(client)
    pages = {
        "/app/agent": "Prompt versions",
        "/app/agent/1": "This is the active version",
        "/app/agent/new": "New prompt version",
        "/app/evals": "steady",
        "/app/evals?tag=smoke": "tagged “smoke”",
        "/app/evals/new": "New eval case",
        "/app/evals/cases/steady": "Results in past runs",
        "/app/evals/runs": f"#{run_id}",
        f"/app/evals/runs/{run_id}": "gate passed",
        "/app/feedback": QUESTION,
    }
    for path, text in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.text, path
    nav = client.get("/app/inbox").text
    for link in ('href="/app/agent"', 'href="/app/evals"', 'href="/app/feedback"'):
        assert link in nav
    for missing in ("/app/agent/99", "/app/evals/cases/nope", "/app/evals/runs/99"):
        assert client.get(missing).status_code == 404, missing


def test_a_viewer_reads_agent_ops_but_changes_nothing(
    client: TestClient,
    session: Session,
) -> None:
    admin_token = log_in(client, make_user(session, role=Role.ADMIN))
    add_case(client, admin_token, STEADY_CASE)
    draft = new_draft(client, admin_token, text="A draft prompt.")
    feedback_id = rate_down(client)
    client.cookies.clear()

    token = log_in(client, make_user(session, role=Role.VIEWER))
    version_page = client.get(f"/app/agent/{draft}")
    assert version_page.status_code == 200
    assert 'id="activate"' not in version_page.text
    assert 'id="run-suite"' not in version_page.text
    assert 'id="case-form"' not in client.get(f"/app/feedback/{feedback_id}").text
    assert 'id="case-form"' not in client.get("/app/evals/cases/steady").text
    changes = [
        ("/app/agent/versions", {"text": "x", "reason": "y", "tools": ["search_docs"]}),
        (f"/app/agent/{draft}/run", {}),
        (f"/app/agent/{draft}/activate", {}),
        ("/app/agent/1/rollback", {}),
        ("/app/evals/cases", {"text": STEADY_CASE.replace("steady", "other")}),
        ("/app/evals/cases/steady", {"text": STEADY_CASE.replace("smoke", "changed")}),
        (f"/app/feedback/{feedback_id}/case", {"proposal": "0"}),
        (f"/app/feedback/{feedback_id}/issue", {"title": "Broken", "kind": "bug"}),
    ]
    for path, data in changes:
        response = post(client, path, token, **data)
        assert response.status_code == 403, path
        assert "Your role does not allow this change." in response.text
    session.expire_all()
    assert len(session.scalars(select(PromptVersion)).all()) == 2
    assert session.scalars(select(EvalRun)).all() == []
    assert get_case(session, "steady").tags == ["smoke"]
    assert session.scalars(select(EngineeringIssue)).all() == []


def test_an_agent_drafts_and_runs_but_only_an_admin_activates(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.AGENT))
    add_case(client, token, STEADY_CASE)
    draft = new_draft(client, token, text="Another prompt.")
    run_version(client, token, draft)
    page = client.get(f"/app/agent/{draft}")
    assert "Only an admin activates a version." in page.text
    assert post(client, f"/app/agent/{draft}/activate", token).status_code == 403
    assert status_of(session, draft) == PromptStatus.DRAFT


def test_activation_is_refused_with_the_reason_until_a_run_of_that_text_passes(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.ADMIN))
    add_case(client, token, STEADY_CASE)
    add_case(client, token, ANSWERS_CASE)
    # A version that may not search the docs hands every question over: a regression.
    blind = new_draft(client, token, text="Hand everything over.", tools=["escalate_to_human"])
    refused = post(client, f"/app/agent/{blind}/activate", token)
    assert refused.status_code == 409
    assert f"no eval run of version {blind}&#39;s exact text" in refused.text
    assert 'id="refused"' in refused.text

    run_id = run_version(client, token, blind)
    run = client.get(f"/app/evals/runs/{run_id}")
    assert "gate failed" in run.text
    assert "answers-from-docs" in run.text
    assert "escalates: handed over" in run.text or "escalat" in run.text
    refused = post(client, f"/app/agent/{blind}/activate", token)
    assert refused.status_code == 409
    assert f"the latest eval run (#{run_id}) of version {blind} failed the gate" in refused.text
    assert status_of(session, blind) == PromptStatus.DRAFT

    good = new_draft(client, token, text="You are the support agent of {product}. Be brief.")
    run_version(client, token, good)
    page = client.get(f"/app/agent/{good}")
    assert "Ready:" in page.text
    # A changed case is a new suite: the run no longer counts.
    edited = STEADY_CASE.replace("[smoke]", "[smoke, edited]")
    assert post(client, "/app/evals/cases/steady", token, text=edited).status_code == 303
    refused = post(client, f"/app/agent/{good}/activate", token)
    assert refused.status_code == 409
    assert "against the current suite" in refused.text

    run_version(client, token, good)
    activated = post(client, f"/app/agent/{good}/activate", token)
    assert activated.status_code == 303
    assert activated.headers["location"] == f"/app/agent/{good}?notice=activated"
    assert status_of(session, good) == PromptStatus.ACTIVE
    assert status_of(session, 1) == PromptStatus.RETIRED
    assert (
        "Activated: new conversations use this version."
        in client.get(activated.headers["location"]).text
    )


def test_rollback_is_gated_too(client: TestClient, session: Session) -> None:
    token = log_in(client, make_user(session, role=Role.ADMIN))
    add_case(client, token, STEADY_CASE)
    draft = new_draft(client, token, text="A second prompt.")
    run_version(client, token, draft)
    assert post(client, f"/app/agent/{draft}/activate", token).status_code == 303
    not_retired = post(client, f"/app/agent/{draft}/rollback", token)
    assert not_retired.status_code == 409
    assert "only a retired version is rolled back to" in not_retired.text

    refused = post(client, "/app/agent/1/rollback", token)
    assert refused.status_code == 409
    assert "rollback to version 1 refused: no eval run" in refused.text
    assert status_of(session, 1) == PromptStatus.RETIRED
    page = client.get("/app/agent/1")
    assert 'id="rollback"' in page.text

    run_version(client, token, 1)
    rolled = post(client, "/app/agent/1/rollback", token)
    assert rolled.status_code == 303
    assert status_of(session, 1) == PromptStatus.ACTIVE
    assert status_of(session, draft) == PromptStatus.RETIRED


def test_the_diff_against_the_active_version_is_escaped(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.ADMIN))
    draft = new_draft(client, token, text="Say <script>alert(1)</script> to everyone.")
    page = client.get(f"/app/agent/{draft}").text
    assert "<script>alert(1)</script>" not in page
    assert (
        '<span class="diff-add">+Say &lt;script&gt;alert(1)&lt;/script&gt; to everyone.</span>'
        in page
    )
    assert '<span class="diff-del">-You are the support agent of {product}' in page


def test_a_draft_without_a_reason_comes_back_with_the_error(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.AGENT))
    response = post(client, "/app/agent/versions", token, text="Some text", reason=" ")
    assert response.status_code == 422
    assert "reason: say why this version is needed" in response.text
    assert "Some text" in response.text  # what was typed is kept


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("expect: [{escalates: maybe}]", "expect.0"),
        ("input: ''\nexpect: [{escalates: true}]", "input"),
        ("name: renamed\ninput: hi\nexpect: [{escalates: true}]", "name: cannot be changed"),
        ("expect: [", "not valid YAML"),
    ],
)
def test_a_case_edit_names_the_field_in_error(
    client: TestClient,
    session: Session,
    text: str,
    error: str,
) -> None:
    token = log_in(client, make_user(session, role=Role.AGENT))
    add_case(client, token, STEADY_CASE)
    response = post(client, "/app/evals/cases/steady", token, text=text)
    assert response.status_code == 422
    assert error in response.text
    assert get_case(session, "steady").revision == 1


def test_feedback_becomes_a_case_shown_failing_on_the_active_version(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.AGENT))
    feedback_id = rate_down(client, comment="It was a 500, not a 410")
    inbox = client.get("/app/feedback")
    assert QUESTION in inbox.text
    assert "It was a 500, not a 410" in inbox.text
    assert "negative feedback" in inbox.text
    form = client.get(f"/app/feedback/{feedback_id}")
    assert "does not cite" in form.text
    assert "escalates (hands over to a human)" in form.text
    assert "trycatch kb create" in form.text
    assert "tools.yaml" in form.text

    nothing = post(client, f"/app/feedback/{feedback_id}/case", token)
    assert nothing.status_code == 422
    assert "expect: choose at least one assertion" in nothing.text

    # "does not cite" the first document it cited, and "escalates" (the last proposal).
    proposals = re.findall(r'name="proposal" value="(\d+)"', form.text)
    response = client.post(
        f"/app/feedback/{feedback_id}/case",
        data={"csrf_token": token, "proposal": [proposals[0], proposals[-1]]},
    )
    assert response.status_code == 200, response.text
    assert "It fails on the active version" in response.text
    name = re.search(r'href="/app/evals/cases/([^"]+)"', response.text)
    assert name
    case = get_case(session, name.group(1))
    assert case.tags == [f"feedback:{feedback_id}", "new"]
    assert case.feedback_id == feedback_id
    assert case.data["input"] == QUESTION
    assert [next(iter(a)) for a in case.data["expect"]] == ["not_cites", "escalates"]
    # Made into a case: out of the inbox unless asked for.
    assert f'id="feedback-{feedback_id}"' not in client.get("/app/feedback").text
    assert f"case {case.name}" in client.get("/app/feedback?all=1").text


def test_feedback_opens_an_engineering_issue(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.AGENT))
    feedback_id = rate_down(client)
    response = post(
        client, f"/app/feedback/{feedback_id}/issue", token, title="Disabled endpoints", kind="bug"
    )
    assert response.status_code == 303
    issue = session.scalars(select(EngineeringIssue)).one()
    assert issue.title == "Disabled endpoints"
    assert (
        response.headers["location"] == f"/app/feedback/{feedback_id}?notice=issue&issue={issue.id}"
    )
    empty = post(client, f"/app/feedback/{feedback_id}/issue", token, title=" ", kind="bug")
    assert empty.status_code == 422
    assert "title: must not be empty" in empty.text


def test_a_run_page_shows_the_table_diff_and_transcript(
    client: TestClient,
    session: Session,
) -> None:
    token = log_in(client, make_user(session, role=Role.ADMIN))
    add_case(client, token, ANSWERS_CASE)
    baseline = run_version(client, token, 1)
    blind = new_draft(client, token, text="No search.", tools=["escalate_to_human"])
    run_id = run_version(client, token, blind)
    page = client.get(f"/app/evals/runs/{run_id}").text
    assert f'href="/app/evals/runs/{baseline}">run #{baseline}</a>' in page
    newly_failing = re.search(r'<ul class="docs" id="newly_failing">(.*?)</ul>', page, re.S)
    assert newly_failing
    assert "answers-from-docs" in newly_failing.group(1)
    assert f"regression: answers-from-docs passed on run #{baseline}, fails now" in page
    assert "How do I verify webhook signatures?" in page  # the transcript
    assert "The agent has no search tool enabled." in page
    history = client.get("/app/evals/cases/answers-from-docs").text
    assert history.count('class="result result-passed"') >= 1
    assert history.count('class="result result-failed"') >= 1
