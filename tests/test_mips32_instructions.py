"""Single-step vectors for every MIPS32 instruction (spec: mips32.md §5, §7).

Every row is a vector ``(pre-state, instruction, expected post-state)`` with the expected values
computed by hand from the spec and written out literally. ``run_vector`` executes one step of the
stateful VM and checks the whole post-state: every register (not only the destination), ``hi``,
``lo``, ``pc``, ``nextPC``, the step counter, the other witness fields, and memory (every word the
vector names, plus the memory root against a memory holding exactly the expected words, so a stray
write anywhere fails). ``test_mips32_verifier.py`` replays the same tables through the stateless
verifier, so each row is also a verifier vector.

Registers that a vector does not set hold distinctive background values (``0xBA5E0000 | 0x101·i``,
``R[0] = 0``), so a write to the wrong register is caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from faultproof.errors import (
    BranchInDelaySlot,
    DivisionByZero,
    InvalidExitedValue,
    InvalidInstruction,
    InvalidMemoryProof,
    JumpInDelaySlot,
)
from faultproof.memory import Memory
from faultproof.preimage.host import OracleHost
from faultproof.vm.mips32.state import MipsState
from faultproof.vm.mips32.vm import MipsVM
from mips_asm import (
    A0,
    NOP,
    RA,
    T0,
    T1,
    T2,
    T3,
    V0,
    V1,
    ZERO,
    add,
    addi,
    addiu,
    addu,
    and_,
    andi,
    beq,
    bgez,
    bgezal,
    bgtz,
    blez,
    bltz,
    bltzal,
    bne,
    clo,
    clz,
    div,
    divu,
    i_type,
    j,
    jal,
    jalr,
    jr,
    lb,
    lbu,
    lh,
    lhu,
    ll,
    lui,
    lw,
    lwl,
    lwr,
    mfhi,
    mflo,
    movn,
    movz,
    mthi,
    mtlo,
    mul,
    mult,
    multu,
    nor,
    or_,
    ori,
    r_type,
    regimm,
    sb,
    sc,
    sh,
    sll,
    sllv,
    slt,
    slti,
    sltiu,
    sltu,
    special,
    sra,
    srav,
    srl,
    srlv,
    sub,
    subu,
    sw,
    swl,
    swr,
    sync,
    syscall,
    xor,
    xori,
)

# -- the vector harness (shared with the syscall and verifier tests) ---------------------------

PC = 0x0040_0100
DATA = 0x1000_0040
HI = 0x0BAD_F00D
LO = 0x0D15_EA5E
HEAP = 0x0500_0000
STEP = 41
KEY = bytes([0x02, *range(1, 32)])


def background(index: int) -> int:
    return 0 if index == 0 else 0xBA5E_0000 | (0x101 * index)


@dataclass(frozen=True, kw_only=True)
class Vector:
    """One step: the pre-state, and the expected post-state or failure.

    ``post_*`` fields left ``None`` mean "unchanged", except ``post_pc``/``post_next_pc``, whose
    default is ADVANCE (``pc = nextPC``, ``nextPC += 4``), and ``post_step`` (``step + 1``).
    """

    id: str
    insn: int
    regs: Mapping[int, int] = field(default_factory=dict)
    mem: Mapping[int, int] = field(default_factory=dict)
    pc: int = PC
    next_pc: int | None = None
    hi: int = HI
    lo: int = LO
    heap: int = HEAP
    preimage_key: bytes = KEY
    preimage_offset: int = 0
    exited: int = 0
    exit_code: int = 0
    step: int = STEP
    last_hint: bytes = b""
    preimages: Mapping[bytes, bytes] = field(default_factory=dict)

    post_regs: Mapping[int, int] = field(default_factory=dict)
    post_mem: Mapping[int, int] = field(default_factory=dict)
    post_pc: int | None = None
    post_next_pc: int | None = None
    post_hi: int | None = None
    post_lo: int | None = None
    post_heap: int | None = None
    post_preimage_key: bytes | None = None
    post_preimage_offset: int | None = None
    post_exited: int | None = None
    post_exit_code: int | None = None
    post_step: int | None = None
    post_last_hint: bytes | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    hints: tuple[bytes, ...] = ()

    raises: type[Exception] | None = None
    # For failing vectors: the address whose proof is proof #1 (the step's data word), if any.
    data_address: int | None = None
    # The StepFailure the stateless verifier raises, when it differs from ``raises`` (a missing
    # preimage is a host error offchain, a missing part onchain).
    verifier_raises: type[Exception] | None = None

    @property
    def pre_next_pc(self) -> int:
        return (self.pc + 4) & 0xFFFF_FFFF if self.next_pc is None else self.next_pc


def vid(vector: Vector) -> str:
    return vector.id


def pre_registers(vector: Vector) -> list[int]:
    registers = [background(i) for i in range(32)]
    for index, value in vector.regs.items():
        registers[index] = value
    return registers


def pre_memory_words(vector: Vector) -> dict[int, int]:
    words = dict(vector.mem)
    assert (vector.pc & ~3) not in words, "the instruction word is written by the harness"
    words[vector.pc & ~3] = vector.insn
    return words


def pre_state(vector: Vector) -> MipsState:
    return MipsState(
        preimage_key=vector.preimage_key,
        preimage_offset=vector.preimage_offset,
        pc=vector.pc,
        next_pc=vector.pre_next_pc,
        lo=vector.lo,
        hi=vector.hi,
        heap=vector.heap,
        exit_code=vector.exit_code,
        exited=vector.exited,
        step=vector.step,
        registers=pre_registers(vector),
    )


def memory_of(words: Mapping[int, int]) -> Memory:
    memory = Memory(32)
    for address, word in words.items():
        memory.write_word(address, word)
    return memory


def prepare(vector: Vector) -> tuple[MipsVM, OracleHost]:
    """A VM in the vector's pre-state, with a host serving the vector's preimages."""
    host = OracleHost.in_memory(vector.preimages, record_hints=True)
    vm = MipsVM(pre_state(vector), memory_of(pre_memory_words(vector)), vector.last_hint, host)
    return vm, host


def expected_state(vector: Vector) -> MipsState:
    registers = pre_registers(vector)
    for index, value in vector.post_regs.items():
        registers[index] = value

    def pick(post: object, pre: object) -> object:
        return pre if post is None else post

    next_pc = vector.pre_next_pc
    return MipsState(
        preimage_key=pick(vector.post_preimage_key, vector.preimage_key),  # type: ignore[arg-type]
        preimage_offset=pick(vector.post_preimage_offset, vector.preimage_offset),  # type: ignore[arg-type]
        pc=pick(vector.post_pc, next_pc),  # type: ignore[arg-type]
        next_pc=pick(vector.post_next_pc, (next_pc + 4) & 0xFFFF_FFFF),  # type: ignore[arg-type]
        lo=pick(vector.post_lo, vector.lo),  # type: ignore[arg-type]
        hi=pick(vector.post_hi, vector.hi),  # type: ignore[arg-type]
        heap=pick(vector.post_heap, vector.heap),  # type: ignore[arg-type]
        exit_code=pick(vector.post_exit_code, vector.exit_code),  # type: ignore[arg-type]
        exited=pick(vector.post_exited, vector.exited),  # type: ignore[arg-type]
        step=pick(vector.post_step, vector.step + 1),  # type: ignore[arg-type]
        registers=registers,
    )


def expected_memory_words(vector: Vector) -> dict[int, int]:
    words = pre_memory_words(vector)
    words.update(vector.post_mem)
    return words


def run_vector(vector: Vector) -> MipsVM:
    """Step the stateful VM once and check the complete post-state (or the failure)."""
    vm, host = prepare(vector)
    pre_witness = vm.witness()
    if vector.raises is not None:
        with pytest.raises(vector.raises):
            vm.step()
        # A failing step has no post-state: the VM keeps the pre-state (errors.StepFailure).
        assert vm.witness() == pre_witness
        assert vm.state == pre_state(vector)
        assert vm.stdout == b"" and vm.stderr == b"" and host.hints == []
        return vm
    vm.step()
    assert vm.state.registers == expected_state(vector).registers
    assert vm.state == expected_state(vector)
    words = expected_memory_words(vector)
    for address, word in words.items():
        assert vm.memory.read_word(address) == word, f"word at 0x{address:08x}"
    assert vm.memory.merkle_root() == memory_of(words).merkle_root(), "memory changed elsewhere"
    assert bytes(vm.stdout) == vector.stdout
    assert bytes(vm.stderr) == vector.stderr
    assert tuple(host.hints) == vector.hints
    post_last_hint = vector.last_hint if vector.post_last_hint is None else vector.post_last_hint
    assert bytes(vm.last_hint) == post_last_hint
    return vm


def words_from_bytes(address: int, data: bytes) -> dict[int, int]:
    """Aligned big-endian words holding ``data`` at ``address`` (other bytes of those words zero)."""
    image: dict[int, int] = {}
    for i, byte in enumerate(data):
        a = (address + i) & 0xFFFF_FFFF
        image[a] = byte
    words: dict[int, int] = {}
    for a, byte in image.items():
        base = a & ~3
        words[base] = words.get(base, 0) | (byte << (8 * (3 - (a & 3))))
    return words


V = Vector

# -- SPECIAL: shifts ---------------------------------------------------------------------------

X = 0x8765_4321  # 1000 0111 0110 0101 0100 0011 0010 0001
P = 0x7654_3210  # positive: sra fills with zeros

SHIFTS = [
    V(id="sll-0", insn=sll(T0, T1, 0), regs={T1: X}, post_regs={T0: 0x8765_4321}),
    V(id="sll-1", insn=sll(T0, T1, 1), regs={T1: X}, post_regs={T0: 0x0ECA_8642}),
    V(id="sll-4", insn=sll(T0, T1, 4), regs={T1: X}, post_regs={T0: 0x7654_3210}),
    V(id="sll-31", insn=sll(T0, T1, 31), regs={T1: X}, post_regs={T0: 0x8000_0000}),
    V(id="sll-31-even", insn=sll(T0, T1, 31), regs={T1: 0xFFFF_FFFE}, post_regs={T0: 0}),
    # The rs field of sll is reserved; it is never checked and never used (§7.1).
    V(
        id="sll-rs-field-ignored",
        insn=special(0x00, rs=T2, rt=T1, rd=T0, sa=4),
        regs={T1: X, T2: 7},
        post_regs={T0: 0x7654_3210},
    ),
    V(id="srl-0", insn=srl(T0, T1, 0), regs={T1: X}, post_regs={T0: 0x8765_4321}),
    V(id="srl-1", insn=srl(T0, T1, 1), regs={T1: X}, post_regs={T0: 0x43B2_A190}),
    V(id="srl-4", insn=srl(T0, T1, 4), regs={T1: X}, post_regs={T0: 0x0876_5432}),
    V(id="srl-31", insn=srl(T0, T1, 31), regs={T1: X}, post_regs={T0: 0x0000_0001}),
    V(id="sra-0", insn=sra(T0, T1, 0), regs={T1: X}, post_regs={T0: 0x8765_4321}),
    V(id="sra-1", insn=sra(T0, T1, 1), regs={T1: X}, post_regs={T0: 0xC3B2_A190}),
    V(id="sra-4", insn=sra(T0, T1, 4), regs={T1: X}, post_regs={T0: 0xF876_5432}),
    V(id="sra-31", insn=sra(T0, T1, 31), regs={T1: X}, post_regs={T0: 0xFFFF_FFFF}),
    V(id="sra-1-positive", insn=sra(T0, T1, 1), regs={T1: P}, post_regs={T0: 0x3B2A_1908}),
    V(id="sra-4-positive", insn=sra(T0, T1, 4), regs={T1: P}, post_regs={T0: 0x0765_4321}),
    V(id="sra-31-positive", insn=sra(T0, T1, 31), regs={T1: P}, post_regs={T0: 0}),
    V(id="sll-to-self", insn=sll(T1, T1, 8), regs={T1: X}, post_regs={T1: 0x6543_2100}),
    # Variable shifts use rs & 31; the high bits of rs are ignored.
    V(id="sllv-0", insn=sllv(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: 0x8765_4321}),
    V(id="sllv-1", insn=sllv(T0, T1, T2), regs={T1: X, T2: 1}, post_regs={T0: 0x0ECA_8642}),
    V(id="sllv-31", insn=sllv(T0, T1, T2), regs={T1: X, T2: 31}, post_regs={T0: 0x8000_0000}),
    V(id="sllv-32-is-0", insn=sllv(T0, T1, T2), regs={T1: X, T2: 32}, post_regs={T0: 0x8765_4321}),
    V(id="sllv-high-bits", insn=sllv(T0, T1, T2), regs={T1: X, T2: 0xFFFF_FFE4}, post_regs={T0: 0x7654_3210}),
    V(
        id="sllv-all-ones-is-31",
        insn=sllv(T0, T1, T2),
        regs={T1: X, T2: 0xFFFF_FFFF},
        post_regs={T0: 0x8000_0000},
    ),
    V(id="srlv-0", insn=srlv(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: 0x8765_4321}),
    V(id="srlv-1", insn=srlv(T0, T1, T2), regs={T1: X, T2: 1}, post_regs={T0: 0x43B2_A190}),
    V(id="srlv-31", insn=srlv(T0, T1, T2), regs={T1: X, T2: 31}, post_regs={T0: 1}),
    V(id="srlv-32-is-0", insn=srlv(T0, T1, T2), regs={T1: X, T2: 32}, post_regs={T0: 0x8765_4321}),
    V(id="srlv-high-bits", insn=srlv(T0, T1, T2), regs={T1: X, T2: 0x8000_0004}, post_regs={T0: 0x0876_5432}),
    V(id="srav-0", insn=srav(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: 0x8765_4321}),
    V(id="srav-1", insn=srav(T0, T1, T2), regs={T1: X, T2: 1}, post_regs={T0: 0xC3B2_A190}),
    V(id="srav-31", insn=srav(T0, T1, T2), regs={T1: X, T2: 31}, post_regs={T0: 0xFFFF_FFFF}),
    # §0: singlethreaded-2 masks the srav amount (1.0.1 used the whole rs and gave 0/-1 for rs >= 32).
    V(id="srav-32-is-0", insn=srav(T0, T1, T2), regs={T1: X, T2: 32}, post_regs={T0: 0x8765_4321}),
    V(id="srav-33-is-1", insn=srav(T0, T1, T2), regs={T1: X, T2: 33}, post_regs={T0: 0xC3B2_A190}),
    V(id="srav-high-bits", insn=srav(T0, T1, T2), regs={T1: X, T2: 0xFFFF_FFE4}, post_regs={T0: 0xF876_5432}),
    V(
        id="srav-positive-high-bits",
        insn=srav(T0, T1, T2),
        regs={T1: P, T2: 0x1234_5664},
        post_regs={T0: 0x0765_4321},
    ),
]

# -- SPECIAL: arithmetic, logic, comparisons ---------------------------------------------------

ARITHMETIC = [
    V(id="add", insn=add(T0, T1, T2), regs={T1: 5, T2: 7}, post_regs={T0: 12}),
    V(
        id="add-overflow-no-trap",
        insn=add(T0, T1, T2),
        regs={T1: 0x7FFF_FFFF, T2: 1},
        post_regs={T0: 0x8000_0000},
    ),
    V(id="add-wraps", insn=add(T0, T1, T2), regs={T1: 0xFFFF_FFFF, T2: 2}, post_regs={T0: 1}),
    V(
        id="add-negative-overflow",
        insn=add(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 0x8000_0000},
        post_regs={T0: 0},
    ),
    V(id="addu", insn=addu(T0, T1, T2), regs={T1: 0x1234_5678, T2: 0x1111_1111}, post_regs={T0: 0x2345_6789}),
    V(
        id="addu-wraps",
        insn=addu(T0, T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 0xFFFF_FFFF},
        post_regs={T0: 0xFFFF_FFFE},
    ),
    V(id="addu-same-register", insn=addu(T1, T1, T1), regs={T1: 0x8000_0001}, post_regs={T1: 2}),
    V(id="sub", insn=sub(T0, T1, T2), regs={T1: 5, T2: 3}, post_regs={T0: 2}),
    V(
        id="sub-overflow-no-trap",
        insn=sub(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 1},
        post_regs={T0: 0x7FFF_FFFF},
    ),
    V(id="sub-wraps", insn=sub(T0, T1, T2), regs={T1: 0, T2: 1}, post_regs={T0: 0xFFFF_FFFF}),
    V(id="subu", insn=subu(T0, T1, T2), regs={T1: 3, T2: 5}, post_regs={T0: 0xFFFF_FFFE}),
    V(
        id="subu-wraps",
        insn=subu(T0, T1, T2),
        regs={T1: 0x7FFF_FFFF, T2: 0xFFFF_FFFF},
        post_regs={T0: 0x8000_0000},
    ),
]

A_BITS = 0xF0F0_FF00
B_BITS = 0x0FF0_F0F0

LOGIC = [
    V(id="and", insn=and_(T0, T1, T2), regs={T1: A_BITS, T2: B_BITS}, post_regs={T0: 0x00F0_F000}),
    V(id="or", insn=or_(T0, T1, T2), regs={T1: A_BITS, T2: B_BITS}, post_regs={T0: 0xFFF0_FFF0}),
    V(id="xor", insn=xor(T0, T1, T2), regs={T1: A_BITS, T2: B_BITS}, post_regs={T0: 0xFF00_0FF0}),
    V(id="nor", insn=nor(T0, T1, T2), regs={T1: A_BITS, T2: B_BITS}, post_regs={T0: 0x000F_000F}),
    V(id="nor-zero", insn=nor(T0, T1, T2), regs={T1: 0, T2: 0}, post_regs={T0: 0xFFFF_FFFF}),
    V(id="xor-self", insn=xor(T0, T1, T1), regs={T1: A_BITS}, post_regs={T0: 0}),
]

COMPARE = [
    V(id="slt-neg-lt-pos", insn=slt(T0, T1, T2), regs={T1: 0xFFFF_FFFF, T2: 1}, post_regs={T0: 1}),
    V(id="sltu-neg-lt-pos", insn=sltu(T0, T1, T2), regs={T1: 0xFFFF_FFFF, T2: 1}, post_regs={T0: 0}),
    V(id="slt-pos-lt-neg", insn=slt(T0, T1, T2), regs={T1: 1, T2: 0xFFFF_FFFF}, post_regs={T0: 0}),
    V(id="sltu-pos-lt-neg", insn=sltu(T0, T1, T2), regs={T1: 1, T2: 0xFFFF_FFFF}, post_regs={T0: 1}),
    V(id="slt-min-lt-max", insn=slt(T0, T1, T2), regs={T1: 0x8000_0000, T2: 0x7FFF_FFFF}, post_regs={T0: 1}),
    V(
        id="sltu-min-lt-max",
        insn=sltu(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 0x7FFF_FFFF},
        post_regs={T0: 0},
    ),
    V(id="slt-equal", insn=slt(T0, T1, T2), regs={T1: 0xFFFF_FFFE, T2: 0xFFFF_FFFE}, post_regs={T0: 0}),
    V(id="sltu-equal", insn=sltu(T0, T1, T2), regs={T1: 7, T2: 7}, post_regs={T0: 0}),
    V(
        id="slt-both-negative",
        insn=slt(T0, T1, T2),
        regs={T1: 0xFFFF_FFFE, T2: 0xFFFF_FFFF},
        post_regs={T0: 1},
    ),
    V(id="sltu-both-high", insn=sltu(T0, T1, T2), regs={T1: 0xFFFF_FFFE, T2: 0xFFFF_FFFF}, post_regs={T0: 1}),
]

# -- SPECIAL: conditional moves and sync ------------------------------------------------------

MOVES = [
    V(id="movz-taken", insn=movz(T0, T1, T2), regs={T1: 0xCAFE_BABE, T2: 0}, post_regs={T0: 0xCAFE_BABE}),
    V(id="movz-not-taken", insn=movz(T0, T1, T2), regs={T1: 0xCAFE_BABE, T2: 1}),
    V(id="movz-not-taken-high-bit", insn=movz(T0, T1, T2), regs={T1: 0xCAFE_BABE, T2: 0x8000_0000}),
    V(
        id="movn-taken",
        insn=movn(T0, T1, T2),
        regs={T1: 0xCAFE_BABE, T2: 0x8000_0000},
        post_regs={T0: 0xCAFE_BABE},
    ),
    V(id="movn-not-taken", insn=movn(T0, T1, T2), regs={T1: 0xCAFE_BABE, T2: 0}),
    V(id="movz-to-zero-dropped", insn=movz(ZERO, T1, T2), regs={T1: 0xCAFE_BABE, T2: 0}),
    V(id="movn-to-zero-dropped", insn=movn(ZERO, T1, T2), regs={T1: 0xCAFE_BABE, T2: 5}),
    V(id="sync-canonical-no-op", insn=sync()),
    # §7.2 / quirk 3: sync copies rs into rd.
    V(
        id="sync-copies-rs-to-rd",
        insn=sync(rd=T0, rs=T1),
        regs={T1: 0x1357_9BDF},
        post_regs={T0: 0x1357_9BDF},
    ),
    V(id="sync-rd-zero", insn=sync(rd=ZERO, rs=T1), regs={T1: 0x1357_9BDF}),
    V(id="sync-rs-zero", insn=sync(rd=T0, rs=ZERO), post_regs={T0: 0}),
]

# -- SPECIAL: hi/lo ---------------------------------------------------------------------------

HILO_MOVES = [
    V(id="mfhi", insn=mfhi(T0), post_regs={T0: HI}),
    V(id="mflo", insn=mflo(T0), post_regs={T0: LO}),
    V(id="mfhi-rd-zero", insn=mfhi(ZERO)),
    V(id="mthi", insn=mthi(T1), regs={T1: 0x1234_5678}, post_hi=0x1234_5678),
    V(id="mtlo", insn=mtlo(T1), regs={T1: 0x1234_5678}, post_lo=0x1234_5678),
    # §7.5 quirk: every hi/lo function but mfhi/mflo writes 0 to a non-zero rd.
    V(
        id="mthi-clears-rd",
        insn=mthi(T1, rd=T0),
        regs={T1: 0x1234_5678},
        post_hi=0x1234_5678,
        post_regs={T0: 0},
    ),
    V(
        id="mtlo-clears-rd",
        insn=mtlo(T1, rd=T0),
        regs={T1: 0x1234_5678},
        post_lo=0x1234_5678,
        post_regs={T0: 0},
    ),
    V(
        id="mthi-clears-rd-equal-rs",
        insn=mthi(T1, rd=T1),
        regs={T1: 0x1234_5678},
        post_hi=0x1234_5678,
        post_regs={T1: 0},
    ),
    V(
        id="mfhi-rs-rt-ignored",
        insn=special(0x10, rs=T1, rt=T2, rd=T0),
        regs={T1: 1, T2: 2},
        post_regs={T0: HI},
    ),
]

MULT_DIV = [
    V(
        id="mult-minus1-squared",
        insn=mult(T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 0xFFFF_FFFF},
        post_hi=0,
        post_lo=1,
    ),
    V(
        id="multu-all-ones-squared",
        insn=multu(T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 0xFFFF_FFFF},
        post_hi=0xFFFF_FFFE,
        post_lo=1,
    ),
    V(
        id="mult-min-squared",
        insn=mult(T1, T2),
        regs={T1: 0x8000_0000, T2: 0x8000_0000},
        post_hi=0x4000_0000,
        post_lo=0,
    ),
    V(
        id="multu-min-squared",
        insn=multu(T1, T2),
        regs={T1: 0x8000_0000, T2: 0x8000_0000},
        post_hi=0x4000_0000,
        post_lo=0,
    ),
    V(
        id="mult-negative",
        insn=mult(T1, T2),
        regs={T1: 0xFFFF_FFFE, T2: 3},
        post_hi=0xFFFF_FFFF,
        post_lo=0xFFFF_FFFA,
    ),
    V(
        id="multu-same-operands",
        insn=multu(T1, T2),
        regs={T1: 0xFFFF_FFFE, T2: 3},
        post_hi=0x0000_0002,
        post_lo=0xFFFF_FFFA,
    ),
    V(
        id="mult-max-squared",
        insn=mult(T1, T2),
        regs={T1: 0x7FFF_FFFF, T2: 0x7FFF_FFFF},
        post_hi=0x3FFF_FFFF,
        post_lo=0x0000_0001,
    ),
    V(
        id="mult-min-times-minus1",
        insn=mult(T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_hi=0x0000_0000,
        post_lo=0x8000_0000,
    ),
    V(
        id="multu-min-times-all-ones",
        insn=multu(T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_hi=0x7FFF_FFFF,
        post_lo=0x8000_0000,
    ),
    V(id="mult-2-pow-32", insn=mult(T1, T2), regs={T1: 0x1_0000, T2: 0x1_0000}, post_hi=1, post_lo=0),
    V(id="mult-zero", insn=mult(T1, T2), regs={T1: 0, T2: 0xFFFF_FFFF}, post_hi=0, post_lo=0),
    V(
        id="mult-clears-rd",
        insn=mult(T1, T2, rd=T0),
        regs={T1: 2, T2: 3},
        post_hi=0,
        post_lo=6,
        post_regs={T0: 0},
    ),
    V(
        id="multu-clears-rd",
        insn=multu(T1, T2, rd=T0),
        regs={T1: 2, T2: 3},
        post_hi=0,
        post_lo=6,
        post_regs={T0: 0},
    ),
    V(id="div", insn=div(T1, T2), regs={T1: 7, T2: 2}, post_lo=3, post_hi=1),
    V(
        id="div-negative-dividend",
        insn=div(T1, T2),
        regs={T1: 0xFFFF_FFF9, T2: 2},
        post_lo=0xFFFF_FFFD,
        post_hi=0xFFFF_FFFF,
    ),
    V(
        id="div-negative-divisor",
        insn=div(T1, T2),
        regs={T1: 7, T2: 0xFFFF_FFFE},
        post_lo=0xFFFF_FFFD,
        post_hi=1,
    ),
    V(
        id="div-both-negative",
        insn=div(T1, T2),
        regs={T1: 0xFFFF_FFF9, T2: 0xFFFF_FFFE},
        post_lo=3,
        post_hi=0xFFFF_FFFF,
    ),
    V(
        id="div-min-by-minus1",
        insn=div(T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_lo=0x8000_0000,
        post_hi=0,
    ),
    V(id="div-min-by-1", insn=div(T1, T2), regs={T1: 0x8000_0000, T2: 1}, post_lo=0x8000_0000, post_hi=0),
    V(
        id="div-min-by-3",
        insn=div(T1, T2),
        regs={T1: 0x8000_0000, T2: 3},
        post_lo=0xD555_5556,
        post_hi=0xFFFF_FFFE,
    ),
    V(
        id="div-small-by-large",
        insn=div(T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 0x7FFF_FFFF},
        post_lo=0,
        post_hi=0xFFFF_FFFF,
    ),
    V(id="divu", insn=divu(T1, T2), regs={T1: 7, T2: 2}, post_lo=3, post_hi=1),
    V(
        id="divu-all-ones-by-2",
        insn=divu(T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 2},
        post_lo=0x7FFF_FFFF,
        post_hi=1,
    ),
    V(
        id="divu-min-by-all-ones",
        insn=divu(T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_lo=0,
        post_hi=0x8000_0000,
    ),
    V(id="divu-by-1", insn=divu(T1, T2), regs={T1: 0xFFFF_FFFF, T2: 1}, post_lo=0xFFFF_FFFF, post_hi=0),
    V(
        id="div-clears-rd",
        insn=div(T1, T2, rd=T0),
        regs={T1: 7, T2: 2},
        post_lo=3,
        post_hi=1,
        post_regs={T0: 0},
    ),
    V(
        id="divu-clears-rd",
        insn=divu(T1, T2, rd=T0),
        regs={T1: 7, T2: 2},
        post_lo=3,
        post_hi=1,
        post_regs={T0: 0},
    ),
    # Division by zero is a FAIL, not a guest-visible result (quirk 9).
    V(id="div-by-zero", insn=div(T1, T2), regs={T1: 7, T2: 0}, raises=DivisionByZero),
    V(id="divu-by-zero", insn=divu(T1, T2), regs={T1: 7, T2: 0}, raises=DivisionByZero),
    V(id="div-zero-by-zero", insn=div(T1, T2, rd=T0), regs={T1: 0, T2: 0}, raises=DivisionByZero),
]

# -- immediates (§7.3) ------------------------------------------------------------------------

IMMEDIATES = [
    V(id="addi-minus1", insn=addi(T0, T1, -1), regs={T1: 0}, post_regs={T0: 0xFFFF_FFFF}),
    V(id="addi-overflow-no-trap", insn=addi(T0, T1, 1), regs={T1: 0x7FFF_FFFF}, post_regs={T0: 0x8000_0000}),
    V(id="addi-max-positive", insn=addi(T0, T1, 0x7FFF), regs={T1: 1}, post_regs={T0: 0x0000_8000}),
    V(id="addiu-sign-extended", insn=addiu(T0, T1, 0x8000), regs={T1: 5}, post_regs={T0: 0xFFFF_8005}),
    V(id="addiu-wraps", insn=addiu(T0, T1, 2), regs={T1: 0xFFFF_FFFF}, post_regs={T0: 1}),
    V(id="addiu-to-self", insn=addiu(T1, T1, -4), regs={T1: 0x1000}, post_regs={T1: 0x0FFC}),
    V(id="slti-true", insn=slti(T0, T1, -1), regs={T1: 0xFFFF_FFFE}, post_regs={T0: 1}),
    V(id="slti-false", insn=slti(T0, T1, -1), regs={T1: 0}, post_regs={T0: 0}),
    V(id="slti-min", insn=slti(T0, T1, 0), regs={T1: 0x8000_0000}, post_regs={T0: 1}),
    V(id="slti-positive-imm", insn=slti(T0, T1, 0x7FFF), regs={T1: 0x7FFE}, post_regs={T0: 1}),
    # sltiu compares unsigned against the sign-extended immediate.
    V(id="sltiu-zero-lt-ffffffff", insn=sltiu(T0, T1, 0xFFFF), regs={T1: 0}, post_regs={T0: 1}),
    V(id="sltiu-high", insn=sltiu(T0, T1, 0xFFFF), regs={T1: 0xFFFF_FFFE}, post_regs={T0: 1}),
    V(id="sltiu-equal", insn=sltiu(T0, T1, 0xFFFF), regs={T1: 0xFFFF_FFFF}, post_regs={T0: 0}),
    V(id="sltiu-8000-is-ffff8000", insn=sltiu(T0, T1, 0x8000), regs={T1: 0x7FFF}, post_regs={T0: 1}),
    V(id="sltiu-above-ffff8000", insn=sltiu(T0, T1, 0x8000), regs={T1: 0xFFFF_9000}, post_regs={T0: 0}),
    V(id="sltiu-small", insn=sltiu(T0, T1, 5), regs={T1: 4}, post_regs={T0: 1}),
    V(
        id="andi-zero-extended",
        insn=andi(T0, T1, 0x8001),
        regs={T1: 0xFFFF_FFFF},
        post_regs={T0: 0x0000_8001},
    ),
    V(id="ori-zero-extended", insn=ori(T0, T1, 0x8765), regs={T1: 0x1234_0000}, post_regs={T0: 0x1234_8765}),
    V(id="ori-keeps-high", insn=ori(T0, T1, 0xFFFF), regs={T1: 0x8000_0000}, post_regs={T0: 0x8000_FFFF}),
    V(
        id="xori-zero-extended",
        insn=xori(T0, T1, 0xFFFF),
        regs={T1: 0xFFFF_0000},
        post_regs={T0: 0xFFFF_FFFF},
    ),
    V(id="xori", insn=xori(T0, T1, 0x8001), regs={T1: 0x0000_FFFF}, post_regs={T0: 0x0000_7FFE}),
    V(id="lui", insn=lui(T0, 0x8765), post_regs={T0: 0x8765_0000}),
    V(
        id="lui-rs-field-ignored",
        insn=lui(T0, 0x1234, rs=T1),
        regs={T1: 0xFFFF_FFFF},
        post_regs={T0: 0x1234_0000},
    ),
    V(id="lui-zero", insn=lui(T0, 0), post_regs={T0: 0}),
]

# -- SPECIAL2 (op 0x1C) -----------------------------------------------------------------------

SPECIAL2 = [
    V(
        id="mul-minus1-squared",
        insn=mul(T0, T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 0xFFFF_FFFF},
        post_regs={T0: 1},
    ),
    V(id="mul-low-bits", insn=mul(T0, T1, T2), regs={T1: 0x1_0000, T2: 0x1_0000}, post_regs={T0: 0}),
    V(id="mul-wraps", insn=mul(T0, T1, T2), regs={T1: 0x7FFF_FFFF, T2: 2}, post_regs={T0: 0xFFFF_FFFE}),
    V(id="mul-negative", insn=mul(T0, T1, T2), regs={T1: 0xFFFF_FFFD, T2: 5}, post_regs={T0: 0xFFFF_FFF1}),
    V(id="mul", insn=mul(T0, T1, T2), regs={T1: 0x1234_5678, T2: 16}, post_regs={T0: 0x2345_6780}),
    V(id="mul-keeps-hi-lo", insn=mul(T0, T1, T2), regs={T1: 3, T2: 4}, post_regs={T0: 12}),
    V(id="clz-0", insn=clz(T0, T1), regs={T1: 0}, post_regs={T0: 32}),
    V(id="clz-all-ones", insn=clz(T0, T1), regs={T1: 0xFFFF_FFFF}, post_regs={T0: 0}),
    V(id="clz-1", insn=clz(T0, T1), regs={T1: 1}, post_regs={T0: 31}),
    V(id="clz-2^31", insn=clz(T0, T1), regs={T1: 0x8000_0000}, post_regs={T0: 0}),
    V(id="clz-2^16", insn=clz(T0, T1), regs={T1: 0x0001_0000}, post_regs={T0: 15}),
    V(id="clz-2^15", insn=clz(T0, T1), regs={T1: 0x0000_8000}, post_regs={T0: 16}),
    V(id="clz-2^30-plus-1", insn=clz(T0, T1), regs={T1: 0x4000_0001}, post_regs={T0: 1}),
    V(id="clo-0", insn=clo(T0, T1), regs={T1: 0}, post_regs={T0: 0}),
    V(id="clo-all-ones", insn=clo(T0, T1), regs={T1: 0xFFFF_FFFF}, post_regs={T0: 32}),
    V(id="clo-2^31", insn=clo(T0, T1), regs={T1: 0x8000_0000}, post_regs={T0: 1}),
    V(id="clo-ffff0000", insn=clo(T0, T1), regs={T1: 0xFFFF_0000}, post_regs={T0: 16}),
    V(id="clo-fffffffe", insn=clo(T0, T1), regs={T1: 0xFFFF_FFFE}, post_regs={T0: 31}),
    V(id="clo-7fffffff", insn=clo(T0, T1), regs={T1: 0x7FFF_FFFF}, post_regs={T0: 0}),
    V(
        id="clz-rt-field-ignored",
        insn=r_type(0x1C, 0x20, rs=T1, rt=T3, rd=T0),
        regs={T1: 0x100},
        post_regs={T0: 23},
    ),
]

# -- loads (§7.4) -----------------------------------------------------------------------------

SIGNED_WORD = 0x8172_F304  # bytes 81 72 f3 04: negative, positive, negative, positive
NEIGHBOURS = {DATA - 4: 0x0101_0101, DATA + 4: 0x0202_0202}
LOAD_MEMORY = {**NEIGHBOURS, DATA: SIGNED_WORD}
RT_PRE = 0x1122_3344
MEM_WORD = 0xAABB_CCDD
STORE_MEMORY = {**NEIGHBOURS, DATA: MEM_WORD}


def load(name: str, insn: int, result: int) -> Vector:
    return V(id=name, insn=insn, regs={T1: DATA, T2: RT_PRE}, mem=LOAD_MEMORY, post_regs={T2: result})


def unaligned(name: str, insn: int, result: int) -> Vector:
    """lwl/lwr: rt = 0x11223344 merged with the word 0xAABBCCDD."""
    return V(id=name, insn=insn, regs={T1: DATA, T2: RT_PRE}, mem=STORE_MEMORY, post_regs={T2: result})


LOADS = [
    load("lb-0", lb(T2, 0, T1), 0xFFFF_FF81),
    load("lb-1", lb(T2, 1, T1), 0x0000_0072),
    load("lb-2", lb(T2, 2, T1), 0xFFFF_FFF3),
    load("lb-3", lb(T2, 3, T1), 0x0000_0004),
    load("lbu-0", lbu(T2, 0, T1), 0x0000_0081),
    load("lbu-1", lbu(T2, 1, T1), 0x0000_0072),
    load("lbu-2", lbu(T2, 2, T1), 0x0000_00F3),
    load("lbu-3", lbu(T2, 3, T1), 0x0000_0004),
    load("lh-0", lh(T2, 0, T1), 0xFFFF_8172),
    load("lh-1-misaligned", lh(T2, 1, T1), 0xFFFF_8172),
    load("lh-2", lh(T2, 2, T1), 0xFFFF_F304),
    load("lh-3-misaligned", lh(T2, 3, T1), 0xFFFF_F304),
    load("lhu-0", lhu(T2, 0, T1), 0x0000_8172),
    load("lhu-1-misaligned", lhu(T2, 1, T1), 0x0000_8172),
    load("lhu-2", lhu(T2, 2, T1), 0x0000_F304),
    load("lhu-3-misaligned", lhu(T2, 3, T1), 0x0000_F304),
    load("lw-0", lw(T2, 0, T1), SIGNED_WORD),
    load("lw-1-misaligned", lw(T2, 1, T1), SIGNED_WORD),
    load("lw-2-misaligned", lw(T2, 2, T1), SIGNED_WORD),
    load("lw-3-misaligned", lw(T2, 3, T1), SIGNED_WORD),
    load("lw-next-word", lw(T2, 4, T1), 0x0202_0202),
    load("lw-negative-offset", lw(T2, -4, T1), 0x0101_0101),
    V(
        id="lh-positive",
        insn=lh(T2, 0, T1),
        regs={T1: DATA},
        mem={DATA: 0x1234_5678},
        post_regs={T2: 0x0000_1234},
    ),
    V(
        id="lb-positive-7f",
        insn=lb(T2, 3, T1),
        regs={T1: DATA},
        mem={DATA: 0x0000_007F},
        post_regs={T2: 0x0000_007F},
    ),
    V(
        id="lw-base-plus-negative-offset",
        insn=lw(T2, -0x100, T1),
        regs={T1: DATA + 0x100},
        mem=LOAD_MEMORY,
        post_regs={T2: SIGNED_WORD},
    ),
    # The effective address wraps modulo 2^32: 0xFFFFFFF0 + 0x50 = 0x40.
    V(
        id="lw-address-wraps",
        insn=lw(T2, 0x50, T1),
        regs={T1: 0xFFFF_FFF0},
        mem={0x40: 0x600D_F00D},
        post_regs={T2: 0x600D_F00D},
    ),
    V(
        id="lb-address-wraps-offset-3",
        insn=lb(T2, 0x7FFF, T1),
        regs={T1: 0xFFFF_8044},
        mem={0x40: 0x0000_0080},
        post_regs={T2: 0xFFFF_FF80},
    ),
    V(
        id="lw-to-base-register",
        insn=lw(T1, 0, T1),
        regs={T1: DATA},
        mem=LOAD_MEMORY,
        post_regs={T1: SIGNED_WORD},
    ),
    V(id="lw-absent-page-is-zero", insn=lw(T2, 0, T1), regs={T1: 0x7654_3210}, post_regs={T2: 0}),
    # lwl/lwr merge with the old rt (big-endian): lwl fills from the left, lwr from the right.
    unaligned("lwl-0", lwl(T2, 0, T1), 0xAABB_CCDD),
    unaligned("lwl-1", lwl(T2, 1, T1), 0xBBCC_DD44),
    unaligned("lwl-2", lwl(T2, 2, T1), 0xCCDD_3344),
    unaligned("lwl-3", lwl(T2, 3, T1), 0xDD22_3344),
    unaligned("lwr-0", lwr(T2, 0, T1), 0x1122_33AA),
    unaligned("lwr-1", lwr(T2, 1, T1), 0x1122_AABB),
    unaligned("lwr-2", lwr(T2, 2, T1), 0x11AA_BBCC),
    unaligned("lwr-3", lwr(T2, 3, T1), 0xAABB_CCDD),
    # The classic unaligned-word pair: lwl at ea, lwr at ea + 3 (here the first step, lwl at offset 2).
    V(
        id="lwl-lwr-pair-step1",
        insn=lwl(T2, 2, T1),
        regs={T1: DATA, T2: 0},
        mem={DATA: 0x0001_0203, DATA + 4: 0x0405_0607},
        post_regs={T2: 0x0203_0000},
    ),
    V(
        id="lwl-lwr-pair-step2",
        insn=lwr(T2, 5, T1),
        regs={T1: DATA, T2: 0x0203_0000},
        mem={DATA: 0x0001_0203, DATA + 4: 0x0405_0607},
        post_regs={T2: 0x0203_0405},
    ),
]

# -- stores (§7.4) ----------------------------------------------------------------------------


def store(name: str, insn: int, word: int, address: int = DATA) -> Vector:
    return V(id=name, insn=insn, regs={T1: DATA, T2: RT_PRE}, mem=STORE_MEMORY, post_mem={address: word})


STORES = [
    store("sb-0", sb(T2, 0, T1), 0x44BB_CCDD),
    store("sb-1", sb(T2, 1, T1), 0xAA44_CCDD),
    store("sb-2", sb(T2, 2, T1), 0xAABB_44DD),
    store("sb-3", sb(T2, 3, T1), 0xAABB_CC44),
    store("sh-0", sh(T2, 0, T1), 0x3344_CCDD),
    store("sh-1-misaligned", sh(T2, 1, T1), 0x3344_CCDD),
    store("sh-2", sh(T2, 2, T1), 0xAABB_3344),
    store("sh-3-misaligned", sh(T2, 3, T1), 0xAABB_3344),
    store("sw-0", sw(T2, 0, T1), 0x1122_3344),
    store("sw-1-misaligned", sw(T2, 1, T1), 0x1122_3344),
    store("sw-2-misaligned", sw(T2, 2, T1), 0x1122_3344),
    store("sw-3-misaligned", sw(T2, 3, T1), 0x1122_3344),
    store("sw-next-word", sw(T2, 4, T1), 0x1122_3344, DATA + 4),
    store("sw-negative-offset", sw(T2, -4, T1), 0x1122_3344, DATA - 4),
    store("swl-0", swl(T2, 0, T1), 0x1122_3344),
    store("swl-1", swl(T2, 1, T1), 0xAA11_2233),
    store("swl-2", swl(T2, 2, T1), 0xAABB_1122),
    store("swl-3", swl(T2, 3, T1), 0xAABB_CC11),
    store("swr-0", swr(T2, 0, T1), 0x44BB_CCDD),
    store("swr-1", swr(T2, 1, T1), 0x3344_CCDD),
    store("swr-2", swr(T2, 2, T1), 0x2233_44DD),
    store("swr-3", swr(T2, 3, T1), 0x1122_3344),
    V(
        id="sw-to-absent-page",
        insn=sw(T2, 0, T1),
        regs={T1: 0x7654_3210, T2: 0xFEED_FACE},
        post_mem={0x7654_3210: 0xFEED_FACE},
    ),
    V(
        id="sb-address-wraps",
        insn=sb(T2, 0x42, T1),
        regs={T1: 0xFFFF_FFFF, T2: 0x1FF},
        mem={0x40: 0x1111_1111},
        post_mem={0x40: 0x11FF_1111},
    ),
    V(
        id="sw-store-value-is-base",
        insn=sw(T1, 0, T1),
        regs={T1: DATA},
        mem=STORE_MEMORY,
        post_mem={DATA: DATA},
    ),
    # A store over the instruction word itself (pc's own word) is an ordinary store.
    V(
        id="sw-over-own-instruction",
        insn=sw(T2, 0, T1),
        regs={T1: PC, T2: 0x1234_5678},
        post_mem={PC: 0x1234_5678},
    ),
]

# -- ll / sc (§7.7) ---------------------------------------------------------------------------

LLSC = [
    V(id="ll", insn=ll(T2, 0, T1), regs={T1: DATA}, mem=LOAD_MEMORY, post_regs={T2: SIGNED_WORD}),
    V(
        id="ll-misaligned-aligned-down",
        insn=ll(T2, 3, T1),
        regs={T1: DATA},
        mem=LOAD_MEMORY,
        post_regs={T2: SIGNED_WORD},
    ),
    V(id="ll-rt-zero", insn=ll(ZERO, 0, T1), regs={T1: DATA}, mem=LOAD_MEMORY),
    V(
        id="sc-stores-and-returns-1",
        insn=sc(T2, 0, T1),
        regs={T1: DATA, T2: RT_PRE},
        mem=STORE_MEMORY,
        post_mem={DATA: RT_PRE},
        post_regs={T2: 1},
    ),
    V(
        id="sc-misaligned-aligned-down",
        insn=sc(T2, -2, T1),
        regs={T1: DATA + 4, T2: RT_PRE},
        mem=STORE_MEMORY,
        post_mem={DATA: RT_PRE},
        post_regs={T2: 1},
    ),
    V(id="sc-rt-zero", insn=sc(ZERO, 0, T1), regs={T1: DATA}, mem=STORE_MEMORY, post_mem={DATA: 0}),
    V(
        id="sc-address-wraps",
        insn=sc(T2, 0x10, T1),
        regs={T1: 0xFFFF_FFF0, T2: 5},
        post_mem={0: 5},
        post_regs={T2: 1},
    ),
    V(
        id="sc-base-is-rt",
        insn=sc(T1, 0, T1),
        regs={T1: DATA},
        mem=STORE_MEMORY,
        post_mem={DATA: DATA},
        post_regs={T1: 1},
    ),
]

# -- jumps (§5 step 7, §7.6) ------------------------------------------------------------------

TARGET = 0x0040_2000

JUMPS = [
    V(id="j", insn=j(TARGET), post_pc=PC + 4, post_next_pc=TARGET),
    V(id="jal", insn=jal(TARGET), post_pc=PC + 4, post_next_pc=TARGET, post_regs={RA: PC + 8}),
    V(id="j-max-target", insn=j(0x0FFF_FFFC), post_pc=PC + 4, post_next_pc=0x0FFF_FFFC),
    # The region comes from nextPC: pc = 0x0FFFFFFC is in region 0, its delay slot in region 1.
    V(
        id="j-region-from-next-pc",
        insn=j(0x0000_0100),
        pc=0x0FFF_FFFC,
        post_pc=0x1000_0000,
        post_next_pc=0x1000_0100,
    ),
    V(
        id="jal-region-from-next-pc",
        insn=jal(0x0000_0100),
        pc=0x0FFF_FFFC,
        post_pc=0x1000_0000,
        post_next_pc=0x1000_0100,
        post_regs={RA: 0x1000_0004},
    ),
    V(id="j-region-wraps-to-0", insn=j(0x0000_0100), pc=0xFFFF_FFFC, post_pc=0, post_next_pc=0x0000_0100),
    V(
        id="jal-link-wraps",
        insn=jal(0x0000_0100),
        pc=0xFFFF_FFFC,
        post_pc=0,
        post_next_pc=0x0000_0100,
        post_regs={RA: 0x0000_0004},
    ),
    V(id="j-high-region", insn=j(0x0000_0200), pc=0xA000_0000, post_pc=0xA000_0004, post_next_pc=0xA000_0200),
    V(id="jr", insn=jr(T1), regs={T1: TARGET}, post_pc=PC + 4, post_next_pc=TARGET),
    # Jumps to unaligned addresses are accepted; the fetch there fails later (§7.6).
    V(
        id="jr-unaligned-accepted",
        insn=jr(T1),
        regs={T1: TARGET + 2},
        post_pc=PC + 4,
        post_next_pc=TARGET + 2,
    ),
    V(id="jr-ra", insn=jr(RA), regs={RA: 0x0040_0500}, post_pc=PC + 4, post_next_pc=0x0040_0500),
    V(id="jalr-rd-zero-no-link", insn=jalr(ZERO, T1), regs={T1: TARGET}, post_pc=PC + 4, post_next_pc=TARGET),
    V(
        id="jalr-ra",
        insn=jalr(RA, T1),
        regs={T1: TARGET},
        post_pc=PC + 4,
        post_next_pc=TARGET,
        post_regs={RA: PC + 8},
    ),
    V(
        id="jalr-t0",
        insn=jalr(T0, T1),
        regs={T1: TARGET},
        post_pc=PC + 4,
        post_next_pc=TARGET,
        post_regs={T0: PC + 8},
    ),
    V(
        id="jalr-rd-equals-rs",
        insn=jalr(T1, T1),
        regs={T1: TARGET},
        post_pc=PC + 4,
        post_next_pc=TARGET,
        post_regs={T1: PC + 8},
    ),
]

# -- branches (§7.6) --------------------------------------------------------------------------

TAKEN = PC + 4 + (0x10 << 2)  # offset field 0x10
NOT_TAKEN = PC + 8


def branch(name: str, insn: int, regs: Mapping[int, int], taken: bool, **post: object) -> Vector:
    return V(
        id=name, insn=insn, regs=regs, post_pc=PC + 4, post_next_pc=TAKEN if taken else NOT_TAKEN, **post
    )  # type: ignore[arg-type]


BRANCHES = [
    branch("beq-taken", beq(T1, T2, 0x10), {T1: 5, T2: 5}, True),
    branch("beq-not-taken", beq(T1, T2, 0x10), {T1: 5, T2: 6}, False),
    branch("beq-same-register", beq(T1, T1, 0x10), {T1: 0x8000_0000}, True),
    branch("bne-taken", bne(T1, T2, 0x10), {T1: 5, T2: 6}, True),
    branch("bne-not-taken", bne(T1, T2, 0x10), {T1: 0xFFFF_FFFF, T2: 0xFFFF_FFFF}, False),
    branch("blez-zero", blez(T1, 0x10), {T1: 0}, True),
    branch("blez-negative", blez(T1, 0x10), {T1: 0x8000_0000}, True),
    branch("blez-positive", blez(T1, 0x10), {T1: 1}, False),
    branch("blez-rt-field-ignored", blez(T1, 0x10, rt=T2), {T1: 0, T2: 5}, True),
    branch("bgtz-positive", bgtz(T1, 0x10), {T1: 1}, True),
    branch("bgtz-max", bgtz(T1, 0x10), {T1: 0x7FFF_FFFF}, True),
    branch("bgtz-zero", bgtz(T1, 0x10), {T1: 0}, False),
    branch("bgtz-negative", bgtz(T1, 0x10), {T1: 0xFFFF_FFFF}, False),
    branch("bgtz-rt-field-ignored", bgtz(T1, 0x10, rt=T2), {T1: 0, T2: 5}, False),
    branch("bltz-negative", bltz(T1, 0x10), {T1: 0xFFFF_FFFF}, True),
    branch("bltz-zero", bltz(T1, 0x10), {T1: 0}, False),
    branch("bltz-positive", bltz(T1, 0x10), {T1: 0x7FFF_FFFF}, False),
    branch("bgez-zero", bgez(T1, 0x10), {T1: 0}, True),
    branch("bgez-positive", bgez(T1, 0x10), {T1: 0x7FFF_FFFF}, True),
    branch("bgez-negative", bgez(T1, 0x10), {T1: 0x8000_0000}, False),
    # bgezal links $ra = pc + 8 whether or not it is taken.
    branch("bgezal-taken", bgezal(T1, 0x10), {T1: 0}, True, post_regs={RA: PC + 8}),
    branch(
        "bgezal-not-taken-still-links", bgezal(T1, 0x10), {T1: 0xFFFF_FFFF}, False, post_regs={RA: PC + 8}
    ),
    # rs is read before the link: $ra negative before, so not taken, then linked.
    branch(
        "bgezal-rs-is-ra-read-before-link", bgezal(RA, 0x10), {RA: 0x8000_0000}, False, post_regs={RA: PC + 8}
    ),
    branch("bgezal-rs-is-ra-taken", bgezal(RA, 0x10), {RA: 5}, True, post_regs={RA: PC + 8}),
    # Non-branch REGIMM encodings are silent not-taken branches without a link (bltzal is one).
    branch("bltzal-not-taken-no-link", bltzal(T1, 0x10), {T1: 0xFFFF_FFFF}, False),
    # Offsets are sign-extended and counted from the delay slot.
    V(id="beq-negative-offset-to-self", insn=beq(T1, T1, -1), post_pc=PC + 4, post_next_pc=PC),
    V(id="beq-min-offset", insn=beq(T1, T1, -0x8000), post_pc=PC + 4, post_next_pc=PC + 4 - 0x20000),
    V(id="beq-max-offset", insn=beq(T1, T1, 0x7FFF), post_pc=PC + 4, post_next_pc=PC + 4 + 0x1FFFC),
    V(id="beq-offset-zero", insn=beq(T1, T1, 0), post_pc=PC + 4, post_next_pc=PC + 4),
    # Branch targets wrap modulo 2^32.
    V(
        id="beq-target-wraps",
        insn=beq(T1, T1, -0x8000),
        pc=0x0000_0010,
        post_pc=0x14,
        post_next_pc=0xFFFE_0014,
    ),
]

REGIMM_OTHER = [code for code in range(32) if code not in (0x00, 0x01, 0x11)]
REGIMM_UNDEFINED = [
    branch(f"regimm-{code:#04x}-rs-{name}", regimm(code, T1, 0x10), {T1: value}, False)
    for code in REGIMM_OTHER
    for name, value in (("negative", 0xFFFF_FFFF), ("zero", 0))
]

# -- delay slots (§5, §7.6) -------------------------------------------------------------------

SLOT = PC + 4  # a delay slot: nextPC holds a pending transfer to TARGET

DELAY_SLOTS = [
    # The delay-slot instruction executes, then control reaches the pending target.
    V(
        id="addiu-in-delay-slot",
        insn=addiu(T0, T1, 1),
        regs={T1: 41},
        pc=SLOT,
        next_pc=TARGET,
        post_regs={T0: 42},
        post_pc=TARGET,
        post_next_pc=TARGET + 4,
    ),
    V(
        id="sw-in-delay-slot",
        insn=sw(T2, 0, T1),
        regs={T1: DATA, T2: 7},
        pc=SLOT,
        next_pc=TARGET,
        mem=STORE_MEMORY,
        post_mem={DATA: 7},
        post_pc=TARGET,
        post_next_pc=TARGET + 4,
    ),
    V(
        id="nop-in-delay-slot-backward-target",
        insn=NOP,
        pc=SLOT,
        next_pc=0x0000_1000,
        post_pc=0x0000_1000,
        post_next_pc=0x0000_1004,
    ),
    V(
        id="div-in-delay-slot",
        insn=div(T1, T2),
        regs={T1: 9, T2: 4},
        pc=SLOT,
        next_pc=TARGET,
        post_lo=2,
        post_hi=1,
        post_pc=TARGET,
        post_next_pc=TARGET + 4,
    ),
    *[
        V(
            id=f"{name}-in-delay-slot-fails",
            insn=insn,
            regs={T1: 0, T2: 0},
            pc=SLOT,
            next_pc=TARGET,
            raises=BranchInDelaySlot,
        )
        for name, insn in (
            ("beq-taken", beq(T1, T2, 0x10)),
            ("bne-not-taken", bne(T1, T2, 0x10)),
            ("blez", blez(T1, 0x10)),
            ("bgtz", bgtz(T1, 0x10)),
            ("bltz", bltz(T1, 0x10)),
            ("bgez", bgez(T1, 0x10)),
            ("bgezal", bgezal(T1, 0x10)),
            # A non-branch REGIMM still goes through BRANCH, so it fails in a delay slot (quirk 5).
            ("bltzal", bltzal(T1, 0x10)),
            ("regimm-0x1f", regimm(0x1F, T1, 0x10)),
        )
    ],
    *[
        V(
            id=f"{name}-in-delay-slot-fails",
            insn=insn,
            regs={T1: TARGET},
            pc=SLOT,
            next_pc=TARGET,
            raises=JumpInDelaySlot,
        )
        for name, insn in (
            ("j", j(TARGET)),
            ("jal", jal(TARGET)),
            ("jr", jr(T1)),
            ("jalr", jalr(RA, T1)),
            ("jalr-rd-zero", jalr(ZERO, T1)),
        )
    ],
    # A transfer whose destination is pc + 8 leaves nextPC == pc + 4 in its delay slot, so a second
    # transfer there is not detected (§7.6: reproduce, do not fix).
    V(
        id="undetected-jump-in-slot-of-transfer-to-pc+8",
        insn=j(TARGET),
        pc=SLOT,
        next_pc=SLOT + 4,
        post_pc=SLOT + 4,
        post_next_pc=TARGET,
    ),
    V(
        id="undetected-branch-in-slot-of-transfer-to-pc+8",
        insn=beq(T1, T1, 0x10),
        pc=SLOT,
        next_pc=SLOT + 4,
        post_pc=SLOT + 4,
        post_next_pc=SLOT + 4 + 0x40,
    ),
    V(
        id="undetected-jalr-in-slot-of-transfer-to-pc+8",
        insn=jalr(RA, T1),
        regs={T1: TARGET},
        pc=SLOT,
        next_pc=SLOT + 4,
        post_pc=SLOT + 4,
        post_next_pc=TARGET,
        post_regs={RA: SLOT + 8},
    ),
    # The check is nextPC != pc + 4 modulo 2^32: at pc = 0xFFFFFFFC, nextPC = 0 is not a delay slot.
    V(
        id="no-delay-slot-at-wrap",
        insn=beq(T1, T1, 0x10),
        pc=0xFFFF_FFFC,
        next_pc=0,
        post_pc=0,
        post_next_pc=0x0000_0040,
    ),
]

# -- R[0] (§2.1, quirk 1) ---------------------------------------------------------------------

STORED_ZERO = 0xDEAD_BEEF

ZERO_REGISTER = [
    V(id="write-to-zero-dropped", insn=addiu(ZERO, T1, 5), regs={T1: 1}),
    V(id="lui-to-zero-dropped", insn=lui(ZERO, 0x1234)),
    V(id="lw-to-zero-dropped", insn=lw(ZERO, 0, T1), regs={T1: DATA}, mem=LOAD_MEMORY),
    V(
        id="jal-links-ra-not-zero",
        insn=jal(TARGET),
        regs={ZERO: STORED_ZERO},
        post_pc=PC + 4,
        post_next_pc=TARGET,
        post_regs={RA: PC + 8},
    ),
    # A non-zero stored R[0] is read as stored and never overwritten.
    V(
        id="nonzero-r0-read-as-stored",
        insn=addu(T0, ZERO, ZERO),
        regs={ZERO: STORED_ZERO},
        post_regs={T0: 0xBD5B_7DDE},
    ),
    V(id="nonzero-r0-write-dropped", insn=addiu(ZERO, ZERO, 1), regs={ZERO: STORED_ZERO}),
    V(id="nonzero-r0-sltu", insn=sltu(T0, ZERO, T1), regs={ZERO: 5, T1: 6}, post_regs={T0: 1}),
    V(id="nonzero-r0-lw-dropped", insn=lw(ZERO, 0, T1), regs={ZERO: STORED_ZERO, T1: DATA}, mem=LOAD_MEMORY),
    V(
        id="nonzero-r0-as-base",
        insn=lw(T2, 0x40, ZERO),
        regs={ZERO: DATA - 0x40},
        mem=LOAD_MEMORY,
        post_regs={T2: SIGNED_WORD},
    ),
    V(
        id="nonzero-r0-sw",
        insn=sw(ZERO, 0, T1),
        regs={ZERO: STORED_ZERO, T1: DATA},
        mem=STORE_MEMORY,
        post_mem={DATA: STORED_ZERO},
    ),
    V(
        id="nonzero-r0-sc",
        insn=sc(ZERO, 0, T1),
        regs={ZERO: STORED_ZERO, T1: DATA},
        mem=STORE_MEMORY,
        post_mem={DATA: STORED_ZERO},
    ),
    V(
        id="nonzero-r0-jalr-rd-zero-no-link",
        insn=jalr(ZERO, T1),
        regs={ZERO: STORED_ZERO, T1: TARGET},
        post_pc=PC + 4,
        post_next_pc=TARGET,
    ),
    V(id="nonzero-r0-jr-zero", insn=jr(ZERO), regs={ZERO: TARGET}, post_pc=PC + 4, post_next_pc=TARGET),
    V(id="nonzero-r0-mthi-rd-zero", insn=mthi(T1, rd=ZERO), regs={ZERO: STORED_ZERO, T1: 3}, post_hi=3),
    V(id="nonzero-r0-mfhi-rd-zero", insn=mfhi(ZERO), regs={ZERO: STORED_ZERO}),
    V(id="nonzero-r0-sync", insn=sync(rd=T0, rs=ZERO), regs={ZERO: STORED_ZERO}, post_regs={T0: STORED_ZERO}),
    V(id="nonzero-r0-movz-rt-zero-not-taken", insn=movz(T0, T1, ZERO), regs={ZERO: STORED_ZERO, T1: 9}),
    V(
        id="nonzero-r0-beq-zero-zero",
        insn=beq(ZERO, ZERO, 0x10),
        regs={ZERO: STORED_ZERO},
        post_pc=PC + 4,
        post_next_pc=TAKEN,
    ),
    V(
        id="nonzero-r0-beq-zero-t1",
        insn=beq(ZERO, T1, 0x10),
        regs={ZERO: 1, T1: 0},
        post_pc=PC + 4,
        post_next_pc=NOT_TAKEN,
    ),
    V(
        id="negative-r0-bgez-not-taken",
        insn=bgez(ZERO, 0x10),
        regs={ZERO: 0x8000_0000},
        post_pc=PC + 4,
        post_next_pc=NOT_TAKEN,
    ),
    V(
        id="negative-r0-bltz-taken",
        insn=bltz(ZERO, 0x10),
        regs={ZERO: 0x8000_0000},
        post_pc=PC + 4,
        post_next_pc=TAKEN,
    ),
    V(id="r0-bgez-taken", insn=bgez(ZERO, 0x10), post_pc=PC + 4, post_next_pc=TAKEN),
]

# -- undefined encodings (§7.2, §7.3, §7.4 "FAIL" rows) ---------------------------------------

SPECIAL_UNDEFINED = [
    0x01,
    0x05,
    0x0D,
    0x0E,
    *range(0x14, 0x18),
    *range(0x1C, 0x20),
    0x28,
    0x29,
    *range(0x2C, 0x40),
]
OPCODE_UNDEFINED = [*range(0x10, 0x1C), *range(0x1D, 0x20)]
SPECIAL2_DEFINED = (0x02, 0x20, 0x21)
MEMORY_UNDEFINED = [0x27, 0x2C, 0x2D, 0x2F, *range(0x31, 0x38), *range(0x39, 0x40)]

INVALID = [
    *[
        V(
            id=f"special-fn-{fn:#04x}",
            insn=special(fn, rs=T1, rt=T2, rd=T0),
            regs={T1: 1, T2: 1},
            raises=InvalidInstruction,
        )
        for fn in SPECIAL_UNDEFINED
    ],
    *[
        V(id=f"op-{op:#04x}", insn=i_type(op, T1, T2, 0x1234), raises=InvalidInstruction)
        for op in OPCODE_UNDEFINED
    ],
    *[
        V(id=f"special2-fn-{fn:#04x}", insn=r_type(0x1C, fn, rs=T1, rt=T2, rd=T0), raises=InvalidInstruction)
        for fn in range(64)
        if fn not in SPECIAL2_DEFINED
    ],
    *[
        V(
            id=f"memory-op-{op:#04x}",
            insn=i_type(op, T1, T2, 4),
            regs={T1: DATA},
            mem=STORE_MEMORY,
            raises=InvalidInstruction,
            data_address=DATA + 4,
        )
        for op in MEMORY_UNDEFINED
    ],
    V(id="break", insn=special(0x0D, rs=0, rt=0, rd=0) | (0x3FF << 16), raises=InvalidInstruction),
    # op 0x3F, base $ra, offset -1: the data word DATA - 4 is read first, then the step fails.
    V(
        id="all-ones-word",
        insn=0xFFFF_FFFF,
        regs={RA: DATA},
        mem=STORE_MEMORY,
        raises=InvalidInstruction,
        data_address=DATA - 4,
    ),
]

# -- step preconditions (§5 steps 1–4) ---------------------------------------------------------

PRECONDITIONS = [
    V(id="pc-unaligned-2", insn=NOP, pc=PC + 2, next_pc=PC + 6, raises=InvalidMemoryProof),
    V(id="pc-unaligned-1", insn=NOP, pc=PC + 1, next_pc=PC + 5, raises=InvalidMemoryProof),
    V(id="pc-unaligned-3-delay-slot", insn=NOP, pc=PC + 3, next_pc=TARGET, raises=InvalidMemoryProof),
    # An exited state steps to itself: nothing changes, not even the step counter, no proof is read.
    V(
        id="exited-is-no-op",
        insn=addiu(T0, T1, 1),
        exited=1,
        exit_code=3,
        post_pc=PC,
        post_next_pc=PC + 4,
        post_step=STEP,
    ),
    V(
        id="exited-no-op-with-invalid-insn",
        insn=0xFFFF_FFFF,
        exited=1,
        post_pc=PC,
        post_next_pc=PC + 4,
        post_step=STEP,
    ),
    V(
        id="exited-no-op-with-unaligned-pc",
        insn=NOP,
        pc=PC + 2,
        next_pc=TARGET,
        exited=1,
        post_pc=PC + 2,
        post_next_pc=TARGET,
        post_step=STEP,
    ),
    V(id="exited-2-fails", insn=NOP, exited=2, raises=InvalidExitedValue),
    V(id="exited-255-fails", insn=NOP, exited=255, exit_code=0, raises=InvalidExitedValue),
    V(id="step-counter-large", insn=NOP, step=0xFFFF_FFFF, post_step=0x1_0000_0000),
    # §1: the step counter is a u64 and wraps.
    V(id="step-counter-wraps-mod-2^64", insn=NOP, step=0xFFFF_FFFF_FFFF_FFFF, post_step=0),
]

TABLES = {
    "shifts": SHIFTS,
    "arithmetic": ARITHMETIC,
    "logic": LOGIC,
    "compare": COMPARE,
    "moves": MOVES,
    "hilo-moves": HILO_MOVES,
    "mult-div": MULT_DIV,
    "immediates": IMMEDIATES,
    "special2": SPECIAL2,
    "loads": LOADS,
    "stores": STORES,
    "llsc": LLSC,
    "jumps": JUMPS,
    "branches": BRANCHES,
    "regimm-undefined": REGIMM_UNDEFINED,
    "delay-slots": DELAY_SLOTS,
    "zero-register": ZERO_REGISTER,
    "invalid": INVALID,
    "preconditions": PRECONDITIONS,
}

ALL_VECTORS: list[Vector] = [vector for table in TABLES.values() for vector in table]


def test_vector_ids_are_unique() -> None:
    ids = [vector.id for vector in ALL_VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("vector", SHIFTS, ids=vid)
def test_shifts(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", ARITHMETIC, ids=vid)
def test_arithmetic(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", LOGIC, ids=vid)
def test_logic(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", COMPARE, ids=vid)
def test_compare(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", MOVES, ids=vid)
def test_conditional_moves_and_sync(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", HILO_MOVES, ids=vid)
def test_hilo_moves(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", MULT_DIV, ids=vid)
def test_mult_div(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", IMMEDIATES, ids=vid)
def test_immediates(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", SPECIAL2, ids=vid)
def test_special2(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", LOADS, ids=vid)
def test_loads(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", STORES, ids=vid)
def test_stores(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", LLSC, ids=vid)
def test_ll_sc(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", JUMPS, ids=vid)
def test_jumps(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", BRANCHES, ids=vid)
def test_branches(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", REGIMM_UNDEFINED, ids=vid)
def test_regimm_undefined_is_not_taken_branch(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", DELAY_SLOTS, ids=vid)
def test_delay_slots(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", ZERO_REGISTER, ids=vid)
def test_zero_register(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", INVALID, ids=vid)
def test_undefined_encodings_fail(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", PRECONDITIONS, ids=vid)
def test_step_preconditions(vector: Vector) -> None:
    run_vector(vector)


def test_step_counter_wraps_in_fast_run() -> None:
    vm = MipsVM(MipsState(pc=PC, next_pc=PC + 4, step=0xFFFF_FFFF_FFFF_FFFF), memory_of({PC: NOP}))
    vm.run(2)
    assert vm.state.step == 1
    assert (vm.state.pc, vm.state.next_pc) == (PC + 8, PC + 12)


# -- multi-step sequences ----------------------------------------------------------------------


def run_program(
    words: Mapping[int, int], steps: int, regs: Mapping[int, int] | None = None, pc: int = PC
) -> MipsVM:
    registers = [0] * 32
    for index, value in (regs or {}).items():
        registers[index] = value
    vm = MipsVM(MipsState(pc=pc, next_pc=pc + 4, registers=registers), memory_of(words))
    for _ in range(steps):
        vm.step()
    return vm


def test_taken_branch_runs_delay_slot_then_target() -> None:
    program = {
        PC: beq(ZERO, ZERO, 3),  # to PC + 16
        PC + 4: addiu(T0, ZERO, 1),  # delay slot: executes
        PC + 8: addiu(T1, ZERO, 2),  # skipped
        PC + 12: addiu(T2, ZERO, 3),  # skipped
        PC + 16: addiu(T3, T0, 10),  # target: sees the delay slot's result
    }
    vm = run_program(program, 1)
    assert (vm.state.pc, vm.state.next_pc) == (PC + 4, PC + 16)
    vm.step()
    assert (vm.state.pc, vm.state.next_pc) == (PC + 16, PC + 20)
    assert vm.state.registers[T0] == 1
    vm.step()
    assert vm.state.registers[T1 : T3 + 1] == [0, 0, 11]
    assert vm.state.step == 3


def test_not_taken_branch_falls_through_after_delay_slot() -> None:
    program = {PC: bne(ZERO, ZERO, 3), PC + 4: addiu(T0, ZERO, 1), PC + 8: addiu(T1, ZERO, 2)}
    vm = run_program(program, 3)
    assert vm.state.registers[T0 : T1 + 1] == [1, 2]
    assert (vm.state.pc, vm.state.next_pc) == (PC + 12, PC + 16)


def test_jal_then_jr_returns_after_delay_slot() -> None:
    program = {
        PC: jal(0x0040_0200),
        PC + 4: addiu(A0, ZERO, 7),  # delay slot of jal
        0x0040_0200: jr(RA),
        0x0040_0204: addiu(V0, A0, 1),  # delay slot of jr
        PC + 8: addiu(V1, V0, 1),  # return address
    }
    vm = run_program(program, 5)
    assert vm.state.registers[RA] == PC + 8
    assert vm.state.registers[V0] == 8 and vm.state.registers[V1] == 9
    assert (vm.state.pc, vm.state.next_pc) == (PC + 12, PC + 16)


def test_branch_to_pc_plus_8_hides_a_branch_in_its_delay_slot() -> None:
    """beq to pc + 8 makes its delay slot look like ordinary code; a branch there runs (§7.6)."""
    program = {
        PC: beq(ZERO, ZERO, 1),  # target PC + 8
        PC + 4: beq(ZERO, ZERO, 0x10),  # in the delay slot, not detected: target PC + 8 + 0x40
        PC + 8: addiu(T0, ZERO, 1),  # delay slot of the second branch
    }
    vm = run_program(program, 3)
    assert vm.state.registers[T0] == 1
    assert (vm.state.pc, vm.state.next_pc) == (PC + 8 + 0x40, PC + 8 + 0x44)


def test_branch_in_delay_slot_of_real_transfer_fails() -> None:
    program = {PC: beq(ZERO, ZERO, 2), PC + 4: bne(ZERO, ZERO, 0x10)}
    vm = run_program(program, 1)
    before = vm.witness()
    with pytest.raises(BranchInDelaySlot):
        vm.step()
    assert vm.witness() == before


def test_exit_group_needs_no_further_steps() -> None:
    """After exit the state is fixed: stepping it again changes nothing (§5 step 2)."""
    program = {PC: syscall()}
    vm = run_program(program, 1, regs={V0: 4246, A0: 1})
    witness = vm.witness()
    for _ in range(3):
        vm.step()
    assert vm.witness() == witness and vm.state.step == 1
