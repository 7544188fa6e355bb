"""The stateless RV64 step verifier: the executable model of the onchain ``RISCV.step``.

It receives only what the contract receives — the ``step`` calldata (362-byte witness, proofs,
local context), the caller, and the preimage parts loaded into the oracle — and returns the
post-state hash, raising ``StepFailure`` with the contract's revert code exactly where the contract
reverts (riscv64.md §3.3, §4, §5).

The calldata quirk of §4.2 is kept: proof slots are read at their absolute calldata offsets, past
the declared proof length and past the end of calldata (where they read as zero).
"""

from __future__ import annotations

from faultproof.errors import InvalidMemoryProof, InvalidWitness, MisalignedAddress
from faultproof.memory import LEAF_SIZE, proof_size, root_from_proof, tree_depth
from faultproof.vm.interface import PreimagePartSource
from faultproof.vm.onchain import OnchainIO
from faultproof.vm.riscv64 import step as reference
from faultproof.vm.riscv64.state import WITNESS_SIZE, decode_witness, encode_witness, state_hash

ADDRESS_BITS = 64
DEPTH = tree_depth(ADDRESS_BITS)
MEMORY_PROOF_SIZE = proof_size(ADDRESS_BITS)
assert MEMORY_PROOF_SIZE == 1920

STEP_SELECTOR = bytes.fromhex("e14ced32")
WORD = 32
STATE_OFFSET_WORD = 0x60
PROOF_OFFSET_WORD = 0x200
# Calldata offsets of §4.2: selector, three head words, then the state's length and bytes.
STATE_DATA_START = 4 + 4 * WORD
PROOF_DATA_START = 4 + PROOF_OFFSET_WORD + WORD
assert PROOF_DATA_START == 548

ERR_MEMORY_PROOF = 0xBADF00D1
ERR_PREIMAGE_READ = 0xBADF00D0


class ProofMemory:
    """Memory known only through a root and the calldata's proof slots (VERIFY / REROOT of §3.3)."""

    def __init__(self, root: bytes, calldata: bytes) -> None:
        self.root = root
        self.calldata = calldata

    def _slot(self, slot: int) -> bytes:
        start = PROOF_DATA_START + slot * MEMORY_PROOF_SIZE
        proof = self.calldata[start : start + MEMORY_PROOF_SIZE]
        return proof + bytes(MEMORY_PROOF_SIZE - len(proof))

    def load_leaf(self, address: int, slot: int) -> bytes:
        if address % LEAF_SIZE:
            raise MisalignedAddress(f"leaf address 0x{address:x}", reference.ERR_NOT_ALIGNED)
        proof = self._slot(slot)
        if root_from_proof(address, proof, DEPTH) != self.root:
            raise InvalidMemoryProof(f"proof slot {slot} does not fold to the memory root", ERR_MEMORY_PROOF)
        return proof[:LEAF_SIZE]

    def store_leaf(self, address: int, leaf: bytes, slot: int) -> None:
        # No re-verification: the same slot was loaded at this address earlier in this step.
        self.root = root_from_proof(address, leaf + self._slot(slot)[LEAF_SIZE:], DEPTH)


def step_calldata(state_data: bytes, proof_data: bytes, local_context: bytes) -> bytes:
    """The canonical ABI encoding of ``step(bytes,bytes,bytes32)`` (§4.2)."""
    padded_state = state_data + bytes(-len(state_data) % WORD)
    proof_offset = 3 * WORD + WORD + len(padded_state)
    return b"".join(
        [
            STEP_SELECTOR,
            STATE_OFFSET_WORD.to_bytes(WORD, "big"),
            proof_offset.to_bytes(WORD, "big"),
            local_context,
            len(state_data).to_bytes(WORD, "big"),
            padded_state,
            len(proof_data).to_bytes(WORD, "big"),
            proof_data,
            bytes(-len(proof_data) % WORD),
        ]
    )


def _word(calldata: bytes, offset: int) -> int:
    return int.from_bytes(calldata[offset : offset + WORD].ljust(WORD, b"\0"), "big")


def check_calldata(calldata: bytes) -> None:
    """The checks of §4.2 that fail with empty revert data, in the contract's order."""
    if calldata[:4] != STEP_SELECTOR:
        raise InvalidWitness("calldata does not start with the step selector")
    for head, expected in ((4, STATE_OFFSET_WORD), (36, PROOF_OFFSET_WORD)):
        if _word(calldata, head) != expected:
            raise InvalidWitness(f"head word at {head} must be 0x{expected:x}, the canonical encoding")
    state_length = _word(calldata, STATE_DATA_START - WORD)
    proof_length = _word(calldata, PROOF_DATA_START - WORD)
    if state_length != WITNESS_SIZE:
        raise InvalidWitness(f"state data must be {WITNESS_SIZE} bytes, got {state_length}")
    if PROOF_DATA_START + proof_length > len(calldata):
        raise InvalidWitness("proof data runs past the end of calldata")
    if proof_length % MEMORY_PROOF_SIZE:
        problem = f"proof data must be a multiple of {MEMORY_PROOF_SIZE} bytes, got {proof_length}"
        raise InvalidWitness(problem)


def verify_calldata(calldata: bytes, parts: PreimagePartSource, caller: bytes) -> bytes:
    """Post-state hash of one step, computed from ``step`` calldata alone, as the contract does."""
    check_calldata(calldata)
    mem_root, state = decode_witness(calldata[STATE_DATA_START : STATE_DATA_START + WITNESS_SIZE])
    memory = ProofMemory(mem_root, calldata)
    local_context = calldata[68:100]
    reference.step(state, memory, OnchainIO(parts, local_context, caller, ERR_PREIMAGE_READ))
    return state_hash(encode_witness(memory.root, state))


def verify_step(
    state_data: bytes,
    proof_data: bytes,
    local_context: bytes,
    parts: PreimagePartSource,
    caller: bytes,
) -> bytes:
    """Post-state hash of one step given its witness and proofs (the canonical calldata)."""
    if len(state_data) != WITNESS_SIZE:
        raise InvalidWitness(f"state data must be {WITNESS_SIZE} bytes, got {len(state_data)}")
    return verify_calldata(step_calldata(state_data, proof_data, local_context), parts, caller)
