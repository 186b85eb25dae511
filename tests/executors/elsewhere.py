"""Another server process's sandbox executor (tests/executors/test_sandbox_adopt.py): it takes the task's stored
shell state, runs one shell line, prints the outcome as JSON and exits without closing its executor, as a server
process that goes on serving other tasks (or is killed) would leave it."""

from __future__ import annotations

import asyncio
import json
import sys

from autogpt_ls.executors.docker import DockerExecutor, SandboxLimits
from autogpt_ls.executors.shell_state import shell_argv
from autogpt_ls.task_models import SavedShell
from autogpt_ls.workspace import Workspace


async def main(spec: dict[str, object]) -> None:
    sandbox = DockerExecutor(
        Workspace(str(spec["workspace"])),
        task_id=str(spec["task_id"]),
        image=str(spec["image"]),
        limits=SandboxLimits(**spec["limits"]),  # type: ignore[arg-type]
        max_output=4_000,
        workspace_mode=spec.get("workspace_mode", "bind"),  # type: ignore[arg-type]
    )
    saved = spec["saved"]
    sandbox.resume(SavedShell.model_validate(saved) if saved else None)
    result = await sandbox.run(shell_argv(str(spec["line"])), timeout=60)
    after = sandbox.saved_shell()
    container = sandbox._container
    print(
        json.dumps(
            {
                "output": result.output,
                "exit_code": result.exit_code,
                "saved": after.model_dump() if after else None,
                "container": container.id if container else None,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
