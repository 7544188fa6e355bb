"""Which states a step compares, and when it counters (spec: dispute-game.md §7.1–§7.3).

A claim at ``MAX_GAME_DEPTH`` is countered only by executing one VM step on chain. An attack step
re-executes the step that should have produced the claim (from the claim committing to the step
before, or the absolute prestate for the first); a defense step executes from the claim itself and
compares with the claim committing to the step after. Both neighbours are found by the bounded
trace-ancestor walk, which never leaves the claim's own execution subgame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faultproof.crypto import keccak256
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters
from faultproof.game.positions import Position, depth, index_at_depth, move, trace_ancestor_bounded
from faultproof.game.tree import ClaimData, find_ancestor


@dataclass(frozen=True)
class StepStates:
    """The claims a step at a leaf compares (§7.2).

    ``pre_state`` is the commitment the step's ``stateData`` must hash to (byte 0 aside);
    ``pre_index`` is the claim holding it, or None when it is the absolute prestate. The VM's
    output is compared with ``claims[post_index]``.
    """

    pre_state: bytes
    pre_index: int | None
    post_index: int


def step_position(parent_position: int, is_attack: bool, params: GameParameters) -> Position:
    """The (never stored) position of a step: ``InvalidParent`` unless the parent is at ``MAX``."""
    position = move(parent_position, is_attack)
    if depth(position) != params.max_game_depth + 1:
        raise GameRuleError(
            GameError.INVALID_PARENT,
            f"a step counters a claim at depth {params.max_game_depth}, not {depth(parent_position)}",
        )
    return position


def is_first_step(step_pos: int, params: GameParameters) -> bool:
    """Whether an attack step re-executes its subgame's first step (local trace index ``t' = 0``)."""
    return index_at_depth(step_pos) % (1 << (params.max_game_depth - params.split_depth)) == 0


def step_states(
    claims: Sequence[ClaimData], claim_index: int, is_attack: bool, params: GameParameters
) -> StepStates:
    """The pre-state and post-state claim of a step against ``claims[claim_index]`` (§7.2)."""
    parent = claims[claim_index]
    step_pos = step_position(parent.position, is_attack, params)
    if is_attack:
        if is_first_step(step_pos, params):
            return StepStates(params.absolute_prestate, None, claim_index)
        pre_position = trace_ancestor_bounded(parent.position - 1, params.split_depth)
        pre_index = find_ancestor(claims, parent.parent_index, pre_position)
        return StepStates(claims[pre_index].claim, pre_index, claim_index)
    post_position = trace_ancestor_bounded(parent.position + 1, params.split_depth)
    return StepStates(parent.claim, claim_index, find_ancestor(claims, parent.parent_index, post_position))


def check_prestate(state_data: bytes, pre_state: bytes) -> None:
    """``InvalidPrestate`` unless ``stateData`` hashes to the pre-state claim (status byte aside)."""
    if keccak256(state_data)[1:] != pre_state[1:]:
        raise GameRuleError(
            GameError.INVALID_PRESTATE,
            f"state data hashes to 0x{keccak256(state_data).hex()}, not the pre-state",
        )


def step_counters(parent_position: int, post_position: int, vm_output: bytes, post_claim: bytes) -> bool:
    """Whether a step with this VM output counters the parent (§7.3): ``agree ≠ valid``.

    The post-state claim is either the parent (``agree``: the step shows the leaf is not the
    successor of its predecessor when the output differs) or a claim at the next trace index
    (opposing team: the step shows the leaf leads to the claim it argued against).
    """
    valid = vm_output == post_claim
    agree = (depth(parent_position) - depth(post_position)) % 2 == 0
    return agree != valid


__all__ = ["StepStates", "check_prestate", "is_first_step", "step_counters", "step_position", "step_states"]
