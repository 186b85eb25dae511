"""`autogpt-ls run`'s task in the terminal: its options as the command parsed them (cli.py), the settings they
switch, and the task driven until it ends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autogpt_ls.agent.runtime import Runtime
    from autogpt_ls.settings import Settings
    from autogpt_ls.task_models import ExecutorName, Task


@dataclass(frozen=True)
class RunOptions:
    goal: str | None
    workspace: Path
    continuous: bool
    continuous_limit: int | None
    ai_settings: Path | None
    prompt_settings: Path | None
    smart_llm: str | None
    fast_llm: str | None
    debug: bool
    resume_id: str | None
    executor: ExecutorName | None
    network: bool
    stage_changes: bool | None
    gpt3only: bool
    gpt4only: bool
    memory: str | None
    speak: bool


def _configured(opts: RunOptions) -> tuple[Settings, RunOptions]:
    """The settings and options after the seeds' switches: --use-memory, --gpt3only, --gpt4only."""
    from autogpt_ls.llm.registry import one_model
    from autogpt_ls.settings import ConfigError, Settings

    settings = Settings.load().with_memory(opts.memory)
    if opts.gpt3only and opts.gpt4only:
        raise ConfigError("--gpt3only and --gpt4only exclude each other: choose one")
    if not (opts.gpt3only or opts.gpt4only):
        return settings, opts
    chosen = settings.model_copy(
        update={"smart_llm": opts.smart_llm or settings.smart_llm, "fast_llm": opts.fast_llm or settings.fast_llm}
    )
    model = one_model(chosen, "fast" if opts.gpt3only else "smart")
    return settings, replace(opts, smart_llm=model, fast_llm=model)


async def run_goal(opts: RunOptions) -> int:
    """`autogpt-ls run`: a new task (or the resumed one) driven in the terminal until it ends; its exit code."""
    from autogpt_ls.agent.driver import interact
    from autogpt_ls.agent.runtime import Runtime
    from autogpt_ls.logs import configure_logging
    from autogpt_ls.speech.speaker import Speaker
    from autogpt_ls.terminal import EXIT_CODES, Terminal

    settings, opts = _configured(opts)
    configure_logging(settings, debug=opts.debug)
    runtime = Runtime(settings)
    speaker: Speaker | None = None
    try:
        task_id = opts.resume_id or (await _new_task(runtime, opts)).id
        task = await runtime.store.get_task(task_id)
        started = await runtime.wiring.connect_mcp(Path(task.workspace) if task else None)
        terminal = Terminal(runtime.wiring.tools, secrets=runtime.wiring.secrets, debug=opts.debug)
        terminal.say_mcp(started)
        if opts.speak:
            speaker = Speaker.start(settings, task_id, terminal.note, runtime.wiring.secrets)
        async with runtime.driving(task_id, resume=bool(opts.resume_id)) as driver:
            terminal.say_start(driver.task)
            terminal.say_rules(driver.agent.rules)
            runtime.subscribe(terminal.show)
            if speaker:
                runtime.subscribe(speaker.on_event)
            task = await interact(driver, terminal.ask)
        return EXIT_CODES[task.status]
    finally:
        if speaker:
            await speaker.close()
        await runtime.aclose()


async def _new_task(runtime: Runtime, opts: RunOptions) -> Task:
    from autogpt_ls.settings import load_ai_profile, load_prompt_settings

    profile = load_ai_profile(opts.ai_settings) if opts.ai_settings else None
    goal = opts.goal or ("; ".join(profile.ai_goals) if profile else "")
    return await runtime.new_task(
        goal,
        opts.workspace,
        smart_llm=opts.smart_llm,
        fast_llm=opts.fast_llm,
        continuous=opts.continuous,
        continuous_limit=opts.continuous_limit,
        profile=profile.model_copy(update={"ai_goals": profile.ai_goals or [goal]}) if profile else None,
        prompt=load_prompt_settings(opts.prompt_settings) if opts.prompt_settings else None,
        executor=opts.executor,
        network=opts.network,
        stage_changes=opts.stage_changes,
    )
