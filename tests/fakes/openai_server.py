"""Loopback fake of the OpenAI Chat Completions wire format, scripted per test.

The agent reaches it through the real ``openai`` SDK (``base_url=fake.base_url``), possibly from a
subprocess, so every bit of state lives on the server object, guarded by one lock.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

_ids = itertools.count(1)  # process-wide, so tool-call ids stay unique across replies and servers
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``message`` set -> a chat.completion; otherwise ``body`` is sent as is."""

    status: int = 200
    message: dict[str, Any] | None = None
    finish_reason: str = "stop"
    usage: tuple[int, int] = (100, 20)
    cache: tuple[int, int] = (0, 0)  # of the prompt tokens: (read from the prompt cache, written to it)
    body: bytes | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    # streaming: send only this many events, then drop the connection mid-body (a reply cut mid-stream)
    cut_after: int | None = None
    # streaming: after the first piece of text, wait for this event before sending the rest
    hold: threading.Event | None = None


def error_body(code: int, message: str) -> dict[str, Any]:
    """OpenAI's error JSON shape; the SDK reads ``error.message`` into the exception text."""
    kind = _ERROR_TYPES.get(code, "server_error" if code >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def tool_call(
    name: str,
    arguments: dict[str, Any] | str,
    thoughts: str = "",
    extra: Sequence[tuple[str, dict[str, Any] | str]] = (),
    usage: tuple[int, int] = (100, 20),
) -> Reply:
    """Assistant turn calling one tool (plus ``extra``); a str ``arguments`` goes out verbatim."""
    calls = [
        {
            "id": f"call_{next(_ids)}",
            "type": "function",
            "function": {"name": n, "arguments": a if isinstance(a, str) else json.dumps(a)},
        }
        for n, a in [(name, arguments), *extra]
    ]
    message = {"role": "assistant", "content": thoughts or None, "tool_calls": calls}
    return Reply(message=message, finish_reason="tool_calls", usage=usage)


def cycling(*replies: Reply) -> Callable[[dict[str, Any]], Reply]:
    """A responder answering each request with the next of `replies`, round and round: an agent that keeps
    working without repeating itself (the loop guard holds an identical call for the human)."""
    turns = itertools.cycle(replies)
    lock = threading.Lock()

    def respond(_request: dict[str, Any]) -> Reply:
        with lock:
            return next(turns)

    return respond


def writes(usage: tuple[int, int] = (100, 20)) -> Callable[[dict[str, Any]], Reply]:
    """Endless file writes that each change the file (so none repeats the one before)."""
    return cycling(*(tool_call("write_file", {"filename": "out.txt", "contents": t}, usage=usage) for t in "ab"))


def content(text: str, usage: tuple[int, int] = (100, 20)) -> Reply:
    """Plain assistant text, ``finish_reason: "stop"``."""
    return Reply(message={"role": "assistant", "content": text}, usage=usage)


def status(code: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Reply:
    """HTTP error answer. 429 carries retry hints by default so the SDK retries at once.

    SDK 3.x ignores ``retry-after: 0`` (it only honours delays > 0) and falls back to ~0.5 s backoff,
    so ``retry-after-ms: 1`` (checked first) is what makes the retry immediate.
    """
    hints = {"retry-after-ms": "1", "retry-after": "0", "x-should-retry": "true"} if code == 429 else {}
    return Reply(status=code, body=body or error_body(code, f"fake: HTTP {code}"), headers=hints | (headers or {}))


def raw(body: bytes, status: int = 200, content_type: str = "application/json") -> Reply:
    """Exactly these bytes, for broken-reply tests."""
    return Reply(status=status, body=body, content_type=content_type)


def hang(seconds: float) -> Reply:
    """Sleep (cut short by ``stop()``), then 500: for time-limit tests."""
    return Reply(status=500, body=error_body(500, "fake: hang ended"), delay=seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for hanging handlers
    request_queue_size = 1024  # the listen backlog (5 by default): a load bench's hundreds of tasks connect at once
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out hang up on us; that is expected, anything else is a bug in the fake."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive like the real API; every answer has Content-Length

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""

    def _send(
        self,
        code: int,
        body: bytes | dict[str, Any],
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_fake_{next(_ids)}")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def send_events(self, events: Sequence[bytes], reply: Reply) -> None:
        """An SSE body in chunked encoding, flushed event by event; `cut_after` drops the connection mid-body."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", f"req_fake_{next(_ids)}")
        self.end_headers()
        fake = cast(_Server, self.server).fake
        for n, event in enumerate(events):
            if reply.cut_after is not None and n >= reply.cut_after:
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if reply.hold is not None and n == fake.hold_at:
                while not (reply.hold.wait(0.05) or fake._stopping.is_set()):
                    pass
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def _split(self) -> tuple[str, dict[str, str]]:
        path, _, query = self.path.partition("?")
        return path.rstrip("/"), dict(urllib.parse.parse_qsl(query))

    def do_GET(self) -> None:
        fake = cast(_Server, self.server).fake
        path, query = self._split()
        headers = {k.lower(): v for k, v in self.headers.items()}
        if fake.route("GET", path, query, headers) != "models":
            self._send(404, fake.error_json(404, f"fake: unknown path {self.path}"))
            return
        self._send(200, fake.models_body())

    def do_POST(self) -> None:
        fake = cast(_Server, self.server).fake
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, query = self._split()
        headers = {k.lower(): v for k, v in self.headers.items()}
        if fake.route("POST", path, query, headers) != "chat":
            self._send(404, fake.error_json(404, f"fake: unknown path {self.path}"))
            return
        try:
            request = json.loads(raw_body)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._send(400, fake.error_json(400, "fake: request body is not a JSON object"))
            return
        fake._record(request, headers, path)
        reply = fake.refuse(request, query, headers) or fake._next_reply(request)
        if reply is None:  # a test bug, not an outage: tell the SDK not to retry
            self._send(500, fake.error_json(500, "fake: script exhausted"), {"x-should-retry": "false"})
            return
        if reply.delay:
            fake._stopping.wait(reply.delay)
        if reply.message is None:
            body = reply.body if isinstance(reply.body, bytes) or reply.body is None else fake.error_shape(reply.body)
            self._send(reply.status, body or b"", reply.headers, reply.content_type)
        elif request.get("stream"):
            self.send_events(fake.stream_events(reply, request), reply)
        else:
            self._send(reply.status, fake.completion_body(reply, request), reply.headers)


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One server-sent event."""
    text = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode()


def pieces(text: str) -> list[str]:
    """Text cut as a model streams it: word by word, with the spaces kept."""
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


def halves(text: str) -> list[str]:
    return [text[: len(text) // 2], text[len(text) // 2 :]] if len(text) > 1 else [text]


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    """A full chat.completion object, echoing the request's model like the real API."""
    choice = {"index": 0, "message": reply.message, "finish_reason": reply.finish_reason, "logprobs": None}
    return {
        "id": f"chatcmpl-fake-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": _usage(reply),
    }


def _chunks(reply: Reply, model: str) -> list[dict[str, Any]]:
    """The chat.completion.chunk objects of a scripted reply: role, text word by word, each tool call's name
    then its arguments in two pieces, and the finish reason."""
    assert reply.message is not None
    base = {"id": f"chatcmpl-fake-{next(_ids)}", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in pieces(reply.message.get("content") or "")]
    for i, call in enumerate(reply.message.get("tool_calls") or []):
        head = {"index": i, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        chunks.append(chunk({"tool_calls": [head | {"function": head["function"] | {"arguments": ""}}]}))
        for part in halves(call["function"]["arguments"]):
            chunks.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]}))
    chunks.append(chunk({}, reply.finish_reason))
    return chunks


def _usage(reply: Reply) -> dict[str, Any]:
    prompt, done = reply.usage
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}
    if reply.cache[0]:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cache[0], "audio_tokens": 0}
    return usage


class FakeOpenAI:
    """Scripted Chat Completions server on 127.0.0.1 (random port) in a daemon thread.

    Subclasses (one module per provider) change the routes, the error shape, the stream's events or what
    requests they refuse; scripts and helpers (``tool_call``, ``content``, ``status``...) stay the same.
    """

    prefix = "/v1"
    hold_at = 2  # the stream's event before which a ``hold`` waits: right after the first piece of text

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []  # the path of each chat request (Azure's names the deployment)
        self.default: Reply | None = None
        # Answers from the request itself when the queue is empty (a scripted model that reads the conversation);
        # called on the handler's thread, outside the lock, so it may be slow or raise (the request then fails).
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self._queue: deque[Reply] = deque()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenAI not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.root_url + self.prefix

    # -- the wire format; overridden per provider
    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> str | None:
        """'chat', 'models', or None (404)."""
        if method == "POST" and path == f"{self.prefix}/chat/completions":
            return "chat"
        return "models" if method == "GET" and path == f"{self.prefix}/models" else None

    def refuse(self, request: dict[str, Any], query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        """An error this server answers the request with before any script is consumed (none here)."""
        return None

    def error_json(self, code: int, message: str) -> dict[str, Any]:
        return error_body(code, message)

    def error_shape(self, body: dict[str, Any]) -> dict[str, Any]:
        """A scripted error body in this API's own shape (OpenAI's is the scripts' shape already)."""
        return body

    def models_body(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models()],
        }

    def completion_body(self, reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
        return _completion(reply, str(request.get("model", "gpt-4o-mini")))

    def stream_events(self, reply: Reply, request: dict[str, Any]) -> list[bytes]:
        """The SSE body: chunks, a usage chunk when ``stream_options.include_usage`` asks for it, ``[DONE]``."""
        chunks = _chunks(reply, str(request.get("model", "gpt-4o-mini")))
        if (request.get("stream_options") or {}).get("include_usage"):
            chunks.append(chunks[0] | {"choices": [], "usage": _usage(reply)})
        return [sse(c) for c in chunks] + [sse("[DONE]")]

    def start(self) -> FakeOpenAI:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # short poll: shutdown() waits up to one poll interval, 0.5 s by default, on every test teardown
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting; hanging handlers are woken and left to die with their daemon threads."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def script(self, *replies: Reply) -> None:
        """Queue replies; each chat request pops one, in order."""
        with self._cond:
            self._queue.extend(replies)

    def wait_requests(self, n: int, timeout: float = 10) -> None:
        """Block until ``n`` chat requests arrived (useful when the agent runs in a subprocess)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= n, timeout):
                raise TimeoutError(f"fake: waited {timeout}s for {n} requests, got {len(self.requests)}")

    def models(self) -> list[str]:
        """Models seen so far plus the default one, in first-seen order."""
        with self._cond:
            seen = [str(r["model"]) for r in self.requests if r.get("model")]
        return list(dict.fromkeys([*seen, "gpt-4o-mini"]))

    def _record(self, request: dict[str, Any], headers: dict[str, str], path: str = "") -> None:
        with self._cond:
            self.requests.append(request)
            self.headers.append(headers)
            self.paths.append(path)
            self._cond.notify_all()

    def _next_reply(self, request: dict[str, Any]) -> Reply | None:
        with self._cond:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
        return responder(request) if responder is not None else self.default
