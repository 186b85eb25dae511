"""Azure OpenAI through the openai SDK's `AsyncAzureOpenAI`: deployment URLs and the `api-version` query.

Settings use the SDK's own variable names (AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN, AZURE_OPENAI_ENDPOINT,
OPENAI_API_VERSION); the seeds' `azure.yaml` (`azure_api_base`, `azure_api_version`, `azure_model_map`) fills in
what they leave unset. `azure/<name>` is a deployment id, or a model name the map turns into one.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_dir

from autogpt_ls.llm.providers.openai import ChatCompletionsProvider, http_client
from autogpt_ls.settings import APP, ConfigError, Settings, load_yaml_mapping


def config_file(settings: Settings) -> Path | None:
    """AZURE_CONFIG_FILE, else azure.yaml in the user's config folder or this project's folder (never the
    workspace's, for the same reason as .env)."""
    if settings.azure_config_file is not None:
        if not settings.azure_config_file.is_file():
            raise ConfigError(f"AZURE_CONFIG_FILE: {settings.azure_config_file} is not a file")
        return settings.azure_config_file
    project = Path(__file__).resolve().parents[4]
    candidates = [Path(user_config_dir(APP)) / "azure.yaml"]
    if (project / "pyproject.toml").is_file():
        candidates.append(project / "azure.yaml")
    return next((c for c in candidates if c.is_file()), None)


class AzureConfig:
    def __init__(self, settings: Settings) -> None:
        path = config_file(settings)
        data = load_yaml_mapping(path) if path else {}
        model_map = data.get("azure_model_map") or {}
        if not isinstance(model_map, dict):
            raise ConfigError(f"{path}: azure_model_map must map model names to deployment ids")
        self.model_map = {str(k): str(v) for k, v in model_map.items()}
        self.endpoint = settings.azure_openai_endpoint or _str(data.get("azure_api_base"))
        self.api_version = settings.openai_api_version or _str(data.get("azure_api_version"))
        self.key = settings.azure_openai_api_key or settings.azure_openai_ad_token

    @property
    def configured(self) -> bool:
        return bool(self.key and self.endpoint)

    def default_model(self) -> str | None:
        return next(iter(self.model_map), None)

    def deployment(self, model: str) -> str:
        return self.model_map.get(model, model)


def _str(value: object) -> str | None:
    return str(value) if value else None


def azure_provider(settings: Settings) -> ChatCompletionsProvider:
    config = AzureConfig(settings)
    missing = [
        name
        for name, value in (
            ("AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN)", config.key),
            ("AZURE_OPENAI_ENDPOINT (or azure_api_base in azure.yaml)", config.endpoint),
            ("OPENAI_API_VERSION (or azure_api_version in azure.yaml)", config.api_version),
        )
        if not value
    ]
    if missing or config.endpoint is None:
        raise ConfigError("Azure OpenAI needs " + ", ".join(missing))
    import openai

    key, token = settings.azure_openai_api_key, settings.azure_openai_ad_token
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=config.endpoint,
        api_version=config.api_version,
        api_key=key.get_secret_value() if key else None,
        azure_ad_token=token.get_secret_value() if token and not key else None,
        max_retries=settings.llm_max_retries,
        timeout=settings.llm_timeout_seconds,
        http_client=http_client(openai),
    )
    return ChatCompletionsProvider(client, openai, url_setting="AZURE_OPENAI_ENDPOINT", deployment=config.deployment)
