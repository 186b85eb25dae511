"""Shell and Python tools through the CLI: off unless allowed, every command of a line checked, output capped."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL, last_observation

from fakes.openai_server import FakeOpenAI, tool_call


def test_commands_are_off_on_the_local_executor_by_default(cli, fake: FakeOpenAI, workspace: Path) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "touch made.txt"}), FINISH)
    run = cli(GOAL, answers="y\n")
    assert run.code == 0, run.out
    assert "EXECUTE_LOCAL_COMMANDS=True" in last_observation(fake.requests[1])
    assert not (workspace / "made.txt").exists()
    assert run.out.count("Approve?") == 1


def test_shell_command_runs_when_allowed_and_shows_in_full(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    line = "echo Washington > city.txt && cat city.txt | tr a-z A-Z"
    fake.script(tool_call("execute_shell", {"command_line": line}), FINISH)
    run = cli(GOAL, answers="y\ny\n", env=agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"})
    assert run.code == 0, run.out
    assert line in run.out and f"runs on this machine, in {workspace}" in run.out
    assert last_observation(fake.requests[1]) == "Exit code: 0\nWASHINGTON\n"


def test_every_command_of_a_line_is_checked(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "echo hi; echo $(sudo touch pwned)"}), FINISH)
    run = cli(GOAL, answers="y\n", env=agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"})
    assert run.code == 0, run.out
    assert "sudo" in last_observation(fake.requests[1])
    assert not (workspace / "pwned").exists()


def test_bash_syntax_passes_the_policy_and_runs_in_bash(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    line = 'a=(1 2 3); [[ ${#a[@]} -eq 3 ]] && case x in x) echo "sum $((a[0] + a[2]))";; esac'
    fake.script(tool_call("execute_shell", {"command_line": line}), FINISH)
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True", "BASH_ENV": str(workspace / "unchecked.sh")}
    (workspace / "unchecked.sh").write_text("touch sourced\n")
    run = cli(GOAL, answers="y\ny\n", env=env)
    assert run.code == 0, run.out
    assert last_observation(fake.requests[1]) == "Exit code: 0\nsum 4\n"
    assert not (workspace / "sourced").exists()  # BASH_ENV would run a file the policy never saw


def test_allowlist_mode(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    env = agent_env | {
        "EXECUTE_LOCAL_COMMANDS": "True",
        "SHELL_COMMAND_CONTROL": "allowlist",
        "SHELL_ALLOWLIST": "ls,echo",
    }
    fake.script(
        tool_call("execute_shell", {"command_line": "ls | xargs rm"}),
        tool_call("execute_shell", {"command_line": "echo ok"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\n", env=env)
    assert run.code == 0, run.out
    assert "rm" in last_observation(fake.requests[1])
    assert last_observation(fake.requests[2]) == "Exit code: 0\nok\n"


def test_secrets_are_not_in_the_commands_environment(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "env"}), FINISH)
    run = cli(GOAL, answers="y\ny\n", env=agent_env | {"EXECUTE_LOCAL_COMMANDS": "True", "GITHUB_TOKEN": "ghp_x1"})
    assert run.code == 0, run.out
    observation = last_observation(fake.requests[1])
    assert "PATH=" in observation
    assert "OPENAI_API_KEY" not in observation and "ghp_x1" not in observation


def test_timeout_kills_the_command(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True", "SHELL_TIMEOUT_SECONDS": "0.5"}
    fake.script(tool_call("execute_shell", {"command_line": "sleep 20 & sleep 30; echo never"}), FINISH)
    run = cli(GOAL, answers="y\ny\n", env=env, timeout=20)
    assert run.code == 0, run.out
    assert "timed out after 0.5 s" in last_observation(fake.requests[1])


def test_huge_output_is_capped(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    code = "import sys\nsys.stdout.write('x' * 5_000_000)\nprint('END')"
    fake.script(tool_call("execute_python_code", {"code": code}), FINISH)
    run = cli(GOAL, answers="y\ny\n", env=agent_env | {"EXECUTE_LOCAL_COMMANDS": "True"})
    assert run.code == 0, run.out
    observation = last_observation(fake.requests[1])
    assert observation.endswith("END\n")
    assert len(observation) < 10_000


def test_python_file_with_arguments(cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]) -> None:
    (workspace / "greet.py").write_text("import sys\nprint('hello', *sys.argv[1:])\n")
    fake.script(
        tool_call("execute_python_file", {"filename": "greet.py", "args": ["Washington"]}),
        tool_call("execute_python_file", {"filename": "../greet.py"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\n", env=agent_env | {"AUTOGPT_IN_CONTAINER": "1"})
    assert run.code == 0, run.out
    assert last_observation(fake.requests[1]) == "Exit code: 0\nhello Washington\n"
    assert "refused" in last_observation(fake.requests[2])


GIT_TOOLS = ("git_status", "git_diff", "git_log", "git_commit", "git_branch", "git_checkout", "clone_repository")


def test_disabled_commands_are_hidden_and_unknown(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    fake.script(tool_call("execute_shell", {"command_line": "ls"}), FINISH)
    run = cli(GOAL, answers="y\n", env=agent_env | {"DISABLED_COMMANDS": "execute_code,ask_user"})
    assert run.code == 0, run.out
    names = {t["function"]["name"] for t in fake.requests[0]["tools"]}
    assert names == {
        *("read_file", "write_file", "replace_in_file", "edit_file", "list_folder", "search_files", "find_files"),
        *GIT_TOOLS,
        *("remember", "todo", "finish"),
    }
    assert "The tool 'execute_shell' is disabled by the user's settings" in last_observation(fake.requests[1])


def test_the_seeds_disabled_command_categories_take_module_paths(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    fake.script(tool_call("write_file", {"filename": "a.txt", "contents": "x"}), FINISH)
    categories = "autogpt.commands.execute_code, autogpt.commands.file_operations,user_interaction"
    run = cli(GOAL, answers="y\n", env=agent_env | {"DISABLED_COMMAND_CATEGORIES": categories})
    assert run.code == 0, run.out
    assert {t["function"]["name"] for t in fake.requests[0]["tools"]} == {*GIT_TOOLS, "remember", "todo", "finish"}
    assert "The tool 'write_file' is disabled" in last_observation(fake.requests[1])
    assert not (workspace / "a.txt").exists()
    assert run.out.count("Approve?") == 1


def test_an_unknown_command_category_is_a_configuration_error(cli, agent_env: dict[str, str]) -> None:
    run = cli(GOAL, env=agent_env | {"DISABLED_COMMAND_CATEGORIES": "autogpt.commands.teleport"})
    assert run.code == 2
    assert "DISABLED_COMMAND_CATEGORIES" in run.err and "autogpt.commands.teleport" in run.err


def test_replace_in_file_shows_a_diff_and_needs_a_unique_match(cli, fake: FakeOpenAI, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("city: Boston\nstate: MA\nstate: MA\n")
    fake.script(
        tool_call("replace_in_file", {"filename": "notes.txt", "old_text": "state: MA", "new_text": "state: DC"}),
        tool_call("replace_in_file", {"filename": "notes.txt", "old_text": "Boston", "new_text": "Washington"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\n")
    assert run.code == 0, run.out
    assert "occurs 2 times" in last_observation(fake.requests[1])
    assert "-city: Boston\n+city: Washington" in run.out
    assert (workspace / "notes.txt").read_text() == "city: Washington\nstate: MA\nstate: MA\n"
