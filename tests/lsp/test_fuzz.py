"""10,000 seeded random malformed and ill-typed messages over stdio: the real server answers every request that
has a usable id exactly once, stays alive (a valid request works after every 500), logs no traceback, and exits
cleanly after a desynced frame at the end. The seed is printed on failure, so a failing run can be replayed."""

from __future__ import annotations

import json
import os
import random
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from raw_client import RawClient

COUNT, CHECK_EVERY = 10_000, 500
METHODS = [
    "agent/approveStep", "agent/rejectStep", "agent/feedback", "agent/answer", "agent/rollback", "agent/redo",
    "agent/cancel", "agent/resume", "agent/listTasks", "agent/getTask", "textDocument/codeAction",
    "workspace/executeCommand", "textDocument/didOpen", "textDocument/didChange", "$/cancelRequest",
    "initialize", "agent/noSuchMethod", "", "x" * 300,
]  # fmt: skip
KEYS = ["taskId", "stepId", "times", "text", "force", "textDocument", "range", "context", "command", "arguments"]


def value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, nested a little; strings sometimes long or odd (NUL, surrogates escaped, RTL)."""
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, -1, 2**63, -(2**70), 7])
    if pick == 3:
        return rng.choice([0.5, 1e308, -0.0])
    if pick in (4, 5):
        return rng.choice(
            ["", "\x00", "\u202e", "a" * rng.randrange(1, 5000), "".join(rng.choices(string.printable, k=20))]
        )
    if pick == 6:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS): value(rng, depth + 1) for _ in range(rng.randrange(5))}


def envelope(rng: random.Random, msg_id: Any) -> dict[str, Any]:
    """A request (or notification) with a random method and random, mostly ill-typed params."""
    message: dict[str, Any] = {"jsonrpc": rng.choice(["2.0"] * 8 + ["1.0", 2])}
    if msg_id is not None:
        message["id"] = msg_id
    if rng.random() < 0.95:
        message["method"] = rng.choice(METHODS) if rng.random() < 0.9 else value(rng)
    if rng.random() < 0.9:
        message["params"] = value(rng)
    return message


def frame_of(rng: random.Random, n: int) -> tuple[bytes | dict[str, Any] | list[Any], Any]:
    """One message and the id it must be answered to (None: no usable id, so no answer is owed to the test)."""
    kind = rng.randrange(10)
    if kind == 0:  # invalid JSON or invalid UTF-8
        return rng.choice([b"{", b'{"jsonrpc":"2.0","id":', b"\xff\xfe\x00", b"nul\x00l", b"[1,2", b'"']), None
    if kind == 1:  # a batch (LSP has none)
        return [envelope(rng, n), envelope(rng, None)], None
    if kind == 2:  # a response to a request the server never sent
        return {"jsonrpc": "2.0", "id": rng.choice([n, f"s{n}", None]), "result": value(rng)}, None
    if kind == 3:  # an id of the wrong type
        return envelope(rng, rng.choice([1.5, True, [n], {"n": n}])), None
    if kind == 4:  # a huge string inside otherwise valid params
        return {"jsonrpc": "2.0", "id": n, "method": "agent/getTask", "params": {"taskId": "t" * 300_000}}, n
    if kind == 5:  # a notification
        return envelope(rng, None), None
    msg_id = n if kind < 8 else f"id-{n}"
    return envelope(rng, msg_id), msg_id


async def send_all(raw: RawClient, rng: random.Random, owed: list[Any], after: Callable[[int], Any]) -> None:
    for n in range(COUNT):
        message, msg_id = frame_of(rng, n)
        await raw.send(message if isinstance(message, bytes) else json.dumps(message).encode())
        if msg_id is not None:
            owed.append(msg_id)
        if (n + 1) % CHECK_EVERY == 0:
            await after(n)


async def test_10000_random_messages_leave_the_server_answering(agent_env: dict[str, str], data_dir: Path) -> None:
    seed = int(os.environ.get("FUZZ_SEED", random.SystemRandom().randrange(2**32)))
    rng, owed = random.Random(seed), []
    raw = await RawClient.start(agent_env)

    async def check(n: int) -> None:
        reply = await raw.request("agent/listTasks", {}, msg_id=f"alive-{n}")
        assert reply.get("result") == {"tasks": []}, f"seed {seed}, after message {n}: {reply}"

    await send_all(raw, rng, owed, check)
    # desynced framing last: a length longer than its body swallows the next frame's header; the reader resyncs
    # at the next Content-Length line
    assert raw.process.stdin is not None
    raw.process.stdin.write(b'Content-Length: 60\r\n\r\n{"jsonrpc":"2.0","id":"lost"}')
    raw.process.stdin.write(b"garbage line\r\nContent-Length: abc\r\n\r\n")
    await raw.send(b" " * 40)
    await check(COUNT)
    assert await raw.close() == 0, f"seed {seed}"
    for msg_id in owed:
        assert raw.answers[msg_id].qsize() == 1, (
            f"seed {seed}: request {msg_id!r} answered {raw.answers[msg_id].qsize()} times"
        )
    unknown = (
        set(raw.answers) - set(owed) - {None, "req", "shutdown", "lost"} - {f"alive-{n}" for n in range(COUNT + 1)}
    )
    assert not unknown, f"seed {seed}: answers to ids never sent: {sorted(map(str, unknown))[:5]}"
    logs = data_dir / "logs"
    assert (logs / "error.log").read_text() == "", f"seed {seed}"
    assert "Traceback" not in "".join(path.read_text(errors="replace") for path in logs.iterdir()), f"seed {seed}"
