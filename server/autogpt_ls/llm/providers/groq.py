"""Groq through its official `groq` SDK: the OpenAI chat-completions shape, usage in `x_groq` when streaming."""

from __future__ import annotations

from autogpt_ls.llm.providers.openai import ChatCompletionsProvider, http_client


def groq_provider(*, api_key: str, base_url: str | None, max_retries: int, timeout: float) -> ChatCompletionsProvider:
    import groq  # lazily, like every SDK

    client = groq.AsyncGroq(
        api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout, http_client=http_client(groq)
    )
    # the groq SDK takes no stream_options: Groq puts the usage in the last chunk's x_groq by itself
    return ChatCompletionsProvider(
        client,
        groq,
        url_setting="GROQ_BASE_URL",
        stream_usage=False,
        options={},  # the groq SDK has no auth schemes to choose from: it always sends its key
        path="/openai/v1/chat/completions",
    )
