"""The environment of a command in the devcontainer, as the CLI's own exec gives it: the remote user's shell
environment (its userEnvProbe: what /etc/profile.d or ~/.bashrc set), then the config's remoteEnv on top."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from autogpt_ls.executors.devcontainer_procs import TOKEN

if TYPE_CHECKING:
    from docker import DockerClient

PROBE_SECONDS = 10.0  # as the CLI: a shell startup that waits for input gives no environment, not a hang
FLAGS = {"loginInteractiveShell": "-lic", "loginShell": "-lc", "interactiveShell": "-ic"}  # "none": no probe
# The remote user's login shell (from the passwd database, else /bin/sh) started the way $1 says, printing its
# environment between two marks ($2), as the CLI's probe does.
PROBE = r"""
shell=$(getent passwd "$(id -un)" 2>/dev/null | cut -d: -f7)
[ -x "$shell" ] || shell=/bin/sh
exec "$shell" "$1" "echo -n $2; cat /proc/self/environ; echo -n $2" </dev/null
"""


def substitute(value: str, env: dict[str, str]) -> str:
    """`${containerEnv:NAME}` or `${containerEnv:NAME:default}` in a remoteEnv value, from the container's env."""
    return re.sub(r"\$\{containerEnv:([^}:]+)(?::([^}]*))?\}", lambda m: env.get(m.group(1), m.group(2) or ""), value)


def probe_command(how: str) -> tuple[list[str], str] | None:
    """The exec's command line for the probe `how` (a userEnvProbe value) and its mark; None for "none"."""
    flag = FLAGS.get(how)
    if flag is None:
        return None
    mark = secrets.token_hex(8)
    return ["/bin/sh", "-c", PROBE, "sh", flag, mark], mark


def parse(output: bytes, mark: str) -> dict[str, str]:
    """The environment the probe printed (PWD left out, as the CLI does: commands get their own folder)."""
    found = re.search(re.escape(mark.encode()) + rb"(.*)" + re.escape(mark.encode()), output, re.DOTALL)
    if found is None:
        return {}
    pairs = (item.decode(errors="replace").split("=", 1) for item in found.group(1).split(b"\0") if b"=" in item)
    return {k: v for k, v in pairs if k not in ("PWD", TOKEN)}


def run_probe(client: DockerClient, container_id: str, user: str, how: str, token: str) -> dict[str, str]:
    """The user's shell environment in the container (blocking: run it in a thread; `token` lets a timeout kill
    it). Empty when the setting is "none" or the shell printed nothing usable."""
    command = probe_command(how)
    if command is None:
        return {}
    argv, mark = command
    api = client.api
    exec_id = api.exec_create(container_id, argv, user=user, environment={TOKEN: token}, stderr=False)["Id"]
    output: bytes = api.exec_start(exec_id)
    return parse(output, mark)
