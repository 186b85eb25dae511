"""The seeds' remaining run switches through the real CLI and the loopback fake: --gpt3only and --gpt4only put
one model in both roles, -m/--use-memory picks the store, and `run --help` (what ./run.sh --help shows) lists them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_run import FINISH, GOAL

from fakes.openai_server import FakeOpenAI


def test_gpt3only_uses_the_providers_cheap_model_for_both_roles(
    cli, fake: FakeOpenAI, agent_env: dict[str, str]
) -> None:
    fake.script(FINISH)
    run = cli(GOAL, "--gpt3only", answers="y\n", env=agent_env | {"SMART_LLM": "openai/gpt-4o"})
    assert run.code == 0, run.err
    assert fake.requests[0]["model"] == "gpt-4o-mini"
    assert "model: openai/gpt-4o-mini (fast: openai/gpt-4o-mini)" in run.out


def test_gpt3only_takes_fast_llm_and_gpt4only_smart_llm(cli, fake: FakeOpenAI, agent_env: dict[str, str]) -> None:
    env = agent_env | {"SMART_LLM": "openai/gpt-4o", "FAST_LLM": "openai/gpt-4.1-nano"}
    fake.script(FINISH, FINISH)
    cheap = cli(GOAL, "--gpt3only", answers="y\n", env=env)
    smart = cli(GOAL, "--gpt4only", answers="y\n", env=env)
    assert (cheap.code, smart.code) == (0, 0), cheap.err + smart.err
    assert [r["model"] for r in fake.requests] == ["gpt-4.1-nano", "gpt-4o"]
    assert "model: openai/gpt-4o (fast: openai/gpt-4o)" in smart.out


def test_conflicting_or_unknown_switches_are_configuration_errors(cli, agent_env: dict[str, str]) -> None:
    both = cli(GOAL, "--gpt3only", "--gpt4only")
    redis = cli(GOAL, "-m", "redis")
    postgres = cli(GOAL, "--use-memory", "postgres")
    assert (both.code, redis.code, postgres.code) == (2, 2, 2)
    assert "--gpt3only and --gpt4only exclude each other" in both.err
    assert "--use-memory redis: unknown memory backend; use one of: sqlite, postgres" in redis.err
    assert "--use-memory postgres needs DATABASE_URL" in postgres.err


def test_use_memory_sqlite_keeps_the_task_in_the_data_folder_even_with_database_url(
    cli, fake: FakeOpenAI, agent_env: dict[str, str], data_dir: Path
) -> None:
    fake.script(FINISH)
    nowhere = agent_env | {"DATABASE_URL": "postgresql://u:p@127.0.0.1:9/none"}  # nothing listens there
    run = cli(GOAL, "-m", "sqlite", answers="y\n", env=nowhere)
    assert run.code == 0, run.err
    assert list((data_dir / "db").glob("*.sqlite*"))


def test_run_help_lists_the_seeds_switches(agent_env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "autogpt_ls", "run", "--help"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=agent_env, check=True).stdout
    for switch in ("--gpt3only", "--gpt4only", "-m, --use-memory BACKEND", "--ai-settings", "--continuous", "--speak"):
        assert switch in out
