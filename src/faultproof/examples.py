"""Inputs of the example guest programs, shared by the ``examples`` command and the tests.

`claim` (mips32.md §11.2) proves ``s * a + b == claim``: it gets two hashes and the claim as local
inputs and fetches ``s``, ``a`` and ``b`` as keccak preimages after hinting for them.
"""

from __future__ import annotations

from faultproof.crypto import keccak256
from faultproof.ints import be64, u64
from faultproof.preimage.hints import HintHandler, HintRouter, PreimageSink
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.preimage.store import MemoryStore

CLAIM_S = 0x00FF_FFFF_0000_1000
CLAIM_A = 3
CLAIM_B = 4
CLAIM_RESULT = u64(CLAIM_S * CLAIM_A + CLAIM_B)


def claim_local_inputs(claim: int = CLAIM_RESULT) -> dict[bytes, bytes]:
    """Local keys 0–2: the hash of ``s``, the hash of the diff ``H(a) ‖ H(b)``, and the claim."""
    diff = keccak256(be64(CLAIM_A)) + keccak256(be64(CLAIM_B))
    return {
        local_key(0): keccak256(be64(CLAIM_S)),
        local_key(1): keccak256(diff),
        local_key(2): be64(claim),
    }


def claim_global_preimages() -> dict[str, dict[bytes, bytes]]:
    """The keccak preimages each hint of `claim` makes available, by hint type."""
    state = be64(CLAIM_S)
    left, right = be64(CLAIM_A), be64(CLAIM_B)
    diff = keccak256(left) + keccak256(right)
    return {
        "fetch-state": {keccak256_key(state): state},
        "fetch-diff": {keccak256_key(diff): diff, keccak256_key(left): left, keccak256_key(right): right},
    }


def claim_host(claim: int = CLAIM_RESULT) -> OracleHost:
    """The §11.2 fixture host: it knows the local inputs and serves global preimages only after their hint."""
    by_hint = claim_global_preimages()

    def serve(kind: str) -> HintHandler:
        def handle(argument: bytes, sink: PreimageSink) -> None:
            for key, value in by_hint[kind].items():
                sink.put(key, value)

        return handle

    router = HintRouter({kind: serve(kind) for kind in by_hint})
    return OracleHost(MemoryStore(), router, local_inputs=claim_local_inputs(claim))
