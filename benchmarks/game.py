"""What a whole dispute game costs: moves, gas per move type, the challenger's response time, VM steps.

    python benchmarks/game.py [--game alphabet-mainnet|mips32|riscv64 ...] [--out build/programs]

Plays the demo's game (``faultproof demo``: a proposer lies about the root, the honest challenger
bisects it and steps, the clocks run out, everyone's credit is claimed) on the embedded chain:

* ``alphabet-mainnet``: the alphabet VM at the mainnet shape (MAX 73, SPLIT 30, 3.5-day clocks);
* ``mips32`` / ``riscv64``: the `transition` Go guest in the VM (SPLIT 2–3, K = 19–20, so about 25
  moves), played twice — with the challenger's VM snapshots every 32,768 steps, and without
  snapshots (an answer before the VM's position replays from step 0) — to show what they save.

Prints the number of moves and steps, the total execution gas and the median / max gas of each
transaction kind, the wall time from the liar's move to the challenger's answer (median / max:
reading the game, computing the honest claim, sending), and the VM steps the challenger's trace
providers executed. No assertions on the figures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console

from faultproof.agents import AgentEvent, EventKind, GameSnapshot, HonestChallenger
from faultproof.agents.traces import BottomBuilder
from faultproof.cli.demo import stage
from faultproof.trace.provider import TraceProvider
from faultproof.trace.split import BottomFactory, ExecInputs
from faultproof.trace.transition import DEFAULT_SNAPSHOT_INTERVAL
from faultproof.trace.vm import VMTraceProvider

GAMES = {
    "alphabet-mainnet": ("alphabet", "mainnet"),
    "mips32": ("mips32", "minimal"),
    "riscv64": ("riscv64", "minimal"),
}
NO_SNAPSHOTS = 1 << 62  # an interval no run reaches: only the prestate (and the exit) are kept
ANSWERS = (EventKind.MOVE, EventKind.STEP)


@dataclass
class Tally:
    """Events of one game with the wall time each arrived at."""

    events: list[tuple[float, AgentEvent]] = field(default_factory=list)

    def __call__(self, event: AgentEvent) -> None:
        self.events.append((time.perf_counter(), event))

    def gas_by_kind(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = defaultdict(list)
        for _, event in self.events:
            if event.gas is not None and event.kind != EventKind.REVERTED:
                found[event.kind.value].append(event.gas)
        return found

    def response_times(self) -> list[float]:
        """Wall time from each liar move to the challenger's next answer."""
        times, pending = [], None
        for at, event in self.events:
            if event.agent == "liar" and event.kind == EventKind.MOVE:
                pending = at
            elif event.agent == "challenger" and event.kind in ANSWERS and pending is not None:
                times.append(at - pending)
                pending = None
        return times


def record_providers(challenger: HonestChallenger) -> list[TraceProvider]:
    """Every bottom provider the challenger's traces build from now on (it drops a game's trace
    once the game is done, so they are collected as they are made)."""
    made: list[TraceProvider] = []
    for game_type, traces in list(challenger.traces.items()):

        def bottom(
            snapshot: GameSnapshot, folder: Path, builder: BottomBuilder = traces.bottom
        ) -> BottomFactory:
            factory = builder(snapshot, folder)

            def make(inputs: ExecInputs) -> TraceProvider:
                made.append(factory(inputs))
                return made[-1]

            return make

        challenger.traces[game_type] = replace(traces, bottom=bottom)
    return made


def play(name: str, programs: Path, snapshot_interval: int) -> tuple[Tally, int, int, float]:
    """One game: its events, the VM steps the challenger executed, its answers, the wall time."""
    vm, config = GAMES[name]
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="faultproof-bench-") as folder:
        match = stage(Path(folder), vm, config, True, programs, tally, snapshot_interval)
        providers = record_providers(match.challenger)
        started = time.perf_counter()
        match.play(tally)
        elapsed = time.perf_counter() - started
        executed = sum(p.steps_executed for p in providers if isinstance(p, VMTraceProvider))
    answers = sum(1 for _, e in tally.events if e.agent == "challenger" and e.kind in ANSWERS)
    return tally, executed, answers, elapsed


def report(name: str, tally: Tally, executed: int, answers: int, elapsed: float, console: Console) -> None:
    moves = [e for _, e in tally.events if e.kind == EventKind.MOVE]
    steps = [e for _, e in tally.events if e.kind == EventKind.STEP]
    gas = tally.gas_by_kind()
    console.print(
        f"[bold]{name}[/bold]: {len(moves)} moves ({sum(e.agent == 'challenger' for e in moves)} honest), "
        f"{len(steps)} step, total execution gas {sum(sum(v) for v in gas.values()):,}, "
        f"played in {elapsed:.1f} s wall"
    )
    for kind, values in sorted(gas.items()):
        console.print(
            f"  {kind:<17} n={len(values):<3} gas median {statistics.median(values):>9,.0f}"
            f"  max {max(values):>9,}"
        )
    responses = tally.response_times()
    if responses:
        console.print(
            f"  challenger response: median {statistics.median(responses) * 1000:.0f} ms, "
            f"max {max(responses) * 1000:.0f} ms over {len(responses)} answers"
        )
    if executed:
        console.print(
            f"  VM steps executed by the challenger's traces: {executed:,} for {answers} answers "
            f"({executed // answers:,} per answer; the first runs the program to its exit)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", action="append", choices=sorted(GAMES), help="games to play (default: all)")
    parser.add_argument("--out", type=Path, default=Path("build/programs"), help="where the guests are built")
    args = parser.parse_args()
    console = Console(highlight=False, soft_wrap=True)
    for name in args.game or list(GAMES):
        tally, executed, answers, elapsed = play(name, args.out, DEFAULT_SNAPSHOT_INTERVAL)
        report(name, tally, executed, answers, elapsed, console)
        if GAMES[name][0] != "alphabet":
            tally, executed, answers, elapsed = play(name, args.out, NO_SNAPSHOTS)
            console.print(
                f"  without snapshots: {executed:,} VM steps for {answers} answers, "
                f"challenger response median {statistics.median(tally.response_times()) * 1000:.0f} ms, "
                f"max {max(tally.response_times()) * 1000:.0f} ms; played in {elapsed:.1f} s"
            )


if __name__ == "__main__":
    main()
