"""``trycatch agent export|import``: the agent's prompts, evals, tools and taxonomy as files."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from trycatch.cli.context import console, fail, print_json, state
from trycatch.evals.files import AgentFilesError, export_files, import_files

app = typer.Typer(
    help="Keep the support agent in git: prompts/*.md, evals/*.yaml, tools.yaml, taxonomy.yaml.",
    no_args_is_help=True,
)


@app.command("export")
def export_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder to write the files to.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write every prompt version, the eval suite and the agent's files under FOLDER."""
    with state(ctx).database().session() as session:
        written = export_files(session, folder)
    paths = [str(p.relative_to(folder)) for p in written]
    if as_json:
        print_json({"folder": str(folder), "files": paths})
        return
    console.print(f"wrote {len(paths)} files to {folder}", highlight=False)


@app.command("import")
def import_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder with prompts/, evals/ and the files.")],
    author: Annotated[
        str | None, typer.Option(help="Who makes the change (default: the current user).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read the files into the database: new prompt versions come in as drafts, the suite
    becomes the files' cases. Every file is checked before anything changes."""
    with state(ctx).database().session() as session:
        try:
            report = import_files(session, folder, author=author or getpass.getuser())
        except AgentFilesError as error:
            fail(str(error))
    data = report.public()
    if as_json:
        print_json(data)
        return
    console.print(
        f"prompt versions: {len(report.versions_added)} added, {report.versions_unchanged} "
        f"unchanged; cases: {len(report.cases.added)} added, {len(report.cases.changed)} "
        f"changed, {len(report.cases.removed)} removed, {report.cases.unchanged} unchanged; "
        f"files: {', '.join(report.files) or '-'}",
        highlight=False,
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
