"""Configuration from the environment and the project's or user's `.env` (never the workspace's)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from platformdirs import user_config_dir, user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from autogpt_ls.secrets_mask import named_secrets
from autogpt_ls.task_models import AIProfile, ExecutorName, PromptSettings
from autogpt_ls.tools.categories import category_names

APP = "autogpt-ls"
CommaList = Annotated[list[str], NoDecode]
DEFAULT_AUTO_APPROVE = ("read_file", "list_folder", "search_files", "find_files")  # the read-only tools
MEMORY = ("sqlite", "postgres")  # --use-memory: the store's two backends


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the setting to set."""


def env_files() -> list[Path]:
    """`.env` files read as configuration: the user's config folder, then the project's own folder.

    A `.env` in the agent's workspace is the user's project file: a cloned repository must not be able to
    redirect the API key to another server, so the current directory is never consulted.
    """
    override = os.environ.get("AUTOGPT_ENV_FILE")
    if override is not None:
        return [Path(override)] if override else []
    files = [Path(user_config_dir(APP)) / ".env"]
    project = Path(__file__).resolve().parents[2]
    if (project / "pyproject.toml").is_file():
        files.append(project / ".env")
    return [f for f in files if f.is_file()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8", populate_by_name=True)

    smart_llm: str | None = None
    fast_llm: str | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    # Azure: the openai SDK's own variable names, then the seeds' azure.yaml (endpoint, api version, model map)
    use_azure: bool = False
    azure_openai_api_key: SecretStr | None = None
    azure_openai_ad_token: SecretStr | None = None
    azure_openai_endpoint: str | None = None
    openai_api_version: str | None = None
    azure_config_file: Path | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    groq_api_key: SecretStr | None = None
    groq_base_url: str | None = None
    # OpenAI-compatible servers on this machine (or the LAN); no key needed
    llamafile_base_url: str | None = Field(
        None, validation_alias=AliasChoices("LLAMAFILE_BASE_URL", "LLAMAFILE_API_BASE", "llamafile_base_url")
    )
    ollama_base_url: str | None = None
    openai_compatible_base_url: str | None = None
    openai_compatible_api_key: SecretStr | None = None
    # The embedded model (local/...): the bundled SmolLM2 135M, or any GGUF file
    use_embedded_model: bool = True  # the default when nothing else is configured
    local_model_path: Path | None = None
    local_model_threads: int = Field(2, ge=1)
    local_model_context: int = Field(4096, ge=512)
    local_model_max_tokens: int = Field(200, ge=16)
    llm_max_retries: int = 3
    llm_timeout_seconds: float = 120.0
    llm_tool_calling: bool = True
    # The model's context window in tokens, for when the built-in table (llm/context.py) does not know it; a long
    # task's oldest steps are summarised (by FAST_LLM, else SMART_LLM) before a prompt would pass it.
    context_window: int | None = Field(None, ge=1024)
    # The project's rules for agents, read from the workspace root into the prompt at the start of a task (labelled,
    # capped); empty: none. They are prompt text only: no setting is ever read from them.
    rules_files: CommaList = Field(
        default_factory=lambda: [
            "AGENTS.md",
            "CLAUDE.md",
            ".github/copilot-instructions.md",
            ".clinerules",
            ".cursorrules",
        ]
    )

    # The web tools (web_search, read_webpage): off unless asked for, since they reach the internet from this
    # machine (each call is approved like a command). Every base URL is a setting.
    web_tools: bool = False
    web_search_provider: Literal["duckduckgo", "searxng", "tavily"] = "duckduckgo"
    duckduckgo_url: str = "https://html.duckduckgo.com/html/"
    searxng_url: str | None = None
    tavily_api_key: SecretStr | None = None
    tavily_url: str = "https://api.tavily.com"
    web_search_results: int = Field(8, ge=1, le=50)
    web_allow_private_addresses: bool = False
    web_max_bytes: int = Field(2_000_000, ge=1024)
    web_max_chars: int = Field(8_000, ge=500)  # of a page's text given to the LLM
    web_timeout_seconds: float = Field(20.0, gt=0)
    web_browser_path: Path = Path("/usr/bin/chromium")

    # generate_image (category `image`): off until IMAGE_PROVIDER names one; each provider's base URL is a setting.
    image_provider: Literal["dalle", "huggingface", "sdwebui"] | None = None
    image_size: int = Field(256, ge=64, le=2048)  # pixels of a square image; a call may ask for another size
    image_timeout_seconds: float = Field(120.0, gt=0)
    dalle_model: str = "dall-e-2"  # through OPENAI_API_KEY, the openai SDK's images API
    dalle_base_url: str | None = None  # default: OPENAI_BASE_URL, else OpenAI's
    huggingface_image_model: str = "CompVis/stable-diffusion-v1-4"
    huggingface_api_token: SecretStr | None = None
    huggingface_api_url: str = "https://api-inference.huggingface.co"
    sd_webui_url: str = "http://localhost:7860"
    sd_webui_auth: SecretStr | None = None  # username:password of the web UI's --api-auth

    # Speak mode (run --speak): espeak-ng (local, the default) or OpenAI's speech API; SPEECH_PLAYER overrides the
    # player found (paplay, aplay, play), `{file}` standing for the WAV's path.
    tts_provider: Literal["espeak", "openai"] = "espeak"
    espeak_voice: str = "en"
    openai_tts_model: str = "tts-1"
    openai_tts_voice: str = "alloy"
    tts_base_url: str | None = None  # default: OPENAI_BASE_URL, else OpenAI's
    speech_player: str | None = None

    # MCP servers whose tools the agent may use (`mcpServers` or VS Code's `servers` shape); a workspace's own
    # .vscode/mcp.json or .mcp.json only once trusted with `autogpt-ls mcp trust` (pip install 'autogpt-ls[mcp]').
    mcp_config_file: Path = Field(default_factory=lambda: Path(user_config_dir(APP)) / "mcp.json")

    execute_local_commands: bool = False
    in_container: bool = Field(False, validation_alias=AliasChoices("AUTOGPT_IN_CONTAINER", "in_container"))
    disabled_commands: CommaList = Field(default_factory=list)
    # The seeds' setting: whole categories, by our names or AutoGPT's module paths (autogpt.commands.execute_code)
    disabled_command_categories: CommaList = Field(default_factory=list)
    shell_command_control: Literal["allowlist", "denylist"] = "denylist"
    shell_allowlist: CommaList = Field(default_factory=list)
    shell_denylist: CommaList = Field(default_factory=lambda: ["sudo", "su"])
    shell_timeout_seconds: float = 120.0
    # Approval rules (read from here, never from the workspace): tools, categories or kinds (`read`) that run without
    # asking, and command prefixes (`pytest`, `git status`) every command of a shell line must match.
    auto_approve: CommaList = Field(default_factory=lambda: list(DEFAULT_AUTO_APPROVE))
    auto_approve_commands: CommaList = Field(default_factory=list)
    # Where commands run: `docker` (a sandbox container per task), `devcontainer` (the workspace's own), `local`, or
    # `auto`, decided per workspace when a task is created (see Wiring.default_executor).
    executor: Literal["auto"] | ExecutorName = "auto"
    # `none`: the devcontainers we create get no network (`--network none`); `config`: what their devcontainer.json
    # says. A container that exists already keeps its network (the proposal says so).
    devcontainer_network: Literal["config", "none"] = "config"
    sandbox_image: str = "autogpt-ls-sandbox:1"
    sandbox_memory: str = "1g"
    sandbox_cpus: float = 2.0
    sandbox_pids: int = 256
    # A task's container is removed after this long without commands (0: kept until the task ends).
    sandbox_idle_seconds: float = Field(default=900.0, ge=0)
    # Off: every process a command started ends when the command returns. On: they keep running until the task
    # ends, and each command's output lists them. Fixed in a task's config when it is created.
    allow_background_jobs: bool = False
    # Docker sandbox only: each command runs in a container of its own on a copy-on-write view of the workspace,
    # and its file changes come back as a change set to approve (all or nothing) before they reach the workspace.
    sandbox_stage_changes: bool = False
    # Where the sandbox's workspace comes from: `bind` mounts the folder; `copy` copies it into a volume of the
    # container and brings each command's changes back (an engine on another machine cannot see the folder);
    # `auto`: bind when DOCKER_HOST is unset or unix://, copy for tcp:// or ssh:// (executors/sandbox_copy).
    sandbox_workspace: Literal["auto", "copy", "bind"] = "auto"
    # Checkpoints before and after every step that can change files, in a shadow git repository per workspace in
    # the data folder (the user's .git is never touched), so any step can be undone. Files over the cap are skipped.
    checkpoints: bool = True
    checkpoint_max_file_mb: float = Field(default=5.0, gt=0)
    # A file watch (Linux's inotify) tells a checkpoint which paths changed, so it need not scan every file. Off
    # for a workspace that others write to without the kernel seeing it (a network file system's other clients).
    checkpoint_watch: bool = True
    # One commit per approved step that changed files (and per undo/redo) on the branch autogpt/<task id> of the
    # workspace's repository, through a temporary index: the user's index, HEAD and current branch are untouched.
    git_auto_commit: bool = False

    # Where tasks and steps are kept: unset, a SQLite file in data_dir; postgresql://user:pass@host/db, a PostgreSQL
    # database that several servers (on one machine or many) can share (pip install autogpt-ls[postgres]).
    database_url: SecretStr | None = None
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir(APP)),
        validation_alias=AliasChoices("AUTOGPT_DATA_DIR", "data_dir"),
    )
    # Each log file rotates past this size, keeping this many older ones: a flood of bad input cannot fill the disk.
    log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    log_backup_count: int = Field(default=3, ge=0)
    max_steps: int | None = 50
    max_cost_usd: float | None = None
    max_seconds: float | None = None
    continuous_limit: int | None = None
    lsp_server_token: SecretStr | None = None
    # An editor that reports its diagnostics (initializationOptions.diagnosticsFeedback): how long the agent waits
    # after an approved edit for the errors and warnings the user's other language servers find in it.
    diagnostics_wait_ms: int = Field(1500, ge=0)
    ap_server_token: SecretStr | None = None

    @field_validator(
        "disabled_commands",
        "disabled_command_categories",
        "shell_allowlist",
        "shell_denylist",
        "rules_files",
        "auto_approve",
        "auto_approve_commands",
        mode="before",
    )
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("disabled_command_categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        return category_names(value)

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must be a postgresql:// URL (unset it to use the SQLite file)")
        return value or None

    @classmethod
    def load(cls) -> Settings:
        return cls(_env_file=env_files() or None)

    def secrets(self) -> list[str]:
        """Values that must never appear in logs, prompts or artifacts: our keys and tokens, and the values of
        variables of our environment named like secrets (`cat /proc/$PPID/environ` in a command shows them)."""
        values = (
            self.openai_api_key,
            self.azure_openai_api_key,
            self.azure_openai_ad_token,
            self.anthropic_api_key,
            self.groq_api_key,
            self.openai_compatible_api_key,
            self.tavily_api_key,
            self.huggingface_api_token,
            self.sd_webui_auth,
            self.lsp_server_token,
            self.ap_server_token,
            self.database_url,
        )
        return [s.get_secret_value() for s in values if s and s.get_secret_value()] + named_secrets(os.environ)

    def with_memory(self, backend: str | None) -> Settings:
        """The seeds' --use-memory BACKEND: where a task's memory (its steps, facts and summaries) lives; none
        given, the store every front end uses (DATABASE_URL's, else the SQLite file)."""
        if backend is None:
            return self
        if backend == "sqlite":
            return self.model_copy(update={"database_url": None})
        if backend == "postgres" and self.database_url is None:
            raise ConfigError("--use-memory postgres needs DATABASE_URL=postgresql://user:pass@host/db")
        if backend != "postgres":
            raise ConfigError(f"--use-memory {backend}: unknown memory backend; use one of: {', '.join(MEMORY)}")
        return self

    @property
    def disabled(self) -> list[str]:
        """Tool names and categories hidden from the agent (DISABLED_COMMANDS and DISABLED_COMMAND_CATEGORIES)."""
        return [*self.disabled_commands, *self.disabled_command_categories]

    @property
    def in_devcontainer(self) -> bool:
        """autogpt-ls itself runs in a devcontainer: VS Code's Dev Containers and Codespaces set these variables."""
        return any(os.environ.get(name) == "true" for name in ("REMOTE_CONTAINERS", "CODESPACES"))

    @property
    def commands_allowed_locally(self) -> bool:
        return self.execute_local_commands or self.in_container or self.in_devcontainer


def load_yaml_mapping(path: Path) -> dict[str, object]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a YAML mapping")
    return data


def load_ai_profile(path: Path) -> AIProfile:
    """AutoGPT's ai_settings.yaml (ai_name, ai_role, ai_goals)."""
    return AIProfile.model_validate(load_yaml_mapping(path))


def load_prompt_settings(path: Path) -> PromptSettings:
    """AutoGPT's prompt_settings.yaml (constraints, resources, best_practices)."""
    return PromptSettings.model_validate(load_yaml_mapping(path))
