"""Positions in the game tree and the trace indices they stand for (spec: dispute-game.md §2.1).

A position is a generalized index: the root is 1 and the children of ``g`` are ``2g`` and ``2g + 1``,
so a position's bit length encodes its depth and its remaining bits its index at that depth. The
contract stores positions as ``uint128``; every legal game (``MAX_GAME_DEPTH ≤ 125``) keeps even a
step's position (depth ``MAX + 1``) inside that width, so these functions are exact on Python ints.
"""

from __future__ import annotations

from typing import NewType

from faultproof.game.errors import GameError, GameRuleError

Position = NewType("Position", int)

ROOT_POSITION = Position(1)


def depth(position: int) -> int:
    """The index of the most significant set bit: the root is at depth 0."""
    if position < 1:
        raise ValueError(f"{position} is not a position (positions start at 1)")
    return position.bit_length() - 1


def index_at_depth(position: int) -> int:
    """How many positions lie left of ``position`` at its depth."""
    return position - (1 << depth(position))


def gindex(at_depth: int, index: int) -> Position:
    """The position with ``index`` positions left of it at depth ``at_depth``."""
    if not 0 <= index < 1 << at_depth:
        raise ValueError(f"index {index} is outside depth {at_depth} (0 ≤ index < {1 << at_depth})")
    return Position((1 << at_depth) + index)


def tree_parent(position: int) -> Position:
    """The parent in the tree; for a defense this is not the claim it counters (§2.1)."""
    return Position(position >> 1)


def attack(position: int) -> Position:
    """The left child: it disputes the claim at ``position`` by bisecting the range before it."""
    return Position(position << 1)


def defend(position: int) -> Position:
    """The left child of the right sibling: it agrees with ``position`` and bisects the range after.

    For the root (which has no right sibling) this is the attack position, which is why the
    contract forbids defending the root rather than computing anything else.
    """
    return Position((position | 1) << 1)


def move(position: int, is_attack: bool) -> Position:
    """The position of an attack or a defense against the claim at ``position``."""
    return attack(position) if is_attack else defend(position)


def right_index(position: int, max_depth: int) -> Position:
    """The right-most descendant of ``position`` at ``max_depth``: the one it shares a commitment with."""
    remaining = max_depth - depth(position)
    if remaining < 0:
        raise ValueError(f"position {position} is deeper than depth {max_depth}")
    return Position((position << remaining) | ((1 << remaining) - 1))


def trace_index(position: int, max_depth: int) -> int:
    """The trace index a claim at ``position`` commits to, in a tree of depth ``max_depth``."""
    return right_index(position, max_depth) - (1 << max_depth)


def trailing_ones(value: int) -> int:
    """How many consecutive 1-bits end ``value``."""
    return (value ^ (value + 1)).bit_length() - 1


def trace_ancestor(position: int) -> Position:
    """The shallowest ancestor-or-self with the same trace index.

    Right children repeat their parent's commitment, so shifting the trailing 1-bits off finds the
    claim that made the commitment; a position of all 1-bits shares the root's (§2.1).
    """
    ancestor = position >> trailing_ones(position)
    return Position(ancestor if ancestor != 0 else 1)


def trace_ancestor_bounded(position: int, split_depth: int) -> Position:
    """``trace_ancestor`` that never leaves the execution half below ``split_depth``.

    A claim below the split commits to a state of its own execution subgame; an ancestor above the
    split would be an output root, so the walk stops at the subgame's root (depth ``split + 1``).
    """
    if depth(position) <= split_depth:
        raise GameRuleError(
            GameError.CLAIM_ABOVE_SPLIT,
            f"position {position} is at depth {depth(position)} ≤ split {split_depth}",
        )
    ancestor = trace_ancestor(position)
    if depth(ancestor) <= split_depth:
        return right_index(ancestor, split_depth + 1)
    return ancestor


__all__ = [
    "ROOT_POSITION",
    "Position",
    "attack",
    "defend",
    "depth",
    "gindex",
    "index_at_depth",
    "move",
    "right_index",
    "trace_ancestor",
    "trace_ancestor_bounded",
    "trace_index",
    "trailing_ones",
    "tree_parent",
]
