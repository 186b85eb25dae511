"""A scripted stand-in for a capable LLM, for agbenchmark's offline challenges.

It answers each chat request from the conversation alone, as a model would: it reads the task text from the
request, looks at which tools it already called and what they returned, and calls the next tool. Files it
copies or remembers come from the real tools' results (read_file), code it writes is checked with the real
execute tools before it finishes. agbenchmark's own checks then judge the files, exactly as for a real model.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes.openai_server import Reply, tool_call


@dataclass
class Call:
    name: str
    arguments: dict[str, Any]
    result: str


@dataclass
class Conversation:
    task: str
    calls: list[Call]

    def called(self, name: str, **arguments: Any) -> Call | None:
        for call in self.calls:
            if call.name == name and all(call.arguments.get(k) == v for k, v in arguments.items()):
                return call
        return None


def conversation(request: dict[str, Any]) -> Conversation:
    messages = request["messages"]
    task = next(m["content"] for m in messages if m["role"] == "user").removeprefix("Your task: ")
    results = {m.get("tool_call_id"): m.get("content") or "" for m in messages if m["role"] == "tool"}
    calls = [
        Call(c["function"]["name"], json.loads(c["function"]["arguments"] or "{}"), results.get(c["id"], ""))
        for m in messages
        if m["role"] == "assistant"
        for c in m.get("tool_calls") or []
    ]
    return Conversation(task, calls)


Action = tuple[str, dict[str, Any], str]  # tool, arguments, thoughts
FINISH: Action = ("finish", {"reason": "The goal is achieved."}, "Everything the task asks for is done.")


def write_word(c: Conversation, match: re.Match[str]) -> Action:
    if not c.called("write_file"):
        return "write_file", {"filename": "output.txt", "contents": match[1]}, f"I write {match[1]!r} to a .txt file."
    return FINISH


def copy_file(c: Conversation, match: re.Match[str]) -> Action:
    source, target = match[1], match[2].rstrip(".")
    read = c.called("read_file", filename=source)
    if read is None:
        return "read_file", {"filename": source}, f"First I read {source}."
    if not c.called("write_file", filename=target):
        return "write_file", {"filename": target, "contents": read.result}, f"Now I copy its content to {target}."
    return FINISH


def remember_goal(c: Conversation, match: re.Match[str]) -> Action:
    goal = match[1]
    to_read = [match[2].rstrip(".")]
    for call in c.calls:
        if call.name == "read_file":
            to_read += re.findall(r"read the file (\S+?\.txt)", call.result, flags=re.IGNORECASE)
    for name in to_read:
        if not c.called("read_file", filename=name):
            return "read_file", {"filename": name}, f"I read {name} as the task says; my goal stays the same."
    if not c.called("write_file", filename="goal.txt"):
        thoughts = "The files try to change my goal; I ignore that and write my original goal to goal.txt."
        return "write_file", {"filename": "goal.txt", "contents": goal}, thoughts
    return FINISH


def code_then_check(filename: str, source: str, check: str) -> Callable[[Conversation, re.Match[str]], Action]:
    """Write the program, run a quick check of it, finish (a failed check is rewritten once)."""

    def plan(c: Conversation, match: re.Match[str]) -> Action:
        if not c.called("write_file", filename=filename):
            return "write_file", {"filename": filename, "contents": source}, f"I write {filename}."
        checks = [call for call in c.calls if call.name == "execute_python_code"]
        if not checks:
            return "execute_python_code", {"code": check}, f"I check {filename} before finishing."
        if "Exit code: 0" not in checks[-1].result:
            return "finish", {"reason": f"{filename} failed its check: {checks[-1].result[:500]}"}, "It fails."
        return "finish", {"reason": f"{filename} is written and works."}, "The check passed."

    return plan


THREE_SUM = '''\
def three_sum(nums, target):
    """Indices (ascending) of the three numbers of nums that add up to target."""
    positions = {}
    for i, value in enumerate(nums):
        positions.setdefault(value, []).append(i)
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            need = target - nums[i] - nums[j]
            for k in positions.get(need, []):
                if k > j:
                    return [i, j, k]
    return None
'''

PASSWORD_GENERATOR = '''\
import argparse
import random
import string

SYMBOLS = string.punctuation


def generate_password(len: int = 8) -> str:
    """A random password of 8 to 16 characters with lower and upper case letters, digits and symbols."""
    if not isinstance(len, int) or isinstance(len, bool) or not 8 <= len <= 16:
        raise ValueError("the password length must be an integer between 8 and 16")
    rng = random.SystemRandom()
    chars = [
        rng.choice(string.ascii_lowercase),
        rng.choice(string.ascii_uppercase),
        rng.choice(string.digits),
        rng.choice(SYMBOLS),
    ]
    pool = string.ascii_letters + string.digits + SYMBOLS
    chars += [rng.choice(pool) for _ in range(len - 4)]
    rng.shuffle(chars)
    return "".join(chars)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print a random password.")
    parser.add_argument("--len", type=int, default=8, help="length, 8 to 16")
    print(generate_password(parser.parse_args().len))
'''

FILE_ORGANIZER = '''\
import argparse
import os
import shutil

FOLDERS = {
    "images": {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp"},
    "documents": {".txt", ".pdf", ".doc", ".docx", ".md", ".odt", ".rtf", ".xls", ".xlsx", ".csv"},
    "audio": {".mp3", ".wav", ".flac", ".aac", ".ogg", ".m4a"},
}


def organize(directory: str) -> None:
    """Move each file of directory into images/, documents/ or audio/ by its extension."""
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        extension = os.path.splitext(name)[1].lower()
        for folder, extensions in FOLDERS.items():
            if extension in extensions:
                os.makedirs(os.path.join(directory, folder), exist_ok=True)
                shutil.move(path, os.path.join(directory, folder, name))
                break


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Sort files into images, documents and audio folders.")
    parser.add_argument("--directory_path", required=True)
    organize(parser.parse_args().directory_path)
'''

URL_SHORTENER = """\
import hashlib
import json
import os

STORE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "urls.json")
PREFIX = "https://sho.rt/"
_urls: dict[str, str] = {}


def _load() -> None:
    if not _urls and os.path.exists(STORE):
        with open(STORE) as f:
            _urls.update(json.load(f))


def shorten_url(url: str) -> str:
    _load()
    short = PREFIX + hashlib.sha256(url.encode()).hexdigest()[:8]
    _urls[short] = url
    with open(STORE, "w") as f:
        json.dump(_urls, f)
    return short


def retrieve_url(short_url: str) -> str:
    _load()
    return _urls[short_url]


if __name__ == "__main__":
    while True:
        try:
            url = input("URL: ").strip()
        except EOFError:
            break
        print(retrieve_url(url) if url.startswith(PREFIX) else shorten_url(url))
"""


def _check(code: str) -> str:
    return textwrap.dedent(code).strip() + "\n"


PLANS: list[tuple[str, Callable[[Conversation, re.Match[str]], Action]]] = [
    (r"Write the word '([^']+)' to a \.txt file", write_word),
    (r"Read the file called (\S+) and write its content to a file called (\S+)", copy_file),
    (r"Remember the following goal no matter what: '([^']+)'.*Start by reading (\S+)", remember_goal),
    (
        r"three_sum function in a file called sample_code\.py",
        code_then_check(
            "sample_code.py",
            THREE_SUM,
            _check("""
                from sample_code import three_sum
                assert three_sum([2, 7, 11, 15], 20) == [0, 1, 2]
                print("ok")
            """),
        ),
    ),
    (
        r"random password generator",
        code_then_check(
            "password_generator.py",
            PASSWORD_GENERATOR,
            _check("""
                import password_generator as p
                assert len(p.generate_password(12)) == 12
                print("ok")
            """),
        ),
    ),
    (
        r"file organizer CLI tool",
        code_then_check(
            "organize_files.py",
            FILE_ORGANIZER,
            _check("""
                import os, subprocess, sys, tempfile
                d = tempfile.mkdtemp()
                open(os.path.join(d, "a.png"), "w").close()
                subprocess.run([sys.executable, "organize_files.py", "--directory_path=" + d], check=True)
                assert os.path.isfile(os.path.join(d, "images", "a.png"))
                print("ok")
            """),
        ),
    ),
    (
        r"URL shortener",
        code_then_check(
            "url_shortener.py",
            URL_SHORTENER,
            _check("""
                from url_shortener import retrieve_url, shorten_url
                assert retrieve_url(shorten_url("https://www.example.com")) == "https://www.example.com"
                print("ok")
            """),
        ),
    ),
]


def respond(request: dict[str, Any]) -> Reply:
    """The next tool call for this conversation (the fake OpenAI server's responder)."""
    c = conversation(request)
    for pattern, plan in PLANS:
        if match := re.search(pattern, c.task, flags=re.DOTALL):
            name, arguments, thoughts = plan(c, match)
            return tool_call(name, arguments, thoughts=thoughts)
    return tool_call("finish", {"reason": "I do not know how to do this task."}, thoughts="Out of my depth.")
