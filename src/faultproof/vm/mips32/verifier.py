"""The stateless MIPS32 step verifier: the executable model of the onchain ``MIPS.step``.

It receives only what the contract receives — the 226-byte pre-state witness, 1792 bytes of memory
proofs, the local context, the caller, and the preimage parts loaded into the oracle — and returns
the post-state hash, raising ``StepFailure`` exactly where the contract reverts (mips32.md §4–§5).
"""

from __future__ import annotations

from faultproof.errors import InvalidMemoryProof, InvalidWitness
from faultproof.memory import LEAF_SIZE, root_from_proof, tree_depth
from faultproof.vm.interface import PreimagePartSource
from faultproof.vm.mips32 import step as reference
from faultproof.vm.mips32.state import WITNESS_SIZE, decode_witness, encode_witness, state_hash
from faultproof.vm.onchain import OnchainIO

DEPTH = tree_depth(32)
MEMORY_PROOF_SIZE = (DEPTH + 1) * 32
STEP_PROOF_SIZE = 2 * MEMORY_PROOF_SIZE


class ProofMemory:
    """Memory known only through a root and two proofs (READ / WRITE of §3.3)."""

    def __init__(self, root: bytes, proof_data: bytes) -> None:
        self.root = root
        self.proof_data = proof_data

    def _proof(self, proof_index: int) -> bytes:
        start = proof_index * MEMORY_PROOF_SIZE
        proof = self.proof_data[start : start + MEMORY_PROOF_SIZE]
        if len(proof) != MEMORY_PROOF_SIZE:
            raise InvalidWitness("check that there is enough calldata")
        return proof

    def read_word(self, address: int, proof_index: int) -> int:
        if address & 3:
            raise InvalidMemoryProof(f"unaligned memory access at 0x{address:08x}")
        proof = self._proof(proof_index)
        if root_from_proof(address, proof, DEPTH) != self.root:
            raise InvalidMemoryProof("InvalidMemoryProof()")
        offset = address & (LEAF_SIZE - 1)
        return int.from_bytes(proof[offset : offset + 4], "big")

    def write_word(self, address: int, value: int, proof_index: int) -> None:
        # No re-verification: the same proof was READ at the same address earlier in this step.
        proof = bytearray(self._proof(proof_index))
        offset = address & (LEAF_SIZE - 1)
        proof[offset : offset + 4] = value.to_bytes(4, "big")
        self.root = root_from_proof(address, bytes(proof), DEPTH)


def verify_step(
    state_data: bytes,
    proof_data: bytes,
    local_context: bytes,
    parts: PreimagePartSource,
    caller: bytes,
) -> bytes:
    """Post-state hash of one step, computed from the witness and proofs alone."""
    if len(state_data) != WITNESS_SIZE:
        raise InvalidWitness(f"state data must be {WITNESS_SIZE} bytes, got {len(state_data)}")
    mem_root, state = decode_witness(state_data)
    memory = ProofMemory(mem_root, proof_data)
    reference.step(state, memory, OnchainIO(parts, local_context, caller))
    return state_hash(encode_witness(memory.root, state))
