"""Limits are enforced by the loop's code: steps, cost from token usage, and the agent's own time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_run import GOAL

from fakes.openai_server import FakeOpenAI, tool_call, writes


def test_step_limit(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    fake.responder = writes()
    run = cli(GOAL, "--continuous", env=agent_env | {"MAX_STEPS": "4"})
    assert run.code == 3
    assert "step limit reached (4 steps)" in run.out
    assert len(fake.requests) == 4


def test_cost_limit_from_token_usage(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    # gpt-4o-mini: $0.15 / $0.60 per million tokens; each reply costs 0.15 + 0.60 = $0.75 here.
    fake.responder = writes(usage=(1_000_000, 1_000_000))
    run = cli(GOAL, "--continuous", env=agent_env | {"MAX_COST_USD": "2"})
    assert run.code == 3
    assert "cost limit reached ($2.2500 of $2.00)" in run.out
    assert len(fake.requests) == 3


def test_cost_limit_needs_a_known_price(cli, workspace: Path, agent_env: dict[str, str]) -> None:
    run = cli(GOAL, "--smart-llm", "openai/some-local-model", env=agent_env | {"MAX_COST_USD": "1"})
    assert run.code == 2
    assert "has no known price" in run.err


def test_usage_and_cost_are_recorded_on_every_step(cli, fake: FakeOpenAI, workspace: Path, data_dir: Path) -> None:
    fake.script(
        tool_call("list_folder", {}, usage=(1000, 100)), tool_call("finish", {"reason": "ok"}, usage=(2000, 10))
    )
    run = cli(GOAL, "--continuous")
    assert run.code == 0, run.out
    db = sqlite3.connect(data_dir / "db" / "autogpt-ls.sqlite3")
    usages = [
        (row[0], row[1], round(row[2], 8))
        for row in db.execute(
            "SELECT json_extract(data, '$.usage.prompt_tokens'), json_extract(data, '$.usage.completion_tokens'),"
            " json_extract(data, '$.usage.cost_usd') FROM steps ORDER BY idx"
        )
    ]
    assert usages == [(1000, 100, 0.00021), (2000, 10, 0.000306)]
    total = db.execute("SELECT json_extract(data, '$.state.usage.cost_usd') FROM tasks").fetchone()[0]
    assert round(total, 8) == 0.000516


def test_unknown_price_is_marked_unknown(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(tool_call("finish", {"reason": "ok"}))
    run = cli(GOAL, "--continuous", "--smart-llm", "openai/my-local-llama")
    assert run.code == 0, run.out
    assert "cost unknown" in run.out
