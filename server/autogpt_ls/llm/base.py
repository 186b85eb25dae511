"""The ChatProvider seam: one chat call in a provider-neutral shape, so the loop knows no SDK."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field


class WireToolCall(BaseModel):
    """A tool call as the LLM sent it: arguments are raw text, parsed (and possibly rejected) by the loop."""

    id: str
    name: str
    arguments: str = ""


class BadArguments(ValueError):
    """A tool call's arguments are not one JSON object; str(e) completes "The arguments of your <tool> call"."""


def decode_arguments(raw: str) -> dict[str, Any]:
    """A tool call's arguments from the JSON text the LLM sent ("" is none), keys exactly as sent."""
    try:
        return arguments_object(json.loads(raw or "{}"))
    except json.JSONDecodeError as e:
        raise BadArguments(f"are not valid JSON ({e})") from None


def arguments_object(value: Any) -> dict[str, Any]:
    """Decoded arguments (also those inside a JSON reply) must be one object of named arguments."""
    if not isinstance(value, dict):
        raise BadArguments("must be a JSON object")
    return value


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[WireToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None


class ChatReply(BaseModel):
    content: str = ""
    tool_calls: list[WireToolCall] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


OnText = Callable[[str], None]
"""Receives the reply's text as it streams in, piece by piece (the proposal is parsed once it is complete)."""


class LLMError(RuntimeError):
    """The provider could not answer (after the SDK's own retries); says what to check."""


class BadReply(LLMError):
    """A reply arrived but could not be decoded or was refused; the loop treats it as an unusable reply, not an
    outage. `raw` is its text when there is any, kept so the model (and the user) see what was refused."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class ToolsUnsupported(LLMError):
    """The server refused function-calling tools for this model; the loop switches to JSON replies."""


class ChatProvider(Protocol):
    """One LLM backend. `tools=None` means the model gets no function-calling tools (JSON-reply mode)."""

    async def chat(
        self,
        model: str,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]] | None,
        on_text: OnText | None = None,
    ) -> ChatReply: ...

    def tool_calling(self, model: str) -> bool:
        """Whether `model` gets native tools (False: the JSON-reply fallback)."""
        ...

    async def list_models(self) -> list[str]:
        """What the provider's models endpoint offers."""
        ...

    async def aclose(self) -> None: ...
