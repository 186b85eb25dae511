"""The devcontainer's persistent shell: one bash per task in the workspace's shared devcontainer (container_shell,
shell_session), as the remote user in the remote folder with the user's environment, so `cd`, exported variables
and an activated venv carry over between commands.

The container is shared with the user's editor and other tasks, so every process of a line carries the line's
token (AUTOGPT_COMMAND) and the shell its own, with the server's id (devcontainer_procs): after a line the shell
ends what carries its token (unless background jobs are allowed), a kill ends the shell's and the line's, and a
server that died has its shell ended at the next start, as for any of its commands.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING

from autogpt_ls.executors.base import CommandResult, OutputBuffer, OutputCallback, ProgressCallback, threadsafe_sink
from autogpt_ls.executors.container_shell import ContainerShell, docker_error, exec_in
from autogpt_ls.executors.devcontainer_config import DevcontainerError
from autogpt_ls.executors.devcontainer_procs import OWNER, OWNER_ID, SHELL_AFTER, TOKEN, kill
from autogpt_ls.executors.shell_session import Outcome

if TYPE_CHECKING:
    from autogpt_ls.executors.devcontainer import DevcontainerExecutor


class DevcontainerShell(ContainerShell):
    tag = "[devcontainer]"
    lost = "the container runs on."
    token_env = TOKEN

    def __init__(self, executor: DevcontainerExecutor) -> None:
        super().__init__()
        self.executor = executor
        self.token = ""  # the shell's own

    def folder(self) -> str:
        c = self.executor._container
        assert c is not None
        return c.remote_folder

    def keep(self) -> bool:
        return self.executor.background_jobs

    def start(self) -> str:
        """Start the shell in the container brought up (APIError 404 or 409 when it stopped meanwhile)."""
        c = self.executor._container
        assert c is not None
        self.token = secrets.token_hex(12)
        env = {**c.remote_env, "PYTHONUNBUFFERED": "1", TOKEN: self.token, OWNER: OWNER_ID}
        api = self.executor._docker().api
        self.open(api, c.container_id, user=c.remote_user, workdir=c.remote_folder, env=env, after=SHELL_AFTER)
        return ""

    def interrupt(self) -> None:
        c = self.executor._container
        if c is None:
            raise docker_error("the devcontainer is gone")
        exec_in(self.executor._docker().api, c.container_id, self.interrupt_argv(), c.remote_user)

    def kill(self, token: str) -> None:
        """The shell with its process group, and every process of the line (a `setsid` one too)."""
        c = self.executor._container
        if c is None:
            raise docker_error("the devcontainer is gone")
        client = self.executor._docker()
        kill(client, c.container_id, c.remote_user, self.token, self.session.pid if self.session else "")
        kill(client, c.container_id, c.remote_user, token)

    def abandon(self) -> None:
        self.forget()

    def ended(self, outcome: Outcome, code: int | None, since: float) -> str:
        if outcome.reply.report is None and not self.keep() and self.executor._container is not None:
            with contextlib.suppress(Exception):  # the shell ended before its sweep: what the line left goes now
                self.kill(self.last_token)
        return ""

    def close(self) -> None:
        """The task ended: its shell goes (the container stays)."""
        session = self.session
        self.forget()
        if session is not None and self.executor._container is not None:
            c = self.executor._container
            kill(self.executor._docker(), c.container_id, c.remote_user, self.token, session.pid)

    async def execute(
        self, argv: list[str], timeout: float, on_output: OutputCallback | None, on_progress: ProgressCallback | None
    ) -> CommandResult | None:
        """Run a command in the shell, bringing the container up first (or again, when it stopped meanwhile);
        None when its image has no bash."""
        import docker.errors

        ex, before = self.executor, ""
        try:
            for attempt in (1, 2):
                if ex._container is None:
                    before += await ex._up(on_progress)
                buffer = OutputBuffer(ex._max_output)
                try:
                    result = await self.run(argv, timeout, buffer, threadsafe_sink(buffer, on_output))
                except docker.errors.APIError as e:  # 404: removed, 409: not running (the shell's start says)
                    if attempt == 2 or e.status_code not in (404, 409):
                        raise
                    ex._container = None
                    self.forget()
                    continue
                return None if result is None else result.model_copy(update={"output": before + result.output})
        except DevcontainerError as e:
            return CommandResult(exit_code=None, output=f"[devcontainer] {e}")
        except docker.errors.DockerException as e:
            return CommandResult(exit_code=None, output=f"[devcontainer] the Docker engine failed: {e}")
        raise AssertionError("unreachable")
