"""Loopback fake of Anthropic's Messages API: `POST /v1/messages` streamed as its event stream, `GET /v1/models`.

Scripts are the same OpenAI-shaped replies as for the other fakes (``tool_call``, ``content``, ``status``...);
this fake turns them into Anthropic's wire format: text and ``tool_use`` content blocks, ``input_json_delta``
pieces carrying the arguments verbatim (so malformed arguments stay malformed), usage in ``message_start`` and
``message_delta``, and errors as ``{"type": "error", "error": {"type", "message"}}``.
"""

from __future__ import annotations

from typing import Any

from .openai_server import FakeOpenAI, Reply, _ids, halves, pieces, sse

_ERROR_TYPES = {"server_error": "api_error", "permission_error": "permission_error"}


class FakeAnthropic(FakeOpenAI):
    hold_at = 3  # message_start, content_block_start, the first text delta

    @property
    def base_url(self) -> str:
        """What ANTHROPIC_BASE_URL holds: the root; the SDK adds /v1/messages itself."""
        return self.root_url

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> str | None:
        if method == "POST" and path == "/v1/messages":
            return "chat"
        return "models" if method == "GET" and path == "/v1/models" else None

    def refuse(self, request: dict[str, Any], query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if not request.get("stream"):
            return Reply(status=400, body=self.error_json(400, "fake: only streamed Messages are scripted"))
        if not (headers.get("x-api-key") or headers.get("authorization")) or not headers.get("anthropic-version"):
            return Reply(status=401, body=self.error_json(401, "an API key and anthropic-version are required"))
        if "max_tokens" not in request or any(m.get("role") not in {"user", "assistant"} for m in request["messages"]):
            return Reply(status=400, body=self.error_json(400, "messages: roles must be user or assistant"))
        return None

    def error_json(self, code: int, message: str) -> dict[str, Any]:
        kind = {429: "rate_limit_error", 401: "authentication_error", 404: "not_found_error"}.get(code)
        return {
            "type": "error",
            "error": {"type": kind or ("api_error" if code >= 500 else "invalid_request_error"), "message": message},
        }

    def error_shape(self, body: dict[str, Any]) -> dict[str, Any]:
        error = body.get("error")
        if not isinstance(error, dict) or body.get("type") == "error":
            return body
        kind = str(error.get("type", "api_error"))
        return {"type": "error", "error": {"type": _ERROR_TYPES.get(kind, kind), "message": error.get("message", "")}}

    def models_body(self) -> dict[str, Any]:
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-05-14T00:00:00Z"}
            for m in ("claude-sonnet-4-20250514", "claude-3-5-haiku-20241022")
        ]
        return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}

    def stream_events(self, reply: Reply, request: dict[str, Any]) -> list[bytes]:
        assert reply.message is not None
        prompt, done = reply.usage
        read, written = reply.cache
        message = {
            "id": f"msg_fake_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": request.get("model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt - read - written,  # Anthropic counts only what no cache breakpoint covers
                "output_tokens": 1,
                "cache_read_input_tokens": read,
                "cache_creation_input_tokens": written,
            },
        }
        events = [_event({"type": "message_start", "message": message})]
        blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        if reply.message.get("content"):
            deltas = [{"type": "text_delta", "text": p} for p in pieces(reply.message["content"])]
            blocks.append(({"type": "text", "text": ""}, deltas))
        for call in reply.message.get("tool_calls") or []:
            block = {"type": "tool_use", "id": f"toolu_{call['id']}", "name": call["function"]["name"], "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in halves(call["function"]["arguments"])]
            blocks.append((block, deltas))
        for index, (block, deltas) in enumerate(blocks):
            events.append(
                sse({"type": "content_block_start", "index": index, "content_block": block}, "content_block_start")
            )
            events += [
                sse({"type": "content_block_delta", "index": index, "delta": d}, "content_block_delta") for d in deltas
            ]
            events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        stop = "tool_use" if reply.message.get("tool_calls") else "end_turn"
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": done},
        }
        return [*events, _event(delta), _event({"type": "message_stop"})]


def _event(data: dict[str, Any]) -> bytes:
    """Anthropic names each event after its type."""
    return sse(data, str(data["type"]))
