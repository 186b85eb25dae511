"""A small stdlib HTTP client for the Agent Protocol tests, and the server under test as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC = Path(__file__).parent / "agent-protocol-openapi.yml"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return self.body


class Api:
    """JSON in, JSON (or bytes) out; 4xx/5xx are answers, not exceptions."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, payload, got = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            status, payload, got = e.code, e.read(), dict(e.headers)
        kind = got.get("content-type", "")
        return Answer(status, json.loads(payload) if kind.startswith("application/json") else payload, got)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Answer:
        return self.request("POST", path, body)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.request(method, path, body)
        assert answer.status == 200, (method, path, answer.status, answer.body)
        return answer.body

    def create(self, goal: str) -> str:
        return str(self.ok("POST", "/agent/tasks", {"input": goal})["task_id"])

    def step(self, task_id: str, text: str | None = None) -> Any:
        return self.ok("POST", f"/agent/tasks/{task_id}/steps", {"input": text} if text is not None else None)

    def upload(self, task_id: str, name: str, content: bytes, relative_path: str | None = None) -> Answer:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        ]
        if relative_path is not None:
            field = f'--{boundary}\r\nContent-Disposition: form-data; name="relative_path"\r\n\r\n'
            parts.append(f"{field}{relative_path}\r\n".encode())
        raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", f"/agent/tasks/{task_id}/artifacts", raw=raw, headers=headers)


class Server:
    """`autogpt-ls serve --port 0` as a user starts it; the URL comes from the line it prints."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, timeout: float = 20) -> None:
        self._stderr = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autogpt_ls", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self.log, self._killed = log, False
        line = _read_line(self.proc, timeout)
        match = re.search(rb"(http://\S+/ap/v1)", line)
        if not match:
            self.kill()
            raise RuntimeError(f"serve printed {line!r}; stderr in {log}: {log.read_text()[-2000:]}")
        self.url = match.group(1).decode()
        self.api = Api(self.url, env.get("AP_SERVER_TOKEN"))

    def kill(self) -> None:
        """SIGKILL, as a crash or a lost machine: the one way the test may end a server other than gracefully."""
        self._killed = True
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, as a service manager stops a server, and fail unless it exits 0 (a graceful stop); a server
        that exited before, unless the test killed it, must have exited 0 as well."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()
        if not self._killed and self.proc.returncode != 0:
            stderr = self.log.read_text(errors="replace")[-3000:]
            raise AssertionError(
                f"serve exited {self.proc.returncode}, not 0 as a graceful stop does; stderr:\n{stderr}"
            )


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The first line of stdout, without blocking past the deadline (the process may die instead)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer and time.monotonic() < deadline:
            if sel.select(deadline - time.monotonic()):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buffer += chunk
    return buffer


def read_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 30) -> bytes:
    """Read a child's stdout until `marker` shows up (or fail with what it printed)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while marker not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError(f"waited {timeout}s for {marker!r}; got {seen[-2000:]!r}")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise EOFError(f"stdout closed before {marker!r}; got {seen[-2000:]!r}")
            seen += chunk
    return seen
