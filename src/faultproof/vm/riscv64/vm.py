"""The stateful RV64 VM: full 64-bit memory, program output, a preimage host, witnesses on demand.

``step`` runs the reference transition of ``step.py`` over the full memory and can record the
memory proof of every slot the step uses, at the moment it is used (§3.4: a straddling store's
slot-2 proof is taken after the left leaf was rewritten). ``run`` executes many steps without
proofs with the fast interpreter of ``fast.py``, which the tests hold equal to the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from faultproof.memory import LEAF_SIZE, Memory
from faultproof.metadata import Metadata
from faultproof.preimage.oracle import PreimageHost
from faultproof.vm.interface import PreimagePartSource, StepProof
from faultproof.vm.riscv64 import step as reference
from faultproof.vm.riscv64 import verifier
from faultproof.vm.riscv64.elf import load_elf
from faultproof.vm.riscv64.fast import FastInterpreter
from faultproof.vm.riscv64.formats import read_state_file, recognizes_state_file, state_file_bytes
from faultproof.vm.riscv64.state import RiscvState, encode_witness, state_hash
from faultproof.vm.stateful import StatefulVM

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

    def __init__(
        self,
        state: RiscvState | None = None,
        memory: Memory | None = None,
        last_hint: bytes = b"",
        host: PreimageHost | None = None,
    ) -> None:
        super().__init__(state or RiscvState(), memory, last_hint, host)
        self._engine: FastInterpreter | None = None

    # -- loading and saving ---------------------------------------------------------------------

    @classmethod
    def load_elf(cls, path: Path) -> tuple[RiscvVM, Metadata]:
        state, memory, metadata = load_elf(path)
        return cls(state, memory), metadata

    @classmethod
    def read_state(cls, path: Path) -> RiscvVM:
        state, memory, last_hint = read_state_file(path)
        return cls(state, memory, last_hint)

    @classmethod
    def recognizes_state(cls, path: Path) -> bool:
        return recognizes_state_file(path)

    def state_file_bytes(self, path: Path) -> bytes:
        return state_file_bytes(path, self.state, self.memory, bytes(self.last_hint))

    # -- the state ------------------------------------------------------------------------------

    def encode_witness(self, mem_root: bytes) -> bytes:
        return encode_witness(mem_root, self.state)

    @staticmethod
    def hash_witness(witness: bytes) -> bytes:
        return state_hash(witness)

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

    # -- execution ------------------------------------------------------------------------------

    def step(self, proof: bool = False) -> StepProof | None:
        self.last_preimage_read = None
        pre_step = self.state.step
        pre_witness = self.witness() if proof else b""
        memory = _LiveMemory(self.memory, recording=proof)
        self.guarded(lambda: reference.step(self.state, memory, self))
        if not proof:
            return None
        read = self.last_preimage_read
        return StepProof(
            step=pre_step,
            pre=state_hash(pre_witness),
            post=self.state_hash(),
            state_data=pre_witness,
            proof_data=memory.proof_data(),
            oracle_key=read.key if read else None,
            oracle_value=self.preimage_stream() if read else None,
            oracle_offset=read.offset if read else 0,
        )

    def set_traps(self, ranges: list[tuple[int, int]]) -> None:
        self._traps = list(ranges)
        if self._engine is not None:
            self._engine.set_traps(self._traps)

    def run(self, max_steps: int) -> None:
        """Plain execution by the fast interpreter, rebuilt when the state it is bound to was replaced."""
        engine = self._engine
        if engine is None or not engine.serves(self):
            engine = self._engine = FastInterpreter(self, self._traps)
        self.last_preimage_read = None
        engine.run(max_steps)

    @classmethod
    def verify_step(
        cls,
        state_data: bytes,
        proof_data: bytes,
        local_context: bytes,
        preimage_part: PreimagePartSource,
        caller: bytes,
    ) -> bytes:
        return verifier.verify_step(state_data, proof_data, local_context, preimage_part, caller)


__all__ = ["RiscvVM"]
