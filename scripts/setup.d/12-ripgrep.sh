# Sourced by ./test.sh: Debian's ripgrep, which search_files uses when it is installed (the Python search is the
# fallback). tests/tools/test_search_ripgrep.py runs both; without rg, AUTOGPT_RIPGREP_UNAVAILABLE says why and the
# ripgrep half skips with it.
# shellcheck shell=bash

_ripgrep_setup() {
  command -v rg >/dev/null && return 0
  debian_install ripgrep ripgrep
}

if reason="$(_ripgrep_setup)"; then
  unset AUTOGPT_RIPGREP_UNAVAILABLE
  echo "ripgrep: $(rg --version | head -1)."
else
  export AUTOGPT_RIPGREP_UNAVAILABLE="$reason"
  echo "SKIPPING the ripgrep search tests: $reason" >&2
fi
unset reason
