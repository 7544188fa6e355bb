"""The split: claimed blocks, local coordinates, the exec root's status byte (dispute-game.md §2.2, §6.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.game.configs import MAINNET, MINIMAL, UNIT, WIDE
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters
from faultproof.game.positions import depth, gindex, index_at_depth, trace_index
from faultproof.game.split import (
    check_exec_root_status,
    claimed_block,
    exec_root_statuses,
    exec_subgame_index,
    is_output_position,
    local_position,
    local_trace_index,
)
from faultproof.vm.status import VMStatus

REJECTS = frozenset({VMStatus.INVALID, VMStatus.PANIC})
ACCEPTS = frozenset({VMStatus.VALID})


def status_claim(status: int) -> bytes:
    return bytes([status]) + b"\xee" * 31


@pytest.mark.parametrize(
    ("parent", "is_attack", "allowed", "why"),
    [
        (4, True, REJECTS, "attack: 4 is disputed"),
        (6, True, REJECTS, "attack: 6 is disputed"),
        (4, False, ACCEPTS, "defending 4 disputes 2, posted by the mover's team (depth 1)"),
        (6, False, REJECTS, "defending 6 disputes the root, posted by the opponents (depth 0)"),
    ],
)
def test_minimal_exec_roots(parent: int, is_attack: bool, allowed: frozenset[VMStatus], why: str) -> None:
    """§6.3 on the four exec roots of §2.3's table (exec roots 8, 10, 12, 14)."""
    assert exec_root_statuses(parent, is_attack, MINIMAL.split_depth) == allowed, why


def test_k10_wrong_stance_exec_roots_revert() -> None:
    """K10: attack with VALID, own-output defense with INVALID, status 3 anywhere: UnexpectedRootClaim."""
    cases = [(4, True, VMStatus.VALID), (4, False, VMStatus.INVALID), (6, False, VMStatus.VALID)]
    cases += [(parent, is_attack, VMStatus.UNFINISHED) for parent in (4, 6) for is_attack in (True, False)]
    cases += [(4, True, 4), (4, False, 0xFF)]
    for parent, is_attack, status in cases:
        with pytest.raises(GameRuleError) as raised:
            check_exec_root_status(status_claim(status), parent, is_attack, 2)
        assert raised.value.reason == GameError.UNEXPECTED_ROOT_CLAIM
    check_exec_root_status(status_claim(VMStatus.PANIC), 6, False, 2)
    check_exec_root_status(status_claim(VMStatus.VALID), 4, False, 2)


@given(st.sampled_from([MINIMAL, UNIT, WIDE, MAINNET]), st.data())
def test_status_rule_follows_the_team_of_the_disputed_output(
    params: GameParameters, data: st.DataObject
) -> None:
    """A defense accepts VALID iff the next output right of the parent was posted at the mover's parity."""
    split = params.split_depth
    index = data.draw(st.integers(min_value=0, max_value=(1 << split) - 1))
    parent = gindex(split, index - index % 2)  # every created position is even
    # The next output: the shallowest position whose trace index (at depth SPLIT) is one greater.
    next_trace = trace_index(parent, split) + 1
    depths = [d for d in range(split + 1) if (next_trace + 1) % (1 << (split - d)) == 0]
    shallowest = min(depths)  # depth 0 is the root, which commits to the last output
    mover_parity = (split + 1) % 2
    allowed = exec_root_statuses(parent, False, split)
    assert (allowed == ACCEPTS) == (shallowest % 2 == mover_parity)
    assert exec_root_statuses(parent, True, split) == REJECTS


def test_claimed_block_clamps_to_the_proposal() -> None:
    """K20: a position past the claimed block disputes the claimed block, never a later one."""
    anchor, proposed = 100, 103
    assert [claimed_block(g, 2, anchor, proposed) for g in (4, 2, 6, 1)] == [101, 102, 103, 103]
    assert claimed_block(gindex(30, 2**30 - 1), 30, 0, 2**30) == 2**30


@given(st.sampled_from([MINIMAL, UNIT, WIDE, MAINNET]), st.data())
def test_local_coordinates(params: GameParameters, data: st.DataObject) -> None:
    """§2.2: local depth, index and trace index, and the exec root a position belongs to."""
    local_depth = data.draw(st.integers(min_value=0, max_value=params.exec_depth))
    g = gindex(
        params.split_depth + 1 + local_depth,
        data.draw(st.integers(0, (1 << (params.split_depth + 1 + local_depth)) - 1)),
    )
    local = local_position(g, params)
    assert depth(local) == local_depth
    assert index_at_depth(local) == index_at_depth(g) % (1 << local_depth)
    assert local_trace_index(g, params) == trace_index(local, params.exec_depth)
    exec_root = g >> local_depth
    assert exec_subgame_index(g, params) == index_at_depth(exec_root)
    assert trace_index(g, params.max_game_depth) == exec_subgame_index(
        g, params
    ) * params.exec_trace_length + local_trace_index(g, params)
    assert not is_output_position(g, params) and is_output_position(exec_root >> 1, params)


def test_exec_root_is_local_position_1_at_the_last_local_index() -> None:
    assert local_position(32, UNIT) == 1 and local_trace_index(32, UNIT) == UNIT.exec_trace_length - 1
    with pytest.raises(GameRuleError) as raised:
        local_position(16, UNIT)
    assert raised.value.reason == GameError.CLAIM_ABOVE_SPLIT
