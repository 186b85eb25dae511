"""Copy mode's host half without an engine: which engines get a copied workspace, and the unpacking of what an
engine sends back, which must never write outside the folder it is given (the container is untrusted)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from autogpt_ls.executors import copy_tree
from autogpt_ls.executors.copy_tree import Refused, unpack_one
from autogpt_ls.executors.sandbox_copy import workspace_mode


@pytest.mark.parametrize(
    ("setting", "host", "mode"),
    [
        ("auto", "", "bind"),
        ("auto", "unix:///var/run/docker.sock", "bind"),
        ("auto", "tcp://10.0.0.5:2376", "copy"),
        ("auto", "ssh://builder@engine.example", "copy"),
        ("bind", "tcp://10.0.0.5:2376", "bind"),
        ("copy", "", "copy"),
    ],
)
def test_auto_copies_for_a_remote_engine_and_binds_for_a_local_one(setting: str, host: str, mode: str) -> None:
    assert workspace_mode(setting, host) == mode


def test_auto_reads_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2376")
    assert workspace_mode("auto") == "copy"
    monkeypatch.delenv("DOCKER_HOST")
    assert workspace_mode("auto") == "bind"


def archive(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


@pytest.fixture
def upper(tmp_path: Path) -> Path:
    folder = tmp_path / "box" / "upper"
    folder.mkdir(parents=True)
    return folder


def test_a_file_is_unpacked_at_its_path_with_its_mode(upper: Path) -> None:
    info = member("run.sh")
    info.mode = 0o755
    unpack_one(archive((info, b"echo hi\n")), "bin/run.sh", upper, 1000)
    assert (upper / "bin" / "run.sh").read_bytes() == b"echo hi\n"
    assert os.stat(upper / "bin" / "run.sh").st_mode & 0o777 == 0o755


@pytest.mark.parametrize(
    ("rel", "members"),
    [
        ("a.txt", [(member("../a.txt"), b"x")]),  # a name climbing out
        ("a.txt", [(member("/tmp/a.txt"), b"x")]),  # an absolute name
        ("a.txt", [(member("a.txt"), b"x"), (member("b.txt"), b"y")]),  # more than the one file asked for
        ("a.txt", [(member("a.txt", tarfile.LNKTYPE, "/etc/passwd"), b"")]),  # a hard link
        ("a.txt", [(member("a.txt", tarfile.CHRTYPE), b"")]),  # a device
        ("../a.txt", [(member("a.txt"), b"x")]),  # a path the container's scan should never name
        ("/abs/a.txt", [(member("a.txt"), b"x")]),
        ("big.bin", [(member("big.bin"), b"x" * 1001)]),  # over the size limit
    ],
)
def test_what_is_not_the_one_file_asked_for_is_refused(upper: Path, rel: str, members: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(Refused):
        unpack_one(archive(*members), rel, upper, 1000)
    assert [p.name for p in upper.parent.parent.rglob("*") if p.is_file()] == []


def test_a_symlink_unpacked_earlier_cannot_carry_a_later_file_outside(upper: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    unpack_one(archive((member("d", tarfile.SYMTYPE, str(outside)), b"")), "d", upper, 1000)
    assert os.readlink(upper / "d") == str(outside)  # kept as a link: overlay_scan judges where it points
    with pytest.raises(Refused):
        unpack_one(archive((member("evil.txt"), b"x")), "d/evil.txt", upper, 1000)
    assert list(outside.iterdir()) == []


def test_manifests_name_what_changed_on_one_side(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (root / "data").mkdir()
    (root / "data" / "store.db").write_text("secret")
    before = copy_tree.host_manifest(root, skip=(root / "data",))
    assert sorted(before) == ["a.txt", "sub", "sub/b.txt"]  # the skipped folder is not listed, so never uploaded
    (root / "a.txt").write_text("changed")
    os.utime(root / "a.txt", ns=(1, 1))  # a different mtime whatever the clock's resolution
    (root / "sub" / "b.txt").unlink()
    (root / "c.txt").write_text("c")
    assert copy_tree.changed(before, copy_tree.host_manifest(root, skip=(root / "data",))) == (
        ["a.txt", "c.txt"],
        ["sub/b.txt"],
    )
