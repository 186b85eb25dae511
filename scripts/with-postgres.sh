#!/usr/bin/env bash
# scripts/with-postgres.sh CMD...: run CMD with DATABASE_URL naming a throwaway PostgreSQL server on a loopback
# port (the one ./test.sh starts: scripts/setup.d/40-postgres.sh), stopped when CMD ends. For bench/ap_scale.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.venv/bin"
# shellcheck source=scripts/bootstrap.sh
source "$root/scripts/bootstrap.sh"
bootstrap_venv "$root" dev
on_exit=()
trap 'for stop in "${on_exit[@]}"; do "$stop"; done' EXIT
# shellcheck source=scripts/setup.d/40-postgres.sh
source "$root/scripts/setup.d/40-postgres.sh" >&2
[ -n "${AUTOGPT_TEST_POSTGRES_URL:-}" ] || { echo "$AUTOGPT_POSTGRES_UNAVAILABLE" >&2; exit 2; }
DATABASE_URL="$AUTOGPT_TEST_POSTGRES_URL" "$@"
