"""Preimage key types and their derivations (spec: preimage-oracle.md §1, §2).

A key is 32 bytes whose first byte is its type. Global keys are a hash with byte 0 replaced by the
type; local keys name an input of one dispute and are localized onchain by the caller and context.
"""

from __future__ import annotations

from enum import IntEnum

from faultproof.crypto import keccak256, sha256
from faultproof.ints import be64

KEY_SIZE = 32


class KeyType(IntEnum):
    """Byte 0 of a preimage key."""

    LOCAL = 1
    KECCAK256 = 2
    GENERIC = 3
    SHA256 = 4
    BLOB = 5
    PRECOMPILE = 6


def typed(key_type: int, digest: bytes) -> bytes:
    """``digest`` with byte 0 replaced by the key type."""
    return bytes([key_type]) + digest[1:KEY_SIZE]


def local_key(index: int) -> bytes:
    """The offchain (un-localized) key of local input ``index``: ``0x01 ‖ 0^23 ‖ BE8(index)``."""
    return bytes([KeyType.LOCAL]) + bytes(23) + be64(index)


def keccak256_key(data: bytes) -> bytes:
    """The global key under which ``data`` is served as a keccak256 preimage."""
    return typed(KeyType.KECCAK256, keccak256(data))


def sha256_key(data: bytes) -> bytes:
    """The global key under which ``data`` is served as a SHA-256 preimage."""
    return typed(KeyType.SHA256, sha256(data))


def localize(key: bytes, context: bytes, sender: bytes) -> bytes:
    """The onchain form of a local key: bound to the caller and the local context (§2.1)."""
    return typed(KeyType.LOCAL, keccak256(key + bytes(12) + sender + context))


def describe_key(key: bytes) -> str:
    """A human-readable name for a key, for error messages."""
    try:
        name = KeyType(key[0]).name.lower()
    except (ValueError, IndexError):
        name = f"type {key[0]}" if key else "empty"
    return f"{name} key 0x{key.hex()}"
