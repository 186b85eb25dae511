#!/usr/bin/env bash
# ./test.sh [pytest args]: installs everything the tests need, then lint, format, types and the whole suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
# shellcheck source=scripts/bootstrap.sh
source "$root/scripts/bootstrap.sh"
bootstrap_venv "$root" dev
bin="$root/.venv/bin"
# A setup script that starts a service for this run only adds its stop command here: it runs however the run ends.
on_exit=()
trap 'for stop in "${on_exit[@]}"; do "$stop"; done' EXIT
# Services and tools the tests need beyond the venv (a Docker engine, code-server, ...): one script each,
# sourced in order, each installing what is missing and caching slow builds outside the clone.
for setup in "$root"/scripts/setup.d/*.sh; do
  [ -e "$setup" ] || continue
  echo "== setup: $(basename "$setup")"
  # shellcheck source=/dev/null
  source "$setup"
done
echo "== ruff check" && "$bin/ruff" check server tests bench
echo "== ruff format --check" && "$bin/ruff" format --check server tests bench
echo "== mypy" && "$bin/mypy"
echo "== pytest" && "$bin/pytest" "$@"
