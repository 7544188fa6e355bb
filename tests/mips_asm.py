"""A tiny MIPS32 assembler for tests: one function per mnemonic, returning the 32-bit word.

Encodings follow mips32.md §7.1 (``op [31:26] rs [25:21] rt [20:16] rd [15:11] shamt [10:6]
fn [5:0]``, ``imm [15:0]``, ``target [25:0]``). Operand order is the usual assembly order
(``addu rd, rs, rt``; ``lw rt, offset(base)`` is ``lw(rt, offset, base)``). Immediates and branch
offsets may be given negative; they are truncated to 16 bits. Branch offsets are in instructions
(the raw ``imm`` field), jump targets are byte addresses.

Nothing here imports the code under test: these are the independent encodings the tests rely on.
"""

from __future__ import annotations

# -- register names ----------------------------------------------------------------------------

ZERO, AT, V0, V1, A0, A1, A2, A3 = range(8)
T0, T1, T2, T3, T4, T5, T6, T7 = range(8, 16)
S0, S1, S2, S3, S4, S5, S6, S7 = range(16, 24)
T8, T9, K0, K1, GP, SP, FP, RA = range(24, 32)

# -- raw formats -------------------------------------------------------------------------------


def special(fn: int, rs: int = 0, rt: int = 0, rd: int = 0, sa: int = 0) -> int:
    """An R-type word with ``op = 0`` (SPECIAL)."""
    return r_type(0x00, fn, rs, rt, rd, sa)


def r_type(op: int, fn: int, rs: int = 0, rt: int = 0, rd: int = 0, sa: int = 0) -> int:
    assert 0 <= op < 64 and 0 <= fn < 64 and all(0 <= f < 32 for f in (rs, rt, rd, sa))
    return (op << 26) | (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | fn


def i_type(op: int, rs: int, rt: int, imm: int) -> int:
    assert 0 <= op < 64 and 0 <= rs < 32 and 0 <= rt < 32 and -0x8000 <= imm <= 0xFFFF
    return (op << 26) | (rs << 21) | (rt << 16) | (imm & 0xFFFF)


def j_type(op: int, target: int) -> int:
    """A J-type word; ``target`` is a byte address whose bits [27:2] form the field."""
    return (op << 26) | ((target >> 2) & 0x03FF_FFFF)


# -- SPECIAL -----------------------------------------------------------------------------------


def sll(rd: int, rt: int, sa: int) -> int:
    return special(0x00, rt=rt, rd=rd, sa=sa)


def srl(rd: int, rt: int, sa: int) -> int:
    return special(0x02, rt=rt, rd=rd, sa=sa)


def sra(rd: int, rt: int, sa: int) -> int:
    return special(0x03, rt=rt, rd=rd, sa=sa)


def sllv(rd: int, rt: int, rs: int) -> int:
    return special(0x04, rs=rs, rt=rt, rd=rd)


def srlv(rd: int, rt: int, rs: int) -> int:
    return special(0x06, rs=rs, rt=rt, rd=rd)


def srav(rd: int, rt: int, rs: int) -> int:
    return special(0x07, rs=rs, rt=rt, rd=rd)


def jr(rs: int) -> int:
    return special(0x08, rs=rs)


def jalr(rd: int, rs: int) -> int:
    return special(0x09, rs=rs, rd=rd)


def movz(rd: int, rs: int, rt: int) -> int:
    return special(0x0A, rs=rs, rt=rt, rd=rd)


def movn(rd: int, rs: int, rt: int) -> int:
    return special(0x0B, rs=rs, rt=rt, rd=rd)


def syscall(code: int = 0) -> int:
    return (code & 0xF_FFFF) << 6 | 0x0C


def sync(rd: int = 0, rs: int = 0) -> int:
    """``sync``; the canonical word is 0x0000000F, other rs/rd fields expose the copy quirk."""
    return special(0x0F, rs=rs, rd=rd)


def mfhi(rd: int) -> int:
    return special(0x10, rd=rd)


def mthi(rs: int, rd: int = 0) -> int:
    return special(0x11, rs=rs, rd=rd)


def mflo(rd: int) -> int:
    return special(0x12, rd=rd)


def mtlo(rs: int, rd: int = 0) -> int:
    return special(0x13, rs=rs, rd=rd)


def mult(rs: int, rt: int, rd: int = 0) -> int:
    return special(0x18, rs=rs, rt=rt, rd=rd)


def multu(rs: int, rt: int, rd: int = 0) -> int:
    return special(0x19, rs=rs, rt=rt, rd=rd)


def div(rs: int, rt: int, rd: int = 0) -> int:
    return special(0x1A, rs=rs, rt=rt, rd=rd)


def divu(rs: int, rt: int, rd: int = 0) -> int:
    return special(0x1B, rs=rs, rt=rt, rd=rd)


def add(rd: int, rs: int, rt: int) -> int:
    return special(0x20, rs=rs, rt=rt, rd=rd)


def addu(rd: int, rs: int, rt: int) -> int:
    return special(0x21, rs=rs, rt=rt, rd=rd)


def sub(rd: int, rs: int, rt: int) -> int:
    return special(0x22, rs=rs, rt=rt, rd=rd)


def subu(rd: int, rs: int, rt: int) -> int:
    return special(0x23, rs=rs, rt=rt, rd=rd)


def and_(rd: int, rs: int, rt: int) -> int:
    return special(0x24, rs=rs, rt=rt, rd=rd)


def or_(rd: int, rs: int, rt: int) -> int:
    return special(0x25, rs=rs, rt=rt, rd=rd)


def xor(rd: int, rs: int, rt: int) -> int:
    return special(0x26, rs=rs, rt=rt, rd=rd)


def nor(rd: int, rs: int, rt: int) -> int:
    return special(0x27, rs=rs, rt=rt, rd=rd)


def slt(rd: int, rs: int, rt: int) -> int:
    return special(0x2A, rs=rs, rt=rt, rd=rd)


def sltu(rd: int, rs: int, rt: int) -> int:
    return special(0x2B, rs=rs, rt=rt, rd=rd)


NOP = 0x0000_0000  # sll $zero, $zero, 0

# -- immediates --------------------------------------------------------------------------------


def addi(rt: int, rs: int, imm: int) -> int:
    return i_type(0x08, rs, rt, imm)


def addiu(rt: int, rs: int, imm: int) -> int:
    return i_type(0x09, rs, rt, imm)


def slti(rt: int, rs: int, imm: int) -> int:
    return i_type(0x0A, rs, rt, imm)


def sltiu(rt: int, rs: int, imm: int) -> int:
    return i_type(0x0B, rs, rt, imm)


def andi(rt: int, rs: int, imm: int) -> int:
    return i_type(0x0C, rs, rt, imm)


def ori(rt: int, rs: int, imm: int) -> int:
    return i_type(0x0D, rs, rt, imm)


def xori(rt: int, rs: int, imm: int) -> int:
    return i_type(0x0E, rs, rt, imm)


def lui(rt: int, imm: int, rs: int = 0) -> int:
    """``lui``; a non-zero ``rs`` field is reserved and must be ignored."""
    return i_type(0x0F, rs, rt, imm)


# -- SPECIAL2 ----------------------------------------------------------------------------------


def mul(rd: int, rs: int, rt: int) -> int:
    return r_type(0x1C, 0x02, rs=rs, rt=rt, rd=rd)


def clz(rd: int, rs: int) -> int:
    # MIPS32 requires rt == rd in the encoding; the VM ignores rt.
    return r_type(0x1C, 0x20, rs=rs, rt=rd, rd=rd)


def clo(rd: int, rs: int) -> int:
    return r_type(0x1C, 0x21, rs=rs, rt=rd, rd=rd)


# -- loads and stores --------------------------------------------------------------------------


def lb(rt: int, offset: int, base: int) -> int:
    return i_type(0x20, base, rt, offset)


def lh(rt: int, offset: int, base: int) -> int:
    return i_type(0x21, base, rt, offset)


def lwl(rt: int, offset: int, base: int) -> int:
    return i_type(0x22, base, rt, offset)


def lw(rt: int, offset: int, base: int) -> int:
    return i_type(0x23, base, rt, offset)


def lbu(rt: int, offset: int, base: int) -> int:
    return i_type(0x24, base, rt, offset)


def lhu(rt: int, offset: int, base: int) -> int:
    return i_type(0x25, base, rt, offset)


def lwr(rt: int, offset: int, base: int) -> int:
    return i_type(0x26, base, rt, offset)


def sb(rt: int, offset: int, base: int) -> int:
    return i_type(0x28, base, rt, offset)


def sh(rt: int, offset: int, base: int) -> int:
    return i_type(0x29, base, rt, offset)


def swl(rt: int, offset: int, base: int) -> int:
    return i_type(0x2A, base, rt, offset)


def sw(rt: int, offset: int, base: int) -> int:
    return i_type(0x2B, base, rt, offset)


def swr(rt: int, offset: int, base: int) -> int:
    return i_type(0x2E, base, rt, offset)


def ll(rt: int, offset: int, base: int) -> int:
    return i_type(0x30, base, rt, offset)


def sc(rt: int, offset: int, base: int) -> int:
    return i_type(0x38, base, rt, offset)


# -- control transfers -------------------------------------------------------------------------


def j(target: int) -> int:
    return j_type(0x02, target)


def jal(target: int) -> int:
    return j_type(0x03, target)


def beq(rs: int, rt: int, offset: int) -> int:
    return i_type(0x04, rs, rt, offset)


def bne(rs: int, rt: int, offset: int) -> int:
    return i_type(0x05, rs, rt, offset)


def blez(rs: int, offset: int, rt: int = 0) -> int:
    """``blez``; the ``rt`` field is ignored by the VM."""
    return i_type(0x06, rs, rt, offset)


def bgtz(rs: int, offset: int, rt: int = 0) -> int:
    return i_type(0x07, rs, rt, offset)


def regimm(code: int, rs: int, offset: int) -> int:
    """A REGIMM (``op = 1``) word: the ``rt`` field selects the operation."""
    return i_type(0x01, rs, code, offset)


def bltz(rs: int, offset: int) -> int:
    return regimm(0x00, rs, offset)


def bgez(rs: int, offset: int) -> int:
    return regimm(0x01, rs, offset)


def bltzal(rs: int, offset: int) -> int:
    return regimm(0x10, rs, offset)


def bgezal(rs: int, offset: int) -> int:
    return regimm(0x11, rs, offset)
