"""The VM-backed trace provider: `claim` on MIPS32 as an execution subgame (spec: dispute-game.md §14.3).

Answers are held against independent runs of the VM from step 0 and against the stateless step
verifier (the function the onchain MIPS contract computes), and the snapshots are shown to bound
what each answer executes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faultproof.crypto import keccak256
from faultproof.examples import CLAIM_RESULT, claim_host
from faultproof.fileio import write_state
from faultproof.game import alphabet
from faultproof.game.configs import alphabet_parameters
from faultproof.game.positions import gindex
from faultproof.preimage.keys import localize
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.parts import PreimagesAsParts
from faultproof.trace.outputs import AlphabetOutputs, OutputTraceProvider
from faultproof.trace.provider import TraceError
from faultproof.trace.split import ExecInputs, SplitTraceAccessor
from faultproof.trace.vm import VMTraceProvider, vm_bottom
from faultproof.vm.interface import FaultProofVM
from faultproof.vm.mips32.vm import MipsVM
from faultproof.vm.status import VMStatus
from game_trees import TreeBuilder

K = 20  # 2^20 steps: `claim` exits after about 606 000
INTERVAL = 1 << 16
CONTEXT = keccak256(b"an exec subgame")
GAME = b"\x6a" * 20


@pytest.fixture(scope="module")
def prestate(mips_elves: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    vm, _ = MipsVM.load_elf(mips_elves["claim"])
    path = tmp_path_factory.mktemp("prestate") / "claim.bin"
    write_state(vm, path)
    return path


@pytest.fixture(scope="module")
def run_length(prestate: Path) -> int:
    """The exit step of `claim`, from a plain run."""
    vm = from_step_0(prestate, CLAIM_RESULT)
    while not vm.exited:
        vm.run(1 << 22)
    return vm.step_count


def from_step_0(prestate: Path, claim: int) -> FaultProofVM:
    vm = MipsVM.read_state(prestate)
    vm.host = claim_host(claim)
    return vm


def state_hash_after(prestate: Path, steps: int, claim: int = CLAIM_RESULT) -> bytes:
    """An independent replay from step 0 (what the provider must never need to do per answer)."""
    vm = from_step_0(prestate, claim)
    while vm.step_count < steps and not vm.exited:
        vm.run(steps - vm.step_count)
    return vm.state_hash()


def provider(prestate: Path, folder: Path, claim: int = CLAIM_RESULT, exec_depth: int = K) -> VMTraceProvider:
    return VMTraceProvider(MipsVM, prestate, claim_host(claim), exec_depth, folder, INTERVAL)


def test_claims_are_state_hashes(prestate: Path, run_length: int, tmp_path: Path) -> None:
    trace = provider(prestate, tmp_path)
    assert trace.absolute_prestate_commitment() == MipsVM.read_state(prestate).state_hash()
    for t in (0, 1, 99_999, run_length - 2, 200_000):
        assert trace.get(gindex(K, t)) == state_hash_after(prestate, t + 1)
    root = trace.get(1)
    assert root == state_hash_after(prestate, run_length) and root[0] == VMStatus.VALID


def test_a_false_claim_ends_invalid(prestate: Path, tmp_path: Path) -> None:
    assert provider(prestate, tmp_path, claim=CLAIM_RESULT + 1).get(1)[0] == VMStatus.INVALID


def test_padding_after_exit(prestate: Path, run_length: int, tmp_path: Path) -> None:
    """§14.3: ``S_j = S_e`` for ``j ≥ e``: every index from the exit on commits to the final state."""
    trace = provider(prestate, tmp_path)
    final = trace.get(1)
    for t in (run_length - 1, run_length, (1 << K) - 2):
        assert trace.get(gindex(K, t)) == final
    assert trace.get(gindex(K, run_length - 2)) != final


def test_step_data_verifies(prestate: Path, run_length: int, tmp_path: Path) -> None:
    """The witness of ``S_t`` steps, statelessly, to ``get(t)``: with the preimage part it names loaded."""
    trace = provider(prestate, tmp_path)
    reads = 0
    for t in (0, 1, first_preimage_step(prestate), 300_000, run_length - 1, run_length + 5):
        data = trace.get_step_data(gindex(K, t))
        previous = trace.get(gindex(K, t - 1)) if t else trace.absolute_prestate_commitment()
        assert keccak256(data.pre_state)[1:] == previous[1:]
        parts = {}
        if data.oracle is not None:
            reads += 1
            key = localize(data.oracle.key, CONTEXT, GAME) if data.oracle.is_local else data.oracle.key
            parts[key] = data.oracle.value
        post = MipsVM.verify_step(data.pre_state, data.proof, CONTEXT, PreimagesAsParts(parts), GAME)
        assert post == trace.get(gindex(K, t))
    assert reads == 1  # the step that reads a preimage names its part


def first_preimage_step(prestate: Path) -> int:
    """The first step of `claim` that reads a preimage part."""
    vm = from_step_0(prestate, CLAIM_RESULT)
    while True:
        vm.run(1 << 22)
        if vm.last_preimage_read is not None:
            return vm.step_count - 1


def test_answers_run_from_snapshots(prestate: Path, run_length: int, tmp_path: Path) -> None:
    """After the first pass, no answer executes more than one snapshot interval (and never from 0)."""
    trace = provider(prestate, tmp_path)
    trace.get(1)
    assert trace.steps_executed == run_length
    for t in (run_length // 2, 7, run_length // 3, run_length - 3, INTERVAL * 3 + 5):
        before = trace.steps_executed
        trace.get(gindex(K, t))
        assert trace.steps_executed - before <= INTERVAL
    restarted = provider(prestate, tmp_path)  # a challenger restarted on the same folder
    restarted.get(gindex(K, run_length // 2))
    assert restarted.steps_executed <= INTERVAL


def test_no_exec_root_without_an_exit(prestate: Path, tmp_path: Path) -> None:
    """§14.3: a run that has not exited within N steps cannot post an exec root (status 3)."""
    trace = provider(prestate, tmp_path, exec_depth=12)
    assert trace.get(gindex(12, 100)) == state_hash_after(prestate, 101)
    with pytest.raises(TraceError, match="not exited"):
        trace.get(1)
    with pytest.raises(TraceError):
        trace.get(gindex(13, 0))


def test_vm_bottom_in_a_split_game(prestate: Path, run_length: int, tmp_path: Path) -> None:
    """The split accessor over VM subgames: one provider (and snapshot folder) per local context."""
    params = alphabet_parameters(2 + 1 + K, 2, 3_600, 60, 120)
    top = OutputTraceProvider(AlphabetOutputs(), 2, 0, alphabet.output_root(0), 4)
    seen: list[ExecInputs] = []

    def host_for(inputs: ExecInputs) -> PreimageHost:
        seen.append(inputs)
        return claim_host()

    trace = SplitTraceAccessor(params, top, vm_bottom(MipsVM, prestate, host_for, K, tmp_path, INTERVAL))
    tree = TreeBuilder(root_value=b"\x01" * 32)
    exec_root = tree.line_to(8)  # attacks output 4: the anchor → block 1
    assert trace.get(tree.claims, exec_root, 8) == state_hash_after(prestate, run_length)
    assert [inputs.claimed_block for inputs in seen] == [1]
    assert [path.name for path in tmp_path.iterdir()] == [seen[0].local_context.hex()]
