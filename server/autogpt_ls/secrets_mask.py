"""One masking of every known secret, for logs, tool results and streamed command output.

A command on the local executor runs as the user: it can read the server's environment or config `.env`.
Masking keeps the values out of the LLM's prompts, the store, the logs and the screen; it is a last line of
defence, not isolation: it catches a secret as it is, in hex or in base64, not a command that transforms it
in any other way.
"""

from __future__ import annotations

import base64
import ctypes
import logging
import re
import sys
from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger(__name__)
PR_SET_DUMPABLE = 4  # linux/prctl.h
MASK = "***"
MIN_LENGTH = 4  # a shorter value would mask ordinary words
MIN_ENCODED = 12  # an encoded form shorter than this could match ordinary text
MIN_NAMED = 8  # a variable named like a secret may hold a short common value ("true")
_SECRET_NAME = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL|_KEY$)", re.IGNORECASE)


def looks_secret(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (OPENAI_API_KEY, GITHUB_TOKEN...)."""
    return bool(_SECRET_NAME.search(name))


def named_secrets(env: Mapping[str, str]) -> list[str]:
    """The values of variables named like secrets, long enough to be masked without masking ordinary words."""
    return [value for name, value in env.items() if looks_secret(name) and len(value) >= MIN_NAMED]


def _forms(secret: str) -> set[str]:
    """How output may show the secret: as is, in hex, or inside base64 at any of its three alignments."""
    raw = secret.encode()
    encoded = {raw.hex(), raw.hex().upper()}
    for shift in range(3):
        text = base64.b64encode(bytes(shift) + raw).decode()
        # keep only the characters that depend on the secret alone, not on the bytes around it
        end = len(text) if (shift + len(raw)) % 3 == 0 else len(text) - 4
        encoded.add(text[4 if shift else 0 : end])
    return {secret} | {form for form in encoded if len(form) >= MIN_ENCODED}


class SecretMask:
    """Replaces every form of every secret with ***; call it on text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = sorted({f for s in secrets if len(s) >= MIN_LENGTH for f in _forms(s)}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None
        self._starts = {f[:i] for f in forms for i in range(1, len(f))}  # what a chunk may end with
        self._longest = len(forms[0]) if forms else 0

    def __bool__(self) -> bool:
        """False when there is nothing to mask."""
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text

    def unfinished(self, text: str) -> int:
        """How many characters at the end of `text` could begin a secret that the next chunk completes."""
        for size in range(min(len(text), self._longest - 1), 0, -1):
            if text[-size:] in self._starts:
                return size
        return 0

    def stream(self, sink: Callable[[str], None]) -> MaskedStream:
        return MaskedStream(self, sink)


NO_SECRETS = SecretMask()


class MaskedStream:
    """Chunks of output passed on masked: a secret split across chunks is held back until it can be masked."""

    def __init__(self, mask: SecretMask, sink: Callable[[str], None]) -> None:
        self._mask = mask
        self._sink = sink
        self._held = ""

    def write(self, chunk: str) -> None:
        text = self._mask(self._held + chunk)
        cut = len(text) - self._mask.unfinished(text)
        self._held = text[cut:]
        if cut:
            self._sink(text[:cut])

    def close(self) -> None:
        """The output ended: what was held back is not a secret (it is already masked)."""
        held, self._held = self._held, ""
        if held:
            self._sink(held)


def forbid_dumps() -> None:
    """Linux: no other process of this user may read our /proc/<pid>/environ (which holds the keys) or our
    memory, attach a debugger, or get a core dump. Children are not affected: exec makes them dumpable again.

    Root keeps CAP_SYS_PTRACE, so this protects only a non-root user; masking covers the rest. A no-op elsewhere.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_DUMPABLE, 0) failed: errno %d", ctypes.get_errno())
