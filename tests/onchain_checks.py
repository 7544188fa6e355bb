"""The onchain side of a step, as every VM's verifier tests see it (preimage-oracle.md §2.1, §3).

Preimage parts are served the way the onchain oracle holds them: by localized key and exact offset,
computed here from the formulas of preimage-oracle.md §3 (``OnchainParts``), or only the single part
a step proof names (``SinglePart``), which is what a challenger uploads before calling ``step``.
``run_differential`` runs a whole program in a stateful VM and replays sampled steps — and every
syscall step — through the VM kind's stateless verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from faultproof.errors import PreimagePartUnavailable
from faultproof.preimage.keys import localize
from faultproof.vm.interface import FaultProofVM, PreimagePartSource, StepProof

CONTEXT = bytes([0x22]) * 32
CALLER = bytes([0x11]) * 20


def onchain_key(key: bytes, context: bytes = CONTEXT, caller: bytes = CALLER) -> bytes:
    """Local keys are localized with the step's context and caller; global keys are used as is."""
    return localize(key, context, caller) if key[0] == 1 else key


def part_of(stream: bytes, offset: int) -> tuple[bytes, int]:
    """32 bytes of the length-prefixed stream at ``offset`` (zero padded) and how many are real."""
    if offset >= len(stream):
        raise PreimagePartUnavailable("pre-image must exist")
    return (stream + bytes(32))[offset : offset + 32], min(32, len(stream) - offset)


class OnchainParts(PreimagePartSource):
    """Every part of some preimages, under their onchain keys."""

    def __init__(
        self, preimages: Mapping[bytes, bytes], context: bytes = CONTEXT, caller: bytes = CALLER
    ) -> None:
        self.streams = {
            onchain_key(key, context, caller): len(value).to_bytes(8, "big") + value
            for key, value in preimages.items()
        }

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if key not in self.streams:
            raise PreimagePartUnavailable("pre-image must exist")
        return part_of(self.streams[key], offset)


class SinglePart(PreimagePartSource):
    """Exactly the one part a step proof asks the challenger to load, nothing else."""

    def __init__(self, proof: StepProof) -> None:
        assert proof.oracle_key is not None and proof.oracle_value is not None
        self.key = onchain_key(proof.oracle_key)
        self.offset = proof.oracle_offset
        self.part = part_of(proof.oracle_value, proof.oracle_offset)
        # The oracle value is the length-prefixed stream.
        assert int.from_bytes(proof.oracle_value[:8], "big") == len(proof.oracle_value) - 8

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if (key, offset) != (self.key, self.offset):
            raise PreimagePartUnavailable("pre-image must exist")
        return self.part


def parts_for(proof: StepProof) -> PreimagePartSource:
    """What the verifier may read for this step: the proof's one part, or nothing."""
    return SinglePart(proof) if proof.oracle_key is not None else OnchainParts({})


def run_differential(
    vm: FaultProofVM,
    every: int,
    is_syscall: Callable[[int], bool],
    check_step_proof: Callable[[StepProof], None],
    max_steps: int = 5_000_000,
) -> dict[str, int]:
    """Run to exit, proving and checking every ``every``-th step and every syscall step.

    ``check_step_proof`` replays a proof through the VM kind's verifier. A step that reads a
    preimage is a syscall step, so every preimage read is checked, against ``SinglePart``.
    """
    counts = {
        "steps": 0,
        "verified": 0,
        "syscalls": 0,
        "preimage_reads": 0,
        "local_reads": 0,
        "offset_reads": 0,
    }
    while not vm.exited:
        assert vm.step_count < max_steps, "program did not exit"
        syscall_step = is_syscall(vm.instruction_at(vm.pc))
        if syscall_step or vm.step_count % every == 0:
            proof = vm.step(proof=True)
            assert proof is not None
            check_step_proof(proof)
            counts["verified"] += 1
            counts["syscalls"] += syscall_step
            if proof.oracle_key is not None:
                counts["preimage_reads"] += 1
                counts["local_reads"] += proof.oracle_key[0] == 1
                counts["offset_reads"] += proof.oracle_offset > 8
        else:
            vm.step()
        counts["steps"] += 1
    # The exited state steps to itself, with a proof that needs no memory.
    proof = vm.step(proof=True)
    assert proof is not None and proof.pre == proof.post
    check_step_proof(proof)
    return counts
