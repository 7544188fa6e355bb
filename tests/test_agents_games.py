"""The honest challenger against every adversary of dispute-game.md §15.7, on the game contracts.

Each game is deployed on the embedded chain and played to the end by the runner — moves, steps,
resolution, both ``claimCredit`` calls — with time jumping to each next deadline. Every finished
game is held to §15.1 and §9.4 by ``check_outcome``: the honest side wins, gets back its bonds and
those of the claims it countered, every deposited wei is paid out, and every claim was resolvable
within the clock bound. Randomized mixes of adversaries run under hypothesis (a few by default,
more with ``-m slow``).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_games import (
    ADVERSARY_KINDS,
    ADVERSARY_SEATS,
    HONEST,
    PROPOSER,
    Table,
    adversary_view,
    check_outcome,
    only_game,
)
from faultproof.agents import ChallengerConfig, EventKind, HonestChallenger, LyingOutputs, ShiftedOutputs
from faultproof.agents.adversaries import Adversary
from faultproof.agents.planner import Action, Move
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.chain import EmbeddedChain
from faultproof.crypto import keccak256
from faultproof.game.configs import MINIMAL, UNIT, alphabet_parameters
from faultproof.game.params import GameParameters
from faultproof.game.positions import depth
from faultproof.trace.outputs import AlphabetOutputs

# WIDE's shape (16/8) with clocks long enough for the embedded chain's 12-second blocks.
WIDE_GAME = alphabet_parameters(16, 8, 7_200, 600, 600)
SMALL_SHAPES = (MINIMAL, UNIT, alphabet_parameters(6, 3, 3_600, 300, 300))


def test_an_honest_proposal_stands_and_a_wrong_one_falls() -> None:
    table = Table.deploy(EmbeddedChain(), MINIMAL)
    table.proposer()
    honest = table.challenger()
    result = table.run()
    check_outcome(table, result, honest, root_honest=True)
    assert len(only_game(result).claims) == 1  # nothing to dispute
    kinds = [event.kind for event in table.events if event.agent == "challenger"]
    assert kinds == [EventKind.RESOLVE_CLAIM, EventKind.RESOLVE, EventKind.GAME_DONE]
    paid = [event.kind for event in table.events if event.recipient == table.seat(PROPOSER).address]
    assert paid == [EventKind.CREDIT_UNLOCKED, EventKind.CREDIT_WITHDRAWN]

    table = Table.deploy(EmbeddedChain(), MINIMAL)
    table.proposer(LyingOutputs({table.head}), name="wrong-root")
    honest = table.challenger()
    result = table.run()
    check_outcome(table, result, honest, root_honest=False)
    assert [claim.claimant for claim in only_game(result).claims[1:]] == [honest.address]


class Crowd(Adversary):
    """Attacks the root with ``count`` different wrong values, nothing else."""

    def __init__(self, *args: Any, count: int, **options: Any) -> None:
        super().__init__(*args, max_actions=count, **options)
        self.count = count

    def choose(self, snapshot: GameSnapshot) -> list[Action]:
        return [Move(0, True, keccak256(b"crowd" + bytes([i]))) for i in range(self.count)]


def test_a_claim_with_more_children_than_a_page_is_resolved_in_pages() -> None:
    """K7 for the agent: 20 wrong attacks on an honest root, each countered; the root's 20 children
    are walked in pages of 7, 7 and the last 6."""
    table = Table.deploy(EmbeddedChain(), MINIMAL)
    table.proposer()
    crowd = table.join(Crowd(table.chain, table.seat(ADVERSARY_SEATS[0]), count=20, name="crowd"))
    honest = HonestChallenger(
        table.chain,
        table.seat(HONEST),
        factory=table.factory,
        config=ChallengerConfig(collect_for=(table.seat(PROPOSER).address,), resolution_page=7),
        on_event=table.events.append,
    )
    table.join(honest)
    result = table.run()
    check_outcome(table, result, honest, root_honest=True)
    assert crowd.sent == 20 and len(only_game(result).claims) == 41
    root_pages = [e.detail for e in table.events if e.kind == EventKind.RESOLVE_CLAIM and e.claim_index == 0]
    assert root_pages == ["7 of 20 children", "7 of 13 children", ""]


@pytest.mark.parametrize("kind", ADVERSARY_KINDS)
def test_the_honest_challenger_beats_each_adversary(kind: str) -> None:
    """A wrong root defended by a liar, and the adversary under test playing along (the staller and
    the late mover defend it themselves: a liar of the same view would make their moves first)."""
    table = Table.deploy(EmbeddedChain(), UNIT)
    lie = adversary_view(table, {table.head - 3})
    table.proposer(lie, name="wrong-root")
    if kind not in ("staller", "late"):
        table.adversary("liar", ADVERSARY_SEATS[0], lie)
    adversary = table.adversary(kind, ADVERSARY_SEATS[1], lie, seed=3)
    honest = table.challenger()
    result = table.run()
    check_outcome(table, result, honest, root_honest=False)
    refusals = set(adversary.reverts)
    if kind == "late":
        assert refusals == {"ClockTimeExceeded"}
    elif kind == "duplicator":
        assert refusals == {"ClaimAlreadyExists"}
    elif kind == "wrong-stance":
        assert adversary.reverts and {reason.partition("(")[0] for reason in refusals} == {
            "UnexpectedRootClaim"
        }
    elif kind == "staller":
        game = only_game(result)
        stalled = [
            claim
            for claim in game.claims
            if claim.claimant == adversary.address and depth(claim.position) <= game.params.max_game_depth
        ]
        assert stalled, "the staller posted nothing"
        for claim in stalled:
            parent = game.claims[claim.parent_index]
            grandparent = 0 if parent.is_root else game.claims[parent.parent_index].clock.duration
            assert (
                claim.clock.timestamp
                == parent.clock.timestamp + game.params.max_clock_duration - grandparent - 1
            )


def test_a_proposal_for_the_wrong_block_falls() -> None:
    """The root is a true output root, of the block after the one it claims."""
    table = Table.deploy(EmbeddedChain(), MINIMAL)
    shifted = ShiftedOutputs(1)
    table.proposer(shifted, name="wrong-block")
    table.adversary("wrong-blocks", ADVERSARY_SEATS[0], shifted)
    honest = table.challenger()
    check_outcome(table, table.run(), honest, root_honest=False)


def test_an_honest_root_attacked_on_a_wide_game() -> None:
    table = Table.deploy(EmbeddedChain(), WIDE_GAME)
    table.proposer()
    lie = LyingOutputs({table.head, table.head - 77})
    table.adversary("liar", ADVERSARY_SEATS[0], lie)
    table.adversary("freeloader", ADVERSARY_SEATS[1], lie, seed=1)
    honest = table.challenger()
    result = table.run()
    check_outcome(table, result, honest, root_honest=True)
    assert max(claim.depth for claim in only_game(result).claims) == WIDE_GAME.max_game_depth


def test_a_snapshot_reads_what_the_game_says() -> None:
    table = Table.deploy(EmbeddedChain(), UNIT)
    table.proposer(LyingOutputs({table.head}))
    table.adversary("liar", ADVERSARY_SEATS[0], LyingOutputs({table.head}))
    table.challenger()
    result = table.run()
    game = only_game(result)
    contract = table.system.game(game.address)
    assert game.params == UNIT and game.game_type == UNIT.game_type
    assert game.root_claim == contract.rootClaim() and game.l2_block_number == table.head
    assert (game.anchor_root, game.anchor_block) == (AlphabetOutputs().output_root(1_000), 1_000)
    assert game.created_at == contract.createdAt() and game.resolved_at == contract.resolvedAt()
    assert game.creator == table.seat(1).address and game.l1_head == contract.l1Head()
    assert game.resolved_subgames == (True,) * len(game.claims)
    assert game.now == table.chain.block().timestamp and game.block_number == table.chain.block_number
    reread = GameReader(table.chain).read(game.address)
    assert reread == game


def play_mix(params: GameParameters, root_honest: bool, kinds: list[str], seed: int, wrong: set[int]) -> None:
    table = Table.deploy(EmbeddedChain(), params)
    lie = adversary_view(table, wrong)
    table.proposer(None if root_honest else lie, name="proposer" if root_honest else "wrong-root")
    if not root_honest:
        table.adversary("liar", ADVERSARY_SEATS[0], lie, seed)
    for seat, kind in zip(ADVERSARY_SEATS[1:], kinds, strict=False):
        table.adversary(kind, seat, lie, seed + seat)
    honest = table.challenger()
    check_outcome(table, table.run(), honest, root_honest)


MIXES = st.lists(st.sampled_from(ADVERSARY_KINDS), min_size=1, max_size=3)


@settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SMALL_SHAPES), st.booleans(), MIXES, st.integers(0, 2**16), st.data())
def test_random_mixes_of_adversaries(
    params: GameParameters, root_honest: bool, kinds: list[str], seed: int, data: st.DataObject
) -> None:
    head = 1_000 + (1 << params.split_depth)
    wrong = data.draw(st.sets(st.integers(1_001, head - 1), max_size=3))
    play_mix(params, root_honest, kinds, seed, wrong)


@pytest.mark.slow
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from((*SMALL_SHAPES, WIDE_GAME)), st.booleans(), MIXES, st.integers(0, 2**16), st.data())
def test_many_random_mixes_of_adversaries(
    params: GameParameters, root_honest: bool, kinds: list[str], seed: int, data: st.DataObject
) -> None:
    head = 1_000 + (1 << params.split_depth)
    wrong = data.draw(st.sets(st.integers(1_001, head - 1), max_size=4))
    play_mix(params, root_honest, kinds, seed, wrong)
