"""AutoGPT's answers: y, y -N, n, undo / redo, reserved s, feedback, and ask_user replies."""

from __future__ import annotations

import pytest

from autogpt_ls.agent.decisions import ReservedAnswer, parse_answer
from autogpt_ls.models import Decision, DecisionKind


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("y\n", Decision(kind=DecisionKind.APPROVE)),
        ("Y", Decision(kind=DecisionKind.APPROVE)),
        ("y -3", Decision(kind=DecisionKind.APPROVE, times=3)),
        ("y-2", Decision(kind=DecisionKind.APPROVE, times=2)),
        ("n", Decision(kind=DecisionKind.REJECT)),
        ("yes please, but in a .txt", Decision(kind=DecisionKind.FEEDBACK, text="yes please, but in a .txt")),
        ("y -x", Decision(kind=DecisionKind.FEEDBACK, text="y -x")),
        ("undo", Decision(kind=DecisionKind.UNDO)),
        ("undo 3", Decision(kind=DecisionKind.UNDO, step_index=2)),
        ("UNDO! 1", Decision(kind=DecisionKind.UNDO, step_index=0, force=True)),
        ("redo", Decision(kind=DecisionKind.REDO)),
        ("redo!", Decision(kind=DecisionKind.REDO, force=True)),
        ("undo the last edit", Decision(kind=DecisionKind.FEEDBACK, text="undo the last edit")),
    ],
)
def test_answers(line: str, expected: Decision) -> None:
    assert parse_answer(line, "write") == expected


@pytest.mark.parametrize("line", ["s", "S"])
def test_s_asks_for_self_feedback(line: str) -> None:
    assert parse_answer(line, "write") == Decision(kind=DecisionKind.SELF_FEEDBACK)


@pytest.mark.parametrize("line", ["y -0", "undo 0", "redo 2"])
def test_unusable(line: str) -> None:
    with pytest.raises(ReservedAnswer):
        parse_answer(line, "command")


@pytest.mark.parametrize("line", ["y", "n", "s", "Washington"])
def test_ask_user_takes_any_line_as_the_answer(line: str) -> None:
    assert parse_answer(line + "\n", "ask_user") == Decision(kind=DecisionKind.ANSWER, text=line)
