"""The status byte of a state hash, shared by every VM (mips32.md §2.2, riscv64.md §2.2).

The dispute game reads a claim's first byte to learn whether the program finished and how, so both
VMs replace byte 0 of ``keccak256(witness)`` with the same status code.
"""

from __future__ import annotations

from enum import IntEnum

from faultproof.crypto import keccak256


class VMStatus(IntEnum):
    """The status byte that replaces byte 0 of a state hash."""

    VALID = 0
    INVALID = 1
    PANIC = 2
    UNFINISHED = 3


def vm_status(exited: int, exit_code: int) -> VMStatus:
    """Unfinished unless ``exited == 1`` exactly; then valid (0), invalid (1) or panic (other)."""
    if exited != 1:
        return VMStatus.UNFINISHED
    if exit_code == 0:
        return VMStatus.VALID
    if exit_code == 1:
        return VMStatus.INVALID
    return VMStatus.PANIC


def status_hash(witness: bytes, exited: int, exit_code: int) -> bytes:
    """``keccak256(witness)`` with byte 0 replaced by the status byte."""
    return bytes([vm_status(exited, exit_code)]) + keccak256(witness)[1:]


__all__ = ["VMStatus", "status_hash", "vm_status"]
