"""MIPS32 VM state, its 226-byte witness and its hash (spec: mips32.md §2).

``MipsState`` holds the CPU and bookkeeping fields of the witness. Memory is kept apart because it
lives in two forms: the stateful VM has a full ``Memory``; the stateless verifier only has a root and
two proofs. Both encode the same witness from ``(memory root, MipsState)``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from faultproof.errors import StateFormatError
from faultproof.vm.status import status_hash

WITNESS_SIZE = 226
REGISTER_COUNT = 32

REG_V0 = 2
REG_V1 = 3
REG_A0 = 4
REG_A1 = 5
REG_A2 = 6
REG_A3 = 7
REG_SP = 29
REG_RA = 31

MEM_ROOT_SIZE = 32
# Every witness field after memRoot, in order; the binary state file stores the same bytes (§9.1):
# preimageKey, preimageOffset, pc, nextPC, lo, hi, heap, exitCode, exited, step, registers.
STATE_FIELDS = struct.Struct(">32sIIIIIIBBQ32I")
assert MEM_ROOT_SIZE + STATE_FIELDS.size == WITNESS_SIZE


@dataclass(slots=True)
class MipsState:
    """Every witness field except the memory root."""

    preimage_key: bytes = bytes(32)
    preimage_offset: int = 0
    pc: int = 0
    next_pc: int = 4
    lo: int = 0
    hi: int = 0
    heap: int = 0
    exit_code: int = 0
    # An integer, not a bool: a witness may carry any byte here, and the verifier must see it.
    exited: int = 0
    step: int = 0
    registers: list[int] = field(default_factory=lambda: [0] * REGISTER_COUNT)

    def copy(self) -> MipsState:
        """An independent copy (the register list is not shared)."""
        clone = MipsState(
            self.preimage_key,
            self.preimage_offset,
            self.pc,
            self.next_pc,
            self.lo,
            self.hi,
            self.heap,
            self.exit_code,
            self.exited,
            self.step,
            list(self.registers),
        )
        return clone


def encode_fields(state: MipsState) -> bytes:
    """The witness fields after the memory root, packed big-endian."""
    return STATE_FIELDS.pack(
        state.preimage_key,
        state.preimage_offset,
        state.pc,
        state.next_pc,
        state.lo,
        state.hi,
        state.heap,
        state.exit_code,
        state.exited,
        state.step,
        *state.registers,
    )


def decode_fields(data: bytes) -> MipsState:
    """The inverse of ``encode_fields``; ``data`` must be exactly ``STATE_FIELDS.size`` bytes."""
    key, offset, pc, next_pc, lo, hi, heap, exit_code, exited, step, *registers = STATE_FIELDS.unpack(data)
    return MipsState(key, offset, pc, next_pc, lo, hi, heap, exit_code, exited, step, registers)


def encode_witness(mem_root: bytes, state: MipsState) -> bytes:
    """The packed big-endian 226-byte witness (§2.1)."""
    return mem_root + encode_fields(state)


def decode_witness(witness: bytes) -> tuple[bytes, MipsState]:
    """Split a 226-byte witness into its memory root and the other fields."""
    if len(witness) != WITNESS_SIZE:
        raise StateFormatError(f"MIPS32 witness must be {WITNESS_SIZE} bytes, got {len(witness)}")
    return witness[:MEM_ROOT_SIZE], decode_fields(witness[MEM_ROOT_SIZE:])


def state_hash(witness: bytes) -> bytes:
    """``keccak256(witness)`` with byte 0 replaced by the status byte (§2.2)."""
    exit_code, exited = witness[88], witness[89]
    return status_hash(witness, exited, exit_code)
