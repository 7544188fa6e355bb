"""A fast MIPS32 interpreter for plain execution, held equal to ``step.py`` (spec: mips32.md §5–§7).

The reference transition decodes every instruction word on every step and goes through several
layers of helpers; that is what makes it easy to check against the spec, and also what limits it to a
few hundred thousand steps per second. Plain execution (no witness) only needs the same post-state,
so this module trades the per-step work for a one-time decode:

* **Decode once per pc.** The word at a pc is decoded into a *handler*, a closure whose fields
  (register numbers, immediates, shift amounts) and pc-derived constants (branch targets, link
  addresses, the ``pc + 4`` of the delay-slot check) are fixed when it is made. Handlers are cached
  by pc; a pc in a trap range or an unaligned pc gets a handler that defers to the reference.
* **One calling convention.** Every transfer in §5 (ADVANCE, JUMP, BRANCH) moves ``pc`` to the old
  ``next_pc`` and computes a new ``next_pc``, so a handler is ``new_next_pc = handler(pc, next_pc)``
  and the run loop keeps ``pc``, ``next_pc`` and ``step`` in local variables. Registers are the
  state's own list; ``hi``/``lo`` are read and written on the state, since few instructions use them.
* **The reference for the rare and the failing.** Syscalls, ``lwl``/``lwr``/``swl``/``swr``,
  undefined encodings and every failure (delay-slot violations, division by zero, traps) are
  executed by ``MipsVM.step()``: a handler raises ``UseReference`` *before changing anything*, and
  the loop syncs its locals to the state and runs the reference step, which handles IO, preimages,
  hints and failures and leaves the pre-step state on failure. So a failing step raises exactly
  what the reference raises, from exactly the same state.
* **Direct memory access.** Loads and stores use the ``Memory.pages`` bytearrays directly and mark
  every written leaf in ``Memory.dirty_leaves`` (the public contract in ``faultproof.memory``); a
  store into a page that handlers were decoded from drops them, so self-modifying code stays correct.

The handler cache, traps, code pages, the deferral to the reference and the step counter's wrap are
shared with the RV64 engine (``faultproof.vm.engine``, whose docstring has the details).

Hot-path arithmetic writes the 32-bit wrap as ``& MASK32`` and the signed views as XOR with
``SIGN_BIT`` instead of calling ``u32``/``to_signed32``: a function call per instruction would cost
more than the instruction itself. ``s32(a) < s32(b)`` is ``(a ^ SIGN_BIT) < (b ^ SIGN_BIT)``
(flipping the sign bit maps two's-complement order onto unsigned order) and ``s32(a)`` is
``(a ^ SIGN_BIT) - SIGN_BIT``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable

from faultproof.ints import MASK32, sign_extend
from faultproof.memory import LEAF_ADDRESS_BITS, PAGE_ADDRESS_BITS, PAGE_SIZE
from faultproof.vm.engine import Engine, SteppingVM, UseReference
from faultproof.vm.mips32.state import REG_RA, MipsState
from faultproof.vm.mips32.step import funct, opcode, rd_field, rs_field, rt_field, shamt_field

Handler = Callable[[int, int], int]
"""The decoded instruction at one pc: ``handler(pc, next_pc)`` executes it and returns the new
``next_pc``; the new ``pc`` is always the old ``next_pc`` (§5)."""

Factory = Callable[["FastInterpreter", int, int], Handler]
"""Makes the handler of one instruction word: ``factory(interpreter, insn, pc)``."""

SIGN_BIT = 0x8000_0000
WORD_ALIGN_MASK = 0xFFFF_FFFC
PAGE_OFFSET_MASK = PAGE_SIZE - 1

_WORD = struct.Struct(">I")


def use_reference(pc: int, next_pc: int) -> int:
    """The handler of everything the fast path leaves to ``step.py`` (see the module docstring)."""
    raise UseReference


def advance(pc: int, next_pc: int) -> int:
    """ADVANCE alone: the handler of every instruction whose only effect is a write to ``$zero``."""
    return (next_pc + 4) & MASK32


def immediate(insn: int) -> int:
    """``SE16(imm)`` as an unsigned 32-bit value (§1)."""
    return sign_extend(insn, 16)


class FastInterpreter(Engine[MipsState, Handler]):
    """Executes steps of one ``MipsVM`` through cached handlers; ``run`` is the only entry point.

    The handler cache, traps, code pages, the reference step and the step counter's wrap are the
    shared ``Engine``'s; this class decodes MIPS words and runs the loop with ``next_pc``.
    """

    def __init__(self, vm: SteppingVM[MipsState], traps: Iterable[tuple[int, int]]) -> None:
        super().__init__(vm, traps, use_reference)
        self.load_word, self.store_word = self._memory_access()

    # -- memory (§3.1) --------------------------------------------------------------------------

    def _memory_access(self) -> tuple[Callable[[int], int], Callable[[int, int], None]]:
        """Word load and store on the page bytearrays, as closures (cheaper to call than methods)."""
        memory = self.memory
        pages = self.pages
        code_pcs = self.code_pcs
        forget_code_page = self.forget_code_page

        def load_word(address: int) -> int:
            """The word at an aligned address; an absent page reads as zero."""
            page = pages.get(address >> PAGE_ADDRESS_BITS)
            if page is None:
                return 0
            value: int = _WORD.unpack_from(page, address & PAGE_OFFSET_MASK)[0]
            return value

        def store_word(address: int, value: int) -> None:
            """Store at an aligned address, allocating the page as ``Memory.write_word`` does."""
            index = address >> PAGE_ADDRESS_BITS
            page = pages.get(index)
            if page is None:
                page = memory.page(index)
            # Marked before the write, so an interrupt between the two can only over-mark.
            memory.dirty_leaves.add(address >> LEAF_ADDRESS_BITS)
            _WORD.pack_into(page, address & PAGE_OFFSET_MASK, value)
            if index in code_pcs:
                forget_code_page(index)

        return load_word, store_word

    # -- decoding -------------------------------------------------------------------------------

    def decode(self, pc: int) -> Handler:
        """The handler of the instruction at ``pc``."""
        # An unaligned pc fails the instruction fetch (§3.3 READ).
        if pc & 3:
            return use_reference
        insn = self.load_word(pc)
        op = opcode(insn)
        if op == 0x00:
            factory = SPECIAL.get(funct(insn))
        elif op == 0x1C:
            factory = SPECIAL2.get(funct(insn))
        else:
            factory = OPCODES.get(op)
        return use_reference if factory is None else factory(self, insn, pc)

    # -- execution ------------------------------------------------------------------------------

    def execute(self, max_steps: int) -> None:
        """Execute up to ``max_steps`` steps; stop early at exit or after a preimage read.

        ``pc``, ``next_pc`` and ``step`` live in locals and are written back to the state however
        the loop is left. A handler either completes its step or raises before changing anything,
        so on an exception the written-back values are those before the failing step: inside the
        ``for`` loop, ``step`` is the counter before the step being executed.
        """
        vm = self.vm
        state = self.state
        handlers = self.handlers
        pc, next_pc, step = state.pc, state.next_pc, state.step
        end = step + max_steps
        try:
            while step < end:
                remaining = range(step, end)
                try:
                    for step in remaining:  # noqa: B007 - read when an exception leaves the loop
                        next_pc, pc = handlers[pc](pc, next_pc), next_pc
                    step = end
                except KeyError:
                    if pc in handlers:
                        raise
                    self.handler_at(pc)
                except UseReference:
                    state.pc, state.next_pc, state.step = pc, next_pc, step
                    self.reference_step()
                    pc, next_pc, step = state.pc, state.next_pc, state.step
                    if state.exited or vm.last_preimage_read is not None:
                        return
        finally:
            # After a failed reference step these are the values it restored (before the step).
            state.pc, state.next_pc, state.step = pc, next_pc, step


# -- SPECIAL (op = 0, §7.2) -----------------------------------------------------------------------
#
# Every factory returns ``advance`` when its only effect would be a write to ``$zero`` (§2.1: writes
# to R[0] are dropped, reads return the stored value, so operand reads of register 0 stay reads).


def make_sll(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sll``: ``R[rd] = rt << shamt``; with ``rd = 0`` this is the canonical ``nop``."""
    registers, rt, rd, shamt = m.registers, rt_field(insn), rd_field(insn), shamt_field(insn)
    if rd == 0:
        return advance

    def sll(pc: int, next_pc: int) -> int:
        registers[rd] = (registers[rt] << shamt) & MASK32
        return (next_pc + 4) & MASK32

    return sll


def make_srl(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``srl``: ``R[rd] = rt >> shamt`` (logical)."""
    registers, rt, rd, shamt = m.registers, rt_field(insn), rd_field(insn), shamt_field(insn)
    if rd == 0:
        return advance

    def srl(pc: int, next_pc: int) -> int:
        registers[rd] = registers[rt] >> shamt
        return (next_pc + 4) & MASK32

    return srl


def make_sra(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sra``: ``R[rd] = s32(rt) >> shamt`` (arithmetic)."""
    registers, rt, rd, shamt = m.registers, rt_field(insn), rd_field(insn), shamt_field(insn)
    if rd == 0:
        return advance

    def sra(pc: int, next_pc: int) -> int:
        registers[rd] = (((registers[rt] ^ SIGN_BIT) - SIGN_BIT) >> shamt) & MASK32
        return (next_pc + 4) & MASK32

    return sra


def make_sllv(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sllv``: ``R[rd] = rt << (rs & 31)``."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def sllv(pc: int, next_pc: int) -> int:
        registers[rd] = (registers[rt] << (registers[rs] & 0x1F)) & MASK32
        return (next_pc + 4) & MASK32

    return sllv


def make_srlv(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``srlv``: ``R[rd] = rt >> (rs & 31)`` (logical)."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def srlv(pc: int, next_pc: int) -> int:
        registers[rd] = registers[rt] >> (registers[rs] & 0x1F)
        return (next_pc + 4) & MASK32

    return srlv


def make_srav(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``srav``: ``R[rd] = s32(rt) >> (rs & 31)`` (arithmetic; §0: only the low 5 bits of rs)."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def srav(pc: int, next_pc: int) -> int:
        registers[rd] = (((registers[rt] ^ SIGN_BIT) - SIGN_BIT) >> (registers[rs] & 0x1F)) & MASK32
        return (next_pc + 4) & MASK32

    return srav


def make_jr(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``jr``: JUMP(0, rs); unaligned destinations are accepted (the next fetch fails)."""
    registers, rs = m.registers, rs_field(insn)
    not_in_delay_slot = (pc + 4) & MASK32

    def jr(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # JumpInDelaySlot
        return registers[rs]

    return jr


def make_jalr(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``jalr``: JUMP(rd, rs), linking ``R[rd] = pc + 8`` only if ``rd != 0``; rs is read first."""
    registers, rs, rd = m.registers, rs_field(insn), rd_field(insn)
    not_in_delay_slot = (pc + 4) & MASK32
    link = (pc + 8) & MASK32

    def jalr(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # JumpInDelaySlot
        destination = registers[rs]
        if rd != 0:
            registers[rd] = link
        return destination

    return jalr


def make_movz(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``movz``: ``R[rd] = rs`` if ``rt == 0``; ADVANCE either way."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def movz(pc: int, next_pc: int) -> int:
        if registers[rt] == 0:
            registers[rd] = registers[rs]
        return (next_pc + 4) & MASK32

    return movz


def make_movn(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``movn``: ``R[rd] = rs`` if ``rt != 0``; ADVANCE either way."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def movn(pc: int, next_pc: int) -> int:
        if registers[rt] != 0:
            registers[rd] = registers[rs]
        return (next_pc + 4) & MASK32

    return movn


def make_sync(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sync``: ``R[rd] = rs`` (quirk §7.8.3; a no-op for the canonical ``rs = rd = 0``)."""
    registers, rs, rd = m.registers, rs_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def sync(pc: int, next_pc: int) -> int:
        registers[rd] = registers[rs]
        return (next_pc + 4) & MASK32

    return sync


# HI/LO (§7.5): every function but the two moves-from writes 0 to a non-zero rd (quirk §7.8.2).


def make_mfhi(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``mfhi``: ``R[rd] = hi``."""
    registers, state, rd = m.registers, m.state, rd_field(insn)
    if rd == 0:
        return advance

    def mfhi(pc: int, next_pc: int) -> int:
        registers[rd] = state.hi
        return (next_pc + 4) & MASK32

    return mfhi


def make_mflo(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``mflo``: ``R[rd] = lo``."""
    registers, state, rd = m.registers, m.state, rd_field(insn)
    if rd == 0:
        return advance

    def mflo(pc: int, next_pc: int) -> int:
        registers[rd] = state.lo
        return (next_pc + 4) & MASK32

    return mflo


def make_mthi(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``mthi``: ``hi = rs``; ``R[rd] = 0`` if ``rd != 0``."""
    registers, state, rs, rd = m.registers, m.state, rs_field(insn), rd_field(insn)

    def mthi(pc: int, next_pc: int) -> int:
        state.hi = registers[rs]
        if rd != 0:
            registers[rd] = 0
        return (next_pc + 4) & MASK32

    return mthi


def make_mtlo(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``mtlo``: ``lo = rs``; ``R[rd] = 0`` if ``rd != 0``."""
    registers, state, rs, rd = m.registers, m.state, rs_field(insn), rd_field(insn)

    def mtlo(pc: int, next_pc: int) -> int:
        state.lo = registers[rs]
        if rd != 0:
            registers[rd] = 0
        return (next_pc + 4) & MASK32

    return mtlo


def make_mult(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``mult``: ``hi:lo = s32(rs) · s32(rt)``; ``R[rd] = 0`` if ``rd != 0``."""
    registers, state, rs, rt, rd = m.registers, m.state, rs_field(insn), rt_field(insn), rd_field(insn)

    def mult(pc: int, next_pc: int) -> int:
        product = ((registers[rs] ^ SIGN_BIT) - SIGN_BIT) * ((registers[rt] ^ SIGN_BIT) - SIGN_BIT)
        state.hi = (product >> 32) & MASK32
        state.lo = product & MASK32
        if rd != 0:
            registers[rd] = 0
        return (next_pc + 4) & MASK32

    return mult


def make_multu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``multu``: ``hi:lo = rs · rt`` (unsigned); ``R[rd] = 0`` if ``rd != 0``."""
    registers, state, rs, rt, rd = m.registers, m.state, rs_field(insn), rt_field(insn), rd_field(insn)

    def multu(pc: int, next_pc: int) -> int:
        product = registers[rs] * registers[rt]
        state.hi = (product >> 32) & MASK32
        state.lo = product & MASK32
        if rd != 0:
            registers[rd] = 0
        return (next_pc + 4) & MASK32

    return multu


def make_div(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``div``: quotient toward zero in lo, remainder with the dividend's sign in hi."""
    registers, state, rs, rt, rd = m.registers, m.state, rs_field(insn), rt_field(insn), rd_field(insn)

    def div(pc: int, next_pc: int) -> int:
        if registers[rt] == 0:
            raise UseReference  # DivisionByZero
        dividend = (registers[rs] ^ SIGN_BIT) - SIGN_BIT
        divisor = (registers[rt] ^ SIGN_BIT) - SIGN_BIT
        quotient = abs(dividend) // abs(divisor)
        if (dividend < 0) != (divisor < 0):
            quotient = -quotient
        state.lo = quotient & MASK32
        state.hi = (dividend - quotient * divisor) & MASK32
        if rd != 0:
            registers[rd] = 0
        return (next_pc + 4) & MASK32

    return div


def make_divu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``divu``: ``lo = rs / rt``, ``hi = rs % rt`` (unsigned)."""
    registers, state, rs, rt, rd = m.registers, m.state, rs_field(insn), rt_field(insn), rd_field(insn)

    def divu(pc: int, next_pc: int) -> int:
        if registers[rt] == 0:
            raise UseReference  # DivisionByZero
        state.lo, state.hi = divmod(registers[rs], registers[rt])
        if rd != 0:
            registers[rd] = 0
        return (next_pc + 4) & MASK32

    return divu


# Arithmetic and logic: add/sub never trap (quirk §7.8.6).


def make_addu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``add``, ``addu``: ``R[rd] = rs + rt`` (identical, wrapping)."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def addu(pc: int, next_pc: int) -> int:
        registers[rd] = (registers[rs] + registers[rt]) & MASK32
        return (next_pc + 4) & MASK32

    return addu


def make_subu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sub``, ``subu``: ``R[rd] = rs - rt`` (identical, wrapping)."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def subu(pc: int, next_pc: int) -> int:
        registers[rd] = (registers[rs] - registers[rt]) & MASK32
        return (next_pc + 4) & MASK32

    return subu


def make_and(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``and``: ``R[rd] = rs & rt``."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def and_(pc: int, next_pc: int) -> int:
        registers[rd] = registers[rs] & registers[rt]
        return (next_pc + 4) & MASK32

    return and_


def make_or(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``or``: ``R[rd] = rs | rt`` (also ``move rd, rs`` as ``or rd, rs, $zero``)."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def or_(pc: int, next_pc: int) -> int:
        registers[rd] = registers[rs] | registers[rt]
        return (next_pc + 4) & MASK32

    return or_


def make_xor(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``xor``: ``R[rd] = rs ^ rt``."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def xor(pc: int, next_pc: int) -> int:
        registers[rd] = registers[rs] ^ registers[rt]
        return (next_pc + 4) & MASK32

    return xor


def make_nor(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``nor``: ``R[rd] = ~(rs | rt)``."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def nor(pc: int, next_pc: int) -> int:
        registers[rd] = (registers[rs] | registers[rt]) ^ MASK32
        return (next_pc + 4) & MASK32

    return nor


def make_slt(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``slt``: ``R[rd] = s32(rs) < s32(rt)``."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def slt(pc: int, next_pc: int) -> int:
        registers[rd] = 1 if (registers[rs] ^ SIGN_BIT) < (registers[rt] ^ SIGN_BIT) else 0
        return (next_pc + 4) & MASK32

    return slt


def make_sltu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sltu``: ``R[rd] = rs < rt`` (unsigned)."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def sltu(pc: int, next_pc: int) -> int:
        registers[rd] = 1 if registers[rs] < registers[rt] else 0
        return (next_pc + 4) & MASK32

    return sltu


# Functions missing here are syscall (§6) and the undefined ones, which FAIL: both take the reference.
SPECIAL: dict[int, Factory] = {
    0x00: make_sll,
    0x02: make_srl,
    0x03: make_sra,
    0x04: make_sllv,
    0x06: make_srlv,
    0x07: make_srav,
    0x08: make_jr,
    0x09: make_jalr,
    0x0A: make_movz,
    0x0B: make_movn,
    0x0F: make_sync,
    0x10: make_mfhi,
    0x11: make_mthi,
    0x12: make_mflo,
    0x13: make_mtlo,
    0x18: make_mult,
    0x19: make_multu,
    0x1A: make_div,
    0x1B: make_divu,
    0x20: make_addu,
    0x21: make_addu,
    0x22: make_subu,
    0x23: make_subu,
    0x24: make_and,
    0x25: make_or,
    0x26: make_xor,
    0x27: make_nor,
    0x2A: make_slt,
    0x2B: make_sltu,
}


# -- SPECIAL2 (op = 0x1C, §7.3) -------------------------------------------------------------------


def make_mul(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``mul``: ``R[rd]`` = low 32 bits of ``s32(rs) · s32(rt)``."""
    registers, rs, rt, rd = m.registers, rs_field(insn), rt_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def mul(pc: int, next_pc: int) -> int:
        product = ((registers[rs] ^ SIGN_BIT) - SIGN_BIT) * ((registers[rt] ^ SIGN_BIT) - SIGN_BIT)
        registers[rd] = product & MASK32
        return (next_pc + 4) & MASK32

    return mul


def make_clz(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``clz``: leading zero bits of rs (32 for zero)."""
    registers, rs, rd = m.registers, rs_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def clz(pc: int, next_pc: int) -> int:
        registers[rd] = 32 - registers[rs].bit_length()
        return (next_pc + 4) & MASK32

    return clz


def make_clo(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``clo``: leading one bits of rs, i.e. leading zero bits of its complement."""
    registers, rs, rd = m.registers, rs_field(insn), rd_field(insn)
    if rd == 0:
        return advance

    def clo(pc: int, next_pc: int) -> int:
        registers[rd] = 32 - (registers[rs] ^ MASK32).bit_length()
        return (next_pc + 4) & MASK32

    return clo


SPECIAL2: dict[int, Factory] = {0x02: make_mul, 0x20: make_clz, 0x21: make_clo}


# -- jumps and branches (§5 step 7, §7.6) ---------------------------------------------------------
#
# A handler is made for one pc, so outside a delay slot ``next_pc`` is the constant ``pc + 4``: the
# delay-slot check compares with it, and targets and link addresses are computed once. In a delay
# slot the handler defers to the reference, which raises JumpInDelaySlot / BranchInDelaySlot.


def make_jump(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``j``/``jal``: the region (top 4 bits) comes from ``next_pc`` = ``pc + 4`` (quirk §7.8.4)."""
    registers = m.registers
    not_in_delay_slot = (pc + 4) & MASK32
    destination = (not_in_delay_slot & 0xF000_0000) | ((insn & 0x03FF_FFFF) << 2)
    link = (pc + 8) & MASK32

    def j(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # JumpInDelaySlot
        return destination

    def jal(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # JumpInDelaySlot
        registers[REG_RA] = link
        return destination

    return jal if opcode(insn) == 0x03 else j


def make_beq(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``beq``: taken when ``rs == R[rt]``."""
    registers, rs, rt = m.registers, rs_field(insn), rt_field(insn)
    not_in_delay_slot, target = _branch_constants(insn, pc)
    not_taken = (not_in_delay_slot + 4) & MASK32

    def beq(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return target if registers[rs] == registers[rt] else not_taken

    return beq


def make_bne(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``bne``: taken when ``rs != R[rt]``."""
    registers, rs, rt = m.registers, rs_field(insn), rt_field(insn)
    not_in_delay_slot, target = _branch_constants(insn, pc)
    not_taken = (not_in_delay_slot + 4) & MASK32

    def bne(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return target if registers[rs] != registers[rt] else not_taken

    return bne


def make_blez(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``blez``: taken when ``s32(rs) <= 0`` (rt field ignored)."""
    registers, rs = m.registers, rs_field(insn)
    not_in_delay_slot, target = _branch_constants(insn, pc)
    not_taken = (not_in_delay_slot + 4) & MASK32

    def blez(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return target if (registers[rs] ^ SIGN_BIT) <= SIGN_BIT else not_taken

    return blez


def make_bgtz(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``bgtz``: taken when ``s32(rs) > 0``."""
    registers, rs = m.registers, rs_field(insn)
    not_in_delay_slot, target = _branch_constants(insn, pc)
    not_taken = (not_in_delay_slot + 4) & MASK32

    def bgtz(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return target if (registers[rs] ^ SIGN_BIT) > SIGN_BIT else not_taken

    return bgtz


def make_regimm(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """REGIMM by rt field: ``bltz``, ``bgez``, ``bgezal``; any other is a never-taken branch.

    ``bgezal`` links ``$ra`` whether or not it is taken, after reading rs (quirk §7.8.5).
    """
    registers, rs, kind = m.registers, rs_field(insn), rt_field(insn)
    not_in_delay_slot, target = _branch_constants(insn, pc)
    not_taken = (not_in_delay_slot + 4) & MASK32
    link = (pc + 8) & MASK32

    def bltz(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return target if registers[rs] & SIGN_BIT else not_taken

    def bgez(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return not_taken if registers[rs] & SIGN_BIT else target

    def bgezal(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        taken = not registers[rs] & SIGN_BIT
        registers[REG_RA] = link
        return target if taken else not_taken

    def never_taken(pc: int, next_pc: int) -> int:
        if next_pc != not_in_delay_slot:
            raise UseReference  # BranchInDelaySlot
        return not_taken

    return {0x00: bltz, 0x01: bgez, 0x11: bgezal}.get(kind, never_taken)


def _branch_constants(insn: int, pc: int) -> tuple[int, int]:
    """``pc + 4`` (the ``next_pc`` outside a delay slot) and the taken target ``pc + 4 + SE16(imm)·4``."""
    not_in_delay_slot = (pc + 4) & MASK32
    return not_in_delay_slot, (not_in_delay_slot + (immediate(insn) << 2)) & MASK32


# -- immediate ALU (§7.3) -------------------------------------------------------------------------


def make_addiu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``addi``, ``addiu``: ``R[rt] = rs + SE16(imm)`` (identical, wrapping)."""
    registers, rs, rt, imm = m.registers, rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def addiu(pc: int, next_pc: int) -> int:
        registers[rt] = (registers[rs] + imm) & MASK32
        return (next_pc + 4) & MASK32

    return addiu


def make_slti(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``slti``: ``R[rt] = s32(rs) < s32(SE16(imm))``."""
    registers, rs, rt = m.registers, rs_field(insn), rt_field(insn)
    biased_imm = immediate(insn) ^ SIGN_BIT
    if rt == 0:
        return advance

    def slti(pc: int, next_pc: int) -> int:
        registers[rt] = 1 if (registers[rs] ^ SIGN_BIT) < biased_imm else 0
        return (next_pc + 4) & MASK32

    return slti


def make_sltiu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sltiu``: ``R[rt] = rs < SE16(imm)``, an unsigned compare with the sign-extended immediate."""
    registers, rs, rt, imm = m.registers, rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def sltiu(pc: int, next_pc: int) -> int:
        registers[rt] = 1 if registers[rs] < imm else 0
        return (next_pc + 4) & MASK32

    return sltiu


def make_andi(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``andi``: ``R[rt] = rs & ZE16(imm)``."""
    registers, rs, rt, imm = m.registers, rs_field(insn), rt_field(insn), insn & 0xFFFF
    if rt == 0:
        return advance

    def andi(pc: int, next_pc: int) -> int:
        registers[rt] = registers[rs] & imm
        return (next_pc + 4) & MASK32

    return andi


def make_ori(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``ori``: ``R[rt] = rs | ZE16(imm)``."""
    registers, rs, rt, imm = m.registers, rs_field(insn), rt_field(insn), insn & 0xFFFF
    if rt == 0:
        return advance

    def ori(pc: int, next_pc: int) -> int:
        registers[rt] = registers[rs] | imm
        return (next_pc + 4) & MASK32

    return ori


def make_xori(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``xori``: ``R[rt] = rs ^ ZE16(imm)``."""
    registers, rs, rt, imm = m.registers, rs_field(insn), rt_field(insn), insn & 0xFFFF
    if rt == 0:
        return advance

    def xori(pc: int, next_pc: int) -> int:
        registers[rt] = registers[rs] ^ imm
        return (next_pc + 4) & MASK32

    return xori


def make_lui(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lui``: ``R[rt] = imm << 16``, a constant."""
    registers, rt, value = m.registers, rt_field(insn), (insn & 0xFFFF) << 16
    if rt == 0:
        return advance

    def lui(pc: int, next_pc: int) -> int:
        registers[rt] = value
        return (next_pc + 4) & MASK32

    return lui


# -- loads and stores (§5 step 10, §7.4) ----------------------------------------------------------
#
# ``ea = R[rs] + SE16(imm)`` unmasked; the word is at ``ea & ~3`` (misaligned accesses are silently
# aligned, quirk §7.8.6) and ``(ea & 3)·8`` selects the byte. lwl/lwr/swl/swr take the reference.


def make_lb(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lb``: ``R[rt] = SE8(byte at ea)``."""
    registers, load_word = m.registers, m.load_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def lb(pc: int, next_pc: int) -> int:
        ea = registers[base] + offset
        byte = (load_word(ea & WORD_ALIGN_MASK) >> (24 - (ea & 3) * 8)) & 0xFF
        registers[rt] = ((byte ^ 0x80) - 0x80) & MASK32
        return (next_pc + 4) & MASK32

    return lb


def make_lh(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lh``: ``R[rt] = SE16(halfword selected by ea & 2)``."""
    registers, load_word = m.registers, m.load_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def lh(pc: int, next_pc: int) -> int:
        ea = registers[base] + offset
        half = (load_word(ea & WORD_ALIGN_MASK) >> (16 - (ea & 2) * 8)) & 0xFFFF
        registers[rt] = ((half ^ 0x8000) - 0x8000) & MASK32
        return (next_pc + 4) & MASK32

    return lh


def make_lw(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lw``: ``R[rt] = mem``."""
    registers, load_word = m.registers, m.load_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def lw(pc: int, next_pc: int) -> int:
        registers[rt] = load_word((registers[base] + offset) & WORD_ALIGN_MASK)
        return (next_pc + 4) & MASK32

    return lw


def make_lbu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lbu``: ``R[rt] = byte at ea``."""
    registers, load_word = m.registers, m.load_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def lbu(pc: int, next_pc: int) -> int:
        ea = registers[base] + offset
        registers[rt] = (load_word(ea & WORD_ALIGN_MASK) >> (24 - (ea & 3) * 8)) & 0xFF
        return (next_pc + 4) & MASK32

    return lbu


def make_lhu(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``lhu``: ``R[rt] = halfword selected by ea & 2``."""
    registers, load_word = m.registers, m.load_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)
    if rt == 0:
        return advance

    def lhu(pc: int, next_pc: int) -> int:
        ea = registers[base] + offset
        registers[rt] = (load_word(ea & WORD_ALIGN_MASK) >> (16 - (ea & 2) * 8)) & 0xFFFF
        return (next_pc + 4) & MASK32

    return lhu


def make_sb(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sb``: replace the byte at ea by the low byte of R[rt]."""
    registers, base, rt, offset = m.registers, rs_field(insn), rt_field(insn), immediate(insn)
    load_word, store_word = m.load_word, m.store_word

    def sb(pc: int, next_pc: int) -> int:
        ea = registers[base] + offset
        address = ea & WORD_ALIGN_MASK
        shift = 24 - (ea & 3) * 8
        word = load_word(address)
        store_word(address, (word & ~(0xFF << shift) & MASK32) | ((registers[rt] & 0xFF) << shift))
        return (next_pc + 4) & MASK32

    return sb


def make_sh(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sh``: replace the halfword selected by ``ea & 2`` by the low half of R[rt]."""
    registers, base, rt, offset = m.registers, rs_field(insn), rt_field(insn), immediate(insn)
    load_word, store_word = m.load_word, m.store_word

    def sh(pc: int, next_pc: int) -> int:
        ea = registers[base] + offset
        address = ea & WORD_ALIGN_MASK
        shift = 16 - (ea & 2) * 8
        word = load_word(address)
        store_word(address, (word & ~(0xFFFF << shift) & MASK32) | ((registers[rt] & 0xFFFF) << shift))
        return (next_pc + 4) & MASK32

    return sh


def make_sw(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sw``: the word becomes R[rt]."""
    registers, store_word = m.registers, m.store_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)

    def sw(pc: int, next_pc: int) -> int:
        store_word((registers[base] + offset) & WORD_ALIGN_MASK, registers[rt])
        return (next_pc + 4) & MASK32

    return sw


# -- ll / sc (§7.7) -------------------------------------------------------------------------------


def make_ll(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``ll``: a plain word load (no reservation exists in this VM)."""
    return make_lw(m, insn, pc)


def make_sc(m: FastInterpreter, insn: int, pc: int) -> Handler:
    """``sc``: always stores R[rt], then reports success with ``R[rt] = 1``."""
    registers, store_word = m.registers, m.store_word
    base, rt, offset = rs_field(insn), rt_field(insn), immediate(insn)

    def sc(pc: int, next_pc: int) -> int:
        store_word((registers[base] + offset) & WORD_ALIGN_MASK, registers[rt])
        if rt != 0:
            registers[rt] = 1
        return (next_pc + 4) & MASK32

    return sc


# Opcodes missing here are lwl/lwr/swl/swr and the undefined ones (COP0–3, …): they take the
# reference, which executes or FAILs them.
OPCODES: dict[int, Factory] = {
    0x01: make_regimm,
    0x02: make_jump,
    0x03: make_jump,
    0x04: make_beq,
    0x05: make_bne,
    0x06: make_blez,
    0x07: make_bgtz,
    0x08: make_addiu,
    0x09: make_addiu,
    0x0A: make_slti,
    0x0B: make_sltiu,
    0x0C: make_andi,
    0x0D: make_ori,
    0x0E: make_xori,
    0x0F: make_lui,
    0x20: make_lb,
    0x21: make_lh,
    0x23: make_lw,
    0x24: make_lbu,
    0x25: make_lhu,
    0x28: make_sb,
    0x29: make_sh,
    0x2B: make_sw,
    0x30: make_ll,
    0x38: make_sc,
}


__all__ = ["FastInterpreter", "Handler"]
