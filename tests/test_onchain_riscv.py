"""The RISCV step verifier contract on a real EVM, held to the RV64 VM and its stateless verifier.

Spec: riscv64.md §4 (the onchain interface and its calldata), §5–§8 (the transition), Appendix A
(revert codes); preimage-oracle.md §2.1 (local keys). Three implementations of one transition must
agree bit for bit: the stateful VM (``RiscvVM.step(proof=True)``), the stateless verifier
(``verifier.verify_calldata``, the executable model of the contract) and ``RISCV.vy`` deployed on
the embedded chain (and, in the last section, on anvil). An outcome is a post-state hash or revert
data: the 32-byte code of Appendix A, or nothing for malformed calldata (§4.2).

(1) the contract: interface, code size, the spec's step vectors C and D and the LOG0 witness;
(2) calldata (§4.2): every malformed layout fails with empty data, the quirks hold;
(3) every revert code of Appendix A, from hand-made steps;
(4) hypothesis: random states and instruction words, every opcode class including the reserved and
    lenient encodings, random memory around pc: VM, verifier and contract agree;
(5) tampering: no flipped byte of a witness or a proof slot gives the honest post hash;
(6) whole programs: the riscv64 builds of the Go examples, steps sampled so that every instruction
    class and syscall they execute is proven on chain, preimage reads included;
(7) the contract compiled by Vyper's other (legacy) pipeline agrees too;
(8) the same differential sample against anvil over JSON-RPC.

Preimage parts are loaded into the real ``PreimageOracle`` before a step reads them, with the
loader for the key's type; local keys by ``loadLocalData`` from the account that then calls
``step``, since both localize with ``msg.sender`` (preimage-oracle.md §2.1).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anvil import running_anvil
from faultproof.chain import Account, Chain, Contract, EmbeddedChain
from faultproof.chain.jsonrpc import JsonRpcChain
from faultproof.contracts import CompilerSettings, compile_contract
from faultproof.crypto import keccak256
from faultproof.errors import ExecutionReverted, PreimagePartUnavailable, StepFailure
from faultproof.examples import claim_host
from faultproof.ints import be64
from faultproof.onchain.deployment import (
    CHALLENGE_PERIOD,
    DEPLOYMENT_SETTINGS,
    MIN_PROPOSAL_SIZE,
    compile_for_deployment,
)
from faultproof.onchain.deployment import deploy as deploy_contracts
from faultproof.onchain.oracle import load_step_part
from faultproof.onchain.verify import verify_step as verify_onchain
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.vm.interface import PreimagePartSource, StepProof
from faultproof.vm.riscv64 import verifier
from faultproof.vm.riscv64.vm import RiscvVM
from onchain_checks import CONTEXT
from riscv_asm import (
    A0,
    A1,
    A2,
    A7,
    AMO_ADD,
    OP,
    OP_32,
    T0,
    T1,
    T2,
    addi,
    amo_type,
    amoadd_d,
    b_type,
    ecall,
    i_type,
    jal,
    jalr,
    ld,
    r_type,
    sd,
)
from test_riscv64_verifier import (
    C_POST_HASH,
    D_POST_HASH,
    DATA,
    PC,
    PROOF_SIZE,
    RandomStep,
    be,
    c_calldata,
    expected_verifier_failure,
    make_vm,
    memory_whose_slot0_ends_in_a_zero_byte,
    planned_proof_data,
    random_steps,
    status_hash,
    tamper_cases,
    vector_c_vm,
    vector_d_vm,
    with_word,
    witness,
)

RISCV_SETTINGS = DEPLOYMENT_SETTINGS["RISCV"]
"""How RISCV.vy is deployed: Venom, optimised for code size (the figures are in its header)."""

EIP170_LIMIT = 24_576
WITNESS_SIZE = 362
REGISTERS_AT = 106
ERR_UNKNOWN_OPCODE = 0xF001C0DE
ERR_RESERVED = 0x0BADC0DE
ERR_NOT_ALIGNED = 0xBAD10AD0
ERR_FETCH = 0xBAD22220
ERR_STORE_WIDTH = 0xBAD512E8
ERR_AMO_WIDTH = 0xBADA70
ERR_UNKNOWN_AMO = 0x0F001A70
ERR_SYSCALL = 0xF001CA11
ERR_RESOURCE = 0x0F0012
ERR_PART = 0xBADF00D0
ERR_PROOF = 0xBADF00D1


# -- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A post-state hash, or the revert data (a 32-byte code, or empty for malformed calldata)."""

    post: bytes | None = None
    revert: bytes | None = None

    @staticmethod
    def failed(code: int | None) -> Outcome:
        return Outcome(revert=b"" if code is None else code.to_bytes(32, "big"))

    def __str__(self) -> str:
        if self.post is not None:
            return f"post 0x{self.post.hex()}"
        assert self.revert is not None
        return f"revert 0x{self.revert.hex()}" if self.revert else "revert (no data)"


class ChainParts(PreimagePartSource):
    """The parts the stateless verifier may read: exactly what the chain's oracle holds."""

    def __init__(self, oracle: Contract) -> None:
        self.oracle = oracle

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        try:
            part, length = self.oracle.readPreimage(key, offset)
        except ExecutionReverted as error:
            raise PreimagePartUnavailable(f"the oracle has no part 0x{key.hex()}@{offset}") from error
        return bytes(part), int(length)


@dataclass
class Onchain:
    """The deployed contracts, and the account that loads local data and calls ``step``."""

    chain: Chain
    oracle: Contract
    riscv: Contract
    sender: Account

    def step(self, calldata: bytes) -> Outcome:
        try:
            return Outcome(post=self.chain.call(self.riscv.address, calldata, sender=self.sender.address))
        except ExecutionReverted as error:
            return Outcome(revert=error.data)

    def verify(self, calldata: bytes) -> Outcome:
        """The stateless verifier on the same calldata, caller and oracle contents."""
        try:
            return Outcome(
                post=verifier.verify_calldata(calldata, ChainParts(self.oracle), self.sender.address)
            )
        except StepFailure as failure:
            return Outcome.failed(failure.code)

    def agree(self, calldata: bytes) -> Outcome:
        """Contract and verifier give the same outcome; it is returned."""
        expected = self.verify(calldata)
        found = self.step(calldata)
        assert found == expected, f"contract: {found}, verifier: {expected}"
        return found

    def load_part(self, key: bytes, value: bytes, offset: int, context: bytes = CONTEXT) -> bool:
        """Put part ``offset`` of ``value``'s stream into the oracle under the key's onchain form
        (a local key localized with ``context`` and the sender).

        False if no loader takes it: a local value longer than a word, an offset past the stream.
        """
        try:
            if key[0] == 1:
                word = value.ljust(32, b"\0")
                ident = int.from_bytes(key[1:], "big")
                self.oracle.loadLocalData(ident, context, word, len(value), offset, sender=self.sender)
            elif key[0] == 2:
                assert key == keccak256_key(value)
                self.oracle.loadKeccak256PreimagePart(offset, value, sender=self.sender)
            else:
                raise AssertionError(f"no loader for key type {key[0]}")
        except ExecutionReverted:
            return False
        return True

    def check_proof(self, proof: StepProof) -> None:
        """A VM step proof gives the VM's post hash on chain, its preimage part loaded first the
        way ``faultproof verify-step`` loads it."""
        load_step_part(self.oracle, proof, CONTEXT, self.sender)
        calldata = verifier.step_calldata(proof.state_data, proof.proof_data, CONTEXT)
        assert self.agree(calldata) == Outcome(post=proof.post)


def deploy(chain: Chain) -> Onchain:
    oracle = chain.deploy(compile_contract("PreimageOracle"), MIN_PROPOSAL_SIZE, CHALLENGE_PERIOD)
    riscv = chain.deploy(compile_contract("RISCV", RISCV_SETTINGS), oracle.address)
    return Onchain(chain, oracle, riscv, chain.accounts[1])


@pytest.fixture(scope="module")
def onchain() -> Onchain:
    return deploy(EmbeddedChain())


def calldata_of(vm: RiscvVM, proof_data: bytes | None = None) -> bytes:
    """The step calldata of the VM's current state with ``proof_data`` (the planned slots if None)."""
    insn = int.from_bytes(vm.memory.read(vm.state.pc, 4), "little")
    if proof_data is None:
        proof_data = planned_proof_data(vm.memory, vm.state, insn, {})
    return verifier.step_calldata(vm.witness(), proof_data, CONTEXT)


# == (1) the contract ============================================================================


def test_interface(onchain: Onchain) -> None:
    riscv = onchain.riscv
    assert riscv.version() == "1.2.0-rc.1"
    assert riscv.oracle() == onchain.oracle.address
    # The deployed code is the runtime code with the oracle's address (an immutable) after it.
    assert len(riscv.compiled.runtime_bytecode) < len(onchain.chain.code(riscv.address)) <= EIP170_LIMIT
    # step is the fallback (§4.2 is read from msg.data): the ABI lists only the two getters.
    functions = {entry["name"] for entry in riscv.compiled.abi if entry["type"] == "function"}
    assert functions == {"oracle", "version"}


def test_vector_c(onchain: Onchain) -> None:
    """§13.4 C: one ALU step; the transaction logs the post-state witness with LOG0."""
    vm = vector_c_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    calldata = verifier.step_calldata(proof.state_data, proof.proof_data, bytes(32))
    assert keccak256(calldata).hex() == "d9b8369852e2b7b81ccee69fd6902a04426356ad94a8d315420b46ddf7ef61fe"
    assert onchain.step(calldata) == Outcome(post=bytes.fromhex(C_POST_HASH))
    receipt = onchain.chain.transact(onchain.riscv.address, calldata, sender=onchain.sender)
    assert [(log.address, log.topics, log.data) for log in receipt.logs] == [
        (onchain.riscv.address, (), vm.witness())
    ]


def test_vector_d(onchain: Onchain) -> None:
    """§13.4 D: a straddling store, slot 2 verified against the intermediate root."""
    vm = vector_d_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    calldata = verifier.step_calldata(proof.state_data, proof.proof_data, bytes(32))
    assert keccak256(calldata).hex() == "a9416cab6afde2c76d28f1229443d6eb1f207d7ca31254eb6171783d541da485"
    assert onchain.step(calldata) == Outcome(post=bytes.fromhex(D_POST_HASH))
    receipt = onchain.chain.transact(onchain.riscv.address, calldata, sender=onchain.sender)
    assert receipt.logs[0].data == vm.witness()
    # A slot 2 taken against the pre-state root does not fold to the intermediate root.
    stale = vector_d_vm().memory.proof(0x20)
    assert onchain.agree(calldata[: 548 + 2 * PROOF_SIZE] + stale) == Outcome.failed(ERR_PROOF)


def test_deployment_verifies_a_preimage_read() -> None:
    """``faultproof deploy``'s deployment, and ``verify-step``'s check, on an RV64 proof that reads
    a local preimage part: the deployed RISCV is this one."""
    chain = EmbeddedChain()
    deployment = deploy_contracts(chain, ["riscv64"])
    oracle = chain.at(deployment.oracle, compile_for_deployment("PreimageOracle"))
    vm, _ = onchain_tamper_cases()["read-local-preimage"]
    proof = vm.step(proof=True)
    assert proof is not None and proof.oracle_key is not None
    checked = verify_onchain(oracle, deployment.verifiers["riscv64"], proof, CONTEXT, chain.accounts[2])
    assert checked.vm_kind == "riscv64" and checked.matches


@pytest.mark.parametrize("exited", [1, 2, 0xFF])
def test_exited_pre_state_is_returned_and_logged(onchain: Onchain, exited: int) -> None:
    """§5 step 1: any nonzero ``exited`` returns the pre-state's hash, with no proof read."""
    pre = witness(bytes(32), exited=exited, exit_code=7, pc=3, step=9)
    calldata = verifier.step_calldata(pre, b"", CONTEXT)
    assert onchain.agree(calldata) == Outcome(post=status_hash(pre))
    receipt = onchain.chain.transact(onchain.riscv.address, calldata, sender=onchain.sender)
    assert receipt.logs[0].data == pre


# == (2) calldata (§4.2) =========================================================================


def malformed_calldata() -> dict[str, bytes]:
    calldata = c_calldata()
    # a valid ABI encoding with the state one word later: still not the canonical layout
    shifted = calldata[:4] + be(0x80, 32) + be(0x220, 32) + calldata[68:100] + bytes(32) + calldata[100:]
    longer = calldata + bytes(4000)
    return {
        "selector": bytes.fromhex("e14ced33") + calldata[4:],
        "short-selector": bytes.fromhex("e14c"),
        "empty": b"",
        "truncated-100": calldata[:100],
        "truncated-547": calldata[:547],
        "state-head-0x80": with_word(calldata, 4, 0x80),
        "state-head-high-bit": with_word(calldata, 4, 2**255 + 0x60),
        "proof-head-0x1e0": with_word(calldata, 36, 0x1E0),
        "proof-head-max": with_word(calldata, 36, 2**256 - 1),
        "self-consistent-non-canonical": shifted,
        "state-length-361": with_word(calldata, 100, 361),
        "state-length-max": with_word(calldata, 100, 2**256 - 1),
        "proof-length-1921": with_word(longer, 516, 1921),
        "proof-length-960": with_word(longer, 516, 960),
        "proof-past-calldata": calldata[:-1],
        "proof-length-3840-of-1920": with_word(calldata, 516, 2 * PROOF_SIZE),
        "proof-length-wraps": with_word(calldata, 516, 2**256 - PROOF_SIZE),
    }


@pytest.mark.parametrize("name", list(malformed_calldata()))
def test_malformed_calldata_fails_without_data(onchain: Onchain, name: str) -> None:
    assert onchain.agree(malformed_calldata()[name]) == Outcome(revert=b"")


def test_malformed_calldata_with_value(onchain: Onchain) -> None:
    """``step`` is not payable (as upstream's): a call with value reverts without data."""
    with pytest.raises(ExecutionReverted) as raised:
        onchain.chain.call(onchain.riscv.address, c_calldata(), value=1)
    assert raised.value.data == b""


def test_quirks_that_still_verify(onchain: Onchain) -> None:
    """Trailing calldata, non-zero padding and another local context change nothing (§4.2)."""
    calldata = c_calldata()
    honest = Outcome(post=bytes.fromhex(C_POST_HASH))
    for variant in (
        calldata + bytes(range(256)),
        calldata[:494] + b"\xff" * 22 + calldata[516:],
        calldata[:68] + b"\x99" * 32 + calldata[100:],
    ):
        assert onchain.agree(variant) == honest


def test_slots_are_read_past_the_declared_proof_length(onchain: Onchain) -> None:
    """§4.2 quirk: slots are read at absolute offsets; proofs as trailing calldata still verify."""
    assert onchain.agree(with_word(c_calldata(), 516, 0)) == Outcome(post=bytes.fromhex(C_POST_HASH))
    vm = vector_d_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    full = verifier.step_calldata(proof.state_data, proof.proof_data, bytes(32))
    for declared in (0, PROOF_SIZE, 2 * PROOF_SIZE):
        assert onchain.agree(with_word(full, 516, declared)) == Outcome(post=bytes.fromhex(D_POST_HASH))
    # Proofs of any multiple of 1920 bytes are accepted; the slots past 2 are never read.
    longer = verifier.step_calldata(proof.state_data, proof.proof_data + bytes(3 * PROOF_SIZE), bytes(32))
    assert onchain.agree(longer) == Outcome(post=bytes.fromhex(D_POST_HASH))


def test_bytes_past_the_end_of_calldata_read_as_zero(onchain: Onchain) -> None:
    memory = memory_whose_slot0_ends_in_a_zero_byte()
    slot0 = memory.proof(0)
    pre = witness(memory.merkle_root())
    post = status_hash(witness(memory.merkle_root(), pc=4, step=1, registers={1: 1}))
    calldata = verifier.step_calldata(pre, b"", bytes(32)) + slot0
    assert onchain.agree(calldata) == Outcome(post=post)
    assert onchain.agree(calldata[:-1]) == Outcome(post=post)  # the missing last byte is a zero
    assert onchain.agree(calldata[:-2]) == Outcome.failed(ERR_PROOF)
    # A slot that starts past the end of calldata is all zeros.
    vm = vector_d_vm()
    proof = vm.step(proof=True)
    assert proof is not None
    only_slot0 = verifier.step_calldata(proof.state_data, proof.proof_data[:PROOF_SIZE], bytes(32))
    assert onchain.agree(only_slot0) == Outcome.failed(ERR_PROOF)


# == (3) every revert code of Appendix A ===========================================================

REVERTS: dict[str, tuple[int, dict[int, int], dict[str, int], int]] = {
    # name: (instruction, registers, state fields, revert code)
    "zero-word": (0, {}, {}, ERR_UNKNOWN_OPCODE),
    "compressed": (0x0001, {}, {}, ERR_UNKNOWN_OPCODE),
    "fmadd": (0x43, {}, {}, ERR_UNKNOWN_OPCODE),
    "op-v": (0x57, {}, {}, ERR_UNKNOWN_OPCODE),
    "load-funct3-7": (i_type(0x03, T0, 7, T1, 0), {T1: DATA}, {}, ERR_RESERVED),
    "srai-bad-kind": (i_type(0x13, T0, 5, T1, 0x201), {}, {}, ERR_RESERVED),
    "slliw-imm5": (i_type(0x1B, T0, 1, T1, 0x20), {}, {}, ERR_RESERVED),
    "sraiw-bad-kind": (i_type(0x1B, T0, 5, T1, 0x601), {}, {}, ERR_RESERVED),
    "op-imm-32-funct3-2": (i_type(0x1B, T0, 2, T1, 0), {}, {}, ERR_RESERVED),
    "add-bad-funct7": (r_type(OP, T0, 0, T1, T2, 0x21), {}, {}, ERR_RESERVED),
    "srl-bad-funct7": (r_type(OP, T0, 5, T1, T2, 0x40), {}, {}, ERR_RESERVED),
    "mulw-funct3-1": (r_type(OP_32, T0, 1, T1, T2, 1), {}, {}, ERR_RESERVED),
    "op-32-funct3-6": (r_type(OP_32, T0, 6, T1, T2, 0), {}, {}, ERR_RESERVED),
    "sraw-bad-funct7": (r_type(OP_32, T0, 5, T1, T2, 0x21), {}, {}, ERR_RESERVED),
    "fetch-crosses-leaf": (addi(T0, T1, 1), {}, {"pc": PC + 29}, ERR_FETCH),
    "store-16-bytes": (sd(T2, 0, T1) | 4 << 12, {T1: DATA}, {}, ERR_STORE_WIDTH),
    "jal-unaligned": (jal(0, 6), {}, {}, ERR_NOT_ALIGNED),
    "jalr-unaligned": (jalr(T0, T1, 2), {T1: DATA}, {}, ERR_NOT_ALIGNED),
    "branch-unaligned": (b_type(0, T1, T1, 6), {}, {}, ERR_NOT_ALIGNED),
    "branch-not-taken-from-unaligned-pc": (b_type(1, T1, T1, 8), {}, {"pc": PC + 2}, ERR_NOT_ALIGNED),
    "amo-unaligned": (amoadd_d(T2, T0, T1), {T1: DATA + 4}, {}, ERR_NOT_ALIGNED),
    "amo-width": (amo_type(AMO_ADD, 1, T2, T1, T0), {T1: DATA}, {}, ERR_AMO_WIDTH),
    "amo-unknown": (amo_type(0x05, 3, T2, T1, T0), {T1: DATA}, {}, ERR_UNKNOWN_AMO),
    "prlimit64": (ecall(), {A7: 261}, {}, ERR_SYSCALL),
    "futex-422": (ecall(), {A7: 422}, {}, ERR_SYSCALL),
    "nanosleep": (ecall(), {A7: 101}, {}, ERR_SYSCALL),
    "getrlimit-resource-3": (ecall(), {A7: 163, A0: 3}, {}, ERR_RESOURCE),
}


@pytest.mark.parametrize("name", list(REVERTS))
def test_revert_codes(onchain: Onchain, name: str) -> None:
    """VM, verifier and contract reject the step with the same code (32 bytes on chain)."""
    insn, registers, fields, code = REVERTS[name]
    vm = make_vm(insn, registers, **fields)
    calldata = calldata_of(vm)
    with pytest.raises(StepFailure) as offchain:
        vm.step(proof=True)
    assert offchain.value.code == code
    assert onchain.agree(calldata) == Outcome.failed(code)


def test_unreadable_preimage_part_reverts(onchain: Onchain) -> None:
    """A read(5, …) whose part the oracle does not hold reverts 0xbadf00d0 (§8.3)."""
    key = keccak256_key(b"never loaded")
    vm = make_vm(ecall(), {A7: 63, A0: 5, A1: DATA, A2: 8}, preimage_key=key, preimage_offset=3)
    assert onchain.agree(calldata_of(vm, vm.memory.proof(PC))) == Outcome.failed(ERR_PART)


def test_memory_proof_failures(onchain: Onchain) -> None:
    """0xbadf00d1: a wrong fetch proof, a wrong data proof; an unknown AMO checks its load first."""
    vm = make_vm(ld(T2, 8, T1), {T1: DATA})
    honest = vm.memory.proof(PC) + vm.memory.proof(DATA)
    for bad in (bytes(PROOF_SIZE) + honest[PROOF_SIZE:], honest[:PROOF_SIZE] + vm.memory.proof(DATA + 32)):
        assert onchain.agree(calldata_of(vm, bad)) == Outcome.failed(ERR_PROOF)
    amo = make_vm(amo_type(0x05, 3, T2, T1, T0), {T1: DATA})
    wrong = amo.memory.proof(PC) + amo.memory.proof(DATA + 0x20)
    assert onchain.agree(calldata_of(amo, wrong)) == Outcome.failed(ERR_PROOF)


# == (4) random steps: VM, verifier and contract ===================================================


def reads_preimage(vm: RiscvVM) -> bool:
    state = vm.state
    insn = int.from_bytes(vm.memory.read(state.pc, 4), "little")
    registers = state.registers
    return state.exited == 0 and insn & 0xFFF0_707F == 0x73 and registers[A7] == 63 and registers[A0] == 5


def check_random_step(onchain: Onchain, case: RandomStep) -> Outcome:
    """The VM's outcome is the contract's (and the verifier's) on the same calldata.

    The part a preimage read needs is loaded first if a loader takes it; if none does (a local
    value longer than a word, an offset past the stream), the contract and the verifier both see
    the oracle without it. The local context is a hash of the example, witness and preimages,
    so no local data loaded for another example is there for this one (global keys name their
    value: whatever is loaded under them is right).
    """
    vm = case.vm
    pre = vm.witness()
    preimages = b"".join(key + len(value).to_bytes(8, "big") + value for key, value in case.preimages.items())
    context = keccak256(b"local context of " + pre + preimages)
    insn = int.from_bytes(vm.memory.read(vm.state.pc, 4), "little")
    planned = planned_proof_data(vm.memory, vm.state, insn, case.preimages)
    available = True
    if reads_preimage(vm):
        key = vm.state.preimage_key
        available = onchain.load_part(key, case.preimages[key], vm.state.preimage_offset, context)
    try:
        proof = vm.step(proof=True)
    except StepFailure as failure:
        offchain = Outcome.failed(expected_verifier_failure(failure)[1])
        proof_data = planned
    else:
        assert proof is not None
        offchain = Outcome(post=proof.post)
        proof_data = proof.proof_data
        assert proof_data == planned
    outcome = onchain.agree(verifier.step_calldata(pre, proof_data, context))
    missing_part = Outcome.failed(ERR_PART)
    if available or (offchain.post is None and offchain != missing_part):
        assert outcome == offchain  # the part was there, or the step failed before reading it
    else:
        assert outcome == missing_part
    return outcome


@settings(max_examples=400)
@given(case=random_steps())
def test_random_steps(onchain: Onchain, case: RandomStep) -> None:
    check_random_step(onchain, case)


@settings(max_examples=200)
@given(case=random_steps(ecall_only=True))
def test_random_syscalls(onchain: Onchain, case: RandomStep) -> None:
    check_random_step(onchain, case)


@pytest.mark.slow
@settings(max_examples=3000)
@given(case=st.one_of(random_steps(), random_steps(ecall_only=True)))
def test_random_steps_many(onchain: Onchain, case: RandomStep) -> None:
    check_random_step(onchain, case)


def test_random_steps_reach_many_outcomes(onchain: Onchain) -> None:
    """The sample is not degenerate: post-states and many kinds of revert occur."""
    outcomes: set[str] = set()

    @settings(max_examples=150, database=None, derandomize=True)
    @given(case=random_steps(), syscall=random_steps(ecall_only=True))
    def collect(case: RandomStep, syscall: RandomStep) -> None:
        for outcome in (check_random_step(onchain, case), check_random_step(onchain, syscall)):
            outcomes.add("post" if outcome.post is not None else f"0x{outcome.revert.hex().lstrip('0')}")

    collect()
    # The common outcomes always, and some rarer code; which rarer codes varies with hypothesis's
    # choices (each code is reached on purpose by test_revert_codes).
    expected = {"post", "0xbadf00d0", "0xf001c0de", "0xbad10ad0", "0xbad22220"}
    assert expected <= outcomes and len(outcomes) > len(expected), outcomes


# == (5) tampering ================================================================================


LOCAL_VALUE = bytes(range(0x40, 0x40 + 29))  # loadLocalData takes at most a word


def onchain_tamper_cases() -> dict[str, tuple[RiscvVM, set[int]]]:
    """The verifier tests' cases whose preimage fits an onchain loader, and a local read whose
    value does (``loadLocalData`` takes one word); name → (vm, witness bytes overwritten unread)."""
    cases = {
        name: (vm, dead) for name, (vm, _, dead) in tamper_cases().items() if name != "read-local-preimage"
    }
    cases["read-local-preimage"] = (
        make_vm(
            ecall(),
            {A7: 63, A0: 5, A1: DATA + 17, A2: 9},
            {local_key(2): LOCAL_VALUE},
            preimage_key=local_key(2),
            preimage_offset=13,
        ),
        set(),
    )
    return cases


def tamper(onchain: Onchain, name: str, indices: Callable[[int], list[int]]) -> None:
    """Flip one bit (rotating with the index) of a witness or proof byte: the contract reverts or
    returns another hash, except for the witness bytes the step overwrites without reading them
    (an rd that is not also a source, the a0 that clock_gettime ignores, the key bytes that
    write(6, …) shifts out and the preimage offset it resets), which give the honest hash."""
    vm, dead = onchain_tamper_cases()[name]
    proof = vm.step(proof=True)
    assert proof is not None
    onchain.check_proof(proof)
    state_data, proof_data = proof.state_data, proof.proof_data
    honest = Outcome(post=proof.post)
    for index in indices(len(state_data)):
        tampered = bytearray(state_data)
        tampered[index] ^= 1 << (index % 8)
        found = onchain.step(verifier.step_calldata(bytes(tampered), proof_data, CONTEXT))
        if index in dead:
            assert found == honest, f"witness byte {index} is overwritten by the step"
        else:
            assert found != honest, f"witness byte {index} accepted"
    for index in indices(len(proof_data)):
        tampered = bytearray(proof_data)
        tampered[index] ^= 1 << (index % 8)
        found = onchain.step(verifier.step_calldata(state_data, bytes(tampered), CONTEXT))
        assert found.revert == ERR_PROOF.to_bytes(32, "big"), (
            f"slot {index // PROOF_SIZE} byte {index % PROOF_SIZE}"
        )


def every_byte(size: int) -> list[int]:
    return list(range(size))


def some_bytes(size: int) -> list[int]:
    """Of a witness, every byte before the registers and one byte of each register; of proofs,
    every leaf byte and one byte of each sibling (which byte: fixed pseudo-random choices)."""
    rng = random.Random(size)
    if size == WITNESS_SIZE:
        return [*range(REGISTERS_AT), *(REGISTERS_AT + 8 * index + rng.randrange(8) for index in range(32))]
    return [
        slot * PROOF_SIZE + offset
        for slot in range(size // PROOF_SIZE)
        for offset in [*range(32), *(32 * level + rng.randrange(32) for level in range(1, 60))]
    ]


@pytest.mark.parametrize("name", ["straddling-store", "read-local-preimage", "write-key"])
def test_tampering(onchain: Onchain, name: str) -> None:
    """A sample of the bytes (every byte of every case: the slow test below)."""
    tamper(onchain, name, some_bytes)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(onchain_tamper_cases()))
def test_tampering_every_byte(onchain: Onchain, name: str) -> None:
    tamper(onchain, name, every_byte)


# == (6) whole programs ===========================================================================

SAMPLE_EVERY = 5003
SYSCALL_REPEATS = 2


def instruction_class(insn: int) -> tuple[int, ...]:
    """What selects the behaviour of an instruction: opcode, funct3 and the bits above (§6)."""
    opcode, funct3 = insn & 0x7F, (insn >> 12) & 7
    if opcode in (0x33, 0x3B, 0x1B):
        return opcode, funct3, insn >> 25
    if opcode == 0x13 and funct3 in (1, 5):
        return opcode, funct3, insn >> 26
    if opcode == 0x2F:
        return opcode, funct3, insn >> 27
    if opcode in (0x37, 0x17, 0x6F):
        return (opcode,)
    if opcode == 0x73:
        return opcode, funct3, int(insn >> 20 != 0)
    return opcode, funct3


def is_ecall(insn: int) -> bool:
    return insn & 0x7F == 0x73 and (insn >> 12) & 7 == 0 and insn >> 20 == 0


@dataclass
class Coverage:
    steps: int = 0
    proven: int = 0
    preimage_reads: int = 0
    local_reads: int = 0
    classes: set[tuple[int, ...]] | None = None
    syscalls: set[int] | None = None


def syscall_key(vm: RiscvVM) -> tuple[int, int]:
    """A syscall number, with the descriptor for read and write (whose fds behave apart)."""
    registers = vm.state.registers
    number = registers[A7]
    return number, registers[A0] if number in (63, 64) else -1


def run_on_chain(
    onchain: Onchain, vm: RiscvVM, select: Callable[[RiscvVM, int, bool], bool], max_steps: int = 2_000_000
) -> Coverage:
    """Run the program to exit; every step ``select`` picks is proven and checked on chain."""
    coverage = Coverage(classes=set(), syscalls=set())
    assert coverage.classes is not None and coverage.syscalls is not None
    proven_classes: set[tuple[int, ...]] = set()
    syscall_counts: dict[tuple[int, int], int] = {}
    while not vm.exited:
        assert vm.step_count < max_steps, "program did not exit"
        insn = vm.instruction_at(vm.pc)
        kind = instruction_class(insn)
        coverage.classes.add(kind)
        first = kind not in proven_classes
        if is_ecall(insn):
            key = syscall_key(vm)
            coverage.syscalls.add(key[0])
            syscall_counts[key] = syscall_counts.get(key, 0) + 1
            # every preimage read and key write; the first few of every other call
            first = first or key in ((63, 5), (64, 6)) or syscall_counts[key] <= SYSCALL_REPEATS
        if select(vm, insn, first):
            proof = vm.step(proof=True)
            assert proof is not None
            onchain.check_proof(proof)
            proven_classes.add(kind)
            coverage.proven += 1
            if proof.oracle_key is not None:
                coverage.preimage_reads += 1
                coverage.local_reads += proof.oracle_key[0] == 1
        else:
            vm.step()
        coverage.steps += 1
    proof = vm.step(proof=True)  # the exited state steps to itself
    assert proof is not None and proof.pre == proof.post
    onchain.check_proof(proof)
    assert proven_classes == coverage.classes  # every instruction class executed was proven
    return coverage


def sampled(vm: RiscvVM, insn: int, first: bool) -> bool:
    return first or vm.step_count % SAMPLE_EVERY == 0


def alloc_host() -> OracleHost:
    return OracleHost.in_memory({local_key(0): be64(3), local_key(1): be64(65536)})


PROGRAMS: dict[str, tuple[str, Callable[[], OracleHost]]] = {
    "hello": ("hello", OracleHost.in_memory),
    "claim": ("claim", claim_host),
    "alloc": ("alloc", alloc_host),
    "entry": ("entry", OracleHost.in_memory),
}


def load_program(riscv_elves: dict[str, Path], case: str) -> RiscvVM:
    program, make_host = PROGRAMS[case]
    vm, _ = RiscvVM.load_elf(riscv_elves[program])
    vm.host = make_host()
    return vm


@pytest.mark.parametrize("case", list(PROGRAMS))
def test_program(onchain: Onchain, riscv_elves: dict[str, Path], case: str) -> None:
    """Every instruction class's first execution, the first calls of every syscall, every
    preimage read and key write, and every 5003rd step: the contract's post hash is the VM's."""
    vm = load_program(riscv_elves, case)
    coverage = run_on_chain(onchain, vm, sampled)
    assert vm.exit_code == 0
    assert coverage.classes is not None and coverage.syscalls is not None
    assert len(coverage.classes) >= 50
    assert {93, 94} & coverage.syscalls and {222, 134, 113, 64} <= coverage.syscalls
    if case in ("claim", "alloc"):
        assert coverage.preimage_reads > 0 and coverage.local_reads > 0


@pytest.mark.slow
def test_hello_every_step(onchain: Onchain, riscv_elves: dict[str, Path]) -> None:
    """Every one of hello's ~218k steps on chain."""
    vm = load_program(riscv_elves, "hello")
    coverage = run_on_chain(onchain, vm, lambda vm, insn, first: True)
    assert coverage.proven == coverage.steps


# == (7) the other Vyper pipeline ===================================================================


@pytest.fixture(scope="module")
def legacy(onchain: Onchain) -> Onchain:
    """RISCV.vy compiled by Vyper's legacy pipeline (the project's default settings), beside the
    Venom build on the same chain and oracle: both compilations must implement the same step."""
    riscv = onchain.chain.deploy(compile_contract("RISCV", CompilerSettings()), onchain.oracle.address)
    return Onchain(onchain.chain, onchain.oracle, riscv, onchain.sender)


def test_legacy_pipeline_vectors_and_reverts(legacy: Onchain) -> None:
    for vm, post in ((vector_c_vm(), C_POST_HASH), (vector_d_vm(), D_POST_HASH)):
        proof = vm.step(proof=True)
        assert proof is not None
        calldata = verifier.step_calldata(proof.state_data, proof.proof_data, bytes(32))
        assert legacy.agree(calldata) == Outcome(post=bytes.fromhex(post))
    for name, calldata in malformed_calldata().items():
        assert legacy.agree(calldata) == Outcome(revert=b""), name
    for name, (insn, registers, fields, code) in REVERTS.items():
        assert legacy.agree(calldata_of(make_vm(insn, registers, **fields))) == Outcome.failed(code), name


@settings(max_examples=100, database=None, derandomize=True)
@given(case=st.one_of(random_steps(), random_steps(ecall_only=True)))
def test_legacy_pipeline_random_steps(legacy: Onchain, case: RandomStep) -> None:
    check_random_step(legacy, case)


# == (8) anvil ====================================================================================


@pytest.fixture(scope="module")
def anvil_onchain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Onchain]:
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with running_anvil("prague", log) as anvil:
        yield deploy(JsonRpcChain(anvil.url))


def test_anvil_vectors_and_reverts(anvil_onchain: Onchain) -> None:
    """The spec's vectors, malformed calldata and a revert code over JSON-RPC."""
    for vm, post in ((vector_c_vm(), C_POST_HASH), (vector_d_vm(), D_POST_HASH)):
        proof = vm.step(proof=True)
        assert proof is not None
        calldata = verifier.step_calldata(proof.state_data, proof.proof_data, bytes(32))
        assert anvil_onchain.step(calldata) == Outcome(post=bytes.fromhex(post))
    assert anvil_onchain.agree(malformed_calldata()["state-head-0x80"]) == Outcome(revert=b"")
    insn, registers, fields, code = REVERTS["amo-unknown"]
    assert anvil_onchain.agree(calldata_of(make_vm(insn, registers, **fields))) == Outcome.failed(code)


@settings(max_examples=25, database=None, derandomize=True)
@given(case=st.one_of(random_steps(), random_steps(ecall_only=True)))
def test_anvil_random_steps(anvil_onchain: Onchain, case: RandomStep) -> None:
    check_random_step(anvil_onchain, case)


def test_anvil_program_sample(anvil_onchain: Onchain, riscv_elves: dict[str, Path]) -> None:
    """claim on anvil: its preimage reads (local and keccak256 keys) and the first step of every
    instruction class."""
    vm = load_program(riscv_elves, "claim")
    coverage = run_on_chain(anvil_onchain, vm, lambda vm, insn, first: first)
    assert coverage.preimage_reads > 0 and coverage.local_reads > 0
