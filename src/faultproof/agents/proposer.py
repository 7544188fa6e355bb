"""The proposer (spec: dispute-game.md §16).

Each pass, unless it created a game within ``proposal_interval``, it proposes the output root of
the latest L2 block it can: the newest block its source calls final, capped at the furthest the
game can represent (``anchorBlock + 2^SPLIT``, §2.2) and after the anchor. A proposal that already
exists (``factory.games``) is not made again, so a restart never duplicates one. It does not play:
challengers defend its games (and should collect its credit, §15.6); it collects its own as well,
for the games it created.
"""

from __future__ import annotations

from collections.abc import Callable

from faultproof.agents.base import Player
from faultproof.agents.credit import CreditCollector
from faultproof.agents.events import EventKind, Observer
from faultproof.agents.interfaces import ANCHOR_STATE_REGISTRY, DISPUTE_GAME_FACTORY, FAULT_DISPUTE_GAME
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.agents.store import AgentStore
from faultproof.chain.accounts import Account, Address
from faultproof.chain.interface import Chain
from faultproof.trace.outputs import OutputSource

BLOCK_WORD = 32  # extraData = BE32(l2BlockNumber) (§4.3)


class Proposer(Player):
    """Proposes ``outputs`` for games of ``game_type`` on ``factory``.

    ``latest_block()`` is the newest L2 block to propose (finalized, or safe if so configured).
    ``max_proposals`` stops it after that many games (None: never), e.g. one game in a demo.
    """

    def __init__(
        self,
        chain: Chain,
        account: Account,
        factory: bytes | str,
        outputs: OutputSource,
        latest_block: Callable[[], int],
        *,
        game_type: int,
        proposal_interval: int = 3_600,
        max_proposals: int | None = None,
        store: AgentStore | None = None,
        name: str = "proposer",
        reader: GameReader | None = None,
        on_event: Observer | None = None,
    ) -> None:
        super().__init__(name, chain, account, reader=reader, on_event=on_event, store=store)
        self.factory = chain.at(factory, DISPUTE_GAME_FACTORY)
        self.outputs = outputs
        self.latest_block = latest_block
        self.game_type = game_type
        self.proposal_interval = proposal_interval
        self.max_proposals = max_proposals
        self.created: list[Address] = []
        self.last_proposal: int | None = None
        self.collector = CreditCollector(self, [account.address])

    # -- proposing --------------------------------------------------------------------------------

    def poll(self) -> None:
        now = self.chain.block().timestamp
        if self.poll_wakeup(now) != now:
            return
        block = self.next_block()
        if block is None:
            return
        root = self.outputs.output_root(block)
        extra = block.to_bytes(BLOCK_WORD, "big")
        existing, _ = self.factory.games(self.game_type, root, extra)
        if Address(existing) != Address(bytes(20)):
            return  # proposed already (by us before a restart, or by someone else)
        receipt = self.send(
            EventKind.GAME_CREATED,
            self.factory.create,
            self.game_type,
            root,
            extra,
            bond=self.factory.initBonds(self.game_type),
            action=f"create:{self.game_type}:{block}:{root.hex()}",
            learned=lambda _: {"game": Address(self.factory.games(self.game_type, root, extra)[0])},
            value=root,
            detail=f"L2 block {block}",
        )
        if receipt is None:
            return
        proxy, _ = self.factory.games(self.game_type, root, extra)
        self.created.append(Address(proxy))
        self.last_proposal = self.chain.block(receipt.block_number).timestamp

    def poll_wakeup(self, now: int) -> int | None:
        if self.max_proposals is not None and len(self.created) >= self.max_proposals:
            return None
        if self.last_proposal is None:
            return now
        return max(now, self.last_proposal + self.proposal_interval)

    def next_block(self) -> int | None:
        """The block to propose: the latest final one, within reach of the anchor (§2.2)."""
        implementation = self.chain.at(self.factory.gameImpls(self.game_type), FAULT_DISPUTE_GAME)
        registry = self.chain.at(implementation.anchorStateRegistry(), ANCHOR_STATE_REGISTRY)
        _, anchor_block = registry.getAnchorRoot()
        block = min(self.latest_block(), anchor_block + (1 << implementation.splitDepth()))
        return block if block > anchor_block else None

    # -- collecting -------------------------------------------------------------------------------

    def act(self, snapshot: GameSnapshot) -> None:
        if snapshot.creator == self.address:
            self.collector.collect(snapshot)

    def wakeup(self, snapshot: GameSnapshot) -> int | None:
        if snapshot.creator != self.address:
            return None
        return self.collector.wakeup(snapshot)

    def finished(self, snapshot: GameSnapshot) -> bool:
        return snapshot.creator != self.address or self.collector.done(snapshot)


__all__ = ["Proposer"]
