"""Collecting bonds after a game resolves (spec: dispute-game.md §10.6, §11.4, §15.6).

Credit leaves a game in two transactions per recipient, both ``claimCredit(recipient)`` and both
sendable by anyone: the first, once the game is finalized (the airgap after ``resolve`` has
passed), closes the game and unlocks the recipient's credit in ``DelayedWETH``; the second, after
the WETH delay, withdraws it and pays the recipient. A recipient with nothing deposited and
nothing won is skipped; one whose credit turns out zero after unlocking needs no second call.

Each call is simulated before it is sent, so an unfinished airgap or delay costs nothing; the
collector remembers (in the agent's store, if it has one) when it unlocked, so it knows when the
delay ends even after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faultproof.agents.base import Player
from faultproof.agents.events import EventKind
from faultproof.agents.interfaces import ANCHOR_STATE_REGISTRY, DELAYED_WETH
from faultproof.agents.snapshot import GameSnapshot
from faultproof.agents.store import CreditPhase, CreditRecord
from faultproof.chain.accounts import Address
from faultproof.chain.contract import Contract
from faultproof.chain.interface import Receipt
from faultproof.errors import ExecutionReverted


@dataclass
class _Delays:
    finality: int | None  # None: the registry does not say; poll by simulation
    weth: int


class CreditCollector:
    """Collects the credit of ``recipients`` from resolved games, sending as ``player``."""

    def __init__(self, player: Player, recipients: Sequence[Address]) -> None:
        self.player = player
        self.recipients = tuple(dict.fromkeys(Address(r) for r in recipients))
        self._phases: dict[tuple[Address, Address], CreditRecord] = {}
        self._delays: dict[Address, _Delays] = {}

    # -- state ------------------------------------------------------------------------------------

    def phase(self, game: Address, recipient: Address) -> CreditRecord | None:
        key = (game, recipient)
        if key not in self._phases and self.player.store is not None:
            stored = self.player.store.credit(str(game), str(recipient))
            if stored is not None:
                self._phases[key] = stored
        return self._phases.get(key)

    def set_phase(
        self, game: Address, recipient: Address, phase: CreditPhase, unlocked_at: int | None
    ) -> None:
        self._phases[(game, recipient)] = CreditRecord(phase, unlocked_at)
        if self.player.store is not None:
            self.player.store.set_credit(str(game), str(recipient), phase, unlocked_at)

    def done(self, snapshot: GameSnapshot) -> bool:
        """Every recipient's credit in this resolved game is collected (or there was none)."""
        if snapshot.in_progress:
            return False
        return all(self._settled(snapshot, recipient) for recipient in self.recipients)

    def _settled(self, snapshot: GameSnapshot, recipient: Address) -> bool:
        record = self.phase(snapshot.address, recipient)
        return record is not None and record.phase == CreditPhase.DONE

    def delays(self, snapshot: GameSnapshot) -> _Delays:
        if snapshot.address not in self._delays:
            chain = self.player.chain
            weth_delay = chain.at(snapshot.weth, DELAYED_WETH).delay()
            try:
                registry = chain.at(snapshot.anchor_state_registry, ANCHOR_STATE_REGISTRY)
                finality = registry.disputeGameFinalityDelaySeconds()
            except ExecutionReverted:
                finality = None
            self._delays[snapshot.address] = _Delays(finality, weth_delay)
        return self._delays[snapshot.address]

    # -- acting -----------------------------------------------------------------------------------

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        """When the next claimCredit of this game can succeed."""
        if snapshot.in_progress:
            return None
        delays = self.delays(snapshot)
        times = []
        for recipient in self.recipients:
            record = self.phase(snapshot.address, recipient)
            if record is None:
                if delays.finality is None:
                    times.append(snapshot.now)
                else:  # finalized once strictly more than the delay has passed (§13)
                    times.append(max(snapshot.now, snapshot.resolved_at + delays.finality + 1))
            elif record.phase == CreditPhase.UNLOCKED:
                unlocked_at = snapshot.now if record.unlocked_at is None else record.unlocked_at
                times.append(max(snapshot.now, unlocked_at + delays.weth))
        return min(times, default=None)

    def collect(self, snapshot: GameSnapshot) -> None:
        """Send each recipient's due claimCredit (simulated first)."""
        if snapshot.in_progress:
            return
        game = self.player.game(snapshot.address)
        for recipient in self.recipients:
            record = self.phase(snapshot.address, recipient)
            if record is None:
                if game.normalModeCredit(recipient) == 0 and game.refundModeCredit(recipient) == 0:
                    self.set_phase(snapshot.address, recipient, CreditPhase.DONE, None)
                elif game.hasUnlockedCredit(recipient):  # unlocked by someone else, or before a crash
                    self.set_phase(snapshot.address, recipient, CreditPhase.UNLOCKED, snapshot.now)
                else:  # closes the game and unlocks, once the game is finalized
                    receipt = self._claim_credit(
                        snapshot, game, recipient, EventKind.CREDIT_UNLOCKED, "unlock"
                    )
                    if receipt is not None:
                        unlocked_at = self.player.chain.block(receipt.block_number).timestamp
                        self.set_phase(snapshot.address, recipient, CreditPhase.UNLOCKED, unlocked_at)
            elif record.phase == CreditPhase.UNLOCKED:
                if game.credit(recipient) == 0:
                    self.set_phase(snapshot.address, recipient, CreditPhase.DONE, record.unlocked_at)
                    continue
                unlocked_at = snapshot.now if record.unlocked_at is None else record.unlocked_at
                if snapshot.now < unlocked_at + self.delays(snapshot).weth:
                    continue  # a withdrawal before the WETH delay reverts
                receipt = self._claim_credit(
                    snapshot, game, recipient, EventKind.CREDIT_WITHDRAWN, "withdraw"
                )
                if receipt is not None:
                    self.set_phase(snapshot.address, recipient, CreditPhase.DONE, record.unlocked_at)

    def _claim_credit(
        self, snapshot: GameSnapshot, game: Contract, recipient: Address, kind: EventKind, phase: str
    ) -> Receipt | None:
        """``claimCredit(recipient)`` if a simulation on the latest state succeeds."""
        try:
            game.claimCredit.call(recipient, sender=self.player.account)
        except ExecutionReverted:
            return None  # not finalized, or the WETH delay has not passed
        return self.player.send(
            kind,
            game.claimCredit,
            recipient,
            game=snapshot.address,
            action=f"claim-credit:{phase}:{recipient}",
            recipient=recipient,
        )


__all__ = ["CreditCollector"]
