"""Anthropic Messages through the official `anthropic` SDK: tool_use blocks, the event stream, its usage.

The neutral history maps onto Messages as: system messages -> `system`; an assistant turn with a tool call ->
text + `tool_use` blocks; a tool result -> a `tool_result` block in the next user turn. Consecutive turns of one
role are merged into one turn of several blocks, as the API wants the results in the turn right after the call.

Prompt caching: a `cache_control` breakpoint ends the system prompt (the tools and the system prompt: the fixed
part), the task's context message, and the newest turn, so each call reads the prefix the previous one wrote.
"""

from __future__ import annotations

import json
from typing import Any

from autogpt_ls.llm.base import BadArguments, BadReply, ChatMessage, ChatReply, LLMError, OnText, decode_arguments
from autogpt_ls.llm.providers.openai import (
    CallParts,
    SdkClient,
    StreamedReply,
    error_text,
    http_client,
    transport_errors,
)

MAX_TOKENS = 4096  # required by the API; a proposal is far shorter
EPHEMERAL = {"type": "ephemeral"}


def _arguments(text: str) -> dict[str, Any]:
    """A past call's input: the history only holds calls the loop accepted, so this never falls back in practice."""
    try:
        return decode_arguments(text)
    except BadArguments:
        return {}


def _blocks(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [{"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.content}]
    blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content.strip() else []
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": _arguments(c.arguments)} for c in message.tool_calls
    ]
    return blocks


def _cached(blocks: list[dict[str, Any]]) -> None:
    """A cache breakpoint after the last of `blocks`: the prompt up to there is cached."""
    if blocks:
        blocks[-1]["cache_control"] = EPHEMERAL


def to_messages(messages: list[ChatMessage]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, Messages turns): tool results become user turns, and same-role turns are merged; cache
    breakpoints end the system prompt, each message marked `cache_break`, and the newest turn."""
    text = "\n\n".join(m.content for m in messages if m.role == "system")
    system = [{"type": "text", "text": text}] if text else []
    if any(m.cache_break for m in messages if m.role == "system"):
        _cached(system)
    turns: list[dict[str, Any]] = []
    for message in (m for m in messages if m.role != "system"):
        role = "user" if message.role == "tool" else message.role
        blocks = _blocks(message)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += blocks
        else:
            turns.append({"role": role, "content": blocks})
        if message.cache_break:
            _cached(blocks)
    if turns and not any("cache_control" in block for block in turns[-1]["content"]):
        _cached(turns[-1]["content"])
    return system, turns


def add_event(streamed: StreamedReply, event: Any) -> str:
    """Take one stream event in; returns its new text."""
    streamed.chunks += 1
    kind = event.type
    if kind == "message_start":
        usage = event.message.usage  # input_tokens counts only what is after the last cache breakpoint read
        streamed.cached_tokens = getattr(usage, "cache_read_input_tokens", 0) or 0
        streamed.cache_write_tokens = getattr(usage, "cache_creation_input_tokens", 0) or 0
        fresh = usage.input_tokens or 0
        streamed.prompt_tokens = fresh + streamed.cached_tokens + streamed.cache_write_tokens
        streamed.completion_tokens = usage.output_tokens or 0
    elif kind == "content_block_start" and event.content_block.type == "tool_use":
        block = event.content_block
        streamed.calls[event.index] = CallParts(id=block.id, name=block.name)
    elif kind == "content_block_delta" and event.delta.type == "text_delta":
        streamed.text.append(event.delta.text)
        return str(event.delta.text)
    elif kind == "content_block_delta" and event.delta.type == "input_json_delta":
        streamed.calls.setdefault(event.index, CallParts()).arguments.append(event.delta.partial_json)
    elif kind == "message_delta":
        streamed.completion_tokens = event.usage.output_tokens or streamed.completion_tokens
        streamed.finish_reason = event.delta.stop_reason or "end_turn"
    return ""


class AnthropicProvider(SdkClient):
    def __init__(self, *, api_key: str, base_url: str | None, max_retries: int, timeout: float) -> None:
        import anthropic  # lazily, like every SDK

        self._sdk = anthropic
        self._transport_errors = transport_errors()
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            max_retries=max_retries,
            timeout=timeout,
            http_client=http_client(anthropic),
        )

    def tool_calling(self, model: str) -> bool:
        return True

    async def chat(
        self,
        model: str,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]] | None,
        on_text: OnText | None = None,
        cache_key: str | None = None,
    ) -> ChatReply:
        system, turns = to_messages(messages)
        kwargs: dict[str, Any] = {"model": model, "max_tokens": MAX_TOKENS, "messages": turns, "stream": True}
        if system:
            kwargs["system"] = system
        if tools:
            kwargs["tools"] = [
                {"name": t["name"], "description": t["description"], "input_schema": t["parameters"]} for t in tools
            ]
        streamed = StreamedReply()
        sdk = self._sdk
        try:
            stream = await self._client.messages.create(**kwargs)
            async with stream:
                async for event in stream:
                    text = add_event(streamed, event)
                    if text and on_text is not None:
                        on_text(text)
        except sdk.APIStatusError as e:
            if streamed.chunks:  # an `error` event inside the stream, e.g. overloaded_error
                raise BadReply(f"the stream broke off with an error: {error_text(e)}") from None
            raise LLMError(f"{model}: HTTP {e.status_code} from the API: {error_text(e)}") from None
        except (sdk.APIResponseValidationError, json.JSONDecodeError, ValueError) as e:
            raise BadReply(f"the API's reply could not be decoded: {e}") from None
        except (sdk.APIError, *self._transport_errors) as e:
            if streamed.chunks:
                raise BadReply(f"the reply was cut off mid-stream ({e})") from None
            raise LLMError(f"{model}: cannot reach {self._client.base_url} ({e}); check ANTHROPIC_BASE_URL") from None
        return streamed.reply()
