"""OpenAI-compatible servers by base URL (llamafile, Ollama, llama.cpp's server...) through the openai SDK.

Their models often lack function calling: llamafile's mistral-instruct never gets tools, and any other model
falls back to JSON replies the first time its server refuses tools. Their chat templates are strict too, so the
messages are adapted: consecutive same-role turns merged, and for mistral-instruct no system role at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from autogpt_ls.llm.adapt import fold_system, merge_consecutive
from autogpt_ls.llm.base import ChatMessage
from autogpt_ls.llm.providers.openai import ChatCompletionsProvider, http_client


@dataclass(frozen=True)
class Server:
    """One kind of local server: its base-URL setting, default address, and what its models can do."""

    setting: str
    default_url: str | None
    native_tools: bool
    system_role: bool


SERVERS = {
    "llamafile": Server("LLAMAFILE_BASE_URL", "http://localhost:8080/v1", native_tools=False, system_role=False),
    "ollama": Server("OLLAMA_BASE_URL", "http://localhost:11434/v1", native_tools=True, system_role=True),
    "openai-compatible": Server("OPENAI_COMPATIBLE_BASE_URL", None, native_tools=True, system_role=True),
}


def _no_system(messages: list[ChatMessage]) -> list[ChatMessage]:
    return merge_consecutive(fold_system(messages))


def compatible_provider(
    kind: str, *, base_url: str, api_key: str | None, max_retries: int, timeout: float
) -> ChatCompletionsProvider:
    import openai

    server = SERVERS[kind]
    client = openai.AsyncOpenAI(
        api_key=api_key or "no-key-needed",
        base_url=base_url,
        max_retries=max_retries,
        timeout=timeout,
        http_client=http_client(openai),
    )
    return ChatCompletionsProvider(
        client,
        openai,
        url_setting=server.setting,
        native_tools=server.native_tools,
        adapt=merge_consecutive if server.system_role else _no_system,
    )
