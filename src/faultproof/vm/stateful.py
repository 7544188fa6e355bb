"""What every stateful VM does the same way, whatever its instruction set.

A stateful VM holds a state record, a full ``Memory``, a preimage host and the program's output.
Around the ISA's reference transition it does the same chores in every VM: serve preimage parts
from the host's whole preimage (fetched once per key), route writes to stdout, stderr and the hint
channel, deliver complete hints (a 4-byte big-endian length, then the payload), keep the state as it
was when a step fails, and refuse to execute at trap addresses. ``StatefulVM`` does those once; an
ISA supplies its state codec, its reference step and its proof memory.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from faultproof.errors import TrapReached
from faultproof.ints import be64
from faultproof.memory import Memory
from faultproof.preimage.oracle import NoHost, PreimageHost
from faultproof.preimage.parts import preimage_part
from faultproof.vm.interface import FaultProofVM, PreimageRead

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


class StatefulVM(FaultProofVM, Generic[S]):
    """A program in execution: state, full memory, a host for preimages, and the program's output."""

    #: Address width of the VM's memory.
    address_bits: ClassVar[int]

    def __init__(
        self, state: S, memory: Memory | None = None, last_hint: bytes = b"", host: PreimageHost | None = None
    ) -> None:
        self.state = state
        self.memory = memory or Memory(self.address_bits)
        self.host = host or NoHost()
        self.last_hint = bytearray(last_hint)
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.last_preimage_read: PreimageRead | None = None
        self._cached_key: bytes | None = None
        self._cached_value = b""
        self._traps: list[tuple[int, int]] = []

    # -- the ISA's part -------------------------------------------------------------------------

    @abstractmethod
    def encode_witness(self, mem_root: bytes) -> bytes:
        """The witness of the current state with this memory root."""

    @staticmethod
    @abstractmethod
    def hash_witness(witness: bytes) -> bytes:
        """The state hash of a witness, status byte first."""

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
        return self.encode_witness(self.memory.merkle_root())

    def state_hash(self) -> bytes:
        return self.hash_witness(self.witness())

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

    def guarded(self, step: Callable[[], None]) -> None:
        """Run one reference step; if it fails, restore the state and hint buffer it started from.

        Reference steps fail before they write memory (every check precedes the first store), so
        restoring the state record and the hint buffer restores everything.
        """
        before = self.state.copy()
        hint_before = bytes(self.last_hint)
        try:
            self.check_trap(self.state.pc)
            step()
        except BaseException:
            self.state = before
            self.last_hint[:] = hint_before
            raise

    def check_trap(self, pc: int) -> None:
        for start, end in self._traps:
            if start <= pc < end:
                raise TrapReached(f"reached a trap at pc 0x{pc:0{self.pc_digits}x}")


__all__ = ["FD_STDERR", "FD_STDOUT", "StatefulVM", "VMState"]
