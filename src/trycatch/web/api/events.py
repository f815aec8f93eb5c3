"""Server-sent events for answers: the protocol the widget and API clients read.

A stream is a sequence of events, each ``event: NAME`` and one ``data:`` line of JSON:

- ``delta`` — ``{"text": "..."}``, a piece of the answer as a streaming model writes it
  (none when the model answers at once, as the offline responder does);
- ``answer`` — the whole reply, the same object as the JSON endpoints return;
- ``done`` — ``{}``, the end of the stream.

Errors found before the answer starts (validation, not found, rate limit) are ordinary HTTP
errors with a JSON body, not events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi.responses import StreamingResponse

from trycatch.web.api.schemas import ReplyPublic

MEDIA_TYPE = "text/event-stream"
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events: `delta`* then `answer` (a ReplyPublic) and `done`.",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


def sse_event(name: str, data: object) -> str:
    """One event in the text/event-stream format."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def reply_events(reply: ReplyPublic) -> Iterator[str]:
    """The events of a reply the model produced in one piece."""
    yield sse_event("answer", reply.model_dump(mode="json"))
    yield sse_event("done", {})


def event_stream(events: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type=MEDIA_TYPE,
        # Proxies must pass events on as they come, not buffer the response.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


__all__ = ["MEDIA_TYPE", "STREAM_RESPONSES", "event_stream", "reply_events", "sse_event"]
