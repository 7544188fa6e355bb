"""Preimage key types and their derivations (spec: preimage-oracle.md §1, §2).

A key is 32 bytes whose first byte is its type. Global keys are a hash with byte 0 replaced by the
type; local keys name an input of one dispute and are localized onchain by the caller and context.
"""

from __future__ import annotations

import functools
from enum import IntEnum

from faultproof.crypto import keccak256, sha256
from faultproof.errors import InvalidPreimageKey
from faultproof.ints import be64

KEY_SIZE = 32
ADDRESS_SIZE = 20

# §1.1: the EIP-4844 blob, its KZG commitment and the evaluation domain of its polynomial.
BLOB_COMMITMENT_SIZE = 48
FIELD_ELEMENT_SIZE = 32
FIELD_ELEMENTS_PER_BLOB = 4096
BLOB_SIZE = FIELD_ELEMENT_SIZE * FIELD_ELEMENTS_PER_BLOB
BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
ROOT_OF_UNITY = 0x564C0A11A0F704F4FC3E8ACFE0F8245F0AD1347B378FBF96E206DA11A5D36306
DOMAIN_BITS = 12
VERSIONED_HASH_VERSION_KZG = 0x01

MAX_U64 = 2**64 - 1


class KeyType(IntEnum):
    """Byte 0 of a preimage key."""

    LOCAL = 1
    KECCAK256 = 2
    GENERIC = 3
    SHA256 = 4
    BLOB = 5
    PRECOMPILE = 6


FIRST_APPLICATION_KEY_TYPE = 129


def key_type(key: bytes) -> int:
    """The type byte of a well-formed key: a ``KeyType`` when it is one of §1's, else the raw byte.

    Raises ``InvalidPreimageKey`` for a key that is not 32 bytes or has the illegal type 0.
    """
    if len(key) != KEY_SIZE:
        raise InvalidPreimageKey(f"a preimage key has {KEY_SIZE} bytes, got {len(key)}: 0x{key.hex()}")
    if key[0] == 0:
        raise InvalidPreimageKey(f"key type 0 is illegal (§1): 0x{key.hex()}")
    try:
        return KeyType(key[0])
    except ValueError:
        return key[0]


def is_global(key: bytes) -> bool:
    """Whether a well-formed key names context-free data (every type but local)."""
    return key_type(key) != KeyType.LOCAL


def typed(key_type: int, digest: bytes) -> bytes:
    """``digest`` with byte 0 replaced by the key type."""
    return bytes([key_type]) + digest[1:KEY_SIZE]


# -- type 1: local ----------------------------------------------------------------------------------


def local_key(index: int) -> bytes:
    """The offchain (un-localized) key of local input ``index``: ``0x01 ‖ 0^23 ‖ BE8(index)``."""
    _check_u64("local key index", index)
    return bytes([KeyType.LOCAL]) + bytes(23) + be64(index)


def localize(key: bytes, context: bytes, sender: bytes) -> bytes:
    """The onchain form of a local key: bound to the caller and the local context (§2.1)."""
    return typed(KeyType.LOCAL, keccak256(key + _left_pad32(sender) + context))


# -- types 2 and 4: hashes --------------------------------------------------------------------------


def keccak256_key(data: bytes) -> bytes:
    """The global key under which ``data`` is served as a keccak256 preimage."""
    return typed(KeyType.KECCAK256, keccak256(data))


def sha256_key(data: bytes) -> bytes:
    """The global key under which ``data`` is served as a SHA-256 preimage."""
    return typed(KeyType.SHA256, sha256(data))


# -- type 3: generic (reserved) ---------------------------------------------------------------------


def generic_key(commitment: bytes, sender: bytes) -> bytes:
    """The reserved generic key ``typed(3, H(x ‖ leftpad32(sender)))`` for a 32-byte commitment ``x``.

    No loader exists for it onchain and nothing can verify its value; it is derived for completeness.
    """
    _check_size("generic key commitment", commitment, KEY_SIZE)
    _check_size("generic key sender", sender, ADDRESS_SIZE)
    return typed(KeyType.GENERIC, keccak256(commitment + _left_pad32(sender)))


# -- type 5: blob point evaluation (§1.1) -----------------------------------------------------------


def blob_key_preimage(commitment: bytes, z: bytes) -> bytes:
    """``commitment48 ‖ z32``: what a blob key hashes, stored beside it as a keccak preimage (§1.3)."""
    _check_size("blob commitment", commitment, BLOB_COMMITMENT_SIZE)
    _check_size("blob evaluation point z", z, FIELD_ELEMENT_SIZE)
    return commitment + z


def blob_key(commitment: bytes, z: bytes) -> bytes:
    """The key of ``y = p(z)`` for the blob polynomial ``p`` committed by ``commitment``."""
    return typed(KeyType.BLOB, keccak256(blob_key_preimage(commitment, z)))


def bitrev12(index: int) -> int:
    """``index`` with its 12 bits in reverse order: the bit-reversal permutation of the blob domain."""
    return int(f"{index:0{DOMAIN_BITS}b}"[::-1], 2)


def blob_field_element_point(index: int) -> bytes:
    """``z`` for blob field element ``index``: ``ω^bitrev12(index) mod r`` as 32 big-endian bytes (§1.1)."""
    if not 0 <= index < FIELD_ELEMENTS_PER_BLOB:
        raise InvalidPreimageKey(f"a blob has field elements 0–{FIELD_ELEMENTS_PER_BLOB - 1}, not {index}")
    return blob_domain()[index]


@functools.cache
def blob_domain() -> tuple[bytes, ...]:
    """``z_0 … z_4095``: the EIP-4844 evaluation domain in bit-reversal order (§1.1)."""
    powers = [1]
    for _ in range(FIELD_ELEMENTS_PER_BLOB - 1):
        powers.append(powers[-1] * ROOT_OF_UNITY % BLS_MODULUS)
    return tuple(
        powers[bitrev12(i)].to_bytes(FIELD_ELEMENT_SIZE, "big") for i in range(FIELD_ELEMENTS_PER_BLOB)
    )


def versioned_hash(commitment: bytes) -> bytes:
    """The EIP-4844 versioned hash of a KZG commitment: ``0x01 ‖ SHA256(commitment)[1:32]``."""
    _check_size("blob commitment", commitment, BLOB_COMMITMENT_SIZE)
    return typed(VERSIONED_HASH_VERSION_KZG, sha256(commitment))


def blob_commitment_key(commitment: bytes) -> bytes:
    """The SHA-256 key ``typed(4, versionedHash)`` under which the commitment itself is served (§1.1).

    Since only byte 0 differs, it equals ``sha256_key(commitment)``.
    """
    return typed(KeyType.SHA256, versioned_hash(commitment))


# -- type 6: precompile (§1.2) ----------------------------------------------------------------------


def precompile_key_preimage(address: bytes, required_gas: int, input: bytes) -> bytes:
    """``address20 ‖ BE8(requiredGas) ‖ input``, the normative (1.1.x) precompile key preimage."""
    _check_size("precompile address", address, ADDRESS_SIZE)
    _check_u64("precompile requiredGas", required_gas)
    return address + be64(required_gas) + input


def precompile_key(address: bytes, required_gas: int, input: bytes) -> bytes:
    """The key of ``status ‖ returndata`` of calling precompile ``address`` on ``input``."""
    return typed(KeyType.PRECOMPILE, keccak256(precompile_key_preimage(address, required_gas, input)))


# -- naming keys in messages ------------------------------------------------------------------------


def describe_key(key: bytes) -> str:
    """A human-readable name for a key, for error messages."""
    try:
        name = KeyType(key[0]).name.lower()
    except (ValueError, IndexError):
        name = f"type {key[0]}" if key else "empty"
    return f"{name} key 0x{key.hex()}"


def _left_pad32(address: bytes) -> bytes:
    return address.rjust(KEY_SIZE, b"\x00")


def _check_size(what: str, value: bytes, size: int) -> None:
    if len(value) != size:
        raise InvalidPreimageKey(f"a {what} has {size} bytes, got {len(value)}")


def _check_u64(what: str, value: int) -> None:
    if not 0 <= value <= MAX_U64:
        raise InvalidPreimageKey(f"{what} {value} does not fit in 64 bits")
