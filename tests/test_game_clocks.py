"""Chess clocks with extensions (spec: dispute-game.md §9; §18 K1, K2, K3, K9 at the level of the rules)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.game.clocks import (
    ROOT_PARENT_DURATION,
    Clock,
    challenger_duration,
    clock_after_move,
    clock_extension,
    expiry,
    is_resolvable,
    max_game_duration,
    resolution_deadline,
)
from faultproof.game.configs import DEVNET, MAINNET, MINIMAL, UNIT, UNIT_NO_CHALLENGE_PERIOD, WIDE
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters

HOUR = 3_600
DAY = 24 * HOUR


def test_clock_packing() -> None:
    """§1: ``Clock = (duration << 64) | timestamp``."""
    clock = Clock(302_400, 1_700_000_000)
    assert clock.raw() == 302_400 * 2**64 + 1_700_000_000
    assert Clock.from_raw(clock.raw()) == clock
    assert Clock.from_raw(2**128 - 1) == Clock(2**64 - 1, 2**64 - 1)


def test_mainnet_extensions() -> None:
    """§9.2: 3 h normally, 6 h before an exec root (nd = SPLIT - 1), 27 h before a step (nd = MAX - 1)."""
    extensions = {nd: clock_extension(nd, MAINNET) for nd in range(1, 74)}
    assert extensions.pop(72) == 27 * HOUR
    assert extensions.pop(29) == 6 * HOUR
    assert set(extensions.values()) == {3 * HOUR}


def test_mainnet_bound() -> None:
    """§9.4: 7 d + 71·3 h + 6 h + 27 h = 17.25 d."""
    assert max_game_duration(MAINNET) == 7 * DAY + 71 * 3 * HOUR + 6 * HOUR + 27 * HOUR == int(17.25 * DAY)
    assert resolution_deadline(1_000, MAINNET) == 1_000 + int(17.25 * DAY)


def test_devnet_bound() -> None:
    """No clock extension: the bound is 2·MCD plus the challenge period once, before the step."""
    assert max_game_duration(DEVNET) == 2 * 1_200 + 120


def test_challenger_duration() -> None:
    """§9.1: the grandparent's duration plus the time the claim stood, capped at MCD."""
    claim = Clock(duration=500, timestamp=10_000)
    assert challenger_duration(1_000, claim, 10_000, UNIT) == 1_000
    assert challenger_duration(1_000, claim, 10_250, UNIT) == 1_250
    assert challenger_duration(1_000, claim, 10_000 + 302_400, UNIT) == 302_400
    assert challenger_duration(ROOT_PARENT_DURATION, Clock(0, 0), 302_399, UNIT) == 302_399


@pytest.mark.parametrize(
    ("duration", "new_depth", "stored"),
    [
        (0, 1, 0),  # nothing used: nothing to cap
        (100_000, 1, 100_000),
        (302_399, 1, 302_400 - 10_800),  # 1 s left: the grandchild still gets CE
        (302_399, 3, 302_400 - 2 * 10_800),  # before an exec root: 2·CE
        (302_399, 7, 302_400 - 10_800 - 86_400),  # before a step: CE + challenge period (K3)
        (302_400 - 97_200, 7, 302_400 - 97_200),  # exactly at the cap
        (302_400 - 97_199, 7, 302_400 - 97_200),
    ],
)
def test_clock_at_a_move(duration: int, new_depth: int, stored: int) -> None:
    """§9.2's arithmetic with the UNIT shape (MAX 8, SPLIT 4, CE 3 h, challenge period 1 d)."""
    assert clock_after_move(duration, new_depth, 77, UNIT) == Clock(stored, 77)


def test_step_extension_without_challenge_period() -> None:
    assert clock_after_move(302_399, 7, 0, UNIT_NO_CHALLENGE_PERIOD).duration == 302_400 - 10_800


def test_no_time_left() -> None:
    with pytest.raises(GameRuleError) as raised:
        clock_after_move(302_400, 1, 0, UNIT)
    assert raised.value.reason == GameError.CLOCK_TIME_EXCEEDED


def test_k3_late_claim_before_a_step_stores_room_for_a_large_preimage() -> None:
    """K3: a claim at MAX - 1 posted with its team's clock nearly spent stores MCD - CE - cp, so the
    stepper has CE + challengePeriod to get a large preimage through the oracle."""
    stored = clock_after_move(MAINNET.max_clock_duration - 1, 72, 0, MAINNET).duration
    assert stored == 302_400 - 10_800 - 86_400
    assert expiry(stored, Clock(0, 5_000), MAINNET) - 5_000 == 27 * HOUR


def test_k1_freeloader_cannot_hand_over_a_spent_clock() -> None:
    """K1: ``p`` posted with 10 s left, then a freeloader ``f`` under ``p``: the counter to ``f`` has CE.

    Root at t = 0 (duration 0); ``p`` attacks it at MCD - 10 (depth 1); ``f`` attacks ``p`` at once.
    The counter to ``f`` resumes ``p``'s capped clock.
    """
    params = UNIT
    t_p = params.max_clock_duration - 10
    p_clock = clock_after_move(
        challenger_duration(ROOT_PARENT_DURATION, Clock(0, 0), t_p, params), 1, t_p, params
    )
    assert p_clock.duration == params.max_clock_duration - params.clock_extension
    t_f = t_p
    f_clock = clock_after_move(challenger_duration(0, p_clock, t_f, params), 2, t_f, params)
    last = t_f + params.clock_extension - 1
    assert clock_after_move(challenger_duration(p_clock.duration, f_clock, last, params), 3, last, params)
    with pytest.raises(GameRuleError) as raised:
        clock_after_move(
            challenger_duration(p_clock.duration, f_clock, last + 1, params), 3, last + 1, params
        )
    assert raised.value.reason == GameError.CLOCK_TIME_EXCEEDED
    assert expiry(p_clock.duration, f_clock, params) == t_f + params.clock_extension


@given(
    st.sampled_from([MINIMAL, UNIT, WIDE, DEVNET, MAINNET]),
    st.integers(min_value=0, max_value=302_400),
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=0, max_value=700_000),
)
def test_no_overlap(params: GameParameters, parent_duration: int, posted: int, waited: int) -> None:
    """§9.3 / K9: at every second exactly one of "a move against i passes the clock" and "i resolves"."""
    parent_duration = min(parent_duration, params.max_clock_duration)
    claim = Clock(0, posted)
    duration = challenger_duration(parent_duration, claim, posted + waited, params)
    try:
        clock_after_move(duration, 2, posted + waited, params)
        moved = True
    except GameRuleError:
        moved = False
    assert moved != is_resolvable(duration, params)
    assert moved == (posted + waited < expiry(parent_duration, claim, params))


# -- §9.4 over random trees with adversarial timing ----------------------------------------------


@dataclass
class TimedClaim:
    parent: int | None
    depth: int
    clock: Clock


def parent_duration(claims: list[TimedClaim], index: int) -> int:
    parent = claims[index].parent
    return ROOT_PARENT_DURATION if parent is None else claims[parent].clock.duration


@settings(max_examples=150)
@given(st.sampled_from([MINIMAL, UNIT, WIDE, replace(WIDE, clock_extension=0)]), st.data())
def test_every_claim_resolvable_by_the_bound(params: GameParameters, data: st.DataObject) -> None:
    """§9.4 / K2: moves at random parents, mostly stalled to their last second, never outlast the bound."""
    claims = [TimedClaim(None, 0, Clock(0, 0))]
    now = 0
    for _ in range(data.draw(st.integers(min_value=1, max_value=60))):
        open_claims = [
            i
            for i, claim in enumerate(claims)
            if claim.depth < params.max_game_depth
            and now < expiry(parent_duration(claims, i), claim.clock, params)
        ]
        if not open_claims:
            break
        parent = data.draw(st.sampled_from(open_claims))
        deadline = expiry(parent_duration(claims, parent), claims[parent].clock, params) - 1
        now = data.draw(st.sampled_from([now, deadline, (now + deadline) // 2]))
        duration = challenger_duration(parent_duration(claims, parent), claims[parent].clock, now, params)
        claims.append(
            TimedClaim(
                parent,
                claims[parent].depth + 1,
                clock_after_move(duration, claims[parent].depth + 1, now, params),
            )
        )
    bound = resolution_deadline(0, params)
    assert all(
        expiry(parent_duration(claims, i), claim.clock, params) <= bound for i, claim in enumerate(claims)
    )


@pytest.mark.parametrize("params", [MINIMAL, UNIT, WIDE, DEVNET, MAINNET])
def test_every_move_at_its_last_second(params: GameParameters) -> None:
    """K2: one line of play stalled to the last second at every depth still resolves within the bound,
    and the bound is nearly tight (the slack is at most one extension plus a second per move)."""
    claims = [TimedClaim(None, 0, Clock(0, 0))]
    for new_depth in range(1, params.max_game_depth + 1):
        parent = len(claims) - 1
        now = expiry(parent_duration(claims, parent), claims[parent].clock, params) - 1
        duration = challenger_duration(parent_duration(claims, parent), claims[parent].clock, now, params)
        claims.append(TimedClaim(parent, new_depth, clock_after_move(duration, new_depth, now, params)))
    last = max(expiry(parent_duration(claims, i), claim.clock, params) for i, claim in enumerate(claims))
    bound = resolution_deadline(0, params)
    assert bound - params.clock_extension - params.max_game_depth <= last <= bound
