"""Adversaries for testing the honest challenger (spec: dispute-game.md §15.7, §18).

Each is a small agent with the same shape as the honest one — ``act(snapshot)`` sends what it
chose, ``wakeup`` says when — and each lies in one way:

==================  ==============================================================================
``Liar``            plays the §15.3 algorithm over a wrong view of the truth: wrong output roots
                    (``LyingOutputs``: the wrong root, wrong midpoints), outputs of the wrong blocks
                    (``ShiftedOutputs``), an execution trace of the wrong block (``LyingTrace``) or
                    one that goes wrong from a chosen step on (``WrongStatesTrace``)
``ClockStaller``    a liar that sends every move at the last second its clock allows (§18 K1, K2);
                    it leaves the steps (which have no clock) to others
``LateMover``       a liar that sends every move at the first second its clock forbids: each
                    should revert ``ClockTimeExceeded`` (§18 K9)
``RandomMover``     random legal-looking moves: any claim, either stance, true or garbage values
``Freeloader``      counters beside other players' counters: left of a defense, or at the same
                    position with another value (§18 K4)
``Duplicator``      re-posts existing claims: each should revert ``ClaimAlreadyExists`` (§18 K17)
``WrongStance``     exec roots whose status byte contradicts the mover's stance: each should revert
                    ``UnexpectedRootClaim`` (§6.3, §18 K10)
==================  ==============================================================================

A wrong root or a wrong block number is a ``Proposer`` whose output source lies (``LyingOutputs``,
``ShiftedOutputs``), usually with a ``Liar`` of the same view to defend it. Randomness comes from a
seed. An adversary never sends the same action twice, and collects its own credit at the end, so
a test can account for every wei.
"""

from __future__ import annotations

import random
import tempfile
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from faultproof.agents.base import Player
from faultproof.agents.credit import CreditCollector
from faultproof.agents.events import Observer
from faultproof.agents.planner import Action, Move, Step, plan
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.agents.traces import GameTraces, alphabet_traces
from faultproof.chain.accounts import Account, Address
from faultproof.chain.interface import Chain
from faultproof.crypto import keccak256
from faultproof.errors import FaultproofError
from faultproof.game import alphabet
from faultproof.game.positions import attack, defend, depth, move
from faultproof.game.split import exec_root_statuses
from faultproof.preimage.keys import typed
from faultproof.trace.alphabet import AlphabetTraceProvider
from faultproof.trace.outputs import OutputSource
from faultproof.trace.provider import TraceProvider
from faultproof.trace.split import BottomFactory, ExecInputs, SplitTraceAccessor
from faultproof.vm.status import VMStatus

# -- wrong views ------------------------------------------------------------------------------------


class LyingOutputs(OutputSource):
    """Alphabet output roots that are wrong at ``wrong_blocks``: a wrong view of L2."""

    def __init__(self, wrong_blocks: frozenset[int] | set[int]) -> None:
        self.wrong_blocks = frozenset(wrong_blocks)

    def output_root(self, block: int) -> bytes:
        if block in self.wrong_blocks:
            return keccak256(b"wrong output" + block.to_bytes(8, "big"))
        return alphabet.output_root(block)


class ShiftedOutputs(OutputSource):
    """The true output roots of the wrong blocks: block ``n`` answered with ``O(n + shift)`` from
    ``first_block`` on (before it, the truth)."""

    def __init__(self, shift: int, first_block: int = 0) -> None:
        self.shift = shift
        self.first_block = first_block

    def output_root(self, block: int) -> bytes:
        return alphabet.output_root(block + self.shift if block >= self.first_block else block)


class LyingTrace(AlphabetTraceProvider):
    """An execution trace consistent with a wrong view: states of block ``D + shift``, and a final
    status that accepts the disputed output iff the liar's outputs say so."""

    def __init__(self, inputs: ExecInputs, exec_depth: int, outputs: OutputSource, shift: int) -> None:
        super().__init__(inputs.claimed_block + shift, inputs.claimed_output, exec_depth)
        self.believed_valid = inputs.claimed_output == outputs.output_root(inputs.claimed_block)

    def get(self, position: int) -> bytes:
        claim = super().get(position)
        if self.trace_index(position) < self.trace_length - 1:
            return claim
        return bytes([VMStatus.VALID if self.believed_valid else VMStatus.INVALID]) + claim[1:]


class WrongStatesTrace(LyingTrace):
    """The true execution trace up to ``from_step``, wrong states from there (the final status is
    still the liar's belief)."""

    def __init__(self, inputs: ExecInputs, exec_depth: int, outputs: OutputSource, from_step: int) -> None:
        super().__init__(inputs, exec_depth, outputs, 0)
        self.from_step = from_step

    def get(self, position: int) -> bytes:
        claim = super().get(position)
        after = self.trace_index(position) + 1
        if after < self.from_step:
            return claim
        return typed(claim[0], keccak256(b"wrong state" + claim))


def lying_bottom(exec_depth: int, outputs: OutputSource, shift: int = 0) -> BottomFactory:
    def make(inputs: ExecInputs) -> TraceProvider:
        return LyingTrace(inputs, exec_depth, outputs, shift)

    return make


def wrong_states_bottom(exec_depth: int, outputs: OutputSource, from_step: int) -> BottomFactory:
    def make(inputs: ExecInputs) -> TraceProvider:
        return WrongStatesTrace(inputs, exec_depth, outputs, from_step)

    return make


def lying_traces(
    outputs: OutputSource | None = None, *, shift: int = 0, wrong_from_step: int | None = None
) -> GameTraces:
    """An alphabet view that is wrong where ``outputs`` is, with an execution trace of the block
    ``shift`` away, or wrong from step ``wrong_from_step`` on."""
    source = outputs or LyingOutputs(frozenset())

    def bottom(snapshot: GameSnapshot, _: Path) -> BottomFactory:
        depth_k = snapshot.params.exec_depth
        if wrong_from_step is not None:
            return wrong_states_bottom(depth_k, source, wrong_from_step)
        return lying_bottom(depth_k, source, shift)

    return GameTraces(alphabet.ABSOLUTE_PRESTATE, source, bottom)


# -- the adversaries --------------------------------------------------------------------------------


class Adversary(Player):
    """An agent that sends the actions ``choose`` picks, each at most once, within ``max_actions``."""

    def __init__(
        self,
        chain: Chain,
        account: Account,
        *,
        view: GameTraces | None = None,
        seed: int = 0,
        max_actions: int | None = None,
        name: str | None = None,
        reader: GameReader | None = None,
        on_event: Observer | None = None,
    ) -> None:
        super().__init__(name or type(self).__name__, chain, account, reader=reader, on_event=on_event)
        self.view = view or alphabet_traces()
        self.rng = random.Random(seed)
        self.max_actions = max_actions
        self.sent = 0
        self.attempted: set[tuple[Address, Action]] = set()
        self.collector = CreditCollector(self, [account.address])
        self._accessors: dict[Address, SplitTraceAccessor] = {}
        self._cache = Path(tempfile.gettempdir()) / "faultproof-adversary-traces"

    def accessor(self, snapshot: GameSnapshot) -> SplitTraceAccessor:
        if snapshot.address not in self._accessors:
            self._accessors[snapshot.address] = self.view.accessor(snapshot, self._cache)
        return self._accessors[snapshot.address]

    def choose(self, snapshot: GameSnapshot) -> list[Action]:
        """The actions it would take now, in order (it filters those already tried)."""
        return []

    def pending(self, snapshot: GameSnapshot) -> list[Action]:
        if not snapshot.in_progress or self.exhausted:
            return []
        try:
            chosen = self.choose(snapshot)
        except FaultproofError:
            return []  # its view cannot answer here
        return [action for action in chosen if (snapshot.address, action) not in self.attempted]

    @property
    def exhausted(self) -> bool:
        return self.max_actions is not None and self.sent >= self.max_actions

    def act(self, snapshot: GameSnapshot) -> None:
        if not snapshot.in_progress:
            self.collector.collect(snapshot)
            return
        for action in self.pending(snapshot):
            if self.exhausted:
                return
            self.perform(snapshot, action)

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        if not snapshot.in_progress:
            return self.collector.wakeup(snapshot)
        return snapshot.now if self.pending(snapshot) else None

    def finished(self, snapshot: GameSnapshot) -> bool:
        return self.collector.done(snapshot)

    def perform(self, snapshot: GameSnapshot, action: Action) -> None:
        """Send one action (a move with the exact bond; a step after its local data, if any)."""
        self.attempted.add((snapshot.address, action))
        self.sent += 1
        if isinstance(action, Move):
            self.send_move(snapshot, action)
        elif isinstance(action, Step):
            datum = action.data.oracle
            if datum is not None and datum.is_local:
                self.send_local_data(snapshot, action.claim, datum)
            self.send_step(snapshot, action)


class Liar(Adversary):
    """Plays the honest algorithm over its own wrong view (§15.3 with a wrong trace)."""

    def choose(self, snapshot: GameSnapshot) -> list[Action]:
        return plan(snapshot, self.accessor(snapshot))


class TimedLiar(Liar):
    """A liar whose moves each land at a chosen second, set on a dev chain's clock: ``landing``."""

    @abstractmethod
    def landing(self, snapshot: GameSnapshot, action: Move) -> int:
        """The second at which ``action`` is to land."""

    def pending(self, snapshot: GameSnapshot) -> list[Action]:
        return [action for action in super().pending(snapshot) if isinstance(action, Move)]

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        if not snapshot.in_progress:
            return self.collector.wakeup(snapshot)
        times = [self.landing(snapshot, a) - 1 for a in self.pending(snapshot) if isinstance(a, Move)]
        return max(snapshot.now, min(times)) if times else None

    def act(self, snapshot: GameSnapshot) -> None:
        if not snapshot.in_progress:
            self.collector.collect(snapshot)
            return
        moves = [action for action in self.pending(snapshot) if isinstance(action, Move)]
        for chosen in sorted(moves, key=lambda action: self.landing(snapshot, action)):
            if self.exhausted:
                return
            landing = self.landing(snapshot, chosen)
            latest = self.chain.block().timestamp
            if landing - latest > 2:
                continue  # not yet
            if landing > latest:
                self.chain.set_next_block_timestamp(landing)
            self.perform(snapshot, chosen)


class ClockStaller(TimedLiar):
    """A liar whose every move lands at the last second its clock allows (``expiry - 1``)."""

    def landing(self, snapshot: GameSnapshot, action: Move) -> int:
        return snapshot.expiry(action.parent) - 1


class LateMover(TimedLiar):
    """A liar whose every move lands at the first second its clock forbids (``expiry``)."""

    def landing(self, snapshot: GameSnapshot, action: Move) -> int:
        return snapshot.expiry(action.parent)


class RandomMover(Adversary):
    """Each turn (``max_turns`` of them), with probability ``chance``, one random move: any claim
    above the deepest level, either stance, the true value or garbage with any status byte."""

    def __init__(
        self, chain: Chain, account: Account, *, chance: float = 0.5, max_turns: int = 8, **options: Any
    ) -> None:
        super().__init__(chain, account, **options)
        self.chance = chance
        self.turns_left = max_turns

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        if not snapshot.in_progress:
            return self.collector.wakeup(snapshot)
        return snapshot.now if self.turns_left > 0 and not self.exhausted else None

    def act(self, snapshot: GameSnapshot) -> None:
        if not snapshot.in_progress:
            self.collector.collect(snapshot)
            return
        if self.turns_left <= 0:
            return
        self.turns_left -= 1
        if self.rng.random() >= self.chance:
            return
        action = self.random_move(snapshot)
        if action is not None and (snapshot.address, action) not in self.attempted:
            self.perform(snapshot, action)

    def random_move(self, snapshot: GameSnapshot) -> Move | None:
        params = snapshot.params
        open_claims = [i for i, c in enumerate(snapshot.claims) if c.depth < params.max_game_depth]
        if not open_claims:
            return None
        parent = self.rng.choice(open_claims)
        is_attack = parent == 0 or self.rng.random() < 0.5
        position = move(snapshot.claims[parent].position, is_attack)
        if self.rng.random() < 0.5:
            try:
                value = self.accessor(snapshot).get(snapshot.claims, parent, position)
            except FaultproofError:
                return None
        else:
            value = bytes([self.rng.randrange(4)]) + self.rng.randbytes(31)
        return Move(parent, is_attack, value)


class Freeloader(Adversary):
    """Posts beside other players' counters: an attack left of each defense, and the same move
    with another value; at most ``max_actions`` in all."""

    def __init__(
        self, chain: Chain, account: Account, *, victims: Sequence[Address] = (), **options: Any
    ) -> None:
        super().__init__(chain, account, **options)
        self.victims = frozenset(Address(victim) for victim in victims)

    def choose(self, snapshot: GameSnapshot) -> list[Action]:
        chosen: list[Action] = []
        for claim in snapshot.claims[1:]:
            if claim.claimant == self.address or (self.victims and claim.claimant not in self.victims):
                continue
            parent = snapshot.claims[claim.parent_index]
            garbage = typed(claim.claim[0], keccak256(b"freeloader" + claim.claim))
            is_attack = claim.position == attack(parent.position)
            chosen.append(Move(claim.parent_index, is_attack, garbage))  # same position, another value
            if claim.position == defend(parent.position):
                chosen.append(Move(claim.parent_index, True, garbage))  # left of the defense
        return chosen


class Duplicator(Adversary):
    """Re-posts other players' claims exactly: each must revert ``ClaimAlreadyExists``."""

    def choose(self, snapshot: GameSnapshot) -> list[Action]:
        chosen: list[Action] = []
        for claim in snapshot.claims[1:]:
            if claim.claimant == self.address:
                continue
            parent = snapshot.claims[claim.parent_index]
            chosen.append(Move(claim.parent_index, claim.position == attack(parent.position), claim.claim))
        return chosen


class WrongStance(Adversary):
    """Exec roots whose status byte contradicts the stance of their move (§6.3): against every
    output at the split depth, each stance with each forbidden status. All must revert."""

    def choose(self, snapshot: GameSnapshot) -> list[Action]:
        params = snapshot.params
        chosen: list[Action] = []
        for index, claim in enumerate(snapshot.claims):
            if depth(claim.position) != params.split_depth:
                continue
            for is_attack in (True, False):
                allowed = exec_root_statuses(claim.position, is_attack, params.split_depth)
                body = keccak256(b"wrong stance" + claim.claim + bytes([is_attack]))
                chosen.extend(
                    Move(index, is_attack, typed(status, body))
                    for status in VMStatus
                    if status not in allowed
                )
        return chosen


__all__ = [
    "Adversary",
    "ClockStaller",
    "Duplicator",
    "Freeloader",
    "LateMover",
    "Liar",
    "LyingOutputs",
    "LyingTrace",
    "RandomMover",
    "ShiftedOutputs",
    "WrongStance",
    "WrongStatesTrace",
    "lying_bottom",
    "lying_traces",
    "wrong_states_bottom",
]
