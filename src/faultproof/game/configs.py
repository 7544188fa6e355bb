"""The game shapes the tests play, as alphabet games (spec: dispute-game.md §3.3).

``dataclasses.replace`` gives the same shape with another game type and prestate, e.g. a MIPS32
game at mainnet depth: ``replace(MAINNET, game_type=GameType.CANNON, absolute_prestate=...)``.
"""

from __future__ import annotations

from faultproof.game import alphabet
from faultproof.game.params import GameParameters, GameType


def alphabet_parameters(
    max_game_depth: int,
    split_depth: int,
    max_clock_duration: int,
    clock_extension: int,
    challenge_period: int,
) -> GameParameters:
    """An alphabet game (type 255, §17) of the given shape."""
    return GameParameters(
        game_type=GameType.ALPHABET,
        absolute_prestate=alphabet.ABSOLUTE_PRESTATE,
        max_game_depth=max_game_depth,
        split_depth=split_depth,
        max_clock_duration=max_clock_duration,
        clock_extension=clock_extension,
        challenge_period=challenge_period,
    )


MINIMAL = alphabet_parameters(4, 2, 3_600, 60, 120)  # "any" clocks in §3.3: WIDE's
UNIT = alphabet_parameters(8, 4, 302_400, 10_800, 86_400)
UNIT_NO_CHALLENGE_PERIOD = alphabet_parameters(8, 4, 302_400, 10_800, 0)
WIDE = alphabet_parameters(16, 8, 3_600, 60, 120)
DEVNET = alphabet_parameters(50, 14, 1_200, 0, 120)
MAINNET = alphabet_parameters(73, 30, 302_400, 10_800, 86_400)

TEST_CONFIGS: dict[str, GameParameters] = {
    "minimal": MINIMAL,
    "unit": UNIT,
    "unit-no-challenge-period": UNIT_NO_CHALLENGE_PERIOD,
    "wide": WIDE,
    "devnet": DEVNET,
    "mainnet": MAINNET,
}


__all__ = [
    "DEVNET",
    "MAINNET",
    "MINIMAL",
    "TEST_CONFIGS",
    "UNIT",
    "UNIT_NO_CHALLENGE_PERIOD",
    "WIDE",
    "alphabet_parameters",
]
