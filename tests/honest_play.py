"""Playing whole games on ``GameModel`` with the honest challenger's planner (dispute-game.md §15.3).

The planner itself is ``faultproof.agents.planner.plan`` (the one the challenger runs against
contracts); these helpers send its actions to the Python model, resolve games and build alphabet
games and their traces, so the rule tests can play thousands of games without a chain.
"""

from __future__ import annotations

from faultproof.agents.planner import Action, ChallengeRootL2Block, ClaimId, Move, Step, claim_id, plan
from faultproof.game import alphabet
from faultproof.game.bonds import DEFAULT_INIT_BOND, required_bond
from faultproof.game.clocks import max_game_duration
from faultproof.game.model import GameModel
from faultproof.game.params import GameParameters
from faultproof.game.positions import move
from faultproof.trace.outputs import AlphabetOutputs, OutputSource, OutputTraceProvider
from faultproof.trace.split import BottomFactory, SplitTraceAccessor, alphabet_bottom

HONEST = b"\x11" * 20
ADVERSARY = b"\xad" * 20
ANCHOR_BLOCK = 1_000


def perform(model: GameModel, action: Action, sender: bytes, now: int) -> None:
    """Send one action: a move with its exact bond, or a step after loading the local data it reads."""
    if isinstance(action, ChallengeRootL2Block):
        challenge = action.challenge
        model.challenge_root_l2_block(challenge.output_root_proof, challenge.header_rlp, sender)
        return
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


__all__ = [
    "ADVERSARY",
    "ANCHOR_BLOCK",
    "HONEST",
    "Action",
    "ClaimId",
    "Move",
    "Step",
    "accessor",
    "alphabet_game",
    "claim_id",
    "game_over",
    "perform",
    "plan",
    "resolve_all",
    "respond",
]
