"""The stateful MIPS32 VM: full memory, program output, a preimage host, witnesses on demand.

Two engines execute the same rules. ``step`` runs the reference transition of ``step.py`` and can
record the memory proofs of the step; ``run`` uses the fast interpreter of ``fast.py`` for plain
execution, which the tests hold equal to the reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

from faultproof.errors import InvalidMemoryProof
from faultproof.memory import Memory, proof_size
from faultproof.vm.mips32 import step as reference
from faultproof.vm.mips32 import verifier
from faultproof.vm.mips32.elf import load_elf
from faultproof.vm.mips32.fast import FastInterpreter
from faultproof.vm.mips32.formats import read_state_file, recognizes_state_file, state_file_bytes
from faultproof.vm.mips32.state import MipsState, encode_witness, state_hash
from faultproof.vm.stateful import IsaParts, StatefulVM

ADDRESS_BITS = 32
MEMORY_PROOF_SIZE = proof_size(ADDRESS_BITS)


class _LiveMemory:
    """``StepMemory`` over the full memory, optionally recording the proof of each access.

    Proofs are taken at the read, before the step's only write, so they are pre-step proofs.
    """

    __slots__ = ("memory", "proofs", "recording")

    def __init__(self, memory: Memory, recording: bool) -> None:
        self.memory = memory
        self.recording = recording
        self.proofs: dict[int, bytes] = {}

    def read_word(self, address: int, proof_index: int) -> int:
        if address & 3:
            raise InvalidMemoryProof(f"unaligned memory access at 0x{address:08x}")
        if self.recording:
            self.proofs[proof_index] = self.memory.proof(address)
        return self.memory.read_word(address)

    def write_word(self, address: int, value: int, proof_index: int) -> None:
        self.memory.write_word(address, value)

    def proof_data(self) -> bytes:
        """Both proofs of §4.2, zero bytes for one the step did not use."""
        empty = bytes(MEMORY_PROOF_SIZE)
        proofs = self.proofs
        return proofs.get(reference.INSTRUCTION_PROOF, empty) + proofs.get(reference.DATA_PROOF, empty)


class MipsVM(StatefulVM[MipsState]):
    """A MIPS32 program in execution, byte-compatible with Cannon ``singlethreaded-2``."""

    kind: ClassVar[str] = "mips32"
    go_env: ClassVar[dict[str, str]] = {
        "GOOS": "linux",
        "GOARCH": "mips",
        "GOMIPS": "softfloat",
        "CGO_ENABLED": "0",
    }
    pc_digits: ClassVar[int] = 8
    # The Go runtime parks a thread here; single-threaded, nothing would ever wake it (§10.2 step 3).
    guard_symbols: ClassVar[tuple[str, ...]] = ("runtime.notesleep",)
    address_bits: ClassVar[int] = ADDRESS_BITS
    isa = IsaParts(
        new_state=MipsState,
        load_elf=load_elf,
        read_state_file=read_state_file,
        recognizes_state_file=recognizes_state_file,
        state_file_bytes=state_file_bytes,
        encode_witness=encode_witness,
        state_hash=state_hash,
        fast_engine=FastInterpreter,
        verify_step=verifier.verify_step,
    )

    def witness_summary(self) -> dict[str, Any]:
        """§9.4: the hash under Cannon's name ``witnessHash``."""
        return {
            "witnessHash": "0x" + self.state_hash().hex(),
            "witness": "0x" + self.witness().hex(),
            "step": self.step_count,
            "exited": self.exited,
            "exitCode": self.exit_code,
        }

    def instruction_at(self, pc: int) -> int:
        return self.memory.read_word(pc & 0xFFFF_FFFC)

    def execute_reference(self, recording: bool) -> bytes:
        memory = _LiveMemory(self.memory, recording)
        reference.step(self.state, memory, self)
        return memory.proof_data() if recording else b""


__all__ = ["MipsVM"]
