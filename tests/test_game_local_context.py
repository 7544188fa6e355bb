"""The transition an exec subgame disputes and its local data (spec: dispute-game.md §7.4, §7.5, §17.6)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.local_context import (
    ANCHOR_POSITION,
    ExecTransition,
    OutputRef,
    exec_transition,
    local_data,
)
from faultproof.game.positions import gindex
from faultproof.game.split import claimed_block
from game_trees import TreeBuilder, value

ANCHOR_ROOT = value(0xA0)


def minimal_tree() -> TreeBuilder:
    """Every output and exec-root position of §2.3: 2 attacks the root, 4 and 6 attack and defend 2,
    and each of 4 and 6 is attacked and defended by an exec root."""
    tree = TreeBuilder()
    two = tree.attack(0, value(2))
    four, six = tree.attack(two, value(4)), tree.defend(two, value(6))
    for output in (four, six):
        tree.attack(output, b"\x01" + bytes(31))
        tree.defend(output, b"\x01" + bytes(31))
    return tree


@pytest.mark.parametrize(
    ("exec_root", "starting", "disputed", "blocks"),
    [
        (8, None, 4, (0, 1)),  # anchor → 4 (block a+1)
        (10, 4, 2, (1, 2)),  # a+1 → a+2
        (12, 2, 6, (2, 3)),  # a+2 → a+3
        (14, 6, 1, (3, 4)),  # a+3 → a+4
    ],
)
def test_minimal_table_transitions(
    exec_root: int, starting: int | None, disputed: int, blocks: tuple[int, int]
) -> None:
    """§2.3's exec-root column: which outputs bound each exec subgame, and their blocks (``l2 = a + 4``)."""
    tree = minimal_tree()
    anchor = 500
    transition = exec_transition(tree.claims, tree.index_of(exec_root), MINIMAL, ANCHOR_ROOT)
    if starting is None:
        assert (
            transition.starting == OutputRef(ANCHOR_ROOT, ANCHOR_POSITION) and transition.starting.is_anchor
        )
    else:
        assert transition.starting.position == starting
        assert transition.starting.claim == tree.claims[tree.index_of(starting)].claim
        assert claimed_block(starting, 2, anchor, anchor + 4) == anchor + blocks[0]
    assert transition.disputed.position == disputed
    assert transition.disputed.claim == tree.claims[tree.index_of(disputed)].claim
    assert claimed_block(disputed, 2, anchor, anchor + 4) == anchor + blocks[1]


def test_local_context_vector() -> None:
    """§17.6: ``H(O(1) ‖ BE32(16))`` for an anchored attack on the first output of a MAX 8 / SPLIT 4 game."""
    tree = TreeBuilder()
    output = tree.line_to(16)
    tree.claims[output] = replace(tree.claims[output], claim=alphabet.output_root(1))
    exec_root = tree.attack(output, b"\x01" + bytes(31))
    transition = exec_transition(tree.claims, exec_root, UNIT, ANCHOR_ROOT)
    assert transition.local_context == keccak256(alphabet.output_root(1) + (16).to_bytes(32, "big"))
    assert (
        transition.local_context.hex() == "b3ba6764036771432b62734d5fef000bedb243afe5e976c056fc607f4f106af5"
    )


def test_local_context_with_a_starting_output() -> None:
    """§7.4: both outputs and positions are hashed when the transition does not start at the anchor."""
    transition = ExecTransition(OutputRef(value(7), 4), OutputRef(value(8), 2))
    expected = keccak256(value(7) + (4).to_bytes(32, "big") + value(8) + (2).to_bytes(32, "big"))
    assert transition.local_context == expected


def test_every_claim_of_a_subgame_shares_its_context() -> None:
    """§7.4: all claims below one exec root map to its transition; different transitions differ (K21)."""
    tree = TreeBuilder()
    leaves = [tree.line_to(g) for g in (262, 272, 274, 278)]
    contexts = {
        tree.claims[i].position: exec_transition(tree.claims, i, UNIT, ANCHOR_ROOT).local_context
        for i in range(len(tree.claims))
        if tree.claims[i].depth > UNIT.split_depth
    }
    exec_roots = {32: [64, 130, 262], 34: [68, 136, 138, 272, 274, 278]}
    for root, below in exec_roots.items():
        assert {contexts[g] for g in below} == {contexts[root]}
    assert contexts[32] != contexts[34]
    assert len(leaves) == 4


def test_output_claims_have_no_transition() -> None:
    tree = minimal_tree()
    with pytest.raises(GameRuleError) as raised:
        exec_transition(tree.claims, tree.index_of(4), MINIMAL, ANCHOR_ROOT)
    assert raised.value.reason == GameError.CLAIM_ABOVE_SPLIT


def test_local_data() -> None:
    """§7.5: idents 1–5 and their sizes; the disputed block is clamped to the proposal (K20)."""
    transition = ExecTransition(OutputRef(value(7), 4), OutputRef(value(8), 1))
    l1_head = b"\x11" * 32

    def data(ident: int, l2_block_number: int = 1_004) -> bytes:
        return local_data(ident, transition, l1_head, 1_000, l2_block_number, 10, 2)

    assert data(1) == l1_head
    assert data(2) == value(7)
    assert data(3) == value(8)
    assert data(4) == (1_004).to_bytes(8, "big")
    assert data(4, l2_block_number=1_003) == (1_003).to_bytes(8, "big")  # the root claims 1_003, not a+4
    assert data(5) == (10).to_bytes(8, "big")
    anchored = ExecTransition(OutputRef(ANCHOR_ROOT, ANCHOR_POSITION), OutputRef(value(9), gindex(2, 0)))
    assert local_data(2, anchored, l1_head, 1_000, 1_004, 10, 2) == ANCHOR_ROOT
    assert local_data(4, anchored, l1_head, 1_000, 1_004, 10, 2) == (1_001).to_bytes(8, "big")
    for ident in (0, 6, 2**64):
        with pytest.raises(GameRuleError) as raised:
            data(ident)
        assert raised.value.reason == GameError.INVALID_LOCAL_IDENT
