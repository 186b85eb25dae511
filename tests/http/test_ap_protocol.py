"""The Agent Protocol server end to end: a real `autogpt-ls serve`, the real SDK, the loopback fake OpenAI."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from apclient import SPEC, Answer, Server

from fakes.openai_server import FakeOpenAI, Reply, status, tool_call

pytestmark = pytest.mark.each_store  # on the SQLite file, and on PostgreSQL

GOAL = "Write the word 'Washington' to a .txt file"
FINISH = tool_call("finish", {"reason": "The file is written."})


def write(name: str, contents: str = "Washington\n") -> Reply:
    return tool_call("write_file", {"filename": name, "contents": contents}, thoughts=f"I will write {name}.")


def workspace_of(data_dir: Path, task_id: str) -> Path:
    return data_dir / "workspaces" / task_id


def test_tasks_are_created_listed_newest_first_and_paginated(server: Server) -> None:
    api = server.api
    before = api.ok("GET", "/agent/tasks")["pagination"]["total_items"]
    ids = [api.create(f"goal {i}") for i in range(3)]
    assert api.ok("GET", "/agent/tasks")["pagination"]["total_items"] == before + 3
    page = api.ok("GET", "/agent/tasks?current_page=1&page_size=2")
    assert [t["task_id"] for t in page["tasks"]] == ids[::-1][:2]
    assert page["pagination"] == {"total_items": 3, "total_pages": 2, "current_page": 1, "page_size": 2}
    assert [t["task_id"] for t in api.ok("GET", "/agent/tasks?current_page=2&page_size=2")["tasks"]] == [ids[0]]
    assert api.ok("GET", "/agent/tasks?current_page=9")["tasks"] == []
    task = api.ok("GET", f"/agent/tasks/{ids[1]}")
    assert task["input"] == "goal 1" and task["artifacts"] == [] and task["created_at"]


def test_empty_input_approves_other_input_is_feedback_and_finish_is_last(
    server: Server, fake: FakeOpenAI, data_dir: Path
) -> None:
    fake.script(write("answer.md"), write("answer.txt"), FINISH)
    api = server.api
    task_id = api.create(GOAL)

    first = api.step(task_id)
    assert first["is_last"] is False and first["status"] == "completed" and first["name"] == "write_file"
    assert "I will write answer.md." in first["output"] and "Proposed: write_file" in first["output"]
    assert first["additional_output"]["proposal"]["arguments"]["filename"] == "answer.md"
    assert first["additional_output"]["task_cumulative_cost"] > 0
    assert first["additional_output"]["usage"]["prompt_tokens"] == 100

    second = api.step(task_id, "use a .txt file please")
    assert not workspace_of(data_dir, task_id).joinpath("answer.md").exists()
    assert "gave feedback instead: use a .txt file please" in str(fake.requests[1]["messages"][-1]["content"])
    assert second["input"] == "use a .txt file please"
    assert second["additional_output"]["last_action"]["status"] == "feedback"
    assert second["additional_output"]["proposal"]["arguments"]["filename"] == "answer.txt"

    third = api.step(task_id, "")
    assert workspace_of(data_dir, task_id).joinpath("answer.txt").read_text() == "Washington\n"
    assert "Wrote 11 characters to answer.txt" in third["output"]
    assert [a["file_name"] for a in third["artifacts"]] == ["answer.txt"]
    assert third["name"] == "finish" and third["is_last"] is False
    cost = third["additional_output"]["task_cumulative_cost"]
    assert cost > second["additional_output"]["task_cumulative_cost"]

    last = api.step(task_id)
    assert last["is_last"] is True and last["step_id"] == third["step_id"]
    assert "Task finished: The file is written." in last["output"]
    assert len(fake.requests) == 3  # approving finish asks the LLM nothing more

    again = api.post(f"/agent/tasks/{task_id}/steps", {"input": ""})
    assert again.status == 409 and "has ended" in again.body["message"]

    steps = api.ok("GET", f"/agent/tasks/{task_id}/steps")
    assert steps["pagination"]["total_items"] == 3
    assert [s["name"] for s in steps["steps"]] == ["write_file", "write_file", "finish"]
    assert [s["is_last"] for s in steps["steps"]] == [False, False, True]
    for step in steps["steps"]:
        assert api.ok("GET", f"/agent/tasks/{task_id}/steps/{step['step_id']}") == step
    assert api.ok("GET", f"/agent/tasks/{task_id}/steps?page_size=2&current_page=2")["steps"] == steps["steps"][2:]
    task = api.ok("GET", f"/agent/tasks/{task_id}")
    assert task["status"] == "finished"
    [artifact] = task["artifacts"]
    assert artifact["agent_created"] is True and artifact["relative_path"] is None
    download = api.get(f"/agent/tasks/{task_id}/artifacts/{artifact['artifact_id']}")
    assert download.status == 200 and download.body == b"Washington\n"
    assert download.headers["content-type"] == "application/octet-stream"


def test_a_step_can_roll_back_and_redo(server: Server, fake: FakeOpenAI, data_dir: Path) -> None:
    fake.script(write("a.txt", "1"), write("b.txt", "2"), FINISH, FINISH, FINISH)
    api = server.api
    task_id = api.create(GOAL)
    first = api.step(task_id)
    second = api.step(task_id)
    assert "Files changed: a.txt" in second["output"]
    third = api.step(task_id)
    folder = workspace_of(data_dir, task_id)
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.txt"]
    (folder / "b.txt").write_text("the user's")
    refused = api.post(f"/agent/tasks/{task_id}/steps", {"additional_input": {"rollback_to": first["step_id"]}})
    assert refused.status == 409 and "b.txt" in refused.body["message"]
    assert (folder / "b.txt").read_text() == "the user's"
    body = {"input": "", "additional_input": {"rollback_to": first["step_id"], "force": True}}
    undone = api.ok("POST", f"/agent/tasks/{task_id}/steps", body)
    assert list(folder.iterdir()) == []
    assert "The user undid step 1, 2" in undone["output"] and undone["name"] == "finish"
    steps = api.ok("GET", f"/agent/tasks/{task_id}/steps")["steps"]
    assert [s["step_id"] for s in steps][2] == third["step_id"]
    assert [s["additional_output"]["last_action"]["status"] for s in steps[1:3]] == ["undone", "undone"]
    api.ok("POST", f"/agent/tasks/{task_id}/steps", {"additional_input": {"redo": True}})
    assert sorted(p.read_text() for p in folder.iterdir()) == ["1", "the user's"]
    bad = api.post(f"/agent/tasks/{task_id}/steps", {"additional_input": {"rollback_to": 3}})
    assert bad.status == 422


def test_the_input_of_an_ask_user_step_is_the_answer(server: Server, fake: FakeOpenAI) -> None:
    fake.script(tool_call("ask_user", {"question": "Which city?"}), FINISH)
    task_id = server.api.create(GOAL)
    asked = server.api.step(task_id)
    assert "The agent asks: Which city?" in asked["output"]
    server.api.step(task_id, "Washington")
    assert fake.requests[1]["messages"][-1]["content"] == "The user answered: Washington"


def test_uploads_land_in_the_workspace_folder_the_agent_reads(server: Server, fake: FakeOpenAI, data_dir: Path) -> None:
    api = server.api
    task_id = api.create("Summarise the data file")
    content = b"Hello World!\n\x00\xff"
    uploaded = api.upload(task_id, "f.txt", content, relative_path="inputs/data")
    assert uploaded.status == 200, uploaded.body
    assert uploaded.body["file_name"] == "f.txt" and uploaded.body["relative_path"] == "inputs/data"
    assert uploaded.body["agent_created"] is False and uploaded.body["created_at"]
    assert workspace_of(data_dir, task_id).joinpath("inputs/data/f.txt").read_bytes() == content
    root = api.upload(task_id, "../top.txt", b"top")  # a client's path in the file name is not a folder
    assert root.status == 200 and root.body["relative_path"] is None and root.body["file_name"] == "top.txt"

    listed = api.ok("GET", f"/agent/tasks/{task_id}/artifacts")
    assert [a["file_name"] for a in listed["artifacts"]] == ["f.txt", "top.txt"]
    assert listed["pagination"]["total_items"] == 2
    second = api.ok("GET", f"/agent/tasks/{task_id}/artifacts?page_size=1&current_page=2")
    assert [a["file_name"] for a in second["artifacts"]] == ["top.txt"]
    download = api.get(f"/agent/tasks/{task_id}/artifacts/{uploaded.body['artifact_id']}")
    assert download.body == content

    fake.script(tool_call("read_file", {"filename": "inputs/data/f.txt"}), FINISH)
    api.step(task_id)
    api.step(task_id)
    assert "Hello World!" in str(fake.requests[1]["messages"][-1]["content"])

    for folder in ("../..", "/tmp", "inputs/../../x"):
        refused = api.upload(task_id, "x.txt", b"x", relative_path=folder)
        assert refused.status == 403 and "workspace" in refused.body["message"], (folder, refused.body)
    assert not (data_dir / "workspaces" / "x.txt").exists()


def test_an_artifact_with_a_non_latin_name_downloads_under_its_name(server: Server) -> None:
    api = server.api
    task_id = api.create("Summarise the report")
    content = "季度报告\n".encode()
    uploaded = api.upload(task_id, '报告 "q1".txt', content)
    assert uploaded.status == 200, uploaded.body
    download = api.get(f"/agent/tasks/{task_id}/artifacts/{uploaded.body['artifact_id']}")
    assert download.status == 200 and download.body == content
    # RFC 6266: an ASCII fallback for old clients, the exact name percent-encoded as UTF-8 (RFC 5987) for the rest.
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"__ _q1_.txt\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22q1%22.txt"
    )


def test_unknown_ids_are_404_with_a_message(server: Server) -> None:
    api = server.api
    task_id = api.create(GOAL)
    for path in (
        "/agent/tasks/nope",
        "/agent/tasks/nope/steps",
        "/agent/tasks/nope/artifacts",
        f"/agent/tasks/{task_id}/steps/nope",
        f"/agent/tasks/{task_id}/artifacts/nope",
        "/agent/tasks/nope/artifacts/nope",
    ):
        answer = api.get(path)
        assert answer.status == 404 and answer.body["message"], (path, answer.body)
    assert api.post("/agent/tasks/nope/steps", {}).status == 404
    assert api.upload("nope", "a.txt", b"a").status == 404


def test_bad_input_is_422_with_a_message(server: Server) -> None:
    api = server.api
    task_id = api.create(GOAL)
    answers: list[Answer] = [
        api.get("/agent/tasks?page_size=0"),
        api.get("/agent/tasks?current_page=0"),
        api.get("/agent/tasks?current_page=abc"),
        api.get(f"/agent/tasks/{task_id}/steps?page_size=-1"),
        api.get(f"/agent/tasks/{task_id}/artifacts?page_size=99999999999"),
        api.post("/agent/tasks", {"input": ""}),
        api.post("/agent/tasks", {"input": 5}),
        api.post("/agent/tasks", {"input": "x", "additional_input": None}),
        api.post("/agent/tasks", ["not", "an", "object"]),
        api.request("POST", "/agent/tasks", raw=b"{not json", headers={"Content-Type": "application/json"}),
        api.post(f"/agent/tasks/{task_id}/steps", {"input": ["x"]}),
        api.request("POST", f"/agent/tasks/{task_id}/artifacts", raw=b"", headers={"Content-Type": "text/plain"}),
    ]
    for answer in answers:
        assert answer.status == 422 and answer.body["message"], answer
    assert api.ok("GET", "/agent/tasks")["pagination"]["total_items"] == 1


def test_a_failing_llm_is_a_502_and_the_step_can_be_posted_again(server: Server, fake: FakeOpenAI) -> None:
    task_id = server.api.create(GOAL)
    fake.script(status(400))  # not retried by the SDK
    failed = server.api.post(f"/agent/tasks/{task_id}/steps")
    assert failed.status == 502 and "post the step again" in failed.body["message"]
    fake.script(write("a.txt"))
    assert server.api.step(task_id)["name"] == "write_file"


def test_tasks_and_steps_survive_a_restart(start_server, fake: FakeOpenAI, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    first = start_server()
    fake.script(write("a.txt"), FINISH)
    task_id = first.api.create(GOAL)
    proposed = first.api.step(task_id)
    steps = first.api.ok("GET", f"/agent/tasks/{task_id}/steps")
    first.stop()  # a graceful stop, exit 0

    second = start_server()
    assert second.api.ok("GET", f"/agent/tasks/{task_id}/steps") == steps
    assert second.api.ok("GET", f"/agent/tasks/{task_id}")["input"] == GOAL
    assert second.api.step(task_id)["additional_output"]["last_action"]["name"] == proposed["name"]
    assert second.api.step(task_id)["is_last"] is True
    assert workspace_of(data_dir, task_id).joinpath("a.txt").exists()


def test_two_requests_for_one_task_do_not_run_a_step_twice(server: Server, fake: FakeOpenAI) -> None:
    task_id = server.api.create(GOAL)
    fake.script(dataclasses.replace(write("a.txt"), delay=2.0))
    results: list[object] = []
    slow = threading.Thread(target=lambda: results.append(server.api.step(task_id)))
    slow.start()
    fake.wait_requests(1)
    busy = server.api.post(f"/agent/tasks/{task_id}/steps")
    assert busy.status == 409 and "already running" in busy.body["message"]
    slow.join(30)
    assert results and len(server.api.ok("GET", f"/agent/tasks/{task_id}/steps")["steps"]) == 1


def test_a_bearer_token_is_required_when_set(start_server, server_env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    token = "t0ken-" + "x" * 30
    server = start_server(env=server_env | {"AP_SERVER_TOKEN": token})
    assert server.api.ok("GET", "/agent/tasks")["tasks"] == []
    server.api.token = None
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        answer = server.api.request("GET", "/agent/tasks", headers=header)
        assert answer.status == 401 and "AP_SERVER_TOKEN" in answer.body["message"]
        assert answer.headers.get("www-authenticate") == "Bearer"


def test_routes_are_the_canonical_specs(server: Server) -> None:
    spec = yaml.safe_load(SPEC.read_text())
    ours = server.api.ok("GET", "/openapi.json")

    def operations(doc: dict) -> dict[tuple[str, str], tuple[str, set[str]]]:  # type: ignore[type-arg]
        return {
            (path, method): (op["operationId"], {p["name"] for p in op.get("parameters", [])})
            for path, item in doc["paths"].items()
            for method, op in item.items()
        }

    assert operations(ours) == operations(spec)


def test_any_loopback_address_needs_no_token(start_server) -> None:  # type: ignore[no-untyped-def]
    server = start_server("--host", "127.0.0.2")  # all of 127.0.0.0/8, as for `lsp --tcp` (tests/lsp)
    assert server.url.startswith("http://127.0.0.2:")
    assert server.api.ok("GET", "/agent/tasks")["tasks"] == []


def test_binding_beyond_loopback_needs_a_token(server_env: dict[str, str]) -> None:
    argv = [sys.executable, "-m", "autogpt_ls", "serve", "--host", "0.0.0.0", "--port", "0"]
    proc = subprocess.run(argv, env=server_env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "AP_SERVER_TOKEN" in proc.stderr  # refused before anything is bound
