"""The honest challenger's response algorithm of dispute-game.md §15.3, for tests of the game rules.

A faithful transcription of the spec's ``plan`` over ``GameModel`` and a ``SplitTraceAccessor``; the
agents package will have its own (with a chain, a store and retries). Used to play whole alphabet
games against adversaries and check the honest side's invariants (§15.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from faultproof.game import alphabet
from faultproof.game.bonds import DEFAULT_INIT_BOND, required_bond
from faultproof.game.clocks import max_game_duration
from faultproof.game.model import GameModel
from faultproof.game.params import GameParameters
from faultproof.game.positions import attack, defend, gindex, index_at_depth, move, trace_index
from faultproof.game.tree import ZERO_ADDRESS, ClaimData
from faultproof.trace.outputs import AlphabetOutputs, OutputSource, OutputTraceProvider
from faultproof.trace.provider import StepData
from faultproof.trace.split import BottomFactory, SplitTraceAccessor, alphabet_bottom

HONEST = b"\x11" * 20
ADVERSARY = b"\xad" * 20
ANCHOR_BLOCK = 1_000

ClaimId = tuple[int, bytes, int]  # (position, value, parentIndex)


@dataclass(frozen=True)
class Move:
    parent: int
    is_attack: bool
    value: bytes


@dataclass(frozen=True)
class Step:
    claim: int
    is_attack: bool
    data: StepData


def claim_id(claim: ClaimData) -> ClaimId:
    return (claim.position, claim.claim, claim.parent_index)


def plan(model: GameModel, trace: SplitTraceAccessor) -> list[Move | Step]:
    """§15.3 ``plan(game)``, minus the block-number challenge (alphabet outputs have none)."""
    if model.l2_block_number_challenged:
        return []
    params, claims = model.params, model.claims
    honest: set[ClaimId] = set()
    counter_of: dict[ClaimId, ClaimId] = {}
    existing = {claim_id(claim) for claim in claims}
    if trace.get(claims, 0, claims[0].position) == claims[0].claim:
        honest.add(claim_id(claims[0]))

    def should_counter(index: int) -> bool:
        claim = claims[index]
        if claim_id(claim) in honest:
            return False
        if claim.is_root or claim_id(claims[claim.parent_index]) in honest:
            return True
        counter = counter_of.get(claim_id(claims[claim.parent_index]))
        if counter is None:
            return False
        return trace_index(claim.position, params.max_game_depth) <= trace_index(
            counter[0], params.max_game_depth
        )

    actions: list[Move | Step] = []
    for index, claim in enumerate(claims):
        if not should_counter(index):
            continue
        agree = trace.get(claims, index, claim.position) == claim.claim
        if claim.depth == params.max_game_depth:
            if claim.countered_by != ZERO_ADDRESS:
                continue
            if agree:
                next_leaf = gindex(params.max_game_depth, index_at_depth(claim.position) + 1)
                actions.append(Step(index, False, trace.get_step_data(claims, index, next_leaf)))
            else:
                actions.append(Step(index, True, trace.get_step_data(claims, index, claim.position)))
            continue
        if agree and (claim.is_root or claim.depth == params.split_depth + 1):
            continue
        position = defend(claim.position) if agree else attack(claim.position)
        counter = (position, trace.get(claims, index, position), index)
        honest.add(counter)
        counter_of[claim_id(claim)] = counter
        if counter not in existing:
            actions.append(Move(index, not agree, counter[1]))
    return actions


def perform(model: GameModel, action: Move | Step, sender: bytes, now: int) -> None:
    """Send one action: a move with its exact bond, or a step after loading the local data it reads."""
    if isinstance(action, Move):
        parent = model.claims[action.parent]
        bond = required_bond(move(parent.position, action.is_attack), model.params.max_game_depth)
        model.move(parent.claim, action.parent, action.value, action.is_attack, sender, bond, now)
        return
    datum = action.data.oracle
    if datum is not None and datum.is_local:
        model.add_local_data(datum.local_ident, action.claim, datum.offset)
    model.step(action.claim, action.is_attack, action.data.pre_state, action.data.proof, sender)


def respond(model: GameModel, trace: SplitTraceAccessor, now: int, sender: bytes = HONEST) -> int:
    """Play every planned action (a few passes, as new claims of its own need no answer); how many."""
    played = 0
    while actions := plan(model, trace):
        for action in actions:
            perform(model, action, sender, now)
        played += len(actions)
    return played


def resolve_all(model: GameModel, now: int) -> None:
    """§15.6: resolve every claim bottom-up (children have larger indices), then the game."""
    for index in reversed(range(len(model.claims))):
        model.resolve_claim(index, 0, now)
    model.resolve(now)


def alphabet_game(
    params: GameParameters,
    root_claim: bytes | None = None,
    l2_block_number: int | None = None,
    proposer: bytes = HONEST,
) -> GameModel:
    """A game of the alphabet chain created at t = 0; the honest root by default."""
    block = ANCHOR_BLOCK + (1 << params.split_depth) if l2_block_number is None else l2_block_number
    return GameModel(
        params,
        alphabet.AlphabetVM(params.exec_trace_length).step,
        root_claim=alphabet.output_root(block) if root_claim is None else root_claim,
        l2_block_number=block,
        anchor_root=alphabet.output_root(ANCHOR_BLOCK),
        anchor_block=ANCHOR_BLOCK,
        creator=proposer,
        init_bond=DEFAULT_INIT_BOND,
        now=0,
    )


def accessor(
    model: GameModel, outputs: OutputSource | None = None, bottom: BottomFactory | None = None
) -> SplitTraceAccessor:
    """The honest trace of an alphabet game (or another player's view, with other sources)."""
    params = model.params
    top = OutputTraceProvider(
        AlphabetOutputs() if outputs is None else outputs,
        params.split_depth,
        model.anchor_block,
        model.anchor_root,
        model.l2_block_number,
    )
    return SplitTraceAccessor(params, top, alphabet_bottom(params.exec_depth) if bottom is None else bottom)


def game_over(model: GameModel) -> int:
    """A second at which every claim of the model's game is resolvable (§9.4)."""
    return model.created_at + max_game_duration(model.params)
