"""What a staged command changed: its overlay's upper folder read against the workspace, its lower folder.

After the command the overlay is unmounted and its upper folder holds exactly what the command wrote: new and
changed files whole, deletions as whiteouts (a character device 0:0), and a folder that replaced one of the
workspace as opaque (`user.overlay.opaque`, since the overlay is mounted with `userxattr`, so anyone who can read
the folder can read the mark). Reading only the upper folder makes the cost follow what changed, not the size of
the workspace. Each entry records the workspace's file as it was when the command ended (its fingerprint), so
applying can tell whether someone changed it meanwhile. Some changes are counted and left out, never applied:
anything inside a `.git` folder (no tool writes there: a planted hook would run), a name that is not UTF-8 (no
front end can show it, nor the store keep it), and a symlink that points outside the workspace (confinement).
Empty folders the command created or removed are kept apart from the files: the change set's preview shows files.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from autogpt_ls.changes import Change, ChangeSet, FileChange

OPAQUE = "user.overlay.opaque"
PREVIEW_BYTES = 256_000  # a larger file is cut in the preview (and applied whole)
_BINARY_PROBE = 8_000
ABSENT = ""


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the workspace
    change: Change
    before: str  # the workspace's file when the command ended: fingerprint() ("" when it did not exist)
    note: str = ""  # what the preview's texts cannot show (a mode change)


GIT = "inside .git (staging never writes there)"
NOT_UTF8 = "with a name that is not UTF-8 (rename it in a command to stage it)"
OUTSIDE = "symlinks pointing outside the workspace"


@dataclass
class Scan:
    entries: list[Entry] = field(default_factory=list)
    folders: list[Entry] = field(default_factory=list)  # empty folders created or deleted
    left_out: dict[str, int] = field(default_factory=dict)  # changes not staged, by reason (GIT, NOT_UTF8, OUTSIDE)

    def leave_out(self, reason: str) -> None:
        self.left_out[reason] = self.left_out.get(reason, 0) + 1

    def told(self) -> str:
        """The changes left out, as one parenthesis for the command's output ('' when none)."""
        said = ", ".join(f"{n} {reason}" for reason, n in sorted(self.left_out.items()))
        return f" (left out, never applied: {said})" if said else ""


def fingerprint(path: Path) -> str:
    """A file's identity for the conflict check: its content's digest, a symlink's target, or ABSENT."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ABSENT
    if stat.S_ISLNK(st.st_mode):
        return "link:" + os.readlink(path)
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return f"file:{st.st_mode & 0o7777:o}:{digest.hexdigest()}"


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, OPAQUE, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8, as os hands it over (surrogate escapes)
        return False
    return True


def _lower_folders(path: Path, rel: str) -> list[str]:
    """Every folder at or below `path` in the workspace (not through symlinks), deepest first."""
    if os.path.islink(path) or not os.path.isdir(path):
        return []
    found = [os.path.normpath(os.path.join(rel, os.path.relpath(d, path))) for d, _, _ in os.walk(path)]
    return sorted(found, key=lambda f: -f.count("/"))


def _lower_files(path: Path, rel: str) -> list[str]:
    """Every file (or symlink) at or below `path` in the workspace, as workspace-relative paths."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    if not stat.S_ISDIR(st.st_mode):
        return [rel]
    found = []
    for dirpath, dirs, files in os.walk(path):
        base = os.path.relpath(dirpath, path)
        found += [os.path.normpath(os.path.join(rel, base, name)) for name in files]
        found += [
            os.path.normpath(os.path.join(rel, base, d)) for d in dirs if os.path.islink(os.path.join(dirpath, d))
        ]
    return found


def _mode_note(upper: os.stat_result, lower: Path) -> str:
    """'mode 644 -> 755' when the command changed a file's permissions (`chmod +x` shows in no text diff)."""
    before, after = stat.S_IMODE(os.lstat(lower).st_mode), stat.S_IMODE(upper.st_mode)
    return f"mode {before:o} -> {after:o}" if before != after and not stat.S_ISLNK(upper.st_mode) else ""


def _same(upper: Path, lower: Path) -> bool:
    """Whether a copied-up file is unchanged (a `touch`, an open for writing that wrote nothing)."""
    return fingerprint(upper) == fingerprint(lower)


class Scanner:
    """Reads an upper folder against the workspace; copy mode (sandbox_copy) feeds it the paths a command changed."""

    def __init__(self, upper: Path, lower: Path) -> None:
        self.upper, self.lower = upper, lower
        self.root = os.path.realpath(lower)
        self.scan = Scan()
        self._seen: set[str] = set()

    def _kept(self, rel: str) -> bool:
        if ".git" in Path(rel).parts:
            self.scan.leave_out(GIT)
        elif not _utf8(rel):
            self.scan.leave_out(NOT_UTF8)
        else:
            return True
        return False

    def add(self, rel: str, change: Change, note: str = "") -> None:
        if rel in self._seen:
            return
        self._seen.add(rel)
        if self._kept(rel):
            self.scan.entries.append(Entry(rel, change, fingerprint(self.lower / rel), note))

    def add_folder(self, rel: str, change: Change) -> None:
        if self._kept(rel):
            self.scan.folders.append(Entry(rel, change, fingerprint(self.lower / rel)))

    def _confined(self, rel: str) -> bool:
        """Whether a symlink the command made resolves inside the workspace (as the workspace is now)."""
        target = os.readlink(self.upper / rel)
        resolved = os.path.realpath(os.path.join(self.lower, os.path.dirname(rel), target))
        return resolved == self.root or resolved.startswith(self.root + os.sep)

    def folder(self, rel: str) -> None:
        """One folder of the upper tree; an opaque one hides every workspace file below it not written again."""
        here = self.upper / rel
        with os.scandir(here) as listing:
            names = sorted(e.name for e in listing)
        for name in names:
            self.entry(os.path.normpath(os.path.join(rel, name)))
        lower = self.lower / rel
        if rel != "." and not names and (os.path.islink(lower) or not os.path.isdir(lower)):
            self.add_folder(rel, "created")  # an empty folder the command made (its parents come with it)
        if rel != "." and _opaque(here):
            for gone in _lower_files(self.lower / rel, rel):
                if not os.path.lexists(self.upper / gone):
                    self.add(gone, "deleted")

    def entry(self, rel: str) -> None:
        st = os.lstat(self.upper / rel)
        lower = self.lower / rel
        if _is_whiteout(st):
            for gone in _lower_files(lower, rel):
                self.add(gone, "deleted")
            for folder in _lower_folders(lower, rel):
                self.add_folder(folder, "deleted")
        elif stat.S_ISDIR(st.st_mode):
            if (os.path.lexists(lower) and not os.path.isdir(lower)) or os.path.islink(lower):
                self.add(rel, "deleted")  # a file of the workspace replaced by a folder
            self.folder(rel)
        elif stat.S_ISLNK(st.st_mode) and not self._confined(rel):
            self.scan.leave_out(OUTSIDE)
        elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
            if os.path.isdir(lower) and not os.path.islink(lower):
                for gone in _lower_files(lower, rel):  # a folder of the workspace replaced by a file
                    self.add(gone, "deleted")
                self._seen.discard(rel)
                self.add(rel, "created")
            elif not os.path.lexists(lower):
                self.add(rel, "created")
            elif not _same(self.upper / rel, lower):
                self.add(rel, "modified", _mode_note(st, lower))
        # fifos, sockets and devices a command made are not files to review: left out


def scan(upper: Path, lower: Path) -> Scan:
    """The change set of an unmounted overlay: each file created, modified or deleted, sorted by path."""
    scanner = Scanner(upper, lower)
    scanner.folder(".")
    scanner.scan.entries.sort(key=lambda e: e.path)
    scanner.scan.folders.sort(key=lambda e: e.path)
    return scanner.scan


def _text(path: Path) -> tuple[str | None, bool, bool]:
    """(text for the preview, binary, cut); None when there is no such file."""
    try:
        if os.path.islink(path):
            return "", True, False  # a symlink is named, not diffed
        with open(path, "rb") as handle:
            data = handle.read(PREVIEW_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None, False, False
    if b"\0" in data[:_BINARY_PROBE]:
        return "", True, False
    cut = len(data) > PREVIEW_BYTES
    data = data[:PREVIEW_BYTES]
    try:
        text = data.decode("utf-8") if not cut else data.decode("utf-8", errors="ignore")
    except UnicodeDecodeError:
        return "", True, False
    if cut:
        size = os.path.getsize(path)
        text += f"\n[... cut in this preview: {size:,} bytes in all; applied whole ...]\n"
    return text, False, cut


def preview(entries: list[Entry], upper: Path, workspace: Path) -> ChangeSet:
    """The change set as every front end shows it: the workspace's text now against the staged text."""
    files = []
    for entry in entries:
        before, binary_before, cut_before = _text(workspace / entry.path)
        after, binary_after, cut_after = (
            (None, False, False) if entry.change == "deleted" else _text(upper / entry.path)
        )
        binary = binary_before or binary_after
        if entry.change == "created":
            before = None
        elif before is None:
            before = ""  # deleted or modified meanwhile: the conflict check will say so
        files.append(
            FileChange(
                path=entry.path,
                absolute_path=str(workspace / entry.path),
                before="" if binary and before is not None else before,
                after="" if binary and after is not None else after,
                binary=binary,
                truncated=cut_before or cut_after,
            )
        )
    return ChangeSet(files=files)
