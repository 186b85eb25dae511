"""git on the user's own repository (the workspace's), for the git tools and GIT_AUTO_COMMIT.

Every call runs with hooks off, no fsmonitor, editor, pager, credential helper or signing program, and only the
file protocol (plus https/ssh/git for a clone when the task has network access), whatever any config says; the
user's global and system config are not read (their identity excepted, below), so nothing in them runs either.
git never looks for a repository above the workspace (GIT_CEILING_DIRECTORIES), and the work tree is the workspace
whatever the repository's `core.worktree` says. Commits are made as the repository's own `user.name`/`user.email`,
else the user's global ones, else `FALLBACK_AUTHOR`.
"""

from __future__ import annotations

import os
from pathlib import Path

from autogpt_ls.gitcli import GitFailed, clean_env, run_git

FALLBACK_AUTHOR = ("autogpt-ls", "autogpt-ls@localhost")
NETWORK_PROTOCOLS = ("https", "http", "ssh", "git")
_SAFE = {
    "core.hooksPath": "/dev/null",
    "core.fsmonitor": "false",
    "core.editor": ":",
    "core.pager": "cat",
    "core.askPass": "",
    "credential.helper": "",
    "commit.gpgSign": "false",
    "tag.gpgSign": "false",
    "log.showSignature": "false",  # verifying a signed commit in git_log would run gpg.program
    "gpg.program": "false",
    "gpg.ssh.program": "false",
    "gpg.x509.program": "false",
    "protocol.allow": "never",
    "protocol.file.allow": "always",
}


def safe_options(network: bool = False) -> list[str]:
    """`-c` options that override whatever the repository's config says about programs git may run."""
    settings = dict(_SAFE)
    if network:
        settings.update({f"protocol.{p}.allow": "always" for p in NETWORK_PROTOCOLS})
    return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]


class NotARepository(GitFailed):
    """The workspace has no `.git` of its own."""


class UserRepo:
    """The repository whose work tree is the workspace root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = clean_env(GIT_CEILING_DIRECTORIES=str(root.parent), GIT_LITERAL_PATHSPECS="1")

    def exists(self) -> bool:
        return (self.root / ".git").exists()

    async def git(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        if not self.exists():
            raise NotARepository(f"the workspace {self.root} is not a git repository (it has no .git)")
        options = [*safe_options(), f"--work-tree={self.root}"]
        return await run_git([*options, *args], env={**self.env, **(env or {})}, cwd=self.root, stdin=stdin)

    async def head(self) -> str:
        """The current branch's name, or the commit's short hash when HEAD is detached ("" before any commit)."""
        try:
            branch = (await self.git("symbolic-ref", "-q", "--short", "HEAD")).strip()
        except GitFailed:
            branch = ""
        return branch or (await self.git("rev-parse", "-q", "--verify", "--short", "HEAD")).strip()

    async def identity(self) -> dict[str, str]:
        """The author and committer of our commits: the repository's identity, the user's global one, or ours."""
        name = await self._config("user.name")
        email = await self._config("user.email")
        if not (name and email):
            name, email = FALLBACK_AUTHOR
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }

    async def _config(self, key: str) -> str:
        """One value from the repository's config, else the user's global config (read, never run)."""
        try:
            return (await self.git("config", "--get", key)).strip()
        except GitFailed:
            pass
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_CONFIG_GLOBAL"}
        try:
            return (await run_git(["config", "--global", "--get", key], env=env, cwd=self.root)).strip()
        except GitFailed:
            return ""
