# Sourced by ./test.sh: Debian's espeak-ng (speak mode's local voice, `autogpt-ls run --speak`) and sox (the tests
# measure the spoken files with `sox --i -D`). When they cannot be installed here, AUTOGPT_SPEECH_UNAVAILABLE says
# why and the speech tests skip with it.
# shellcheck shell=bash

_speech_setup() {
  command -v espeak-ng >/dev/null && command -v sox >/dev/null && return 0
  debian_install "espeak-ng and sox" espeak-ng sox
}

if reason="$(_speech_setup)"; then
  unset AUTOGPT_SPEECH_UNAVAILABLE
  echo "Speech: $(espeak-ng --version | head -1); sox $(sox --version | sed 's/.*SoX v//')."
else
  export AUTOGPT_SPEECH_UNAVAILABLE="$reason"
  echo "SKIPPING the speech tests: $reason" >&2
fi
unset reason
