"""What agents report as they play: one ``AgentEvent`` per transaction, skip or problem.

Agents never print; they hand each event to an observer (``on_event``), so the CLI can show moves
as they happen and tests can count them, without parsing logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from faultproof.chain.accounts import Address

WEI_PER_ETH = 10**18


class EventKind(StrEnum):
    """What happened."""

    GAME_CREATED = "game-created"  # a proposal: factory.create
    GAME_SKIPPED = "game-skipped"  # not a game the agent can judge (§15.2)
    MOVE = "move"
    STEP = "step"
    LOCAL_DATA = "local-data"  # addLocalData before a step
    PREIMAGE = "preimage"  # a global preimage part uploaded before a step
    BLOCK_CHALLENGE = "block-challenge"  # challengeRootL2Block
    RESOLVE_CLAIM = "resolve-claim"
    RESOLVE = "resolve"
    CREDIT_UNLOCKED = "credit-unlocked"  # first claimCredit: closes the game, unlocks the WETH
    CREDIT_WITHDRAWN = "credit-withdrawn"  # second claimCredit: the ETH is paid out
    GAME_DONE = "game-done"  # resolved and every credit collected: the agent stops watching it
    TOO_LATE = "too-late"  # a move not sent because its clock check would fail (§15.5)
    REVERTED = "reverted"  # a transaction the contract refused; ``detail`` is its reason
    FAILED = "failed"  # an action that could not be prepared (trace, preimage); ``detail`` says why
    UNREACHABLE = "unreachable"  # the chain or a contract cannot be reached; retried after a delay
    RECOVERED = "recovered"  # a transaction recorded before a crash, reconciled with the chain
    TIME_ADVANCED = "time-advanced"  # the runner moved a dev chain's clock to the next wakeup


TRANSACTION_KINDS = frozenset(
    {
        EventKind.GAME_CREATED,
        EventKind.MOVE,
        EventKind.STEP,
        EventKind.LOCAL_DATA,
        EventKind.PREIMAGE,
        EventKind.BLOCK_CHALLENGE,
        EventKind.RESOLVE_CLAIM,
        EventKind.RESOLVE,
        EventKind.CREDIT_UNLOCKED,
        EventKind.CREDIT_WITHDRAWN,
        EventKind.REVERTED,
    }
)


@dataclass(frozen=True)
class AgentEvent:
    """One thing an agent did or saw.

    ``claim_index`` is the claim acted on (a move's parent, a step's leaf, a resolved claim);
    ``position`` and ``value`` the new claim's (moves) or the stepped leaf's; ``gas`` the
    transaction's gas used and ``fee`` what it paid for gas (wei); ``bond`` the wei it sent with
    it; ``time`` the chain time the event happened at (the block's timestamp for a transaction).
    """

    kind: EventKind
    agent: str
    game: Address | None = None
    claim_index: int | None = None
    position: int | None = None
    value: bytes | None = None
    is_attack: bool | None = None
    recipient: Address | None = None
    gas: int | None = None
    fee: int = 0
    bond: int = 0
    time: int | None = None
    block_number: int | None = None
    transaction: bytes | None = None
    detail: str = ""

    def details(self, short: bool = False) -> list[str]:
        """What the event acted on, for a person: claim, stance, position, value (``short``: its
        first four and last two bytes), recipient, bond, gas and the detail."""
        parts = []
        if self.claim_index is not None:
            parts.append(f"claim {self.claim_index}")
        if self.is_attack is not None:
            parts.append("attack" if self.is_attack else "defend")
        if self.position is not None:
            parts.append(f"position {self.position}")
        if self.value is not None:
            parts.append(
                f"0x{self.value[:4].hex()}…{self.value[-2:].hex()}" if short else f"0x{self.value.hex()}"
            )
        if self.recipient is not None:
            parts.append(f"for {self.recipient}")
        if self.bond:
            parts.append(f"bond {self.bond / WEI_PER_ETH:.6g} ETH")
        if self.gas is not None:
            parts.append(f"gas {self.gas:,}")
        if self.detail:
            parts.append(self.detail)
        return parts

    def describe(self) -> str:
        """One line for a person: who did what, where."""
        game = [] if self.game is None else [f"game {self.game}"]
        return " ".join([self.agent, self.kind.value, *game, *self.details()])


Observer = Callable[[AgentEvent], None]
"""Receives every event as it happens."""


def ignore(_: AgentEvent) -> None:
    """The observer of an agent nobody watches."""


__all__ = ["TRANSACTION_KINDS", "AgentEvent", "EventKind", "Observer", "ignore"]
