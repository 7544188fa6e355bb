"""The MIPS32 state transition, written once (spec: mips32.md §5–§7).

This is the reference: the stateless verifier runs it over memory proofs, and the stateful VM runs
it over its full memory whenever a step needs a witness. The function order mirrors the onchain
verifier (step → syscall / ll-sc / jump / branch / ALU / hi-lo) so the three implementations can be
compared side by side.

Memory and the outside world are reached through two small protocols: ``StepMemory`` (one aligned
word per access, tagged with the proof that authorises it) and ``StepIO`` (preimage parts and the
offchain-only effects of writes to stdout, stderr and the hint channel).
"""

from __future__ import annotations

from typing import Protocol

from faultproof.errors import (
    BranchInDelaySlot,
    DivisionByZero,
    InvalidExitedValue,
    InvalidInstruction,
    JumpInDelaySlot,
)
from faultproof.ints import MASK32, be32, sign_extend, to_signed32, u32, u64
from faultproof.vm.mips32.state import REG_A0, REG_A1, REG_A2, REG_A3, REG_RA, REG_V0, MipsState

INSTRUCTION_PROOF = 0
DATA_PROOF = 1

# Syscall numbers (§6.2), O32 ABI.
SYS_MMAP = 4090
SYS_BRK = 4045
SYS_CLONE = 4120
SYS_EXIT_GROUP = 4246
SYS_READ = 4003
SYS_WRITE = 4004
SYS_FCNTL = 4055

# File descriptors (§6.4).
FD_STDIN = 0
FD_STDOUT = 1
FD_STDERR = 2
FD_HINT_READ = 3
FD_HINT_WRITE = 4
FD_PREIMAGE_READ = 5
FD_PREIMAGE_WRITE = 6

EBADF = 0x9
EINVAL = 0x16
SYSCALL_ERROR = 0xFFFF_FFFF

BRK_START = 0x4000_0000
HEAP_END = 0x6000_0000
PAGE_MASK = 0xFFF


class StepMemory(Protocol):
    """Aligned word access, each access naming the proof (0 = instruction, 1 = data) it uses."""

    def read_word(self, address: int, proof_index: int) -> int: ...

    def write_word(self, address: int, value: int, proof_index: int) -> None: ...


class StepIO(Protocol):
    """What a step needs beyond the witness and memory."""

    def preimage_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        """The 32-byte part of the (un-localized) key's stream at ``offset`` and its length."""
        ...

    def output(self, fd: int, address: int, count: int) -> None:
        """A write to stdout, stderr or the hint channel: no state change, offchain effects only."""
        ...


# -- decoding helpers (§7.1) --------------------------------------------------------------------


def opcode(insn: int) -> int:
    return insn >> 26


def funct(insn: int) -> int:
    return insn & 0x3F


def rs_field(insn: int) -> int:
    return (insn >> 21) & 0x1F


def rt_field(insn: int) -> int:
    return (insn >> 16) & 0x1F


def rd_field(insn: int) -> int:
    return (insn >> 11) & 0x1F


def shamt_field(insn: int) -> int:
    return (insn >> 6) & 0x1F


# -- program counter primitives (§5) ------------------------------------------------------------


def advance_pc(state: MipsState) -> None:
    """Move to the next instruction, taking a pending transfer held in ``next_pc``."""
    state.pc = state.next_pc
    state.next_pc = u32(state.next_pc + 4)


def in_delay_slot(state: MipsState) -> bool:
    """A control transfer is pending exactly when ``next_pc`` is not ``pc + 4`` (quirk §7.6)."""
    return state.next_pc != u32(state.pc + 4)


def jump(state: MipsState, link_register: int, destination: int) -> None:
    """JUMP(link, dest): transfer after the delay slot, optionally linking ``pc + 8``."""
    if in_delay_slot(state):
        raise JumpInDelaySlot("jump in delay slot")
    previous_pc = state.pc
    state.pc = state.next_pc
    state.next_pc = destination
    if link_register != 0:
        state.registers[link_register] = u32(previous_pc + 8)


def set_register(state: MipsState, register: int, value: int) -> None:
    """Write a register; writes to ``$zero`` are dropped (its stored value is still read)."""
    if register != 0:
        state.registers[register] = value


# -- step (§5) ----------------------------------------------------------------------------------


def step(state: MipsState, memory: StepMemory, io: StepIO) -> None:
    """Execute one instruction in place, or raise ``StepFailure`` leaving the outcome undefined."""
    if state.exited > 1:
        raise InvalidExitedValue("exited byte must be 0 or 1")
    if state.exited == 1:
        return
    state.step = u64(state.step + 1)

    insn = memory.read_word(state.pc, INSTRUCTION_PROOF)
    op = opcode(insn)
    fn = funct(insn)

    if op == 0 and fn == 0x0C:
        execute_syscall(state, memory, io)
        return
    if op in (0x30, 0x38):
        execute_load_linked_store_conditional(state, memory, insn, op)
        return
    if op in (0x02, 0x03):
        target = (state.next_pc & 0xF000_0000) | ((insn & 0x03FF_FFFF) << 2)
        jump(state, REG_RA if op == 0x03 else 0, target)
        return

    # OPERANDS (step 8)
    registers = state.registers
    rs = registers[rs_field(insn)]
    rt_register = rt_field(insn)
    destination = rt_register
    if op in (0x00, 0x1C):
        rt = registers[rt_register]
        destination = rd_field(insn)
    elif op < 0x20:
        rt = insn & 0xFFFF if op in (0x0C, 0x0D, 0x0E) else sign_extend(insn, 16)
    elif op >= 0x28 or op in (0x22, 0x26):
        rt = registers[rt_register]
    else:
        rt = 0

    if op == 0x01 or 0x04 <= op <= 0x07:
        execute_branch(state, insn, op, rs)
        return

    # MEMORY (step 10)
    store_address: int | None = None
    mem = 0
    if op >= 0x20:
        rs = rs + sign_extend(insn, 16)
        address = rs & 0xFFFF_FFFC
        mem = memory.read_word(address, DATA_PROOF)
        if op >= 0x28:
            store_address = address
            destination = 0

    # OPERATION (step 11)
    value = execute_alu(insn, op, fn, rs, rt, mem)

    if op == 0 and 0x08 <= fn <= 0x1B:
        if fn == 0x08:
            jump(state, 0, rs)
            return
        if fn == 0x09:
            jump(state, destination, rs)
            return
        if fn == 0x0A:
            if rt == 0:
                set_register(state, destination, rs)
            advance_pc(state)
            return
        if fn == 0x0B:
            if rt != 0:
                set_register(state, destination, rs)
            advance_pc(state)
            return
        if fn >= 0x10:
            execute_hilo(state, fn, rs, rt, destination)
            return

    # WRITE BACK (steps 13–15)
    if store_address is not None:
        memory.write_word(store_address, value, DATA_PROOF)
    set_register(state, destination, value)
    advance_pc(state)


# -- ALU (§7.2–7.4) -----------------------------------------------------------------------------

# Immediate ALU opcodes compute exactly the SPECIAL function they name (§7.3).
IMMEDIATE_AS_SPECIAL = {0x08: 0x20, 0x09: 0x21, 0x0A: 0x2A, 0x0B: 0x2B, 0x0C: 0x24, 0x0D: 0x25, 0x0E: 0x26}

# SPECIAL functions whose ALU value is ``rs``: their real effect is applied after the ALU (step 12).
PASS_THROUGH_FUNCTIONS = frozenset(
    {0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x18, 0x19, 0x1A, 0x1B}
)


def execute_alu(insn: int, op: int, fn: int, rs: int, rt: int, mem: int) -> int:
    """The value an instruction computes; FAILs on every encoding the spec leaves undefined."""
    if op == 0 or 0x08 <= op < 0x0F:
        return execute_special(insn, IMMEDIATE_AS_SPECIAL.get(op, fn), rs, rt)
    if op == 0x1C:
        return execute_special2(fn, rs, rt)
    if op == 0x0F:
        return u32(rt << 16)
    if op >= 0x20:
        return execute_load_store(op, rs, rt, mem)
    raise InvalidInstruction("invalid instruction")


def execute_special(insn: int, fn: int, rs: int, rt: int) -> int:
    """SPECIAL (``op = 0``) arithmetic, logic and shifts, also used by the immediate forms."""
    if fn == 0x00:
        return u32(rt << shamt_field(insn))
    if fn == 0x02:
        return rt >> shamt_field(insn)
    if fn == 0x03:
        return u32(to_signed32(rt) >> shamt_field(insn))
    if fn == 0x04:
        return u32(rt << (rs & 0x1F))
    if fn == 0x06:
        return rt >> (rs & 0x1F)
    if fn == 0x07:
        return u32(to_signed32(rt) >> (rs & 0x1F))
    if fn in PASS_THROUGH_FUNCTIONS:
        return rs
    if fn in (0x20, 0x21):
        return u32(rs + rt)
    if fn in (0x22, 0x23):
        return u32(rs - rt)
    if fn == 0x24:
        return rs & rt
    if fn == 0x25:
        return rs | rt
    if fn == 0x26:
        return rs ^ rt
    if fn == 0x27:
        return u32(~(rs | rt))
    if fn == 0x2A:
        return 1 if to_signed32(rs) < to_signed32(rt) else 0
    if fn == 0x2B:
        return 1 if rs < rt else 0
    raise InvalidInstruction("invalid instruction")


def count_leading_zeros(value: int) -> int:
    """Leading zero bits of a 32-bit value (32 for zero)."""
    return 32 - value.bit_length()


def execute_special2(fn: int, rs: int, rt: int) -> int:
    """SPECIAL2 (``op = 0x1C``): ``mul``, ``clz``, ``clo``."""
    if fn == 0x02:
        return u32(to_signed32(rs) * to_signed32(rt))
    if fn == 0x20:
        return count_leading_zeros(rs)
    if fn == 0x21:
        return count_leading_zeros(~rs & MASK32)
    raise InvalidInstruction("invalid instruction")


def execute_load_store(op: int, ea: int, rt: int, mem: int) -> int:
    """Loads give the register value, stores the new memory word (§7.4). ``ea`` is unmasked."""
    byte_shift = (ea & 3) * 8
    halfword_shift = 16 - (ea & 2) * 8
    if op == 0x20:
        return sign_extend(mem >> (24 - byte_shift), 8)
    if op == 0x21:
        return sign_extend(mem >> halfword_shift, 16)
    if op == 0x22:
        return (rt & ~u32(MASK32 << byte_shift) & MASK32) | u32(mem << byte_shift)
    if op == 0x23:
        return mem
    if op == 0x24:
        return (mem >> (24 - byte_shift)) & 0xFF
    if op == 0x25:
        return (mem >> halfword_shift) & 0xFFFF
    if op == 0x26:
        shift = 24 - byte_shift
        return (rt & ~(MASK32 >> shift) & MASK32) | (mem >> shift)
    if op == 0x28:
        shift = 24 - byte_shift
        return (mem & ~(0xFF << shift) & MASK32) | ((rt & 0xFF) << shift)
    if op == 0x29:
        return (mem & ~(0xFFFF << halfword_shift) & MASK32) | ((rt & 0xFFFF) << halfword_shift)
    if op == 0x2A:
        return (mem & ~(MASK32 >> byte_shift) & MASK32) | (rt >> byte_shift)
    if op == 0x2B:
        return rt
    if op == 0x2E:
        shift = 24 - byte_shift
        return (mem & ~u32(MASK32 << shift) & MASK32) | u32(rt << shift)
    raise InvalidInstruction("invalid instruction")


# -- HI/LO (§7.5) -------------------------------------------------------------------------------


def execute_hilo(state: MipsState, fn: int, rs: int, rt: int, destination: int) -> None:
    """``mfhi``…``divu``: update hi/lo; every function but the two moves-from clears ``rd``."""
    value = 0
    if fn == 0x10:
        value = state.hi
    elif fn == 0x11:
        state.hi = rs
    elif fn == 0x12:
        value = state.lo
    elif fn == 0x13:
        state.lo = rs
    elif fn == 0x18:
        product = to_signed32(rs) * to_signed32(rt)
        state.hi = u32(product >> 32)
        state.lo = u32(product)
    elif fn == 0x19:
        product = rs * rt
        state.hi = u32(product >> 32)
        state.lo = u32(product)
    elif fn == 0x1A:
        if rt == 0:
            raise DivisionByZero("MIPS: division by zero")
        dividend, divisor = to_signed32(rs), to_signed32(rt)
        quotient = abs(dividend) // abs(divisor)
        if (dividend < 0) != (divisor < 0):
            quotient = -quotient
        state.lo = u32(quotient)
        state.hi = u32(dividend - quotient * divisor)
    elif fn == 0x1B:
        if rt == 0:
            raise DivisionByZero("MIPS: division by zero")
        state.lo = rs // rt
        state.hi = rs % rt
    set_register(state, destination, value)
    advance_pc(state)


# -- branches (§7.6) ----------------------------------------------------------------------------


def branch_taken(state: MipsState, insn: int, op: int, rs: int) -> bool:
    """The branch condition; REGIMM encodings other than bltz/bgez/bgezal are never taken."""
    if op == 0x04:
        return rs == state.registers[rt_field(insn)]
    if op == 0x05:
        return rs != state.registers[rt_field(insn)]
    if op == 0x06:
        return to_signed32(rs) <= 0
    if op == 0x07:
        return to_signed32(rs) > 0
    regimm = rt_field(insn)
    if regimm == 0x00:
        return to_signed32(rs) < 0
    if regimm in (0x01, 0x11):
        return to_signed32(rs) >= 0
    return False


def execute_branch(state: MipsState, insn: int, op: int, rs: int) -> None:
    """Conditional branch: the delay slot at ``pc + 4`` runs next, then the target if taken."""
    if in_delay_slot(state):
        raise BranchInDelaySlot("branch in delay slot")
    taken = branch_taken(state, insn, op, rs)
    if op == 0x01 and rt_field(insn) == 0x11:
        state.registers[REG_RA] = u32(state.pc + 8)
    previous_pc = state.pc
    state.pc = state.next_pc
    if taken:
        state.next_pc = u32(previous_pc + 4 + (sign_extend(insn, 16) << 2))
    else:
        state.next_pc = u32(state.next_pc + 4)


# -- ll / sc (§7.7) -----------------------------------------------------------------------------


def execute_load_linked_store_conditional(state: MipsState, memory: StepMemory, insn: int, op: int) -> None:
    """Single-threaded ``ll``/``sc``: no reservation, ``sc`` always stores and reports success."""
    rt_register = rt_field(insn)
    address = u32(state.registers[rs_field(insn)] + sign_extend(insn, 16)) & 0xFFFF_FFFC
    mem = memory.read_word(address, DATA_PROOF)
    if op == 0x30:
        value = mem
    else:
        memory.write_word(address, state.registers[rt_register], DATA_PROOF)
        value = 1
    set_register(state, rt_register, value)
    advance_pc(state)


# -- syscalls (§6) ------------------------------------------------------------------------------


def execute_syscall(state: MipsState, memory: StepMemory, io: StepIO) -> None:
    """Dispatch on ``$v0``; results go to ``$v0``/``$a3``; unknown numbers succeed as no-ops."""
    registers = state.registers
    number = registers[REG_V0]
    a0, a1, a2 = registers[REG_A0], registers[REG_A1], registers[REG_A2]
    v0, v1 = 0, 0

    if number == SYS_MMAP:
        v0, v1 = sys_mmap(state, a0, a1)
    elif number == SYS_BRK:
        v0 = BRK_START
    elif number == SYS_CLONE:
        v0 = 1
    elif number == SYS_EXIT_GROUP:
        state.exited = 1
        state.exit_code = a0 & 0xFF
        return
    elif number == SYS_READ:
        v0, v1 = sys_read(state, memory, io, a0, a1, a2)
    elif number == SYS_WRITE:
        v0, v1 = sys_write(state, memory, io, a0, a1, a2)
    elif number == SYS_FCNTL:
        v0, v1 = sys_fcntl(a0, a1)

    registers[REG_V0] = v0
    registers[REG_A3] = v1
    advance_pc(state)


def sys_mmap(state: MipsState, address: int, length: int) -> tuple[int, int]:
    """Bump allocation from ``heap`` for ``address == 0``; a hinted address is returned as is."""
    size = length
    if size & PAGE_MASK:
        size = u32(size + (0x1000 - (size & PAGE_MASK)))
    if address != 0:
        return address, 0
    new_heap = u32(state.heap + size)
    if new_heap > HEAP_END or new_heap < state.heap or size < length:
        return SYSCALL_ERROR, EINVAL
    result = state.heap
    state.heap = new_heap
    return result, 0


def sys_read(
    state: MipsState, memory: StepMemory, io: StepIO, fd: int, buffer: int, count: int
) -> tuple[int, int]:
    """``read``: EOF on stdin, acks on the hint channel, preimage bytes on fd 5."""
    if fd == FD_STDIN:
        return 0, 0
    if fd == FD_HINT_READ:
        return count, 0
    if fd == FD_PREIMAGE_READ:
        return read_preimage(state, memory, io, buffer, count), 0
    return SYSCALL_ERROR, EBADF


def read_preimage(state: MipsState, memory: StepMemory, io: StepIO, buffer: int, count: int) -> int:
    """Copy up to 4 bytes of the preimage stream into the word at ``buffer`` (§6.5)."""
    word_address = buffer & 0xFFFF_FFFC
    alignment = buffer & 3
    mem = memory.read_word(word_address, DATA_PROOF)
    part, part_length = io.preimage_part(state.preimage_key, state.preimage_offset)
    length = min(part_length, 4 - alignment, count)
    word = bytearray(be32(mem))
    word[alignment : alignment + length] = part[:length]
    memory.write_word(word_address, int.from_bytes(word, "big"), DATA_PROOF)
    state.preimage_offset = u32(state.preimage_offset + length)
    return length


def sys_write(
    state: MipsState, memory: StepMemory, io: StepIO, fd: int, buffer: int, count: int
) -> tuple[int, int]:
    """``write``: output fds succeed without state change; fd 6 appends to the preimage key."""
    if fd in (FD_STDOUT, FD_STDERR, FD_HINT_WRITE):
        io.output(fd, buffer, count)
        return count, 0
    if fd == FD_PREIMAGE_WRITE:
        return write_preimage_key(state, memory, buffer, count), 0
    return SYSCALL_ERROR, EBADF


def write_preimage_key(state: MipsState, memory: StepMemory, buffer: int, count: int) -> int:
    """Shift up to 4 bytes from the word at ``buffer`` into the key and restart the stream (§6.6)."""
    word_address = buffer & 0xFFFF_FFFC
    alignment = buffer & 3
    mem = memory.read_word(word_address, DATA_PROOF)
    length = min(count, 4 - alignment)
    state.preimage_key = (state.preimage_key + be32(mem)[alignment : alignment + length])[-32:]
    state.preimage_offset = 0
    return length


def sys_fcntl(fd: int, command: int) -> tuple[int, int]:
    """``fcntl``: F_GETFD and F_GETFL for the seven guest descriptors."""
    if command == 1:
        return (0, 0) if fd <= 6 else (SYSCALL_ERROR, EBADF)
    if command == 3:
        if fd in (FD_STDIN, FD_HINT_READ, FD_PREIMAGE_READ):
            return 0, 0
        if fd in (FD_STDOUT, FD_STDERR, FD_HINT_WRITE, FD_PREIMAGE_WRITE):
            return 1, 0
        return SYSCALL_ERROR, EBADF
    return SYSCALL_ERROR, EINVAL
