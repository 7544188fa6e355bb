"""The stateless verifier against the stateful VM (spec: mips32.md §2–§5, §11; preimage-oracle.md §2–§3).

(a) every single-step vector of the instruction and syscall tests, replayed through
    ``MipsVM.verify_step``: the verifier reproduces the VM's post hash, or raises the same failure;
(b) hypothesis: random states and instruction words of every opcode class, VM versus verifier;
(c) tampering: any changed byte of witness or proofs is rejected or changes the post hash;
(d) whole guest programs, step by step (sampled, plus every syscall step).

Preimage parts are served the way the onchain oracle holds them: by localized key and exact
offset, computed here from the formulas of preimage-oracle.md §3 (``OnchainParts``), or only the
single part named by a step proof (``SinglePart``), which is what a challenger uploads.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.crypto import keccak256
from faultproof.errors import (
    InvalidExitedValue,
    InvalidMemoryProof,
    InvalidWitness,
    PreimagePartUnavailable,
    StepFailure,
)
from faultproof.examples import claim_host, claim_local_inputs
from faultproof.ints import be64
from faultproof.memory import Memory
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.vm.interface import PreimagePartSource, StepProof
from faultproof.vm.mips32.state import MipsState, encode_witness
from faultproof.vm.mips32.vm import MipsVM
from mips_asm import A0, A1, A2, T1, T2, V0, beq, lw, sw, syscall
from onchain_checks import (
    CALLER,
    CONTEXT,
    OnchainParts,
    SinglePart,
    part_of,
    parts_for,
)
from onchain_checks import run_differential as run_steps_differential
from test_mips32_instructions import ALL_VECTORS as INSTRUCTION_VECTORS
from test_mips32_instructions import (
    DATA,
    PC,
    Vector,
    prepare,
    vid,
)
from test_mips32_syscalls import ALL_VECTORS as SYSCALL_VECTORS

WITNESS_SIZE = 226
PROOF_SIZE = 896
ZERO_PROOF = bytes(PROOF_SIZE)


def status_hash(witness: bytes) -> bytes:
    """§2.2, written out: status byte, then bytes 1..31 of the witness hash."""
    exit_code, exited = witness[88], witness[89]
    status = 3 if exited != 1 else {0: 0, 1: 1}.get(exit_code, 2)
    return bytes([status]) + keccak256(witness)[1:]


def verify(state_data: bytes, proof_data: bytes, parts: PreimagePartSource) -> bytes:
    return MipsVM.verify_step(state_data, proof_data, CONTEXT, parts, CALLER)


def check_step_proof(proof: StepProof, parts: PreimagePartSource | None = None) -> None:
    assert len(proof.state_data) == WITNESS_SIZE
    assert len(proof.proof_data) == 2 * PROOF_SIZE
    assert proof.pre == status_hash(proof.state_data)
    assert verify(proof.state_data, proof.proof_data, parts or parts_for(proof)) == proof.post


# -- the data word of a step, decoded here from §5/§6 ------------------------------------------------


def sign_extend16(value: int) -> int:
    value &= 0xFFFF
    return value - 0x1_0000 if value & 0x8000 else value


def data_address(insn: int, registers: list[int]) -> int | None:
    """The word proof #1 must cover: loads/stores/ll/sc, read(5, …) and write(6, …) buffers."""
    op = insn >> 26
    if op >= 0x20:
        return (registers[(insn >> 21) & 0x1F] + sign_extend16(insn)) & 0xFFFF_FFFC
    if op == 0 and insn & 0x3F == 0x0C:
        number, fd, buffer = registers[2], registers[4], registers[5]
        if (number, fd) in ((4003, 5), (4004, 6)):
            return buffer & 0xFFFF_FFFC
    return None


def expected_proof_data(memory: Memory, state: MipsState, insn: int) -> bytes:
    if state.exited == 1:
        return bytes(2 * PROOF_SIZE)
    address = data_address(insn, state.registers)
    return memory.proof(state.pc) + (ZERO_PROOF if address is None else memory.proof(address))


# -- (a) every single-step vector through the verifier ------------------------------------------------

STEP_VECTORS = [*INSTRUCTION_VECTORS, *SYSCALL_VECTORS]


def replay_vector(vector: Vector) -> None:
    vm, _ = prepare(vector)
    pre_witness = vm.witness()
    memory = vm.memory.copy()
    parts = OnchainParts(vector.preimages)
    proof_data = expected_proof_data(memory, vm.state, vector.insn)
    if vector.raises is not None:
        # The VM's failure is checked by run_vector; onchain the same step must revert.
        expected = vector.verifier_raises or vector.raises
        assert issubclass(expected, StepFailure)
        with pytest.raises(expected) as raised:
            verify(pre_witness, proof_data, parts)
        assert type(raised.value) is expected
        return
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.step == vector.step
    assert proof.state_data == pre_witness
    assert proof.pre == status_hash(pre_witness)
    assert proof.post == vm.state_hash() == status_hash(vm.witness())
    # Proof #0 covers pc, proof #1 the data word, or is zero when the step has none (§4.2).
    assert proof.proof_data == proof_data
    assert verify(proof.state_data, proof.proof_data, parts) == proof.post
    if vector.preimages and vector.exited == 0 and vector.regs.get(V0) == 4003 and vector.regs.get(A0) == 5:
        assert proof.oracle_key == vector.preimage_key  # un-localized
        value = vector.preimages[vector.preimage_key]
        assert proof.oracle_value == be64(len(value)) + value
        assert proof.oracle_offset == vector.preimage_offset
        assert verify(proof.state_data, proof.proof_data, SinglePart(proof)) == proof.post
    else:
        assert proof.oracle_key is None and proof.oracle_value is None


@pytest.mark.parametrize("vector", INSTRUCTION_VECTORS, ids=vid)
def test_instruction_vectors_through_verifier(vector: Vector) -> None:
    replay_vector(vector)


@pytest.mark.parametrize("vector", SYSCALL_VECTORS, ids=vid)
def test_syscall_vectors_through_verifier(vector: Vector) -> None:
    replay_vector(vector)


# -- verifier input handling --------------------------------------------------------------------------

EMPTY_WITNESS = (
    bytes.fromhex("838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e")
    + bytes(32)
    + bytes.fromhex("000000000000000000000004000000000000000000000000")
    + bytes(2)
    + bytes(8)
    + bytes(128)
)


def test_empty_state_witness_and_hash() -> None:
    """§11.1: the empty state's witness, its hash and its state hash."""
    assert len(EMPTY_WITNESS) == WITNESS_SIZE
    vm = MipsVM(MipsState(), Memory(32))
    assert vm.witness() == EMPTY_WITNESS
    assert encode_witness(Memory(32).merkle_root(), MipsState()) == EMPTY_WITNESS
    witness_hash = "165bfc06cffac3c3e48ae14e308edd2c39314896a680ed3241eb35238e1843a0"
    assert keccak256(EMPTY_WITNESS).hex() == witness_hash
    assert vm.state_hash().hex() == "035bfc06cffac3c3e48ae14e308edd2c39314896a680ed3241eb35238e1843a0"


def test_empty_state_steps_a_nop() -> None:
    """Empty memory holds 0x00000000 (a nop) at pc 0: one step advances pc and the counter."""
    vm = MipsVM(MipsState(), Memory(32))
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.state_data == EMPTY_WITNESS
    expected = bytearray(EMPTY_WITNESS)
    expected[68:76] = bytes.fromhex("00000004 00000008")
    expected[90:98] = be64(1)
    assert proof.post == status_hash(bytes(expected))
    check_step_proof(proof)


def exited_witness(exit_code: int, exited: int) -> bytes:
    witness = bytearray(EMPTY_WITNESS)
    witness[88] = exit_code
    witness[89] = exited
    return bytes(witness)


@pytest.mark.parametrize(("exit_code", "status"), [(0, 0), (1, 1), (2, 2), (0x80, 2), (0xFF, 2)])
def test_exited_witness_is_returned_unchanged_without_proofs(exit_code: int, status: int) -> None:
    witness = exited_witness(exit_code, 1)
    post = verify(witness, b"", OnchainParts({}))
    assert post == bytes([status]) + keccak256(witness)[1:]


@pytest.mark.parametrize("exited", [2, 3, 0x80, 0xFF])
def test_exited_above_1_fails(exited: int) -> None:
    with pytest.raises(InvalidExitedValue):
        verify(exited_witness(0, exited), bytes(2 * PROOF_SIZE), OnchainParts({}))


def test_unfinished_status_ignores_exit_code() -> None:
    """Status is 3 whenever exited != 1, whatever the exit code (§2.2)."""
    vm = MipsVM(MipsState(exit_code=1), Memory(32))
    assert vm.state_hash()[0] == 3


@pytest.mark.parametrize("size", [0, 225, 227, 256])
def test_witness_of_wrong_size_fails(size: int) -> None:
    with pytest.raises(StepFailure):
        verify((EMPTY_WITNESS * 2)[:size], bytes(2 * PROOF_SIZE), OnchainParts({}))


def test_proof_1_is_optional_without_data_access() -> None:
    """A step that never touches proof #1 accepts 896 proof bytes; one that does needs all 1792."""
    vm = MipsVM(MipsState(), Memory(32))
    proof = vm.step(proof=True)
    assert proof is not None
    assert verify(proof.state_data, proof.proof_data[:PROOF_SIZE], OnchainParts({})) == proof.post
    with pytest.raises(StepFailure):
        verify(proof.state_data, proof.proof_data[: PROOF_SIZE - 1], OnchainParts({}))
    load = simple_vm(lw(T2, 0, T1), {T1: DATA})
    proof = load.step(proof=True)
    assert proof is not None
    with pytest.raises(InvalidWitness):
        verify(proof.state_data, proof.proof_data[:PROOF_SIZE], OnchainParts({}))
    with pytest.raises(StepFailure):
        verify(proof.state_data, proof.proof_data[: 2 * PROOF_SIZE - 1], OnchainParts({}))


def test_proof_for_another_address_is_rejected() -> None:
    vm = simple_vm(lw(T2, 0, T1), {T1: DATA})
    witness = vm.witness()
    good = vm.memory.proof(PC) + vm.memory.proof(DATA)
    assert verify(witness, good, OnchainParts({})) == vm.step(proof=True).post  # type: ignore[union-attr]
    for wrong in (DATA + 0x20, DATA + 0x1000, PC):
        vm2 = simple_vm(lw(T2, 0, T1), {T1: DATA})
        bad = vm2.memory.proof(PC) + vm2.memory.proof(wrong)
        with pytest.raises(InvalidMemoryProof):
            verify(witness, bad, OnchainParts({}))


# -- (b) random steps: VM versus verifier ------------------------------------------------------------

U32 = st.integers(0, 0xFFFF_FFFF)
SYSCALL_NUMBERS = [4090, 4045, 4120, 4246, 4003, 4003, 4003, 4004, 4004, 4055, 4238]


@st.composite
def instruction_words(draw: st.DrawFn) -> int:
    op = draw(st.integers(0, 63))
    low = draw(st.integers(0, (1 << 26) - 1))
    if op in (0x00, 0x1C):
        fns = [0x02, 0x20, 0x21] if op == 0x1C else [0x0C, 0x0C, 0x08, 0x09]
        fn = draw(st.one_of(st.integers(0, 63), st.sampled_from(fns)))
        low = (low & ~0x3F) | fn
    return (op << 26) | low


@st.composite
def random_steps(draw: st.DrawFn) -> tuple[MipsVM, dict[bytes, bytes]]:
    registers = [draw(U32) for _ in range(32)]
    registers[0] = draw(st.one_of(st.just(0), U32))
    pc = draw(st.one_of(U32.map(lambda a: a & ~3), U32))
    next_pc = draw(st.sampled_from(["advance", "slot", "pc+8"]))
    next_pc_value = {"advance": pc + 4, "slot": draw(U32), "pc+8": pc + 8}[next_pc] & 0xFFFF_FFFF
    insn = draw(instruction_words())
    op, fn = insn >> 26, insn & 0x3F

    value = draw(st.binary(max_size=40))
    key = draw(st.sampled_from([keccak256_key(value), local_key(draw(st.integers(0, 7)))]))
    offset = draw(st.integers(0, len(value) + 10))

    if op >= 0x20 and draw(st.booleans()):
        # Point the base register near pc so data and instruction share a leaf or a page.
        registers[(insn >> 21) & 0x1F] = (pc + draw(st.integers(-64, 64)) - sign_extend16(insn)) & 0xFFFF_FFFF
    if op == 0 and fn == 0x0C:
        registers[2] = draw(st.one_of(st.sampled_from(SYSCALL_NUMBERS), U32))
        registers[4] = draw(st.one_of(st.integers(0, 7), U32))
        registers[5] = draw(st.one_of(U32, st.integers(pc - 16, pc + 16).map(lambda a: a & 0xFFFF_FFFF)))
        registers[6] = draw(st.integers(0, 64))

    memory = Memory(32)
    address = data_address(insn, registers)
    for around in (0, 4, -4, 32, -32):
        if address is not None:
            memory.write_word((address + around) & 0xFFFF_FFFC, draw(U32))
        memory.write_word((pc + around) & 0xFFFF_FFFC, draw(U32))
    if op == 0 and fn == 0x0C and registers[2] == 4004 and registers[4] in (1, 2, 4):
        memory.write(registers[5], draw(st.binary(min_size=0, max_size=64)))
    memory.write_word(pc & ~3, insn)

    state = MipsState(
        preimage_key=key,
        preimage_offset=offset,
        pc=pc,
        next_pc=next_pc_value,
        lo=draw(U32),
        hi=draw(U32),
        heap=draw(st.one_of(st.just(0x0500_0000), U32)),
        exit_code=draw(st.integers(0, 255)),
        exited=draw(st.sampled_from([0, 0, 0, 0, 0, 1, 2])),
        step=draw(st.integers(0, 2**64 - 2)),
        registers=registers,
    )
    preimages = {key: value}
    return MipsVM(state, memory, draw(st.binary(max_size=6)), OracleHost.in_memory(preimages)), preimages


@settings(max_examples=400, deadline=None)
@given(case=random_steps())
def test_random_steps_vm_equals_verifier(case: tuple[MipsVM, dict[bytes, bytes]]) -> None:
    vm, preimages = case
    parts = OnchainParts(preimages)
    witness = vm.witness()
    insn = vm.memory.read_word(vm.state.pc & ~3)
    proof_data = expected_proof_data(vm.memory, vm.state, insn)
    try:
        proof = vm.step(proof=True)
    except StepFailure as failure:
        assert vm.witness() == witness
        with pytest.raises(StepFailure) as raised:
            verify(witness, proof_data, parts)
        assert type(raised.value) is type(failure)
        return
    assert proof is not None
    assert proof.state_data == witness
    assert proof.proof_data == proof_data
    assert proof.post == vm.state_hash()
    assert verify(witness, proof.proof_data, parts) == proof.post
    if proof.oracle_key is not None:
        assert verify(witness, proof.proof_data, SinglePart(proof)) == proof.post


# -- (c) tampering -----------------------------------------------------------------------------------


def simple_vm(insn: int, regs: Mapping[int, int], host: OracleHost | None = None, **state: object) -> MipsVM:
    registers = [0x1000_0000 + 0x0101_0101 * i for i in range(32)]
    registers[0] = 0
    for index, value in regs.items():
        registers[index] = value
    memory = Memory(32)
    # A non-trivial tree: several pages, and neighbours in the leaves of pc and DATA.
    for address in range(0x0040_0000, 0x0040_0400, 4):
        memory.write_word(address, (address * 2654435761) & 0xFFFF_FFFF)
    for address in range(DATA - 64, DATA + 64, 4):
        memory.write_word(address, (address * 40503) & 0xFFFF_FFFF)
    memory.write(0x7FFF_D000, bytes(range(256)))
    memory.write_word(PC, insn)
    vm_state = MipsState(pc=PC, next_pc=PC + 4, heap=0x0500_0000, step=1000, registers=registers)
    for name, value in state.items():
        setattr(vm_state, name, value)
    return MipsVM(vm_state, memory, host=host)


def register_bytes(index: int) -> range:
    return range(98 + 4 * index, 102 + 4 * index)


TAMPER_VALUE = b"faultproof tamper test value, 41 bytes .."
TAMPER_KEY = keccak256_key(TAMPER_VALUE)

TAMPER_CASES: dict[str, Callable[[], tuple[MipsVM, PreimagePartSource, set[int], bool]]] = {
    # name: () -> (vm, parts, witness bytes the step overwrites entirely, uses proof #1)
    "load": lambda: (simple_vm(lw(T2, 4, T1), {T1: DATA}), OnchainParts({}), set(register_bytes(T2)), True),
    "store": lambda: (simple_vm(sw(T2, -8, T1), {T1: DATA}), OnchainParts({}), set(), True),
    "branch": lambda: (simple_vm(beq(T1, T2, 0x20), {T1: 7, T2: 7}), OnchainParts({}), set(), False),
    "preimage-read": lambda: (
        simple_vm(
            syscall(),
            {V0: 4003, A0: 5, A1: DATA + 1, A2: 4},
            OracleHost.in_memory({TAMPER_KEY: TAMPER_VALUE}),
            preimage_key=TAMPER_KEY,
            preimage_offset=9,
        ),
        OnchainParts({TAMPER_KEY: TAMPER_VALUE}),
        set(register_bytes(7)),  # $a3 is overwritten with 0
        True,
    ),
    "local-preimage-read": lambda: (
        simple_vm(
            syscall(),
            {V0: 4003, A0: 5, A1: DATA + 2, A2: 4},
            OracleHost.in_memory({local_key(3): b"\xaa" * 40}),
            preimage_key=local_key(3),
            preimage_offset=30,
        ),
        OnchainParts({local_key(3): b"\xaa" * 40}),
        set(register_bytes(7)),
        True,
    ),
    "key-write": lambda: (
        simple_vm(syscall(), {V0: 4004, A0: 6, A1: DATA + 1, A2: 4}, preimage_offset=5),
        OnchainParts({}),
        # $a3 := 0, the offset := 0, and the first 3 key bytes are shifted out of the key.
        {*register_bytes(7), *range(64, 68), *range(32, 35)},
        True,
    ),
}


def tampered(data: bytes, index: int, mask: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= mask
    return bytes(changed)


def outcome(state_data: bytes, proof_data: bytes, parts: PreimagePartSource) -> bytes | None:
    try:
        return verify(state_data, proof_data, parts)
    except StepFailure:
        return None


@pytest.mark.parametrize("case", list(TAMPER_CASES))
def test_tampering_is_detected(case: str) -> None:
    vm, parts, dead_bytes, uses_data = TAMPER_CASES[case]()
    proof = vm.step(proof=True)
    assert proof is not None
    honest = proof.post
    assert verify(proof.state_data, proof.proof_data, parts) == honest
    witness, proofs = proof.state_data, proof.proof_data
    for index in range(WITNESS_SIZE):
        for mask in (0x01, 0xFF):
            result = outcome(tampered(witness, index, mask), proofs, parts)
            if index in dead_bytes:
                # The step overwrites this field: a different pre-state with the same successor.
                assert result == honest, f"witness byte {index}"
            else:
                assert result != honest, f"witness byte {index} ^ {mask:#x} accepted"
    for index in range(PROOF_SIZE):
        assert outcome(witness, tampered(proofs, index, 0xFF), parts) is None, f"proof #0 byte {index}"
    for index in range(PROOF_SIZE, 2 * PROOF_SIZE):
        result = outcome(witness, tampered(proofs, index, 0xFF), parts)
        if uses_data:
            assert result is None, f"proof #1 byte {index - PROOF_SIZE}"
        else:
            assert result == honest, f"proof #1 byte {index - PROOF_SIZE} is not ignored"


def test_proof_1_ignored_without_data_access() -> None:
    """§4.2: a step without a data word ignores proof #1 entirely (any bytes, any address)."""
    vm = simple_vm(beq(T1, T2, 0x20), {T1: 7, T2: 7})
    memory = vm.memory.copy()
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.proof_data[PROOF_SIZE:] == ZERO_PROOF  # SHOULD: zeros
    for junk in (bytes([0xFF]) * PROOF_SIZE, memory.proof(DATA), bytes(range(256)) * 3 + bytes(128)):
        assert verify(proof.state_data, proof.proof_data[:PROOF_SIZE] + junk, OnchainParts({})) == proof.post


def test_tampered_preimage_part_changes_the_result() -> None:
    vm, _, _, _ = TAMPER_CASES["preimage-read"]()
    proof = vm.step(proof=True)
    assert proof is not None
    # Same length; stream byte 9 (the first byte this step reads) differs.
    other = OnchainParts({TAMPER_KEY: TAMPER_VALUE[:1] + b"X" + TAMPER_VALUE[2:]})
    assert verify(proof.state_data, proof.proof_data, other) != proof.post
    with pytest.raises(PreimagePartUnavailable):
        verify(proof.state_data, proof.proof_data, OnchainParts({}))


def test_local_key_is_localized_with_context_and_caller() -> None:
    vm, parts, _, _ = TAMPER_CASES["local-preimage-read"]()
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.oracle_key == local_key(3)
    assert verify(proof.state_data, proof.proof_data, SinglePart(proof)) == proof.post
    # The un-localized key is not what the onchain oracle serves.
    unlocalized = {local_key(3): b"\xaa" * 40}

    class Raw(PreimagePartSource):
        def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
            if key in unlocalized:
                return part_of(be64(40) + unlocalized[key], offset)
            raise PreimagePartUnavailable("pre-image must exist")

    with pytest.raises(PreimagePartUnavailable):
        verify(proof.state_data, proof.proof_data, Raw())
    for context, caller in ((bytes(32), CALLER), (CONTEXT, bytes(20))):
        with pytest.raises(PreimagePartUnavailable):
            MipsVM.verify_step(proof.state_data, proof.proof_data, context, parts, caller)


# -- (d) whole programs --------------------------------------------------------------------------


def is_syscall(insn: int) -> bool:
    return insn >> 26 == 0 and insn & 0x3F == 0x0C


def load(elf: Path, host: OracleHost | None = None) -> MipsVM:
    vm, _ = MipsVM.load_elf(elf)
    vm.host = host or OracleHost.in_memory()
    return vm


def run_differential(vm: MipsVM, every: int) -> dict[str, int]:
    """Run to exit, proving and verifying every ``every``-th step and every syscall step."""
    return run_steps_differential(vm, every, is_syscall, check_step_proof)


def test_hello_sampled(mips_elves: dict[str, Path]) -> None:
    host = OracleHost.in_memory(record_hints=True)
    vm = load(mips_elves["hello"], host)
    counts = run_differential(vm, 97)
    assert bytes(vm.stdout) == b"hello world!\n" and bytes(vm.stderr) == b""
    assert vm.exit_code == 0 and vm.state_hash()[0] == 0
    assert host.hints == [] and bytes(vm.last_hint) == b""
    assert counts["preimage_reads"] == 0
    assert counts["steps"] < 430_000
    assert counts["syscalls"] > 10 and counts["verified"] > counts["steps"] // 97


@pytest.mark.slow
def test_hello_every_step(mips_elves: dict[str, Path]) -> None:
    """Every step of hello (about 300k) proven by the VM and replayed by the verifier (~35 s)."""
    vm = load(mips_elves["hello"])
    started = time.perf_counter()
    counts = run_differential(vm, 1)
    elapsed = time.perf_counter() - started
    assert counts["verified"] == counts["steps"] == vm.step_count
    assert bytes(vm.stdout) == b"hello world!\n" and vm.exit_code == 0
    print(f"hello: {counts['steps']} steps verified in {elapsed:.1f} s")


PRE_HASH = bytes.fromhex("7f7fa7f8fea0d8d22fb5225f32264f463eee3bd2513cbee93da6560338e0615e")
DIFF_HASH = bytes.fromhex("24decc5be5a9ccc776fa2738bc15b7abd3c33cc7a5bca6fe62202f43b0bd1769")


def test_claim_fixture_matches_spec() -> None:
    """§11.2 fixture table, against the inputs the example host serves."""
    s = 0x00FF_FFFF_0000_1000
    assert s == 72057589742964736
    assert keccak256(be64(s)) == PRE_HASH
    h3 = bytes.fromhex("d4c69e49e83a6047f46e42b2d053a1f0c6e70ea42862e5ef4ad66b3666c5e2af")
    h4 = bytes.fromhex("d2ed8d75f801ae8a206c07ff9b104f0e005238dcd1cbaf844fd9f40d63174c56")
    assert keccak256(be64(3)) == h3 and keccak256(be64(4)) == h4
    assert keccak256(h3 + h4) == DIFF_HASH
    assert (s * 3 + 4) % 2**64 == 216172769228894212
    assert claim_local_inputs() == {
        local_key(0): PRE_HASH,
        local_key(1): DIFF_HASH,
        local_key(2): be64(216172769228894212),
    }


@pytest.mark.parametrize(
    ("claim", "exit_code", "verdict"),
    [
        (None, 0, b"claim 216172769228894212 is good!\n"),
        (5, 1, b"claim 216172769228894212 is bad! Correct result is 5\n"),
    ],
)
def test_claim(mips_elves: dict[str, Path], claim: int | None, exit_code: int, verdict: bytes) -> None:
    host = claim_host() if claim is None else claim_host(claim)
    host.record_hints = True
    vm = load(mips_elves["claim"], host)
    counts = run_differential(vm, 97)
    assert bytes(vm.stdout) == b"computing 72057589742964736 * 3 + 4\n" + verdict
    assert bytes(vm.stderr) == b"started!"
    assert vm.exit_code == exit_code and vm.state_hash()[0] == exit_code
    assert host.hints == [
        b"fetch-state " + PRE_HASH.hex().encode(),
        b"fetch-diff " + DIFF_HASH.hex().encode(),
    ]
    assert host.router.unknown_hints == [] and host.router.failed_hints == []
    assert counts["steps"] < 2_000_000
    # 3 local keys (32 + 32 + 8 bytes) and 4 keccak preimages (8 + 64 + 8 + 8), each with its prefix.
    assert counts["local_reads"] >= 3 * 3
    assert counts["preimage_reads"] - counts["local_reads"] >= 4 * 3
    assert counts["offset_reads"] > 0


def test_alloc(mips_elves: dict[str, Path]) -> None:
    host = OracleHost.in_memory({local_key(0): be64(3), local_key(1): be64(65536)})
    vm = load(mips_elves["alloc"], host)
    counts = run_differential(vm, 97)
    assert vm.exit_code == 0 and vm.state_hash()[0] == 0
    assert bytes(vm.stdout) == b"alloc: 3 x 65536 bytes\nalloc: done, 196608 bytes\n"
    assert counts["local_reads"] >= 2
    assert vm.state.heap > 0x0500_0000


def run_to_exit(vm: MipsVM, max_steps: int, fast: bool = False) -> None:
    """Run without proofs: by the reference ``step``, or by ``run`` (the fast engine) if asked."""
    while not vm.exited:
        assert vm.step_count < max_steps, "program did not exit"
        if fast:
            vm.run(max_steps - vm.step_count)
        else:
            vm.step()


def test_entry(mips_elves: dict[str, Path]) -> None:
    vm = load(mips_elves["entry"])
    run_to_exit(vm, 2_000_000)
    assert vm.exit_code == 0 and vm.state_hash()[0] == 0
    assert bytes(vm.stdout) == b"entry ok\n" and bytes(vm.stderr) == b""


def compute_digest() -> str:
    """programs/compute/main.go: buf[i] = i mod 251; 64 times digest = SHA-256(buf), buf[:32] = digest."""
    buffer = bytearray(i % 251 for i in range(4096))
    digest = b""
    for _ in range(64):
        digest = hashlib.sha256(buffer).digest()
        buffer[:32] = digest
    return digest.hex()


@pytest.mark.slow
def test_compute(mips_elves: dict[str, Path]) -> None:
    """About 29 million steps (80 s by the reference step), so run by the fast engine."""
    vm = load(mips_elves["compute"])
    run_to_exit(vm, 100_000_000, fast=True)
    assert vm.exit_code == 0
    assert bytes(vm.stdout) == (compute_digest() + "\n").encode()
