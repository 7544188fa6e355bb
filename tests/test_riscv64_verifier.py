"""The stateless RV64 verifier, its calldata and its proofs (spec: riscv64.md §2–§5, §8.3, §13).

(1) the spec's vectors: constants (§13.2), state hashes (§13.3), the steps C and D (§13.4);
(2) the calldata rules of §4.2, including the quirk that slots are read at absolute offsets;
(3) the number, order and contents of the proof slots of every kind of step (§3.4);
(4) hypothesis: random states and instruction words, ``RiscvVM.step(proof=True)`` against
    ``RiscvVM.verify_step`` (same post hash, or the same failure with the same revert code);
(5) tampering: no changed byte of a witness or of its proofs yields the honest post hash;
(6) preimage reads in the verifier: local keys are looked up localized (preimage-oracle.md §2.1).

Witnesses, calldata, proof slots and state hashes are built here from the spec's layouts and
formulas (``witness``, ``abi_step_calldata``, ``planned_proof_data``, ``status_hash``); the zero
hashes and the Merkle fold come from ``test_riscv64_memory``. Preimage parts are served as the
onchain oracle holds them: under localized keys, at exact offsets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.crypto import keccak256
from faultproof.errors import (
    InvalidInstruction,
    InvalidMemoryProof,
    InvalidWitness,
    MisalignedAddress,
    PreimageNotFound,
    PreimagePartUnavailable,
    StepFailure,
    UnsupportedSyscall,
)
from faultproof.memory import Memory
from faultproof.preimage.keys import keccak256_key, local_key, localize
from faultproof.vm.interface import PreimagePartSource
from faultproof.vm.riscv64 import verifier
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.vm import RiscvVM
from onchain_checks import CALLER, CONTEXT, OnchainParts, SinglePart, part_of
from riscv_asm import (
    A0,
    A1,
    A2,
    A7,
    AMO_ADD,
    LOAD_FP,
    S0,
    S1,
    T0,
    T1,
    T2,
    addi,
    amo_type,
    amoadd_d,
    amoswap_w,
    beq,
    ecall,
    i_type,
    jal,
    ld,
    lr_d,
    lw,
    sb,
    sc_d,
    sd,
    sw,
)
from test_riscv64_memory import EMPTY_ROOT, LEAF, PROOF_SIZE, TOP, Z, fold, reference_root

WITNESS_SIZE = 362
SELECTOR = bytes.fromhex("e14ced32")
ERR_PROOF = 0xBADF00D1
ERR_PART = 0xBADF00D0


# -- the spec's layouts, written out -------------------------------------------------------------


def be(value: int, size: int = 8) -> bytes:
    return value.to_bytes(size, "big")


def le(value: int, size: int = 8) -> bytes:
    return value.to_bytes(size, "little")


def witness(
    mem_root: bytes,
    *,
    key: bytes = bytes(32),
    offset: int = 0,
    pc: int = 0,
    exit_code: int = 0,
    exited: int = 0,
    step: int = 0,
    heap: int = 0,
    reservation: int = 0,
    registers: Mapping[int, int] | None = None,
) -> bytes:
    """The 362-byte witness of §2.1, field by field."""
    regs = [0] * 32
    for index, value in (registers or {}).items():
        regs[index] = value
    data = (
        mem_root
        + key
        + be(offset)
        + be(pc)
        + bytes([exit_code, exited])
        + be(step)
        + be(heap)
        + be(reservation)
        + b"".join(be(r) for r in regs)
    )
    assert len(data) == WITNESS_SIZE
    return data


def status_hash(witness_data: bytes) -> bytes:
    """§2.2: byte 0 of ``H(witness)`` replaced by the status (3 unless ``exited == 1``)."""
    exit_code, exited = witness_data[80], witness_data[81]
    status = 3 if exited != 1 else {0: 0, 1: 1}.get(exit_code, 2)
    return bytes([status]) + keccak256(witness_data)[1:]


def abi_step_calldata(state_data: bytes, proof_data: bytes, context: bytes) -> bytes:
    """§4.2's canonical layout: selector, head words 0x60 / 0x200, context, then both ``bytes``."""
    return (
        SELECTOR
        + be(0x60, 32)
        + be(0x200, 32)
        + context
        + be(len(state_data), 32)
        + state_data
        + bytes(22)
        + be(len(proof_data), 32)
        + proof_data
        + bytes(-len(proof_data) % 32)
    )


def state_of(mem_root: bytes, witness_data: bytes) -> RiscvState:
    """A ``RiscvState`` from the same fields (read back with the §2.1 offsets)."""
    assert witness_data[:32] == mem_root

    def word(at: int) -> int:
        return int.from_bytes(witness_data[at : at + 8], "big")

    return RiscvState(
        preimage_key=witness_data[32:64],
        preimage_offset=word(64),
        pc=word(72),
        exit_code=witness_data[80],
        exited=witness_data[81],
        step=word(82),
        heap=word(90),
        load_reservation=word(98),
        registers=[word(106 + 8 * i) for i in range(32)],
    )


# -- the outside world ---------------------------------------------------------------------------


class DictHost:
    """A preimage host over raw (un-localized) keys, as the stateful VM asks for them."""

    def __init__(self, preimages: Mapping[bytes, bytes]) -> None:
        self.preimages = dict(preimages)

    def get_preimage(self, key: bytes) -> bytes:
        if key not in self.preimages:
            raise PreimageNotFound(key)
        return self.preimages[key]

    def hint(self, hint: bytes) -> None:
        pass


NO_PARTS = OnchainParts({})


def verify(state_data: bytes, proof_data: bytes, parts: PreimagePartSource = NO_PARTS) -> bytes:
    return RiscvVM.verify_step(state_data, proof_data, CONTEXT, parts, CALLER)


def verify_raw(calldata: bytes, parts: PreimagePartSource = NO_PARTS) -> bytes:
    return verifier.verify_calldata(calldata, parts, CALLER)


def slots(proof_data: bytes) -> list[bytes]:
    assert len(proof_data) % PROOF_SIZE == 0
    return [proof_data[i : i + PROOF_SIZE] for i in range(0, len(proof_data), PROOF_SIZE)]


# == (1) spec vectors ============================================================================

# -- §13.2 constants -----------------------------------------------------------------------------


def test_selectors() -> None:
    assert keccak256(b"step(bytes,bytes,bytes32)")[:4] == SELECTOR == verifier.STEP_SELECTOR
    assert keccak256(b"readPreimage(bytes32,uint256)")[:4].hex() == "e03110e1"


def test_all_zero_proof_is_rejected_with_bad_proof_code() -> None:
    """§13.2: the zero proof folds to 0x35cd… ≠ Z[59]; the verifier reverts 0xbadf00d1."""
    state = witness(EMPTY_ROOT)
    with pytest.raises(InvalidMemoryProof) as raised:
        verify(state, bytes(PROOF_SIZE))
    assert raised.value.code == ERR_PROOF
    # With the honest proof the fetch succeeds and reads 0, which is no opcode (§6.1).
    honest = bytes(LEAF) + b"".join(Z[:59])
    with pytest.raises(InvalidInstruction) as raised_insn:
        verify(state, honest)
    assert raised_insn.value.code == 0xF001C0DE


# -- §13.3 state vectors -------------------------------------------------------------------------

VECTOR_A = "036ad71c4f0a2a9891269cd5cbd01d71dfc391ec09409597f3a65697aa1f2db3"
VECTOR_S0 = "035cf963af359cb97327b6c6aed0286845e6b0ca8e9538dcfe6e691690bbece8"
VECTOR_S1 = {
    0: "00d4274565bf06f0bb78501a23d5556e7b7d12cc857f00fbcc84191aa26af181",
    1: "013ef5becdb5b37011e217be6b2f51e545e49e002241d2d4a577bf18356bd3ce",
    2: "026f2a2cd32aaa925cdcd67a4bc627449b04a5f661c1e499c42d5f2f6e1bce64",
    255: "02a9c97351efc8cad8eb3af49bf97d2a19eb35cce91f9852518d8658bf9c71ab",
}
VECTOR_S2 = "03d54238f6ffaa1c25850ebb39aed6ab91e614dbca75545da76f18694a50abd6"
HEAP_START = 0x7F00_0000_0000
STACK = 0x1000_0000_0000_0000


def check_state_vector(witness_data: bytes, expected: str) -> None:
    assert status_hash(witness_data).hex() == expected
    memory = Memory(64)
    assert memory.merkle_root() == witness_data[:32]
    vm = RiscvVM(state_of(witness_data[:32], witness_data), memory)
    assert vm.witness() == witness_data
    assert vm.state_hash().hex() == expected


def test_vector_a() -> None:
    check_state_vector(witness(EMPTY_ROOT, heap=HEAP_START, registers={2: STACK}), VECTOR_A)


def test_vector_s0() -> None:
    check_state_vector(witness(EMPTY_ROOT), VECTOR_S0)


@pytest.mark.parametrize("exit_code", sorted(VECTOR_S1))
def test_vector_s1(exit_code: int) -> None:
    state = witness(EMPTY_ROOT, exited=1, exit_code=exit_code)
    check_state_vector(state, VECTOR_S1[exit_code])
    # §5 step 1 / §4.3: stepping an exited state returns its own hash and reads no proof.
    assert verify(state, b"").hex() == VECTOR_S1[exit_code]


def test_vector_s2() -> None:
    state = witness(EMPTY_ROOT, exit_code=5)
    check_state_vector(state, VECTOR_S2)


@pytest.mark.parametrize("exited", [2, 0x80, 0xFF])
def test_exited_above_1_returns_early_with_status_3(exited: int) -> None:
    """§5: the early return tests ``exited != 0``, while §2.2's status compares ``exited == 1``."""
    state = witness(EMPTY_ROOT, exited=exited, exit_code=1, pc=0x1000)
    post = verify(state, b"")
    assert post == status_hash(state)
    assert post[0] == 3


def test_vector_b_stack_leaves() -> None:
    """§13.3 B: memory holding only the initial stack words of §9.5."""
    leaves = {
        STACK: "0000000000000000420000000000000035000000000000000000000000000000",
        STACK + 0x20: "0600000000000000001000000000000019000000000000004800000000000010",
        STACK + 0x40: "000000000000000072616e642070726f746f6c616d6264610000000000000000",
    }
    memory = Memory(64)
    image: dict[int, int] = {}
    for address, leaf in leaves.items():
        memory.write(address, bytes.fromhex(leaf))
        image.update({address + i: b for i, b in enumerate(bytes.fromhex(leaf))})
    root = memory.merkle_root()
    assert root == reference_root(image)
    assert root.hex() == "e3452f1138542a2d5e49acd7671562e6dda5a8cd463740e69f23bbedaeff07d7"
    state = witness(root, heap=HEAP_START, registers={2: STACK})
    assert status_hash(state).hex() == "03e258b2fefc1e393675b0fea2a3ccf3255dfe7e482e1b158ddca4282aeee932"
    assert RiscvVM(state_of(root, state), memory).state_hash() == status_hash(state)


# -- §13.4 C: one ALU step -----------------------------------------------------------------------

C_LEAF = bytes.fromhex("93001000") + bytes(28)
C_PRE_ROOT = "bfb453671d5862b54832a85b1b0b3a9f7fc9ce20a06606c7ba1eb45d17d866a7"
C_PRE_HASH = "03f21354d1cad363b4bb624ce60fbf5a7ce0fcd5fd7428c79e1d70846ed3ee5d"
C_CALLDATA_HASH = "d9b8369852e2b7b81ccee69fd6902a04426356ad94a8d315420b46ddf7ef61fe"
C_POST_HASH = "033bb62d541c1995cb4da3120a96c32c589c49e12ee72a2a079d92543d4911f5"


def vector_c_vm() -> RiscvVM:
    memory = Memory(64)
    memory.write(0, bytes.fromhex("93001000"))
    return RiscvVM(RiscvState(), memory)


def test_vector_c() -> None:
    assert addi(1, 0, 1) == int.from_bytes(bytes.fromhex("93001000"), "little")
    proof_data = C_LEAF + b"".join(Z[:59])
    pre_root = fold(0, proof_data)
    assert pre_root.hex() == C_PRE_ROOT
    pre = witness(pre_root)
    assert status_hash(pre).hex() == C_PRE_HASH
    calldata = abi_step_calldata(pre, proof_data, bytes(32))
    assert len(calldata) == 2468
    assert keccak256(calldata).hex() == C_CALLDATA_HASH
    assert verifier.step_calldata(pre, proof_data, bytes(32)) == calldata
    post = witness(pre_root, pc=4, step=1, registers={1: 1})
    assert status_hash(post).hex() == C_POST_HASH

    vm = vector_c_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    assert (proof.state_data, proof.proof_data) == (pre, proof_data)
    assert proof.pre.hex() == C_PRE_HASH and proof.post.hex() == C_POST_HASH
    assert proof.step == 0 and proof.oracle_key is None
    assert vm.witness() == post
    assert verify_raw(calldata).hex() == C_POST_HASH
    assert RiscvVM.verify_step(pre, proof_data, bytes(32), NO_PARTS, CALLER).hex() == C_POST_HASH


# -- §13.4 D: a straddling store ----------------------------------------------------------------

D_PRE_ROOT = "e04ea2f8ed270559565d7a9d37b81456f9eac581b1eafb0efc6d91b303cdf661"
D_PRE_HASH = "03f1bba5d8c66be18c00b6adda8a93d5d5255057a2bd1beef1bed3cf0989828d"
D_INTERMEDIATE_ROOT = "719cdef5efd14b21ed3937b3843282925b03ae034ee99baacfdc7f9109752137"
D_SLOT2_SIBLING = "233f100000000000000000000000000000000000000000000000000000008877"
D_FINAL_LEAF1 = "6655443322110000000000000000000000000000000000000000000000000000"
D_PROOF_HASH = "b08f74636ba5db3b8f26af82f6d44447239c7874883658a1f05956c74625b65d"
D_CALLDATA_HASH = "a9416cab6afde2c76d28f1229443d6eb1f207d7ca31254eb6171783d541da485"
D_POST_ROOT = "e11d77e4f2d349ed211943da84186ad0ef595c392cb45d5969b2b57c405f2641"
D_POST_HASH = "036fc2db6daf2515f156f2e52af35ff7c140bea30e45fa85831cfc0dac4f6d86"
D_X1 = 0x1122_3344_5566_7788


def vector_d_vm() -> RiscvVM:
    memory = Memory(64)
    memory.write(0, bytes.fromhex("233f1000"))
    registers = [0] * 32
    registers[1] = D_X1
    return RiscvVM(RiscvState(registers=registers), memory)


def test_vector_d() -> None:
    assert sd(1, 30, 0) == int.from_bytes(bytes.fromhex("233f1000"), "little")
    leaf0 = bytes.fromhex("233f1000") + bytes(28)
    slot0 = leaf0 + b"".join(Z[:59])
    pre_root = fold(0, slot0)
    assert pre_root.hex() == D_PRE_ROOT
    pre = witness(pre_root, registers={1: D_X1})
    assert status_hash(pre).hex() == D_PRE_HASH

    # Slot 1 is leaf 0 again; bytes 30–31 become 88 77, giving the intermediate root.
    updated_leaf0 = leaf0[:30] + bytes.fromhex("8877")
    assert updated_leaf0.hex() == D_SLOT2_SIBLING
    intermediate = fold(0, slot0, updated_leaf0)
    assert intermediate.hex() == D_INTERMEDIATE_ROOT
    # Slot 2: leaf 1, whose level-0 sibling is the updated leaf 0.
    slot2 = bytes(32) + updated_leaf0 + b"".join(Z[1:59])
    assert fold(0x20, slot2) == intermediate
    final_leaf1 = bytes.fromhex("665544332211") + bytes(26)
    assert final_leaf1.hex() == D_FINAL_LEAF1
    post_root = fold(0x20, slot2, final_leaf1)
    assert post_root.hex() == D_POST_ROOT
    final_image = dict(enumerate(updated_leaf0)) | dict(enumerate(final_leaf1, start=32))
    assert post_root == reference_root(final_image)
    proof_data = slot0 + slot0 + slot2
    assert keccak256(proof_data).hex() == D_PROOF_HASH
    calldata = abi_step_calldata(pre, proof_data, bytes(32))
    assert len(calldata) == 6308
    assert keccak256(calldata).hex() == D_CALLDATA_HASH
    assert verifier.step_calldata(pre, proof_data, bytes(32)) == calldata
    post = witness(post_root, pc=4, step=1, registers={1: D_X1})
    assert status_hash(post).hex() == D_POST_HASH

    vm = vector_d_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.state_data == pre
    assert proof.proof_data == proof_data
    assert proof.post.hex() == D_POST_HASH
    assert vm.memory.merkle_root().hex() == D_POST_ROOT
    assert verify_raw(calldata).hex() == D_POST_HASH


def test_vector_d_slot_2_against_the_pre_state_root_is_rejected() -> None:
    vm = vector_d_vm()
    pre_memory = vm.memory.copy()
    proof = vm.step(proof=True)
    assert proof is not None
    stale_slot2 = pre_memory.proof(0x20)
    assert fold(0x20, stale_slot2).hex() == D_PRE_ROOT
    assert stale_slot2 != slots(proof.proof_data)[2]
    with pytest.raises(InvalidMemoryProof) as raised:
        verify(proof.state_data, proof.proof_data[: 2 * PROOF_SIZE] + stale_slot2)
    assert raised.value.code == ERR_PROOF


# == (2) calldata (§4.2) ==========================================================================


def c_calldata() -> bytes:
    pre = witness(bytes.fromhex(C_PRE_ROOT))
    return abi_step_calldata(pre, C_LEAF + b"".join(Z[:59]), CONTEXT)


def with_word(calldata: bytes, at: int, value: int) -> bytes:
    return calldata[:at] + be(value, 32) + calldata[at + 32 :]


def assert_malformed(calldata: bytes) -> None:
    """A FAIL with empty revert data: ``InvalidWitness`` without a code."""
    with pytest.raises(InvalidWitness) as raised:
        verify_raw(calldata)
    assert raised.value.code is None


def test_canonical_calldata_verifies() -> None:
    assert verify_raw(c_calldata()).hex() == C_POST_HASH


@pytest.mark.parametrize("selector", ["e14ced33", "00000000", "e03110e1", "ed32"])
def test_wrong_selector(selector: str) -> None:
    assert_malformed(bytes.fromhex(selector) + c_calldata()[4:])


@pytest.mark.parametrize("size", [0, 3, 4, 100, 547])
def test_truncated_calldata(size: int) -> None:
    assert_malformed(c_calldata()[:size])


@pytest.mark.parametrize("head", [0, 0x40, 0x5F, 0x61, 0x80, 0x200, 2**255 + 0x60])
def test_non_canonical_state_offset(head: int) -> None:
    assert_malformed(with_word(c_calldata(), 4, head))


@pytest.mark.parametrize("head", [0, 0x60, 0x1E0, 0x1FF, 0x201, 0x220, 2**256 - 1])
def test_non_canonical_proof_offset(head: int) -> None:
    assert_malformed(with_word(c_calldata(), 36, head))


def test_self_consistent_but_non_canonical_encoding_is_rejected() -> None:
    """A valid ABI encoding with the state one word later (head 0x80) is still malformed."""
    calldata = c_calldata()
    shifted = calldata[:4] + be(0x80, 32) + be(0x220, 32) + calldata[68:100] + bytes(32) + calldata[100:]
    assert_malformed(shifted)


@pytest.mark.parametrize("length", [0, 361, 363, 384, 2**256 - 1])
def test_wrong_state_length(length: int) -> None:
    assert_malformed(with_word(c_calldata(), 100, length))


def test_wrong_state_length_through_verify_step() -> None:
    pre = witness(bytes.fromhex(C_PRE_ROOT))
    proof_data = C_LEAF + b"".join(Z[:59])
    for state_data in (pre[:-1], pre + b"\0", b""):
        with pytest.raises(InvalidWitness):
            verify(state_data, proof_data)


@pytest.mark.parametrize("length", [1, 32, 960, 1919, 1921, 3839])
def test_proof_length_not_a_multiple_of_1920(length: int) -> None:
    calldata = c_calldata() + bytes(4000)  # enough bytes after it: only the multiple is wrong
    assert_malformed(with_word(calldata, 516, length))


def test_proof_data_running_past_calldata() -> None:
    calldata = c_calldata()
    assert_malformed(calldata[:-1])  # declared 1920, present 1919
    assert_malformed(with_word(calldata, 516, 2 * PROOF_SIZE))  # declared 3840, present 1920
    assert_malformed(with_word(calldata, 516, 2**256 - PROOF_SIZE))  # no wrap-around


def test_trailing_calldata_and_padding_are_ignored() -> None:
    calldata = c_calldata()
    assert verify_raw(calldata + bytes(range(256))).hex() == C_POST_HASH
    assert verify_raw(calldata + Z[5] * 80).hex() == C_POST_HASH
    padded = calldata[:494] + b"\xff" * 22 + calldata[516:]  # padding SHOULD be zero, is not checked
    assert verify_raw(padded).hex() == C_POST_HASH


def test_local_context_is_read_from_calldata_but_unused_without_preimages() -> None:
    calldata = c_calldata()
    assert verify_raw(calldata[:68] + b"\x99" * 32 + calldata[100:]).hex() == C_POST_HASH


def test_slots_are_read_past_the_declared_proof_length() -> None:
    """§4.2 quirk: with ``P = 0`` the proof present as trailing calldata is still slot 0."""
    calldata = c_calldata()
    undeclared = with_word(calldata, 516, 0)
    assert verify_raw(undeclared).hex() == C_POST_HASH
    # Vector D with only slot 0 declared: slots 1 and 2 are trailing calldata.
    vm = vector_d_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    full = abi_step_calldata(proof.state_data, proof.proof_data, bytes(32))
    assert verify_raw(with_word(full, 516, PROOF_SIZE)).hex() == D_POST_HASH
    assert verify_raw(with_word(full, 516, 0)).hex() == D_POST_HASH


def test_missing_slots_read_as_zero_and_fail() -> None:
    """Without the bytes of slot 1, slot 1 reads as zeros and does not fold to the root."""
    vm = vector_d_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    with pytest.raises(InvalidMemoryProof) as raised:
        verify(proof.state_data, proof.proof_data[:PROOF_SIZE])
    assert raised.value.code == ERR_PROOF
    # A non-memory step needs no slot but 0: anything after it is ignored.
    c = c_calldata()
    assert verify_raw(c + b"\xff" * 100).hex() == C_POST_HASH


def memory_whose_slot0_ends_in_a_zero_byte() -> Memory:
    """Memory whose upper half's root (slot 0's level-58 sibling for pc = 0) ends in 0x00.

    Found by writing a counter at 2^63; about 256 tries of 58 hashes.
    """
    for counter in range(1 << 16):
        node = le(counter) + bytes(24)
        for j in range(58):
            node = keccak256(node + Z[j])
        if node[-1] == 0:
            memory = Memory(64)
            memory.write(0, bytes.fromhex("93001000"))
            memory.write(1 << 63, le(counter))
            return memory
    raise AssertionError("no counter found")


def test_bytes_past_the_end_of_calldata_read_as_zero() -> None:
    memory = memory_whose_slot0_ends_in_a_zero_byte()
    slot0 = memory.proof(0)
    assert slot0[-1] == 0
    pre = witness(memory.merkle_root())
    post = status_hash(witness(memory.merkle_root(), pc=4, step=1, registers={1: 1}))
    calldata = abi_step_calldata(pre, b"", bytes(32)) + slot0
    assert verify_raw(calldata) == post
    # The proof's last byte is missing from calldata: it reads as the zero it is.
    assert verify_raw(calldata[:-1]) == post
    # Missing a non-zero byte fails the fold.
    assert slot0[-2] != 0
    with pytest.raises(InvalidMemoryProof):
        verify_raw(calldata[:-2])


# == (3) proof slots: number, order and contents (§3.4) ==========================================

PC = 0x0000_0000_0001_0000
DATA = 0x0000_7F00_0000_1040
BUFFER_VALUE = b"faultproof rv64 verifier test preimage, 47 bytes"
BUFFER_KEY = keccak256_key(BUFFER_VALUE)


def make_vm(
    insn: int,
    regs: Mapping[int, int],
    preimages: Mapping[bytes, bytes] | None = None,
    pc: int = PC,
    **fields: object,
) -> RiscvVM:
    """A hand-made state: distinct bytes around ``pc`` and ``DATA`` (no byte repeats within a leaf)."""
    registers = [0x0101_0101_0101_0101 * i for i in range(32)]
    for index, value in regs.items():
        registers[index] = value
    memory = Memory(64)
    memory.write(pc - 0x100, bytes(range(256)) * 2)
    memory.write(DATA - 0x80, bytes(reversed(range(256))))
    memory.write(TOP - 0x3F, bytes(range(0x80, 0x100)))  # the top of memory, wrapping to address 0
    memory.write(pc, le(insn, 4))
    state = RiscvState(pc=pc, step=1000, heap=HEAP_START, registers=registers)
    for name, value in fields.items():
        setattr(state, name, value)
    return RiscvVM(state, memory, host=DictHost(preimages or {}))


@dataclass(frozen=True)
class SlotCase:
    """A step and, per slot in order, the leaf it must prove and the root it must fold to."""

    vm: RiscvVM
    # (leaf address, "pre" or "intermediate") per slot
    slot_leaves: tuple[tuple[int, str], ...]
    parts: PreimagePartSource = NO_PARTS


def slot_cases() -> dict[str, SlotCase]:
    pre = "pre"
    mid = "intermediate"
    pc_leaf = (PC, pre)
    return {
        "alu": SlotCase(make_vm(addi(T0, T1, 5), {}), (pc_leaf,)),
        "branch": SlotCase(make_vm(beq(T1, T1, 64), {}), (pc_leaf,)),
        "jal": SlotCase(make_vm(jal(1, -8), {}), (pc_leaf,)),
        "fld-is-a-no-op": SlotCase(make_vm(i_type(LOAD_FP, 1, 3, T1, 0), {T1: DATA}), (pc_leaf,)),
        "ld-in-leaf": SlotCase(make_vm(ld(T2, 8, T1), {T1: DATA}), (pc_leaf, (DATA, pre))),
        "lw-same-leaf-as-pc": SlotCase(make_vm(lw(T2, 16, T1), {T1: PC}), (pc_leaf, (PC, pre))),
        "ld-straddling": SlotCase(
            make_vm(ld(T2, 0x1D, T1), {T1: DATA}), (pc_leaf, (DATA, pre), (DATA + 0x20, pre))
        ),
        "ld-wrapping": SlotCase(make_vm(ld(T2, -4, T1), {T1: 0}), (pc_leaf, (TOP - 31, pre), (0, pre))),
        "ld-to-x0": SlotCase(make_vm(ld(0, 0, T1), {T1: DATA}), (pc_leaf, (DATA, pre))),
        "sb": SlotCase(make_vm(sb(T2, 31, T1), {T1: DATA}), (pc_leaf, (DATA, pre))),
        "sd-in-leaf": SlotCase(make_vm(sd(T2, 24, T1), {T1: DATA}), (pc_leaf, (DATA, pre))),
        "sd-straddling-siblings": SlotCase(
            make_vm(sd(T2, 0x1B, T1), {T1: DATA}), (pc_leaf, (DATA, pre), (DATA + 0x20, mid))
        ),
        "sw-straddling-pages": SlotCase(
            make_vm(sw(T2, -2, T1), {T1: DATA & ~0xFFF}),
            (pc_leaf, ((DATA & ~0xFFF) - 0x20, pre), (DATA & ~0xFFF, mid)),
        ),
        "sd-wrapping": SlotCase(make_vm(sd(T2, -3, T1), {T1: 0}), (pc_leaf, (TOP - 31, pre), (0, mid))),
        "sd-over-its-own-instruction": SlotCase(
            make_vm(sd(T2, 0x1C, T1), {T1: PC}), (pc_leaf, (PC, pre), (PC + 0x20, mid))
        ),
        "lr.d": SlotCase(make_vm(lr_d(T2, T1), {T1: DATA + 8}), (pc_leaf, (DATA, pre))),
        "sc.d-success": SlotCase(
            make_vm(sc_d(T2, T0, T1), {T1: DATA + 8}, load_reservation=DATA + 8), (pc_leaf, (DATA, pre))
        ),
        "sc.d-failure": SlotCase(
            make_vm(sc_d(T2, T0, T1), {T1: DATA + 8}, load_reservation=DATA), (pc_leaf,)
        ),
        "amoadd.d": SlotCase(make_vm(amoadd_d(T2, T0, T1), {T1: DATA + 24}), (pc_leaf, (DATA, pre))),
        "amoswap.w": SlotCase(make_vm(amoswap_w(T2, T0, T1), {T1: DATA + 28}), (pc_leaf, (DATA, pre))),
        "exit": SlotCase(make_vm(ecall(), {A7: 93, A0: 3}), (pc_leaf,)),
        "brk": SlotCase(make_vm(ecall(), {A7: 214}), (pc_leaf,)),
        "write-stdout": SlotCase(make_vm(ecall(), {A7: 64, A0: 1, A1: DATA, A2: 100}), (pc_leaf,)),
        "read-hint-ack": SlotCase(make_vm(ecall(), {A7: 63, A0: 3, A1: DATA, A2: 4}), (pc_leaf,)),
        "write-key": SlotCase(
            make_vm(ecall(), {A7: 64, A0: 6, A1: DATA + 30, A2: 8}), (pc_leaf, (DATA, pre))
        ),
        "read-preimage": SlotCase(
            make_vm(
                ecall(),
                {A7: 63, A0: 5, A1: DATA + 3, A2: 64},
                {BUFFER_KEY: BUFFER_VALUE},
                preimage_key=BUFFER_KEY,
                preimage_offset=6,
            ),
            (pc_leaf, (DATA, pre)),
            OnchainParts({BUFFER_KEY: BUFFER_VALUE}),
        ),
        "clock_gettime-in-leaf": SlotCase(make_vm(ecall(), {A7: 113, A1: DATA + 16}), (pc_leaf, (DATA, pre))),
        "clock_gettime-straddling": SlotCase(
            make_vm(ecall(), {A7: 113, A1: DATA + 24}), (pc_leaf, (DATA, pre), (DATA + 0x20, mid))
        ),
        "getrlimit-straddling": SlotCase(
            make_vm(ecall(), {A7: 163, A0: 7, A1: TOP - 7}), (pc_leaf, (TOP - 31, pre), (0, mid))
        ),
    }


@pytest.mark.parametrize("name", list(slot_cases()))
def test_proof_slots(name: str) -> None:
    case = slot_cases()[name]
    vm = case.vm
    pre_memory = vm.memory.copy()
    pre_root = pre_memory.merkle_root()
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.state_data[:32] == pre_root
    found = slots(proof.proof_data)
    assert len(found) == len(case.slot_leaves)
    intermediate: bytes | None = None
    for index, (slot, (address, against)) in enumerate(zip(found, case.slot_leaves, strict=True)):
        leaf_address = address & ~31
        # Each slot's leaf holds that leaf's pre-step bytes (the right leaf of a store is untouched
        # by the left write) ...
        assert slot[:LEAF] == pre_memory.read(leaf_address, LEAF), f"slot {index}"
        # ... and folds, at that leaf's position, to the root the slot is verified against.
        if against == "pre":
            assert fold(leaf_address, slot) == pre_root, f"slot {index}"
        else:
            left_address, _ = case.slot_leaves[1]
            left = slots(proof.proof_data)[1]
            assert intermediate is None
            intermediate = fold(left_address & ~31, left, left_leaf_after_store(vm, pre_memory, left_address))
            assert intermediate != pre_root
            assert fold(leaf_address, slot) == intermediate, f"slot {index}"
            assert fold(leaf_address, slot) != pre_root
    assert verify(proof.state_data, proof.proof_data, case.parts) == proof.post == vm.state_hash()


def left_leaf_after_store(vm: RiscvVM, pre_memory: Memory, left_address: int) -> bytes:
    """The left leaf after the whole step: a straddling store's left part is final after slot 1."""
    leaf = vm.memory.read(left_address & ~31, LEAF)
    assert leaf != pre_memory.read(left_address & ~31, LEAF)
    return leaf


def test_exited_pre_state_has_no_slots() -> None:
    vm = make_vm(ld(T2, 0, T1), {T1: DATA}, exited=1, exit_code=7)
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.proof_data == b""
    assert proof.post == proof.pre == status_hash(proof.state_data)
    assert proof.post[0] == 2
    assert verify(proof.state_data, b"") == proof.post


def test_proofs_for_a_load_must_name_the_accessed_leaf() -> None:
    vm = make_vm(ld(T2, 8, T1), {T1: DATA})
    memory = vm.memory.copy()
    proof = vm.step(proof=True)
    assert proof is not None
    for wrong in (DATA + 0x20, DATA - 0x20, DATA + 0x1000, PC, DATA | 1 << 63):
        bad = memory.proof(PC) + memory.proof(wrong)
        with pytest.raises(InvalidMemoryProof) as raised:
            verify(proof.state_data, bad)
        assert raised.value.code == ERR_PROOF
    # Slot order matters: the data proof in slot 0 and the pc proof in slot 1 fail.
    with pytest.raises(InvalidMemoryProof):
        verify(proof.state_data, memory.proof(DATA) + memory.proof(PC))


# == (4) differential: random steps, VM versus verifier ==========================================

U64 = st.integers(0, TOP)
SYSCALLS = [93, 94, 214, 222, 63, 63, 63, 63, 64, 64, 64, 25, 56, 113, 113, 163, 163, 220, 261, 422, 101, 98]
OPCODES = [
    0x03, 0x03, 0x23, 0x23, 0x13, 0x1B, 0x33, 0x3B, 0x37, 0x17, 0x6F, 0x67, 0x63,
    0x2F, 0x2F, 0x73, 0x73, 0x73, 0x0F, 0x07, 0x27, 0x53, 0x43, 0x57, 0x0B, 0x7F,
]  # fmt: skip


def sext(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return (value - (1 << bits) if value >> (bits - 1) else value) & TOP


def imm_i(insn: int) -> int:
    return sext(insn >> 20, 12)


def imm_s(insn: int) -> int:
    return sext(((insn >> 25) << 5) | ((insn >> 7) & 0x1F), 12)


def is_ecall(insn: int) -> bool:
    return insn & 0x7F == 0x73 and (insn >> 12) & 7 == 0 and insn >> 20 == 0


def weighted(draw: st.DrawFn, choices: Mapping[str, int]) -> str:
    """One of ``choices`` with the given weights (hypothesis's own choices favour the first)."""
    pick = draw(st.integers(0, sum(choices.values()) - 1))
    for choice, weight in choices.items():
        if pick < weight:
            return choice
        pick -= weight
    raise AssertionError


@st.composite
def instruction_words(draw: st.DrawFn, ecall_only: bool = False) -> int:
    kind = "ecall" if ecall_only else weighted(draw, {"opcode": 70, "ecall": 18, "compressed": 4, "any": 8})
    if kind == "ecall":
        return ecall() | draw(st.integers(0, 31)) << 7 | draw(st.integers(0, 31)) << 15  # rd, rs1 unchecked
    if kind == "compressed":
        return draw(st.integers(0, 0xFFFF_FFFF)) & ~3 | draw(st.integers(0, 2))
    if kind == "any":
        return draw(st.integers(0, 0xFFFF_FFFF))
    opcode = OPCODES[draw(st.integers(0, len(OPCODES) - 1))]
    word = draw(st.integers(0, (1 << 25) - 1)) << 7 | opcode
    if opcode in (0x33, 0x3B, 0x1B):
        word = word & 0x01FF_FFFF | draw(st.sampled_from([0, 1, 0x20, 0x21, 0x7F])) << 25
    elif opcode == 0x13 and (word >> 12) & 7 == 5:
        word = word & 0x03FF_FFFF | draw(st.sampled_from([0, 0x10, 0x11, 0x3F])) << 26
    elif opcode == 0x2F:
        funct3 = int(weighted(draw, {"3": 40, "2": 40, "0": 10, "7": 10}))
        funct5 = draw(st.sampled_from([2, 3, 0, 1, 4, 8, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x05, 0x1F]))
        word = word & 0x07FF_8FFF | funct3 << 12 | funct5 << 27
    return word


@st.composite
def addresses_near(draw: st.DrawFn, pc: int) -> int:
    """Data addresses that share pc's leaf, sit on a leaf, page or the address space's edge, or not."""
    kind = weighted(draw, {"leaf-edge": 30, "pc": 15, "page-edge": 15, "top": 15, "low": 10, "random": 15})
    if kind == "pc":
        return (pc + draw(st.integers(-40, 40))) & TOP
    if kind == "leaf-edge":
        return (draw(U64) & ~31) + draw(st.integers(20, 31)) & TOP
    if kind == "page-edge":
        return (draw(U64) & ~0xFFF) + draw(st.integers(-16, 15)) & TOP
    if kind == "top":
        return TOP - draw(st.integers(0, 40))
    if kind == "low":
        return draw(st.integers(0, 64))
    return draw(U64)


@st.composite
def program_counters(draw: st.DrawFn) -> int:
    """Mostly aligned, at every word of a leaf; sometimes unaligned or crossing into the next leaf."""
    base = {"random": draw(U64), "fixed": PC, "zero": 0, "top": TOP}[
        weighted(draw, {"random": 60, "fixed": 20, "zero": 10, "top": 10})
    ]
    low = {
        "aligned": draw(st.integers(0, 7)) * 4,
        "unaligned": draw(st.integers(0, 28)),
        "crossing": draw(st.integers(29, 31)),
    }[weighted(draw, {"aligned": 80, "unaligned": 12, "crossing": 8})]
    return base & ~31 | low


@dataclass
class RandomStep:
    vm: RiscvVM
    preimages: dict[bytes, bytes]
    data_address: int | None


@st.composite
def random_steps(draw: st.DrawFn, ecall_only: bool = False) -> RandomStep:
    registers = [draw(U64) for _ in range(32)]
    registers[0] = draw(st.one_of(st.just(0), U64))  # x0 is a stored field of hand-made states
    pc = draw(program_counters())
    insn = draw(instruction_words(ecall_only))
    opcode, funct3, rs1 = insn & 0x7F, (insn >> 12) & 7, (insn >> 15) & 31
    target = draw(addresses_near(pc))
    data_address: int | None = None
    aim = draw(st.integers(0, 4)) > 0  # mostly point the access at an interesting address
    if opcode == 0x03 and aim:
        registers[rs1] = (target - imm_i(insn)) & TOP
    elif opcode == 0x23 and aim:
        registers[rs1] = (target - imm_s(insn)) & TOP
    elif opcode == 0x2F and aim:
        registers[rs1] = target & ~((1 << funct3) - 1) & TOP if draw(st.integers(0, 3)) else target
    elif is_ecall(insn):
        number = SYSCALLS[draw(st.integers(0, len(SYSCALLS) - 1))] if draw(st.integers(0, 6)) else draw(U64)
        registers[17] = number
        # a0: the fd, clock id, resource or mmap hint; mostly the one that reaches memory.
        useful_a0 = {63: 5, 64: 6, 163: 7}.get(number)
        if useful_a0 is not None and draw(st.integers(0, 2)):
            registers[10] = useful_a0
        else:
            registers[10] = draw(st.one_of(st.integers(0, 8), U64))
        registers[11] = (
            target if number in (63, 64, 113, 163) else draw(st.one_of(st.integers(0, 0x3000), U64))
        )
        registers[12] = draw(st.one_of(st.integers(0, 40), U64))
        if number == 64 and registers[10] in (1, 2, 4):
            registers[12] &= 0xFFF  # the host copies what stdout, stderr and hints are given
        registers[13] = draw(st.sampled_from([0x22, 0x20, 0x02, 0, TOP]))  # mmap flags
        registers[14] = draw(st.sampled_from([TOP, TOP, 0, 3]))  # mmap fd
        data_address = registers[11]
    if opcode == 0x03:
        data_address = (registers[rs1] + imm_i(insn)) & TOP
    elif opcode == 0x23:
        data_address = (registers[rs1] + imm_s(insn)) & TOP
    elif opcode == 0x2F:
        data_address = registers[rs1]

    value = draw(st.binary(max_size=70))
    key = draw(st.sampled_from([keccak256_key(value), local_key(draw(st.integers(0, 3)))]))
    offset = draw(st.integers(0, len(value) + 12)) if draw(st.integers(0, 7)) else draw(U64)
    reservation = draw(st.sampled_from([0, data_address or 0, draw(U64)]))

    memory = Memory(64)
    for around in (pc, data_address):
        if around is not None:
            memory.write((around - 40) & TOP, draw(st.binary(min_size=88, max_size=88)))
    memory.write(pc, le(insn, 4))
    state = RiscvState(
        preimage_key=key,
        preimage_offset=offset,
        pc=pc,
        exit_code=draw(st.integers(0, 255)),
        exited=int(weighted(draw, {"0": 90, "1": 4, "2": 3, "255": 3})),
        step=draw(st.sampled_from([draw(U64), TOP, 0])),
        heap=draw(st.one_of(st.just(HEAP_START), U64)),
        load_reservation=reservation,
        registers=registers,
    )
    preimages = {key: value}
    return RandomStep(
        RiscvVM(state, memory, draw(st.binary(max_size=6)), DictHost(preimages)), preimages, data_address
    )


# -- the slots a step uses, planned from §3.4, §3.5, §6 and §7 -------------------------------------


@dataclass(frozen=True)
class Access:
    """A data access through slot 1 (and slot 2 if it straddles); ``data`` for stores."""

    address: int
    size: int
    data: bytes | None = None


def part_exists(state: RiscvState, preimages: Mapping[bytes, bytes]) -> bool:
    value = preimages.get(state.preimage_key)
    return value is not None and state.preimage_offset < len(value) + 8


def planned_access(state: RiscvState, insn: int, preimages: Mapping[bytes, bytes]) -> Access | None:
    regs = state.registers
    opcode, funct3, rs1, rs2 = insn & 0x7F, (insn >> 12) & 7, (insn >> 15) & 31, (insn >> 20) & 31
    if opcode == 0x03 and funct3 != 7:
        return Access((regs[rs1] + imm_i(insn)) & TOP, 1 << (funct3 & 3))
    if opcode == 0x23 and funct3 < 4:
        size = 1 << funct3
        return Access((regs[rs1] + imm_s(insn)) & TOP, size, le(regs[rs2] & ((1 << 8 * size) - 1), size))
    if opcode == 0x2F and funct3 in (2, 3):
        size, address, op = 1 << funct3, regs[rs1], insn >> 27
        if address % size or (op == 3 and address != state.load_reservation):
            return None
        return Access(address, size)  # naturally aligned: one leaf, slot 1 only
    if is_ecall(insn):
        number, a0, a1 = regs[17], regs[10], regs[11]
        if number == 63 and a0 == 5 and part_exists(state, preimages):
            return Access(a1, 1)  # never leaves a1's leaf
        if number == 64 and a0 == 6:
            return Access(a1, 1)
        if number == 113:
            return Access(a1, 16, le(1337) + le(42))
        if number == 163 and a0 == 7:
            return Access(a1, 16, le(1024) + le(1024))
    return None


def planned_proof_data(
    memory: Memory, state: RiscvState, insn: int, preimages: Mapping[bytes, bytes]
) -> bytes:
    """The slots §3.4 requires, each taken from memory as it is when the slot is used."""
    if state.exited != 0:
        return b""
    memory = memory.copy()
    proofs = [memory.proof(state.pc)]
    access = None if state.pc & 31 > 28 else planned_access(state, insn, preimages)
    if access is not None:
        left = access.address & ~31
        right = (access.address + access.size - 1) & TOP & ~31
        proofs.append(memory.proof(left))
        if right != left:
            if access.data is not None:
                memory.write(access.address, access.data[: left + LEAF - access.address])
            proofs.append(memory.proof(right))
    return b"".join(proofs)


def expected_verifier_failure(failure: StepFailure) -> tuple[type[StepFailure], int | None]:
    """The onchain form of an offchain failure: a missing part is an offchain error without a code
    in the VM (§1 FAIL) and the oracle's revert 0xbadf00d0 in the verifier (§8.3)."""
    if isinstance(failure, PreimagePartUnavailable) and failure.code is None:
        return PreimagePartUnavailable, ERR_PART
    return type(failure), failure.code


def check_random_step(case: RandomStep) -> str:
    vm, preimages = case.vm, case.preimages
    parts = OnchainParts(preimages)
    pre_witness = vm.witness()
    insn = int.from_bytes(vm.memory.read(vm.state.pc, 4), "little")
    planned = planned_proof_data(vm.memory, vm.state, insn, preimages)
    try:
        proof = vm.step(proof=True)
    except StepFailure as failure:
        assert vm.witness() == pre_witness  # the VM keeps its pre-state
        expected_type, expected_code = expected_verifier_failure(failure)
        with pytest.raises(StepFailure) as raised:
            verify(pre_witness, planned, parts)
        assert type(raised.value) is expected_type
        assert raised.value.code == expected_code
        return f"fail:{type(failure).__name__}"
    assert proof is not None
    assert proof.state_data == pre_witness
    assert proof.pre == status_hash(pre_witness)
    assert proof.post == status_hash(vm.witness())
    assert proof.proof_data == planned
    assert verify(pre_witness, proof.proof_data, parts) == proof.post
    if proof.oracle_key is not None:
        assert proof.oracle_key == vm.state.preimage_key  # raw, never localized
        assert verify(pre_witness, proof.proof_data, SinglePart(proof)) == proof.post
    return f"ok:{len(proof.proof_data) // PROOF_SIZE}"


@settings(max_examples=400)
@given(case=random_steps())
def test_random_steps_vm_equals_verifier(case: RandomStep) -> None:
    check_random_step(case)


@settings(max_examples=200)
@given(case=random_steps(ecall_only=True))
def test_random_syscalls_vm_equals_verifier(case: RandomStep) -> None:
    check_random_step(case)


@pytest.mark.slow
@settings(max_examples=20_000)
@given(case=st.one_of(random_steps(), random_steps(ecall_only=True)))
def test_random_steps_vm_equals_verifier_many(case: RandomStep) -> None:
    check_random_step(case)


def test_random_steps_reach_every_outcome() -> None:
    """The generators are not degenerate: every slot count and the failure kinds occur."""
    outcomes: set[str] = set()

    @settings(max_examples=150, database=None, derandomize=True)
    @given(case=random_steps(), syscall=random_steps(ecall_only=True))
    def collect(case: RandomStep, syscall: RandomStep) -> None:
        outcomes.add(check_random_step(case))
        outcomes.add(check_random_step(syscall))

    collect()
    expected = {
        "ok:0",
        "ok:1",
        "ok:2",
        "ok:3",
        f"fail:{InvalidInstruction.__name__}",
        f"fail:{MisalignedAddress.__name__}",
        f"fail:{UnsupportedSyscall.__name__}",
        f"fail:{PreimagePartUnavailable.__name__}",
    }
    assert expected <= outcomes, outcomes


@pytest.mark.parametrize(
    ("insn", "regs", "fields", "failure", "code"),
    [
        (0x0000_0000, {}, {}, InvalidInstruction, 0xF001C0DE),
        (0x0001, {}, {}, InvalidInstruction, 0xF001C0DE),  # a compressed encoding
        (addi(T0, T1, 1), {}, {"pc": PC + 29}, MisalignedAddress, 0xBAD22220),
        (i_type(0x03, T0, 7, T1, 0), {T1: DATA}, {}, InvalidInstruction, 0xBADC0DE),
        (sd(T2, 0, T1) | 4 << 12, {T1: DATA}, {}, InvalidInstruction, 0xBAD512E8),
        (jal(0, 6), {}, {}, MisalignedAddress, 0xBAD10AD0),
        (amoadd_d(T2, T0, T1), {T1: DATA + 4}, {}, MisalignedAddress, 0xBAD10AD0),
        (amo_type(AMO_ADD, 1, T2, T1, T0), {T1: DATA}, {}, InvalidInstruction, 0xBADA70),
        (amo_type(0x05, 3, T2, T1, T0), {T1: DATA}, {}, InvalidInstruction, 0xF001A70),
        (ecall(), {A7: 422}, {}, UnsupportedSyscall, 0xF001CA11),
        (ecall(), {A7: 163, A0: 3}, {}, UnsupportedSyscall, 0xF0012),
    ],
)
def test_failing_steps_fail_alike(
    insn: int, regs: dict[int, int], fields: dict[str, int], failure: type[StepFailure], code: int
) -> None:
    """Hand-picked reverts: VM and verifier (given the slots the step reads) raise the same."""
    vm = make_vm(insn, regs, **fields)
    pre = vm.witness()
    planned = planned_proof_data(vm.memory, vm.state, insn, {})
    with pytest.raises(failure) as offchain:
        vm.step(proof=True)
    assert offchain.value.code == code
    assert vm.witness() == pre
    with pytest.raises(failure) as onchain:
        verify(pre, planned)
    assert onchain.value.code == code


def test_unknown_amo_checks_its_load_proof_first() -> None:
    """§6.9: the unknown-op revert comes after the load, so a bad slot 1 reverts 0xbadf00d1."""
    vm = make_vm(amo_type(0x05, 3, T2, T1, T0), {T1: DATA})
    bad = vm.memory.proof(PC) + vm.memory.proof(DATA + 0x20)
    with pytest.raises(InvalidMemoryProof) as raised:
        verify(vm.witness(), bad)
    assert raised.value.code == ERR_PROOF


def test_fetch_verifies_slot_0_before_the_straddle_check() -> None:
    vm = make_vm(0, {}, pc=PC + 30)
    with pytest.raises(InvalidMemoryProof):
        verify(vm.witness(), bytes(PROOF_SIZE))
    with pytest.raises(MisalignedAddress) as raised:
        verify(vm.witness(), vm.memory.proof(PC + 30))
    assert raised.value.code == 0xBAD22220


# == (5) tampering ================================================================================


def tamper_cases() -> dict[str, tuple[RiscvVM, PreimagePartSource, set[int]]]:
    """name → (vm, parts, witness bytes the step overwrites without reading them)."""
    a0_bytes = set(range(106 + 8 * A0, 114 + 8 * A0))
    return {
        # rd = rs1: the destination is read first, so every witness byte matters.
        "load": (make_vm(ld(T1, 8, T1), {T1: DATA}), NO_PARTS, set()),
        "load-other-rd": (
            make_vm(lw(T2, 4, T1), {T1: DATA}),
            NO_PARTS,
            set(range(106 + 8 * T2, 114 + 8 * T2)),
        ),
        "store": (make_vm(sw(T2, 4, T1), {T1: DATA}), NO_PARTS, set()),
        "straddling-store": (make_vm(sd(T2, 0x1D, T1), {T1: DATA}), NO_PARTS, set()),
        "wrapping-store": (make_vm(sd(S1, -2, S0), {S0: 0}), NO_PARTS, set()),
        "amo": (
            make_vm(amoadd_d(T2, T0, T1), {T1: DATA + 8}),
            NO_PARTS,
            set(range(106 + 8 * T2, 114 + 8 * T2)),
        ),
        "read-preimage": (
            make_vm(
                ecall(),
                {A7: 63, A0: 5, A1: DATA + 3, A2: 40},
                {BUFFER_KEY: BUFFER_VALUE},
                preimage_key=BUFFER_KEY,
                preimage_offset=6,
            ),
            OnchainParts({BUFFER_KEY: BUFFER_VALUE}),
            set(),
        ),
        "read-local-preimage": (
            make_vm(
                ecall(),
                {A7: 63, A0: 5, A1: DATA + 17, A2: 9},
                {local_key(2): BUFFER_VALUE},
                preimage_key=local_key(2),
                preimage_offset=30,
            ),
            OnchainParts({local_key(2): BUFFER_VALUE}),
            set(),
        ),
        # The offset is reset and the first 5 key bytes are shifted out (§8.2).
        "write-key": (
            make_vm(ecall(), {A7: 64, A0: 6, A1: DATA + 27, A2: 9}, preimage_offset=77),
            NO_PARTS,
            set(range(64, 72)) | set(range(32, 37)),
        ),
        # clock_gettime ignores the clock id in a0, which it overwrites with 0.
        "clock_gettime-straddling": (make_vm(ecall(), {A7: 113, A0: 1, A1: DATA + 20}), NO_PARTS, a0_bytes),
    }


def outcome(state_data: bytes, proof_data: bytes, parts: PreimagePartSource) -> bytes | None:
    try:
        return verify(state_data, proof_data, parts)
    except StepFailure:
        return None


def flipped(data: bytes, index: int, mask: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= mask
    return bytes(changed)


def check_tampering(name: str, all_bits: bool) -> None:
    """Changed witness bits and proof bits: each is rejected or gives a different post hash; the
    only exceptions are witness bytes the step overwrites without reading them."""
    vm, parts, dead = tamper_cases()[name]
    proof = vm.step(proof=True)
    assert proof is not None
    state_data, proof_data = proof.state_data, proof.proof_data
    honest = proof.post
    assert verify(state_data, proof_data, parts) == honest
    for index in range(WITNESS_SIZE):
        for bit in range(8) if all_bits else [index % 8]:
            result = outcome(flipped(state_data, index, 1 << bit), proof_data, parts)
            if index in dead:
                assert result == honest, f"witness byte {index} is overwritten by the step"
            else:
                assert result != honest, f"witness byte {index} bit {bit} accepted"
    for index in range(len(proof_data)):
        for bit in range(8) if all_bits else [index % 8]:
            result = outcome(state_data, flipped(proof_data, index, 1 << bit), parts)
            assert result is None, f"slot {index // PROOF_SIZE} byte {index % PROOF_SIZE} bit {bit} accepted"


@pytest.mark.parametrize("name", ["load", "store", "straddling-store", "read-local-preimage", "write-key"])
def test_tampering_any_byte_never_yields_the_honest_post_hash(name: str) -> None:
    """Every byte of witness and proofs, one bit each (the bit rotates with the byte's index)."""
    check_tampering(name, all_bits=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(tamper_cases()))
def test_tampering_any_bit_never_yields_the_honest_post_hash(name: str) -> None:
    check_tampering(name, all_bits=True)


def test_tampered_preimage_part_changes_the_post_hash() -> None:
    vm, _, _ = tamper_cases()["read-preimage"]
    proof = vm.step(proof=True)
    assert proof is not None
    # Stream offset 6 is the length prefix's last two bytes, then the value: change value byte 3.
    other = BUFFER_VALUE[:3] + b"X" + BUFFER_VALUE[4:]
    assert verify(proof.state_data, proof.proof_data, OnchainParts({BUFFER_KEY: other})) != proof.post
    # Same first bytes, different length: the length prefix is part of the stream.
    longer = BUFFER_VALUE + b"!"
    assert verify(proof.state_data, proof.proof_data, OnchainParts({BUFFER_KEY: longer})) != proof.post


# == (6) preimage reads in the verifier (§8.3) ======================================================

LOCAL_VALUE = bytes(range(0x30, 0x30 + 45))


def local_read_vm(offset: int = 10, buffer: int = DATA + 5, count: int = 64) -> RiscvVM:
    return make_vm(
        ecall(),
        {A7: 63, A0: 5, A1: buffer, A2: count},
        {local_key(4): LOCAL_VALUE},
        preimage_key=local_key(4),
        preimage_offset=offset,
    )


def test_local_key_read_uses_the_localized_part() -> None:
    vm = local_read_vm()
    pre_memory = vm.memory.copy()
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.oracle_key == local_key(4)
    assert proof.oracle_value == be(len(LOCAL_VALUE)) + LOCAL_VALUE
    assert proof.oracle_offset == 10
    # 27 bytes (to the end of the buffer's leaf) of the stream from offset 10 = value bytes 2..28.
    expected_leaf = bytearray(pre_memory.read(DATA, LEAF))
    expected_leaf[5:32] = LOCAL_VALUE[2:29]
    pre_memory.write(DATA, bytes(expected_leaf))
    registers = {i: 0x0101_0101_0101_0101 * i for i in range(32)}
    registers.update({A7: 63, A0: 27, A1: 0, A2: 64})  # a0 = bytes read, a1 = no error
    post = witness(
        pre_memory.merkle_root(),
        key=local_key(4),  # the state keeps the raw key
        offset=10 + 27,
        pc=PC + 4,
        step=1001,
        heap=HEAP_START,
        registers=registers,
    )
    assert proof.post == status_hash(post)
    localized = localize(local_key(4), CONTEXT, CALLER)
    stream = be(len(LOCAL_VALUE)) + LOCAL_VALUE

    class OnlyLocalized(PreimagePartSource):
        def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
            if key != localized:
                raise PreimagePartUnavailable("pre-image must exist")
            return part_of(stream, offset)

    assert verify(proof.state_data, proof.proof_data, OnlyLocalized()) == proof.post
    assert verify(proof.state_data, proof.proof_data, SinglePart(proof)) == proof.post


class RawKeyParts(PreimagePartSource):
    """The local preimage under its un-localized key."""

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if key != local_key(4):
            raise PreimagePartUnavailable("pre-image must exist")
        return part_of(be(len(LOCAL_VALUE)) + LOCAL_VALUE, offset)


@pytest.mark.parametrize(
    "parts",
    [
        OnchainParts({}),
        # Stored under the raw key, as the offchain host holds it: not what the contract reads.
        RawKeyParts(),
        OnchainParts({local_key(4): LOCAL_VALUE}, context=bytes(32)),
        OnchainParts({local_key(4): LOCAL_VALUE}, caller=bytes(20)),
        OnchainParts({local_key(5): LOCAL_VALUE}),
    ],
    ids=["nothing", "raw-key", "other-context", "other-caller", "other-local-key"],
)
def test_local_key_read_without_its_localized_part_reverts(parts: PreimagePartSource) -> None:
    vm = local_read_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    with pytest.raises(PreimagePartUnavailable) as raised:
        verify(proof.state_data, proof.proof_data, parts)
    assert raised.value.code == ERR_PART


def test_read_past_the_stream_fails_offchain_and_reverts_onchain() -> None:
    """At offset len + 8 there is no part: the VM fails (no code), the verifier reverts 0xbadf00d0."""
    vm = local_read_vm(offset=len(LOCAL_VALUE) + 8)
    pre = vm.witness()
    with pytest.raises(PreimagePartUnavailable) as offchain:
        vm.step(proof=True)
    assert offchain.value.code is None
    with pytest.raises(PreimagePartUnavailable) as onchain:
        verify(pre, vm.memory.proof(PC), OnchainParts({local_key(4): LOCAL_VALUE}))
    assert onchain.value.code == ERR_PART


def test_global_key_is_not_localized() -> None:
    vm = make_vm(
        ecall(),
        {A7: 63, A0: 5, A1: DATA, A2: 8},
        {BUFFER_KEY: BUFFER_VALUE},
        preimage_key=BUFFER_KEY,
        preimage_offset=0,
    )
    proof = vm.step(proof=True)
    assert proof is not None
    assert verify(proof.state_data, proof.proof_data, OnchainParts({BUFFER_KEY: BUFFER_VALUE})) == proof.post
    with pytest.raises(PreimagePartUnavailable):
        verify(
            proof.state_data,
            proof.proof_data,
            OnchainParts({localize(BUFFER_KEY, CONTEXT, CALLER): BUFFER_VALUE}),
        )


def test_empty_part_branch_reads_nothing() -> None:
    """§8.3: ``datLen == 0`` (unreachable with a real oracle) returns 0 without touching slot 1."""

    class EmptyPart(PreimagePartSource):
        def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
            return bytes(32), 0

    vm = local_read_vm()
    pre = vm.witness()
    registers = {i: 0x0101_0101_0101_0101 * i for i in range(32)}
    registers.update({A7: 63, A0: 0, A1: 0, A2: 64})
    post = witness(
        pre[:32], key=local_key(4), offset=10, pc=PC + 4, step=1001, heap=HEAP_START, registers=registers
    )
    assert verify(pre, vm.memory.proof(PC), EmptyPart()) == status_hash(post)
