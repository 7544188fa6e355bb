"""Whether a preimage really belongs to its key, checked before anything is stored or served.

A host that served data the onchain oracle would not accept could make an honest program run
diverge from what a contract can prove; so every store checks here first. Local keys name
dispute-specific inputs and cannot be checked; global keys are checked as far as the key allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from faultproof.crypto import keccak256, sha256
from faultproof.errors import PreimageRejected
from faultproof.preimage.keys import KEY_SIZE, KeyType, describe_key, typed


@dataclass(frozen=True)
class BlobEvidence:
    """What proves a blob key's value ``y``: the commitment, the point ``z`` and a KZG proof."""

    commitment: bytes
    z: bytes
    proof: bytes


@dataclass(frozen=True)
class PrecompileEvidence:
    """What a precompile key commits to: the precompile, the gas it needs and its input."""

    address: bytes
    required_gas: int
    input: bytes


Evidence = BlobEvidence | PrecompileEvidence


def check_preimage(key: bytes, value: bytes, evidence: Evidence | None = None) -> None:
    """Raise ``PreimageRejected`` unless ``value`` is the preimage of ``key``."""
    if len(key) != KEY_SIZE:
        raise PreimageRejected(f"a key has {KEY_SIZE} bytes, got {len(key)}")
    key_type = key[0]
    if key_type == KeyType.LOCAL:
        return
    if key_type == KeyType.KECCAK256:
        _expect(key, typed(KeyType.KECCAK256, keccak256(value)))
        return
    if key_type == KeyType.SHA256:
        _expect(key, typed(KeyType.SHA256, sha256(value)))
        return
    raise PreimageRejected(f"cannot verify a preimage for {describe_key(key)}")


def _expect(key: bytes, derived: bytes) -> None:
    if derived != key:
        raise PreimageRejected(f"value does not hash to {describe_key(key)} (it hashes to 0x{derived.hex()})")
