"""Shared fixtures: the real Go guests, built once per test run, and the `claim` test host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from faultproof.crypto import keccak256
from faultproof.ints import be64
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.preimage.oracle import KeyValueHost
from faultproof.programs import build_programs
from faultproof.vm.mips32.vm import MipsVM

REPOSITORY = Path(__file__).resolve().parent.parent

# The `claim` fixture of mips32.md §11.2.
CLAIM_S = 0x00FF_FFFF_0000_1000
CLAIM_A = 3
CLAIM_B = 4
CLAIM_RESULT = (CLAIM_S * CLAIM_A + CLAIM_B) % (1 << 64)


@pytest.fixture(scope="session")
def mips_elves() -> dict[str, Path]:
    """The guest programs built for MIPS32 (reused across runs while the sources are unchanged)."""
    return build_programs(MipsVM.kind, MipsVM.go_env, REPOSITORY / "build" / "programs")


def claim_inputs(claim: int = CLAIM_RESULT) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    """Local inputs of `claim`, and the global preimages its hints make available."""
    state = be64(CLAIM_S)
    left, right = be64(CLAIM_A), be64(CLAIM_B)
    diff = keccak256(left) + keccak256(right)
    locals_ = {
        local_key(0): keccak256(state),
        local_key(1): keccak256(diff),
        local_key(2): be64(claim),
    }
    globals_ = {
        keccak256_key(state): state,
        keccak256_key(diff): diff,
        keccak256_key(left): left,
        keccak256_key(right): right,
    }
    return locals_, globals_


def make_claim_host(claim: int = CLAIM_RESULT) -> KeyValueHost:
    """A host that knows the local inputs and serves global preimages only after their hint."""
    locals_, globals_ = claim_inputs(claim)
    state_key = keccak256_key(be64(CLAIM_S))
    diff = keccak256(be64(CLAIM_A)) + keccak256(be64(CLAIM_B))

    def fetch_state(argument: bytes, host: KeyValueHost) -> None:
        assert argument == keccak256(be64(CLAIM_S)).hex().encode()
        host.add(state_key, globals_[state_key])

    def fetch_diff(argument: bytes, host: KeyValueHost) -> None:
        assert argument == keccak256(diff).hex().encode()
        for key in (keccak256_key(diff), keccak256_key(be64(CLAIM_A)), keccak256_key(be64(CLAIM_B))):
            host.add(key, globals_[key])

    return KeyValueHost(locals_, {"fetch-state": fetch_state, "fetch-diff": fetch_diff})


@pytest.fixture
def claim_host() -> Callable[[int], KeyValueHost]:
    return make_claim_host
