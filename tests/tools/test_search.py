"""search_files, find_files and edit_file on a real tree: .gitignore at two levels, .git, a binary file, symlinks
inside and leading out, a forbidden file; bad regexes and edits that do not match refuse and write nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autogpt_ls.executors.local import LocalExecutor
from autogpt_ls.tools import ripgrep
from autogpt_ls.tools.base import Tool, ToolContext, ToolRefused
from autogpt_ls.tools.files import edit_file, list_folder
from autogpt_ls.tools.search import MAX_MATCHES, find_files, search_files
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace


@pytest.fixture(params=["ripgrep", "python"], autouse=True)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Each test runs with ripgrep listing the candidates, and with the Python walk alone; what ripgrep answered
    is recorded (True: it listed the files, False: it stepped aside)."""
    answered: list[bool] = []
    if request.param == "python":
        monkeypatch.setattr(ripgrep, "installed", lambda: None)
    elif ripgrep.installed() is None:
        pytest.skip(os.environ.get("AUTOGPT_RIPGREP_UNAVAILABLE", "ripgrep (rg) is not installed"))
    real = ripgrep.candidates

    async def spy(*args: Any) -> list[str] | None:
        listed = await real(*args)
        answered.append(listed is not None)
        return listed

    monkeypatch.setattr(ripgrep, "candidates", spy)
    yield answered
    if request.param == "python":
        assert not any(answered)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root, outside = tmp_path / "ws", tmp_path / "outside"
    for path, text in {
        "src/app.py": "import os\n\ndef main():\n    return 'needle'\n",
        "src/util.py": "NEEDLE = 1\n",
        "src/gen/out.py": "needle generated\n",
        "src/gen/keep.py": "needle kept\n",
        "src/.gitignore": "gen/*\n!gen/keep.py\n",
        "docs/guide.md": "a needle in docs\n",
        "build/bundle.js": "needle in build\n",
        "debug.log": "needle in a log\n",
        ".gitignore": "build/\n*.log\n",
        ".git/config": "needle in git\n",
        "secret/token.txt": "needle secret\n",
        "../outside/leak.txt": "needle outside\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "image.bin").write_bytes(b"needle\0\x89PNG")
    os.symlink(outside / "leak.txt", root / "leak.txt")
    os.symlink(outside, root / "out")
    os.symlink(root / "src" / "util.py", root / "alias.py")
    return root


def context(root: Path) -> ToolContext:
    workspace = Workspace(root, forbidden=(root / "secret",))
    return ToolContext(executor=LocalExecutor(workspace, allow_commands=False))


async def call(tool: Tool, root: Path, **arguments: object) -> str:
    ctx = context(root)
    args = tool.validate(arguments)
    tool.check(ctx, args)
    result = await tool.run(ctx, args)
    assert result.ok
    return result.output


async def test_search_honours_gitignore_and_skips_git_binary_forbidden_and_outside(
    tree: Path, engine: list[bool], request: pytest.FixtureRequest
) -> None:
    os.symlink(tree / "src", tree / "src-link")  # a symlinked folder inside: not descended
    out = await call(search_files, tree, pattern="(?i)needle")
    assert engine == [request.node.callspec.params["engine"] == "ripgrep"]
    assert out.splitlines() == [
        "5 matches in 5 files:",
        "alias.py:1: NEEDLE = 1",  # a symlink that stays inside is read
        "docs/guide.md:1: a needle in docs",
        "src/app.py:4:     return 'needle'",
        "src/gen/keep.py:1: needle kept",  # re-included by src/.gitignore's `!gen/keep.py`
        "src/util.py:1: NEEDLE = 1",
    ]


async def test_search_in_a_folder_with_a_glob(tree: Path) -> None:
    assert (await call(search_files, tree, pattern=r"def \w+", path="src", glob="*.py")).splitlines() == [
        "1 matches in 1 files:",
        "src/app.py:3: def main():",
    ]
    assert await call(search_files, tree, pattern="needle", glob="*.md") == (
        "1 matches in 1 files:\ndocs/guide.md:1: a needle in docs"
    )
    assert await call(search_files, tree, pattern="nowhere") == "No matches for 'nowhere'."


async def test_a_pattern_ripgrep_does_not_know_is_searched_by_the_walk(tree: Path, engine: list[bool]) -> None:
    out = await call(search_files, tree, pattern=r"(?<=return )'needle'")  # look-behind: Python's re only
    assert out == "1 matches in 1 files:\nsrc/app.py:4:     return 'needle'"
    assert engine == [False]


async def test_a_tree_that_is_not_a_git_repository_nor_sees_ignore_files_above_it(tree: Path) -> None:
    (tree.parent / ".gitignore").write_text("ws/docs/\n")  # above the workspace: not its rules
    (tree / ".ignore").write_text("src/\n")  # ripgrep's own ignore files: not .gitignore
    out = await call(search_files, tree, pattern="needle", path="docs")
    assert out == "1 matches in 1 files:\ndocs/guide.md:1: a needle in docs"
    assert "src/util.py" in await call(search_files, tree, pattern="NEEDLE")


async def test_search_caps_the_lines_shown_and_counts_them_all(tree: Path) -> None:
    (tree / "many.txt").write_text("hit\n" * (MAX_MATCHES + 50))
    out = await call(search_files, tree, pattern="^hit$")
    assert out.startswith(f"{MAX_MATCHES + 50} matches in 1 files (showing the first {MAX_MATCHES}):\n")
    assert len(out.splitlines()) == MAX_MATCHES + 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"pattern": "foo("}, "'foo(' is not a valid regular expression: missing ), unterminated subpattern"),
        ({"pattern": "x", "path": "nope"}, "'nope' is not a folder of the workspace"),
        ({"pattern": "x", "path": "src/app.py"}, "is not a folder"),
    ],
)
async def test_search_refusals(tree: Path, arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ToolRefused, match=re.escape(message)):
        search_files.check(context(tree), search_files.validate(arguments))


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [(search_files, {"pattern": "x"}), (find_files, {"glob": "*"}), (list_folder, {})],
)
@pytest.mark.parametrize("folder", ["nope", "src/app.py"])
async def test_a_folder_argument_that_is_no_folder_is_refused_alike(
    tree: Path, tool: Tool, arguments: dict[str, str], folder: str
) -> None:
    """The three tools that take a folder refuse a missing one, or a file, with the same words."""
    named = arguments | {"folder" if tool is list_folder else "path": folder}
    with pytest.raises(ToolRefused, match=f"^{re.escape(repr(folder))} is not a folder of the workspace.$"):
        tool.check(context(tree), tool.validate(named))


@pytest.mark.parametrize("path", ["..", "out", "secret"])
async def test_search_outside_the_workspace_is_refused(tree: Path, path: str) -> None:
    with pytest.raises(PathOutsideWorkspace):
        search_files.check(context(tree), search_files.validate({"pattern": "x", "path": path}))


async def test_find_files(tree: Path) -> None:
    assert (await call(find_files, tree, glob="*.py")).splitlines() == [
        "4 files:",
        "alias.py",
        "src/app.py",
        "src/gen/keep.py",
        "src/util.py",
    ]
    assert await call(find_files, tree, glob="src/**/*.py", path="src/gen") == "1 files:\nsrc/gen/keep.py"
    assert "leak.txt" not in await call(find_files, tree, glob="*.txt")  # it leads out
    assert await call(find_files, tree, glob="*.rs") == "No files match '*.rs'."


async def test_edit_file_applies_every_edit_as_one_change(tree: Path) -> None:
    ctx = context(tree)
    edits = [{"old_text": "import os", "new_text": "import sys"}, {"old_text": "'needle'", "new_text": "'pin'"}]
    args = edit_file.validate({"filename": "src/app.py", "edits": edits})
    edit_file.check(ctx, args)
    preview = edit_file.preview(ctx, args)
    assert preview is not None and [f.path for f in preview.files] == ["src/app.py"]  # type: ignore[union-attr]
    result = await edit_file.run(ctx, args)
    assert result.ok and result.files == ["src/app.py"]
    assert (tree / "src/app.py").read_text() == "import sys\n\ndef main():\n    return 'pin'\n"


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            [{"old_text": "import os", "new_text": "x"}, {"old_text": "absent", "new_text": "y"}],
            "Edit 2 of 2: its old_text occurs 0 times",
        ),
        ([{"old_text": "e", "new_text": "x"}], "Edit 1 of 1: its old_text occurs 5 times"),
        ([{"old_text": "", "new_text": "x"}], "Edit 1 of 1: its old_text is empty"),
        ([{"old_text": "os", "new_text": "sys"}, {"old_text": "import os", "new_text": "z"}], "Edit 2 of 2"),
        ([], "at least one"),
    ],
)
async def test_edit_file_that_does_not_match_names_the_edit_and_writes_nothing(
    tree: Path, edits: list[dict[str, str]], message: str
) -> None:
    before = (tree / "src/app.py").read_text()
    ctx = context(tree)
    args = edit_file.validate({"filename": "src/app.py", "edits": edits})
    with pytest.raises(ToolRefused, match=message):
        edit_file.check(ctx, args)
    with pytest.raises(ToolRefused, match=message):  # also at run time, should the file change after the check
        await edit_file.run(ctx, args)
    assert (tree / "src/app.py").read_text() == before


def test_nested_models_are_inlined_in_the_schema() -> None:
    schema = edit_file.schema()
    assert "$defs" not in str(schema)
    assert schema["properties"]["edits"]["items"]["required"] == ["old_text", "new_text"]
