"""Promises are tested: the README's commands, generated reference and documented files."""

from __future__ import annotations

import re
from pathlib import Path

from trycatch.cli import app
from trycatch.cli.reference import render_readme
from trycatch.knowledge.sample import SAMPLE_ROOT, SAMPLE_SOURCES, SAMPLE_TAXONOMY
from trycatch.knowledge.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quickstart_is_exactly_two_commands_that_exist() -> None:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["python3 run.py demo", "python3 run.py test"]
    run_py = (ROOT / "run.py").read_text()
    assert '"demo": demo' in run_py
    assert '"test": test' in run_py


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in ci


def test_readme_cli_reference_and_settings_are_current() -> None:
    assert render_readme(README, app) == README, "run `python3 run.py docs`"


def test_every_cli_command_is_in_the_reference() -> None:
    for command in ("ingest", "search", "demo", "db upgrade", "kb publish", "taxonomy check"):
        assert f"### `trycatch {command}`" in README


def test_taxonomy_format_is_documented_with_every_field() -> None:
    doc = (ROOT / "docs" / "taxonomy.md").read_text(encoding="utf-8")
    for field in (
        "front_matter_fields",
        "categories",
        "product_areas",
        "slug",
        "paths",
        "front_matter",
    ):
        assert re.search(rf"`(product_areas\[\]\.)?{field}`", doc), field


def test_sample_help_center_is_large_enough_and_classified() -> None:
    taxonomy = load_taxonomy(SAMPLE_TAXONOMY)
    assert len(taxonomy.product_areas) >= 6
    pages = [p for folder, _ in SAMPLE_SOURCES for p in (SAMPLE_ROOT / folder).rglob("*.md*")]
    assert 25 <= len(pages) <= 40
    assert {p.suffix for p in pages} == {".md", ".mdx"}
