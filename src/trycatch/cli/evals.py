"""``trycatch eval``, ``trycatch prompt`` and ``trycatch feedback``: agent ops from the shell.

Run the suite against a prompt version (the exit code is the gate's, for CI), manage
prompt versions (activation and rollback are gated), and turn negative feedback into cases.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from trycatch.agent.models import PromptVersion
from trycatch.agent.prompts import (
    PromptVersionError,
    PromptVersionNotFound,
    active_prompt,
    create_version,
    diff_versions,
    get_version,
    list_versions,
)
from trycatch.agent.toolspec import HttpTool, ToolsFileError, load_tools
from trycatch.cli.context import AppState, console, fail, print_json, state
from trycatch.evals.assertions import Assertion
from trycatch.evals.cases import CaseFileError, SuiteCase, load_suite, parse_case
from trycatch.evals.compare import statuses_by_case
from trycatch.evals.feedback import (
    FeedbackNotFound,
    case_from_feedback,
    feedback_inbox,
    proposed_assertions,
)
from trycatch.evals.gate import ActivationRefused, activate_version, activation_refusal, rollback
from trycatch.evals.library import stored_cases
from trycatch.evals.models import EvalRun
from trycatch.evals.runner import Baseline, CaseResult, EvalRunError, RunReport, run_suite
from trycatch.settings import Settings

eval_app = typer.Typer(help="Run the eval suite against a prompt version; list cases.")
prompt_app = typer.Typer(help="Prompt versions: create, diff, activate and roll back (gated).")
feedback_app = typer.Typer(help="Negative feedback, and eval cases made from it.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AuthorOption = Annotated[
    str | None, typer.Option(help="Who makes the change (default: the current user).")
]
STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}


def _author(author: str | None) -> str:
    return author or getpass.getuser()


def _http_tools(settings: Settings) -> list[HttpTool]:
    path = settings.agent_tools_path or Path("tools.yaml")
    if settings.agent_tools_path is None and not path.is_file():
        return []
    try:
        return load_tools(path)
    except ToolsFileError as error:
        fail(str(error))


def _case_rows(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """One row per case (repetitions folded: the worst status, the first failure)."""
    by_case: dict[str, list[CaseResult]] = {}
    for result in results:
        by_case.setdefault(result.name, []).append(result)
    statuses = statuses_by_case((r.name, r.status) for r in results)
    rows = []
    for name, runs in by_case.items():
        passed = sum(1 for r in runs if r.status == "passed")
        failure = next((r.failure for r in runs if r.failure), "")
        rows.append(
            {
                "case": name,
                "suite": runs[0].suite,
                "tags": runs[0].tags,
                "status": str(statuses[name]),
                "passed": f"{passed}/{len(runs)}",
                "failure": failure,
                "latency_ms": round(sum(r.latency_ms for r in runs) / len(runs), 1),
                "requests": sum(r.requests for r in runs),
                "input_tokens": sum(r.input_tokens for r in runs),
                "output_tokens": sum(r.output_tokens for r in runs),
                "cost": round(sum(r.cost for r in runs), 6),
                "cached_requests": sum(r.cached for r in runs),
                "transcript": runs[0].transcript(),
            }
        )
    return rows


def _run_summary(run: EvalRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "prompt_version_id": run.prompt_version_id,
        "model": run.model,
        "cases": run.cases,
        "passed": run.passed,
        "failed": run.failed,
        "skipped": run.skipped,
        "repeat": run.repeat,
        "tags": run.tags,
        "baseline_run_id": run.baseline_run_id,
        "cost": run.cost,
        "cache_hits": run.cache_hits,
        "cache_misses": run.cache_misses,
        "duration_ms": run.duration_ms,
        "prompt_hash": run.prompt_hash,
        "suite_hash": run.suite_hash,
    }


def _show_report(report: RunReport, rows: list[dict[str, Any]]) -> None:
    table = Table(
        Column("case", overflow="fold"),
        "result",
        "failed assertion — why",
        "ms",
        "tokens in/out",
        "cost",
    )
    for row in rows:
        style = STATUS_STYLE.get(row["status"], "")
        result = (
            row["status"] if row["passed"] in {"1/1", "0/1"} else f"{row['status']} {row['passed']}"
        )
        table.add_row(
            row["case"],
            f"[{style}]{result}[/]",
            row["failure"],
            f"{row['latency_ms']:.0f}",
            f"{row['input_tokens']}/{row['output_tokens']}",
            f"${row['cost']:.4f}",
        )
    console.print(table)
    run, diff = report.run, report.diff
    console.print(
        f"run #{run.id}: version {run.prompt_version_id}, {run.cases} cases, "
        f"[green]{run.passed} passed[/], [red]{run.failed} failed[/], "
        f"[yellow]{run.skipped} skipped[/] in {run.duration_ms / 1000:.1f} s "
        f"(model {run.model or '-'}, cache {run.cache_hits} hits / {run.cache_misses} misses, "
        f"${run.cost:.4f})",
        highlight=False,
    )
    if diff.baseline_run_id is None:
        console.print("baseline: none (every case must pass)")
    else:
        console.print(f"baseline: run #{diff.baseline_run_id}", highlight=False)
        for label, names in (
            ("newly failing", diff.newly_failing),
            ("newly passing", diff.newly_passing),
            ("still failing", diff.still_failing),
        ):
            console.print(f"  {label}: {', '.join(names) or '-'}", highlight=False)
    if report.gate.passed:
        console.print("[bold green]gate: passed[/]")
    else:
        console.print("[bold red]gate: failed[/]")
        for reason in report.gate.reasons:
            console.print(f"  - {reason}", highlight=False)


@eval_app.command("run")
def run_command(
    ctx: typer.Context,
    suite: Annotated[
        Path | None,
        typer.Option(help="Folder of evals/*.yaml (or one file); default: the stored suite."),
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Prompt version id (default: the active one).")
    ] = None,
    baseline: Annotated[
        int | None,
        typer.Option(help="Run id to compare with (default: the last run of the active version)."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(help="Only cases with this tag (repeatable).")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, max=20, help="Run each case N times.")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Cases run at once.")] = 1,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the model again (responses are re-cached).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the suite, store the run, print each case and the diff against the baseline.

    Exit status 0 only when no case that passed on the baseline fails now and every case
    tagged `new` passes (without a baseline run: every case passes). Usable as a CI step.
    """
    app_state = state(ctx)
    cases: list[SuiteCase] | None = None
    if suite is not None:
        try:
            cases = load_suite(suite)
        except CaseFileError as error:
            fail(str(error))
    with app_state.database().session() as session:
        try:
            report = run_suite(
                session,
                settings=app_state.settings,
                actor=getpass.getuser(),
                cases=cases,
                version_id=version,
                baseline=baseline if baseline is not None else Baseline.LATEST,
                tags=tag or [],
                repeat=repeat,
                concurrency=concurrency,
                use_cache=not no_cache,
                http_tools=_http_tools(app_state.settings),
            )
        except (EvalRunError, PromptVersionNotFound) as error:
            fail(str(error), code=2)
        rows = _case_rows(report.results)
        if as_json:
            print_json(
                {
                    "run": _run_summary(report.run),
                    "cases": rows,
                    "diff": report.diff.public(),
                    "gate": {"passed": report.gate.passed, "reasons": report.gate.reasons},
                }
            )
        else:
            if not rows:
                console.print(
                    "no cases to run: import a suite with `trycatch agent import DIR`, or give "
                    "--suite DIR"
                )
            _show_report(report, rows)
    if not report.gate.passed:
        raise typer.Exit(1)


@eval_app.command("cases")
def cases_command(
    ctx: typer.Context,
    tag: Annotated[list[str] | None, typer.Option(help="Only cases with this tag.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the stored eval cases."""
    with state(ctx).database().session() as session:
        rows: list[dict[str, Any]] = [
            {
                "name": c.name,
                "suite": c.suite,
                "tags": c.tags,
                "origin": str(c.origin),
                "revision": c.revision,
                "updated_at": c.updated_at.isoformat(),
                "case": c.data,
            }
            for c in stored_cases(session)
            if not tag or set(tag) & set(c.tags)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("case", "suite", "tags", "rev", "updated")
    for row in rows:
        table.add_row(
            row["name"],
            row["suite"],
            ", ".join(row["tags"]),
            str(row["revision"]),
            row["updated_at"][:16],
        )
    console.print(table)


@eval_app.command("runs")
def runs_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List eval runs, newest first (their ids are baselines for --baseline)."""
    from sqlalchemy import select

    with state(ctx).database().session() as session:
        runs = list(session.scalars(select(EvalRun).order_by(EvalRun.id.desc()).limit(limit)))
        rows = [
            {**_run_summary(r), "gate_passed": r.gate_passed, "at": r.started_at.isoformat()}
            for r in runs
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("run", "version", "cases", "passed", "failed", "gate", "baseline", "when")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["prompt_version_id"]),
            str(row["cases"]),
            str(row["passed"]),
            str(row["failed"]),
            "[green]passed[/]" if row["gate_passed"] else "[red]failed[/]",
            str(row["baseline_run_id"] or "-"),
            row["at"][:16],
        )
    console.print(table)


# --- prompt versions -------------------------------------------------------------------


def _version_row(session: Any, version: PromptVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "status": str(version.status),
        "author": version.author,
        "reason": version.reason,
        "parent": version.parent_id,
        "tools": list(version.tools or []),
        "created_at": version.created_at.isoformat(),
        "activated_at": version.activated_at.isoformat() if version.activated_at else None,
        "activation": activation_refusal(session, version) or "ready: its gate run passed",
    }


def _version(session: Any, version_id: int) -> PromptVersion:
    try:
        return get_version(session, version_id)
    except PromptVersionNotFound as error:
        fail(str(error))


@prompt_app.command("list")
def prompt_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every prompt version, newest first: status, author, reason, whether it may activate."""
    with state(ctx).database().session() as session:
        rows = [_version_row(session, v) for v in list_versions(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "status", "author", "reason", "parent", "created", "activation")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["status"],
            row["author"],
            row["reason"],
            str(row["parent"] or "-"),
            row["created_at"][:16],
            "-" if row["status"] == "active" else row["activation"],
        )
    console.print(table)


@prompt_app.command("show")
def prompt_show(
    ctx: typer.Context,
    version_id: Annotated[int | None, typer.Argument(help="Version id (default: active).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A version's text and details."""
    with state(ctx).database().session() as session:
        version = active_prompt(session) if version_id is None else _version(session, version_id)
        row = {**_version_row(session, version), "text": version.text}
    if as_json:
        print_json(row)
        return
    for key in ("id", "status", "author", "reason", "parent", "tools", "activation"):
        console.print(f"[dim]{key}:[/] {row[key]}", highlight=False)
    console.print()
    console.print(row["text"], markup=False, highlight=False)


@prompt_app.command("create")
def prompt_create(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why this version is needed.")],
    text_file: Annotated[
        Path | None, typer.Option("--file", help="Read the prompt text from a file.")
    ] = None,
    text: Annotated[str | None, typer.Option(help="The prompt text.")] = None,
    parent: Annotated[int | None, typer.Option(help="Parent version (default: active).")] = None,
    tool: Annotated[
        list[str] | None,
        typer.Option(help="Built-in tool to enable (repeatable; default: the parent's)."),
    ] = None,
    author: AuthorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft version; activating it needs a passing eval run."""
    if (text is None) == (text_file is None):
        fail("give --text TEXT or --file FILE", code=2)
    if text_file is not None:
        try:
            text = text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"{text_file}: cannot read: {error}")
    assert text is not None
    with state(ctx).database().session() as session:
        try:
            version = create_version(
                session,
                text=text,
                author=_author(author),
                reason=reason,
                tools=tool,
                parent_id=parent,
            )
        except (PromptVersionError, PromptVersionNotFound) as error:
            fail(str(error))
        row = _version_row(session, version)
    if as_json:
        print_json(row)
    else:
        console.print(
            f"created draft version {row['id']}; next: `trycatch eval run --version {row['id']}`",
            highlight=False,
        )


@prompt_app.command("diff")
def prompt_diff(
    ctx: typer.Context,
    version_id: Annotated[int, typer.Argument(help="The version to compare.")],
    against: Annotated[
        int | None, typer.Option(help="Compare with this version (default: the active one).")
    ] = None,
) -> None:
    """Unified diff of a version against the active one (or --against ID)."""
    with state(ctx).database().session() as session:
        new = _version(session, version_id)
        old = active_prompt(session) if against is None else _version(session, against)
        text = diff_versions(old, new)
    console.print(text or "no differences", markup=False, highlight=False, end="")


def _refused(error: ActivationRefused) -> None:
    fail(f"refused: {error}")


@prompt_app.command("activate")
def prompt_activate(
    ctx: typer.Context,
    version_id: Annotated[int, typer.Argument(help="The version to make active.")],
    author: AuthorOption = None,
) -> None:
    """Make a version active — only if its latest run against the current suite passed the gate."""
    with state(ctx).database().session() as session:
        try:
            version = activate_version(session, version_id, actor=_author(author))
        except PromptVersionNotFound as error:
            fail(str(error))
        except ActivationRefused as error:
            _refused(error)
        console.print(f"version {version.id} is active", highlight=False)


@prompt_app.command("rollback")
def prompt_rollback(
    ctx: typer.Context,
    to: Annotated[
        int | None, typer.Option(help="Version to return to (default: the previous active one).")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Return to the previously active version in one step (gated like activation)."""
    with state(ctx).database().session() as session:
        try:
            version = rollback(session, actor=_author(author), to_version_id=to)
        except PromptVersionNotFound as error:
            fail(str(error))
        except ActivationRefused as error:
            _refused(error)
        console.print(f"rolled back: version {version.id} is active", highlight=False)


# --- feedback ----------------------------------------------------------------------------


@feedback_app.command("list")
def feedback_list(
    ctx: typer.Context,
    include_done: Annotated[
        bool, typer.Option("--all", help="Include feedback already made into a case.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The feedback inbox: thumbs-down answers and unhelpful escalations, grouped by question."""
    with state(ctx).database().session() as session:
        groups = feedback_inbox(session, include_done=include_done)
        data = [g.public() for g in groups]
    if as_json:
        print_json(data)
        return
    if not groups:
        console.print("no negative feedback waiting")
    for group in groups:
        console.print(f"[bold]{group.question}[/] ({len(group.items)})", highlight=False)
        for item in group.items:
            cited = ", ".join(item.cited) or "nothing"
            done = f" → case {item.case_name}" if item.case_name else ""
            console.print(
                f"  #{item.feedback_id} {item.kind}: {item.outcome}, cited {cited}"
                f"{' — ' + repr(item.comment) if item.comment else ''}{done}",
                highlight=False,
            )
            console.print(f"    answer: {' '.join(item.answer.split())[:160]}", highlight=False)
    if groups:
        console.print(
            "fixes: a case (`trycatch feedback to-case ID`), a KB article (`trycatch kb "
            "create`), the prompt (`trycatch prompt create`), the tools (tools.yaml)"
        )


@feedback_app.command("to-case")
def feedback_to_case(
    ctx: typer.Context,
    feedback_id: Annotated[int, typer.Argument(help="The feedback's id (see feedback list).")],
    not_cites: Annotated[
        list[str] | None, typer.Option(help="The agent must not cite this document.")
    ] = None,
    cites: Annotated[
        list[str] | None, typer.Option(help="The agent must cite one of these documents.")
    ] = None,
    escalates: Annotated[
        bool | None,
        typer.Option("--escalates/--no-escalation", help="The agent must (not) hand over."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Case name (default: from the question).")
    ] = None,
    author: AuthorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make an eval case from negative feedback (tagged feedback:ID and new), and show it
    failing on the active version."""
    app_state: AppState = state(ctx)
    expect: list[dict[str, Any]] = []
    if not_cites:
        expect.append({"not_cites": not_cites})
    if cites:
        expect.append({"cites": cites})
    if escalates is not None:
        expect.append({"escalates": escalates})
    with app_state.database().session() as session:
        if not expect:
            try:
                proposals = proposed_assertions(session, feedback_id)
            except FeedbackNotFound as error:
                fail(str(error))
            options = "; ".join(_proposal(a) for a in proposals)
            fail(f"choose the assertions: {options}, or --cites PATH", code=2)
        try:
            assertions = parse_case(
                {"name": "x", "input": "-", "expect": expect}, origin="options"
            ).expect
            made = case_from_feedback(
                session,
                feedback_id=feedback_id,
                expect=assertions,
                author=_author(author),
                settings=app_state.settings,
                name=name,
            )
        except FeedbackNotFound as error:
            fail(str(error))
        except CaseFileError as error:
            fail(str(error), code=2)
        result = made.result
        data = {
            "case": made.case.name,
            "data": made.case.data,
            "status_on_active": str(result.status),
            "failure": result.failure,
        }
    if as_json:
        print_json(data)
        return
    console.print(f"case {data['case']} added (tags: feedback:{feedback_id}, new)", highlight=False)
    if made.fails_on_active:
        console.print(f"[red]fails on the active version[/] — {result.failure}", highlight=False)
    else:
        console.print(
            "[yellow]passes on the active version: it does not capture the problem; "
            "choose other assertions[/]"
        )


def _proposal(assertion: Assertion) -> str:
    kind, value = next(iter(assertion.model_dump(exclude_defaults=True).items()))
    if kind == "not_cites":
        return f"--not-cites {value[0]}"
    return "--escalates" if value else "--no-escalation"
