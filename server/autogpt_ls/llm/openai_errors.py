"""What an OpenAI-style API said when it refused a request: the body's `error.message`, without the SDK's
"Error code: 401 - {...}" wrapping, for messages the user or the agent reads (images, speech)."""

from __future__ import annotations

from typing import Any


def refusal_text(error: Any) -> str:
    """`error` is an openai.APIStatusError (typed loosely: the SDK is imported lazily by callers)."""
    body = error.body
    found = body.get("error", body) if isinstance(body, dict) else body
    message = found.get("message") if isinstance(found, dict) else None
    return str(message or error.message)
