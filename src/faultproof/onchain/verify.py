"""Checking a step proof against its VM's onchain step verifier (the check behind ``verify-step``).

The preimage part the step reads is loaded into the oracle first (``oracle.load_step_part``), by
the account that then calls ``step``: a local key is localized with the caller of ``step``, so the
two must be the same (preimage-oracle.md §2.1). ``step`` is then called (``eth_call``, nothing
is mined) with the canonical calldata both verifiers require, and its post-state hash is compared
with the proof's ``post``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_abi.abi import encode

from faultproof.chain.accounts import Address
from faultproof.crypto import keccak256
from faultproof.errors import ChainError, ExecutionReverted, StateFormatError, UsageError
from faultproof.onchain.deployment import VERIFIER_CONTRACTS
from faultproof.onchain.oracle import Evidence, PartUpload, load_step_part
from faultproof.vm.mips32.state import WITNESS_SIZE as MIPS32_WITNESS_SIZE
from faultproof.vm.riscv64.state import WITNESS_SIZE as RISCV64_WITNESS_SIZE

if TYPE_CHECKING:
    from faultproof.chain.accounts import Account
    from faultproof.chain.contract import Contract
    from faultproof.chain.interface import Chain
    from faultproof.preimage.store import PreimageStore
    from faultproof.vm.interface import StepProof

STEP_SELECTOR = keccak256(b"step(bytes,bytes,bytes32)")[:4]  # 0xe14ced32, both verifiers
ORACLE_SELECTOR = keccak256(b"oracle()")[:4]
HASH_SIZE = 32

WITNESS_SIZES: dict[int, str] = {MIPS32_WITNESS_SIZE: "mips32", RISCV64_WITNESS_SIZE: "riscv64"}
"""The VM kind whose state witness has this many bytes (226: MIPS32, 362: RV64)."""


@dataclass(frozen=True)
class OnchainStep:
    """What a step verifier made of a proof: its post-state hash, or the reason it reverted."""

    vm_kind: str
    proof: StepProof
    upload: PartUpload | None  # the preimage part loaded first, if the step reads one
    post: bytes | None  # None if step reverted
    revert_reason: str | None = None  # decoded, when the revert data is an error the chain knows
    revert_data: bytes = b""

    @property
    def matches(self) -> bool:
        """Whether the verifier computed the proof's post-state."""
        return self.post == self.proof.post

    @property
    def revert_description(self) -> str:
        """The revert as a person reads it: the decoded reason, else the raw data."""
        if self.revert_reason is not None:
            return self.revert_reason
        return f"revert data 0x{self.revert_data.hex()}" if self.revert_data else "no revert data"


def proof_vm_kind(proof: StepProof, vm_kind: str | None = None) -> str:
    """The VM kind of a proof, recognized from its witness length; checked against ``vm_kind``."""
    recognized = WITNESS_SIZES.get(len(proof.state_data))
    if vm_kind is not None:
        if vm_kind not in VERIFIER_CONTRACTS:
            raise UsageError(f"no onchain step verifier for VM {vm_kind!r}")
        if recognized != vm_kind:
            expected = next(size for size, kind in WITNESS_SIZES.items() if kind == vm_kind)
            size = len(proof.state_data)
            raise StateFormatError(
                f"the proof's state witness has {size} bytes; a {vm_kind} witness has {expected}"
            )
        return vm_kind
    if recognized is None:
        sizes = ", ".join(f"{size} ({kind})" for size, kind in WITNESS_SIZES.items())
        raise StateFormatError(
            f"the proof's state witness has {len(proof.state_data)} bytes, the witness of no VM: {sizes}"
        )
    return recognized


def step_calldata(proof: StepProof, local_context: bytes) -> bytes:
    """``step(stateData, proof, localContext)`` in the canonical ABI encoding the verifiers require."""
    return STEP_SELECTOR + encode(
        ["bytes", "bytes", "bytes32"], [proof.state_data, proof.proof_data, local_context]
    )


def verifier_oracle(chain: Chain, verifier: bytes) -> Address:
    """The oracle a deployed step verifier reads its preimage parts from."""
    try:
        output = chain.call(Address(verifier), ORACLE_SELECTOR)
    except ExecutionReverted:
        output = b""
    if len(output) != HASH_SIZE:
        raise ChainError(f"the contract at {Address(verifier)} is not a step verifier (no oracle())")
    return Address(output[-20:])


def verify_step(
    oracle: Contract,
    verifier: bytes,
    proof: StepProof,
    local_context: bytes,
    sender: Account,
    vm_kind: str | None = None,
    store: PreimageStore | None = None,
    evidence: Evidence | None = None,
) -> OnchainStep:
    """Load the part ``proof``'s step reads into ``oracle``, call ``step`` on the verifier at
    ``verifier`` from ``sender`` and report the post-state hash it returns, or why it reverted.

    Raises ``PreimageUploadError`` when the part cannot be loaded, ``ChainError`` when the chain
    fails (a revert of ``step`` itself is a result, not an error).
    """
    kind = proof_vm_kind(proof, vm_kind)
    upload = load_step_part(oracle, proof, local_context, sender, store, evidence)
    chain = oracle.chain
    try:
        post = chain.call(Address(verifier), step_calldata(proof, local_context), sender=sender.address)
    except ExecutionReverted as reverted:
        return OnchainStep(kind, proof, upload, None, reverted.reason, reverted.data)
    if len(post) != HASH_SIZE:
        raise ChainError(f"step returned {len(post)} bytes, not a {HASH_SIZE}-byte state hash")
    return OnchainStep(kind, proof, upload, post)
