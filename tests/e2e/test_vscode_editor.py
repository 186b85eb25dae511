"""The editor's context and diagnostics, end to end in code-server: "AutoGPT: Run Agent on Selection" from the
editor's context menu sends the file, the selection and the errors the user kept; an approved edit that brings a
type error into a TypeScript file is checked by code-server's built-in TypeScript server, and the next request to
the LLM carries that error, and not the one the file already had (vscode_editor.mjs works the workbench)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from vscode_parts import ROOT, code_server, drive, needs_vscode

from fakes.openai_server import FakeOpenAI, tool_call

SHOTS = ROOT / "test-output" / "vscode-editor"
pytestmark = needs_vscode

OLD_ERROR = "Type 'string' is not assignable to type 'number'."
NEW_ERROR = "Type 'number' is not assignable to type 'string'."
SOURCE = 'const count: number = "three";\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n'
EDITED = SOURCE + "export const label: string = add(1, 2);\n"


@pytest.mark.timeout(400)
def test_selection_context_then_the_edits_type_error_reaches_the_llm(
    tmp_path: Path, agent_env: dict[str, str], workspace: Path, fake: FakeOpenAI
) -> None:
    (workspace / "main.ts").write_text(SOURCE)
    fake.script(
        tool_call("write_file", {"filename": "main.ts", "contents": EDITED}, thoughts="Add a label."),
        tool_call("finish", {"reason": "the label is there"}),
    )
    # the server waits for the editor's report long enough for a loaded machine's TypeScript server
    env = agent_env | {"EXECUTE_LOCAL_COMMANDS": "True", "DIAGNOSTICS_WAIT_MS": "30000"}
    config = {
        "file": "main.ts",
        "goal": "Add a label that shows the sum",
        "untick": OLD_ERROR,
        "newError": {"code": "export const label"},
        "reason": "the label is there",
    }
    with code_server(tmp_path / "code-server", env, workspace, {"autogpt.interpreter": sys.executable}) as url:
        seen = drive("vscode_editor.mjs", config | {"url": url}, SHOTS, timeout=380)

    # Offered: the file, the selection and the file's error, every one picked; the error was unticked.
    file, selection, error = seen["offered"]
    assert file == "Active file: main.ts"
    assert selection == "Selection: lines 2-4 of main.ts export function add(a: number, b: number): number {"
    assert error.startswith(OLD_ERROR) and error.endswith("main.ts:1:7 (ts)")
    first = json.dumps(fake.requests[0]["messages"])
    assert "The file open in the user's editor: main.ts" in first
    assert "The user selected lines 2-4 of main.ts" in first and "return a + b" in first
    assert OLD_ERROR not in first  # unticked: never sent

    # The next request carries the error the edit introduced, as TypeScript reported it, not the one already there.
    assert (workspace / "main.ts").read_text() == EDITED
    second = json.dumps(fake.requests[1]["messages"])
    assert "The edit introduced 1 error, as the user's editor reports" in second
    assert f"main.ts:5:14 error (ts): {NEW_ERROR}" in second
    assert OLD_ERROR not in second
