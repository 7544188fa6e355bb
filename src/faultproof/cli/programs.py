"""``build-programs``: build the Go guest programs for one VM or for all of them."""

from __future__ import annotations

from pathlib import Path

import click

from faultproof.cli.options import programs_out_option, vm_option
from faultproof.programs import build_programs
from faultproof.vm import VM_NAMES, vm_class


@click.command("build-programs")
@vm_option("default: every VM")
@programs_out_option()
def build_programs_command(vm_kind: str | None, out: Path) -> None:
    """Build the Go guests in programs/ and print the path of each ELF."""
    for name in (vm_kind,) if vm_kind else VM_NAMES:
        vm = vm_class(name)
        for elf in build_programs(vm.kind, vm.go_env, out).values():
            click.echo(str(elf))
