"""Whole alphabet games on the Python model: the honest challenger of §15.3 against adversaries (§15.7).

The honest side must win every game, get back every bond it posts and take the bond of every claim
it counters, and every claim must be resolvable within the clock bound of §9.4 (§15.1, §18 K2, K4,
K6). The adversaries lie about the root, the outputs and the execution trace, make random legal
moves, freeload, duplicate, stall to the last second and move after expiry.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from faultproof.agents.adversaries import LyingOutputs, lying_bottom
from faultproof.crypto import keccak256
from faultproof.errors import PreimagePartUnavailable, StepFailure
from faultproof.game import alphabet
from faultproof.game.bonds import required_bond
from faultproof.game.clocks import expiry
from faultproof.game.configs import DEVNET, MINIMAL, UNIT, WIDE
from faultproof.game.errors import GameRuleError
from faultproof.game.model import GameModel
from faultproof.game.params import GameParameters
from faultproof.game.positions import move
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.game.tree import ROOT_PARENT_INDEX, ZERO_ADDRESS
from faultproof.trace.split import SplitTraceAccessor
from honest_play import (
    ADVERSARY,
    ANCHOR_BLOCK,
    HONEST,
    Move,
    Step,
    accessor,
    alphabet_game,
    game_over,
    perform,
    plan,
    resolve_all,
    respond,
)


@dataclass
class Adversary:
    """One adversary's view (its own wrong trace) and the game it plays in."""

    model: GameModel
    view: SplitTraceAccessor
    honest: SplitTraceAccessor


IGNORED = (GameRuleError, StepFailure, PreimagePartUnavailable)  # reverts: the adversary's move fails


def adversary_turn(adversary: Adversary, data: st.DataObject, now: int) -> int:
    """One adversarial action at ``now`` or later; returns the time it was sent (reverts are ignored)."""
    model, params = adversary.model, adversary.model.params
    kind = data.draw(
        st.sampled_from(
            [
                "liar",
                "liar",
                "whole plan",
                "random",
                "freeloader",
                "wrong stance",
                "sibling first",
                "duplicate",
                "step",
            ]
        )
    )
    claims = model.claims
    if kind == "whole plan":  # every move of the adversary's own (wrong) view at once
        for action in plan(model, adversary.view):
            with contextlib.suppress(*IGNORED):
                perform(model, action, ADVERSARY, now)
        return now
    if kind == "sibling first":
        # A wrong claim against the honest side and, before anyone answers, one of the adversary's own
        # at the position where the honest attack will land: it is first there and wins ties.
        parent = data.draw(st.sampled_from([i for i, c in enumerate(claims) if c.claimant == HONEST] or [0]))
        with contextlib.suppress(*IGNORED):
            for tag in (b"wrong", b"first"):
                value = bytes([data.draw(st.integers(0, 3))]) + keccak256(tag + bytes(len(claims)))[1:]
                perform(model, Move(parent, True, value), ADVERSARY, now)
                parent = len(model.claims) - 1
        return now
    if kind == "liar":
        actions = plan(model, adversary.view)
        if not actions:
            return now
        action = data.draw(st.sampled_from(actions))
    elif kind == "duplicate":
        if len(claims) == 1:
            return now
        index = data.draw(st.integers(1, len(claims) - 1))
        claim = claims[index]
        is_attack = move(claims[claim.parent_index].position, True) == claim.position
        action = Move(claim.parent_index, is_attack, claim.claim)
    elif kind == "step":
        leaves = [i for i, c in enumerate(claims) if c.depth == params.max_game_depth]
        if not leaves:
            return now
        index = data.draw(st.sampled_from(leaves))
        is_attack = data.draw(st.booleans())
        position = claims[index].position if is_attack else claims[index].position + 2
        try:
            step_data = adversary.view.get_step_data(claims, index, position)
        except Exception:  # a position past its subgame: no step to try
            return now
        action = Step(index, is_attack, step_data)
    else:
        if kind == "freeloader":  # beside a counter of the honest side: attack its parent
            countered = [c.parent_index for c in claims[1:] if c.claimant == HONEST]
            if not countered:
                return now
            parent, is_attack = data.draw(st.sampled_from(countered)), True
        elif kind == "wrong stance":  # counter an honest claim with the honest value, by attacking
            honest_claims = [i for i, c in enumerate(claims) if c.claimant == HONEST]
            if not honest_claims:
                return now
            parent, is_attack = data.draw(st.sampled_from(honest_claims)), True
        else:
            parent = data.draw(st.integers(0, len(claims) - 1))
            is_attack = data.draw(st.booleans())
        position = move(claims[parent].position, is_attack)
        choice = (
            "honest" if kind == "wrong stance" else data.draw(st.sampled_from(["honest", "view", "garbage"]))
        )
        try:
            if choice == "garbage":
                value = (
                    bytes([data.draw(st.integers(0, 3))]) + keccak256(data.draw(st.binary(max_size=4)))[1:]
                )
            else:
                value = (adversary.honest if choice == "honest" else adversary.view).get(
                    claims, parent, position
                )
        except Exception:  # not a legal position: the move would revert anyway
            return now
        action = Move(parent, is_attack, value)
    # Timing: now, a little later, or stalled to the parent's last second (or one past it: too late).
    timing = data.draw(st.sampled_from(["now"] * 4 + ["later", "last second", "too late"]))
    target = action.parent if isinstance(action, Move) else action.claim
    claim = claims[target]
    parent_duration = (
        0 if claim.parent_index == ROOT_PARENT_INDEX else claims[claim.parent_index].clock.duration
    )
    deadline = expiry(parent_duration, claim.clock, params)
    send_at = {"now": now, "later": now + params.clock_extension // 2 + 1, "last second": deadline - 1}.get(
        timing, deadline
    )
    send_at = max(now, send_at)
    try:
        perform(model, action, ADVERSARY, send_at)
    except IGNORED:
        return now
    return send_at


def play(params: GameParameters, data: st.DataObject) -> GameModel:
    """A game with a random root, adversaries taking random turns, the honest side answering each."""
    l2_block = ANCHOR_BLOCK + (1 << params.split_depth)
    wrong = set(data.draw(st.sets(st.integers(ANCHOR_BLOCK + 1, l2_block), max_size=4)))
    honest_root = data.draw(st.booleans())
    if not honest_root or data.draw(st.booleans()):
        wrong.add(l2_block)  # the adversary disputes the root (an honest one too, sometimes)
    outputs = LyingOutputs(frozenset(wrong))
    root = alphabet.output_root(l2_block) if honest_root else outputs.output_root(l2_block)
    model = alphabet_game(params, root, proposer=HONEST if honest_root else ADVERSARY)
    honest = accessor(model)
    shift = data.draw(st.sampled_from([0, 1, 7]))
    adversary = Adversary(
        model, accessor(model, outputs, lying_bottom(params.exec_depth, outputs, shift)), honest
    )
    now = 0
    respond(model, honest, now)
    for _ in range(data.draw(st.integers(1, 80))):
        now = adversary_turn(adversary, data, now)
        respond(model, honest, now)
    return model


def recipient(model: GameModel, index: int) -> bytes:
    """Who got claim ``index``'s bond: resolution leaves it in ``counteredBy`` (or nobody: the claimant)."""
    claim = model.claims[index]
    return claim.countered_by if claim.countered_by != ZERO_ADDRESS else claim.claimant


def check_invariants(model: GameModel, honest_root: bool) -> None:
    resolve_all(model, game_over(model))  # §9.4: every claim is resolvable by the bound
    assert model.status == (GameStatus.DEFENDER_WINS if honest_root else GameStatus.CHALLENGER_WINS)
    claims = model.claims
    for index, claim in enumerate(claims):
        countered_by_honest = claim.countered_by == HONEST or any(
            c.parent_index == index and c.claimant == HONEST for c in claims[1:]
        )
        if claim.claimant == HONEST:
            assert not countered_by_honest, f"the honest side countered its own claim {index}"
        if claim.claimant == HONEST or countered_by_honest:
            assert recipient(model, index) == HONEST, f"claim {index} paid to {recipient(model, index).hex()}"
    normal = model.credit(BondDistributionMode.NORMAL)
    deposits = model.credit(BondDistributionMode.REFUND)
    assert sum(normal.values()) == sum(deposits.values()) == sum(c.bond for c in claims)
    assert normal.get(HONEST, 0) >= deposits.get(HONEST, 0)


SHAPES = st.sampled_from([MINIMAL, UNIT, WIDE, DEVNET])


def play_and_check(params: GameParameters, data: st.DataObject) -> None:
    model = play(params, data)
    event(f"{len(model.claims) // 10 * 10}+ claims")
    event("a step" if any(c.countered_by != ZERO_ADDRESS for c in model.claims) else "no step")
    check_invariants(model, model.claims[0].claim == alphabet.output_root(model.l2_block_number))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, st.data())
def test_honest_side_wins_random_games(params: GameParameters, data: st.DataObject) -> None:
    play_and_check(params, data)


@pytest.mark.slow
@settings(max_examples=5_000, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, st.data())
def test_honest_side_wins_many_random_games(params: GameParameters, data: st.DataObject) -> None:
    play_and_check(params, data)


def test_bond_requirements_are_what_the_honest_side_sends() -> None:
    """The honest side always sends exactly ``getRequiredBond``: a wrong amount would revert."""
    model = alphabet_game(UNIT, b"\x00" * 32, proposer=ADVERSARY)
    respond(model, accessor(model), 0)
    (counter,) = model.claims[1:]
    assert counter.bond == required_bond(2, UNIT.max_game_depth) and counter.claimant == HONEST
