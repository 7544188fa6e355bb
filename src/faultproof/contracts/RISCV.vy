# pragma version ~=0.4.3
"""
@title RISCV
@notice The onchain RV64 step verifier (spec: riscv64.md), byte-compatible with Asterisc v1.3.0's
        RISCV.sol: `step(bytes,bytes,bytes32)` (selector 0xe14ced32) re-executes one instruction
        from a 362-byte pre-state witness and its memory proofs, reads at most one preimage part
        from the PreimageOracle, emits the post-state witness with LOG0 and returns the post-state
        hash with its status byte. Reverts carry the spec's 32-byte codes (Appendix A); malformed
        calldata reverts with empty data (§4.2).
@dev    The functions follow faultproof/vm/riscv64/step.py (the reference transition) and
        verifier.py (the stateless verifier) name by name and in the same order, so a failing
        differential test points at the same place in both.

        `step` is the fallback function. §4.2 fixes the calldata layout and accepts proofs of any
        multiple of 1920 bytes, read at absolute offsets even past the declared length (zero past
        the end of calldata); Vyper's ABI decoder would copy and bound the `bytes` arguments
        instead, so the contract reads msg.data itself, and the ABI that Vyper emits lists only
        `oracle()` and `version()`.

        Every value is a uint256 holding a 64-bit RISC-V value: arithmetic is `unsafe_*` (the
        EVM's wrapping operations) followed by `& M64`, signed comparisons flip the sign bit,
        signed division reinterprets sign-extended values as int256 (SDIV, SMOD truncate toward
        zero as RISC-V does).

        Gas (execution gas of a step, measured by benchmarks/step_gas.py):
        ALU 16,600, load 24,500, store 30,200, branch 16,800, syscall 18,000 (44,200 for a
        16-byte store across two leaves), preimage read 40,800 (medians over the Go examples).
        A memory proof folds 59 levels (about 6,700 gas; VERIFY and REROOT of a store run side by
        side, about 8,500 for both); the LOG0 of the witness costs 3,271.
        Deploy with CompilerSettings(optimize="codesize", experimental_codegen=True): Venom, 10.6 KB
        of code (optimize "gas": 10.8 KB, the same gas within 0.1%).
        What was measured on the way (execution gas, same steps):
        - legacy codegen: 19.5 KB of code and 55-70% more gas; optimize "codesize": within 0.1%;
        - memory proof fold: a loop 12,400 gas per proof, fully unrolled 6,000 but 16 KB more
          memory (every `concat` gets its own buffer), one call per level 7,900, branch-free
          select 6,700, groups of 3-8 levels per call 6,700-7,200 with 4 the best; reading
          siblings with extract32 instead of an array: 2,000 more;
        - VERIFY and REROOT as two folds: stores 1,600 more, straddling stores 4,000 more; an AMO
          verifies its slot once (its store's VERIFY is the load's);
        - handlers that take and return the whole state struct: 47 KB of memory (every call site
          reserves the struct twice), about 4,700 gas more per step than returning what changed.
"""

import PreimageKeyLib

M32: constant(uint256) = 2**32 - 1
M64: constant(uint256) = 2**64 - 1
SIGN64: constant(uint256) = 2**63
MAX_WORD: constant(uint256) = max_value(uint256)
ONE: constant(uint256) = 1  # typed: a bare `1 << n` is an int256

# -- calldata layout (§4.2) ---------------------------------------------------------------------
STEP_SELECTOR: constant(uint256) = 3779915058  # 0xe14ced32
STATE_OFFSET_WORD: constant(uint256) = 96  # head word of _stateData
PROOF_OFFSET_WORD: constant(uint256) = 512  # head word of _proof
STATE_LENGTH_AT: constant(uint256) = 100
STATE_DATA_START: constant(uint256) = 132
WITNESS_SIZE: constant(uint256) = 362
PROOF_LENGTH_AT: constant(uint256) = 516
PROOF_DATA_START: constant(uint256) = 548
LOCAL_CONTEXT_AT: constant(uint256) = 68
MEMORY_PROOF_SIZE: constant(uint256) = 1920  # the leaf and 59 siblings (§3.3)

# -- witness fields, as calldata offsets (§2.1) -------------------------------------------------
MEM_ROOT_AT: constant(uint256) = STATE_DATA_START
PREIMAGE_KEY_AT: constant(uint256) = STATE_DATA_START + 32
PREIMAGE_OFFSET_AT: constant(uint256) = STATE_DATA_START + 64  # then pc, exitCode, exited, step
HEAP_AT: constant(uint256) = STATE_DATA_START + 90  # then loadReservation
REGISTERS_AT: constant(uint256) = STATE_DATA_START + 106
REGISTERS_SIZE: constant(uint256) = 256

# -- proof slots (§3.4) and memory (§3.1) -------------------------------------------------------
INSTRUCTION_SLOT: constant(uint256) = 0
DATA_SLOT: constant(uint256) = 1
DATA_RIGHT_SLOT: constant(uint256) = 2
LEAF_SIZE: constant(uint256) = 32
LEAF_ADDRESS_MASK: constant(uint256) = M64 ^ 31

# -- revert codes (Appendix A) ------------------------------------------------------------------
ERR_UNKNOWN_OPCODE: constant(uint256) = 4026646750  # 0xf001c0de
ERR_RESERVED_ENCODING: constant(uint256) = 195936478  # 0x0badc0de
ERR_NOT_ALIGNED: constant(uint256) = 3134261968  # 0xbad10ad0
ERR_FETCH_CROSSES_LEAF: constant(uint256) = 3134333472  # 0xbad22220
ERR_STORE_TOO_WIDE: constant(uint256) = 3134526184  # 0xbad512e8
ERR_AMO_WIDTH: constant(uint256) = 12245616  # 0xbada70
ERR_UNKNOWN_AMO: constant(uint256) = 251665008  # 0x0f001a70
ERR_UNSUPPORTED_SYSCALL: constant(uint256) = 4026649105  # 0xf001ca11
ERR_UNKNOWN_RESOURCE: constant(uint256) = 983058  # 0x0f0012
ERR_PREIMAGE_READ: constant(uint256) = 3135176912  # 0xbadf00d0
ERR_MEMORY_PROOF: constant(uint256) = 3135176913  # 0xbadf00d1

# -- major opcodes (§6.1) -----------------------------------------------------------------------
OP_LOAD: constant(uint256) = 3  # 0x03
OP_LOAD_FP: constant(uint256) = 7  # 0x07
OP_MISC_MEM: constant(uint256) = 15  # 0x0F
OP_IMM: constant(uint256) = 19  # 0x13
OP_AUIPC: constant(uint256) = 23  # 0x17
OP_IMM_32: constant(uint256) = 27  # 0x1B
OP_STORE: constant(uint256) = 35  # 0x23
OP_STORE_FP: constant(uint256) = 39  # 0x27
OP_AMO: constant(uint256) = 47  # 0x2F
OP_OP: constant(uint256) = 51  # 0x33
OP_LUI: constant(uint256) = 55  # 0x37
OP_OP_32: constant(uint256) = 59  # 0x3B
OP_FP: constant(uint256) = 83  # 0x53
OP_BRANCH: constant(uint256) = 99  # 0x63
OP_JALR: constant(uint256) = 103  # 0x67
OP_JAL: constant(uint256) = 111  # 0x6F
OP_SYSTEM: constant(uint256) = 115  # 0x73

FUNCT7_M: constant(uint256) = 1  # 0x01
FUNCT7_ALT: constant(uint256) = 32  # sub, sra and their W forms
SHIFT_ARITHMETIC_IMM: constant(uint256) = 16  # insn[31:26] of srai

AMO_LR: constant(uint256) = 2  # 0x02
AMO_SC: constant(uint256) = 3  # 0x03

# -- syscalls (§7.2) ----------------------------------------------------------------------------
SYS_EXIT: constant(uint256) = 93
SYS_EXIT_GROUP: constant(uint256) = 94
SYS_BRK: constant(uint256) = 214
SYS_MMAP: constant(uint256) = 222
SYS_READ: constant(uint256) = 63
SYS_WRITE: constant(uint256) = 64
SYS_FCNTL: constant(uint256) = 25
SYS_OPENAT: constant(uint256) = 56
SYS_CLOCK_GETTIME: constant(uint256) = 113
SYS_CLONE: constant(uint256) = 220
SYS_GETRLIMIT: constant(uint256) = 163
SYS_PRLIMIT64: constant(uint256) = 261
SYS_FUTEX_TIME64: constant(uint256) = 422  # labelled "futex" upstream
SYS_NANOSLEEP: constant(uint256) = 101

# -- file descriptors (§8.1) --------------------------------------------------------------------
FD_STDIN: constant(uint256) = 0
FD_STDOUT: constant(uint256) = 1
FD_STDERR: constant(uint256) = 2
FD_HINT_READ: constant(uint256) = 3
FD_HINT_WRITE: constant(uint256) = 4
FD_PREIMAGE_READ: constant(uint256) = 5
FD_PREIMAGE_WRITE: constant(uint256) = 6

REG_A0: constant(uint256) = 10
REG_A1: constant(uint256) = 11
REG_A2: constant(uint256) = 12
REG_A3: constant(uint256) = 13
REG_A4: constant(uint256) = 14
REG_A7: constant(uint256) = 17

EBADF: constant(uint256) = 77  # 0x4d
EINVAL: constant(uint256) = 22  # 0x16
EACCES: constant(uint256) = 13  # 0x0d
ERROR_RESULT: constant(uint256) = M64  # -1

BRK_ADDRESS: constant(uint256) = 1073741824  # 0x40000000
MAP_ANONYMOUS: constant(uint256) = 32  # 0x20
PAGE_MASK: constant(uint256) = 4095  # 0x0FFF
PAGE_SIZE: constant(uint256) = 4096  # 0x1000
F_GETFD: constant(uint256) = 1
F_GETFL: constant(uint256) = 3
RLIMIT_NOFILE: constant(uint256) = 7
# LE8(1337) ‖ LE8(42) and LE8(1024) ‖ LE8(1024), as the top 16 bytes of a word (§7.2).
CLOCK_TIMESPEC: constant(uint256) = (14597 << 240) | (42 << 184)  # 14597 = 0x3905
NOFILE_RLIMIT: constant(uint256) = (1024 << 232) | (1024 << 168)
TIMESPEC_SIZE: constant(uint256) = 16

LOCAL_KEY_TYPE: constant(uint256) = 1


# Every witness field but the registers, which stay in calldata: a step reads only pre-step
# register values and writes at most one register (`rd`), or a0 and a1 together (a syscall).
struct State:
    mem_root: bytes32
    preimage_key: bytes32
    preimage_offset: uint256
    pc: uint256
    exit_code: uint256
    exited: uint256
    step: uint256
    heap: uint256
    load_reservation: uint256
    rd: uint256  # the register written, 0 for none (writes to x0 are dropped)
    rd_value: uint256
    syscall_result: bool  # a0 = rd_value and a1 = a1_value instead
    a1_value: uint256


ORACLE: immutable(address)
VERSION: constant(String[10]) = "1.2.0-rc.1"


@deploy
def __init__(_oracle: address):
    ORACLE = _oracle


@view
@external
def oracle() -> address:
    """@notice The PreimageOracle that `read(5, ...)` reads its parts from."""
    return ORACLE


@pure
@external
def version() -> String[10]:
    """@notice The upstream RISCV.sol version this contract is compatible with."""
    return VERSION


# -- step (§5) ----------------------------------------------------------------------------------


@external
def __default__() -> bytes32:
    """
    @notice `step(bytes _stateData, bytes _proof, bytes32 _localContext) -> bytes32`: execute one
            instruction; returns the post-state hash and logs the post-state witness.
    @dev    The handlers return what they change (the rd value, a new pc or memory root) rather
            than a whole state: each call site of a struct-valued function reserves memory for
            it, and memory is paid for by size.
    """
    self._check_calldata()
    state: State = self._decode_witness()
    if state.exited == 0:
        state.step = unsafe_add(state.step, 1) & M64
        insn: uint256 = self._fetch(state.mem_root, state.pc)
        opcode: uint256 = insn & 127
        rd: uint256 = self._rd(insn)
        next_pc: uint256 = self._advance(state.pc)
        if opcode == OP_IMM:
            state.rd_value = self._execute_op_imm(insn)
        elif opcode == OP_LOAD:
            state.rd_value = self._execute_load(state.mem_root, insn)
        elif opcode == OP_STORE:
            state.mem_root = self._execute_store(state.mem_root, insn)
            rd = 0
        elif opcode == OP_BRANCH:
            next_pc = self._execute_branch(state.pc, insn)
            rd = 0
        elif opcode == OP_OP:
            state.rd_value = self._execute_op(insn)
        elif opcode == OP_JAL:
            state.rd_value = next_pc
            next_pc = self._jump_target(unsafe_add(state.pc, self._imm_j(insn)) & M64)
        elif opcode == OP_JALR:
            state.rd_value = next_pc
            next_pc = self._jump_target(self._execute_jalr(insn))
        elif opcode == OP_AUIPC:
            state.rd_value = unsafe_add(state.pc, self._imm_u(insn)) & M64
        elif opcode == OP_LUI:
            state.rd_value = self._imm_u(insn)
        elif opcode == OP_IMM_32:
            state.rd_value = self._execute_op_imm_32(insn)
        elif opcode == OP_OP_32:
            state.rd_value = self._execute_op_32(insn)
        elif opcode == OP_SYSTEM:
            # funct3 != 0: a CSR access, and no CSR exists: every one reads 0 (§6.10)
            if self._funct3(insn) == 0:
                rd = 0
                if insn >> 20 == 0:
                    state = self._execute_syscall(state)
        elif opcode == OP_AMO:
            root: bytes32 = empty(bytes32)
            old: uint256 = 0
            reservation: uint256 = 0
            root, old, reservation = self._execute_amo(state.mem_root, state.load_reservation, insn)
            state.mem_root = root
            state.rd_value = old
            state.load_reservation = reservation
        elif opcode == OP_MISC_MEM or opcode == OP_LOAD_FP or opcode == OP_STORE_FP or opcode == OP_FP:
            rd = 0
        else:
            self._revert(ERR_UNKNOWN_OPCODE)
        state.rd = rd
        state.pc = next_pc
    return self._output(state)


# -- calldata and the witness (§2, §4) ----------------------------------------------------------


@view
@internal
def _check_calldata():
    """The canonical layout of §4.2; anything else fails with empty revert data."""
    assert len(msg.data) >= PROOF_DATA_START
    assert convert(slice(msg.data, 0, 4), uint256) == STEP_SELECTOR
    assert self._word(4) == STATE_OFFSET_WORD
    assert self._word(36) == PROOF_OFFSET_WORD
    assert self._word(STATE_LENGTH_AT) == WITNESS_SIZE
    proof_length: uint256 = self._word(PROOF_LENGTH_AT)
    assert proof_length <= len(msg.data) - PROOF_DATA_START
    assert proof_length % MEMORY_PROOF_SIZE == 0


@view
@internal
def _word(offset: uint256) -> uint256:
    """The calldata word at `offset` (inside calldata)."""
    return convert(slice(msg.data, offset, 32), uint256)


@view
@internal
def _decode_witness() -> State:
    """The pre-state's fields, from the witness in calldata (§2.1)."""
    # preimageOffset, pc, exitCode, exited, step and the first 6 bytes of heap in one word; heap
    # and loadReservation in the next.
    fields: uint256 = self._word(PREIMAGE_OFFSET_AT)
    tail: uint256 = self._word(HEAP_AT)
    return State(
        mem_root=convert(self._word(MEM_ROOT_AT), bytes32),
        preimage_key=convert(self._word(PREIMAGE_KEY_AT), bytes32),
        preimage_offset=fields >> 192,
        pc=(fields >> 128) & M64,
        exit_code=(fields >> 120) & 255,
        exited=(fields >> 112) & 255,
        step=(fields >> 48) & M64,
        heap=tail >> 192,
        load_reservation=(tail >> 128) & M64,
        rd=0,
        rd_value=0,
        syscall_result=False,
        a1_value=0,
    )


@view
@internal
def _register(index: uint256) -> uint256:
    """x[index] of the pre-state; x0 reads its stored value (§2.1)."""
    return self._word(REGISTERS_AT + index * 8) >> 192


@internal
def _output(state: State) -> bytes32:
    """Log the post-state witness (LOG0) and return its hash with the status byte (§2.2, §4.3)."""
    registers: Bytes[REGISTERS_SIZE] = slice(msg.data, REGISTERS_AT, REGISTERS_SIZE)
    written: Bytes[2 * REGISTERS_SIZE + 8] = registers
    if state.syscall_result:
        written = concat(
            slice(registers, 0, REG_A0 * 8),
            self._be8(state.rd_value),
            self._be8(state.a1_value),
            slice(registers, REG_A1 * 8 + 8, REGISTERS_SIZE - REG_A1 * 8 - 8),
        )
    elif state.rd != 0:
        at: uint256 = state.rd * 8
        written = concat(
            slice(registers, 0, at), self._be8(state.rd_value), slice(registers, at + 8, REGISTERS_SIZE - 8 - at)
        )
    witness: Bytes[2 * REGISTERS_SIZE + 114] = concat(
        state.mem_root,
        state.preimage_key,
        self._be8(state.preimage_offset),
        self._be8(state.pc),
        convert(convert(state.exit_code, uint8), bytes1),
        convert(convert(state.exited, uint8), bytes1),
        self._be8(state.step),
        self._be8(state.heap),
        self._be8(state.load_reservation),
        written,
    )
    raw_log([], witness)
    status: uint256 = 3
    if state.exited == 1:
        status = min(state.exit_code, 2)
    digest: uint256 = convert(keccak256(witness), uint256)
    return convert((status << 248) | (digest & (2**248 - 1)), bytes32)


@pure
@internal
def _be8(val: uint256) -> bytes8:
    return convert(convert(val, uint64), bytes8)


@pure
@internal
def _revert(code: uint256):
    """REVERT(code): the code as 32-byte big-endian revert data (Appendix A)."""
    raw_revert(abi_encode(code))


# -- memory proofs (§3.3) -----------------------------------------------------------------------


@view
@internal
def _proof_word(slot: uint256, index: uint256) -> bytes32:
    """Word `index` of proof slot `slot`: the calldata word at its absolute offset, whatever the
    declared proof length; bytes past the end of calldata read as zero (§4.2)."""
    offset: uint256 = PROOF_DATA_START + slot * MEMORY_PROOF_SIZE + index * 32
    size: uint256 = len(msg.data)
    if offset + 32 <= size:
        return convert(slice(msg.data, offset, 32), bytes32)
    if offset >= size:
        return empty(bytes32)
    # The last calldata word, shifted so that byte `offset` comes first.
    return convert(self._word(size - 32) << ((offset + 32 - size) * 8), bytes32)


@view
@internal
def _root_from_proof(slot: uint256, addr: uint256, leaf: bytes32) -> bytes32:
    """Fold the siblings of proof slot `slot` over `leaf` at `addr` (bottom up): the root the
    proof commits to (§3.3)."""
    start: uint256 = PROOF_DATA_START + slot * MEMORY_PROOF_SIZE
    if start + MEMORY_PROOF_SIZE > len(msg.data):
        return self._root_from_short_proof(slot, addr, leaf)
    p: bytes32[60] = abi_decode(slice(msg.data, start, MEMORY_PROOF_SIZE), bytes32[60])
    node: bytes32 = leaf
    # Unrolled, four levels to a call: a loop costs about 100 gas more per level, and fully
    # unrolled code 16 KB more memory (Vyper gives every `concat` its own buffer).
    node = self._fold_levels(node, p[1], p[2], p[3], p[4], addr >> 5)
    node = self._fold_levels(node, p[5], p[6], p[7], p[8], addr >> 9)
    node = self._fold_levels(node, p[9], p[10], p[11], p[12], addr >> 13)
    node = self._fold_levels(node, p[13], p[14], p[15], p[16], addr >> 17)
    node = self._fold_levels(node, p[17], p[18], p[19], p[20], addr >> 21)
    node = self._fold_levels(node, p[21], p[22], p[23], p[24], addr >> 25)
    node = self._fold_levels(node, p[25], p[26], p[27], p[28], addr >> 29)
    node = self._fold_levels(node, p[29], p[30], p[31], p[32], addr >> 33)
    node = self._fold_levels(node, p[33], p[34], p[35], p[36], addr >> 37)
    node = self._fold_levels(node, p[37], p[38], p[39], p[40], addr >> 41)
    node = self._fold_levels(node, p[41], p[42], p[43], p[44], addr >> 45)
    node = self._fold_levels(node, p[45], p[46], p[47], p[48], addr >> 49)
    node = self._fold_levels(node, p[49], p[50], p[51], p[52], addr >> 53)
    node = self._fold_levels(node, p[53], p[54], p[55], p[56], addr >> 57)
    node = self._fold_levels_3(node, p[57], p[58], p[59], addr >> 61)
    return node


@pure
@internal
def _fold_levels(node: bytes32, s0: bytes32, s1: bytes32, s2: bytes32, s3: bytes32, path: uint256) -> bytes32:
    """4 levels of a fold: sibling `s{k}` is on the right if bit k of `path` is 0."""
    n: bytes32 = node
    if path & 1 == 0:
        n = keccak256(concat(n, s0))
    else:
        n = keccak256(concat(s0, n))
    if path & 2 == 0:
        n = keccak256(concat(n, s1))
    else:
        n = keccak256(concat(s1, n))
    if path & 4 == 0:
        n = keccak256(concat(n, s2))
    else:
        n = keccak256(concat(s2, n))
    if path & 8 == 0:
        n = keccak256(concat(n, s3))
    else:
        n = keccak256(concat(s3, n))
    return n


@pure
@internal
def _fold_levels_3(node: bytes32, s0: bytes32, s1: bytes32, s2: bytes32, path: uint256) -> bytes32:
    """3 levels of a fold: sibling `s{k}` is on the right if bit k of `path` is 0."""
    n: bytes32 = node
    if path & 1 == 0:
        n = keccak256(concat(n, s0))
    else:
        n = keccak256(concat(s0, n))
    if path & 2 == 0:
        n = keccak256(concat(n, s1))
    else:
        n = keccak256(concat(s1, n))
    if path & 4 == 0:
        n = keccak256(concat(n, s2))
    else:
        n = keccak256(concat(s2, n))
    return n


@pure
@internal
def _fold_pair_levels(old: bytes32, new: bytes32, s0: bytes32, s1: bytes32, s2: bytes32, s3: bytes32, s4: bytes32, path: uint256) -> (bytes32, bytes32):
    """5 levels of two folds over the same siblings (VERIFY and REROOT at once)."""
    o: bytes32 = old
    n: bytes32 = new
    if path & 1 == 0:
        o = keccak256(concat(o, s0))
        n = keccak256(concat(n, s0))
    else:
        o = keccak256(concat(s0, o))
        n = keccak256(concat(s0, n))
    if path & 2 == 0:
        o = keccak256(concat(o, s1))
        n = keccak256(concat(n, s1))
    else:
        o = keccak256(concat(s1, o))
        n = keccak256(concat(s1, n))
    if path & 4 == 0:
        o = keccak256(concat(o, s2))
        n = keccak256(concat(n, s2))
    else:
        o = keccak256(concat(s2, o))
        n = keccak256(concat(s2, n))
    if path & 8 == 0:
        o = keccak256(concat(o, s3))
        n = keccak256(concat(n, s3))
    else:
        o = keccak256(concat(s3, o))
        n = keccak256(concat(s3, n))
    if path & 16 == 0:
        o = keccak256(concat(o, s4))
        n = keccak256(concat(n, s4))
    else:
        o = keccak256(concat(s4, o))
        n = keccak256(concat(s4, n))
    return o, n


@pure
@internal
def _fold_pair_levels_4(old: bytes32, new: bytes32, s0: bytes32, s1: bytes32, s2: bytes32, s3: bytes32, path: uint256) -> (bytes32, bytes32):
    """4 levels of two folds over the same siblings (VERIFY and REROOT at once)."""
    o: bytes32 = old
    n: bytes32 = new
    if path & 1 == 0:
        o = keccak256(concat(o, s0))
        n = keccak256(concat(n, s0))
    else:
        o = keccak256(concat(s0, o))
        n = keccak256(concat(s0, n))
    if path & 2 == 0:
        o = keccak256(concat(o, s1))
        n = keccak256(concat(n, s1))
    else:
        o = keccak256(concat(s1, o))
        n = keccak256(concat(s1, n))
    if path & 4 == 0:
        o = keccak256(concat(o, s2))
        n = keccak256(concat(n, s2))
    else:
        o = keccak256(concat(s2, o))
        n = keccak256(concat(s2, n))
    if path & 8 == 0:
        o = keccak256(concat(o, s3))
        n = keccak256(concat(n, s3))
    else:
        o = keccak256(concat(s3, o))
        n = keccak256(concat(s3, n))
    return o, n

@view
@internal
def _hash_pair(node: bytes32, sibling: bytes32, right: uint256) -> bytes32:
    """The parent of `node` and its sibling; `right` is nonzero if `node` is the right child. One
    function, so that one 64-byte buffer serves every level of every fold."""
    if right == 0:
        return keccak256(concat(node, sibling))
    return keccak256(concat(sibling, node))


@view
@internal
def _root_from_short_proof(slot: uint256, addr: uint256, leaf: bytes32) -> bytes32:
    """`_root_from_proof` for a slot that runs past the end of calldata, word by word."""
    node: bytes32 = leaf
    for level: uint256 in range(59):
        node = self._hash_pair(node, self._proof_word(slot, level + 1), addr & (ONE << (level + 5)))
    return node


@view
@internal
def _load_leaf(addr: uint256, slot: uint256, root: bytes32) -> uint256:
    """VERIFY (§3.3): the leaf at `addr` (32-byte aligned) that proof slot `slot` proves."""
    leaf: bytes32 = self._proof_word(slot, 0)
    if self._root_from_proof(slot, addr, leaf) != root:
        self._revert(ERR_MEMORY_PROOF)
    return convert(leaf, uint256)


@view
@internal
def _store_leaf(addr: uint256, leaf: uint256, slot: uint256, root: bytes32) -> bytes32:
    """VERIFY, then REROOT (§3.3): the root with the leaf at `addr` replaced by `leaf`. Both
    folds run side by side over the siblings, read once."""
    start: uint256 = PROOF_DATA_START + slot * MEMORY_PROOF_SIZE
    if start + MEMORY_PROOF_SIZE > len(msg.data):
        if self._root_from_short_proof(slot, addr, self._proof_word(slot, 0)) != root:
            self._revert(ERR_MEMORY_PROOF)
        return self._root_from_short_proof(slot, addr, convert(leaf, bytes32))
    p: bytes32[60] = abi_decode(slice(msg.data, start, MEMORY_PROOF_SIZE), bytes32[60])
    old: bytes32 = p[0]
    new: bytes32 = convert(leaf, bytes32)
    old, new = self._fold_pair_levels(old, new, p[1], p[2], p[3], p[4], p[5], addr >> 5)
    old, new = self._fold_pair_levels(old, new, p[6], p[7], p[8], p[9], p[10], addr >> 10)
    old, new = self._fold_pair_levels(old, new, p[11], p[12], p[13], p[14], p[15], addr >> 15)
    old, new = self._fold_pair_levels(old, new, p[16], p[17], p[18], p[19], p[20], addr >> 20)
    old, new = self._fold_pair_levels(old, new, p[21], p[22], p[23], p[24], p[25], addr >> 25)
    old, new = self._fold_pair_levels(old, new, p[26], p[27], p[28], p[29], p[30], addr >> 30)
    old, new = self._fold_pair_levels(old, new, p[31], p[32], p[33], p[34], p[35], addr >> 35)
    old, new = self._fold_pair_levels(old, new, p[36], p[37], p[38], p[39], p[40], addr >> 40)
    old, new = self._fold_pair_levels(old, new, p[41], p[42], p[43], p[44], p[45], addr >> 45)
    old, new = self._fold_pair_levels(old, new, p[46], p[47], p[48], p[49], p[50], addr >> 50)
    old, new = self._fold_pair_levels(old, new, p[51], p[52], p[53], p[54], p[55], addr >> 55)
    old, new = self._fold_pair_levels_4(old, new, p[56], p[57], p[58], p[59], addr >> 60)
    if old != root:
        self._revert(ERR_MEMORY_PROOF)
    return new


# -- instruction fields and immediates (§5) -----------------------------------------------------


@pure
@internal
def _rd(insn: uint256) -> uint256:
    return (insn >> 7) & 31


@pure
@internal
def _funct3(insn: uint256) -> uint256:
    return (insn >> 12) & 7


@pure
@internal
def _rs1(insn: uint256) -> uint256:
    return (insn >> 15) & 31


@pure
@internal
def _rs2(insn: uint256) -> uint256:
    return (insn >> 20) & 31


@pure
@internal
def _imm_i(insn: uint256) -> uint256:
    return self._sign_extend(insn >> 20, 12)


@pure
@internal
def _imm_s(insn: uint256) -> uint256:
    return self._sign_extend(((insn >> 25) << 5) | ((insn >> 7) & 31), 12)


@pure
@internal
def _imm_b(insn: uint256) -> uint256:
    raw: uint256 = (
        ((insn >> 31) << 12)
        | (((insn >> 7) & 1) << 11)
        | (((insn >> 25) & 63) << 5)
        | (((insn >> 8) & 15) << 1)
    )
    return self._sign_extend(raw, 13)


@pure
@internal
def _imm_u(insn: uint256) -> uint256:
    return self._sign_extend(insn & 4294963200, 32)


@pure
@internal
def _imm_j(insn: uint256) -> uint256:
    raw: uint256 = (
        ((insn >> 31) << 20)
        | (((insn >> 12) & 255) << 12)
        | (((insn >> 20) & 1) << 11)
        | (((insn >> 21) & 1023) << 1)
    )
    return self._sign_extend(raw, 21)


# -- fixed-width helpers ------------------------------------------------------------------------


@pure
@internal
def _sign_extend(val: uint256, bits: uint256) -> uint256:
    """Sign-extend the low `bits` bits of `value` (1 <= bits <= 64) to 64 bits."""
    sign: uint256 = 1 << (bits - 1)
    low: uint256 = val & unsafe_sub(ONE << bits, 1)
    return unsafe_sub(low ^ sign, sign) & M64


@pure
@internal
def _sext32(val: uint256) -> uint256:
    """`sext(value & 0xFFFF_FFFF, 31)`: the W-instructions' result widening."""
    return self._sign_extend(val, 32)


@pure
@internal
def _widen(val: uint256) -> uint256:
    """A 64-bit value sign-extended to 256 bits: its two's complement as a 256-bit word."""
    return unsafe_sub(val ^ SIGN64, SIGN64)


@pure
@internal
def _signed(val: uint256) -> int256:
    """A 64-bit value as a signed integer."""
    return convert(convert(self._widen(val), bytes32), int256)


@pure
@internal
def _unsigned(val: int256) -> uint256:
    """The low 64 bits of a signed 256-bit integer."""
    return convert(convert(val, bytes32), uint256) & M64


@pure
@internal
def _less_signed(a: uint256, b: uint256) -> bool:
    """`s64(a) < s64(b)` for 64-bit values: flipping the sign bit orders them as unsigned."""
    return (a ^ SIGN64) < (b ^ SIGN64)


@pure
@internal
def _byte_swap64(val: uint256) -> uint256:
    """Reverse the 8 low bytes: a little-endian 64-bit value to big-endian and back."""
    v: uint256 = ((val & 71777214294589695) << 8) | ((val >> 8) & 71777214294589695)
    v = ((v & 281470681808895) << 16) | ((v >> 16) & 281470681808895)
    return ((v & M32) << 32) | (v >> 32)


# -- memory access (§3.5) -----------------------------------------------------------------------


@view
@internal
def _load(root: bytes32, addr: uint256, size: uint256, signed: bool) -> uint256:
    """LOAD(a, size, signed): a little-endian integer of 1-8 bytes; slot 1 for the first leaf,
    slot 2 for the second if the access straddles two."""
    left: uint256 = addr & LEAF_ADDRESS_MASK
    right: uint256 = unsafe_add(addr, size - 1) & LEAF_ADDRESS_MASK
    offset: uint256 = addr & 31
    # The bytes from `addr` on, the first at the top of the word.
    window: uint256 = self._load_leaf(left, DATA_SLOT, root) << (offset * 8)
    if right != left:
        window |= self._load_leaf(right, DATA_RIGHT_SLOT, root) >> ((32 - offset) * 8)
    return self._little_endian(window, size, signed)


@pure
@internal
def _little_endian(window: uint256, size: uint256, signed: bool) -> uint256:
    """The `size` bytes at the top of `window` as a little-endian integer, sign-extended if asked."""
    mask: uint256 = unsafe_sub(ONE << (size * 8), 1)
    val: uint256 = self._byte_swap64(window >> 192) & mask
    if signed:
        return self._sign_extend(val, size * 8)
    return val


@view
@internal
def _store_bytes(root: bytes32, addr: uint256, data: uint256, size: uint256) -> bytes32:
    """STORE's leaf updates: `size` bytes (the top of `data`) at `addr`, the first leaf through
    slot 1, then the second through slot 2 against the intermediate root."""
    left: uint256 = addr & LEAF_ADDRESS_MASK
    right: uint256 = unsafe_add(addr, size - 1) & LEAF_ADDRESS_MASK
    offset: uint256 = addr & 31
    mask: uint256 = ~(MAX_WORD >> (size * 8))
    bytes_: uint256 = data & mask
    leaf: uint256 = convert(self._proof_word(DATA_SLOT, 0), uint256)
    leaf = (leaf & ~(mask >> (offset * 8))) | (bytes_ >> (offset * 8))
    new_root: bytes32 = self._store_leaf(left, leaf, DATA_SLOT, root)
    if right != left:
        # The bytes that did not fit in the left leaf start the right one.
        amount: uint256 = (32 - offset) * 8
        leaf = convert(self._proof_word(DATA_RIGHT_SLOT, 0), uint256)
        leaf = (leaf & ~(mask << amount)) | (bytes_ << amount)
        new_root = self._store_leaf(right, leaf, DATA_RIGHT_SLOT, new_root)
    return new_root


@view
@internal
def _store(root: bytes32, addr: uint256, size: uint256, val: uint256) -> bytes32:
    """STORE(a, size, value) for the STORE opcode: the low `size` bytes, little-endian."""
    return self._store_bytes(root, addr, self._byte_swap64(val) << 192, size)


@view
@internal
def _fetch(root: bytes32, pc: uint256) -> uint256:
    """The instruction at pc, from slot 0 alone; a fetch may not cross a leaf (§3.4)."""
    leaf: uint256 = self._load_leaf(pc & LEAF_ADDRESS_MASK, INSTRUCTION_SLOT, root)
    offset: uint256 = pc & 31
    if offset > LEAF_SIZE - 4:
        self._revert(ERR_FETCH_CROSSES_LEAF)
    return self._byte_swap64(((leaf << (offset * 8)) >> 224) << 32)


@pure
@internal
def _advance(pc: uint256) -> uint256:
    return unsafe_add(pc, 4) & M64


@pure
@internal
def _jump_target(target: uint256) -> uint256:
    """A new pc, which must be 4-byte aligned: there is no C extension (§6.8)."""
    if target & 3 != 0:
        self._revert(ERR_NOT_ALIGNED)
    return target


# -- loads and stores (§6.2, §6.3) --------------------------------------------------------------


@view
@internal
def _execute_load(root: bytes32, insn: uint256) -> uint256:
    """The value loaded for rd."""
    width: uint256 = self._funct3(insn)
    if width == 7:
        self._revert(ERR_RESERVED_ENCODING)
    addr: uint256 = unsafe_add(self._register(self._rs1(insn)), self._imm_i(insn)) & M64
    return self._load(root, addr, ONE << (width & 3), width & 4 == 0)


@view
@internal
def _execute_store(root: bytes32, insn: uint256) -> bytes32:
    """The memory root after the store."""
    width: uint256 = self._funct3(insn)
    if width >= 4:
        self._revert(ERR_STORE_TOO_WIDE)
    val: uint256 = self._register(self._rs2(insn))
    addr: uint256 = unsafe_add(self._register(self._rs1(insn)), self._imm_s(insn)) & M64
    return self._store(root, addr, ONE << width, val)


# -- integer computation (§6.4-§6.7) ------------------------------------------------------------


@view
@internal
def _execute_op_imm(insn: uint256) -> uint256:
    """The value for rd."""
    a: uint256 = self._register(self._rs1(insn))
    imm: uint256 = self._imm_i(insn)
    amount: uint256 = imm & 63
    operation: uint256 = self._funct3(insn)
    val: uint256 = 0
    if operation == 0:
        val = unsafe_add(a, imm) & M64
    elif operation == 1:
        val = (a << amount) & M64
    elif operation == 2:
        val = convert(self._less_signed(a, imm), uint256)
    elif operation == 3:
        val = convert(a < imm, uint256)
    elif operation == 4:
        val = a ^ imm
    elif operation == 5:
        kind: uint256 = insn >> 26
        if kind != 0 and kind != SHIFT_ARITHMETIC_IMM:
            self._revert(ERR_RESERVED_ENCODING)
        val = self._shift_right(a, amount, kind == SHIFT_ARITHMETIC_IMM)
    elif operation == 6:
        val = a | imm
    else:
        val = a & imm
    return val


@pure
@internal
def _shift_right(val: uint256, amount: uint256, arithmetic: bool) -> uint256:
    """`srl` or `sra` of a 64-bit value (shift < 64)."""
    if arithmetic:
        return self._sign_extend(val >> amount, 64 - amount)
    return val >> amount


@view
@internal
def _execute_op_imm_32(insn: uint256) -> uint256:
    """The value for rd."""
    a: uint256 = self._register(self._rs1(insn))
    imm: uint256 = self._imm_i(insn)
    amount: uint256 = imm & 31
    operation: uint256 = self._funct3(insn)
    val: uint256 = 0
    if operation == 0:
        val = self._sext32(unsafe_add(a, imm))
    elif operation == 1:
        if (insn >> 25) & 1 != 0:
            self._revert(ERR_RESERVED_ENCODING)
        val = self._sext32(a << amount)
    elif operation == 5:
        if (insn >> 25) & 1 != 0:
            self._revert(ERR_RESERVED_ENCODING)
        val = self._shift_right_word(a, amount, insn >> 25)
    else:
        self._revert(ERR_RESERVED_ENCODING)
    return val


@pure
@internal
def _shift_right_word(val: uint256, amount: uint256, kind: uint256) -> uint256:
    """`srlw`/`sraw` of the low word: `kind` (funct7) 0 is logical, 0x20 arithmetic."""
    word: uint256 = val & M32
    if kind == 0:
        return self._sext32(word >> amount)
    if kind != FUNCT7_ALT:
        self._revert(ERR_RESERVED_ENCODING)
    return self._sign_extend(word >> amount, 32 - amount)


@view
@internal
def _execute_op(insn: uint256) -> uint256:
    """The value for rd."""
    a: uint256 = self._register(self._rs1(insn))
    b: uint256 = self._register(self._rs2(insn))
    kind: uint256 = insn >> 25
    operation: uint256 = self._funct3(insn)
    val: uint256 = 0
    if kind == FUNCT7_M:
        val = self._multiply_divide(a, b, operation)
    else:
        amount: uint256 = b & 63
        if operation == 0:
            if kind == 0:
                val = unsafe_add(a, b) & M64
            elif kind == FUNCT7_ALT:
                val = unsafe_sub(a, b) & M64
            else:
                self._revert(ERR_RESERVED_ENCODING)
        elif operation == 1:
            val = (a << amount) & M64
        elif operation == 2:
            val = convert(self._less_signed(a, b), uint256)
        elif operation == 3:
            val = convert(a < b, uint256)
        elif operation == 4:
            val = a ^ b
        elif operation == 5:
            if kind != 0 and kind != FUNCT7_ALT:
                self._revert(ERR_RESERVED_ENCODING)
            val = self._shift_right(a, amount, kind == FUNCT7_ALT)
        elif operation == 6:
            val = a | b
        else:
            val = a & b
    return val


@pure
@internal
def _multiply_divide(a: uint256, b: uint256, operation: uint256) -> uint256:
    """The M extension on 64-bit operands (§6.6). A product of two sign-extended 64-bit values
    is exact in 256 bits, so its bits 127..64 are the high half RISC-V asks for."""
    if operation == 0:
        return unsafe_mul(a, b) & M64
    if operation == 1:
        return (unsafe_mul(self._widen(a), self._widen(b)) >> 64) & M64
    if operation == 2:
        return (unsafe_mul(self._widen(a), b) >> 64) & M64
    if operation == 3:
        return unsafe_mul(a, b) >> 64
    if b == 0:
        if operation == 4 or operation == 5:
            return M64
        return a
    if operation == 4:
        return self._unsigned(unsafe_div(self._signed(a), self._signed(b)))
    if operation == 5:
        return a // b
    if operation == 6:
        return self._unsigned(self._signed(a) % self._signed(b))
    return a % b


@view
@internal
def _execute_op_32(insn: uint256) -> uint256:
    """The value for rd."""
    a: uint256 = self._register(self._rs1(insn))
    b: uint256 = self._register(self._rs2(insn)) & M32  # only the low word, even in zero tests
    kind: uint256 = insn >> 25
    operation: uint256 = self._funct3(insn)
    val: uint256 = 0
    if kind == FUNCT7_M:
        val = self._multiply_divide_word(a, b, operation)
    elif operation == 0:
        if kind == 0:
            val = self._sext32(unsafe_add(a, b))
        elif kind == FUNCT7_ALT:
            val = self._sext32(unsafe_sub(a, b))
        else:
            self._revert(ERR_RESERVED_ENCODING)
    elif operation == 1:
        val = self._sext32(a << (b & 31))
    elif operation == 5:
        val = self._shift_right_word(a, b & 31, kind)
    else:
        self._revert(ERR_RESERVED_ENCODING)
    return val


@pure
@internal
def _multiply_divide_word(a: uint256, b: uint256, operation: uint256) -> uint256:
    """The M extension's W forms (§6.7); `b` is already the low word of rs2."""
    word: uint256 = a & M32
    if operation == 0:
        return self._sext32(word * b)
    if operation == 1 or operation == 2 or operation == 3:
        self._revert(ERR_RESERVED_ENCODING)
    if b == 0:
        if operation == 4 or operation == 5:
            return M64
        return self._sext32(a)
    if operation == 4:
        return self._sext32(self._unsigned(unsafe_div(self._signed(self._sext32(a)), self._signed(self._sext32(b)))))
    if operation == 5:
        return self._sext32(word // b)
    if operation == 6:
        return self._sext32(self._unsigned(self._signed(self._sext32(a)) % self._signed(self._sext32(b))))
    return self._sext32(word % b)


# -- upper immediates, jumps and branches (§6.8) ------------------------------------------------


@view
@internal
def _execute_jalr(insn: uint256) -> uint256:
    """The jump target, before the alignment check (rs1 is read before rd is written)."""
    return unsafe_add(self._register(self._rs1(insn)), self._imm_i(insn)) & (M64 ^ 1)


@pure
@internal
def _branch_taken(condition: uint256, a: uint256, b: uint256) -> bool:
    """Whether a branch with this funct3 is taken; 2 and 3 never are (§6.11)."""
    if condition == 0:
        return a == b
    if condition == 1:
        return a != b
    if condition == 4:
        return self._less_signed(a, b)
    if condition == 5:
        return not self._less_signed(a, b)
    if condition == 6:
        return a < b
    if condition == 7:
        return a >= b
    return False


@view
@internal
def _execute_branch(pc: uint256, insn: uint256) -> uint256:
    """The next pc, taken or not, which must be aligned."""
    a: uint256 = self._register(self._rs1(insn))
    b: uint256 = self._register(self._rs2(insn))
    offset: uint256 = 4
    if self._branch_taken(self._funct3(insn), a, b):
        offset = self._imm_b(insn)
    return self._jump_target(unsafe_add(pc, offset) & M64)


# -- atomics (§6.9) -----------------------------------------------------------------------------


@pure
@internal
def _amo_result(operation: uint256, old: uint256, operand: uint256) -> uint256:
    """The value an AMO writes back, on 64-bit (sign-extended) values."""
    if operation == 0:
        return unsafe_add(old, operand) & M64
    if operation == 1:
        return operand
    if operation == 4:
        return old ^ operand
    if operation == 8:
        return old | operand
    if operation == 12:
        return old & operand
    if operation == 16:
        return operand if self._less_signed(operand, old) else old
    if operation == 20:
        return old if self._less_signed(operand, old) else operand
    if operation == 24:
        return min(old, operand)
    return max(old, operand)


@view
@internal
def _execute_amo(root: bytes32, reservation: uint256, insn: uint256) -> (bytes32, uint256, uint256):
    """The memory root, the rd value and the load reservation after an LR, SC or AMO."""
    width: uint256 = self._funct3(insn)
    if width != 2 and width != 3:
        self._revert(ERR_AMO_WIDTH)
    size: uint256 = ONE << width
    addr: uint256 = self._register(self._rs1(insn))
    if addr & (size - 1) != 0:
        self._revert(ERR_NOT_ALIGNED)
    operation: uint256 = insn >> 27
    if operation == AMO_LR:
        return root, self._load(root, addr, size, True), addr
    if operation == AMO_SC:
        if addr == reservation:
            return self._store(root, addr, size, self._register(self._rs2(insn))), 0, 0
        return root, 1, 0
    operand: uint256 = self._register(self._rs2(insn))
    if size == 4:
        operand = self._sext32(operand)
    if operation & 3 != 0 and operation != 1:
        self._load(root, addr, size, True)  # the load, and its proof, come first (§6.9)
        self._revert(ERR_UNKNOWN_AMO)
    # LOAD, then STORE through the same slot against the same root, which the store verifies: the
    # load's own VERIFY would repeat it. (Naturally aligned, the access is inside one leaf.)
    leaf: uint256 = convert(self._proof_word(DATA_SLOT, 0), uint256)
    old: uint256 = self._little_endian(leaf << ((addr & 31) * 8), size, True)
    return self._store(root, addr, size, self._amo_result(operation, old, operand)), old, reservation


# -- syscalls (§7, §8) --------------------------------------------------------------------------


@view
@internal
def _execute_syscall(state: State) -> State:
    """The state after `ecall`: a0 and a1 hold the result (§7.1), except after `exit`."""
    number: uint256 = self._register(REG_A7)
    a0: uint256 = self._register(REG_A0)
    a1: uint256 = self._register(REG_A1)
    result: State = state
    result.syscall_result = True
    if number == SYS_EXIT or number == SYS_EXIT_GROUP:
        result.syscall_result = False
        result.exit_code = a0 & 255
        result.exited = 1
    elif number == SYS_BRK:
        result.rd_value = BRK_ADDRESS
    elif number == SYS_MMAP:
        result.rd_value, result.a1_value, result.heap = self._execute_mmap(state.heap, a0, a1)
    elif number == SYS_READ:
        count: uint256 = self._register(REG_A2)
        if a0 == FD_STDIN:
            pass
        elif a0 == FD_HINT_READ:
            result.rd_value = count  # the acknowledgement is not written to memory
        elif a0 == FD_PREIMAGE_READ:
            result.rd_value, result.mem_root, result.preimage_offset = self._read_preimage(
                state.mem_root, state.preimage_key, state.preimage_offset, a1, count
            )
        else:
            result.rd_value = ERROR_RESULT
            result.a1_value = EBADF
    elif number == SYS_WRITE:
        count: uint256 = self._register(REG_A2)
        if a0 == FD_STDOUT or a0 == FD_STDERR or a0 == FD_HINT_WRITE:
            result.rd_value = count
        elif a0 == FD_PREIMAGE_WRITE:
            result.rd_value, result.preimage_key = self._write_preimage_key(
                state.mem_root, state.preimage_key, a1, count
            )
            result.preimage_offset = 0
        else:
            result.rd_value = ERROR_RESULT
            result.a1_value = EBADF
    elif number == SYS_FCNTL:
        result.rd_value, result.a1_value = self._execute_fcntl(a0, a1)
    elif number == SYS_OPENAT:
        result.rd_value = ERROR_RESULT
        result.a1_value = EACCES
    elif number == SYS_CLOCK_GETTIME:
        result.mem_root = self._store_bytes(state.mem_root, a1, CLOCK_TIMESPEC, TIMESPEC_SIZE)
    elif number == SYS_CLONE:
        result.rd_value = 1
    elif number == SYS_GETRLIMIT:
        if a0 != RLIMIT_NOFILE:
            self._revert(ERR_UNKNOWN_RESOURCE)
        result.mem_root = self._store_bytes(state.mem_root, a1, NOFILE_RLIMIT, TIMESPEC_SIZE)
    elif number == SYS_PRLIMIT64 or number == SYS_FUTEX_TIME64 or number == SYS_NANOSLEEP:
        self._revert(ERR_UNSUPPORTED_SYSCALL)
    # every other call succeeds without doing anything: a0 = a1 = 0
    return result


@view
@internal
def _execute_mmap(heap: uint256, hint: uint256, length: uint256) -> (uint256, uint256, uint256):
    """Anonymous memory only; without a hint it comes from the heap, rounded up to pages (§7.3).
    Returns a0, a1 and the heap."""
    flags: uint256 = self._register(REG_A3)
    fd: uint256 = self._register(REG_A4)
    if flags & MAP_ANONYMOUS == 0 or fd != M64:
        return ERROR_RESULT, EBADF, heap
    if hint != 0:
        return hint, 0, heap
    size: uint256 = length
    if size & PAGE_MASK != 0:
        size = unsafe_add(size, PAGE_SIZE - (size & PAGE_MASK)) & M64
    return heap, 0, unsafe_add(heap, size) & M64


@pure
@internal
def _execute_fcntl(fd: uint256, command: uint256) -> (uint256, uint256):
    """Only F_GETFD and F_GETFL, and only for the seven descriptors of §8.1 (§7.4)."""
    if command != F_GETFD and command != F_GETFL:
        return ERROR_RESULT, EINVAL
    if fd > FD_PREIMAGE_WRITE:
        return ERROR_RESULT, EBADF
    if command == F_GETFL and (fd == FD_STDOUT or fd == FD_STDERR or fd == FD_HINT_WRITE or fd == FD_PREIMAGE_WRITE):
        return 1, 0  # write-only
    return 0, 0


@view
@internal
def _write_preimage_key(root: bytes32, key: bytes32, buffer: uint256, count: uint256) -> (uint256, bytes32):
    """Shift up to one leaf's worth of bytes into the 32-byte key register (§8.2). Returns the
    byte count and the new key."""
    offset: uint256 = buffer & 31
    written: uint256 = min(count, LEAF_SIZE - offset)
    leaf: uint256 = self._load_leaf(buffer & LEAF_ADDRESS_MASK, DATA_SLOT, root)
    data: uint256 = (leaf << (offset * 8)) >> (256 - written * 8)
    return written, convert((convert(key, uint256) << (written * 8)) | data, bytes32)


@view
@internal
def _read_preimage(
    root: bytes32, key: bytes32, preimage_offset: uint256, buffer: uint256, count: uint256
) -> (uint256, bytes32, uint256):
    """Copy at most one part, and never past the buffer's leaf, into memory (§8.3). Returns the
    byte count, the memory root and the preimage offset."""
    part: uint256 = 0
    part_length: uint256 = 0
    part, part_length = self._preimage_part(key, preimage_offset)
    if part_length == 0:
        return 0, root, preimage_offset
    offset: uint256 = buffer & 31
    copied: uint256 = min(min(count, LEAF_SIZE - offset), part_length)
    mask: uint256 = ~(MAX_WORD >> (copied * 8)) >> (offset * 8)
    leaf: uint256 = convert(self._proof_word(DATA_SLOT, 0), uint256)
    leaf = (leaf & ~mask) | ((part >> (offset * 8)) & mask)
    new_root: bytes32 = self._store_leaf(buffer & LEAF_ADDRESS_MASK, leaf, DATA_SLOT, root)
    return copied, new_root, unsafe_add(preimage_offset, copied) & M64


@view
@internal
def _preimage_part(key: bytes32, offset: uint256) -> (uint256, uint256):
    """The oracle's part at `offset` of the key's stream, and its length; a local key is read
    localized with the caller and the local context (§8.3, preimage-oracle.md §2.1)."""
    oracle_key: bytes32 = key
    if convert(key, uint256) >> 248 == LOCAL_KEY_TYPE:
        oracle_key = PreimageKeyLib.localize(key, convert(self._word(LOCAL_CONTEXT_AT), bytes32))
    success: bool = False
    response: Bytes[64] = b""
    success, response = raw_call(
        ORACLE,
        abi_encode(oracle_key, offset, method_id=method_id("readPreimage(bytes32,uint256)")),
        max_outsize=64,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not success:
        self._revert(ERR_PREIMAGE_READ)
    return convert(extract32(response, 0), uint256), convert(extract32(response, 32), uint256)
