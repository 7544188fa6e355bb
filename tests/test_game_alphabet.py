"""The alphabet VM: one rule for the on-chain step and the off-chain trace (spec: dispute-game.md §17)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.crypto import keccak256
from faultproof.errors import PreimagePartUnavailable, StepFailure
from faultproof.game import alphabet
from faultproof.game.alphabet import ABSOLUTE_PRESTATE, OUTPUT_DOMAIN, AlphabetVM, output_root
from faultproof.preimage.keys import local_key, localize
from faultproof.preimage.parts import PreimagesAsParts

CONTEXT = keccak256(b"some exec subgame")
GAME = b"\x6a" * 20


def oracle(
    block: int, disputed_output: bytes, context: bytes = CONTEXT, game: bytes = GAME
) -> PreimagesAsParts:
    """The local data ``addLocalData(4, …)`` and ``addLocalData(3, …)`` load, localized to ``game``."""
    return PreimagesAsParts(
        {
            localize(local_key(4), context, game): block.to_bytes(8, "big"),
            localize(local_key(3), context, game): disputed_output,
        }
    )


def h(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value.removeprefix("0x"))


# §17.6
def test_vectors() -> None:
    assert h("0x03c7ae758795765c6664a5d39bf63841c71ff191e9189522bad8ebff5d4eca98") == ABSOLUTE_PRESTATE
    assert h("0xa373d9764ee582cd318fa439534b0e3a2a8dac66a7c47f9903f5c4c84fd7f034") == OUTPUT_DOMAIN
    assert (
        keccak256(b"faultproof.alphabet.output") == OUTPUT_DOMAIN and len(b"faultproof.alphabet.output") == 26
    )
    assert output_root(0) == h("0x71b428dd45b4015d0536727f1dccdb02a483eb4083dd92639ad8c01f76165228")
    assert output_root(1) == h("0xabd829e7c20acc85f7dcdada05e5c0164faa2e681ef52aa2ce3634ce7f435902")
    assert output_root(5) == h("0x8b5055480f48b8f82dfd352785ab44dd5f505bcdaaeb0c4995f578524d8068d5")


TRACE_VECTORS = [  # D = 5, N = 8: the claim at trace index t is commit(S_{t+1})
    (0, output_root(5), "0x03689cd4a84e23ad2f564004f1c9013e9589d260bde6380aba3ca7e09e4df40c"),
    (1, output_root(5), "0x038b78633099fa36ed8b8680c4f8092689e1e04080eb9cbb077ca38a14d7e384"),
    (6, output_root(5), "0x03dda56b5d08466ec462cbbe0adfa57cb0a15fcc8940ef68f702f21b787bc935"),
    (7, output_root(5), "0x00238f30f286c9a1c6e901c4eda3b214c381c846e3dbe48df95c21488e8e1fdb"),
    (7, output_root(4), "0x01238f30f286c9a1c6e901c4eda3b214c381c846e3dbe48df95c21488e8e1fdb"),
]


@pytest.mark.parametrize(("t", "disputed_output", "claim"), TRACE_VECTORS)
def test_trace_vectors(t: int, disputed_output: bytes, claim: str) -> None:
    assert alphabet.state_commitment(5, disputed_output, t + 1, 8) == h(claim)


@pytest.mark.parametrize(("t", "disputed_output", "claim"), TRACE_VECTORS)
def test_step_reaches_the_vectors(t: int, disputed_output: bytes, claim: str) -> None:
    """§17.3: the contract's step from ``S_t`` gives the claim at ``t`` (the first expands the prestate)."""
    vm = AlphabetVM(8)
    assert vm.step(alphabet.state_data(5, t), b"", CONTEXT, oracle(5, disputed_output), GAME) == h(claim)


def test_prestate_is_p() -> None:
    assert alphabet.state_data(5, 0) == alphabet.PRESTATE_DATA == (0x60).to_bytes(32, "big")
    assert alphabet.state_commitment(5, b"", 0, 8) == ABSOLUTE_PRESTATE
    assert keccak256(alphabet.PRESTATE_DATA)[1:] == ABSOLUTE_PRESTATE[1:]


def test_an_ended_trace_steps_to_itself() -> None:
    vm = AlphabetVM(8)
    final = alphabet.state_data(5, 8)
    assert vm.step(final, b"", CONTEXT, oracle(5, output_root(5)), GAME) == alphabet.state_commitment(
        5, output_root(5), 8, 8
    )
    assert vm.step(final, b"", CONTEXT, oracle(5, output_root(5)), GAME)[1:] == keccak256(final)[1:]


def test_the_block_comes_from_the_state_after_the_first_step() -> None:
    """Only the prestate reads local key 4; later states carry their block, whatever the oracle says."""
    vm = AlphabetVM(8)
    assert vm.step(
        alphabet.state_data(9, 3), b"", CONTEXT, oracle(5, b""), GAME
    ) == alphabet.state_commitment(9, b"", 4, 8)


def test_malformed_state_data_reverts() -> None:
    vm = AlphabetVM(8)
    for data in (b"", b"\x00" * 32, b"\x00" * 63, b"\x00" * 65, alphabet.PRESTATE_DATA + b"\x00"):
        with pytest.raises(StepFailure):
            vm.step(data, b"", CONTEXT, oracle(5, output_root(5)), GAME)


def test_local_data_is_localized() -> None:
    """K21 at the VM: data loaded for another context, or by another game, is not found."""
    vm = AlphabetVM(8)
    for parts in (
        oracle(5, output_root(5), context=keccak256(b"other")),
        oracle(5, output_root(5), game=b"\x01" * 20),
    ):
        with pytest.raises(PreimagePartUnavailable):
            vm.step(alphabet.PRESTATE_DATA, b"", CONTEXT, parts, GAME)
        with pytest.raises(PreimagePartUnavailable):
            vm.step(alphabet.state_data(5, 7), b"", CONTEXT, parts, GAME)
    assert vm.step(alphabet.state_data(5, 3), b"", CONTEXT, PreimagesAsParts({}), GAME)  # needs no local data


@given(
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=2**64 - 1),
    st.booleans(),
    st.data(),
)
def test_step_and_trace_agree(k: int, block: int, honest: bool, data: st.DataObject) -> None:
    """§17.1: for every step ``j``, the contract's step from ``S_j`` is ``commit(S_{j+1})`` (past the end,
    ``commit(S_j)``)."""
    n = 1 << k
    disputed_output = output_root(block) if honest else keccak256(b"a lie")
    j = data.draw(st.integers(min_value=0, max_value=n + 2))
    expected = alphabet.state_commitment(block, disputed_output, j + 1 if j < n else j, n)
    assert (
        AlphabetVM(n).step(alphabet.state_data(block, j), b"", CONTEXT, oracle(block, disputed_output), GAME)
        == expected
    )
