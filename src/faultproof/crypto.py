"""Hash functions, in one place.

Keccak-256 here is the EVM's (original Keccak padding), not NIST SHA3-256. The binding comes from
safe-pysha3 because Merkle root recomputation calls it millions of times and it costs about a
quarter of pycryptodome's per-call overhead.
"""

import hashlib

import sha3

HASH_SIZE = 32


def keccak256(data: bytes | bytearray | memoryview) -> bytes:
    """Keccak-256 as used by the EVM."""
    return sha3.keccak_256(data).digest()  # type: ignore[no-any-return]


def sha256(data: bytes | bytearray | memoryview) -> bytes:
    """SHA-256, the hash behind type-4 preimage keys."""
    return hashlib.sha256(data).digest()
