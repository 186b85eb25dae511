"""Applying a staged change set to the workspace: all of it or nothing.

Every file is first checked against its fingerprint from when the command ended; if someone changed one meanwhile,
nothing is applied and the conflicts are listed. Then each file is written (whole, from the upper folder, with its
mode), created as a symlink, or deleted, through the workspace's confined walk, and given to the workspace's owner
(the server may run as root). A failure halfway puts back what was already written.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from autogpt_ls.executors.overlay_scan import ABSENT, Entry, Scan, fingerprint
from autogpt_ls.workspace import Workspace


class StageConflict(Exception):
    """Files changed in the workspace since the command ran: nothing was applied."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


@dataclass(frozen=True)
class _Saved:
    path: str
    data: bytes | None  # None: the file did not exist
    link: str | None = None
    mode: int = 0o644


def conflicts(entries: list[Entry], workspace: Path) -> list[str]:
    return [e.path for e in entries if fingerprint(workspace / e.path) != e.before]


def _save(workspace: Workspace, entry: Entry) -> _Saved:
    path = workspace.root / entry.path
    if entry.before in (ABSENT, "dir"):  # nothing to put back: none, or a folder (its files are entries of their own)
        return _Saved(entry.path, None)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return _Saved(entry.path, b"", link=os.readlink(path))
    return _Saved(entry.path, workspace.read_bytes(entry.path), mode=stat.S_IMODE(st.st_mode))


def _split(path: str) -> tuple[str, str]:
    parent, name = os.path.split(path)
    return parent or ".", name


def _remove(workspace: Workspace, path: str) -> None:
    parent, name = _split(path)
    try:
        fd = workspace.folder(parent)
    except (FileNotFoundError, NotADirectoryError):
        return  # its folder is not there (yet): neither is the file
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)


def _own(workspace: Workspace, path: str, mode: int | None, owner: tuple[int, int] | None) -> None:
    parent, name = _split(path)
    fd = workspace.folder(parent)
    try:
        if mode is not None:
            os.chmod(name, mode, dir_fd=fd)  # not a symlink: it was just written as a file
        if owner is not None:
            os.chown(name, *owner, dir_fd=fd, follow_symlinks=False)
    finally:
        os.close(fd)


def _missing_folders(workspace: Workspace, path: str) -> list[str]:
    folders = []
    parent = os.path.dirname(path)
    while parent and not os.path.isdir(workspace.root / parent):
        folders.append(parent)
        parent = os.path.dirname(parent)
    return folders


def _put(workspace: Workspace, path: str, source: Path, owner: tuple[int, int] | None) -> None:
    """One file of the stage into the workspace, whole; the folders made for it get the owner too."""
    st = os.lstat(source)
    made = _missing_folders(workspace, path)
    try:
        _write(workspace, path, source, st, owner)
    finally:
        for folder in made if owner is not None else []:
            with contextlib.suppress(OSError):
                _own(workspace, folder, None, owner)


def _write(workspace: Workspace, path: str, source: Path, st: os.stat_result, owner: tuple[int, int] | None) -> None:
    _remove(workspace, path)  # never write through what is there now (a symlink, a file of another owner)
    if stat.S_ISLNK(st.st_mode):
        parent, name = _split(path)
        fd = workspace.folder(parent, create=True)
        try:
            os.symlink(os.readlink(source), name, dir_fd=fd)
        finally:
            os.close(fd)
        _own(workspace, path, None, owner)
        return
    workspace.write_bytes(path, source.read_bytes())
    _own(workspace, path, stat.S_IMODE(st.st_mode), owner)


def _restore(workspace: Workspace, saved: _Saved, owner: tuple[int, int] | None) -> None:
    _remove(workspace, saved.path)
    if saved.link is not None:
        parent, name = _split(saved.path)
        fd = workspace.folder(parent, create=True)
        try:
            os.symlink(saved.link, name, dir_fd=fd)
        finally:
            os.close(fd)
    elif saved.data is not None:
        workspace.write_bytes(saved.path, saved.data)
        _own(workspace, saved.path, saved.mode, owner)


def _owner(workspace: Workspace) -> tuple[int, int] | None:
    """The workspace owner's uid:gid when we may give files away (root), else None: they are ours already."""
    if os.geteuid() != 0:
        return None
    st = os.stat(workspace.root)
    return st.st_uid, st.st_gid


def _prune(workspace: Workspace, upper: Path, deleted: list[str]) -> None:
    """Folders the command removed go too, once the files in them are gone (never a folder still holding any)."""
    folders = {os.path.dirname(p) for p in deleted} - {""}
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        while folder and not os.path.isdir(upper / folder):
            _rmdir(workspace, folder)
            folder = os.path.dirname(folder)


def _rmdir(workspace: Workspace, folder: str) -> None:
    """Remove the folder if it is empty (else, or gone already, leave it), through its parent's descriptor: a
    symlink swapped in for a parent cannot lead outside the workspace."""
    with contextlib.suppress(OSError):
        parent, name = _split(folder)
        fd = workspace.folder(parent)
        try:
            os.rmdir(name, dir_fd=fd)
        finally:
            os.close(fd)


def _folders(workspace: Workspace, folders: list[Entry], owner: tuple[int, int] | None) -> None:
    """The empty folders the command made (with their missing parents, given to the owner) or removed (only while
    still empty: a folder someone put a file in meanwhile stays)."""
    for entry in sorted(folders, key=lambda e: -e.path.count("/")):
        if entry.change == "deleted":
            _rmdir(workspace, entry.path)
    for entry in folders:
        if entry.change == "created":
            made = _missing_folders(workspace, os.path.join(entry.path, "."))  # the folder itself and its parents
            os.close(workspace.folder(entry.path, create=True))
            for folder in made if owner is not None else []:
                _own(workspace, folder, None, owner)


def apply(scan: Scan, upper: Path, workspace: Workspace) -> None:
    """Apply every entry, or (StageConflict, or an OSError halfway) leave the workspace as it was."""
    entries = scan.entries
    made = [e.path for e in scan.folders if e.change == "created"]
    clashing = conflicts(entries, workspace.root)
    clashing += [p for p in made if fingerprint(workspace.root / p) not in (ABSENT, "dir")]  # a file there now
    if clashing:
        raise StageConflict(clashing)
    owner = _owner(workspace)
    deleted = [e for e in entries if e.change == "deleted"]
    done: list[_Saved] = []
    try:  # deletions first: a folder the command replaced by a file must be gone before the file is written
        for entry in deleted:
            done.append(_save(workspace, entry))
            _remove(workspace, entry.path)
        _prune(workspace, upper, [e.path for e in deleted])
        for entry in entries:
            if entry.change != "deleted":
                done.append(_save(workspace, entry))
                _put(workspace, entry.path, upper / entry.path, owner)
    except BaseException:
        for saved in reversed(done):
            with contextlib.suppress(OSError):
                _restore(workspace, saved, owner)
        raise
    _folders(workspace, scan.folders, owner)
