"""The host's half of copy mode (sandbox_copy): manifests of a tree, the tar that uploads files, and the confined
unpacking of what the engine sends back.

A manifest maps each path under the workspace (relative, folders included) to its kind, size, mtime_ns, mode and
link target. Two manifests of the same side compare as "changed since": the host's with the host's, the
container's with the container's (their mtimes never compare with each other). The same walk (copy_walk) runs in
the container, so both sides list paths the same way. Whatever comes back from the container is
untrusted: a member is unpacked only when it is the one file asked for, a regular file or a symlink, within the
size limit, into a folder of ours whose parents are real folders (never through a symlink).
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import time
from pathlib import Path
from typing import IO, NamedTuple

from autogpt_ls.executors import copy_walk


class Sig(NamedTuple):
    kind: str  # "f" file, "l" symlink, "d" folder
    size: int
    mtime_ns: int  # 0 for folders: their mtime changes with their entries, which are listed anyway
    mode: int
    link: str = ""
    digest: str = ""  # as overlay_scan.fingerprint has it, only when asked for (an adopter compares contents once)


Manifest = dict[str, Sig]

# The walk, as the container's python3 runs it (argv: root, "hash" or ""): one JSON list on stdout.
SCAN = Path(copy_walk.__file__).read_text()


def parse(rows: list[list[object]]) -> Manifest:
    return {str(r[0]): Sig(str(r[1]), int(r[2]), int(r[3]), int(r[4]), str(r[5]), str(r[6])) for r in rows}  # type: ignore[call-overload]


def host_manifest(root: Path, skip: tuple[Path, ...] = (), digests: bool = False) -> Manifest:
    """The workspace as it is now, not through symlinks; `skip` (the data folder, when inside) is left out."""
    return parse(copy_walk.walk(str(root), digests, frozenset(os.path.realpath(s) for s in skip)))


def changed(before: Manifest, after: Manifest) -> tuple[list[str], list[str]]:
    """(present now and new or different, gone): paths sorted so that a folder comes before what is in it."""
    differ = sorted(p for p, sig in after.items() if before.get(p) != sig)
    gone = sorted(p for p in before if p not in after)
    return differ, gone


def same_content(host: Sig, box: Sig) -> bool:
    """Whether a host entry and a container entry (both with digests) hold the same thing."""
    return (host.kind, host.mode, host.link, host.digest) == (box.kind, box.mode, box.link, box.digest)


def write_tar(into: IO[bytes], root: Path, manifest: Manifest, paths: list[str], owner: tuple[int, int]) -> None:
    """A tar of those paths as the host has them, owned by the commands' uid:gid (they must write them), written
    file by file (`into` a spooled file: a large workspace is not held in memory)."""
    with tarfile.open(fileobj=into, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in paths:
            sig = manifest[rel]
            info = tarfile.TarInfo(rel)
            info.uid, info.gid, info.mode = owner[0], owner[1], sig.mode
            info.mtime = sig.mtime_ns / 1e9 if sig.mtime_ns else time.time()  # a folder's is not kept
            if sig.kind == "d":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif sig.kind == "l":
                info.type, info.linkname = tarfile.SYMTYPE, sig.link
                tar.addfile(info)
            else:
                try:
                    fd = os.open(root / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                except OSError:  # gone or replaced since the walk: the next sync sees it
                    continue
                with os.fdopen(fd, "rb") as handle:
                    st = os.fstat(handle.fileno())
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    info.size = st.st_size  # a file cut short meanwhile fails the copy (OSError): the command is told
                    tar.addfile(info, handle)
    into.seek(0)


class Refused(Exception):
    """What the engine sent back for a path is not a single file or symlink of that name within the limit."""


def _folder_for(upper: Path, rel: str) -> Path:
    """upper/dirname(rel), made of real folders only (a symlink unpacked earlier cannot redirect a later file)."""
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise Refused(f"{rel!r} is not a plain relative path")
    folder = upper
    for part in parts[:-1]:
        folder = folder / part
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                raise Refused(f"{rel!r} would be unpacked through {part!r}, not a folder") from None
    return folder


def unpack_one(archive: bytes, rel: str, upper: Path, max_bytes: int) -> None:
    """Put the one member of `archive` (a get_archive of the container's `rel`) at upper/rel."""
    name = rel.rsplit("/", 1)[-1]
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        members = tar.getmembers()
        if len(members) != 1 or members[0].name != name:
            raise Refused(f"the archive of {rel!r} holds {[m.name for m in members][:3]}")
        member = members[0]
        if member.size > max_bytes:
            raise Refused(f"{rel!r} is larger than the limit ({member.size:,} bytes)")
        target = _folder_for(upper, rel) / name
        if member.issym():
            os.symlink(member.linkname, target)  # its target is judged later (overlay_scan: outside is left out)
            return
        if not member.isreg():
            raise Refused(f"{rel!r} is not a file nor a symlink")
        source = tar.extractfile(member)
        assert source is not None
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(source.read())
        os.chmod(target, member.mode & 0o7777)
