"""Whether a preimage really belongs to its key, checked before anything is stored or served.

A host that served data the onchain oracle would not accept could make an honest program run
diverge from what a contract can prove; so every store checks here first, the way the matching
onchain loader would (spec: preimage-oracle.md §1, §6.2). Local keys name dispute-specific inputs
and cannot be checked; keccak256 and SHA-256 keys are checked by hashing the value; blob and
precompile keys only commit to their arguments, so their value is checked against *evidence*:

* a blob key (``loadBlobPreimagePart``): a KZG proof that ``p(z) = y`` checked by the point
  evaluation precompile (``BlobEvidence``), or the whole blob whose commitment is recomputed once
  for all its elements (``WholeBlobEvidence``);
* a precompile key (``loadPrecompilePreimagePart``): the address, ``requiredGas`` and input, with
  which the precompile is run again (``PrecompileEvidence``).

The ``*_entries`` helpers build what a host stores for a blob or a precompile call: the value with
its evidence plus the auxiliary keccak preimage of the key preimage (§1.3).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from faultproof.errors import InvalidPreimageKey, PreimageRejected
from faultproof.preimage.keys import (
    FIELD_ELEMENT_SIZE,
    FIELD_ELEMENTS_PER_BLOB,
    KeyType,
    blob_commitment_key,
    blob_domain,
    blob_field_element_point,
    blob_key,
    blob_key_preimage,
    describe_key,
    keccak256_key,
    key_type,
    precompile_key,
    precompile_key_preimage,
    sha256_key,
    versioned_hash,
)
from faultproof.preimage.precompiles import (
    POINT_EVALUATION,
    POINT_EVALUATION_GAS,
    blob_to_kzg_commitment,
    precompile_address,
    precompile_name,
    run_precompile,
    supported_precompiles,
)


@dataclass(frozen=True)
class BlobEvidence:
    """What proves a blob key's value ``y``: the commitment, the point ``z`` and a KZG proof."""

    commitment: bytes
    z: bytes
    proof: bytes


@dataclass(frozen=True)
class WholeBlobEvidence:
    """A whole blob and its commitment: proves every element ``y_i = blob[32i : 32i + 32]`` at ``z_i``.

    Share one instance between the 4096 elements of a blob: the commitment is recomputed once.
    """

    commitment: bytes
    blob: bytes

    @functools.cached_property
    def commitment_matches(self) -> bool:
        """Whether the blob has this commitment (computed once, about 45 ms)."""
        try:
            return blob_to_kzg_commitment(self.blob) == self.commitment
        except ValueError:
            return False

    @functools.cached_property
    def element_index(self) -> dict[bytes, int]:
        """The blob key of every field element ``i`` of this commitment, mapped to ``i``."""
        try:
            return {blob_key(self.commitment, z): i for i, z in enumerate(blob_domain())}
        except InvalidPreimageKey:
            return {}


@dataclass(frozen=True)
class PrecompileEvidence:
    """What a precompile key commits to: the precompile, the gas it needs and its input."""

    address: bytes
    required_gas: int
    input: bytes


Evidence = BlobEvidence | WholeBlobEvidence | PrecompileEvidence


def check_preimage(key: bytes, value: bytes, evidence: Evidence | None = None) -> None:
    """Raise ``PreimageRejected`` unless ``value`` is the preimage of ``key``."""
    try:
        kind = key_type(key)
    except InvalidPreimageKey as error:
        raise PreimageRejected(str(error)) from error
    if kind == KeyType.BLOB:
        _check_blob(key, value, evidence)
        return
    if kind == KeyType.PRECOMPILE:
        _check_precompile(key, value, evidence)
        return
    if evidence is not None:
        raise PreimageRejected(f"{describe_key(key)} takes no evidence, got {type(evidence).__name__}")
    if kind == KeyType.LOCAL:
        return
    if kind == KeyType.KECCAK256:
        _expect_hash(key, keccak256_key(value))
    elif kind == KeyType.SHA256:
        _expect_hash(key, sha256_key(value))
    else:
        raise PreimageRejected(
            f"cannot verify a preimage for {describe_key(key)}: no loader exists for its type"
        )


def _expect_hash(key: bytes, derived: bytes) -> None:
    if derived != key:
        raise PreimageRejected(f"value does not hash to {describe_key(key)} (it hashes to 0x{derived.hex()})")


# -- type 5: blob point evaluation ------------------------------------------------------------------


def _check_blob(key: bytes, value: bytes, evidence: Evidence | None) -> None:
    """``loadBlobPreimagePart``: the key commits to ``(commitment, z)``; ``y`` must be ``p(z)``."""
    if not isinstance(evidence, BlobEvidence | WholeBlobEvidence):
        raise PreimageRejected(f"{describe_key(key)} needs BlobEvidence or WholeBlobEvidence to be verified")
    if len(value) != FIELD_ELEMENT_SIZE:
        raise PreimageRejected(
            f"the value of {describe_key(key)} is {FIELD_ELEMENT_SIZE} bytes, got {len(value)}"
        )
    if isinstance(evidence, BlobEvidence):
        _expect_evidence_key(key, evidence.commitment, evidence.z)
        point_evaluation_input = (
            versioned_hash(evidence.commitment) + evidence.z + value + evidence.commitment + evidence.proof
        )
        result = run_precompile(
            precompile_address(POINT_EVALUATION), point_evaluation_input, POINT_EVALUATION_GAS
        )
        if not result.success:
            raise PreimageRejected(
                f"the KZG proof does not show p(z) = 0x{value.hex()} for {describe_key(key)}"
            )
        return
    index = evidence.element_index.get(key)
    if index is None:
        raise PreimageRejected(
            f"{describe_key(key)} is no element of the blob with commitment 0x{evidence.commitment.hex()}"
        )
    if not evidence.commitment_matches:
        raise PreimageRejected(
            f"the blob offered for {describe_key(key)} does not have commitment 0x{evidence.commitment.hex()}"
        )
    element = evidence.blob[FIELD_ELEMENT_SIZE * index : FIELD_ELEMENT_SIZE * (index + 1)]
    if element != value:
        raise PreimageRejected(f"the value of {describe_key(key)} is blob element {index}, 0x{element.hex()}")


def _expect_evidence_key(key: bytes, commitment: bytes, z: bytes) -> None:
    try:
        derived = blob_key(commitment, z)
    except InvalidPreimageKey as error:
        raise PreimageRejected(f"bad evidence for {describe_key(key)}: {error}") from error
    if derived != key:
        raise PreimageRejected(f"the evidence is for {describe_key(derived)}, not {describe_key(key)}")


# -- type 6: precompile -----------------------------------------------------------------------------


def _check_precompile(key: bytes, value: bytes, evidence: Evidence | None) -> None:
    """``loadPrecompilePreimagePart``: call the precompile again and compare ``status ‖ returndata``."""
    if not isinstance(evidence, PrecompileEvidence):
        raise PreimageRejected(f"{describe_key(key)} needs PrecompileEvidence to be verified")
    try:
        derived = precompile_key(evidence.address, evidence.required_gas, evidence.input)
    except InvalidPreimageKey as error:
        raise PreimageRejected(f"bad evidence for {describe_key(key)}: {error}") from error
    if derived != key:
        raise PreimageRejected(f"the evidence is for {describe_key(derived)}, not {describe_key(key)}")
    expected = precompile_value(key, evidence)
    if value != expected:
        raise PreimageRejected(
            f"precompile 0x{evidence.address.hex()} returns 0x{expected.hex()} for the input of "
            f"{describe_key(key)}, not 0x{value.hex()}"
        )


def precompile_value(key: bytes, evidence: PrecompileEvidence) -> bytes:
    """The value of a precompile key: ``status ‖ returndata``; rejects what the loader could not load."""
    name = precompile_name(evidence.address)
    if name is None:
        raise PreimageRejected(
            f"cannot verify {describe_key(key)}: 0x{evidence.address.hex()} is not a supported "
            f"precompile (supported: {supported_precompiles()})"
        )
    result = run_precompile(evidence.address, evidence.input, evidence.required_gas)
    if result.out_of_gas:
        raise PreimageRejected(
            f"{describe_key(key)}: {name} needs at least {result.gas} gas for its input, more "
            f"than requiredGas {evidence.required_gas}, so its onchain result would depend on "
            f"the caller's gas"
        )
    return result.value


# -- what a host stores -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PreimageEntry:
    """One ``put`` for a store: a key, its value and, for blob and precompile keys, the evidence."""

    key: bytes
    value: bytes
    evidence: Evidence | None = None


def blob_element_entries(commitment: bytes, z: bytes, y: bytes, proof: bytes) -> list[PreimageEntry]:
    """``p(z) = y`` under its blob key with the KZG proof, and ``commitment ‖ z`` as a keccak preimage."""
    key_preimage = blob_key_preimage(commitment, z)
    return [
        PreimageEntry(blob_key(commitment, z), y, BlobEvidence(commitment, z, proof)),
        PreimageEntry(keccak256_key(key_preimage), key_preimage),
    ]


def blob_entries(blob: bytes, indices: Iterable[int] = range(FIELD_ELEMENTS_PER_BLOB)) -> list[PreimageEntry]:
    """A blob as a program reads it (§1.1): its commitment under ``typed(4, versionedHash)``, then for
    each field element ``i`` its value under ``blob_key(commitment, z_i)`` and ``commitment ‖ z_i``.

    Raises ``PreimageRejected`` for a blob that is not 4096 field elements below the BLS modulus.
    """
    try:
        commitment = blob_to_kzg_commitment(blob)
    except ValueError as error:
        raise PreimageRejected(f"not a blob: {error}") from error
    evidence = WholeBlobEvidence(commitment, blob)
    entries = [PreimageEntry(blob_commitment_key(commitment), commitment)]
    for index in indices:
        z = blob_field_element_point(index)
        key_preimage = blob_key_preimage(commitment, z)
        y = blob[FIELD_ELEMENT_SIZE * index : FIELD_ELEMENT_SIZE * (index + 1)]
        entries.append(PreimageEntry(blob_key(commitment, z), y, evidence))
        entries.append(PreimageEntry(keccak256_key(key_preimage), key_preimage))
    return entries


def precompile_entries(address: bytes, required_gas: int, input: bytes) -> list[PreimageEntry]:
    """The result of a precompile call under its key (§1.2) and its key preimage as a keccak preimage.

    Raises ``PreimageRejected`` for an unsupported precompile or a ``requiredGas`` that is too low.
    """
    key_preimage = precompile_key_preimage(address, required_gas, input)
    key = precompile_key(address, required_gas, input)
    evidence = PrecompileEvidence(address, required_gas, input)
    return [
        PreimageEntry(key, precompile_value(key, evidence), evidence),
        PreimageEntry(keccak256_key(key_preimage), key_preimage),
    ]
