"""Chess clocks with extensions (spec: dispute-game.md §9).

Each team has ``MAX_CLOCK_DURATION`` seconds in every line of play. A claim records how much of it
its own team had used when it was posted; time a claim stands unanswered is charged to the team
that must counter it. A counter resumes its team's clock from its grandparent (the previous claim
of the same team on the path), and the clock it stores is capped so that the team's *next* move
two plies later still has at least an extension's worth of time — the defence against a freeloader
handing an opponent's nearly spent clock to the honest side (§18 K1). Moving and resolving use the
same quantity with ``<`` and ``==``, so no second exists at which both or neither are possible.
"""

from __future__ import annotations

from dataclasses import dataclass

from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters

CLOCK_HALF_BITS = 64  # §1: Clock = (duration << 64) | timestamp, both uint64
HALF_MASK = (1 << CLOCK_HALF_BITS) - 1


@dataclass(frozen=True)
class Clock:
    """``(duration, timestamp)``: the team's time used when the claim was posted, and when (§4.1)."""

    duration: int
    timestamp: int

    def raw(self) -> int:
        """The contract's packed ``uint128``."""
        return (self.duration << CLOCK_HALF_BITS) | self.timestamp

    @classmethod
    def from_raw(cls, raw: int) -> Clock:
        return cls(raw >> CLOCK_HALF_BITS, raw & HALF_MASK)


ROOT_PARENT_DURATION = 0  # §9.1: duration(parent(root)) = 0


def challenger_duration(parent_duration: int, claim: Clock, now: int, params: GameParameters) -> int:
    """``challengerDuration(i)``: the time the team countering claim ``i`` has used by ``now`` (§9.1).

    ``parent_duration`` is the duration stored by ``i``'s parent — the previous claim of the
    counter's own team — or ``ROOT_PARENT_DURATION`` when ``i`` is the root.
    """
    return min(params.max_clock_duration, parent_duration + (now - claim.timestamp))


def clock_extension(new_depth: int, params: GameParameters) -> int:
    """``ext(nd)``: time guaranteed to the new claim's potential grandchild (§9.2).

    Before a step the grandchild's team may need a large preimage through the oracle's challenge
    period; before an exec root it must run the whole program.
    """
    if new_depth == params.max_game_depth - 1:
        return params.clock_extension + params.challenge_period
    if new_depth == params.split_depth - 1:
        return 2 * params.clock_extension
    return params.clock_extension


def clock_after_move(duration: int, new_depth: int, now: int, params: GameParameters) -> Clock:
    """The clock a move stores, given ``duration = challengerDuration(parent)`` at ``now`` (§9.2).

    Raises ``ClockTimeExceeded`` when the mover's team has no time left.
    """
    if duration >= params.max_clock_duration:
        raise GameRuleError(
            GameError.CLOCK_TIME_EXCEEDED,
            f"the countering team has used {duration} s of its {params.max_clock_duration} s",
        )
    return Clock(min(duration, params.max_clock_duration - clock_extension(new_depth, params)), now)


def is_resolvable(duration: int, params: GameParameters) -> bool:
    """Whether a claim with ``duration = challengerDuration(i)`` may be resolved (§9.3).

    Exactly the negation of "a move against it passes the clock check".
    """
    return duration == params.max_clock_duration


def expiry(parent_duration: int, claim: Clock, params: GameParameters) -> int:
    """The first second at which claim ``i`` is resolvable and no move against it is accepted.

    ``challengerDuration`` reaches ``MCD`` when ``parent_duration + (now - timestamp) = MCD``; a
    stored duration never exceeds ``MCD - ext``, so this is never before the claim was posted.
    """
    return claim.timestamp + params.max_clock_duration - parent_duration


def max_game_duration(params: GameParameters) -> int:
    """``2·MCD + Σ_{nd=1..MAX} ext(nd)``: after this long every claim is resolvable (§9.4)."""
    extensions = sum(clock_extension(nd, params) for nd in range(1, params.max_game_depth + 1))
    return 2 * params.max_clock_duration + extensions


def resolution_deadline(created_at: int, params: GameParameters) -> int:
    """The second by which every claim of a game created at ``created_at`` is resolvable (§9.4)."""
    return created_at + max_game_duration(params)


__all__ = [
    "ROOT_PARENT_DURATION",
    "Clock",
    "challenger_duration",
    "clock_after_move",
    "clock_extension",
    "expiry",
    "is_resolvable",
    "max_game_duration",
    "resolution_deadline",
]
