"""What every agent is: something that looks at each game and may act on it (dispute-game.md §15–§16).

An ``Agent`` is driven pass by pass — by the runner on a test or demo chain, by its own loop on a
real one. Each pass it may do chain-wide work (``poll``: a proposer creates games) and then is
shown each game's fresh snapshot (``act``). ``wakeup`` says when it next wants to act on a game
(a chain time; ``snapshot.now`` for "now", None for "not unless something changes"), so a runner
can move time straight to the next interesting second; ``finished`` says it has nothing more to
do for a game that is resolved.

A ``Player`` is an agent with an account: it sends transactions through ``send``, which records
each one in the agent's store before and after (when it has one), reports it as an event, and
turns a revert into a ``REVERTED`` event carrying the contract's reason.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from faultproof.agents.events import AgentEvent, EventKind, Observer, ignore
from faultproof.agents.planner import Move, Step
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.agents.store import AgentStore, TxState
from faultproof.chain.accounts import Account, Address
from faultproof.chain.contract import Contract, ContractFunction
from faultproof.chain.interface import PRIORITY_FEE, Chain, Receipt
from faultproof.errors import ExecutionReverted
from faultproof.game.bonds import required_bond
from faultproof.game.errors import GameRuleError
from faultproof.trace.provider import OracleDatum

CrashPoint = Callable[[str], None]
"""Called with ``"before-send"`` (intent recorded, nothing sent) and ``"after-send"`` (mined, outcome
not yet recorded): tests raise there to simulate a crash at the two dangerous instants."""


def no_crash(_: str) -> None:
    """Production: nothing happens between recording and sending."""


class Agent(ABC):
    """One participant in the games on a chain."""

    name: str

    def poll(self) -> None:  # noqa: B027 — most agents have no chain-wide work
        """Chain-wide work of a pass, before the games are shown (a proposer creates games here)."""

    def poll_wakeup(self, now: int) -> int | None:
        """When ``poll`` next has something to do; None: never by itself."""
        return None

    @abstractmethod
    def act(self, snapshot: GameSnapshot) -> None:
        """Look at one game and send what is due."""

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        """The earliest chain time at which ``act`` has something to do for this game."""
        return None

    def finished(self, snapshot: GameSnapshot) -> bool:
        """Whether the agent has nothing left to do in this game, ever."""
        return not snapshot.in_progress


class Player(Agent):
    """An agent that sends transactions from ``account``."""

    def __init__(
        self,
        name: str,
        chain: Chain,
        account: Account,
        *,
        reader: GameReader | None = None,
        on_event: Observer | None = None,
        store: AgentStore | None = None,
        crash: CrashPoint = no_crash,
    ) -> None:
        self.name = name
        self.chain = chain
        self.account = account
        self.reader = reader or GameReader(chain)
        self.on_event = on_event or ignore
        self.store = store
        self.crash = crash
        self.fees = 0  # wei spent on gas so far
        self.events: list[AgentEvent] = []
        self.reverts: list[str] = []  # the reasons of its refused transactions, in order

    @property
    def address(self) -> Address:
        return self.account.address

    def game(self, address: bytes | str) -> Contract:
        return self.reader.handle(address)

    def emit(self, kind: EventKind, game: Address | None = None, **fields: Any) -> AgentEvent:
        event = AgentEvent(kind, self.name, game, **fields)
        self.events.append(event)
        self.on_event(event)
        return event

    def send(
        self,
        kind: EventKind,
        function: ContractFunction,
        *args: Any,
        game: Address | None = None,
        action: str | None = None,
        bond: int = 0,
        gas: int | None = None,
        learned: Callable[[Receipt], dict[str, Any]] | None = None,
        **event_fields: Any,
    ) -> Receipt | None:
        """Send ``function(*args)`` with ``bond`` wei; the receipt, or None if it reverted.

        With a store and an ``action`` key, the intent is recorded before sending and the outcome
        after. A revert is recorded, reported as ``REVERTED`` with the contract's reason, and not
        raised; an unreachable chain raises ``ChainError`` and leaves the intent to be reconciled.
        ``learned(receipt)`` adds event fields known only once it landed (a new game's address).
        """
        record = self.store if self.store is not None and action is not None else None
        game_key = str(game) if game is not None else str(function.contract.address)
        tx_id = record.record_intent(game_key, action or "", kind) if record is not None else None
        self.crash("before-send")
        try:
            receipt = function.transact(*args, sender=self.account, value=bond, gas=gas)
        except ExecutionReverted as reverted:
            failed = reverted.receipt if isinstance(reverted.receipt, Receipt) else None
            fee, time = self._cost(failed)
            self.fees += fee
            reason = reverted.reason or str(reverted)
            self.reverts.append(reason)
            if record is not None and tx_id is not None:
                record.record_outcome(
                    tx_id,
                    TxState.REVERTED,
                    tx_hash=failed.transaction_hash if failed else None,
                    block_number=failed.block_number if failed else None,
                    gas_used=failed.gas_used if failed else None,
                    fee=fee,
                    detail=reason,
                )
            self.emit(
                EventKind.REVERTED,
                game,
                gas=failed.gas_used if failed else None,
                fee=fee,
                time=time,
                block_number=failed.block_number if failed else None,
                transaction=failed.transaction_hash if failed else None,
                detail=f"{function.name}: {reason}",
                **{k: v for k, v in event_fields.items() if k != "detail"},
            )
            return None
        fee, time = self._cost(receipt)
        self.fees += fee
        self.crash("after-send")
        if record is not None and tx_id is not None:
            record.record_outcome(
                tx_id,
                TxState.LANDED,
                tx_hash=receipt.transaction_hash,
                block_number=receipt.block_number,
                gas_used=receipt.gas_used,
                fee=fee,
            )
        if learned is not None:
            event_fields = {**event_fields, **learned(receipt)}
        self.emit(
            kind,
            event_fields.pop("game", game),
            gas=receipt.gas_used,
            fee=fee,
            bond=bond,
            time=time,
            block_number=receipt.block_number,
            transaction=receipt.transaction_hash,
            **event_fields,
        )
        return receipt

    # -- the game's actions ----------------------------------------------------------------------

    def send_move(self, snapshot: GameSnapshot, move: Move, action: str | None = None) -> Receipt | None:
        """``move(disputed, parentIndex, claim, isAttack)`` with exactly the bond the new position
        needs (none past the deepest level, where the move reverts ``GameDepthExceeded``)."""
        parent = snapshot.claims[move.parent]
        position = move.position(snapshot.claims)
        try:
            bond = required_bond(position, snapshot.params.max_game_depth)
        except GameRuleError:
            bond = 0
        game = self.game(snapshot.address)
        return self.send(
            EventKind.MOVE,
            game.move,
            parent.claim,
            move.parent,
            move.value,
            move.is_attack,
            game=snapshot.address,
            action=action,
            bond=bond,
            claim_index=move.parent,
            position=position,
            value=move.value,
            is_attack=move.is_attack,
        )

    def send_local_data(self, snapshot: GameSnapshot, leaf: int, datum: OracleDatum) -> Receipt | None:
        """``addLocalData`` of the local input a step at ``leaf`` reads (idempotent, §7.5)."""
        return self.send(
            EventKind.LOCAL_DATA,
            self.game(snapshot.address).addLocalData,
            datum.local_ident,
            leaf,
            datum.offset,
            game=snapshot.address,
            action=f"local-data:{datum.local_ident}:{leaf}:{datum.offset}",
            claim_index=leaf,
            detail=f"ident {datum.local_ident} at offset {datum.offset}",
        )

    def send_step(self, snapshot: GameSnapshot, step: Step, action: str | None = None) -> Receipt | None:
        """``step(claimIndex, isAttack, stateData, proof)``; the part it reads must be loaded first."""
        leaf = snapshot.claims[step.claim]
        return self.send(
            EventKind.STEP,
            self.game(snapshot.address).step,
            step.claim,
            step.is_attack,
            step.data.pre_state,
            step.data.proof,
            game=snapshot.address,
            action=action,
            claim_index=step.claim,
            position=leaf.position,
            value=leaf.claim,
            is_attack=step.is_attack,
        )

    def _cost(self, receipt: Receipt | None) -> tuple[int, int | None]:
        """The wei a mined transaction paid for gas, and its block's timestamp.

        Transactions offer twice the base fee plus the priority fee, more than any next block's
        base fee, so each pays its block's base fee plus the priority fee per gas.
        """
        if receipt is None:
            return 0, None
        block = self.chain.block(receipt.block_number)
        return receipt.gas_used * (block.base_fee + PRIORITY_FEE), block.timestamp


__all__ = ["Agent", "CrashPoint", "Player", "no_crash"]
