"""``faultproof examples``: build the Go guests and run `hello` and `claim` in every VM.

The project's main job on a fresh machine: it shows real Go programs running inside the fault proof
VMs, their output, and the 32-byte state hash that a claim about each run would commit to. The same
program reaches the same verdict in each VM, which is what proof diversity rests on.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from faultproof.cli.options import programs_out_option, vm_option
from faultproof.examples import CLAIM_RESULT, claim_host
from faultproof.preimage.oracle import PreimageHost
from faultproof.programs import build_programs
from faultproof.vm import VM_NAMES, vm_class
from faultproof.vm.interface import FaultProofVM

RUN_CHUNK = 1_000_000


def _run_to_exit(vm: FaultProofVM) -> float:
    """Run until the program exits; return the elapsed seconds."""
    started = time.perf_counter()
    while not vm.exited:
        vm.run(RUN_CHUNK)
    return time.perf_counter() - started


def _show(name: str, elf: Path, vm_type: type[FaultProofVM], host: PreimageHost | None) -> None:
    vm, _ = vm_type.load_elf(elf)
    if host is not None:
        vm.host = host
    prestate = vm.state_hash()
    elapsed = _run_to_exit(vm)
    click.secho(f"── {name} ({vm_type.kind}) ", bold=True)
    click.echo(f"   absolute prestate  0x{prestate.hex()}")
    for label, stream in (("stdout", vm.stdout), ("stderr", vm.stderr)):
        for line in bytes(stream).decode(errors="replace").splitlines():
            click.echo(f"   {label}  │ {line}")
    rate = vm.step_count / elapsed if elapsed else 0.0
    click.echo(f"   exit code          {vm.exit_code}   after {vm.step_count:,} steps ({rate:,.0f} steps/s)")
    click.echo(f"   final state hash   0x{vm.state_hash().hex()}")


@click.command("examples")
@vm_option("default: every VM")
@programs_out_option()
def examples(vm_kind: str | None, out: Path) -> None:
    """Build the example Go programs and run `hello` and `claim` (a true and a false claim)."""
    for name in (vm_kind,) if vm_kind else VM_NAMES:
        vm_type = vm_class(name)
        elves = build_programs(vm_type.kind, vm_type.go_env, out, names=("hello", "claim"))
        _show("hello", elves["hello"], vm_type, None)
        _show(f"claim {CLAIM_RESULT} (true)", elves["claim"], vm_type, claim_host(CLAIM_RESULT))
        _show(f"claim {CLAIM_RESULT + 1} (false)", elves["claim"], vm_type, claim_host(CLAIM_RESULT + 1))
