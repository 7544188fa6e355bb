"""Whole Go programs in the RV64 VM: the same behaviour as in the MIPS32 VM, every proof verifying.

Each guest of ``programs/`` is built for both VMs (riscv64.md §12.2, mips32.md) and run to exit in
both. The RV64 run must print the same stdout and stderr, send the same hints and exit with the same
code as the MIPS32 run — the expectation comes from the MIPS run, and the known values are asserted
too. Along the RV64 run, sampled steps and every syscall step (so every preimage read) are proven by
``RiscvVM.step(proof=True)`` and replayed by the stateless verifier (``RiscvVM.verify_step``), which
must reproduce the VM's post-state hash; preimage reads are served only the part their proof names,
under its onchain (localized, for local keys) key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from faultproof.crypto import keccak256
from faultproof.examples import CLAIM_RESULT, claim_host
from faultproof.ints import be64
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import local_key
from faultproof.vm.interface import FaultProofVM, StepProof
from faultproof.vm.mips32.vm import MipsVM
from faultproof.vm.riscv64.vm import RiscvVM
from onchain_checks import CALLER, CONTEXT, parts_for, run_differential
from test_mips32_verifier import DIFF_HASH, PRE_HASH, compute_digest

WITNESS_SIZE = 362
PROOF_SIZE = 1920
EXIT_CODE_OFFSET, EXITED_OFFSET = 80, 81
WRONG_CLAIM = 5
SAMPLE_EVERY = 97
CLAIM_STDOUT = b"computing 72057589742964736 * 3 + 4\n"


def is_ecall(insn: int) -> bool:
    """§6.10: SYSTEM with funct3 = 0 and insn[31:20] = 0; the rd and rs1 fields are not checked."""
    return insn & 0x7F == 0x73 and (insn >> 12) & 7 == 0 and insn >> 20 == 0


def status_hash(witness: bytes) -> bytes:
    """§2.2, written out: status byte, then bytes 1..31 of the witness hash."""
    exit_code, exited = witness[EXIT_CODE_OFFSET], witness[EXITED_OFFSET]
    status = 3 if exited != 1 else {0: 0, 1: 1}.get(exit_code, 2)
    return bytes([status]) + keccak256(witness)[1:]


def check_step_proof(proof: StepProof) -> None:
    """The proof is well formed (§3.4, §10.3) and the stateless verifier reproduces its post hash."""
    assert len(proof.state_data) == WITNESS_SIZE
    exited = proof.state_data[EXITED_OFFSET] != 0
    assert len(proof.proof_data) in ((0,) if exited else (PROOF_SIZE, 2 * PROOF_SIZE, 3 * PROOF_SIZE))
    assert proof.pre == status_hash(proof.state_data)
    post = RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, parts_for(proof), CALLER)
    assert post == proof.post


# -- the reference: each program in the MIPS32 VM ------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    stdout: bytes
    stderr: bytes
    exit_code: int
    hints: tuple[bytes, ...]


def outcome(vm: FaultProofVM, host: OracleHost) -> Outcome:
    assert vm.exited
    return Outcome(bytes(vm.stdout), bytes(vm.stderr), vm.exit_code, tuple(host.hints))


def alloc_host() -> OracleHost:
    return OracleHost.in_memory({local_key(0): be64(3), local_key(1): be64(65536)})


def recording(make_host: Callable[[], OracleHost]) -> OracleHost:
    host = make_host()
    host.record_hints = True
    return host


HOSTS: dict[str, Callable[[], OracleHost]] = {
    "hello": OracleHost.in_memory,
    "entry": OracleHost.in_memory,
    "claim-true": claim_host,
    "claim-false": lambda: claim_host(WRONG_CLAIM),
    "alloc": alloc_host,
    "compute": OracleHost.in_memory,
}


def program_of(case: str) -> str:
    return case.split("-")[0]


def run_fast(vm: FaultProofVM, max_steps: int) -> None:
    """Run to exit by the VM's fast engine (``run``)."""
    while not vm.exited:
        assert vm.step_count < max_steps, "program did not exit"
        vm.run(max_steps - vm.step_count)


@pytest.fixture(scope="module")
def mips_outcomes(mips_elves: dict[str, Path]) -> dict[str, Outcome]:
    """Every default case in the MIPS32 VM (its fast engine), the expectation for the RV64 runs."""
    outcomes = {}
    for case in ("hello", "entry", "claim-true", "claim-false", "alloc"):
        vm, _ = MipsVM.load_elf(mips_elves[program_of(case)])
        host = vm.host = recording(HOSTS[case])
        run_fast(vm, 5_000_000)
        outcomes[case] = outcome(vm, host)
    return outcomes


def load_riscv(riscv_elves: dict[str, Path], case: str) -> tuple[RiscvVM, OracleHost]:
    vm, _ = RiscvVM.load_elf(riscv_elves[program_of(case)])
    host = vm.host = recording(HOSTS[case])
    return vm, host


# -- the programs --------------------------------------------------------------------------------


def test_hello(riscv_elves: dict[str, Path], mips_outcomes: dict[str, Outcome]) -> None:
    """About 220k steps; every 97th and every syscall step verified (all of them: slow test below)."""
    vm, host = load_riscv(riscv_elves, "hello")
    counts = run_differential(vm, SAMPLE_EVERY, is_ecall, check_step_proof)
    assert outcome(vm, host) == mips_outcomes["hello"] == Outcome(b"hello world!\n", b"", 0, ())
    assert vm.state_hash()[0] == 0  # status: valid
    assert bytes(vm.last_hint) == b"" and counts["preimage_reads"] == 0
    assert 150_000 < counts["steps"] < 300_000  # §12.3: roughly 2.3 × 10^5
    assert counts["syscalls"] > 100 and counts["verified"] > counts["steps"] // SAMPLE_EVERY


@pytest.mark.slow
def test_hello_every_step(riscv_elves: dict[str, Path]) -> None:
    """Every step of hello proven by the VM and replayed by the verifier (~40 s)."""
    vm, _ = load_riscv(riscv_elves, "hello")
    started = time.perf_counter()
    counts = run_differential(vm, 1, is_ecall, check_step_proof)
    elapsed = time.perf_counter() - started
    assert counts["verified"] == counts["steps"] == vm.step_count
    assert bytes(vm.stdout) == b"hello world!\n" and vm.exit_code == 0
    print(f"hello: {counts['steps']} steps verified in {elapsed:.1f} s")


@pytest.mark.parametrize(
    ("case", "exit_code", "verdict"),
    [
        ("claim-true", 0, f"claim {CLAIM_RESULT} is good!\n".encode()),
        ("claim-false", 1, f"claim {CLAIM_RESULT} is bad! Correct result is {WRONG_CLAIM}\n".encode()),
    ],
    ids=["true-claim", "false-claim"],
)
def test_claim(
    riscv_elves: dict[str, Path], mips_outcomes: dict[str, Outcome], case: str, exit_code: int, verdict: bytes
) -> None:
    """The preimage program: every hint, key write and preimage read; every read verified."""
    vm, host = load_riscv(riscv_elves, case)
    counts = run_differential(vm, SAMPLE_EVERY, is_ecall, check_step_proof)
    hints = (b"fetch-state " + PRE_HASH.hex().encode(), b"fetch-diff " + DIFF_HASH.hex().encode())
    expected = Outcome(CLAIM_STDOUT + verdict, b"started!", exit_code, hints)
    assert outcome(vm, host) == mips_outcomes[case] == expected
    assert vm.state_hash()[0] == exit_code  # status: valid (0) or invalid (1)
    assert host.router.unknown_hints == [] and host.router.failed_hints == []
    # 3 local keys (32 + 32 + 8 bytes) and 4 keccak preimages (8 + 64 + 8 + 8), each read as its
    # 8-byte length and then at most 32 bytes per read, some at offsets past the length prefix.
    assert counts["local_reads"] >= 3 * 2
    assert counts["preimage_reads"] - counts["local_reads"] >= 4 * 2
    assert counts["offset_reads"] > 0


def test_alloc(riscv_elves: dict[str, Path], mips_outcomes: dict[str, Outcome]) -> None:
    vm, host = load_riscv(riscv_elves, "alloc")
    counts = run_differential(vm, SAMPLE_EVERY, is_ecall, check_step_proof)
    expected = Outcome(b"alloc: 3 x 65536 bytes\nalloc: done, 196608 bytes\n", b"", 0, ())
    assert outcome(vm, host) == mips_outcomes["alloc"] == expected
    assert counts["local_reads"] >= 2
    assert vm.state.heap > 0x7F00_0000_0000  # the buffers came from mmap (§7.3)


def test_entry(riscv_elves: dict[str, Path], mips_outcomes: dict[str, Outcome]) -> None:
    vm, host = load_riscv(riscv_elves, "entry")
    counts = run_differential(vm, SAMPLE_EVERY, is_ecall, check_step_proof)
    assert outcome(vm, host) == mips_outcomes["entry"] == Outcome(b"entry ok\n", b"", 0, ())
    assert counts["verified"] > counts["steps"] // SAMPLE_EVERY


@pytest.mark.slow
def test_compute(riscv_elves: dict[str, Path], mips_elves: dict[str, Path]) -> None:
    """Tens of millions of steps: both VMs by their fast engines, the same SHA-256 chain printed."""
    outcomes = []
    for vm_type, elves in ((MipsVM, mips_elves), (RiscvVM, riscv_elves)):
        vm, _ = vm_type.load_elf(elves["compute"])
        host = vm.host = recording(HOSTS["compute"])
        run_fast(vm, 200_000_000)
        outcomes.append(outcome(vm, host))
    assert outcomes[1] == outcomes[0] == Outcome((compute_digest() + "\n").encode(), b"", 0, ())
