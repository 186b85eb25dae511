"""The one masking of secrets: whole values, their hex and base64 forms, and values split across chunks."""

from __future__ import annotations

import base64

import pytest

from autogpt_ls.secrets_mask import SecretMask, named_secrets

KEY = "sk-test-abcdefghijklmnop0123456789"
mask = SecretMask([KEY, "tok-2222"])


def test_whole_values_and_their_encodings_are_masked() -> None:
    assert mask(f"OPENAI_API_KEY={KEY}\0TOKEN=tok-2222\n") == "OPENAI_API_KEY=***\0TOKEN=***\n"
    for before in ("", "a", "ab", "OPENAI_API_KEY="):  # every base64 alignment
        text = (before + KEY + "\n").encode()
        for encoded in (base64.b64encode(text).decode(), text.hex(), text.hex().upper()):
            assert "***" in mask(encoded), encoded
    assert mask("nothing to hide") == "nothing to hide"


def test_short_values_are_not_masked() -> None:
    assert not SecretMask(["abc", ""])
    assert SecretMask(["abc"])("abc") == "abc"
    assert named_secrets({"GITHUB_TOKEN": "ghp_0123456789", "DEBUG_TOKEN": "true", "HOME": "/root/home"}) == [
        "ghp_0123456789"
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 33, 100])
def test_a_secret_split_across_chunks_is_masked(size: int) -> None:
    text = f"env:\nA=1\0OPENAI_API_KEY={KEY}\0B=sk-te\0C=tok-2222"
    sent: list[str] = []
    stream = mask.stream(sent.append)
    for start in range(0, len(text), size):
        stream.write(text[start : start + size])
    stream.close()
    assert "".join(sent) == "env:\nA=1\0OPENAI_API_KEY=***\0B=sk-te\0C=***"


def test_output_that_cannot_begin_a_secret_is_not_held_back() -> None:
    sent: list[str] = []
    stream = mask.stream(sent.append)
    stream.write("hello ")
    assert sent == ["hello "]
    stream.write("world sk-")
    assert sent == ["hello ", "world "]  # "sk-" could begin the key: held until the next chunk
    stream.write("bonus\n")
    assert sent == ["hello ", "world ", "sk-bonus\n"]
