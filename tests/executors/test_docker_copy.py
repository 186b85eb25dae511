"""Copy mode (SANDBOX_WORKSPACE=copy) against the real engine: the workspace lives in a volume of the container,
never bind-mounted; each command's changes come back to the host, host edits reach the next command, what must not
come back (.git, a symlink leading outside) stays out and is put back in the container, staged tasks get a change
set to review, another process adopts the container with its files, and a remote engine (a second dockerd over
TLS) gets a copied workspace with the default settings."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from remote_engine import RemoteEngine
from sandbox_helpers import small_sandbox, task_containers
from test_sandbox_adopt import elsewhere

from autogpt_ls.executors.docker import DockerExecutor
from autogpt_ls.executors.sandbox_copy import workspace_mode
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.executors.staging import Stager
from autogpt_ls.settings import Settings

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
async def copied(
    docker_client: object, workspace: Path, request: pytest.FixtureRequest
) -> AsyncIterator[DockerExecutor]:
    (workspace / "keep.txt").write_text("kept\n")
    (workspace / "edit.txt").write_text("old\n")
    (workspace / "gone.txt").write_text("bye\n")
    (workspace / "sub").mkdir()
    (workspace / "sub" / "deep.txt").write_text("deep\n")
    executor = small_sandbox(workspace, request, workspace_mode="copy")
    yield executor
    await executor.close()


async def sh(sandbox: DockerExecutor, line: str) -> str:
    result = await sandbox.run(shell_argv(line), timeout=60)
    assert result.exit_code == 0, result.output
    return result.output


def in_box(sandbox: DockerExecutor, line: str) -> str:
    """A line run straight in the container (no sync either way): what its copy holds now."""
    assert sandbox._container is not None
    out: bytes = sandbox._container.exec_run(["sh", "-c", line], user=sandbox.user).output
    return out.decode()


async def test_the_workspace_is_a_volume_and_a_commands_changes_come_back(copied: DockerExecutor) -> None:
    root = copied.workspace.root
    line = "cat keep.txt sub/deep.txt; echo new > edit.txt; rm gone.txt; mkdir -p made/x && echo m > made/x/m.txt"
    out = await sh(copied, line + "; chmod +x keep.txt; mkdir empty")
    assert out.startswith("kept\ndeep\n") and "[sandbox] copied back 4 changed file(s)" in out, out
    assert copied._container is not None
    copied._container.reload()
    mounts = copied._container.attrs["Mounts"]
    assert [m["Type"] for m in mounts if m["Destination"] == str(root)] == ["volume"], mounts
    assert not any(m["Type"] == "bind" for m in mounts), mounts
    assert (root / "edit.txt").read_text() == "new\n" and not (root / "gone.txt").exists()
    assert (root / "made" / "x" / "m.txt").read_text() == "m\n" and (root / "empty").is_dir()
    assert os.stat(root / "keep.txt").st_mode & 0o111
    (root / "host-only.txt").write_text("not pushed yet\n")  # a copy, not a mount: the container cannot see it yet
    assert "No such file" in in_box(copied, f"cat {root}/host-only.txt 2>&1")


async def test_host_edits_between_commands_reach_the_next_command(copied: DockerExecutor) -> None:
    root = copied.workspace.root
    await sh(copied, "true")
    (root / "edit.txt").write_text("edited on the host\n")  # as write_file does
    (root / "sub" / "deep.txt").unlink()
    (root / "sub" / "new.txt").write_text("fresh\n")
    out = await sh(copied, "cat edit.txt sub/new.txt; ls sub")
    assert out.splitlines()[:3] == ["edited on the host", "fresh", "new.txt"], out
    assert "copied back" not in out  # what was pushed does not come back as the command's change


async def test_what_must_not_come_back_stays_out_and_is_put_back_in_the_container(
    copied: DockerExecutor, tmp_path: Path
) -> None:
    root = copied.workspace.root
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    line = (
        f"ln -s {outside} out; ln -s /etc/passwd leak; ln -s .. up; echo evil > .git/hooks-pre-commit; "
        "echo '[evil]' >> .git/config; ln -s keep.txt inside; echo ok > fine.txt"
    )
    out = await sh(copied, line)
    assert "left out, never applied" in out and "inside .git" in out and "symlinks pointing outside" in out, out
    assert (root / "fine.txt").read_text() == "ok\n" and os.readlink(root / "inside") == "keep.txt"
    for name in ("out", "leak", "up", ".git/hooks-pre-commit"):
        assert not os.path.lexists(root / name), name
    assert (root / ".git" / "config").read_text() == "[core]\n" and list(outside.iterdir()) == []
    await sh(copied, "true")  # the push before it put the host's version back in the container
    listing = in_box(copied, f"cd {root} && ls -a . .git && cat .git/config")
    assert "leak" not in listing and "hooks-pre-commit" not in listing and "[evil]" not in listing, listing
    assert "fine.txt" in listing


async def test_a_staged_task_gets_a_change_set_and_a_rejected_one_is_undone_in_the_container(
    copied: DockerExecutor, tmp_path: Path
) -> None:
    root = copied.workspace.root
    copied.stager = Stager(copied, tmp_path / "stages")
    out = await sh(copied, "echo staged > edit.txt; rm gone.txt; echo n > n.txt")
    assert "changed 3 file(s) on a staged copy" in out, out
    assert (root / "edit.txt").read_text() == "old\n" and (root / "gone.txt").exists()  # nothing applied yet
    stage = copied.stager.take()
    assert stage is not None
    preview = copied.stager.preview(stage)
    assert preview is not None
    assert {(f.path, f.change) for f in preview.files} == {
        ("edit.txt", "modified"),
        ("gone.txt", "deleted"),
        ("n.txt", "created"),
    }
    assert next(f for f in preview.files if f.path == "edit.txt").after == "staged\n"
    copied.stager.apply(stage)
    assert (root / "edit.txt").read_text() == "staged\n" and not (root / "gone.txt").exists()
    assert (root / "n.txt").read_text() == "n\n"

    await sh(copied, "echo rejected > edit.txt; echo r > r.txt")
    stage = copied.stager.take()
    assert stage is not None
    copied.stager.discard(stage)
    out = await sh(copied, "cat edit.txt; ls")
    assert out.splitlines()[0] == "staged" and "r.txt" not in out and "n.txt" in out, out
    assert (root / "edit.txt").read_text() == "staged\n" and not (root / "r.txt").exists()


async def test_a_change_set_left_undecided_goes_with_the_task(copied: DockerExecutor, tmp_path: Path) -> None:
    copied.stager = Stager(copied, tmp_path / "stages")
    await sh(copied, "echo undecided > u.txt")
    assert (tmp_path / "stages" / copied.task_id).is_dir()
    await copied.close()  # the task ends before anyone decided: its stage folder goes too
    assert not (tmp_path / "stages" / copied.task_id).exists() and not (copied.workspace.root / "u.txt").exists()


async def test_another_process_adopts_the_copy_and_a_bind_sandbox_replaces_it(
    copied: DockerExecutor, docker_client: object, request: pytest.FixtureRequest
) -> None:
    root = copied.workspace.root
    await sh(copied, "echo from-a > a.txt")
    [first] = task_containers(docker_client, copied.task_id)
    (root / "edit.txt").write_text("host edit while nobody synced\n")
    b = elsewhere(copied, "cat a.txt edit.txt; echo from-b > b.txt", copied.saved_shell(), workspace_mode="copy")
    assert b["exit_code"] == 0 and b["container"] == first.id, b  # type: ignore[attr-defined]
    assert b["output"].startswith("from-a\nhost edit while nobody synced\n"), b
    assert (root / "b.txt").read_text() == "from-b\n"  # the adopter brought its command's change back

    bind = small_sandbox(root, request)
    try:
        out = await sh(bind, "cat b.txt")
        assert out.startswith("[sandbox] the task's container was made with other settings (files)"), out
        assert bind._container is not None and bind._container.id != first.id  # type: ignore[attr-defined]
        bind._container.reload()
        mounts = bind._container.attrs["Mounts"]
        assert [m["Type"] for m in mounts if m["Destination"] == str(root)] == ["bind"], json.dumps(mounts)
    finally:
        await bind.close()


async def test_a_remote_engine_gets_a_copied_workspace_with_the_default_settings(
    on_remote_engine: RemoteEngine,
    docker_client: object,
    workspace: Path,
    data_dir: Path,
    request: pytest.FixtureRequest,
) -> None:
    settings = Settings(smart_llm="openai/gpt-4o-mini", openai_api_key="k", data_dir=data_dir)
    assert settings.sandbox_workspace == "auto" and workspace_mode(settings.sandbox_workspace) == "copy"
    (workspace / "edit.txt").write_text("old\n")
    remote = small_sandbox(workspace, request, workspace_mode=workspace_mode(settings.sandbox_workspace))
    root = remote.workspace.root
    try:
        out = await sh(remote, "cat edit.txt; echo over-tls > edit.txt; mkdir -p d && echo n > d/n.txt")
        assert out.startswith("old\n") and "copied back 2 changed file(s)" in out, out
        assert (root / "edit.txt").read_text() == "over-tls\n" and (root / "d" / "n.txt").read_text() == "n\n"
        assert task_containers(docker_client, remote.task_id) == []  # not on the main engine: on the TLS one
        assert remote._container is not None
        remote._container.reload()
        mounts = remote._container.attrs["Mounts"]
        assert [m["Type"] for m in mounts] == ["volume"] and mounts[0]["Destination"] == str(root), mounts
        (root / "d" / "n.txt").unlink()
        (root / "host.txt").write_text("from the host\n")
        out = await sh(remote, "cat host.txt; ls d | wc -l")
        assert out.splitlines()[:2] == ["from the host", "0"], out
    finally:
        await remote.close()


async def test_large_files_go_in_streamed_and_one_over_the_limit_stays_in_the_container(
    copied: DockerExecutor,
) -> None:
    root = copied.workspace.root
    big = os.urandom(1 << 20) * 40  # 40 MiB: past the upload's in-memory spool
    (root / "big.bin").write_bytes(big)
    out = await sh(copied, "sha256sum big.bin; head -c 70000000 /dev/zero > huge.bin; echo small > s.txt")
    assert out.split()[0] == hashlib.sha256(big).hexdigest(), out
    assert "files over 64 MiB" in out and "copied back 1 changed file(s)" in out, out
    assert (root / "s.txt").read_text() == "small\n" and not (root / "huge.bin").exists()
    out = await sh(copied, "stat -c %s huge.bin")  # kept in the sandbox for the commands that need it
    assert out.startswith("70000000\n"), out
