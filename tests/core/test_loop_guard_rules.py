"""The loop guard's rules on recorded steps: what is a repeat, what is not."""

from __future__ import annotations

from typing import Any

from autogpt_ls.agent.loop_guard import check
from autogpt_ls.models import Decision, DecisionKind, DecisionSource, Proposal, Result, Step, StepStatus, ToolCall
from autogpt_ls.tools.registry import ToolRegistry

TOOLS = ToolRegistry.default()


def kind_of(name: str):  # type: ignore[no-untyped-def]
    tool = TOOLS.get(name)
    return tool.kind if tool else None


def step(index: int, name: str, ok: bool = True, output: str = "out", **arguments: Any) -> Step:
    call = ToolCall(name=name, arguments=arguments)
    return Step(
        task_id="t",
        index=index,
        status=StepStatus.DONE,
        proposal=Proposal(tool_call=call),
        result=Result(ok=ok, output=output),
    )


def history(*steps: Step) -> list[Step]:
    return [s.model_copy(update={"index": i}) for i, s in enumerate(steps)]


def test_running_the_tests_again_after_an_edit_is_no_repeat() -> None:
    earlier = history(
        step(0, "execute_shell", command_line="pytest -q"),
        step(0, "write_file", filename="a.py", contents="x = 1\n"),
    )
    assert check(earlier, step(2, "execute_shell", command_line="pytest -q"), kind_of) is None


def test_the_same_command_with_nothing_run_since_is_a_repeat() -> None:
    earlier = history(step(0, "execute_shell", command_line="pytest -q"), step(0, "read_file", filename="a.py"))
    verdict = check(earlier, step(2, "execute_shell", command_line="pytest -q"), kind_of)
    assert verdict is not None and verdict.reason == "repeating execute_shell pytest -q" and not verdict.escalate


def test_a_repeat_after_the_guard_told_the_llm_escalates() -> None:
    told = step(0, "read_file", filename="a.py").model_copy(
        update={
            "status": StepStatus.FEEDBACK,
            "result": None,
            "decision": Decision(kind=DecisionKind.FEEDBACK, text="Loop guard", source=DecisionSource.RULE),
        }
    )
    earlier = history(step(0, "read_file", filename="a.py"), told)
    verdict = check(earlier, step(2, "read_file", filename="a.py"), kind_of)
    assert verdict is not None and verdict.escalate


def test_the_same_error_three_times_in_a_row_is_caught_whatever_the_arguments() -> None:
    failing = [step(0, "replace_in_file", ok=False, output="no match", filename=f"{n}.py") for n in range(3)]
    verdict = check(history(*failing), step(3, "replace_in_file", filename="3.py"), kind_of)
    assert verdict is not None and "failed 3 times in a row with the same error" in verdict.reason
    different = [*failing[:2], step(0, "replace_in_file", ok=False, output="other", filename="x.py")]
    assert check(history(*different), step(3, "replace_in_file", filename="3.py"), kind_of) is None
    assert check(history(*failing[:2]), step(2, "replace_in_file", filename="3.py"), kind_of) is None


def test_a_call_whose_result_was_compacted_away_is_no_repeat() -> None:
    earlier = history(step(0, "read_file", filename="a.py"), step(0, "read_file", filename="b.py"))
    again = step(2, "read_file", filename="a.py")
    assert check(earlier, again, kind_of) is not None  # both still shown: a repeat
    assert check(earlier, again, kind_of, shown_from=1) is None  # the first read is summarised: reading it is new
