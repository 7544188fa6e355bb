"""The bottom half from a real program run in a fault proof VM (spec: dispute-game.md §14.3).

One provider serves one execution subgame: the program's initial state ``S_0`` (the absolute
prestate, the same for every subgame) run with the subgame's host, whose local inputs make the
runs differ. A claim at local trace index ``t`` is ``commit(S_{t+1})``, the VM's state hash.

A game asks for states all over a trace of up to ``2^K`` steps — bisection halves the range at
every move — so replaying from step 0 per answer would cost the whole run each time. The provider
writes a snapshot every ``snapshot_interval`` steps into its own folder and starts every answer
from the nearest snapshot at or before it (or from the VM it already holds, if that is nearer), so
an answer costs at most one interval of execution once the run has passed it. Snapshots are state
files, so a restarted challenger pointed at the same folder starts where it stopped.

After the program exits at step ``e`` the trace is padded with ``S_e`` (stepping an exited state is
a no-op in every faultproof VM); a run that has not exited within ``N`` steps has no exec root.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from faultproof.fileio import write_state
from faultproof.game.positions import depth, trace_index
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.parts import LENGTH_PREFIX_SIZE
from faultproof.trace.provider import OracleDatum, StepData, TraceError, TraceProvider
from faultproof.trace.split import BottomFactory, ExecInputs
from faultproof.vm.interface import FaultProofVM

SNAPSHOT_SUFFIX = ".bin"  # the binary state format: the smallest and quickest to read back
DEFAULT_SNAPSHOT_INTERVAL = 1 << 20


class VMTraceProvider(TraceProvider):
    """A program's execution trace over ``N = 2^exec_depth`` steps, answered from snapshots.

    ``prestate`` is a state file of ``S_0``; ``host`` serves the subgame's preimages; ``traps``
    are pc ranges the run must never enter (a VM's guard symbols). ``steps_executed`` counts every
    VM step the provider ran, so a caller can see what the snapshots save.
    """

    def __init__(
        self,
        vm_class: type[FaultProofVM],
        prestate: Path,
        host: PreimageHost,
        exec_depth: int,
        snapshot_dir: Path,
        snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
        traps: list[tuple[int, int]] | None = None,
    ) -> None:
        if snapshot_interval < 1:
            raise ValueError(f"snapshot interval {snapshot_interval} is not positive")
        self.vm_class = vm_class
        self.prestate = prestate
        self.host = host
        self.depth = exec_depth
        self.trace_length = 1 << exec_depth
        self.snapshot_dir = snapshot_dir
        self.snapshot_interval = snapshot_interval
        self.traps = list(traps or [])
        self.steps_executed = 0
        self.exit_step: int | None = None
        self.commitments: dict[int, bytes] = {}
        snapshot_dir.mkdir(parents=True, exist_ok=True)
        self.snapshots = sorted(
            int(path.name.removesuffix(SNAPSHOT_SUFFIX), 16) for path in self.snapshot_files()
        )
        self.vm = self.load(self.prestate)
        self.absolute_prestate = self.vm.state_hash()

    # -- the trace ------------------------------------------------------------------------------

    def trace_index(self, position: int) -> int:
        if position < 1 or depth(position) > self.depth:
            raise TraceError(f"position {position} is outside an execution subgame of depth {self.depth}")
        return trace_index(position, self.depth)

    def get(self, position: int) -> bytes:
        """``commit(S_{t+1})``; at the exec root (``t = N - 1``) only for a program that has exited."""
        after = self.trace_index(position) + 1
        if after not in self.commitments:
            vm = self.state_at(after)
            if after == self.trace_length and not vm.exited:
                raise TraceError(
                    f"the program has not exited within {self.trace_length} steps: no exec root can be posted"
                )
            self.commitments[after] = vm.state_hash()
        return self.commitments[after]

    def get_step_data(self, position: int) -> StepData:
        """The witness of ``S_t``, the step's proof, and the preimage part step ``t`` reads."""
        vm = self.state_at(self.trace_index(position))
        proof = vm.step(proof=True)
        assert proof is not None, "step(proof=True) returns a proof"
        self.steps_executed += 1
        datum = None
        if proof.oracle_key is not None and proof.oracle_value is not None:
            value = proof.oracle_value[LENGTH_PREFIX_SIZE:]  # the proof carries the length-prefixed stream
            datum = OracleDatum(proof.oracle_key, value, proof.oracle_offset)
        return StepData(proof.state_data, proof.proof_data, datum)

    def absolute_prestate_commitment(self) -> bytes:
        return self.absolute_prestate

    # -- running from snapshots -----------------------------------------------------------------

    def state_at(self, step: int) -> FaultProofVM:
        """The VM holding ``S_step`` (``S_e`` for any step past the exit), from the nearest start."""
        if self.exit_step is not None:
            step = min(step, self.exit_step)
        start = max((s for s in self.snapshots if s <= step), default=0)
        if not start <= self.vm.step_count <= step:
            self.vm = self.load(self.snapshot_path(start) if start else self.prestate)
        vm = self.vm
        while vm.step_count < step and not vm.exited:
            next_snapshot = (vm.step_count // self.snapshot_interval + 1) * self.snapshot_interval
            before = vm.step_count
            vm.run(min(step, next_snapshot) - before)  # may stop early, at a preimage read
            self.steps_executed += vm.step_count - before
            if vm.step_count % self.snapshot_interval == 0 or vm.exited:
                self.save(vm)
        if vm.exited:
            self.exit_step = vm.step_count
        return vm

    def load(self, path: Path) -> FaultProofVM:
        vm = self.vm_class.read_state(path)
        vm.host = self.host
        if self.traps:
            vm.set_traps(self.traps)
        return vm

    def save(self, vm: FaultProofVM) -> None:
        step = vm.step_count
        if step in self.snapshots:
            return
        write_state(vm, self.snapshot_path(step))
        self.snapshots.append(step)
        self.snapshots.sort()

    def snapshot_path(self, step: int) -> Path:
        return self.snapshot_dir / f"{step:016x}{SNAPSHOT_SUFFIX}"

    def snapshot_files(self) -> list[Path]:
        return [path for path in self.snapshot_dir.iterdir() if path.name.endswith(SNAPSHOT_SUFFIX)]


def vm_bottom(
    vm_class: type[FaultProofVM],
    prestate: Path,
    host_for: Callable[[ExecInputs], PreimageHost],
    exec_depth: int,
    snapshot_root: Path,
    snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
    traps: list[tuple[int, int]] | None = None,
) -> BottomFactory:
    """Bottom providers running ``prestate`` per subgame, snapshots in ``snapshot_root/<local context>``."""

    def make(inputs: ExecInputs) -> TraceProvider:
        folder = snapshot_root / inputs.local_context.hex()
        return VMTraceProvider(
            vm_class, prestate, host_for(inputs), exec_depth, folder, snapshot_interval, traps
        )

    return make


__all__ = ["DEFAULT_SNAPSHOT_INTERVAL", "VMTraceProvider", "vm_bottom"]
