"""Where a configured key must never turn up: what the LLM was sent (the auth header aside), the data folder (the
store and the logs), and whatever a front end showed or handed out. One check for every front end's secrets test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fakes import SECRET_KEY

# a command that puts the key in front of the agent three ways: the server's environment (readable as root), its
# own environment dumped to a workspace file, and the variable by name
LEAKY_COMMAND = "env > envdump.txt; tr '\\0' '\\n' < /proc/$PPID/environ; echo \"key=$OPENAI_API_KEY\""


def assert_key_nowhere(requests: list[Any], data_dir: Path, *shown: str) -> None:
    stored = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert stored  # the store and the logs were written
    assert SECRET_KEY.encode() not in stored
    assert SECRET_KEY not in json.dumps(requests)
    for text in shown:
        assert SECRET_KEY not in text


def assert_commands_did_not_get_it(workspace: Path) -> None:
    """LEAKY_COMMAND's dump of its own environment: written by the command itself, so nothing masked it."""
    dump = (workspace / "envdump.txt").read_text()
    assert "PATH=" in dump and SECRET_KEY not in dump
