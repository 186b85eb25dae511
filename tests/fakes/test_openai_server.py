"""The fake, driven through the real openai SDK (sync and async): its wire format is what the SDK parses."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import openai
import pytest

from .openai_server import FakeOpenAI, Reply, content, hang, raw, status, tool_call

MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def sync_client(fake: FakeOpenAI, max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=max_retries)


def async_client(fake: FakeOpenAI, max_retries: int = 0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=max_retries)


def test_binds_loopback_only(fake: FakeOpenAI) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/v1")


def test_tool_call_parses_in_sync_sdk(fake: FakeOpenAI) -> None:
    fake.script(tool_call("read_file", {"path": "a.py"}, thoughts="look first", extra=[("ls", "{}")], usage=(7, 3)))
    with sync_client(fake) as client:
        resp = client.chat.completions.create(model="gpt-test", messages=MESSAGES)
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "look first"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 2
    first, second = calls
    assert isinstance(first, openai.types.chat.ChatCompletionMessageFunctionToolCall)
    assert isinstance(second, openai.types.chat.ChatCompletionMessageFunctionToolCall)
    assert first.type == "function"
    assert first.function.name == "read_file"
    assert json.loads(first.function.arguments) == {"path": "a.py"}
    assert second.function.name == "ls"
    assert first.id.startswith("call_") and first.id != second.id
    assert resp.model == "gpt-test"
    assert resp.usage is not None
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (7, 3, 10)


def test_tool_call_without_thoughts_has_null_content_and_verbatim_str_arguments(fake: FakeOpenAI) -> None:
    fake.script(tool_call("write_file", '{"path": "a.py", '))
    with sync_client(fake) as client:
        message = client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert isinstance(call, openai.types.chat.ChatCompletionMessageFunctionToolCall)
    assert call.function.arguments == '{"path": "a.py", '


async def test_content_and_usage_in_async_sdk(fake: FakeOpenAI) -> None:
    fake.script(content("done", usage=(11, 5)))
    async with async_client(fake) as client:
        resp = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert resp.object == "chat.completion"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "done"
    assert resp.choices[0].message.tool_calls is None
    assert resp.usage is not None and resp.usage.total_tokens == 16


async def test_records_requests_and_headers(fake: FakeOpenAI) -> None:
    fake.script(content("one"), content("two"))
    tools: list[openai.types.chat.ChatCompletionToolParam] = [
        {"type": "function", "function": {"name": "ls", "parameters": {"type": "object", "properties": {}}}}
    ]
    async with async_client(fake) as client:
        await client.chat.completions.create(model="m1", messages=MESSAGES, tools=tools)
        await client.chat.completions.create(model="m2", messages=[{"role": "system", "content": "s"}])
    assert [r["model"] for r in fake.requests] == ["m1", "m2"]
    assert fake.requests[0]["messages"] == [{"role": "user", "content": "hi"}]
    assert fake.requests[0]["tools"][0]["function"]["name"] == "ls"
    assert fake.requests[1]["messages"] == [{"role": "system", "content": "s"}]
    assert len(fake.headers) == 2
    assert fake.headers[0]["authorization"] == "Bearer sk-test"
    assert fake.headers[0]["x-stainless-async"].startswith("async")


def test_429_then_success_is_retried_immediately(fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    fake.script(status(429), content("ok"))
    caplog.set_level(logging.INFO, logger="openai")
    with sync_client(fake, max_retries=2) as client:
        resp = client.chat.completions.create(model="m", messages=MESSAGES)
    assert resp.choices[0].message.content == "ok"
    assert len(fake.requests) == 2
    assert [h["x-stainless-retry-count"] for h in fake.headers] == ["0", "1"]
    # SDK 3.x ignores `retry-after: 0` (only delays > 0 count); `retry-after-ms: 1` is what it honours.
    assert "Retrying request in 0.001000 seconds" in caplog.text


async def test_429_exhausting_retries_raises_rate_limit_error(fake: FakeOpenAI) -> None:
    fake.script(status(429), status(429))
    async with async_client(fake, max_retries=1) as client:
        with pytest.raises(openai.RateLimitError) as info:
            await client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 429
    assert info.value.type == "rate_limit_error"
    assert len(fake.requests) == 2


def test_500_without_retries_raises_internal_server_error(fake: FakeOpenAI) -> None:
    fake.script(status(500, headers={"x-extra": "1"}), content("never reached"))
    with sync_client(fake, max_retries=0) as client, pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 500
    assert info.value.response.headers["x-extra"] == "1"
    assert len(fake.requests) == 1


def test_custom_error_body_reaches_the_sdk(fake: FakeOpenAI) -> None:
    body = {"error": {"message": "context too long", "type": "invalid_request_error", "code": "ctx"}}
    fake.script(status(400, body=body))
    with sync_client(fake) as client, pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.code == "ctx"
    assert "context too long" in str(info.value)


@pytest.mark.parametrize("body", [b'{"id": "x", "choices": [', b"not json", b""])
async def test_broken_json_raises_plain_json_decode_error(fake: FakeOpenAI, body: bytes) -> None:
    """SDK 3.x does not wrap this: a 200 with a broken JSON body escapes as json.JSONDecodeError."""
    fake.script(raw(body))
    async with async_client(fake, max_retries=2) as client:
        with pytest.raises(json.JSONDecodeError) as info:
            await client.chat.completions.create(model="m", messages=MESSAGES)
    assert not isinstance(info.value, openai.OpenAIError)
    assert len(fake.requests) == 1  # not retried


def test_non_json_content_type_comes_back_as_str(fake: FakeOpenAI) -> None:
    """Surprise worth pinning: without strict validation the SDK returns the text instead of raising."""
    fake.script(raw(b"<html>gateway</html>", content_type="text/html"))
    with sync_client(fake) as client:
        resp: object = client.chat.completions.create(model="m", messages=MESSAGES)
    assert resp == "<html>gateway</html>"


def test_script_exhaustion_is_an_unretried_500(fake: FakeOpenAI) -> None:
    fake.script(content("only one"))
    with sync_client(fake, max_retries=2) as client:
        client.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.InternalServerError, match="fake: script exhausted"):
            client.chat.completions.create(model="m", messages=MESSAGES)
    assert len(fake.requests) == 2


def test_default_reply_used_when_queue_empty(fake: FakeOpenAI) -> None:
    fake.default = content("again")
    fake.script(content("first"))
    with sync_client(fake) as client:
        texts = [client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content for _ in "abc"]
    assert texts == ["first", "again", "again"]


def test_stream_sends_chunks_usage_and_done(fake: FakeOpenAI) -> None:
    fake.script(tool_call("read_file", {"path": "a.py"}, thoughts="look first", usage=(7, 3)))
    with sync_client(fake) as client:
        stream = client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "look first"
    assert sum(bool(c.choices and c.choices[0].delta.content) for c in chunks) == 2  # word by word
    pieces = [t for c in chunks if c.choices for t in c.choices[0].delta.tool_calls or []]
    assert pieces[0].function is not None and pieces[0].function.name == "read_file"
    assert json.loads("".join(t.function.arguments or "" for t in pieces if t.function)) == {"path": "a.py"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 7


def test_stream_cut_mid_body_breaks_the_sdk_iteration(fake: FakeOpenAI) -> None:
    fake.script(Reply(message={"role": "assistant", "content": "one two three four"}, cut_after=3))
    with sync_client(fake) as client:
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        received = []
        with pytest.raises(openai.APIConnectionError):
            for chunk in stream:
                received.append(chunk.choices[0].delta.content)
    assert received == ["", "one ", "two "]


async def test_models_lists_seen_models_plus_default(fake: FakeOpenAI) -> None:
    fake.default = content("x")
    async with async_client(fake) as client:
        await client.chat.completions.create(model="my-model", messages=MESSAGES)
        ids = [m.id async for m in client.models.list()]
    assert ids == ["my-model", "gpt-4o-mini"]


def test_unknown_path_is_404_with_error_shape(fake: FakeOpenAI) -> None:
    with sync_client(fake) as client, pytest.raises(openai.NotFoundError, match="unknown path"):
        client.embeddings.create(model="m", input="x")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(fake.base_url + "/nope", timeout=5)
    assert info.value.code == 404
    assert json.loads(info.value.read())["error"]["type"] == "not_found_error"
    assert fake.requests == []


def test_hang_trips_client_timeout_and_stop_does_not_wait() -> None:
    server = FakeOpenAI().start()
    server.script(hang(60))
    client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0, timeout=0.3)
    with client, pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3


def test_wait_requests_blocks_until_arrival_and_times_out(fake: FakeOpenAI) -> None:
    fake.default = content("x")

    def later() -> None:
        time.sleep(0.1)
        with sync_client(fake) as client:
            client.chat.completions.create(model="m", messages=MESSAGES)

    worker = threading.Thread(target=later)
    worker.start()
    fake.wait_requests(1, timeout=10)
    worker.join()
    assert len(fake.requests) == 1
    with pytest.raises(TimeoutError, match="got 1"):
        fake.wait_requests(2, timeout=0.05)


def test_reachable_from_a_subprocess(fake: FakeOpenAI) -> None:
    """The agent may run out of process; all state is on the server, so scripting still works."""
    fake.script(tool_call("ls", {"path": "."}))
    code = (
        "import openai, sys\n"
        "c = openai.OpenAI(base_url=sys.argv[1], api_key='sk-sub', max_retries=0)\n"
        "r = c.chat.completions.create(model='sub', messages=[{'role': 'user', 'content': 'x'}])\n"
        "print(r.choices[0].message.tool_calls[0].function.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, fake.base_url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ls"
    fake.wait_requests(1, timeout=1)
    assert fake.headers[0]["authorization"] == "Bearer sk-sub"
