"""``trycatch ingest``, ``trycatch search`` and ``trycatch taxonomy``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from trycatch.cli.context import console, err_console, fail, interactive, print_json, state
from trycatch.knowledge.embeddings import Embedder
from trycatch.knowledge.indexing import index_for
from trycatch.knowledge.ingest import IngestError, IngestReport, ingest_folder
from trycatch.knowledge.models import SourceKind
from trycatch.knowledge.search import SearchHit, search
from trycatch.knowledge.taxonomy import Taxonomy, TaxonomyError, find_taxonomy, load_taxonomy
from trycatch.settings import Settings
from trycatch.store import Database

taxonomy_app = typer.Typer(help="Categories and product areas (taxonomy.yaml).")


def resolve_taxonomy(settings: Settings, folder: Path, explicit: Path | None) -> Taxonomy:
    """The taxonomy for an ingest: --taxonomy, the setting, the folder's, its parent's, cwd's."""
    try:
        if explicit is not None:
            return load_taxonomy(explicit)
        if settings.taxonomy_path is not None:
            return load_taxonomy(settings.taxonomy_path)
        return find_taxonomy(folder, folder.parent, Path.cwd())
    except TaxonomyError as error:
        fail(str(error))


def run_ingest(
    database: Database,
    settings: Settings,
    *,
    path: Path,
    source: str | None,
    base_url: str | None,
    kind: SourceKind,
    taxonomy: Taxonomy,
    exclude: list[str],
    show_progress: bool,
    embedder: Embedder | None = None,
) -> IngestReport:
    with database.session() as session, _progress_bar(show_progress) as progress:
        task = progress.add_task(source or path.name, total=None) if progress else None
        return ingest_folder(
            session,
            root=path,
            source_name=source,
            kind=kind,
            base_url=base_url,
            taxonomy=taxonomy,
            exclude=exclude,
            max_file_bytes=settings.max_file_bytes,
            boilerplate_share=settings.boilerplate_share,
            embedder=embedder,
            progress=(
                (lambda done, total: progress.update(task, completed=done, total=total))
                if progress is not None and task is not None
                else None
            ),
        )


@contextmanager
def _progress_bar(show: bool) -> Iterator[Progress | None]:
    """A transient progress bar on a terminal; nothing otherwise."""
    if not show:
        yield None
        return
    with Progress(
        TextColumn("indexing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield progress


def report_dict(report: IngestReport) -> dict[str, object]:
    return {
        "source": report.source,
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "skipped": report.skipped,
        "failed": report.failed,
        "seconds": report.seconds,
        "problems": [{"path": p.path, "problem": p.problem} for p in report.problems],
    }


def ingest(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder of Markdown/MDX pages.")],
    source: Annotated[
        str | None, typer.Option(help="Source name (default: the folder's name).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Public URL of the folder; page links are built on it.")
    ] = None,
    kind: Annotated[SourceKind, typer.Option(help="What the pages are.")] = SourceKind.DOCS,
    taxonomy: Annotated[
        Path | None, typer.Option(help="taxonomy.yaml mapping pages to product areas.")
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(metavar="GLOB", help="Paths to leave out, relative to PATH (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Index a folder of Markdown/MDX pages into a source.

    New and changed pages are indexed, unchanged ones skipped, deleted ones removed.
    Exits 1 when some files could not be ingested; the rest still are.
    """
    app_state = state(ctx)
    chosen = resolve_taxonomy(app_state.settings, path, taxonomy)
    try:
        report = run_ingest(
            app_state.database(),
            app_state.settings,
            path=path,
            source=source,
            base_url=base_url,
            kind=kind,
            taxonomy=chosen,
            exclude=exclude or [],
            show_progress=not as_json and interactive(),
            embedder=app_state.embedder(),
        )
    except IngestError as error:
        fail(str(error))
    if as_json:
        print_json(report_dict(report))
    else:
        console.print(
            f"{report.source}: {report.added} added, {report.updated} updated, "
            f"{report.removed} removed, {report.skipped} unchanged, {report.failed} failed "
            f"in {report.seconds:.2f}s"
        )
        for problem in report.problems:
            console.print(f"[red]{problem.path}[/]: {problem.problem}", highlight=False)
    if report.problems:
        raise typer.Exit(1)


def _snippet_text(snippet: str) -> Text:
    """The snippet with its **highlights** in bold, and no markup read from the docs."""
    text = Text()
    for index, part in enumerate(snippet.split("**")):
        text.append(part, style="bold yellow" if index % 2 else "")
    return text


def _hits_table(hits: list[SearchHit]) -> Table:
    table = Table(show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("document")
    table.add_column("score", justify="right")
    table.add_column("snippet")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            Text.assemble((hit.title, "bold"), f"\n{hit.path}\n", (hit.url, "dim")),
            f"{hit.score:.2f}",
            _snippet_text(hit.snippet),
        )
    return table


def _batch_lines(batch: Path) -> list[tuple[object, str | None, str | None]]:
    """(id, question, error) per line of a JSONL batch file."""
    try:
        lines = batch.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        fail(f"{batch}: cannot read: {error.strerror}")
    items: list[tuple[object, str | None, str | None]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            items.append((None, None, f"line {number}: not JSON: {error.msg}"))
            continue
        if not isinstance(record, dict):
            items.append((None, None, f"line {number}: expected an object"))
            continue
        question = record.get("question")
        if not isinstance(question, str) or not question.strip():
            items.append((record.get("id"), None, f"line {number}: 'question' must be text"))
            continue
        items.append((record.get("id"), question, None))
    return items


def search_command(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Documents to return.")] = 10,
    batch: Annotated[
        Path | None, typer.Option(help='JSONL file, one {"id","question"} per line.')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the docs, knowledge base and examples: best passage per document."""
    if (query is None) == (batch is None):
        fail("give a QUERY or --batch FILE (one of them)", code=2)
    database = state(ctx).database()
    embedder = state(ctx).embedder()
    with database.session() as session:
        if batch is not None:
            for item_id, question, error in _batch_lines(batch):
                if error is not None or question is None:
                    print_json({"id": item_id, "error": error, "results": []})
                    continue
                hits = search(session, question, limit=limit, embedder=embedder)
                print_json({"id": item_id, "results": [hit.public() for hit in hits]})
            return
        assert query is not None
        hits = search(session, query, limit=limit, embedder=embedder)
        empty_index = not hits and index_for(session).size(session) == 0
    if empty_index:
        err_console.print(
            "note: nothing is indexed yet: run `trycatch ingest PATH` "
            "(or `trycatch demo --seed-only` for the sample help center)"
        )
    if as_json:
        print_json([hit.public() for hit in hits])
    elif hits:
        console.print(_hits_table(hits))
    else:
        console.print("no results")


@taxonomy_app.command("check")
def taxonomy_check(
    path: Annotated[Path, typer.Argument(help="The taxonomy.yaml to validate.")],
) -> None:
    """Validate a taxonomy file and list its categories and product areas."""
    try:
        taxonomy = load_taxonomy(path)
    except TaxonomyError as error:
        fail(str(error))
    console.print(f"{len(taxonomy.categories)} categories, {len(taxonomy.product_areas)} areas")
    for area in taxonomy.product_areas:
        console.print(f"  {area.slug}: {area.name}", highlight=False)
