"""Options shared by several commands, so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from faultproof.errors import UsageError
from faultproof.game.configs import TEST_CONFIGS
from faultproof.vm import VM_NAMES

F = TypeVar("F", bound=Callable[..., object])

DEFAULT_VM = VM_NAMES[0]

# Upstream's ``--type`` names for state versions, accepted so Cannon command lines work unchanged.
CANNON_STATE_TYPES = {"singlethreaded-2": "mips32"}


def vm_option(default: str) -> Callable[[F], F]:
    """``--vm``: the VM kind; ``default`` says what happens without it."""
    return click.option(
        "--vm", "vm_kind", type=click.Choice(VM_NAMES), default=None, help=f"The fault proof VM ({default})."
    )


def cannon_type_option() -> Callable[[F], F]:
    """``--type``: Cannon's name for the state version, an alias of ``--vm``."""
    return click.option(
        "--type",
        "cannon_type",
        type=click.Choice(list(CANNON_STATE_TYPES)),
        default=None,
        help="Cannon's state version name (singlethreaded-2 = --vm mips32).",
    )


def resolve_vm_kind(vm_kind: str | None, cannon_type: str | None) -> str:
    """The VM chosen by ``--vm`` or ``--type``, which must agree when both are given."""
    aliased = CANNON_STATE_TYPES[cannon_type] if cannon_type else None
    if vm_kind and aliased and vm_kind != aliased:
        raise UsageError(f"--type {cannon_type} means --vm {aliased}, which contradicts --vm {vm_kind}")
    return vm_kind or aliased or DEFAULT_VM


def programs_out_option() -> Callable[[F], F]:
    """``--out``: where guest ELF files are built (one subfolder per VM)."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("build/programs"),
        show_default=True,
        help="Folder for the guest ELF files (one subfolder per VM).",
    )


def rpc_option(default: str) -> Callable[[F], F]:
    """``--rpc``: a node's JSON-RPC URL; ``default`` says which chain is used without it."""
    return click.option(
        "--rpc", default=None, metavar="URL", help=f"A node's JSON-RPC URL (default: {default})."
    )


def game_config_option() -> Callable[[F], F]:
    """``--config``: a game shape of dispute-game.md §3.3 (its clocks; its depths for the alphabet VM)."""
    return click.option(
        "--config",
        type=click.Choice(sorted(TEST_CONFIGS)),
        default="minimal",
        show_default=True,
        help="Clocks (and, for the alphabet VM, depths) of dispute-game.md §3.3.",
    )
