"""The extension's TypeScript types are the server's payload models: regenerated with the real generator
(json-schema-to-typescript, from the extension's node_modules) from `autogpt-ls protocol-schema`, they match the
committed file. A stale file fails here; `npm run gen:protocol` in vscode-extension regenerates it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "vscode-extension"
GENERATED = EXTENSION / "src" / "common" / "protocol.generated.ts"


def _node() -> str | None:
    """Node as scripts/setup.d/30-vscode.sh installs it (AUTOGPT_NODE), else from PATH."""
    return os.environ.get("AUTOGPT_NODE") or shutil.which("node")


def test_the_generated_typescript_is_up_to_date(tmp_path: Path) -> None:
    node = _node()
    if node is None or not (EXTENSION / "node_modules" / "json-schema-to-typescript").is_dir():
        pytest.skip("Node or the extension's npm modules are absent: run scripts/setup.d/30-vscode.sh (./test.sh does)")
    out = tmp_path / "protocol.generated.ts"
    env = os.environ | {"AUTOGPT_PYTHON": sys.executable}
    subprocess.run([node, "scripts/gen-protocol.mjs", str(out)], cwd=EXTENSION, env=env, check=True, timeout=120)
    assert out.read_text() == GENERATED.read_text(), "stale: run `npm run gen:protocol` in vscode-extension"
