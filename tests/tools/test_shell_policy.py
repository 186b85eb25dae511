"""SHELL_COMMAND_CONTROL must see every command in a line, not just the first word, and fail closed."""

from __future__ import annotations

import re
from typing import Literal

import pytest

from autogpt_ls.tools.shell_policy import ShellCommandDenied, check_shell_command

Mode = Literal["allowlist", "denylist"]
ALLOW = ["ls", "cd", "cat", "grep", "echo", "git", "python", "wc", "true", "false"]
DENY = ["sudo", "rm", "curl", "su", "/usr/bin/wget"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # plain commands, pipelines and lists
        ("ls -la", ["ls"]),
        ("cat f | grep x | wc -l", ["cat", "grep", "wc"]),
        ("ls |& cat", ["ls", "cat"]),
        ("make; make test && echo ok || echo fail", ["make", "make", "echo", "echo"]),
        ("sleep 1 & ls", ["sleep", "ls"]),
        ("ls\npwd", ["ls", "pwd"]),
        ("! grep -q x f", ["grep"]),
        # subshells, groups, control flow, functions
        ("(cd x && make) ; { ls; pwd; }", ["cd", "make", "ls", "pwd"]),
        ("if test -f x; then ls; else rm x; fi", ["test", "ls", "rm"]),
        ("for f in $(ls); do wc $f; done", ["ls", "wc"]),
        ("while true; do sleep 1; done", ["true", "sleep"]),
        ("f() { rm x; }; f", ["rm", "f"]),
        ("[ -f x ] && ls", ["[", "ls"]),
        # substitutions
        ("echo $(rm -rf /)", ["echo", "rm"]),
        ("echo `whoami`", ["echo", "whoami"]),
        ('echo "today is $(date)"', ["echo", "date"]),
        ("echo $(cat $(which ls))", ["echo", "cat", "which"]),
        ("diff <(ls a) <(ls b)", ["diff", "ls", "ls"]),
        ("ls > $(rm x)", ["ls", "rm"]),
        # quoting, comments and redirections do not create commands
        ('echo "rm -rf /"', ["echo"]),
        ("echo 'sudo rm -rf /'", ["echo"]),
        ("echo '$(rm x)'", ["echo"]),
        ("ls # ; rm -rf /", ["ls"]),
        ("ls > out.txt 2>&1", ["ls"]),
        ("cat < in.txt >> out.txt", ["cat"]),
        ('"rm" x', ["rm"]),
        ("r''m x", ["rm"]),
        ("\\rm x", ["rm"]),
        # heredocs: the body is data, unless an unquoted delimiter lets $(...) run
        ("cat <<EOF\nrm -rf /\nEOF", ["cat"]),
        ("cat <<-EOF\n\trm -rf /\n\tEOF", ["cat"]),
        ("cat <<'EOF' > f.py\nimport os\nprint('$(rm -rf /)')\nEOF\npython f.py", ["cat", "python"]),
        ('cat <<"EOF"\n`rm x`\nEOF', ["cat"]),
        ('cat <<EOF\nsay "hi" $(rm -rf /)\nEOF', ["cat", "rm"]),
        ('cat <<EOF\n$(eval "rm x") `rm y`\nEOF', ["cat", "rm", "eval", "rm"]),  # found by test_properties.py
        ("! ! rm x", ["rm"]),  # bash negates twice; the grammar reads the second `!` as a command name
        ("cat <<EOF | sh\nrm x\nEOF", ["cat", "sh"]),
        # leading assignments
        ("FOO=1 BAR=2 make", ["make"]),
        ("FOO=$(id -u) make", ["id", "make"]),
        ("X=1", []),
        ("X=1 Y=2", []),
        # names are compared by basename
        ("/usr/bin/sudo ls", ["sudo", "ls"]),
        ("./run.sh", ["run.sh"]),
        ("~/bin/tool x", ["tool"]),
        # wrappers run the wrapped command
        ("ls | xargs rm", ["ls", "xargs", "rm"]),
        ("find . | xargs -I {} -n 1 rm -f {}", ["find", "xargs", "rm"]),
        ("xargs -0 -P4 -L1 gzip", ["xargs", "gzip"]),
        ("xargs --max-args 2 --delimiter=, rm", ["xargs", "rm"]),
        ("xargs", ["xargs"]),
        ("timeout 5 curl x", ["timeout", "curl"]),
        ("timeout -s KILL 5 curl x", ["timeout", "curl"]),
        ("timeout --signal=KILL -k 2 10s wget x", ["timeout", "wget"]),
        ("timeout -- 5 wget x", ["timeout", "wget"]),
        ("env FOO=1 BAR=2 python x.py", ["env", "python"]),
        ("env -i -u HOME PATH=/bin -- sh -c 'rm x'", ["env", "sh", "rm"]),
        ("env -S 'rm -rf x'", ["env", "rm"]),
        ("env", ["env"]),
        ("nice -n 5 make", ["nice", "make"]),
        ("nice -n5 make", ["nice", "make"]),
        ("nice -5 make", ["nice", "make"]),
        ("nohup ./server &", ["nohup", "server"]),
        ("time make", ["time", "make"]),
        ("time -p make", ["time", "make"]),
        ("/usr/bin/time -f %e make", ["time", "make"]),
        ("command -v git", ["command", "git"]),
        ("builtin cd /", ["builtin", "cd"]),
        ("exec -a name python app.py", ["exec", "python"]),
        ("exec > log 2>&1", ["exec"]),
        ("stdbuf -oL -e 0 python x", ["stdbuf", "python"]),
        ("ionice -c 3 -n7 du -sh", ["ionice", "du"]),
        ("setsid -f server", ["setsid", "server"]),
        ("chroot /mnt /bin/bash", ["chroot", "bash"]),
        ("chroot --userspec=u:g /mnt ls", ["chroot", "ls"]),
        ("sudo rm -rf /", ["sudo", "rm"]),
        ("sudo -u root -- apt-get install x", ["sudo", "apt-get"]),
        ("sudo -Eu root rm x", ["sudo", "rm"]),
        ("sudo FOO=1 rm x", ["sudo", "rm"]),
        ("sudo", ["sudo"]),
        ("doas -u bob vim", ["doas", "vim"]),
        ("su -c 'rm -rf /' root", ["su", "rm"]),
        ("su - root -c id", ["su", "id"]),
        ("su --command='rm x' bob", ["su", "rm"]),
        ("su -s /bin/zsh bob", ["su", "zsh"]),
        ("su bob", ["su"]),
        ("watch -n 1 'df -h; free -m'", ["watch", "df", "free"]),
        ("watch -x ls -l", ["watch", "ls"]),
        ("strace -f -e trace=open -o log cat x", ["strace", "cat"]),
        ("flock /tmp/lock make", ["flock", "make"]),
        ("flock -w 5 /tmp/lock -c 'rm x'", ["flock", "rm"]),
        ("unbuffer -p tee log", ["unbuffer", "tee"]),
        ("parallel -j4 gzip ::: a b", ["parallel", "gzip"]),
        ("parallel 'rm {}' ::: a b", ["parallel", "rm"]),
        ("sudo timeout 5 nice -n 10 nohup rm x", ["sudo", "timeout", "nice", "nohup", "rm"]),
        # find -exec / -execdir / -ok
        ("find . -name '*.tmp' -exec rm {} \\;", ["find", "rm"]),
        ("find . -execdir sh -c 'rm \"$1\"' _ {} +", ["find", "sh", "rm"]),
        ("find . -ok rm {} ';' -exec ls {} +", ["find", "rm", "ls"]),
        ("find . -name x", ["find"]),
        # nested shells and eval are parsed recursively
        ("sh -c 'ls; rm x'", ["sh", "ls", "rm"]),
        ('bash -c "sudo ls"', ["bash", "sudo", "ls"]),
        ("bash -lc 'make'", ["bash", "make"]),
        ("bash -e -o pipefail -c 'a | b'", ["bash", "a", "b"]),
        ("zsh -c 'rm x'", ["zsh", "rm"]),
        ("dash -c 'rm x'", ["dash", "rm"]),
        ("/bin/sh -c 'echo $(curl x)'", ["sh", "echo", "curl"]),
        ("sh -c \"bash -c 'rm -rf /'\"", ["sh", "bash", "rm"]),
        ('sh -c "ls $(rm x)"', ["sh", "ls", "rm"]),
        ("bash script.sh", ["bash"]),
        ("sh -c ''", ["sh"]),
        ('eval "rm -rf x"', ["eval", "rm"]),
        ("eval ls -l", ["eval", "ls"]),
        # dynamic command names are reported as written (check_shell_command refuses them)
        ("$CMD arg", ["$CMD"]),
        ("$(echo rm) -rf x", ["$(echo rm)", "echo"]),
        ("`echo rm` x", ["`echo rm`", "echo"]),
        ("sudo $CMD", ["sudo", "$CMD"]),
        ('sh -c "$X"', ["sh", "$X"]),
        ("{rm,-rf,x}", ["{rm,-rf,x}"]),
        ("/bin/r? x", ["/bin/r?"]),
        ("ls | xargs -I {} {}", ["ls", "xargs", "{}"]),
        ("ls | parallel", ["ls", "parallel", "(commands read by parallel from its input)"]),
        # bash-only syntax the grammar knows
        ("case $x in a) ls;; *.py|b) rm x;; esac", ["ls", "rm"]),
        ("[[ -f x && $y == z* ]] && ls", ["ls"]),
        ("[[ $(rm x) ]]", ["rm"]),
        ("echo $((1 + 2))", ["echo"]),
        ("a=(1 2 $(id)); echo ${a[@]} ${#a[@]}", ["id", "echo"]),
        ("declare -A m=([k]=v); export A=$(id) B", ["declare", "export", "id"]),
        ("select x in a b; do rm $x; done", ["rm"]),
        ("echo ${X:-$(rm -rf /)}", ["echo", "rm"]),
        ("coproc cat", ["cat"]),
        ("coproc rm -rf x", ["rm"]),
        ("coproc SRV { rm x; }", ["rm"]),
        ("coproc ( ls )", ["ls"]),
        ("coproc while true; do rm x; done", ["true", "rm"]),
        ('cat <<EOF\n"`rm x`"\nEOF', ["cat", "rm"]),
        # function bodies and alias values are checked when defined (a persistent shell keeps them)
        ("function g { sudo ls; }", ["sudo", "ls"]),
        ("ls() { rm -rf x; }", ["rm"]),
        ("alias ll='rm -rf'", ["alias", "rm"]),
        ("alias a=sudo b='ls | wc -l'", ["alias", "sudo", "ls", "wc"]),
        ('alias x="$Y"', ["alias", "$Y"]),
        # eval of a computed string is refused; a literal one is parsed
        ('eval "echo $X"', ["eval", "eval echo $X"]),
        ("eval ls *.py", ["eval", "eval ls *.py"]),
        ('eval "$(ssh-agent -s)"', ["eval", "eval $(ssh-agent -s)", "ssh-agent"]),
    ],
)
def test_command_names(line: str, expected: list[str]) -> None:
    dynamic, literal = named_in_refusal(line)
    found = list(dict.fromkeys(expected))
    assert dynamic + literal == [n for n in found if n in dynamic] + [n for n in found if n not in dynamic]


def named_in_refusal(line: str) -> tuple[list[str], list[str]]:
    """(names computed at run time, literal names), each in the line's order, as the refusal names them: with
    nothing allowed, every command the line would run is refused (a line that runs none passes)."""
    try:
        check_shell_command(line, "allowlist", [], [])
    except ShellCommandDenied as refused:
        text = str(refused)
    else:
        return [], []
    dynamic, _, literal = text.partition("computed at run time") if "computed at run time" in text else ("", "", text)
    return re.findall(r"'([^']+)'", dynamic), re.findall(r"'([^']+)'", literal)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   ",
        "ls &&",
        'echo "unterminated',
        "if true; then ls",
        "case x in",
        "echo $(ls",
        "ls; done",
        "python - <<'EOF'",
        "sh -c 'ls &&'",
        "echo ${X:-$(rm -rf /)}",
        "eval " * 12 + "ls",
    ],
)
def test_unanalysable_lines_fail_closed(line: str) -> None:
    modes: list[Mode] = ["allowlist", "denylist"]
    for mode in modes:
        with pytest.raises(ShellCommandDenied):
            check_shell_command(line, mode, ALLOW, DENY)


def test_parse_failure_message() -> None:
    with pytest.raises(ShellCommandDenied, match=r"^could not parse the shell command 'ls &&': ") as info:
        check_shell_command("ls &&", "denylist", ALLOW, DENY)
    assert "nothing ran" in str(info.value)


@pytest.mark.parametrize(
    ("line", "construct"),
    [
        ('echo "unterminated', 'a "..." string is not closed or not complete (it starts at line 1, column 6)'),
        ("ls\nif true; then ls", "an `if` block is not closed or not complete (it starts at line 2, column 1)"),
        ("echo $(ls", "a ')' is missing after 'echo $(ls' (at line 1, column 10)"),
        ("ls; done", "unexpected 'done' at line 1, column 5"),
    ],
)
def test_parse_failure_names_the_construct(line: str, construct: str) -> None:
    with pytest.raises(ShellCommandDenied) as info:
        check_shell_command(line, "denylist", ALLOW, DENY)
    assert str(info.value).startswith(f"could not parse the shell command {line!r}: {construct}. ")


@pytest.mark.parametrize("line", ["source .venv/bin/activate && ls", ". ./env.sh"])
def test_sourcing_is_refused_by_an_allowlist_and_allowed_by_a_denylist(line: str) -> None:
    with pytest.raises(ShellCommandDenied, match="refused with SHELL_ALLOWLIST: it runs a file's code"):
        check_shell_command(line, "allowlist", [*ALLOW, "source", "."], [])
    check_shell_command(line, "denylist", ALLOW, DENY)


@pytest.mark.parametrize(
    "line",
    ["echo $((x + 1))", "(( i++ ))", "for ((i = 0; i < 3; i++)); do echo $i; done", "echo ${a[$i]}", "[[ $n -gt 2 ]]"],
)
def test_arithmetic_on_variables_is_refused_by_an_allowlist_and_allowed_by_a_denylist(line: str) -> None:
    with pytest.raises(ShellCommandDenied, match="refused with SHELL_ALLOWLIST: it evaluates a variable's value"):
        check_shell_command(line, "allowlist", ALLOW, [])
    check_shell_command(line, "denylist", ALLOW, DENY)


@pytest.mark.parametrize("line", ["echo $((1 + 2 * 3))", "echo ${a[1]} ${a[@]}", "[[ -n x && 3 -gt 2 ]] && ls"])
def test_literal_arithmetic_passes_an_allowlist(line: str) -> None:
    check_shell_command(line, "allowlist", ALLOW, [])


@pytest.mark.parametrize(
    ("line", "offender"),
    [
        ("f() { rm -rf x; }", "rm"),
        ("ls() { sudo ls; }; ls", "sudo"),
        ("alias ls='rm -rf'", "rm"),
        ("alias please=sudo", "sudo"),
        ("alias x='ls; curl y'", "curl"),
        ("case $1 in *) rm x;; esac", "rm"),
        ("[[ -f x ]] && rm x", "rm"),
        ("coproc SRV { curl x; }", "curl"),
        ("coproc sudo ls", "sudo"),
        ("echo $(( $(rm x) ))", "rm"),
        ("a=($(curl x))", "curl"),
        ("eval 'curl x'", "curl"),
    ],
)
def test_definitions_and_bash_syntax_are_checked_in_both_modes(line: str, offender: str) -> None:
    with pytest.raises(ShellCommandDenied, match=f"'{offender}'.*not allowed .listed in SHELL_DENYLIST"):
        check_shell_command(line, "denylist", ALLOW, DENY)
    with pytest.raises(ShellCommandDenied, match=f"'{offender}'.*not allowed .not in SHELL_ALLOWLIST"):
        check_shell_command(line, "allowlist", [a for a in ALLOW if a != offender], [])


@pytest.mark.parametrize("mode", ["allowlist", "denylist"])
def test_eval_of_a_computed_string_is_refused_and_a_literal_one_checked(mode: Mode) -> None:
    allowed = [*ALLOW, "eval"]
    check_shell_command("eval 'ls -l | wc -l'", mode, allowed, DENY)
    for line in ('eval "$CMD"', 'eval "ls $X"', "eval ls $(cat f)", "eval echo *"):
        with pytest.raises(ShellCommandDenied, match="computed at run time"):
            check_shell_command(line, mode, allowed, DENY)


@pytest.mark.parametrize(
    "line",
    [
        "ls -la",
        "cat a | grep b | wc -l",
        "git status && git diff; echo done",
        'echo "rm -rf /"',
        "echo 'sudo rm' # ; rm x",
        "/bin/ls",
        "cat <<'EOF' > f.py\nimport os\nos.system('rm -rf /')\nEOF",
        "X=1",
        "python x.py > out.txt 2>&1",
        "true || false",
        "echo $(git rev-parse HEAD)",
        "(cd src && ls) | wc -l",
    ],
)
def test_allowlist_passes(line: str) -> None:
    check_shell_command(line, "allowlist", ALLOW, DENY)


@pytest.mark.parametrize(
    ("line", "offender"),
    [
        ("ls; rm x", "rm"),
        ("ls && sudo x", "sudo"),
        ("ls || make", "make"),
        ("cat f | sh", "sh"),
        ("echo $(rm x)", "rm"),
        ("echo `curl x`", "curl"),
        ("diff <(ls) x", "diff"),
        ("ls | xargs cat", "xargs"),
        ("timeout 5 ls", "timeout"),
        ("env FOO=1 ls", "env"),
        ("/usr/bin/curl x", "curl"),
        ("sh -c 'ls'", "sh"),
        ("cat <<EOF\n$(rm x)\nEOF", "rm"),
        ("find . -exec ls {} +", "find"),
    ],
)
def test_allowlist_refuses(line: str, offender: str) -> None:
    with pytest.raises(ShellCommandDenied, match=f"'{offender}'.*not allowed .not in SHELL_ALLOWLIST"):
        check_shell_command(line, "allowlist", ALLOW, DENY)


@pytest.mark.parametrize(
    "line",
    [
        "ls -la",
        "rmdir x",
        "echo rm",
        'echo "sudo rm -rf /"',
        "grep -r sudo .",
        "cat <<EOF\nsudo rm -rf /\nEOF",
        "X=1",
        "git commit -m 'rm sudo curl'",
        "make && make test",
        "xargs -I {} -n 1 echo {}",
        "find . -name '*.py' -exec grep -l TODO {} +",
        "sh -c 'ls | wc -l'",
    ],
)
def test_denylist_passes(line: str) -> None:
    check_shell_command(line, "denylist", ALLOW, DENY)


@pytest.mark.parametrize(
    ("line", "offender"),
    [
        ("ls; rm x", "rm"),
        ("ls | sudo tee f", "sudo"),
        ("true && curl x", "curl"),
        ("false || rm x", "rm"),
        ("echo $(rm x)", "rm"),
        ("echo `sudo id`", "sudo"),
        ("(rm x)", "rm"),
        ("{ rm x; }", "rm"),
        ("ls | xargs rm", "rm"),
        ("xargs -I {} -n1 rm {}", "rm"),
        ("timeout -s KILL 5 rm x", "rm"),
        ("env -u HOME FOO=1 rm x", "rm"),
        ("find . -exec rm {} \\;", "rm"),
        ("sh -c 'rm x'", "rm"),
        ("bash -c \"sh -c 'sudo ls'\"", "sudo"),
        ("/usr/bin/sudo ls", "sudo"),
        ("/bin/rm x", "rm"),
        ("nice -n 5 rm x", "rm"),
        ("nohup curl x &", "curl"),
        ("time rm x", "rm"),
        ("eval 'rm x'", "rm"),
        ("diff <(curl a) b", "curl"),
        ("FOO=$(curl x) ls", "curl"),
        ("su -c 'ls' root", "su"),
        ("wget http://x", "wget"),
        ("cat <<EOF\n`rm x`\nEOF", "rm"),
    ],
)
def test_denylist_refuses(line: str, offender: str) -> None:
    with pytest.raises(ShellCommandDenied, match=f"'{offender}'.*not allowed .listed in SHELL_DENYLIST"):
        check_shell_command(line, "denylist", ALLOW, DENY)


@pytest.mark.parametrize("mode", ["allowlist", "denylist"])
@pytest.mark.parametrize("line", ["$CMD arg", "$(echo ls) -l", "`echo ls`", "sudo $X", "ls | parallel", "{ls,x}"])
def test_dynamic_command_names_are_refused_in_both_modes(line: str, mode: Mode) -> None:
    with pytest.raises(ShellCommandDenied, match="computed at run time"):
        check_shell_command(line, mode, [*ALLOW, "sudo", "parallel"], [])


def test_denylist_still_checks_inside_a_dynamic_name() -> None:
    with pytest.raises(ShellCommandDenied) as info:
        check_shell_command("$(curl x) -rf /", "denylist", ALLOW, DENY)
    assert str(info.value) == (
        "Command name '$(curl x)' is computed at run time, so it cannot be checked against SHELL_DENYLIST; "
        "write the command name literally. Command 'curl' is not allowed (listed in SHELL_DENYLIST). "
        "The line was refused; nothing ran."
    )


def test_messages_name_every_offender_once() -> None:
    with pytest.raises(ShellCommandDenied) as info:
        check_shell_command("sudo rm x; rm y", "denylist", [], DENY)
    assert str(info.value) == (
        "Commands 'sudo', 'rm' are not allowed (listed in SHELL_DENYLIST). The line was refused; nothing ran."
    )
    with pytest.raises(ShellCommandDenied) as info:
        check_shell_command("ls | curl x", "allowlist", ALLOW, [])
    assert str(info.value) == (
        "Command 'curl' is not allowed (not in SHELL_ALLOWLIST). The line was refused; nothing ran."
    )


def test_list_entries_are_compared_by_basename() -> None:
    check_shell_command("ls", "allowlist", ["/bin/ls"], [])
    with pytest.raises(ShellCommandDenied, match="'wget'"):
        check_shell_command("wget x", "denylist", [], ["/usr/bin/wget"])


def test_empty_allowlist_refuses_everything_and_empty_denylist_allows_anything() -> None:
    with pytest.raises(ShellCommandDenied, match="'ls'"):
        check_shell_command("ls", "allowlist", [], [])
    check_shell_command("sudo rm -rf /tmp/x", "denylist", [], [])


def test_error_is_a_value_error() -> None:
    assert issubclass(ShellCommandDenied, ValueError)
    with pytest.raises(ValueError, match="empty"):
        check_shell_command("  ", "allowlist", ALLOW, DENY)
