"""Position arithmetic (spec: dispute-game.md §2.1) and the worked tables of §2.3 and §2.4."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.game import positions as p
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import MAX_GAME_DEPTH_LIMIT
from faultproof.game.split import claimed_block, exec_subgame_index, local_position, local_trace_index
from faultproof.game.steps import step_states
from game_trees import TreeBuilder

# §2.3, MAX = 4, SPLIT = 2: g, binary, depth, idx, traceIndex(g, 4), attack, defend, traceAncestor(g + 1).
# None = move not allowed ("—") or "step"; the next-index column is — for the root and exec roots.
MINIMAL_TABLE = [
    (1, "1", 0, 0, 15, 2, None, None),
    (2, "10", 1, 0, 7, 4, 6, 1),
    (4, "100", 2, 0, 3, 8, 10, 2),
    (6, "110", 2, 2, 11, 12, 14, 1),
    (8, "1000", 3, 0, 1, 16, None, None),
    (10, "1010", 3, 2, 5, 20, None, None),
    (12, "1100", 3, 4, 9, 24, None, None),
    (14, "1110", 3, 6, 13, 28, None, None),
    (16, "10000", 4, 0, 0, None, None, 8),
    (20, "10100", 4, 4, 4, None, None, 10),
    (24, "11000", 4, 8, 8, None, None, 12),
    (28, "11100", 4, 12, 12, None, None, 14),
]


@pytest.mark.parametrize(
    ("g", "binary", "depth", "idx", "trace", "attack", "defend", "next_claim"), MINIMAL_TABLE
)
def test_minimal_table(
    g: int,
    binary: str,
    depth: int,
    idx: int,
    trace: int,
    attack: int | None,
    defend: int | None,
    next_claim: int | None,
) -> None:
    assert format(g, "b") == binary
    assert p.depth(g) == depth
    assert p.index_at_depth(g) == idx
    assert p.gindex(depth, idx) == g
    assert p.trace_index(g, 4) == trace
    if attack is not None:
        assert p.attack(g) == p.move(g, True) == attack
    if defend is not None:
        assert p.defend(g) == p.move(g, False) == defend
    if next_claim is not None:
        assert p.trace_ancestor(g + 1) == next_claim


@pytest.mark.parametrize(("g", "split_index", "block_offset"), [(1, 3, 4), (2, 1, 2), (4, 0, 1), (6, 2, 3)])
def test_minimal_table_output_blocks(g: int, split_index: int, block_offset: int) -> None:
    """Output positions: ``traceIndex(g, 2) → block``, anchor block ``a``, ``l2BlockNumber = a + 4``."""
    anchor = 1000
    assert p.trace_index(g, 2) == split_index
    assert claimed_block(g, 2, anchor, anchor + 4) == anchor + block_offset


@pytest.mark.parametrize(("leaf", "exec_root"), [(16, 8), (20, 10), (24, 12), (28, 14)])
def test_minimal_table_leaves_are_first_leaves(leaf: int, exec_root: int) -> None:
    """With K = 1 every leaf is at local trace index 0 of its exec root, the root at local 1."""
    assert local_trace_index(leaf, MINIMAL) == 0
    assert local_position(leaf, MINIMAL) == 2
    assert local_position(exec_root, MINIMAL) == 1
    assert (
        exec_subgame_index(leaf, MINIMAL)
        == exec_subgame_index(exec_root, MINIMAL)
        == p.index_at_depth(exec_root)
    )


def legal_positions(max_depth: int, split_depth: int) -> set[int]:
    """Every position a legal game can reach: no defense of the root or of an exec root, none past MAX."""
    reached = {1}
    frontier = [1]
    while frontier:
        g = frontier.pop()
        for is_attack in (True, False):
            nd = p.depth(g) + 1
            if nd > max_depth or (not is_attack and (g == 1 or nd == split_depth + 2)):
                continue
            child = p.move(g, is_attack)
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    return reached


def test_minimal_table_lists_every_legal_position() -> None:
    assert legal_positions(4, 2) == {row[0] for row in MINIMAL_TABLE}


def test_odd_positions_never_exist_except_the_root() -> None:
    assert {g for g in legal_positions(8, 4) if g % 2 == 1} == {1}


# §2.4, MAX = 8, SPLIT = 4: leaf, binary, local t', attack-step pre-state, defense-step post-state
# (None = ABSOLUTE_PRESTATE), with the global trace indices the table gives.
UNIT_STEP_TABLE = [
    (262, "100000110", 6, 130, 5, 32, 7),
    (272, "100010000", 0, None, None, 136, 17),
    (274, "100010010", 2, 136, 17, 68, 19),
    (278, "100010110", 6, 138, 21, 34, 23),
]


@pytest.mark.parametrize(("leaf", "binary", "local_t", "pre", "pre_t", "post", "post_t"), UNIT_STEP_TABLE)
def test_unit_step_lookups(
    leaf: int, binary: str, local_t: int, pre: int | None, pre_t: int | None, post: int, post_t: int
) -> None:
    assert format(leaf, "b") == binary
    assert local_trace_index(leaf, UNIT) == local_t
    tree = TreeBuilder()
    index = tree.line_to(leaf)
    attack_step = step_states(tree.claims, index, True, UNIT)
    defense_step = step_states(tree.claims, index, False, UNIT)
    assert attack_step.post_index == index and defense_step.pre_index == index
    if pre is None:
        assert attack_step.pre_index is None and attack_step.pre_state == UNIT.absolute_prestate
        assert p.index_at_depth(p.attack(leaf)) % 16 == 0
    else:
        assert attack_step.pre_index is not None
        assert tree.claims[attack_step.pre_index].position == pre and p.trace_index(pre, 8) == pre_t
    assert tree.claims[defense_step.post_index].position == post and p.trace_index(post, 8) == post_t


def test_unit_step_lookup_creators() -> None:
    """The "created as" column: each leaf is the move it says against the claim it names."""
    assert p.defend(130) == 262 and p.attack(136) == 272 and p.defend(136) == 274 and p.defend(138) == 278
    assert p.defend(16) == 34


def test_trace_ancestor_bounded() -> None:
    assert p.trace_ancestor_bounded(263, 4) == 32  # the exec root, not the output above it
    assert p.trace_ancestor_bounded(31 * 2**4 + 15, 4) == p.right_index(p.trace_ancestor(31 * 2**4 + 15), 5)
    with pytest.raises(GameRuleError) as raised:
        p.trace_ancestor_bounded(16, 4)
    assert raised.value.reason == GameError.CLAIM_ABOVE_SPLIT


def test_not_a_position() -> None:
    with pytest.raises(ValueError):
        p.depth(0)
    with pytest.raises(ValueError):
        p.gindex(3, 8)
    with pytest.raises(ValueError):
        p.right_index(16, 3)


# -- properties ---------------------------------------------------------------------------------

MAX_DEPTHS = st.integers(min_value=1, max_value=MAX_GAME_DEPTH_LIMIT + 1)


@st.composite
def positions_below(draw: st.DrawFn, max_depth: st.SearchStrategy[int] = MAX_DEPTHS) -> tuple[int, int]:
    """A depth bound ``D`` and a position strictly above depth ``D``."""
    bound = draw(max_depth)
    at_depth = draw(st.integers(min_value=0, max_value=bound - 1))
    return bound, p.gindex(at_depth, draw(st.integers(min_value=0, max_value=(1 << at_depth) - 1)))


@given(positions_below())
def test_gindex_round_trip(case: tuple[int, int]) -> None:
    _, g = case
    assert p.gindex(p.depth(g), p.index_at_depth(g)) == g


@given(positions_below())
def test_trace_index_formulas_agree(case: tuple[int, int]) -> None:
    bound, g = case
    d = p.depth(g)
    assert p.trace_index(g, bound) == ((p.index_at_depth(g) + 1) << (bound - d)) - 1
    assert p.trace_index(p.right_index(g, bound), bound) == p.trace_index(g, bound)


@given(positions_below())
def test_right_child_repeats_its_parent(case: tuple[int, int]) -> None:
    bound, g = case
    assert p.trace_index(2 * g + 1, bound) == p.trace_index(g, bound)


@given(positions_below())
def test_each_move_halves_the_range(case: tuple[int, int]) -> None:
    bound, g = case
    half = 1 << (bound - p.depth(g) - 1)
    assert p.trace_index(p.attack(g), bound) == p.trace_index(g, bound) - half
    if g % 2 == 0:
        assert p.trace_index(p.defend(g), bound) == p.trace_index(g, bound) + half
    assert p.tree_parent(p.attack(g)) == g
    assert p.defend(1) == p.attack(1) == 2


@given(positions_below())
def test_trace_ancestor_is_the_shallowest_with_the_same_index(case: tuple[int, int]) -> None:
    bound, g = case
    ancestor = p.trace_ancestor(g)
    assert p.trace_index(ancestor, bound) == p.trace_index(g, bound)
    assert g >> (p.depth(g) - p.depth(ancestor)) == ancestor  # an ancestor-or-self in the tree
    if ancestor != 1:
        assert p.trace_index(p.tree_parent(ancestor), bound) != p.trace_index(g, bound)


@given(st.integers(min_value=4, max_value=MAX_GAME_DEPTH_LIMIT), st.data())
def test_step_positions_fit_uint128_at_every_legal_depth(max_depth: int, data: st.DataObject) -> None:
    """§3.2 / §18 K18: a step's position (depth MAX + 1) and its successor stay below 2^128."""
    index = data.draw(st.integers(min_value=0, max_value=(1 << max_depth) - 1))
    leaf = p.gindex(max_depth, index)
    assert p.defend(leaf) + 1 < 2**128 and p.attack(leaf) < 2**128
    assert p.index_at_depth(p.attack(leaf)) == 2 * index  # never truncated to 64 bits (K18)


def test_deep_positions_keep_all_128_bits() -> None:
    """§18 K18: index arithmetic at depth 100 of a MAX 125 game uses the full width."""
    index = 2**99 + 2**70 + 4
    g = p.gindex(100, index)
    assert p.index_at_depth(g) == index
    assert p.trace_index(g, 125) == ((index + 1) << 25) - 1
    # A defense step's post-state look-up from the attack at g finds g, 101 bits deep.
    assert p.trace_ancestor_bounded(p.attack(g) + 1, 60) == g
