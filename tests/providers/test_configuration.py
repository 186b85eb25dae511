"""Choosing providers from settings, prices, message adaptation, and `autogpt-ls models` against the fakes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cases import Case

from autogpt_ls.llm.adapt import fold_system, merge_consecutive
from autogpt_ls.llm.base import ChatMessage, WireToolCall
from autogpt_ls.llm.pricing import PRICES, cost_usd
from autogpt_ls.llm.registry import make_provider, smart_model, split_model
from autogpt_ls.settings import ConfigError, Settings
from fakes import SECRET_KEY


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith(("OPENAI_", "AZURE_", "ANTHROPIC_", "GROQ_"))]:
        monkeypatch.delenv(key)


def test_the_first_configured_key_decides() -> None:
    assert smart_model(settings(groq_api_key="g", anthropic_api_key="a")) == "anthropic/claude-sonnet-4-20250514"
    assert smart_model(settings(groq_api_key="g")) == "groq/llama-3.3-70b-versatile"
    assert smart_model(settings(llamafile_base_url="http://127.0.0.1:9/v1")) == "llamafile/mistral-7b-instruct-v0.2"
    assert smart_model(settings(openai_api_key="o", groq_api_key="g")) == "openai/gpt-4o"


def test_smart_and_fast_may_be_different_providers() -> None:
    s = settings(smart_llm="anthropic/claude-3-opus-20240229", fast_llm="groq/llama3-8b-8192", groq_api_key="g")
    assert smart_model(s) == "anthropic/claude-3-opus-20240229"
    assert split_model(s.fast_llm or "") == ("groq", "llama3-8b-8192")


def test_seeds_bare_model_names_find_their_provider() -> None:
    assert split_model("claude-3-opus-20240229") == ("anthropic", "claude-3-opus-20240229")
    assert split_model("llama3-70b-8192") == ("groq", "llama3-70b-8192")
    assert split_model("mistral-7b-instruct-v0.2") == ("llamafile", "mistral-7b-instruct-v0.2")
    assert split_model("gpt-4-turbo") == ("openai", "gpt-4-turbo")


def test_nothing_configured_names_every_setting() -> None:
    with pytest.raises(ConfigError) as info:
        smart_model(settings(use_embedded_model=False))
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "OLLAMA_BASE_URL"):
        assert name in str(info.value)


def test_a_server_without_a_default_model_asks_for_smart_llm() -> None:
    with pytest.raises(ConfigError, match="SMART_LLM=ollama/<model>"):
        smart_model(settings(ollama_base_url="http://127.0.0.1:9/v1"))


def test_prices_unknown_models_have_no_cost_local_ones_are_free() -> None:
    assert cost_usd("anthropic/claude-3-haiku-20240307", 1_000_000, 1_000_000) == pytest.approx(1.50)
    assert cost_usd("openai-compatible/some-hosted-model", 10, 10) is None
    assert cost_usd("azure/gpt-4o", 10, 10) is None
    assert cost_usd("ollama/llama3.2", 10_000, 10_000) == 0.0
    assert "ollama/anything" in PRICES and "groq/unknown-model" not in PRICES


def test_consecutive_turns_merge_and_system_folds_into_the_first_user_turn() -> None:
    call = WireToolCall(id="c1", name="finish", arguments="{}")
    messages = [
        ChatMessage(role="system", content="rules"),
        ChatMessage(role="user", content="task"),
        ChatMessage(role="user", content="(2 earlier steps are omitted)"),
        ChatMessage(role="assistant", content="a"),
        ChatMessage(role="assistant", content="b", tool_calls=[call]),
    ]
    merged = merge_consecutive(fold_system(messages))
    assert [(m.role, m.content) for m in merged] == [
        ("user", "rules\n\ntask\n\n(2 earlier steps are omitted)"),
        ("assistant", "a"),
        ("assistant", "b"),  # a turn with a tool call is never merged into another
    ]


@pytest.mark.parametrize("case", ["anthropic", "azure", "groq", "ollama"], indirect=True)
def test_models_lists_what_the_provider_offers_and_what_is_in_use(case: Case) -> None:
    env = case.env | {"FAST_LLM": case.model}
    run = subprocess.run(
        [sys.executable, "-m", "autogpt_ls", "models"], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SMART_LLM: {case.model}" in run.stdout and f"FAST_LLM: {case.model}" in run.stdout
    listed = {"anthropic": "claude-3-5-haiku-20241022", "azure": "gpt-4o-mini", "groq": "gpt-4o-mini"}
    assert listed.get(case.name, "mistral") in run.stdout
    model = case.model.partition("/")[2]
    assert f"* {model}  (SMART_LLM, FAST_LLM" in run.stdout
    assert SECRET_KEY not in run.stdout + run.stderr


@pytest.mark.parametrize("case", ["openai"], indirect=True)
def test_models_without_configuration_is_a_configuration_error(case: Case) -> None:
    env = {k: v for k, v in case.env.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "GROQ_", "SMART_"))}
    env = {k: v for k, v in env.items() if not k.endswith("_BASE_URL") and k != "AZURE_CONFIG_FILE"}
    env["USE_EMBEDDED_MODEL"] = "False"
    run = subprocess.run([sys.executable, "-m", "autogpt_ls", "models"], capture_output=True, text=True, env=env)
    assert run.returncode == 2 and "No LLM provider is configured" in run.stderr


def test_use_azure_puts_azure_first_with_the_first_mapped_model(tmp_path: Path) -> None:
    config = tmp_path / "azure.yaml"
    config.write_text('azure_api_version: "2024-10-21"\nazure_model_map:\n  gpt-4-turbo: "turbo-deployment"\n')
    azure = {"azure_openai_api_key": "k", "azure_openai_endpoint": "http://127.0.0.1:9", "azure_config_file": config}
    assert smart_model(settings(openai_api_key="o", **azure)) == "openai/gpt-4o"
    assert smart_model(settings(openai_api_key="o", use_azure=True, **azure)) == "azure/gpt-4-turbo"
    (tmp_path / "no-version.yaml").write_text("azure_model_map: {}\n")
    unversioned = azure | {"azure_config_file": tmp_path / "no-version.yaml"}
    with pytest.raises(ConfigError, match="OPENAI_API_VERSION"):
        make_provider(settings(**unversioned), "azure/x")
