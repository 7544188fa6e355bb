"""How fast a VM executes a guest program, and what a memory root costs.

    python benchmarks/vm_speed.py [--vm mips32|riscv64] [--program compute] [--reference-steps N]
                                  [--proof-steps N]

Prints one table for one VM kind (no assertions):

* ``run()`` — plain stepping by the fast interpreter, from the loaded program to its exit;
* ``step()`` — the reference transition without a witness, on the first ``--reference-steps`` steps
  (0: to the exit, which for ``compute`` takes minutes);
* ``step(proof=True)`` — a witness and memory proofs at every step, on the first ``--proof-steps``;
* the memory root after the ``run()``: the incremental update over the pages the run wrote (the root
  of the loaded program having been computed before the run), and a from-scratch root of the same
  memory (a new ``Memory`` given every page with ``set_page``).

Figures depend on the machine and on its load; ``--repeat`` keeps the best of several root timings.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from faultproof.examples import claim_host
from faultproof.memory import Memory
from faultproof.programs import GUEST_PROGRAMS, build_programs
from faultproof.trace.transition import example_host
from faultproof.vm import VM_NAMES, vm_class
from faultproof.vm.interface import FaultProofVM

REPOSITORY = Path(__file__).resolve().parent.parent


def memory_of(vm: FaultProofVM) -> Memory:
    """The VM's full memory (every stateful VM keeps one as ``memory``)."""
    memory = getattr(vm, "memory", None)
    if not isinstance(memory, Memory):
        raise SystemExit(f"{type(vm).__name__} has no Memory to benchmark the root of")
    return memory


def timed_steps(vm: FaultProofVM, limit: int, proof: bool) -> tuple[int, float]:
    """Reference steps until ``limit`` steps (0: no limit) or the exit; returns (steps, seconds)."""
    start_step = vm.step_count
    start = time.perf_counter()
    while not vm.exited and (limit == 0 or vm.step_count - start_step < limit):
        vm.step(proof=proof)
    return vm.step_count - start_step, time.perf_counter() - start


def timed_run(vm: FaultProofVM) -> tuple[int, float]:
    """Fast ``run()`` to the exit (it returns early after preimage reads, so loop)."""
    start_step = vm.step_count
    start = time.perf_counter()
    while not vm.exited:
        vm.run(1 << 62)
    return vm.step_count - start_step, time.perf_counter() - start


def best_time(action: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls of ``action()``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vm", choices=VM_NAMES, default=VM_NAMES[0], help="VM kind (default: %(default)s)")
    parser.add_argument(
        "--program", choices=GUEST_PROGRAMS, default="compute", help="guest (default: %(default)s)"
    )
    parser.add_argument(
        "--reference-steps",
        type=int,
        default=1_000_000,
        help="steps measured with the reference step(); 0 runs it to the exit (default: %(default)s)",
    )
    parser.add_argument(
        "--proof-steps",
        type=int,
        default=20_000,
        help="steps measured with step(proof=True) (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of the root timings (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    cls = vm_class(args.vm)
    elf = build_programs(cls.kind, cls.go_env, REPOSITORY / "build" / "programs", names=[args.program])[
        args.program
    ]

    def fresh() -> FaultProofVM:
        vm, _ = cls.load_elf(elf)
        if args.program == "claim":  # the example inputs of the guests that read a host
            vm.host = claim_host()
        elif args.program == "transition":
            vm.host = example_host()
        return vm

    rows: list[tuple[str, str, str, str]] = []

    def add_rate(what: str, steps: int, seconds: float) -> None:
        rows.append((what, f"{steps:,}", f"{seconds:.3f}", f"{steps / seconds:,.0f}"))

    # Plain stepping, fast engine, from a loaded program whose root is already computed.
    vm = fresh()
    memory = memory_of(vm)
    memory.merkle_root()
    steps, seconds = timed_run(vm)
    add_rate("run() (fast interpreter)", steps, seconds)

    start = time.perf_counter()
    memory.merkle_root()
    incremental = time.perf_counter() - start
    pages = dict(memory.iter_pages())

    def root_from_scratch() -> None:
        scratch = Memory(memory.address_bits)
        for index, data in pages.items():
            scratch.set_page(index, data)
        scratch.merkle_root()

    from_scratch = best_time(root_from_scratch, args.repeat)

    steps, seconds = timed_steps(fresh(), args.reference_steps, proof=False)
    add_rate("step() (reference)", steps, seconds)
    steps, seconds = timed_steps(fresh(), args.proof_steps, proof=True)
    add_rate("step(proof=True) (witness + proofs)", steps, seconds)

    rows.append(("memory root after the run (incremental)", "", f"{incremental:.3f}", ""))
    rows.append((f"memory root from scratch ({len(pages)} pages)", "", f"{from_scratch:.3f}", ""))

    print(f"{args.vm} / {args.program} — Python {platform.python_version()} on {platform.machine()}")
    header = ("measurement", "steps", "seconds", "steps/s")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
