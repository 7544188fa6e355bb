# pragma version ~=0.4.3
"""
@title MIPS
@notice The onchain MIPS32 step verifier (spec: mips32.md, state version singlethreaded-2).
        It re-executes one instruction from a 226-byte pre-state witness and two memory
        proofs, reads at most one preimage part from the PreimageOracle, emits the post-state
        witness as an anonymous log (LOG0) and returns the post-state hash with its status byte.
        Byte-compatible with MIPS.sol 1.2.x: selector 0xe14ced32, the same calldata layout and
        the same reverts (§4.3).
@dev    `step` follows faultproof/vm/mips32/step.py section by section (syscall, ll/sc, j/jal,
        operands, branch, memory, ALU, the step-12 dispatch, write back), with the state in
        local variables; the parts without state keep the reference's names (_execute_alu,
        _execute_special, _execute_load_store, _execute_hilo, _branch_taken, _sys_mmap, ...).
        faultproof/vm/mips32/verifier.py is the executable model of this contract. Local
        preimage keys are localized by PreimageKeyLib, the module the RISCV verifier shares.

        Calldata (§4.2). Canonical layout only: head words 0x60 and 0x180 and a state length of
        226, else an empty revert; the declared proof bytes must lie within calldata (the check
        Solidity's decoder makes, Vyper's does not). The witness and the proofs are read at
        their calldata offsets (132, 420, 1316), not from the decoded arguments; a proof is
        usable when calldata holds its 896 bytes ("check that there is enough calldata"), as
        upstream, so a step that never reads proof #1 accepts 1316 bytes of calldata, and a
        proof #1 that trails a shorter declared proof is read all the same. Unlike upstream,
        Vyper's ABI decoder refuses a declared proof longer than 1792 bytes.

        Order of failures. A store, sc and read(5, ...) verify proof #1 in the same pass that
        computes the new root (one walk over the siblings instead of two): for a step with two
        faults (a bad proof and an undefined store opcode, or a missing preimage part) the revert
        data may name the other fault than the reference does; §4.3 makes the order
        unobservable but for that data.

        Gas (execution gas: gasUsed less 21,000 and calldata; benchmarks/step_gas.py, 40 steps
        of each class from each of hello, claim, alloc and entry; median / max):

        class            Venom, gas       Venom, codesize  legacy, gas      legacy, codesize
        ALU              11,648 / 12,322  11,621 / 12,295  14,066 / 14,832  14,038 / 14,804
        load             16,073 / 16,241  16,046 / 16,214  21,690 / 21,730  21,662 / 21,702
        store            18,827 / 18,902  18,800 / 18,875  26,336 / 26,376  26,308 / 26,348
        branch, jump     11,705 / 11,717  11,684 / 11,696  14,177 / 14,197  14,149 / 14,169
        syscall          11,530 / 11,567  11,503 / 11,540  14,020 / 14,281  13,992 / 14,253
        preimage read    28,475 / 28,481  28,454 / 28,460  36,553 / 36,573  36,525 / 36,545
        runtime code     9,472 bytes      9,211 bytes      14,648 bytes     14,640 bytes

        What was tried, measured on the same sample (figures are medians of a store / a branch):
        * Venom (experimental codegen) against the legacy pipeline: legacy costs 20-40% more
          for every class (see the table). Optimising for code size rather than gas spends 20-30
          gas less per step, and 3% less code, under both. Deploy with CompilerSettings(
          optimize="codesize", experimental_codegen=True).
        * The state in a struct passed to and returned from internal functions (the
          reference's shape): 27,100 / 13,750. In local variables of `step`, internal functions
          taking and returning words: 22,300 / 13,600; then with the fold below: 18,900 / 11,900.
        * Memory proof folding (27 levels, 81 keccaks for a store): a loop of one level per
          iteration 21,500 / 12,900; three levels 19,800 / 12,050; nine levels (this) 18,900 /
          11,900; fully unrolled or branch-free (one concat per level, XOR-selected operands)
          cost more: Vyper gives every concat its own memory, never reused under Venom, and
          memory is paid up to its highest byte. Siblings read with extract32 from the decoded
          _proof, or with a msg.data slice per level, cost more than one abi_decode of the 27
          siblings into a bytes32[9][3]; indexing it by a loop counter costs more than
          iterating over its rows.
        * One pass for the old and the new root of a written word (above) rather than a
          verifying fold followed by a rewriting fold: -1,250 on a store, but +400 on every
          other class (the two-leaf fold's memory is laid out below the arguments of `step`,
          so every step pays for it); one fold function for both passes (the second leaf
          optional): +800 to +1,500 on every class. Writing that fold inline at the end of
          `step`, where its memory would be laid out last and paid only by the steps that
          write, makes Venom run out of stack slots (StackTooDeep) in `step`.
        * The witness built in a function of its own rather than at the end of `step`: +40.
        * Error(string) reverts through one function (_fail): each `assert ..., "message"`
          reserves memory for its message, which moves everything after it higher: -100.
        What remains (a branch): LOG0 of 226 bytes 2,183; the instruction fetch's fold about
        3,900 (27 keccaks are 1,150 of it); memory expansion about 2,000 (Venom lays out ~15 KB,
        the ABI decoder's copy of the arguments included); decoding, dispatch and re-encoding
        the rest. A read(5, ...) adds the oracle call (a cold account and three cold storage
        slots in the oracle: about 9,000).
"""

import PreimageKeyLib

M32: constant(uint256) = 2**32 - 1
M64: constant(uint256) = 2**64 - 1

# -- calldata layout (§4.2) ---------------------------------------------------------------------
STATE_HEAD: constant(uint256) = 96  # head word of _stateData: its data starts at 4 + 96 + 32
PROOF_HEAD: constant(uint256) = 384  # head word of _proof: its data starts at 4 + 384 + 32
STATE_START: constant(uint256) = 132
WITNESS_SIZE: constant(uint256) = 226
PROOF_START: constant(uint256) = 420
MEMORY_PROOF_SIZE: constant(uint256) = 896  # the leaf and 27 siblings
INSTRUCTION_PROOF: constant(uint256) = 420  # proof #0, calldata offset of its leaf
DATA_PROOF: constant(uint256) = 1316  # proof #1

# -- syscalls (§6.2), O32 numbers ---------------------------------------------------------------
SYS_MMAP: constant(uint256) = 4090
SYS_BRK: constant(uint256) = 4045
SYS_CLONE: constant(uint256) = 4120
SYS_EXIT_GROUP: constant(uint256) = 4246
SYS_READ: constant(uint256) = 4003
SYS_WRITE: constant(uint256) = 4004
SYS_FCNTL: constant(uint256) = 4055

# -- file descriptors (§6.4) --------------------------------------------------------------------
FD_STDIN: constant(uint256) = 0
FD_STDOUT: constant(uint256) = 1
FD_STDERR: constant(uint256) = 2
FD_HINT_READ: constant(uint256) = 3
FD_HINT_WRITE: constant(uint256) = 4
FD_PREIMAGE_READ: constant(uint256) = 5
FD_PREIMAGE_WRITE: constant(uint256) = 6

EBADF: constant(uint256) = 9
EINVAL: constant(uint256) = 22
SYSCALL_ERROR: constant(uint256) = 2**32 - 1
BRK_START: constant(uint256) = 1073741824  # 0x40000000
HEAP_END: constant(uint256) = 1610612736  # 0x60000000

REG_V0: constant(uint256) = 2
REG_A0: constant(uint256) = 4
REG_A1: constant(uint256) = 5
REG_A2: constant(uint256) = 6
REG_A3: constant(uint256) = 7
REG_RA: constant(uint256) = 31

# Error(string) reverts (§4.3), raised by _fail.
INVALID_INSTRUCTION: constant(uint256) = 1
BRANCH_IN_DELAY_SLOT: constant(uint256) = 2
JUMP_IN_DELAY_SLOT: constant(uint256) = 3
DIVISION_BY_ZERO: constant(uint256) = 4
SHORT_CALLDATA: constant(uint256) = 5


interface IPreimageOracle:
    def readPreimage(_key: bytes32, _offset: uint256) -> (bytes32, uint256): view


ORACLE: immutable(address)


@deploy
def __init__(_oracle: address):
    ORACLE = _oracle


@view
@external
def oracle() -> address:
    """@notice The PreimageOracle that serves read(5, ...)."""
    return ORACLE


@pure
@external
def version() -> String[8]:
    return "1.2.1"


# -- step (§5) ----------------------------------------------------------------------------------


@external
def step(_stateData: Bytes[226], _proof: Bytes[1792], _localContext: bytes32) -> bytes32:
    """
    @notice Execute one instruction; returns the post-state hash and logs its witness.
    @dev    The witness and the proofs are read from calldata at their canonical offsets
            (§4.2); the arguments are declared for the ABI.
    """
    self._check_calldata(len(_proof))

    # THE PRE-STATE (§2.1). Witness bytes 66..98 (the low half of preimageOffset, pc, nextPC,
    # lo, hi, heap, exitCode, exited, step) are one word; the registers are four, 8 to a word.
    fields: uint256 = convert(slice(msg.data, STATE_START + 66, 32), uint256)
    exited: uint256 = (fields >> 64) & 255
    if exited > 1:
        raw_revert(method_id("InvalidExitedValue()"))
    if exited == 1:
        # The exited state steps to itself, proof-less.
        raw_log([], _stateData)
        return self._state_hash(keccak256(_stateData), exited, (fields >> 72) & 255)
    mem_root: bytes32 = convert(slice(msg.data, STATE_START, 32), bytes32)
    preimage_key: bytes32 = convert(slice(msg.data, STATE_START + 32, 32), bytes32)
    preimage_offset: uint256 = convert(slice(msg.data, STATE_START + 36, 32), uint256) & M32
    pc: uint256 = (fields >> 208) & M32
    next_pc: uint256 = (fields >> 176) & M32
    lo: uint256 = (fields >> 144) & M32
    hi: uint256 = (fields >> 112) & M32
    heap: uint256 = (fields >> 80) & M32
    exit_code: uint256 = (fields >> 72) & 255
    step_count: uint256 = unsafe_add(fields & M64, 1) & M64
    registers: uint256[4] = [
        convert(slice(msg.data, STATE_START + 98, 32), uint256),
        convert(slice(msg.data, STATE_START + 130, 32), uint256),
        convert(slice(msg.data, STATE_START + 162, 32), uint256),
        convert(slice(msg.data, STATE_START + 194, 32), uint256),
    ]

    insn: uint256 = self._read_word(mem_root, pc, INSTRUCTION_PROOF)
    op: uint256 = insn >> 26
    fn: uint256 = insn & 63
    advance: bool = True  # every instruction but a control transfer and exit_group

    if op == 0 and fn == 12:
        # execute_syscall (§6): dispatch on $v0, results in $v0/$a3
        number: uint256 = self._register(registers[0], REG_V0)
        a0: uint256 = self._register(registers[0], REG_A0)
        a1: uint256 = self._register(registers[0], REG_A1)
        a2: uint256 = self._register(registers[0], REG_A2)
        v0: uint256 = 0
        v1: uint256 = 0
        if number == SYS_MMAP:
            v0, v1, heap = self._sys_mmap(heap, a0, a1)
        elif number == SYS_BRK:
            v0 = BRK_START
        elif number == SYS_CLONE:
            v0 = 1
        elif number == SYS_EXIT_GROUP:
            exited = 1
            exit_code = a0 & 255
            advance = False
        elif number == SYS_READ:
            if a0 == FD_STDIN:
                pass
            elif a0 == FD_HINT_READ:
                v0 = a2
            elif a0 == FD_PREIMAGE_READ:
                v0, mem_root = self._read_preimage(
                    mem_root, preimage_key, preimage_offset, a1, a2, _localContext
                )
                preimage_offset = unsafe_add(preimage_offset, v0) & M32
            else:
                v0 = SYSCALL_ERROR
                v1 = EBADF
        elif number == SYS_WRITE:
            if a0 == FD_STDOUT or a0 == FD_STDERR or a0 == FD_HINT_WRITE:
                v0 = a2
            elif a0 == FD_PREIMAGE_WRITE:
                v0, preimage_key = self._write_preimage_key(mem_root, preimage_key, a1, a2)
                preimage_offset = 0
            else:
                v0 = SYSCALL_ERROR
                v1 = EBADF
        elif number == SYS_FCNTL:
            v0, v1 = self._sys_fcntl(a0, a1)
        if advance:
            registers[0] = self._with_register(registers[0], REG_V0, v0)
            registers[0] = self._with_register(registers[0], REG_A3, v1)

    elif op == 48 or op == 56:
        # execute_load_linked_store_conditional (§7.7): no reservation, sc always succeeds
        rt_register: uint256 = (insn >> 16) & 31
        addr: uint256 = unsafe_add(
            self._register(registers[(insn >> 24) & 3], (insn >> 21) & 31), self._sign_extend16(insn)
        ) & 4294967292
        val: uint256 = 0
        if op == 48:
            val = self._read_word(mem_root, addr, DATA_PROOF)
        else:
            stored: uint256 = self._register(registers[rt_register >> 3], rt_register)
            mem_root = self._update_word(mem_root, addr, DATA_PROOF, stored)
            val = 1
        if rt_register != 0:
            registers[rt_register >> 3] = self._with_register(registers[rt_register >> 3], rt_register, val)

    elif op == 2 or op == 3:
        # j / jal: the region comes from nextPC, the delay slot's
        if next_pc != unsafe_add(pc, 4) & M32:
            self._fail(JUMP_IN_DELAY_SLOT)
        if op == 3:
            registers[3] = self._with_register(registers[3], REG_RA, unsafe_add(pc, 8) & M32)
        pc = next_pc
        next_pc = (next_pc & 4026531840) | ((insn & 67108863) << 2)
        advance = False

    else:
        # OPERANDS (step 8)
        rs: uint256 = self._register(registers[(insn >> 24) & 3], (insn >> 21) & 31)
        rt_register: uint256 = (insn >> 16) & 31
        destination: uint256 = rt_register
        rt: uint256 = 0
        if op == 0 or op == 28:
            rt = self._register(registers[rt_register >> 3], rt_register)
            destination = (insn >> 11) & 31
        elif op < 32:
            if op == 12 or op == 13 or op == 14:
                rt = insn & 65535
            else:
                rt = self._sign_extend16(insn)
        elif op >= 40 or op == 34 or op == 38:
            rt = self._register(registers[rt_register >> 3], rt_register)

        if op == 1 or (op >= 4 and op <= 7):
            # execute_branch (§7.6): the delay slot runs next, then the target if taken
            if next_pc != unsafe_add(pc, 4) & M32:
                self._fail(BRANCH_IN_DELAY_SLOT)
            rt_value: uint256 = self._register(registers[rt_register >> 3], rt_register)
            taken: bool = self._branch_taken(insn, op, rs, rt_value)
            if op == 1 and rt_register == 17:
                registers[3] = self._with_register(registers[3], REG_RA, unsafe_add(pc, 8) & M32)
            if taken:
                next_pc = unsafe_add(unsafe_add(pc, 4), self._sign_extend16(insn) << 2) & M32
            else:
                next_pc = unsafe_add(next_pc, 4) & M32
            pc = unsafe_add(pc, 4) & M32
            advance = False
        else:
            # MEMORY (step 10): a store's word is proven together with its new root below
            store: bool = op >= 40
            addr: uint256 = 0
            mem: uint256 = 0
            if op >= 32:
                rs = unsafe_add(rs, self._sign_extend16(insn)) & M32
                addr = rs & 4294967292
                if store:
                    mem = self._unproven_word(addr, DATA_PROOF)
                    destination = 0
                else:
                    mem = self._read_word(mem_root, addr, DATA_PROOF)

            # OPERATION (step 11)
            val: uint256 = self._execute_alu(insn, op, fn, rs, rt, mem)

            if op == 0 and fn >= 8 and fn <= 27 and fn != 15:
                if fn == 8 or fn == 9:
                    # jr / jalr: JUMP(0 or rd, rs)
                    if next_pc != unsafe_add(pc, 4) & M32:
                        self._fail(JUMP_IN_DELAY_SLOT)
                    if fn == 9 and destination != 0:
                        registers[destination >> 3] = self._with_register(
                            registers[destination >> 3], destination, unsafe_add(pc, 8) & M32
                        )
                    pc = next_pc
                    next_pc = rs
                    advance = False
                elif fn == 10 or fn == 11:
                    # movz / movn
                    if (rt == 0) == (fn == 10) and destination != 0:
                        registers[destination >> 3] = self._with_register(
                            registers[destination >> 3], destination, rs
                        )
                else:
                    # execute_hilo (§7.5): every function but the moves-from clears rd
                    hi, lo, val = self._execute_hilo(fn, rs, rt, hi, lo)
                    if destination != 0:
                        registers[destination >> 3] = self._with_register(
                            registers[destination >> 3], destination, val
                        )
            else:
                # WRITE BACK (steps 13-14)
                if store:
                    mem_root = self._update_word(mem_root, addr, DATA_PROOF, val)
                if destination != 0:
                    registers[destination >> 3] = self._with_register(
                        registers[destination >> 3], destination, val
                    )

    if advance:
        pc = next_pc
        next_pc = unsafe_add(next_pc, 4) & M32

    # THE POST-STATE: witness bytes 64..96 in one word, the last two bytes of step follow.
    head: uint256 = (
        (preimage_offset << 224)
        | (pc << 192)
        | (next_pc << 160)
        | (lo << 128)
        | (hi << 96)
        | (heap << 64)
        | (exit_code << 56)
        | (exited << 48)
        | (step_count >> 16)
    )
    witness: Bytes[226] = concat(
        mem_root,
        preimage_key,
        convert(head, bytes32),
        slice(convert((step_count & 65535) << 240, bytes32), 0, 2),
        convert(registers[0], bytes32),
        convert(registers[1], bytes32),
        convert(registers[2], bytes32),
        convert(registers[3], bytes32),
    )
    raw_log([], witness)
    return self._state_hash(keccak256(witness), exited, exit_code)


# -- the witness (§2, §4.2) ---------------------------------------------------------------------


@view
@internal
def _check_calldata(proof_length: uint256):
    """The canonical layout of §4.2; any other fails with empty revert data."""
    assert convert(slice(msg.data, 4, 32), uint256) == STATE_HEAD
    assert convert(slice(msg.data, 36, 32), uint256) == PROOF_HEAD
    assert convert(slice(msg.data, 100, 32), uint256) == WITNESS_SIZE
    # Solidity's decoder keeps the proof bytes inside calldata; Vyper's does not check it.
    assert PROOF_START + proof_length <= len(msg.data)


@pure
@internal
def _state_hash(witness_hash: bytes32, exited: uint256, exit_code: uint256) -> bytes32:
    """The witness hash with its first byte replaced by the status (§2.2)."""
    status: uint256 = 3
    if exited == 1:
        status = min(exit_code, 2)
    return convert((status << 248) | (convert(witness_hash, uint256) & (2**248 - 1)), bytes32)


@pure
@internal
def _fail(reason: uint256):
    """Revert with the Error(string) of §4.3. One place for every message: Vyper gives each
    ``assert ..., "message"`` its own memory, and memory costs gas up to its highest byte."""
    message: String[35] = "invalid instruction"
    if reason == BRANCH_IN_DELAY_SLOT:
        message = "branch in delay slot"
    elif reason == JUMP_IN_DELAY_SLOT:
        message = "jump in delay slot"
    elif reason == DIVISION_BY_ZERO:
        message = "MIPS: division by zero"
    elif reason == SHORT_CALLDATA:
        message = "check that there is enough calldata"
    raw_revert(abi_encode(message, method_id=method_id("Error(string)")))


# -- registers and memory (§3) ------------------------------------------------------------------


@pure
@internal
def _register(word: uint256, index: uint256) -> uint256:
    """R[index] from the register word holding it (registers[index >> 3]); reads of $zero
    return the stored value."""
    return (word >> (224 - ((index & 7) << 5))) & M32


@pure
@internal
def _with_register(word: uint256, index: uint256, val: uint256) -> uint256:
    """The register word holding R[index] with R[index] replaced (callers skip $zero)."""
    amount: uint256 = 224 - ((index & 7) << 5)
    return (word & ~(M32 << amount)) | (val << amount)


@view
@internal
def _proof_leaf(addr: uint256, proof: uint256) -> (uint256, uint256):
    """The leaf of the memory proof at calldata offset ``proof``, for the word at ``addr``, and
    where its siblings start.

    The siblings are read at the offset returned here, after this function's checks: Venom
    may otherwise move a bounds check of the siblings' slice ahead of them, and a step would
    revert without saying that calldata is short."""
    assert addr & 3 == 0
    if len(msg.data) < proof + MEMORY_PROOF_SIZE:
        self._fail(SHORT_CALLDATA)
    return convert(slice(msg.data, proof, 32), uint256), proof + 32


@pure
@internal
def _leaf_word(leaf: uint256, addr: uint256) -> uint256:
    """The big-endian word at ``addr`` in the leaf holding it."""
    return (leaf >> (224 - ((addr & 31) << 3))) & M32


@view
@internal
def _unproven_word(addr: uint256, proof: uint256) -> uint256:
    """The word at ``addr`` in the leaf of a memory proof, not yet checked against the root:
    the step that reads it proves it with _update_word."""
    leaf: uint256 = 0
    siblings_at: uint256 = 0
    leaf, siblings_at = self._proof_leaf(addr, proof)
    return self._leaf_word(leaf, addr)


@view
@internal
def _read_word(root: bytes32, addr: uint256, proof: uint256) -> uint256:
    """READ: the aligned word at ``addr``, proven against ``root``."""
    leaf: uint256 = 0
    siblings_at: uint256 = 0
    leaf, siblings_at = self._proof_leaf(addr, proof)
    if self._proof_root(leaf, addr, siblings_at) != root:
        raw_revert(method_id("InvalidMemoryProof()"))
    return self._leaf_word(leaf, addr)


@view
@internal
def _update_word(root: bytes32, addr: uint256, proof: uint256, val: uint256) -> bytes32:
    """READ and WRITE in one pass: the proof is checked against ``root`` while the same
    siblings fold the leaf with the new word into the new root."""
    leaf: uint256 = 0
    siblings_at: uint256 = 0
    leaf, siblings_at = self._proof_leaf(addr, proof)
    amount: uint256 = 224 - ((addr & 31) << 3)
    new_leaf: uint256 = (leaf & ~(M32 << amount)) | (val << amount)
    old_root: bytes32 = empty(bytes32)
    new_root: bytes32 = empty(bytes32)
    old_root, new_root = self._proof_roots(leaf, new_leaf, addr, siblings_at)
    if old_root != root:
        raw_revert(method_id("InvalidMemoryProof()"))
    return new_root


@view
@internal
def _proof_root(leaf: uint256, addr: uint256, siblings_at: uint256) -> bytes32:
    """Fold a proof's siblings (bottom up) over a leaf into the root they commit to.

    Bit j of the leaf index (addr >> 5) says whether the node at height j is a right child."""
    siblings: bytes32[9][3] = abi_decode(slice(msg.data, siblings_at, 864), bytes32[9][3])
    node: bytes32 = convert(leaf, bytes32)
    path: uint256 = addr >> 5
    for group: bytes32[9] in siblings:
        if path & 1 == 0:
            node = keccak256(concat(node, group[0]))
        else:
            node = keccak256(concat(group[0], node))
        if path & 2 == 0:
            node = keccak256(concat(node, group[1]))
        else:
            node = keccak256(concat(group[1], node))
        if path & 4 == 0:
            node = keccak256(concat(node, group[2]))
        else:
            node = keccak256(concat(group[2], node))
        if path & 8 == 0:
            node = keccak256(concat(node, group[3]))
        else:
            node = keccak256(concat(group[3], node))
        if path & 16 == 0:
            node = keccak256(concat(node, group[4]))
        else:
            node = keccak256(concat(group[4], node))
        if path & 32 == 0:
            node = keccak256(concat(node, group[5]))
        else:
            node = keccak256(concat(group[5], node))
        if path & 64 == 0:
            node = keccak256(concat(node, group[6]))
        else:
            node = keccak256(concat(group[6], node))
        if path & 128 == 0:
            node = keccak256(concat(node, group[7]))
        else:
            node = keccak256(concat(group[7], node))
        if path & 256 == 0:
            node = keccak256(concat(node, group[8]))
        else:
            node = keccak256(concat(group[8], node))
        path = path >> 9
    return node


@view
@internal
def _proof_roots(
    leaf: uint256, other_leaf: uint256, addr: uint256, siblings_at: uint256
) -> (bytes32, bytes32):
    """_proof_root of two leaves at the same place, in one pass over the siblings."""
    siblings: bytes32[9][3] = abi_decode(slice(msg.data, siblings_at, 864), bytes32[9][3])
    node: bytes32 = convert(leaf, bytes32)
    other: bytes32 = convert(other_leaf, bytes32)
    path: uint256 = addr >> 5
    for group: bytes32[9] in siblings:
        if path & 1 == 0:
            node = keccak256(concat(node, group[0]))
            other = keccak256(concat(other, group[0]))
        else:
            node = keccak256(concat(group[0], node))
            other = keccak256(concat(group[0], other))
        if path & 2 == 0:
            node = keccak256(concat(node, group[1]))
            other = keccak256(concat(other, group[1]))
        else:
            node = keccak256(concat(group[1], node))
            other = keccak256(concat(group[1], other))
        if path & 4 == 0:
            node = keccak256(concat(node, group[2]))
            other = keccak256(concat(other, group[2]))
        else:
            node = keccak256(concat(group[2], node))
            other = keccak256(concat(group[2], other))
        if path & 8 == 0:
            node = keccak256(concat(node, group[3]))
            other = keccak256(concat(other, group[3]))
        else:
            node = keccak256(concat(group[3], node))
            other = keccak256(concat(group[3], other))
        if path & 16 == 0:
            node = keccak256(concat(node, group[4]))
            other = keccak256(concat(other, group[4]))
        else:
            node = keccak256(concat(group[4], node))
            other = keccak256(concat(group[4], other))
        if path & 32 == 0:
            node = keccak256(concat(node, group[5]))
            other = keccak256(concat(other, group[5]))
        else:
            node = keccak256(concat(group[5], node))
            other = keccak256(concat(group[5], other))
        if path & 64 == 0:
            node = keccak256(concat(node, group[6]))
            other = keccak256(concat(other, group[6]))
        else:
            node = keccak256(concat(group[6], node))
            other = keccak256(concat(group[6], other))
        if path & 128 == 0:
            node = keccak256(concat(node, group[7]))
            other = keccak256(concat(other, group[7]))
        else:
            node = keccak256(concat(group[7], node))
            other = keccak256(concat(group[7], other))
        if path & 256 == 0:
            node = keccak256(concat(node, group[8]))
            other = keccak256(concat(other, group[8]))
        else:
            node = keccak256(concat(group[8], node))
            other = keccak256(concat(group[8], other))
        path = path >> 9
    return node, other


@pure
@internal
def _sign_extend16(x: uint256) -> uint256:
    return unsafe_sub((x & 65535) ^ 32768, 32768) & M32


@pure
@internal
def _sign_extend8(x: uint256) -> uint256:
    return unsafe_sub((x & 255) ^ 128, 128) & M32


# -- ALU (§7.2-7.4) -----------------------------------------------------------------------------


@pure
@internal
def _execute_alu(insn: uint256, op: uint256, fn: uint256, rs: uint256, rt: uint256, mem: uint256) -> uint256:
    """The value an instruction computes; reverts on every encoding the spec leaves undefined."""
    if op == 0:
        return self._execute_special(insn, fn, rs, rt)
    if op >= 8 and op < 15:
        # Immediate ALU opcodes compute exactly the SPECIAL function they name (§7.3).
        special: uint256 = 38
        if op == 8:
            special = 32
        elif op == 9:
            special = 33
        elif op == 10:
            special = 42
        elif op == 11:
            special = 43
        elif op == 12:
            special = 36
        elif op == 13:
            special = 37
        return self._execute_special(insn, special, rs, rt)
    if op == 28:
        return self._execute_special2(fn, rs, rt)
    if op == 15:
        return (rt << 16) & M32
    if op >= 32:
        return self._execute_load_store(op, rs, rt, mem)
    self._fail(INVALID_INSTRUCTION)
    return 0


@pure
@internal
def _shift_right_arithmetic(x: uint256, amount: uint256) -> uint256:
    result: uint256 = x >> amount
    if x & 2147483648 != 0:
        result |= M32 ^ (M32 >> amount)
    return result


@pure
@internal
def _execute_special(insn: uint256, fn: uint256, rs: uint256, rt: uint256) -> uint256:
    """SPECIAL (op = 0) arithmetic, logic and shifts, also used by the immediate forms."""
    if fn == 0:
        return (rt << ((insn >> 6) & 31)) & M32
    if fn == 2:
        return rt >> ((insn >> 6) & 31)
    if fn == 3:
        return self._shift_right_arithmetic(rt, (insn >> 6) & 31)
    if fn == 4:
        return (rt << (rs & 31)) & M32
    if fn == 6:
        return rt >> (rs & 31)
    if fn == 7:
        return self._shift_right_arithmetic(rt, rs & 31)
    # Functions whose ALU value is rs: their real effect is applied after the ALU (step 12).
    if (fn >= 8 and fn <= 12) or fn == 15 or (fn >= 16 and fn <= 19) or (fn >= 24 and fn <= 27):
        return rs
    if fn == 32 or fn == 33:
        return unsafe_add(rs, rt) & M32
    if fn == 34 or fn == 35:
        return unsafe_sub(rs, rt) & M32
    if fn == 36:
        return rs & rt
    if fn == 37:
        return rs | rt
    if fn == 38:
        return rs ^ rt
    if fn == 39:
        return ~(rs | rt) & M32
    if fn == 42:
        # Signed compare: flipping the sign bits orders two's complement as unsigned.
        if rs ^ 2147483648 < rt ^ 2147483648:
            return 1
        return 0
    if fn == 43:
        if rs < rt:
            return 1
        return 0
    self._fail(INVALID_INSTRUCTION)
    return 0


@pure
@internal
def _count_leading_zeros(x: uint256) -> uint256:
    """Leading zero bits of a 32-bit value (32 for zero)."""
    if x == 0:
        return 32
    count: uint256 = 0
    rest: uint256 = x
    if rest & 4294901760 == 0:
        count += 16
        rest <<= 16
    if rest & 4278190080 == 0:
        count += 8
        rest <<= 8
    if rest & 4026531840 == 0:
        count += 4
        rest <<= 4
    if rest & 3221225472 == 0:
        count += 2
        rest <<= 2
    if rest & 2147483648 == 0:
        count += 1
    return count


@pure
@internal
def _execute_special2(fn: uint256, rs: uint256, rt: uint256) -> uint256:
    """SPECIAL2 (op = 0x1C): mul, clz, clo."""
    if fn == 2:
        # The low 32 bits of a product do not depend on the operands' signedness.
        return unsafe_mul(rs, rt) & M32
    if fn == 32:
        return self._count_leading_zeros(rs)
    if fn == 33:
        return self._count_leading_zeros(~rs & M32)
    self._fail(INVALID_INSTRUCTION)
    return 0


@pure
@internal
def _execute_load_store(op: uint256, ea: uint256, rt: uint256, mem: uint256) -> uint256:
    """Loads give the register value, stores the new memory word (§7.4)."""
    byte_shift: uint256 = (ea & 3) << 3
    halfword_shift: uint256 = 16 - ((ea & 2) << 3)
    if op == 32:
        return self._sign_extend8(mem >> (24 - byte_shift))
    if op == 33:
        return self._sign_extend16(mem >> halfword_shift)
    if op == 34:
        return (rt & ~(M32 << byte_shift)) | ((mem << byte_shift) & M32)
    if op == 35:
        return mem
    if op == 36:
        return (mem >> (24 - byte_shift)) & 255
    if op == 37:
        return (mem >> halfword_shift) & 65535
    if op == 38:
        amount: uint256 = 24 - byte_shift
        return (rt & ~(M32 >> amount) & M32) | (mem >> amount)
    if op == 40:
        amount: uint256 = 24 - byte_shift
        return (mem & ~(255 << amount)) | ((rt & 255) << amount)
    if op == 41:
        return (mem & ~(65535 << halfword_shift)) | ((rt & 65535) << halfword_shift)
    if op == 42:
        return (mem & ~(M32 >> byte_shift) & M32) | (rt >> byte_shift)
    if op == 43:
        return rt
    if op == 46:
        amount: uint256 = 24 - byte_shift
        return (mem & ~(M32 << amount)) | ((rt << amount) & M32)
    self._fail(INVALID_INSTRUCTION)
    return 0


# -- HI/LO (§7.5) -------------------------------------------------------------------------------


@pure
@internal
def _execute_hilo(
    fn: uint256, rs: uint256, rt: uint256, hi: uint256, lo: uint256
) -> (uint256, uint256, uint256):
    """mfhi ... divu: the new hi and lo, and the value for rd (0 but for the moves-from)."""
    if fn == 16:
        return hi, lo, hi
    if fn == 17:
        return rs, lo, 0
    if fn == 18:
        return hi, lo, lo
    if fn == 19:
        return hi, rs, 0
    if fn == 24:
        # Sign-extended to 64 bits, the product's low 64 bits are the signed product's.
        product: uint256 = unsafe_mul(self._sign_extend32to64(rs), self._sign_extend32to64(rt))
        return (product >> 32) & M32, product & M32, 0
    if fn == 25:
        product: uint256 = unsafe_mul(rs, rt)
        return product >> 32, product & M32, 0
    if rt == 0:
        self._fail(DIVISION_BY_ZERO)
    if fn == 26:
        # Truncating division of the magnitudes; the remainder takes the dividend's sign.
        dividend: uint256 = self._magnitude32(rs)
        divisor: uint256 = self._magnitude32(rt)
        quotient: uint256 = unsafe_div(dividend, divisor)
        remainder: uint256 = dividend % divisor
        if (rs ^ rt) & 2147483648 != 0:
            quotient = unsafe_sub(0, quotient)
        if rs & 2147483648 != 0:
            remainder = unsafe_sub(0, remainder)
        return remainder & M32, quotient & M32, 0
    return rs % rt, unsafe_div(rs, rt), 0


@pure
@internal
def _sign_extend32to64(x: uint256) -> uint256:
    if x & 2147483648 != 0:
        return x | 18446744069414584320  # 0xFFFFFFFF00000000
    return x


@pure
@internal
def _magnitude32(x: uint256) -> uint256:
    """|s32(x)| (2**31 for 0x80000000)."""
    if x & 2147483648 != 0:
        return unsafe_sub(4294967296, x)
    return x


# -- branches (§7.6) ----------------------------------------------------------------------------


@pure
@internal
def _branch_taken(insn: uint256, op: uint256, rs: uint256, rt: uint256) -> bool:
    """The branch condition; REGIMM encodings other than bltz/bgez/bgezal are never taken."""
    negative: bool = rs & 2147483648 != 0
    if op == 4:
        return rs == rt
    if op == 5:
        return rs != rt
    if op == 6:
        return negative or rs == 0
    if op == 7:
        return not negative and rs != 0
    regimm: uint256 = (insn >> 16) & 31
    if regimm == 0:
        return negative
    if regimm == 1 or regimm == 17:
        return not negative
    return False


# -- syscalls (§6) ------------------------------------------------------------------------------


@pure
@internal
def _sys_mmap(heap: uint256, addr: uint256, length: uint256) -> (uint256, uint256, uint256):
    """(v0, v1, heap): bump allocation for addr 0; a hinted address is returned as is (§6.3)."""
    size: uint256 = length
    if size & 4095 != 0:
        size = unsafe_add(size, 4096 - (size & 4095)) & M32
    if addr != 0:
        return addr, 0, heap
    new_heap: uint256 = unsafe_add(heap, size) & M32
    if new_heap > HEAP_END or new_heap < heap or size < length:
        return SYSCALL_ERROR, EINVAL, heap
    return heap, 0, new_heap


@view
@internal
def _read_preimage(
    root: bytes32, key: bytes32, offset: uint256, buffer: uint256, count: uint256, local_context: bytes32
) -> (uint256, bytes32):
    """(bytes read, new memory root): up to 4 bytes of the preimage stream into the word at
    ``buffer`` (§6.5)."""
    word_address: uint256 = buffer & 4294967292
    alignment: uint256 = buffer & 3
    mem: uint256 = self._unproven_word(word_address, DATA_PROOF)
    oracle_key: bytes32 = key
    if convert(key, uint256) >> PreimageKeyLib.KEY_TYPE_SHIFT == PreimageKeyLib.LOCAL_KEY_TYPE:
        oracle_key = PreimageKeyLib.localize(key, local_context)
    part: bytes32 = empty(bytes32)
    part_length: uint256 = 0
    part, part_length = staticcall IPreimageOracle(ORACLE).readPreimage(oracle_key, offset)
    length: uint256 = min(min(part_length, 4 - alignment), count)
    # The first ``length`` bytes of the part replace the word's bytes alignment .. + length.
    amount: uint256 = (4 - alignment - length) << 3
    mask: uint256 = ((1 << (length << 3)) - 1) << amount
    data: uint256 = (convert(part, uint256) >> (256 - (length << 3))) << amount
    return length, self._update_word(root, word_address, DATA_PROOF, (mem & ~mask) | data)


@view
@internal
def _write_preimage_key(root: bytes32, key: bytes32, buffer: uint256, count: uint256) -> (uint256, bytes32):
    """(bytes written, new key): up to 4 bytes from the word at ``buffer`` shifted into the
    key (§6.6)."""
    alignment: uint256 = buffer & 3
    mem: uint256 = self._read_word(root, buffer & 4294967292, DATA_PROOF)
    length: uint256 = min(count, 4 - alignment)
    bits: uint256 = length << 3
    data: uint256 = (mem >> ((4 - alignment - length) << 3)) & ((1 << bits) - 1)
    return length, convert((convert(key, uint256) << bits) | data, bytes32)


@pure
@internal
def _sys_fcntl(fd: uint256, command: uint256) -> (uint256, uint256):
    """fcntl: F_GETFD and F_GETFL for the seven guest descriptors."""
    if command == 1:
        if fd <= 6:
            return 0, 0
        return SYSCALL_ERROR, EBADF
    if command == 3:
        if fd == FD_STDIN or fd == FD_HINT_READ or fd == FD_PREIMAGE_READ:
            return 0, 0
        if fd == FD_STDOUT or fd == FD_STDERR or fd == FD_HINT_WRITE or fd == FD_PREIMAGE_WRITE:
            return 1, 0
        return SYSCALL_ERROR, EBADF
    return SYSCALL_ERROR, EINVAL
