"""Whole games between agents on a deployed game system, and the checks every such game must pass.

A ``Table`` is one alphabet game system on a chain with named seats (dev accounts): the owner,
the proposer, the honest challenger and up to seven adversaries. ``adversary(kind, …)`` builds
each dishonest player of dispute-game.md §15.7 from a short name; ``check_outcome`` holds a
finished run to §15.1 — the honest side wins, gets back every bond it posted plus the bond of
every claim it countered, every wei deposited is paid out, every claim was resolvable within the
clock bound of §9.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from faultproof.agents import (
    AgentEvent,
    ChallengerConfig,
    ClockStaller,
    Duplicator,
    Freeloader,
    HonestChallenger,
    LateMover,
    Liar,
    LyingOutputs,
    Player,
    Proposer,
    RandomMover,
    Runner,
    RunResult,
    ShiftedOutputs,
    WrongStance,
    lying_traces,
)
from faultproof.agents.adversaries import Adversary
from faultproof.agents.snapshot import GameSnapshot
from faultproof.agents.store import AgentStore
from faultproof.chain import Account, Address, Chain
from faultproof.game import alphabet
from faultproof.game.params import GameParameters
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.game.tree import ZERO_ADDRESS
from faultproof.onchain.games import GameSetup, GameSystem, deploy_game_system
from faultproof.trace.outputs import AlphabetOutputs, OutputSource

ANCHOR_BLOCK = 1_000
FINALITY_DELAY = 600  # short airgap and WETH delay: the runner jumps over them anyway
WETH_DELAY = 3_600
BLOCK_TIME = 12  # the embedded chain's seconds per block

OWNER, PROPOSER, HONEST = 0, 1, 2
ADVERSARY_SEATS = range(3, 10)

ADVERSARY_KINDS = (
    "liar",
    "wrong-exec",
    "wrong-states",
    "wrong-blocks",
    "random",
    "freeloader",
    "staller",
    "late",
    "duplicator",
    "wrong-stance",
)


@dataclass
class Table:
    """An alphabet game system on ``chain`` and the players around it."""

    chain: Chain
    params: GameParameters
    system: GameSystem
    events: list[AgentEvent] = field(default_factory=list)
    players: list[Player] = field(default_factory=list)
    balances: dict[Address, int] = field(default_factory=dict)

    @classmethod
    def deploy(cls, chain: Chain, params: GameParameters) -> Table:
        system = deploy_game_system(
            chain,
            [GameSetup(params, "alphabet")],
            anchor_root=alphabet.output_root(ANCHOR_BLOCK),
            anchor_block=ANCHOR_BLOCK,
            challenge_period=params.challenge_period,
            finality_delay=FINALITY_DELAY,
            weth_delay=WETH_DELAY,
        )
        # The registry retires every game created at or before its own creation second (§13); on a
        # node whose blocks share a second (anvil), a game proposed at once would be paid in REFUND mode.
        chain.advance_time(1)
        table = cls(chain, params, system)
        table.balances = {account.address: chain.balance(account.address) for account in chain.accounts}
        return table

    @property
    def factory(self) -> Address:
        return self.system.factory.address

    @property
    def head(self) -> int:
        """The L2 block proposed: the furthest a game of this shape reaches from the anchor."""
        return ANCHOR_BLOCK + (1 << self.params.split_depth)

    def seat(self, index: int) -> Account:
        return self.chain.accounts[index]

    def join(self, player: Player) -> Player:
        self.players.append(player)
        return player

    def proposer(self, outputs: OutputSource | None = None, name: str = "proposer") -> Proposer:
        proposer = Proposer(
            self.chain,
            self.seat(PROPOSER),
            self.factory,
            outputs or AlphabetOutputs(),
            lambda: self.head,
            game_type=self.params.game_type,
            max_proposals=1,
            name=name,
            on_event=self.events.append,
        )
        self.join(proposer)
        return proposer

    def challenger(self, store: AgentStore | None = None, **options: Any) -> HonestChallenger:
        challenger = HonestChallenger(
            self.chain,
            self.seat(HONEST),
            store=store,
            factory=self.factory,
            config=ChallengerConfig(collect_for=(self.seat(PROPOSER).address,)),
            on_event=self.events.append,
            **options,
        )
        self.join(challenger)
        return challenger

    def adversary(self, kind: str, seat: int, lie: OutputSource, seed: int = 0) -> Adversary:
        """One dishonest player of §15.7 on ``seat``; ``lie`` is its wrong view of the outputs."""
        options: dict[str, Any] = {"seed": seed, "name": f"{kind}-{seat}", "on_event": self.events.append}
        account, chain = self.seat(seat), self.chain
        adversary: Adversary
        if kind == "liar":
            adversary = Liar(chain, account, view=lying_traces(lie), **options)
        elif kind == "wrong-exec":
            adversary = Liar(chain, account, view=lying_traces(lie, shift=1 + seed % 7), **options)
        elif kind == "wrong-states":
            from_step = 1 + seed % self.params.exec_trace_length
            adversary = Liar(chain, account, view=lying_traces(lie, wrong_from_step=from_step), **options)
        elif kind == "wrong-blocks":
            shifted = ShiftedOutputs(1, ANCHOR_BLOCK + 1 + seed % (1 << self.params.split_depth))
            adversary = Liar(chain, account, view=lying_traces(shifted), **options)
        elif kind == "random":
            adversary = RandomMover(chain, account, view=lying_traces(lie), max_turns=10, **options)
        elif kind == "freeloader":
            adversary = Freeloader(chain, account, max_actions=4, **options)
        elif kind == "staller":
            adversary = ClockStaller(chain, account, view=lying_traces(lie), max_actions=8, **options)
        elif kind == "late":
            adversary = LateMover(chain, account, view=lying_traces(lie), max_actions=3, **options)
        elif kind == "duplicator":
            adversary = Duplicator(chain, account, max_actions=3, **options)
        elif kind == "wrong-stance":
            adversary = WrongStance(chain, account, max_actions=4, **options)
        else:
            raise ValueError(f"no adversary {kind!r}")
        self.join(adversary)
        return adversary

    def run(self, *, agents: Sequence[Player] | None = None) -> RunResult:
        runner = Runner(self.chain, agents or self.players, factory=self.factory, on_event=self.events.append)
        return runner.run()


def adversary_view(table: Table, wrong: set[int]) -> LyingOutputs:
    """The adversaries' outputs: wrong at ``wrong`` and at the proposal's block, so they attack an
    honest root and defend a wrong one (proposed from the same view)."""
    return LyingOutputs(frozenset({*wrong, table.head}))


def only_game(result: RunResult) -> GameSnapshot:
    (snapshot,) = result.games.values()
    return snapshot


def check_outcome(
    table: Table, result: RunResult, honest: HonestChallenger, root_honest: bool | None = None
) -> None:
    """§15.1 and §9.4 on every game of a finished run (``root_honest``: what the one game's root is)."""
    won = 0
    for game in result.games.values():
        claims = game.claims
        truth = game.root_claim == alphabet.output_root(game.l2_block_number)
        assert root_honest is None or (truth == root_honest and len(result.games) == 1)
        assert game.status == (GameStatus.DEFENDER_WINS if truth else GameStatus.CHALLENGER_WINS)
        assert game.bond_distribution_mode == BondDistributionMode.NORMAL
        # The honest side never countered its own claims, so none of them is countered.
        for index, claim in enumerate(claims):
            if claim.claimant == honest.address:
                assert claim.countered_by == ZERO_ADDRESS, f"honest claim {index} was countered"
        # Every claim was resolvable by the §9.4 bound; resolution took a block per claim after it.
        assert max(game.expiry(index) for index in range(len(claims))) <= game.deadline
        assert game.resolved_at <= game.deadline + (len(claims) + 2) * BLOCK_TIME
        won += sum(claim.bond for claim in claims if claim.countered_by == honest.address)
        assert table.system.weth.balanceOf(game.address) == 0  # every wei deposited is paid out
    # Bonds: the honest side gets its own back and those of every claim it countered (§15.1.2) …
    fees = _fees_by_account(table.players)
    delta = {address: table.chain.balance(address) - before for address, before in table.balances.items()}
    assert delta[honest.address] + fees[honest.address] == won
    # … and what the others lost is exactly what it won: no wei is left anywhere else.
    assert sum(delta[address] + fees.get(address, 0) for address in delta) == 0


def _fees_by_account(players: Sequence[Player]) -> dict[Address, int]:
    fees: dict[Address, int] = {}
    for player in players:
        fees[player.address] = fees.get(player.address, 0) + player.fees
    return fees


__all__ = [
    "ADVERSARY_KINDS",
    "ADVERSARY_SEATS",
    "ANCHOR_BLOCK",
    "BLOCK_TIME",
    "HONEST",
    "PROPOSER",
    "Table",
    "adversary_view",
    "check_outcome",
    "only_game",
]
