"""The sandbox's persistent shell: one bash per task in its container (container_shell, shell_session), so `cd`,
exported variables and an activated venv carry over between commands.

After each line the shell ends what it left running unless the task allows background jobs, and reports its
state, kept in the executor's ShellState (the one its staged commands use too). When the executor replaces the
container itself (idle, pids limit) the state is restored in the next shell; a shell that ended resets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autogpt_ls.executors import sandbox_ends
from autogpt_ls.executors.container_shell import ContainerShell, docker_error, exec_in
from autogpt_ls.executors.sandbox_container import SANDBOX_ENV
from autogpt_ls.executors.sandbox_jobs import SHELL_AFTER, Report
from autogpt_ls.executors.shell_session import Outcome
from autogpt_ls.executors.shell_state import ShellState

if TYPE_CHECKING:
    from autogpt_ls.executors.docker import DockerExecutor


class SandboxShell(ContainerShell):
    """The task's shell in its sandbox container."""

    tag = "[sandbox]"
    lost = "the container was removed with everything it ran; the next command gets a new one."

    def __init__(self, sandbox: DockerExecutor) -> None:
        super().__init__()
        self.sandbox = sandbox
        # The last line left no process that could write into the shell's output: copy mode's walk may use it.
        self.quiet = False

    def folder(self) -> str:
        return str(self.sandbox.workspace.root)

    def keep(self) -> bool:
        return self.sandbox.background_jobs

    def start(self) -> str:
        """Start the container if needed, then the shell where the state says; a note when a dead container had
        to be replaced."""
        sb = self.sandbox

        def start_shell() -> str:
            assert sb._container is not None
            workdir, moved = sb.state.workdir(sb.workspace.root)
            self.open(
                sb._docker().api, str(sb._container.id), user=sb.user, workdir=workdir,
                env={**SANDBOX_ENV, **sb.state.env}, after=SHELL_AFTER,
            )  # fmt: skip
            return moved.replace("[staging]", self.tag)

        moved, note = sb.on_live_container(start_shell)
        return note + moved

    def interrupt(self) -> None:
        self._exec(self.interrupt_argv())

    def kill(self, token: str) -> None:
        """Every process of the commands' uid, the shell's too (the container's own run as another uid)."""
        self._exec(["/bin/sh", "-c", "for i in 1 2 3 4 5; do kill -9 -1 2>/dev/null || break; done"])

    def forget(self) -> None:
        self.quiet = False
        super().forget()

    def abandon(self) -> None:
        self.sandbox._discard()

    def _exec(self, argv: list[str]) -> None:
        sb = self.sandbox
        if sb._container is None:
            raise docker_error("the sandbox container is gone")
        exec_in(sb._docker().api, str(sb._container.id), argv, sb.user)

    def reset(self) -> None:
        self.sandbox.state = ShellState()

    def ended(self, outcome: Outcome, code: int | None, since: float) -> str:
        sb, reply = self.sandbox, outcome.reply
        self.quiet = reply.report is not None and reply.report.complete and not reply.report.left
        if reply.report is not None and reply.state is not None:
            sb.state = reply.state
            death = sandbox_ends.death(sb, code, since) if not outcome.past_timeout else ""  # SIGINT's 130 says why
            return death + sandbox_ends.settle(sb, reply.report)
        return sandbox_ends.death(sb, 137 if code is None else code, since) + sandbox_ends.settle(sb, Report())
