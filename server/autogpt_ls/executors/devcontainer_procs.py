"""The processes of our commands inside a shared devcontainer: how a command is wrapped, and how its processes
are found and killed again without touching anything else in the container (the user's editor, other tasks).

Every process of a command inherits two variables: its token (which command) and its owner (which server
process, as host:pid:nonce like the store's leases). A timeout kills by token; a server's next start kills the
processes of owners that died on this host (a kill -9 skipped their timeout and their end)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autogpt_ls.store.base import lease_owner_id, owner_alive

if TYPE_CHECKING:
    from docker import DockerClient

TOKEN = "AUTOGPT_COMMAND"  # noqa: S105 (a name, not a secret)
OWNER = "AUTOGPT_OWNER"
OWNER_ID = lease_owner_id()  # this server process, in every command it starts
# Kills the processes of the command whose token is $1 (and its process group $2, if known), until none is left.
# (dash's kill takes no `--` before a negative pid.)
_SWEEP_BODY = r"""
  n=0
  [ -z "$2" ] || kill -9 "-$2" 2>/dev/null
  while [ $n -lt 10 ]; do
    found=
    for p in /proc/[0-9]*; do
      [ "${p#/proc/}" = $$ ] && continue
      grep -qz "^AUTOGPT_COMMAND=$1\$" "$p/environ" 2>/dev/null && kill -9 "${p#/proc/}" 2>/dev/null && found=1
    done
    [ -n "$found" ] || break
    n=$((n + 1))
  done
"""
SWEEP = "\nsweep() {" + _SWEEP_BODY + "}\n"
# The same after each line of the persistent shell (devcontainer_shell), with its variables local to it.
SHELL_AFTER = (
    "\n__agls_sweep() {\n  local n found p"
    + _SWEEP_BODY
    + "}\n"
    + "__agls_shell=$AUTOGPT_COMMAND  # the shell's own token, back in place after each line\n"
    + "__agls_after() {  # $1 the line's token, $2 1: what it started keeps running\n"
    + '  AUTOGPT_COMMAND=$__agls_shell\n  [ "$2" = 1 ] || __agls_sweep "$1" ""\n  return 0\n}\n'
)
# The command in a session of its own (setsid, where the image has it), its stderr into its stdout so the output
# keeps its order; the wrapper's stderr says the process group, for a kill from another exec.
WRAPPER = (
    SWEEP
    + r"""
keep=$1; shift
if command -v setsid >/dev/null 2>&1; then setsid "$@" 2>&1 & else "$@" 2>&1 & fi
pid=$!
echo "pgid=$pid" >&2
wait $pid
rc=$?
token=$AUTOGPT_COMMAND
unset AUTOGPT_COMMAND AUTOGPT_OWNER
[ "$keep" = 1 ] || sweep "$token" "$pid"
exit $rc
"""
)
# One line per process: the variables of ours in its environment (none: an empty line).
OURS = r"""
for p in /proc/[0-9]*; do
  [ "${p#/proc/}" = $$ ] && continue
  echo "$(grep -az '^AUTOGPT_[A-Z]*=' "$p/environ" 2>/dev/null | tr '\0' ' ')"
done
"""


def command(argv: list[str], keep: bool) -> list[str]:
    """The exec's command line: `argv` under the wrapper (`keep`: what it leaves running is not killed)."""
    return ["/bin/sh", "-c", WRAPPER, "sh", "1" if keep else "0", *argv]


def _shell(client: DockerClient, container_id: str, user: str, script: str, *args: str) -> str:
    api = client.api
    exec_id = api.exec_create(container_id, ["/bin/sh", "-c", script, "sh", *args], user=user)["Id"]
    output: bytes = api.exec_start(exec_id)
    return output.decode(errors="replace")


def kill(client: DockerClient, container_id: str, user: str, token: str, pgid: str = "") -> None:
    """End one command's processes from a second exec; the container keeps running."""
    _shell(client, container_id, user, SWEEP + 'sweep "$1" "$2"', token, pgid)


def sweep_dead_owners(client: DockerClient, container_id: str) -> list[str]:
    """Kill what the commands of dead server processes left running (as root: they may have changed user); the
    tokens killed. Processes without our token, and those of live owners (or owners on other hosts), stay."""
    dead = set()
    for line in _shell(client, container_id, "root", OURS).splitlines():
        found = dict(item.split("=", 1) for item in line.split() if "=" in item)
        if found.get(TOKEN) and found.get(OWNER) and not owner_alive(found[OWNER]):
            dead.add(found[TOKEN])
    for token in sorted(dead):
        kill(client, container_id, "root", token)
    return sorted(dead)
