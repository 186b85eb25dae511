"""Staged commands at the edges, against the real engine: a workspace whose path holds the overlay options'
separators, mode-only changes, empty folders, symlinks (confined), and names with newlines or not UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_staging import APPROVE, FINISH, OWNER, command_then_review, listed, runtime, shell, tree

from autogpt_ls.agent.runtime import Runtime
from fakes.openai_server import FakeOpenAI

__all__ = ["runtime"]  # the fixture, shared
pytestmark = pytest.mark.timeout(900)  # each staged command creates a container: seconds to a minute on vfs storage

EDGES = "; ".join(
    [
        "chmod +x run.sh",  # the mode only: no text changes
        "mkdir -p made/empty/deep && rmdir gone && rm -r gone2",  # empty folders made and removed
        "ln -s run.sh inside-link && ln -s /etc/passwd abs-link && ln -s ../../escape rel-link",
        "echo sep > 'a,b:c.txt'",
        "echo nl > \"$(printf 'two\\nlines')\"",
        "echo bad > \"$(printf 'bad\\377name')\"",
        "rm -r dir2file && echo now-a-file > dir2file && rm file2dir && mkdir file2dir && echo in > file2dir/x",
    ]
)


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    """A workspace of another user whose own path holds `,` and `:` (the overlay's option separators)."""
    folder = tmp_path / "work,space:one"
    folder.mkdir()
    (folder / "run.sh").write_text("echo run\n")
    (folder / "gone").mkdir()
    (folder / "gone2" / "sub").mkdir(parents=True)
    (folder / "dir2file").mkdir()
    (folder / "dir2file" / "old.txt").write_text("old\n")
    (folder / "file2dir").write_text("a file\n")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, *OWNER)
    return folder


async def test_edges_are_staged_applied_or_left_out_with_a_reason(
    runtime: Runtime, fake: FakeOpenAI, odd: Path
) -> None:
    fake.script(shell(EDGES), FINISH)
    task = await runtime.new_task("edges", odd)
    assert task.config.stage_changes and task.config.staging_note == ""  # staging works on this path
    async with runtime.driving(task.id) as driver:
        _, review = await command_then_review(driver)
        output = driver.agent.steps()[0].result.output  # type: ignore[union-attr]
        assert "Exit code: 0" in output and "and 4 empty folder(s)" in output
        assert listed(review) == [
            ("a,b:c.txt", "created"),
            ("dir2file", "created"),
            ("dir2file/old.txt", "deleted"),
            ("file2dir", "deleted"),
            ("file2dir/x", "created"),
            ("inside-link", "created"),
            ("run.sh", "modified"),
            ("two\nlines", "created"),
        ]
        before = tree(odd)
        summary = review.step.proposal.thoughts  # type: ignore[union-attr]
        assert "modified run.sh (mode 644 -> 755)" in summary
        assert '  created "two\\nlines"\n' in summary  # on one line
        assert "created empty folder made/empty/deep/" in summary and "deleted empty folder gone2/sub/" in summary
        assert "2 symlinks pointing outside the workspace" in summary and "1 with a name that is not UTF-8" in summary
        assert "left out, never applied" in output
        assert tree(odd) == before  # nothing applied before the approval
        await driver.advance(APPROVE)
        result = driver.agent.steps()[1].result
        assert result is not None and result.ok, result
    assert (odd / "run.sh").stat().st_mode & 0o777 == 0o755 and (odd / "run.sh").read_text() == "echo run\n"
    assert os.readlink(odd / "inside-link") == "run.sh"
    assert (odd / "a,b:c.txt").read_text() == "sep\n" and (odd / "two\nlines").read_text() == "nl\n"
    assert (odd / "made/empty/deep").is_dir() and not any((odd / "made/empty/deep").iterdir())
    for name in (
        "made",
        "made/empty",
        "made/empty/deep",
        "a,b:c.txt",
        "two\nlines",
        "run.sh",
        "dir2file",
        "file2dir/x",
    ):
        st = (odd / name).lstat()
        assert (st.st_uid, st.st_gid) == OWNER, name
    assert (odd / "inside-link").lstat().st_uid == OWNER[0]
    assert not (odd / "gone").exists() and not (odd / "gone2").exists()
    assert (odd / "dir2file").read_text() == "now-a-file\n" and (odd / "file2dir/x").read_text() == "in\n"
    names = sorted(os.listdir(odd))
    expected = ["a,b:c.txt", "dir2file", "file2dir", "inside-link", "made", "run.sh", "two\nlines"]
    assert names == expected  # no outside link, no bad name
