"""The walk both sides of copy mode list a tree with: imported on the host, and its source run by the sandbox's
python3 (`python3 -c SOURCE root hash`), so the host and the container name paths and kinds the same way. Standard
library only and no project imports, since it runs in the sandbox image."""

import hashlib
import json
import os
import stat
import sys


def _digest(path: str, mode: int) -> str:
    """As overlay_scan.fingerprint has it for a file: its mode and its content's sha256."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return f"file:{mode:o}:{h.hexdigest()}"


def walk(root: str, digests: bool = False, skip: frozenset[str] = frozenset()) -> list[list[object]]:
    """[path, kind (f, l, d), size, mtime_ns, mode, link, digest] for everything below root, not through symlinks;
    the absolute paths in `skip` are left out (with what is in them)."""
    rows: list[list[object]] = []

    def visit(folder: str, rel: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for e in entries:
            r = rel + e.name
            try:
                st = e.stat(follow_symlinks=False)
                mode = stat.S_IMODE(st.st_mode)
                if e.path in skip:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    rows.append([r, "d", 0, 0, mode, "", ""])
                    visit(e.path, r + "/")
                elif stat.S_ISLNK(st.st_mode):
                    rows.append([r, "l", 0, st.st_mtime_ns, 0, os.readlink(e.path), ""])
                elif stat.S_ISREG(st.st_mode):
                    digest = _digest(e.path, mode) if digests else ""
                    rows.append([r, "f", st.st_size, st.st_mtime_ns, mode, "", digest])
            except OSError:  # gone meanwhile, or unreadable: the next walk sees it
                continue

    visit(root, "")
    return rows


if __name__ == "__main__":
    sys.stdout.write(json.dumps(walk(sys.argv[1], sys.argv[2] == "hash")))
