"""The game's state machine in Python, rule by rule and revert by revert (spec: dispute-game.md §5–§11).

Known attacks of §18 decidable without a chain fail here: K1, K3, K6, K8–K12, K14, K17, K20, K21,
K29, K31 (the part about an unloaded preimage part). The rest need the contracts and are for their
tests: K13 (creator is the factory's ``msg.sender``), K15 (game types at full width in the
factory/ASR), K16 (``extraData`` length and the factory's UUID), K22–K25 (DelayedWETH), K26–K28
(anchor state registry, pause, deployment order), K30 (ETH transfers to contract recipients).
"""

from __future__ import annotations

import pytest
import rlp

from faultproof.crypto import keccak256
from faultproof.errors import PreimagePartUnavailable
from faultproof.game import alphabet
from faultproof.game.bonds import DEFAULT_INIT_BOND, required_bond
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.model import GameModel
from faultproof.game.positions import attack, move
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.game.split import exec_root_statuses
from faultproof.game.tree import ZERO_ADDRESS, ancestor_at_depth
from faultproof.preimage.keys import local_key, localize
from faultproof.vm.status import VMStatus
from honest_play import (
    ADVERSARY,
    ANCHOR_BLOCK,
    HONEST,
    Move,
    Step,
    accessor,
    alphabet_game,
    game_over,
    perform,
    plan,
    resolve_all,
    respond,
)
from test_game_play import LyingOutputs, lying_bottom

STEPPER = b"\x57" * 20
RIVAL = b"\x5e" * 20
LIE = keccak256(b"a lie")


def reverts(error: GameError, call: object, *args: object) -> None:
    with pytest.raises(GameRuleError) as raised:
        call(*args)  # type: ignore[operator]
    assert raised.value.reason == error


def bond(model: GameModel, parent: int, is_attack: bool) -> int:
    return required_bond(move(model.claims[parent].position, is_attack), model.params.max_game_depth)


def post(
    model: GameModel, parent: int, is_attack: bool, value: bytes, sender: bytes = ADVERSARY, now: int = 0
) -> int:
    return model.move(
        model.claims[parent].claim, parent, value, is_attack, sender, bond(model, parent, is_attack), now
    )


def status_value(status: int, tag: bytes = b"") -> bytes:
    return bytes([status]) + keccak256(b"exec root" + tag)[1:]


def test_initialize() -> None:
    game = alphabet_game(UNIT)
    root = game.claims[0]
    assert (root.position, root.parent_index, root.bond, root.claimant) == (
        1,
        2**32 - 1,
        DEFAULT_INIT_BOND,
        HONEST,
    )
    assert root.clock.duration == 0 and game.credit(BondDistributionMode.REFUND) == {
        HONEST: DEFAULT_INIT_BOND
    }
    with pytest.raises(GameRuleError) as raised:
        alphabet_game(UNIT, l2_block_number=ANCHOR_BLOCK)
    assert raised.value.reason == GameError.UNEXPECTED_ROOT_CLAIM
    with pytest.raises(GameRuleError) as raised:
        GameModel(UNIT, alphabet.AlphabetVM(8).step, root_claim=LIE, l2_block_number=2, anchor_root=bytes(32),
                  anchor_block=1, creator=HONEST, init_bond=0, now=0)  # fmt: skip
    assert raised.value.reason == GameError.ANCHOR_ROOT_NOT_FOUND


def test_move_effects() -> None:
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    index = post(game, 0, True, alphabet.output_root(1), HONEST, now=100)
    claim = game.claims[index]
    assert (claim.parent_index, claim.claimant, claim.position, claim.countered_by) == (
        0,
        HONEST,
        2,
        ZERO_ADDRESS,
    )
    assert claim.bond == required_bond(2, 8) and claim.clock.timestamp == 100 and claim.clock.duration == 100
    assert game.children[0] == [index]
    assert game.credit(BondDistributionMode.REFUND)[HONEST] == claim.bond


def test_k12_stale_disputed_claim() -> None:
    """K12: a move names the value it disputes, so a reorg re-pointing the index cannot redirect it."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    reverts(
        GameError.INVALID_DISPUTED_CLAIM_INDEX,
        game.move,
        b"\x00" * 32,
        0,
        LIE,
        True,
        HONEST,
        bond(game, 0, True),
        0,
    )


def test_k11_no_defense_of_a_whole_trace() -> None:
    """K11: the root and exec roots commit to whole traces; agreeing with them means not moving."""
    game = alphabet_game(MINIMAL, LIE, proposer=ADVERSARY)
    reverts(GameError.CANNOT_DEFEND_ROOT_CLAIM, post, game, 0, False, LIE)
    two = post(game, 0, True, alphabet.output_root(ANCHOR_BLOCK + 2), HONEST)
    four = post(game, two, True, LIE)
    exec_root = post(game, four, True, status_value(VMStatus.INVALID), HONEST)
    reverts(GameError.CANNOT_DEFEND_ROOT_CLAIM, post, game, exec_root, False, LIE)
    post(game, exec_root, True, LIE)  # attacking it is fine


def test_k10_wrong_stance_exec_roots() -> None:
    """K10 on the model: the status byte is checked against the move's stance (§6.3)."""
    game = alphabet_game(MINIMAL, LIE, proposer=ADVERSARY)
    two = post(game, 0, True, alphabet.output_root(ANCHOR_BLOCK + 2), HONEST)
    four = post(game, two, True, LIE)  # MINIMAL: 4 is at the split
    reverts(GameError.UNEXPECTED_ROOT_CLAIM, post, game, four, True, status_value(VMStatus.VALID))
    reverts(GameError.UNEXPECTED_ROOT_CLAIM, post, game, four, True, status_value(VMStatus.UNFINISHED))
    reverts(GameError.UNEXPECTED_ROOT_CLAIM, post, game, four, False, status_value(VMStatus.INVALID))
    post(game, four, True, status_value(VMStatus.PANIC))
    post(game, four, False, status_value(VMStatus.VALID))  # defends 4 against 2: the mover's team posted 2


def test_depth_and_bond() -> None:
    game = alphabet_game(MINIMAL, LIE, proposer=ADVERSARY)
    parent = 0
    for depth in range(1, 5):
        value = status_value(VMStatus.INVALID) if depth == 3 else keccak256(bytes([depth]))
        parent = post(game, parent, True, value)
    reverts(
        GameError.GAME_DEPTH_EXCEEDED,
        game.move,
        game.claims[parent].claim,
        parent,
        LIE,
        True,
        ADVERSARY,
        0,
        0,
    )
    reverts(
        GameError.INCORRECT_BOND_AMOUNT, game.move, LIE, 0, LIE, True, ADVERSARY, bond(game, 0, True) - 1, 0
    )
    reverts(
        GameError.INCORRECT_BOND_AMOUNT, game.move, LIE, 0, LIE, True, ADVERSARY, bond(game, 0, True) + 1, 0
    )


def test_k17_duplicates() -> None:
    """K17: the same value at the same position against the same parent reverts; anything else is new."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    two = post(game, 0, True, alphabet.output_root(1))
    reverts(GameError.CLAIM_ALREADY_EXISTS, post, game, 0, True, alphabet.output_root(1))
    post(game, 0, True, alphabet.output_root(2))  # another value at the same position
    four = post(game, two, True, LIE)
    post(game, two, False, LIE)  # the same value at another position
    assert four


def test_k1_counter_to_a_freeloader_has_the_extension() -> None:
    """K1 on the model: ``p`` with 10 s left, freeloader ``f`` under it; the counter has exactly CE."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    t_p = UNIT.max_clock_duration - 10
    p = post(game, 0, True, keccak256(b"p"), now=t_p)
    f = post(game, p, True, keccak256(b"f"), now=t_p)
    last = t_p + UNIT.clock_extension - 1
    reverts(GameError.CLOCK_TIME_EXCEEDED, post, game, f, True, LIE, HONEST, last + 1)
    post(game, f, True, LIE, HONEST, last)


def test_k3_late_claim_before_a_step() -> None:
    """K3: a claim at MAX - 1 posted with its team's clock nearly spent stores MCD - CE - cp."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    parent, now = 0, 0
    for depth in range(1, 8):
        value = status_value(VMStatus.INVALID, bytes([depth])) if depth == 5 else keccak256(bytes([depth]))
        now = (
            game.claims[parent].clock.timestamp
            + UNIT.max_clock_duration
            - 1
            - (0 if parent == 0 else game.claims[game.claims[parent].parent_index].clock.duration)
        )
        parent = post(game, parent, True, value, now=now)
    assert (
        game.claims[parent].clock.duration
        == UNIT.max_clock_duration - UNIT.clock_extension - UNIT.challenge_period
    )


def test_k9_move_and_resolution_meet_at_one_second() -> None:
    """K9: at the boundary second the move reverts and resolution succeeds; one second earlier the reverse."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    two = post(game, 0, True, keccak256(b"two"), HONEST, now=50)
    boundary = 50 + UNIT.max_clock_duration  # two's challenger clock: root duration 0 + time it stood
    reverts(GameError.CLOCK_NOT_EXPIRED, game.resolve_claim, two, 0, boundary - 1)
    post(game, two, True, keccak256(b"early"), now=boundary - 1)
    reverts(GameError.CLOCK_TIME_EXCEEDED, post, game, two, True, keccak256(b"late"), ADVERSARY, boundary)
    reverts(GameError.OUT_OF_ORDER_RESOLUTION, game.resolve_claim, two, 0, boundary)  # its child first
    assert game.challenger_duration(two, boundary) == UNIT.max_clock_duration


def test_k8_resolution_order_and_the_end_of_the_game() -> None:
    """K8 with clocks: children first, ``resolve`` last, then every state-changing call reverts."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    respond(game, accessor(game), 0)
    end = game.created_at + 10 * UNIT.max_clock_duration
    reverts(GameError.OUT_OF_ORDER_RESOLUTION, game.resolve, end)
    reverts(GameError.OUT_OF_ORDER_RESOLUTION, game.resolve_claim, 0, 0, end)
    resolve_all(game, end)
    assert game.status == GameStatus.CHALLENGER_WINS and game.resolved_at == end
    reverts(GameError.GAME_NOT_IN_PROGRESS, post, game, 1, True, LIE)
    reverts(GameError.GAME_NOT_IN_PROGRESS, game.resolve, end)
    reverts(GameError.GAME_NOT_IN_PROGRESS, game.challenger_duration, 0, end)
    assert game.credit(BondDistributionMode.NORMAL) == {HONEST: DEFAULT_INIT_BOND + required_bond(2, 8)}


def leaf_to_step_on() -> tuple[GameModel, Step]:
    """A UNIT game bisected by a consistent liar (wrong root, wrong trace) down to a leaf of its own:
    the honest side's first action is then an attack step on the subgame's first step."""
    l2 = ANCHOR_BLOCK + 16
    lies = LyingOutputs(frozenset({l2}))
    game = alphabet_game(UNIT, lies.output_root(l2), proposer=ADVERSARY)
    honest, liar = accessor(game), accessor(game, lies, lying_bottom(UNIT.exec_depth, lies, 1))
    while True:
        for action in plan(game, liar):
            if isinstance(action, Move):
                perform(game, action, ADVERSARY, 0)
        actions = plan(game, honest)
        steps = [action for action in actions if isinstance(action, Step)]
        if steps:
            return game, steps[0]
        for action in actions:
            perform(game, action, HONEST, 0)


def test_step_counters_a_wrong_leaf() -> None:
    game, step = leaf_to_step_on()
    assert step.is_attack and step.data.pre_state == alphabet.PRESTATE_DATA
    assert step.data.oracle is not None and step.data.oracle.local_ident == 4
    leaf = game.claims[step.claim]
    assert leaf.depth == UNIT.max_game_depth and leaf.claimant == ADVERSARY
    perform(game, step, HONEST, 0)
    assert game.claims[step.claim].countered_by == HONEST
    resolve_all(game, game_over(game))
    assert game.status == GameStatus.CHALLENGER_WINS
    assert set(game.credit(BondDistributionMode.NORMAL)) == {HONEST}


def test_k31_a_step_reading_an_unloaded_part_reverts() -> None:
    """K31 (the game's part): without ``addLocalData`` the VM finds no part; with it the step succeeds."""
    game, step = leaf_to_step_on()
    with pytest.raises(PreimagePartUnavailable):
        game.step(step.claim, True, step.data.pre_state, b"", HONEST)
    game.add_local_data(4, step.claim, 0)
    game.step(step.claim, True, step.data.pre_state, b"", HONEST)
    reverts(GameError.PART_OFFSET_OOB, game.add_local_data, 4, step.claim, 16)
    game.add_local_data(4, step.claim, 15)
    reverts(GameError.INVALID_LOCAL_IDENT, game.add_local_data, 6, step.claim, 0)
    reverts(GameError.CLAIM_ABOVE_SPLIT, game.add_local_data, 4, 1, 0)


def test_k29_k17_first_stepper_wins_and_a_second_step_reverts() -> None:
    """K29: a front-running stepper takes the leaf's bond; K17: the second valid step reverts."""
    game, step = leaf_to_step_on()
    perform(game, step, RIVAL, 0)
    reverts(GameError.DUPLICATE_STEP, perform, game, step, HONEST, 0)
    resolve_all(game, game_over(game))
    assert game.credit(BondDistributionMode.NORMAL)[RIVAL] == game.claims[step.claim].bond


def test_step_reverts() -> None:
    """InvalidParent away from MAX, InvalidPrestate for the wrong state, ValidStep against a right leaf."""
    game, step = leaf_to_step_on()
    reverts(GameError.INVALID_PARENT, game.step, 1, True, step.data.pre_state, b"", HONEST)
    reverts(GameError.INVALID_PRESTATE, game.step, step.claim, True, alphabet.state_data(5, 1), b"", HONEST)
    reverts(GameError.INVALID_PRESTATE, game.step, step.claim, False, step.data.pre_state, b"", HONEST)
    leaf = game.claims[step.claim]
    right = accessor(game).get(game.claims, leaf.parent_index, leaf.position)
    honest_leaf = post(
        game, leaf.parent_index, True, right, ADVERSARY
    )  # the right value at the leaf's position
    game.add_local_data(4, honest_leaf, 0)
    reverts(GameError.VALID_STEP, game.step, honest_leaf, True, step.data.pre_state, b"", HONEST)


def test_k21_local_data_is_per_transition_and_per_game() -> None:
    """K21: exec subgames of two transitions load under different keys; another game's keys differ too."""
    game, step = leaf_to_step_on()
    exec_root = ancestor_at_depth(game.claims, step.claim, UNIT.split_depth + 1)
    output = game.claims[exec_root].parent_index
    is_attack = game.claims[exec_root].position == attack(game.claims[output].position)
    allowed = exec_root_statuses(game.claims[output].position, not is_attack, UNIT.split_depth)
    other_root = post(game, output, not is_attack, status_value(min(allowed)), HONEST)
    first, second = game.local_transition(exec_root), game.local_transition(other_root)
    assert first != second and first.local_context != second.local_context
    for index in (step.claim, other_root):
        game.add_local_data(4, index, 0)
    keys = {localize(local_key(4), t.local_context, game.address) for t in (first, second)}
    assert {key for key, _ in game.oracle.parts} == keys
    assert localize(local_key(4), first.local_context, RIVAL) not in keys  # another contract's namespace


def test_k20_clamped_disputed_block() -> None:
    """K20: under a position past the proposal's block, local key 4 is the claimed block, not a later one."""
    l2 = ANCHOR_BLOCK + 3  # MINIMAL spans 4 blocks; the root claims only 3
    game = alphabet_game(MINIMAL, LIE, l2_block_number=l2, proposer=ADVERSARY)
    two = post(game, 0, True, alphabet.output_root(ANCHOR_BLOCK + 2), HONEST)
    six = post(game, two, False, alphabet.output_root(l2))  # block a+3
    exec_root = post(game, six, False, status_value(VMStatus.INVALID), HONEST)  # a+3 → root (clamped)
    leaf = post(game, exec_root, True, LIE)
    game.add_local_data(4, leaf, 0)
    key = localize(local_key(4), game.local_transition(leaf).local_context, game.address)
    assert game.oracle.read_part(key, 0)[0][8:16] == l2.to_bytes(8, "big")


def test_k6_many_parallel_wrong_children() -> None:
    """K6: 20 wrong attacks on an honest root, each countered: the honest side ends up richer."""
    game = alphabet_game(UNIT)
    for k in range(20):
        post(game, 0, True, keccak256(bytes([k])))
    respond(game, accessor(game), 0)
    resolve_all(game, game_over(game))
    credit = game.credit(BondDistributionMode.NORMAL)
    deposits = game.credit(BondDistributionMode.REFUND)
    assert game.status == GameStatus.DEFENDER_WINS and ADVERSARY not in credit
    assert credit[HONEST] == deposits[HONEST] + deposits[ADVERSARY]


def output_root_proof(block_hash: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    return (bytes(32), keccak256(b"state root"), keccak256(b"message passer"), block_hash)


def header(number: int) -> bytes:
    """An RLP block header whose item 8 is ``number`` (the other fields do not matter here)."""
    fields: list[bytes] = [keccak256(bytes([i])) for i in range(8)]
    return bytes(rlp.encode([*fields, number.to_bytes((number.bit_length() + 7) // 8, "big"), b"", b""]))


def test_k14_block_number_challenge() -> None:
    """K14: a root whose output is of another block: the challenge wins the root's bond, moves stop."""
    wrong_header = header(ANCHOR_BLOCK + 7)
    proof = output_root_proof(keccak256(wrong_header))
    root = keccak256(b"".join(proof))
    game = alphabet_game(UNIT, root, proposer=ADVERSARY)
    child = post(game, 0, True, LIE, HONEST)
    reverts(
        GameError.INVALID_OUTPUT_ROOT_PROOF,
        game.challenge_root_l2_block,
        output_root_proof(bytes(32)),
        wrong_header,
        HONEST,
    )
    reverts(GameError.INVALID_HEADER_RLP, game.challenge_root_l2_block, proof, header(5), HONEST)
    game.challenge_root_l2_block(proof, wrong_header, RIVAL)
    reverts(GameError.L2_BLOCK_NUMBER_CHALLENGED, game.challenge_root_l2_block, proof, wrong_header, HONEST)
    reverts(GameError.L2_BLOCK_NUMBER_CHALLENGED, post, game, 0, True, keccak256(b"x"), HONEST)
    post(game, child, True, LIE)  # moves elsewhere go on
    assert plan(game, accessor(game)) == []
    resolve_all(game, game_over(game))
    assert game.status == GameStatus.CHALLENGER_WINS and game.claims[0].countered_by == RIVAL
    assert game.credit(BondDistributionMode.NORMAL)[RIVAL] == DEFAULT_INIT_BOND


def test_block_number_matches() -> None:
    matching = header(ANCHOR_BLOCK + 16)
    proof = output_root_proof(keccak256(matching))
    game = alphabet_game(UNIT, keccak256(b"".join(proof)), proposer=ADVERSARY)
    reverts(GameError.BLOCK_NUMBER_MATCHES, game.challenge_root_l2_block, proof, matching, HONEST)
    long_number = bytes(rlp.encode([b""] * 8 + [b"\x01" * 33]))
    long_proof = output_root_proof(keccak256(long_number))
    long_game = alphabet_game(UNIT, keccak256(b"".join(long_proof)), proposer=ADVERSARY)
    reverts(GameError.INVALID_HEADER_RLP, long_game.challenge_root_l2_block, long_proof, long_number, HONEST)


def test_claim_indices_outside_the_array() -> None:
    """Row 2 of §6.1 and §7.1: any index past the array (or negative, from Python) reverts."""
    game = alphabet_game(UNIT, LIE, proposer=ADVERSARY)
    for index in (-1, 1):
        with pytest.raises(IndexError):
            game.move(LIE, index, LIE, True, HONEST, bond(game, 0, True), 0)
        with pytest.raises(IndexError):
            game.step(index, True, b"", b"", HONEST)
        with pytest.raises(IndexError):
            game.add_local_data(4, index, 0)
        with pytest.raises(IndexError):
            game.resolve_claim(index, 0, 10**9)
