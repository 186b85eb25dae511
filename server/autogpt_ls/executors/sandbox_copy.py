"""Copy mode: the sandbox's workspace is a volume of its own container, for an engine that cannot see this machine's
folders (DOCKER_HOST on another machine, over TCP with TLS or SSH), so nothing is bind-mounted.

The workspace is uploaded (put_archive) when the container starts. Before each command what changed on the host
since the last sync (the agent's file tools write there) is pushed; after it, a walk in the container (a line to the
task's shell when it can: copy_box) lists what the command changed and get_archive brings those files back. They
come back as a change set (overlay_scan's Scanner on a folder of the downloads): applied to the workspace through
overlay_apply's confined, all-or-nothing writes, or, when the task stages changes, kept as a stage for review
(staging's Stager). What is not applied (inside .git, names that are not UTF-8, symlinks leading outside, a
conflict, a rejected change set) is put back to the host's version in the container before the next command, so the
container stays a copy of the workspace; a file over the size limit stays in the container only. An adopter (another
process that drives the task next) starts from both sides' contents compared and pushes what differs: the host is
the truth.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autogpt_ls.executors import copy_box, copy_tree, overlay_apply
from autogpt_ls.executors.base import CommandResult
from autogpt_ls.executors.copy_tree import Manifest
from autogpt_ls.executors.overlay_scan import GIT, Scan, Scanner
from autogpt_ls.executors.sandbox_container import LABEL, OWNER
from autogpt_ls.executors.shell_state import shell_line

if TYPE_CHECKING:
    from docker.models.containers import Container

    from autogpt_ls.executors.docker import DockerExecutor

WorkspaceMode = Literal["copy", "bind"]
MAX_FILE_BYTES = 64 << 20  # a larger file a command wrote stays in the container
MAX_PULL_BYTES = 512 << 20  # per command
LARGE = f"files over {MAX_FILE_BYTES >> 20} MiB, or past {MAX_PULL_BYTES >> 20} MiB per command (kept in the sandbox)"


def workspace_mode(setting: str, docker_host: str | None = None) -> WorkspaceMode:
    """SANDBOX_WORKSPACE: `auto` binds for a local engine (DOCKER_HOST unset or unix://), copies for any other."""
    if setting in ("copy", "bind"):
        return setting  # type: ignore[return-value]
    host = os.environ.get("DOCKER_HOST", "") if docker_host is None else docker_host
    return "bind" if host == "" or host.startswith("unix://") else "copy"


class CopySync:
    """One task's workspace kept in step with its container's copy."""

    def __init__(self, sandbox: DockerExecutor) -> None:
        self.sb = sandbox
        self.root = sandbox.workspace.root
        self.skip = sandbox.workspace.forbidden  # never uploaded (the data folder, when it lies inside the workspace)
        self.owner = (int(sandbox.user.split(":")[0]), int(sandbox.user.split(":")[1]))
        self.host_base: Manifest = {}  # the host at the last sync
        self.box_base: Manifest = {}  # the container at the last sync
        self.dirty: set[str] = set()  # paths the container has otherwise than the host: put back at the next push

    # -- the container's side
    def own_volume(self, container: Container) -> None:
        """Give the new (not started) container's workspace volume the workspace root's owner and mode: the engine
        makes it root's, and the sandbox has no capability to change that. A one-off container does it."""
        st = os.stat(self.root)
        script = f'chmod {st.st_mode & 0o7777:o} "$1" && chown {self.sb.user} "$1"'
        self.sb._docker().containers.run(
            self.sb.image, ["/bin/sh", "-c", script, "sh", str(self.root)], volumes_from=[str(container.id)],
            user="0:0", network_mode="none", cap_drop=["ALL"], cap_add=["CHOWN"], read_only=True, remove=True,
            labels={LABEL: OWNER},
        )  # fmt: skip

    def _box(self, container: Container, digests: bool = False) -> Manifest:
        """The container's copy as it is now (the walk through the shell when it can: copy_box)."""
        argv = ["python3", "-I", "-c", copy_tree.SCAN, str(self.root), "hash" if digests else ""]
        return copy_tree.parse(json.loads(copy_box.run(self.sb, container, argv)))

    def _send(self, container: Container, host: Manifest, upload: list[str], delete: list[str]) -> None:
        """Remove `delete` in the container, then put the host's `upload` there (with every folder above them)."""
        for start in range(0, len(delete), 500):
            copy_box.run(
                self.sb, container, ["rm", "-rf", "--", *(str(self.root / p) for p in delete[start : start + 500])]
            )
        wanted = set(upload)
        for rel in upload:
            parent = os.path.dirname(rel)
            while parent and parent in host and parent not in wanted:
                wanted.add(parent)
                parent = os.path.dirname(parent)
        paths = sorted(p for p in wanted if p in host)
        if paths:
            with tempfile.SpooledTemporaryFile(max_size=32 << 20) as tar:
                copy_tree.write_tar(tar, self.root, host, paths, self.owner)
                container.put_archive(str(self.root), tar)

    # -- syncs
    def attach(self, container: Container, adopted: bool) -> None:
        """A container this process starts using: a new one gets the whole workspace; an adopted one, what differs."""
        if adopted:
            host = copy_tree.host_manifest(self.root, self.skip, digests=True)
            box = self._box(container, digests=True)
            upload = [p for p, sig in host.items() if p not in box or not copy_tree.same_content(sig, box[p])]
            self._send(container, host, upload, [p for p in box if p not in host])
            self.host_base = {p: sig._replace(digest="") for p, sig in host.items()}
        else:
            self.host_base = copy_tree.host_manifest(self.root, self.skip)
            self._send(container, self.host_base, list(self.host_base), [])
        self.dirty.clear()
        self.box_base = self._box(container)

    def push(self) -> None:
        """Before a command: the host's changes since the last sync, and the paths to put back, go to the container."""
        container = self.sb._container
        assert container is not None
        host = copy_tree.host_manifest(self.root, self.skip)
        upload, delete = copy_tree.changed(self.host_base, host)
        upload += [p for p in self.dirty if p in host]
        delete += [p for p in self.dirty if p not in host]
        if upload or delete:
            self._send(container, host, upload, delete)
            self.box_base = self._box(container)
        self.host_base, self.dirty = host, set()

    def pull(self, upper: Path) -> Scan:
        """After a command: what it changed in the container, downloaded into `upper` and read as a change set."""
        container = self.sb._container
        assert container is not None
        before, now = self.box_base, self._box(container)
        self.box_base = now
        differ, gone = copy_tree.changed(before, now)
        scanner, kept, total = Scanner(upper, self.root), set(), 0
        for rel in differ:
            sig, was = now[rel], before.get(rel)
            if sig.kind == "d":
                if was is not None and was.kind != "d":
                    scanner.add(rel, "deleted")  # a file replaced by a folder
                if (was is None or was.kind != "d") and not any(p.startswith(rel + "/") for p in now):
                    scanner.add_folder(rel, "created")
                continue
            if ".git" in rel.split("/"):
                scanner.scan.leave_out(GIT)
                continue
            if sig.size > MAX_FILE_BYTES or total + sig.size > MAX_PULL_BYTES:
                scanner.scan.leave_out(LARGE)
                kept.add(rel)
                continue
            total += sig.size
            if self._download(container, rel, upper):
                scanner.entry(rel)
        for rel in gone:
            if before[rel].kind == "d":
                scanner.add_folder(rel, "deleted")
            elif os.path.lexists(self.root / rel):
                scanner.add(rel, "deleted")
        scan = scanner.scan
        scan.entries.sort(key=lambda e: e.path)
        scan.folders.sort(key=lambda e: e.path)
        carried = {e.path for e in scan.entries} | {e.path for e in scan.folders}
        self.dirty |= set(differ + gone) - carried - kept
        return scan

    def _download(self, container: Container, rel: str, upper: Path) -> bool:
        import docker.errors

        try:
            bits, _ = container.get_archive(str(self.root / rel))
            copy_tree.unpack_one(b"".join(bits), rel, upper, MAX_FILE_BYTES)
        except docker.errors.NotFound:  # removed meanwhile (a background job): the next scan says so
            return False
        except copy_tree.Refused:
            self.dirty.add(rel)
            return False
        return True

    async def run(
        self, argv: list[str], woke: str, command: Callable[[str], Awaitable[CommandResult]]
    ) -> CommandResult:
        """Push, run the command (on the container, started or adopted first if needed), bring its changes back."""
        import docker.errors

        try:
            _, note = await asyncio.to_thread(self.sb.on_live_container, self.push)
        except (docker.errors.DockerException, OSError) as e:
            return CommandResult(exit_code=None, output=f"{woke}[sandbox] the workspace could not be copied in: {e}")
        result = await command(woke + note)
        try:
            if self.sb._container is None:
                back = (
                    "\n[sandbox] the command's file changes were lost with its container; the workspace is as it was."
                )
            elif self.sb.stager is not None:
                back = await self._stage(shell_line(argv) or " ".join(argv))
            else:
                back = await asyncio.to_thread(self.settle)
        except docker.errors.DockerException as e:
            self.dirty |= set(self.box_base)  # unknown: the next push puts the host's version back
            back = f"\n[sandbox] the command's file changes could not be copied back: {e}"
        return result.model_copy(update={"output": result.output + back})

    async def _stage(self, command: str) -> str:
        """The task stages changes: the command's come back as a stage to review; the container gets the host's
        version again at the next push (an approved change set is the host's by then)."""
        stager = self.sb.stager
        assert stager is not None
        stage = stager.blank()
        scan = await asyncio.to_thread(self.pull, stage.upper)
        self.dirty |= {e.path for e in scan.entries} | {e.path for e in scan.folders}
        return stager.offer(stage, command, scan)

    def settle(self) -> str:
        """Apply the last command's changes to the workspace (all or nothing)."""
        with tempfile.TemporaryDirectory(prefix="autogpt-ls-copy-") as folder:
            upper = Path(folder)
            scan = self.pull(upper)
            if not scan.entries and not scan.folders:
                return f"\n[sandbox] copied back: no file changed{scan.told()}." if scan.left_out else ""
            try:
                overlay_apply.apply(scan, upper, self.sb.workspace)
            except (overlay_apply.StageConflict, OSError) as e:
                self.dirty |= {e.path for e in scan.entries} | {e.path for e in scan.folders}
                return f"\n[sandbox] the command's file changes were not copied back to the workspace: {e}"
        self.host_base = copy_tree.host_manifest(self.root, self.skip)
        return f"\n[sandbox] copied back {len(scan.entries)} changed file(s){scan.told()}."
