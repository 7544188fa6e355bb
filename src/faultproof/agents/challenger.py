"""The honest challenger (spec: dispute-game.md §15).

Every pass it reads each game it watches and does what is due, deciding from chain state alone:

1. **Selection** (§15.2) — games of a type it has a trace for, created within its window, whose
   absolute prestate and starting output its trace agrees with; any other game is skipped once,
   with the reason, and never looked at again.
2. **Moves, steps and the block-number challenge** (§15.3, §15.4) — ``planner.plan`` over the
   snapshot and the game's trace, most urgent first (the claim whose clock runs out soonest). A
   move whose clock check would already fail when it lands is not sent (§15.5). Before a step
   reading a preimage part: ``addLocalData`` for a local key (always: it is idempotent), the
   oracle's loader for a global key the oracle does not hold yet.
3. **Resolution** (§15.6) — every claim whose challenger clock has run out and whose children are
   resolved, deepest first, each simulated before it is sent; then ``resolve()``.
4. **Credit** — ``claimCredit`` twice for itself and the configured addresses (the proposer).

Each transaction is recorded in the agent's store before it is sent and given its outcome after;
a pass first reconciles any transaction whose outcome a crash hid, so a restarted challenger
neither repeats nor misses a move (``store``). ``run`` is the loop for a real chain: a pass,
then a pause, with an unreachable node or a missing contract reported in one line and retried
with exponential backoff.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from faultproof.agents.base import CrashPoint, Player, no_crash
from faultproof.agents.credit import CreditCollector
from faultproof.agents.events import EventKind, Observer
from faultproof.agents.interfaces import DISPUTE_GAME_FACTORY, PREIMAGE_ORACLE
from faultproof.agents.planner import Action, ChallengeRootL2Block, Move, Step, plan
from faultproof.agents.retry import Backoff, with_backoff
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.agents.store import AgentStore, CreditPhase, GameState, TxState
from faultproof.agents.traces import TraceRegistry, default_traces
from faultproof.chain.accounts import Account, Address
from faultproof.chain.contract import Contract
from faultproof.chain.interface import Chain
from faultproof.errors import ChainError, ExecutionReverted, FaultproofError
from faultproof.game.local_context import exec_transition
from faultproof.game.positions import move
from faultproof.game.tree import ZERO_ADDRESS
from faultproof.ints import be64
from faultproof.onchain.oracle import step_part_upload
from faultproof.trace.provider import OracleDatum
from faultproof.trace.split import SplitTraceAccessor
from faultproof.vm.interface import StepProof

DEFAULT_BLOCK_TIME = 12  # seconds: mainnet L1's slot, and the embedded chain's block interval


DEFAULT_RESOLUTION_PAGE = 256
"""Children per ``resolveClaim`` page: each costs a few cold storage reads (≈ 7 k gas), so a page
stays near 2 M gas, far below any block's limit."""


@dataclass(frozen=True)
class ChallengerConfig:
    """What a challenger watches and how careful it is.

    ``game_types`` None means every type it has a trace for; ``game_window`` None every game, else
    only games created at most that many seconds ago (§15.2: it should cover both clocks, the
    extensions, the airgap and the WETH delay). ``collect_for`` are addresses it claims credit for
    besides its own. ``block_time`` bounds how long a transaction takes to land: a move is sent only
    if its clock check still passes that long after the latest block. ``resolution_page`` is the
    most children one ``resolveClaim`` transaction walks: a claim with more is resolved in pages
    (§11.1), so no number of children makes it too costly to resolve (§18 K7).
    """

    game_types: frozenset[int] | None = None
    game_window: int | None = None
    collect_for: tuple[Address, ...] = ()
    block_time: int = DEFAULT_BLOCK_TIME
    resolution_page: int = DEFAULT_RESOLUTION_PAGE


def action_key(action: Action) -> str:
    """An action's identity in the store: the same decision always has the same key."""
    if isinstance(action, Move):
        stance = "attack" if action.is_attack else "defend"
        return f"move:{action.parent}:{stance}:{action.value.hex()}"
    if isinstance(action, Step):
        return f"step:{action.claim}:{'attack' if action.is_attack else 'defend'}"
    return "block-challenge"


class HonestChallenger(Player):
    """Defends the truth in every game it watches (§15.1): the games on ``factory`` and ``games``."""

    def __init__(
        self,
        chain: Chain,
        account: Account,
        *,
        store: AgentStore | None = None,
        traces: TraceRegistry | None = None,
        factory: bytes | str | None = None,
        games: Iterable[bytes | str] = (),
        config: ChallengerConfig | None = None,
        trace_dir: Path | None = None,
        name: str = "challenger",
        reader: GameReader | None = None,
        on_event: Observer | None = None,
        crash: CrashPoint = no_crash,
    ) -> None:
        store = store or AgentStore(":memory:", chain.chain_id, str(account.address))
        super().__init__(name, chain, account, reader=reader, on_event=on_event, store=store, crash=crash)
        self.agent_store = store
        self.traces = default_traces() if traces is None else traces
        self.factory = None if factory is None else Address(factory)
        self.explicit_games = [Address(game) for game in games]
        self.config = config or ChallengerConfig()
        self.trace_dir = trace_dir
        self.collector = CreditCollector(self, [account.address, *self.config.collect_for])
        self._accessors: dict[Address, SplitTraceAccessor] = {}
        self._due: dict[Address, tuple[int, list[tuple[Action, str]]]] = {}
        self._factory_games: list[tuple[int, int, Address]] = []  # (type, created, address)
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._reported: set[tuple[Address, str]] = set()

    # -- which games ------------------------------------------------------------------------------

    def watched_games(self) -> list[Address]:
        """The games named at construction, and the factory's games of its types and window."""
        if self.factory is not None:
            factory = self.chain.at(self.factory, DISPUTE_GAME_FACTORY)
            for index in range(len(self._factory_games), factory.gameCount()):
                game_type, created, proxy = factory.gameAtIndex(index)
                self._factory_games.append((game_type, created, Address(proxy)))
        now = self.chain.block().timestamp
        found = [
            proxy
            for game_type, created, proxy in self._factory_games
            if self._wanted_type(game_type) and self._within_window(created, now)
        ]
        return list(dict.fromkeys([*self.explicit_games, *found]))

    def _wanted_type(self, game_type: int) -> bool:
        wanted = self.config.game_types
        return game_type in self.traces and (wanted is None or game_type in wanted)

    def _within_window(self, created_at: int, now: int) -> bool:
        return self.config.game_window is None or now - created_at <= self.config.game_window

    def _judges(self, snapshot: GameSnapshot) -> bool:
        """Whether the game is one to play (§15.2); a mismatch is recorded as a skip, once."""
        if not self._within_window(snapshot.created_at, snapshot.now):
            return False
        state = self.agent_store.game_state(str(snapshot.address))
        if state is not None:
            return False
        reason = None
        if not self._wanted_type(snapshot.game_type):
            reason = f"no trace for game type {snapshot.game_type}"
        else:
            reason = self.traces[snapshot.game_type].mismatch(snapshot)
        if reason is not None:
            self.agent_store.set_game_state(str(snapshot.address), GameState.SKIPPED, reason)
            self.emit(EventKind.GAME_SKIPPED, snapshot.address, time=snapshot.now, detail=reason)
            return False
        return True

    def trace(self, snapshot: GameSnapshot) -> SplitTraceAccessor:
        """The game's honest trace, built once (its bottom providers cache per exec subgame)."""
        accessor = self._accessors.get(snapshot.address)
        if accessor is None:
            folder = self._trace_folder(snapshot.address)
            accessor = self.traces[snapshot.game_type].accessor(snapshot, folder)
            self._accessors[snapshot.address] = accessor
        return accessor

    def _trace_folder(self, game: Address) -> Path:
        recorded = self.agent_store.trace_cache(str(game))
        if recorded is not None:
            return recorded
        root = self.trace_dir
        if root is None:
            if self.agent_store.path != ":memory:":
                root = Path(self.agent_store.path).parent / "traces"
            else:
                if self._temporary is None:
                    self._temporary = tempfile.TemporaryDirectory(prefix="faultproof-traces-")
                root = Path(self._temporary.name)
        folder = root / game.hex()
        self.agent_store.set_trace_cache(str(game), folder)
        return folder

    def _forget_trace(self, game: Address) -> None:
        """Delete a finished game's trace cache (§14.3: per-game data goes once it is paid out)."""
        self._accessors.pop(game, None)
        folder = self.agent_store.trace_cache(str(game))
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    # -- the agent interface ----------------------------------------------------------------------

    def act(self, snapshot: GameSnapshot) -> None:
        if not self._judges(snapshot):
            return
        self._reconcile(snapshot)
        if snapshot.in_progress:
            self._respond(snapshot)
            self._resolve(snapshot)
            return
        self.collector.collect(snapshot)
        if self.collector.done(snapshot):
            self._forget_trace(snapshot.address)
            self.agent_store.set_game_state(str(snapshot.address), GameState.DONE)
            self.emit(EventKind.GAME_DONE, snapshot.address, time=snapshot.now, detail=snapshot.status.name)

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        if not self._within_window(snapshot.created_at, snapshot.now):
            return None
        if self.agent_store.game_state(str(snapshot.address)) is not None:
            return None
        if not self._wanted_type(snapshot.game_type) or self.traces[snapshot.game_type].mismatch(snapshot):
            return snapshot.now  # act() records the skip
        if self.agent_store.pending(str(snapshot.address)):
            return snapshot.now
        if not snapshot.in_progress:
            if self.collector.done(snapshot):
                return snapshot.now  # act() records the game as done
            return self.collector.wakeup(snapshot)
        if self._due_actions(snapshot):
            return snapshot.now
        if snapshot.resolved_subgames[0]:
            return snapshot.now  # resolve()
        ready = _resolution_times(snapshot)
        return min((ready[i] for i, done in enumerate(snapshot.resolved_subgames) if not done), default=None)

    def finished(self, snapshot: GameSnapshot) -> bool:
        if not self._within_window(snapshot.created_at, snapshot.now):
            return True
        return self.agent_store.game_state(str(snapshot.address)) is not None

    # -- moves and steps --------------------------------------------------------------------------

    def _due_actions(self, snapshot: GameSnapshot) -> list[tuple[Action, str]]:
        """The planned actions not refused before and not too late, most urgent first (one plan
        per block: ``wakeup`` and ``act`` share it)."""
        cached = self._due.get(snapshot.address)
        if cached is not None and cached[0] == snapshot.block_number:
            return cached[1]
        try:
            planned = plan(snapshot, self.trace(snapshot))
        except FaultproofError as error:  # a trace that cannot answer: nothing to send in this game
            self._report_once(EventKind.FAILED, snapshot, str(error))
            planned = []
        due = []
        for action in sorted(planned, key=lambda action: _urgency(snapshot, action)):
            key = action_key(action)
            if self.agent_store.refused(str(snapshot.address), key):
                continue
            if isinstance(action, Move) and snapshot.resolvable(
                action.parent, snapshot.now + self.config.block_time
            ):
                expiry = snapshot.expiry(action.parent)
                self._report_once(
                    EventKind.TOO_LATE, snapshot, f"{key}: claim {action.parent} expires at {expiry}"
                )
                continue
            due.append((action, key))
        self._due[snapshot.address] = (snapshot.block_number, due)
        return due

    def _respond(self, snapshot: GameSnapshot) -> None:
        for action, key in self._due_actions(snapshot):
            try:
                if isinstance(action, Move):
                    self._move(snapshot, action, key)
                elif isinstance(action, Step):
                    self._step(snapshot, action, key)
                else:
                    self._challenge_block(snapshot, action, key)
            except ChainError:
                raise  # an outage: the pass stops, and is tried again
            except FaultproofError as error:  # a step whose data or preimage cannot be prepared
                self._report_once(EventKind.FAILED, snapshot, f"{key}: {error}")

    def _report_once(self, kind: EventKind, snapshot: GameSnapshot, detail: str) -> None:
        """Report what will not be sent, once (it is the same every pass)."""
        if (snapshot.address, detail) not in self._reported:
            self._reported.add((snapshot.address, detail))
            self.emit(kind, snapshot.address, time=snapshot.now, detail=detail)

    def _move(self, snapshot: GameSnapshot, action: Move, key: str) -> None:
        """Send the move unless earlier sends of this pass have used up its parent's clock (§15.5)."""
        if snapshot.resolvable(action.parent, self.chain.block().timestamp + self.config.block_time):
            expiry = snapshot.expiry(action.parent)
            self._report_once(
                EventKind.TOO_LATE, snapshot, f"{key}: claim {action.parent} expires at {expiry}"
            )
            return
        self.send_move(snapshot, action, key)

    def _step(self, snapshot: GameSnapshot, action: Step, key: str) -> None:
        datum = action.data.oracle
        if datum is None or self._load_part(snapshot, action.claim, datum):
            self.send_step(snapshot, action, key)

    def _load_part(self, snapshot: GameSnapshot, leaf: int, datum: OracleDatum) -> bool:
        """Put the part the step reads in the oracle (§15.4); whether it is there now."""
        if datum.is_local:  # always: addLocalData is idempotent and cheap (§15.4)
            return self.send_local_data(snapshot, leaf, datum) is not None
        oracle = self.chain.at(snapshot.oracle, PREIMAGE_ORACLE)
        if oracle.preimagePartOk(datum.key, datum.offset):
            return True
        stream = be64(len(datum.value)) + datum.value
        proof = StepProof(0, b"", b"", b"", b"", datum.key, stream, datum.offset)
        context = exec_transition(snapshot.claims, leaf, snapshot.params, snapshot.anchor_root).local_context
        upload = step_part_upload(proof, context, self.address)
        if upload is None:
            return True  # the step reads past the end: no part to load
        receipt = self.send(
            EventKind.PREIMAGE,
            getattr(oracle, upload.function),
            *upload.args,
            game=snapshot.address,
            action=f"preimage:{datum.key.hex()}:{datum.offset}",
            gas=upload.gas,
            claim_index=leaf,
            detail=f"{upload.function} key 0x{datum.key.hex()} offset {datum.offset}",
        )
        if receipt is None:
            return False
        self.agent_store.record_upload(str(snapshot.oracle), datum.key, datum.offset, str(snapshot.address))
        return True

    def _challenge_block(self, snapshot: GameSnapshot, action: ChallengeRootL2Block, key: str) -> None:
        game = self.game(snapshot.address)
        challenge = action.challenge
        self.send(
            EventKind.BLOCK_CHALLENGE,
            game.challengeRootL2Block,
            challenge.output_root_proof,
            challenge.header_rlp,
            game=snapshot.address,
            action=key,
            claim_index=0,
        )

    # -- resolution -------------------------------------------------------------------------------

    def _resolve(self, snapshot: GameSnapshot) -> None:
        """Resolve every claim that can be, deepest first, then the game (§15.6)."""
        game = self.game(snapshot.address)
        root_resolved = snapshot.resolved_subgames[0]
        for index in snapshot.resolution_order():
            resolved = self._resolve_claim(snapshot, game, index)
            root_resolved = root_resolved or (index == 0 and resolved)
        if root_resolved and _simulates(game.resolve.call, sender=self.account):
            self.send(EventKind.RESOLVE, game.resolve, game=snapshot.address, action="resolve")

    def _resolve_claim(self, snapshot: GameSnapshot, game: Contract, index: int) -> bool:
        """``resolveClaim(index, n)`` page after page of at most ``resolution_page`` children (the
        last page sends exactly what is left); whether the claim is resolved. A claim whose child
        failed to resolve in this pass fails its simulation and is left for the next."""
        page = self.config.resolution_page
        while True:
            left = game.getNumToResolve(index)
            count = left if left <= page else page
            if not _simulates(game.resolveClaim.call, index, count, sender=self.account):
                return False
            receipt = self.send(
                EventKind.RESOLVE_CLAIM,
                game.resolveClaim,
                index,
                count,
                game=snapshot.address,
                action=f"resolve-claim:{index}",
                claim_index=index,
                detail="" if left <= page else f"{count} of {left} children",
            )
            if receipt is None:
                return False
            if left <= page:
                return True

    # -- after a crash ----------------------------------------------------------------------------

    def _reconcile(self, snapshot: GameSnapshot) -> None:
        """Give every transaction recorded but never settled its outcome, from the chain."""
        for record in self.agent_store.pending(str(snapshot.address)):
            landed = self._landed(snapshot, record.action)
            state = TxState.TAKEN if landed else TxState.ABANDONED
            self.agent_store.record_outcome(record.id, state, detail="reconciled with the chain")
            outcome = "found on chain" if landed else "not on chain: planned again if still due"
            self.emit(
                EventKind.RECOVERED, snapshot.address, time=snapshot.now, detail=f"{record.action}: {outcome}"
            )

    def _landed(self, snapshot: GameSnapshot, action: str) -> bool:
        """Whether the effect of the action recorded as ``action`` is on chain."""
        kind, _, rest = action.partition(":")
        game = self.game(snapshot.address)
        if kind == "move":
            parent_text, stance, value = rest.split(":")
            parent = int(parent_text)
            position = move(snapshot.claims[parent].position, stance == "attack")
            wanted = (position, bytes.fromhex(value), parent)
            return any((c.position, c.claim, c.parent_index) == wanted for c in snapshot.claims)
        if kind == "step":
            return snapshot.claims[int(rest.split(":")[0])].countered_by != ZERO_ADDRESS
        if kind == "preimage":
            key, offset = rest.split(":")
            oracle = self.chain.at(snapshot.oracle, PREIMAGE_ORACLE)
            return bool(oracle.preimagePartOk(bytes.fromhex(key), int(offset)))
        if kind == "block-challenge":
            return snapshot.l2_block_number_challenged
        if kind == "resolve-claim":
            return snapshot.resolved_subgames[int(rest)]
        if kind == "resolve":
            return not snapshot.in_progress
        if kind == "claim-credit":
            phase, recipient_text = rest.split(":")
            recipient = Address(recipient_text)
            if not game.hasUnlockedCredit(recipient):
                return False
            if phase == "unlock":
                if self.collector.phase(snapshot.address, recipient) is None:
                    self.collector.set_phase(snapshot.address, recipient, CreditPhase.UNLOCKED, snapshot.now)
                return True
            if game.credit(recipient) == 0:
                self.collector.set_phase(snapshot.address, recipient, CreditPhase.DONE, None)
                return True
            return False
        return False  # local data: idempotent, sent again with its step if still due

    # -- the loop for a real chain ----------------------------------------------------------------

    def run_once(self) -> None:
        """One pass over every watched game."""
        for address in self.watched_games():
            self.act(self.reader.read(address))

    def run(
        self,
        *,
        poll_interval: float = DEFAULT_BLOCK_TIME,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stop: Callable[[], bool] | None = None,
        until_done: bool = False,
    ) -> None:
        """Pass after pass, ``poll_interval`` seconds apart, until ``stop()`` or (``until_done``)
        every watched game is finished. An outage is retried with ``backoff``; when its attempts
        run out the ``ChainError`` is raised."""
        policy = backoff or Backoff()
        while True:
            with_backoff(self.run_once, policy, self._report_outage, sleep)
            if stop is not None and stop():
                return
            if until_done and self._all_finished():
                return
            sleep(poll_interval)

    def _all_finished(self) -> bool:
        games = self.watched_games()
        return bool(games) and all(self.finished(self.reader.read(game)) for game in games)

    def _report_outage(self, error: ChainError, delay: float) -> None:
        self.emit(EventKind.UNREACHABLE, detail=f"{error}; retrying in {delay:g} s")


def _urgency(snapshot: GameSnapshot, action: Action) -> int:
    """When the claim an action answers stops being answerable: the soonest goes first."""
    if isinstance(action, Move):
        return snapshot.expiry(action.parent)
    if isinstance(action, Step):
        return snapshot.expiry(action.claim)
    return snapshot.now


def _resolution_times(snapshot: GameSnapshot) -> list[int]:
    """When each claim can be resolved at the earliest: its clock has run out and so have those of
    all its descendants (children first: they have larger indices)."""
    ready = [max(snapshot.now, snapshot.expiry(index)) for index in range(len(snapshot.claims))]
    for index in reversed(range(1, len(snapshot.claims))):
        parent = snapshot.claims[index].parent_index
        ready[parent] = max(ready[parent], ready[index])
    return ready


def _simulates(call: Callable[..., object], *args: object, **options: object) -> bool:
    """Whether a call succeeds on the latest state (a transaction then lands on a later one)."""
    try:
        call(*args, **options)
    except ExecutionReverted:
        return False
    return True


__all__ = ["DEFAULT_BLOCK_TIME", "ChallengerConfig", "HonestChallenger", "action_key"]
