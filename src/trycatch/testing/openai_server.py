"""A loopback server speaking the OpenAI chat-completions protocol, for tests and benchmarks.

It stands in for a real model provider at the edge of the world: the agent's OpenAI
client talks HTTP to it exactly as to OpenAI, Ollama or vLLM. Its default policy plays a
well-behaved model: call ``search_docs`` with the question, then answer from the first
result and cite it. Tests pass their own policy to script other behaviour (invented
citations, leaks, errors), and ``delay`` adds latency per call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Policy = Callable[[dict[str, Any]], dict[str, Any]]


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    """An assistant message that calls one tool."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def _output_tool(request: dict[str, Any]) -> str:
    names = [t["function"]["name"] for t in request.get("tools", [])]
    return next((n for n in names if n.startswith("final_result")), "final_result")


def helpful_policy(request: dict[str, Any]) -> dict[str, Any]:
    """Search first; then answer from the first result's passage, citing it."""
    messages = request["messages"]
    last = messages[-1]
    if last["role"] == "tool":
        try:
            results = json.loads(last["content"])
        except (TypeError, json.JSONDecodeError):
            results = []
        if isinstance(results, list) and results and isinstance(results[0], dict):
            first = results[0]
            passage = str(first.get("passage", ""))
            answer = passage.split("\n\n", maxsplit=1)[0][:400] or first.get("title", "")
            return tool_call(
                _output_tool(request),
                {
                    "answer": answer,
                    "citations": [first["path"]],
                    "outcome": "answered",
                    "escalation_reason": "",
                    "confidence": 0.9,
                },
                "call_2",
            )
        return tool_call(
            _output_tool(request),
            {
                "answer": "",
                "citations": [],
                "outcome": "escalated",
                "escalation_reason": "nothing found",
                "confidence": 0.1,
            },
            "call_2",
        )
    question = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    if isinstance(question, list):
        question = " ".join(part.get("text", "") for part in question if isinstance(part, dict))
    return tool_call("search_docs", {"query": question})


@dataclass
class FakeOpenAI:
    """The running server: its base URL, the requests it got, and knobs for tests."""

    base_url: str
    policy: Policy
    delay: float = 0.0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(request)
            if server.delay:
                time.sleep(server.delay)
            if server.status != 200:
                body = {"error": {"message": "upstream failure", "type": "server_error"}}
                self._send(server.status, body)
                return
            message = server.policy(request)
            self._send(
                200,
                {
                    "id": f"chatcmpl-{len(server.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
                },
            )

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes the socket mid-reply: expected here.
        return


@contextmanager
def fake_openai(policy: Policy = helpful_policy, *, delay: float = 0.0) -> Iterator[FakeOpenAI]:
    """Serve the fake on 127.0.0.1 (a free port) for the duration of the block."""
    state = FakeOpenAI(base_url="", policy=policy, delay=delay)
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


__all__ = ["FakeOpenAI", "fake_openai", "helpful_policy", "tool_call"]
