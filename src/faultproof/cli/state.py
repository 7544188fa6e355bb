"""State commands: ``load-elf`` makes the step-0 state of a program, ``witness`` shows its commitment."""

from __future__ import annotations

from pathlib import Path

import click

from faultproof.cli.options import cannon_type_option, resolve_vm_kind, vm_option
from faultproof.fileio import write_atomic, write_state, write_text_atomic
from faultproof.proofs import witness_summary_json
from faultproof.vm import read_state, vm_class


@click.command("load-elf")
@vm_option("default: mips32")
@cannon_type_option()
@click.option(
    "--path", "elf_path", required=True, type=click.Path(path_type=Path), help="The program's ELF file."
)
@click.option(
    "--out",
    default="state.bin.gz",
    show_default=True,
    help="Where to write the state; .bin/.bin.gz for binary, else JSON, - for stdout.",
)
@click.option(
    "--meta", default="meta.json", show_default=True, help="Where to write the symbols; '' for nowhere."
)
def load_elf(vm_kind: str | None, cannon_type: str | None, elf_path: Path, out: str, meta: str) -> None:
    """Load an ELF program into its step-0 state, whose hash is the absolute prestate."""
    vm, metadata = vm_class(resolve_vm_kind(vm_kind, cannon_type)).load_elf(elf_path)
    write_state(vm, out)
    if meta:
        write_text_atomic(meta, metadata.to_json())
    click.echo(f"loaded {elf_path}: absolute prestate 0x{vm.state_hash().hex()}", err=True)


@click.command("witness")
@vm_option("default: recognized from the state file")
@click.option("--input", "input_path", default="state.json", show_default=True, help="The state file.")
@click.option("--output", default="", help="Also write the raw witness bytes to this file.")
def witness(vm_kind: str | None, input_path: str, output: str) -> None:
    """Print a state's witness, its hash and exit status as JSON."""
    vm = read_state(Path(input_path), vm_kind)
    if output:
        write_atomic(output, vm.witness())
    click.echo(witness_summary_json(vm), nl=False)
