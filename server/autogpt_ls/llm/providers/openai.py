"""OpenAI Chat Completions through the official SDK; also any OpenAI-compatible server by base URL."""

from __future__ import annotations

import json
from typing import Any

from autogpt_ls.llm.base import BadReply, ChatMessage, ChatReply, LLMError, WireToolCall


def to_wire(message: ChatMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content or None}
    if message.tool_calls:
        wire["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        wire["tool_call_id"] = message.tool_call_id
    if wire["content"] is None and message.role != "assistant":
        wire["content"] = ""
    return wire


class OpenAIProvider:
    def __init__(self, *, api_key: str, base_url: str | None, max_retries: int, timeout: float) -> None:
        import openai  # lazily: the SDK takes half a second to import

        self._openai = openai
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout)

    async def chat(self, model: str, messages: list[ChatMessage], tools: list[dict[str, Any]] | None) -> ChatReply:
        kwargs: dict[str, Any] = {"model": model, "messages": [to_wire(m) for m in messages]}
        if tools:
            kwargs["tools"] = [{"type": "function", "function": spec} for spec in tools]
        try:
            completion = await self._client.chat.completions.create(**kwargs)
        except self._openai.APIStatusError as e:
            raise LLMError(f"{model}: HTTP {e.status_code} from the API: {_message(e)}") from None
        except self._openai.APIConnectionError as e:
            raise LLMError(f"{model}: cannot reach {self._client.base_url} ({e}); check OPENAI_BASE_URL") from None
        except (self._openai.APIResponseValidationError, json.JSONDecodeError, ValueError) as e:
            raise BadReply(f"the API's reply could not be decoded: {e}") from None
        if not getattr(completion, "choices", None):
            raise BadReply("the API's reply has no choices")
        message = completion.choices[0].message
        usage = completion.usage
        return ChatReply(
            content=message.content or "",
            tool_calls=[
                WireToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments or "")
                for c in (message.tool_calls or [])
                if getattr(c, "function", None)
            ],
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    async def aclose(self) -> None:
        await self._client.close()


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(error, "message", error))
