"""search_files, find_files and edit_file through the real CLI, the real openai SDK and the loopback fake: what
the agent reads comes back to the LLM, an edit is one diff approved once, and an edit that does not match is
refused before the human is asked, with nothing written."""

from __future__ import annotations

from pathlib import Path

from test_run import FINISH, GOAL, last_observation

from fakes.openai_server import FakeOpenAI, tool_call

APP = "import os\n\n\ndef main():\n    return os.getcwd()\n"


def project(workspace: Path) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text(APP)
    (workspace / "src" / "notes.txt").write_text("main is in app.py\n")
    (workspace / "build").mkdir()
    (workspace / "build" / "app.py").write_text("def main(): pass\n")
    (workspace / ".gitignore").write_text("build/\n")


def test_search_find_and_edit(cli, fake: FakeOpenAI, workspace: Path) -> None:
    project(workspace)
    edits = [
        {"old_text": "import os", "new_text": "from pathlib import Path"},
        {"old_text": "return os.getcwd()", "new_text": "return str(Path.cwd())"},
    ]
    fake.script(
        tool_call("search_files", {"pattern": r"def main\(", "glob": "*.py"}),
        tool_call("find_files", {"glob": "*.py"}),
        tool_call("edit_file", {"filename": "src/app.py", "edits": edits}),
        FINISH,
    )
    run = cli(GOAL, answers="y\ny\ny\ny\n")
    assert run.code == 0, run.err
    assert last_observation(fake.requests[1]) == "1 matches in 1 files:\nsrc/app.py:4: def main():"
    assert last_observation(fake.requests[2]) == "1 files:\nsrc/app.py"  # build/ is ignored
    assert last_observation(fake.requests[3]) == "Made 2 edits in src/app.py."
    assert (workspace / "src" / "app.py").read_text() == (
        "from pathlib import Path\n\n\ndef main():\n    return str(Path.cwd())\n"
    )
    assert (
        "-import os" in run.out and "+from pathlib import Path" in run.out and "+    return str(Path.cwd())" in run.out
    )
    assert run.out.count("Approve?") == 4
    assert {"search_files", "find_files", "edit_file"} <= {t["function"]["name"] for t in fake.requests[0]["tools"]}


def test_an_edit_that_does_not_match_writes_nothing(cli, fake: FakeOpenAI, workspace: Path) -> None:
    project(workspace)
    edits = [{"old_text": "import os", "new_text": "import sys"}, {"old_text": "os.getcwdb()", "new_text": "x"}]
    fake.script(
        tool_call("edit_file", {"filename": "src/app.py", "edits": edits}),
        tool_call("search_files", {"pattern": "(unclosed"}),
        FINISH,
    )
    run = cli(GOAL, answers="y\n")
    assert run.code == 0, run.err
    assert "Edit 2 of 2: its old_text occurs 0 times in 'src/app.py'" in last_observation(fake.requests[1])
    assert "'(unclosed' is not a valid regular expression" in last_observation(fake.requests[2])
    assert (workspace / "src" / "app.py").read_text() == APP
    assert run.out.count("Approve?") == 1  # only finish was asked: the refused calls never reached the human
