"""The stateful RV64 VM: full 64-bit memory, program output, a preimage host, witnesses on demand.

``step`` runs the reference transition of ``step.py`` over the full memory and can record the
memory proof of every slot the step uses, at the moment it is used (§3.4: a straddling store's
slot-2 proof is taken after the left leaf was rewritten). ``run`` executes many steps without
proofs with the fast interpreter of ``fast.py``, which the tests hold equal to the reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

from faultproof.memory import LEAF_SIZE, Memory
from faultproof.vm.riscv64 import step as reference
from faultproof.vm.riscv64 import verifier
from faultproof.vm.riscv64.elf import load_elf
from faultproof.vm.riscv64.fast import FastInterpreter
from faultproof.vm.riscv64.formats import read_state_file, recognizes_state_file, state_file_bytes
from faultproof.vm.riscv64.state import RiscvState, encode_witness, state_hash
from faultproof.vm.stateful import IsaParts, StatefulVM

ADDRESS_BITS = 64


class _LiveMemory:
    """``StepMemory`` over the full memory, optionally recording each slot's proof when it is used."""

    __slots__ = ("memory", "proofs", "recording")

    def __init__(self, memory: Memory, recording: bool) -> None:
        self.memory = memory
        self.recording = recording
        self.proofs: dict[int, bytes] = {}

    def load_leaf(self, address: int, slot: int) -> bytes:
        if self.recording:
            self.proofs[slot] = self.memory.proof(address)
        return self.memory.read(address, LEAF_SIZE)

    def store_leaf(self, address: int, leaf: bytes, slot: int) -> None:
        self.memory.write(address, leaf)

    def proof_data(self) -> bytes:
        """The proofs in slot order; slots are used in order, so they are consecutive from 0."""
        return b"".join(self.proofs[slot] for slot in sorted(self.proofs))


class RiscvVM(StatefulVM[RiscvState]):
    """An RV64IMA program in execution, byte-compatible with Asterisc v1.3.0."""

    kind: ClassVar[str] = "riscv64"
    go_env: ClassVar[dict[str, str]] = {
        "GOOS": "linux",
        "GOARCH": "riscv64",
        "CGO_ENABLED": "0",
        # Go's float operations in integer code: the VM executes floating-point opcodes as no-ops.
        "GOFLAGS": "-gcflags=all=-d=softfloat",
    }
    pc_digits: ClassVar[int] = 16
    address_bits: ClassVar[int] = ADDRESS_BITS
    isa = IsaParts(
        new_state=RiscvState,
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
        """§10.4: challengers read ``pc`` from it to extend a trace past the program's end."""
        return {
            "witness": "0x" + self.witness().hex(),
            "stateHash": "0x" + self.state_hash().hex(),
            "step": self.step_count,
            "exited": self.exited,
            "exitCode": self.exit_code,
            "pc": self.pc,
        }

    def instruction_at(self, pc: int) -> int:
        return int.from_bytes(self.memory.read(pc, 4), "little")

    def execute_reference(self, recording: bool) -> bytes:
        memory = _LiveMemory(self.memory, recording)
        reference.step(self.state, memory, self)
        return memory.proof_data() if recording else b""


__all__ = ["RiscvVM"]
