"""The MIPS step verifier contract against the VM and the stateless verifier (mips32.md §4–§7).

The contract (``contracts/MIPS.vy``) runs on a real EVM, with the real ``PreimageOracle`` serving
the parts a step reads, loaded the way a challenger loads them: local keys with ``loadLocalData``
from the account that then calls ``step`` (both localize with ``msg.sender``), keccak keys with
``loadKeccak256PreimagePart``.

(a) whole programs: a deterministic sample of the steps of the Go examples — the first steps of
    every instruction kind and syscall kind each program executes, every preimage read and key
    write, every ``EVERY``-th step — gives the VM's post-state hash on chain; every step of
    ``hello`` is slow, and runs on anvil, which executes a step about six times faster;
(b) every single-step vector of the instruction and syscall tables, and random single steps
    (hypothesis): VM, stateless verifier and contract agree, and where the verifier raises, the
    contract reverts with the revert data of §4.3;
(c) tampering: no single changed byte of the witness or of a memory proof yields the honest
    post-state hash (the contract reverts, or returns another hash) — except the witness bytes a
    step overwrites without reading them (a load's destination register, $a3 of a syscall, the
    preimage offset and the key bytes a key write shifts out): they make another pre-state with
    the same successor, which the game never confuses with the honest one, since the pre-state
    hash is checked against the claim before ``step`` runs. Every byte on anvil, a sample on the
    embedded chain;
(d) the anonymous log of a step is the post-state witness;
(e) the differential test of (a), for claim (preimage reads included), against anvil over JSON-RPC;
(f) the calldata layout of §4.2, byte by byte.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_abi.abi import encode
from hypothesis import given, settings

from anvil import running_anvil
from faultproof.chain import Account, Chain, Contract, EmbeddedChain
from faultproof.chain.jsonrpc import JsonRpcChain
from faultproof.contracts import CompilerSettings, compile_contract
from faultproof.crypto import keccak256
from faultproof.errors import (
    BranchInDelaySlot,
    DivisionByZero,
    ExecutionReverted,
    InvalidExitedValue,
    InvalidInstruction,
    InvalidMemoryProof,
    InvalidWitness,
    JumpInDelaySlot,
    PreimageNotFound,
    PreimagePartUnavailable,
    StepFailure,
)
from faultproof.examples import claim_host
from faultproof.ints import be64
from faultproof.onchain.deployment import CHALLENGE_PERIOD, DEPLOYMENT_SETTINGS, MIN_PROPOSAL_SIZE
from faultproof.onchain.oracle import load_step_part
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.vm.interface import PreimagePartSource, StepProof
from faultproof.vm.mips32.vm import MipsVM
from mips_asm import A0, A1, A2, T1, T2, V0, beq, lw, sw, syscall
from onchain_checks import CONTEXT
from test_mips32_instructions import ALL_VECTORS as INSTRUCTION_VECTORS
from test_mips32_instructions import DATA, Vector, prepare, vid
from test_mips32_syscalls import ALL_VECTORS as SYSCALL_VECTORS
from test_mips32_verifier import (
    PROOF_SIZE,
    WITNESS_SIZE,
    expected_proof_data,
    random_steps,
    register_bytes,
    simple_vm,
    status_hash,
    tampered,
)

SETTINGS = DEPLOYMENT_SETTINGS["MIPS"]
"""How MIPS.vy is deployed: Venom, optimised for code size, which spends the least gas (see its header)."""

STEP_SELECTOR = bytes.fromhex("e14ced32")
ERROR_STRING = keccak256(b"Error(string)")[:4]
INVALID_EXITED_VALUE = keccak256(b"InvalidExitedValue()")[:4]
INVALID_MEMORY_PROOF = keccak256(b"InvalidMemoryProof()")[:4]
LOCAL_WORD_SIZE = 32  # loadLocalData stores a value of at most one word


def error_string(message: str) -> bytes:
    return ERROR_STRING + encode(["string"], [message])


# The revert data of §4.3 for each failure the stateless verifier raises. A memory proof failure
# is InvalidMemoryProof(), or empty when the address is unaligned (only pc can be).
REVERT_DATA: dict[type[StepFailure], set[bytes]] = {
    InvalidExitedValue: {INVALID_EXITED_VALUE},
    InvalidMemoryProof: {INVALID_MEMORY_PROOF, b""},
    InvalidInstruction: {error_string("invalid instruction")},
    BranchInDelaySlot: {error_string("branch in delay slot")},
    JumpInDelaySlot: {error_string("jump in delay slot")},
    DivisionByZero: {error_string("MIPS: division by zero")},
    PreimagePartUnavailable: {error_string("pre-image must exist")},
    InvalidWitness: {error_string("check that there is enough calldata"), b""},
}


# -- the contracts on a chain -------------------------------------------------------------------


@dataclass
class Onchain:
    """A PreimageOracle and a MIPS verifier reading from it; ``caller`` loads local data and calls
    ``step``, as the dispute game does."""

    chain: Chain
    oracle: Contract
    mips: Contract
    caller: Account
    loaded: set[tuple[bytes, int, bytes, bytes]] = field(default_factory=set)  # parts in the oracle
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def deploy(cls, chain: Chain) -> Onchain:
        oracle = chain.deploy(compile_contract("PreimageOracle"), MIN_PROPOSAL_SIZE, CHALLENGE_PERIOD)
        mips = chain.deploy(compile_contract("MIPS", SETTINGS), oracle.address)
        return cls(chain, oracle, mips, chain.accounts[1])

    def calldata(self, state_data: bytes, proof_data: bytes, context: bytes = CONTEXT) -> bytes:
        """The canonical ABI encoding of ``step`` (§4.2)."""
        calldata = self.mips.step.calldata(state_data, proof_data, context)
        assert calldata[:4] == STEP_SELECTOR
        return calldata

    def call(self, calldata: bytes) -> bytes:
        """The post-state hash ``step`` returns for raw calldata; ``ExecutionReverted`` if it reverts."""
        return self.chain.call(self.mips.address, calldata, sender=self.caller)

    def step(self, state_data: bytes, proof_data: bytes, context: bytes = CONTEXT) -> bytes:
        return self.call(self.calldata(state_data, proof_data, context))

    def outcome(self, state_data: bytes, proof_data: bytes, context: bytes = CONTEXT) -> bytes | None:
        """The post-state hash, or None if the step reverts."""
        try:
            return self.step(state_data, proof_data, context)
        except ExecutionReverted:
            return None

    def load(self, key: bytes, value: bytes, offset: int, context: bytes = CONTEXT) -> None:
        """Put the part of ``key``'s preimage at ``offset`` into the oracle, as a challenger does
        before calling ``step`` (none exists at or past the end of the stream)."""
        self.load_for(StepProof(0, b"", b"", b"", b"", key, be64(len(value)) + value, offset), context)

    def load_for(self, proof: StepProof, context: bytes = CONTEXT) -> None:
        """The part a step proof reads (mips32.md §9.3), if any, loaded by the caller of ``step``."""
        if proof.oracle_key is None or proof.oracle_value is None:
            return
        loaded = (proof.oracle_key, proof.oracle_offset, context, proof.oracle_value)
        with self.lock:
            if loaded in self.loaded:
                return
            self.loaded.add(loaded)
        load_step_part(self.oracle, proof, context, self.caller)

    def check(self, proof: StepProof, context: bytes = CONTEXT) -> None:
        """The contract's post-state hash for a VM step is the VM's."""
        self.load_for(proof, context)
        assert self.step(proof.state_data, proof.proof_data, context) == proof.post, (
            f"step {proof.step}: contract and VM disagree"
        )


class OracleParts(PreimagePartSource):
    """The parts the onchain oracle holds, for the stateless verifier: both read the same data."""

    def __init__(self, oracle: Contract) -> None:
        self.oracle = oracle

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        try:
            part, length = self.oracle.readPreimage(key, offset)
        except ExecutionReverted as error:
            raise PreimagePartUnavailable("pre-image must exist") from error
        return bytes(part), int(length)


@pytest.fixture(scope="module")
def onchain() -> Onchain:
    return Onchain.deploy(EmbeddedChain())


@pytest.fixture(scope="module")
def anvil_onchain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Onchain]:
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with running_anvil("prague", log, "--steps-tracing") as anvil:
        yield Onchain.deploy(JsonRpcChain(anvil.url))


def verify(onchain: Onchain, state_data: bytes, proof_data: bytes, context: bytes = CONTEXT) -> bytes:
    """The stateless verifier, reading the parts the contract reads, as the contract's caller."""
    return MipsVM.verify_step(
        state_data, proof_data, context, OracleParts(onchain.oracle), onchain.caller.address
    )


def check_failure(onchain: Onchain, state_data: bytes, proof_data: bytes, failure: type[StepFailure]) -> None:
    """The verifier raises ``failure``, and the contract reverts with its revert data."""
    with pytest.raises(failure):
        verify(onchain, state_data, proof_data)
    with pytest.raises(ExecutionReverted) as reverted:
        onchain.step(state_data, proof_data)
    assert reverted.value.data in REVERT_DATA[failure], f"{failure.__name__}: 0x{reverted.value.data.hex()}"


# -- (a) whole programs ---------------------------------------------------------------------------

FIRST_OF_EACH_KIND = 3
EVERY = 4999  # a prime, so the sample drifts through every loop of the programs
MAX_STEPS = 3_000_000
PREIMAGE_SYSCALLS = {(4003, 5), (4004, 6)}


def is_syscall(insn: int) -> bool:
    return insn >> 26 == 0 and insn & 0x3F == 0x0C


def step_kind(insn: int, registers: list[int]) -> tuple[int | str, ...]:
    """What a step does, as finely as the sample must cover it: the syscall number (and fd), or the
    opcode, refined by the function field (SPECIAL, SPECIAL2) or the rt field (REGIMM)."""
    op = insn >> 26
    if is_syscall(insn):
        number = registers[2]
        return ("syscall", number, registers[4]) if number in (4003, 4004, 4055) else ("syscall", number)
    if op in (0x00, 0x1C):
        return (op, insn & 0x3F)
    if op == 0x01:
        return (op, (insn >> 16) & 0x1F)
    return (op,)


Kind = tuple[int | str, ...]


@dataclass(frozen=True)
class Sample:
    """The steps of a program run that are checked on chain, found by one reference run."""

    steps: tuple[int, ...]  # step counters before the sampled steps, ascending
    kinds: dict[int, Kind]  # the kind of each sampled step
    executed: frozenset[Kind]  # every kind of step the program executes

    def checked(self) -> Counter[Kind]:
        return Counter(self.kinds[step] for step in self.steps)

    def first_of_each_kind(self) -> tuple[int, ...]:
        firsts: dict[Kind, int] = {}
        for step in self.steps:
            firsts.setdefault(self.kinds[step], step)
        return tuple(sorted(firsts.values()))


PROGRAM_HOSTS: dict[str, Callable[[], OracleHost]] = {
    "hello": OracleHost.in_memory,
    "claim": claim_host,
    "alloc": lambda: OracleHost.in_memory({local_key(0): be64(3), local_key(1): be64(65536)}),
    "entry": OracleHost.in_memory,
}
_samples: dict[Path, Sample] = {}


def program_sample(elf: Path, host: OracleHost) -> Sample:
    """The first steps of every kind, every preimage read and key write, every ``EVERY``-th step
    (cached per program: the reference run that classifies each step is the slow part)."""
    if elf in _samples:
        return _samples[elf]
    vm = load_program(elf, host)
    seen: Counter[Kind] = Counter()
    kinds: dict[int, Kind] = {}
    while not vm.exited:
        assert vm.step_count < MAX_STEPS, "program did not exit"
        kind = step_kind(vm.instruction_at(vm.pc), vm.state.registers)
        if seen[kind] < FIRST_OF_EACH_KIND or kind[1:] in PREIMAGE_SYSCALLS or vm.step_count % EVERY == 0:
            kinds[vm.step_count] = kind
        seen[kind] += 1
        vm.step()
    sample = Sample(tuple(sorted(kinds)), kinds, frozenset(seen))
    _samples[elf] = sample
    return sample


def run_to(vm: MipsVM, step: int) -> None:
    """Plain execution (the fast engine) until the step counter is ``step``."""
    while vm.step_count < step and not vm.exited:
        vm.run(step - vm.step_count)
    assert vm.step_count == step, "the program exited early"


def check_steps(vm: MipsVM, steps: tuple[int, ...], check: Callable[[StepProof], None]) -> None:
    """Prove the steps after the given step counters and check each; then run to the exit and
    check the exited state, which steps to itself, proof-less."""
    for step in steps:
        run_to(vm, step)
        proof = vm.step(proof=True)
        assert proof is not None
        check(proof)
    while not vm.exited:
        vm.run(MAX_STEPS)
    proof = vm.step(proof=True)
    assert proof is not None and proof.pre == proof.post
    check(proof)


def load_program(elf: Path, host: OracleHost | None = None) -> MipsVM:
    vm, _ = MipsVM.load_elf(elf)
    vm.host = host or OracleHost.in_memory()
    return vm


def run_program(
    name: str,
    elves: dict[str, Path],
    check: Callable[[StepProof], None],
    steps: tuple[int, ...] | None = None,
) -> tuple[MipsVM, Sample]:
    """The program's sample (or the given ``steps``) checked on chain; every kind of step the
    program executes is in the sample."""
    sample = program_sample(elves[name], PROGRAM_HOSTS[name]())
    assert sample.executed == set(sample.checked())
    vm = load_program(elves[name], PROGRAM_HOSTS[name]())
    check_steps(vm, sample.steps if steps is None else steps, check)
    return vm, sample


def test_hello(onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    vm, sample = run_program("hello", mips_elves, onchain.check)
    assert bytes(vm.stdout) == b"hello world!\n" and vm.exit_code == 0
    assert {("syscall", 4004, 1), ("syscall", 4246)} <= sample.executed


def test_claim(onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    vm, sample = run_program("claim", mips_elves, onchain.check)
    assert bytes(vm.stdout).endswith(b"claim 216172769228894212 is good!\n") and vm.exit_code == 0
    # Local keys (three) and keccak keys (four), each with its length prefix: all read on chain.
    checked = sample.checked()
    assert checked[("syscall", 4003, 5)] >= (3 + 4) * 3
    assert checked[("syscall", 4004, 6)] >= 7 * 8


def test_claim_false(onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    """The negative variant (another local input) ends in Invalid (status 1) on chain too: the
    steps of claim's sample, in another dispute's local context."""
    sample = program_sample(mips_elves["claim"], claim_host())
    vm = load_program(mips_elves["claim"], claim_host(5))
    context = bytes([0x44]) * 32
    check_steps(vm, sample.steps, lambda proof: onchain.check(proof, context))
    assert vm.exit_code == 1 and vm.state_hash()[0] == 1


def test_alloc(onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    vm, sample = run_program("alloc", mips_elves, onchain.check)
    assert vm.exit_code == 0 and sample.checked()[("syscall", 4090)] >= FIRST_OF_EACH_KIND


def test_entry(onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    vm, _ = run_program("entry", mips_elves, onchain.check)
    assert bytes(vm.stdout) == b"entry ok\n" and vm.exit_code == 0


@pytest.mark.slow
def test_hello_every_step(anvil_onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    """Every step of hello (about 300,000) on chain; on anvil, four calls at a time (~5 min)."""
    vm = load_program(mips_elves["hello"])
    with ThreadPoolExecutor(4) as pool:
        pending = []
        while not vm.exited:
            proof = vm.step(proof=True)
            assert proof is not None
            pending.append(pool.submit(anvil_onchain.check, proof))
            if len(pending) >= 1000:
                for done in pending:
                    done.result()
                pending.clear()
        for done in pending:
            done.result()
    assert bytes(vm.stdout) == b"hello world!\n" and vm.step_count > 250_000


# -- (b) single steps ------------------------------------------------------------------------------


def replay_vector(onchain: Onchain, vector: Vector) -> None:
    """A vector of the VM's tables on chain: the VM's post-state hash, or the verifier's failure."""
    vm, _ = prepare(vector)
    witness = vm.witness()
    proof_data = expected_proof_data(vm.memory, vm.state, vector.insn)
    for key, value in vector.preimages.items():
        onchain.load(key, value, vector.preimage_offset)
    if vector.raises is not None:
        failure = vector.verifier_raises or vector.raises
        if failure is PreimageNotFound:  # a host error offchain; onchain, no part was loaded
            failure = PreimagePartUnavailable
        check_failure(onchain, witness, proof_data, failure)
        return
    proof = vm.step(proof=True)
    assert proof is not None and proof.proof_data == proof_data
    assert verify(onchain, witness, proof_data) == proof.post
    assert onchain.step(witness, proof_data) == proof.post


@pytest.mark.parametrize("vector", INSTRUCTION_VECTORS, ids=vid)
def test_instruction_vectors(onchain: Onchain, vector: Vector) -> None:
    replay_vector(onchain, vector)


@pytest.mark.parametrize("vector", SYSCALL_VECTORS, ids=vid)
def test_syscall_vectors(onchain: Onchain, vector: Vector) -> None:
    replay_vector(onchain, vector)


def other_build(settings: CompilerSettings) -> Onchain:
    chain = EmbeddedChain()
    oracle = chain.deploy(compile_contract("PreimageOracle"), MIN_PROPOSAL_SIZE, CHALLENGE_PERIOD)
    mips = chain.deploy(compile_contract("MIPS", settings), oracle.address)
    return Onchain(chain, oracle, mips, chain.accounts[1])


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings", [CompilerSettings(), CompilerSettings(optimize="gas", experimental_codegen=True)]
)
def test_other_builds(settings: CompilerSettings, mips_elves: dict[str, Path]) -> None:
    """Built by the legacy pipeline or optimised for gas, the contract is the same function: every
    vector, and the first step of every kind of claim."""
    other = other_build(settings)
    for vector in [*INSTRUCTION_VECTORS, *SYSCALL_VECTORS]:
        replay_vector(other, vector)
    sample = program_sample(mips_elves["claim"], claim_host())
    check_steps(load_program(mips_elves["claim"], claim_host()), sample.first_of_each_kind(), other.check)


def loadable(case: tuple[MipsVM, dict[bytes, bytes]]) -> bool:
    """loadLocalData takes at most a word: a longer local value has no part on chain."""
    return all(key[0] != 1 or len(value) <= LOCAL_WORD_SIZE for key, value in case[1].items())


@settings(max_examples=250, deadline=None)
@given(case=random_steps().filter(loadable))
def test_random_steps(onchain: Onchain, case: tuple[MipsVM, dict[bytes, bytes]]) -> None:
    vm, preimages = case
    witness = vm.witness()
    proof_data = expected_proof_data(vm.memory, vm.state, vm.memory.read_word(vm.state.pc & ~3))
    for key, value in preimages.items():
        onchain.load(key, value, vm.state.preimage_offset)
    try:
        proof = vm.step(proof=True)
    except StepFailure as failure:
        check_failure(onchain, witness, proof_data, type(failure))
        return
    assert proof is not None
    if proof.oracle_key is not None and proof.oracle_offset >= len(proof.oracle_value or b""):
        # The VM read at the end of its stream: onchain no part exists there (§6.5).
        check_failure(onchain, witness, proof_data, PreimagePartUnavailable)
        return
    assert verify(onchain, witness, proof_data) == proof.post
    assert onchain.step(witness, proof_data) == proof.post


# -- (c) tampering ----------------------------------------------------------------------------------

TAMPER_VALUE = b"faultproof tamper test value, 41 bytes .."
TAMPER_KEY = keccak256_key(TAMPER_VALUE)
LOCAL_VALUE = bytes(range(0xA0, 0xA0 + 27))


@dataclass(frozen=True)
class TamperCase:
    vm: MipsVM
    preimages: Mapping[bytes, bytes]
    dead: set[int]  # witness bytes the step overwrites without reading them
    uses_data: bool  # whether the step reads proof #1


TAMPER_CASES: dict[str, Callable[[], TamperCase]] = {
    "load": lambda: TamperCase(simple_vm(lw(T2, 4, T1), {T1: DATA}), {}, set(register_bytes(T2)), True),
    "store": lambda: TamperCase(simple_vm(sw(T2, -8, T1), {T1: DATA}), {}, set(), True),
    "branch": lambda: TamperCase(simple_vm(beq(T1, T2, 0x20), {T1: 7, T2: 7}), {}, set(), False),
    "preimage-read": lambda: TamperCase(
        simple_vm(
            syscall(),
            {V0: 4003, A0: 5, A1: DATA + 1, A2: 4},
            OracleHost.in_memory({TAMPER_KEY: TAMPER_VALUE}),
            preimage_key=TAMPER_KEY,
            preimage_offset=9,
        ),
        {TAMPER_KEY: TAMPER_VALUE},
        set(register_bytes(7)),  # $a3 is overwritten with 0
        True,
    ),
    "local-preimage-read": lambda: TamperCase(
        simple_vm(
            syscall(),
            {V0: 4003, A0: 5, A1: DATA + 2, A2: 4},
            OracleHost.in_memory({local_key(3): LOCAL_VALUE}),
            preimage_key=local_key(3),
            preimage_offset=30,
        ),
        {local_key(3): LOCAL_VALUE},
        set(register_bytes(7)),
        True,
    ),
    "key-write": lambda: TamperCase(
        simple_vm(syscall(), {V0: 4004, A0: 6, A1: DATA + 1, A2: 4}, preimage_offset=5),
        {},
        # $a3 := 0, the offset := 0, and the first 3 key bytes are shifted out of the key.
        {*register_bytes(7), *range(64, 68), *range(32, 35)},
        True,
    ),
}
# A sample of proof bytes that meets every byte position of a word and every word of both proofs.
PROOF_BYTE_SAMPLE = [32 * word + (11 * word) % 32 for word in range(2 * PROOF_SIZE // 32)]


def sweep_tampering(
    onchain: Onchain, case: TamperCase, witness_masks: tuple[int, ...], proof_bytes: list[int]
) -> None:
    vm = case.vm
    proof = vm.step(proof=True)
    assert proof is not None
    onchain.load_for(proof)
    honest = proof.post
    witness, proofs = proof.state_data, proof.proof_data
    assert onchain.step(witness, proofs) == honest
    for index in range(WITNESS_SIZE):
        for mask in witness_masks:
            result = onchain.outcome(tampered(witness, index, mask), proofs)
            if index in case.dead:
                # The step overwrites this field: a different pre-state with the same successor.
                assert result == honest, f"witness byte {index}"
            else:
                assert result != honest, f"witness byte {index} ^ {mask:#x} accepted"
    for index in proof_bytes:
        result = onchain.outcome(witness, tampered(proofs, index, 0xFF))
        if index < PROOF_SIZE or case.uses_data:
            assert result is None, f"proof #{index // PROOF_SIZE} byte {index % PROOF_SIZE} accepted"
        else:
            assert result == honest, f"unused proof #1 byte {index - PROOF_SIZE} is not ignored"


@pytest.mark.parametrize("case", list(TAMPER_CASES))
def test_tampering_every_byte(anvil_onchain: Onchain, case: str) -> None:
    """Every witness byte and every proof byte, on anvil (about 2,000 calls a case, which anvil
    runs in seconds)."""
    sweep_tampering(anvil_onchain, TAMPER_CASES[case](), (0x01,), list(range(2 * PROOF_SIZE)))


def test_tampering_on_the_embedded_chain(onchain: Onchain) -> None:
    """The same on the embedded chain, for a store: every witness byte, a sample of proof bytes
    (every word of both proofs, every position in a word)."""
    sweep_tampering(onchain, TAMPER_CASES["store"](), (0x01,), PROOF_BYTE_SAMPLE)


def test_local_key_is_localized_with_caller_and_context(onchain: Onchain) -> None:
    """The part of a local key is found only by the caller that loaded it, in its context."""
    case = TAMPER_CASES["local-preimage-read"]()
    proof = case.vm.step(proof=True)
    assert proof is not None
    onchain.load_for(proof)
    calldata = onchain.calldata(proof.state_data, proof.proof_data)
    assert onchain.call(calldata) == proof.post
    must_exist = error_string("pre-image must exist")
    with pytest.raises(ExecutionReverted) as other_caller:
        onchain.chain.call(onchain.mips.address, calldata, sender=onchain.chain.accounts[2].address)
    assert other_caller.value.data == must_exist
    with pytest.raises(ExecutionReverted) as other_context:
        onchain.step(proof.state_data, proof.proof_data, bytes(32))
    assert other_context.value.data == must_exist


def test_another_part_gives_another_post_state(onchain: Onchain) -> None:
    """Local data is what the caller loads: another value at the same key and offset gives another
    post-state, never the honest one."""
    context = bytes([0x33]) * 32
    proof = TAMPER_CASES["local-preimage-read"]().vm.step(proof=True)
    assert proof is not None
    onchain.load_for(proof, context)
    assert onchain.step(proof.state_data, proof.proof_data, context) == proof.post
    other = bytearray(LOCAL_VALUE)
    other[30 - 8] ^= 0x01  # the first byte this step reads
    ident = int.from_bytes(local_key(3)[1:], "big")
    onchain.oracle.loadLocalData(
        ident, context, bytes(other).ljust(32, b"\0"), len(other), 30, sender=onchain.caller
    )
    assert onchain.step(proof.state_data, proof.proof_data, context) not in (proof.post, None)


# -- (d) the log ----------------------------------------------------------------------------------


def test_log_is_the_post_witness(onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    """The first step of every kind that claim executes, mined: one LOG0 whose data is the 226-byte
    post-state witness, whose status hash the step returned; an exited state logs itself."""
    vm = load_program(mips_elves["claim"], claim_host())

    def check(proof: StepProof) -> None:
        onchain.load_for(proof)
        calldata = onchain.calldata(proof.state_data, proof.proof_data)
        receipt = onchain.chain.transact(onchain.mips.address, calldata, sender=onchain.caller)
        (log,) = receipt.logs
        assert log.address == onchain.mips.address and log.topics == ()
        assert log.data == (vm.witness() if proof.pre != proof.post else proof.state_data)
        assert status_hash(log.data) == proof.post

    sample = program_sample(mips_elves["claim"], claim_host())
    check_steps(vm, sample.first_of_each_kind(), check)
    assert len(sample.first_of_each_kind()) == len(sample.executed) > 40


# -- (e) JSON-RPC: anvil ------------------------------------------------------------------------------


def test_claim_on_anvil(anvil_onchain: Onchain, mips_elves: dict[str, Path]) -> None:
    """claim's sample, preimage reads included, on anvil."""
    vm, sample = run_program("claim", mips_elves, anvil_onchain.check)
    assert vm.exit_code == 0 and sample.checked()[("syscall", 4003, 5)] >= 21


def test_log_and_gas_on_anvil(anvil_onchain: Onchain, onchain: Onchain) -> None:
    """A mined step on anvil logs the post witness and spends the gas it spends on the embedded chain."""
    for case in ("store", "preimage-read", "local-preimage-read"):
        gas = []
        for chain in (anvil_onchain, onchain):
            proof = TAMPER_CASES[case]().vm.step(proof=True)
            assert proof is not None
            chain.load_for(proof)
            calldata = chain.calldata(proof.state_data, proof.proof_data)
            receipt = chain.chain.transact(chain.mips.address, calldata, sender=chain.caller)
            (log,) = receipt.logs
            assert status_hash(log.data) == proof.post
            gas.append(receipt.execution_gas)
        assert gas[0] == gas[1], case


# -- (f) the calldata layout (§4.2) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def load_step(onchain: Onchain) -> StepProof:
    proof = simple_vm(lw(T2, 4, T1), {T1: DATA}).step(proof=True)
    assert proof is not None
    return proof


@pytest.fixture(scope="module")
def branch_step() -> StepProof:
    proof = simple_vm(beq(T1, T2, 0x20), {T1: 7, T2: 7}).step(proof=True)
    assert proof is not None
    return proof


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def replaced(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def reverts_empty(onchain: Onchain, calldata: bytes) -> None:
    with pytest.raises(ExecutionReverted) as reverted:
        onchain.call(calldata)
    assert reverted.value.data == b""


def test_interface(onchain: Onchain) -> None:
    assert onchain.mips.oracle() == onchain.oracle.address
    assert onchain.mips.version() == "1.2.1"
    selectors = {
        entry["name"]: entry for entry in onchain.mips.compiled.abi if entry.get("type") == "function"
    }
    assert set(selectors) == {"step", "oracle", "version"}
    assert [item["type"] for item in selectors["step"]["inputs"]] == ["bytes", "bytes", "bytes32"]
    assert selectors["step"]["stateMutability"] == "nonpayable"  # it emits a log


def test_canonical_layout(onchain: Onchain, load_step: StepProof) -> None:
    calldata = onchain.calldata(load_step.state_data, load_step.proof_data)
    assert len(calldata) == 2212
    assert calldata[4:36] == word(0x60) and calldata[36:68] == word(0x180) and calldata[68:100] == CONTEXT
    assert calldata[100:132] == word(226) and calldata[388:420] == word(1792)
    assert onchain.call(calldata) == load_step.post
    # Trailing calldata is allowed.
    assert onchain.call(calldata + bytes(64)) == load_step.post


@pytest.mark.parametrize(
    ("offset", "value"),
    [(4, 0x40), (4, 0x80), (36, 0x1A0), (36, 0x160), (100, 225), (100, 227), (100, 0)],
    ids=[
        "state-head-0x40",
        "state-head-0x80",
        "proof-head-0x1a0",
        "proof-head-0x160",
        "state-225",
        "state-227",
        "state-0",
    ],
)
def test_other_layouts_revert_empty(onchain: Onchain, load_step: StepProof, offset: int, value: int) -> None:
    calldata = onchain.calldata(load_step.state_data, load_step.proof_data)
    reverts_empty(onchain, replaced(calldata, offset, word(value)))


def test_proof_bytes_lie_within_calldata(onchain: Onchain, branch_step: StepProof) -> None:
    """The declared proof must fit in calldata (Solidity's decoder checks it; the contract does)."""
    calldata = onchain.calldata(branch_step.state_data, branch_step.proof_data)
    reverts_empty(onchain, calldata[: 420 + 1792 - 32])
    # Vyper's decoder bounds the declared length at 1792 (upstream has no bound).
    reverts_empty(onchain, replaced(calldata, 388, word(1824)) + bytes(32))


def test_a_step_without_data_access_needs_only_proof_0(onchain: Onchain, branch_step: StepProof) -> None:
    """§4.2: calldatasize >= proofStart + 896 for the proofs a step uses; a branch uses proof #0."""
    short = onchain.calldata(branch_step.state_data, branch_step.proof_data[:PROOF_SIZE])
    assert len(short) == 1316
    assert onchain.call(short) == branch_step.post
    assert verify(onchain, branch_step.state_data, branch_step.proof_data[:PROOF_SIZE]) == branch_step.post
    # A branch ignores proof #1 entirely.
    junk = bytes([0xFF]) * PROOF_SIZE
    assert (
        onchain.step(branch_step.state_data, branch_step.proof_data[:PROOF_SIZE] + junk) == branch_step.post
    )


def test_a_data_step_needs_both_proofs(onchain: Onchain, load_step: StepProof) -> None:
    enough = error_string("check that there is enough calldata")
    for proof_data in (load_step.proof_data[:PROOF_SIZE], load_step.proof_data[: 2 * PROOF_SIZE - 32]):
        with pytest.raises(InvalidWitness):
            verify(onchain, load_step.state_data, proof_data)
        with pytest.raises(ExecutionReverted) as reverted:
            onchain.step(load_step.state_data, proof_data)
        assert reverted.value.data == enough


def test_proofs_are_read_at_their_calldata_offsets(onchain: Onchain, load_step: StepProof) -> None:
    """Upstream's quirk, kept: proof #1 is read at calldata 1316 even when the declared proof is
    shorter and proof #1 trails it (the stateless verifier, given only the declared bytes, fails)."""
    calldata = onchain.calldata(load_step.state_data, load_step.proof_data[:PROOF_SIZE])
    assert onchain.call(calldata + load_step.proof_data[PROOF_SIZE:]) == load_step.post


def test_exited_state_needs_no_proof(onchain: Onchain) -> None:
    vm = simple_vm(syscall(), {V0: 4246, A0: 7})
    vm.step()
    assert vm.exited
    witness = vm.witness()
    assert onchain.step(witness, b"") == status_hash(witness)
    assert onchain.step(witness, bytes(2 * PROOF_SIZE)) == status_hash(witness)
    for exited in (2, 0xFF):
        check_failure(onchain, replaced(witness, 89, bytes([exited])), b"", InvalidExitedValue)
