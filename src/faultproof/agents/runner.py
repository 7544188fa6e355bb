"""Running agents together on one chain until every game is over (spec: dispute-game.md §15–§16).

A run is a sequence of passes. In each pass every agent may do chain-wide work (a proposer creates
games), then each game's snapshot is shown to the agents that have something due in it, most
pressing first, each seeing the state its predecessors left. When a pass sends nothing, the runner
moves the chain's clock straight to the earliest second at which some agent wants to act — the
next clock expiry, the end of the airgap, the end of the WETH delay — by mining an empty block
then (``Chain.set_next_block_timestamp``: the embedded chain, or anvil's time methods over
JSON-RPC). A game of days of chain time therefore takes as many passes as it has turns.

The run ends when every game is resolved and every agent says it is finished with each (credits
collected); it raises ``RunStalled`` if nothing is left to wait for before then, or when the pass
or time limit is reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from faultproof.agents.base import Agent
from faultproof.agents.events import AgentEvent, EventKind, Observer, ignore
from faultproof.agents.interfaces import DISPUTE_GAME_FACTORY
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.chain.accounts import Address
from faultproof.chain.interface import Chain
from faultproof.errors import RunStalled

RUNNER = "runner"


@dataclass(frozen=True)
class RunResult:
    """How a run ended: the last snapshot of each game, the passes it took, its chain times."""

    games: dict[Address, GameSnapshot]
    passes: int
    started_at: int
    ended_at: int


class Runner:
    """Drives ``agents`` on ``chain`` over the games of ``factory`` and ``games``."""

    def __init__(
        self,
        chain: Chain,
        agents: Sequence[Agent],
        *,
        factory: bytes | str | None = None,
        games: Iterable[bytes | str] = (),
        reader: GameReader | None = None,
        max_passes: int = 10_000,
        time_limit: int | None = None,
        on_event: Observer | None = None,
    ) -> None:
        self.chain = chain
        self.agents = list(agents)
        self.factory = None if factory is None else chain.at(factory, DISPUTE_GAME_FACTORY)
        self.explicit_games = [Address(game) for game in games]
        self.reader = reader or GameReader(chain)
        self.max_passes = max_passes
        self.time_limit = time_limit
        self.on_event = on_event or ignore
        self.passes = 0
        self._factory_games: list[Address] = []
        self._snapshots: dict[Address, GameSnapshot] = {}

    # -- what there is ----------------------------------------------------------------------------

    def game_addresses(self) -> list[Address]:
        if self.factory is not None:
            for index in range(len(self._factory_games), self.factory.gameCount()):
                _, _, proxy = self.factory.gameAtIndex(index)
                self._factory_games.append(Address(proxy))
        return list(dict.fromkeys([*self.explicit_games, *self._factory_games]))

    def snapshot(self, address: Address) -> GameSnapshot:
        """The game now (re-read only when a block was mined since the last read)."""
        cached = self._snapshots.get(address)
        if cached is None or cached.block_number != self.chain.block_number:
            cached = self._snapshots[address] = self.reader.read(address)
        return cached

    def done(self) -> bool:
        addresses = self.game_addresses()
        if not addresses:
            return False
        for address in addresses:
            snapshot = self.snapshot(address)
            if snapshot.in_progress or not all(agent.finished(snapshot) for agent in self.agents):
                return False
        return True

    # -- running ----------------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Pass after pass until ``done``; the games' final snapshots."""
        started = self.chain.block().timestamp
        while not self.done():
            if self.passes >= self.max_passes:
                raise RunStalled(f"the games are not over after {self.passes} passes")
            now = self.chain.block().timestamp
            if self.time_limit is not None and now - started > self.time_limit:
                raise RunStalled(f"the games are not over after {now - started} s of chain time")
            self.run_pass()
        ended = self.chain.block().timestamp
        games = {address: self.snapshot(address) for address in self.game_addresses()}
        return RunResult(games, self.passes, started, ended)

    def run_pass(self) -> None:
        """Every due agent acts once; if none sent anything, time moves to the next wakeup."""
        self.passes += 1
        first_block = self.chain.block_number
        now = self.chain.block().timestamp
        for agent in self.agents:
            wakeup = agent.poll_wakeup(now)
            if wakeup is not None and wakeup <= now:
                agent.poll()
        for address in self.game_addresses():
            for agent in self._by_wakeup(address):
                snapshot = self.snapshot(address)
                wakeup = agent.wakeup(snapshot)
                if wakeup is not None and wakeup <= snapshot.now:
                    agent.act(snapshot)
        if self.chain.block_number == first_block and not self.done():
            self._advance()

    def _by_wakeup(self, address: Address) -> list[Agent]:
        snapshot = self.snapshot(address)
        wakeups = {id(agent): agent.wakeup(snapshot) for agent in self.agents}
        return sorted(self.agents, key=lambda agent: _order(wakeups[id(agent)]))

    def _advance(self) -> None:
        """Mine an empty block at the earliest future wakeup (one second on, if every agent that
        wants to act now did nothing: time is what it waits for)."""
        now = self.chain.block().timestamp
        wakeups = [agent.poll_wakeup(now) for agent in self.agents]
        for address in self.game_addresses():
            snapshot = self.snapshot(address)
            wakeups.extend(agent.wakeup(snapshot) for agent in self.agents)
        known = [wakeup for wakeup in wakeups if wakeup is not None]
        if not known:
            raise RunStalled("no agent has anything left to do, but the games are not over")
        future = [wakeup for wakeup in known if wakeup > now]
        target = min(future) if future else now + 1
        self.chain.set_next_block_timestamp(target)
        block = self.chain.mine()
        self.on_event(
            AgentEvent(
                EventKind.TIME_ADVANCED,
                RUNNER,
                time=block.timestamp,
                block_number=block.number,
                detail=f"+{block.timestamp - now} s",
            )
        )


def _order(wakeup: int | None) -> tuple[int, int]:
    return (1, 0) if wakeup is None else (0, wakeup)


__all__ = ["RunResult", "Runner"]
