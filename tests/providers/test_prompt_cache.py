"""Provider prompt caching through each real SDK against its fake: what the wire request carries (Anthropic's
cache_control breakpoints, OpenAI's prompt_cache_key per task) and the cached tokens each reply reports, recorded
per step and priced at the cache's rates."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cases import Case
from test_goal_per_provider import run_cli, stored_usage

# (prompt tokens, (read from the cache, written to it)) the fake reports for the two steps
CACHE = {
    "openai": [(1000, (0, 0)), (1200, (1024, 0))],
    "anthropic": [(1000, (0, 900)), (1200, (1000, 150))],
}
NONE = [(1000, (0, 0)), (1200, (0, 0))]
# by hand from the price lists: gpt-4o-mini $0.15 in, $0.075 cached, $0.60 out; claude-sonnet-4 $3 in,
# $0.30 a cache read, $3.75 a cache write, $15 out (completions: 50 + 30 tokens)
COST = {
    "openai": (1000 * 0.15 + 176 * 0.15 + 1024 * 0.075 + 80 * 0.60) / 1e6,
    "anthropic": (100 * 3 + 900 * 3.75 + 50 * 3 + 1000 * 0.30 + 150 * 3.75 + 80 * 15) / 1e6,
}


def breakpoints(request: dict[str, Any]) -> list[str]:
    """Where an Anthropic request's cache_control breakpoints are: "system", or "turn N"."""
    found = ["system" for block in request.get("system") or [] if "cache_control" in block]
    for n, turn in enumerate(request["messages"]):
        blocks = turn["content"] if isinstance(turn["content"], list) else []
        found += [f"turn {n}" for block in blocks if block.get("cache_control") == {"type": "ephemeral"}]
    return found


def test_the_prompt_cache_is_asked_for_and_its_tokens_are_priced(case: Case, workspace: Path, data_dir: Path) -> None:
    (first, first_cache), (second, second_cache) = CACHE.get(case.name, NONE)
    write = case.call("write_file", {"filename": "a.txt", "contents": "Washington\n"}, "Write.", (first, 50))
    finish = case.call("finish", {"reason": "Done."}, "Done.", (second, 30))
    case.fake.script(dataclasses.replace(write, cache=first_cache), dataclasses.replace(finish, cache=second_cache))
    run = run_cli(case, workspace, "y\ny\n")
    assert run.returncode == 0, run.stdout + run.stderr
    task_id = re.search(r"Task ([0-9a-f]{32}):", run.stdout).group(1)  # type: ignore[union-attr]
    requests = case.fake.requests
    keys = {r.get("prompt_cache_key") for r in requests}
    assert keys == ({task_id} if case.name == "openai" else {None})  # OpenAI's own API only
    if case.name == "anthropic":
        # the fixed part (tools and system prompt), the task's context (turn 0), and the newest turn
        assert breakpoints(requests[0]) == ["system", "turn 0"]
        assert breakpoints(requests[1]) == ["system", "turn 0", "turn 2"]
        assert requests[1]["system"][0]["text"] == requests[0]["system"][0]["text"]
    else:
        assert "cache_control" not in json.dumps(requests)
    usage = stored_usage(case, data_dir)
    assert usage["prompt_tokens"] == first + second
    assert usage["cached_tokens"] == first_cache[0] + second_cache[0]
    assert usage["cache_write_tokens"] == first_cache[1] + second_cache[1]
    if case.name in COST:
        assert usage["cost_usd"] == pytest.approx(COST[case.name], rel=1e-9)
