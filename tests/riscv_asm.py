"""A tiny RV64IMA assembler for tests: one function per mnemonic, returning the 32-bit word.

Encodings follow the RISC-V unprivileged specification (and riscv64.md §5): ``funct7 [31:25]
rs2 [24:20] rs1 [19:15] funct3 [14:12] rd [11:7] opcode [6:0]``, with the I, S, B, U and J
immediate layouts. Operand order is the usual assembly order (``add rd, rs1, rs2``;
``ld rd, offset(rs1)`` is ``ld(rd, offset, rs1)``; ``sd rs2, offset(rs1)`` is ``sd(rs2, offset, rs1)``;
``amoadd.w rd, rs2, (rs1)`` is ``amoadd_w(rd, rs2, rs1)``). Immediates may be given negative; they
are checked against their field's range. Branch and jump offsets are byte offsets from the
instruction (their bit 0 is dropped by the encoding, so it must be 0).

Nothing here imports the code under test: these are the independent encodings the tests rely on.
"""

from __future__ import annotations

# -- register names (ABI) ----------------------------------------------------------------------

ZERO, RA, SP, GP, TP, T0, T1, T2 = range(8)
S0, S1, A0, A1, A2, A3, A4, A5 = range(8, 16)
A6, A7, S2, S3, S4, S5, S6, S7 = range(16, 24)
S8, S9, S10, S11, T3, T4, T5, T6 = range(24, 32)
FP = S0

# -- major opcodes -----------------------------------------------------------------------------

LOAD = 0x03
LOAD_FP = 0x07
MISC_MEM = 0x0F
OP_IMM = 0x13
AUIPC = 0x17
OP_IMM_32 = 0x1B
STORE = 0x23
STORE_FP = 0x27
AMO = 0x2F
OP = 0x33
LUI = 0x37
OP_32 = 0x3B
MADD = 0x43
OP_FP = 0x53
OP_V = 0x57
BRANCH = 0x63
JALR = 0x67
JAL = 0x6F
SYSTEM = 0x73

# -- raw formats -------------------------------------------------------------------------------


def _check_registers(*registers: int) -> None:
    assert all(0 <= r < 32 for r in registers), registers


def _signed_field(value: int, bits: int) -> int:
    """``value`` as a ``bits``-wide two's-complement field; accepts the unsigned spelling too."""
    assert -(1 << (bits - 1)) <= value < (1 << bits), (value, bits)
    return value & ((1 << bits) - 1)


def r_type(opcode: int, rd: int, funct3: int, rs1: int, rs2: int, funct7: int) -> int:
    _check_registers(rd, rs1, rs2)
    assert 0 <= opcode < 128 and 0 <= funct3 < 8 and 0 <= funct7 < 128
    return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode


def i_type(opcode: int, rd: int, funct3: int, rs1: int, imm: int) -> int:
    """An I-type word; ``imm`` is 12 bits (``-2048 .. 4095``; values ≥ 2048 are the raw field)."""
    _check_registers(rd, rs1)
    assert 0 <= opcode < 128 and 0 <= funct3 < 8
    return (_signed_field(imm, 12) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode


def s_type(opcode: int, funct3: int, rs1: int, rs2: int, imm: int) -> int:
    _check_registers(rs1, rs2)
    field = _signed_field(imm, 12)
    return ((field >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((field & 0x1F) << 7) | opcode


def b_type(funct3: int, rs1: int, rs2: int, offset: int) -> int:
    """A branch; ``offset`` is even, ``-4096 .. 4094``."""
    _check_registers(rs1, rs2)
    assert offset % 2 == 0
    field = _signed_field(offset, 13)
    return (
        (((field >> 12) & 1) << 31)
        | (((field >> 5) & 0x3F) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (funct3 << 12)
        | (((field >> 1) & 0xF) << 8)
        | (((field >> 11) & 1) << 7)
        | BRANCH
    )


def u_type(opcode: int, rd: int, imm20: int) -> int:
    """A U-type word; ``imm20`` is the 20-bit upper field (``insn[31:12]``)."""
    _check_registers(rd)
    return (_signed_field(imm20, 20) << 12) | (rd << 7) | opcode


def j_type(rd: int, offset: int) -> int:
    """``jal``'s format; ``offset`` is even, ``-2^20 .. 2^20 - 2``."""
    _check_registers(rd)
    assert offset % 2 == 0
    field = _signed_field(offset, 21)
    return (
        (((field >> 20) & 1) << 31)
        | (((field >> 1) & 0x3FF) << 21)
        | (((field >> 11) & 1) << 20)
        | (((field >> 12) & 0xFF) << 12)
        | (rd << 7)
        | JAL
    )


def amo_type(
    funct5: int, funct3: int, rd: int, rs1: int, rs2: int, aq: bool = False, rl: bool = False
) -> int:
    """An A-extension word: ``funct5 [31:27] aq [26] rl [25]`` then the R-type fields."""
    assert 0 <= funct5 < 32
    return r_type(AMO, rd, funct3, rs1, rs2, (funct5 << 2) | (int(aq) << 1) | int(rl))


# -- LUI, AUIPC, jumps -------------------------------------------------------------------------


def lui(rd: int, imm20: int) -> int:
    return u_type(LUI, rd, imm20)


def auipc(rd: int, imm20: int) -> int:
    return u_type(AUIPC, rd, imm20)


def jal(rd: int, offset: int) -> int:
    return j_type(rd, offset)


def jalr(rd: int, rs1: int, offset: int = 0, funct3: int = 0) -> int:
    """``jalr rd, offset(rs1)``; a non-zero ``funct3`` is reserved (the VM ignores it)."""
    return i_type(JALR, rd, funct3, rs1, offset)


def ret() -> int:
    return jalr(ZERO, RA, 0)


# -- branches ----------------------------------------------------------------------------------


def beq(rs1: int, rs2: int, offset: int) -> int:
    return b_type(0, rs1, rs2, offset)


def bne(rs1: int, rs2: int, offset: int) -> int:
    return b_type(1, rs1, rs2, offset)


def blt(rs1: int, rs2: int, offset: int) -> int:
    return b_type(4, rs1, rs2, offset)


def bge(rs1: int, rs2: int, offset: int) -> int:
    return b_type(5, rs1, rs2, offset)


def bltu(rs1: int, rs2: int, offset: int) -> int:
    return b_type(6, rs1, rs2, offset)


def bgeu(rs1: int, rs2: int, offset: int) -> int:
    return b_type(7, rs1, rs2, offset)


# -- loads and stores --------------------------------------------------------------------------


def lb(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 0, rs1, offset)


def lh(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 1, rs1, offset)


def lw(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 2, rs1, offset)


def ld(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 3, rs1, offset)


def lbu(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 4, rs1, offset)


def lhu(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 5, rs1, offset)


def lwu(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD, rd, 6, rs1, offset)


def sb(rs2: int, offset: int, rs1: int) -> int:
    return s_type(STORE, 0, rs1, rs2, offset)


def sh(rs2: int, offset: int, rs1: int) -> int:
    return s_type(STORE, 1, rs1, rs2, offset)


def sw(rs2: int, offset: int, rs1: int) -> int:
    return s_type(STORE, 2, rs1, rs2, offset)


def sd(rs2: int, offset: int, rs1: int) -> int:
    return s_type(STORE, 3, rs1, rs2, offset)


# -- OP-IMM ------------------------------------------------------------------------------------


def addi(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM, rd, 0, rs1, imm)


def slti(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM, rd, 2, rs1, imm)


def sltiu(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM, rd, 3, rs1, imm)


def xori(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM, rd, 4, rs1, imm)


def ori(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM, rd, 6, rs1, imm)


def andi(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM, rd, 7, rs1, imm)


def shift_imm(opcode: int, funct3: int, rd: int, rs1: int, shamt: int, funct6: int) -> int:
    """An immediate shift: ``funct6 [31:26]``, ``shamt [25:20]`` (6 bits; the W forms use 5)."""
    assert 0 <= shamt < 64 and 0 <= funct6 < 64
    return i_type(opcode, rd, funct3, rs1, (funct6 << 6) | shamt)


def slli(rd: int, rs1: int, shamt: int) -> int:
    return shift_imm(OP_IMM, 1, rd, rs1, shamt, 0x00)


def srli(rd: int, rs1: int, shamt: int) -> int:
    return shift_imm(OP_IMM, 5, rd, rs1, shamt, 0x00)


def srai(rd: int, rs1: int, shamt: int) -> int:
    return shift_imm(OP_IMM, 5, rd, rs1, shamt, 0x10)


NOP = 0x0000_0013  # addi x0, x0, 0


def mv(rd: int, rs1: int) -> int:
    return addi(rd, rs1, 0)


def li12(rd: int, imm: int) -> int:
    """``li`` for a 12-bit signed immediate (``addi rd, x0, imm``)."""
    return addi(rd, ZERO, imm)


# -- OP-IMM-32 ---------------------------------------------------------------------------------


def addiw(rd: int, rs1: int, imm: int) -> int:
    return i_type(OP_IMM_32, rd, 0, rs1, imm)


def slliw(rd: int, rs1: int, shamt: int) -> int:
    assert 0 <= shamt < 32
    return shift_imm(OP_IMM_32, 1, rd, rs1, shamt, 0x00)


def srliw(rd: int, rs1: int, shamt: int) -> int:
    assert 0 <= shamt < 32
    return shift_imm(OP_IMM_32, 5, rd, rs1, shamt, 0x00)


def sraiw(rd: int, rs1: int, shamt: int) -> int:
    assert 0 <= shamt < 32
    return shift_imm(OP_IMM_32, 5, rd, rs1, shamt, 0x10)


def sext_w(rd: int, rs1: int) -> int:
    return addiw(rd, rs1, 0)


# -- OP (RV64I and M) --------------------------------------------------------------------------


def _op(funct3: int, funct7: int, rd: int, rs1: int, rs2: int) -> int:
    return r_type(OP, rd, funct3, rs1, rs2, funct7)


def add(rd: int, rs1: int, rs2: int) -> int:
    return _op(0, 0x00, rd, rs1, rs2)


def sub(rd: int, rs1: int, rs2: int) -> int:
    return _op(0, 0x20, rd, rs1, rs2)


def sll(rd: int, rs1: int, rs2: int) -> int:
    return _op(1, 0x00, rd, rs1, rs2)


def slt(rd: int, rs1: int, rs2: int) -> int:
    return _op(2, 0x00, rd, rs1, rs2)


def sltu(rd: int, rs1: int, rs2: int) -> int:
    return _op(3, 0x00, rd, rs1, rs2)


def xor(rd: int, rs1: int, rs2: int) -> int:
    return _op(4, 0x00, rd, rs1, rs2)


def srl(rd: int, rs1: int, rs2: int) -> int:
    return _op(5, 0x00, rd, rs1, rs2)


def sra(rd: int, rs1: int, rs2: int) -> int:
    return _op(5, 0x20, rd, rs1, rs2)


def or_(rd: int, rs1: int, rs2: int) -> int:
    return _op(6, 0x00, rd, rs1, rs2)


def and_(rd: int, rs1: int, rs2: int) -> int:
    return _op(7, 0x00, rd, rs1, rs2)


def mul(rd: int, rs1: int, rs2: int) -> int:
    return _op(0, 0x01, rd, rs1, rs2)


def mulh(rd: int, rs1: int, rs2: int) -> int:
    return _op(1, 0x01, rd, rs1, rs2)


def mulhsu(rd: int, rs1: int, rs2: int) -> int:
    return _op(2, 0x01, rd, rs1, rs2)


def mulhu(rd: int, rs1: int, rs2: int) -> int:
    return _op(3, 0x01, rd, rs1, rs2)


def div(rd: int, rs1: int, rs2: int) -> int:
    return _op(4, 0x01, rd, rs1, rs2)


def divu(rd: int, rs1: int, rs2: int) -> int:
    return _op(5, 0x01, rd, rs1, rs2)


def rem(rd: int, rs1: int, rs2: int) -> int:
    return _op(6, 0x01, rd, rs1, rs2)


def remu(rd: int, rs1: int, rs2: int) -> int:
    return _op(7, 0x01, rd, rs1, rs2)


# -- OP-32 (RV64I and M) -----------------------------------------------------------------------


def _op32(funct3: int, funct7: int, rd: int, rs1: int, rs2: int) -> int:
    return r_type(OP_32, rd, funct3, rs1, rs2, funct7)


def addw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(0, 0x00, rd, rs1, rs2)


def subw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(0, 0x20, rd, rs1, rs2)


def sllw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(1, 0x00, rd, rs1, rs2)


def srlw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(5, 0x00, rd, rs1, rs2)


def sraw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(5, 0x20, rd, rs1, rs2)


def mulw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(0, 0x01, rd, rs1, rs2)


def divw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(4, 0x01, rd, rs1, rs2)


def divuw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(5, 0x01, rd, rs1, rs2)


def remw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(6, 0x01, rd, rs1, rs2)


def remuw(rd: int, rs1: int, rs2: int) -> int:
    return _op32(7, 0x01, rd, rs1, rs2)


# -- A: LR/SC and AMOs (funct3 2 = .w, 3 = .d) -------------------------------------------------

W, D = 2, 3

AMO_ADD = 0x00
AMO_SWAP = 0x01
AMO_LR = 0x02
AMO_SC = 0x03
AMO_XOR = 0x04
AMO_OR = 0x08
AMO_AND = 0x0C
AMO_MIN = 0x10
AMO_MAX = 0x14
AMO_MINU = 0x18
AMO_MAXU = 0x1C


def lr_w(rd: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_LR, W, rd, rs1, 0, aq, rl)


def lr_d(rd: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_LR, D, rd, rs1, 0, aq, rl)


def sc_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_SC, W, rd, rs1, rs2, aq, rl)


def sc_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_SC, D, rd, rs1, rs2, aq, rl)


def amoswap_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_SWAP, W, rd, rs1, rs2, aq, rl)


def amoswap_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_SWAP, D, rd, rs1, rs2, aq, rl)


def amoadd_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_ADD, W, rd, rs1, rs2, aq, rl)


def amoadd_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_ADD, D, rd, rs1, rs2, aq, rl)


def amoxor_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_XOR, W, rd, rs1, rs2, aq, rl)


def amoxor_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_XOR, D, rd, rs1, rs2, aq, rl)


def amoand_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_AND, W, rd, rs1, rs2, aq, rl)


def amoand_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_AND, D, rd, rs1, rs2, aq, rl)


def amoor_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_OR, W, rd, rs1, rs2, aq, rl)


def amoor_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_OR, D, rd, rs1, rs2, aq, rl)


def amomin_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MIN, W, rd, rs1, rs2, aq, rl)


def amomin_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MIN, D, rd, rs1, rs2, aq, rl)


def amomax_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MAX, W, rd, rs1, rs2, aq, rl)


def amomax_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MAX, D, rd, rs1, rs2, aq, rl)


def amominu_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MINU, W, rd, rs1, rs2, aq, rl)


def amominu_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MINU, D, rd, rs1, rs2, aq, rl)


def amomaxu_w(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MAXU, W, rd, rs1, rs2, aq, rl)


def amomaxu_d(rd: int, rs2: int, rs1: int, aq: bool = False, rl: bool = False) -> int:
    return amo_type(AMO_MAXU, D, rd, rs1, rs2, aq, rl)


# -- MISC-MEM ----------------------------------------------------------------------------------


def fence(pred: int = 0b1111, succ: int = 0b1111, fm: int = 0) -> int:
    """``fence pred, succ`` (``iorw`` bits); ``fm = 0b1000`` with ``rw, rw`` is ``fence.tso``."""
    assert 0 <= pred < 16 and 0 <= succ < 16 and 0 <= fm < 16
    return i_type(MISC_MEM, 0, 0, 0, (fm << 8) | (pred << 4) | succ)


FENCE_TSO = fence(0b0011, 0b0011, fm=0b1000)
PAUSE = fence(0b0001, 0b0000)


def fence_i() -> int:
    return i_type(MISC_MEM, 0, 1, 0, 0)


# -- SYSTEM ------------------------------------------------------------------------------------

ECALL = 0x0000_0073
EBREAK = 0x0010_0073
MRET = 0x3020_0073
SRET = 0x1020_0073
WFI = 0x1050_0073


def ecall() -> int:
    return ECALL


def ebreak() -> int:
    return EBREAK


CSR_CYCLE = 0xC00
CSR_TIME = 0xC01
CSR_INSTRET = 0xC02
CSR_MHARTID = 0xF14


def _csr(funct3: int, rd: int, csr: int, rs1_or_uimm: int) -> int:
    assert 0 <= csr < 4096
    return i_type(SYSTEM, rd, funct3, rs1_or_uimm, csr)


def csrrw(rd: int, csr: int, rs1: int) -> int:
    return _csr(1, rd, csr, rs1)


def csrrs(rd: int, csr: int, rs1: int) -> int:
    return _csr(2, rd, csr, rs1)


def csrrc(rd: int, csr: int, rs1: int) -> int:
    return _csr(3, rd, csr, rs1)


def csrrwi(rd: int, csr: int, uimm: int) -> int:
    return _csr(5, rd, csr, uimm)


def csrrsi(rd: int, csr: int, uimm: int) -> int:
    return _csr(6, rd, csr, uimm)


def csrrci(rd: int, csr: int, uimm: int) -> int:
    return _csr(7, rd, csr, uimm)


def csrr(rd: int, csr: int) -> int:
    return csrrs(rd, csr, ZERO)


def rdcycle(rd: int) -> int:
    return csrr(rd, CSR_CYCLE)


def rdtime(rd: int) -> int:
    return csrr(rd, CSR_TIME)


def rdinstret(rd: int) -> int:
    return csrr(rd, CSR_INSTRET)


# -- floating point (only as encodings: the VM executes them as no-ops) ------------------------


def fld(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD_FP, rd, 3, rs1, offset)


def flw(rd: int, offset: int, rs1: int) -> int:
    return i_type(LOAD_FP, rd, 2, rs1, offset)


def fsd(rs2: int, offset: int, rs1: int) -> int:
    return s_type(STORE_FP, 3, rs1, rs2, offset)


def fsw(rs2: int, offset: int, rs1: int) -> int:
    return s_type(STORE_FP, 2, rs1, rs2, offset)


def fadd_d(rd: int, rs1: int, rs2: int, rm: int = 7) -> int:
    return r_type(OP_FP, rd, rm, rs1, rs2, 0x01)


def fmv_x_d(rd: int, rs1: int) -> int:
    """``fmv.x.d``: on hardware it writes integer ``rd``; here it is a no-op."""
    return r_type(OP_FP, rd, 0, rs1, 0, 0x71)


def fcvt_l_d(rd: int, rs1: int, rm: int = 1) -> int:
    return r_type(OP_FP, rd, rm, rs1, 2, 0x61)


def feq_d(rd: int, rs1: int, rs2: int) -> int:
    return r_type(OP_FP, rd, 2, rs1, rs2, 0x51)


def fclass_d(rd: int, rs1: int) -> int:
    return r_type(OP_FP, rd, 1, rs1, 0, 0x71)


def fmadd_d(rd: int, rs1: int, rs2: int, rs3: int, rm: int = 7) -> int:
    """An R4-type fused multiply-add (opcode 0x43): reverts in the VM."""
    _check_registers(rd, rs1, rs2, rs3)
    return (rs3 << 27) | (0b01 << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | MADD
