"""A broken or hostile client: every request is answered with the right code, the server goes on, the logs stay
small. The real server over stdio, written to in raw bytes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from raw_client import RawClient

INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, PARSE_ERROR = -32600, -32601, -32602, -32700
CODE_ACTION, EXECUTE = "textDocument/codeAction", "workspace/executeCommand"


@pytest.fixture
async def raw(agent_env: dict[str, str]) -> AsyncIterator[RawClient]:
    client = await RawClient.start(agent_env)
    yield client
    assert await client.close() == 0


def request(msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": method} | ({} if params is None else {"params": params})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def with_params(msg_id: int, method: str, params: str) -> bytes:
    """A request whose params are the JSON text given (json.dumps would recurse on deep ones)."""
    head = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method})[:-1]
    return f'{head},"params":{params}}}'.encode()


async def test_a_request_may_leave_params_out(raw: RawClient) -> None:
    await raw.send(request(2, "agent/listTasks"))
    assert (await raw.answer(2))["result"] == {"tasks": []}
    await raw.send(request(3, "agent/getTask"))
    assert (await raw.answer(3))["error"]["code"] == INVALID_PARAMS
    await raw.send(request(4, CODE_ACTION))
    assert (await raw.answer(4))["error"]["code"] == INVALID_PARAMS


ILL_TYPED = [
    (CODE_ACTION, {"x": 1}, "text_document"),
    (CODE_ACTION, {"textDocument": 5, "range": "r", "context": []}, "text_document.uri"),
    (CODE_ACTION, [1, 2], "text_document"),
    (EXECUTE, {"arguments": [1]}, "command"),
    (EXECUTE, {"command": "autogpt.server.cancel", "arguments": 7}, "arguments"),
    (EXECUTE, {"command": "no.such.command"}, "not defined"),
    ("agent/getTask", {"taskId": ["a"]}, "taskId"),
    ("agent/run", {"goal": {"text": "x"}}, "goal"),
    ("agent/approveStep", {"taskId": "t", "stepId": "s", "times": "many"}, "times"),
    ("agent/getTask", "a string", "object or an array"),
    ("agent/getTask", 42, "object or an array"),
]


@pytest.mark.parametrize(("method", "params", "named"), ILL_TYPED)
async def test_ill_typed_params_get_invalid_params(raw: RawClient, method: str, params: Any, named: str) -> None:
    await raw.send(request(7, method, params))
    error = (await raw.answer(7))["error"]
    assert error["code"] == INVALID_PARAMS
    assert named in error["message"]
    assert len(error["message"]) < 1000
    await raw.alive()


@pytest.mark.parametrize("depth", [500, 900, 5000])
async def test_deeply_nested_params_are_refused_before_parsing(raw: RawClient, depth: int) -> None:
    await raw.send(with_params(5, "agent/getTask", f'{{"taskId":{nested(depth)}}}'))
    assert (await raw.answer(5))["error"] == {
        "code": INVALID_REQUEST,
        "message": "message nested deeper than 100 levels",
    }
    # the id is read wherever it stands, even after the deep part
    await raw.send(f'{{"jsonrpc":"2.0","method":"agent/listTasks","params":{nested(depth)},"id":"late"}}'.encode())
    assert (await raw.answer("late"))["error"]["code"] == INVALID_REQUEST
    await raw.alive()


async def test_nesting_within_the_limit_is_handled_normally(raw: RawClient) -> None:
    await raw.send(with_params(6, "agent/listTasks", f'{{"x":{nested(90)}}}'))
    assert (await raw.answer(6))["result"] == {"tasks": []}
    brackets_in_a_string = '"' + "[{" * 5000 + '"'  # brackets inside strings nest nothing
    await raw.send(with_params(7, "agent/listTasks", f'{{"x":{brackets_in_a_string}}}'))
    assert (await raw.answer(7))["result"] == {"tasks": []}


async def test_an_oversize_message_is_refused_and_skipped(raw: RawClient) -> None:
    huge = "x" * (9 * 1024 * 1024)
    await raw.send(request(8, "agent/getTask", {"taskId": huge}))
    error = (await raw.answer(8))["error"]
    assert error["code"] == INVALID_REQUEST
    assert "over the limit" in error["message"]
    await raw.alive()  # the stream is still in step: the next frame is read from its start


INVALID = [
    ({"jsonrpc": "2.0", "id": 9}, 9),  # no method
    ({"jsonrpc": "2.0", "id": 9, "method": 12}, 9),
    ({"jsonrpc": "1.0", "id": 9, "method": "agent/listTasks"}, 9),
    ({"id": 9, "method": "agent/listTasks"}, 9),
    ({"jsonrpc": "2.0", "id": 1.5, "method": "agent/listTasks"}, None),
    ({"jsonrpc": "2.0", "id": True, "method": "agent/listTasks"}, None),
    ({"jsonrpc": "2.0", "id": {"a": 1}, "method": "agent/listTasks"}, None),
    ([{"jsonrpc": "2.0", "id": 9, "method": "agent/listTasks"}], None),  # LSP has no batches
    ("just a string", None),
    ({"method": 5}, None),
]


@pytest.mark.parametrize(("message", "answered_to"), INVALID)
async def test_invalid_request_objects(raw: RawClient, message: Any, answered_to: Any) -> None:
    await raw.send(message)
    assert (await raw.answer(answered_to))["error"]["code"] == INVALID_REQUEST
    await raw.alive()


async def test_invalid_json_and_unknown_methods(raw: RawClient) -> None:
    await raw.send(b'{"jsonrpc":"2.0","id":10,')
    assert (await raw.answer(None))["error"]["code"] == PARSE_ERROR
    await raw.send(b"\xff\xfe")
    assert (await raw.answer(None))["error"]["code"] == PARSE_ERROR
    await raw.send(request(11, "agent/noSuchMethod", {}))
    assert (await raw.answer(11))["error"]["code"] == METHOD_NOT_FOUND
    await raw.alive()


async def test_requests_after_shutdown_are_refused_not_dropped(raw: RawClient) -> None:
    assert (await raw.request("shutdown", None, msg_id="down"))["result"] is None
    await raw.send(request(12, "agent/listTasks"))
    assert (await raw.answer(12))["error"] == {"code": INVALID_REQUEST, "message": "the server is shutting down"}


BAD_NOTIFICATIONS = [
    {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 1}},
    {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": "text"},
    {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {}},
    {"jsonrpc": "2.0", "method": "initialized", "params": 3},
    {"jsonrpc": "1.0", "method": "textDocument/didClose", "params": {}},
]


async def test_bad_notifications_are_dropped_with_a_warning(raw: RawClient, data_dir: Path) -> None:
    await raw.alive()  # loads the settings, so the logs are configured
    for message in BAD_NOTIFICATIONS:
        await raw.send(message)
    await raw.alive()
    assert list(raw.answers) == ["req", "alive"]  # no answer to any notification
    log = (data_dir / "logs" / "activity.log").read_text()
    assert log.count("WARNING autogpt_ls.lsp.rpc: ignored a notification") == len(BAD_NOTIFICATIONS)
    assert "Traceback" not in log


@pytest.fixture
def small_logs(agent_env: dict[str, str]) -> dict[str, str]:
    return agent_env | {"LOG_MAX_BYTES": str(32 * 1024), "LOG_BACKUP_COUNT": "2"}


async def test_logs_stay_under_the_cap_after_10000_malformed_messages(
    small_logs: dict[str, str], data_dir: Path
) -> None:
    raw = await RawClient.start(small_logs)
    await raw.alive()
    malformed = [request(0, CODE_ACTION, {"x": 1}), request(0, "agent/getTask", {}), b"{oops"]
    for n in range(10_000):
        message = malformed[n % 3]
        await raw.send(message | {"id": n} if isinstance(message, dict) else message)
    await raw.alive()
    assert await raw.close() == 0
    answered = sum(raw.answers[key].qsize() for key in [*range(10_000), None])
    assert answered == 10_000
    logs = data_dir / "logs"
    sizes = {path.name: path.stat().st_size for path in logs.iterdir()}
    assert "activity.log.1" in sizes and "activity.log.3" not in sizes  # rotated, two backups kept
    assert max(sizes.values()) <= 32 * 1024
    assert sum(sizes.values()) <= 2 * 3 * 32 * 1024
    assert sizes["error.log"] == 0  # a client's mistakes are not the server's errors
    text = "".join(path.read_text() for path in logs.iterdir())
    assert "Traceback" not in text
    assert "refused message 9999: invalid params" in text
