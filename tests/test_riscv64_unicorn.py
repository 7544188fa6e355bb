"""Differential test: the RV64 VM against an independent emulator (unicorn, i.e. QEMU's RISC-V core).

The real Go guests are single-stepped in lock-step in the VM (its reference ``step``) and in unicorn.
After every instruction unicorn executes, the 32 integer registers, ``pc`` and every 32-byte leaf the
instruction touched in either emulator must be equal. Instructions whose meaning the VM defines
itself (riscv64.md §6.1, §6.10, §7) are not given to unicorn: the VM executes them alone, the test
checks that they changed only what the spec allows, and copies the VM's result into unicorn —
syscalls (``ecall``), CSR accesses (read 0), the other SYSTEM encodings (``ebreak``, ``wfi``, …:
no-ops) and the floating-point opcodes (no-ops). A ``strict`` lock-step gives all of these but
``ecall`` to unicorn, which is how the synthetic tests show each divergence exists.

Every intended divergence, and how this test treats it, is written down in
``docs/unicorn-divergences.md`` (section "RV64"); ``test_intended_divergence_is_detected`` and
``test_vm_reverts_where_unicorn_executes`` show that each one exists and how it surfaces.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from faultproof.errors import InvalidInstruction, MisalignedAddress, StepFailure
from faultproof.examples import claim_host
from faultproof.ints import be64
from faultproof.memory import LEAF_SIZE, Memory
from faultproof.metadata import Metadata
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import local_key
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.vm import RiscvVM
from riscv_asm import (
    A0,
    A1,
    A7,
    CSR_CYCLE,
    CSR_INSTRET,
    CSR_MHARTID,
    CSR_TIME,
    EBREAK,
    FENCE_TSO,
    MRET,
    NOP,
    PAUSE,
    RA,
    S0,
    S1,
    T0,
    T1,
    T2,
    T3,
    WFI,
    ZERO,
    add,
    addi,
    addiw,
    addw,
    amo_type,
    and_,
    andi,
    auipc,
    b_type,
    csrr,
    csrrw,
    div,
    divu,
    divuw,
    divw,
    ecall,
    fadd_d,
    fclass_d,
    fcvt_l_d,
    fence,
    fence_i,
    feq_d,
    fld,
    flw,
    fmadd_d,
    fmv_x_d,
    fsd,
    fsw,
    i_type,
    jal,
    jalr,
    lb,
    lbu,
    ld,
    lh,
    lhu,
    lr_d,
    lr_w,
    lui,
    lw,
    lwu,
    mul,
    mulh,
    mulhsu,
    mulhu,
    mulw,
    or_,
    ori,
    r_type,
    rdcycle,
    rdinstret,
    rdtime,
    rem,
    remu,
    remuw,
    remw,
    sb,
    sc_d,
    sc_w,
    sd,
    sh,
    shift_imm,
    sll,
    slli,
    slliw,
    sllw,
    slt,
    slti,
    sltiu,
    sltu,
    sra,
    srai,
    sraiw,
    sraw,
    srl,
    srli,
    srliw,
    srlw,
    sub,
    subw,
    sw,
    xor,
    xori,
)
from unicorn_harness import (
    UNTIL_NEVER,
    Divergence,
    RegisterReader,
    UcError,
    UnicornMemory,
    recording_copy,
    run_vm_until,
    unicorn,
)

riscv_const = pytest.importorskip("unicorn.riscv_const")

Uc = unicorn.Uc

MASK64 = (1 << 64) - 1
LEAF_ALIGN = MASK64 & ~(LEAF_SIZE - 1)
GPRS = [getattr(riscv_const, f"UC_RISCV_REG_X{index}") for index in range(32)]
REG_PC = riscv_const.UC_RISCV_REG_PC
REG_MSTATUS = riscv_const.UC_RISCV_REG_MSTATUS
ALL_REGISTERS = [*GPRS, REG_PC]
# mstatus.FS (bits 14:13) = 3, "Dirty": with FS = 0 (unicorn's reset value) every floating-point
# instruction raises an illegal-instruction exception (UC_ERR_EXCEPTION).
MSTATUS_FS_DIRTY = 0x6000
REGISTER_NAMES = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
]  # fmt: skip
COMPARED_NAMES = [*REGISTER_NAMES, "pc"]

SYS_EXIT_GROUP = 94
SYS_WRITE = 64
SYS_EXITS = (93, SYS_EXIT_GROUP)


# -- decoding (only what the lock-step and its statistics need) ----------------------------------

OPCODE_SYSTEM = 0x73
FP_OPCODES = {0x07: "load-fp", 0x27: "store-fp", 0x53: "op-fp"}


def vm_defined(insn: int) -> str | None:
    """The instructions whose meaning the VM defines (§6.1, §6.10), by kind; None for the others."""
    opcode = insn & 0x7F
    if opcode == OPCODE_SYSTEM:
        if (insn >> 12) & 7:
            return "csr"
        return "ecall" if insn >> 20 == 0 else "system"
    if opcode in FP_OPCODES:
        return "fp"
    return None


LOAD_NAMES = ("lb", "lh", "lw", "ld", "lbu", "lhu", "lwu")
STORE_NAMES = ("sb", "sh", "sw", "sd")
OP_IMM_NAMES = {0: "addi", 2: "slti", 3: "sltiu", 4: "xori", 6: "ori", 7: "andi"}
OP_NAMES = {
    (0, 0x00): "add", (0, 0x20): "sub", (1, 0x00): "sll", (2, 0x00): "slt", (3, 0x00): "sltu",
    (4, 0x00): "xor", (5, 0x00): "srl", (5, 0x20): "sra", (6, 0x00): "or", (7, 0x00): "and",
}  # fmt: skip
M_NAMES = ("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")
OP_32_NAMES = {(0, 0x00): "addw", (0, 0x20): "subw", (1, 0x00): "sllw", (5, 0x00): "srlw", (5, 0x20): "sraw"}
M_32_NAMES = {0: "mulw", 4: "divw", 5: "divuw", 6: "remw", 7: "remuw"}
BRANCH_NAMES = {0: "beq", 1: "bne", 4: "blt", 5: "bge", 6: "bltu", 7: "bgeu"}
AMO_NAMES = {
    0x00: "amoadd", 0x01: "amoswap", 0x02: "lr", 0x03: "sc", 0x04: "amoxor", 0x08: "amoor",
    0x0C: "amoand", 0x10: "amomin", 0x14: "amomax", 0x18: "amominu", 0x1C: "amomaxu",
}  # fmt: skip
CSR_NAMES = {1: "csrrw", 2: "csrrs", 3: "csrrc", 4: "csr-4", 5: "csrrwi", 6: "csrrsi", 7: "csrrci"}
CSR_READS = {CSR_CYCLE: "rdcycle", CSR_TIME: "rdtime", CSR_INSTRET: "rdinstret"}  # csrrs rd, csr, x0
SYSTEM_NAMES = {0x000: "ecall", 0x001: "ebreak", 0x105: "wfi", 0x302: "mret", 0x102: "sret"}
# A trailing "!" marks an encoding the VM executes leniently (§6.11) where RISC-V says otherwise.
LENIENT = "!"


def mnemonic(insn: int) -> str:
    """A coarse name for statistics; lenient (§6.11) and reverting encodings get names of their own."""
    opcode, f3, f7 = insn & 0x7F, (insn >> 12) & 7, insn >> 25
    if insn & 3 != 3:
        return "compressed"
    match opcode:
        case 0x03:
            return LOAD_NAMES[f3] if f3 < 7 else "load-7"
        case 0x23:
            return STORE_NAMES[f3] if f3 < 4 else f"store-{f3}"
        case 0x13:
            if f3 == 1:
                return "slli" if insn >> 26 == 0 else "slli" + LENIENT
            if f3 == 5:
                return {0x00: "srli", 0x10: "srai"}.get(insn >> 26, "op-imm-5")
            return OP_IMM_NAMES[f3]
        case 0x1B:
            if f3 == 0:
                return "addiw"
            if f3 == 1:
                return "slliw" if f7 == 0 else "slliw" + LENIENT
            return {(5, 0x00): "srliw", (5, 0x20): "sraiw"}.get((f3, f7), f"op-imm-32-{f3}")
        case 0x33:
            if f7 == 1:
                return M_NAMES[f3]
            return OP_NAMES.get((f3, f7), f"op-{f3}/{f7:#x}" + (LENIENT if f3 not in (0, 5) else ""))
        case 0x3B:
            if f7 == 1:
                return M_32_NAMES.get(f3, f"op-32-m-{f3}")
            name = OP_32_NAMES.get((f3, f7))
            return name or (f"op-32-1/{f7:#x}" + LENIENT if f3 == 1 else f"op-32-{f3}/{f7:#x}")
        case 0x37:
            return "lui"
        case 0x17:
            return "auipc"
        case 0x6F:
            return "jal"
        case 0x67:
            return "jalr" if f3 == 0 else "jalr" + LENIENT
        case 0x63:
            return BRANCH_NAMES.get(f3, f"branch-{f3}" + LENIENT)
        case 0x2F:
            width = {2: ".w", 3: ".d"}.get(f3, f"-{f3}")
            return AMO_NAMES.get(insn >> 27, "amo-?") + width
        case 0x0F:
            return "fence.i" if f3 == 1 else "fence"
        case 0x73:
            if f3 == 2 and (insn >> 15) & 0x1F == 0:
                return CSR_READS.get(insn >> 20, CSR_NAMES[f3])
            if f3:
                return CSR_NAMES[f3]
            return SYSTEM_NAMES.get(insn >> 20, "system-other")
    return FP_OPCODES.get(opcode, f"opcode-{opcode:#04x}")


# -- the VM side: a memory that records which bytes a step touched -------------------------------


class RecordingMemory(Memory):
    """``Memory`` that records every range the VM reads or writes (instruction fetches included).

    The reference step reaches memory one 32-byte leaf at a time (``RiscvVM``'s ``_LiveMemory``),
    so the recorded ranges are whole leaves, plus the buffers of ``write(1|2|4, …)``.
    """

    __slots__ = ("reads", "writes")

    def __init__(self, address_bits: int = 64) -> None:
        super().__init__(address_bits)
        self.reads: list[tuple[int, int]] = []
        self.writes: list[tuple[int, int]] = []

    def read(self, address: int, length: int) -> bytes:
        self.reads.append((address, length))
        return super().read(address, length)

    def write(self, address: int, data: bytes) -> None:
        self.writes.append((address, len(data)))
        super().write(address, data)

    def peek(self, address: int, length: int) -> bytes:
        """Read without recording (the comparison's own reads)."""
        return super().read(address, length)

    def clear(self) -> None:
        self.reads.clear()
        self.writes.clear()


def leaves_of(ranges: list[tuple[int, int]]) -> set[int]:
    """The 32-byte-aligned leaves that some byte ranges cover."""
    leaves: set[int] = set()
    for address, length in ranges:
        first = address & LEAF_ALIGN
        last = (address + max(length, 1) - 1) & LEAF_ALIGN
        leaves.add(first)
        if last != first:
            leaves.update(leaf & MASK64 for leaf in range(first + LEAF_SIZE, last + 1, LEAF_SIZE))
    return leaves


# -- the lock-step driver ------------------------------------------------------------------------


@dataclass
class Statistics:
    instructions: int = 0  # emu_start calls: one unicorn instruction, one VM step
    vm_steps: int = 0
    vm_alone: Counter[str] = field(default_factory=Counter)  # VM-defined steps by kind (ecall, csr, …)
    syscall_leaves: int = 0  # 32-byte leaves a syscall wrote in the VM, copied into unicorn
    sc_failures: int = 0  # sc.w/sc.d that returned 1 (in both emulators, or it would have diverged)
    compared_leaves: int = 0
    seconds: float = 0.0
    executed: Counter[str] = field(default_factory=Counter)  # by mnemonic
    syscall_numbers: Counter[int] = field(default_factory=Counter)

    def rate(self) -> float:
        return self.vm_steps / self.seconds if self.seconds else 0.0


class LockStep:
    """One program state executed by the VM and by unicorn side by side.

    ``strict`` gives every instruction except ``ecall`` to unicorn as well (the synthetic tests use
    it to show the divergences the default mode reconciles).
    """

    def __init__(self, vm: RiscvVM, metadata: Metadata | None = None, strict: bool = False) -> None:
        if not isinstance(vm.memory, RecordingMemory):
            vm.memory = recording_copy(RecordingMemory, vm.memory)
        self.vm = vm
        self.memory: RecordingMemory = vm.memory
        self.metadata = metadata or Metadata([])
        self.strict = strict
        self.stats = Statistics()
        self.uc = Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
        self._accesses: list[tuple[int, int]] = []
        self.uc_memory = UnicornMemory(self.uc, self.memory, address_digits=16)
        state = vm.state
        # x0 is written too; unicorn's instructions read it as 0 whatever reg_read says (divergence R2).
        self.uc.reg_write_batch(list(zip(ALL_REGISTERS, [*state.registers, state.pc], strict=True)))
        self.uc.reg_write(REG_MSTATUS, self.uc.reg_read(REG_MSTATUS) | MSTATUS_FS_DIRTY)
        self.registers = RegisterReader(self.uc, ALL_REGISTERS, MASK64)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_READ | unicorn.UC_HOOK_MEM_WRITE, self._on_access)

    def _on_access(self, uc: object, access: int, address: int, size: int, value: int, user: object) -> None:
        self._accesses.append((address, size))

    # -- stepping ------------------------------------------------------------------------------

    def step(self) -> None:
        """Execute one instruction in unicorn and the VM (or a VM-defined one in the VM), then compare."""
        vm = self.vm
        pc = vm.state.pc
        insn = int.from_bytes(self.memory.peek(pc, 4), "little")
        name = mnemonic(insn)
        self.stats.executed[name] += 1
        self.memory.clear()
        self._accesses.clear()
        kind = vm_defined(insn)
        if kind == "ecall" or (kind is not None and not self.strict):
            self._vm_alone(pc, insn, kind)
            return
        try:
            self.uc.emu_start(pc, UNTIL_NEVER, count=1)
        except UcError as error:
            self._fail(pc, insn, f"unicorn raised {error} (the VM was not stepped)")
        self.stats.instructions += 1
        vm.step()
        self.stats.vm_steps += 1
        if name.startswith("sc.") and vm.state.registers[(insn >> 7) & 0x1F] != 0:
            self.stats.sc_failures += 1
        self._compare(pc, insn)

    def _vm_alone(self, pc: int, insn: int, kind: str) -> None:
        """A VM-defined instruction: the VM executes it, unicorn receives the result (R1, R3–R5)."""
        vm = self.vm
        state = vm.state
        before = list(state.registers)
        rd = (insn >> 7) & 0x1F
        if kind == "ecall":
            number = before[A7]
            self.stats.syscall_numbers[number] += 1
            allowed = {A0, A1}  # §7.1: results in a0 and a1, every other register preserved
        elif kind == "csr":
            allowed = {rd} - {0}  # §6.10: x[rd] = 0, nothing else
        else:
            allowed = set()  # ebreak, wfi, …, and every FP opcode: pc += 4 only
        vm.step()
        self.stats.vm_steps += 1
        self.stats.vm_alone[kind] += 1
        changed = {index for index in range(32) if state.registers[index] != before[index]}
        if not changed <= allowed:
            self._fail(pc, insn, f"{kind} changed registers {sorted(changed - allowed)} (§6.10, §7.1)")
        if kind == "csr" and rd and state.registers[rd] != 0:
            self._fail(pc, insn, f"a CSR read gave 0x{state.registers[rd]:x}, not 0 (§6.10)")
        if state.pc != (pc + 4) & MASK64:
            self._fail(pc, insn, f"{kind} did not advance pc by 4 (exit included, §7.1)")
        if kind == "ecall" and vm.exited != (before[A7] in SYS_EXITS):
            self._fail(pc, insn, f"syscall {before[A7]} left exited = {vm.exited}")
        if self.memory.writes and kind != "ecall":
            self._fail(pc, insn, f"{kind} wrote memory {self.memory.writes}")
        for address, length in self.memory.writes:
            self.uc_memory.write(address, self.memory.peek(address, length))
            self.stats.syscall_leaves += 1
        self.uc.reg_write_batch(
            [(GPRS[index], state.registers[index]) for index in sorted(allowed)] + [(REG_PC, state.pc)]
        )
        self._compare(pc, insn)

    # -- comparison ----------------------------------------------------------------------------

    def _compare(self, pc: int, insn: int) -> None:
        state = self.vm.state
        values = self.registers.read()
        if values != [*state.registers, state.pc]:
            self._fail(pc, insn, "registers differ", values)
        # The VM's first read is the fetch of the instruction both executed: its leaf holds code,
        # which only a write changes (and every write is compared), so it is left out.
        leaves = leaves_of([*self.memory.reads[1:], *self.memory.writes, *self._accesses])
        self.stats.compared_leaves += len(leaves)
        for leaf in leaves:
            vm_leaf, uc_leaf = self.memory.peek(leaf, LEAF_SIZE), self.uc_memory.read(leaf, LEAF_SIZE)
            if vm_leaf != uc_leaf:
                self._fail(
                    pc, insn, f"memory leaf 0x{leaf:016x}: VM {vm_leaf.hex()}, unicorn {uc_leaf.hex()}"
                )

    def _fail(self, pc: int, insn: int, reason: str, uc_values: list[int] | None = None) -> None:
        lines = [
            f"divergence at VM step {self.vm.state.step} (instruction at pc 0x{pc:016x} = 0x{insn:08x} "
            f"[{mnemonic(insn)}], symbol {self.metadata.symbol_name(pc)}): {reason}",
        ]
        if uc_values is not None:
            expected = [*self.vm.state.registers, self.vm.state.pc]
            for name, vm_value, uc_value in zip(COMPARED_NAMES, expected, uc_values, strict=True):
                if vm_value != uc_value:
                    lines.append(f"  {name}: VM 0x{vm_value:016x}  unicorn 0x{uc_value:016x}")
        raise Divergence("\n".join(lines))

    def compare_all_memory(self) -> int:
        """Every page either side has must be equal (catches stray writes the per-step check missed)."""
        return self.uc_memory.compare_all(self.vm.state.step)

    def run(self, max_vm_steps: int | None = None) -> Statistics:
        """Lock-step until the program exits or ``max_vm_steps`` more VM steps have run."""
        start = time.perf_counter()
        target = None if max_vm_steps is None else self.vm.state.step + max_vm_steps
        try:
            while not self.vm.exited and (target is None or self.vm.state.step < target):
                self.step()
        finally:
            self.stats.seconds += time.perf_counter() - start
        return self.stats


# -- helpers -------------------------------------------------------------------------------------


def at_syscall(vm: RiscvVM, number: int, first_argument: int | None = None) -> bool:
    registers = vm.state.registers
    if vm.instruction_at(vm.state.pc) != ecall() or registers[A7] != number:
        return False
    return first_argument is None or registers[A0] == first_argument


def report(name: str, lock: LockStep) -> None:
    """One line of figures, shown with ``pytest -s`` (or ``-rP``)."""
    stats = lock.stats
    print(
        f"{name}: {stats.vm_steps} VM steps ({stats.instructions} unicorn instructions, "
        f"VM alone: {dict(stats.vm_alone)}, {lock.uc_memory.mapped_on_demand} pages mapped on demand, "
        f"{stats.compared_leaves} leaves compared) in {stats.seconds:.1f} s = {stats.rate():.0f} VM steps/s; "
        f"VM-defined executed: { {n: c for n, c in stats.executed.items() if is_vm_defined_name(n)} }"
    )


def is_vm_defined_name(name: str) -> bool:
    return name in ("ebreak", "wfi", "mret", "sret", "system-other", *FP_OPCODES.values()) or name.startswith(
        ("rd", "csr")
    )


def assert_no_quirk_executed(stats: Statistics) -> None:
    """No lenient (§6.11), reverting or privileged encoding runs in these Go programs.

    The VM-defined ones that do run are FP no-ops and ``rdtime`` (see ``test_go_binary_inventory``).
    """
    quirks = {
        name: count
        for name, count in stats.executed.items()
        if name.endswith(LENIENT)
        or name.startswith(("opcode-", "op-", "load-7", "store-", "amo-", "branch-", "compressed"))
        or name in ("ebreak", "wfi", "mret", "sret", "system-other")
        or (name.startswith(("csr", "rd")) and name != "rdtime")
    }
    assert quirks == {}


# -- the Go guests -------------------------------------------------------------------------------


def test_hello_lockstep_to_exit(riscv_elves: dict[str, Path]) -> None:
    """The whole `hello` program (~220k steps), every step compared."""
    vm, metadata = RiscvVM.load_elf(riscv_elves["hello"])
    lock = LockStep(vm, metadata)
    stats = lock.run()
    report("hello", lock)

    assert vm.exited and vm.exit_code == 0
    assert bytes(vm.stdout) == b"hello world!\n" and bytes(vm.stderr) == b""
    assert stats.vm_alone["ecall"] > 100 and lock.uc_memory.mapped_on_demand > 0
    assert stats.syscall_numbers[222] > 0 and stats.syscall_numbers[SYS_EXIT_GROUP] == 1
    assert stats.executed["lr.w"] + stats.executed["lr.d"] > 0 and stats.sc_failures == 0
    # R4: the runtime's one rdtime (runtime.cputicks) runs and reads 0; no FP spill runs (R3)
    assert stats.executed["rdtime"] == 1 and stats.vm_alone == {"ecall": stats.vm_alone["ecall"], "csr": 1}
    assert_no_quirk_executed(stats)
    lock.compare_all_memory()


def assert_claim_result(vm: RiscvVM, stats: Statistics) -> None:
    assert vm.exited and vm.exit_code == 0
    assert bytes(vm.stdout).endswith(b"claim 216172769228894212 is good!\n")
    assert bytes(vm.stderr) == b"started!"
    # read(5, …) wrote preimage bytes in the VM, copied into unicorn (R1)
    assert stats.syscall_leaves > 0 and stats.executed["ecall"] == stats.vm_alone["ecall"]
    assert stats.sc_failures == 0
    assert_no_quirk_executed(stats)


def test_claim_preimage_section_lockstep(riscv_elves: dict[str, Path]) -> None:
    """`claim` from its first write ("started!" to stderr, just before the oracle traffic) to exit.

    The start-up before it is the runtime code `hello` covers; this part has every hint and key
    write and every preimage read, whose memory writes go through the VM's syscall path.
    """
    vm, metadata = RiscvVM.load_elf(riscv_elves["claim"])
    vm.host = claim_host()
    run_vm_until(vm, lambda vm: at_syscall(vm, SYS_WRITE, 2), 1_000_000)
    lock = LockStep(vm, metadata)
    stats = lock.run()
    report("claim (from main)", lock)
    assert_claim_result(vm, stats)
    lock.compare_all_memory()


@pytest.mark.slow
def test_claim_lockstep_to_exit(riscv_elves: dict[str, Path]) -> None:
    """The whole `claim` program with `claim_host()`, every step compared."""
    vm, metadata = RiscvVM.load_elf(riscv_elves["claim"])
    vm.host = claim_host()
    lock = LockStep(vm, metadata)
    stats = lock.run()
    report("claim", lock)
    assert_claim_result(vm, stats)
    lock.compare_all_memory()


def alloc_host() -> OracleHost:
    return OracleHost.in_memory({local_key(0): be64(4), local_key(1): be64(1_000_000)})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("program", "host", "max_steps", "stdout"),
    [
        ("entry", None, None, b"entry ok\n"),
        ("alloc", alloc_host, None, b"alloc: 4 x 1000000 bytes\nalloc: done, 4000000 bytes\n"),
        ("compute", None, 1_000_000, b""),  # tens of millions of steps in all: the first million
    ],
    ids=["entry", "alloc", "compute"],
)
def test_other_guests_lockstep(
    riscv_elves: dict[str, Path],
    program: str,
    host: Callable[[], OracleHost] | None,
    max_steps: int | None,
    stdout: bytes,
) -> None:
    vm, metadata = RiscvVM.load_elf(riscv_elves[program])
    if host is not None:
        vm.host = host()
    lock = LockStep(vm, metadata)
    stats = lock.run(max_steps)
    report(program, lock)
    assert vm.exited == (max_steps is None)
    assert bytes(vm.stdout) == stdout
    assert_no_quirk_executed(stats)
    lock.compare_all_memory()


def test_go_binary_inventory(riscv_elves: dict[str, Path]) -> None:
    """Which VM-defined, lenient or reverting encodings the Go toolchain emits (static scan of .text).

    riscv64.md §12.4 predicts exactly this for a §12.2 build: FP register spills in runtime
    assembly, one ``rdtime`` and a few ``ebreak``s; no compressed instruction, no lenient encoding.
    """
    from elftools.elf.elffile import ELFFile

    _, metadata = RiscvVM.load_elf(riscv_elves["hello"])
    with riscv_elves["hello"].open("rb") as handle:
        text = ELFFile(handle).get_section_by_name(".text")
        assert text is not None
        data, base = text.data(), text["sh_addr"]
    found: dict[str, set[str]] = {}
    for offset in range(0, len(data), 4):
        insn = int.from_bytes(data[offset : offset + 4], "little")
        if insn == 0:
            continue  # padding between functions
        name = mnemonic(insn)
        if name == "ecall":
            continue
        relevant = vm_defined(insn) is not None or name.endswith(LENIENT) or "-" in name
        relevant |= name == "compressed"
        if relevant:
            found.setdefault(name, set()).add(metadata.symbol_name(base + offset) or "?")
    assert found == {
        "load-fp": {"runtime.unspillArgs.abi0", "runtime.asyncPreempt.abi0"},
        "store-fp": {"runtime.spillArgs.abi0", "runtime.asyncPreempt.abi0"},
        "rdtime": {"runtime.cputicks.abi0"},
        "ebreak": {
            "runtime.systemstack_switch.abi0",
            "runtime.switchToCrashStack0",
            "runtime.morestack.abi0",
            "runtime.abort.abi0",
        },
    }


# -- unicorn's behaviour the lock-step relies on -------------------------------------------------

CODE = 0x0001_0000
DATA = 0x0002_0000


def _uc_with_code(words: list[int], registers: dict[int, int] | None = None, fs: bool = True) -> Any:
    uc = Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
    uc.mem_map(CODE, 0x1000)
    uc.mem_map(DATA, 0x1000)
    uc.mem_write(CODE, b"".join(word.to_bytes(4, "little") for word in [*words, 0, 0]))
    uc.mem_write(DATA, bytes(range(256)) * 16)
    for register, value in (registers or {}).items():
        uc.reg_write(GPRS[register], value)
    if fs:
        uc.reg_write(REG_MSTATUS, uc.reg_read(REG_MSTATUS) | MSTATUS_FS_DIRTY)
    return uc


def test_unicorn_needs_fs_for_floating_point_and_never_runs_ecall() -> None:
    """mstatus.FS = 0 makes every FP instruction trap; ``ecall`` always traps (it is the VM's, R1)."""
    for fs, raises in ((False, True), (True, False)):
        uc = _uc_with_code([fld(1, 0, T1)], {T1: DATA}, fs=fs)
        if raises:
            with pytest.raises(UcError, match="UC_ERR_EXCEPTION"):
                uc.emu_start(CODE, UNTIL_NEVER, count=1)
        else:
            uc.emu_start(CODE, UNTIL_NEVER, count=1)
            assert uc.reg_read(REG_PC) == CODE + 4
    with pytest.raises(UcError, match="UC_ERR_EXCEPTION"):
        _uc_with_code([ecall()]).emu_start(CODE, UNTIL_NEVER, count=1)


def test_register_reader_matches_public_api() -> None:
    uc = _uc_with_code([NOP])
    values = {index: (0x0123_4567_89AB_CDEF * index) & MASK64 for index in range(1, 32)}
    for index, value in values.items():
        uc.reg_write(GPRS[index], value)
    uc.reg_write(REG_PC, CODE)
    reader = RegisterReader(uc, ALL_REGISTERS, MASK64)
    expected = [0, *(values[index] for index in range(1, 32)), CODE]
    assert reader.read() == reader.read_public() == expected


# -- synthetic programs: the divergences exist and are caught; ordinary instructions agree -------


def synthetic(
    words: list[int],
    registers: dict[int, int] | None = None,
    data: bytes = b"",
    strict: bool = False,
) -> LockStep:
    memory = Memory(64)
    memory.write(CODE, b"".join(word.to_bytes(4, "little") for word in [*words, 0, 0, 0, 0]))
    memory.write(DATA, data or bytes(range(256)) * 32)
    state = RiscvState(pc=CODE, heap=0x7F00_0000_0000)
    for register, value in (registers or {}).items():
        state.registers[register] = value & MASK64
    return LockStep(RiscvVM(state, memory), strict=strict)


RAISED = "unicorn raised"


def differs(register: str, vm_value: int, uc_value: int) -> str:
    return f"{register}: VM 0x{vm_value:016x}  unicorn 0x{uc_value:016x}"


def zba(funct3: int) -> int:
    """``sh1add``/``sh2add``/``sh3add`` t0, t1, t2 (Zba): OP with funct7 0x10."""
    return r_type(0x33, T0, funct3, T1, T2, 0x10)


MSCRATCH = 0x340
DIVERGENCES = {
    # R2: x0 is a stored field, read as stored (§2.1); unicorn's reg_read returns the written value
    # (so x0 itself compares equal) but its instructions read x0 as 0
    "R2 stored x0": ([add(T0, ZERO, ZERO)], {0: 5}, differs("t0", 10, 0)),
    # R3: FP opcodes are no-ops (§6.1); unicorn executes them (with mstatus.FS set)
    "R3 fsd": ([fsd(1, 0, T1)], {T1: DATA}, "memory leaf 0x0000000000020000: VM 000102"),
    "R3 fsw": ([fsw(1, 4, T1)], {T1: DATA}, "memory leaf 0x0000000000020000: VM 000102"),
    "R3 fmv.x.d": ([fmv_x_d(T0, 1)], {T0: 7}, differs("t0", 7, 0)),
    "R3 fcvt.l.d": ([fcvt_l_d(T0, 1)], {T0: 7}, differs("t0", 7, 0)),
    "R3 feq.d": ([feq_d(T0, 1, 1)], {T0: 7}, differs("t0", 7, 1)),
    "R3 fclass.d": ([fclass_d(T0, 1)], {T0: 7}, differs("t0", 7, 0x10)),  # +0.0
    # R4: CSR accesses write 0 to rd (§6.10); unicorn has CSRs, and no time source for rdtime
    "R4 rdtime": ([rdtime(T0)], {T0: 7}, RAISED),
    "R4 rdcycle": ([rdcycle(T0)], {T0: 7}, "t0: VM 0x0000000000000000  unicorn"),
    "R4 rdinstret": ([rdinstret(T0)], {T0: 7}, "t0: VM 0x0000000000000000  unicorn"),
    "R4 mscratch": ([csrrw(ZERO, MSCRATCH, T1), csrr(T0, MSCRATCH)], {T1: 0x55}, differs("t0", 0, 0x55)),
    "R4 csr funct3=4": ([i_type(0x73, T0, 4, 0, CSR_CYCLE)], {T0: 7}, RAISED),
    # R5: the other SYSTEM encodings are no-ops (§6.10); unicorn traps (ebreak) or returns from M-mode
    "R5 ebreak": ([EBREAK], {}, RAISED),
    "R5 mret": ([MRET], {}, differs("pc", CODE + 4, 0)),  # to mepc = 0, in U-mode
    # R6: lenient decodings (§6.11); QEMU 5 (no bit-manipulation extensions) raises for each
    "R6 sh1add as slt": ([zba(2)], {T1: 1, T2: 2}, RAISED),
    "R6 sh2add as xor": ([zba(4)], {T1: 1, T2: 2}, RAISED),
    "R6 sh3add as or": ([zba(6)], {T1: 1, T2: 2}, RAISED),
    "R6 rol as sll": ([r_type(0x33, T0, 1, T1, T2, 0x30)], {T1: 1, T2: 2}, RAISED),
    "R6 andn as and": ([r_type(0x33, T0, 7, T1, T2, 0x20)], {T1: 3, T2: 1}, RAISED),
    "R6 rolw as sllw": ([r_type(0x3B, T0, 1, T1, T2, 0x30)], {T1: 1, T2: 1}, RAISED),
    "R6 clz as slli": ([i_type(0x13, T0, 1, T1, 0x600)], {T1: 1}, RAISED),
    "R6 bseti as slli": ([shift_imm(0x13, 1, T0, T1, 3, 0x0A)], {T1: 1}, RAISED),
    "R6 slliw funct7": ([r_type(0x1B, T0, 1, T1, 3, 0x30)], {T1: 1}, RAISED),
    "R6 branch funct3=2": ([b_type(2, T0, T1, 8)], {}, RAISED),
    "R6 jalr funct3=1": ([jalr(T0, T1, 0, funct3=1)], {T1: CODE + 8}, RAISED),
    "R6 lr rs2!=0": ([amo_type(0x02, 3, T0, T1, T2)], {T1: DATA}, RAISED),
    # R7: the reservation is only an address (§6.9); QEMU's sc also needs the value unchanged, a
    # reservation from lr (none at reset) and compares at the sc's size
    "R7 sc at 0 without lr": ([sc_d(T2, T0, S0)], {S0: 0, T0: 5}, differs("t2", 0, 1)),
    "R7 sc after a store": (
        [lr_d(T0, T1), sd(ZERO, 0, T1), sc_d(T2, T0, T1)],
        {T1: DATA},
        differs("t2", 0, 1),
    ),
    "R7 lr.d then sc.w": ([lr_d(T0, T1), sc_w(T2, T0, T1)], {T1: DATA}, differs("t2", 0, 1)),
}


@pytest.mark.parametrize("case", DIVERGENCES, ids=list(DIVERGENCES))
def test_intended_divergence_is_detected(case: str) -> None:
    words, registers, message = DIVERGENCES[case]
    lock = synthetic(words, registers, strict=True)
    with pytest.raises(Divergence, match=re.escape(message)):
        lock.run(len(words))


VM_REVERTS = {
    # R8: unicorn's core has the C extension; the VM has none (§6.1, §6.8)
    "R8 compressed c.li": ([0x0000_4501], {}, InvalidInstruction, 0xF001C0DE),
    "R8 jal to pc+2": ([jal(ZERO, 2)], {}, MisalignedAddress, 0xBAD10AD0),
    "R8 jalr to pc+2": ([jalr(RA, T1, 0)], {T1: CODE + 6}, MisalignedAddress, 0xBAD10AD0),
    "R8 beq to pc+6": ([b_type(0, ZERO, ZERO, 6)], {}, MisalignedAddress, 0xBAD10AD0),
    # R3: the fused multiply-adds are not in any no-op group: they revert (unicorn executes them)
    "R3 fmadd.d": ([fmadd_d(1, 2, 3, 4)], {}, InvalidInstruction, 0xF001C0DE),
}


@pytest.mark.parametrize("case", VM_REVERTS, ids=list(VM_REVERTS))
def test_vm_reverts_where_unicorn_executes(case: str) -> None:
    """Unicorn executes the instruction (the harness runs it first); the VM's step then reverts."""
    words, registers, failure, code = VM_REVERTS[case]
    lock = synthetic(words, registers)
    with pytest.raises(failure) as raised:
        lock.run(1)
    assert raised.value.code == code
    assert (
        lock.stats.instructions == 1 and lock.vm.state.step == 0
    )  # unicorn ran it; the VM kept its pre-state


@pytest.mark.parametrize(
    ("words", "registers", "code"),
    [
        ([0], {}, 0xF001C0DE),  # zero memory
        ([amo_type(0x00, 3, T0, T1, T2)], {T1: DATA + 4}, 0xBAD10AD0),  # misaligned amoadd.d
        ([amo_type(0x00, 0, T0, T1, T2)], {T1: DATA}, 0xBADA70),  # AMO of 1 byte
        ([ld(T0, 0, T1) | (7 << 12)], {T1: DATA}, 0xBADC0DE),  # load funct3 = 7
        ([srli(T0, T1, 3) | (0x20 << 26)], {T1: 1}, 0xBADC0DE),  # srli with funct6 0x20
        ([r_type(0x33, T0, 5, T1, T2, 0x30)], {T1: 1}, 0xBADC0DE),  # ror (Zbb): funct3 5 reverts
    ],
    ids=["zero", "amo-misaligned", "amo-byte", "load-7", "srli-funct6", "ror"],
)
def test_both_reject(words: list[int], registers: dict[int, int], code: int) -> None:
    """Encodings both refuse: unicorn raises, and the VM reverts with the spec's code."""
    with pytest.raises(Divergence, match=RAISED):
        synthetic(words, registers).run(1)
    vm = synthetic(words, registers).vm
    with pytest.raises(StepFailure) as raised:
        vm.step()
    assert raised.value.code == code


AGREEING = {
    # unicorn executes these like the VM (compared normally, strict mode)
    "fld": [fld(1, 8, T1)],
    "flw": [flw(1, 8, T1)],
    "fadd.d": [fadd_d(1, 2, 3)],
    "wfi": [WFI],
    "mhartid": [csrr(T0, CSR_MHARTID)],
    "fence": [fence(), FENCE_TSO, PAUSE, fence_i()],
    "amoadd aq rl": [amo_type(0x00, 3, T0, T1, T2, aq=True, rl=True)],
    "misaligned ld in a leaf": [ld(T0, 3, T1)],
    "misaligned ld across leaves": [ld(T0, 29, T1)],
    "misaligned sd across a page": [sd(T2, 0xFFD, T1)],
    "misaligned sw across leaves": [sw(T2, 30, T1)],
}


@pytest.mark.parametrize("case", AGREEING, ids=list(AGREEING))
def test_agreeing_instructions(case: str) -> None:
    words = AGREEING[case]
    lock = synthetic(words, {T1: DATA, T2: 0x1122_3344_5566_7788, T0: 7}, strict=True)
    lock.run(len(words))
    assert lock.vm.state.pc == CODE + 4 * len(words)
    lock.compare_all_memory()


VM_DEFINED_PROGRAM = [
    fld(1, 8, T1), fsd(1, 0, T1), fmv_x_d(T0, 1), fcvt_l_d(T0, 1), fadd_d(1, 2, 3),
    rdtime(T2), rdcycle(T3), rdinstret(S1), csrrw(ZERO, MSCRATCH, T1), csrr(S0, MSCRATCH),
    EBREAK, WFI, MRET, i_type(0x73, T0, 4, 0, CSR_CYCLE),
]  # fmt: skip


def test_vm_defined_instructions_are_reconciled() -> None:
    """The default lock-step executes R3–R5 in the VM alone, checks their effect, and goes on."""
    registers = {T0: 7, T1: DATA, T2: 7, T3: 7, S0: 7, S1: 7}
    lock = synthetic(VM_DEFINED_PROGRAM, registers)
    lock.run(len(VM_DEFINED_PROGRAM))
    state = lock.vm.state
    assert state.pc == CODE + 4 * len(VM_DEFINED_PROGRAM)
    assert lock.stats.vm_alone == {"fp": 5, "csr": 6, "system": 3} and lock.stats.instructions == 0
    # FP instructions wrote nothing (t0 kept 7 through fmv/fcvt, then the CSR accesses zeroed it)
    assert [state.registers[r] for r in (T0, T1, T2, T3, S0, S1)] == [0, DATA, 0, 0, 0, 0]
    lock.compare_all_memory()


def test_vm_defined_checks_catch_a_wrong_effect() -> None:
    """The reconciliation is not blind: an FP no-op that wrote a register is reported."""
    lock = synthetic([fmv_x_d(T0, 1), NOP], {T0: 7})

    def writing_fp_step(proof: bool = False) -> None:
        lock.vm.state.registers[T0] = 0
        lock.vm.state.pc += 4

    lock.vm.step = writing_fp_step  # type: ignore[method-assign]
    with pytest.raises(Divergence, match=re.escape("fp changed registers [5]")):
        lock.run(1)


def test_syscalls_are_copied_into_unicorn() -> None:
    """R1: ecall runs in the VM alone; a0/a1, pc and the memory a syscall wrote go to unicorn."""
    program = [
        addi(A7, ZERO, 214), ecall(),  # brk
        addi(A7, ZERO, 113), addi(A1, T1, 24), ecall(),  # clock_gettime(…, DATA + 24): straddles a leaf
        ld(T0, 24, T1), ld(T2, 32, T1),
        addi(A7, ZERO, 163), addi(A0, ZERO, 7), addi(A1, S0, 0), ecall(),  # getrlimit across a page
        ld(T3, 0, S0),
        addi(A7, ZERO, 56), ecall(),  # openat: -1, EACCES
        addi(A7, ZERO, 98), ecall(),  # futex (98): a no-op returning 0
        addi(A7, ZERO, 94), addi(A0, ZERO, 3), ecall(),  # exit_group(3)
    ]  # fmt: skip
    lock = synthetic(program, {T1: DATA, S0: DATA + 0xFF8})
    stats = lock.run()
    state = lock.vm.state
    assert lock.vm.exited and lock.vm.exit_code == 3 and state.pc == CODE + 4 * len(program)
    assert stats.syscall_numbers == Counter({214: 1, 113: 1, 163: 1, 56: 1, 98: 1, 94: 1})
    assert stats.syscall_leaves == 4  # two 16-byte stores, each over two leaves, read back by unicorn's loads
    assert (state.registers[T0], state.registers[T2], state.registers[T3]) == (1337, 42, 1024)
    lock.compare_all_memory()


def test_lr_sc_agree_in_single_threaded_use() -> None:
    """R7: lr then sc on the same word with nothing in between succeeds in both, as Go uses them."""
    words = [
        lr_w(T0, T1), addiw(T0, T0, 1), sc_w(T2, T0, T1),  # 32-bit increment
        lr_d(T3, S0), sc_d(S1, T1, S0),  # 64-bit exchange
        sc_d(S1, T1, S0),  # the reservation is gone: fails in both
        lw(T0, 0, T1), ld(T3, 0, S0),
    ]  # fmt: skip
    lock = synthetic(words, {T1: DATA, S0: DATA + 16})
    lock.run(len(words))
    state = lock.vm.state
    assert state.registers[T2] == 0 and state.registers[S1] == 1 and lock.stats.sc_failures == 1
    assert state.registers[T0] == 0x0302_0101 and state.registers[T3] == DATA
    lock.compare_all_memory()


def test_injected_vm_error_is_detected() -> None:
    """The harness is not blind: a wrong register, a wrong stored byte, an unreported write."""
    lock = synthetic([addi(T0, T1, 5), sd(T0, 0, T1)], {T1: DATA})
    lock.run(1)
    lock.vm.state.registers[T0] ^= 1
    with pytest.raises(Divergence, match=r"t0: VM 0x\w+  unicorn"):
        lock.run(1)

    class CorruptingMemory(RecordingMemory):
        __slots__ = ()

        def write(self, address: int, data: bytes) -> None:
            super().write(address, bytes([data[0] ^ 1, *data[1:]]))

    lock = synthetic([sd(T0, 8, T1)], {T1: DATA, T0: 0xABCD})
    lock.vm.memory.__class__ = CorruptingMemory
    with pytest.raises(Divergence, match="memory leaf 0x0000000000020000: VM 0101020304050607cdab"):
        lock.run(1)

    lock = synthetic([NOP, NOP])
    lock.run(1)
    lock.memory.write(DATA + 0x800, b"\x01")  # a write no step reported
    with pytest.raises(Divergence, match="memory at 0x0000000000020800 differs"):
        lock.compare_all_memory()


# -- arithmetic edge cases and a random sweep, against unicorn -----------------------------------

INTERESTING_VALUES = (
    0, 1, 2, 31, 32, 63, 64, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
    0xFFFF_FFFF_8000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, MASK64 - 1, MASK64,
)  # fmt: skip
EDGE_OPERATIONS: dict[str, Callable[[int, int, int], int]] = {
    op.__name__.rstrip("_"): op
    for op in (
        mul, mulh, mulhsu, mulhu, div, divu, rem, remu, mulw, divw, divuw, remw, remuw,
        add, sub, sll, srl, sra, slt, sltu, addw, subw, sllw, srlw, sraw, xor, or_, and_,
    )
}  # fmt: skip


@pytest.mark.parametrize("operation", EDGE_OPERATIONS)
def test_arithmetic_edge_cases(operation: str) -> None:
    """Every pair of boundary operands (division by zero and -2^63 / -1 included), one program each.

    RISC-V defines every one of these results (no traps), so unicorn and the VM must agree exactly.
    """
    pool = b"".join(value.to_bytes(8, "little") for value in INTERESTING_VALUES)
    instruction = EDGE_OPERATIONS[operation]
    words: list[int] = []
    for a in range(len(INTERESTING_VALUES)):
        for b in range(len(INTERESTING_VALUES)):
            words += [ld(T0, 8 * a, S0), ld(T1, 8 * b, S0), instruction(T2, T0, T1), instruction(T0, T0, T0)]
            # End the translation block: with count=1 unicorn translates from pc to the next branch
            # on every start at a new pc, which is quadratic in straight-line code.
            words.append(jal(ZERO, 4))
    lock = synthetic(words, {S0: DATA}, data=pool)
    lock.run(len(words))
    assert lock.vm.state.pc == CODE + 4 * len(words)


RANDOM_REGISTERS = (T0, T1, T2, T3, S0, S1, A0, 1)
LOAD_STORE = (lb, lh, lw, ld, lbu, lhu, lwu, sb, sh, sw, sd)
IMMEDIATE = (addi, slti, sltiu, xori, ori, andi, addiw)
SHIFT_IMMEDIATE = ((slli, 64), (srli, 64), (srai, 64), (slliw, 32), (srliw, 32), (sraiw, 32))
REGISTER_OPS = tuple(EDGE_OPERATIONS.values())
AMOS = (0x00, 0x01, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C)


def _interesting(rng: random.Random) -> int:
    return rng.choice([*INTERESTING_VALUES, rng.getrandbits(64), rng.getrandbits(32)])


def _random_program(rng: random.Random) -> tuple[list[int], dict[int, int], int]:
    """A random instruction in a tiny program: (words, registers, steps to run)."""
    rd, rs1, rs2 = (rng.choice(RANDOM_REGISTERS) for _ in range(3))
    registers = {register: _interesting(rng) for register in RANDOM_REGISTERS}
    kind = rng.choice(["op", "imm", "shift", "upper", "mem", "amo", "lrsc", "branch", "jump"])
    if kind == "op":
        return [rng.choice(REGISTER_OPS)(rd, rs1, rs2)], registers, 1
    if kind == "imm":
        return [rng.choice(IMMEDIATE)(rd, rs1, rng.randrange(-2048, 2048))], registers, 1
    if kind == "shift":
        operation, width = rng.choice(SHIFT_IMMEDIATE)
        return [operation(rd, rs1, rng.randrange(width))], registers, 1
    if kind == "upper":
        return [rng.choice((lui, auipc))(rd, rng.getrandbits(20))], registers, 1
    if kind == "mem":
        # Any offset: misaligned accesses inside a leaf, across leaves and across the page at DATA + 0x1000.
        registers[rs1] = DATA + rng.randrange(0, 0x1800)
        return [rng.choice(LOAD_STORE)(rd, rng.randrange(-2048, 2048), rs1)], registers, 1
    if kind == "amo":
        width = rng.choice((2, 3))
        registers[rs1] = DATA + rng.randrange(0, 0x1800, 1 << width)
        return [amo_type(rng.choice(AMOS), width, rd, rs1, rs2)], registers, 1
    if kind == "lrsc":
        width = rng.choice((2, 3))
        base = rng.choice([register for register in RANDOM_REGISTERS if register != rd])
        registers[base] = DATA + rng.randrange(0, 0x1800, 1 << width)
        lr, sc = (lr_w, sc_w) if width == 2 else (lr_d, sc_d)
        return [lr(rd, base), sc(rng.choice(RANDOM_REGISTERS), rs2, base)], registers, 2
    if kind == "branch":
        if rng.random() < 0.3:
            rs2 = rs1
        branch = b_type(rng.choice((0, 1, 4, 5, 6, 7)), rs1, rs2, rng.choice((4, 8, 12)))
        return [branch, addi(T3, T3, 1), addi(T3, T3, 2), addi(T3, T3, 3)], registers, 2
    destination = 4 * rng.randrange(1, 4)
    landing = [addi(T3, T3, 1), addi(T3, T3, 2), addi(T3, T3, 3)]
    if rng.random() < 0.5:
        return [jal(rd, destination), *landing], registers, 2
    registers[rs1] = CODE + destination - 3 + rng.randrange(2)  # jalr clears bit 0 of the target
    return [jalr(rd, rs1, 3), *landing], registers, 2


def test_random_instruction_sweep() -> None:
    """600 random canonical RV64IMA instructions (the ones the VM defines like RISC-V) agree."""
    rng = random.Random(20250101)
    for _ in range(600):
        words, registers, steps = _random_program(rng)
        lock = synthetic(words, registers, data=rng.randbytes(0x2000))
        try:
            lock.run(steps)
        except Divergence as error:
            program = [hex(word) for word in words]
            values = {register: hex(value) for register, value in registers.items()}
            raise AssertionError(f"{program} with {values}: {error}") from None
        assert lock.vm.state.step == steps
        lock.compare_all_memory()
