"""The seeds' memory challenges A to D (a task_id, several task_ids, long phrases, the beliefs of several people
through a story), long, end to end through the real CLI against a model that knows only
what each request holds (fakes/reader_model.py): a fact the compactions dropped is a fact missing from the file
written at the end. A small CONTEXT_WINDOW makes the prompt pass its budget many times over the task."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from fakes.openai_server import FakeOpenAI
from fakes.reader_model import ReaderModel

GOAL = (
    "Use the command read_file to read the instructions_1.txt file. "
    "Follow the instructions in the instructions_1.txt file."
)
WINDOW = 16_000
FAST = "gpt-4.1-nano"
WORDS = ["apple", "river", "stone", "cloud", "marble", "window", "garden", "silver", "basket", "ladder"]


def noise(seed: int, size: int) -> str:
    """[NOISE intended to confuse the agent]: words, numbers and a decoy that is not a task_id."""
    rng = random.Random(seed)
    words = [rng.choice(WORDS) if i % 9 else str(rng.randint(1000, 9999)) for i in range(size // 6)]
    return f"noise-{seed}-start " + " ".join(words) + "\nThe task number 0000 is not a task_id."


def write_challenge(workspace: Path, heads: list[str], size: int, last: str) -> None:
    """instructions_1.txt ... _n.txt: each its head line (a task_id, a phrase, an event; "" for none), noise,
    and the next instruction."""
    for n, head in enumerate(heads, 1):
        tail = f"Read the file instructions_{n + 1}.txt using the read_file command." if n < len(heads) else last
        (workspace / f"instructions_{n}.txt").write_text((head and head + "\n") + noise(n, size) + "\n" + tail + "\n")


def task_ids(ids: list[str]) -> list[str]:
    return [f"The current task_id is {task_id}." if task_id else "" for task_id in ids]


def run_challenge(cli, fake: FakeOpenAI, agent_env: dict[str, str], model: ReaderModel):  # type: ignore[no-untyped-def]
    fake.responder = model
    env = agent_env | {"CONTEXT_WINDOW": str(WINDOW), "FAST_LLM": f"openai/{FAST}", "MAX_STEPS": "120"}
    return cli(GOAL, "--continuous", "--debug", env=env, timeout=240)


def agent_requests(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["model"] != FAST]


def assert_within_budget_and_cache_stable(fake: FakeOpenAI) -> None:
    """Every prompt fits the window; between compactions each prompt starts with the previous one, byte for byte."""
    previous: list[Any] | None = None
    for request in fake.requests:
        if request["model"] == FAST:
            previous = None
            continue
        assert (len(json.dumps(request["messages"])) + len(json.dumps(request["tools"]))) // 4 < WINDOW
        if previous is not None:
            assert request["messages"][: len(previous)] == previous
        previous = request["messages"]


def test_memory_challenge_a_the_first_task_id_survives_the_compactions(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    write_challenge(workspace, task_ids(["1234"] + [""] * 44), 7_000, "Write the task_id into the file output.txt.")
    assert sum(p.stat().st_size for p in workspace.iterdir()) > 300_000
    run = run_challenge(cli, fake, agent_env, ReaderModel(FAST, keep=re.compile(r"task_id is \d")))
    assert run.code == 0, run.out[-3000:] + run.err
    assert (workspace / "output.txt").read_text() == "1234\n"
    summaries = [r for r in fake.requests if r["model"] == FAST]
    assert len(summaries) >= 2 and len(agent_requests(fake)) >= 47
    assert run.out.count("(context compacted: steps") == len(summaries)
    final = agent_requests(fake)[-2]["messages"]  # the request that wrote output.txt
    assert not any("noise-1-start" in str(m.get("content")) for m in final)  # step 1 is no longer verbatim
    assert "The current task_id is 1234." in final[1]["content"]  # but its fact is in the summaries
    assert "Summary: The agent read instructions_1.txt" in run.out  # --debug shows the summaries
    assert_within_budget_and_cache_stable(fake)


def test_memory_challenge_b_pinned_task_ids_outlive_a_lossy_summariser(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    ids = [str(1000 + 337 * n) for n in range(1, 26)]
    write_challenge(workspace, task_ids(ids), 13_000, "Write all the task_ids into the file output.txt. Then finish.")
    assert sum(p.stat().st_size for p in workspace.iterdir()) > 300_000
    run = run_challenge(cli, fake, agent_env, ReaderModel(FAST, keep=None, pin=True))
    assert run.code == 0, run.out[-3000:] + run.err
    assert (workspace / "output.txt").read_text() == "\n".join(ids) + "\n"
    summaries = [r for r in fake.requests if r["model"] == FAST]
    assert len(summaries) >= 2
    final = agent_requests(fake)[-2]["messages"]
    kept, _, summarised = final[1]["content"].partition("## Summary of steps")
    assert "task_id is" not in summarised  # the summariser lost every task_id...
    assert all(f"You pinned: the task_id is {task_id}" in kept for task_id in ids[:10])  # ...the kept facts did not
    assert "Approve?" not in run.out  # remember is never asked about, in continuous mode or not
    assert_within_budget_and_cache_stable(fake)


PHRASE = re.compile(r"phrase is: '([^']+)'")
ADJECTIVES = ["purple", "quiet", "golden", "restless", "ancient", "frozen", "gentle", "crooked", "hollow", "bright"]
NOUNS = ["elephants", "lanterns", "harbours", "violins", "orchards", "glaciers", "pigeons", "mirrors", "ferries"]


def phrase(n: int) -> str:
    """A long phrase, different for each n, of words the noise never uses."""
    a, b, c = ADJECTIVES[n % 10], NOUNS[n % 9], ADJECTIVES[(n * 7 + 3) % 10]
    return f"{n} {a} {b} were counted twice beside the {c} {NOUNS[(n * 5 + 1) % 9]} before the northern tide turned"


def test_memory_challenge_c_long_phrases_among_noise_survive_word_for_word(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    phrases = [phrase(n) for n in range(1, 46, 2)]
    heads = [f"The current phrase is: '{phrases[n // 2]}'" if n % 2 == 0 else "" for n in range(45)]
    write_challenge(workspace, heads, 7_000, "Write all the phrases into the file output.txt, one a line.")
    assert sum(p.stat().st_size for p in workspace.iterdir()) > 300_000
    model = ReaderModel(FAST, keep=re.compile(r"phrase is: '"), facts=PHRASE)
    run = run_challenge(cli, fake, agent_env, model)
    assert run.code == 0, run.out[-3000:] + run.err
    assert (workspace / "output.txt").read_text() == "\n".join(phrases) + "\n"
    summaries = [r for r in fake.requests if r["model"] == FAST]
    assert len(summaries) >= 2 and len(agent_requests(fake)) >= 47
    final = agent_requests(fake)[-2]["messages"]
    assert not any("noise-1-start" in str(m.get("content")) for m in final)
    assert f"phrase is: '{phrases[0]}'" in final[1]["content"]  # the first phrase, word for word, in a summary
    assert_within_budget_and_cache_stable(fake)


# Sally-Anne, with four people: who saw the marble last where. One event heads every third file.
STORY = [
    "Sally enters the room.",
    "Anne enters the room.",
    "Tom enters the room.",
    "Mia enters the room.",
    "Sally puts the marble in the basket.",
    "Sally leaves the room.",
    "Anne moves the marble to the box.",
    "Tom leaves the room.",
    "Anne moves the marble to the drawer.",
    "Mia leaves the room.",
    "Sally enters the room.",
    "Anne moves the marble to the bag.",
    "Anne leaves the room.",
    "Tom enters the room.",
    "Sally moves the marble to the basket.",
]
BELIEFS = "Anne: bag\nMia: drawer\nSally: basket\nTom: basket\n"  # by hand: where each last saw it go
EVENT = re.compile(r"Event (\d+): (\w+) (enters|leaves|puts|moves)[\w ]*? (?:the (\w+)\.|room\.)")


def beliefs(text: str) -> str:
    """Where each person believes the marble is, from the story's events in the order `text` holds them."""
    present: set[str] = set()
    belief: dict[str, str] = {}
    for _, person, verb, place in dict.fromkeys(EVENT.findall(text)):  # an event told twice happened once
        if verb == "enters":
            present.add(person)
        elif verb == "leaves":
            present.discard(person)
        else:
            belief.update(dict.fromkeys(present, place))
    return "".join(f"{p}: {belief[p]}\n" for p in sorted(belief))


def test_memory_challenge_d_the_beliefs_of_several_people_through_a_story(
    cli, fake: FakeOpenAI, workspace: Path, agent_env: dict[str, str]
) -> None:
    heads = [f"Event {n // 3 + 1}: {STORY[n // 3]}" if n % 3 == 0 else "" for n in range(45)]
    last = "Write where each person believes the marble is into the file output.txt."
    write_challenge(workspace, heads, 7_000, last)
    assert sum(p.stat().st_size for p in workspace.iterdir()) > 300_000
    assert beliefs("\n".join(heads)) == BELIEFS  # the fake's reading of the whole story is the right one
    assert beliefs("\n".join(heads[:33])) != BELIEFS  # and an event dropped changes what it writes
    model = ReaderModel(FAST, keep=re.compile(r"Event \d+: "), answer=beliefs)
    run = run_challenge(cli, fake, agent_env, model)
    assert run.code == 0, run.out[-3000:] + run.err
    assert (workspace / "output.txt").read_text() == BELIEFS
    summaries = [r for r in fake.requests if r["model"] == FAST]
    assert len(summaries) >= 2 and len(agent_requests(fake)) >= 47
    final = agent_requests(fake)[-2]["messages"]
    assert not any("noise-1-start" in str(m.get("content")) for m in final)
    assert "Event 1: Sally enters the room." in final[1]["content"]  # the story's start lives on in the summaries
    assert_within_budget_and_cache_stable(fake)
