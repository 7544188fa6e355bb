"""The honest challenger's response algorithm (spec: dispute-game.md §15.3).

``plan`` reads a game — its parameters, its claim array and whether the root's block number was
challenged — and the honest trace, and returns every action the honest side still owes: moves,
steps and the block-number challenge. It is a pure function of the game's state, so a challenger
rebuilds it from the chain on every pass, and the same code plans over ``GameModel`` in the rule
tests and over a ``GameSnapshot`` read from a contract.

Which claims it counters: the root if it disagrees, every claim countering one of its own (honest)
claims, and *freeloaders* — siblings of an honest counter at a trace index at or left of it, which
would otherwise take the parent's bond under the left-most rule (§11.3). Honest responses are
tracked whether or not the agent posted them, so a correct claim posted by someone else is never
re-sent and never countered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from faultproof.game.params import GameParameters
from faultproof.game.positions import Position, attack, defend, gindex, index_at_depth, move, trace_index
from faultproof.game.tree import ZERO_ADDRESS, ClaimData
from faultproof.trace.provider import BlockNumberChallenge, StepData
from faultproof.trace.split import SplitTraceAccessor

ClaimId = tuple[int, bytes, int]
"""A claim's identity for the planner: ``(position, value, parentIndex)`` — the duplicate key of §4.4."""


class GameView(Protocol):
    """What the planner reads of a game: ``GameModel`` and ``GameSnapshot`` both provide it."""

    @property
    def params(self) -> GameParameters: ...

    @property
    def claims(self) -> Sequence[ClaimData]: ...

    @property
    def l2_block_number_challenged(self) -> bool: ...


@dataclass(frozen=True)
class Move:
    """Counter claim ``parent`` with ``value``: an attack, or a defense when ``is_attack`` is false."""

    parent: int
    is_attack: bool
    value: bytes

    def position(self, claims: Sequence[ClaimData]) -> Position:
        """Where the new claim lands."""
        return move(claims[self.parent].position, self.is_attack)


@dataclass(frozen=True)
class Step:
    """Counter the leaf ``claim`` (at ``MAX_GAME_DEPTH``) by executing one VM step on chain."""

    claim: int
    is_attack: bool
    data: StepData


@dataclass(frozen=True)
class ChallengeRootL2Block:
    """Prove the root's output commits to another block than the one it claims (§8)."""

    challenge: BlockNumberChallenge


Action = Move | Step | ChallengeRootL2Block


def claim_id(claim: ClaimData) -> ClaimId:
    return (claim.position, claim.claim, claim.parent_index)


def plan(game: GameView, trace: SplitTraceAccessor) -> list[Action]:
    """§15.3 ``plan(game)``: the honest side's outstanding actions, ancestors' first."""
    if game.l2_block_number_challenged:
        return []  # only resolution remains
    params, claims = game.params, game.claims
    root = claims[0]
    agree_root = trace.get(claims, 0, root.position) == root.claim
    if agree_root:
        challenge = trace.top.l2_block_number_challenge()
        if challenge is not None:
            return [ChallengeRootL2Block(challenge)]
    honest: set[ClaimId] = {claim_id(root)} if agree_root else set()
    counter_of: dict[ClaimId, ClaimId] = {}
    existing = {claim_id(claim) for claim in claims}

    def should_counter(claim: ClaimData) -> bool:
        if claim_id(claim) in honest:
            return False
        if claim.is_root:
            return True
        parent = claim_id(claims[claim.parent_index])
        if parent in honest:
            return True  # it counters one of ours
        counter = counter_of.get(parent)
        if counter is None:
            return False  # a subtree the honest side ignores
        # Freeloader rule: a sibling at or left of the honest counter would win the parent's bond.
        return trace_index(claim.position, params.max_game_depth) <= trace_index(
            counter[0], params.max_game_depth
        )

    actions: list[Action] = []
    for index, claim in enumerate(claims):
        if not should_counter(claim):
            continue
        agree = trace.get(claims, index, claim.position) == claim.claim
        if claim.depth == params.max_game_depth:
            if claim.countered_by != ZERO_ADDRESS:
                continue
            if agree:  # defend: step from the leaf's own state to the next claim's
                next_leaf = gindex(params.max_game_depth, index_at_depth(claim.position) + 1)
                actions.append(Step(index, False, trace.get_step_data(claims, index, next_leaf)))
            else:
                actions.append(Step(index, True, trace.get_step_data(claims, index, claim.position)))
            continue
        if agree and (claim.is_root or claim.depth == params.split_depth + 1):
            continue  # agreeing with a whole-trace claim means not moving (§6.1 row 4)
        position = defend(claim.position) if agree else attack(claim.position)
        counter = (position, trace.get(claims, index, position), index)
        honest.add(counter)
        counter_of[claim_id(claim)] = counter
        if counter not in existing:
            actions.append(Move(index, not agree, counter[1]))
    return actions


__all__ = ["Action", "ChallengeRootL2Block", "ClaimId", "GameView", "Move", "Step", "claim_id", "plan"]
