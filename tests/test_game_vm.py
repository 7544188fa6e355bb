"""A VM-backed game: a false claim about the `transition` guest's output is bisected to one
instruction and defeated by a step that reads a preimage (faultproof.trace.transition).

The honest side plays the §15.3 planner over the transition chain's trace; the adversary plays the
same planner over its own view: a chain that is false from one block on, and inside the execution
subgame the honest run up to a chosen step ``t*`` and lies after it (its exec root claims the
opposite verdict). Their first disagreement below the split is ``S_{t*+1}``, so the game ends in a
step executing exactly instruction ``t*`` — chosen to read a keccak preimage, or a local input that
``addLocalData`` must load first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from faultproof.agents import AgentEvent, EventKind, GameSnapshot, GameTraces, HonestChallenger, Liar, Runner
from faultproof.agents.planner import Action, Step, plan
from faultproof.chain import EmbeddedChain
from faultproof.crypto import keccak256
from faultproof.game.bonds import DEFAULT_INIT_BOND
from faultproof.game.model import GameModel
from faultproof.game.params import GameParameters
from faultproof.game.positions import trace_index
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.onchain.games import GameSetup, deploy_game_system
from faultproof.preimage.keys import KeyType, key_type, local_key
from faultproof.trace.lies import FalseOutputs, WrongFromStep
from faultproof.trace.outputs import OutputSource, OutputTraceProvider
from faultproof.trace.provider import TraceProvider
from faultproof.trace.split import BottomFactory, ExecInputs, SplitTraceAccessor
from faultproof.trace.transition import (
    GameInputs,
    GameLike,
    TransitionChain,
    TransitionProgram,
    subgame_host_factory,
    transition_bottom,
    transition_trace,
    vm_game_parameters,
)
from faultproof.trace.vm import VMTraceProvider
from honest_play import ADVERSARY, HONEST, game_over, perform, resolve_all

ANCHOR_BLOCK = 1_000
L1_HEAD = keccak256(b"the game's L1 head")
L2_CHAIN_ID = 901
FINALITY_DELAY = 600  # short airgap and WETH delay: the runner jumps over them anyway
WETH_DELAY = 3_600
Read = tuple[int, bytes, int]  # a step that reads a preimage part: (step, key, offset)


# -- the adversary --------------------------------------------------------------------------------


def preimage_read_steps(program: TransitionProgram, game: GameLike, inputs: ExecInputs) -> list[Read]:
    """Every step of the subgame's honest run that reads a preimage part (the fast run stops there)."""
    host = subgame_host_factory(TransitionChain(ANCHOR_BLOCK), game.params, GameInputs.of(game))(inputs)
    vm = program.start(host)
    reads = []
    while not vm.exited:
        vm.run(1 << 22)
        read = vm.last_preimage_read
        if read is not None:
            reads.append((vm.step_count - 1, read.key, read.offset))
    return reads


def keccak_read(reads: list[Read]) -> int:
    """The read of the first data word of the agreed root's preimage (after its 8-byte length)."""
    return next(step for step, key, offset in reads if key_type(key) == KeyType.KECCAK256 and offset == 8)


def local_read(reads: list[Read]) -> int:
    """The read of the disputed block number's value (local 4, after its length)."""
    return next(step for step, key, offset in reads if key == local_key(4) and offset == 8)


# -- playing on the model -------------------------------------------------------------------------


@dataclass
class Played:
    model: GameModel
    honest: SplitTraceAccessor
    moves: int = 0
    steps: list[tuple[bytes, Step]] = field(default_factory=list)
    t_star: int = -1


def play_model(
    program: TransitionProgram,
    params: GameParameters,
    folder: Path,
    choose: Callable[[list[Read]], int],
) -> Played:
    """A false root for block ``anchor + 2^SPLIT`` by the adversary, whose chain is false from the
    middle of the game's blocks on, answered by the honest side."""
    chain = TransitionChain(ANCHOR_BLOCK)
    l2_block = ANCHOR_BLOCK + (1 << params.split_depth)
    lies = FalseOutputs(chain, ANCHOR_BLOCK + (1 << params.split_depth) // 2 + 1)
    model = GameModel(
        params,
        program.vm_class.verify_step,
        root_claim=lies.output_root(l2_block),
        l2_block_number=l2_block,
        anchor_root=chain.anchor_root,
        anchor_block=ANCHOR_BLOCK,
        creator=ADVERSARY,
        init_bond=DEFAULT_INIT_BOND,
        now=0,
        l1_head=L1_HEAD,
        l2_chain_id=L2_CHAIN_ID,
    )
    honest = transition_trace(model, chain, program, folder)
    played = Played(model, honest)

    def liar_bottom(inputs: ExecInputs) -> TraceProvider:
        provider = honest.providers.get(inputs.local_context)
        if provider is None:
            provider = honest.providers[inputs.local_context] = honest.bottom(inputs)
        assert isinstance(provider, VMTraceProvider)
        played.t_star = choose(preimage_read_steps(program, model, inputs))
        return WrongFromStep(provider, played.t_star)

    top = OutputTraceProvider(lies, params.split_depth, ANCHOR_BLOCK, chain.anchor_root, l2_block)
    liar = SplitTraceAccessor(params, top, liar_bottom)
    while True:
        acted = False
        for trace, sender in ((honest, HONEST), (liar, ADVERSARY)):
            for action in plan(model, trace):
                send(model, action, sender)
                acted = True
                if isinstance(action, Step):
                    played.steps.append((sender, action))
                else:
                    played.moves += 1
        if not acted:
            return played


def send(model: GameModel, action: Action, sender: bytes) -> None:
    """``perform``, with a step's global keccak part put in the oracle first (§15.4)."""
    if isinstance(action, Step) and action.data.oracle is not None and not action.data.oracle.is_local:
        datum = action.data.oracle
        model.oracle.load(datum.key, datum.value, datum.offset)
    perform(model, action, sender, now=0)


@pytest.fixture(scope="module")
def mips_program(mips_elves: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> TransitionProgram:
    return TransitionProgram.load(mips_elves["transition"], tmp_path_factory.mktemp("mips32"))


@pytest.fixture(scope="module")
def mips_params(mips_program: TransitionProgram) -> GameParameters:
    return vm_game_parameters(mips_program)


@pytest.mark.parametrize("choose", [keccak_read, local_read], ids=["keccak-read", "local-read"])
def test_false_root_is_defeated_by_a_step_at_t_star(
    mips_program: TransitionProgram,
    mips_params: GameParameters,
    tmp_path: Path,
    choose: Callable[[list[Read]], int],
) -> None:
    check_game(mips_program, mips_params, tmp_path, choose)


@pytest.mark.slow
@pytest.mark.parametrize("choose", [keccak_read, local_read], ids=["keccak-read", "local-read"])
def test_rv64_game(riscv_elves: dict[str, Path], tmp_path: Path, choose: Callable[[list[Read]], int]) -> None:
    """The same game with the RV64 VM (game type ASTERISC): nothing above the VM knows the ISA."""
    program = TransitionProgram.load(riscv_elves["transition"], tmp_path / "program", "riscv64")
    check_game(program, vm_game_parameters(program), tmp_path / "snapshots", choose)


def check_game(
    program: TransitionProgram,
    params: GameParameters,
    folder: Path,
    choose: Callable[[list[Read]], int],
) -> None:
    played = play_model(program, params, folder, choose)
    model = played.model

    # one step, by the honest side, executing exactly instruction t* of the disputed subgame
    assert [sender for sender, _ in played.steps] == [HONEST]
    step = played.steps[0][1]
    leaf = model.claims[step.claim]
    assert leaf.depth == params.max_game_depth and leaf.countered_by == HONEST
    (provider,) = played.honest.providers.values()
    assert isinstance(provider, VMTraceProvider)
    assert step.data.pre_state == provider.state_at(played.t_star).witness()
    local_t = trace_index(leaf.position, params.max_game_depth) % params.exec_trace_length
    assert local_t in (played.t_star, played.t_star - 1)  # the liar's first lie, or its last truth
    datum = step.data.oracle
    assert datum is not None
    if choose is keccak_read:
        assert not datum.is_local and key_type(datum.key) == KeyType.KECCAK256
    else:
        assert datum.is_local and datum.local_ident == 4

    resolve_all(model, game_over(model))
    assert model.status == GameStatus.CHALLENGER_WINS
    bonds = sum(claim.bond for claim in model.claims)
    assert model.credit(BondDistributionMode.NORMAL) == {HONEST: bonds}
    assert played.moves == len(model.claims) - 1


# -- playing on the chain -------------------------------------------------------------------------


def liar_view(
    chain: TransitionChain,
    program: TransitionProgram,
    lies: OutputSource,
    folder: Path,
    choose: Callable[[list[Read]], int],
    chosen: list[int],
) -> GameTraces:
    """The adversary's ``GameTraces``: ``lies`` above the split, below it its own run of the program
    up to ``t*`` and lies after (each ``t*`` it picks is appended to ``chosen``)."""
    honest_bottom = transition_bottom(chain, program)

    def bottom(snapshot: GameSnapshot, _: Path) -> BottomFactory:
        runs = honest_bottom(snapshot, folder)

        def make(inputs: ExecInputs) -> TraceProvider:
            provider = runs(inputs)
            assert isinstance(provider, VMTraceProvider)
            chosen.append(choose(preimage_read_steps(program, snapshot, inputs)))
            return WrongFromStep(provider, chosen[-1])

        return make

    return GameTraces(program.absolute_prestate, lies, bottom)


@pytest.mark.parametrize(
    "choose",
    [keccak_read, pytest.param(local_read, marks=pytest.mark.slow)],
    ids=["keccak-read", "local-read"],
)
def test_false_root_on_chain(
    mips_program: TransitionProgram,
    mips_params: GameParameters,
    tmp_path: Path,
    choose: Callable[[list[Read]], int],
) -> None:
    """The same game through the real contracts — factory, FaultDisputeGame, MIPS.vy, PreimageOracle —
    between the agents' honest challenger and a liar, run to the last credit."""
    program, params = mips_program, mips_params
    evm = EmbeddedChain()
    chain = TransitionChain(ANCHOR_BLOCK)
    system = deploy_game_system(
        evm,
        [GameSetup(params, "mips32")],
        anchor_root=chain.anchor_root,
        anchor_block=ANCHOR_BLOCK,
        challenge_period=params.challenge_period,
        finality_delay=FINALITY_DELAY,
        weth_delay=WETH_DELAY,
        l2_chain_id=L2_CHAIN_ID,
    )
    liar_account, honest_account = evm.accounts[1], evm.accounts[2]
    l2_block = ANCHOR_BLOCK + (1 << params.split_depth)
    lies = FalseOutputs(chain, ANCHOR_BLOCK + (1 << params.split_depth) // 2 + 1)
    game = system.create_game(params.game_type, lies.output_root(l2_block), l2_block, liar_account)
    before = {account.address: evm.balance(account.address) for account in (liar_account, honest_account)}

    events: list[AgentEvent] = []
    traces = {
        params.game_type: GameTraces(program.absolute_prestate, chain, transition_bottom(chain, program))
    }
    honest = HonestChallenger(
        evm,
        honest_account,
        traces=traces,
        games=[game.address],
        trace_dir=tmp_path / "honest",
        on_event=events.append,
    )
    chosen: list[int] = []
    view = liar_view(chain, program, lies, tmp_path / "liar", choose, chosen)
    liar = Liar(evm, liar_account, view=view, on_event=events.append)
    result = Runner(evm, [honest, liar], games=[game.address], on_event=events.append).run()

    final = result.games[game.address]
    assert final.status == GameStatus.CHALLENGER_WINS
    assert [event for event in events if event.kind == EventKind.REVERTED] == []
    # one step, the honest side's, at instruction t*, after loading the part it reads
    steps = [event for event in events if event.kind == EventKind.STEP]
    assert [event.agent for event in steps] == ["challenger"]
    (t_star,) = chosen
    leaf = final.claims[steps[0].claim_index]
    assert leaf.depth == params.max_game_depth and leaf.countered_by == honest_account.address
    local_t = trace_index(leaf.position, params.max_game_depth) % params.exec_trace_length
    assert local_t in (t_star, t_star - 1)
    moves = [event for event in events if event.kind == EventKind.MOVE]
    assert len(moves) == len(final.claims) - 1
    loads = [event.kind for event in events if event.kind in (EventKind.PREIMAGE, EventKind.LOCAL_DATA)]
    assert loads == ([EventKind.PREIMAGE] if choose is keccak_read else [EventKind.LOCAL_DATA])

    # every bond to the honest side, paid out through DelayedWETH; nothing left in the game
    assert final.bond_distribution_mode == BondDistributionMode.NORMAL
    liar_bonds = sum(claim.bond for claim in final.claims if claim.claimant == liar_account.address)
    root_bond = final.claims[0].bond
    assert evm.balance(honest_account.address) == before[honest_account.address] + liar_bonds - honest.fees
    assert (
        evm.balance(liar_account.address)
        == before[liar_account.address] - (liar_bonds - root_bond) - liar.fees
    )
    withdrawn = [event.recipient for event in events if event.kind == EventKind.CREDIT_WITHDRAWN]
    assert withdrawn == [honest_account.address]
    assert evm.balance(system.weth.address) == 0
