"""The stateful MIPS32 VM: full memory, program output, a preimage host, witnesses on demand.

Two engines execute the same rules. ``step`` runs the reference transition of ``step.py`` and can
record the memory proofs of the step; ``run`` uses the fast interpreter of ``fast.py`` for plain
execution, which the tests hold equal to the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from faultproof.errors import InvalidMemoryProof
from faultproof.memory import Memory, proof_size
from faultproof.metadata import Metadata
from faultproof.preimage.oracle import PreimageHost
from faultproof.vm.interface import PreimagePartSource, StepProof
from faultproof.vm.mips32 import step as reference
from faultproof.vm.mips32 import verifier
from faultproof.vm.mips32.elf import load_elf
from faultproof.vm.mips32.fast import FastInterpreter
from faultproof.vm.mips32.formats import read_state_file, recognizes_state_file, state_file_bytes
from faultproof.vm.mips32.state import MipsState, encode_witness, state_hash
from faultproof.vm.stateful import StatefulVM

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

    def __init__(
        self,
        state: MipsState | None = None,
        memory: Memory | None = None,
        last_hint: bytes = b"",
        host: PreimageHost | None = None,
    ) -> None:
        super().__init__(state or MipsState(), memory, last_hint, host)
        self._engine: FastInterpreter | None = None

    # -- loading and saving ---------------------------------------------------------------------

    @classmethod
    def load_elf(cls, path: Path) -> tuple[MipsVM, Metadata]:
        state, memory, metadata = load_elf(path)
        return cls(state, memory), metadata

    @classmethod
    def read_state(cls, path: Path) -> MipsVM:
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

    # -- execution ------------------------------------------------------------------------------

    def step(self, proof: bool = False) -> StepProof | None:
        self.last_preimage_read = None
        pre_step = self.state.step
        pre_witness = self.witness() if proof else b""
        memory = _LiveMemory(self.memory, recording=proof)
        self.guarded(lambda: reference.step(self.state, memory, self))
        if not proof:
            return None
        post_witness = self.witness()
        empty_proof = bytes(MEMORY_PROOF_SIZE)
        read = self.last_preimage_read
        return StepProof(
            step=pre_step,
            pre=state_hash(pre_witness),
            post=state_hash(post_witness),
            state_data=pre_witness,
            proof_data=memory.proofs.get(0, empty_proof) + memory.proofs.get(1, empty_proof),
            oracle_key=read.key if read else None,
            oracle_value=self.preimage_stream() if read else None,
            oracle_offset=read.offset if read else 0,
        )

    def set_traps(self, ranges: list[tuple[int, int]]) -> None:
        """The fast interpreter decodes traps into its handlers; it re-decodes only changed ranges."""
        self._traps = list(ranges)
        if self._engine is not None:
            self._engine.set_traps(self._traps)

    def run(self, max_steps: int) -> None:
        """Plain execution by the fast interpreter, which defers to ``step`` for rare instructions.

        The interpreter keeps its decoded handlers between runs; it is rebuilt when the state or
        memory object it is bound to has been replaced (a failed ``step`` restores a copy). It also
        executes the step at which the counter wraps modulo 2^64 (§1), by the reference.
        """
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


__all__ = ["MipsVM"]
