"""``run``: execute a state, writing snapshots, step proofs and the final state (mips32.md §10.2)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from faultproof.cli.host import CommandWithChild, child_command
from faultproof.cli.options import vm_option
from faultproof.cli.progress import RunProgress
from faultproof.errors import ExecutionError, UsageError
from faultproof.fileio import STDOUT, read_metadata, write_state, write_text_atomic
from faultproof.memory import PAGE_SIZE
from faultproof.preimage.server import HostProcess
from faultproof.preimage.wire import DEFAULT_TIMEOUT
from faultproof.runner import NEVER, RunOptions, run_vm, stopped_by_oracle
from faultproof.vm import read_state
from faultproof.vm.interface import FaultProofVM

PATTERN_HELP = "never, always, =N or %N"


def _check_folder(name: str, flag: str) -> None:
    """Refuse an output in a missing folder before the run, not after hours of it."""
    if name in ("", STDOUT):
        return
    folder = Path(name).parent
    if not folder.is_dir():
        raise UsageError(f"{flag}: folder {folder} of {name} does not exist")


@contextlib.contextmanager
def _host_process(
    command: Sequence[str] | None, timeout: float, progress: RunProgress
) -> Iterator[HostProcess | None]:
    """The host started from the command after ``--``, its stderr shown with the guest's."""
    if command is None:
        yield None
        return
    with HostProcess(command, timeout, stderr=lambda data: progress.output(2, data)) as host:
        yield host


@click.command("run", cls=CommandWithChild, child_metavar="HOST_COMMAND")
@vm_option("default: recognized from the state file")
@click.option("--input", "input_path", default="state.json", show_default=True, help="The state to run.")
@click.option(
    "--output",
    default="out.json",
    show_default=True,
    help="Where to write the final state; .bin/.bin.gz for binary, else JSON, - for stdout, '' for nowhere.",
)
@click.option("--proof-at", default="", help=f"Steps to write a step proof for ({PATTERN_HELP}).")
@click.option(
    "--proof-fmt", default="proof-%d.json", show_default=True, help="Proof file name; %d is the step."
)
@click.option("--snapshot-at", default="", help=f"Steps to write the pre-step state at ({PATTERN_HELP}).")
@click.option(
    "--snapshot-fmt", default="state-%d.json", show_default=True, help="Snapshot file name; %d is the step."
)
@click.option("--stop-at", default="", help=f"Steps to stop at, before executing them ({PATTERN_HELP}).")
@click.option(
    "--info-at", default="%100000", show_default=True, help=f"Steps to report progress at ({PATTERN_HELP})."
)
@click.option(
    "--meta", default="meta.json", show_default=True, help="Symbol metadata from load-elf; '' for none."
)
@click.option(
    "--stop-at-preimage-type",
    default="",
    help="Stop after reading a preimage of this key type: local, keccak, sha256, blob, precompile or any.",
)
@click.option(
    "--stop-at-preimage",
    default="",
    help="Stop after reading a preimage whose key starts with this hex prefix, at offset @N (default 0).",
)
@click.option(
    "--stop-at-preimage-larger-than",
    default="",
    help="Stop after reading a preimage whose length-prefixed size exceeds this many bytes.",
)
@click.option(
    "--debug-info",
    default="",
    help='Also write {"memory_used": "0x…"} (bytes of allocated pages) here, as challengers ask for.',
)
@click.option(
    "--host-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds the host may take to answer one hint or one preimage request.",
)
def run(
    vm_kind: str | None,
    input_path: str,
    output: str,
    proof_at: str,
    proof_fmt: str,
    snapshot_at: str,
    snapshot_fmt: str,
    stop_at: str,
    info_at: str,
    meta: str,
    stop_at_preimage_type: str,
    stop_at_preimage: str,
    stop_at_preimage_larger_than: str,
    debug_info: str,
    host_timeout: float,
) -> None:
    """Run a state until the program exits or a stop condition holds.

    The guest's stdout and stderr are passed to this process's stdout and stderr as the program
    produces them. If a step fails, the run stops with an error naming the step, and the final
    state is not written (snapshots and proofs written before stay valid).

    With a HOST_COMMAND after --, the host is started with the hint and preimage pipes on its fds
    3–6 (as Cannon does) and serves the program's hints and preimages; its stderr is shown too.
    A host that dies, stalls for --host-timeout seconds or answers a malformed frame stops the
    run with an error. When the run stops because the host could not answer (a missing preimage
    included), the state before that step is written to --output, so the run can be resumed from
    it once the host has the preimage.
    """
    # Flags first: a typo should not cost reading a large state.
    options = RunOptions.from_flags(
        info_at=info_at,
        stop_at=stop_at,
        snapshot_at=snapshot_at,
        snapshot_fmt=snapshot_fmt,
        proof_at=proof_at,
        proof_fmt=proof_fmt,
        stop_at_preimage_type=stop_at_preimage_type,
        stop_at_preimage=stop_at_preimage,
        stop_at_preimage_larger_than=stop_at_preimage_larger_than,
    )
    _check_folder(output, "--output")
    _check_folder(debug_info, "--debug-info")
    if options.snapshot_at != NEVER:
        _check_folder(snapshot_fmt % 0, "--snapshot-fmt")
    if options.proof_at != NEVER:
        _check_folder(proof_fmt % 0, "--proof-fmt")
    vm = read_state(Path(input_path), vm_kind)
    metadata = read_metadata(meta) if meta else None
    host_command = child_command()
    try:
        with (
            RunProgress(vm.pc_digits) as progress,
            _host_process(host_command, host_timeout, progress) as host,
        ):
            if host is not None:
                vm.host = host
            result = run_vm(vm, options, metadata, progress)
    except ExecutionError as error:
        if output and stopped_by_oracle(error):
            write_state(vm, output)
            progress.console.print(f"kept the state before step {error.step:,} in {output} to resume from")
        raise
    if output:
        write_state(vm, output)
    if debug_info:
        write_text_atomic(debug_info, _debug_info_json(vm))
    progress.finish(result, vm.exit_code)


def _debug_info_json(vm: FaultProofVM) -> str:
    """The debug summary upstream VMs write for challengers (riscv64.md §11.1)."""
    return json.dumps({"memory_used": hex(vm.page_count() * PAGE_SIZE)}, indent=2) + "\n"
