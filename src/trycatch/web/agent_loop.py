"""An event loop for the agent's synchronous run, closed when the request is done.

``answer_question`` runs pydantic-ai's ``run_sync``, which sets an event loop on the calling
thread and leaves it open. In the CLI that is the main thread, once; here it is a worker
thread of the server's pool, and a pool thread that retires would leak its loop (and the
loop's sockets). Routes that call the agent do so inside ``agent_event_loop()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def agent_event_loop() -> Iterator[None]:
    """A fresh event loop set on this thread for the block, then closed and unset."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


__all__ = ["agent_event_loop"]
