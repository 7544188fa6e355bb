"""A fast RV64 interpreter for plain execution, held equal to ``step.py`` (spec: riscv64.md §5–§6).

The reference transition fetches the instruction leaf, decodes the word and dispatches through
several layers of helpers on every step; that is what makes it easy to check against the spec, and
also what limits it to a few hundred thousand steps per second. Plain execution (no witness) only
needs the same post-state, so this module trades the per-step work for a one-time decode, as the
MIPS32 engine does (the machinery both share is ``faultproof.vm.engine``):

* **Decode once per pc.** The word at a pc is decoded into a *handler*, a closure whose fields
  (register numbers, immediates, shift amounts, access widths) and pc-derived constants (``pc + 4``,
  branch and ``jal`` targets, link and ``auipc`` values) are fixed when it is made. Without delay
  slots a handler needs no argument: ``new_pc = handler()``, and the run loop keeps ``pc`` and
  ``step`` in local variables. A handler whose only effect is the new pc (``j``, ``fence``, FP
  no-ops, any write to ``x0``) is ``itertools.repeat(pc).__next__``, which is cheaper to call than a
  closure. Registers are the state's own list.
* **Decode-time checks.** Everything a step checks that depends only on the word and the pc is
  checked once: reserved encodings, alignment of branch and ``jal`` targets (§6.8), and whether the
  pc can be fetched at all (an unaligned pc defers, which covers the straddling fetch of §3.4).
* **The reference for the rare and the failing.** ``ecall`` (every syscall), the atomics, reserved
  and unknown encodings, misaligned ``jalr`` targets and traps are executed by ``RiscvVM.step()``:
  a handler raises ``UseReference`` *before changing anything*, and the loop syncs its locals to the
  state and runs the reference step, which handles IO, preimages, hints and failures and leaves the
  pre-step state on failure. So a failing step raises exactly what the reference raises, from
  exactly the same state. The atomics are there by measurement: they are about 0.3 % of a Go
  program's steps (676 of hello's 217,577), and a fast path for them made no difference beyond the
  noise (at most 2 % of run time), so it was not worth a second implementation of §6.9.
* **Direct memory access.** Loads and stores of 1–8 bytes use the ``Memory.pages`` bytearrays with
  little-endian ``struct`` formats and mark every written leaf (one or two, §3.5) in
  ``Memory.dirty_leaves`` (the public contract in ``faultproof.memory``). An access that crosses a
  page (and so possibly the top of the address space, where it wraps to 0) takes a slow path through
  ``Memory.read``/``Memory.write``. A store into a page that handlers were decoded from drops them,
  so self-modifying code stays correct.

Hot-path arithmetic writes the 64-bit wrap as ``& MASK64`` and the signed views as XOR with
``SIGN_BIT`` instead of calling ``u64``/``to_signed64``: a function call per instruction would cost
more than the instruction itself. ``s64(a) < s64(b)`` is ``(a ^ SIGN_BIT) < (b ^ SIGN_BIT)``
(flipping the sign bit maps two's-complement order onto unsigned order) and ``s64(a)`` is
``(a ^ SIGN_BIT) - SIGN_BIT``; the same with ``SIGN_BIT32`` for words, whose ``sext32`` is
``((v ^ SIGN_BIT32) - SIGN_BIT32) & MASK64`` of the low word ``v``.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Iterable

from faultproof.ints import MASK32, MASK64, sign_extend64
from faultproof.memory import LEAF_ADDRESS_BITS, PAGE_ADDRESS_BITS, PAGE_SIZE
from faultproof.vm.engine import ZERO_PAGE, Engine, SteppingVM, UseReference
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.step import (
    FUNCT7_ALT,
    FUNCT7_M,
    NO_OP_OPCODES,
    OP_AUIPC,
    OP_BRANCH,
    OP_IMM,
    OP_IMM_32,
    OP_JAL,
    OP_JALR,
    OP_LOAD,
    OP_LUI,
    OP_OP,
    OP_OP_32,
    OP_STORE,
    OP_SYSTEM,
    SHIFT_ARITHMETIC_IMM,
    funct3,
    funct7,
    imm_b,
    imm_i,
    imm_j,
    imm_s,
    imm_u,
    opcode,
    rd_field,
    rs1_field,
    rs2_field,
    truncating_div,
    truncating_rem,
)

Handler = Callable[[], int]
"""The decoded instruction at one pc: ``handler()`` executes it and returns the new pc."""

Factory = Callable[["FastInterpreter", int, int], Handler]
"""Makes the handler of one instruction word: ``factory(interpreter, insn, pc)``."""

SIGN_BIT = 1 << 63
SIGN_BIT32 = 1 << 31
EVEN_MASK64 = MASK64 ^ 1  # jalr clears bit 0 of its target (§6.8)
PAGE_OFFSET_MASK = PAGE_SIZE - 1

_WORD = struct.Struct("<I")


def use_reference() -> int:
    """The handler of everything the fast path leaves to ``step.py`` (see the module docstring)."""
    raise UseReference


def constant(pc: int) -> Handler:
    """The handler of an instruction whose only effect is moving to ``pc`` (a C-level callable)."""
    return itertools.repeat(pc).__next__


class FastInterpreter(Engine[RiscvState, Handler]):
    """Executes steps of one ``RiscvVM`` through cached handlers; ``run`` is the only entry point.

    The handler cache, traps, code pages, the reference step and the step counter's wrap are the
    shared ``Engine``'s; this class decodes RV64 words, runs the loop and accesses memory.
    """

    def __init__(self, vm: SteppingVM[RiscvState], traps: Iterable[tuple[int, int]]) -> None:
        super().__init__(vm, traps, use_reference)

    # -- decoding (§5, §6.1) --------------------------------------------------------------------

    def decode(self, pc: int) -> Handler:
        """The handler of the instruction at ``pc``."""
        # An unaligned pc is never reached by a jump (§6.8), only in a hand-made state; its fetch
        # may straddle a leaf (§3.4), and its targets would need their own alignment checks.
        if pc & 3:
            return use_reference
        page = self.pages.get(pc >> PAGE_ADDRESS_BITS, ZERO_PAGE)
        insn: int = _WORD.unpack_from(page, pc & PAGE_OFFSET_MASK)[0]
        factory = OPCODES.get(opcode(insn))
        return use_reference if factory is None else factory(self, insn, pc)

    # -- execution ------------------------------------------------------------------------------

    def execute(self, max_steps: int) -> None:
        """Execute up to ``max_steps`` steps; stop early at exit or after a preimage read.

        ``pc`` and ``step`` live in locals and are written back to the state however the loop is
        left. A handler either completes its step or raises before changing anything, so on an
        exception the written-back values are those before the failing step: inside the ``for``
        loop, ``step`` is the counter before the step being executed.
        """
        vm = self.vm
        state = self.state
        handlers = self.handlers
        pc, step = state.pc, state.step
        end = step + max_steps
        try:
            while step < end:
                remaining = range(step, end)
                try:
                    for step in remaining:  # noqa: B007 - read when an exception leaves the loop
                        pc = handlers[pc]()
                    step = end
                except KeyError:
                    if pc in handlers:
                        raise
                    self.handler_at(pc)
                except UseReference:
                    state.pc, state.step = pc, step
                    self.reference_step()
                    pc, step = state.pc, state.step
                    if state.exited or vm.last_preimage_read is not None:
                        return
        finally:
            # After a failed reference step these are the values it restored (before the step).
            state.pc, state.step = pc, step

    # -- memory: the slow paths of accesses that cross a page (§3.1, §3.5) ----------------------

    def load_slow(self, address: int, size: int, signed: bool) -> int:
        """LOAD of ``size`` bytes at ``address``, through ``Memory.read`` (which wraps at 2^64)."""
        value = int.from_bytes(self.memory.read(address, size), "little")
        return sign_extend64(value, 8 * size) if signed else value

    def store_slow(self, address: int, size: int, value: int) -> None:
        """STORE of the low ``size`` bytes of ``value``, through ``Memory.write`` (which marks leaves)."""
        self.memory.write(address, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))
        last = (address + size - 1) & MASK64
        for page_index in {address >> PAGE_ADDRESS_BITS, last >> PAGE_ADDRESS_BITS}:
            if page_index in self.code_pcs:
                self.forget_code_page(page_index)


# -- loads and stores (§6.2, §6.3) ----------------------------------------------------------------
#
# ``a = x[rs1] + imm``; an access of ``size`` bytes stays in its page when ``a & 0xFFF <= 4096 - size``.
# A load into ``x0`` has no effect (it reads without allocating), so its handler only advances.

# funct3 -> (little-endian format, whether the value needs wrapping to u64): the signed formats of
# 1, 2 and 4 bytes give negative numbers; an 8-byte load's sign extension is the identity.
LOAD_FORMATS: dict[int, tuple[struct.Struct, bool]] = {
    0: (struct.Struct("<b"), True),
    1: (struct.Struct("<h"), True),
    2: (struct.Struct("<i"), True),
    3: (struct.Struct("<Q"), False),
    4: (struct.Struct("<B"), False),
    5: (struct.Struct("<H"), False),
    6: (struct.Struct("<I"), False),
}
STORE_FORMATS: dict[int, struct.Struct] = {
    0: struct.Struct("<B"),
    1: struct.Struct("<H"),
    2: struct.Struct("<I"),
    3: struct.Struct("<Q"),
}


def make_load(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lb lh lw ld lbu lhu lwu``: ``x[rd] = LOAD(x[rs1] + immI, size, signed)``; funct3 7 reverts."""
    width = funct3(insn)
    if width not in LOAD_FORMATS:
        return use_reference
    rd, next_pc = rd_field(insn), (pc + 4) & MASK64
    if rd == 0:
        return constant(next_pc)
    registers, pages, load_slow = m.registers, m.pages, m.load_slow
    rs1, offset = rs1_field(insn), imm_i(insn)
    layout, wraps = LOAD_FORMATS[width]
    unpack, size, signed = layout.unpack_from, layout.size, width < 4
    last_in_page = PAGE_SIZE - size

    def load_signed() -> int:
        address = (registers[rs1] + offset) & MASK64
        page_offset = address & PAGE_OFFSET_MASK
        if page_offset > last_in_page:
            registers[rd] = load_slow(address, size, signed)
        else:
            page = pages.get(address >> PAGE_ADDRESS_BITS, ZERO_PAGE)
            registers[rd] = unpack(page, page_offset)[0] & MASK64
        return next_pc

    def load_unsigned() -> int:
        address = (registers[rs1] + offset) & MASK64
        page_offset = address & PAGE_OFFSET_MASK
        if page_offset > last_in_page:
            registers[rd] = load_slow(address, size, signed)
        else:
            page = pages.get(address >> PAGE_ADDRESS_BITS, ZERO_PAGE)
            registers[rd] = unpack(page, page_offset)[0]
        return next_pc

    return load_signed if wraps else load_unsigned


def make_store(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sb sh sw sd``: ``STORE(x[rs1] + immS, size, x[rs2])``; funct3 ≥ 4 reverts (too wide)."""
    width = funct3(insn)
    if width not in STORE_FORMATS:
        return use_reference
    registers, memory, pages, code_pcs = m.registers, m.memory, m.pages, m.code_pcs
    forget_code_page, store_slow = m.forget_code_page, m.store_slow
    rs1, rs2, offset, next_pc = rs1_field(insn), rs2_field(insn), imm_s(insn), (pc + 4) & MASK64
    layout = STORE_FORMATS[width]
    pack, size = layout.pack_into, layout.size
    value_mask = (1 << (8 * size)) - 1
    last_in_page = PAGE_SIZE - size
    last_byte = size - 1

    def store() -> int:
        address = (registers[rs1] + offset) & MASK64
        page_offset = address & PAGE_OFFSET_MASK
        if page_offset > last_in_page:
            store_slow(address, size, registers[rs2])
            return next_pc
        index = address >> PAGE_ADDRESS_BITS
        page = pages.get(index)
        if page is None:
            page = memory.page(index)
        # Marked before the write, so an interrupt between the two can only over-mark.
        dirty_leaves = memory.dirty_leaves
        dirty_leaves.add(address >> LEAF_ADDRESS_BITS)
        dirty_leaves.add((address + last_byte) >> LEAF_ADDRESS_BITS)
        pack(page, page_offset, registers[rs2] & value_mask)
        if index in code_pcs:
            forget_code_page(index)
        return next_pc

    return store


# -- OP-IMM (§6.4) --------------------------------------------------------------------------------
#
# Every factory of an instruction that only writes ``rd`` returns ``constant(pc + 4)`` for ``rd = 0``
# (§2.1: writes to x0 are dropped; reads return the stored value, so operand reads of x0 stay reads).


def make_op_imm(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``addi slli slti sltiu xori srli/srai ori andi``; srli/srai with other ``insn[31:26]`` revert.

    Like every factory, it makes only the one closure it returns: decoding is a large part of the
    run time of a program that executes most of its code only a few times.
    """
    kind, next_pc = funct3(insn), (pc + 4) & MASK64
    if kind == 5 and insn >> 26 not in (0, SHIFT_ARITHMETIC_IMM):
        return use_reference
    rd = rd_field(insn)
    if rd == 0:
        return constant(next_pc)
    registers, rs1, imm = m.registers, rs1_field(insn), imm_i(insn)
    shift = imm & 0x3F
    match kind:
        case 0 if imm == 0:

            def mv() -> int:
                registers[rd] = registers[rs1]
                return next_pc

            return mv
        case 0:

            def addi() -> int:
                registers[rd] = (registers[rs1] + imm) & MASK64
                return next_pc

            return addi
        case 1:

            def slli() -> int:
                registers[rd] = (registers[rs1] << shift) & MASK64
                return next_pc

            return slli
        case 2:
            biased_imm = imm ^ SIGN_BIT

            def slti() -> int:
                registers[rd] = 1 if (registers[rs1] ^ SIGN_BIT) < biased_imm else 0
                return next_pc

            return slti
        case 3:

            def sltiu() -> int:
                registers[rd] = 1 if registers[rs1] < imm else 0
                return next_pc

            return sltiu
        case 4:

            def xori() -> int:
                registers[rd] = registers[rs1] ^ imm
                return next_pc

            return xori
        case 5 if insn >> 26 == 0:

            def srli() -> int:
                registers[rd] = registers[rs1] >> shift
                return next_pc

            return srli
        case 5:

            def srai() -> int:
                registers[rd] = (((registers[rs1] ^ SIGN_BIT) - SIGN_BIT) >> shift) & MASK64
                return next_pc

            return srai
        case 6:

            def ori() -> int:
                registers[rd] = registers[rs1] | imm
                return next_pc

            return ori
        case _:

            def andi() -> int:
                registers[rd] = registers[rs1] & imm
                return next_pc

            return andi


# -- OP-IMM-32 (§6.5) -----------------------------------------------------------------------------


def make_op_imm_32(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``addiw slliw srliw sraiw``; ``insn[25] = 1`` on a shift, other funct7/funct3 revert."""
    kind, next_pc = funct3(insn), (pc + 4) & MASK64
    if kind not in (0, 1, 5) or (kind != 0 and (insn >> 25) & 1):
        return use_reference
    if kind == 5 and funct7(insn) not in (0, FUNCT7_ALT):
        return use_reference
    rd = rd_field(insn)
    if rd == 0:
        return constant(next_pc)
    registers, rs1, imm = m.registers, rs1_field(insn), imm_i(insn)
    shift = imm & 0x1F
    match kind:
        case 0:

            def addiw() -> int:
                registers[rd] = ((((registers[rs1] + imm) & MASK32) ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return addiw
        case 1:

            def slliw() -> int:
                registers[rd] = ((((registers[rs1] << shift) & MASK32) ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return slliw
        case _ if funct7(insn) == 0:

            def srliw() -> int:
                registers[rd] = ((((registers[rs1] & MASK32) >> shift) ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return srliw
        case _:

            def sraiw() -> int:
                registers[rd] = ((((registers[rs1] & MASK32) ^ SIGN_BIT32) - SIGN_BIT32) >> shift) & MASK64
                return next_pc

            return sraiw


# -- OP (§6.6) ------------------------------------------------------------------------------------


def make_op(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """The base group (``funct7 ≠ 1``, lenient except add/sub/srl/sra) and M (``funct7 = 1``)."""
    kind, operation, next_pc = funct7(insn), funct3(insn), (pc + 4) & MASK64
    if kind != FUNCT7_M and operation in (0, 5) and kind not in (0, FUNCT7_ALT):
        return use_reference
    rd = rd_field(insn)
    if rd == 0:
        return constant(next_pc)
    registers, rs1, rs2 = m.registers, rs1_field(insn), rs2_field(insn)
    if kind == FUNCT7_M:
        return MULTIPLY_DIVIDE[operation](registers, rd, rs1, rs2, next_pc)
    match operation:
        case 0 if kind == 0:

            def add() -> int:
                registers[rd] = (registers[rs1] + registers[rs2]) & MASK64
                return next_pc

            return add
        case 0:

            def sub() -> int:
                registers[rd] = (registers[rs1] - registers[rs2]) & MASK64
                return next_pc

            return sub
        case 1:

            def sll() -> int:
                registers[rd] = (registers[rs1] << (registers[rs2] & 0x3F)) & MASK64
                return next_pc

            return sll
        case 2:

            def slt() -> int:
                registers[rd] = 1 if (registers[rs1] ^ SIGN_BIT) < (registers[rs2] ^ SIGN_BIT) else 0
                return next_pc

            return slt
        case 3:

            def sltu() -> int:
                registers[rd] = 1 if registers[rs1] < registers[rs2] else 0
                return next_pc

            return sltu
        case 4:

            def xor() -> int:
                registers[rd] = registers[rs1] ^ registers[rs2]
                return next_pc

            return xor
        case 5 if kind == 0:

            def srl() -> int:
                registers[rd] = registers[rs1] >> (registers[rs2] & 0x3F)
                return next_pc

            return srl
        case 5:

            def sra() -> int:
                shift = registers[rs2] & 0x3F
                registers[rd] = (((registers[rs1] ^ SIGN_BIT) - SIGN_BIT) >> shift) & MASK64
                return next_pc

            return sra
        case 6:

            def or_() -> int:
                registers[rd] = registers[rs1] | registers[rs2]
                return next_pc

            return or_
        case _:

            def and_() -> int:
                registers[rd] = registers[rs1] & registers[rs2]
                return next_pc

            return and_


MultiplyDivide = Callable[[list[int], int, int, int, int], Handler]
"""Makes an M handler: ``factory(registers, rd, rs1, rs2, next_pc)``."""


def make_mul(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def mul() -> int:
        registers[rd] = (registers[rs1] * registers[rs2]) & MASK64
        return next_pc

    return mul


def make_mulh(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def mulh() -> int:
        signed_a = (registers[rs1] ^ SIGN_BIT) - SIGN_BIT
        signed_b = (registers[rs2] ^ SIGN_BIT) - SIGN_BIT
        registers[rd] = ((signed_a * signed_b) >> 64) & MASK64
        return next_pc

    return mulh


def make_mulhsu(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def mulhsu() -> int:
        registers[rd] = ((((registers[rs1] ^ SIGN_BIT) - SIGN_BIT) * registers[rs2]) >> 64) & MASK64
        return next_pc

    return mulhsu


def make_mulhu(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def mulhu() -> int:
        registers[rd] = (registers[rs1] * registers[rs2]) >> 64
        return next_pc

    return mulhu


def make_div(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    """``div``: divisor 0 gives −1; ``−2^63 / −1`` wraps back to ``−2^63``."""

    def div() -> int:
        b = registers[rs2]
        if b == 0:
            registers[rd] = MASK64
        else:
            dividend = (registers[rs1] ^ SIGN_BIT) - SIGN_BIT
            registers[rd] = truncating_div(dividend, (b ^ SIGN_BIT) - SIGN_BIT) & MASK64
        return next_pc

    return div


def make_divu(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def divu() -> int:
        b = registers[rs2]
        registers[rd] = registers[rs1] // b if b else MASK64
        return next_pc

    return divu


def make_rem(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    """``rem``: divisor 0 gives the dividend; the remainder has the dividend's sign."""

    def rem() -> int:
        a, b = registers[rs1], registers[rs2]
        if b == 0:
            registers[rd] = a
        else:
            registers[rd] = truncating_rem((a ^ SIGN_BIT) - SIGN_BIT, (b ^ SIGN_BIT) - SIGN_BIT) & MASK64
        return next_pc

    return rem


def make_remu(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def remu() -> int:
        a, b = registers[rs1], registers[rs2]
        registers[rd] = a % b if b else a
        return next_pc

    return remu


MULTIPLY_DIVIDE: tuple[MultiplyDivide, ...] = (
    make_mul,
    make_mulh,
    make_mulhsu,
    make_mulhu,
    make_div,
    make_divu,
    make_rem,
    make_remu,
)
"""The M extension's handlers by funct3."""


# -- OP-32 (§6.7) ---------------------------------------------------------------------------------
#
# Only the low word of rs2 is used, in the zero tests too; every result is ``sext32`` of a word.


def make_op_32(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``addw subw sllw srlw sraw`` and ``mulw divw divuw remw remuw``; the rest revert."""
    kind, operation, next_pc = funct7(insn), funct3(insn), (pc + 4) & MASK64
    if kind == FUNCT7_M:
        if operation in (1, 2, 3):
            return use_reference
    elif operation not in (0, 1, 5) or (operation != 1 and kind not in (0, FUNCT7_ALT)):
        return use_reference
    rd = rd_field(insn)
    if rd == 0:
        return constant(next_pc)
    registers, rs1, rs2 = m.registers, rs1_field(insn), rs2_field(insn)
    if kind == FUNCT7_M:
        return MULTIPLY_DIVIDE_WORD[operation](registers, rd, rs1, rs2, next_pc)
    match operation:
        case 0 if kind == 0:

            def addw() -> int:
                word = (registers[rs1] + registers[rs2]) & MASK32
                registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return addw
        case 0:

            def subw() -> int:
                word = (registers[rs1] - registers[rs2]) & MASK32
                registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return subw
        case 1:

            def sllw() -> int:
                word = (registers[rs1] << (registers[rs2] & 0x1F)) & MASK32
                registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return sllw
        case _ if kind == 0:

            def srlw() -> int:
                word = (registers[rs1] & MASK32) >> (registers[rs2] & 0x1F)
                registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
                return next_pc

            return srlw
        case _:

            def sraw() -> int:
                signed = ((registers[rs1] & MASK32) ^ SIGN_BIT32) - SIGN_BIT32
                registers[rd] = (signed >> (registers[rs2] & 0x1F)) & MASK64
                return next_pc

            return sraw


def make_mulw(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def mulw() -> int:
        word = (registers[rs1] * registers[rs2]) & MASK32
        registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
        return next_pc

    return mulw


def make_divw(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    """``divw``: divisor 0 gives −1; ``−2^31 / −1`` wraps back to ``−2^31``."""

    def divw() -> int:
        b = registers[rs2] & MASK32
        if b == 0:
            registers[rd] = MASK64
        else:
            dividend = ((registers[rs1] & MASK32) ^ SIGN_BIT32) - SIGN_BIT32
            word = truncating_div(dividend, (b ^ SIGN_BIT32) - SIGN_BIT32) & MASK32
            registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
        return next_pc

    return divw


def make_divuw(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def divuw() -> int:
        b = registers[rs2] & MASK32
        if b == 0:
            registers[rd] = MASK64
        else:
            word = (registers[rs1] & MASK32) // b
            registers[rd] = ((word ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
        return next_pc

    return divuw


def make_remw(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    """``remw``: divisor 0 gives ``sext32`` of the dividend."""

    def remw() -> int:
        a, b = registers[rs1] & MASK32, registers[rs2] & MASK32
        if b:
            dividend = (a ^ SIGN_BIT32) - SIGN_BIT32
            a = truncating_rem(dividend, (b ^ SIGN_BIT32) - SIGN_BIT32) & MASK32
        registers[rd] = ((a ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
        return next_pc

    return remw


def make_remuw(registers: list[int], rd: int, rs1: int, rs2: int, next_pc: int) -> Handler:
    def remuw() -> int:
        a, b = registers[rs1] & MASK32, registers[rs2] & MASK32
        if b:
            a %= b
        registers[rd] = ((a ^ SIGN_BIT32) - SIGN_BIT32) & MASK64
        return next_pc

    return remuw


MULTIPLY_DIVIDE_WORD: dict[int, MultiplyDivide] = {
    0: make_mulw,
    4: make_divw,
    5: make_divuw,
    6: make_remw,
    7: make_remuw,
}
"""The M extension's W handlers by funct3 (1–3 revert)."""


# -- upper immediates, jumps and branches (§6.8) --------------------------------------------------
#
# A handler is made for one pc, so ``auipc`` values, link addresses and branch and ``jal`` targets
# are constants, and so is the alignment check of every target but ``jalr``'s: an instruction whose
# target is misaligned takes the reference, which reverts ``0xbad10ad0`` when it is used.


def make_lui(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lui``: ``x[rd] = immU``, a constant."""
    return _make_set_constant(m, insn, pc, imm_u(insn))


def make_auipc(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``auipc``: ``x[rd] = pc + immU``, a constant for one pc."""
    return _make_set_constant(m, insn, pc, (pc + imm_u(insn)) & MASK64)


def _make_set_constant(m: FastInterpreter, insn: int, pc: int, value: int) -> Handler:
    registers, rd, next_pc = m.registers, rd_field(insn), (pc + 4) & MASK64
    if rd == 0:
        return constant(next_pc)

    def set_constant() -> int:
        registers[rd] = value
        return next_pc

    return set_constant


def make_jal(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``jal``: ``x[rd] = pc + 4``, ``pc = pc + immJ``."""
    registers, rd = m.registers, rd_field(insn)
    target, link = (pc + imm_j(insn)) & MASK64, (pc + 4) & MASK64
    if target & 3:
        return use_reference
    if rd == 0:
        return constant(target)

    def jal() -> int:
        registers[rd] = link
        return target

    return jal


def make_jalr(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``jalr`` (any funct3): ``pc = (x[rs1] + immI) & ~1``, read before ``x[rd] = pc + 4``."""
    registers, rd, rs1, offset, link = m.registers, rd_field(insn), rs1_field(insn), imm_i(insn), pc + 4
    link &= MASK64

    def jr() -> int:
        target = (registers[rs1] + offset) & EVEN_MASK64
        if target & 2:
            raise UseReference  # misaligned target
        return target

    def jalr() -> int:
        target = (registers[rs1] + offset) & EVEN_MASK64
        if target & 2:
            raise UseReference  # misaligned target
        registers[rd] = link
        return target

    return jalr if rd else jr


def make_branch(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``beq bne blt bge bltu bgeu``; funct3 2 and 3 are never taken (§6.11)."""
    registers, rs1, rs2, condition = m.registers, rs1_field(insn), rs2_field(insn), funct3(insn)
    target, not_taken = (pc + imm_b(insn)) & MASK64, (pc + 4) & MASK64
    if condition in (2, 3):
        return constant(not_taken)
    if target & 3:
        return use_reference
    match condition:
        case 0:

            def beq() -> int:
                return target if registers[rs1] == registers[rs2] else not_taken

            return beq
        case 1:

            def bne() -> int:
                return target if registers[rs1] != registers[rs2] else not_taken

            return bne
        case 4:

            def blt() -> int:
                return target if (registers[rs1] ^ SIGN_BIT) < (registers[rs2] ^ SIGN_BIT) else not_taken

            return blt
        case 5:

            def bge() -> int:
                return target if (registers[rs1] ^ SIGN_BIT) >= (registers[rs2] ^ SIGN_BIT) else not_taken

            return bge
        case 6:

            def bltu() -> int:
                return target if registers[rs1] < registers[rs2] else not_taken

            return bltu
        case _:

            def bgeu() -> int:
                return target if registers[rs1] >= registers[rs2] else not_taken

            return bgeu


# -- SYSTEM and the no-op groups (§6.1, §6.10) ----------------------------------------------------


def make_system(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``ecall`` takes the reference (every syscall); other funct3 0 words are no-ops; CSRs read 0."""
    next_pc = (pc + 4) & MASK64
    if funct3(insn) == 0:
        return use_reference if insn >> 20 == 0 else constant(next_pc)
    return _make_set_constant(m, insn, pc, 0)


def make_no_op(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """MISC-MEM, LOAD-FP, STORE-FP, OP-FP: ``pc += 4`` and nothing else."""
    return constant((pc + 4) & MASK64)


# Opcodes missing here take the reference: the unknown ones revert 0xf001c0de, and AMO (§6.9) is
# executed there (see the module docstring).
OPCODES: dict[int, Factory] = {
    OP_LOAD: make_load,
    OP_STORE: make_store,
    OP_IMM: make_op_imm,
    OP_IMM_32: make_op_imm_32,
    OP_OP: make_op,
    OP_OP_32: make_op_32,
    OP_LUI: make_lui,
    OP_AUIPC: make_auipc,
    OP_JAL: make_jal,
    OP_JALR: make_jalr,
    OP_BRANCH: make_branch,
    OP_SYSTEM: make_system,
    **dict.fromkeys(NO_OP_OPCODES, make_no_op),
}


__all__ = ["FastInterpreter", "Handler"]
