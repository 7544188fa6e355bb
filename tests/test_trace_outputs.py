"""The output-root provider of the top half (spec: dispute-game.md §14.2, §17.5)."""

from __future__ import annotations

import pytest

from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.positions import gindex
from faultproof.trace.outputs import AlphabetOutputs, OutputSource, OutputTraceProvider
from faultproof.trace.provider import BlockNumberChallenge, TraceError

ANCHOR = 100


class Table(OutputSource):
    """A claim-per-block source: any table of output roots, with a safe head and header proofs."""

    def __init__(self, safe_head: int | None) -> None:
        self.head = safe_head

    def output_root(self, block: int) -> bytes:
        return keccak256(b"output" + block.to_bytes(8, "big"))

    def safe_head(self) -> int | None:
        return self.head

    def block_number_challenge(self, block: int) -> BlockNumberChallenge:
        return BlockNumberChallenge(
            (bytes(32),) * 3 + (keccak256(bytes([block % 256])),), bytes([block % 256])
        )


def test_alphabet_outputs() -> None:
    """§17.5: ``get(pos) = O(claimedBlock(pos))``; the prestate is the anchor output."""
    provider = OutputTraceProvider(AlphabetOutputs(), 2, ANCHOR, alphabet.output_root(ANCHOR), ANCHOR + 4)
    assert [provider.get(g) for g in (4, 2, 6, 1)] == [alphabet.output_root(ANCHOR + n) for n in (1, 2, 3, 4)]
    assert provider.absolute_prestate_commitment() == alphabet.output_root(ANCHOR)
    assert provider.l2_block_number_challenge() is None
    assert provider.depth == 2


def test_claimed_and_honest_blocks() -> None:
    """§14.2: claims past the safe head are wrong: the honest answer is the safe head's output."""
    provider = OutputTraceProvider(Table(safe_head=ANCHOR + 2), 2, ANCHOR, b"\x01" * 32, ANCHOR + 3)
    assert [provider.claimed_block(g) for g in (4, 2, 6, 1)] == [
        ANCHOR + 1,
        ANCHOR + 2,
        ANCHOR + 3,
        ANCHOR + 3,
    ]
    assert [provider.honest_block(g) for g in (4, 2, 6, 1)] == [
        ANCHOR + 1,
        ANCHOR + 2,
        ANCHOR + 2,
        ANCHOR + 2,
    ]
    assert provider.get(6) == Table(None).output_root(ANCHOR + 2)


def test_block_number_challenge_when_the_root_is_past_the_safe_head() -> None:
    provider = OutputTraceProvider(Table(safe_head=ANCHOR + 2), 2, ANCHOR, b"\x01" * 32, ANCHOR + 3)
    challenge = provider.l2_block_number_challenge()
    assert challenge is not None and challenge.header_rlp == bytes([(ANCHOR + 2) % 256])
    unbounded = OutputTraceProvider(Table(safe_head=ANCHOR + 3), 2, ANCHOR, b"\x01" * 32, ANCHOR + 3)
    assert unbounded.l2_block_number_challenge() is None


def test_no_answers_below_the_split() -> None:
    provider = OutputTraceProvider(AlphabetOutputs(), 2, ANCHOR, b"\x01" * 32, ANCHOR + 4)
    with pytest.raises(TraceError):
        provider.get(gindex(3, 0))
    with pytest.raises(TraceError):
        provider.get_step_data(4)


def test_a_source_without_header_proofs() -> None:
    class Unprovable(OutputSource):
        def output_root(self, block: int) -> bytes:
            return bytes(32)

        def safe_head(self) -> int:
            return ANCHOR + 1

    provider = OutputTraceProvider(Unprovable(), 2, ANCHOR, b"\x01" * 32, ANCHOR + 4)
    with pytest.raises(TraceError, match="cannot prove"):
        provider.l2_block_number_challenge()
