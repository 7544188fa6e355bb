"""Game parameters and their validation (spec: dispute-game.md §3.1, §3.2, §12.2).

The depths and clock durations are constructor parameters of the contract, never code, so a test
plays a depth-4 game and the mainnet shape (73/30) is one config away (``faultproof.game.configs``).
``GameParameters`` checks them in the constructor's order, so the first complaint is the
contract's first revert.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from faultproof.game.errors import GameError, GameRuleError

UINT32_LIMIT = 2**32
UINT64_LIMIT = 2**64
UINT256_LIMIT = 2**256

MAX_GAME_DEPTH_LIMIT = 125  # §3.2: step positions (depth MAX + 1) and their arithmetic stay in uint128
MIN_SPLIT_DEPTH = 2
CLAIM_SIZE = 32


class GameType(IntEnum):
    """The factory's game type ids that faultproof uses or keeps for their upstream meaning (§12.2)."""

    CANNON = 0
    PERMISSIONED_CANNON = 1
    ASTERISC = 2
    FAST = 254
    ALPHABET = 255
    RESERVED = UINT32_LIMIT - 1


@dataclass(frozen=True)
class GameParameters:
    """What a ``FaultDisputeGame`` implementation is constructed with, as far as its rules depend on it.

    ``challenge_period`` is the step verifier's ``oracle.challengePeriod()``, which the constructor
    reads and the clock extension before a step adds (§9.2). Construction raises ``GameRuleError``
    with the constructor's reason, checks in the order of §3.2; values outside their ABI types
    raise ``ValueError`` (the ABI encoder refuses them before any constructor runs).
    """

    game_type: int
    absolute_prestate: bytes
    max_game_depth: int
    split_depth: int
    max_clock_duration: int
    clock_extension: int
    challenge_period: int

    def __post_init__(self) -> None:
        _check_abi_range("game_type", self.game_type, UINT32_LIMIT)
        _check_abi_range("max_game_depth", self.max_game_depth, UINT256_LIMIT)
        _check_abi_range("split_depth", self.split_depth, UINT256_LIMIT)
        _check_abi_range("max_clock_duration", self.max_clock_duration, UINT64_LIMIT)
        _check_abi_range("clock_extension", self.clock_extension, UINT64_LIMIT)
        _check_abi_range("challenge_period", self.challenge_period, UINT256_LIMIT)
        if len(self.absolute_prestate) != CLAIM_SIZE:
            raise ValueError(f"absolute_prestate has {len(self.absolute_prestate)} bytes, not {CLAIM_SIZE}")
        validate_parameters(self)

    @property
    def exec_depth(self) -> int:
        """``K = MAX - SPLIT - 1``: the depth of an execution subgame below its root."""
        return self.max_game_depth - self.split_depth - 1

    @property
    def exec_trace_length(self) -> int:
        """``N = 2^K``: the number of VM steps one execution subgame bisects."""
        return 1 << self.exec_depth

    @property
    def max_clock_extension(self) -> int:
        """The largest extension any move can grant: before an exec root or before a step."""
        return max(2 * self.clock_extension, self.clock_extension + self.challenge_period)


def validate_parameters(params: GameParameters) -> None:
    """The constructor's checks of §3.2, in order."""
    max_depth, split = params.max_game_depth, params.split_depth
    if max_depth > MAX_GAME_DEPTH_LIMIT:
        raise GameRuleError(
            GameError.MAX_DEPTH_TOO_LARGE, f"MAX_GAME_DEPTH {max_depth} > {MAX_GAME_DEPTH_LIMIT}"
        )
    if not split + 1 < max_depth:
        raise GameRuleError(
            GameError.INVALID_SPLIT_DEPTH,
            f"SPLIT_DEPTH + 1 = {split + 1} is not below MAX_GAME_DEPTH {max_depth}",
        )
    if split < MIN_SPLIT_DEPTH:
        raise GameRuleError(GameError.INVALID_SPLIT_DEPTH, f"SPLIT_DEPTH {split} < {MIN_SPLIT_DEPTH}")
    if params.challenge_period >= UINT64_LIMIT:
        raise GameRuleError(
            GameError.INVALID_CHALLENGE_PERIOD, f"oracle challenge period {params.challenge_period} ≥ 2^64"
        )
    if params.max_clock_extension >= UINT64_LIMIT or params.max_clock_extension > params.max_clock_duration:
        raise GameRuleError(
            GameError.INVALID_CLOCK_EXTENSION,
            f"max(2·CE, CE + challengePeriod) = {params.max_clock_extension} exceeds "
            f"MAX_CLOCK_DURATION {params.max_clock_duration}",
        )
    if params.game_type == GameType.RESERVED:
        raise GameRuleError(GameError.RESERVED_GAME_TYPE, f"game type {params.game_type} is reserved")


def _check_abi_range(name: str, value: int, limit: int) -> None:
    if not 0 <= value < limit:
        raise ValueError(f"{name} = {value} is outside its ABI type (0 ≤ value < {limit})")


__all__ = ["GameParameters", "GameType", "validate_parameters"]
