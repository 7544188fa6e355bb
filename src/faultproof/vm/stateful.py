"""What every stateful VM does the same way, whatever its instruction set.

A stateful VM holds a state record, a full ``Memory``, a preimage host and the program's output.
Around the ISA's reference transition it does the same chores in every VM: load programs and state
files, serve preimage parts from the host's whole preimage (fetched once per key), route writes to
stdout, stderr and the hint channel, deliver complete hints (a 4-byte big-endian length, then the
payload), keep the state as it was when a step fails, refuse to execute at trap addresses, assemble
step proofs, and hand plain runs to a fast engine. ``StatefulVM`` does those once; an ISA declares
its parts (state files, witness, fast engine, verifier) in an ``IsaParts`` and implements one step
of its reference transition over a memory that records proofs.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from faultproof.errors import TrapReached
from faultproof.ints import be64
from faultproof.memory import Memory
from faultproof.metadata import Metadata
from faultproof.preimage.oracle import NoHost, PreimageHost
from faultproof.preimage.parts import preimage_part
from faultproof.vm.engine import Engine
from faultproof.vm.interface import FaultProofVM, PreimagePartSource, PreimageRead, StepProof

FD_STDOUT = 1
FD_STDERR = 2
HINT_LENGTH_SIZE = 4


class VMState(Protocol):
    """The fields every VM's state record has, and an independent copy of it."""

    pc: int
    step: int
    exit_code: int
    exited: int

    def copy(self) -> Self: ...


S = TypeVar("S", bound=VMState)
T = TypeVar("T")


@dataclass(frozen=True)
class IsaParts(Generic[T]):
    """The ISA's functions a stateful VM is assembled from, ``T`` being its state record."""

    #: The state of a VM made without one (every field zero).
    new_state: Callable[[], T]
    #: Step 0 of a program: state, memory and symbols.
    load_elf: Callable[[Path], tuple[T, Memory, Metadata]]
    #: A state file of any of the ISA's formats: state, memory and the buffered hint bytes.
    read_state_file: Callable[[Path], tuple[T, Memory, bytes]]
    recognizes_state_file: Callable[[Path], bool]
    #: The file contents for a path, in the format its name selects.
    state_file_bytes: Callable[[Path, T, Memory, bytes], bytes]
    #: The witness of (memory root, state), and the state hash of a witness.
    encode_witness: Callable[[bytes, T], bytes]
    state_hash: Callable[[bytes], bytes]
    #: The fast interpreter of a VM with these traps.
    fast_engine: Callable[[Any, list[tuple[int, int]]], Engine[Any, Any]]
    #: The stateless verifier: (state data, proof data, local context, parts, caller) → post hash.
    verify_step: Callable[[bytes, bytes, bytes, PreimagePartSource, bytes], bytes]


class StatefulVM(FaultProofVM, Generic[S]):
    """A program in execution: state, full memory, a host for preimages, and the program's output."""

    #: Address width of the VM's memory.
    address_bits: ClassVar[int]
    isa: ClassVar[IsaParts[Any]]

    def __init__(
        self,
        state: S | None = None,
        memory: Memory | None = None,
        last_hint: bytes = b"",
        host: PreimageHost | None = None,
    ) -> None:
        self.state: S = state if state is not None else self.isa.new_state()
        self.memory = memory or Memory(self.address_bits)
        self.host = host or NoHost()
        self.last_hint = bytearray(last_hint)
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.last_preimage_read: PreimageRead | None = None
        self._cached_key: bytes | None = None
        self._cached_value = b""
        self._traps: list[tuple[int, int]] = []
        self._engine: Engine[Any, Any] | None = None

    # -- the ISA's part -------------------------------------------------------------------------

    @abstractmethod
    def execute_reference(self, recording: bool) -> bytes:
        """One step of the reference transition over the full memory, with this VM as its I/O.

        With ``recording``, return the memory proofs of the step in the VM's proof layout, each
        taken when the step used it; else ``b""``.
        """

    # -- loading and saving ---------------------------------------------------------------------

    @classmethod
    def load_elf(cls, path: Path) -> tuple[Self, Metadata]:
        state, memory, metadata = cls.isa.load_elf(path)
        return cls(state, memory), metadata

    @classmethod
    def read_state(cls, path: Path) -> Self:
        state, memory, last_hint = cls.isa.read_state_file(path)
        return cls(state, memory, last_hint)

    @classmethod
    def recognizes_state(cls, path: Path) -> bool:
        return cls.isa.recognizes_state_file(path)

    def state_file_bytes(self, path: Path) -> bytes:
        return self.isa.state_file_bytes(path, self.state, self.memory, bytes(self.last_hint))

    # -- the state ------------------------------------------------------------------------------

    @property
    def step_count(self) -> int:
        return self.state.step

    @property
    def pc(self) -> int:
        return self.state.pc

    @property
    def exited(self) -> bool:
        return self.state.exited == 1

    @property
    def exit_code(self) -> int:
        return self.state.exit_code

    def witness(self) -> bytes:
        return self.isa.encode_witness(self.memory.merkle_root(), self.state)

    def state_hash(self) -> bytes:
        return self.isa.state_hash(self.witness())

    def page_count(self) -> int:
        return len(self.memory.pages)

    # -- the world outside the witness (the reference step's StepIO) ----------------------------

    def preimage_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        """Serve the guest from the host's whole preimage, fetched once per key."""
        if key != self._cached_key:
            self._cached_value = self.host.get_preimage(key)
            self._cached_key = key
        part = preimage_part(self._cached_value, offset)
        self.last_preimage_read = PreimageRead(key, offset, len(self._cached_value))
        return part

    def preimage_stream(self) -> bytes:
        """The length-prefixed stream of the last preimage read (a proof's ``oracle-value``)."""
        return be64(len(self._cached_value)) + self._cached_value

    def output(self, fd: int, address: int, count: int) -> None:
        """A write to stdout, stderr or the hint channel (the only three a step hands out)."""
        data = self.memory.read(address, count)
        if fd == FD_STDOUT:
            self.stdout += data
        elif fd == FD_STDERR:
            self.stderr += data
        else:
            self.hint_bytes(data)

    def hint_bytes(self, data: bytes) -> None:
        """Buffer hint bytes and deliver every complete length-prefixed hint to the host."""
        self.last_hint += data
        while len(self.last_hint) >= HINT_LENGTH_SIZE:
            length = int.from_bytes(self.last_hint[:HINT_LENGTH_SIZE], "big")
            if length > len(self.last_hint) - HINT_LENGTH_SIZE:
                break
            hint = bytes(self.last_hint[HINT_LENGTH_SIZE : HINT_LENGTH_SIZE + length])
            del self.last_hint[: HINT_LENGTH_SIZE + length]
            self.host.hint(hint)

    # -- execution ------------------------------------------------------------------------------

    def step(self, proof: bool = False) -> StepProof | None:
        """One reference step; if it fails, the state and hint buffer are as before it.

        Reference steps fail before they write memory (every check precedes the first store), so
        restoring the state record and the hint buffer restores everything.
        """
        self.last_preimage_read = None
        pre_step = self.state.step
        pre_witness = self.witness() if proof else b""
        before = self.state.copy()
        hint_before = bytes(self.last_hint)
        try:
            self.check_trap(self.state.pc)
            proof_data = self.execute_reference(recording=proof)
        except BaseException:
            self.state = before
            self.last_hint[:] = hint_before
            raise
        if not proof:
            return None
        read = self.last_preimage_read
        return StepProof(
            step=pre_step,
            pre=self.isa.state_hash(pre_witness),
            post=self.state_hash(),
            state_data=pre_witness,
            proof_data=proof_data,
            oracle_key=read.key if read else None,
            oracle_value=self.preimage_stream() if read else None,
            oracle_offset=read.offset if read else 0,
        )

    def set_traps(self, ranges: list[tuple[int, int]]) -> None:
        """The fast engine decodes traps into its handlers; it re-decodes only changed ranges."""
        self._traps = list(ranges)
        if self._engine is not None:
            self._engine.set_traps(self._traps)

    def run(self, max_steps: int) -> None:
        """Plain execution by the fast engine, which defers to ``step`` for rare instructions.

        The engine keeps its decoded handlers between runs; it is rebuilt when the state or memory
        object it is bound to has been replaced (a failed ``step`` restores a copy).
        """
        engine = self._engine
        if engine is None or not engine.serves(self):
            engine = self._engine = self.isa.fast_engine(self, self._traps)
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
        return cls.isa.verify_step(state_data, proof_data, local_context, preimage_part, caller)

    def check_trap(self, pc: int) -> None:
        for start, end in self._traps:
            if start <= pc < end:
                raise TrapReached(f"reached a trap at pc 0x{pc:0{self.pc_digits}x}")


__all__ = ["FD_STDERR", "FD_STDOUT", "IsaParts", "StatefulVM", "VMState"]
