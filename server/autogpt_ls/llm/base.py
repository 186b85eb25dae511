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


class PastStep(BaseModel):
    """An earlier step as data, for a provider that writes its own prompt instead of sending the chat (the
    embedded model), so it never reads the chat's wording back: the call as the agent recorded it, or the
    refused reply as the chat shows it; whether the call ran and failed; what the LLM was told."""

    name: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    refused: str | None = None
    failed: bool = False
    observation: str = ""


class ChatMessage(BaseModel):
    """One chat turn. `goal` (on the task's message) and `step` (on an earlier step's assistant turn) are for
    providers that build their own prompt; the others build their wire bodies from the other fields only."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[WireToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    goal: str | None = Field(default=None, exclude=True)
    step: PastStep | None = Field(default=None, exclude=True)
    # the prompt up to and including this message stays the same at the next calls (the end of the fixed part
    # and of the task's context): a provider with explicit cache breakpoints puts one here
    cache_break: bool = Field(default=False, exclude=True)


class ChatReply(BaseModel):
    """A reply; `prompt_tokens` counts the whole prompt, of which `cached_tokens` were read from the provider's
    prompt cache and `cache_write_tokens` written to it."""

    content: str = ""
    tool_calls: list[WireToolCall] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0


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
    """One LLM backend. `tools=None` means the model gets no function-calling tools (JSON-reply mode);
    `cache_key` names the prompt's family (the task) for providers whose prompt cache routes by a key."""

    async def chat(
        self,
        model: str,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]] | None,
        on_text: OnText | None = None,
        cache_key: str | None = None,
    ) -> ChatReply: ...

    def tool_calling(self, model: str) -> bool:
        """Whether `model` gets native tools (False: the JSON-reply fallback)."""
        ...

    async def list_models(self) -> list[str]:
        """What the provider's models endpoint offers."""
        ...

    async def aclose(self) -> None: ...
