"""What an editor adds to a task (agent/editor.py): the context stays in the task message when steps are compacted,
an edit's new errors survive the observation's cut, and the diagnostics seam is asked only after an edit that ran."""

from __future__ import annotations

import asyncio

from autogpt_ls.agent.editor import DiagnosticsFeed
from autogpt_ls.agent.prompt import MAX_OBSERVATION_CHARS, context_message, observation
from autogpt_ls.models import Diagnostic, EditorContext, Proposal, Result, Selection, Step, StepStatus, ToolCall
from autogpt_ls.task_models import Memory, Summary, Task, TaskConfig

ERROR = Diagnostic(path="a.ts", line=2, column=7, severity="error", message="Type 'string' is not assignable")
WARNING = ERROR.model_copy(update={"severity": "warning", "message": "unused n"})


def _task() -> Task:
    context = EditorContext(
        active_file="a.ts",
        selection=Selection(path="a.ts", start_line=1, end_line=2, text="let n = 1;"),
        diagnostics=[WARNING],
    )
    return Task(goal="Fix it", workspace="/w", config=TaskConfig(smart_llm="openai/gpt-4o"), context=context)


def _edit(output: str = "Wrote a.ts") -> Step:
    call = ToolCall(name="write_file", arguments={"filename": "a.ts", "contents": "x"})
    return Step(
        task_id="t",
        index=0,
        status=StepStatus.DONE,
        proposal=Proposal(tool_call=call),
        result=Result(ok=True, output=output),
    )


def test_the_context_is_kept_word_for_word_when_steps_are_compacted() -> None:
    summary = Summary(first=0, end=30, text="earlier work", model="m", at_step=31)
    text = context_message(_task(), [], Memory(compacted=30, summaries=[summary]))
    assert text.startswith("Your task: Fix it\n\n## From the user's editor")
    assert "The user selected lines 1-2 of a.ts:\n```\nlet n = 1;\n```" in text
    assert "- a.ts:2:7 warning: unused n" in text
    assert text.index("let n = 1;") < text.index("earlier work")


def test_new_errors_come_after_the_cut_of_a_long_output() -> None:
    step = _edit("x" * (MAX_OBSERVATION_CHARS * 2))
    step.diagnostics = [ERROR, ERROR, WARNING]
    told = observation(step)
    assert "characters cut" in told
    assert told.endswith(
        "The edit introduced 2 errors and 1 warning, as the user's editor reports:\n"
        "- a.ts:2:7 error: Type 'string' is not assignable\n"
        "- a.ts:2:7 error: Type 'string' is not assignable\n"
        "- a.ts:2:7 warning: unused n"
    )


async def test_the_seam_is_asked_only_after_an_edit_that_ran_and_only_so_long() -> None:
    asked: list[str] = []

    async def source(step: Step) -> list[Diagnostic]:
        asked.append(step.id)
        if step.index == 1:
            await asyncio.Event().wait()  # an editor that never reports
        return [ERROR, ERROR.model_copy(update={"severity": "hint"})]

    feed = DiagnosticsFeed(source, wait_seconds=0.05)
    edit = _edit()
    assert await feed.after(edit, "write") == [ERROR]  # hints are dropped
    assert await feed.after(_edit(), "command") == []
    failed = _edit()
    failed.result = Result.error("no such file")
    assert await feed.after(failed, "write") == []
    assert asked == [edit.id]
    silent = _edit()
    silent.index = 1
    assert await feed.after(silent, "write") == []  # after wait_seconds
