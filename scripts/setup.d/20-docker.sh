# Sourced by ./test.sh: a running Docker engine and the sandbox image for tests/executors.
# Installs Debian's docker.io when missing, starts dockerd (vfs storage, no bridge, no iptables: nothing leaves
# loopback) when `docker info` does not answer, and builds the sandbox image (cached in ~/.cache/autogpt-ls).
# openssl makes the certificates of the second, TLS engine that tests/executors/remote_engine.py starts.
# When the engine truly cannot run here, AUTOGPT_DOCKER_UNAVAILABLE says why and the Docker tests skip with it.
# shellcheck shell=bash

_docker_engine_up() { timeout 5 docker info >/dev/null 2>&1; }

_docker_setup() {
  if ! command -v dockerd >/dev/null && ! _docker_engine_up; then
    debian_install "Docker engine" docker.io debootstrap || return 1
  fi
  if ! _docker_engine_up; then
    [ "$(id -u)" = 0 ] || { echo "dockerd is not running and starting it needs root"; return 1; }
    local log="${AUTOGPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autogpt-ls}/dockerd.log"
    mkdir -p "$(dirname "$log")"
    echo "Starting dockerd (log: $log)..." >&2
    setsid nohup dockerd --storage-driver=vfs --bridge=none --iptables=false >"$log" 2>&1 </dev/null &
    disown || true
    local i
    for i in $(seq 1 60); do
      _docker_engine_up && break
      sleep 0.5
    done
    _docker_engine_up || { echo "dockerd did not answer within 30 s: $(tail -3 "$log" | tr '\n' ' ')"; return 1; }
  fi
  if ! command -v openssl >/dev/null; then
    debian_install "openssl" openssl >&2 || true  # the remote engine's TLS certificates; its tests skip without it
  fi
  if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
    debian_install "Docker Compose" docker-compose >&2 || true  # docker-compose.yml's test skips without it
  fi
  local out
  out="$("$root/scripts/sandbox-image.sh" 2>&1)" || { echo "the sandbox image could not be built: ${out: -400}"; return 1; }
}

if reason="$(_docker_setup)"; then
  unset AUTOGPT_DOCKER_UNAVAILABLE
  echo "Docker engine up; sandbox image ready."
else
  export AUTOGPT_DOCKER_UNAVAILABLE="$reason"
  echo "SKIPPING the Docker tests: $reason" >&2
fi
unset reason
