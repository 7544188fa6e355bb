"""RV64 VM state, its 362-byte witness and its hash (spec: riscv64.md §2).

``RiscvState`` holds every witness field except the memory root, which lives apart because memory
has two forms: the stateful VM's full ``Memory`` and the stateless verifier's root plus proofs. Both
encode the same witness from ``(memory root, RiscvState)``. The field order differs from MIPS32's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from faultproof.errors import StateFormatError
from faultproof.vm.status import status_hash

WITNESS_SIZE = 362
REGISTER_COUNT = 32

REG_RA = 1
REG_SP = 2
REG_A0 = 10
REG_A1 = 11
REG_A2 = 12
REG_A3 = 13
REG_A4 = 14
REG_A5 = 15
REG_A7 = 17

MEM_ROOT_SIZE = 32
# Every witness field after memRoot, in order (§2.1): preimageKey, preimageOffset, pc, exitCode,
# exited, step, heap, loadReservation, registers.
STATE_FIELDS = struct.Struct(">32sQQBBQQQ32Q")
assert MEM_ROOT_SIZE + STATE_FIELDS.size == WITNESS_SIZE
EXIT_CODE_OFFSET = 80
EXITED_OFFSET = 81


@dataclass(slots=True)
class RiscvState:
    """Every witness field except the memory root."""

    preimage_key: bytes = bytes(32)
    preimage_offset: int = 0
    pc: int = 0
    exit_code: int = 0
    # An integer, not a bool: a witness may carry any byte here, and the verifier must see it.
    exited: int = 0
    step: int = 0
    heap: int = 0
    load_reservation: int = 0
    registers: list[int] = field(default_factory=lambda: [0] * REGISTER_COUNT)

    def copy(self) -> RiscvState:
        """An independent copy (the register list is not shared)."""
        return RiscvState(
            self.preimage_key,
            self.preimage_offset,
            self.pc,
            self.exit_code,
            self.exited,
            self.step,
            self.heap,
            self.load_reservation,
            list(self.registers),
        )


def encode_fields(state: RiscvState) -> bytes:
    """The witness fields after the memory root, packed big-endian."""
    return STATE_FIELDS.pack(
        state.preimage_key,
        state.preimage_offset,
        state.pc,
        state.exit_code,
        state.exited,
        state.step,
        state.heap,
        state.load_reservation,
        *state.registers,
    )


def decode_fields(data: bytes) -> RiscvState:
    """The inverse of ``encode_fields``; ``data`` must be exactly ``STATE_FIELDS.size`` bytes."""
    key, offset, pc, exit_code, exited, step, heap, reservation, *registers = STATE_FIELDS.unpack(data)
    return RiscvState(key, offset, pc, exit_code, exited, step, heap, reservation, registers)


def encode_witness(mem_root: bytes, state: RiscvState) -> bytes:
    """The packed big-endian 362-byte witness (§2.1)."""
    return mem_root + encode_fields(state)


def decode_witness(witness: bytes) -> tuple[bytes, RiscvState]:
    """Split a 362-byte witness into its memory root and the other fields."""
    if len(witness) != WITNESS_SIZE:
        raise StateFormatError(f"RV64 witness must be {WITNESS_SIZE} bytes, got {len(witness)}")
    return witness[:MEM_ROOT_SIZE], decode_fields(witness[MEM_ROOT_SIZE:])


def state_hash(witness: bytes) -> bytes:
    """``keccak256(witness)`` with byte 0 replaced by the status byte (§2.2)."""
    return status_hash(witness, witness[EXITED_OFFSET], witness[EXIT_CODE_OFFSET])
