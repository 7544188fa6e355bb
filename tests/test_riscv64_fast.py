"""The fast interpreter (``RiscvVM.run``) against the reference step (``RiscvVM.step``), riscv64.md §5–§6.

Single random instructions are compared step by step with hypothesis, and every opcode × funct3 ×
selected funct7 in a fixed sweep: ``run(1)`` on one copy of a machine and ``step()`` on another must
give the same witness (so the same memory root), pages, output and preimage read, or the same
exception and revert code from an unchanged state. Whole Go programs are compared every ``CHUNK``
steps; self-modifying code, traps and the edges of ``run`` have their own tests.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fast_vs_reference as whole
from faultproof.errors import InvalidInstruction, MisalignedAddress, TrapReached
from faultproof.examples import claim_host
from faultproof.memory import Memory
from faultproof.trace.transition import example_host
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.vm import RiscvVM
from riscv_asm import (
    A0,
    A1,
    A2,
    A7,
    AMO,
    AUIPC,
    BRANCH,
    ECALL,
    JAL,
    JALR,
    LOAD,
    LOAD_FP,
    LUI,
    MISC_MEM,
    NOP,
    OP,
    OP_32,
    OP_FP,
    OP_IMM,
    OP_IMM_32,
    RA,
    S0,
    S1,
    STORE,
    STORE_FP,
    SYSTEM,
    T0,
    T1,
    T2,
    T3,
    T4,
    ZERO,
    add,
    addi,
    amo_type,
    amoswap_w,
    b_type,
    bne,
    i_type,
    j_type,
    jal,
    lr_w,
    mv,
    r_type,
    ret,
    s_type,
    sb,
    sc_w,
    sd,
    slti,
    sw,
    u_type,
)

MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF
STEP_LIMIT = 2_000_000  # bounds on runs, so that a diverging engine fails instead of looping
HEAP = 0x7F00_0000_0000

HANDLED_OPCODES = [LOAD, STORE, OP_IMM, OP_IMM_32, OP, OP_32, LUI, AUIPC, JAL, JALR, BRANCH, AMO, SYSTEM]
NO_OP_OPCODES = [MISC_MEM, LOAD_FP, STORE_FP, OP_FP]
SYSCALL_NUMBERS = [93, 94, 214, 222, 63, 64, 25, 56, 113, 220, 163, 261, 422, 101, 98, 124]

# name -> (program, host factory); ``claim_false`` claims a wrong result and exits 1
PROGRAMS: whole.Programs = {
    "hello": ("hello", None),
    "claim": ("claim", claim_host),
    "claim_false": ("claim", functools.partial(claim_host, 5)),
    "compute": ("compute", None),
    "transition": ("transition", example_host),
    "transition_false": ("transition", functools.partial(example_host, False)),
}
SLOW_PROGRAMS = {"compute", "transition", "transition_false"}
# name -> (a part of its stdout, exit code)
EXPECTED_OUTPUT = {
    "hello": (b"hello world!\n", 0),
    "claim": (b" is good!\n", 0),
    "claim_false": (b" is bad! ", 1),
    "compute": (b"\n", 0),
    "transition": (b" is good!\n", 0),
    "transition_false": (b" is bad! ", 1),
}


# -- single steps ---------------------------------------------------------------------------------
#
# One instruction at ``pc``; a register file mixing random values, sign and width boundaries and
# addresses; random bytes around ``target``, the address a memory instruction is pointed at (its
# base register is set so that base + offset = target). Targets lie inside a page, across leaves,
# across pages, at the top of the address space (accesses wrap to 0) and in the code's own page.

CODE = 0x0001_0000
DATA = 0x0020_0000
TOP = MASK64 + 1
DATA_WINDOW = 64  # random bytes on each side of the target
TARGETS = [
    DATA + 8,  # inside a leaf
    DATA + 31,  # across a leaf boundary for 2 bytes and more
    DATA + 29,  # ... for 4 and 8 bytes
    DATA + 25,  # ... for 8 bytes
    DATA + 0x1000 - 1,  # across a page boundary for 2 bytes and more
    DATA + 0x1000 - 3,  # ... for 4 and 8 bytes
    DATA + 0x1000 - 7,  # ... for 8 bytes
    DATA + 0x1000 - 8,  # the last doubleword of a page
    TOP - 8,  # the last doubleword of the address space
    TOP - 1,  # wrapping to address 0 for 2 bytes and more
    TOP - 3,  # ... for 4 and 8 bytes
    TOP - 7,  # ... for 8 bytes
    0,
    DATA + 4,  # word-aligned, not doubleword-aligned (AMO)
    CODE + 0x40,  # the page the instruction was decoded from
]
PCS = [CODE, CODE + 0x0FFC, TOP - 4, TOP - 8]  # pc + 4 leaves the page or wraps to 0
ODD_PCS = [CODE + 2, CODE + 30, CODE + 29, TOP - 2]  # unaligned; +30 straddles a leaf (§3.4)
REGISTER_VALUES = [0, 1, 2, 31, 32, 63, 64, 0x7FFF_FFFF, 0x8000_0000, MASK32, 1 << 32, (1 << 63) - 1, 1 << 63]
REGISTER_VALUES += [(1 << 63) + 1, MASK64 - 1, MASK64, 0xFFFF_FFFF_8000_0000]


@dataclass
class Machine:
    """One pre-state: the instruction, where it is, and what the registers and memory hold."""

    insn: int
    pc: int
    registers: list[int]
    target: int
    data: bytes
    exited: int = 0
    step: int = 12345
    load_reservation: int = 0

    def build(self) -> tuple[RiscvState, Memory]:
        state = RiscvState(
            pc=self.pc,
            exited=self.exited,
            step=self.step,
            heap=HEAP,
            load_reservation=self.load_reservation,
            registers=list(self.registers),
        )
        memory = Memory(64)
        memory.write((self.target - DATA_WINDOW) & MASK64, self.data)
        memory.write(self.pc, self.insn.to_bytes(4, "little"))
        return state, memory


def outcome_of_one_step(vm: RiscvVM, execute: str) -> tuple[object, ...]:
    try:
        if execute == "run":
            vm.run(1)
        else:
            vm.step()
        error: tuple[str, int | None] | None = None
    except Exception as exception:
        error = (type(exception).__name__, getattr(exception, "code", None))
    return (
        error,
        vm.witness(),
        vm.memory.page_indexes(),
        bytes(vm.stdout),
        bytes(vm.stderr),
        vm.last_preimage_read,
    )


def assert_one_step_matches(machine: Machine) -> None:
    state, memory = machine.build()
    fast = RiscvVM(state.copy(), memory.copy())
    reference = RiscvVM(state.copy(), memory.copy())
    pre_witness = fast.witness()

    fast_outcome = outcome_of_one_step(fast, "run")
    reference_outcome = outcome_of_one_step(reference, "step")

    assert fast_outcome == reference_outcome, f"insn 0x{machine.insn:08x} at pc 0x{machine.pc:x}"
    if fast_outcome[0] is not None:
        assert fast_outcome[1] == pre_witness  # a failing step leaves the state as it was
    # Every leaf the fast engine wrote was marked: its incremental root is the from-scratch root.
    scratch = Memory(64)
    for index, page in fast.memory.iter_pages():
        scratch.set_page(index, page)
    assert fast.memory.merkle_root() == scratch.merkle_root()


def signed12(value: int) -> int:
    return value - 0x1000 if value & 0x800 else value


def aim(machine: Machine, base: int, offset: int) -> None:
    """Point ``x[base] + offset`` at the machine's target (for x0 too: its stored value is read)."""
    machine.registers[base] = (machine.target - offset) & MASK64


fields = st.integers(0, 31)
funct3s = st.integers(0, 7)
imm12 = st.one_of(st.integers(-2048, 2047), st.sampled_from([0, 1, -1, 2047, -2048, 31, 32, 63]))
funct7s = st.one_of(
    st.sampled_from([0x00, 0x01, 0x20]), st.sampled_from([0x21, 0x02, 0x40]), st.integers(0, 127)
)
shift_tops = st.one_of(st.sampled_from([0x00, 0x10]), st.integers(0, 63))  # insn[31:26] of a shift
amo_ops = st.one_of(
    st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C]), fields
)


@st.composite
def instructions(draw: st.DrawFn) -> tuple[int, int | None]:
    """An instruction word and, for those with a base register (rs1), the offset added to it."""
    kinds = ["op", "imm", "shift", "load", "store", "branch", "jal", "jalr", "upper"]
    kind = draw(st.sampled_from([*kinds, *kinds, "amo", "amo", "system", "no-op", "any"]))
    rd, rs1, rs2, funct3 = draw(fields), draw(fields), draw(fields), draw(funct3s)
    if kind == "op":
        return r_type(draw(st.sampled_from([OP, OP_32])), rd, funct3, rs1, rs2, draw(funct7s)), None
    if kind == "imm":
        return i_type(draw(st.sampled_from([OP_IMM, OP_IMM_32])), rd, funct3, rs1, draw(imm12)), None
    if kind == "shift":  # slli/srli/srai and their W forms, with every insn[31:26] pattern
        opcode = draw(st.sampled_from([OP_IMM, OP_IMM_32]))
        top, shamt, funct3 = draw(shift_tops), draw(st.integers(0, 63)), draw(st.sampled_from([1, 5]))
        return (top << 26) | (shamt << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode, None
    if kind == "load":
        offset = draw(imm12)
        return i_type(LOAD, rd, funct3, rs1, offset), offset
    if kind == "store":
        offset = draw(imm12)
        return s_type(STORE, funct3, rs1, rs2, offset), offset
    if kind == "branch":
        offset = draw(
            st.one_of(st.integers(-2048, 2047).map(lambda i: 2 * i), st.sampled_from([4, 8, 2, -6]))
        )
        return b_type(funct3, rs1, rs2, offset), None
    if kind == "jal":
        offset = draw(st.one_of(st.integers(-(1 << 19), (1 << 19) - 1).map(lambda i: 2 * i), st.just(2)))
        return j_type(rd, offset), None
    if kind == "jalr":
        offset = draw(imm12)
        return i_type(JALR, rd, funct3, rs1, offset), offset
    if kind == "upper":
        return u_type(
            draw(st.sampled_from([LUI, AUIPC])), rd, draw(st.integers(-(1 << 19), (1 << 20) - 1))
        ), None
    if kind == "amo":
        funct3 = draw(st.one_of(st.sampled_from([2, 3]), funct3s))
        return amo_type(draw(amo_ops), funct3, rd, rs1, rs2, draw(st.booleans()), draw(st.booleans())), 0
    if kind == "system":  # ecall, the funct3 = 0 no-ops (ebreak, mret, ...), CSR accesses
        return (ECALL if draw(st.booleans()) else i_type(SYSTEM, rd, funct3, rs1, draw(imm12))), None
    if kind == "no-op":
        return (draw(st.integers(0, (1 << 25) - 1)) << 7) | draw(st.sampled_from(NO_OP_OPCODES)), None
    return draw(st.integers(0, MASK32)), None


@st.composite
def machines(draw: st.DrawFn) -> Machine:
    insn, offset = draw(instructions())
    if draw(st.integers(0, 4)) == 0:  # one register in every field: operands alias the result
        register = draw(fields)
        insn = (insn & ~0x01FF_8F80) | (register << 20) | (register << 15) | (register << 7)
    target = draw(
        st.one_of(
            st.sampled_from(TARGETS),
            st.sampled_from(TARGETS),
            st.sampled_from(TARGETS).flatmap(lambda t: st.integers(-8, 8).map(lambda d: (t + d) & MASK64)),
        )
    )
    registers = draw(
        st.lists(
            st.one_of(
                st.integers(0, MASK64),
                st.sampled_from(REGISTER_VALUES),
                st.integers(-64, 64).map(lambda d: (target + d) & MASK64),
            ),
            min_size=32,
            max_size=32,
        )
    )  # x0 may be non-zero
    pc = draw(
        st.one_of(
            st.integers(0, 0x3FF).map(lambda i: CODE + 4 * i),
            st.sampled_from(PCS),
            st.sampled_from(ODD_PCS),
        )
    )
    machine = Machine(
        insn,
        pc,
        registers,
        target,
        draw(st.binary(min_size=2 * DATA_WINDOW, max_size=2 * DATA_WINDOW)),
        exited=draw(st.sampled_from([0] * 30 + [1, 2])),
        step=draw(st.sampled_from([12345] * 10 + [MASK64])),
    )
    base = (insn >> 15) & 31
    if offset is not None and draw(st.integers(0, 3)):
        aim(machine, base, offset)
    machine.load_reservation = draw(st.sampled_from([0, registers[base], target]))
    if insn == ECALL:  # a meaningful syscall: small fds and counts, buffers at the target
        registers[A7] = draw(st.sampled_from(SYSCALL_NUMBERS))
        registers[A0] = draw(st.integers(0, 7))
        registers[A1] = draw(st.sampled_from([target, 7]))
        registers[A2] = draw(st.integers(0, 40))
    return machine


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(machines())
def test_random_instruction_matches_reference(machine: Machine) -> None:
    assert_one_step_matches(machine)


# -- the encoding sweep ---------------------------------------------------------------------------

FUNCT7_SWEEP = [0x00, 0x01, 0x20, 0x21, 0x02, 0x08, 0x10, 0x30, 0x40, 0x7F]
"""funct7 values of the sweep: the defined ones, their neighbours and some reserved patterns (§6.11)."""


def sweep_selectors(opcode: int) -> list[int]:
    """The ``insn[31:25]`` values swept for an opcode: every funct5 for AMO, immediate signs for
    loads and stores (whose targets are swept instead), the funct7 set for the other opcodes."""
    if opcode == AMO:
        return [(funct5 << 2) | (funct5 & 3) for funct5 in range(32)]
    if opcode in (LOAD, STORE) or opcode not in HANDLED_OPCODES:
        return [0x00, 0x7F]
    return FUNCT7_SWEEP


def access_offset(insn: int) -> int:
    """What a load, store or AMO adds to its base register."""
    match insn & 0x7F:
        case 0x03:
            return signed12(insn >> 20)
        case 0x23:
            return signed12(((insn >> 25) << 5) | ((insn >> 7) & 0x1F))
    return 0


@pytest.mark.parametrize("opcode", range(128), ids=lambda op: f"op-{op:#04x}")
def test_every_encoding_matches_reference(opcode: int) -> None:
    """Per opcode, every funct3 and the selected ``insn[31:25]`` values, with two field variants:
    random fields with the base register aimed at a target (every target for loads and stores), and
    aliasing fields (rd = rs1 = rs2) with whatever the base register holds.
    """
    rng = random.Random(opcode)
    targets = TARGETS if opcode in (LOAD, STORE) else [-1]
    for funct3, selector, swept_target, variant in itertools.product(
        range(8), sweep_selectors(opcode), targets, range(2)
    ):
        rd, rs1, rs2 = (rng.randrange(32) for _ in range(3))
        if variant == 1:
            rd = rs1 = rs2 = rng.randrange(32)
        insn = (selector << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
        target = rng.choice(TARGETS) if swept_target == -1 else swept_target
        values = [rng.randrange(TOP), rng.choice(REGISTER_VALUES), (target + rng.randrange(-8, 9)) & MASK64]
        registers = [rng.choice(values) for _ in range(32)]
        pc = rng.choice([CODE + 4 * rng.randrange(1024), *PCS])
        machine = Machine(insn, pc, registers, target, rng.randbytes(2 * DATA_WINDOW))
        if variant == 0 and opcode in (LOAD, STORE, AMO, JALR):
            aim(machine, rs1, access_offset(insn))
            machine.load_reservation = rng.choice([0, target])
        if opcode == SYSTEM and insn >> 20 == 0 and funct3 == 0:
            registers[A7] = rng.choice(SYSCALL_NUMBERS)
            registers[A0], registers[A1], registers[A2] = rng.randrange(8), target, rng.randrange(41)
        assert_one_step_matches(machine)


ARITHMETIC = [
    *((opcode, funct3, funct7) for opcode in (OP, OP_32) for funct3 in range(8) for funct7 in (0, 1, 0x20)),
    *((opcode, funct3, 0) for opcode in (OP_IMM, OP_IMM_32) for funct3 in range(8)),
    (OP_IMM, 5, 0x20),  # srai
    (OP_IMM, 5, 0x21),  # srai by 32 or more
    (OP_IMM_32, 5, 0x20),  # sraiw
]


@pytest.mark.parametrize(("opcode", "funct3", "funct7"), ARITHMETIC, ids=lambda value: f"{value:#04x}")
def test_arithmetic_sequences_match_reference(opcode: int, funct3: int, funct7: int) -> None:
    """One operation 200 times with random registers, on boundary-heavy values that the results
    keep changing: cheaper per instruction than single steps, so every operation gets many operand
    pairs (division by zero and overflow, shifts by 0/31/32/63, sign and width boundaries).
    """
    rng = random.Random(f"{opcode}-{funct3}-{funct7}")
    words = []
    for _ in range(200):
        rd, rs1, rs2 = rng.randrange(1, 32), rng.randrange(32), rng.randrange(32)
        if opcode in (OP, OP_32):
            words.append(r_type(opcode, rd, funct3, rs1, rs2, funct7))
        elif funct3 in (1, 5):  # a shift: funct7 on top of a shift amount of 6 (5 for W) bits
            shamt = rng.choice([0, 1, 31, 32, 63, rng.randrange(64)]) & (0x3F if opcode == OP_IMM else 0x1F)
            words.append(i_type(opcode, rd, funct3, rs1, ((funct7 << 5) | shamt) & 0xFFF))
        else:
            words.append(
                i_type(opcode, rd, funct3, rs1, rng.choice([rng.randrange(-2048, 2048), -1, 0, 2047]))
            )
    values = [*REGISTER_VALUES, *(rng.randrange(TOP) for _ in range(15))]
    rng.shuffle(values)
    fast = program_vm(words, registers=dict(enumerate(values)))
    reference = program_vm(words, registers=dict(enumerate(values)))
    for _ in words:
        outcomes = []
        for vm, execute in ((fast, "run"), (reference, "step")):
            try:
                vm.run(1) if execute == "run" else vm.step()
                outcomes.append(None)
            except InvalidInstruction as error:
                outcomes.append(error.code)
        assert outcomes[0] == outcomes[1]
        assert fast.state == reference.state, f"after 0x{words[fast.step_count - 1]:08x}"
        if outcomes[0] is not None:
            break
    assert fast.witness() == reference.witness()


# -- the edges of run -----------------------------------------------------------------------------


def program_vm(words: Sequence[int], at: int = CODE, registers: dict[int, int] | None = None) -> RiscvVM:
    memory = Memory(64)
    for index, word in enumerate(words):
        memory.write(at + 4 * index, word.to_bytes(4, "little"))
    state = RiscvState(pc=at, heap=HEAP)
    for register, value in (registers or {}).items():
        state.registers[register] = value
    return RiscvVM(state, memory)


def exit_with(register: int) -> list[int]:
    return [mv(A0, register), addi(A7, ZERO, 93), ECALL]


def test_run_contract_at_edges() -> None:
    """``run(0)`` does nothing; an exited state runs no step; ``exited = 2`` steps to itself (§5 step 1)."""
    vm = program_vm([addi(T0, T0, 1)] * 20 + exit_with(T0))
    witness = vm.witness()
    vm.run(0)
    assert vm.witness() == witness
    vm.run(1)
    assert vm.step_count == 1
    vm.run(10)
    assert (vm.step_count, vm.state.registers[T0]) == (11, 11)
    vm.run(100)
    assert (vm.exited, vm.exit_code, vm.step_count, vm.pc) == (True, 20, 23, CODE + 4 * 23)

    witness = vm.witness()
    vm.run(5)
    assert vm.witness() == witness
    vm.state.exited = 2
    witness = vm.witness()
    vm.run(5)
    assert vm.witness() == witness


def test_step_counter_wraps() -> None:
    """The counter wraps modulo 2^64 in the middle of a run (the reference takes that one step)."""
    vm = program_vm([addi(T0, T0, 1)] * 8)
    vm.state.step = MASK64 - 1
    vm.run(5)
    assert (vm.step_count, vm.pc, vm.state.registers[T0]) == (3, CODE + 20, 5)


def test_fast_failure_leaves_the_pre_step_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception from a fast handler (not the reference) still leaves the state before that step."""
    vm = program_vm([addi(T0, ZERO, 7), addi(T0, T0, 1), sd(T0, 0, T1)], registers={T1: DATA})

    def no_more_pages(memory: Memory, index: int) -> bytearray:
        raise MemoryError("no page for you")

    monkeypatch.setattr(Memory, "page", no_more_pages)
    with pytest.raises(MemoryError):
        vm.run(10)
    assert (vm.pc, vm.step_count, vm.state.registers[T0]) == (CODE + 8, 2, 8)


def test_state_after_reference_failure_is_usable() -> None:
    """A failed reference step restores a copy of the state; the engine keeps working on the VM's state."""
    vm = program_vm([addi(T0, T0, 1), i_type(JALR, RA, 0, T1, 0), addi(T0, T0, 1), *exit_with(T0)])
    vm.state.registers[T1] = CODE + 10  # misaligned: jalr reverts 0xbad10ad0
    vm.run(1)
    engine = vm._engine
    with pytest.raises(MisalignedAddress):
        vm.run(10)
    assert (vm.pc, vm.step_count, vm.state.registers[RA]) == (CODE + 4, 1, 0)
    vm.state.registers[T1] = CODE + 8
    vm.run(10)
    assert (vm.exited, vm.exit_code, vm.state.registers[RA]) == (True, 2, CODE + 8)
    assert vm._engine is engine


# -- self-modifying code --------------------------------------------------------------------------
#
# A loop calls a one-instruction function at PATCHED twice; between the calls a store rewrites that
# instruction. The program exits with the sum of what the two calls put in t2.

OLD_WORD = addi(T2, ZERO, 1)
NEW_WORD = addi(T2, ZERO, 42)


def self_modifying_program(store: Sequence[int], patched: int) -> list[int]:
    """The loop at CODE (``store`` is two instructions, given t0 and t1); its function at ``patched``."""
    loop = [
        jal(RA, patched - CODE),  # 00
        add(S1, S1, T2),  # 04
        *store,  # 08, 0c
        addi(S0, S0, 1),  # 10
        slti(T3, S0, 2),  # 14
        bne(T3, ZERO, -0x18),  # 18
        *exit_with(S1),  # 1c
    ]
    return loop


def self_modifying_vm(store: Sequence[int], patched: int, t0: int, t1: int) -> RiscvVM:
    vm = program_vm(self_modifying_program(store, patched), registers={T0: t0, T1: t1})
    vm.memory.write(patched, OLD_WORD.to_bytes(4, "little") + ret().to_bytes(4, "little"))
    return vm


PATCHED = CODE + 0x80
PAGE_START = CODE + 0x1000
NEW_BYTE_3 = NEW_WORD >> 24


@pytest.mark.parametrize(
    ("store", "patched", "t0", "t1", "exit_code"),
    [
        pytest.param([NOP, sw(T1, 0, T0)], PATCHED, PATCHED, NEW_WORD, 43, id="sw"),
        pytest.param([NOP, sd(T1, 0, T0)], PATCHED, PATCHED, NEW_WORD | (ret() << 32), 43, id="sd"),
        # the top byte alone: addi t2, zero, 1 becomes addi t2, zero, 1 | (2 << 4) = 33
        pytest.param([NOP, sb(T1, 3, T0)], PATCHED, PATCHED, NEW_BYTE_3, 34, id="sb"),
        pytest.param([NOP, amoswap_w(T4, T1, T0)], PATCHED, PATCHED, NEW_WORD, 43, id="amoswap"),
        pytest.param([lr_w(T4, T0), sc_w(T4, T1, T0)], PATCHED, PATCHED, NEW_WORD, 43, id="lr-sc"),
        # an 8-byte store across a page boundary (the slow path): its high half is the new word
        pytest.param([NOP, sd(T1, -4, T0)], PAGE_START, PAGE_START, NEW_WORD << 32, 43, id="sd-across-pages"),
    ],
)
def test_self_modifying_code(store: list[int], patched: int, t0: int, t1: int, exit_code: int) -> None:
    fast = self_modifying_vm(store, patched, t0, t1)
    fast.run(1000)
    reference = self_modifying_vm(store, patched, t0, t1)
    while not reference.exited:
        reference.step()
    assert (fast.exited, fast.exit_code) == (True, exit_code)
    assert fast.witness() == reference.witness()


def test_code_written_by_a_syscall() -> None:
    """``clock_gettime`` (a reference step) writes 16 bytes over the decoded function: its new first
    word, 42, is no instruction, so the second call reverts 0xf001c0de."""
    syscall = [addi(A7, ZERO, 113), ECALL]  # a1 = PATCHED - 8: LE8(1337) ‖ LE8(42) ends at PATCHED + 8
    fast = self_modifying_vm(syscall, PATCHED, 0, 0)
    fast.state.registers[A1] = PATCHED - 8
    reference = self_modifying_vm(syscall, PATCHED, 0, 0)
    reference.state.registers[A1] = PATCHED - 8
    with pytest.raises(InvalidInstruction):
        fast.run(1000)
    with pytest.raises(InvalidInstruction):
        while True:
            reference.step()
    assert fast.pc == PATCHED
    assert fast.witness() == reference.witness()


@pytest.mark.parametrize("writer", ["memory", "reference step"])
def test_code_written_between_runs(writer: str) -> None:
    """A write between runs, through ``Memory`` or ``RiscvVM.step()``, replaces a decoded instruction."""
    store = [NOP, sw(T1, 0, T0)] if writer == "reference step" else [NOP, NOP]
    vm = self_modifying_vm(store, PATCHED, PATCHED, NEW_WORD)
    vm.run(4)  # the function has been decoded and called; pc is at the store slot
    assert vm.pc == CODE + 8
    if writer == "memory":
        vm.memory.write(PATCHED, NEW_WORD.to_bytes(4, "little"))
    else:
        vm.step()
        vm.step()
    vm.run(1000)
    assert (vm.exited, vm.exit_code) == (True, 43)


# -- traps ----------------------------------------------------------------------------------------


def test_trap_set_on_code_already_decoded() -> None:
    vm = self_modifying_vm([NOP, NOP], PATCHED, 0, 0)
    vm.run(8)  # one pass: the loop and the function have handlers
    vm.set_traps([(PATCHED, PATCHED + 4), (0x10, 0x20)])
    witness = vm.witness()
    with pytest.raises(TrapReached):
        vm.run(1000)
    assert (vm.pc, vm.step_count) == (PATCHED, 10)
    with pytest.raises(TrapReached):  # still trapped, still unchanged
        vm.run(1)
    assert vm.step_count == 10
    untrapped = self_modifying_vm([NOP, NOP], PATCHED, 0, 0)
    untrapped.run(10)
    assert vm.witness() == untrapped.witness() != witness
    vm.set_traps([])
    vm.run(1000)
    assert (vm.exited, vm.exit_code) == (True, 2)


def ecall_pcs(vm: RiscvVM) -> list[int]:
    """Every ``ecall`` word in the loaded program's memory."""
    return [
        (index << 12) + offset
        for index, page in vm.memory.iter_pages()
        for offset in range(0, len(page), 4)
        if int.from_bytes(page[offset : offset + 4], "little") == ECALL
    ]


def test_traps_toggled_around_every_syscall(riscv_elves: dict[str, Path]) -> None:
    """Trap every ``ecall``, step it by the reference with the traps off, and go on: same outcome.

    Toggling traps must stay cheap: the engine (and its decoded handlers) is kept throughout.
    """
    vm = load(riscv_elves, "hello")
    syscalls = ecall_pcs(vm)
    traps = [(pc, pc + 4) for pc in syscalls]
    vm.run(1)
    engine = vm._engine
    vm.set_traps(traps)
    hits = 0
    while not vm.exited and vm.step_count < STEP_LIMIT:
        try:
            vm.run(STEP_LIMIT)
        except TrapReached:
            hits += 1
            assert vm.pc in syscalls
            vm.set_traps([])
            vm.step()
            vm.set_traps(traps)
    assert hits > 10
    assert vm._engine is engine
    untrapped = load(riscv_elves, "hello")
    untrapped.run(STEP_LIMIT)
    assert whole.Outcome.of(vm) == whole.Outcome.of(untrapped)


def test_trap_on_a_function(riscv_elves: dict[str, Path]) -> None:
    vm, metadata = RiscvVM.load_elf(riscv_elves["hello"])
    (trap,) = metadata.ranges("main.main")
    vm.run(1000)  # handlers exist before the traps are set
    vm.set_traps([trap])
    with pytest.raises(TrapReached):
        vm.run(STEP_LIMIT)
    assert vm.pc == trap[0]
    untrapped, _ = RiscvVM.load_elf(riscv_elves["hello"])
    untrapped.run(vm.step_count)
    assert vm.witness() == untrapped.witness()
    vm.set_traps([])
    vm.run(STEP_LIMIT)
    assert vm.exited and vm.stdout == b"hello world!\n"


# -- whole programs -------------------------------------------------------------------------------


def load(elves: dict[str, Path], name: str) -> RiscvVM:
    vm = whole.load(RiscvVM, elves, PROGRAMS, name)
    assert isinstance(vm, RiscvVM)
    return vm


@pytest.mark.parametrize("name", whole.program_params(PROGRAMS, SLOW_PROGRAMS))
def test_program_matches_reference(riscv_elves: dict[str, Path], name: str) -> None:
    """Compared every ``CHUNK`` steps, then run again in as few ``run`` calls as possible."""
    expected = whole.reference_trace(RiscvVM, riscv_elves, PROGRAMS, name)
    program_stdout, exit_code = EXPECTED_OUTPUT[name]
    assert program_stdout in expected.outcome.stdout
    assert expected.outcome.exit_code == exit_code
    whole.assert_chunks_match(load(riscv_elves, name), expected)
    whole.assert_whole_run_matches(load(riscv_elves, name), expected)


def test_fast_path_rarely_defers_to_reference(riscv_elves: dict[str, Path]) -> None:
    """Guard against a fast path that silently hands everything to the reference: only syscalls and
    atomics take it in a Go program."""
    vm = load(riscv_elves, "hello")
    reference_steps = 0
    reference_step = vm.step

    def counting_step(proof: bool = False) -> object:
        nonlocal reference_steps
        insn = vm.instruction_at(vm.pc)
        assert insn == ECALL or insn & 0x7F == AMO, f"0x{insn:08x} at 0x{vm.pc:x}"
        reference_steps += 1
        return reference_step(proof)

    vm.step = counting_step  # type: ignore[method-assign,assignment]
    vm.run(STEP_LIMIT)
    assert vm.exited
    assert 0 < reference_steps < vm.step_count // 200
