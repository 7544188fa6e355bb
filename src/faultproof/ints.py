"""Fixed-width integer helpers.

Every consensus-critical value in a fault proof VM wraps at 32 or 64 bits. Python integers do not,
so each wrap is written as one of these named helpers: a reader sees *which* width applies instead of
a mask to decode. The ``U32``/``U64`` aliases document intent in signatures at no runtime cost.
"""

from typing import NewType

U8 = NewType("U8", int)
U32 = NewType("U32", int)
U64 = NewType("U64", int)

MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def u32(value: int) -> U32:
    """Truncate to an unsigned 32-bit value (two's complement wrap)."""
    return U32(value & MASK32)


def u64(value: int) -> U64:
    """Truncate to an unsigned 64-bit value (two's complement wrap)."""
    return U64(value & MASK64)


def sign_extend(value: int, bits: int) -> U32:
    """Sign-extend the low ``bits`` bits of ``value`` to an unsigned 32-bit value."""
    sign = 1 << (bits - 1)
    low = value & ((1 << bits) - 1)
    return u32((low ^ sign) - sign)


def sign_extend64(value: int, bits: int) -> U64:
    """Sign-extend the low ``bits`` bits of ``value`` to an unsigned 64-bit value."""
    sign = 1 << (bits - 1)
    low = value & ((1 << bits) - 1)
    return u64((low ^ sign) - sign)


def to_signed32(value: int) -> int:
    """Reinterpret an unsigned 32-bit value as two's-complement signed."""
    value &= MASK32
    return value - (1 << 32) if value & 0x8000_0000 else value


def to_signed64(value: int) -> int:
    """Reinterpret an unsigned 64-bit value as two's-complement signed."""
    value &= MASK64
    return value - (1 << 64) if value & (1 << 63) else value


def be32(value: int) -> bytes:
    """The 4-byte big-endian encoding of a 32-bit value."""
    return (value & MASK32).to_bytes(4, "big")


def be64(value: int) -> bytes:
    """The 8-byte big-endian encoding of a 64-bit value."""
    return (value & MASK64).to_bytes(8, "big")
