"""Single-step vectors for every RV64IMA instruction (spec: riscv64.md §3–§6, Appendix A).

Every row is a vector ``(pre-state, instruction, expected post-state or revert)``. Expected values
are worked out by hand from the RISC-V unprivileged specification and riscv64.md and written out
literally; nothing here asks the code under test what the answer is.

``run_vector`` checks each row three ways:

* the stateful VM (``RiscvVM.step()``): every register (not only the destination), ``pc``, the step
  counter, every other witness field, the memory bytes the row names, and the memory root against
  a memory holding exactly the expected bytes (so a stray write anywhere fails);
* ``RiscvVM.step(proof=True)``: the witness and state hashes, recomputed here from §2.1/§2.2, and
  the proof slots of §3.4 (count, leaf address, leaf bytes, and the root each slot folds to);
* the stateless verifier (``RiscvVM.verify_step``) on that proof: it returns the same post hash.

A reverting row must raise the named ``StepFailure`` with the Appendix A code from the VM (which
keeps its pre-state) and from the verifier, given the proofs the row names.

Registers that a row does not set hold distinctive background values, so a write to the wrong
register is caught; ``x0`` is 0 unless a row stores something else there (§2.1: reads of ``x0``
return the stored value, writes are dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from faultproof.crypto import keccak256
from faultproof.errors import (
    InvalidInstruction,
    InvalidMemoryProof,
    MisalignedAddress,
    PreimagePartUnavailable,
    StepFailure,
)
from faultproof.memory import Memory
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import localize
from faultproof.vm.interface import PreimagePartSource, StepProof
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.vm import RiscvVM
from riscv_asm import (
    A0,
    A1,
    A7,
    AMO_ADD,
    AMO_LR,
    AMO_SC,
    CSR_MHARTID,
    EBREAK,
    FENCE_TSO,
    LOAD,
    LOAD_FP,
    MISC_MEM,
    MRET,
    NOP,
    OP,
    OP_32,
    OP_FP,
    OP_IMM,
    OP_IMM_32,
    PAUSE,
    RA,
    SRET,
    STORE,
    STORE_FP,
    SYSTEM,
    T0,
    T1,
    T2,
    T3,
    T4,
    T5,
    WFI,
    ZERO,
    D,
    W,
    add,
    addi,
    addiw,
    addw,
    amo_type,
    amoadd_d,
    amoadd_w,
    amoand_d,
    amoand_w,
    amomax_d,
    amomax_w,
    amomaxu_d,
    amomaxu_w,
    amomin_d,
    amomin_w,
    amominu_d,
    amominu_w,
    amoor_d,
    amoor_w,
    amoswap_d,
    amoswap_w,
    amoxor_d,
    amoxor_w,
    and_,
    andi,
    auipc,
    b_type,
    beq,
    bge,
    bgeu,
    blt,
    bltu,
    bne,
    csrr,
    csrrc,
    csrrci,
    csrrs,
    csrrsi,
    csrrw,
    csrrwi,
    div,
    divu,
    divuw,
    divw,
    ecall,
    fadd_d,
    fclass_d,
    fcvt_l_d,
    fence,
    fence_i,
    feq_d,
    fld,
    flw,
    fmadd_d,
    fmv_x_d,
    fsd,
    fsw,
    i_type,
    jal,
    jalr,
    lb,
    lbu,
    ld,
    lh,
    lhu,
    lr_d,
    lr_w,
    lui,
    lw,
    lwu,
    mul,
    mulh,
    mulhsu,
    mulhu,
    mulw,
    or_,
    ori,
    r_type,
    rdcycle,
    rdinstret,
    rdtime,
    rem,
    remu,
    remuw,
    remw,
    s_type,
    sb,
    sc_d,
    sc_w,
    sd,
    sh,
    shift_imm,
    sll,
    slli,
    slliw,
    sllw,
    slt,
    slti,
    sltiu,
    sltu,
    sra,
    srai,
    sraiw,
    sraw,
    srl,
    srli,
    srliw,
    srlw,
    sub,
    subw,
    sw,
    xor,
    xori,
)

# -- the vector harness (shared with the syscall tests) ------------------------------------------

PC = 0x0001_0040  # the first byte of a leaf
DATA = 0x0020_0000  # the first byte of an even leaf: DATA and DATA + 32 are sibling leaves
HEAP = 0x0000_7F00_0000_0000
STEP = 41
RESERVATION = 0x0000_0BAD_0000_0008  # a stale reservation no row expects to see change by accident
KEY = bytes([0x02, *range(1, 32)])
CONTEXT = bytes(32)
CALLER = bytes([0x11]) * 20

MASK64 = (1 << 64) - 1
ALL_ONES = MASK64
MIN64 = 1 << 63  # -2^63 as a register value
MAX64 = MIN64 - 1
LEAF = 32
PROOF_SIZE = 1920  # §3.3: the leaf and 59 siblings
DEPTH = 59
WITNESS_SIZE = 362


def background(index: int) -> int:
    return 0 if index == 0 else 0xBA5E_0000_0000_0000 | (0x0101_0101 * index)


@dataclass(frozen=True, kw_only=True)
class Vector:
    """One step: the pre-state, and the expected post-state or revert.

    ``post_*`` fields left ``None`` mean "unchanged", except ``post_pc`` (default ``pc + 4``) and
    ``post_step`` (default ``step + 1``). ``mem``/``post_mem`` map addresses to bytes (wrapping at
    2^64). ``slots`` are addresses in the leaves of proof slots 1 and 2, in order (§3.4); slot 0 is
    always the leaf of ``pc``. For a reverting row they are the proofs the verifier needs to reach
    the same revert.
    """

    id: str
    insn: int
    regs: Mapping[int, int] = field(default_factory=dict)
    mem: Mapping[int, bytes] = field(default_factory=dict)
    pc: int = PC
    heap: int = HEAP
    load_reservation: int = RESERVATION
    preimage_key: bytes = KEY
    preimage_offset: int = 0
    exited: int = 0
    exit_code: int = 0
    step: int = STEP
    last_hint: bytes = b""
    preimages: Mapping[bytes, bytes] = field(default_factory=dict)

    post_regs: Mapping[int, int] = field(default_factory=dict)
    post_mem: Mapping[int, bytes] = field(default_factory=dict)
    post_pc: int | None = None
    post_heap: int | None = None
    post_load_reservation: int | None = None
    post_preimage_key: bytes | None = None
    post_preimage_offset: int | None = None
    post_exited: int | None = None
    post_exit_code: int | None = None
    post_step: int | None = None
    post_last_hint: bytes | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    hints: tuple[bytes, ...] = ()

    slots: tuple[int, ...] = ()
    # The step read a preimage (§10.3: the proof names the raw key, the stream and the offset).
    oracle: bool = False

    raises: type[Exception] | None = None
    code: int | None = None
    # What the stateless verifier raises, where it differs (a missing preimage is a host error
    # offchain and a failed oracle call onchain).
    verifier_raises: type[Exception] | None = None
    verifier_code: int | None = None


def vid(vector: Vector) -> str:
    return vector.id


def pre_registers(vector: Vector) -> list[int]:
    registers = [background(i) for i in range(32)]
    for index, value in vector.regs.items():
        registers[index] = value
    return registers


def le32(value: int) -> bytes:
    return (value & 0xFFFF_FFFF).to_bytes(4, "little")


def le64(value: int) -> bytes:
    return (value & MASK64).to_bytes(8, "little")


def byte_image(chunks: Mapping[int, bytes]) -> dict[int, int]:
    """Address → byte for a set of (address, bytes) chunks, wrapping at 2^64."""
    image: dict[int, int] = {}
    for address, data in chunks.items():
        for i, byte in enumerate(data):
            image[(address + i) & MASK64] = byte
    return image


def pre_image(vector: Vector) -> dict[int, int]:
    image = byte_image(vector.mem)
    instruction = byte_image({vector.pc: le32(vector.insn)})
    assert not image.keys() & instruction.keys(), "the instruction is written by the harness"
    image.update(instruction)
    return image


def post_image(vector: Vector) -> dict[int, int]:
    image = pre_image(vector)
    image.update(byte_image(vector.post_mem))
    return image


def memory_of(image: Mapping[int, int]) -> Memory:
    memory = Memory(64)
    for address, byte in image.items():
        memory.write(address, bytes([byte]))
    return memory


def pre_state(vector: Vector) -> RiscvState:
    return RiscvState(
        preimage_key=vector.preimage_key,
        preimage_offset=vector.preimage_offset,
        pc=vector.pc,
        exit_code=vector.exit_code,
        exited=vector.exited,
        step=vector.step,
        heap=vector.heap,
        load_reservation=vector.load_reservation,
        registers=pre_registers(vector),
    )


def expected_state(vector: Vector) -> RiscvState:
    registers = pre_registers(vector)
    for index, value in vector.post_regs.items():
        registers[index] = value

    def pick(post: int | None, pre: int) -> int:
        return pre if post is None else post

    return RiscvState(
        preimage_key=vector.preimage_key if vector.post_preimage_key is None else vector.post_preimage_key,
        preimage_offset=pick(vector.post_preimage_offset, vector.preimage_offset),
        pc=pick(vector.post_pc, (vector.pc + 4) & MASK64),
        exit_code=pick(vector.post_exit_code, vector.exit_code),
        exited=pick(vector.post_exited, vector.exited),
        step=pick(vector.post_step, (vector.step + 1) & MASK64),
        heap=pick(vector.post_heap, vector.heap),
        load_reservation=pick(vector.post_load_reservation, vector.load_reservation),
        registers=registers,
    )


# -- the witness, the state hash and memory proofs, written out from §2 and §3 ------------------


def witness_of(mem_root: bytes, state: RiscvState) -> bytes:
    """§2.1: the 362-byte big-endian witness, field by field."""
    witness = b"".join(
        [
            mem_root,
            state.preimage_key,
            state.preimage_offset.to_bytes(8, "big"),
            state.pc.to_bytes(8, "big"),
            bytes([state.exit_code, state.exited]),
            state.step.to_bytes(8, "big"),
            state.heap.to_bytes(8, "big"),
            state.load_reservation.to_bytes(8, "big"),
            *(register.to_bytes(8, "big") for register in state.registers),
        ]
    )
    assert len(witness) == WITNESS_SIZE
    return witness


def status_hash(witness: bytes) -> bytes:
    """§2.2: byte 0 of the witness hash replaced by the status (exitCode at 80, exited at 81)."""
    exit_code, exited = witness[80], witness[81]
    status = 3 if exited != 1 else {0: 0, 1: 1}.get(exit_code, 2)
    return bytes([status]) + keccak256(witness)[1:]


def fold(leaf_address: int, proof: bytes) -> bytes:
    """§3.3 VERIFY's fold: the root a 1920-byte proof commits to for the leaf at this address."""
    node = proof[:LEAF]
    path = leaf_address >> 5
    for level in range(DEPTH):
        sibling = proof[LEAF * (level + 1) : LEAF * (level + 2)]
        node = keccak256(sibling + node) if (path >> level) & 1 else keccak256(node + sibling)
    return node


def leaf_of(address: int) -> int:
    return address & ~31 & MASK64


def leaf_bytes(image: Mapping[int, int], address: int) -> bytes:
    return bytes(image.get(address + i, 0) for i in range(LEAF))


# -- onchain preimage parts (preimage-oracle.md §2.1, §3) ----------------------------------------


def onchain_key(key: bytes, context: bytes) -> bytes:
    """Local keys are localized with the step's context and the caller; global keys are used as is."""
    return localize(key, context, CALLER) if key[0] == 1 else key


def part_of(stream: bytes, offset: int) -> tuple[bytes, int]:
    """``part(d, o)`` and ``partLen(d, o)`` of the length-prefixed stream, only for ``o < len``."""
    if offset >= len(stream):
        raise PreimagePartUnavailable("pre-image must exist")
    return (stream + bytes(32))[offset : offset + 32], min(32, len(stream) - offset)


class OnchainParts(PreimagePartSource):
    """Every part of some preimages, under their onchain (localized) keys."""

    def __init__(self, preimages: Mapping[bytes, bytes], context: bytes) -> None:
        self.streams = {
            onchain_key(key, context): len(value).to_bytes(8, "big") + value
            for key, value in preimages.items()
        }

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if key not in self.streams:
            raise PreimagePartUnavailable("pre-image must exist")
        return part_of(self.streams[key], offset)


class SinglePart(PreimagePartSource):
    """Exactly the one part a step proof asks a challenger to load (§8.5), under its onchain key."""

    def __init__(self, proof: StepProof, context: bytes) -> None:
        assert proof.oracle_key is not None and proof.oracle_value is not None
        self.key = onchain_key(proof.oracle_key, context)
        self.offset = proof.oracle_offset
        self.part = part_of(proof.oracle_value, proof.oracle_offset)

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if (key, offset) != (self.key, self.offset):
            raise PreimagePartUnavailable("pre-image must exist")
        return self.part


# -- running a vector ----------------------------------------------------------------------------


def prepare(vector: Vector) -> tuple[RiscvVM, OracleHost]:
    """A VM in the vector's pre-state, with a host serving the vector's preimages."""
    host = OracleHost.in_memory(vector.preimages, record_hints=True)
    vm = RiscvVM(pre_state(vector), memory_of(pre_image(vector)), vector.last_hint, host)
    return vm, host


def expected_proof_slots(vector: Vector) -> list[tuple[int, bytes]]:
    """(leaf address, root the slot folds to) for every slot the step must emit (§3.4)."""
    if vector.exited != 0:
        return []
    pre = pre_image(vector)
    pre_root = memory_of(pre).merkle_root()
    slots = [(leaf_of(vector.pc), pre_root)]
    leaves = [leaf_of(address) for address in vector.slots]
    if leaves:
        slots.append((leaves[0], pre_root))
    if len(leaves) > 1:
        # A store's second slot is proven against the root after the first leaf was rewritten.
        first = leaves[0]
        intermediate = dict(pre)
        for address, byte in byte_image(vector.post_mem).items():
            if leaf_of(address) == first:
                intermediate[address] = byte
        slots.append((leaves[1], memory_of(intermediate).merkle_root()))
    assert len(slots) <= 3
    return slots


def check_proof(vector: Vector, proof: StepProof, context: bytes) -> None:
    """The proof a step emits: witness, hashes, slot count and contents, and the verifier's answer."""
    pre_memory = memory_of(pre_image(vector))
    pre_witness = witness_of(pre_memory.merkle_root(), pre_state(vector))
    post_witness = witness_of(memory_of(post_image(vector)).merkle_root(), expected_state(vector))
    assert proof.step == vector.step
    assert proof.state_data == pre_witness
    assert proof.pre == status_hash(pre_witness)
    assert proof.post == status_hash(post_witness)

    slots = expected_proof_slots(vector)
    assert len(proof.proof_data) == PROOF_SIZE * len(slots), "proof size (§3.4)"
    image = pre_image(vector)
    for index, (address, root) in enumerate(slots):
        slot = proof.proof_data[PROOF_SIZE * index : PROOF_SIZE * (index + 1)]
        assert slot[:LEAF] == leaf_bytes(image, address), f"slot {index} holds the leaf at 0x{address:x}"
        assert fold(address, slot) == root, f"slot {index} folds to the root of its moment"

    if vector.oracle:
        assert proof.oracle_key == vector.preimage_key  # raw, never localized (§8.3)
        value = vector.preimages[vector.preimage_key]
        assert proof.oracle_value == len(value).to_bytes(8, "big") + value
        assert proof.oracle_offset == vector.preimage_offset
        parts: PreimagePartSource = SinglePart(proof, context)
    else:
        assert proof.oracle_key is None and proof.oracle_value is None
        parts = OnchainParts({}, context)
    assert RiscvVM.verify_step(proof.state_data, proof.proof_data, context, parts, CALLER) == proof.post


def check_failure(vector: Vector, context: bytes) -> None:
    """A reverting row: the VM raises and keeps its pre-state; the verifier reverts the same way."""
    assert vector.raises is not None
    for with_proof in (False, True):
        vm, host = prepare(vector)
        pre_witness = vm.witness()
        with pytest.raises(vector.raises) as failure:
            vm.step(proof=with_proof)
        if isinstance(failure.value, StepFailure):
            assert failure.value.code == vector.code
        assert vm.witness() == pre_witness
        assert vm.state == pre_state(vector)
        assert vm.memory.merkle_root() == memory_of(pre_image(vector)).merkle_root()
        assert vm.stdout == b"" and vm.stderr == b"" and host.hints == []
        assert bytes(vm.last_hint) == vector.last_hint

    memory = memory_of(pre_image(vector))
    state_data = witness_of(memory.merkle_root(), pre_state(vector))
    proof_data = b"".join(memory.proof(address) for address in (vector.pc, *vector.slots))
    parts = OnchainParts(vector.preimages, context)
    with pytest.raises(vector.verifier_raises or vector.raises) as onchain:
        RiscvVM.verify_step(state_data, proof_data, context, parts, CALLER)
    assert isinstance(onchain.value, StepFailure)
    assert onchain.value.code == (vector.verifier_code if vector.verifier_raises else vector.code)


def run_vector(vector: Vector, context: bytes = CONTEXT) -> RiscvVM:
    """Step the VM once and check the complete post-state, the proof and the verifier (or the revert)."""
    if vector.raises is not None:
        check_failure(vector, context)
        return prepare(vector)[0]

    vm, host = prepare(vector)
    vm.step()
    expected = expected_state(vector)
    assert vm.state.registers == expected.registers
    assert vm.state == expected
    image = post_image(vector)
    for address, data in vector.post_mem.items():
        assert vm.memory.read(address, len(data)) == data, f"bytes at 0x{address:x}"
    assert vm.memory.merkle_root() == memory_of(image).merkle_root(), "memory changed elsewhere"
    assert bytes(vm.stdout) == vector.stdout
    assert bytes(vm.stderr) == vector.stderr
    assert tuple(host.hints) == vector.hints
    post_last_hint = vector.last_hint if vector.post_last_hint is None else vector.post_last_hint
    assert bytes(vm.last_hint) == post_last_hint

    proving_vm, _ = prepare(vector)
    proof = proving_vm.step(proof=True)
    assert proof is not None
    assert proving_vm.state == expected
    check_proof(vector, proof, context)
    return vm


V = Vector

X = 0x8765_4321_0FED_CBA9  # negative as s64, low word positive
P = 0x7654_3210_FEDC_BA98  # positive as s64, low word negative
Y = 0x1234_5678_8765_4321  # positive as s64, low word negative (0x87654321)
Q = 0x7654_3210  # a positive low word

# -- OP-IMM (§6.4) -------------------------------------------------------------------------------

OP_IMM_VECTORS = [
    V(id="addi", insn=addi(T0, T1, 1), regs={T1: 5}, post_regs={T0: 6}),
    V(id="addi-negative-imm", insn=addi(T0, T1, -6), regs={T1: 5}, post_regs={T0: ALL_ONES}),
    V(id="addi-wraps-at-2^64", insn=addi(T0, T1, 1), regs={T1: ALL_ONES}, post_regs={T0: 0}),
    V(id="addi-max-imm", insn=addi(T0, T1, 2047), regs={T1: 0}, post_regs={T0: 0x7FF}),
    V(id="addi-min-imm", insn=addi(T0, T1, -2048), regs={T1: 0}, post_regs={T0: 0xFFFF_FFFF_FFFF_F800}),
    # 64-bit arithmetic: no carry stops at bit 31.
    V(id="addi-no-32-bit-wrap", insn=addi(T0, T1, 1), regs={T1: 0xFFFF_FFFF}, post_regs={T0: 0x1_0000_0000}),
    V(id="addi-to-self", insn=addi(T1, T1, 16), regs={T1: 0x1000}, post_regs={T1: 0x1010}),
    V(id="addi-to-x0-is-dropped", insn=addi(ZERO, T1, 1), regs={T1: 5}),
    V(id="nop", insn=NOP),
    # A hand-made state with x0 != 0: reads return the stored value, writes are dropped (§2.1).
    V(id="addi-reads-stored-x0", insn=addi(T0, ZERO, 1), regs={ZERO: 0x1234}, post_regs={T0: 0x1235}),
    V(id="addi-x0-write-dropped-keeps-stored-x0", insn=addi(ZERO, ZERO, 1), regs={ZERO: 0x1234}),
    V(id="slti-less", insn=slti(T0, T1, 0), regs={T1: ALL_ONES}, post_regs={T0: 1}),
    V(id="slti-not-less", insn=slti(T0, T1, -1), regs={T1: 0}, post_regs={T0: 0}),
    V(id="slti-equal", insn=slti(T0, T1, 5), regs={T1: 5}, post_regs={T0: 0}),
    V(id="slti-min-vs-min-imm", insn=slti(T0, T1, -2048), regs={T1: MIN64}, post_regs={T0: 1}),
    V(id="slti-max-vs-max-imm", insn=slti(T0, T1, 2047), regs={T1: MAX64}, post_regs={T0: 0}),
    V(id="sltiu-seqz-zero", insn=sltiu(T0, T1, 1), regs={T1: 0}, post_regs={T0: 1}),
    V(id="sltiu-seqz-nonzero", insn=sltiu(T0, T1, 1), regs={T1: 1}, post_regs={T0: 0}),
    # The immediate is sign-extended first, then compared unsigned: -1 is 2^64 - 1.
    V(id="sltiu-imm-minus-1-is-max", insn=sltiu(T0, T1, -1), regs={T1: ALL_ONES - 1}, post_regs={T0: 1}),
    V(id="sltiu-max-vs-minus-1", insn=sltiu(T0, T1, -1), regs={T1: ALL_ONES}, post_regs={T0: 0}),
    V(id="sltiu-negative-imm-is-huge", insn=sltiu(T0, T1, -2048), regs={T1: 0xFFF}, post_regs={T0: 1}),
    V(id="sltiu-unsigned", insn=sltiu(T0, T1, 2047), regs={T1: MIN64}, post_regs={T0: 0}),
    V(id="xori-not", insn=xori(T0, T1, -1), regs={T1: X}, post_regs={T0: 0x789A_BCDE_F012_3456}),
    V(id="xori", insn=xori(T0, T1, 0xFF), regs={T1: X}, post_regs={T0: 0x8765_4321_0FED_CB56}),
    V(id="xori-min-imm", insn=xori(T0, T1, -2048), regs={T1: X}, post_regs={T0: 0x789A_BCDE_F012_33A9}),
    V(id="ori", insn=ori(T0, T1, 0x34), regs={T1: 0x1200}, post_regs={T0: 0x1234}),
    V(id="ori-min-imm", insn=ori(T0, T1, -2048), regs={T1: 0}, post_regs={T0: 0xFFFF_FFFF_FFFF_F800}),
    V(id="ori-keeps-high-bits", insn=ori(T0, T1, 0xF0), regs={T1: X}, post_regs={T0: 0x8765_4321_0FED_CBF9}),
    V(id="andi", insn=andi(T0, T1, 0xFF), regs={T1: X}, post_regs={T0: 0xA9}),
    V(id="andi-negative-imm", insn=andi(T0, T1, -16), regs={T1: X}, post_regs={T0: 0x8765_4321_0FED_CBA0}),
    V(id="andi-max-imm", insn=andi(T0, T1, 0x7FF), regs={T1: X}, post_regs={T0: 0x3A9}),
    V(id="slli-0", insn=slli(T0, T1, 0), regs={T1: X}, post_regs={T0: X}),
    V(id="slli-1", insn=slli(T0, T1, 1), regs={T1: X}, post_regs={T0: 0x0ECA_8642_1FDB_9752}),
    V(id="slli-31", insn=slli(T0, T1, 31), regs={T1: X}, post_regs={T0: 0x87F6_E5D4_8000_0000}),
    V(id="slli-32", insn=slli(T0, T1, 32), regs={T1: X}, post_regs={T0: 0x0FED_CBA9_0000_0000}),
    V(id="slli-63", insn=slli(T0, T1, 63), regs={T1: X}, post_regs={T0: MIN64}),
    V(id="srli-0", insn=srli(T0, T1, 0), regs={T1: X}, post_regs={T0: X}),
    V(id="srli-1", insn=srli(T0, T1, 1), regs={T1: X}, post_regs={T0: 0x43B2_A190_87F6_E5D4}),
    V(id="srli-31", insn=srli(T0, T1, 31), regs={T1: X}, post_regs={T0: 0x0000_0001_0ECA_8642}),
    V(id="srli-32", insn=srli(T0, T1, 32), regs={T1: X}, post_regs={T0: 0x0000_0000_8765_4321}),
    V(id="srli-63", insn=srli(T0, T1, 63), regs={T1: X}, post_regs={T0: 1}),
    V(id="srai-0", insn=srai(T0, T1, 0), regs={T1: X}, post_regs={T0: X}),
    V(id="srai-1", insn=srai(T0, T1, 1), regs={T1: X}, post_regs={T0: 0xC3B2_A190_87F6_E5D4}),
    V(id="srai-31", insn=srai(T0, T1, 31), regs={T1: X}, post_regs={T0: 0xFFFF_FFFF_0ECA_8642}),
    V(id="srai-32", insn=srai(T0, T1, 32), regs={T1: X}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="srai-63", insn=srai(T0, T1, 63), regs={T1: X}, post_regs={T0: ALL_ONES}),
    V(id="srai-1-positive", insn=srai(T0, T1, 1), regs={T1: P}, post_regs={T0: 0x3B2A_1908_7F6E_5D4C}),
    V(id="srai-31-positive", insn=srai(T0, T1, 31), regs={T1: P}, post_regs={T0: 0x0000_0000_ECA8_6421}),
    V(id="srai-32-positive", insn=srai(T0, T1, 32), regs={T1: P}, post_regs={T0: 0x0000_0000_7654_3210}),
    V(id="srai-63-positive", insn=srai(T0, T1, 63), regs={T1: P}, post_regs={T0: 0}),
    V(id="srli-to-x0-is-dropped", insn=srli(ZERO, T1, 4), regs={T1: X}),
]

# -- OP-IMM-32 (§6.5) ----------------------------------------------------------------------------

OP_IMM_32_VECTORS = [
    V(id="addiw", insn=addiw(T0, T1, 3), regs={T1: 5}, post_regs={T0: 8}),
    V(
        id="addiw-overflow-sign-extends",
        insn=addiw(T0, T1, 1),
        regs={T1: 0x7FFF_FFFF},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(id="addiw-wraps-at-2^32", insn=addiw(T0, T1, 1), regs={T1: ALL_ONES}, post_regs={T0: 0}),
    V(
        id="addiw-ignores-high-word",
        insn=addiw(T0, T1, 3),
        regs={T1: 0x1234_5678_0000_0005},
        post_regs={T0: 8},
    ),
    V(id="addiw-negative-result", insn=addiw(T0, T1, -6), regs={T1: 5}, post_regs={T0: ALL_ONES}),
    V(
        id="sext.w-negative",
        insn=addiw(T0, T1, 0),
        regs={T1: 0x0000_0000_8000_0000},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(
        id="sext.w-positive",
        insn=addiw(T0, T1, 0),
        regs={T1: 0xFFFF_FFFF_7FFF_FFFF},
        post_regs={T0: 0x7FFF_FFFF},
    ),
    V(id="addiw-to-x0-is-dropped", insn=addiw(ZERO, T1, 1), regs={T1: 5}),
    V(id="slliw-0", insn=slliw(T0, T1, 0), regs={T1: X}, post_regs={T0: 0x0FED_CBA9}),
    V(id="slliw-1", insn=slliw(T0, T1, 1), regs={T1: X}, post_regs={T0: 0x1FDB_9752}),
    V(id="slliw-4-sign-extends", insn=slliw(T0, T1, 4), regs={T1: X}, post_regs={T0: 0xFFFF_FFFF_FEDC_BA90}),
    V(id="slliw-31", insn=slliw(T0, T1, 31), regs={T1: X}, post_regs={T0: 0xFFFF_FFFF_8000_0000}),
    V(id="srliw-0-sign-extends", insn=srliw(T0, T1, 0), regs={T1: Y}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="srliw-1", insn=srliw(T0, T1, 1), regs={T1: Y}, post_regs={T0: 0x43B2_A190}),
    V(id="srliw-4", insn=srliw(T0, T1, 4), regs={T1: Y}, post_regs={T0: 0x0876_5432}),
    V(id="srliw-31", insn=srliw(T0, T1, 31), regs={T1: Y}, post_regs={T0: 1}),
    V(id="sraiw-0", insn=sraiw(T0, T1, 0), regs={T1: Y}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="sraiw-1", insn=sraiw(T0, T1, 1), regs={T1: Y}, post_regs={T0: 0xFFFF_FFFF_C3B2_A190}),
    V(id="sraiw-4", insn=sraiw(T0, T1, 4), regs={T1: Y}, post_regs={T0: 0xFFFF_FFFF_F876_5432}),
    V(id="sraiw-31", insn=sraiw(T0, T1, 31), regs={T1: Y}, post_regs={T0: ALL_ONES}),
    V(
        id="sraiw-4-positive",
        insn=sraiw(T0, T1, 4),
        regs={T1: 0xFFFF_FFFF_0000_0000 | Q},
        post_regs={T0: 0x0765_4321},
    ),
    V(
        id="sraiw-31-positive",
        insn=sraiw(T0, T1, 31),
        regs={T1: 0xFFFF_FFFF_0000_0000 | Q},
        post_regs={T0: 0},
    ),
]

# -- OP, base (§6.6) -----------------------------------------------------------------------------

OP_VECTORS = [
    V(id="add", insn=add(T0, T1, T2), regs={T1: 3, T2: 4}, post_regs={T0: 7}),
    V(id="add-wraps", insn=add(T0, T1, T2), regs={T1: ALL_ONES, T2: 2}, post_regs={T0: 1}),
    V(id="add-large", insn=add(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0xFDB9_7532_0ECA_8641}),
    V(id="add-rd-is-rs1-and-rs2", insn=add(T1, T1, T1), regs={T1: 0x21}, post_regs={T1: 0x42}),
    V(id="add-stored-x0", insn=add(T0, ZERO, T2), regs={ZERO: 0x100, T2: 1}, post_regs={T0: 0x101}),
    V(id="add-to-x0-is-dropped", insn=add(ZERO, T1, T2), regs={T1: 3, T2: 4}),
    V(id="sub", insn=sub(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0x1111_1110_1111_1111}),
    V(id="sub-borrows", insn=sub(T0, T1, T2), regs={T1: 0, T2: 1}, post_regs={T0: ALL_ONES}),
    V(id="sub-min-minus-1", insn=sub(T0, T1, T2), regs={T1: MIN64, T2: 1}, post_regs={T0: MAX64}),
    V(id="sll-0", insn=sll(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: X}),
    V(id="sll-31", insn=sll(T0, T1, T2), regs={T1: X, T2: 31}, post_regs={T0: 0x87F6_E5D4_8000_0000}),
    V(id="sll-32", insn=sll(T0, T1, T2), regs={T1: X, T2: 32}, post_regs={T0: 0x0FED_CBA9_0000_0000}),
    V(id="sll-63", insn=sll(T0, T1, T2), regs={T1: X, T2: 63}, post_regs={T0: MIN64}),
    V(id="sll-64-is-0", insn=sll(T0, T1, T2), regs={T1: X, T2: 64}, post_regs={T0: X}),
    V(
        id="sll-high-bits-ignored",
        insn=sll(T0, T1, T2),
        regs={T1: X, T2: 0xFFFF_FFFF_FFFF_FFC1},
        post_regs={T0: 0x0ECA_8642_1FDB_9752},
    ),
    V(id="srl-0", insn=srl(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: X}),
    V(id="srl-31", insn=srl(T0, T1, T2), regs={T1: X, T2: 31}, post_regs={T0: 0x0000_0001_0ECA_8642}),
    V(id="srl-32", insn=srl(T0, T1, T2), regs={T1: X, T2: 32}, post_regs={T0: 0x8765_4321}),
    V(id="srl-63", insn=srl(T0, T1, T2), regs={T1: X, T2: 63}, post_regs={T0: 1}),
    V(
        id="srl-high-bits-ignored",
        insn=srl(T0, T1, T2),
        regs={T1: X, T2: 0xFFFF_FFFF_FFFF_FFC1},
        post_regs={T0: 0x43B2_A190_87F6_E5D4},
    ),
    V(id="sra-0", insn=sra(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: X}),
    V(id="sra-31", insn=sra(T0, T1, T2), regs={T1: X, T2: 31}, post_regs={T0: 0xFFFF_FFFF_0ECA_8642}),
    V(id="sra-32", insn=sra(T0, T1, T2), regs={T1: X, T2: 32}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="sra-63", insn=sra(T0, T1, T2), regs={T1: X, T2: 63}, post_regs={T0: ALL_ONES}),
    V(id="sra-63-positive", insn=sra(T0, T1, T2), regs={T1: P, T2: 63}, post_regs={T0: 0}),
    V(
        id="sra-high-bits-ignored",
        insn=sra(T0, T1, T2),
        regs={T1: X, T2: 0xFFFF_FFFF_FFFF_FFC1},
        post_regs={T0: 0xC3B2_A190_87F6_E5D4},
    ),
    V(id="slt-less", insn=slt(T0, T1, T2), regs={T1: ALL_ONES, T2: 1}, post_regs={T0: 1}),
    V(id="slt-not-less", insn=slt(T0, T1, T2), regs={T1: 1, T2: ALL_ONES}, post_regs={T0: 0}),
    V(id="slt-equal", insn=slt(T0, T1, T2), regs={T1: 7, T2: 7}, post_regs={T0: 0}),
    V(id="slt-min-max", insn=slt(T0, T1, T2), regs={T1: MIN64, T2: MAX64}, post_regs={T0: 1}),
    V(id="sltu-less", insn=sltu(T0, T1, T2), regs={T1: 1, T2: ALL_ONES}, post_regs={T0: 1}),
    V(id="sltu-not-less", insn=sltu(T0, T1, T2), regs={T1: ALL_ONES, T2: 1}, post_regs={T0: 0}),
    V(id="sltu-equal", insn=sltu(T0, T1, T2), regs={T1: 7, T2: 7}, post_regs={T0: 0}),
    V(id="snez", insn=sltu(T0, ZERO, T2), regs={T2: 9}, post_regs={T0: 1}),
    V(id="xor", insn=xor(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0xF131_7131_F131_7131}),
    V(id="or", insn=or_(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0xF775_7331_FFFD_FBB9}),
    V(id="and", insn=and_(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0x0644_0200_0ECC_8A88}),
]

# -- OP, M extension (§6.6) ----------------------------------------------------------------------

OP_M_VECTORS = [
    V(id="mul", insn=mul(T0, T1, T2), regs={T1: 3, T2: 5}, post_regs={T0: 15}),
    V(id="mul-low-64-bits", insn=mul(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0x9F35_3E30_EE65_B658}),
    V(
        id="mul-negative",
        insn=mul(T0, T1, T2),
        regs={T1: ALL_ONES - 2, T2: 7},
        post_regs={T0: 0xFFFF_FFFF_FFFF_FFEB},
    ),
    V(id="mul-minus-1-squared", insn=mul(T0, T1, T2), regs={T1: ALL_ONES, T2: ALL_ONES}, post_regs={T0: 1}),
    V(id="mul-overflows-to-0", insn=mul(T0, T1, T2), regs={T1: MIN64, T2: 2}, post_regs={T0: 0}),
    V(id="mulh-minus-1-squared", insn=mulh(T0, T1, T2), regs={T1: ALL_ONES, T2: ALL_ONES}, post_regs={T0: 0}),
    V(id="mulh-minus-1-times-1", insn=mulh(T0, T1, T2), regs={T1: ALL_ONES, T2: 1}, post_regs={T0: ALL_ONES}),
    V(
        id="mulh-min-squared",
        insn=mulh(T0, T1, T2),
        regs={T1: MIN64, T2: MIN64},
        post_regs={T0: 0x4000_0000_0000_0000},
    ),
    V(
        id="mulh-max-squared",
        insn=mulh(T0, T1, T2),
        regs={T1: MAX64, T2: MAX64},
        post_regs={T0: 0x3FFF_FFFF_FFFF_FFFF},
    ),
    V(
        id="mulh-min-times-max",
        insn=mulh(T0, T1, T2),
        regs={T1: MIN64, T2: MAX64},
        post_regs={T0: 0xC000_0000_0000_0000},
    ),
    V(
        id="mulh-small-negative",
        insn=mulh(T0, T1, T2),
        regs={T1: 5, T2: ALL_ONES - 2},
        post_regs={T0: ALL_ONES},
    ),
    V(id="mulh-mixed", insn=mulh(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0xC841_0295_098F_F8CC}),
    V(
        id="mulhsu-minus-1-times-max-unsigned",
        insn=mulhsu(T0, T1, T2),
        regs={T1: ALL_ONES, T2: ALL_ONES},
        post_regs={T0: ALL_ONES},
    ),
    V(
        id="mulhsu-minus-1-times-1",
        insn=mulhsu(T0, T1, T2),
        regs={T1: ALL_ONES, T2: 1},
        post_regs={T0: ALL_ONES},
    ),
    V(
        id="mulhsu-2-times-max-unsigned",
        insn=mulhsu(T0, T1, T2),
        regs={T1: 2, T2: ALL_ONES},
        post_regs={T0: 1},
    ),
    V(
        id="mulhsu-min-times-max-unsigned",
        insn=mulhsu(T0, T1, T2),
        regs={T1: MIN64, T2: ALL_ONES},
        post_regs={T0: MIN64},
    ),
    V(
        id="mulhsu-max-times-max-unsigned",
        insn=mulhsu(T0, T1, T2),
        regs={T1: MAX64, T2: ALL_ONES},
        post_regs={T0: 0x7FFF_FFFF_FFFF_FFFE},
    ),
    V(id="mulhsu-mixed", insn=mulhsu(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0xC841_0295_098F_F8CC}),
    V(
        id="mulhu-max-squared",
        insn=mulhu(T0, T1, T2),
        regs={T1: ALL_ONES, T2: ALL_ONES},
        post_regs={T0: ALL_ONES - 1},
    ),
    V(id="mulhu-max-times-1", insn=mulhu(T0, T1, T2), regs={T1: ALL_ONES, T2: 1}, post_regs={T0: 0}),
    V(id="mulhu-2^63-times-2", insn=mulhu(T0, T1, T2), regs={T1: MIN64, T2: 2}, post_regs={T0: 1}),
    V(id="mulhu-2^32-squared", insn=mulhu(T0, T1, T2), regs={T1: 1 << 32, T2: 1 << 32}, post_regs={T0: 1}),
    V(id="mulhu-mixed", insn=mulhu(T0, T1, T2), regs={T1: X, T2: P}, post_regs={T0: 0x3E95_34A6_086C_B364}),
    V(id="div", insn=div(T0, T1, T2), regs={T1: 7, T2: 2}, post_regs={T0: 3}),
    V(
        id="div-truncates-negative-dividend",
        insn=div(T0, T1, T2),
        regs={T1: ALL_ONES - 6, T2: 2},
        post_regs={T0: ALL_ONES - 2},
    ),
    V(
        id="div-truncates-negative-divisor",
        insn=div(T0, T1, T2),
        regs={T1: 7, T2: ALL_ONES - 1},
        post_regs={T0: ALL_ONES - 2},
    ),
    V(
        id="div-both-negative",
        insn=div(T0, T1, T2),
        regs={T1: ALL_ONES - 6, T2: ALL_ONES - 1},
        post_regs={T0: 3},
    ),
    V(id="div-by-zero", insn=div(T0, T1, T2), regs={T1: 7, T2: 0}, post_regs={T0: ALL_ONES}),
    V(id="div-zero-by-zero", insn=div(T0, T1, T2), regs={T1: 0, T2: 0}, post_regs={T0: ALL_ONES}),
    V(id="div-overflow", insn=div(T0, T1, T2), regs={T1: MIN64, T2: ALL_ONES}, post_regs={T0: MIN64}),
    V(id="divu", insn=divu(T0, T1, T2), regs={T1: ALL_ONES, T2: 2}, post_regs={T0: MAX64}),
    V(id="divu-by-zero", insn=divu(T0, T1, T2), regs={T1: 7, T2: 0}, post_regs={T0: ALL_ONES}),
    V(
        id="divu-min-by-minus-1-is-0",
        insn=divu(T0, T1, T2),
        regs={T1: MIN64, T2: ALL_ONES},
        post_regs={T0: 0},
    ),
    V(id="rem", insn=rem(T0, T1, T2), regs={T1: 7, T2: 2}, post_regs={T0: 1}),
    V(
        id="rem-sign-of-dividend",
        insn=rem(T0, T1, T2),
        regs={T1: ALL_ONES - 6, T2: 2},
        post_regs={T0: ALL_ONES},
    ),
    V(id="rem-negative-divisor", insn=rem(T0, T1, T2), regs={T1: 7, T2: ALL_ONES - 1}, post_regs={T0: 1}),
    V(
        id="rem-both-negative",
        insn=rem(T0, T1, T2),
        regs={T1: ALL_ONES - 6, T2: ALL_ONES - 1},
        post_regs={T0: ALL_ONES},
    ),
    V(id="rem-by-zero", insn=rem(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: X}),
    V(id="rem-overflow", insn=rem(T0, T1, T2), regs={T1: MIN64, T2: ALL_ONES}, post_regs={T0: 0}),
    V(id="remu", insn=remu(T0, T1, T2), regs={T1: ALL_ONES, T2: 10}, post_regs={T0: 5}),
    V(id="remu-by-zero", insn=remu(T0, T1, T2), regs={T1: X, T2: 0}, post_regs={T0: X}),
    V(id="remu-min-by-minus-1", insn=remu(T0, T1, T2), regs={T1: MIN64, T2: ALL_ONES}, post_regs={T0: MIN64}),
    V(id="div-to-x0-is-dropped", insn=div(ZERO, T1, T2), regs={T1: 7, T2: 0}),
]

# -- OP-32, base and M (§6.7): only the low word of rs2 is ever used ----------------------------

HIGH = 0xABCD_EF01_0000_0000  # high-word garbage every W form must ignore

OP_32_VECTORS = [
    V(id="addw", insn=addw(T0, T1, T2), regs={T1: HIGH | 1, T2: 0x5555_5555_0000_0002}, post_regs={T0: 3}),
    V(
        id="addw-overflow-sign-extends",
        insn=addw(T0, T1, T2),
        regs={T1: 0x7FFF_FFFF, T2: 1},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(id="addw-wraps", insn=addw(T0, T1, T2), regs={T1: 0xFFFF_FFFF, T2: 1}, post_regs={T0: 0}),
    V(id="addw-to-x0-is-dropped", insn=addw(ZERO, T1, T2), regs={T1: 1, T2: 2}),
    V(id="subw", insn=subw(T0, T1, T2), regs={T1: HIGH | 5, T2: HIGH | 3}, post_regs={T0: 2}),
    V(id="subw-negative", insn=subw(T0, T1, T2), regs={T1: 0, T2: 1}, post_regs={T0: ALL_ONES}),
    V(
        id="subw-min-minus-1",
        insn=subw(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 1},
        post_regs={T0: 0x7FFF_FFFF},
    ),
    V(id="sllw-0", insn=sllw(T0, T1, T2), regs={T1: Y, T2: 0}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="sllw-1", insn=sllw(T0, T1, T2), regs={T1: Y, T2: 1}, post_regs={T0: 0x0ECA_8642}),
    V(id="sllw-31", insn=sllw(T0, T1, T2), regs={T1: Y, T2: 31}, post_regs={T0: 0xFFFF_FFFF_8000_0000}),
    V(id="sllw-32-is-0", insn=sllw(T0, T1, T2), regs={T1: Y, T2: 32}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="sllw-63-is-31", insn=sllw(T0, T1, T2), regs={T1: Y, T2: 63}, post_regs={T0: 0xFFFF_FFFF_8000_0000}),
    V(id="srlw-0", insn=srlw(T0, T1, T2), regs={T1: Y, T2: 0}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="srlw-1", insn=srlw(T0, T1, T2), regs={T1: Y, T2: 1}, post_regs={T0: 0x43B2_A190}),
    V(id="srlw-31", insn=srlw(T0, T1, T2), regs={T1: Y, T2: 31}, post_regs={T0: 1}),
    V(id="srlw-32-is-0", insn=srlw(T0, T1, T2), regs={T1: Y, T2: 32}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="srlw-63-is-31", insn=srlw(T0, T1, T2), regs={T1: Y, T2: 63}, post_regs={T0: 1}),
    V(id="sraw-0", insn=sraw(T0, T1, T2), regs={T1: Y, T2: 0}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="sraw-1", insn=sraw(T0, T1, T2), regs={T1: Y, T2: 1}, post_regs={T0: 0xFFFF_FFFF_C3B2_A190}),
    V(id="sraw-31", insn=sraw(T0, T1, T2), regs={T1: Y, T2: 31}, post_regs={T0: ALL_ONES}),
    V(id="sraw-32-is-0", insn=sraw(T0, T1, T2), regs={T1: Y, T2: 32}, post_regs={T0: 0xFFFF_FFFF_8765_4321}),
    V(id="sraw-63-is-31", insn=sraw(T0, T1, T2), regs={T1: Y, T2: 63}, post_regs={T0: ALL_ONES}),
    V(id="sraw-31-positive", insn=sraw(T0, T1, T2), regs={T1: HIGH | Q, T2: 31}, post_regs={T0: 0}),
    V(
        id="mulw",
        insn=mulw(T0, T1, T2),
        regs={T1: 0x1234_5678_0000_0003, T2: 0x9ABC_DEF0_0000_0005},
        post_regs={T0: 15},
    ),
    V(
        id="mulw-sign-extends",
        insn=mulw(T0, T1, T2),
        regs={T1: 0x4000_0000, T2: 2},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(
        id="mulw-low-word-only",
        insn=mulw(T0, T1, T2),
        regs={T1: 0xFFFF_FFFF, T2: 0xFFFF_FFFF},
        post_regs={T0: 1},
    ),
    V(id="mulw-2^32-is-0", insn=mulw(T0, T1, T2), regs={T1: 0x1_0000, T2: 0x1_0000}, post_regs={T0: 0}),
    V(id="divw", insn=divw(T0, T1, T2), regs={T1: HIGH | 8, T2: HIGH | 2}, post_regs={T0: 4}),
    V(
        id="divw-truncates",
        insn=divw(T0, T1, T2),
        regs={T1: 0xFFFF_FFF9, T2: 2},
        post_regs={T0: ALL_ONES - 2},
    ),
    V(id="divw-by-zero", insn=divw(T0, T1, T2), regs={T1: 7, T2: 0}, post_regs={T0: ALL_ONES}),
    # The 32-bit mask applies to the zero test too (§6.7): 2^32 is a zero divisor.
    V(
        id="divw-by-2^32-is-by-zero",
        insn=divw(T0, T1, T2),
        regs={T1: 7, T2: 0x1_0000_0000},
        post_regs={T0: ALL_ONES},
    ),
    V(
        id="divw-overflow",
        insn=divw(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(id="divuw", insn=divuw(T0, T1, T2), regs={T1: 0xFFFF_FFFF, T2: 2}, post_regs={T0: 0x7FFF_FFFF}),
    V(
        id="divuw-sign-extends",
        insn=divuw(T0, T1, T2),
        regs={T1: HIGH | 0xFFFF_FFFE, T2: 1},
        post_regs={T0: ALL_ONES - 1},
    ),
    V(id="divuw-by-zero", insn=divuw(T0, T1, T2), regs={T1: 7, T2: 0}, post_regs={T0: ALL_ONES}),
    V(
        id="divuw-by-2^32-is-by-zero",
        insn=divuw(T0, T1, T2),
        regs={T1: 7, T2: 0x1_0000_0000},
        post_regs={T0: ALL_ONES},
    ),
    V(
        id="divuw-min-by-minus-1",
        insn=divuw(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_regs={T0: 0},
    ),
    V(id="remw", insn=remw(T0, T1, T2), regs={T1: 7, T2: ALL_ONES - 1}, post_regs={T0: 1}),
    V(
        id="remw-sign-of-dividend",
        insn=remw(T0, T1, T2),
        regs={T1: 0xFFFF_FFF9, T2: 2},
        post_regs={T0: ALL_ONES},
    ),
    V(
        id="remw-by-zero",
        insn=remw(T0, T1, T2),
        regs={T1: 0x1234_5678_8000_0001, T2: 0},
        post_regs={T0: 0xFFFF_FFFF_8000_0001},
    ),
    V(
        id="remw-by-2^32-is-by-zero",
        insn=remw(T0, T1, T2),
        regs={T1: 0x1234_5678_8000_0001, T2: 0x1_0000_0000},
        post_regs={T0: 0xFFFF_FFFF_8000_0001},
    ),
    V(id="remw-overflow", insn=remw(T0, T1, T2), regs={T1: 0x8000_0000, T2: ALL_ONES}, post_regs={T0: 0}),
    V(id="remuw", insn=remuw(T0, T1, T2), regs={T1: HIGH | 0xFFFF_FFFF, T2: 10}, post_regs={T0: 5}),
    V(
        id="remuw-sign-extends",
        insn=remuw(T0, T1, T2),
        regs={T1: 0xFFFF_FFFE, T2: 0xFFFF_FFFF},
        post_regs={T0: ALL_ONES - 1},
    ),
    V(
        id="remuw-by-zero",
        insn=remuw(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 0},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(
        id="remuw-by-2^32-is-by-zero",
        insn=remuw(T0, T1, T2),
        regs={T1: 0x5_8000_0000, T2: 0x1_0000_0000},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    V(
        id="remuw-min-by-minus-1",
        insn=remuw(T0, T1, T2),
        regs={T1: 0x8000_0000, T2: 0xFFFF_FFFF},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
]

# -- reserved encodings inside handled opcodes (§6.4–§6.7, §0): REVERT(0xbadc0de) -------------

RESERVED = 0xBADC0DE


def reserved(id: str, insn: int) -> Vector:
    return V(id=id, insn=insn, regs={T1: X, T2: 3}, raises=InvalidInstruction, code=RESERVED)


RESERVED_VECTORS = [
    reserved("srli-funct6-01", shift_imm(OP_IMM, 5, T0, T1, 3, 0x01)),
    reserved("srai-funct6-11", shift_imm(OP_IMM, 5, T0, T1, 3, 0x11)),
    reserved("rori-zbb", shift_imm(OP_IMM, 5, T0, T1, 3, 0x18)),
    reserved("bexti-zbs", shift_imm(OP_IMM, 5, T0, T1, 3, 0x12)),
    reserved("slliw-imm5-set", shift_imm(OP_IMM_32, 1, T0, T1, 32, 0x00)),
    reserved("srliw-imm5-set", shift_imm(OP_IMM_32, 5, T0, T1, 33, 0x00)),
    reserved("sraiw-imm5-set", shift_imm(OP_IMM_32, 5, T0, T1, 32, 0x10)),
    reserved("slli.uw-shamt-32", shift_imm(OP_IMM_32, 1, T0, T1, 32, 0x02)),
    reserved("roriw-zbb", shift_imm(OP_IMM_32, 5, T0, T1, 3, 0x18)),
    reserved("srliw-funct7-40", shift_imm(OP_IMM_32, 5, T0, T1, 3, 0x20)),
    *(reserved(f"op-imm-32-funct3-{f3}", i_type(OP_IMM_32, T0, f3, T1, 0)) for f3 in (2, 3, 4, 6, 7)),
    reserved("add-funct7-02", r_type(OP, T0, 0, T1, T2, 0x02)),
    reserved("add-funct7-21", r_type(OP, T0, 0, T1, T2, 0x21)),
    reserved("add-funct7-40", r_type(OP, T0, 0, T1, T2, 0x40)),
    reserved("ror-zbb", r_type(OP, T0, 5, T1, T2, 0x30)),
    reserved("minu-zbb", r_type(OP, T0, 5, T1, T2, 0x05)),
    reserved("bext-zbs", r_type(OP, T0, 5, T1, T2, 0x24)),
    reserved("srl-funct7-02", r_type(OP, T0, 5, T1, T2, 0x02)),
    reserved("add.uw-zba", r_type(OP_32, T0, 0, T1, T2, 0x04)),
    reserved("subw-funct7-21", r_type(OP_32, T0, 0, T1, T2, 0x21)),
    reserved("rorw-zbb", r_type(OP_32, T0, 5, T1, T2, 0x30)),
    reserved("srlw-funct7-02", r_type(OP_32, T0, 5, T1, T2, 0x02)),
    *(reserved(f"op-32-funct3-{f3}", r_type(OP_32, T0, f3, T1, T2, 0x00)) for f3 in (2, 3, 4, 6, 7)),
    reserved("sh1add.uw-zba", r_type(OP_32, T0, 2, T1, T2, 0x10)),
    *(reserved(f"op-32-m-funct3-{f3}", r_type(OP_32, T0, f3, T1, T2, 0x01)) for f3 in (1, 2, 3)),
    # Reserved and to x0: still a revert.
    reserved("op-32-funct3-2-to-x0", r_type(OP_32, ZERO, 2, T1, T2, 0x00)),
]

# -- lenient decodings (§6.11): these execute as the base instruction named -----------------------

LENIENT_ALU_VECTORS = [
    # OP funct3 ∈ {1,2,3,4,6,7} with funct7 ∉ {0, 1}: sll/slt/sltu/xor/or/and.
    V(
        id="sh1add-runs-as-slt",
        insn=r_type(OP, T0, 2, T1, T2, 0x10),
        regs={T1: ALL_ONES, T2: 1},
        post_regs={T0: 1},
    ),
    V(
        id="sh2add-runs-as-xor",
        insn=r_type(OP, T0, 4, T1, T2, 0x10),
        regs={T1: X, T2: P},
        post_regs={T0: 0xF131_7131_F131_7131},
    ),
    V(
        id="sh3add-runs-as-or",
        insn=r_type(OP, T0, 6, T1, T2, 0x10),
        regs={T1: X, T2: P},
        post_regs={T0: 0xF775_7331_FFFD_FBB9},
    ),
    V(
        id="andn-runs-as-and",
        insn=r_type(OP, T0, 7, T1, T2, 0x20),
        regs={T1: X, T2: P},
        post_regs={T0: 0x0644_0200_0ECC_8A88},
    ),
    V(
        id="orn-runs-as-or",
        insn=r_type(OP, T0, 6, T1, T2, 0x20),
        regs={T1: X, T2: P},
        post_regs={T0: 0xF775_7331_FFFD_FBB9},
    ),
    V(
        id="xnor-runs-as-xor",
        insn=r_type(OP, T0, 4, T1, T2, 0x20),
        regs={T1: X, T2: P},
        post_regs={T0: 0xF131_7131_F131_7131},
    ),
    V(
        id="rol-runs-as-sll",
        insn=r_type(OP, T0, 1, T1, T2, 0x30),
        regs={T1: X, T2: P},
        post_regs={T0: 0x210F_EDCB_A900_0000},
    ),
    V(
        id="clmul-runs-as-sll",
        insn=r_type(OP, T0, 1, T1, T2, 0x05),
        regs={T1: X, T2: 4},
        post_regs={T0: 0x7654_3210_FEDC_BA90},
    ),
    V(
        id="min-runs-as-xor",
        insn=r_type(OP, T0, 4, T1, T2, 0x05),
        regs={T1: X, T2: P},
        post_regs={T0: 0xF131_7131_F131_7131},
    ),
    V(
        id="max-runs-as-or",
        insn=r_type(OP, T0, 6, T1, T2, 0x05),
        regs={T1: X, T2: P},
        post_regs={T0: 0xF775_7331_FFFD_FBB9},
    ),
    V(
        id="maxu-runs-as-and",
        insn=r_type(OP, T0, 7, T1, T2, 0x05),
        regs={T1: X, T2: P},
        post_regs={T0: 0x0644_0200_0ECC_8A88},
    ),
    V(
        id="sltu-funct7-7f",
        insn=r_type(OP, T0, 3, T1, T2, 0x7F),
        regs={T1: 1, T2: ALL_ONES},
        post_regs={T0: 1},
    ),
    # OP-32 funct3 = 1 with funct7 ≠ 1: sllw.
    V(
        id="rolw-runs-as-sllw",
        insn=r_type(OP_32, T0, 1, T1, T2, 0x30),
        regs={T1: Y, T2: P},
        post_regs={T0: 0x2100_0000},
    ),
    V(
        id="sllw-funct7-7f",
        insn=r_type(OP_32, T0, 1, T1, T2, 0x7F),
        regs={T1: Y, T2: 31},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
    # OP-IMM funct3 = 1 with any insn[31:26]: slli by imm & 63.
    V(id="clz-runs-as-slli-0", insn=i_type(OP_IMM, T0, 1, T1, 0x600), regs={T1: X}, post_regs={T0: X}),
    V(
        id="ctz-runs-as-slli-1",
        insn=i_type(OP_IMM, T0, 1, T1, 0x601),
        regs={T1: X},
        post_regs={T0: 0x0ECA_8642_1FDB_9752},
    ),
    V(
        id="cpop-runs-as-slli-2",
        insn=i_type(OP_IMM, T0, 1, T1, 0x602),
        regs={T1: X},
        post_regs={T0: 0x1D95_0C84_3FB7_2EA4},
    ),
    V(
        id="sext.b-runs-as-slli-4",
        insn=i_type(OP_IMM, T0, 1, T1, 0x604),
        regs={T1: X},
        post_regs={T0: 0x7654_3210_FEDC_BA90},
    ),
    V(
        id="sext.h-runs-as-slli-5",
        insn=i_type(OP_IMM, T0, 1, T1, 0x605),
        regs={T1: X},
        post_regs={T0: 0xECA8_6421_FDB9_7520},
    ),
    V(
        id="bseti-runs-as-slli",
        insn=shift_imm(OP_IMM, 1, T0, T1, 40, 0x0A),
        regs={T1: X},
        post_regs={T0: 0xEDCB_A900_0000_0000},
    ),
    V(
        id="bclri-runs-as-slli",
        insn=shift_imm(OP_IMM, 1, T0, T1, 63, 0x12),
        regs={T1: X},
        post_regs={T0: MIN64},
    ),
    V(
        id="binvi-runs-as-slli",
        insn=shift_imm(OP_IMM, 1, T0, T1, 1, 0x1A),
        regs={T1: X},
        post_regs={T0: 0x0ECA_8642_1FDB_9752},
    ),
    # OP-IMM-32 funct3 = 1 with any insn[31:26] (insn[25] = 0): slliw.
    V(
        id="slli.uw-runs-as-slliw",
        insn=shift_imm(OP_IMM_32, 1, T0, T1, 4, 0x02),
        regs={T1: X},
        post_regs={T0: 0xFFFF_FFFF_FEDC_BA90},
    ),
    V(
        id="clzw-runs-as-slliw-0",
        insn=i_type(OP_IMM_32, T0, 1, T1, 0x600),
        regs={T1: X},
        post_regs={T0: 0x0FED_CBA9},
    ),
    V(
        id="slliw-funct6-3f",
        insn=shift_imm(OP_IMM_32, 1, T0, T1, 31, 0x3F),
        regs={T1: X},
        post_regs={T0: 0xFFFF_FFFF_8000_0000},
    ),
]

# -- LUI, AUIPC, JAL, JALR, BRANCH (§6.8) --------------------------------------------------------

MISALIGNED = 0xBAD10AD0
TOP = 0xFFFF_FFFF_FFFF_FFFC  # the last word of the address space


def misaligned(id: str, insn: int, **fields: object) -> Vector:
    return V(id=id, insn=insn, raises=MisalignedAddress, code=MISALIGNED, **fields)  # type: ignore[arg-type]


UPPER_VECTORS = [
    V(id="lui", insn=lui(T0, 0x12345), post_regs={T0: 0x1234_5000}),
    V(id="lui-max-positive", insn=lui(T0, 0x7FFFF), post_regs={T0: 0x7FFF_F000}),
    V(id="lui-sign-extends", insn=lui(T0, 0x80000), post_regs={T0: 0xFFFF_FFFF_8000_0000}),
    V(id="lui-all-ones", insn=lui(T0, 0xFFFFF), post_regs={T0: 0xFFFF_FFFF_FFFF_F000}),
    V(id="lui-to-x0-is-dropped", insn=lui(ZERO, 0x12345)),
    V(id="auipc-0", insn=auipc(T0, 0), post_regs={T0: PC}),
    V(id="auipc", insn=auipc(T0, 1), post_regs={T0: PC + 0x1000}),
    V(id="auipc-negative", insn=auipc(T0, 0xFFFFF), post_regs={T0: PC - 0x1000}),
    V(id="auipc-sign-extends", insn=auipc(T0, 0x80000), post_regs={T0: 0xFFFF_FFFF_8001_0040}),
    V(id="auipc-wraps", insn=auipc(T0, 1), pc=0xFFFF_FFFF_FFFF_F000, post_regs={T0: 0}),
    # pc itself wraps: the next instruction is at address 0.
    V(id="pc-wraps-to-0", insn=NOP, pc=TOP, post_pc=0),
]

JUMP_VECTORS = [
    V(id="jal", insn=jal(RA, 8), post_regs={RA: PC + 4}, post_pc=PC + 8),
    V(id="jal-backward", insn=jal(RA, -16), post_regs={RA: PC + 4}, post_pc=PC - 16),
    V(id="jal-to-self", insn=jal(RA, 0), post_regs={RA: PC + 4}, post_pc=PC),
    V(id="jal-link-in-t0", insn=jal(T0, 4), post_regs={T0: PC + 4}, post_pc=PC + 4),
    V(id="j-no-link", insn=jal(ZERO, 12), post_pc=PC + 12),
    V(id="jal-max-forward", insn=jal(RA, 0xF_FFFC), post_regs={RA: PC + 4}, post_pc=0x0011_003C),
    V(
        id="jal-max-backward-wraps",
        insn=jal(RA, -0x10_0000),
        post_regs={RA: PC + 4},
        post_pc=0xFFFF_FFFF_FFF1_0040,
    ),
    misaligned("jal-offset-2", jal(RA, 2)),
    misaligned("jal-offset-6", jal(RA, 6)),
    misaligned("jal-offset-minus-2", jal(RA, -2)),
    misaligned("jal-from-misaligned-pc", jal(RA, 4), pc=PC + 2),
    # A hand-made misaligned pc (fetch does not check it) plus an odd half-word offset lands aligned.
    V(
        id="jal-misaligned-pc-aligned-target",
        insn=jal(RA, 2),
        pc=PC + 2,
        post_regs={RA: PC + 6},
        post_pc=PC + 4,
    ),
    V(id="jalr", insn=jalr(RA, T1, 0), regs={T1: 0x2000}, post_regs={RA: PC + 4}, post_pc=0x2000),
    V(
        id="jalr-clears-bit-0",
        insn=jalr(RA, T1, 0),
        regs={T1: 0x2001},
        post_regs={RA: PC + 4},
        post_pc=0x2000,
    ),
    V(
        id="jalr-imm-1-cleared",
        insn=jalr(RA, T1, 1),
        regs={T1: 0x2000},
        post_regs={RA: PC + 4},
        post_pc=0x2000,
    ),
    V(
        id="jalr-negative-imm",
        insn=jalr(RA, T1, -16),
        regs={T1: 0x2010},
        post_regs={RA: PC + 4},
        post_pc=0x2000,
    ),
    V(
        id="jalr-wraps",
        insn=jalr(RA, T1, 0x20),
        regs={T1: 0xFFFF_FFFF_FFFF_FFF0},
        post_regs={RA: PC + 4},
        post_pc=0x10,
    ),
    V(id="jalr-rd-is-rs1", insn=jalr(T1, T1, 0), regs={T1: 0x2000}, post_regs={T1: PC + 4}, post_pc=0x2000),
    V(id="ret", insn=jalr(ZERO, RA, 0), regs={RA: 0x3000}, post_pc=0x3000),
    V(
        id="jalr-stored-x0-base",
        insn=jalr(RA, ZERO, 0x100),
        regs={ZERO: 0x2000},
        post_regs={RA: PC + 4},
        post_pc=0x2100,
    ),
    V(
        id="jalr-funct3-7-runs-as-jalr",
        insn=jalr(RA, T1, 0, funct3=7),
        regs={T1: 0x2000},
        post_regs={RA: PC + 4},
        post_pc=0x2000,
    ),
    misaligned("jalr-target-bit-1", jalr(RA, T1, 0), regs={T1: 0x2002}),
    misaligned("jalr-target-bits-0-1", jalr(RA, T1, 0), regs={T1: 0x2003}),
    misaligned("jalr-imm-makes-bit-1", jalr(RA, T1, 2), regs={T1: 0x2000}),
]

TAKEN = PC + 16
NOT_TAKEN = PC + 4


def branch(id: str, insn: int, a: int, b: int, taken: bool, **fields: object) -> Vector:
    return V(id=id, insn=insn, regs={T1: a, T2: b}, post_pc=TAKEN if taken else NOT_TAKEN, **fields)  # type: ignore[arg-type]


BRANCH_VECTORS = [
    branch("beq-taken", beq(T1, T2, 16), 5, 5, True),
    branch("beq-not-taken", beq(T1, T2, 16), 5, 6, False),
    branch("bne-taken", bne(T1, T2, 16), 5, 6, True),
    branch("bne-not-taken", bne(T1, T2, 16), 5, 5, False),
    branch("blt-taken-signed", blt(T1, T2, 16), ALL_ONES, 1, True),
    branch("blt-not-taken-signed", blt(T1, T2, 16), 1, ALL_ONES, False),
    branch("blt-not-taken-equal", blt(T1, T2, 16), 7, 7, False),
    branch("blt-min-max", blt(T1, T2, 16), MIN64, MAX64, True),
    branch("bge-taken-signed", bge(T1, T2, 16), 1, ALL_ONES, True),
    branch("bge-taken-equal", bge(T1, T2, 16), 7, 7, True),
    branch("bge-not-taken-signed", bge(T1, T2, 16), ALL_ONES, 1, False),
    branch("bltu-taken", bltu(T1, T2, 16), 1, ALL_ONES, True),
    branch("bltu-not-taken", bltu(T1, T2, 16), ALL_ONES, 1, False),
    branch("bltu-not-taken-equal", bltu(T1, T2, 16), 7, 7, False),
    branch("bgeu-taken", bgeu(T1, T2, 16), ALL_ONES, 1, True),
    branch("bgeu-taken-equal", bgeu(T1, T2, 16), 7, 7, True),
    branch("bgeu-not-taken", bgeu(T1, T2, 16), 1, ALL_ONES, False),
    V(id="beq-backward", insn=beq(T1, T2, -32), regs={T1: 1, T2: 1}, post_pc=PC - 32),
    V(id="beq-max-backward", insn=beq(T1, T2, -4096), regs={T1: 1, T2: 1}, post_pc=PC - 4096),
    V(id="beq-max-forward", insn=beq(T1, T2, 4092), regs={T1: 1, T2: 1}, post_pc=PC + 4092),
    V(id="beqz-stored-x0", insn=beq(T1, ZERO, 16), regs={ZERO: 9, T1: 9}, post_pc=TAKEN),
    # funct3 2 and 3 are never taken and never revert on their own (§6.8, §6.11).
    branch("branch-funct3-2-never-taken", b_type(2, T1, T2, 16), 5, 5, False),
    branch("branch-funct3-3-never-taken", b_type(3, T1, T2, 16), 5, 6, False),
    # The new pc is checked whether or not the branch is taken.
    misaligned("beq-taken-offset-2", beq(T1, T2, 2), regs={T1: 1, T2: 1}),
    misaligned("bne-taken-offset-6", bne(T1, T2, 6), regs={T1: 1, T2: 2}),
    misaligned("bltu-taken-offset-minus-2", bltu(T1, T2, -2), regs={T1: 1, T2: 2}),
    branch("beq-not-taken-offset-2-is-fine", beq(T1, T2, 2), 1, 2, False),
    misaligned("beq-not-taken-misaligned-pc", beq(T1, T2, 16), regs={T1: 1, T2: 2}, pc=PC + 2),
    misaligned("branch-funct3-2-misaligned-pc", b_type(2, T1, T2, 16), regs={T1: 1, T2: 1}, pc=PC + 2),
    V(
        id="beq-taken-misaligned-pc-aligned-target",
        insn=beq(T1, T2, 2),
        regs={T1: 1, T2: 1},
        pc=PC + 2,
        post_pc=PC + 4,
    ),
]

# -- LOAD (§6.2) and STORE (§6.3): little-endian, misaligned, straddling, wrapping ----------------

LEAF_A = bytes(range(0x80, 0xA0))  # at DATA: every byte negative as s8
LEAF_B = bytes(range(0x60, 0x80))  # at DATA + 32: every byte positive
LEAF_C = bytes(range(0xC0, 0xE0))  # at DATA + 64 (not a sibling of DATA + 32)
DATA_MEMORY = {DATA: LEAF_A, DATA + 32: LEAF_B, DATA + 64: LEAF_C}
WRAP_MEMORY = {TOP: bytes([0x01, 0x02, 0x03, 0x04]), 0: bytes([0x05, 0x06, 0x07, 0x08])}
LAST_BYTE = 0xFFFF_FFFF_FFFF_FFFF
V8 = 0x1122_3344_5566_7788
V8_LE = bytes([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])


def load(id: str, insn: int, address: int, value: int, slots: tuple[int, ...], **fields: object) -> Vector:
    """A load of ``insn`` (``rd = t0``, base ``t1``, offset 0) from ``address``."""
    return V(
        id=id,
        insn=insn,
        regs={T1: address},
        mem=fields.pop("mem", DATA_MEMORY),  # type: ignore[arg-type]
        post_regs={T0: value},
        slots=slots,
        **fields,  # type: ignore[arg-type]
    )


LOAD_VECTORS = [
    load("lb-negative", lb(T0, 0, T1), DATA, 0xFFFF_FFFF_FFFF_FF80, (DATA,)),
    load("lb-positive", lb(T0, 0, T1), DATA + 32, 0x60, (DATA + 32,)),
    load("lbu", lbu(T0, 0, T1), DATA, 0x80, (DATA,)),
    load("lh-negative", lh(T0, 0, T1), DATA, 0xFFFF_FFFF_FFFF_8180, (DATA,)),
    load("lh-positive", lh(T0, 0, T1), DATA + 32, 0x6160, (DATA + 32,)),
    load("lhu", lhu(T0, 0, T1), DATA, 0x8180, (DATA,)),
    load("lw-negative", lw(T0, 0, T1), DATA, 0xFFFF_FFFF_8382_8180, (DATA,)),
    load("lw-positive", lw(T0, 0, T1), DATA + 32, 0x6362_6160, (DATA + 32,)),
    load("lwu", lwu(T0, 0, T1), DATA, 0x8382_8180, (DATA,)),
    load("ld", ld(T0, 0, T1), DATA, 0x8786_8584_8382_8180, (DATA,)),
    load("ld-positive", ld(T0, 0, T1), DATA + 32, 0x6766_6564_6362_6160, (DATA + 32,)),
    # Misaligned inside one leaf.
    load("lh-misaligned", lh(T0, 0, T1), DATA + 1, 0xFFFF_FFFF_FFFF_8281, (DATA,)),
    load("lhu-end-of-leaf", lhu(T0, 0, T1), DATA + 30, 0x9F9E, (DATA,)),
    load("lw-misaligned", lw(T0, 0, T1), DATA + 1, 0xFFFF_FFFF_8483_8281, (DATA,)),
    load("lwu-misaligned", lwu(T0, 0, T1), DATA + 3, 0x8685_8483, (DATA,)),
    load("ld-misaligned", ld(T0, 0, T1), DATA + 3, 0x8A89_8887_8685_8483, (DATA,)),
    load("ld-end-of-leaf", ld(T0, 0, T1), DATA + 24, 0x9F9E_9D9C_9B9A_9998, (DATA,)),
    load("lb-last-byte-of-leaf", lb(T0, 0, T1), DATA + 63, 0x7F, (DATA + 32,)),
    # Straddling two sibling leaves (slots 1 and 2).
    load("lh-straddles", lh(T0, 0, T1), DATA + 31, 0x609F, (DATA, DATA + 32)),
    load("lhu-straddles", lhu(T0, 0, T1), DATA + 31, 0x609F, (DATA, DATA + 32)),
    load("lw-straddles-2-2", lw(T0, 0, T1), DATA + 30, 0x6160_9F9E, (DATA, DATA + 32)),
    load("lw-straddles-3-1", lw(T0, 0, T1), DATA + 29, 0x609F_9E9D, (DATA, DATA + 32)),
    load("lwu-straddles", lwu(T0, 0, T1), DATA + 29, 0x609F_9E9D, (DATA, DATA + 32)),
    load("ld-straddles-4-4", ld(T0, 0, T1), DATA + 28, 0x6362_6160_9F9E_9D9C, (DATA, DATA + 32)),
    load("ld-straddles-7-1", ld(T0, 0, T1), DATA + 25, 0x609F_9E9D_9C9B_9A99, (DATA, DATA + 32)),
    load("ld-straddles-1-7", ld(T0, 0, T1), DATA + 31, 0x6665_6463_6261_609F, (DATA, DATA + 32)),
    # Straddling two leaves that are not siblings; the sign comes from the second leaf.
    load("lh-straddles-negative", lh(T0, 0, T1), DATA + 63, 0xFFFF_FFFF_FFFF_C07F, (DATA + 32, DATA + 64)),
    load("lhu-straddles-high-byte", lhu(T0, 0, T1), DATA + 63, 0xC07F, (DATA + 32, DATA + 64)),
    load("lw-straddles-negative", lw(T0, 0, T1), DATA + 62, 0xFFFF_FFFF_C1C0_7F7E, (DATA + 32, DATA + 64)),
    load("lwu-straddles-high-byte", lwu(T0, 0, T1), DATA + 62, 0xC1C0_7F7E, (DATA + 32, DATA + 64)),
    load("ld-straddles-negative", ld(T0, 0, T1), DATA + 60, 0xC3C2_C1C0_7F7E_7D7C, (DATA + 32, DATA + 64)),
    # The top of the address space: the access continues at address 0 (§3.1).
    load("ld-wraps-to-0", ld(T0, 0, T1), TOP, 0x0807_0605_0403_0201, (TOP, 0), mem=WRAP_MEMORY),
    load(
        "lw-last-byte-wraps",
        lw(T0, 0, T1),
        LAST_BYTE,
        0xFFFF_FFFF_D4C3_B2A1,
        (LAST_BYTE, 0),
        mem={LAST_BYTE: b"\xa1", 0: b"\xb2\xc3\xd4"},
    ),
    load(
        "lh-last-byte-wraps",
        lh(T0, 0, T1),
        LAST_BYTE,
        0xFFFF_FFFF_FFFF_B2A1,
        (LAST_BYTE, 0),
        mem={LAST_BYTE: b"\xa1", 0: b"\xb2"},
    ),
    load("lbu-last-byte", lbu(T0, 0, T1), LAST_BYTE, 0xA1, (LAST_BYTE,), mem={LAST_BYTE: b"\xa1"}),
    # Address arithmetic: immediates of both signs, and a sum that wraps.
    V(
        id="lw-negative-offset",
        insn=lw(T0, -4, T1),
        regs={T1: DATA + 36},
        mem=DATA_MEMORY,
        post_regs={T0: 0x6362_6160},
        slots=(DATA + 32,),
    ),
    V(
        id="ld-max-offset",
        insn=ld(T0, 2047, T1),
        regs={T1: DATA + 8 - 2047},
        mem=DATA_MEMORY,
        post_regs={T0: 0x8F8E_8D8C_8B8A_8988},
        slots=(DATA,),
    ),
    V(
        id="lb-min-offset",
        insn=lb(T0, -2048, T1),
        regs={T1: DATA + 2048},
        mem=DATA_MEMORY,
        post_regs={T0: 0xFFFF_FFFF_FFFF_FF80},
        slots=(DATA,),
    ),
    V(
        id="ld-address-sum-wraps",
        insn=ld(T0, 0x10, T1),
        regs={T1: 0xFFFF_FFFF_FFFF_FFF0},
        mem={0: V8_LE},
        post_regs={T0: V8},
        slots=(0,),
    ),
    V(
        id="ld-stored-x0-base",
        insn=ld(T0, 0, ZERO),
        regs={ZERO: DATA},
        mem=DATA_MEMORY,
        post_regs={T0: 0x8786_8584_8382_8180},
        slots=(DATA,),
    ),
    V(
        id="lw-rd-is-rs1",
        insn=lw(T1, 0, T1),
        regs={T1: DATA + 32},
        mem=DATA_MEMORY,
        post_regs={T1: 0x6362_6160},
        slots=(DATA + 32,),
    ),
    # A load into x0 still reads memory and consumes its proofs (§6.2).
    V(id="lw-to-x0", insn=lw(ZERO, 0, T1), regs={T1: DATA}, mem=DATA_MEMORY, slots=(DATA,)),
    V(
        id="ld-to-x0-straddling",
        insn=ld(ZERO, 0, T1),
        regs={T1: DATA + 28},
        mem=DATA_MEMORY,
        slots=(DATA, DATA + 32),
    ),
    # Slot 0 and slot 1 may name the same leaf: the load reads its own instruction word.
    V(id="lw-own-instruction", insn=lw(T0, 0, T1), regs={T1: PC}, post_regs={T0: lw(T0, 0, T1)}, slots=(PC,)),
    V(
        id="load-funct3-7",
        insn=i_type(LOAD, T0, 7, T1, 0),
        regs={T1: DATA},
        mem=DATA_MEMORY,
        raises=InvalidInstruction,
        code=RESERVED,
    ),
]


def store(
    id: str, insn: int, address: int, written: bytes, slots: tuple[int, ...], **fields: object
) -> Vector:
    """A store of ``insn`` (value ``t2``, base ``t1``, offset 0) to ``address``."""
    return V(
        id=id,
        insn=insn,
        regs={T1: address, T2: fields.pop("value", V8)},  # type: ignore[dict-item]
        mem=fields.pop("mem", DATA_MEMORY),  # type: ignore[arg-type]
        post_mem={address: written},
        slots=slots,
        **fields,  # type: ignore[arg-type]
    )


STORE_TOO_WIDE = 0xBAD512E8

STORE_VECTORS = [
    store("sb", sb(T2, 0, T1), DATA + 5, V8_LE[:1], (DATA,)),
    store("sh", sh(T2, 0, T1), DATA + 6, V8_LE[:2], (DATA,)),
    store("sw", sw(T2, 0, T1), DATA + 8, V8_LE[:4], (DATA,)),
    store("sd", sd(T2, 0, T1), DATA + 16, V8_LE, (DATA,)),
    store("sh-misaligned", sh(T2, 0, T1), DATA + 1, V8_LE[:2], (DATA,)),
    store("sw-misaligned", sw(T2, 0, T1), DATA + 3, V8_LE[:4], (DATA,)),
    store("sd-misaligned", sd(T2, 0, T1), DATA + 5, V8_LE, (DATA,)),
    store("sd-end-of-leaf", sd(T2, 0, T1), DATA + 24, V8_LE, (DATA,)),
    store("sb-last-byte-of-leaf", sb(T2, 0, T1), DATA + 31, V8_LE[:1], (DATA,)),
    # Straddling sibling leaves: slot 2 is proven against the intermediate root (§3.4, §3.5).
    store("sh-straddles", sh(T2, 0, T1), DATA + 31, V8_LE[:2], (DATA, DATA + 32)),
    store("sw-straddles-2-2", sw(T2, 0, T1), DATA + 30, V8_LE[:4], (DATA, DATA + 32)),
    store("sd-straddles-4-4", sd(T2, 0, T1), DATA + 28, V8_LE, (DATA, DATA + 32)),
    store("sd-straddles-1-7", sd(T2, 0, T1), DATA + 31, V8_LE, (DATA, DATA + 32)),
    store("sd-straddles-7-1", sd(T2, 0, T1), DATA + 25, V8_LE, (DATA, DATA + 32)),
    # Straddling leaves that are not siblings.
    store("sw-straddles-non-siblings", sw(T2, 0, T1), DATA + 61, V8_LE[:4], (DATA + 32, DATA + 64)),
    store("sd-straddles-non-siblings", sd(T2, 0, T1), DATA + 62, V8_LE, (DATA + 32, DATA + 64)),
    # The top of the address space wraps to address 0.
    store("sd-wraps-to-0", sd(T2, 0, T1), TOP, V8_LE, (TOP, 0), mem=WRAP_MEMORY),
    store("sh-last-byte-wraps", sh(T2, 0, T1), LAST_BYTE, V8_LE[:2], (LAST_BYTE, 0), mem=WRAP_MEMORY),
    store("sb-last-byte", sb(T2, 0, T1), LAST_BYTE, V8_LE[:1], (LAST_BYTE,), mem=WRAP_MEMORY),
    # Only the low bytes of rs2 are stored, whatever the high bytes hold.
    store("sb-low-byte-only", sb(T2, 0, T1), DATA, b"\x01", (DATA,), value=0xFFFF_FFFF_FFFF_FF01),
    store("sd-zero-over-pattern", sd(T2, 0, T1), DATA + 8, bytes(8), (DATA,), value=0),
    V(
        id="sw-negative-offset",
        insn=sw(T2, -4, T1),
        regs={T1: DATA + 12, T2: V8},
        mem=DATA_MEMORY,
        post_mem={DATA + 8: V8_LE[:4]},
        slots=(DATA,),
    ),
    V(
        id="sd-max-offset",
        insn=sd(T2, 2047, T1),
        regs={T1: DATA + 8 - 2047, T2: V8},
        mem=DATA_MEMORY,
        post_mem={DATA + 8: V8_LE},
        slots=(DATA,),
    ),
    V(
        id="sb-min-offset",
        insn=sb(T2, -2048, T1),
        regs={T1: DATA + 2048, T2: V8},
        mem=DATA_MEMORY,
        post_mem={DATA: V8_LE[:1]},
        slots=(DATA,),
    ),
    V(
        id="sd-address-sum-wraps",
        insn=sd(T2, 0x10, T1),
        regs={T1: 0xFFFF_FFFF_FFFF_FFF0, T2: V8},
        post_mem={0: V8_LE},
        slots=(0,),
    ),
    V(
        id="sd-base-is-value",
        insn=sd(T1, 0, T1),
        regs={T1: DATA},
        mem=DATA_MEMORY,
        post_mem={DATA: bytes([0, 0, 0x20, 0, 0, 0, 0, 0])},
        slots=(DATA,),
    ),
    V(
        id="sd-x0",
        insn=sd(ZERO, 0, T1),
        regs={T1: DATA},
        mem=DATA_MEMORY,
        post_mem={DATA: bytes(8)},
        slots=(DATA,),
    ),
    V(
        id="sd-stored-x0",
        insn=sd(ZERO, 0, T1),
        regs={ZERO: V8, T1: DATA},
        mem=DATA_MEMORY,
        post_mem={DATA: V8_LE},
        slots=(DATA,),
    ),
    # Stores into the instruction's own leaf: slot 1 names the same leaf as slot 0.
    V(
        id="sw-after-own-instruction",
        insn=sw(T2, 4, T1),
        regs={T1: PC, T2: V8},
        post_mem={PC + 4: V8_LE[:4]},
        slots=(PC,),
    ),
    V(
        id="sw-over-own-instruction",
        insn=sw(T2, 0, T1),
        regs={T1: PC, T2: V8},
        post_mem={PC: V8_LE[:4]},
        slots=(PC,),
    ),
    # An ordinary store does not clear the reservation, even at the reserved address (§6.9).
    store("sw-keeps-reservation", sw(T2, 0, T1), DATA, V8_LE[:4], (DATA,), load_reservation=DATA),
    *(
        V(
            id=f"store-funct3-{f3}",
            insn=s_type(STORE, f3, T1, T2, 0),
            regs={T1: DATA, T2: V8},
            mem=DATA_MEMORY,
            raises=InvalidInstruction,
            code=STORE_TOO_WIDE,
        )
        for f3 in (4, 5, 6, 7)
    ),
]

# -- atomics (§6.9) ------------------------------------------------------------------------------

AMO_WIDTH = 0xBADA70
UNKNOWN_AMO = 0xF001A70
W_ADDRESS = DATA + 4  # 4-byte aligned, not 8-byte aligned
D_ADDRESS = DATA + 8


def with_bytes(address: int, data: bytes) -> dict[int, bytes]:
    """DATA_MEMORY with ``data`` written over it at ``address`` (inside the DATA leaf)."""
    offset = address - DATA
    assert offset >= 0 and offset + len(data) <= LEAF
    return {**DATA_MEMORY, DATA: LEAF_A[:offset] + data + LEAF_A[offset + len(data) :]}


def amo(id: str, insn: int, old: int, operand: int, new: int, rd: int, **fields: object) -> Vector:
    """An AMO at ``t1`` (W_ADDRESS or D_ADDRESS) with ``t2``: memory ``old`` → ``new``, ``t0 = rd``."""
    size = 4 if (insn >> 12) & 7 == W else 8
    address = W_ADDRESS if size == 4 else D_ADDRESS
    return V(
        id=id,
        insn=insn,
        regs={T1: address, T2: operand},
        mem=with_bytes(address, old.to_bytes(size, "little")),
        post_regs={T0: rd},
        post_mem={address: new.to_bytes(size, "little")},
        slots=(address,),
        **fields,  # type: ignore[arg-type]
    )


AMO_VECTORS = [
    amo("amoswap.w", amoswap_w(T0, T2, T1), 0xDEAD_BEEF, 0x1234_5678_0000_0042, 0x42, 0xFFFF_FFFF_DEAD_BEEF),
    amo(
        "amoswap.w.aqrl",
        amoswap_w(T0, T2, T1, aq=True, rl=True),
        0xDEAD_BEEF,
        0x42,
        0x42,
        0xFFFF_FFFF_DEAD_BEEF,
    ),
    amo("amoadd.w-overflow", amoadd_w(T0, T2, T1), 0x7FFF_FFFF, 1, 0x8000_0000, 0x7FFF_FFFF),
    amo(
        "amoadd.w-ignores-rs2-high-word",
        amoadd_w(T0, T2, T1),
        0xFFFF_FFFF,
        0xABCD_0000_0000_0002,
        1,
        ALL_ONES,
    ),
    amo("amoadd.w.aq", amoadd_w(T0, T2, T1, aq=True), 3, 4, 7, 3),
    amo("amoxor.w", amoxor_w(T0, T2, T1), 0x0F0F_0F0F, 0xFFFF_FFFF_F0F0_FFFF, 0xFFFF_F0F0, 0x0F0F_0F0F),
    amo("amoand.w", amoand_w(T0, T2, T1), 0xFF00_FF00, 0x0FF0_0FF0, 0x0F00_0F00, 0xFFFF_FFFF_FF00_FF00),
    amo("amoor.w", amoor_w(T0, T2, T1), 0xF0, 0x8000_000F, 0x8000_00FF, 0xF0),
    amo("amomin.w-keeps-negative", amomin_w(T0, T2, T1), 0xFFFF_FFFF, 1, 0xFFFF_FFFF, ALL_ONES),
    amo("amomin.w-operand-negative-low-word", amomin_w(T0, T2, T1), 5, 0x8000_0000, 0x8000_0000, 5),
    amo("amomax.w", amomax_w(T0, T2, T1), 0xFFFF_FFFF, 1, 1, ALL_ONES),
    amo(
        "amomax.w-signed", amomax_w(T0, T2, T1), 0x8000_0000, 0x7FFF_FFFF, 0x7FFF_FFFF, 0xFFFF_FFFF_8000_0000
    ),
    amo("amominu.w", amominu_w(T0, T2, T1), 0xFFFF_FFFF, 1, 1, ALL_ONES),
    amo(
        "amominu.w-as-32-bit-unsigned",
        amominu_w(T0, T2, T1),
        0x8000_0000,
        0x7FFF_FFFF,
        0x7FFF_FFFF,
        0xFFFF_FFFF_8000_0000,
    ),
    amo("amominu.w-operand-sign-extended", amominu_w(T0, T2, T1), 2, 0xFFFF_FFFF, 2, 2),
    amo(
        "amomaxu.w-as-32-bit-unsigned",
        amomaxu_w(T0, T2, T1),
        0x8000_0000,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFF_FFFF_8000_0000,
    ),
    amo("amomaxu.w", amomaxu_w(T0, T2, T1), 1, 0xFFFF_FFFF, 0xFFFF_FFFF, 1),
    amo("amoswap.d", amoswap_d(T0, T2, T1), V8, X, X, V8),
    amo("amoadd.d-wraps", amoadd_d(T0, T2, T1), ALL_ONES, 2, 1, ALL_ONES),
    amo(
        "amoadd.d-uses-high-word",
        amoadd_d(T0, T2, T1),
        0x1_0000_0000,
        0x1_0000_0000,
        0x2_0000_0000,
        0x1_0000_0000,
    ),
    amo("amoxor.d", amoxor_d(T0, T2, T1), X, P, 0xF131_7131_F131_7131, X),
    amo("amoand.d", amoand_d(T0, T2, T1), X, P, 0x0644_0200_0ECC_8A88, X),
    amo("amoor.d", amoor_d(T0, T2, T1), X, P, 0xF775_7331_FFFD_FBB9, X),
    amo("amomin.d", amomin_d(T0, T2, T1), MIN64, 1, MIN64, MIN64),
    amo("amomin.d-64-bit-positive", amomin_d(T0, T2, T1), 0x8000_0000, 1, 1, 0x8000_0000),
    amo("amomax.d", amomax_d(T0, T2, T1), MIN64, 1, 1, MIN64),
    amo("amominu.d", amominu_d(T0, T2, T1), MIN64, 1, 1, MIN64),
    amo("amomaxu.d", amomaxu_d(T0, T2, T1), MIN64, 1, MIN64, MIN64),
    amo("amomaxu.d.rl", amomaxu_d(T0, T2, T1, rl=True), 1, ALL_ONES, ALL_ONES, 1),
    # AMOs do not clear the reservation (§6.9).
    amo("amoadd.w-keeps-reservation", amoadd_w(T0, T2, T1), 3, 4, 7, 3, load_reservation=W_ADDRESS),
    V(
        id="amoadd.w-to-x0",
        insn=amoadd_w(ZERO, T2, T1),
        regs={T1: W_ADDRESS, T2: 4},
        mem=with_bytes(W_ADDRESS, le32(3)),
        post_mem={W_ADDRESS: le32(7)},
        slots=(W_ADDRESS,),
    ),
    V(
        id="amoadd.w-rd-is-rs2",
        insn=amoadd_w(T2, T2, T1),
        regs={T1: W_ADDRESS, T2: 4},
        mem=with_bytes(W_ADDRESS, le32(3)),
        post_regs={T2: 3},
        post_mem={W_ADDRESS: le32(7)},
        slots=(W_ADDRESS,),
    ),
    V(
        id="amoadd.d-rd-is-rs1",
        insn=amoadd_d(T1, T2, T1),
        regs={T1: D_ADDRESS, T2: 4},
        mem=with_bytes(D_ADDRESS, le64(3)),
        post_regs={T1: 3},
        post_mem={D_ADDRESS: le64(7)},
        slots=(D_ADDRESS,),
    ),
    V(
        id="amoswap.d-end-of-leaf",
        insn=amoswap_d(T0, T2, T1),
        regs={T1: DATA + 24, T2: V8},
        mem=DATA_MEMORY,
        post_regs={T0: 0x9F9E_9D9C_9B9A_9998},
        post_mem={DATA + 24: V8_LE},
        slots=(DATA + 24,),
    ),
    V(
        id="amoadd.w-top-of-memory",
        insn=amoadd_w(T0, T2, T1),
        regs={T1: TOP, T2: 1},
        mem=WRAP_MEMORY,
        post_regs={T0: 0x0403_0201},
        post_mem={TOP: le32(0x0403_0202)},
        slots=(TOP,),
    ),
]

LR_SC_VECTORS = [
    V(
        id="lr.w",
        insn=lr_w(T0, T1),
        regs={T1: W_ADDRESS},
        mem=with_bytes(W_ADDRESS, le32(0x8000_0001)),
        post_regs={T0: 0xFFFF_FFFF_8000_0001},
        post_load_reservation=W_ADDRESS,
        slots=(W_ADDRESS,),
    ),
    V(
        id="lr.w-positive",
        insn=lr_w(T0, T1),
        regs={T1: W_ADDRESS},
        mem=with_bytes(W_ADDRESS, le32(0x7000_0001)),
        post_regs={T0: 0x7000_0001},
        post_load_reservation=W_ADDRESS,
        slots=(W_ADDRESS,),
    ),
    V(
        id="lr.d",
        insn=lr_d(T0, T1),
        regs={T1: D_ADDRESS},
        mem=with_bytes(D_ADDRESS, V8_LE),
        post_regs={T0: V8},
        post_load_reservation=D_ADDRESS,
        slots=(D_ADDRESS,),
    ),
    # aq/rl are ignored, and so is the rs2 field of lr (§6.11).
    V(
        id="lr.w-aqrl-rs2-field-ignored",
        insn=amo_type(AMO_LR, W, T0, T1, T3, aq=True, rl=True),
        regs={T1: W_ADDRESS},
        mem=with_bytes(W_ADDRESS, le32(5)),
        post_regs={T0: 5},
        post_load_reservation=W_ADDRESS,
        slots=(W_ADDRESS,),
    ),
    V(
        id="lr.w-to-x0-still-reserves",
        insn=lr_w(ZERO, T1),
        regs={T1: W_ADDRESS},
        mem=DATA_MEMORY,
        post_load_reservation=W_ADDRESS,
        slots=(W_ADDRESS,),
    ),
    V(
        id="lr.d-rd-is-rs1",
        insn=lr_d(T1, T1),
        regs={T1: D_ADDRESS},
        mem=with_bytes(D_ADDRESS, V8_LE),
        post_regs={T1: V8},
        post_load_reservation=D_ADDRESS,
        slots=(D_ADDRESS,),
    ),
    V(
        id="sc.w-succeeds",
        insn=sc_w(T0, T2, T1),
        regs={T1: W_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=W_ADDRESS,
        post_regs={T0: 0},
        post_mem={W_ADDRESS: V8_LE[:4]},
        post_load_reservation=0,
        slots=(W_ADDRESS,),
    ),
    V(
        id="sc.d-succeeds",
        insn=sc_d(T0, T2, T1),
        regs={T1: D_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=D_ADDRESS,
        post_regs={T0: 0},
        post_mem={D_ADDRESS: V8_LE},
        post_load_reservation=0,
        slots=(D_ADDRESS,),
    ),
    V(
        id="sc.w.aqrl-succeeds",
        insn=sc_w(T0, T2, T1, aq=True, rl=True),
        regs={T1: W_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=W_ADDRESS,
        post_regs={T0: 0},
        post_mem={W_ADDRESS: V8_LE[:4]},
        post_load_reservation=0,
        slots=(W_ADDRESS,),
    ),
    V(
        id="sc.w-to-x0-succeeds",
        insn=sc_w(ZERO, T2, T1),
        regs={T1: W_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=W_ADDRESS,
        post_mem={W_ADDRESS: V8_LE[:4]},
        post_load_reservation=0,
        slots=(W_ADDRESS,),
    ),
    # A failed sc touches no memory and needs no data proof (§3.4).
    V(
        id="sc.w-fails-other-address",
        insn=sc_w(T0, T2, T1),
        regs={T1: W_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=D_ADDRESS,
        post_regs={T0: 1},
        post_load_reservation=0,
    ),
    V(
        id="sc.d-fails-no-reservation",
        insn=sc_d(T0, T2, T1),
        regs={T1: D_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=0,
        post_regs={T0: 1},
        post_load_reservation=0,
    ),
    V(
        id="sc.d-fails-stale-reservation",
        insn=sc_d(T0, T2, T1),
        regs={T1: D_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        post_regs={T0: 1},
        post_load_reservation=0,
    ),
    # 0 is not "no reservation": sc to address 0 succeeds with loadReservation = 0, even before any lr.
    V(
        id="sc.w-to-address-0-with-reservation-0",
        insn=sc_w(T0, T2, T1),
        regs={T1: 0, T2: V8},
        load_reservation=0,
        post_regs={T0: 0},
        post_mem={0: V8_LE[:4]},
        post_load_reservation=0,
        slots=(0,),
    ),
    V(
        id="sc.d-x0-base-with-reservation-0",
        insn=sc_d(T0, T2, ZERO),
        regs={T2: V8},
        load_reservation=0,
        post_regs={T0: 0},
        post_mem={0: V8_LE},
        post_load_reservation=0,
        slots=(0,),
    ),
    misaligned(
        "sc.w-misaligned-even-if-reserved",
        sc_w(T0, T2, T1),
        regs={T1: DATA + 2, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=DATA + 2,
    ),
    misaligned(
        "sc.d-misaligned",
        sc_d(T0, T2, T1),
        regs={T1: W_ADDRESS, T2: V8},
        mem=DATA_MEMORY,
        load_reservation=W_ADDRESS,
    ),
    misaligned("lr.w-misaligned", lr_w(T0, T1), regs={T1: DATA + 2}, mem=DATA_MEMORY),
    misaligned("lr.d-4-aligned-only", lr_d(T0, T1), regs={T1: W_ADDRESS}, mem=DATA_MEMORY),
    misaligned("amoadd.w-misaligned", amoadd_w(T0, T2, T1), regs={T1: DATA + 1, T2: 1}, mem=DATA_MEMORY),
    misaligned(
        "amoswap.d-4-aligned-only", amoswap_d(T0, T2, T1), regs={T1: W_ADDRESS, T2: 1}, mem=DATA_MEMORY
    ),
    # The width is checked before the alignment.
    *(
        V(
            id=f"amo-funct3-{f3}",
            insn=amo_type(AMO_ADD, f3, T0, T1, T2),
            regs={T1: DATA + 1, T2: 1},
            mem=DATA_MEMORY,
            raises=InvalidInstruction,
            code=AMO_WIDTH,
        )
        for f3 in (0, 1, 4, 5, 6, 7)
    ),
    V(
        id="lr-funct3-1",
        insn=amo_type(AMO_LR, 1, T0, T1, 0),
        regs={T1: DATA},
        mem=DATA_MEMORY,
        raises=InvalidInstruction,
        code=AMO_WIDTH,
    ),
    V(
        id="sc-funct3-0",
        insn=amo_type(AMO_SC, 0, T0, T1, T2),
        regs={T1: DATA},
        mem=DATA_MEMORY,
        load_reservation=DATA,
        raises=InvalidInstruction,
        code=AMO_WIDTH,
    ),
    # An unknown operation reverts after the load, so the verifier needs slot 1 to reach it.
    *(
        V(
            id=f"amo-op-{op:02x}-{'wd'[width - W]}",
            insn=amo_type(op, width, T0, T1, T2),
            regs={T1: D_ADDRESS, T2: 1},
            mem=DATA_MEMORY,
            slots=(D_ADDRESS,),
            raises=InvalidInstruction,
            code=UNKNOWN_AMO,
        )
        for op, width in ((0x05, W), (0x06, D), (0x1F, W), (0x1E, D), (0x09, W))
    ),
]

# -- SYSTEM (§6.10) ------------------------------------------------------------------------------

SYS_EXIT = 93
SYS_BRK = 214

SYSTEM_VECTORS = [
    # The background a7 is no syscall the VM knows: a no-op that returns a0 = a1 = 0 (§7.2).
    V(id="ecall-unknown-number", insn=ecall(), post_regs={A0: 0, A1: 0}),
    V(
        id="ecall-rd-rs1-fields-not-checked",
        insn=i_type(SYSTEM, T0, 0, T1, 0),
        regs={A7: SYS_BRK},
        post_regs={A0: 0x4000_0000, A1: 0},
    ),
    # funct3 = 0 with insn[31:20] != 0 is a no-op, even with a7 = exit.
    V(id="ebreak", insn=EBREAK, regs={A7: SYS_EXIT}),
    V(id="mret", insn=MRET, regs={A7: SYS_EXIT}),
    V(id="sret", insn=SRET, regs={A7: SYS_EXIT}),
    V(id="wfi", insn=WFI, regs={A7: SYS_EXIT}),
    V(id="sfence.vma", insn=r_type(SYSTEM, ZERO, 0, T1, T2, 0x09), regs={A7: SYS_EXIT}),
    V(id="system-funct3-0-imm-fff-rd-set", insn=i_type(SYSTEM, T0, 0, T1, 0xFFF), regs={A7: SYS_EXIT}),
    # funct3 != 0: a CSR access; no CSR exists, x[rd] = 0 and nothing else changes.
    V(id="csrrw", insn=csrrw(T0, 0xC00, T1), regs={T1: 0x55}, post_regs={T0: 0}),
    V(id="csrrs", insn=csrrs(T0, CSR_MHARTID, T1), regs={T1: 0x55}, post_regs={T0: 0}),
    V(id="csrrc", insn=csrrc(T0, 0x300, T1), regs={T1: 0x55}, post_regs={T0: 0}),
    V(id="csrrwi", insn=csrrwi(T0, 0x001, 31), post_regs={T0: 0}),
    V(id="csrrsi", insn=csrrsi(T0, 0x002, 1), post_regs={T0: 0}),
    V(id="csrrci", insn=csrrci(T0, 0x003, 7), post_regs={T0: 0}),
    V(id="rdcycle", insn=rdcycle(A0), post_regs={A0: 0}),
    V(id="rdtime", insn=rdtime(A0), post_regs={A0: 0}),
    V(id="rdinstret", insn=rdinstret(A0), post_regs={A0: 0}),
    V(id="csrr-mhartid", insn=csrr(A0, CSR_MHARTID), post_regs={A0: 0}),
    V(id="system-funct3-4-reserved", insn=i_type(SYSTEM, T0, 4, T1, 0x123), post_regs={T0: 0}),
    V(id="csrw-rd-x0", insn=csrrw(ZERO, 0x300, T1)),
    V(id="csr-rd-x0-keeps-stored-x0", insn=csrrs(ZERO, 0xC01, ZERO), regs={ZERO: 7}),
]

# -- the no-op groups (§6.1): MISC-MEM, LOAD-FP, STORE-FP, OP-FP ---------------------------------

NO_OP_VECTORS = [
    V(id="fence", insn=fence()),
    V(id="fence-r-w", insn=fence(0b0010, 0b0001)),
    V(id="fence.tso", insn=FENCE_TSO),
    V(id="pause", insn=PAUSE),
    V(id="fence.i", insn=fence_i()),
    V(id="misc-mem-funct3-7-rd-set", insn=i_type(MISC_MEM, T0, 7, T1, 0x123)),
    # LOAD-FP reads no memory: no data proof, whatever the address.
    V(id="fld", insn=fld(1, 0, T1), regs={T1: DATA}, mem=DATA_MEMORY),
    V(id="flw", insn=flw(1, 4, T1), regs={T1: DATA}, mem=DATA_MEMORY),
    V(id="fld-would-straddle", insn=fld(1, 0, T1), regs={T1: DATA + 28}, mem=DATA_MEMORY),
    V(id="load-fp-funct3-7-rd-t0", insn=i_type(LOAD_FP, T0, 7, T1, 0), regs={T1: DATA}, mem=DATA_MEMORY),
    # STORE-FP writes no memory.
    V(id="fsd", insn=fsd(1, 0, T1), regs={T1: DATA}, mem=DATA_MEMORY),
    V(id="fsw", insn=fsw(1, 0, T1), regs={T1: DATA + 30}, mem=DATA_MEMORY),
    V(id="store-fp-funct3-7", insn=s_type(STORE_FP, 7, T1, T2, 0), regs={T1: DATA}, mem=DATA_MEMORY),
    # OP-FP writes no register, not even the ones that write x registers on hardware.
    V(id="fadd.d", insn=fadd_d(1, 2, 3)),
    V(id="fmv.x.d", insn=fmv_x_d(A0, 1)),
    V(id="fcvt.l.d", insn=fcvt_l_d(A0, 1)),
    V(id="feq.d", insn=feq_d(A0, 1, 2)),
    V(id="fclass.d", insn=fclass_d(A0, 1)),
    V(id="op-fp-all-ones-fields", insn=r_type(OP_FP, T0, 7, 31, 31, 0x7F)),
]

# -- unknown opcodes (§6.1): REVERT(0xf001c0de) -------------------------------------------------

UNKNOWN_OPCODE = 0xF001C0DE
UNHANDLED_OPCODES = (0x0B, 0x1F, 0x2B, 0x3F, 0x43, 0x47, 0x4B, 0x4F, 0x57, 0x5B, 0x5F, 0x6B, 0x77, 0x7B, 0x7F)


def unknown(id: str, insn: int) -> Vector:
    return V(id=id, insn=insn, raises=InvalidInstruction, code=UNKNOWN_OPCODE)


UNKNOWN_OPCODE_VECTORS = [
    unknown("zeroed-memory", 0x0000_0000),
    unknown("c.nop", 0x0000_0001),
    unknown("c.addi-pair", 0x0505_0505),  # two compressed addi a0, a0, 1
    unknown("c.li-a0-1", 0x0000_4505),
    unknown("c.ret-in-low-half", 0x0001_8082),
    unknown("all-ones", 0xFFFF_FFFF),
    unknown("fmadd.d", fmadd_d(1, 2, 3, 4)),
    *(unknown(f"opcode-0x{op:02x}", r_type(op, T0, 0, T1, T2, 0)) for op in UNHANDLED_OPCODES),
]

# -- instruction fetch (§3.4, §5) ----------------------------------------------------------------

FETCH_CROSSES_LEAF = 0xBAD22220

FETCH_VECTORS = [
    *(
        V(
            id=f"fetch-at-leaf-offset-{offset}",
            insn=NOP,
            pc=PC + offset,
            raises=MisalignedAddress,
            code=FETCH_CROSSES_LEAF,
        )
        for offset in (29, 30, 31)
    ),
    V(
        id="fetch-at-top-crosses-into-0",
        insn=NOP,
        pc=0xFFFF_FFFF_FFFF_FFFE,
        raises=MisalignedAddress,
        code=FETCH_CROSSES_LEAF,
    ),
    V(id="fetch-at-leaf-offset-28", insn=addi(T0, T1, 1), pc=PC + 28, regs={T1: 1}, post_regs={T0: 2}),
    # pc is not alignment-checked at fetch (§3.4).
    V(id="fetch-at-odd-pc", insn=addi(T0, T1, 1), pc=PC + 1, regs={T1: 1}, post_regs={T0: 2}),
    V(id="fetch-at-pc-plus-2", insn=addi(T0, T1, 1), pc=PC + 2, regs={T1: 1}, post_regs={T0: 2}),
]

# -- exited pre-states and the step counter (§5 step 1, 2) ---------------------------------------

EXITED_VECTORS = [
    # Nothing is executed (the word would revert), the counter does not move and no proof is needed.
    V(id="exited-0", insn=0, exited=1, exit_code=0, post_pc=PC, post_step=STEP),
    V(id="exited-1", insn=0, exited=1, exit_code=1, post_pc=PC, post_step=STEP),
    V(id="exited-panic", insn=0, exited=1, exit_code=0xFF, post_pc=PC, post_step=STEP),
    # exited = 2 (hand-made) also returns early, yet its status is "unfinished" (§2.2, §5).
    V(id="exited-2", insn=0, exited=2, exit_code=0, post_pc=PC, post_step=STEP),
    V(id="step-counter-wraps", insn=NOP, step=MASK64, post_step=0),
    V(id="step-counter-from-0", insn=NOP, step=0, post_step=1),
]

ALL_VECTORS = [
    *OP_IMM_VECTORS,
    *OP_IMM_32_VECTORS,
    *OP_VECTORS,
    *OP_M_VECTORS,
    *OP_32_VECTORS,
    *RESERVED_VECTORS,
    *LENIENT_ALU_VECTORS,
    *UPPER_VECTORS,
    *JUMP_VECTORS,
    *BRANCH_VECTORS,
    *LOAD_VECTORS,
    *STORE_VECTORS,
    *AMO_VECTORS,
    *LR_SC_VECTORS,
    *SYSTEM_VECTORS,
    *NO_OP_VECTORS,
    *UNKNOWN_OPCODE_VECTORS,
    *FETCH_VECTORS,
    *EXITED_VECTORS,
]


def test_vector_ids_are_unique() -> None:
    ids = [vector.id for vector in ALL_VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("vector", OP_IMM_VECTORS + OP_IMM_32_VECTORS, ids=vid)
def test_op_imm(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", OP_VECTORS + OP_32_VECTORS, ids=vid)
def test_op(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", OP_M_VECTORS, ids=vid)
def test_m_extension(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", RESERVED_VECTORS, ids=vid)
def test_reserved_encodings(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", LENIENT_ALU_VECTORS, ids=vid)
def test_lenient_decodings(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", UPPER_VECTORS + JUMP_VECTORS + BRANCH_VECTORS, ids=vid)
def test_control_transfer_and_upper_immediates(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", LOAD_VECTORS, ids=vid)
def test_loads(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", STORE_VECTORS, ids=vid)
def test_stores(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", AMO_VECTORS + LR_SC_VECTORS, ids=vid)
def test_atomics(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", SYSTEM_VECTORS + NO_OP_VECTORS, ids=vid)
def test_system_and_no_ops(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", UNKNOWN_OPCODE_VECTORS + FETCH_VECTORS, ids=vid)
def test_unknown_opcodes_and_fetch(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", EXITED_VECTORS, ids=vid)
def test_exited_and_step_counter(vector: Vector) -> None:
    run_vector(vector)


# -- the verifier's own reverts: proofs that do not fold (§3.3 VERIFY, Appendix A 0xbadf00d1) ----

BAD_PROOF = 0xBADF00D1


def verify_with(vector: Vector, proof_data: bytes) -> bytes:
    memory = memory_of(pre_image(vector))
    state_data = witness_of(memory.merkle_root(), pre_state(vector))
    return RiscvVM.verify_step(state_data, proof_data, CONTEXT, OnchainParts({}, CONTEXT), CALLER)


def test_slot_0_for_another_leaf_is_rejected() -> None:
    vector = V(id="nop", insn=NOP)
    memory = memory_of(pre_image(vector))
    with pytest.raises(InvalidMemoryProof) as failure:
        verify_with(vector, memory.proof(PC + LEAF))
    assert failure.value.code == BAD_PROOF


def test_missing_slot_1_is_rejected() -> None:
    vector = next(v for v in LOAD_VECTORS if v.id == "ld")
    memory = memory_of(pre_image(vector))
    with pytest.raises(InvalidMemoryProof) as failure:
        verify_with(vector, memory.proof(PC))  # slot 1 reads as zeros past the end of calldata
    assert failure.value.code == BAD_PROOF


def test_unknown_amo_checks_slot_1_before_the_operation() -> None:
    """§6.9: the unknown-operation revert comes after the load, so a bad slot 1 reverts first."""
    vector = next(v for v in LR_SC_VECTORS if v.id == "amo-op-05-w")
    memory = memory_of(pre_image(vector))
    with pytest.raises(InvalidMemoryProof) as failure:
        verify_with(vector, memory.proof(PC) + memory.proof(DATA + 32))
    assert failure.value.code == BAD_PROOF
    with pytest.raises(InvalidInstruction) as unknown_op:
        verify_with(vector, memory.proof(PC) + memory.proof(D_ADDRESS))
    assert unknown_op.value.code == UNKNOWN_AMO


def test_straddling_fetch_verifies_slot_0_first() -> None:
    """§3.5 LOAD verifies the left leaf before it looks at the right one."""
    vector = next(v for v in FETCH_VECTORS if v.id == "fetch-at-leaf-offset-30")
    memory = memory_of(pre_image(vector))
    with pytest.raises(InvalidMemoryProof) as failure:
        verify_with(vector, memory.proof(DATA))
    assert failure.value.code == BAD_PROOF
    with pytest.raises(MisalignedAddress) as straddle:
        verify_with(vector, memory.proof(PC))
    assert straddle.value.code == FETCH_CROSSES_LEAF


@pytest.mark.parametrize("vector_id", ["sd-straddles-4-4", "sd-straddles-non-siblings"])
def test_straddling_store_slot_2_against_the_pre_root_is_rejected(vector_id: str) -> None:
    """§3.4: slot 2 of a store is proven against the intermediate root. Two adjacent leaves meet
    somewhere on their paths (level 0 for siblings, higher otherwise), so a slot-2 proof taken
    from the pre-state memory carries a stale node and fails; the VM's own proof passes."""
    vector = next(v for v in STORE_VECTORS if v.id == vector_id)
    memory = memory_of(pre_image(vector))
    left, right = vector.slots
    stale = memory.proof(PC) + memory.proof(left) + memory.proof(right)
    with pytest.raises(InvalidMemoryProof) as failure:
        verify_with(vector, stale)
    assert failure.value.code == BAD_PROOF
    proof = prepare(vector)[0].step(proof=True)
    assert proof is not None
    assert verify_with(vector, proof.proof_data) == proof.post


def test_spec_vector_d_straddling_store() -> None:
    """riscv64.md §13.4 D: sd x1, 30(x0) at pc 0 with x1 = 0x1122334455667788."""
    memory = Memory(64)
    memory.write(0, bytes.fromhex("233f1000"))
    registers = [0] * 32
    registers[RA] = 0x1122_3344_5566_7788
    vm = RiscvVM(RiscvState(registers=registers), memory)
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.pre.hex() == "03f1bba5d8c66be18c00b6adda8a93d5d5255057a2bd1beef1bed3cf0989828d"
    assert (
        keccak256(proof.proof_data).hex()
        == "b08f74636ba5db3b8f26af82f6d44447239c7874883658a1f05956c74625b65d"
    )
    assert proof.post.hex() == "036fc2db6daf2515f156f2e52af35ff7c140bea30e45fa85831cfc0dac4f6d86"
    assert vm.memory.read(32, 32).hex() == "6655443322110000000000000000000000000000000000000000000000000000"
    assert (
        RiscvVM.verify_step(proof.state_data, proof.proof_data, bytes(32), OnchainParts({}, CONTEXT), CALLER)
        == proof.post
    )


# -- LR/SC over several steps (§6.9 reservation quirks) --------------------------------------------


class Program:
    """A VM running consecutive instructions from PC, each step proven and verified."""

    def __init__(
        self, words: list[int], regs: Mapping[int, int], mem: Mapping[int, bytes], reservation: int
    ) -> None:
        memory = Memory(64)
        for address, data in mem.items():
            memory.write(address, data)
        for index, word in enumerate(words):
            memory.write(PC + 4 * index, le32(word))
        registers = [background(i) for i in range(32)]
        for index, value in regs.items():
            registers[index] = value
        self.vm = RiscvVM(RiscvState(pc=PC, load_reservation=reservation, registers=registers), memory)

    def step(self) -> None:
        proof = self.vm.step(proof=True)
        assert proof is not None
        parts = OnchainParts({}, CONTEXT)
        assert RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, parts, CALLER) == proof.post

    def run(self, steps: int) -> RiscvState:
        for _ in range(steps):
            self.step()
        return self.vm.state


def test_sc_w_after_lr_d_compares_only_the_address() -> None:
    program = Program([lr_d(T0, T1), sc_w(T3, T2, T1)], {T1: D_ADDRESS, T2: V8}, DATA_MEMORY, RESERVATION)
    state = program.run(2)
    assert state.registers[T0] == 0x8F8E_8D8C_8B8A_8988
    assert state.registers[T3] == 0
    assert state.load_reservation == 0
    assert program.vm.memory.read(D_ADDRESS, 8) == V8_LE[:4] + bytes([0x8C, 0x8D, 0x8E, 0x8F])


def test_ordinary_store_and_amo_keep_the_reservation() -> None:
    words = [lr_w(T0, T1), sw(T2, 0, T1), amoadd_w(T4, T2, T1), sc_w(T3, T2, T1)]
    program = Program(words, {T1: W_ADDRESS, T2: 1}, DATA_MEMORY, 0)
    state = program.run(3)
    assert state.load_reservation == W_ADDRESS
    assert state.registers[T4] == 1  # the word the sw wrote
    state = program.run(1)
    assert state.registers[T3] == 0  # the sc still succeeds
    assert state.load_reservation == 0
    assert program.vm.memory.read(W_ADDRESS, 4) == le32(1)


def test_any_sc_clears_the_reservation() -> None:
    words = [
        lr_w(T0, T1),
        sc_w(T3, T2, T4),
        sc_w(T5, T2, T1),
        lr_w(T0, T1),
        sc_w(T3, T2, T1),
        sc_w(T5, T2, T1),
    ]
    program = Program(words, {T1: W_ADDRESS, T2: 9, T4: D_ADDRESS}, DATA_MEMORY, 0)
    state = program.run(3)
    assert (state.registers[T3], state.registers[T5]) == (1, 1)  # a failed sc clears it too
    state = program.run(3)
    assert (state.registers[T3], state.registers[T5]) == (0, 1)  # a successful sc clears it
    assert program.vm.memory.read(W_ADDRESS, 4) == le32(9)


def test_sc_to_address_0_succeeds_before_any_lr() -> None:
    program = Program([sc_d(T3, T2, ZERO), sc_d(T5, T2, ZERO)], {T2: V8}, {}, 0)
    state = program.run(2)
    # The first sc succeeds (reservation 0 = address 0) and leaves 0, so the second does too.
    assert (state.registers[T3], state.registers[T5]) == (0, 0)
    assert program.vm.memory.read(0, 8) == V8_LE
