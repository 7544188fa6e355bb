"""Game parameters and the constructor's checks in order (spec: dispute-game.md §3, §18 K3, K18, K19)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from faultproof.game import alphabet
from faultproof.game.configs import DEVNET, MAINNET, MINIMAL, TEST_CONFIGS, UNIT, WIDE
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters, GameType


def reason(**changes: int) -> GameError:
    """The reason the constructor gives for UNIT with ``changes``."""
    with pytest.raises(GameRuleError) as raised:
        replace(UNIT, **changes)
    return raised.value.reason


# §3.3: name, MAX, SPLIT, K, MCD, CE, challengePeriod.
SHAPES = [
    ("minimal", 4, 2, 1),
    ("unit", 8, 4, 3, 302_400, 10_800, 86_400),
    ("unit-no-challenge-period", 8, 4, 3, 302_400, 10_800, 0),
    ("wide", 16, 8, 7, 3_600, 60, 120),
    ("devnet", 50, 14, 35, 1_200, 0, 120),
    ("mainnet", 73, 30, 42, 302_400, 10_800, 86_400),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_test_configs(shape: tuple[object, ...]) -> None:
    name, max_depth, split, k, *clocks = shape
    params = TEST_CONFIGS[str(name)]
    assert (params.max_game_depth, params.split_depth, params.exec_depth) == (max_depth, split, k)
    assert params.exec_trace_length == 2**params.exec_depth
    if clocks:
        assert [params.max_clock_duration, params.clock_extension, params.challenge_period] == clocks
    assert params.game_type == GameType.ALPHABET and params.absolute_prestate == alphabet.ABSOLUTE_PRESTATE


def test_mainnet_spans() -> None:
    """§3.1 derived values: N = 2^42 steps per subgame, 2^30 outputs in the top half."""
    assert MAINNET.exec_trace_length == 2**42
    assert 2**MAINNET.split_depth == 1_073_741_824


def test_another_vm_is_one_replace_away() -> None:
    cannon = replace(MAINNET, game_type=GameType.CANNON, absolute_prestate=b"\x03" + bytes(31))
    assert cannon.exec_depth == 42 and cannon.game_type == 0


def test_max_depth_limit() -> None:
    """K18: 125 is the deepest legal tree, 126 is rejected."""
    assert replace(UNIT, max_game_depth=125, split_depth=30).max_game_depth == 125
    assert reason(max_game_depth=126) == GameError.MAX_DEPTH_TOO_LARGE


def test_split_depth_limits() -> None:
    """K19: SPLIT = 1 and SPLIT = MAX - 1 are rejected; 2 and MAX - 2 are the extremes allowed."""
    assert reason(split_depth=1) == GameError.INVALID_SPLIT_DEPTH
    assert reason(split_depth=7) == GameError.INVALID_SPLIT_DEPTH
    assert reason(split_depth=8) == GameError.INVALID_SPLIT_DEPTH
    assert reason(split_depth=2**256 - 1) == GameError.INVALID_SPLIT_DEPTH
    assert replace(UNIT, split_depth=2).exec_depth == 5
    assert replace(UNIT, split_depth=6).exec_depth == 1


def test_clock_extension_limits() -> None:
    """K3: the constructor rejects ``CE + challengePeriod > MCD`` (and ``2·CE > MCD``); equality is legal."""
    assert reason(challenge_period=2**64) == GameError.INVALID_CHALLENGE_PERIOD
    assert reason(challenge_period=302_400 - 10_800 + 1) == GameError.INVALID_CLOCK_EXTENSION
    assert replace(UNIT, challenge_period=302_400 - 10_800).max_clock_extension == 302_400
    assert reason(clock_extension=151_201, challenge_period=0) == GameError.INVALID_CLOCK_EXTENSION
    assert replace(UNIT, clock_extension=151_200, challenge_period=0).max_clock_extension == 302_400
    assert reason(max_clock_duration=0) == GameError.INVALID_CLOCK_EXTENSION


def test_max_extension_below_2_64() -> None:
    """Rule 5's ``maxExt < 2^64`` bites only through the challenge period, as CE and MCD are uint64."""
    assert (
        reason(max_clock_duration=2**64 - 1, clock_extension=2**63, challenge_period=2**63)
        == GameError.INVALID_CLOCK_EXTENSION
    )


def test_reserved_game_type() -> None:
    assert reason(game_type=2**32 - 1) == GameError.RESERVED_GAME_TYPE
    assert replace(UNIT, game_type=2**32 - 2).game_type == 2**32 - 2


def test_checks_run_in_the_constructors_order() -> None:
    """Every parameter wrong at once: each fix uncovers the next rule of §3.2."""
    wrong = {
        "max_game_depth": 126,
        "split_depth": 1,
        "challenge_period": 2**64,
        "max_clock_duration": 1,
        "game_type": 2**32 - 1,
    }
    expected = [
        GameError.MAX_DEPTH_TOO_LARGE,
        GameError.INVALID_SPLIT_DEPTH,
        GameError.INVALID_CHALLENGE_PERIOD,
        GameError.INVALID_CLOCK_EXTENSION,
        GameError.RESERVED_GAME_TYPE,
    ]
    for field, error in zip(list(wrong), expected, strict=True):
        assert reason(**wrong) == error
        del wrong[field]
    assert replace(UNIT, **wrong) == UNIT
    assert reason(split_depth=126 - 1, max_game_depth=126) == GameError.MAX_DEPTH_TOO_LARGE


def test_values_outside_their_abi_types() -> None:
    for field, bad in [("max_clock_duration", 2**64), ("clock_extension", -1), ("game_type", 2**32)]:
        with pytest.raises(ValueError, match=field):
            replace(UNIT, **{field: bad})
    with pytest.raises(ValueError, match="absolute_prestate"):
        replace(UNIT, absolute_prestate=b"\x03")


def test_configs_are_frozen_and_comparable() -> None:
    assert replace(WIDE) == WIDE and hash(DEVNET) == hash(replace(DEVNET))
    assert MINIMAL != UNIT
    with pytest.raises(AttributeError):
        MINIMAL.max_game_depth = 5  # type: ignore[misc]
    assert isinstance(MINIMAL, GameParameters)
