# Sourced by ./test.sh: Debian's neovim, the stock LSP client of tests/lsp/test_neovim.py (its built-in client,
# no plugin). When it cannot be installed here, AUTOGPT_NEOVIM_UNAVAILABLE says why and that test skips with it.
# shellcheck shell=bash

_neovim_setup() {
  command -v nvim >/dev/null && return 0
  debian_install nvim neovim
}

if reason="$(_neovim_setup)"; then
  unset AUTOGPT_NEOVIM_UNAVAILABLE
  echo "Neovim: $(nvim --version | head -1)."
else
  export AUTOGPT_NEOVIM_UNAVAILABLE="$reason"
  echo "SKIPPING the Neovim test: $reason" >&2
fi
unset reason
