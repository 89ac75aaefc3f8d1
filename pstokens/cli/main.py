"""The `pstokens` command: a thin shell over the engine.

Commands parse options, call the engine and render. Project errors become
exit codes here and nowhere else: one sentence and a hint on stderr, exit 1.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from pstokens import __version__
from pstokens.cli.lazy import LazyCommands, LazyGroup
from pstokens.cli.output import err
from pstokens.cli.settings import global_options
from pstokens.errors import PstokensError

# Imported when a command runs: `pstokens --version` loads none of them.
COMMANDS = LazyCommands({
    "validate": ("pstokens.cli.commands_validate:validate_command",
                 "Check the config offline: no API call, nothing written."),
    "plan": ("pstokens.cli.commands_plan:plan_command",
             "Read the organization and show what apply would change."),
    "apply": ("pstokens.cli.commands_plan:apply_command",
              "Make the organization match the config: create, grant, revoke, delete."),
    "import": ("pstokens.cli.commands_state:import_command", "Adopt existing tokens into state."),
    "export": ("pstokens.cli.commands_state:export_command",
               "Print the organization's live tokens and accesses as a pstokens.yaml."),
    "state": ("pstokens.cli.commands_stategroup:state_group",
              "Inspect or edit the state (a file, or an S3 object with --state s3://BUCKET/KEY)."),
    "show": ("pstokens.cli.commands_show:show_command",
             "Print a plan saved by `plan --out`, as text, JSON or Markdown."),
    "report": ("pstokens.cli.commands_report:report_command",
               "Who can do what: every live token, managed or not, by database and "
               "organization."),
    "calendar": ("pstokens.cli.commands_calendar:calendar_command",
                 "Expiries, rotation due dates and overlap ends of live tokens, as iCalendar."),
    "who-can": ("pstokens.cli.commands_whocan:who_can_command",
                "The live tokens, managed or not, that can perform an API operation."),
    "emulator": ("pstokens.cli.commands_run:emulator_command",
                 "Run the local PlanetScale API emulator at http://HOST:PORT/v1."),
    "serve": ("pstokens.cli.commands_run:serve_command",
              "Serve the service-token operations over REST and MCP."),
    "exec": ("pstokens.cli.commands_exec:exec_command",
             "Run COMMAND with a short-lived token holding KEY's accesses, deleted when it "
             "ends."),
    "schema": ("pstokens.cli.commands_schema:schema_command",
               "Print the JSON Schema (draft 2020-12) of the config or of the JSON plan."),
    "lease": ("pstokens.cli.commands_exec:lease_group",
              "List or sweep the short-lived tokens made by `pstokens exec`."),
})


@click.group(cls=LazyGroup, commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pstokens")
@global_options
def cli() -> None:
    """Manage PlanetScale service tokens and their accesses as code.

    Declare tokens in pstokens.yaml, see what would change with `pstokens plan`,
    make it so with `pstokens apply`. Try it with no account:

        pstokens --emulator plan -c examples/pstokens.yaml
    """


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map every outcome to an exit code."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    if not debug:
        # asyncio logs what a task raised while Ctrl-C tears the loop down, traceback and
        # all; the command already said what happened, in a sentence.
        logging.getLogger("asyncio").disabled = True
    try:
        result: Any = cli.main(args=argv, prog_name="pstokens", standalone_mode=False)
    except PstokensError as exc:
        from pstokens.render.errors import describe

        _fail(describe(exc), exc.hint, debug, exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: 2 means "changes" to --detailed-exitcode.
        _fail(exc.format_message(), "run with --help for usage", debug, 1)
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # click's word for Ctrl-C
            err("Interrupted.")
            sys.exit(130)
        err("Aborted.")
        sys.exit(1)
    except KeyboardInterrupt:
        err("Interrupted.")
        sys.exit(130)
    except OSError as exc:
        # A file or process the system refused that no command mapped at its source:
        # still a sentence naming the path, never "internal error".
        _fail(_system_refused(exc), "check the path and its permissions; run again with "
              "--debug for details", debug, 1)
    except Exception as exc:
        if debug:
            raise
        _fail(f"internal error ({type(exc).__name__})", "run again with --debug for details",
              debug, 1)
    sys.exit(result if isinstance(result, int) else 0)


def _system_refused(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{reason}: {' -> '.join(paths)}" if paths else f"the system refused: {reason}"


def _fail(message: str, hint: str | None, debug: bool, code: int) -> None:
    if debug:
        import traceback

        traceback.print_exc()
    err(f"Error: {message}")
    if hint:
        err(f"Hint: {hint}")
    sys.exit(code)
