"""The ``faultproof`` command group and the one place where errors become exit statuses.

Every command lives in a module listed in ``COMMAND_MODULES``; each ``click`` command defined at
the top level of such a module is registered here, so a new command group is one line.

Errors: a ``FaultproofError`` (bad input, a failed step) and a malformed command line each print
exactly one line ``error: <message>`` on stderr and exit with status 2 — no traceback, since the
message already says what is wrong and where. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from faultproof.errors import FaultproofError

COMMAND_MODULES: list[str] = [
    "faultproof.cli.state",
    "faultproof.cli.run",
    "faultproof.cli.programs",
    "faultproof.cli.examples",
    "faultproof.cli.host",
    "faultproof.cli.onchain",
    "faultproof.cli.game",
    "faultproof.cli.demo",
]

USAGE_ERROR_STATUS = 2
INTERRUPTED_STATUS = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="faultproof")
@click.pass_context
def cli(context: click.Context) -> None:
    """Fault proofs for Go programs: VMs that load, run and prove steps; onchain verifiers; dispute games."""
    if context.invoked_subcommand is None:
        click.echo(context.get_help())


def _register(group: click.Group, module_names: Sequence[str]) -> None:
    """Add each module's top-level commands; a group's subcommands stay under their group."""
    for module_name in module_names:
        module = importlib.import_module(module_name)
        commands = [value for value in vars(module).values() if isinstance(value, click.Command)]
        nested = {
            id(sub)
            for command in commands
            if isinstance(command, click.Group)
            for sub in command.commands.values()
        }
        for command in commands:
            if id(command) not in nested:
                group.add_command(command)


_register(cli, COMMAND_MODULES)


def _one_line(message: str) -> str:
    """A multi-line message (e.g. compiler output) joined so the error stays one line."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def _fail(message: str, status: int = USAGE_ERROR_STATUS) -> NoReturn:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(status)


def _usage_message(error: click.ClickException) -> str:
    message = error.format_message()
    if isinstance(error, click.UsageError) and error.ctx is not None:
        path = error.ctx.command_path
        return f"{path}: {message.rstrip('.')} (see {path} --help)"
    return message


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the ``faultproof`` script."""
    try:
        status = cli.main(args=argv, prog_name="faultproof", standalone_mode=False)
    except FaultproofError as error:
        _fail(str(error))
    except click.ClickException as error:
        _fail(_usage_message(error), error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted", INTERRUPTED_STATUS)
    sys.exit(status if isinstance(status, int) else 0)
