"""``faultproof demo``: a whole dispute game on the embedded chain, move by move, to the payouts.

The project's main job in one command. A toy rollup (``faultproof.trace.transition``: the state
after block n+1 is 3·s_n + 4, every output root a hash of it) runs its fault proof program — the
`transition` Go guest — in the MIPS32 VM by default. A proposer lies about the rollup's output;
the honest challenger bisects its claim down the output roots, then down the program's execution
until the two disagree about one instruction, which the MIPS contract re-executes on chain after
the preimage that instruction reads is put in the oracle. The clocks run out (the demo moves the
chain's time forward itself), the game resolves and the bonds are paid through the delayed WETH.

``--liar challenger`` plays the other way round: an honest proposal attacked by a liar, defended
by the honest challenger. ``--vm alphabet`` plays the same game over the toy alphabet VM.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console

from faultproof.agents import GameSnapshot, GameTraces, HonestChallenger, Liar, Observer, Runner
from faultproof.agents.adversaries import lying_traces
from faultproof.agents.challenger import ChallengerConfig
from faultproof.agents.traces import BottomBuilder
from faultproof.chain import EmbeddedChain
from faultproof.chain.accounts import Account, Address
from faultproof.chain.contract import Contract
from faultproof.cli.game import EventPrinter, show_game, show_payouts
from faultproof.cli.options import game_config_option, programs_out_option
from faultproof.cli.workspace import ALPHABET, VM_KINDS, Workspace
from faultproof.game.resolution import GameStatus
from faultproof.trace.lies import FalseOutputs, WrongFromStep, first_preimage_read, keccak_data_read
from faultproof.trace.outputs import OutputSource
from faultproof.trace.split import BottomFactory, ExecInputs
from faultproof.trace.transition import DEFAULT_SNAPSHOT_INTERVAL, TransitionChain, transition_bottom
from faultproof.trace.vm import VMTraceProvider

WEI_PER_ETH = 10**18
PROPOSER, CHALLENGER, LIAR = 1, 2, 3  # dev account indexes


@click.command("demo")
@click.option(
    "--vm", "vm", type=click.Choice(VM_KINDS), default="mips32", show_default=True, help="The game's VM."
)
@game_config_option()
@click.option(
    "--liar",
    type=click.Choice(["proposer", "challenger"]),
    default="proposer",
    show_default=True,
    help="Who lies: the proposer (a false root) or a challenger (attacking a true one).",
)
@programs_out_option()
def demo_command(vm: str, config: str, liar: str, out: Path) -> None:
    """Play a whole dispute game on the embedded chain: a lie, the bisection, one onchain step, payouts."""
    console = Console(highlight=False, soft_wrap=True)
    with tempfile.TemporaryDirectory(prefix="faultproof-demo-") as folder:
        play(Path(folder), vm, config, liar == "proposer", out, console)


@dataclass
class Match:
    """A game staged for play: the chain, the game, and the two sides that will play it."""

    chain: EmbeddedChain
    workspace: Workspace
    game: Contract
    game_type: int
    l2_block: int
    proposer: Account
    dishonest: Account
    challenger: HonestChallenger
    adversary: Liar
    balances_before: dict[Address, int]  # of the proposer, challenger and liar, before the proposal

    @property
    def proposer_lies(self) -> bool:
        return self.dishonest == self.proposer

    def play(self, on_event: Observer) -> GameSnapshot:
        """Run both sides until the game is resolved and every bond paid; the final snapshot."""
        runner = Runner(
            self.chain, [self.challenger, self.adversary], games=[self.game.address], on_event=on_event
        )
        return runner.run().games[self.game.address]


def stage(
    folder: Path,
    vm: str,
    config: str,
    proposer_lies: bool,
    programs: Path,
    on_event: Observer,
    snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
) -> Match:
    """Deploy the game system for ``vm`` on a fresh embedded chain and create the game: the root of
    block ``anchor + 2^SPLIT``, false when the proposer lies; the liar's chain goes wrong halfway."""
    chain = EmbeddedChain()
    workspace = Workspace(folder, None, programs)
    system = workspace.deploy(chain, [vm], config)
    (game_type,) = system.implementations
    split = system.implementations[game_type].splitDepth()
    record = workspace.record()
    honest = workspace.outputs()
    l2_block = record.anchor_block + (1 << split)
    lies = FalseOutputs(honest, record.anchor_block + (1 << (split - 1)) + 1)
    proposer, challenger_account, liar_account = (chain.accounts[i] for i in (PROPOSER, CHALLENGER, LIAR))
    dishonest = proposer if proposer_lies else liar_account
    root = (lies if proposer_lies else honest).output_root(l2_block)
    before = {
        account.address: chain.balance(account.address)
        for account in (proposer, challenger_account, liar_account)
    }
    game = system.create_game(game_type, root, l2_block, proposer)
    challenger = HonestChallenger(
        chain,
        challenger_account,
        traces=workspace.traces(snapshot_interval),
        games=[game.address],
        trace_dir=folder / "traces",
        config=ChallengerConfig(collect_for=() if proposer_lies else (proposer.address,)),
        on_event=on_event,
    )
    view = liar_view(workspace, vm, lies, folder / "liar")
    adversary = Liar(chain, dishonest, view=view, name="liar", on_event=on_event)
    return Match(
        chain, workspace, game, game_type, l2_block, proposer, dishonest, challenger, adversary, before
    )


def play(
    folder: Path, vm: str, config: str, proposer_lies: bool, programs: Path, console: Console
) -> GameSnapshot:
    """The demo's game, narrated on ``console``; its final snapshot."""
    heading = "alphabet VM" if vm == ALPHABET else f"{vm} VM running the `transition` Go program"
    console.print(f"[bold]faultproof demo[/bold]: a dispute game on an embedded chain, {heading}")
    if vm != ALPHABET:
        console.print(
            "  the L2: s(n+1) = 3·s(n) + 4 mod 2^64, output root O(n) = keccak256(BE8(n) ‖ BE8(s(n)))"
        )
    printer = EventPrinter(console, 0)
    match = stage(folder, vm, config, proposer_lies, programs, printer)
    chain, system = match.chain, match.workspace.system(match.chain)
    implementation = system.implementations[match.game_type]
    split, max_depth = implementation.splitDepth(), implementation.maxGameDepth()
    console.print(
        f"  game type {match.game_type}: MAX {max_depth}, SPLIT {split} "
        f"({1 << split} output roots, then 2^{max_depth - split - 1} VM steps per block), "
        f"{implementation.maxClockDuration()} s per side; factory {system.factory.address}, "
        f"step verifier {system.verifiers[match.game_type].address}"
    )
    root = match.game.rootClaim()
    console.print(
        f"  the proposer {match.proposer.address} claims block {match.l2_block}'s output is 0x{root.hex()} "
        + ("[red](a lie)[/red]" if proposer_lies else "[green](the truth)[/green]")
    )
    players = [match.proposer, match.challenger.account] + ([] if proposer_lies else [match.dishonest])
    printer.start = match.game.createdAt()
    console.print("[bold]the game[/bold] (chain time since creation; the runner moves time to each deadline)")
    final = match.play(printer)

    console.print()
    show_game(final, console)
    show_payouts(final, console)
    verdict = GameStatus.CHALLENGER_WINS if proposer_lies else GameStatus.DEFENDER_WINS
    outcome = "the lie was refuted" if final.status == verdict else "[red]the lie won[/red]"
    console.print(
        f"[bold]{final.status.name}[/bold]: {outcome}. Balance changes (bonds won or lost, gas paid):"
    )
    for account in players:
        change = chain.balance(account.address) - match.balances_before[account.address]
        console.print(f"  {_role(account, match):<20} {account.address}  {change / WEI_PER_ETH:+.6f} ETH")
    return final


def liar_view(workspace: Workspace, vm: str, lies: OutputSource, folder: Path) -> GameTraces:
    """The liar's truth: ``lies`` for outputs; below the split the honest run until the first
    keccak preimage read, made-up states from it on (so the final step reads a preimage)."""
    if vm == ALPHABET:
        return lying_traces(lies)
    program = workspace.program(vm)
    record = workspace.record()
    runs = transition_bottom(TransitionChain(record.anchor_block), program)
    return GameTraces(program.absolute_prestate, lies, _wrong_from_preimage_read(runs, folder))


def _wrong_from_preimage_read(runs: BottomBuilder, folder: Path) -> BottomBuilder:
    def bottom(snapshot: GameSnapshot, _: Path) -> BottomFactory:
        honest_runs = runs(snapshot, folder)

        def make(inputs: ExecInputs) -> WrongFromStep:
            provider = honest_runs(inputs)
            assert isinstance(provider, VMTraceProvider)
            return WrongFromStep(provider, first_preimage_read(provider, keccak_data_read))

        return make

    return bottom


def _role(account: Account, match: Match) -> str:
    if account == match.proposer:
        return "proposer (lying)" if match.proposer_lies else "proposer"
    if account == match.challenger.account:
        return "honest challenger"
    return "lying challenger"


__all__ = ["Match", "demo_command", "liar_view", "play", "stage"]
