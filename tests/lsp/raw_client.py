"""The real server over stdio, written to in raw JSON-RPC bytes: messages no LSP client library would send."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict
from typing import Any

ANSWER_TIMEOUT = 60


class RawClient:
    """Writes frames to the server's stdin; a reader task files every answer by its id, as it arrives (so the
    server never blocks on a full stdout pipe while a test is still writing)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.answers: dict[Any, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self.notifications: list[dict[str, Any]] = []
        self._reader = asyncio.ensure_future(self._pump())

    @classmethod
    async def start(cls, env: dict[str, str]) -> RawClient:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "autogpt_ls", "lsp", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=env, limit=1 << 20,
        )  # fmt: skip
        client = cls(process)
        reply = await client.request("initialize", {"capabilities": {}})
        assert "result" in reply, reply
        await client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return client

    async def send(self, message: Any) -> None:
        """`message` as JSON, or bytes sent as they are, in one frame."""
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await self.process.stdin.drain()

    async def answer(self, msg_id: Any) -> dict[str, Any]:
        """The next answer with this id (None: an answer to a request whose id could not be read)."""
        return await asyncio.wait_for(self.answers[msg_id].get(), ANSWER_TIMEOUT)

    async def request(self, method: str, params: Any, msg_id: int | str = "req") -> dict[str, Any]:
        await self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await self.answer(msg_id)

    async def alive(self) -> None:
        """A normal request still works."""
        reply = await self.request("agent/listTasks", {}, msg_id="alive")
        assert reply.get("result") == {"tasks": []}, reply

    async def close(self) -> int:
        await self.request("shutdown", None, msg_id="shutdown")
        await self.send({"jsonrpc": "2.0", "method": "exit"})
        code = await asyncio.wait_for(self.process.wait(), ANSWER_TIMEOUT)
        await self._reader
        return code

    async def _pump(self) -> None:
        assert self.process.stdout is not None
        stdout = self.process.stdout
        while True:
            length = None
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length is None:
                return
            message = json.loads(await stdout.readexactly(length))
            if "method" in message:
                self.notifications.append(message)
            else:
                self.answers[message.get("id")].put_nowait(message)
