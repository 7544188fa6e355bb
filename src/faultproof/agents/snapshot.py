"""A game as the agents see it: every view of one ``FaultDisputeGame`` at one block (dispute-game.md §4, §19).

``GameSnapshot`` holds what the contract's views return — parameters, the claim array, status,
anchor, times, which subgames are resolved — and the block it was read at, whose timestamp is
``now`` for every clock computed from it. Agents rebuild their decisions from a fresh snapshot on
every pass (§15.2); ``faultproof game show`` renders one.

``GameReader`` reads snapshots with as few calls as the views allow: what a game fixes at creation
(parameters, anchor, root, times, addresses) is read once per game and kept; each later read asks
for the claim array, the status and the resolution flags of the claims whose clocks have run out
(a claim whose challenger clock is still running cannot be resolved, so its flag is known to be
false). A read that straddles a new block is repeated, so a snapshot never mixes two states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from faultproof.agents.interfaces import BIG_STEPPER, FAULT_DISPUTE_GAME, PREIMAGE_ORACLE
from faultproof.chain.accounts import Address
from faultproof.chain.contract import Contract
from faultproof.chain.interface import Chain
from faultproof.errors import ChainError
from faultproof.game.clocks import (
    ROOT_PARENT_DURATION,
    Clock,
    challenger_duration,
    expiry,
    resolution_deadline,
)
from faultproof.game.params import GameParameters
from faultproof.game.positions import Position
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.game.tree import ROOT_INDEX, ClaimData, subgames

CONSISTENT_READ_ATTEMPTS = 5  # reads retried when a block lands in between, before giving up


@dataclass(frozen=True)
class GameSnapshot:
    """One game's state at block ``block_number`` (timestamp ``now``).

    ``anchor_root``/``anchor_block`` are the starting output the game read from the anchor state
    registry at creation (``startingRootHash``, ``startingBlockNumber``); ``resolved_subgames[i]``
    is ``resolvedSubgames(i)``; ``claims`` carry ``counteredBy`` as steps and resolution left it.
    """

    address: Address
    game_type: int
    params: GameParameters
    claims: tuple[ClaimData, ...]
    status: GameStatus
    l2_block_number: int
    anchor_root: bytes
    anchor_block: int
    creator: Address
    created_at: int
    resolved_at: int
    l1_head: bytes
    l2_chain_id: int
    l2_block_number_challenged: bool
    resolved_subgames: tuple[bool, ...]
    bond_distribution_mode: BondDistributionMode
    vm: Address
    oracle: Address
    weth: Address
    anchor_state_registry: Address
    now: int
    block_number: int

    @property
    def root_claim(self) -> bytes:
        return self.claims[ROOT_INDEX].claim

    @property
    def in_progress(self) -> bool:
        return self.status == GameStatus.IN_PROGRESS

    @cached_property
    def children(self) -> list[list[int]]:
        """``subgames[i]``: the claims countering claim ``i``, in posting order."""
        return subgames(self.claims)

    @property
    def deadline(self) -> int:
        """The second by which every claim is resolvable (§9.4)."""
        return resolution_deadline(self.created_at, self.params)

    def parent_duration(self, index: int) -> int:
        claim = self.claims[index]
        return ROOT_PARENT_DURATION if claim.is_root else self.claims[claim.parent_index].clock.duration

    def challenger_duration(self, index: int, at: int | None = None) -> int:
        """``getChallengerDuration(i)`` at ``at`` (default ``now``), computed as the contract does (§9.1)."""
        moment = self.now if at is None else at
        return challenger_duration(self.parent_duration(index), self.claims[index].clock, moment, self.params)

    def expiry(self, index: int) -> int:
        """The first second at which claim ``index`` can no longer be countered and can be resolved."""
        return expiry(self.parent_duration(index), self.claims[index].clock, self.params)

    def resolvable(self, index: int, at: int | None = None) -> bool:
        """Whether ``resolveClaim(index)`` passes its clock check at ``at``: its children must also be
        resolved (``OutOfOrderResolution``), which the caller checks with ``resolved_subgames``."""
        return self.challenger_duration(index, at) == self.params.max_clock_duration

    def resolution_order(self) -> list[int]:
        """The claims ``resolveClaim`` can settle now, in an order that works (§11.1, §15.6): each is
        unresolved, its clock has run out, and each of its children is resolved or comes earlier."""
        settled = list(self.resolved_subgames)
        order = []
        for index in reversed(range(len(self.claims))):  # children have larger indices
            if settled[index] or not self.resolvable(index):
                continue
            if all(settled[child] for child in self.children[index]):
                settled[index] = True
                order.append(index)
        return order


@dataclass(frozen=True)
class GameInfo:
    """What a game fixes at creation and never changes: read once per game."""

    game_type: int
    params: GameParameters
    l2_block_number: int
    anchor_root: bytes
    anchor_block: int
    creator: Address
    created_at: int
    l1_head: bytes
    l2_chain_id: int
    vm: Address
    oracle: Address
    weth: Address
    anchor_state_registry: Address


class GameReader:
    """Snapshots of games on one chain; the fixed part of each game is read once and kept."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self._handles: dict[Address, Contract] = {}
        self._info: dict[Address, GameInfo] = {}

    def handle(self, address: bytes | str) -> Contract:
        """The game's contract handle; ``NoCodeError`` if nothing is deployed at ``address``."""
        key = Address(address)
        if key not in self._handles:
            self._handles[key] = self.chain.at(key, FAULT_DISPUTE_GAME)
        return self._handles[key]

    def info(self, address: bytes | str) -> GameInfo:
        key = Address(address)
        if key not in self._info:
            self._info[key] = self._read_info(self.handle(key))
        return self._info[key]

    def read(self, address: bytes | str) -> GameSnapshot:
        """The game at ``address`` as of the latest block."""
        game = self.handle(address)
        info = self.info(address)
        for _ in range(CONSISTENT_READ_ATTEMPTS):
            block = self.chain.block()
            snapshot = self._read_state(game, info, block.number, block.timestamp)
            if self.chain.block_number == block.number:
                return snapshot
        raise ChainError(f"game {game.address}: the chain moved on during {CONSISTENT_READ_ATTEMPTS} reads")

    def _read_info(self, game: Contract) -> GameInfo:
        vm = Address(game.vm())
        oracle = Address(self.chain.at(vm, BIG_STEPPER).oracle())
        challenge_period = self.chain.at(oracle, PREIMAGE_ORACLE).challengePeriod()
        game_type = game.gameType()
        params = GameParameters(
            game_type=game_type,
            absolute_prestate=game.absolutePrestate(),
            max_game_depth=game.maxGameDepth(),
            split_depth=game.splitDepth(),
            max_clock_duration=game.maxClockDuration(),
            clock_extension=game.clockExtension(),
            challenge_period=challenge_period,
        )
        return GameInfo(
            game_type=game_type,
            params=params,
            l2_block_number=game.l2BlockNumber(),
            anchor_root=game.startingRootHash(),
            anchor_block=game.startingBlockNumber(),
            creator=Address(game.gameCreator()),
            created_at=game.createdAt(),
            l1_head=game.l1Head(),
            l2_chain_id=game.l2ChainId(),
            vm=vm,
            oracle=oracle,
            weth=Address(game.weth()),
            anchor_state_registry=Address(game.anchorStateRegistry()),
        )

    def _read_state(self, game: Contract, info: GameInfo, block_number: int, now: int) -> GameSnapshot:
        count = game.claimDataLen()
        claims = tuple(_claim(game.claimData(index)) for index in range(count))
        status = GameStatus(game.status())
        snapshot = GameSnapshot(
            address=game.address,
            game_type=info.game_type,
            params=info.params,
            claims=claims,
            status=status,
            l2_block_number=info.l2_block_number,
            anchor_root=info.anchor_root,
            anchor_block=info.anchor_block,
            creator=info.creator,
            created_at=info.created_at,
            resolved_at=game.resolvedAt(),
            l1_head=info.l1_head,
            l2_chain_id=info.l2_chain_id,
            l2_block_number_challenged=game.l2BlockNumberChallenged(),
            resolved_subgames=(),
            bond_distribution_mode=BondDistributionMode(game.bondDistributionMode()),
            vm=info.vm,
            oracle=info.oracle,
            weth=info.weth,
            anchor_state_registry=info.anchor_state_registry,
            now=now,
            block_number=block_number,
        )
        return replace(snapshot, resolved_subgames=_resolved_subgames(game, snapshot))


def _claim(fields: Sequence[Any]) -> ClaimData:
    """``claimData(i)``'s seven fields in the order of §4.1."""
    parent_index, countered_by, claimant, bond, claim, position, clock = fields
    return ClaimData(
        parent_index=parent_index,
        countered_by=Address(countered_by),
        claimant=Address(claimant),
        bond=bond,
        claim=claim,
        position=Position(position),
        clock=Clock.from_raw(clock),
    )


def _resolved_subgames(game: Contract, snapshot: GameSnapshot) -> tuple[bool, ...]:
    """``resolvedSubgames(i)`` for every claim, asking only where the answer can be true."""
    if not snapshot.in_progress:
        return (True,) * len(snapshot.claims)  # resolve() needed the root subgame, hence all of them
    return tuple(
        bool(game.resolvedSubgames(index)) if snapshot.resolvable(index) else False
        for index in range(len(snapshot.claims))
    )


__all__ = ["GameInfo", "GameReader", "GameSnapshot"]
