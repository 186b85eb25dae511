"""`provider/model` names to provider instances: an explicit table, SDKs imported only when used."""

from __future__ import annotations

from autogpt_ls.llm.base import ChatProvider
from autogpt_ls.settings import ConfigError, Settings

PROVIDERS = ("openai",)
NO_PROVIDER = (
    "No LLM provider is configured. Set OPENAI_API_KEY (for OpenAI), or OPENAI_BASE_URL (for an "
    "OpenAI-compatible server such as llamafile, llama.cpp or Ollama), and optionally SMART_LLM=openai/<model>, "
    "in the environment or in .env (see .env.template)."
)


def split_model(spec: str) -> tuple[str, str]:
    """'openai/gpt-4o' -> ('openai', 'gpt-4o'); a bare model name means OpenAI."""
    provider, sep, model = spec.partition("/")
    if not sep:
        return "openai", spec
    if provider not in PROVIDERS:
        raise ConfigError(f"SMART_LLM/FAST_LLM: unknown provider {provider!r} in {spec!r}; known: {PROVIDERS}")
    if not model:
        raise ConfigError(f"SMART_LLM/FAST_LLM: {spec!r} names no model; use provider/model")
    return provider, model


def smart_model(settings: Settings) -> str:
    """The proposal model, as `provider/model`, or a ConfigError that says what to set."""
    if settings.smart_llm:
        provider, model = split_model(settings.smart_llm)
        return f"{provider}/{model}"
    if settings.openai_api_key or settings.openai_base_url:
        return "openai/gpt-4o"
    raise ConfigError(NO_PROVIDER)


def make_provider(settings: Settings, spec: str) -> ChatProvider:
    """The provider serving `spec` (only OpenAI and OpenAI-compatible servers so far)."""
    split_model(spec)
    from autogpt_ls.llm.providers.openai import OpenAIProvider

    if not (settings.openai_api_key or settings.openai_base_url):
        raise ConfigError(f"{spec} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server).")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "no-key-needed"
    return OpenAIProvider(
        api_key=key,
        base_url=settings.openai_base_url,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout_seconds,
    )
