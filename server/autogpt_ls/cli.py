"""`autogpt-ls` subcommands. Heavy modules are imported inside commands so `--help` stays instant."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

EXIT_CONFIG = 2
log = logging.getLogger("autogpt_ls")
if TYPE_CHECKING:
    from autogpt_ls.agent.errors import CoreError


def exit_code(error: CoreError) -> int:
    """The core's refusals as exit codes: a task that cannot be resumed is a configuration error (2), a task
    driven elsewhere another failure (1)."""
    from autogpt_ls.agent import errors

    codes: dict[type[CoreError], int] = {errors.NotFound: EXIT_CONFIG, errors.TaskOver: EXIT_CONFIG}
    return codes.get(type(error), 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="autogpt-ls")
def main() -> None:
    """AutoGPT as a language server: an autonomous coding agent that proposes, you approve."""
    from autogpt_ls.secrets_mask import forbid_dumps

    forbid_dumps()  # every front end passes here, before any key is loaded


@main.command()
@click.argument("goal", required=False)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder the agent works in; every file path is confined to it.",
)
@click.option("--continuous", is_flag=True, help="Approve every step without asking (dangerous).")
@click.option("--continuous-limit", type=click.IntRange(min=1), help="Stop continuous mode after N steps.")
@click.option("--ai-settings", type=click.Path(dir_okay=False, path_type=Path), help="AutoGPT ai_settings.yaml.")
@click.option("--prompt-settings", type=click.Path(dir_okay=False, path_type=Path), help="prompt_settings.yaml.")
@click.option("--smart-llm", help="Model for proposals, as provider/model (default: SMART_LLM).")
@click.option("--fast-llm", help="Model for cheap calls, as provider/model (default: FAST_LLM).")
@click.option("--debug", is_flag=True, help="Also write debug.log.")
@click.option("--resume", "resume_id", metavar="TASK_ID", help="Continue a stopped or interrupted task.")
@click.option(
    "--executor",
    type=click.Choice(["local", "docker", "devcontainer"]),
    help="Where commands run: a Docker sandbox, the workspace's devcontainer or this machine (default: EXECUTOR; "
    "auto: the devcontainer if the workspace has one, else docker, when an engine answers).",
)
@click.option("--network", is_flag=True, help="Give the Docker sandbox network access for this task.")
@click.option(
    "--stage-changes/--no-stage-changes",
    default=None,
    help="Docker sandbox: run each command on a staged copy and review its file changes before they apply "
    "(default: SANDBOX_STAGE_CHANGES).",
)
@click.option("--gpt3only", is_flag=True, help="Use the fast model (FAST_LLM, else the provider's cheap one) for all.")
@click.option("--gpt4only", is_flag=True, help="Use the smart model (SMART_LLM) for everything.")
@click.option(
    "-m",
    "--use-memory",
    "memory",
    metavar="BACKEND",
    default=None,
    help="Where the task's memory lives: sqlite (a file in the data folder) or postgres (needs DATABASE_URL). "
    "Default: postgres when DATABASE_URL is set, else sqlite.",
)
@click.option(
    "--speak",
    is_flag=True,
    help="Say the agent's thoughts aloud: espeak-ng, or OpenAI's speech API with TTS_PROVIDER=openai (the WAV files "
    "are kept in the data folder's speech/ when there is no audio device).",
)
def run(**options: Any) -> None:
    """Run the agent on GOAL in the terminal, asking before every action.

    Answers: y approves, y -N approves this and the next N-1, n stops, anything else is feedback.
    Exit codes: 0 finished, 3 stopped by n or a limit, 2 configuration error, 1 other failure.
    """
    from pydantic import ValidationError

    from autogpt_ls.agent.errors import CoreError
    from autogpt_ls.cli_run import RunOptions, run_goal
    from autogpt_ls.settings import ConfigError

    try:
        code = asyncio.run(run_goal(RunOptions(**options)))
    except ConfigError as e:
        click.echo(f"Configuration error: {e}", err=True)
        sys.exit(EXIT_CONFIG)
    except CoreError as e:
        click.echo(str(e), err=True)
        sys.exit(exit_code(e))
    except ValidationError as e:
        fields = ", ".join(str(err["loc"][0]).upper() for err in e.errors() if err["loc"])
        click.echo(f"Configuration error in {fields or 'settings'}: {e}", err=True)
        sys.exit(EXIT_CONFIG)
    except KeyboardInterrupt:
        click.echo("\nInterrupted; resume with --resume.", err=True)
        sys.exit(3)
    sys.exit(code)


@main.command()
def models() -> None:
    """List what each configured LLM provider offers (its models endpoint) and which models are in use.

    Exit codes: 0 listed, 2 configuration error, 1 a provider could not be asked.
    """
    from autogpt_ls.llm import catalog
    from autogpt_ls.settings import ConfigError, Settings

    try:
        settings = Settings.load()
        roles = catalog.in_use(settings)
        found = asyncio.run(catalog.offers(settings, roles))
    except ConfigError as e:
        click.echo(f"Configuration error: {e}", err=True)
        sys.exit(EXIT_CONFIG)
    click.echo(catalog.render(roles, found))
    sys.exit(1 if any(offer.error for offer in found) else 0)


@main.command()
@click.option("--stdio", "transport", flag_value="stdio", default=True, help="Talk LSP over stdin/stdout (default).")
@click.option("--tcp", metavar="[HOST:]PORT", help="Listen on TCP instead (HOST defaults to 127.0.0.1).")
@click.option("--debug", is_flag=True, help="Also write debug.log.")
def lsp(transport: str, tcp: str | None, debug: bool) -> None:
    """Start the language server that hosts the agent (for VS Code or any LSP editor).

    Binding TCP to anything but loopback requires LSP_SERVER_TOKEN; clients then send it as
    initializationOptions.token.
    """
    from autogpt_ls.lsp.app import create_server

    server = create_server(debug=debug)  # settings load on first use, after `initialize` is answered
    if tcp is None:
        server.start_io()
        return
    from autogpt_ls.netaddr import is_loopback

    host, _, port = tcp.rpartition(":")
    host = host or "127.0.0.1"
    if not is_loopback(host) and not server.settings.lsp_server_token:
        click.echo(f"Configuration error: binding {host} needs LSP_SERVER_TOKEN.", err=True)
        sys.exit(EXIT_CONFIG)
    server.start_tcp(host, int(port))


@main.group()
def mcp() -> None:
    """MCP servers whose tools the agent may use: MCP_CONFIG_FILE, and a workspace's own once trusted."""


@mcp.command("trust")
@click.argument("workspace", type=click.Path(file_okay=False, exists=True, path_type=Path), default=".")
def mcp_trust(workspace: Path) -> None:
    """Trust WORKSPACE's .vscode/mcp.json (or .mcp.json) as it is now: its servers then start with tasks there.

    Until then a cloned repository starts no program; a changed file needs trusting again.
    """
    from autogpt_ls.settings import Settings
    from autogpt_ls.tools.mcp_config import describe, read_specs, trust, workspace_config

    config = workspace_config(workspace.resolve())
    if config is None:
        click.echo(f"{workspace} has no .vscode/mcp.json or .mcp.json", err=True)
        sys.exit(EXIT_CONFIG)
    for spec in read_specs(config):
        click.echo(describe(spec))
    trust(Settings.load().data_dir, config)
    click.echo(f"Trusted {config} as it is now (its sha256 is kept in the data folder).")


@main.command("protocol-schema")
def protocol_schema() -> None:
    """Print the JSON Schema of the agent/* protocol over LSP (the extension's TypeScript types come from it)."""
    import json

    from autogpt_ls.lsp.schema import schema

    click.echo(json.dumps(schema(), indent=2))


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (not loopback: needs AP_SERVER_TOKEN)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to bind; 0 picks a free one."
)
@click.option("--debug", is_flag=True, help="Also write debug.log.")
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the Agent Protocol (for agbenchmark and other clients) at http://HOST:PORT/ap/v1.

    Same tasks and store as the editor and the terminal. Empty step input approves the pending proposal,
    other input is feedback. Exit codes: 2 configuration error, 1 cannot listen.
    """
    from autogpt_ls.http.app import serve as serve_http
    from autogpt_ls.logs import configure_logging
    from autogpt_ls.settings import ConfigError, Settings

    try:
        settings = Settings.load()
        configure_logging(settings, debug=debug)
        serve_http(settings, host, port, lambda url: click.echo(f"Agent Protocol on {url} (data: {settings.data_dir})"))
    except ConfigError as e:
        click.echo(f"Configuration error: {e}", err=True)
        sys.exit(EXIT_CONFIG)
    except OSError as e:
        click.echo(f"Cannot listen on {host}:{port}: {e}", err=True)
        sys.exit(1)
