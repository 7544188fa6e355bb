"""Steps and local data on the FaultDisputeGame contract, held to the Python model (dispute-game.md
§7, §17; §18 K20, K21, K29, K31).

Which claims a step compares (§7.2) and when it counters (§7.3), on §2.4's positions; the VM's
revert passing through; the real MIPS and RISC-V verifiers reached with canonical calldata; the
local inputs ``addLocalData`` loads and the local context both compute (§7.4, §7.5).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from eth_abi.abi import encode

from faultproof.agents.planner import Step
from faultproof.chain import EmbeddedChain
from faultproof.crypto import keccak256
from faultproof.errors import ExecutionReverted
from faultproof.game import alphabet
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.game.resolution import GameStatus
from faultproof.memory import Memory
from faultproof.onchain.games import (
    GameSetup,
    GameSystem,
    deploy_game_system,
)
from faultproof.onchain.verify import step_calldata
from faultproof.preimage.keys import local_key, localize
from faultproof.preimage.parts import preimage_part
from faultproof.vm.interface import FaultProofVM
from faultproof.vm.mips32.state import MipsState
from faultproof.vm.mips32.vm import MipsVM
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.vm import RiscvVM
from faultproof.vm.status import VMStatus
from game_chain import (
    ANCHOR_BLOCK,
    ANCHOR_ROOT,
    HONEST,
    LIAR,
    LIE,
    RIVAL,
    Mirror,
    alphabet_system,
    leaf_to_step_on,
    lying_game,
    revert_reason,
)
from honest_play import accessor
from test_game_model import status_value

PLAYERS = (HONEST, LIAR)  # even depths, odd depths
ERROR_STRING = keccak256(b"Error(string)")[:4]


# -- §7: steps -----------------------------------------------------------------------------------------


def test_step_counters_a_wrong_leaf(unit_system: GameSystem) -> None:
    mirror, step = leaf_to_step_on(unit_system)
    assert step.is_attack and step.data.pre_state == alphabet.PRESTATE_DATA
    leaf = mirror.model.claims[step.claim]
    assert leaf.depth == UNIT.max_game_depth and leaf.claimant == LIAR.address
    claims = mirror.game.claimDataLen()
    outcome = mirror.perform(step, HONEST)
    assert outcome.receipt is not None and mirror.game.claimDataLen() == claims
    assert mirror.game.claimData(step.claim)[1] == HONEST.address
    mirror.check_state()
    mirror.resolve_all(HONEST)
    assert mirror.game.status() == GameStatus.CHALLENGER_WINS
    assert mirror.game.normalModeCredit(LIAR.address) == 0
    mirror.check_state()


def test_k31_a_step_reading_an_unloaded_part_reverts_with_the_oracles_data(unit_system: GameSystem) -> None:
    """K31: the VM's revert (the oracle's, here) passes through the game unchanged."""
    mirror, step = leaf_to_step_on(unit_system)
    with pytest.raises(ExecutionReverted) as raised:
        mirror.game.step(step.claim, True, step.data.pre_state, b"", sender=HONEST)
    assert raised.value.data == ERROR_STRING + encode(["string"], ["pre-image must exist"])
    assert mirror.step(step.claim, True, step.data.pre_state, b"", HONEST).reason == "pre-image must exist"
    assert not mirror.add_local_data(4, step.claim, 0, RIVAL).reverted
    assert not mirror.step(step.claim, True, step.data.pre_state, b"", HONEST).reverted
    mirror.check_state()


def test_k29_k17_first_stepper_wins_and_a_second_step_reverts(unit_system: GameSystem) -> None:
    mirror, step = leaf_to_step_on(unit_system)
    assert not mirror.perform(step, RIVAL).reverted  # a front-runner
    assert mirror.perform(step, HONEST).reason == "DuplicateStep"
    mirror.resolve_all(HONEST)
    assert mirror.game.normalModeCredit(RIVAL.address) == mirror.model.claims[step.claim].bond
    mirror.check_state()


def test_step_reverts(unit_system: GameSystem) -> None:
    """InvalidParent away from MAX, InvalidPrestate for the wrong state, ValidStep against a right leaf."""
    mirror, step = leaf_to_step_on(unit_system)
    pre = step.data.pre_state
    assert mirror.step(len(mirror.model.claims), True, pre, b"", HONEST).reason is None
    assert mirror.step(1, True, pre, b"", HONEST).reason == "InvalidParent"
    assert mirror.step(step.claim, True, alphabet.state_data(5, 1), b"", HONEST).reason == "InvalidPrestate"
    assert mirror.step(step.claim, False, pre, b"", HONEST).reason == "InvalidPrestate"
    leaf = mirror.model.claims[step.claim]
    right = mirror.honest_value(leaf.parent_index, leaf.position)
    assert not mirror.move(leaf.parent_index, True, right, LIAR).reverted  # the right value there
    honest_leaf = len(mirror.model.claims) - 1
    assert not mirror.add_local_data(4, honest_leaf, 0, HONEST).reverted
    assert mirror.step(honest_leaf, True, pre, b"", HONEST).reason == "ValidStep"
    mirror.check_state()


def exec_subgame(mirror: Mirror, exec_root_value: bytes | None = None) -> dict[int, int]:
    """§2.4's subgame of a UNIT game: the outputs 2, 4, 8, 16 and the exec root 34 (defending 16,
    so disputing output 8), each honest unless ``exec_root_value`` is given; position → index."""
    indices = dict(zip([2, 4, 8, 16], honest_line(mirror, 0, [True] * 4), strict=True))
    value = exec_root_value or mirror.honest_value(indices[16], 34)
    indices[34] = mirror.descend(indices[16], [False], PLAYERS, {34: value})[0]
    return indices


def honest_line(
    mirror: Mirror, parent: int, moves: list[bool], wrong: frozenset[int] = frozenset()
) -> list[int]:
    """Honest claims below ``parent`` (the positions in ``wrong`` get a wrong value instead)."""
    indices = []
    for is_attack in moves:
        position = mirror.model.claims[parent].position * 2 + (0 if is_attack else 2)
        value = LIE if position in wrong else mirror.honest_value(parent, position)
        parent = mirror.descend(parent, [is_attack], PLAYERS, {position: value})[0]
        indices.append(parent)
    return indices


def step_on(mirror: Mirror, leaf: int, is_attack: bool) -> str | None:
    """The honest witness's step against ``leaf``, its local data loaded first: the revert reason."""
    position = mirror.model.claims[leaf].position + (0 if is_attack else 1)
    data = accessor(mirror.model).get_step_data(mirror.model.claims, leaf, position)
    return mirror.perform(Step(leaf, is_attack, data), HONEST).reason


def test_step_success_conditions_unit(unit_system: GameSystem) -> None:
    """§7.2, §7.3 on §2.4's positions: an attack against the agreed predecessor (the absolute prestate
    for t' = 0, claim 68 for t' = 4), a defense against the same team's next claim (274 → 68) and
    one against the opposing team's (278 → the exec root 34), each countering or ``ValidStep``."""
    mirror = lying_game(unit_system)
    subgame = exec_subgame(mirror)
    i68, i136 = honest_line(mirror, subgame[34], [True, True])
    (i138,) = honest_line(mirror, i68, [False])
    (i272,) = honest_line(mirror, i136, [True])
    (wrong272,) = honest_line(mirror, i136, [True], frozenset({272}))
    (i276,) = honest_line(mirror, i138, [True])
    (wrong276,) = honest_line(mirror, i138, [True], frozenset({276}))
    (i274,) = honest_line(mirror, i136, [False])
    (i278,) = honest_line(mirror, i138, [False])
    assert step_on(mirror, i272, True) == "ValidStep"  # S_1 follows the prestate
    assert step_on(mirror, wrong272, True) is None
    assert step_on(mirror, i276, True) == "ValidStep"  # S_5 follows 68's S_4
    assert step_on(mirror, wrong276, True) is None
    assert step_on(mirror, i274, False) == "ValidStep"  # same team: S_3 leads to 68's S_4
    assert step_on(mirror, i278, False) is None  # opposing team: S_7 leads to the exec root's S_8
    # Against a wrong 68 (same team) a right 274 counters; against a wrong exec root a right 278 does not.
    (wrong68,) = honest_line(mirror, subgame[34], [True], frozenset({68}))
    (j274,) = honest_line(mirror, honest_line(mirror, wrong68, [True])[0], [False])
    assert step_on(mirror, j274, False) is None
    mirror.check_state()


def test_defense_against_a_wrong_exec_root_is_a_valid_step(unit_system: GameSystem) -> None:
    mirror = lying_game(unit_system)
    subgame = exec_subgame(mirror, status_value(VMStatus.VALID, b"wrong"))
    _, i138 = honest_line(mirror, subgame[34], [True, False])
    (i278,) = honest_line(mirror, i138, [False])
    assert step_on(mirror, i278, False) == "ValidStep"
    assert step_on(mirror, i278, True) == "ValidStep"  # and S_7 does follow 138's S_6
    mirror.check_state()


def one_step_vm(kind: str) -> FaultProofVM:
    """A VM whose first step needs no preimage: MIPS's empty state (a nop at pc 0), RISC-V's
    ``addi x1, x0, 1`` at pc 0 (riscv64.md §13.4 C)."""
    if kind == "mips32":
        return MipsVM(MipsState(), Memory(32))
    memory = Memory(64)
    memory.write(0, bytes.fromhex("93001000"))
    return RiscvVM(RiscvState(), memory)


@pytest.mark.parametrize("kind", ["mips32", "riscv64"])
def test_steps_reach_the_real_verifiers_with_canonical_calldata(kind: str) -> None:
    """§7.1 row 6 with MIPS.vy and RISCV.vy, which accept only canonical ABI calldata: an attack step
    on a wrong first leaf counters it, one on the right leaf is a ValidStep, and a verifier's revert
    reaches the caller byte for byte."""
    vm = one_step_vm(kind)
    params = replace(MINIMAL, game_type=0 if kind == "mips32" else 2, absolute_prestate=vm.state_hash())
    system = deploy_game_system(
        EmbeddedChain(),
        [GameSetup(params, kind)],
        anchor_root=ANCHOR_ROOT,
        anchor_block=ANCHOR_BLOCK,
        challenge_period=params.challenge_period,
    )
    proof = vm.step(proof=True)
    assert proof is not None
    game = system.create_game(params.game_type, LIE, ANCHOR_BLOCK + 4, LIAR)
    parent, values = 0, [keccak256(b"2"), keccak256(b"4"), status_value(VMStatus.INVALID), LIE, proof.post]
    for depth, value in enumerate(values[:4], start=1):
        game.attack(
            game.claimData(parent)[4],
            parent,
            value,
            sender=PLAYERS[depth % 2],
            value=game.getRequiredBond(1 << depth),
        )
        parent += 1
    right_leaf = game.claimDataLen()
    game.attack(game.claimData(3)[4], 3, proof.post, sender=LIAR, value=game.getRequiredBond(16))
    wrong_leaf = parent
    step = partial(game.step, wrong_leaf, True, proof.state_data, proof.proof_data, sender=HONEST)
    assert (
        revert_reason(partial(game.step, right_leaf, True, proof.state_data, proof.proof_data)) == "ValidStep"
    )
    tampered = bytearray(proof.proof_data)
    tampered[40] ^= 1  # a sibling of the instruction's memory proof
    with pytest.raises(ExecutionReverted) as through_game:
        game.step(wrong_leaf, True, proof.state_data, bytes(tampered), sender=HONEST)
    verifier = system.verifiers[params.game_type]
    direct = replace(proof, proof_data=bytes(tampered))  # any local context: the step reads no preimage
    with pytest.raises(ExecutionReverted) as directly:
        system.chain.call(verifier.address, step_calldata(direct, keccak256(b"any")))
    assert through_game.value.data == directly.value.data != b""
    step()
    assert game.claimData(wrong_leaf)[1] == HONEST.address


# -- §7.4, §7.5: local data ----------------------------------------------------------------------------


def test_add_local_data_loads_each_input(unit_system: GameSystem) -> None:
    mirror = lying_game(unit_system)
    subgame = exec_subgame(mirror)
    (leaf,) = honest_line(mirror, subgame[34], [True])
    sizes = {1: 32, 2: 32, 3: 32, 4: 8, 5: 8}
    for ident, size in sizes.items():
        for offset in (0, 1, size, size + 7):
            assert not mirror.add_local_data(ident, leaf, offset, RIVAL).reverted
        assert mirror.add_local_data(ident, leaf, size + 8, RIVAL).reason == "PartOffsetOOB"
    for ident in (0, 6, 2**256 - 1):
        assert mirror.add_local_data(ident, leaf, 0, RIVAL).reason == "InvalidLocalIdent"
    assert mirror.add_local_data(4, subgame[16], 0, RIVAL).reason == "ClaimAboveSplit"
    assert mirror.add_local_data(4, 0, 0, RIVAL).reason == "ClaimAboveSplit"
    assert mirror.add_local_data(4, len(mirror.model.claims), 0, RIVAL).reason is None
    oracle = unit_system.oracle
    for (key, offset), part in mirror.model.oracle.parts.items():
        assert oracle.readPreimage(key, offset) == part
    assert len(mirror.model.oracle.parts) == 4 * len(sizes)
    # Idents 2 and 3: the starting output 16 and the disputed output 8 (34 defends 16).
    transition = mirror.model.local_transition(leaf)
    assert (transition.starting.position, transition.disputed.position) == (16, 8)


def test_local_context_vector() -> None:
    """§17.6: an exec root attacking the first output of a MAX 8 / SPLIT 4 game anchored at block 0
    has the local context H(O(1) ‖ BE32(16))."""
    system = alphabet_system(UNIT, anchor_block=0)
    mirror = Mirror(system, UNIT, LIAR, root_claim=LIE)
    exec_root = mirror.descend(0, [True] * 5, PLAYERS, {16: alphabet.output_root(1)})[-1]
    context = bytes.fromhex("b3ba6764036771432b62734d5fef000bedb243afe5e976c056fc607f4f106af5")
    assert mirror.model.local_transition(exec_root).local_context == context
    assert not mirror.add_local_data(3, exec_root, 8, HONEST).reverted
    key = localize(local_key(3), context, mirror.game.address)
    assert system.oracle.readPreimage(key, 8) == (alphabet.output_root(1), 32)


def test_k20_clamped_disputed_block(minimal_system: GameSystem) -> None:
    """K20: under a position past the proposal's block, local key 4 is the claimed block."""
    block = ANCHOR_BLOCK + 3  # MINIMAL spans 4 blocks; the root claims only 3
    mirror = Mirror(minimal_system, MINIMAL, LIAR, root_claim=LIE, l2_block_number=block)
    (two,) = mirror.descend(0, [True], PLAYERS)
    _, exec_root, leaf = mirror.descend(two, [False, False, True], PLAYERS)
    assert mirror.model.claims[exec_root].position == 14
    assert not mirror.add_local_data(4, leaf, 0, HONEST).reverted
    context = mirror.model.local_transition(leaf).local_context
    part, length = minimal_system.oracle.readPreimage(localize(local_key(4), context, mirror.game.address), 0)
    assert part == preimage_part(block.to_bytes(8, "big"), 0)[0] and length == 16


def test_k21_local_data_is_per_transition_and_per_game(unit_system: GameSystem) -> None:
    """K21: two exec subgames load under different keys, and nobody else can fill the game's keys."""
    mirror = lying_game(unit_system)
    subgame = exec_subgame(mirror)
    attack_root = mirror.descend(subgame[16], [True], PLAYERS)[0]
    contexts = {mirror.model.local_transition(i).local_context for i in (subgame[34], attack_root)}
    assert len(contexts) == 2
    oracle = unit_system.oracle
    for index in (subgame[34], attack_root):
        assert not mirror.add_local_data(4, index, 0, HONEST).reverted
    keys = {localize(local_key(4), context, mirror.game.address) for context in contexts}
    assert all(oracle.preimagePartOk(key, 0) for key in keys)
    # The oracle localizes with its caller: a direct load lands in the caller's namespace.
    context = next(iter(contexts))
    oracle.loadLocalData(4, context, (99).to_bytes(8, "big").ljust(32, b"\0"), 8, 0, sender=RIVAL)
    assert oracle.preimagePartOk(localize(local_key(4), context, RIVAL.address), 0)
    assert localize(local_key(4), context, RIVAL.address) not in keys
    mirror.check_state()
