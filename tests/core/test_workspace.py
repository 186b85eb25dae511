"""Path confinement, the one check every tool's file access goes through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autogpt_ls.workspace import PathOutsideWorkspace, Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "out").symlink_to(tmp_path / "outside")
    (root / "in").symlink_to(root / "sub")
    (tmp_path / "data").mkdir()
    (root / "data").symlink_to(tmp_path / "data")
    return Workspace(root, forbidden=(tmp_path / "data",))


@pytest.mark.parametrize(
    "path",
    ["../x", "sub/../../x", "/etc/passwd", "a\x00b", "out/x", "out", "data/db.sqlite3", "sub/../out/../../x"],
)
def test_refused(ws: Workspace, path: str) -> None:
    with pytest.raises(PathOutsideWorkspace):
        ws.resolve(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a.txt", "a.txt"), ("sub/../a.txt", "a.txt"), ("in/b.txt", "sub/b.txt"), (".", "."), ("./sub/", "sub")],
)
def test_allowed(ws: Workspace, path: str, expected: str) -> None:
    assert ws.relative(ws.resolve(path)) == expected


def test_absolute_path_inside_is_allowed(ws: Workspace) -> None:
    assert ws.resolve(str(ws.root / "sub" / "c.txt")) == ws.root / "sub" / "c.txt"


def test_root_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Workspace(tmp_path / "missing")


# Every operation walks its path itself (safe_fs.Walk), so the same rules hold for reads, writes and listings.
def test_reads_writes_and_listings_through_a_symlink_out_are_refused(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "outside" / "canary.txt").write_text("HOST SECRET")
    for operation in (
        lambda: ws.read_text("out/canary.txt"),
        lambda: ws.write_bytes("out/new.txt", b"pwned"),
        lambda: ws.write_bytes("out/deeper/new.txt", b"pwned"),
        lambda: ws.listdir("out"),
        lambda: ws.listdir("out/"),
    ):
        with pytest.raises(PathOutsideWorkspace, match=r"through a symlink to .*outside"):
            operation()
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["canary.txt"]


def test_a_symlink_inside_is_followed_to_its_real_path(ws: Workspace) -> None:
    assert ws.write_bytes("in/b.txt", b"inside") == "sub/b.txt"
    assert ws.read_text("in/b.txt") == "inside"
    (ws.root / "b-link.txt").symlink_to("sub/b.txt")  # a final component too, relative target
    assert ws.write_bytes("b-link.txt", b"again") == "sub/b.txt"
    assert (ws.root / "sub" / "b.txt").read_text() == "again" and (ws.root / "b-link.txt").is_symlink()
    assert ws.listdir("in") == ("sub", [("b.txt", False)])


def test_dotdot_through_a_symlink_cannot_climb_out(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / "up").symlink_to("..")
    for path in ("in/../../x.txt", "up/x.txt", "up/root/../../x.txt"):
        with pytest.raises(PathOutsideWorkspace, match="through a symlink"):
            ws.write_bytes(path, b"pwned")
    assert not (tmp_path / "x.txt").exists()


def test_a_final_symlink_out_is_refused_for_writes_even_when_dangling(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "outside" / "host.txt").write_text("host")
    (ws.root / "final.txt").symlink_to(tmp_path / "outside" / "host.txt")
    (ws.root / "dangling.txt").symlink_to(tmp_path / "outside" / "created.txt")
    for name in ("final.txt", "dangling.txt"):
        with pytest.raises(PathOutsideWorkspace, match="through a symlink"):
            ws.write_bytes(name, b"pwned")
    assert (tmp_path / "outside" / "host.txt").read_text() == "host"
    assert not (tmp_path / "outside" / "created.txt").exists()


def test_writes_create_missing_folders_but_none_in_the_data_folder(ws: Workspace) -> None:
    assert ws.write_bytes("a/b/c.txt", b"x") == "a/b/c.txt" and (ws.root / "a/b/c.txt").read_bytes() == b"x"
    (ws.root / "store").mkdir()
    (ws.root / "sub" / "to-store").symlink_to("../store")
    guarded = Workspace(ws.root, forbidden=(ws.root / "store",))
    for path in ("store/logs/x.txt", "sub/to-store/x.txt"):
        with pytest.raises(PathOutsideWorkspace, match="own data folder"):
            guarded.write_bytes(path, b"x")
    assert list((ws.root / "store").iterdir()) == []


def test_a_symlink_loop_and_a_fifo_are_errors_not_hangs(ws: Workspace) -> None:
    (ws.root / "loop1").symlink_to("loop2")
    (ws.root / "loop2").symlink_to("loop1")
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        ws.read_text("loop1/x")
    # naming a path through a loop is refused too: past the symlink budget, `..` must not walk on from a guess
    # (`loop1/../out` named out's symlink to the outside as if it were inside; found by test_properties.py)
    for path in ("loop1/../out", "loop1/../out/secret", "loop1/../a.txt"):
        with pytest.raises(OSError, match="Too many levels of symbolic links"):
            ws.resolve(path)
    os.mkfifo(ws.root / "pipe")
    with pytest.raises(OSError, match="not a regular file"):
        ws.read_text("pipe")
    with pytest.raises(IsADirectoryError):
        ws.read_text("sub")


@pytest.mark.parametrize("path", [".git/hooks/pre-commit", ".git/config", "sub/.git/config", "tog/config", ".git"])
def test_no_git_folder_is_reached(tmp_path: Path, path: str) -> None:
    """A hook or config planted by a file tool would run the next time the user runs git."""
    root = tmp_path / "repo"
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "sub" / ".git").mkdir(parents=True)
    (root / "tog").symlink_to(root / ".git")
    ws = Workspace(root)
    with pytest.raises(PathOutsideWorkspace, match=r"\.git folder"):
        ws.write_bytes(path, b"#!/bin/sh\ntouch /tmp/planted\n")
    with pytest.raises(PathOutsideWorkspace):
        ws.read_bytes(path)
    assert (root / ".git" / "config").read_text() == "[core]\n"
    assert not (root / ".git" / "hooks" / "pre-commit").exists()
    assert ws.write_bytes("src/.gitignore", b"*.log\n") == "src/.gitignore"  # only .git itself is out of reach
