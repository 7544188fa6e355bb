"""Putting the preimage part a step reads into the onchain ``PreimageOracle`` (preimage-oracle.md §6.2).

A step proof names the one preimage part its step reads: the key as the VM holds it (a local key
un-localized), the preimage's stream ``BE8(len) ‖ preimage`` and the offset. Before ``step`` is
called, that part must be in the oracle under its onchain key, and the loader that can put it
there depends on the key's type:

==========  ===============================  =====================================================
key type    loader                           its arguments
==========  ===============================  =====================================================
local       ``loadLocalData``                ``ident = key[1:]``, the value zero-padded to a word,
                                             its size; sent by the account that will call
                                             ``step``, since both localize the key with their
                                             ``msg.sender`` and the step's local context (§2.1)
keccak256   ``loadKeccak256PreimagePart``    the preimage, from the proof
SHA-256     ``loadSha256PreimagePart``       the preimage, from the proof
blob        ``loadBlobPreimagePart``         ``z``, ``y``, the commitment and a KZG proof
precompile  ``loadPrecompilePreimagePart``   the precompile, ``requiredGas`` and the input
==========  ===============================  =====================================================

A blob or precompile key only commits to its loader's arguments, so the proof file cannot carry
them; they come from the caller (``BlobEvidence``, ``PrecompileEvidence``) or from a preimage store,
which keeps every such key's preimage as a keccak preimage (§1.3): ``commitment ‖ z`` for a blob
key, ``address ‖ BE8(requiredGas) ‖ input`` for a precompile key. Stores do not keep KZG proofs, so
a blob key's proof is computed again from the whole blob, whose elements the store holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faultproof.chain.interface import DEFAULT_GAS_LIMIT
from faultproof.errors import EvidenceNotFound, ExecutionReverted, InvalidPreimageKey, PreimageUploadError
from faultproof.ints import be64
from faultproof.preimage.keys import (
    ADDRESS_SIZE,
    BLOB_COMMITMENT_SIZE,
    FIELD_ELEMENT_SIZE,
    KeyType,
    blob_domain,
    blob_key,
    describe_key,
    keccak256_key,
    key_type,
    localize,
    precompile_key,
    sha256_key,
    typed,
)
from faultproof.preimage.parts import LENGTH_PREFIX_SIZE, PART_SIZE, preimage_part
from faultproof.preimage.precompiles import compute_kzg_proof
from faultproof.preimage.verify import BlobEvidence, PrecompileEvidence

if TYPE_CHECKING:
    from faultproof.chain.accounts import Account
    from faultproof.chain.contract import Contract
    from faultproof.preimage.store import PreimageStore
    from faultproof.vm.interface import StepProof

MAX_PREIMAGE_SIZE = 126_000
"""The largest preimage (and precompile input) one loader call takes: ``MAX_PREIMAGE_SIZE`` of
PreimageOracle.vy. Larger keccak preimages need the large preimage proposals of §6.3."""

MAX_PRECOMPILE_RESULT_SIZE = 4096
"""The largest precompile result the oracle records: ``MAX_PRECOMPILE_RESULT_SIZE`` of PreimageOracle.vy."""

PRECOMPILE_CALL_RESERVED_GAS = 100_000
"""What ``loadPrecompilePreimagePart`` keeps back besides ``requiredGas · 64/63`` (§6.2)."""

PRECOMPILE_LOADER_OVERHEAD = 400_000
"""Gas for the rest of a precompile loader transaction: hashing, memory, storage, calldata."""

LOCAL_WORD_SIZE = 32  # loadLocalData takes a value of at most one word

Evidence = BlobEvidence | PrecompileEvidence


@dataclass(frozen=True)
class PartUpload:
    """One loader call and the part it stores: ``function(*args)`` sent with ``gas`` (None: the
    chain's default) puts ``part`` (of which ``part_length`` bytes count) at ``(key, offset)``."""

    function: str
    args: tuple[Any, ...]
    key: bytes
    offset: int
    part: bytes
    part_length: int
    gas: int | None = None


def step_part_upload(
    proof: StepProof,
    local_context: bytes,
    sender: bytes,
    store: PreimageStore | None = None,
    evidence: Evidence | None = None,
) -> PartUpload | None:
    """The loader call that puts the part ``proof``'s step reads on chain, for a step that
    ``sender`` calls with ``local_context``; None when the step reads no preimage part.

    Also None when the step reads at or past the end of the stream: no part exists there (§3), so
    the verifier reverts with "pre-image must exist", as upstream's does. Raises
    ``PreimageUploadError`` for a part no loader can store, ``EvidenceNotFound`` when a blob or
    precompile key's arguments are neither given nor in ``store``.
    """
    if proof.oracle_key is None or proof.oracle_value is None:
        return None
    key, offset = proof.oracle_key, proof.oracle_offset
    value = _value_of_stream(key, proof.oracle_value)
    if offset >= len(proof.oracle_value):
        return None
    kind = _loadable_key_type(key)
    if kind == KeyType.LOCAL:
        return _local_upload(key, value, offset, local_context, sender)
    if kind == KeyType.KECCAK256:
        return _hashed_upload("loadKeccak256PreimagePart", keccak256_key, key, value, offset)
    if kind == KeyType.SHA256:
        return _hashed_upload("loadSha256PreimagePart", sha256_key, key, value, offset)
    if kind == KeyType.BLOB:
        return _blob_upload(key, value, offset, _blob_evidence(key, value, store, evidence))
    return _precompile_upload(key, value, offset, _precompile_evidence(key, store, evidence))


def load_step_part(
    oracle: Contract,
    proof: StepProof,
    local_context: bytes,
    sender: Account,
    store: PreimageStore | None = None,
    evidence: Evidence | None = None,
) -> PartUpload | None:
    """Put the part ``proof``'s step reads into ``oracle``, sent by ``sender`` (who must be the one
    to call ``step``, with ``local_context``); returns what was loaded, None if nothing needed to be.

    Checks that the oracle then serves exactly the part the proof's stream has at its offset; a
    precompile whose onchain result differs from the proof's value fails here
    (``PreimageUploadError``), as does a loader that reverts.
    """
    upload = step_part_upload(proof, local_context, sender.address, store, evidence)
    if upload is None:
        return None
    try:
        getattr(oracle, upload.function).transact(*upload.args, sender=sender, gas=upload.gas)
    except ExecutionReverted as reverted:
        raise PreimageUploadError(
            f"{upload.function} refused the part at offset {upload.offset} of {describe_key(upload.key)}: "
            f"{reverted}"
        ) from reverted
    served = oracle.readPreimage(upload.key, upload.offset)
    if tuple(served) != (upload.part, upload.part_length):
        raise PreimageUploadError(
            f"the oracle serves 0x{served[0].hex()} ({served[1]} bytes) at offset {upload.offset} of "
            f"{describe_key(upload.key)}, but the proof's stream has 0x{upload.part.hex()} "
            f"({upload.part_length} bytes) there"
        )
    return upload


# -- one loader per key type ----------------------------------------------------------------------


def _local_upload(key: bytes, value: bytes, offset: int, local_context: bytes, sender: bytes) -> PartUpload:
    """``loadLocalData``: the key is localized with the sender and the context, onchain as here."""
    if len(local_context) != PART_SIZE:
        raise PreimageUploadError(f"a local context is {PART_SIZE} bytes, got {len(local_context)}")
    _check_size(key, "value", value, LOCAL_WORD_SIZE)
    ident = int.from_bytes(key[1:], "big")
    args = (ident, local_context, value.ljust(LOCAL_WORD_SIZE, b"\x00"), len(value), offset)
    return PartUpload(
        "loadLocalData", args, localize(key, local_context, sender), offset, *preimage_part(value, offset)
    )


def _hashed_upload(
    loader: str, derive: Callable[[bytes], bytes], key: bytes, value: bytes, offset: int
) -> PartUpload:
    """``loadKeccak256PreimagePart`` or ``loadSha256PreimagePart``: the key is the value's hash."""
    if derive(value) != key:
        raise PreimageUploadError(f"the proof's oracle value is not the preimage of {describe_key(key)}")
    _check_size(key, "preimage", value, MAX_PREIMAGE_SIZE, " (larger ones need a large preimage proposal)")
    return PartUpload(loader, (offset, value), key, offset, *preimage_part(value, offset))


def _blob_upload(key: bytes, y: bytes, offset: int, blob: BlobEvidence) -> PartUpload:
    """``loadBlobPreimagePart``: the point-evaluation precompile checks the KZG proof of ``p(z) = y``."""
    z = int.from_bytes(blob.z, "big")
    args = (z, int.from_bytes(y, "big"), blob.commitment, blob.proof, offset)
    return PartUpload("loadBlobPreimagePart", args, key, offset, *preimage_part(y, offset))


def _precompile_upload(key: bytes, value: bytes, offset: int, call: PrecompileEvidence) -> PartUpload:
    """``loadPrecompilePreimagePart``, with gas enough to pass its ``NotEnoughGas`` check."""
    _check_size(key, "precompile input", call.input, MAX_PREIMAGE_SIZE)
    _check_size(key, "precompile result", value[1:], MAX_PRECOMPILE_RESULT_SIZE)
    gas = call.required_gas * 64 // 63 + PRECOMPILE_CALL_RESERVED_GAS + PRECOMPILE_LOADER_OVERHEAD
    args = (offset, call.address, call.required_gas, call.input)
    part, part_length = preimage_part(value, offset)
    return PartUpload(
        "loadPrecompilePreimagePart", args, key, offset, part, part_length, max(gas, DEFAULT_GAS_LIMIT)
    )


# -- the proof's value ------------------------------------------------------------------------------


def _value_of_stream(key: bytes, stream: bytes) -> bytes:
    """The preimage in a proof's oracle value ``BE8(len) ‖ preimage``, checked to be one."""
    value = stream[LENGTH_PREFIX_SIZE:]
    if len(stream) < LENGTH_PREFIX_SIZE or stream[:LENGTH_PREFIX_SIZE] != be64(len(value)):
        raise PreimageUploadError(
            f"the proof's oracle value for {describe_key(key)} is not a length-prefixed preimage"
        )
    return value


def _loadable_key_type(key: bytes) -> KeyType:
    try:
        kind = key_type(key)
    except InvalidPreimageKey as error:
        raise PreimageUploadError(str(error)) from error
    loadable = (KeyType.LOCAL, KeyType.KECCAK256, KeyType.SHA256, KeyType.BLOB, KeyType.PRECOMPILE)
    if kind not in loadable:
        raise PreimageUploadError(f"no onchain loader takes {describe_key(key)} (§6.2)")
    return KeyType(kind)


def _check_size(key: bytes, what: str, data: bytes, limit: int, advice: str = "") -> None:
    if len(data) > limit:
        raise PreimageUploadError(
            f"{describe_key(key)}: the {what} has {len(data)} bytes, more than the oracle's loader "
            f"takes ({limit}){advice}"
        )


# -- evidence of blob and precompile keys -----------------------------------------------------------


def _key_preimage(key: bytes, store: PreimageStore | None, what: str) -> bytes:
    """What a blob or precompile key hashes, from its auxiliary keccak preimage in ``store`` (§1.3)."""
    auxiliary = typed(KeyType.KECCAK256, key)
    found = store.get(auxiliary) if store is not None else None
    if found is None:
        where = (
            f"the store has no {describe_key(auxiliary)}"
            if store is not None
            else "no preimage store was given"
        )
        raise EvidenceNotFound(f"{describe_key(key)}: its loader needs {what}, but {where}")
    return found


def _blob_evidence(
    key: bytes, y: bytes, store: PreimageStore | None, evidence: Evidence | None
) -> BlobEvidence:
    if isinstance(evidence, BlobEvidence):
        if blob_key(evidence.commitment, evidence.z) != key:
            raise PreimageUploadError(f"the blob evidence given is not for {describe_key(key)}")
        return evidence
    key_preimage = _key_preimage(key, store, "the blob's commitment and z")
    commitment, z = key_preimage[:BLOB_COMMITMENT_SIZE], key_preimage[BLOB_COMMITMENT_SIZE:]
    if len(z) != FIELD_ELEMENT_SIZE or blob_key(commitment, z) != key:
        raise PreimageUploadError(f"the store's preimage of {describe_key(key)} is not a commitment and z")
    assert store is not None  # _key_preimage found it there
    blob = _blob_from_store(key, commitment, store)
    proof, evaluated = compute_kzg_proof(blob, z)
    if evaluated != y:
        raise PreimageUploadError(
            f"{describe_key(key)}: the blob evaluates to 0x{evaluated.hex()} at z, not to the proof's "
            f"value 0x{y.hex()}"
        )
    return BlobEvidence(commitment, z, proof)


def _blob_from_store(key: bytes, commitment: bytes, store: PreimageStore) -> bytes:
    """The whole blob with ``commitment``, from its 4096 elements in the store (§1.1)."""
    elements: list[bytes] = []
    for index, z in enumerate(blob_domain()):
        element = store.get(blob_key(commitment, z))
        if element is None:
            raise EvidenceNotFound(
                f"{describe_key(key)}: its KZG proof is computed from the whole blob with commitment "
                f"0x{commitment.hex()}, but the store lacks its element {index}"
            )
        elements.append(element)
    return b"".join(elements)


def _precompile_evidence(
    key: bytes, store: PreimageStore | None, evidence: Evidence | None
) -> PrecompileEvidence:
    if isinstance(evidence, PrecompileEvidence):
        call = evidence
    else:
        key_preimage = _key_preimage(key, store, "the precompile's address, requiredGas and input")
        address, gas = key_preimage[:ADDRESS_SIZE], key_preimage[ADDRESS_SIZE : ADDRESS_SIZE + 8]
        call = PrecompileEvidence(address, int.from_bytes(gas, "big"), key_preimage[ADDRESS_SIZE + 8 :])
    try:
        names_it = precompile_key(call.address, call.required_gas, call.input) == key
    except InvalidPreimageKey:
        names_it = False
    if not names_it:
        raise PreimageUploadError(f"the precompile call given is not the one {describe_key(key)} names")
    return call


__all__ = ["PartUpload", "load_step_part", "step_part_upload"]
