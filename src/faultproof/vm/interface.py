"""What every fault proof VM provides, so the CLI, trace providers and the game never know the ISA.

A VM kind (``mips32``, later ``riscv64``) is a subclass of ``FaultProofVM`` registered under its
name in ``faultproof.vm``. Everything ISA-specific — the state and its witness, the step, the ELF
loader, the state file formats and the stateless verifier — lives behind these methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from faultproof.metadata import Metadata
from faultproof.preimage.oracle import PreimageHost


@dataclass(frozen=True)
class StepProof:
    """Everything needed to prove one step on chain (the proof JSON of mips32.md §9.3).

    ``oracle_value`` is the length-prefixed preimage stream and ``oracle_offset`` the pre-step
    offset into it, present only when the step read a preimage.
    """

    step: int
    pre: bytes
    post: bytes
    state_data: bytes
    proof_data: bytes
    oracle_key: bytes | None = None
    oracle_value: bytes | None = None
    oracle_offset: int = 0


@dataclass(frozen=True)
class PreimageRead:
    """A preimage read performed by the last step: key, pre-step offset and the value's size."""

    key: bytes
    offset: int
    size: int


class FaultProofVM(ABC):
    """A stateful fault proof VM: full memory, program output, and a host for preimages."""

    #: Registry name, also the ``--vm`` choice.
    kind: ClassVar[str]
    #: Environment for ``go build`` that targets this VM.
    go_env: ClassVar[Mapping[str, str]]
    #: Width of the program counter in hex digits, for display.
    pc_digits: ClassVar[int]
    #: Functions that a run must never enter: a single-threaded program there waits forever.
    guard_symbols: ClassVar[tuple[str, ...]] = ()

    host: PreimageHost
    stdout: bytearray
    stderr: bytearray
    #: The preimage read done by the most recent step, if any.
    last_preimage_read: PreimageRead | None

    # -- loading and saving ---------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def load_elf(cls, path: Path) -> tuple[FaultProofVM, Metadata]:
        """The step-0 state of a program and its symbols; raises ``ElfError``."""

    @classmethod
    @abstractmethod
    def read_state(cls, path: Path) -> FaultProofVM:
        """A state file in any of the VM's formats (chosen by extension); raises ``StateFormatError``."""

    @classmethod
    @abstractmethod
    def recognizes_state(cls, path: Path) -> bool:
        """Whether a state file belongs to this VM kind (version byte or JSON shape)."""

    @abstractmethod
    def state_file_bytes(self, path: Path) -> bytes:
        """The bytes of this state in the format that ``path``'s extension selects."""

    # -- the state ------------------------------------------------------------------------------

    @property
    @abstractmethod
    def step_count(self) -> int: ...

    @property
    @abstractmethod
    def pc(self) -> int: ...

    @property
    @abstractmethod
    def exited(self) -> bool: ...

    @property
    @abstractmethod
    def exit_code(self) -> int: ...

    @abstractmethod
    def witness(self) -> bytes:
        """The encoded state that the onchain verifier receives and that is hashed."""

    @abstractmethod
    def state_hash(self) -> bytes:
        """The 32-byte commitment to the whole state, status byte first."""

    @abstractmethod
    def witness_summary(self) -> dict[str, Any]:
        """What the ``witness`` command prints, in the field names and order of the VM's upstream tool."""

    @abstractmethod
    def instruction_at(self, pc: int) -> int:
        """The instruction word at ``pc``, for diagnostics."""

    @abstractmethod
    def page_count(self) -> int: ...

    # -- execution ------------------------------------------------------------------------------

    @abstractmethod
    def step(self, proof: bool = False) -> StepProof | None:
        """Execute one step by the reference rules; with ``proof`` return its witness.

        Raises ``StepFailure`` (the state is left as it was) or ``PreimageError``.
        """

    @abstractmethod
    def run(self, max_steps: int) -> None:
        """Execute up to ``max_steps`` steps fast, stopping early at exit or a preimage read."""

    @abstractmethod
    def set_traps(self, ranges: list[tuple[int, int]]) -> None:
        """Make execution at any pc in ``[start, end)`` of these ranges raise ``TrapReached``."""

    @classmethod
    @abstractmethod
    def verify_step(
        cls,
        state_data: bytes,
        proof_data: bytes,
        local_context: bytes,
        preimage_part: PreimagePartSource,
        caller: bytes,
    ) -> bytes:
        """The stateless verifier: the post-state hash the onchain ``step`` returns, or ``StepFailure``."""


class PreimagePartSource(ABC):
    """Preimage parts as the onchain oracle holds them: by (already localized) key and offset."""

    @abstractmethod
    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        """``(part, partLen)``; raises ``PreimagePartUnavailable`` when no part is loaded there."""


__all__ = ["FaultProofVM", "PreimagePartSource", "PreimageRead", "StepProof"]
