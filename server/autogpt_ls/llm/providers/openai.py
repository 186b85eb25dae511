"""Chat Completions, streamed, through an OpenAI-shaped SDK client.

The same wire format serves OpenAI (`openai.AsyncOpenAI`), Azure (`openai.AsyncAzureOpenAI`), Groq
(`groq.AsyncGroq`) and OpenAI-compatible servers by base URL, so one class drives them all; each provider's
module only builds its client and states its quirks.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from autogpt_ls.llm.base import BadReply, ChatMessage, ChatReply, LLMError, OnText, ToolsUnsupported, WireToolCall

Adapt = Callable[[list[ChatMessage]], list[ChatMessage]]
# Ollama: "... does not support tools"; llama.cpp without --jinja: "tools param requires --jinja flag";
# vLLM: "auto" tool choice requires --enable-auto-tool-choice. Each means: this model gets JSON replies instead.
_NO_TOOLS = re.compile(r"does not support tools|tools? (param|parameter).*(requires|not supported)|tool.choice", re.I)


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


@dataclass
class CallParts:
    """A tool call as its pieces arrive."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class StreamedReply:
    """Chat-completion chunks accumulated into one reply: text, tool calls by index, usage, finish reason."""

    text: list[str] = field(default_factory=list)
    calls: dict[int, CallParts] = field(default_factory=dict)
    finish_reason: str | None = None
    chunks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, chunk: Any) -> str:
        """Take one chunk in, as the wire's JSON (not built into the SDK's models: that was most of the SDK's
        CPU per call); returns its new text (for the streaming callback)."""
        self.chunks += 1
        if not isinstance(chunk, dict):
            return ""
        # OpenAI sends usage in a last chunk (stream_options.include_usage); Groq in x_groq.usage
        usage = chunk.get("usage") or _field(chunk.get("x_groq"), "usage")
        if isinstance(usage, dict):
            self.prompt_tokens, self.completion_tokens = (
                usage.get("prompt_tokens") or 0,
                usage.get("completion_tokens") or 0,
            )
            # OpenAI: the prompt tokens its cache served
            self.cached_tokens = _field(usage.get("prompt_tokens_details"), "cached_tokens") or 0
        new = ""
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index"):
                continue
            delta = choice.get("delta") or {}
            if delta.get("content"):
                new += delta["content"]
            for piece in delta.get("tool_calls") or []:
                index = piece.get("index")
                call = self.calls.setdefault(index if index is not None else len(self.calls), CallParts())
                call.id = call.id or piece.get("id") or ""
                if function := piece.get("function"):
                    call.name = call.name or function.get("name") or ""
                    call.arguments.append(function.get("arguments") or "")
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
        if new:
            self.text.append(new)
        return new

    def reply(self) -> ChatReply:
        if not self.chunks:
            raise BadReply("the API sent no reply (an empty or non-streamed body)")
        if self.finish_reason is None:
            raise BadReply("the reply was cut off mid-stream")
        return ChatReply(
            content="".join(self.text),
            tool_calls=[
                WireToolCall(id=c.id or f"call_{i}", name=c.name, arguments="".join(c.arguments))
                for i, c in sorted(self.calls.items())
                if c.name
            ],
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached_tokens=self.cached_tokens,
            cache_write_tokens=self.cache_write_tokens,
        )


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def error_text(error: Any) -> str:
    """The API's own message from an SDK status error, whichever of the providers' error shapes it has."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(error, "message", error))


def transport_errors() -> tuple[type[Exception], ...]:
    """The HTTP libraries' own errors: some SDK versions let them through when a stream breaks off (httpx's in
    the older ones, httpx2's in anthropic's newer ones), where others wrap them in their APIError."""
    found = []
    for name in ("httpx", "httpx2"):
        with contextlib.suppress(ImportError):
            found.append(importlib.import_module(name).HTTPError)
    return tuple(found)


def http_client(sdk: ModuleType) -> Any:
    """The SDK's own aiohttp transport (its `aiohttp` extra), else None: the SDK's default httpx client. Under
    hundreds of concurrent streamed calls aiohttp costs less than half the CPU per call (against the loopback
    fake, 300 at once: 1.8-2.2 ms against 4.6-5.0), where httpx scans its pool of connections on every request
    and close. Both honour HTTP(S)_PROXY (tests/providers/test_proxy.py)."""
    try:
        return sdk.DefaultAioHttpClient()
    except (AttributeError, ImportError, RuntimeError):  # an older SDK, or the extra not installed
        return None


class SdkClient:
    """What every SDK-backed provider does alike: list its client's models endpoint, and close the client."""

    _client: Any
    _sdk: Any

    async def list_models(self) -> list[str]:
        try:
            page = await self._client.models.list()
        except self._sdk.APIError as e:
            raise LLMError(f"cannot list models at {self._client.base_url}: {error_text(e)}") from None
        return sorted(str(m.id) for m in page.data)

    async def aclose(self) -> None:
        await self._client.close()


class ChatCompletionsProvider(SdkClient):
    """Streams one chat completion per call. `sdk` is the client's module (`openai` or `groq`), for its errors.

    `stream_usage` asks for the usage chunk (servers that reject `stream_options` get False); `native_tools`
    False means the model gets JSON-reply prompts from the start; `adapt` reshapes the messages for
    templates with strict turn rules; `url_setting` is what to check when the server cannot be reached;
    `options` are the SDK's request options (OpenAI's clients send only the API key as bearer auth, as its
    `create` does); `path` is where the SDK's `chat.completions.create` posts; `cache_key` sends the task's
    `prompt_cache_key` (OpenAI's, so each task's requests reach the cache that holds its prefix).
    """

    def __init__(
        self,
        client: Any,
        sdk: ModuleType,
        *,
        url_setting: str,
        stream_usage: bool = True,
        native_tools: bool = True,
        adapt: Adapt | None = None,
        deployment: Callable[[str], str] = str,
        options: dict[str, Any] | None = None,
        path: str = "/chat/completions",
        cache_key: bool = False,
    ) -> None:
        self._client, self._sdk = client, sdk
        types = importlib.import_module(f"{sdk.__name__}.types.chat")
        self._completion, self._stream_cls = types.ChatCompletion, sdk.AsyncStream[object]  # chunks as JSON
        self._options = {"security": {"bearer_auth": True}} if options is None else options
        self._path = path
        self._cache_key = cache_key
        self._url_setting = url_setting
        self._stream_usage = stream_usage
        self._native_tools = native_tools
        self._no_tools: set[str] = set()
        self._adapt = adapt
        self._deployment = deployment
        self._transport_errors = transport_errors()

    def tool_calling(self, model: str) -> bool:
        return self._native_tools and model not in self._no_tools

    def _request_body(
        self, model: str, messages: list[ChatMessage], tools: list[dict[str, Any]] | None, cache_key: str | None
    ) -> dict[str, Any]:
        """The streamed request as wire JSON, with the messages reshaped for the model's template if need be."""
        if self._adapt is not None:
            messages = self._adapt(messages)
        body: dict[str, Any] = {
            "model": self._deployment(model),
            "messages": [to_wire(m) for m in messages],
            "stream": True,
        }
        if tools:
            body["tools"] = [{"type": "function", "function": spec} for spec in tools]
        if self._stream_usage:
            body["stream_options"] = {"include_usage": True}
        if self._cache_key and cache_key:
            body["prompt_cache_key"] = cache_key
        return body

    async def chat(
        self,
        model: str,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]] | None,
        on_text: OnText | None = None,
        cache_key: str | None = None,
    ) -> ChatReply:
        body = self._request_body(model, messages, tools, cache_key)
        streamed = StreamedReply()
        sdk = self._sdk
        try:
            # The SDK's own POST with a body that is already wire JSON: `create` would walk every message and
            # tool schema through its param transform first, the largest CPU cost of a step under load.
            stream = await self._client.post(
                self._path,
                body=body,
                cast_to=self._completion,
                stream=True,
                stream_cls=self._stream_cls,
                options=self._options,
            )
            async with stream:
                async for chunk in stream:
                    text = streamed.add(chunk)
                    if text and on_text is not None:
                        on_text(text)
        except sdk.APIStatusError as e:
            if tools and e.status_code in {400, 404, 422, 500} and _NO_TOOLS.search(error_text(e)):
                self._no_tools.add(model)
                raise ToolsUnsupported(f"{model} does not support tools: {error_text(e)}") from None
            raise LLMError(f"{model}: HTTP {e.status_code} from the API: {error_text(e)}") from None
        except (sdk.APIResponseValidationError, json.JSONDecodeError, ValueError) as e:
            raise BadReply(f"the API's reply could not be decoded: {e}") from None
        except (sdk.APIError, *self._transport_errors) as e:  # connection lost, errors sent inside the stream
            if streamed.chunks:
                raise BadReply(f"the reply was cut off mid-stream ({e})") from None
            raise LLMError(f"{model}: cannot reach {self._client.base_url} ({e}); check {self._url_setting}") from None
        return streamed.reply()


def openai_provider(*, api_key: str, base_url: str | None, max_retries: int, timeout: float) -> ChatCompletionsProvider:
    """OpenAI itself, or a server at OPENAI_BASE_URL."""
    import openai  # lazily: the SDK takes half a second to import

    client = openai.AsyncOpenAI(
        api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout, http_client=http_client(openai)
    )
    return ChatCompletionsProvider(client, openai, url_setting="OPENAI_BASE_URL", cache_key=True)
