"""The policy's corpus: command lines LLM agents write every day must parse and be checked, not refused as
unparsable (bashlex refused 30 of these; tree-sitter-bash parses them all)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autogpt_ls.tools.shell_policy import ShellCommandDenied, check_shell_command

CORPUS: list[str] = yaml.safe_load((Path(__file__).parent / "shell_corpus.yaml").read_text())
COMPUTED = {  # lines that really do run a command computed at run time: refused in both modes, for that reason
    'retry() { for i in 1 2 3; do "$@" && return 0; sleep 1; done; return 1; }',
    'eval "$(ssh-agent -s)"',
}


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(set(CORPUS)) == len(CORPUS) >= 300
    assert set(CORPUS) >= COMPUTED


@pytest.mark.parametrize("line", CORPUS)
def test_each_line_parses_and_every_command_is_checked(line: str) -> None:
    # with nothing allowed, each line is refused: it runs at least one command, and the policy saw it
    with pytest.raises(ShellCommandDenied) as refused:
        check_shell_command(line, "allowlist", [], [])
    assert "could not parse" not in str(refused.value)
    if line in COMPUTED:
        with pytest.raises(ShellCommandDenied, match="computed at run time"):
            check_shell_command(line, "denylist", [], [])
    else:
        check_shell_command(line, "denylist", [], [])  # parsed, and nothing computed: an empty denylist passes it
