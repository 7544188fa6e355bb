"""``build-programs``: build the Go guest programs for a VM."""

from __future__ import annotations

from pathlib import Path

import click

from faultproof.cli.options import DEFAULT_VM, programs_out_option, vm_option
from faultproof.programs import build_programs
from faultproof.vm import vm_class


@click.command("build-programs")
@vm_option(f"default: {DEFAULT_VM}")
@programs_out_option()
def build_programs_command(vm_kind: str | None, out: Path) -> None:
    """Build the Go guests in programs/ and print the path of each ELF."""
    vm = vm_class(vm_kind or DEFAULT_VM)
    for elf in build_programs(vm.kind, vm.go_env, out).values():
        click.echo(str(elf))
