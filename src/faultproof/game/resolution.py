"""Subgame resolution and who is paid (spec: dispute-game.md §10.6, §11).

A claim is countered iff it was stepped on or one of its counters is itself uncountered; resolving
bottom-up decides that for every claim, and each claim's bond goes to the claimant of its left-most
uncountered counter (or back to its own claimant). Paying only the left-most counter routes the
bond to the counter at the earliest disagreement, which beats uncounterable wrong claims further
right (§18 K5). ``Resolution`` mirrors ``resolveClaim`` with its checkpoints and pages, so a test
can hold paginated and one-shot resolution equal; ``resolve_game`` is the one-shot pure function.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableSequence, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum

from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.tree import ROOT_INDEX, ZERO_ADDRESS, ClaimData, subgames

NO_LEFTMOST_POSITION = 2**128 - 1  # §11.1: larger than every position


class GameStatus(IntEnum):
    """``GameStatus`` (§1)."""

    IN_PROGRESS = 0
    CHALLENGER_WINS = 1
    DEFENDER_WINS = 2


class BondDistributionMode(IntEnum):
    """``BondDistributionMode`` (§1): how ``closeGame`` decided to pay bonds back (§10.6)."""

    UNDECIDED = 0
    NORMAL = 1
    REFUND = 2


@dataclass
class Checkpoint:
    """``resolutionCheckpoints[i]``: how far a claim's paginated resolution has come (§4.2)."""

    initial_checkpoint_complete: bool = False
    subgame_index: int = 0
    leftmost_position: int = 0
    countered_by: bytes = ZERO_ADDRESS


class Resolution:
    """The resolution state of one game, over its live claim array (§11.1, §11.2).

    ``claims`` and ``children`` (``subgames[i]``) belong to the caller and may keep growing while
    other claims are resolved; resolution replaces a claim's entry to set ``counteredBy``. Clocks
    are not checked here: ``resolveClaim``'s ``ClockNotExpired`` is the caller's (``GameModel``).
    """

    def __init__(self, claims: MutableSequence[ClaimData], children: Sequence[Sequence[int]]) -> None:
        self.claims = claims
        self.children = children
        self.resolved: set[int] = set()
        self.checkpoints: dict[int, Checkpoint] = {}
        self.normal_mode_credit: dict[bytes, int] = {}
        self.l2_block_number_challenger: bytes | None = None

    def pay(self, recipient: bytes, amount: int) -> None:
        """Credit ``amount`` in NORMAL mode; no WETH moves until the game is closed (§10.6)."""
        self.normal_mode_credit[recipient] = self.normal_mode_credit.get(recipient, 0) + amount

    def num_to_resolve(self, index: int) -> int:
        """``getNumToResolve(i)``: the children not yet looked at."""
        return len(self.children[index]) - self.checkpoints.get(index, Checkpoint()).subgame_index

    def resolve_claim(self, index: int, num_to_resolve: int = 0) -> None:
        """``resolveClaim(i, numToResolve)`` after its clock check; 0 means "all" on the first page only."""
        if index in self.resolved:
            raise GameRuleError(GameError.CLAIM_ALREADY_RESOLVED, f"claim {index} is already resolved")
        claim = self.claims[index]
        kids = self.children[index]
        if not kids and index != ROOT_INDEX:
            self.pay(claim.countered_by if claim.countered_by != ZERO_ADDRESS else claim.claimant, claim.bond)
            self.resolved.add(index)
            return
        # A copy, stored only once every child checked out: a revert leaves no trace, as on chain.
        checkpoint = replace(self.checkpoints.get(index, Checkpoint()))
        if not checkpoint.initial_checkpoint_complete:
            checkpoint.leftmost_position = NO_LEFTMOST_POSITION
            checkpoint.initial_checkpoint_complete = True
            if num_to_resolve == 0:
                num_to_resolve = len(kids)
        end = min(checkpoint.subgame_index + num_to_resolve, len(kids))
        for kid_index in kids[checkpoint.subgame_index : end]:
            if kid_index not in self.resolved:
                raise GameRuleError(
                    GameError.OUT_OF_ORDER_RESOLUTION, f"claim {kid_index} under {index} is not resolved yet"
                )
            kid = self.claims[kid_index]
            if kid.countered_by == ZERO_ADDRESS and kid.position < checkpoint.leftmost_position:
                checkpoint.countered_by = kid.claimant
                checkpoint.leftmost_position = kid.position
        checkpoint.subgame_index = end
        self.checkpoints[index] = checkpoint
        if end == len(kids):
            self.resolved.add(index)
            if index == ROOT_INDEX and self.l2_block_number_challenger is not None:
                self.pay(self.l2_block_number_challenger, claim.bond)
                self.claims[index] = replace(claim, countered_by=self.l2_block_number_challenger)
            else:
                countered_by = checkpoint.countered_by
                self.pay(countered_by if countered_by != ZERO_ADDRESS else claim.claimant, claim.bond)
                self.claims[index] = replace(claim, countered_by=countered_by)

    def status(self) -> GameStatus:
        """What ``resolve()`` sets: ``OutOfOrderResolution`` before the root subgame is resolved."""
        if ROOT_INDEX not in self.resolved:
            raise GameRuleError(GameError.OUT_OF_ORDER_RESOLUTION, "the root subgame is not resolved yet")
        if self.claims[ROOT_INDEX].countered_by == ZERO_ADDRESS:
            return GameStatus.DEFENDER_WINS
        return GameStatus.CHALLENGER_WINS


def refund_mode_credit(claims: Sequence[ClaimData]) -> dict[bytes, int]:
    """``refundModeCredit``: every deposit back to its depositor, nothing to steppers (§10.6)."""
    credit: dict[bytes, int] = {}
    for claim in claims:
        credit[claim.claimant] = credit.get(claim.claimant, 0) + claim.bond
    return credit


@dataclass(frozen=True)
class Outcome:
    """A fully resolved game: status, the claims with ``counteredBy`` as resolution left them, credits."""

    status: GameStatus
    claims: tuple[ClaimData, ...]
    normal_mode_credit: Mapping[bytes, int]
    refund_mode_credit: Mapping[bytes, int]

    def countered(self, index: int) -> bool:
        """Whether claim ``index`` was stepped on, has an uncountered counter, or is a challenged root."""
        return self.claims[index].countered_by != ZERO_ADDRESS

    def credit(self, mode: BondDistributionMode) -> Mapping[bytes, int]:
        """What ``claimCredit`` pays each address once ``closeGame`` has chosen ``mode``."""
        if mode == BondDistributionMode.UNDECIDED:
            raise ValueError("no credit is paid before closeGame decides the distribution mode")
        return self.refund_mode_credit if mode == BondDistributionMode.REFUND else self.normal_mode_credit


def resolve_game(claims: Sequence[ClaimData], l2_block_number_challenger: bytes | None = None) -> Outcome:
    """Resolve every claim in one go (children always have larger indices, so last to first)."""
    working = list(claims)
    resolution = Resolution(working, subgames(working))
    resolution.l2_block_number_challenger = l2_block_number_challenger
    for index in reversed(range(len(working))):
        resolution.resolve_claim(index)
    return Outcome(
        resolution.status(), tuple(working), resolution.normal_mode_credit, refund_mode_credit(claims)
    )


__all__ = [
    "BondDistributionMode",
    "Checkpoint",
    "GameStatus",
    "Outcome",
    "Resolution",
    "refund_mode_credit",
    "resolve_game",
]
