"""Games on the contracts, mirrored on ``GameModel`` (dispute-game.md §4–§11).

``Mirror`` sends every call to both a deployed game (through the factory) and the Python model,
at the same second, and holds them to the same outcome: the same revert reason, or the same new
state. ``check_state`` compares everything the contract lets one read — claims, clocks, counters,
checkpoints, credits, status — with the model's. The game contracts are deployed by
``faultproof.onchain.games.deploy_game_system``, the way agents and the CLI deploy them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from faultproof.agents.planner import Action, ChallengeRootL2Block, Move, Step
from faultproof.chain import Account, Chain, EmbeddedChain, Receipt, dev_accounts
from faultproof.crypto import keccak256
from faultproof.errors import ExecutionReverted, PreimagePartUnavailable, StepFailure
from faultproof.game import alphabet
from faultproof.game.bonds import required_bond
from faultproof.game.clocks import max_game_duration
from faultproof.game.configs import UNIT
from faultproof.game.errors import GameRuleError
from faultproof.game.model import GameModel
from faultproof.game.params import GameParameters
from faultproof.game.positions import depth, move
from faultproof.game.resolution import Checkpoint
from faultproof.game.split import exec_root_statuses
from faultproof.onchain.games import DEFAULT_L2_CHAIN_ID, GameSetup, GameSystem, deploy_game_system
from honest_play import accessor, plan
from test_game_play import LyingOutputs, lying_bottom

ANCHOR_BLOCK = 1_000
ANCHOR_ROOT = alphabet.output_root(ANCHOR_BLOCK)

PROPOSER, HONEST, LIAR, RIVAL = dev_accounts()[1:5]
LIE = keccak256(b"a lie")

ORACLE_MISSING_PART = "pre-image must exist"  # PreimageOracle.readPreimage's revert
ALPHABET_BAD_STATE = "alphabet state data is neither the prestate nor 64 bytes"
OUT_OF_RANGE = None  # an index past an array: a revert without data


def alphabet_system(
    params: GameParameters, chain: Chain | None = None, anchor_block: int = ANCHOR_BLOCK, **options: Any
) -> GameSystem:
    """One alphabet game type on a fresh embedded chain (or ``chain``), anchored at the alphabet
    output of ``anchor_block`` (§17.5)."""
    return deploy_game_system(
        chain or EmbeddedChain(),
        [GameSetup(params, "alphabet")],
        anchor_root=alphabet.output_root(anchor_block),
        anchor_block=anchor_block,
        challenge_period=params.challenge_period,
        **options,
    )


def revert_reason(call: Callable[[], object]) -> str | None:
    """The reason a call reverts with ("()" of a custom error dropped); fails if it succeeds."""
    try:
        call()
    except ExecutionReverted as error:
        return None if error.reason is None else error.reason.removesuffix("()")
    raise AssertionError("the call did not revert")


def model_reason(error: Exception) -> str | None:
    """The contract's revert reason for an exception the model raises for the same call."""
    if isinstance(error, GameRuleError):
        return error.reason.value
    if isinstance(error, PreimagePartUnavailable):
        return ORACLE_MISSING_PART
    if isinstance(error, StepFailure):
        return ALPHABET_BAD_STATE
    return OUT_OF_RANGE  # IndexError


MODEL_ERRORS = (GameRuleError, PreimagePartUnavailable, StepFailure, IndexError)


@dataclass
class Outcome:
    """What one mirrored call did: its receipt, or the revert reason both sides gave."""

    receipt: Receipt | None
    reason: str | None

    @property
    def reverted(self) -> bool:
        return self.receipt is None


class Mirror:
    """One game created through the factory and the same game on ``GameModel``."""

    def __init__(
        self,
        system: GameSystem,
        params: GameParameters,
        creator: Account,
        *,
        root_claim: bytes | None = None,
        l2_block_number: int | None = None,
    ) -> None:
        anchor_root, anchor_block = system.anchor_state_registry.getAnchorRoot()
        block = anchor_block + (1 << params.split_depth) if l2_block_number is None else l2_block_number
        root = alphabet.output_root(block) if root_claim is None else root_claim
        self.system = system
        self.chain = system.chain
        self.params = params
        self.game = system.create_game(params.game_type, root, block, creator)
        self.model = GameModel(
            params,
            alphabet.AlphabetVM(params.exec_trace_length).step,
            root_claim=root,
            l2_block_number=block,
            anchor_root=anchor_root,
            anchor_block=anchor_block,
            creator=creator.address,
            init_bond=system.factory.initBonds(params.game_type),
            now=self.game.createdAt(),
            l1_head=self.game.l1Head(),
            l2_chain_id=DEFAULT_L2_CHAIN_ID,
            address=self.game.address,
        )
        self.now = self.game.createdAt()
        self.addresses = {account.address for account in self.chain.accounts}
        self.receipts: list[Receipt] = []  # of every mirrored call that succeeded

    # -- time ---------------------------------------------------------------------------------------

    def wait(self, seconds: int) -> None:
        """Let ``seconds`` pass before the next call (no block is mined until then)."""
        self.now += seconds

    def wait_until(self, timestamp: int) -> None:
        self.now = max(self.now, timestamp)

    def settle(self) -> int:
        """Mine an empty block at ``now`` (if time moved), so views see it; the time views see."""
        if self.now > self.chain.block().timestamp:
            self.chain.set_next_block_timestamp(self.now)
            self.chain.mine()
        return self.chain.block().timestamp

    # -- mirrored calls -----------------------------------------------------------------------------

    def mirror(self, on_model: Callable[[int], object], on_chain: Callable[[], Receipt]) -> Outcome:
        """Run a call on the model and as a transaction mined at ``now`` (at least one second after
        the last block); both must revert with the same reason or both succeed."""
        timestamp = max(self.now, self.chain.block().timestamp + 1)
        self.now = timestamp
        self.chain.set_next_block_timestamp(timestamp)
        try:
            on_model(timestamp)
            expected = None
            failed = False
        except MODEL_ERRORS as error:
            expected = model_reason(error)
            failed = True
        try:
            receipt = on_chain()
        except ExecutionReverted as error:
            reason = None if error.reason is None else error.reason.removesuffix("()")
            assert failed, f"the contract reverted ({reason}), the model did not"
            assert reason == expected, f"the contract reverted with {reason}, the model with {expected}"
            return Outcome(None, reason)
        assert not failed, f"the model refused ({expected}), the contract did not"
        self.receipts.append(receipt)
        return Outcome(receipt, None)

    def bond(self, parent: int, is_attack: bool) -> int:
        """``getRequiredBond`` of a move against claim ``parent`` (0 where none exists: it reverts anyway)."""
        if parent >= len(self.model.claims):
            return 0
        position = move(self.model.claims[parent].position, is_attack)
        if position.bit_length() - 1 > self.params.max_game_depth:
            return 0
        return required_bond(position, self.params.max_game_depth)

    def move(
        self,
        parent: int,
        is_attack: bool,
        value: bytes,
        sender: Account,
        *,
        disputed: bytes | None = None,
        bond: int | None = None,
    ) -> Outcome:
        if disputed is None:
            disputed = self.model.claims[parent].claim if parent < len(self.model.claims) else bytes(32)
        bond = self.bond(parent, is_attack) if bond is None else bond
        return self.mirror(
            lambda now: self.model.move(disputed, parent, value, is_attack, sender.address, bond, now),
            lambda: self.game.move(disputed, parent, value, is_attack, sender=sender, value=bond),
        )

    def step(self, index: int, is_attack: bool, state_data: bytes, proof: bytes, sender: Account) -> Outcome:
        return self.mirror(
            lambda now: self.model.step(index, is_attack, state_data, proof, sender.address),
            lambda: self.game.step(index, is_attack, state_data, proof, sender=sender),
        )

    def add_local_data(self, ident: int, index: int, offset: int, sender: Account) -> Outcome:
        return self.mirror(
            lambda now: self.model.add_local_data(ident, index, offset),
            lambda: self.game.addLocalData(ident, index, offset, sender=sender),
        )

    def challenge_root_l2_block(
        self, proof: tuple[bytes, bytes, bytes, bytes], header: bytes, sender: Account
    ) -> Outcome:
        return self.mirror(
            lambda now: self.model.challenge_root_l2_block(proof, header, sender.address),
            lambda: self.game.challengeRootL2Block(proof, header, sender=sender),
        )

    def resolve_claim(self, index: int, num_to_resolve: int, sender: Account) -> Outcome:
        return self.mirror(
            lambda now: self.model.resolve_claim(index, num_to_resolve, now),
            lambda: self.game.resolveClaim(index, num_to_resolve, sender=sender),
        )

    def resolve(self, sender: Account) -> Outcome:
        return self.mirror(lambda now: self.model.resolve(now), lambda: self.game.resolve(sender=sender))

    def perform(self, action: Action, sender: Account) -> Outcome:
        """A planner action, as ``honest_play.perform`` sends it to the model (local data first)."""
        if isinstance(action, ChallengeRootL2Block):
            challenge = action.challenge
            return self.challenge_root_l2_block(challenge.output_root_proof, challenge.header_rlp, sender)
        if isinstance(action, Move):
            return self.move(action.parent, action.is_attack, action.value, sender)
        assert isinstance(action, Step)
        datum = action.data.oracle
        if datum is not None and datum.is_local:
            self.add_local_data(datum.local_ident, action.claim, datum.offset, sender)
        return self.step(action.claim, action.is_attack, action.data.pre_state, action.data.proof, sender)

    def descend(
        self,
        parent: int,
        moves: Iterable[bool],
        senders: tuple[Account, Account],
        values: Mapping[int, bytes] | None = None,
    ) -> list[int]:
        """Moves from claim ``parent``, attacks and defenses in order, each against the last; returns
        the new indices. A claim's value is ``values[position]`` if given, else a value tagged with its
        position — with a status byte §6.3 allows when it is an exec root. Claims at even depths are
        sent by ``senders[0]``, at odd depths by ``senders[1]``."""
        indices = []
        for is_attack in moves:
            position = move(self.model.claims[parent].position, is_attack)
            value = (values or {}).get(position) or self.tagged_value(parent, position, is_attack)
            outcome = self.move(parent, is_attack, value, senders[depth(position) % 2])
            assert not outcome.reverted, f"move to {position}: {outcome.reason}"
            parent = len(self.model.claims) - 1
            indices.append(parent)
        return indices

    def tagged_value(self, parent: int, position: int, is_attack: bool) -> bytes:
        value = keccak256(b"claim at" + position.to_bytes(16, "big"))
        if depth(position) == self.params.split_depth + 1:
            parent_position = self.model.claims[parent].position
            status = min(exec_root_statuses(parent_position, is_attack, self.params.split_depth))
            return bytes([status]) + value[1:]
        return value

    def honest_value(self, parent: int, position: int) -> bytes:
        """The alphabet chain's true claim at ``position`` below claim ``parent`` (§17.4, §17.5)."""
        return accessor(self.model).get(self.model.claims, parent, position)

    def resolve_all(self, sender: Account) -> None:
        """Every claim bottom-up at the §9.4 bound, then the game."""
        self.wait_until(self.model.created_at + max_game_duration(self.params))
        for index in reversed(range(len(self.model.claims))):
            assert not self.resolve_claim(index, 0, sender).reverted
        assert not self.resolve(sender).reverted

    # -- state --------------------------------------------------------------------------------------

    def check_state(self, addresses: Iterable[bytes] = ()) -> None:
        """Every view of the contract equals the model's (§19), for the dev accounts and ``addresses``."""
        game, model = self.game, self.model
        assert game.claimDataLen() == len(model.claims)
        for index, claim in enumerate(model.claims):
            assert game.claimData(index) == (
                claim.parent_index,
                claim.countered_by,
                claim.claimant,
                claim.bond,
                claim.claim,
                claim.position,
                claim.clock.raw(),
            ), f"claim {index}"
            assert game.resolvedSubgames(index) == (index in model.resolution.resolved)
            assert game.getNumToResolve(index) == model.resolution.num_to_resolve(index)
            checkpoint = model.resolution.checkpoints.get(index, Checkpoint())
            assert game.resolutionCheckpoints(index) == (
                checkpoint.initial_checkpoint_complete,
                checkpoint.subgame_index,
                checkpoint.leftmost_position,
                checkpoint.countered_by,
            )
            for child_number, child in enumerate(model.children[index]):
                assert game.subgames(index, child_number) == child
        assert game.status() == model.status
        assert game.resolvedAt() == model.resolved_at
        assert game.l2BlockNumberChallenged() == model.l2_block_number_challenged
        normal = model.resolution.normal_mode_credit
        for address in self.addresses | set(addresses) | {c.claimant for c in model.claims}:
            assert game.normalModeCredit(address) == normal.get(address, 0)
            assert game.refundModeCredit(address) == model.refund_mode_credit.get(address, 0)


def lying_game(system: GameSystem, params: GameParameters = UNIT) -> Mirror:
    """A game whose root is a lie, proposed by ``LIAR``."""
    return Mirror(system, params, LIAR, root_claim=LIE)


def play_out(mirror: Mirror, liar_shift: int = 1, wrong_blocks: frozenset[int] | None = None) -> Step | None:
    """A consistent liar (the proposer's wrong outputs and trace) against the honest side, until the
    honest side's next action is a step, which is returned (None if the game ends without one). The
    liar only moves: its steps, against right claims, could only revert."""
    block = mirror.model.l2_block_number
    outputs = LyingOutputs(frozenset({block}) if wrong_blocks is None else wrong_blocks)
    honest = accessor(mirror.model)
    liar = accessor(mirror.model, outputs, lying_bottom(mirror.params.exec_depth, outputs, liar_shift))
    while True:
        liar_actions = [action for action in plan(mirror.model, liar) if isinstance(action, Move)]
        for action in liar_actions:
            mirror.perform(action, LIAR)
        actions = plan(mirror.model, honest)
        steps = [action for action in actions if isinstance(action, Step)]
        if steps:
            return steps[0]
        for action in actions:
            assert not mirror.perform(action, HONEST).reverted
        if not liar_actions and not actions:
            return None


def leaf_to_step_on(system: GameSystem) -> tuple[Mirror, Step]:
    """A UNIT game bisected by a consistent liar down to a leaf of its own, to be attacked with a
    step from the absolute prestate (its subgame's first step)."""
    block = ANCHOR_BLOCK + (1 << UNIT.split_depth)
    mirror = Mirror(system, UNIT, LIAR, root_claim=LyingOutputs(frozenset({block})).output_root(block))
    step = play_out(mirror)
    assert step is not None
    return mirror, step


__all__ = [
    "ALPHABET_BAD_STATE",
    "ANCHOR_BLOCK",
    "ANCHOR_ROOT",
    "HONEST",
    "LIAR",
    "LIE",
    "ORACLE_MISSING_PART",
    "PROPOSER",
    "RIVAL",
    "Mirror",
    "Outcome",
    "alphabet_system",
    "leaf_to_step_on",
    "lying_game",
    "model_reason",
    "play_out",
    "revert_reason",
]
