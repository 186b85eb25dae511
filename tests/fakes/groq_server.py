"""Loopback fake of Groq's OpenAI-shaped API under `/openai/v1`, with usage in `x_groq` when streaming."""

from __future__ import annotations

from typing import Any

from .openai_server import FakeOpenAI, Reply, _chunks, _usage, sse


class FakeGroq(FakeOpenAI):
    prefix = "/openai/v1"

    @property
    def base_url(self) -> str:
        """What GROQ_BASE_URL holds: the root; the SDK adds /openai/v1 itself."""
        return self.root_url

    def stream_events(self, reply: Reply, request: dict[str, Any]) -> list[bytes]:
        chunks = _chunks(reply, str(request.get("model", "llama-3.3-70b-versatile")))
        chunks[-1]["x_groq"] = {"id": f"req_{chunks[-1]['id']}", "usage": _usage(reply)}
        return [sse(c) for c in chunks] + [sse("[DONE]")]
