"""The claim array and the walks the contract makes over it (spec: dispute-game.md §4.1, §4.4).

Claims are appended, never removed, and each names the claim it counters by index, so a child's
index is always greater than its parent's. Looking up "the claim that commits to trace index t on
this line of play" is a walk up the parent indices until the position matches — the contract's
``_findTraceAncestor`` — and it only ever visits claims the walker's own path agreed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faultproof.crypto import keccak256
from faultproof.game.clocks import Clock
from faultproof.game.positions import Position, depth

ROOT_INDEX = 0
ROOT_PARENT_INDEX = 2**32 - 1  # §4.1: the root's parentIndex
ZERO_ADDRESS = bytes(20)  # "nobody": an uncountered claim's counteredBy
PARENT_INDEX_BITS = 128  # §4.4: the duplicate key packs position and parentIndex into one word


@dataclass(frozen=True)
class ClaimData:
    """One entry of the claim array, fields as the contract stores them (§4.1).

    Addresses are 20-byte ``bytes`` (``faultproof.chain.Address`` is one); ``countered_by`` is
    ``ZERO_ADDRESS`` until a step or resolution sets it.
    """

    parent_index: int
    countered_by: bytes
    claimant: bytes
    bond: int
    claim: bytes
    position: Position
    clock: Clock

    @property
    def depth(self) -> int:
        return depth(self.position)

    @property
    def is_root(self) -> bool:
        return self.parent_index == ROOT_PARENT_INDEX


def claim_hash(claim: bytes, position: int, parent_index: int) -> bytes:
    """The duplicate key of §4.4: the same value at the same position against the same parent."""
    packed = (position << PARENT_INDEX_BITS) | (parent_index % (1 << PARENT_INDEX_BITS))
    return keccak256(claim + packed.to_bytes(32, "big"))


def find_ancestor(claims: Sequence[ClaimData], start: int, position: int) -> int:
    """The index of the first claim at ``position`` on the way up from ``claims[start]`` (itself first).

    In a legal game the walk always succeeds; falling off the root means the array is not one a
    contract could hold, which is a programming error.
    """
    index = start
    while claims[index].position != position:
        if claims[index].is_root:
            raise ValueError(f"no claim at position {position} above claim {start}")
        index = claims[index].parent_index
    return index


def ancestor_at_depth(claims: Sequence[ClaimData], start: int, at_depth: int) -> int:
    """The index of the claim at ``at_depth`` on the way up from ``claims[start]`` (itself included)."""
    if claims[start].depth < at_depth:
        raise ValueError(f"claim {start} is at depth {claims[start].depth}, above depth {at_depth}")
    index = start
    while claims[index].depth != at_depth:
        index = claims[index].parent_index
    return index


def subgames(claims: Sequence[ClaimData]) -> list[list[int]]:
    """``subgames[i]``: the indices of the claims countering claim ``i``, in posting order."""
    children: list[list[int]] = [[] for _ in claims]
    for index, claim in enumerate(claims):
        if not claim.is_root:
            children[claim.parent_index].append(index)
    return children


__all__ = [
    "ROOT_INDEX",
    "ROOT_PARENT_INDEX",
    "ZERO_ADDRESS",
    "ClaimData",
    "ancestor_at_depth",
    "claim_hash",
    "find_ancestor",
    "subgames",
]
