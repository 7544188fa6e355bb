"""The FaultDisputeGame contract, rule by rule, against the Python model (dispute-game.md §3–§11, §19).

Every game here is created through the factory of a system deployed by
``faultproof.onchain.games.deploy_game_system`` and mirrored on ``GameModel``: each call must
revert with the model's reason or change the state exactly as the model's does.
"""

from __future__ import annotations

import pytest

from faultproof.game.configs import UNIT
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.onchain.games import DEFAULT_FINALITY_DELAY, DEFAULT_WETH_DELAY, GameSystem
from game_chain import ANCHOR_BLOCK, Mirror, alphabet_system
from honest_play import accessor, plan
from test_game_play import LyingOutputs, lying_bottom


@pytest.fixture
def unit_system() -> GameSystem:
    return alphabet_system(UNIT)


def play_out(mirror: Mirror, honest_view, liar_view, honest, liar) -> None:  # type: ignore[no-untyped-def]
    """Both sides answer each other until neither has anything left to send."""
    while True:
        liar_actions = plan(mirror.model, liar_view)
        for action in liar_actions:
            mirror.perform(action, liar)
        honest_actions = plan(mirror.model, honest_view)
        for action in honest_actions:
            assert not mirror.perform(action, honest).reverted
        if not liar_actions and not honest_actions:
            return


def test_a_lying_proposal_is_bisected_to_a_step_and_the_honest_side_collects(unit_system: GameSystem) -> None:
    chain = unit_system.chain
    honest, liar = chain.accounts[1], chain.accounts[2]
    block = ANCHOR_BLOCK + (1 << UNIT.split_depth)
    outputs = LyingOutputs(frozenset({block, block - 3}))
    mirror = Mirror(unit_system, UNIT, liar, root_claim=outputs.output_root(block), l2_block_number=block)
    liar_view = accessor(mirror.model, outputs, lying_bottom(UNIT.exec_depth, outputs, 1))
    play_out(mirror, accessor(mirror.model), liar_view, honest, liar)
    assert any(claim.countered_by == honest.address for claim in mirror.model.claims), "no step"
    mirror.check_state()

    mirror.resolve_all(honest)
    mirror.check_state()
    game = mirror.game
    assert game.status() == GameStatus.CHALLENGER_WINS

    # §10.6: after the airgap the first claim closes the game and unlocks, the second pays.
    mirror.wait(DEFAULT_FINALITY_DELAY + 1)
    mirror.settle()
    credit = mirror.model.credit(BondDistributionMode.NORMAL)[honest.address]
    game.claimCredit(honest.address, sender=honest)
    assert game.bondDistributionMode() == BondDistributionMode.NORMAL
    assert game.credit(honest.address) == credit
    chain.advance_time(DEFAULT_WETH_DELAY)
    before = chain.balance(honest.address)
    receipt = game.claimCredit(honest.address, sender=liar)
    assert chain.balance(honest.address) == before + credit
    assert game.credit(honest.address) == 0
    assert receipt.status == 1
