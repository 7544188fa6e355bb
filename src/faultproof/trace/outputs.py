"""The top half: output roots by block (spec: dispute-game.md §14.2, §17.5).

A claim at an output position asserts the output root of ``claimedBlock(pos)``, the same function
the contract uses for local data; an honest player answers with the output root of that block —
or of the safe head, when the claim rests on L2 blocks that were not derivable from L1 when the
game was created. Where the root itself claims such a block, the block-number challenge (§8) wins.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from faultproof.game import alphabet
from faultproof.game.positions import ROOT_POSITION, depth
from faultproof.game.split import claimed_block
from faultproof.trace.provider import BlockNumberChallenge, StepData, TraceError, TraceProvider


class OutputSource(ABC):
    """Output roots by L2 block: a rollup node, or a table for tests."""

    @abstractmethod
    def output_root(self, block: int) -> bytes:
        """The output root of L2 block ``block``."""

    def safe_head(self) -> int | None:
        """The highest L2 block derivable from L1 up to the game's ``l1Head``; None when unbounded."""
        return None

    def block_number_challenge(self, block: int) -> BlockNumberChallenge:
        """The output-root preimage and RLP header of ``block``, proving which block the root is."""
        raise TraceError(f"this output source cannot prove the header of block {block}")


class AlphabetOutputs(OutputSource):
    """§17.5: the alphabet chain, whose output root of block ``n`` is ``O(n)``, every block safe."""

    def output_root(self, block: int) -> bytes:
        return alphabet.output_root(block)


class OutputTraceProvider(TraceProvider):
    """§14.2: the honest output root at each position of the top half (depth ``SPLIT``)."""

    def __init__(
        self,
        source: OutputSource,
        split_depth: int,
        anchor_block: int,
        anchor_root: bytes,
        l2_block_number: int,
    ) -> None:
        self.source = source
        self.depth = split_depth
        self.anchor_block = anchor_block
        self.anchor_root = anchor_root
        self.l2_block_number = l2_block_number

    def claimed_block(self, position: int) -> int:
        """``claimedBlock(pos)``, identical to the contract's (§2.2)."""
        if depth(position) > self.depth:
            raise TraceError(f"position {position} is below the output half (depth {self.depth})")
        return claimed_block(position, self.depth, self.anchor_block, self.l2_block_number)

    def honest_block(self, position: int) -> int:
        """``honestBlock(pos)``: the claimed block, or the safe head if that is lower."""
        safe_head = self.source.safe_head()
        block = self.claimed_block(position)
        return block if safe_head is None else min(block, safe_head)

    def get(self, position: int) -> bytes:
        return self.source.output_root(self.honest_block(position))

    def get_step_data(self, position: int) -> StepData:
        raise TraceError(f"outputs have no step data (asked at position {position})")

    def absolute_prestate_commitment(self) -> bytes:
        """The anchor output root: the top half's prestate, not a claim."""
        return self.anchor_root

    def l2_block_number_challenge(self) -> BlockNumberChallenge | None:
        """When the root's block is past the safe head, the honest root is the safe head's output, and
        its header proves the root claims the wrong block (the caller checks it agrees with the root)."""
        honest = self.honest_block(ROOT_POSITION)
        if honest == self.claimed_block(ROOT_POSITION):
            return None
        return self.source.block_number_challenge(honest)


__all__ = ["AlphabetOutputs", "OutputSource", "OutputTraceProvider"]
