#!/usr/bin/env python3
"""Set up trycatch in ./.venv (once, and again when pyproject.toml changes) and run it.

    python3 run.py demo     # the main job: the demo help center, search, (later) agent and inbox
    python3 run.py test     # every check CI runs: lint, format, types, layers, tests on
                            # SQLite and (when reachable, always in CI) PostgreSQL
    python3 run.py docs     # regenerate the README's CLI reference and settings table

Only the standard library is used here, so a fresh machine needs nothing but python3.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".trycatch-install"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_environment(extras: str) -> None:
    """Create the virtualenv and install trycatch with ``extras`` when anything changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and (BIN / "trycatch").exists():
        return
    if not (BIN / "python").exists():
        _say(f"creating a virtualenv in {VENV}")
        venv.create(VENV, with_pip=True)
    _say(f"installing trycatch[{extras}] (first run only; takes a minute)")
    subprocess.run(
        [
            BIN / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[{extras}]",
        ],
        check=True,
    )
    STAMP.write_text(wanted)


def _run(*command: str | Path, env: dict[str, str] | None = None) -> int:
    _say(" ".join(str(part) for part in command))
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def test(args: list[str]) -> int:
    # CI adds the embeddings extra (TRYCATCH_EXTRAS=dev,embeddings) after installing the
    # CPU build of torch; by default the tests run on the default install.
    ensure_environment(os.environ.get("TRYCATCH_EXTRAS", "dev"))
    steps: list[tuple[str | Path, ...]] = [
        (BIN / "ruff", "check", "src", "tests", "bench", "run.py"),
        (BIN / "ruff", "format", "--check", "src", "tests", "bench", "run.py"),
        (BIN / "mypy", "--strict", "src"),
        (BIN / "lint-imports",),
    ]
    for step in steps:
        if _run(*step) != 0:
            return 1
    pytest = (BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", *args)
    if _run(*pytest) != 0:
        return 1
    required = os.environ.get("CI") == "true" or os.environ.get("TRYCATCH_REQUIRE_POSTGRES") == "1"
    if not _postgres_reachable():
        if required:
            _say("PostgreSQL is not reachable at 127.0.0.1:5432, and CI requires it")
            return 1
        _say("PostgreSQL not reachable at 127.0.0.1:5432: skipping the PostgreSQL run")
        return 0
    env = {**os.environ, "TRYCATCH_TEST_DATABASE_URL": POSTGRES_URL}
    _say(f"again on PostgreSQL ({POSTGRES_URL})")
    return _run(*pytest, env=env)


def demo(args: list[str]) -> int:
    ensure_environment("dev")
    return _run(BIN / "trycatch", "demo", *args)


def docs(args: list[str]) -> int:
    ensure_environment("dev")
    return _run(BIN / "trycatch", "docs", *args)


COMMANDS = {"demo": demo, "test": test, "docs": docs}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
