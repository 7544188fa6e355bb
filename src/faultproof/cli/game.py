"""Dispute game commands: ``game deploy|create|list|show|move|resolve|advance``, ``challenger``, ``proposer``.

They share a folder (``--dir``, see ``faultproof.cli.workspace``) and a chain: ``--rpc URL`` for a
node, else an embedded chain kept in the folder between commands, so a session reads::

    faultproof game deploy --vm alphabet           # the contracts, recorded in .faultproof/games.json
    faultproof game create --root 0x1234… --block 1016
    faultproof challenger                          # plays every game to the end (time moves on)
    faultproof game show 0                         # the claim tree

A contract that refuses a transaction is reported by its reason (``error: move refused:
ClockTimeExceeded``) with exit status 2, like every bad input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import click
from rich.console import Console

from faultproof.agents import (
    AgentEvent,
    AgentStore,
    ChallengerConfig,
    EventKind,
    HonestChallenger,
    Proposer,
    Runner,
)
from faultproof.agents.retry import Backoff, with_backoff
from faultproof.agents.snapshot import GameReader, GameSnapshot
from faultproof.chain import Chain
from faultproof.chain.accounts import Account, Address
from faultproof.cli.claim_tree import claim_tree
from faultproof.cli.options import game_config_option, rpc_option
from faultproof.cli.workspace import DEFAULT_DIR, VM_KINDS, Workspace
from faultproof.errors import ChainError, ExecutionReverted, GameCommandError, UsageError
from faultproof.game.bonds import required_bond
from faultproof.game.errors import GameRuleError
from faultproof.game.positions import move
from faultproof.game.resolution import BondDistributionMode, resolve_game
from faultproof.onchain.games import GameSystem

F = TypeVar("F", bound=Callable[..., object])
T = TypeVar("T")

PROPOSER_ACCOUNT = 1
CHALLENGER_ACCOUNT = 2
WEI_PER_ETH = 10**18


def chain_options(function: F) -> F:
    """``--rpc`` and ``--dir``: which chain, and the folder that remembers the rest."""
    function = click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_DIR,
        show_default=True,
        help="Folder of the deployment record, the embedded chain and the agents' stores.",
    )(function)
    return rpc_option("the embedded chain kept in --dir")(function)


def account_option(default: int, who: str) -> Callable[[F], F]:
    return click.option(
        "--account",
        "account_index",
        type=int,
        default=default,
        show_default=True,
        help=f"Index of the dev account that {who}.",
    )


def retry_options(function: F) -> F:
    """``--retries``/``--retry-delay``: how an agent rides out an unreachable node or contract."""
    function = click.option(
        "--retry-delay",
        type=float,
        default=1.0,
        show_default=True,
        help="First delay (s) after a failed attempt; it doubles each time, up to 60 s.",
    )(function)
    return click.option(
        "--retries",
        type=click.IntRange(min=1),
        default=8,
        show_default=True,
        help="Attempts while the chain or a contract cannot be reached, before giving up.",
    )(function)


def game_argument(function: F) -> F:
    return click.argument("game")(function)


@click.group("game")
def game_group() -> None:
    """Deploy dispute games, propose roots, move, resolve and inspect games."""


@game_group.command("deploy")
@chain_options
@click.option(
    "--vm",
    "vms",
    type=click.Choice(VM_KINDS),
    multiple=True,
    default=("alphabet",),
    show_default=True,
    help="VM of a game type to register (repeatable; mips32 and riscv64 share the transition L2).",
)
@game_config_option()
def deploy_command(rpc: str | None, directory: Path, vms: tuple[str, ...], config: str) -> None:
    """Deploy the factory, anchor registry, bond escrow, oracle and one game type per VM."""
    workspace = Workspace(directory, rpc)
    with workspace.chain() as chain:
        system = workspace.deploy(chain, list(dict.fromkeys(vms)), config)
        click.echo(f"DisputeGameFactory {system.factory.address}")
        click.echo(f"AnchorStateRegistry {system.anchor_state_registry.address}")
        click.echo(f"DelayedWETH {system.weth.address}")
        click.echo(f"PreimageOracle {system.oracle.address}")
        for game_type, implementation in sorted(system.implementations.items()):
            params = implementation.maxGameDepth(), implementation.splitDepth()
            click.echo(
                f"game type {game_type}: FaultDisputeGame {implementation.address} "
                f"(MAX {params[0]}, SPLIT {params[1]}), verifier {system.verifiers[game_type].address}"
            )


@game_group.command("create")
@chain_options
@click.option("--type", "game_type", type=int, default=None, help="Game type (default: the one deployed).")
@click.option("--block", type=int, default=None, help="L2 block of the proposal (default: the furthest).")
@click.option("--root", default=None, help="Root claim, 0x-hex (default: the honest output root).")
@account_option(PROPOSER_ACCOUNT, "proposes")
def create_command(
    rpc: str | None,
    directory: Path,
    game_type: int | None,
    block: int | None,
    root: str | None,
    account_index: int,
) -> None:
    """Propose an output root for an L2 block: create a game, paying its root bond."""
    workspace = Workspace(directory, rpc)
    with workspace.chain() as chain:
        system = workspace.system(chain)
        chosen_type = workspace.game_type(game_type)
        implementation = system.implementations[chosen_type]
        anchor_block = workspace.record().anchor_block
        furthest = anchor_block + (1 << implementation.splitDepth())
        block = furthest if block is None else block
        claim = workspace.outputs().output_root(block) if root is None else _bytes32(root, "--root")
        account = Workspace.dev_account(chain, account_index)
        try:
            game = system.create_game(chosen_type, claim, block, account)
        except ExecutionReverted as error:
            raise _refused("create", error) from None
        click.echo(f"game {game.address}: type {chosen_type}, block {block}, root 0x{claim.hex()}")


@game_group.command("list")
@chain_options
def list_command(rpc: str | None, directory: Path) -> None:
    """Every game of the factory: index, address, type, status, block, claims."""
    workspace = Workspace(directory, rpc)
    with workspace.chain() as chain:
        system = workspace.system(chain)
        reader = GameReader(chain)
        games = system.games()
        if not games:
            click.echo("no games")
        for index, game in enumerate(games):
            snapshot = reader.read(game.address)
            click.echo(
                f"{index:>3} {snapshot.address} type {snapshot.game_type} {snapshot.status.name:<15} "
                f"block {snapshot.l2_block_number} claims {len(snapshot.claims)} "
                f"root 0x{snapshot.root_claim.hex()}"
            )


@game_group.command("show")
@chain_options
@game_argument
def show_command(rpc: str | None, directory: Path, game: str) -> None:
    """Draw a game's claim tree: moves, values, claimants, bonds, clocks, countered or not."""
    workspace = Workspace(directory, rpc)
    with workspace.chain() as chain:
        snapshot = GameReader(chain).read(_game_address(workspace, chain, game))
        console = Console(highlight=False)
        show_game(snapshot, console)
        if not snapshot.in_progress:
            show_payouts(snapshot, console)


@game_group.command("move")
@chain_options
@game_argument
@click.argument("parent", type=int)
@click.argument("claim")
@click.option("--attack/--defend", "is_attack", required=True, help="Attack or defend the parent claim.")
@account_option(CHALLENGER_ACCOUNT, "moves")
def move_command(
    rpc: str | None,
    directory: Path,
    game: str,
    parent: int,
    claim: str,
    is_attack: bool,
    account_index: int,
) -> None:
    """Counter claim PARENT with CLAIM (0x-hex), paying the exact bond of the new position."""
    workspace = Workspace(directory, rpc)
    with workspace.chain() as chain:
        snapshot = GameReader(chain).read(_game_address(workspace, chain, game))
        if not 0 <= parent < len(snapshot.claims):
            raise UsageError(f"the game has no claim {parent} (it has {len(snapshot.claims)})")
        value = _bytes32(claim, "CLAIM")
        position = move(snapshot.claims[parent].position, is_attack)
        try:
            bond = required_bond(position, snapshot.params.max_game_depth)
        except GameRuleError as error:
            bond = 0  # past MAX: the contract refuses it, and says so
            click.echo(f"note: {error}", err=True)
        handle = workspace.system(chain).game(snapshot.address)
        account = Workspace.dev_account(chain, account_index)
        try:
            handle.move(snapshot.claims[parent].claim, parent, value, is_attack, sender=account, value=bond)
        except ExecutionReverted as error:
            raise _refused("move", error) from None
        index = len(snapshot.claims)
        click.echo(f"claim {index} at position {position}, bond {_eth(bond)}")


@game_group.command("resolve")
@chain_options
@game_argument
@account_option(CHALLENGER_ACCOUNT, "sends the resolutions")
def resolve_command(rpc: str | None, directory: Path, game: str, account_index: int) -> None:
    """Resolve every claim whose clock has run out, bottom-up, then the game if the root is resolved."""
    workspace = Workspace(directory, rpc)
    with workspace.chain() as chain:
        address = _game_address(workspace, chain, game)
        reader = GameReader(chain)
        snapshot = reader.read(address)
        if not snapshot.in_progress:
            click.echo(f"the game is already resolved: {snapshot.status.name}")
            return
        handle = workspace.system(chain).game(address)
        account = Workspace.dev_account(chain, account_index)
        resolved = resolve_ready_claims(snapshot, handle.resolveClaim, account)
        snapshot = reader.read(address)
        if not snapshot.resolved_subgames[0]:
            waiting = max(snapshot.expiry(index) for index in range(len(snapshot.claims)))
            raise GameCommandError(
                f"resolved {resolved} claims; the game cannot be resolved before chain time {waiting} "
                f"(now {snapshot.now}): ClockNotExpired"
            )
        try:
            handle.resolve(sender=account)
        except ExecutionReverted as error:
            raise _refused("resolve", error) from None
        click.echo(f"resolved {resolved} claims; the game: {reader.read(address).status.name}")


@game_group.command("advance")
@chain_options
@click.argument("seconds", type=int)
def advance_command(rpc: str | None, directory: Path, seconds: int) -> None:
    """Move a dev chain's clock forward by SECONDS (mines one empty block)."""
    with Workspace(directory, rpc).chain() as chain:
        block = chain.advance_time(seconds)
        click.echo(f"block {block.number} at chain time {block.timestamp}")


# -- the agents ------------------------------------------------------------------------------------


@click.command("challenger")
@chain_options
@account_option(CHALLENGER_ACCOUNT, "challenges")
@click.option("--once", is_flag=True, help="One pass over the games, then exit.")
@click.option(
    "--advance-time/--real-time",
    default=None,
    help="Move a dev chain's clock to each next deadline (default for the embedded chain) or wait.",
)
@click.option(
    "--poll", "poll_interval", type=float, default=12.0, show_default=True, help="Seconds between passes."
)
@click.option("--until-done", is_flag=True, help="In real time: exit once every game is resolved and paid.")
@retry_options
def challenger_command(
    rpc: str | None,
    directory: Path,
    account_index: int,
    once: bool,
    advance_time: bool | None,
    poll_interval: float,
    until_done: bool,
    retries: int,
    retry_delay: float,
) -> None:
    """The honest challenger: counter every dishonest claim, step, resolve, claim credit (§15)."""
    with agent_session(directory, rpc, account_index, retries, retry_delay) as session:
        chain, system, account = session.chain, session.system, session.account
        printer = EventPrinter(session.console, session.retried(chain.block).timestamp)
        challenger = HonestChallenger(
            chain,
            account,
            store=session.store(),
            traces=session.workspace.traces(),
            factory=system.factory.address,
            trace_dir=directory / "traces",
            config=ChallengerConfig(collect_for=(chain.accounts[PROPOSER_ACCOUNT].address,)),
            on_event=printer,
        )
        if once:
            session.retried(challenger.run_once)
            return
        if advance_time if advance_time is not None else rpc is None:
            if not system.games():
                click.echo("no games to play")
                return
            result = Runner(chain, [challenger], factory=system.factory.address, on_event=printer).run()
            for snapshot in result.games.values():
                click.echo(f"game {snapshot.address}: {snapshot.status.name}")
            return
        challenger.run(poll_interval=poll_interval, until_done=until_done, backoff=session.backoff)


@click.command("proposer")
@chain_options
@account_option(PROPOSER_ACCOUNT, "proposes")
@click.option("--type", "game_type", type=int, default=None, help="Game type (default: the one deployed).")
@click.option(
    "--block", type=int, default=None, help="Latest final L2 block (default: the furthest a game reaches)."
)
@click.option("--follow", is_flag=True, help="Keep proposing every --interval seconds of real time.")
@click.option("--interval", type=float, default=3600.0, show_default=True, help="Seconds between proposals.")
@retry_options
def proposer_command(
    rpc: str | None,
    directory: Path,
    account_index: int,
    game_type: int | None,
    block: int | None,
    follow: bool,
    interval: float,
    retries: int,
    retry_delay: float,
) -> None:
    """The proposer: propose the honest output root of the latest L2 block (§16)."""
    with agent_session(directory, rpc, account_index, retries, retry_delay) as session:
        chain, system, account, workspace = session.chain, session.system, session.account, session.workspace
        proposer = Proposer(
            chain,
            account,
            system.factory.address,
            workspace.outputs(),
            lambda: block if block is not None else 2**64,
            game_type=workspace.game_type(game_type),
            proposal_interval=int(interval),
            store=session.store(),
            on_event=EventPrinter(session.console, session.retried(chain.block).timestamp),
        )
        reader = GameReader(chain)
        while True:
            session.retried(proposer.poll)
            for address in proposer.created:
                proposer.act(reader.read(address))
            if not follow:
                return
            time.sleep(interval)


# -- showing ---------------------------------------------------------------------------------------


def show_game(snapshot: GameSnapshot, console: Console) -> None:
    """A game's header lines and its claim tree."""
    params = snapshot.params
    console.print(
        f"game {snapshot.address}  type {snapshot.game_type}  {snapshot.status.name}"
        + (f" at chain time {snapshot.resolved_at}" if snapshot.resolved_at else "")
    )
    console.print(
        f"  proposal: block {snapshot.l2_block_number}, root 0x{snapshot.root_claim.hex()}, "
        f"by {snapshot.creator}"
    )
    console.print(
        f"  anchor: block {snapshot.anchor_block}, root 0x{snapshot.anchor_root.hex()}; "
        f"created at chain time {snapshot.created_at}, now {snapshot.now}"
    )
    console.print(
        f"  MAX {params.max_game_depth}, SPLIT {params.split_depth}, clock {params.max_clock_duration} s "
        f"per side (+{params.clock_extension} s extension), prestate 0x{params.absolute_prestate.hex()}"
    )
    console.print(f"{len(snapshot.claims)} claims:")
    for line in claim_tree(
        snapshot.claims,
        params,
        anchor_block=snapshot.anchor_block,
        l2_block_number=snapshot.l2_block_number,
        now=snapshot.now,
        in_progress=snapshot.in_progress,
    ):
        console.print(line, soft_wrap=True)


def show_payouts(snapshot: GameSnapshot, console: Console) -> None:
    """Who receives which bonds of a resolved game (§11.3; every deposit back in REFUND mode)."""
    mode = snapshot.bond_distribution_mode
    # after a block-number challenge the root's resolution recorded the challenger as its counter
    challenger = snapshot.claims[0].countered_by if snapshot.l2_block_number_challenged else None
    outcome = resolve_game(snapshot.claims, challenger)
    paid = outcome.refund_mode_credit if mode == BondDistributionMode.REFUND else outcome.normal_mode_credit
    label = "refunds" if mode == BondDistributionMode.REFUND else "bonds paid"
    console.print(f"{label} ({'REFUND' if mode == BondDistributionMode.REFUND else 'NORMAL'} mode):")
    for address, wei in sorted(paid.items(), key=lambda item: -item[1]):
        if wei:
            console.print(f"  {Address(address)}  {_eth(wei)}")


class EventPrinter:
    """Prints each agent event as one line, stamped with chain time since ``start``."""

    def __init__(self, console: Console, start: int) -> None:
        self.console = console
        self.start = start

    def __call__(self, event: AgentEvent) -> None:
        stamp = "" if event.time is None else f"t+{_clock(event.time - self.start)} "
        style = {
            EventKind.REVERTED: "red",
            EventKind.FAILED: "red",
            EventKind.UNREACHABLE: "yellow",
            EventKind.TIME_ADVANCED: "dim",
        }.get(event.kind, "")
        line = f"{stamp}{event.agent:<10} {event.kind.value:<16} {'  '.join(event.details(short=True))}"
        self.console.print(line, style=style, markup=False)


def _eth(wei: int) -> str:
    return f"{wei / WEI_PER_ETH:.6g} ETH"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:>3}:{minutes:02}:{secs:02}"


# -- helpers ---------------------------------------------------------------------------------------


def resolve_ready_claims(
    snapshot: GameSnapshot, resolve_claim: Callable[..., object], account: Account
) -> int:
    """Send ``resolveClaim(i, 0)`` for every claim that can be resolved now, children first."""
    order = snapshot.resolution_order()
    for index in order:
        try:
            resolve_claim(index, 0, sender=account)
        except ExecutionReverted as error:
            raise _refused(f"resolveClaim({index})", error) from None
    return len(order)


@dataclass
class AgentSession:
    """What an agent command works with: the folder, the chain, the system, the account, and the
    backoff that rides out outages (each reported on stderr)."""

    workspace: Workspace
    console: Console
    backoff: Backoff
    chain: Chain
    system: GameSystem
    account: Account

    def retried(self, operation: Callable[[], T]) -> T:
        return with_backoff(operation, self.backoff, _report_outage(self.console))

    def store(self) -> AgentStore:
        """The account's persistent store in the folder (it also checks the chain)."""
        path = self.workspace.directory / "agents" / f"{self.account.address}.db"
        return AgentStore(path, self.chain.chain_id, str(self.account.address))


@contextmanager
def agent_session(
    directory: Path, rpc: str | None, account_index: int, retries: int, retry_delay: float
) -> Iterator[AgentSession]:
    """An ``AgentSession``, the chain reached and the system found with retries."""
    workspace = Workspace(directory, rpc)
    console = Console(highlight=False, soft_wrap=True)
    backoff = Backoff(initial=retry_delay, maximum=max(60.0, retry_delay), attempts=retries)
    with workspace.chain(backoff, _report_outage(console)) as chain:
        system = with_backoff(lambda: workspace.system(chain), backoff, _report_outage(console))
        account = Workspace.dev_account(chain, account_index)
        yield AgentSession(workspace, console, backoff, chain, system, account)


def _game_address(workspace: Workspace, chain: Chain, game: str) -> Address:
    """GAME as an address, or as the factory's index of a game."""
    if game.isdecimal():
        system = workspace.system(chain)
        count = system.factory.gameCount()
        if int(game) >= count:
            raise UsageError(f"no game {game}: the factory has {count}")
        return Address(system.factory.gameAtIndex(int(game))[2])
    try:
        return Address(game)
    except ValueError:
        raise UsageError(f"GAME {game!r} is neither a factory index nor a 20-byte 0x address") from None


def _bytes32(text: str, what: str) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise UsageError(f"{what} {text!r} is not hex") from None
    if len(value) != 32:
        raise UsageError(f"{what} has {len(value)} bytes, not 32")
    return value


def _refused(what: str, error: ExecutionReverted) -> GameCommandError:
    reason = error.reason or (f"revert data 0x{error.data.hex()}" if error.data else "no reason given")
    return GameCommandError(f"{what} refused: {reason}")


def _report_outage(console: Console) -> Callable[[ChainError, float], None]:
    """Each outage as one line on stderr (the events go to stdout)."""
    errors = Console(stderr=True, highlight=False, soft_wrap=True, no_color=console.no_color)

    def report(error: ChainError, delay: float) -> None:
        errors.print(f"unreachable: {error}; retrying in {delay:g} s", style="yellow", markup=False)

    return report


__all__ = ["EventPrinter", "challenger_command", "game_group", "proposer_command", "show_game"]
