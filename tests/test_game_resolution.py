"""Subgame resolution and payouts (spec: dispute-game.md §10.6, §11; §18 K4, K5, K7, K8)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.resolution import (
    BondDistributionMode,
    GameStatus,
    Resolution,
    refund_mode_credit,
    resolve_game,
)
from faultproof.game.tree import ZERO_ADDRESS, ClaimData, subgames
from game_trees import ALICE, BOB, CAROL, STEPPER, TreeBuilder, value

CHALLENGER = b"\xcc" * 20


def bond_of(tree: TreeBuilder, *indices: int) -> int:
    return sum(tree.claims[i].bond for i in indices)


def test_unchallenged_root() -> None:
    outcome = resolve_game(TreeBuilder(claimant=ALICE).claims)
    assert outcome.status == GameStatus.DEFENDER_WINS and not outcome.countered(0)
    assert outcome.normal_mode_credit == {ALICE: 1}


def test_who_is_paid_table() -> None:
    """§11.3, every row but the block-number challenge on one tree (MAX 4)."""
    tree = TreeBuilder(claimant=ALICE)
    two = tree.attack(0, value(2), BOB)  # has an uncountered child (six): countered
    six = tree.defend(two, value(6), ALICE)  # its children are all countered: uncountered
    twelve = tree.attack(six, value(12), BOB)  # has an uncountered child (leaf): countered
    leaf = tree.attack(twelve, value(24), ALICE)  # at MAX, not stepped on: uncountered
    fourteen = tree.defend(six, value(14), BOB)  # has an uncountered child (lone): countered
    stepped = tree.attack(fourteen, value(28), CAROL)  # at MAX, stepped on: countered
    tree.step_on(stepped, STEPPER)
    lone = tree.attack(fourteen, value(29), ALICE)  # same position as the stepped leaf, posted later
    outcome = resolve_game(tree.claims)
    countered = {i for i in range(len(tree.claims)) if outcome.countered(i)}
    assert countered == {two, twelve, fourteen, stepped}
    assert outcome.status == GameStatus.DEFENDER_WINS
    assert outcome.claims[two].countered_by == ALICE  # the claimant of its left-most uncountered child
    assert outcome.claims[fourteen].countered_by == ALICE  # the lone leaf: the stepped one is countered
    assert outcome.claims[stepped].countered_by == STEPPER
    assert outcome.normal_mode_credit == {
        STEPPER: bond_of(tree, stepped),  # at MAX, stepped on
        ALICE: bond_of(tree, leaf, lone)  # no children, not stepped on
        + bond_of(tree, 0, six)  # children, all countered
        + bond_of(tree, two, twelve, fourteen),  # an uncountered child
    }


def test_leftmost_uncountered_child_and_ties() -> None:
    """Ties on position go to the child posted first; a smaller position wins whatever the order."""
    tree = TreeBuilder(claimant=ALICE)
    two = tree.attack(0, value(2), BOB)
    tree.defend(two, value(6), CAROL)  # posted first, position 6
    tree.attack(two, value(4), ALICE)  # position 4: left-most
    tree.attack(two, value(5), BOB)  # position 4 again, posted later
    outcome = resolve_game(tree.claims)
    assert outcome.claims[two].countered_by == ALICE
    assert outcome.normal_mode_credit[ALICE] == bond_of(tree, 0, two, 3)
    assert outcome.status == GameStatus.DEFENDER_WINS


def test_k5_uncounterable_right_claim_loses_to_the_leftmost() -> None:
    """K5: a wrong parent, an honest attack and a wrong defense under it: the honest attack gets its bond."""
    tree = TreeBuilder(claimant=ALICE)
    wrong = tree.attack(0, value(0xBAD), BOB)
    honest = tree.attack(wrong, value(4), ALICE)
    tree.defend(wrong, value(0xBAD6), BOB)  # uncountered (say, uncounterable), but right of the honest attack
    outcome = resolve_game(tree.claims)
    assert outcome.claims[wrong].countered_by == ALICE
    assert outcome.status == GameStatus.DEFENDER_WINS
    assert outcome.normal_mode_credit[ALICE] == bond_of(tree, 0, wrong, honest)
    assert outcome.normal_mode_credit[BOB] == bond_of(tree, 3)


def test_k4_freeloader_gets_nothing() -> None:
    """K4, upstream's scenario: honest root; Bob attacks it; Alice (honest) defends Bob's claim; Bob
    attacks his own claim from the wrong direction, left of Alice's. Alice counters Bob's second claim
    too, so Bob ends with no credit and Alice gets both bonds."""
    tree = TreeBuilder(claimant=ALICE)
    bob_first = tree.attack(0, value(7), BOB)
    alice_defense = tree.defend(bob_first, value(11), ALICE)
    bob_freeloader = tree.attack(bob_first, value(3), BOB)
    unanswered = resolve_game(tree.claims)
    assert unanswered.claims[bob_first].countered_by == BOB  # left of Alice: Bob would get his bond back
    alice_counter = tree.attack(bob_freeloader, value(1), ALICE)
    outcome = resolve_game(tree.claims)
    assert BOB not in outcome.normal_mode_credit
    assert outcome.normal_mode_credit == {
        ALICE: bond_of(tree, 0, bob_first, alice_defense, bob_freeloader, alice_counter)
    }


def test_k7_pages_of_7_over_500_children_equal_one_shot() -> None:
    """K7: 500 children resolved in pages of 7 give the one-shot result; 0 means "all" only at first."""
    tree = TreeBuilder(claimant=ALICE)
    two = tree.attack(0, value(2), BOB)
    kids = [tree.move(two, k % 3 != 0, value(100 + k), [ALICE, BOB, CAROL][k % 3]) for k in range(500)]
    for kid in kids[::2]:
        tree.attack(kid, value(1), ALICE)  # every other child countered
    one_shot = resolve_game(tree.claims)

    claims = list(tree.claims)
    resolution = Resolution(claims, subgames(claims))
    for index in reversed(range(len(claims))):
        if index != two and index != 0:
            resolution.resolve_claim(index)
    pages = 0
    while two not in resolution.resolved:
        assert resolution.num_to_resolve(two) == 500 - 7 * pages
        resolution.resolve_claim(two, 7)
        pages += 1
    resolution.resolve_claim(0)
    assert pages == 72
    assert tuple(claims) == one_shot.claims
    assert resolution.normal_mode_credit == one_shot.normal_mode_credit
    assert resolution.status() == one_shot.status


def test_zero_pages_after_the_first_make_no_progress() -> None:
    tree = TreeBuilder()
    two = tree.attack(0, value(2))
    for k in range(3):
        tree.attack(two, value(10 + k))
    resolution = Resolution(tree.claims, subgames(tree.claims))
    for index in (4, 3, 2):
        resolution.resolve_claim(index)
    resolution.resolve_claim(two, 1)
    resolution.resolve_claim(two, 0)
    assert resolution.num_to_resolve(two) == 2 and two not in resolution.resolved
    resolution.resolve_claim(two, 5)
    assert two in resolution.resolved


def test_k8_parents_wait_for_their_children() -> None:
    """K8: a parent before its leaf, ``resolve`` before the root subgame, or twice: each reverts."""
    tree = TreeBuilder()
    two = tree.attack(0, value(2))
    leaf = tree.attack(two, value(4))
    resolution = Resolution(tree.claims, subgames(tree.claims))
    for index, error in [(two, GameError.OUT_OF_ORDER_RESOLUTION), (0, GameError.OUT_OF_ORDER_RESOLUTION)]:
        with pytest.raises(GameRuleError) as raised:
            resolution.resolve_claim(index)
        assert raised.value.reason == error
    with pytest.raises(GameRuleError) as raised:
        resolution.status()
    assert raised.value.reason == GameError.OUT_OF_ORDER_RESOLUTION
    resolution.resolve_claim(leaf)
    with pytest.raises(GameRuleError) as raised:
        resolution.resolve_claim(leaf)
    assert raised.value.reason == GameError.CLAIM_ALREADY_RESOLVED
    resolution.resolve_claim(two)
    resolution.resolve_claim(0)
    assert resolution.status() == GameStatus.DEFENDER_WINS
    assert sum(resolution.normal_mode_credit.values()) == bond_of(tree, 0, two, leaf)  # every bond credited


def test_block_number_challenge_takes_the_root() -> None:
    """§8, §11.1: the root counts as countered and its bond goes to the challenger, children or not."""
    tree = TreeBuilder(claimant=ALICE)
    two = tree.attack(0, value(2), BOB)
    tree.attack(two, value(4), ALICE)
    outcome = resolve_game(tree.claims, l2_block_number_challenger=CHALLENGER)
    assert outcome.status == GameStatus.CHALLENGER_WINS and outcome.claims[0].countered_by == CHALLENGER
    assert outcome.normal_mode_credit[CHALLENGER] == bond_of(tree, 0)
    lone = resolve_game(TreeBuilder(claimant=ALICE).claims, l2_block_number_challenger=CHALLENGER)
    assert lone.normal_mode_credit == {CHALLENGER: 1} and lone.status == GameStatus.CHALLENGER_WINS


def test_refund_mode_returns_deposits_only() -> None:
    """§10.6: REFUND pays every depositor what it deposited; steppers and challengers get nothing."""
    tree = TreeBuilder(claimant=ALICE)
    two = tree.attack(0, value(2), BOB)
    leaf = tree.attack(tree.attack(tree.attack(two, value(4), ALICE), value(8), BOB), value(16), ALICE)
    tree.step_on(leaf)
    outcome = resolve_game(tree.claims, l2_block_number_challenger=CHALLENGER)
    refund = outcome.credit(BondDistributionMode.REFUND)
    assert refund == {ALICE: bond_of(tree, 0, 2, 4), BOB: bond_of(tree, 1, 3)}
    assert refund == refund_mode_credit(tree.claims)
    assert STEPPER in outcome.credit(BondDistributionMode.NORMAL)
    with pytest.raises(ValueError):
        outcome.credit(BondDistributionMode.UNDECIDED)


# -- properties over random trees -----------------------------------------------------------------

PLAYERS = [ALICE, BOB, CAROL]


@st.composite
def claim_trees(draw: st.DrawFn, max_depth: int = 6) -> tuple[list[ClaimData], bytes | None]:
    tree = TreeBuilder(claimant=draw(st.sampled_from(PLAYERS)))
    for _ in range(draw(st.integers(min_value=0, max_value=40))):
        parent = draw(st.integers(min_value=0, max_value=len(tree.claims) - 1))
        if tree.claims[parent].depth == max_depth:
            tree.step_on(parent, draw(st.sampled_from([STEPPER, *PLAYERS])))
            continue
        is_attack = parent == 0 or draw(st.booleans())
        tree.move(parent, is_attack, value(draw(st.integers(0, 3))), draw(st.sampled_from(PLAYERS)))
    challenger = draw(st.sampled_from([None, CHALLENGER]))
    return tree.claims, challenger


def is_countered(claims: list[ClaimData], index: int, challenger: bytes | None) -> bool:
    """§11.3's definition, recursively and independently of the resolver."""
    if index == 0 and challenger is not None:
        return True
    if claims[index].countered_by != ZERO_ADDRESS:
        return True
    kids = [k for k, claim in enumerate(claims) if claim.parent_index == index and k != 0]
    return any(not is_countered(claims, k, challenger) for k in kids)


def expected_recipient(claims: list[ClaimData], index: int, challenger: bytes | None) -> bytes:
    """§11.3's table, independently of the resolver."""
    if index == 0 and challenger is not None:
        return challenger
    if claims[index].countered_by != ZERO_ADDRESS:
        return claims[index].countered_by
    uncountered = [
        (claim.position, k)
        for k, claim in enumerate(claims)
        if k != 0 and claim.parent_index == index and not is_countered(claims, k, challenger)
    ]
    return claims[min(uncountered)[1]].claimant if uncountered else claims[index].claimant


@settings(max_examples=200)
@given(claim_trees())
def test_resolution_matches_the_definition(tree: tuple[list[ClaimData], bytes | None]) -> None:
    claims, challenger = tree
    outcome = resolve_game(claims, challenger)
    expected_credit: dict[bytes, int] = {}
    for index, claim in enumerate(claims):
        recipient = expected_recipient(claims, index, challenger)
        expected_credit[recipient] = expected_credit.get(recipient, 0) + claim.bond
        assert outcome.countered(index) == is_countered(claims, index, challenger)
    assert outcome.normal_mode_credit == expected_credit
    total = sum(claim.bond for claim in claims)
    assert sum(outcome.normal_mode_credit.values()) == sum(refund_mode_credit(claims).values()) == total
    assert outcome.status == (
        GameStatus.CHALLENGER_WINS if is_countered(claims, 0, challenger) else GameStatus.DEFENDER_WINS
    )


@settings(max_examples=100)
@given(claim_trees(), st.integers(min_value=1, max_value=4))
def test_any_page_size_gives_the_one_shot_result(
    tree: tuple[list[ClaimData], bytes | None], page: int
) -> None:
    claims, challenger = tree
    one_shot = resolve_game(claims, challenger)
    working = list(claims)
    resolution = Resolution(working, subgames(working))
    resolution.l2_block_number_challenger = challenger
    for index in reversed(range(len(working))):
        while index not in resolution.resolved:
            resolution.resolve_claim(index, page)
    assert tuple(working) == one_shot.claims and resolution.normal_mode_credit == one_shot.normal_mode_credit
