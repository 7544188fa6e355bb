"""Execution gas of an onchain step verifier, per instruction class, over steps of the real programs.

    python benchmarks/step_gas.py [--vm mips32] [--programs hello,claim,alloc,entry] [--per-class N]
                                  [--codegen venom|legacy] [--optimize gas|codesize] [--all-settings]
                                  [--rpc URL]

Runs the guest programs in the VM, picks a deterministic sample of steps of every instruction class
(ALU, load, store, branch, syscall, preimage read: every ``STRIDE``-th step of the class, up to
``--per-class`` per program; every preimage read and every other syscall is a candidate), and sends
each as a mined ``step`` transaction to the VM's verifier, after loading the preimage part it reads
into the PreimageOracle. Prints the median and the maximum execution gas of each class: the
receipt's ``gasUsed`` less the intrinsic gas (21,000 and the calldata), as the chain layer reports
it (``Receipt.execution_gas``). Each step's log is checked to be the VM's post-state. No assertions
on the figures.

``--all-settings`` compiles the verifier with each Vyper pipeline (legacy, Venom) and optimisation
goal (gas, codesize) and prints one column per setting, with the runtime code size (EIP-170 allows
24,576 bytes).

Adding a VM is one function: it returns a ``Verifier`` naming the contract, the compiler settings it
is deployed with, a classifier (the class of the step a VM is about to execute) and the programs
with their hosts; register it in ``VERIFIERS``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from faultproof.chain import Chain, EmbeddedChain
from faultproof.chain.jsonrpc import JsonRpcChain
from faultproof.contracts import CompilerSettings, compile_contract
from faultproof.crypto import keccak256
from faultproof.examples import claim_host
from faultproof.ints import be64
from faultproof.onchain.deployment import CHALLENGE_PERIOD, DEPLOYMENT_SETTINGS, MIN_PROPOSAL_SIZE
from faultproof.onchain.oracle import load_step_part
from faultproof.onchain.verify import step_calldata
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import local_key
from faultproof.programs import build_programs
from faultproof.vm import vm_class
from faultproof.vm.interface import FaultProofVM, StepProof

REPOSITORY = Path(__file__).resolve().parent.parent
CLASSES = ("ALU", "load", "store", "branch", "syscall", "preimage read")
STRIDE = 53  # a prime: the sample drifts through the programs' loops
CONTEXT = bytes([0x22]) * 32
EIP170_LIMIT = 24_576

Classifier = Callable[[FaultProofVM], str]


@dataclass(frozen=True)
class Verifier:
    """What the benchmark needs to know about one VM's onchain verifier."""

    kind: str  # the VM kind (``--vm``)
    contract: str  # the Vyper source in faultproof/contracts/, deployed with the oracle's address
    settings: CompilerSettings  # how it is deployed
    classify: Classifier  # the instruction class of the step the VM is about to execute
    hosts: dict[str, Callable[[], OracleHost]]  # guest programs and the host each needs


# -- MIPS32 -------------------------------------------------------------------------------------


def classify_mips32(vm: FaultProofVM) -> str:
    """mips32.md §5: op 0 fn 0x0C syscalls (read(5, …) reads a preimage part), op >= 0x20 memory,
    ops 1–7 branches and jumps, jr/jalr count as branches too; everything else ALU (incl. HI/LO)."""
    insn = vm.instruction_at(vm.pc)
    op, fn = insn >> 26, insn & 0x3F
    registers = vm.state.registers  # type: ignore[attr-defined]
    if op == 0 and fn == 0x0C:
        return "preimage read" if (registers[2], registers[4]) == (4003, 5) else "syscall"
    if op >= 0x28 and op != 0x30:
        return "store"  # sb … swr and sc
    if op >= 0x20:
        return "load"  # lb … lwr and ll
    if 1 <= op <= 7 or (op == 0 and fn in (0x08, 0x09)):
        return "branch"
    return "ALU"


def mips32() -> Verifier:
    return Verifier(
        kind="mips32",
        contract="MIPS",
        settings=DEPLOYMENT_SETTINGS["MIPS"],
        classify=classify_mips32,
        hosts={
            "hello": OracleHost.in_memory,
            "claim": claim_host,
            "alloc": lambda: OracleHost.in_memory({local_key(0): be64(3), local_key(1): be64(65536)}),
            "entry": OracleHost.in_memory,
        },
    )


# -- RV64 ----------------------------------------------------------------------------------------

RV_LOAD, RV_STORE, RV_AMO, RV_BRANCH, RV_JALR, RV_JAL, RV_SYSTEM = 0x03, 0x23, 0x2F, 0x63, 0x67, 0x6F, 0x73
RV_A0, RV_A7 = 10, 17


def classify_riscv64(vm: FaultProofVM) -> str:
    """riscv64.md §6: ecall is a syscall (read(5, …) reads a preimage part); loads and LR are
    loads; stores, SC and the AMOs (which load and store) stores; branches, jal and jalr branches;
    everything else ALU (OP, OP-IMM and their W forms, LUI, AUIPC, CSR reads, the no-op groups)."""
    insn = vm.instruction_at(vm.pc)
    opcode = insn & 0x7F
    registers = vm.state.registers  # type: ignore[attr-defined]
    if opcode == RV_SYSTEM and (insn >> 12) & 7 == 0 and insn >> 20 == 0:
        return "preimage read" if (registers[RV_A7], registers[RV_A0]) == (63, 5) else "syscall"
    if opcode == RV_LOAD or (opcode == RV_AMO and insn >> 27 == 0b00010):
        return "load"
    if opcode in (RV_STORE, RV_AMO):
        return "store"
    if opcode in (RV_BRANCH, RV_JAL, RV_JALR):
        return "branch"
    return "ALU"


def riscv64() -> Verifier:
    return Verifier(
        kind="riscv64",
        contract="RISCV",
        settings=DEPLOYMENT_SETTINGS["RISCV"],
        classify=classify_riscv64,
        hosts={
            "hello": OracleHost.in_memory,
            "claim": claim_host,
            "alloc": lambda: OracleHost.in_memory({local_key(0): be64(3), local_key(1): be64(65536)}),
            "entry": OracleHost.in_memory,
        },
    )


VERIFIERS: dict[str, Callable[[], Verifier]] = {"mips32": mips32, "riscv64": riscv64}


# -- sampling and measuring -----------------------------------------------------------------------


def sampled_steps(vm: FaultProofVM, classify: Classifier, per_class: int) -> Iterator[tuple[str, StepProof]]:
    """Every ``STRIDE``-th step of each class (every syscall and preimage read is a candidate), at most
    ``per_class`` of each, with its proof; the program runs to its exit."""
    seen = dict.fromkeys(CLASSES, 0)
    taken = dict.fromkeys(CLASSES, 0)
    while not vm.exited:
        kind = classify(vm)
        stride = 1 if kind in ("syscall", "preimage read") else STRIDE
        if taken[kind] < per_class and seen[kind] % stride == 0:
            proof = vm.step(proof=True)
            assert proof is not None
            taken[kind] += 1
            yield kind, proof
        else:
            vm.step()
        seen[kind] += 1


def measure(
    chain: Chain, verifier: Verifier, settings: CompilerSettings, elves: dict[str, Path], per_class: int
) -> tuple[dict[str, list[int]], int]:
    """Execution gas of each sampled step, by class, and the verifier's runtime code size."""
    compiled = compile_contract(verifier.contract, settings)
    oracle = chain.deploy(compile_contract("PreimageOracle"), MIN_PROPOSAL_SIZE, CHALLENGE_PERIOD)
    contract = chain.deploy(compiled, oracle.address)
    caller = chain.accounts[1]
    gas: dict[str, list[int]] = {kind: [] for kind in CLASSES}
    for program, host in verifier.hosts.items():
        vm, _ = vm_class(verifier.kind).load_elf(elves[program])
        vm.host = host()
        for kind, proof in sampled_steps(vm, verifier.classify, per_class):
            load_step_part(oracle, proof, CONTEXT, caller)
            # The canonical calldata, sent as is: RISCV's step is its fallback (not in its ABI).
            receipt = chain.transact(contract.address, step_calldata(proof, CONTEXT), sender=caller)
            (log,) = receipt.logs  # the post-state witness, whose hash the step returns
            assert keccak256(log.data)[1:] == proof.post[1:], f"{program} step {proof.step}"
            assert receipt.execution_gas is not None, "the node keeps no trace steps (anvil: --steps-tracing)"
            gas[kind].append(receipt.execution_gas)
    return gas, len(compiled.runtime_bytecode)


def table(columns: dict[str, tuple[dict[str, list[int]], int]]) -> list[list[str]]:
    header = ["class", "steps"] + [f"{name} median / max" for name in columns]
    rows = [header]
    first = next(iter(columns.values()))[0]
    for kind in CLASSES:
        row = [kind, str(len(first[kind]))]
        for gas, _ in columns.values():
            values = gas[kind]
            row.append(f"{statistics.median(values):,.0f} / {max(values):,}" if values else "-")
        rows.append(row)
    rows.append(["runtime code (bytes)", ""] + [f"{size:,}" for _, size in columns.values()])
    return rows


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--vm", choices=sorted(VERIFIERS), default="mips32", help="VM kind (default: %(default)s)"
    )
    parser.add_argument("--programs", help="comma-separated guests (default: the VM's sample programs)")
    parser.add_argument(
        "--per-class", type=int, default=40, help="steps per class and program (default: %(default)s)"
    )
    parser.add_argument("--codegen", choices=("venom", "legacy"), help="Vyper pipeline (default: the VM's)")
    parser.add_argument(
        "--optimize", choices=("gas", "codesize"), help="Vyper optimisation (default: the VM's)"
    )
    parser.add_argument("--all-settings", action="store_true", help="one column per pipeline and goal")
    parser.add_argument(
        "--rpc", help="measure on the node at this JSON-RPC URL (default: the embedded chain)"
    )
    args = parser.parse_args(argv)

    verifier = VERIFIERS[args.vm]()
    if args.programs:
        wanted = args.programs.split(",")
        unknown = set(wanted) - set(verifier.hosts)
        if unknown:
            parser.error(f"unknown program(s) for {args.vm}: {', '.join(sorted(unknown))}")
        verifier = Verifier(
            verifier.kind,
            verifier.contract,
            verifier.settings,
            verifier.classify,
            {name: verifier.hosts[name] for name in wanted},
        )
    cls = vm_class(args.vm)
    elves = build_programs(
        cls.kind, cls.go_env, REPOSITORY / "build" / "programs", names=list(verifier.hosts)
    )

    default = verifier.settings
    if args.all_settings:
        variants = {
            f"{codegen}/{goal}": CompilerSettings(optimize=goal, experimental_codegen=codegen == "venom")
            for codegen in ("venom", "legacy")
            for goal in ("gas", "codesize")
        }
    else:
        codegen = args.codegen or ("venom" if default.experimental_codegen else "legacy")
        goal = args.optimize or default.optimize
        variants = {
            f"{codegen}/{goal}": CompilerSettings(optimize=goal, experimental_codegen=codegen == "venom")
        }

    columns = {}
    for name, settings in variants.items():
        chain: Chain = JsonRpcChain(args.rpc) if args.rpc else EmbeddedChain()
        columns[name] = measure(chain, verifier, settings, elves, args.per_class)

    backend = args.rpc or "embedded chain (py-evm, Prague)"
    print(f"{verifier.contract}.step execution gas ({args.vm}, {', '.join(verifier.hosts)}) on {backend}")
    print_table(table(columns))


if __name__ == "__main__":
    main(sys.argv[1:])
