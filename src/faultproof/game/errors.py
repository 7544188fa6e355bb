"""The dispute game's refusals, named as the contract names them (spec: dispute-game.md).

The Python rules raise ``GameRuleError`` exactly where the contract reverts, carrying the contract's
reason string, so an agent can predict a revert before sending a transaction and a differential
test can compare the two by name.
"""

from __future__ import annotations

from enum import StrEnum

from faultproof.errors import FaultproofError


class GameError(StrEnum):
    """The revert reasons of the rules mirrored in ``faultproof.game`` (dispute-game.md §3–§11)."""

    # §3.2 constructor
    MAX_DEPTH_TOO_LARGE = "MaxDepthTooLarge"
    INVALID_SPLIT_DEPTH = "InvalidSplitDepth"
    INVALID_CHALLENGE_PERIOD = "InvalidChallengePeriod"
    INVALID_CLOCK_EXTENSION = "InvalidClockExtension"
    RESERVED_GAME_TYPE = "ReservedGameType"
    # §5 initialization
    ANCHOR_ROOT_NOT_FOUND = "AnchorRootNotFound"
    # §6 moves
    INVALID_DISPUTED_CLAIM_INDEX = "InvalidDisputedClaimIndex"
    CANNOT_DEFEND_ROOT_CLAIM = "CannotDefendRootClaim"
    L2_BLOCK_NUMBER_CHALLENGED = "L2BlockNumberChallenged"
    GAME_DEPTH_EXCEEDED = "GameDepthExceeded"
    UNEXPECTED_ROOT_CLAIM = "UnexpectedRootClaim"
    INCORRECT_BOND_AMOUNT = "IncorrectBondAmount"
    CLOCK_TIME_EXCEEDED = "ClockTimeExceeded"
    CLAIM_ALREADY_EXISTS = "ClaimAlreadyExists"
    # §7 steps and local data
    INVALID_PARENT = "InvalidParent"
    INVALID_PRESTATE = "InvalidPrestate"
    VALID_STEP = "ValidStep"
    DUPLICATE_STEP = "DuplicateStep"
    CLAIM_ABOVE_SPLIT = "ClaimAboveSplit"
    INVALID_LOCAL_IDENT = "InvalidLocalIdent"
    PART_OFFSET_OOB = "PartOffsetOOB"  # the PreimageOracle's, on addLocalData
    # §8 block-number challenge
    INVALID_OUTPUT_ROOT_PROOF = "InvalidOutputRootProof"
    INVALID_HEADER_RLP = "InvalidHeaderRLP"
    BLOCK_NUMBER_MATCHES = "BlockNumberMatches"
    # §11 resolution
    GAME_NOT_IN_PROGRESS = "GameNotInProgress"
    CLOCK_NOT_EXPIRED = "ClockNotExpired"
    CLAIM_ALREADY_RESOLVED = "ClaimAlreadyResolved"
    OUT_OF_ORDER_RESOLUTION = "OutOfOrderResolution"


class GameRuleError(FaultproofError):
    """A parameter set, move, step or resolution the contract rejects with ``reason``."""

    def __init__(self, reason: GameError, detail: str) -> None:
        self.reason = reason
        super().__init__(f"{reason.value}: {detail}")


__all__ = ["GameError", "GameRuleError"]
