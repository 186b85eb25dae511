"""The terminal dialogue of the undo and git suites: `autogpt-ls run` answered prompt by prompt."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

GOAL = "Tidy the workspace"
PROMPT = "Approve?"


class Dialogue:
    """`autogpt-ls run` with its stdin open: wait for each prompt, then answer (a reader thread collects stdout)."""

    def __init__(self, env: dict[str, str], workspace: Path) -> None:
        argv = [sys.executable, "-m", "autogpt_ls", "run", "--workspace", str(workspace), GOAL]
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.out = ""
        self._seen = 0
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read(1):
            with self._changed:
                self.out += chunk
                self._changed.notify_all()

    def prompt(self) -> str:
        """Wait for the next prompt; returns what was printed since the previous one."""
        with self._changed:
            found = self._changed.wait_for(lambda: PROMPT in self.out[self._seen :], timeout=30)
            assert found, f"no prompt; output so far:\n{self.out}"
            start, self._seen = self._seen, self.out.index(PROMPT, self._seen) + len(PROMPT)
            return self.out[start : self._seen]

    def answer(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.prompt()

    def finish(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write("y\n")
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


@pytest.fixture
def dialogue(agent_env: dict[str, str], workspace: Path) -> Iterator[Callable[..., Dialogue]]:
    env = {**agent_env, "EXECUTE_LOCAL_COMMANDS": "True"}
    runs: list[Dialogue] = []

    def start(**more: str) -> Dialogue:
        runs.append(Dialogue({**env, **more}, workspace))
        return runs[-1]

    yield start
    for run in runs:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
