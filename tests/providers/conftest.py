"""Fixtures: each provider's case with its fake started, in a CLI environment or this process's environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cases import CASES, URL_SETTING, Case

from fakes.azure_server import FakeAzure


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path) -> Iterator[Case]:
    """A started fake and the complete environment a user would set for this provider (and nothing else)."""
    made = CASES[request.param](tmp_path)
    with made.fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SMART_", "MAX_", "EXECUTE_"))}
        env.update(made.env, AUTOGPT_DATA_DIR=str(data_dir), AUTOGPT_ENV_FILE="", SMART_LLM=made.model)
        env.update(LLM_MAX_RETRIES="2", NO_COLOR="1")
        if made.name == "azure":
            fake = made.fake
            assert isinstance(fake, FakeAzure)
            (tmp_path / "azure.yaml").write_text(
                f'azure_api_base: "{fake.endpoint}"\nazure_api_version: "{fake.api_version}"\n'
                'azure_model_map:\n  gpt-4o: "gpt4o-deployment"\n'
            )
        else:
            env[URL_SETTING[made.name]] = made.fake.base_url
        made.env = env
        yield made


@pytest.fixture
def case_env(case: Case, monkeypatch: pytest.MonkeyPatch) -> Case:
    """The case's settings in this process's environment, for in-process Runtime tests."""
    for key in list(os.environ):
        if key not in case.env:
            monkeypatch.delenv(key)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    return case
