"""Support as code: prompts, evals, tools.yaml and taxonomy.yaml round-trip with the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from trycatch.agent.models import PromptStatus
from trycatch.agent.prompts import active_prompt, create_version, get_version, list_versions
from trycatch.evals.files import AgentFilesError, export_files, import_files
from trycatch.evals.library import stored_suite
from trycatch.knowledge.sample import SAMPLE_TAXONOMY
from trycatch.store import Database, open_database, upgrade

TOOLS = """tools:
  - name: domain_status
    description: Look up the verification status of a domain.
    url: https://internal.example.com/domains/{domain}/status
    parameters:
      type: object
      properties:
        domain: {type: string}
      required: [domain]
"""
EVALS = """cases:
  - name: refund
    tags: [billing]
    input: I was charged twice, refund please.
    expect:
      - escalates: true
        reason: (?i)billing
  - name: two-turns
    input:
      - Hi
      - Why was my endpoint disabled?
    expect:
      - not_cites: [billing/*]
"""


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def team_folder(root: Path) -> Path:
    (root / "evals").mkdir(parents=True)
    (root / "evals" / "core.yaml").write_text(EVALS, encoding="utf-8")
    (root / "tools.yaml").write_text(TOOLS, encoding="utf-8")
    (root / "taxonomy.yaml").write_text(SAMPLE_TAXONOMY.read_text(encoding="utf-8"))
    return root


def test_export_import_round_trip_gives_identical_files(session: Session, tmp_path: Path) -> None:
    import_files(session, team_folder(tmp_path / "team"), author="ana")
    v1 = active_prompt(session)
    create_version(session, text=v1.text + "\nBe brief.\n", author="ana", reason="brevity")
    create_version(session, text="No newline at the end", author="bo", reason="edge")
    first = tmp_path / "first"
    export_files(session, first)
    files = snapshot(first)
    assert set(files) == {
        "prompts/v1.md",
        "prompts/v2.md",
        "prompts/v3.md",
        "evals/core.yaml",
        "tools.yaml",
        "taxonomy.yaml",
    }
    assert files["evals/core.yaml"] == EVALS
    assert files["tools.yaml"] == TOOLS
    assert files["prompts/v2.md"].startswith("---\nid: 2\nstatus: draft\nauthor: ana\n")

    # Into an empty database (another install, a SQLite file), and out again: the same files.
    other = tmp_path / "other.db"
    upgrade(str(other))
    database: Database = open_database(str(other))
    with database.session() as fresh:
        report = import_files(fresh, first, author="ci")
        assert report.versions_added == [1, 2, 3]
        assert active_prompt(fresh).id == 1  # a new install takes the files' statuses
        second = tmp_path / "second"
        export_files(fresh, second)
    database.dispose()
    assert snapshot(second) == files

    # Into the same database again: nothing changes.
    again = import_files(session, first, author="ana")
    assert again.versions_added == []
    assert again.versions_unchanged == 3
    assert again.cases.unchanged == 2


def test_a_new_install_takes_version_ids_from_the_files(session: Session, tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    (folder / "prompts").mkdir(parents=True)
    (folder / "prompts" / "v5.md").write_text(
        "---\nid: 5\nstatus: active\nauthor: ana\nreason: ours\n---\nHelp briefly.\n"
    )
    assert import_files(session, folder, author="ana").versions_added == [5]
    assert active_prompt(session).id == 5
    # The id sequence moved past the imported ids.
    assert create_version(session, text="Next", author="ana", reason="next").id == 6


def test_import_never_activates_and_versions_are_immutable(
    session: Session, tmp_path: Path
) -> None:
    active_prompt(session)
    folder = tmp_path / "repo"
    (folder / "prompts").mkdir(parents=True)
    (folder / "prompts" / "better.md").write_text(
        "---\nstatus: active\nauthor: ana\nreason: shorter answers\nparent: 1\n---\nBe short.\n"
    )
    report = import_files(session, folder, author="ana")
    (new_id,) = report.versions_added
    assert get_version(session, new_id).status == PromptStatus.DRAFT
    assert "activation is gated" in report.notes[0]
    assert active_prompt(session).id == 1

    (folder / "prompts" / "v1.md").write_text(
        "---\nid: 1\nstatus: active\nauthor: x\n---\nChanged text.\n"
    )
    with pytest.raises(AgentFilesError, match=r"v1.md: version 1 differs from the stored one"):
        import_files(session, folder, author="ana")
    assert len(list_versions(session)) == 2


@pytest.mark.parametrize(
    ("relative", "content", "message"),
    [
        ("prompts/x.md", "no front matter", "must start with front matter"),
        ("prompts/x.md", "---\nauthor: a\ntools: [shell]\n---\nx\n", "tools: unknown shell"),
        ("prompts/x.md", "---\nreason: r\n---\nx\n", "front matter: author: Field required"),
        ("evals/a.yaml", "cases: [{name: A, input: x, expect: [{escalates: true}]}]", "name:"),
        ("tools.yaml", "tools: [{name: search_docs}]", "tools.yaml"),
        ("taxonomy.yaml", "product_areas: [{slug: 'Bad Slug', name: x}]", "taxonomy.yaml"),
    ],
)
def test_import_checks_every_file_first(
    session: Session, tmp_path: Path, relative: str, content: str, message: str
) -> None:
    folder = team_folder(tmp_path / "repo")
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AgentFilesError, match=message):
        import_files(session, folder, author="ana")
    assert stored_suite(session) == []


def test_cli_export_and_import(cli: Any, tmp_path: Path) -> None:
    folder = team_folder(tmp_path / "team")
    imported = cli("agent", "import", str(folder))
    assert imported.exit_code == 0, imported.output
    assert "cases: 2 added" in imported.output
    out = tmp_path / "out"
    exported = cli("agent", "export", str(out), "--json")
    assert exported.exit_code == 0
    assert (out / "evals" / "core.yaml").read_text() == EVALS
    assert (out / "prompts" / "v1.md").is_file()
    listed = cli("eval", "cases", "--json")
    assert '"refund"' in listed.output
    bad = tmp_path / "bad"
    (bad / "evals").mkdir(parents=True)
    (bad / "evals" / "x.yaml").write_text("cases: [{name: a, input: x, expect: [{nope: 1}]}]")
    failed = cli("agent", "import", str(bad))
    assert failed.exit_code == 1
    output = " ".join(failed.output.split())
    assert "x.yaml, case 'a': expect.0: an assertion needs exactly one of" in output
