"""Path confinement, the one check every tool's file access goes through."""

from __future__ import annotations

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
