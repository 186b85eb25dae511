"""What each sandbox command runs in: a shell that ends every process the command started once it returns.

The container's own processes (docker-init and `sleep infinity`) run as a uid of their own, the commands as the
workspace owner's uid. With no capabilities (no CAP_KILL) a command can signal only processes of its own uid, so
`kill -9 -1` after the command ends every process it started, whatever session or process group it moved to, and
nothing of the container itself; the wrapper repeats it until none of them is left but zombies (docker-init reaps
those). The kernel sends that signal to all of them while holding the process list, so a
fork bomb cannot outrun it. This also holds for uid 0: without capabilities root is an ordinary uid to the kernel's
kill check.

The wrapper then reports on its stderr (the command's stderr goes into its stdout, so the output keeps the order it
was written in): the command's exit code, the
cgroup's `pids.events` count of forks refused at the pids limit, and, when background jobs are allowed (nothing
is killed then), the processes still running. Only builtins run after the command, so a full pids table cannot
stop the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KEEPER_UIDS = (65534, 65533)  # `nobody`, or the next one when the workspace owner is nobody

RUNNING = r"""
__agls_running() {  # a process of this uid other than this shell, not yet a zombie
  local p key state
  for p in /proc/[0-9]*; do
    [ -O "$p" ] && [ "${p#/proc/}" != $$ ] || continue
    state=
    while read -r key state; do [ "$key" = State: ] && break; done <"$p/status" 2>/dev/null
    case $state in Z*) ;; *) return 0 ;; esac
  done
  return 1
}
"""
WRAPPER = (
    RUNNING.replace("local ", ": ")  # sh has no `local`
    + r"""
keep=$1; shift
"$@" 2>&1
rc=$?
if [ "$keep" != 1 ]; then
  n=0
  while [ $n -lt 1000 ] && __agls_running; do kill -9 -1 2>/dev/null; n=$((n + 1)); done
fi
report="rc=$rc"
for f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do
  if [ -r "$f" ]; then
    while read -r key value; do [ "$key" = max ] && report="$report pids-max=$value"; done <"$f"
    break
  fi
done
echo "$report" >&2
if [ "$keep" = 1 ]; then
  for p in /proc/[0-9]*; do
    [ -O "$p" ] && [ "${p#/proc/}" != $$ ] || continue
    line=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) && [ -n "$line" ] && echo "${p#/proc/} ${line% }" >&2
  done
fi
exit $rc
"""
)
# The same work after each line of the persistent shell (shell_session), as bash functions: only builtins.
SHELL_AFTER = (
    RUNNING
    + r"""
__agls_after() {  # $1 the line's token, $2 1: what it started keeps running; sets __agls_words, the report's words
  local n=0 key value f p a line
  if [ "$2" != 1 ]; then
    while [ $n -lt 1000 ] && __agls_running; do builtin kill -9 -1 2>/dev/null; n=$((n + 1)); done
  fi
  for f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do
    if [ -r "$f" ]; then
      while read -r key value; do [ "$key" = max ] && __agls_words+=" pids-max=$value"; done <"$f"
      break
    fi
  done
  [ "$2" = 1 ] || return 0
  for p in /proc/[0-9]*; do
    [ -O "$p" ] && [ "${p#/proc/}" != $$ ] || continue
    line=
    while IFS= read -r -d '' a; do line="$line$a "; done <"$p/cmdline" 2>/dev/null
    [ -n "$line" ] && __agls_words+=$'\n'"${p#/proc/} ${line% }"
  done
  return 0
}
"""
)


def wrapped(argv: list[str], *, keep: bool) -> list[str]:
    """The exec's argv: the wrapper around the command."""
    return ["/bin/sh", "-c", WRAPPER, "sh", "1" if keep else "0", *argv]


def keeper_user(user: str) -> str:
    """The uid:gid the container's own processes run as: one no command runs as."""
    uid = next(u for u in KEEPER_UIDS if str(u) != user.split(":")[0])
    return f"{uid}:{uid}"


@dataclass
class Report:
    """What the wrapper said after the command; `complete` is False when it was killed before it could say it."""

    complete: bool = False
    code: int | None = None  # the command's exit code
    pids_max: int | None = None  # None: the cgroup's pids.events is not visible in this container
    left: list[str] = field(default_factory=list)


def parse_report(text: str) -> Report:
    """The last report line wins: a command could write to the wrapper's stderr, but it is dead by then."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("rc=")]
    if not starts:
        return Report()
    words = dict(w.split("=", 1) for w in lines[starts[-1]].split() if "=" in w)
    pids = words.get("pids-max", "")
    code = words.get("rc", "")
    return Report(
        complete=True,
        code=int(code) if code.lstrip("-").isdigit() else None,
        pids_max=int(pids) if pids.isdigit() else None,
        left=lines[starts[-1] + 1 :],
    )
