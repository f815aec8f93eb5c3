"""``trycatch serve`` as an operator runs it: a real process answering on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from trycatch.settings import Settings
from trycatch.web import create_app

STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_answers_health_checks_pages_and_the_api(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "trycatch", "--db", db_url, "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                health = httpx.get(f"{base}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "trycatch serve did not start"
                time.sleep(0.1)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert httpx.get(f"{base}/", timeout=5.0).status_code == 200
        search = httpx.get(f"{base}/api/v1/search", params={"q": "anything"}, timeout=5.0)
        assert (search.status_code, search.json()) == (200, [])
    finally:
        process.terminate()
        output = process.communicate(timeout=STARTUP_SECONDS)[0]
    assert f"http://127.0.0.1:{port}/" in output


def test_the_factory_migrates_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    with TestClient(create_app(Settings(database_url=str(path)))) as client:
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/search", params={"q": "x"}).json() == []
    assert path.exists()
