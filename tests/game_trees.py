"""Claim arrays for game-rule tests, built by moves (positions from faultproof.game.positions).

Bonds default to distinct powers of two, so a credit total names exactly the claims it came from.
"""

from __future__ import annotations

from dataclasses import replace

from faultproof.game.clocks import Clock
from faultproof.game.positions import ROOT_POSITION, Position, move
from faultproof.game.tree import ROOT_PARENT_INDEX, ZERO_ADDRESS, ClaimData

ALICE = b"\xa1" * 20
BOB = b"\xb0" * 20
CAROL = b"\xc0" * 20
STEPPER = b"\x57" * 20


def value(tag: int) -> bytes:
    """A claim value that is obviously a test value."""
    return tag.to_bytes(32, "big")


def dag_parent_position(position: int) -> int:
    """The position of the claim a move to ``position`` countered (§2.1: attack or defense)."""
    half = position >> 1
    return half if half == 1 or half % 2 == 0 else half - 1


def is_attack_position(position: int) -> bool:
    """Whether a (move-created) position is an attack of its DAG parent."""
    return dag_parent_position(position) == position >> 1


class TreeBuilder:
    """A claim array grown by moves; each claim's bond is ``2^index`` unless given."""

    def __init__(self, root_value: bytes = value(1), claimant: bytes = ALICE) -> None:
        self.claims: list[ClaimData] = [
            ClaimData(ROOT_PARENT_INDEX, ZERO_ADDRESS, claimant, 1, root_value, ROOT_POSITION, Clock(0, 0))
        ]

    def move(
        self, parent: int, is_attack: bool, claim: bytes, claimant: bytes, bond: int | None = None
    ) -> int:
        position = move(self.claims[parent].position, is_attack)
        bond = 1 << len(self.claims) if bond is None else bond
        self.claims.append(ClaimData(parent, ZERO_ADDRESS, claimant, bond, claim, position, Clock(0, 0)))
        return len(self.claims) - 1

    def attack(self, parent: int, claim: bytes, claimant: bytes = BOB) -> int:
        return self.move(parent, True, claim, claimant)

    def defend(self, parent: int, claim: bytes, claimant: bytes = BOB) -> int:
        return self.move(parent, False, claim, claimant)

    def step_on(self, index: int, stepper: bytes = STEPPER) -> None:
        self.claims[index] = replace(self.claims[index], countered_by=stepper)

    def line_to(self, position: int, claimant_by_depth: tuple[bytes, bytes] = (ALICE, BOB)) -> int:
        """Claims on the DAG path from the root to ``position`` (added if missing); its index.

        Each claim's value is its own position, so a look-up's result is easy to read.
        """
        if position == ROOT_POSITION:
            return 0
        parent = self.line_to(dag_parent_position(position), claimant_by_depth)
        for index, claim in enumerate(self.claims):
            if claim.position == position and claim.parent_index == parent:
                return index
        claimant = claimant_by_depth[(position.bit_length() - 1) % 2]
        return self.move(parent, is_attack_position(position), value(position), claimant)

    def index_of(self, position: Position | int) -> int:
        (index,) = [i for i, claim in enumerate(self.claims) if claim.position == position]
        return index
