"""The split adapter: which subgame a position belongs to and who answers it (spec: dispute-game.md §14.4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.game import alphabet
from faultproof.game.configs import MINIMAL, UNIT, WIDE
from faultproof.game.local_context import exec_transition
from faultproof.game.params import GameParameters
from faultproof.game.positions import attack, defend, depth, gindex, index_at_depth
from faultproof.trace.alphabet import AlphabetTraceProvider
from faultproof.trace.outputs import AlphabetOutputs, OutputTraceProvider
from faultproof.trace.provider import TraceError, TraceProvider
from faultproof.trace.split import ExecInputs, SplitTraceAccessor, alphabet_bottom
from game_trees import TreeBuilder, value

ANCHOR = 1_000


def accessor(params: GameParameters, l2_block_number: int | None = None) -> SplitTraceAccessor:
    l2 = ANCHOR + (1 << params.split_depth) if l2_block_number is None else l2_block_number
    top = OutputTraceProvider(AlphabetOutputs(), params.split_depth, ANCHOR, alphabet.output_root(ANCHOR), l2)
    return SplitTraceAccessor(params, top, alphabet_bottom(params.exec_depth))


def minimal_tree() -> TreeBuilder:
    """§2.3's positions: true outputs 2, 4, 6 under a wrong root, and the four exec roots."""
    tree = TreeBuilder(root_value=value(0xBAD))
    two = tree.attack(0, alphabet.output_root(ANCHOR + 2))
    four, six = (
        tree.attack(two, alphabet.output_root(ANCHOR + 1)),
        tree.defend(two, alphabet.output_root(ANCHOR + 3)),
    )
    for output in (four, six):
        tree.attack(output, b"\x01" + bytes(31))
        tree.defend(output, b"\x01" + bytes(31))
    return tree


@pytest.mark.parametrize(
    ("exec_root", "agreed", "claimed"),
    [
        (8, (ANCHOR, "anchor"), (ANCHOR + 1, 4)),
        (10, (ANCHOR + 1, 4), (ANCHOR + 2, 2)),
        (12, (ANCHOR + 2, 2), (ANCHOR + 3, 6)),
        (14, (ANCHOR + 3, 6), (ANCHOR + 4, 1)),
    ],
)
def test_minimal_table_subgames(exec_root: int, agreed: tuple[int, object], claimed: tuple[int, int]) -> None:
    """Rules 2–3 on §2.3: each exec root's transition, as (block, output) pairs for the bottom provider."""
    tree = minimal_tree()
    trace = accessor(MINIMAL)
    index = tree.index_of(exec_root)
    for ref, position in [
        (index, exec_root),
        (tree.claims[index].parent_index, exec_root),
        (index, attack(exec_root)),
    ]:
        inputs = trace.exec_inputs(tree.claims, ref, position)
        agreed_output = (
            alphabet.output_root(ANCHOR)
            if agreed[1] == "anchor"
            else tree.claims[tree.index_of(agreed[1])].claim
        )
        assert (inputs.agreed_block, inputs.agreed_output) == (agreed[0], agreed_output)
        assert (inputs.claimed_block, inputs.claimed_output) == (
            claimed[0],
            tree.claims[tree.index_of(claimed[1])].claim,
        )


def test_cache_key_is_the_contracts_local_context() -> None:
    """Rule 4: the provider of every claim below the split is keyed by §7.4's context, byte for byte."""
    tree = TreeBuilder(root_value=value(0xBAD))
    for leaf in (262, 272, 274, 278):
        tree.line_to(leaf)
    trace = accessor(UNIT)
    anchor_root = trace.top.anchor_root
    for index, claim in enumerate(tree.claims):
        if claim.depth <= UNIT.split_depth:
            continue
        inputs = trace.exec_inputs(tree.claims, index, claim.position)
        assert inputs.local_context == exec_transition(tree.claims, index, UNIT, anchor_root).local_context
        provider, local = trace.provider(tree.claims, index, claim.position)
        assert provider is trace.providers[inputs.local_context]
        assert depth(local) == claim.depth - UNIT.split_depth - 1
        assert index_at_depth(local) == index_at_depth(claim.position) % (1 << depth(local))
    assert len(trace.providers) == 2  # the exec roots 32 and 34


def test_top_half_goes_to_the_output_provider() -> None:
    tree = minimal_tree()
    trace = accessor(MINIMAL)
    assert trace.get(tree.claims, 0, 2) == alphabet.output_root(ANCHOR + 2)
    assert trace.provider(tree.claims, 1, 6) == (trace.top, 6)
    with pytest.raises(TraceError):
        trace.exec_inputs(tree.claims, 0, 4)
    with pytest.raises(TraceError):
        trace.get_step_data(tree.claims, 1, 4)


def test_answers_in_an_exec_subgame() -> None:
    """Below the split, answers are the subgame's alphabet trace of (claimed block, claimed output)."""
    tree = minimal_tree()
    trace = accessor(MINIMAL)
    ten = tree.index_of(10)  # 4 → 2: the transition a+1 → a+2, claimed output = claim 2's value (true)
    expected = AlphabetTraceProvider(ANCHOR + 2, alphabet.output_root(ANCHOR + 2), 1)
    assert trace.get(tree.claims, ten, 10) == expected.get(1)
    assert trace.get(tree.claims, ten, 10)[0] == 0  # the true output follows: VALID
    assert trace.get(tree.claims, ten, attack(10)) == expected.get(2)
    assert trace.get_step_data(tree.claims, ten, attack(10)) == expected.get_step_data(2)
    fourteen = tree.index_of(14)  # 6 → root: the root's (wrong) output does not follow: INVALID
    assert trace.get(tree.claims, fourteen, 14)[0] == 1


def test_the_depth_of_the_top_provider_must_be_the_split() -> None:
    top = OutputTraceProvider(AlphabetOutputs(), 3, ANCHOR, b"\x01" * 32, ANCHOR + 8)
    with pytest.raises(ValueError):
        SplitTraceAccessor(UNIT, top, alphabet_bottom(3))


def test_any_bottom_provider() -> None:
    """The bottom factory gets the transition's inputs; here one that records them."""
    seen: list[ExecInputs] = []

    def bottom(inputs: ExecInputs) -> TraceProvider:
        seen.append(inputs)
        return AlphabetTraceProvider(inputs.claimed_block, inputs.claimed_output, UNIT.exec_depth)

    top = OutputTraceProvider(AlphabetOutputs(), 4, ANCHOR, alphabet.output_root(ANCHOR), ANCHOR + 16)
    trace = SplitTraceAccessor(UNIT, top, bottom)
    tree = TreeBuilder(root_value=value(0xBAD))
    leaf = tree.line_to(272)
    trace.get(tree.claims, leaf, 272)
    trace.get_step_data(tree.claims, leaf, 273)  # the defense step's position: the next trace index
    assert len(seen) == 1 and seen[0].claimed_block == ANCHOR + 2  # 34 defends 16: a+1 → a+2


@settings(max_examples=50)
@given(st.sampled_from([MINIMAL, UNIT, WIDE]), st.data())
def test_a_move_and_its_parent_share_the_subgame(params: GameParameters, data: st.DataObject) -> None:
    """Answering claim ``c`` at ``move(c)`` uses the subgame of ``c`` itself (below the split)."""
    local_depth = data.draw(st.integers(0, params.exec_depth - 1))
    g_depth = params.split_depth + 1 + local_depth
    g = gindex(g_depth, 2 * data.draw(st.integers(0, (1 << (g_depth - 1)) - 1)))
    tree = TreeBuilder(root_value=value(0xBAD))
    index = tree.line_to(g)
    trace = accessor(params)
    context = trace.exec_inputs(tree.claims, index, g).local_context
    for position in (attack(g), defend(g)) if local_depth else (attack(g),):
        assert trace.exec_inputs(tree.claims, index, position).local_context == context
