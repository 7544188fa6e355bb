"""The RV64 state transition, written once (spec: riscv64.md §3.5, §5–§8).

This is the reference: the stateless verifier runs it over memory proofs, and the stateful VM runs
it over its full memory whenever a step needs a witness. It follows the spec's order of checks
exactly, because the order decides which revert code a bad step produces.

Memory is reached through ``StepMemory``, one 32-byte leaf at a time, each access naming the proof
slot that authorises it (§3.4): slot 0 for the instruction fetch, slot 1 for the first leaf of a
data access, slot 2 for its second leaf when the access straddles two. The outside world is
reached through ``StepIO``: preimage parts and the offchain-only effects of writes to stdout,
stderr and the hint channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from faultproof.errors import (
    InvalidInstruction,
    MisalignedAddress,
    StepFailure,
    UnsupportedSyscall,
)
from faultproof.ints import MASK32, MASK64, sign_extend64, to_signed64, u64
from faultproof.memory import LEAF_SIZE
from faultproof.vm.riscv64.state import (
    REG_A0,
    REG_A1,
    REG_A2,
    REG_A3,
    REG_A4,
    REG_A7,
    RiscvState,
)

INSTRUCTION_SLOT = 0
DATA_SLOT = 1
DATA_RIGHT_SLOT = 2

LEAF_MASK = LEAF_SIZE - 1
KEY_BITS = 256

# Revert codes (Appendix A).
ERR_UNKNOWN_OPCODE = 0xF001C0DE
ERR_RESERVED_ENCODING = 0xBADC0DE
ERR_NOT_ALIGNED = 0xBAD10AD0
ERR_FETCH_CROSSES_LEAF = 0xBAD22220
ERR_STORE_TOO_WIDE = 0xBAD512E8
ERR_AMO_WIDTH = 0xBADA70
ERR_UNKNOWN_AMO = 0xF001A70
ERR_UNSUPPORTED_SYSCALL = 0xF001CA11
ERR_UNKNOWN_RESOURCE = 0xF0012

# Major opcodes (§6.1).
OP_LOAD = 0x03
OP_LOAD_FP = 0x07
OP_MISC_MEM = 0x0F
OP_IMM = 0x13
OP_AUIPC = 0x17
OP_IMM_32 = 0x1B
OP_STORE = 0x23
OP_STORE_FP = 0x27
OP_AMO = 0x2F
OP_OP = 0x33
OP_LUI = 0x37
OP_OP_32 = 0x3B
OP_FP = 0x53
OP_BRANCH = 0x63
OP_JALR = 0x67
OP_JAL = 0x6F
OP_SYSTEM = 0x73
NO_OP_OPCODES = frozenset({OP_MISC_MEM, OP_LOAD_FP, OP_STORE_FP, OP_FP})

FUNCT7_M = 0x01
FUNCT7_ALT = 0x20  # sub, sra and their W forms
SHIFT_ARITHMETIC_IMM = 0x10  # insn[31:26] of srai

# Syscall numbers (§7.2).
SYS_EXIT = 93
SYS_EXIT_GROUP = 94
SYS_BRK = 214
SYS_MMAP = 222
SYS_READ = 63
SYS_WRITE = 64
SYS_FCNTL = 25
SYS_OPENAT = 56
SYS_CLOCK_GETTIME = 113
SYS_CLONE = 220
SYS_GETRLIMIT = 163
REVERTING_SYSCALLS = frozenset({261, 422, 101})  # prlimit64, "futex" (futex_time64), nanosleep

# File descriptors (§8.1).
FD_STDIN = 0
FD_STDOUT = 1
FD_STDERR = 2
FD_HINT_READ = 3
FD_HINT_WRITE = 4
FD_PREIMAGE_READ = 5
FD_PREIMAGE_WRITE = 6

EBADF = 0x4D
EINVAL = 0x16
EACCES = 0xD
ERROR_RESULT = MASK64  # -1

BRK_ADDRESS = 0x4000_0000
MAP_ANONYMOUS = 0x20
PAGE_SIZE = 0x1000
F_GETFD = 1
F_GETFL = 3
# F_GETFL answers per descriptor: read-only (0) or write-only (1) (§7.4).
FD_ACCESS_FLAGS = {0: 0, 1: 1, 2: 1, 3: 0, 4: 1, 5: 0, 6: 1}
RLIMIT_NOFILE = 7
NOFILE_LIMIT = 1024
FIXED_TIME_SECONDS = 1337
FIXED_TIME_NANOSECONDS = 42


class StepMemory(Protocol):
    """Leaf access through numbered proof slots (VERIFY and REROOT of §3.3)."""

    def load_leaf(self, address: int, slot: int) -> bytes:
        """The 32-byte leaf at ``address`` (32-byte aligned), proven by ``slot`` against the current root."""
        ...

    def store_leaf(self, address: int, leaf: bytes, slot: int) -> None:
        """Replace that leaf; ``slot`` was loaded earlier in the step, so it is not re-verified."""
        ...


class StepIO(Protocol):
    """What a step needs beyond the witness and memory."""

    def preimage_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        """The 32-byte part of the (un-localized) key's stream at ``offset`` and its length."""
        ...

    def output(self, fd: int, address: int, count: int) -> None:
        """A write to stdout, stderr or the hint channel: no state change, offchain effects only."""
        ...


# -- instruction fields and immediates (§5) -----------------------------------------------------


def opcode(insn: int) -> int:
    return insn & 0x7F


def rd_field(insn: int) -> int:
    return (insn >> 7) & 0x1F


def funct3(insn: int) -> int:
    return (insn >> 12) & 0x7


def rs1_field(insn: int) -> int:
    return (insn >> 15) & 0x1F


def rs2_field(insn: int) -> int:
    return (insn >> 20) & 0x1F


def funct7(insn: int) -> int:
    return insn >> 25


def imm_i(insn: int) -> int:
    return sign_extend64(insn >> 20, 12)


def imm_s(insn: int) -> int:
    return sign_extend64(((insn >> 25) << 5) | ((insn >> 7) & 0x1F), 12)


def imm_b(insn: int) -> int:
    raw = (
        ((insn >> 31) << 12)
        | (((insn >> 7) & 1) << 11)
        | (((insn >> 25) & 0x3F) << 5)
        | (((insn >> 8) & 0xF) << 1)
    )
    return sign_extend64(raw, 13)


def imm_u(insn: int) -> int:
    return sign_extend64(insn & 0xFFFF_F000, 32)


def imm_j(insn: int) -> int:
    raw = (
        ((insn >> 31) << 20)
        | (((insn >> 12) & 0xFF) << 12)
        | (((insn >> 20) & 1) << 11)
        | (((insn >> 21) & 0x3FF) << 1)
    )
    return sign_extend64(raw, 21)


def sext32(value: int) -> int:
    """``sext(value & 0xFFFF_FFFF, 31)``: the W-instructions' result widening."""
    return sign_extend64(value, 32)


def set_register(state: RiscvState, register: int, value: int) -> None:
    """Write a register; writes to ``x0`` are dropped (its stored value is still read, §2.1)."""
    if register != 0:
        state.registers[register] = value


# -- signed arithmetic (truncating, as RISC-V and unlike Python's floor) -------------------------


def truncating_div(dividend: int, divisor: int) -> int:
    """Signed quotient rounded toward zero; ``divisor`` is not 0."""
    quotient = abs(dividend) // abs(divisor)
    return quotient if (dividend < 0) == (divisor < 0) else -quotient


def truncating_rem(dividend: int, divisor: int) -> int:
    """Signed remainder with the sign of the dividend; ``divisor`` is not 0."""
    return dividend - divisor * truncating_div(dividend, divisor)


# -- memory access (§3.5) -----------------------------------------------------------------------


def leaf_address(address: int) -> int:
    return address & ~LEAF_MASK & MASK64


def load_bytes(memory: StepMemory, address: int, size: int) -> bytes:
    """LOAD's bytes: slot 1 for the first leaf, slot 2 for the second if the access straddles."""
    left = leaf_address(address)
    right = leaf_address(address + size - 1)
    offset = address & LEAF_MASK
    data = memory.load_leaf(left, DATA_SLOT)[offset : offset + size]
    if right != left:
        data += memory.load_leaf(right, DATA_RIGHT_SLOT)[: size - len(data)]
    return data


def load(memory: StepMemory, address: int, size: int, signed: bool) -> int:
    """LOAD(a, size, signed): a little-endian integer of 1–8 bytes, sign-extended if asked."""
    value = int.from_bytes(load_bytes(memory, address, size), "little")
    return sign_extend64(value, 8 * size) if signed else value


def store_bytes(memory: StepMemory, address: int, data: bytes) -> None:
    """STORE's leaf updates: the first leaf, then the second against the intermediate root."""
    left = leaf_address(address)
    right = leaf_address(address + len(data) - 1)
    offset = address & LEAF_MASK
    leaf = bytearray(memory.load_leaf(left, DATA_SLOT))
    in_left = min(len(data), LEAF_SIZE - offset)
    leaf[offset : offset + in_left] = data[:in_left]
    memory.store_leaf(left, bytes(leaf), DATA_SLOT)
    if right != left:
        leaf = bytearray(memory.load_leaf(right, DATA_RIGHT_SLOT))
        leaf[: len(data) - in_left] = data[in_left:]
        memory.store_leaf(right, bytes(leaf), DATA_RIGHT_SLOT)


def store(memory: StepMemory, address: int, size: int, value: int) -> None:
    """STORE(a, size, value) for the STORE opcode: the low ``size`` bytes, little-endian."""
    store_bytes(memory, address, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


def fetch(state: RiscvState, memory: StepMemory) -> int:
    """The instruction at ``pc``, from slot 0 alone; a fetch may not cross a leaf (§3.4)."""
    pc = state.pc
    leaf = memory.load_leaf(leaf_address(pc), INSTRUCTION_SLOT)
    offset = pc & LEAF_MASK
    if offset > LEAF_SIZE - 4:
        raise MisalignedAddress(f"instruction fetch at 0x{pc:x} crosses a leaf", ERR_FETCH_CROSSES_LEAF)
    return int.from_bytes(leaf[offset : offset + 4], "little")


# -- step (§5) ----------------------------------------------------------------------------------


def step(state: RiscvState, memory: StepMemory, io: StepIO) -> None:
    """Execute one instruction in place, or raise ``StepFailure`` leaving the outcome undefined."""
    if state.exited != 0:
        return
    state.step = u64(state.step + 1)
    insn = fetch(state, memory)
    handler = HANDLERS.get(opcode(insn))
    if handler is None:
        raise InvalidInstruction(f"unknown opcode 0x{opcode(insn):02x}", ERR_UNKNOWN_OPCODE)
    handler(state, memory, io, insn)


def reserved(insn: int) -> StepFailure:
    return InvalidInstruction(f"reserved encoding 0x{insn:08x}", ERR_RESERVED_ENCODING)


def advance(state: RiscvState) -> None:
    state.pc = u64(state.pc + 4)


def jump_to(state: RiscvState, target: int) -> None:
    """Set a new pc, which must be 4-byte aligned: there is no C extension (§6.8)."""
    if target & 3:
        raise MisalignedAddress(f"jump target 0x{target:x} is not 4-byte aligned", ERR_NOT_ALIGNED)
    state.pc = target


# -- loads and stores (§6.2, §6.3) --------------------------------------------------------------


def execute_load(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    width = funct3(insn)
    if width == 7:
        raise reserved(insn)
    address = u64(state.registers[rs1_field(insn)] + imm_i(insn))
    value = load(memory, address, 1 << (width & 3), signed=(width & 4) == 0)
    set_register(state, rd_field(insn), value)
    advance(state)


def execute_store(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    size = 1 << funct3(insn)
    if size > 8:
        raise InvalidInstruction(f"store of {size} bytes", ERR_STORE_TOO_WIDE)
    value = state.registers[rs2_field(insn)]
    address = u64(state.registers[rs1_field(insn)] + imm_s(insn))
    store(memory, address, size, value)
    advance(state)


# -- integer computation (§6.4–§6.7) ------------------------------------------------------------


def execute_op_imm(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    a = state.registers[rs1_field(insn)]
    imm = imm_i(insn)
    shift = imm & 0x3F
    value: int
    match funct3(insn):
        case 0:
            value = u64(a + imm)
        case 1:
            value = u64(a << shift)
        case 2:
            value = int(to_signed64(a) < to_signed64(imm))
        case 3:
            value = int(a < imm)
        case 4:
            value = a ^ imm
        case 5:
            kind = insn >> 26
            if kind not in (0, SHIFT_ARITHMETIC_IMM):
                raise reserved(insn)
            value = shift_right(a, shift, arithmetic=kind == SHIFT_ARITHMETIC_IMM)
        case 6:
            value = a | imm
        case _:
            value = a & imm
    set_register(state, rd_field(insn), value)
    advance(state)


def shift_right(value: int, shift: int, arithmetic: bool) -> int:
    """``srl`` or ``sra`` of a 64-bit value; Python's ``>>`` alone would be arithmetic for both."""
    return u64(to_signed64(value) >> shift) if arithmetic else value >> shift


def execute_op_imm_32(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    a = state.registers[rs1_field(insn)]
    imm = imm_i(insn)
    shift = imm & 0x1F
    match funct3(insn):
        case 0:
            value = sext32(a + imm)
        case 1:
            if (insn >> 25) & 1:
                raise reserved(insn)
            value = sext32(a << shift)
        case 5:
            if (insn >> 25) & 1:
                raise reserved(insn)
            value = shift_right_word(a, shift, funct7(insn), insn)
        case _:
            raise reserved(insn)
    set_register(state, rd_field(insn), value)
    advance(state)


def shift_right_word(value: int, shift: int, kind: int, insn: int) -> int:
    """``srlw``/``sraw`` of the low word: ``kind`` (funct7) 0 is logical, 0x20 arithmetic."""
    word = value & MASK32
    if kind == 0:
        return sext32(word >> shift)
    if kind == FUNCT7_ALT:
        return sign_extend64(word >> shift, 32 - shift)
    raise reserved(insn)


def execute_op(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    a = state.registers[rs1_field(insn)]
    b = state.registers[rs2_field(insn)]
    kind = funct7(insn)
    value: int
    if kind == FUNCT7_M:
        value = multiply_divide(a, b, funct3(insn))
    else:
        shift = b & 0x3F
        match funct3(insn):
            case 0:
                if kind == 0:
                    value = u64(a + b)
                elif kind == FUNCT7_ALT:
                    value = u64(a - b)
                else:
                    raise reserved(insn)
            case 1:
                value = u64(a << shift)
            case 2:
                value = int(to_signed64(a) < to_signed64(b))
            case 3:
                value = int(a < b)
            case 4:
                value = a ^ b
            case 5:
                if kind not in (0, FUNCT7_ALT):
                    raise reserved(insn)
                value = shift_right(a, shift, arithmetic=kind == FUNCT7_ALT)
            case 6:
                value = a | b
            case _:
                value = a & b
    set_register(state, rd_field(insn), value)
    advance(state)


def multiply_divide(a: int, b: int, operation: int) -> int:
    """The M extension on 64-bit operands (§6.6), with RISC-V's division-by-zero and overflow results."""
    sa, sb = to_signed64(a), to_signed64(b)
    match operation:
        case 0:
            return u64(a * b)
        case 1:
            return u64((sa * sb) >> 64)
        case 2:
            return u64((sa * b) >> 64)
        case 3:
            return (a * b) >> 64
        case 4:
            return MASK64 if b == 0 else u64(truncating_div(sa, sb))
        case 5:
            return MASK64 if b == 0 else a // b
        case 6:
            return a if b == 0 else u64(truncating_rem(sa, sb))
        case _:
            return a if b == 0 else a % b


def execute_op_32(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    a = state.registers[rs1_field(insn)]
    b = state.registers[rs2_field(insn)] & MASK32  # only the low word of rs2, even in zero tests
    kind = funct7(insn)
    operation = funct3(insn)
    if kind == FUNCT7_M:
        value = multiply_divide_word(a, b, operation, insn)
    else:
        match operation:
            case 0:
                if kind == 0:
                    value = sext32(a + b)
                elif kind == FUNCT7_ALT:
                    value = sext32(a - b)
                else:
                    raise reserved(insn)
            case 1:
                value = sext32(a << (b & 0x1F))
            case 5:
                value = shift_right_word(a, b & 0x1F, kind, insn)
            case _:
                raise reserved(insn)
    set_register(state, rd_field(insn), value)
    advance(state)


def multiply_divide_word(a: int, b: int, operation: int, insn: int) -> int:
    """The M extension's W forms (§6.7); ``b`` is already the low word of rs2."""
    word = a & MASK32
    sa, sb = to_signed64(sext32(a)), to_signed64(sext32(b))
    match operation:
        case 0:
            return sext32(word * b)
        case 4:
            return MASK64 if b == 0 else sext32(truncating_div(sa, sb))
        case 5:
            return MASK64 if b == 0 else sext32(word // b)
        case 6:
            return sext32(a) if b == 0 else sext32(truncating_rem(sa, sb))
        case 7:
            return sext32(a) if b == 0 else sext32(word % b)
        case _:
            raise reserved(insn)


# -- upper immediates, jumps and branches (§6.8) ------------------------------------------------


def execute_lui(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    set_register(state, rd_field(insn), imm_u(insn))
    advance(state)


def execute_auipc(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    set_register(state, rd_field(insn), u64(state.pc + imm_u(insn)))
    advance(state)


def execute_jal(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    link = u64(state.pc + 4)
    jump_to(state, u64(state.pc + imm_j(insn)))
    set_register(state, rd_field(insn), link)


def execute_jalr(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    link = u64(state.pc + 4)
    jump_to(state, u64(state.registers[rs1_field(insn)] + imm_i(insn)) & ~1)
    set_register(state, rd_field(insn), link)


def branch_taken(condition: int, a: int, b: int) -> bool:
    """Whether a branch with this ``funct3`` is taken; 2 and 3 never are (§6.11)."""
    match condition:
        case 0:
            return a == b
        case 1:
            return a != b
        case 4:
            return to_signed64(a) < to_signed64(b)
        case 5:
            return to_signed64(a) >= to_signed64(b)
        case 6:
            return a < b
        case 7:
            return a >= b
        case _:
            return False


def execute_branch(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    a = state.registers[rs1_field(insn)]
    b = state.registers[rs2_field(insn)]
    offset = imm_b(insn) if branch_taken(funct3(insn), a, b) else 4
    jump_to(state, u64(state.pc + offset))


# -- atomics (§6.9) -----------------------------------------------------------------------------

AMO_LR = 0b00010
AMO_SC = 0b00011


def amo_result(operation: int, old: int, operand: int) -> int | None:
    """The value an AMO writes back, on 64-bit (sign-extended) values; None for an unknown op."""
    match operation:
        case 0x00:
            return u64(old + operand)
        case 0x01:
            return operand
        case 0x04:
            return old ^ operand
        case 0x08:
            return old | operand
        case 0x0C:
            return old & operand
        case 0x10:
            return min(old, operand, key=to_signed64)
        case 0x14:
            return max(old, operand, key=to_signed64)
        case 0x18:
            return min(old, operand)
        case 0x1C:
            return max(old, operand)
    return None


def execute_amo(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    size = 1 << funct3(insn)
    if size not in (4, 8):
        raise InvalidInstruction(f"atomic of {size} bytes", ERR_AMO_WIDTH)
    address = state.registers[rs1_field(insn)]
    if address % size:
        raise MisalignedAddress(f"atomic at 0x{address:x} is not {size}-byte aligned", ERR_NOT_ALIGNED)
    operation = insn >> 27
    rd = rd_field(insn)
    if operation == AMO_LR:
        set_register(state, rd, load(memory, address, size, signed=True))
        state.load_reservation = address
    elif operation == AMO_SC:
        if address == state.load_reservation:
            store(memory, address, size, state.registers[rs2_field(insn)])
            set_register(state, rd, 0)
        else:
            set_register(state, rd, 1)
        state.load_reservation = 0
    else:
        operand = state.registers[rs2_field(insn)]
        if size == 4:
            operand = sext32(operand)
        old = load(memory, address, size, signed=True)
        new = amo_result(operation, old, operand)
        if new is None:
            raise InvalidInstruction(f"unknown atomic operation 0x{operation:02x}", ERR_UNKNOWN_AMO)
        store(memory, address, size, new)
        set_register(state, rd, old)
    advance(state)


# -- SYSTEM and the no-op groups (§6.1, §6.10) --------------------------------------------------


def execute_system(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    if funct3(insn) != 0:
        set_register(state, rd_field(insn), 0)  # a CSR access: no CSR exists, every one reads 0
    elif insn >> 20 == 0:
        execute_syscall(state, memory, io)
    advance(state)


def execute_no_op(state: RiscvState, memory: StepMemory, io: StepIO, insn: int) -> None:
    advance(state)


# -- syscalls (§7, §8) --------------------------------------------------------------------------


def syscall_result(state: RiscvState, value: int, error: int = 0) -> None:
    """Linux returns ``-errno`` in a0; this VM returns the value in a0 and the error code in a1."""
    set_register(state, REG_A0, value)
    set_register(state, REG_A1, error)


def execute_syscall(state: RiscvState, memory: StepMemory, io: StepIO) -> None:
    registers = state.registers
    number = registers[REG_A7]
    a0, a1 = registers[REG_A0], registers[REG_A1]
    if number in (SYS_EXIT, SYS_EXIT_GROUP):
        state.exit_code = a0 & 0xFF
        state.exited = 1
    elif number == SYS_BRK:
        syscall_result(state, BRK_ADDRESS)
    elif number == SYS_MMAP:
        execute_mmap(state)
    elif number == SYS_READ:
        execute_read(state, memory, io, a0, a1, registers[REG_A2])
    elif number == SYS_WRITE:
        execute_write(state, memory, io, a0, a1, registers[REG_A2])
    elif number == SYS_FCNTL:
        execute_fcntl(state, a0, a1)
    elif number == SYS_OPENAT:
        syscall_result(state, ERROR_RESULT, EACCES)
    elif number == SYS_CLOCK_GETTIME:
        store_bytes(memory, a1, le_pair(FIXED_TIME_SECONDS, FIXED_TIME_NANOSECONDS))
        syscall_result(state, 0)
    elif number == SYS_CLONE:
        syscall_result(state, 1)
    elif number == SYS_GETRLIMIT:
        if a0 != RLIMIT_NOFILE:
            raise UnsupportedSyscall(f"getrlimit of resource {a0}", ERR_UNKNOWN_RESOURCE)
        store_bytes(memory, a1, le_pair(NOFILE_LIMIT, NOFILE_LIMIT))
        syscall_result(state, 0)
    elif number in REVERTING_SYSCALLS:
        raise UnsupportedSyscall(f"syscall {number} is not supported", ERR_UNSUPPORTED_SYSCALL)
    else:
        syscall_result(state, 0)  # every other call succeeds without doing anything


def le_pair(first: int, second: int) -> bytes:
    """Two 64-bit little-endian words: a ``timespec`` or an ``rlimit``."""
    return first.to_bytes(8, "little") + second.to_bytes(8, "little")


def execute_mmap(state: RiscvState) -> None:
    """Anonymous memory only; without a hint it comes from the heap, rounded up to pages (§7.3)."""
    registers = state.registers
    hint, length, flags, fd = registers[REG_A0], registers[REG_A1], registers[REG_A3], registers[REG_A4]
    if flags & MAP_ANONYMOUS == 0 or fd != MASK64:
        syscall_result(state, ERROR_RESULT, EBADF)
    elif hint == 0:
        if length & (PAGE_SIZE - 1):
            length = u64(length + PAGE_SIZE - (length & (PAGE_SIZE - 1)))
        address = state.heap
        state.heap = u64(state.heap + length)
        syscall_result(state, address)
    else:
        syscall_result(state, hint)


def execute_read(state: RiscvState, memory: StepMemory, io: StepIO, fd: int, buffer: int, count: int) -> None:
    if fd == FD_STDIN:
        syscall_result(state, 0)
    elif fd == FD_HINT_READ:
        syscall_result(state, count)  # the acknowledgement is not written to memory
    elif fd == FD_PREIMAGE_READ:
        syscall_result(state, read_preimage(state, memory, io, buffer, count))
    else:
        syscall_result(state, ERROR_RESULT, EBADF)


def execute_write(
    state: RiscvState, memory: StepMemory, io: StepIO, fd: int, buffer: int, count: int
) -> None:
    if fd in (FD_STDOUT, FD_STDERR, FD_HINT_WRITE):
        io.output(fd, buffer, count)
        syscall_result(state, count)
    elif fd == FD_PREIMAGE_WRITE:
        syscall_result(state, write_preimage_key(state, memory, buffer, count))
    else:
        syscall_result(state, ERROR_RESULT, EBADF)


def execute_fcntl(state: RiscvState, fd: int, command: int) -> None:
    """Only F_GETFD and F_GETFL, and only for the seven descriptors of §8.1 (§7.4)."""
    if command not in (F_GETFD, F_GETFL):
        syscall_result(state, ERROR_RESULT, EINVAL)
    elif fd not in FD_ACCESS_FLAGS:
        syscall_result(state, ERROR_RESULT, EBADF)
    else:
        syscall_result(state, 0 if command == F_GETFD else FD_ACCESS_FLAGS[fd])


def write_preimage_key(state: RiscvState, memory: StepMemory, buffer: int, count: int) -> int:
    """Shift up to one leaf's worth of bytes into the 32-byte key register (§8.2)."""
    offset = buffer & LEAF_MASK
    written = min(count, LEAF_SIZE - offset)
    leaf = memory.load_leaf(leaf_address(buffer), DATA_SLOT)
    key = int.from_bytes(state.preimage_key, "big") << (8 * written)
    key |= int.from_bytes(leaf[offset : offset + written], "big")
    state.preimage_key = (key & ((1 << KEY_BITS) - 1)).to_bytes(32, "big")
    state.preimage_offset = 0
    return written


def read_preimage(state: RiscvState, memory: StepMemory, io: StepIO, buffer: int, count: int) -> int:
    """Copy at most one part, and never past the buffer's leaf, into memory (§8.3)."""
    part, part_length = io.preimage_part(state.preimage_key, state.preimage_offset)
    if part_length == 0:
        return 0
    offset = buffer & LEAF_MASK
    copied = min(count, LEAF_SIZE - offset, part_length)
    address = leaf_address(buffer)
    leaf = bytearray(memory.load_leaf(address, DATA_SLOT))
    leaf[offset : offset + copied] = part[:copied]
    memory.store_leaf(address, bytes(leaf), DATA_SLOT)
    state.preimage_offset = u64(state.preimage_offset + copied)
    return copied


Handler = Callable[[RiscvState, StepMemory, StepIO, int], None]

HANDLERS: dict[int, Handler] = {
    OP_LOAD: execute_load,
    OP_STORE: execute_store,
    OP_IMM: execute_op_imm,
    OP_IMM_32: execute_op_imm_32,
    OP_OP: execute_op,
    OP_OP_32: execute_op_32,
    OP_LUI: execute_lui,
    OP_AUIPC: execute_auipc,
    OP_JAL: execute_jal,
    OP_JALR: execute_jalr,
    OP_BRANCH: execute_branch,
    OP_AMO: execute_amo,
    OP_SYSTEM: execute_system,
    **dict.fromkeys(NO_OP_OPCODES, execute_no_op),
}
"""Every major opcode the VM handles; any other reverts ``0xf001c0de`` (§6.1)."""
