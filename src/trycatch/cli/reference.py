"""The README's generated sections: the CLI reference (from ``--help``) and the settings.

``trycatch docs`` rewrites them; a test fails when the README and the code disagree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from trycatch.settings import Settings

HELP_ENV = {"COLUMNS": "90", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": ""}
CLI_MARKERS = ("<!-- cli-reference:start -->", "<!-- cli-reference:end -->")
SETTINGS_MARKERS = ("<!-- settings:start -->", "<!-- settings:end -->")


def _command_paths(command: Any, ctx: Any, path: list[str]) -> list[list[str]]:
    paths = [path]
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                paths.extend(_command_paths(sub, ctx, [*path, name]))
    return paths


def cli_reference(app: typer.Typer) -> str:
    """``--help`` of every command, as rendered at a fixed width without colour."""
    command = typer.main.get_command(app)
    ctx = command.make_context("trycatch", ["--help"], resilient_parsing=True)
    runner = CliRunner()
    blocks = []
    for path in _command_paths(command, ctx, []):
        result = runner.invoke(app, [*path, "--help"], env=HELP_ENV, prog_name="trycatch")
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        blocks.append(f"### `{' '.join(['trycatch', *path])}`\n\n```text\n{text}\n```")
    return "\n\n".join(blocks)


def settings_reference() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            default = default.get_secret_value()
        shown = "" if default in (None, "", {}, []) else f"`{default}`"
        rows.append(f"| `TRYCATCH_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


def _replace_between(text: str, markers: tuple[str, str], content: str) -> str:
    start, end = markers
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"README has no {start} ... {end} section")
    return pattern.sub(lambda _: f"{start}\n{content}\n{end}", text)


def render_readme(readme: str, app: typer.Typer) -> str:
    readme = _replace_between(readme, CLI_MARKERS, cli_reference(app))
    return _replace_between(readme, SETTINGS_MARKERS, settings_reference())


def update_readme(path: Path, app: typer.Typer) -> bool:
    """Rewrite the generated sections; True when the file changed."""
    old = path.read_text(encoding="utf-8")
    new = render_readme(old, app)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
