"""Approval rules as the driver asks them: which calls AUTO_APPROVE and AUTO_APPROVE_COMMANDS let run without
asking, read with the shell policy's bash grammar, and how a rule's approval stands beside `y -N` and continuous."""

from __future__ import annotations

import pytest

from autogpt_ls.agent.approval import ApprovalRules
from autogpt_ls.agent.decisions import account, automatic
from autogpt_ls.models import DecisionSource
from autogpt_ls.settings import Settings
from autogpt_ls.task_models import Task, TaskConfig
from autogpt_ls.tools.command_prefixes import matching_prefix
from autogpt_ls.tools.registry import ToolRegistry

PREFIXES = ["pytest", "ls", "git status", "npm test"]
TOOLS = ToolRegistry.default()


@pytest.mark.parametrize(
    ("line", "prefix"),
    [
        ("pytest", "pytest"),
        ("pytest -x -q tests/core", "pytest"),
        ("/usr/bin/ls -la", "ls"),
        ("pytest -q 2>&1 | ls", "pytest, ls"),
        ("ls && git status --short", "ls, git status"),
        ("ls >/dev/null 2>&1", "ls"),
        ("ls 'a b' *.py", "ls"),
        ("git -c x=y status", "git status"),
        ("git -C sub --no-pager status", "git status"),
        ("git --git-dir=.git status", "git status"),
        ("npm test", "npm test"),
        ("ls # a comment", "ls"),
    ],
)
def test_lines_every_command_of_which_matches(line: str, prefix: str) -> None:
    assert matching_prefix(line, PREFIXES) == prefix


@pytest.mark.parametrize(
    "line",
    [
        "pytest; rm -rf ~",  # every command must match
        "rm -rf ~; pytest",
        "ls > f",  # a redirection to a file writes it
        "ls >> f",
        "ls 2> err.txt",
        "ls &",  # a background job
        "ls | xargs rm",  # a command another one runs
        "timeout 5 ls",
        "find . -exec rm {} ;",
        "sh -c ls",
        "ls $(rm -rf ~)",  # substitutions, variables, assignments
        'ls "$HOME"',
        "A=1 ls",
        "(ls)",  # subshells, groups, control flow, functions
        "{ ls; }",
        "if true; then ls; fi",
        "f() { rm -rf ~; }; ls",
        "ls <<EOF\nx\nEOF",
        "git log",  # a different subcommand
        "git status-all",
        "git -c core.pager=rm status",  # a git setting that names a program
        "git -c alias.status=x status",
        "git --exec-path=/tmp status",  # an option we do not know
        "npm --prefix x test",
        "pytestx",
        "ls 'unclosed",  # not valid bash
        "",
    ],
)
def test_lines_that_ask(line: str) -> None:
    assert matching_prefix(line, PREFIXES) is None


def test_no_prefixes_approves_nothing() -> None:
    assert matching_prefix("ls", []) is None
    assert matching_prefix("ls", ["  "]) is None


def _tool(name: str):  # type: ignore[no-untyped-def]
    tool = TOOLS.get(name)
    assert tool is not None
    return tool


def test_tools_by_name_category_or_kind() -> None:
    defaults = ApprovalRules()
    assert defaults.rule_for(_tool("read_file"), {"filename": "a"}) == "AUTO_APPROVE read_file"
    assert defaults.rule_for(_tool("find_files"), {"glob": "*"}) == "AUTO_APPROVE find_files"
    assert defaults.rule_for(_tool("write_file"), {"filename": "a", "contents": ""}) == ""
    assert defaults.rule_for(_tool("execute_shell"), {"command_line": "ls"}) == ""
    by_kind = ApprovalRules.of(["read"], [])
    assert by_kind.rule_for(_tool("search_files"), {"pattern": "x"}) == "AUTO_APPROVE read"
    by_category = ApprovalRules.of(["file_operations"], [])
    assert by_category.rule_for(_tool("write_file"), {}) == "AUTO_APPROVE file_operations"
    asks = ApprovalRules.of(["ask_user", "user_interaction"], [])
    assert asks.rule_for(_tool("ask_user"), {"question": "?"}) == ""  # ask_user always asks


def test_command_prefixes_only_for_shell_lines() -> None:
    rules = ApprovalRules.of([], ["pytest"])
    assert rules.rule_for(_tool("execute_shell"), {"command_line": "pytest -q"}) == "AUTO_APPROVE_COMMANDS pytest"
    assert rules.rule_for(_tool("execute_shell"), {"command_line": "pytest; rm -rf ~"}) == ""
    assert rules.rule_for(_tool("execute_python_code"), {"code": "import pytest"}) == ""


def test_settings_defaults_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTO_APPROVE")
    monkeypatch.delenv("AUTO_APPROVE_COMMANDS")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.auto_approve == ["read_file", "list_folder", "search_files", "find_files"]
    assert s.auto_approve_commands == []
    monkeypatch.setenv("AUTO_APPROVE_COMMANDS", "pytest, git status ,ls")
    monkeypatch.setenv("AUTO_APPROVE", "")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.auto_approve, s.auto_approve_commands) == ([], ["pytest", "git status", "ls"])


def _task(continuous: bool = False, credit: int = 0) -> Task:
    task = Task(goal="g", workspace="/tmp", config=TaskConfig(smart_llm="openai/x", continuous=continuous))
    task.state.auto_approve_remaining = credit
    return task


def test_a_rule_spends_no_credit_and_leaves_continuous_mode_as_it_was() -> None:
    task = _task(credit=2)
    decision = automatic(task, "read", "AUTO_APPROVE read_file")
    assert decision is not None and (decision.source, decision.rule) == (DecisionSource.RULE, "AUTO_APPROVE read_file")
    account(task.state, decision)
    assert task.state.auto_approve_remaining == 2
    credit = automatic(task, "write")
    assert credit is not None and credit.source == DecisionSource.CREDIT
    continuous = _task(continuous=True)
    decision = automatic(continuous, "read", "AUTO_APPROVE read_file")
    assert decision is not None and decision.source == DecisionSource.CONTINUOUS  # counted by its limit as before
    assert automatic(_task(), "write") is None
    assert automatic(_task(), "ask_user", "AUTO_APPROVE ask_user") is None
