"""The alphabet trace provider: the §17.6 vectors and agreement with the on-chain step (§17.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.positions import gindex
from faultproof.preimage.keys import keccak256_key, local_key, localize
from faultproof.preimage.parts import PreimagesAsParts
from faultproof.trace.alphabet import AlphabetTraceProvider
from faultproof.trace.provider import OracleDatum, TraceError

CONTEXT = keccak256(b"context")
GAME = b"\x6a" * 20


def h(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


@pytest.mark.parametrize(
    ("t", "honest", "claim"),
    [
        (0, True, "0x03689cd4a84e23ad2f564004f1c9013e9589d260bde6380aba3ca7e09e4df40c"),
        (1, True, "0x038b78633099fa36ed8b8680c4f8092689e1e04080eb9cbb077ca38a14d7e384"),
        (6, True, "0x03dda56b5d08466ec462cbbe0adfa57cb0a15fcc8940ef68f702f21b787bc935"),
        (7, True, "0x00238f30f286c9a1c6e901c4eda3b214c381c846e3dbe48df95c21488e8e1fdb"),
        (7, False, "0x01238f30f286c9a1c6e901c4eda3b214c381c846e3dbe48df95c21488e8e1fdb"),
    ],
)
def test_vectors(t: int, honest: bool, claim: str) -> None:
    """§17.6, D = 5, N = 8, asked at leaves (local depth 3) and, for t = 7, at the exec root too."""
    provider = AlphabetTraceProvider(5, alphabet.output_root(5) if honest else b"\x00" * 32, 3)
    assert provider.get(gindex(3, t)) == h(claim)
    if t == 7:
        assert provider.get(1) == provider.get(3) == h(claim)


def test_step_data() -> None:
    """The first step reads local key 4 at offset 0, the last local key 3 at offset 8, others nothing."""
    provider = AlphabetTraceProvider(5, alphabet.output_root(5), 3)
    first, middle, last = (provider.get_step_data(gindex(3, t)) for t in (0, 3, 7))
    assert first.pre_state == alphabet.PRESTATE_DATA and first.proof == b""
    assert first.oracle is not None and first.oracle.is_local and first.oracle.local_ident == 4
    assert (first.oracle.key, first.oracle.value, first.oracle.offset) == (
        local_key(4),
        (5).to_bytes(8, "big"),
        0,
    )
    assert middle.pre_state == alphabet.state_data(5, 3) and middle.oracle is None
    assert last.oracle is not None and last.oracle.local_ident == 3
    assert (last.oracle.value, last.oracle.offset) == (alphabet.output_root(5), 8)
    assert provider.absolute_prestate_commitment() == alphabet.ABSOLUTE_PRESTATE
    assert provider.l2_block_number_challenge() is None


def test_outside_the_subgame() -> None:
    provider = AlphabetTraceProvider(5, alphabet.output_root(5), 3)
    for position in (0, gindex(4, 0)):
        with pytest.raises(TraceError):
            provider.get(position)


def test_a_global_key_has_no_local_ident() -> None:
    datum = OracleDatum(keccak256_key(b"data"), b"data", 0)
    assert not datum.is_local
    with pytest.raises(ValueError):
        assert datum.local_ident


@given(st.integers(1, 10), st.integers(0, 2**64 - 1), st.booleans(), st.data())
def test_every_step_reproduces_the_next_claim(k: int, block: int, honest: bool, data: st.DataObject) -> None:
    """§17.1: the contract's step from ``get_step_data(t)``, with its datum loaded, gives ``get(t)``."""
    output = alphabet.output_root(block) if honest else keccak256(b"lie")
    provider = AlphabetTraceProvider(block, output, k)
    t = data.draw(st.integers(0, (1 << k) - 1))
    step = provider.get_step_data(gindex(k, t))
    loaded = {}
    if step.oracle is not None:
        loaded[localize(step.oracle.key, CONTEXT, GAME)] = step.oracle.value
    post = alphabet.AlphabetVM(1 << k).step(
        step.pre_state, step.proof, CONTEXT, PreimagesAsParts(loaded), GAME
    )
    assert post == provider.get(gindex(k, t))
    assert (
        keccak256(step.pre_state)[1:]
        == (provider.get(gindex(k, t - 1)) if t else alphabet.ABSOLUTE_PRESTATE)[1:]
    )
