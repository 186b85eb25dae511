"""Shared fixtures: a loopback fake OpenAI server, a workspace, a data folder, and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import SECRET_KEY
from fakes.openai_server import FakeOpenAI


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked each_store run once on the SQLite file and once on a fresh PostgreSQL database."""
    if metafunc.definition.get_closest_marker("each_store") and "store_url" in metafunc.fixturenames:
        metafunc.parametrize("store_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """DATABASE_URL for the test: None (the SQLite file in the data folder) unless it runs on PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    from pgtest import fresh_database

    with fresh_database() as url:
        yield url


# Suites script a human's answer for every proposal, so they run without approval rules (by default the read-only
# tools run without asking); the *approval_rules.py test files test the rules, with their defaults.
NO_APPROVAL_RULES = {"AUTO_APPROVE": "", "AUTO_APPROVE_COMMANDS": ""}


@pytest.fixture(autouse=True)
def _local_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Suites test the local executor unless they ask for the sandbox: with an engine up, `auto` would pick it;
    and they run without approval rules, as the agent_env fixture does."""
    monkeypatch.setenv("EXECUTOR", "local")
    for key, value in NO_APPROVAL_RULES.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def agent_env(fake: FakeOpenAI, data_dir: Path, store_url: str | None) -> dict[str, str]:
    """Environment for a CLI run against the fake, with no .env file from the developer's machine."""
    skip = ("OPENAI_", "SMART_", "MAX_", "EXECUTE_", "DATABASE_URL", "AUTO_APPROVE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    if store_url:
        env["DATABASE_URL"] = store_url
    env.update(
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY=SECRET_KEY,
        AUTOGPT_DATA_DIR=str(data_dir),
        AUTOGPT_ENV_FILE="",
        SMART_LLM="openai/gpt-4o-mini",
        LLM_MAX_RETRIES="2",
        NO_COLOR="1",
        **NO_APPROVAL_RULES,
    )
    return env


@dataclass
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(agent_env: dict[str, str], workspace: Path):  # type: ignore[no-untyped-def]
    """Run `autogpt-ls run GOAL ...` as a user would, answers on stdin."""

    def run(*args: str, answers: str = "", env: dict[str, str] | None = None, timeout: float = 60) -> CliRun:
        argv = [sys.executable, "-m", "autogpt_ls", "run", *args]
        if "--workspace" not in args:
            argv += ["--workspace", str(workspace)]
        proc = subprocess.run(
            argv, input=answers, text=True, capture_output=True, env=env or agent_env, timeout=timeout
        )
        return CliRun(proc.returncode, proc.stdout, proc.stderr)

    return run
