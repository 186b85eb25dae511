"""Property tests (hypothesis) for the two checks everything else relies on: path confinement, and the shell policy
seeing every command of a line however it is nested. Examples are drawn from small grammars of the tricks that
matter (symlinks in and out, `..`, absolute paths, loops; pipelines, substitutions, control flow, wrappers, nested
shell strings), so a counterexample hypothesis finds is a real bypass, shrunk to its shortest form."""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autogpt_ls.tools.shell_policy import ShellCommandDenied, check_shell_command
from autogpt_ls.workspace import PathOutsideWorkspace, Workspace

SECRET = b"outside the workspace"
PARTS = [
    "a.txt", "sub", "b.txt", "deeper", "in", "out", "abs", "file_out", "loop", "data", "..", ".", "", "new",
    "outside", "secret.txt", "~", "sub2",
]  # fmt: skip
REFUSALS = (PathOutsideWorkspace, OSError, ValueError)
T = TypeVar("T")
FS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def tree_digest(folder: Path) -> str:
    """Every path and file content below `folder`, symlinks not followed."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder)):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            digest.update(str(path).encode())
            if path.is_file() and not path.is_symlink():
                digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Path]]:
    base = tmp_path_factory.mktemp("confine")
    root, outside, data = base / "root", base / "outside", base / "data"
    (root / "sub" / "deeper").mkdir(parents=True)
    outside.mkdir()
    data.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (data / "secret.txt").write_bytes(SECRET)
    (root / "a.txt").write_bytes(b"a")
    (root / "sub" / "b.txt").write_bytes(b"b")
    links = {"in": root / "sub", "out": outside, "abs": Path("/"), "file_out": outside / "secret.txt"}
    links |= {"data": data, "loop": root / "loop"}
    for name, target in links.items():
        (root / name).symlink_to(target)
    (root / "sub" / "sub2").symlink_to("../..")  # relative, leading out of the root
    yield Workspace(root, forbidden=(data,)), base


paths = st.builds(
    lambda prefix, parts: prefix + "/".join(parts),
    st.sampled_from(["", "/", "./", "ROOT/", "OUTSIDE/"]),
    st.lists(st.sampled_from(PARTS), min_size=1, max_size=6),
)


def concrete(path: str, base: Path) -> str:
    return path.replace("ROOT/", f"{base}/root/").replace("OUTSIDE/", f"{base}/outside/")


def inside(ws: Workspace, path: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(ws.root)  # realpath: a symlink loop is named, not raised


def attempt(operation: Callable[[str], T], path: str) -> T | None:
    """What a workspace operation gave, or None when it refused the path (a refusal is always a right answer)."""
    try:
        return operation(path)
    except REFUSALS:
        return None


@FS
@given(path=paths)
def test_resolve_never_leads_out(layout: tuple[Workspace, Path], path: str) -> None:
    ws, base = layout
    found = attempt(ws.resolve, concrete(path, base))
    assert found is None or inside(ws, found), found


@FS
@given(path=paths)
def test_a_read_never_returns_a_file_from_outside(layout: tuple[Workspace, Path], path: str) -> None:
    ws, base = layout
    assert attempt(ws.read_bytes, concrete(path, base)) != SECRET


@FS
@given(path=paths)
def test_a_write_never_lands_outside(layout: tuple[Workspace, Path], path: str) -> None:
    ws, base = layout
    before = tree_digest(base / "outside"), tree_digest(base / "data")
    try:
        relative = ws.write_bytes(concrete(path, base), b"written")
    except REFUSALS:
        return
    finally:
        assert (tree_digest(base / "outside"), tree_digest(base / "data")) == before
    assert inside(ws, ws.root / relative), relative


# -- the shell policy: a denied command anywhere in a line is found; a line of allowed commands is never refused


def nest(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`inner` placed in one of the places bash runs a command from."""
    templates = [
        "echo a; {}", "true && {}", "false || {}", "echo a | {}", "( {} ) | cat", "( {} )", "{{ {}; }}",
        "echo $( {} )", "cat <( {} )", "if true; then {}; fi", "if {}; then true; fi", "while false; do {}; done",
        "for i in 1 2; do {}; done", "case a in a) {};; esac", "f() {{ {}; }}", "[[ -f x ]] && {}",
        "x=$(( 1 + 2 )); {}", "a=(1 2); {}", "echo \"$( {} )\"", "cat <<EOF\n$( {} )\nEOF",
    ]  # fmt: skip
    quoted = ["sh -c {}", "bash -c {}", "eval {}"]
    return st.one_of(
        st.builds(lambda t, x: t.format(x), st.sampled_from(templates), inner),
        st.builds(lambda t, x: t.format(shlex.quote(x)), st.sampled_from(quoted), inner),
    )


def lines(leaves: list[str]) -> st.SearchStrategy[str]:
    """Simple commands, some run through a wrapper (only a simple command can follow one: `nohup ! x` runs a
    program named `!`; tree-sitter-bash cannot parse `! if ...` or `coproc case ...`, which are refused, failing
    closed), nested a few levels deep."""
    wrapped = st.builds(
        str.__add__,
        st.sampled_from(["", "nohup ", "timeout 5 ", "env A=1 ", "xargs ", "! ", "coproc "]),
        st.sampled_from(leaves),
    )
    return st.recursive(wrapped, nest, max_leaves=4)


WRAPPERS = ["echo", "true", "false", "cat", "sh", "bash", "eval", "nohup", "timeout", "env", "xargs", "[[", "f"]
POLICY = settings(max_examples=500, deadline=None)


@POLICY
@given(line=lines(["rm -rf /tmp/x", "/bin/rm x", "command rm x", "sudo rm x"]))
def test_a_denied_command_is_found_wherever_it_is_nested(line: str) -> None:
    with pytest.raises(ShellCommandDenied):
        check_shell_command(line, "denylist", [], ["rm"])


@POLICY
@given(line=lines(["ls -la", "echo hi", "cat f", "true"]))
def test_a_line_of_allowed_commands_is_allowed(line: str) -> None:
    check_shell_command(line, "allowlist", [*WRAPPERS, "ls", "coproc"], [])


@POLICY
@given(line=lines(["ls -la", "echo hi"]))
def test_allowlist_refuses_a_command_left_off_the_list(line: str) -> None:
    with pytest.raises(ShellCommandDenied, match=r"ls|echo"):
        check_shell_command(line, "allowlist", [n for n in WRAPPERS if n not in ("ls", "echo")], [])
