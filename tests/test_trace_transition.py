"""The `transition` guest as an execution subgame's trace (faultproof.trace.transition).

The honest trace of a subgame is a run of `transition` with exactly the local data the game's
``addLocalData`` loads; its exec root says whether the disputed output follows from the agreed one,
every step — those that read a local input or a keccak preimage above all — verifies statelessly to
the next claim with the parts the onchain oracle would hold, and answers come from snapshots.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faultproof.crypto import keccak256
from faultproof.errors import PreimageNotFound
from faultproof.game.local_context import ANCHOR_POSITION, ExecTransition, OutputRef, local_data
from faultproof.game.params import GameParameters, GameType
from faultproof.game.positions import gindex
from faultproof.ints import be64
from faultproof.preimage.keys import KeyType, keccak256_key, local_key, localize
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.parts import PreimagesAsParts
from faultproof.trace.provider import TraceError
from faultproof.trace.split import ExecInputs
from faultproof.trace.transition import (
    DIFF,
    DIFF_HASH,
    GameInputs,
    TransitionChain,
    TransitionProgram,
    boot_inputs,
    exec_depth_for,
    subgame_host_factory,
    transition_host,
    vm_game_parameters,
)
from faultproof.trace.vm import VMTraceProvider
from faultproof.vm.interface import PreimageRead
from faultproof.vm.status import VMStatus

ANCHOR_BLOCK = 1_000
GAME_ADDRESS = b"\x9a" * 20
GAME = GameInputs(
    anchor_block=ANCHOR_BLOCK,
    anchor_root=TransitionChain(ANCHOR_BLOCK).anchor_root,
    l2_block_number=ANCHOR_BLOCK + 4,
    l1_head=keccak256(b"an L1 head"),
    l2_chain_id=901,
)
INTERVAL = 1 << 15


@pytest.fixture(scope="module", params=["mips32", "riscv64"])
def program(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TransitionProgram:
    elves = request.getfixturevalue("mips_elves" if request.param == "mips32" else "riscv_elves")
    return TransitionProgram.load(elves["transition"], tmp_path_factory.mktemp("program"), request.param)


@pytest.fixture(scope="module")
def steps(program: TransitionProgram) -> int:
    return program.step_count()


@pytest.fixture(scope="module")
def params(program: TransitionProgram, steps: int) -> GameParameters:
    return vm_game_parameters(program, steps)


def output_inputs(
    chain: TransitionChain, params: GameParameters, index: int, disputed: bytes, game: GameInputs = GAME
) -> ExecInputs:
    """The subgame attacking the split-depth output ``index`` (claiming ``disputed``), agreed before it."""
    position = gindex(params.split_depth, index)

    def block(at: int) -> int:
        return min(game.anchor_block + at + 1, game.l2_block_number)

    if index == 0:
        starting = OutputRef(game.anchor_root, ANCHOR_POSITION)
        agreed_block = game.anchor_block
    else:
        agreed_block = block(index - 1)
        starting = OutputRef(chain.output_root(agreed_block), position - 1)
    transition = ExecTransition(starting, OutputRef(disputed, position))
    return ExecInputs(agreed_block, starting.claim, block(index), disputed, transition)


def subgame(
    program: TransitionProgram,
    params: GameParameters,
    inputs: ExecInputs,
    folder: Path,
    game: GameInputs = GAME,
    interval: int = INTERVAL,
) -> VMTraceProvider:
    chain = TransitionChain(ANCHOR_BLOCK)
    host = subgame_host_factory(chain, params, game)(inputs)
    provider = program.bottom(lambda _: host, params.exec_depth, folder, interval)(inputs)
    assert isinstance(provider, VMTraceProvider)
    return provider


def preimage_reads(program: TransitionProgram, host: PreimageHost) -> list[tuple[int, PreimageRead]]:
    """Every step of a run that reads a preimage part, with what it reads (the fast run stops there)."""
    vm = program.start(host)
    reads = []
    while not vm.exited:
        vm.run(1 << 22)
        if vm.last_preimage_read is not None:
            reads.append((vm.step_count - 1, vm.last_preimage_read))
    return reads


# -- the chain, the program and the game shape ----------------------------------------------------


def test_chain_and_roots() -> None:
    chain = TransitionChain(ANCHOR_BLOCK)
    s0 = 0x00FF_FFFF_0000_1000
    assert chain.state(ANCHOR_BLOCK) == s0 and chain.state(ANCHOR_BLOCK + 1) == s0 * 3 + 4
    assert chain.state(ANCHOR_BLOCK + 40) == (chain.state(ANCHOR_BLOCK + 39) * 3 + 4) % 2**64
    root = chain.output_root(ANCHOR_BLOCK + 2)
    assert root == keccak256(be64(ANCHOR_BLOCK + 2) + be64(chain.state(ANCHOR_BLOCK + 2)))
    assert chain.root_preimage(root) == be64(ANCHOR_BLOCK + 2) + be64(chain.state(ANCHOR_BLOCK + 2))
    assert chain.root_preimage(keccak256(b"a false root")) is None
    with pytest.raises(TraceError, match="before the chain's anchor"):
        chain.output_root(ANCHOR_BLOCK - 1)


@pytest.mark.parametrize(
    ("disputed", "verdict", "stdout"),
    [
        (1, 0, b"computing 72057589742964736 * 3 + 4\nclaim %s is good!\n"),
        (3, 0, b"computing 648518307686682640 * 3 + 4\nclaim %s is good!\n"),  # three blocks at once
        (0, 0, b"claim %s is good!\n"),  # n -> n: the game's clamped transitions
        (-1, 1, b"claim %s is bad! Block 999 precedes the agreed block 1000\n"),
    ],
)
def test_program_judges_transitions(
    program: TransitionProgram, disputed: int, verdict: int, stdout: bytes
) -> None:
    """The guest's output and exit code (0: the disputed root is the block's), outside any game."""
    chain = TransitionChain(ANCHOR_BLOCK)
    block = ANCHOR_BLOCK + disputed
    root = chain.output_root(block) if disputed >= 0 else keccak256(b"no root")
    vm = program.run(transition_host(chain, boot_inputs(chain.anchor_root, root, block)))
    assert (vm.exited, vm.exit_code) == (True, verdict)
    assert bytes(vm.stdout).startswith(f"block {ANCHOR_BLOCK} -> {block}\n".encode())
    assert bytes(vm.stdout).endswith(stdout.replace(b"%s", root.hex().encode()))


def test_program_refuses_a_false_root(program: TransitionProgram) -> None:
    chain = TransitionChain(ANCHOR_BLOCK)
    false_root, true_root = keccak256(b"a false root"), chain.output_root(ANCHOR_BLOCK + 1)
    vm = program.run(transition_host(chain, boot_inputs(chain.anchor_root, false_root, ANCHOR_BLOCK + 1)))
    assert (vm.exited, vm.exit_code) == (True, 1)
    assert bytes(vm.stdout).endswith(
        f"claim {false_root.hex()} is bad! Correct output root is {true_root.hex()}\n".encode()
    )


def test_a_false_agreed_root_has_no_preimage(program: TransitionProgram) -> None:
    """The host serves only its chain's roots: a run from any other fails at that read, not later."""
    chain = TransitionChain(ANCHOR_BLOCK)
    host = transition_host(chain, boot_inputs(keccak256(b"a lie"), chain.anchor_root, ANCHOR_BLOCK))
    with pytest.raises(PreimageNotFound):
        program.run(host)
    assert [failed.hint for failed in host.router.failed_hints] == [
        b"fetch-state " + keccak256(b"a lie").hex().encode()
    ]


def test_game_parameters(program: TransitionProgram, steps: int, params: GameParameters) -> None:
    """``N = 2^K`` covers the run with a quarter to spare; ``MAX`` is even (the root's team posts leaves)."""
    assert params.exec_trace_length >= steps * 5 // 4 > params.exec_trace_length // 2
    assert params.exec_depth == exec_depth_for(steps) and params.split_depth in (2, 3)
    assert params.max_game_depth == params.split_depth + 1 + params.exec_depth
    assert params.max_game_depth % 2 == 0
    assert params.absolute_prestate == program.absolute_prestate
    assert params.absolute_prestate[0] == VMStatus.UNFINISHED
    expected = {"mips32": GameType.CANNON, "riscv64": GameType.ASTERISC}[program.vm_class.kind]
    assert params.game_type == expected
    assert vm_game_parameters(program, steps=steps, split_depth=2).max_game_depth == 2 + 1 + params.exec_depth


# -- the host of a subgame ------------------------------------------------------------------------


def test_host_serves_the_local_data_of_the_subgame(
    program: TransitionProgram, params: GameParameters
) -> None:
    """Local keys 1–5 hold what ``addLocalData`` loads (§7.5); keys no game can load are missing."""
    chain = TransitionChain(ANCHOR_BLOCK)
    inputs = output_inputs(chain, params, 3, keccak256(b"a claim"))
    host = subgame_host_factory(chain, params, GAME)(inputs)
    expected = {
        1: GAME.l1_head,
        2: chain.output_root(ANCHOR_BLOCK + 3),
        3: keccak256(b"a claim"),
        4: be64(ANCHOR_BLOCK + 4),
        5: be64(901),
    }
    for ident, value in expected.items():
        assert host.get_preimage(local_key(ident)) == value
        assert value == local_data(
            ident, inputs.transition, GAME.l1_head, ANCHOR_BLOCK, GAME.l2_block_number, 901, 3
        )
    agreed = be64(ANCHOR_BLOCK + 3) + be64(chain.state(ANCHOR_BLOCK + 3))
    for missing in (local_key(0), local_key(6), keccak256_key(agreed), keccak256_key(DIFF)):
        with pytest.raises(PreimageNotFound):
            host.get_preimage(missing)
    host.hint(b"fetch-state " + chain.output_root(ANCHOR_BLOCK + 3).hex().encode())
    host.hint(b"fetch-diff " + DIFF_HASH.hex().encode())
    assert host.get_preimage(keccak256_key(agreed)) == agreed
    assert host.get_preimage(keccak256_key(DIFF)) == DIFF
    assert host.get_preimage(keccak256_key(be64(3))) == be64(3)


# -- the subgame's trace --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "true", "l2_block", "status"),
    [
        (3, True, 1004, VMStatus.VALID),  # 1003 -> 1004
        (3, False, 1004, VMStatus.INVALID),
        (0, True, 1004, VMStatus.VALID),  # from the anchor
        (3, True, 1002, VMStatus.VALID),  # clamped: 1002 -> 1002
        (3, False, 1002, VMStatus.INVALID),  # ... where the next block's root is false
    ],
)
def test_exec_root_status(
    program: TransitionProgram,
    params: GameParameters,
    tmp_path: Path,
    index: int,
    true: bool,
    l2_block: int,
    status: VMStatus,
) -> None:
    """The honest exec root is VALID exactly when the disputed root is its block's output."""
    chain = TransitionChain(ANCHOR_BLOCK)
    game = GameInputs(ANCHOR_BLOCK, GAME.anchor_root, l2_block, GAME.l1_head, GAME.l2_chain_id)
    block = min(ANCHOR_BLOCK + index + 1, l2_block)
    disputed = chain.output_root(block) if true else chain.output_root(block + 1)
    provider = subgame(program, params, output_inputs(chain, params, index, disputed, game), tmp_path, game)
    assert provider.get(1)[0] == status


def test_step_data_verifies_statelessly(
    program: TransitionProgram, params: GameParameters, tmp_path: Path
) -> None:
    """Every step that reads a preimage part, and others, steps from its witness to the next claim
    with only the part it names loaded — local data as ``addLocalData`` loads it, localized."""
    chain = TransitionChain(ANCHOR_BLOCK)
    inputs = output_inputs(chain, params, 3, keccak256(b"a false root"))
    provider = subgame(program, params, inputs, tmp_path)
    host = subgame_host_factory(chain, params, GAME)(inputs)
    reads = preimage_reads(program, host)
    exit_step = program.run(subgame_host_factory(chain, params, GAME)(inputs)).step_count
    k = params.exec_depth
    context = inputs.local_context
    read_idents = set()
    global_keys = set()
    others = [0, 1, reads[0][0] - 1, exit_step // 2, exit_step - 1, exit_step, (1 << k) - 1]
    for t in sorted({step for step, _ in reads} | set(others)):
        # in the order that lets the provider step on from the state it holds
        previous = provider.get(gindex(k, t - 1)) if t else provider.absolute_prestate_commitment()
        data = provider.get_step_data(gindex(k, t))
        assert keccak256(data.pre_state)[1:] == previous[1:]
        parts = {}
        if data.oracle is not None:
            if data.oracle.is_local:
                ident = data.oracle.local_ident
                value = local_data(
                    ident, inputs.transition, GAME.l1_head, ANCHOR_BLOCK, GAME.l2_block_number, 901, 3
                )
                assert data.oracle.value == value
                parts[localize(data.oracle.key, context, GAME_ADDRESS)] = value
                read_idents.add(ident)
            else:
                assert data.oracle.key[0] == KeyType.KECCAK256
                assert keccak256_key(data.oracle.value) == data.oracle.key
                parts[data.oracle.key] = data.oracle.value
                global_keys.add(data.oracle.key)
        post = program.vm_class.verify_step(
            data.pre_state, data.proof, context, PreimagesAsParts(parts), GAME_ADDRESS
        )
        assert post == provider.get(gindex(k, t))
    assert read_idents == {2, 3, 4}
    agreed = be64(ANCHOR_BLOCK + 3) + be64(chain.state(ANCHOR_BLOCK + 3))
    assert global_keys == {keccak256_key(value) for value in (agreed, DIFF, be64(3), be64(4))}
    assert provider.get(1)[0] == VMStatus.INVALID


def test_answers_run_from_snapshots(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    """Once the run has passed, an answer executes at most one snapshot interval, even after a restart;
    without snapshots a bisection's answers replay from step 0. (The provider is ISA-agnostic: MIPS32.)"""
    program = TransitionProgram.load(mips_elves["transition"], tmp_path / "program")
    params = vm_game_parameters(program, steps=650_000)
    chain = TransitionChain(ANCHOR_BLOCK)
    inputs = output_inputs(chain, params, 3, chain.output_root(ANCHOR_BLOCK + 4))
    provider = subgame(program, params, inputs, tmp_path / "snapshots")
    provider.get(1)
    exit_step = provider.steps_executed
    assert provider.exit_step == exit_step
    k = params.exec_depth
    midpoints = bisection(exit_step // 3, k)
    for t in midpoints:
        before = provider.steps_executed
        provider.get(gindex(k, t))
        assert provider.steps_executed - before <= INTERVAL
    restarted = subgame(program, params, inputs, tmp_path / "snapshots")
    restarted.get(gindex(k, exit_step // 2))
    assert restarted.steps_executed <= INTERVAL

    replaying = subgame(program, params, inputs, tmp_path / "none", interval=1 << k)
    replaying.get(1)
    before = replaying.steps_executed
    for t in midpoints[:4]:
        replaying.get(gindex(k, t))
    assert replaying.steps_executed - before > 4 * INTERVAL


def bisection(target: int, depth: int) -> list[int]:
    """The trace indices a bisection asks for on its way to ``target``: the midpoints, in order."""
    low, high, asked = 0, (1 << depth) - 1, []
    while low < high:
        middle = (low + high) // 2
        asked.append(middle)
        if target <= middle:
            high = middle
        else:
            low = middle + 1
    return asked
