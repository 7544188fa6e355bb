"""The contracts and the Python rules, held equal on random games and at every depth (dispute-game.md
§9, §10, §17).

Random sequences of moves, steps, local data, resolutions and waits are sent to a game contract and to
``GameModel`` at the same seconds: every call must end alike (the same revert reason, or success) and
the whole readable state must stay equal. ``AlphabetVM.vy`` is held to the Python ``AlphabetVM`` on
§17.6's vectors and on random states, and the mainnet shape's clocks to ``game/clocks.py`` at every
depth.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultproof.chain import Account, Chain, Contract, EmbeddedChain, dev_accounts
from faultproof.crypto import keccak256
from faultproof.errors import ExecutionReverted, PreimagePartUnavailable, StepFailure
from faultproof.game import alphabet
from faultproof.game.clocks import clock_after_move, clock_extension, expiry
from faultproof.game.configs import MAINNET, MINIMAL, UNIT
from faultproof.game.model import LoadedParts
from faultproof.game.params import GameParameters
from faultproof.game.resolution import GameStatus
from faultproof.onchain.deployment import compile_for_deployment
from faultproof.onchain.games import compile_game_contract
from faultproof.preimage.keys import local_key, localize
from faultproof.trace.split import SplitTraceAccessor
from game_chain import ALPHABET_BAD_STATE, ORACLE_MISSING_PART, Mirror, alphabet_system
from honest_play import accessor, plan
from test_game_play import LyingOutputs, lying_bottom

PROPOSER, HONEST, LIAR, RIVAL = dev_accounts()[1:5]
PLAYERS = (HONEST, LIAR)

# -- AlphabetVM.vy against the Python AlphabetVM (§17.3, §17.6) -------------------------------------

CONTEXT = keccak256(b"a local context")
VECTORS_N = 8
VECTORS_BLOCK = 5


@pytest.fixture(scope="module")
def alphabet_vm() -> tuple[Chain, Contract, Contract]:
    chain = EmbeddedChain()
    oracle = chain.deploy(compile_for_deployment("PreimageOracle"), 126_000, 0)
    vm = chain.deploy(compile_game_contract("AlphabetVM"), VECTORS_N, oracle.address)
    return chain, oracle, vm


def load(oracle: Contract, parts: LoadedParts, ident: int, value: bytes, offset: int, context: bytes) -> None:
    """Local input ``ident`` loaded by the caller (accounts[0]) on chain and in ``parts``."""
    caller = dev_accounts()[0].address
    oracle.loadLocalData(ident, context, value.ljust(32, b"\0"), len(value), offset)
    parts.load(localize(local_key(ident), context, caller), value, offset)


def step_both(vm: Contract, parts: LoadedParts, state: bytes, context: bytes = CONTEXT) -> bytes | str | None:
    """The contract's post-state, which must be the Python VM's; or the revert both give."""
    python = alphabet.AlphabetVM(VECTORS_N)
    expected: bytes | str | None
    try:
        expected = python.step(state, b"", context, parts, dev_accounts()[0].address)
    except PreimagePartUnavailable:
        expected = ORACLE_MISSING_PART
    except StepFailure:
        expected = ALPHABET_BAD_STATE
    try:
        output = vm.step(state, b"", context)
    except ExecutionReverted as error:
        output = error.reason
    assert output == expected
    return expected


def test_alphabet_vm_vectors(alphabet_vm: tuple[Chain, Contract, Contract]) -> None:
    """§17.6: the claims of the subgame disputing block 5 with N = 8, from the prestate to the end."""
    _, oracle, vm = alphabet_vm
    parts = LoadedParts()
    assert vm.oracle() == oracle.address
    assert step_both(vm, parts, alphabet.PRESTATE_DATA) == ORACLE_MISSING_PART  # no local data yet
    load(oracle, parts, 4, VECTORS_BLOCK.to_bytes(8, "big"), 0, CONTEXT)
    expected = {
        0: "03689cd4a84e23ad2f564004f1c9013e9589d260bde6380aba3ca7e09e4df40c",
        1: "038b78633099fa36ed8b8680c4f8092689e1e04080eb9cbb077ca38a14d7e384",
        6: "03dda56b5d08466ec462cbbe0adfa57cb0a15fcc8940ef68f702f21b787bc935",
    }
    for t, claim in expected.items():
        assert step_both(vm, parts, alphabet.state_data(VECTORS_BLOCK, t)) == bytes.fromhex(claim)
    last = alphabet.state_data(VECTORS_BLOCK, 7)
    assert step_both(vm, parts, last) == ORACLE_MISSING_PART  # the end reads the disputed output
    load(oracle, parts, 3, alphabet.output_root(VECTORS_BLOCK), 8, CONTEXT)
    root = "238f30f286c9a1c6e901c4eda3b214c381c846e3dbe48df95c21488e8e1fdb"
    assert step_both(vm, parts, last) == bytes.fromhex("00" + root)
    other = keccak256(b"other context")
    load(oracle, parts, 3, keccak256(b"not O(5)"), 8, other)
    assert step_both(vm, parts, last, other) == bytes.fromhex("01" + root)
    for malformed in (b"", bytes(31), bytes(32), bytes(33), bytes(63)):
        assert step_both(vm, parts, malformed) == ALPHABET_BAD_STATE


@settings(max_examples=25)
@given(
    block=st.integers(0, 2**256 - 1),
    step=st.one_of(st.integers(0, 12), st.integers(0, 2**256 - 1)),
    disputed=st.sampled_from(["true", "false"]),
)
def test_alphabet_vm_random_states(
    alphabet_vm: tuple[Chain, Contract, Contract], block: int, step: int, disputed: str
) -> None:
    """Any 64-byte state steps alike, past the end of the trace too (an ended trace steps to itself)."""
    _, oracle, vm = alphabet_vm
    parts = LoadedParts()
    context = keccak256(block.to_bytes(32, "big") + disputed.encode())
    value = alphabet.output_root(block) if disputed == "true" else keccak256(b"x")
    load(oracle, parts, 3, value, 8, context)
    state = block.to_bytes(32, "big") + step.to_bytes(32, "big")
    assert isinstance(step_both(vm, parts, state, context), bytes)


# -- random games --------------------------------------------------------------------------------------

WAITS = (1, 1, 30, 59, 60, 61, 3_599, 10_799, 10_800, 21_600, 151_200, 302_399, 302_400)


def liar_view(mirror: Mirror) -> SplitTraceAccessor:
    """A consistent liar: wrong outputs for the proposal's block and the one before, a shifted trace."""
    block = mirror.model.l2_block_number
    outputs = LyingOutputs(frozenset({block, block - 1}))
    return accessor(mirror.model, outputs, lying_bottom(mirror.params.exec_depth, outputs, 1))


def random_value(mirror: Mirror, data: st.DataObject, parent: int, position: int) -> bytes:
    """The honest value, the liar's, or garbage with a random status byte."""
    choice = data.draw(st.sampled_from(["honest", "garbage", "garbage", "liar"]))
    try:
        if choice == "honest":
            return mirror.honest_value(parent, position)
        if choice == "liar":
            return liar_view(mirror).get(mirror.model.claims, parent, position)
    except Exception:  # no such position in a trace: the move reverts anyway
        pass
    status = data.draw(st.sampled_from([0, 1, 2, 3, 7]))
    return bytes([status]) + keccak256(data.draw(st.binary(max_size=3)))[1:]


def some_claim(mirror: Mirror, data: st.DataObject) -> int:
    """An index, mostly of a recent claim; one past the array now and then."""
    count = len(mirror.model.claims)
    return data.draw(st.one_of(st.integers(max(0, count - 3), count - 1), st.integers(0, count)))


def random_move(mirror: Mirror, data: st.DataObject) -> None:
    claims = mirror.model.claims
    parent = some_claim(mirror, data)
    is_attack = data.draw(st.booleans())
    position = (claims[parent].position if parent < len(claims) else 1) * 2 + (0 if is_attack else 2)
    value = random_value(mirror, data, parent, position)
    bond = mirror.bond(parent, is_attack) + data.draw(st.sampled_from([0, 0, 0, 0, 1, -1]))
    disputed = None if data.draw(st.integers(0, 9)) else keccak256(b"stale")
    sender = data.draw(st.sampled_from((HONEST, LIAR, RIVAL)))
    mirror.move(parent, is_attack, value, sender, disputed=disputed, bond=max(bond, 0))


def random_step(mirror: Mirror, data: st.DataObject) -> None:
    """A step against a leaf (or another claim), with the honest or a wrong witness, its local data
    loaded or not."""
    claims = mirror.model.claims
    leaves = [i for i, c in enumerate(claims) if c.depth == mirror.params.max_game_depth]
    index = data.draw(st.sampled_from(leaves)) if leaves else some_claim(mirror, data)
    is_attack = data.draw(st.booleans())
    step = None
    if index < len(claims):
        position = claims[index].position + (0 if is_attack else 1)
        try:
            step = accessor(mirror.model).get_step_data(claims, index, position)
        except Exception:  # not a leaf: any state will do, the step reverts before using it
            step = None
    state = step.pre_state if step is not None and data.draw(st.booleans()) else alphabet.state_data(7, 3)
    if step is not None and step.oracle is not None and data.draw(st.integers(0, 3)):
        mirror.add_local_data(step.oracle.local_ident, index, step.oracle.offset, RIVAL)
    mirror.step(index, is_attack, state, b"", data.draw(st.sampled_from(PLAYERS)))


def play_plan(mirror: Mirror, view: SplitTraceAccessor, sender: Account, data: st.DataObject) -> None:
    """Some of what a player's planner asks for (all of it, for the honest side, most of the time)."""
    for action in plan(mirror.model, view):
        if data.draw(st.integers(0, 3)):
            mirror.perform(action, sender)


def random_turn(mirror: Mirror, data: st.DataObject) -> None:
    kinds = ["move"] * 3 + ["liar"] * 3 + ["honest"] * 3 + ["step"] * 2 + ["local data", "resolve", "wait"]
    kind = data.draw(st.sampled_from(kinds))
    if kind == "move":
        random_move(mirror, data)
    elif kind == "liar":
        play_plan(mirror, liar_view(mirror), LIAR, data)
    elif kind == "honest":
        play_plan(mirror, accessor(mirror.model), HONEST, data)
    elif kind == "step":
        random_step(mirror, data)
    elif kind == "local data":
        ident, offset = data.draw(st.integers(0, 6)), data.draw(st.sampled_from([0, 8, 15, 16, 39, 40]))
        mirror.add_local_data(ident, some_claim(mirror, data), offset, RIVAL)
    elif kind == "resolve":
        if data.draw(st.integers(0, 4)) == 0:
            mirror.resolve(RIVAL)
        else:
            pages = st.sampled_from([0, 0, 1, 2, 7, 2**256 - 1])
            mirror.resolve_claim(some_claim(mirror, data), data.draw(pages), RIVAL)
    else:
        mirror.wait(data.draw(st.sampled_from(WAITS)))


def finish(mirror: Mirror) -> None:
    """Resolve whatever is left once every clock has run out (pages of any size), then the game."""
    if mirror.model.status != GameStatus.IN_PROGRESS:
        return
    mirror.wait_until(mirror.model.created_at + 3 * mirror.params.max_clock_duration + 10**7)
    resolution = mirror.model.resolution
    for index in reversed(range(len(mirror.model.claims))):
        while index not in resolution.resolved:
            assert not mirror.resolve_claim(index, 2**256 - 1, RIVAL).reverted
    assert not mirror.resolve(RIVAL).reverted


def play_random_game(params: GameParameters, data: st.DataObject) -> None:
    system = alphabet_system(params)
    honest_root = data.draw(st.booleans())
    root = None if honest_root else keccak256(b"a wrong root")
    mirror = Mirror(system, params, PROPOSER, root_claim=root)
    for _ in range(data.draw(st.integers(5, 40))):
        random_turn(mirror, data)
    mirror.check_state()
    finish(mirror)
    mirror.check_state()


SHAPES = st.sampled_from([MINIMAL, UNIT])


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, st.data())
def test_random_games_agree_with_the_model(params: GameParameters, data: st.DataObject) -> None:
    play_random_game(params, data)


@pytest.mark.slow
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, st.data())
def test_many_random_games_agree_with_the_model(params: GameParameters, data: st.DataObject) -> None:
    play_random_game(params, data)


# -- clocks at every depth of the mainnet shape (§9) -------------------------------------------------


def mainnet_line(stall: bool) -> Mirror:
    """Attacks from the root to MAX on a MAINNET-shaped alphabet game, each sent either at once or at
    the last second its team's clock allows (so §9.2 caps every stored duration)."""
    mirror = Mirror(alphabet_system(MAINNET), MAINNET, PROPOSER, root_claim=keccak256(b"a wrong root"))
    parent = 0
    for _ in range(MAINNET.max_game_depth):
        claim = mirror.model.claims[parent]
        grandparent = 0 if parent == 0 else mirror.model.claims[claim.parent_index].clock.duration
        if stall:
            mirror.wait_until(expiry(grandparent, claim.clock, MAINNET) - 1)
        parent = mirror.descend(parent, [True], PLAYERS)[0]
    return mirror


@pytest.mark.parametrize("stall", [True, False])
def test_clock_arithmetic_at_every_mainnet_depth(stall: bool) -> None:
    mirror = mainnet_line(stall)
    claims = mirror.model.claims
    for index in range(1, len(claims)):
        claim, parent = claims[index], claims[claims[index].parent_index]
        grandparent = 0 if claim.parent_index == 0 else claims[parent.parent_index].clock.duration
        duration = min(
            MAINNET.max_clock_duration, grandparent + claim.clock.timestamp - parent.clock.timestamp
        )
        assert claim.clock == clock_after_move(duration, claim.depth, claim.clock.timestamp, MAINNET)
        if stall:  # the extension of this depth decides the stored duration
            assert claim.clock.duration == MAINNET.max_clock_duration - clock_extension(claim.depth, MAINNET)
    mirror.check_state()  # the contract stored the same clocks
    now = mirror.settle()
    for index in range(len(claims)):
        assert mirror.game.getChallengerDuration(index) == mirror.model.challenger_duration(index, now)
    mirror.resolve_all(HONEST)  # §9.4: every claim is resolvable by the bound
    mirror.check_state()
