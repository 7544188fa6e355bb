"""Bonds by depth to the wei (spec: dispute-game.md §10.2–§10.4): every table entry and self-check."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.game.bonds import (
    DEFAULT_INIT_BOND,
    WAD,
    exp_wad,
    ln_bond_base,
    ln_wad,
    required_bond,
    required_bond_at_depth,
    tdiv,
)
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import MAX_GAME_DEPTH_LIMIT
from faultproof.game.positions import gindex

GAS_PRICE = 200 * 10**9  # §10.3: gas = required_bond / 200 gwei

# §10.3, MAX = 73 (selected depths): depth, gas, bond in wei.
MAINNET_TABLE = [
    (0, 400_000, 80_000_000_000_000_000),
    (1, 437_970, 87_594_000_000_000_000),
    (2, 479_544, 95_908_800_000_000_000),
    (3, 525_065, 105_013_000_000_000_000),
    (10, 990_612, 198_122_400_000_000_000),
    (20, 2_453_285, 490_657_000_000_000_000),
    (29, 5_548_909, 1_109_781_800_000_000_000),
    (30, 6_075_639, 1_215_127_800_000_000_000),
    (31, 6_652_370, 1_330_474_000_000_000_000),
    (40, 15_046_518, 3_009_303_600_000_000_000),
    (50, 37_263_190, 7_452_638_000_000_000_000),
    (60, 92_283_497, 18_456_699_400_000_000_000),
    (70, 228_543_067, 45_708_613_400_000_000_000),
    (72, 273_991_351, 54_798_270_200_000_000_000),
    (73, 299_999_999, 59_999_999_800_000_000_000),
]
UNIT_GAS = [
    400_000,
    915_045,
    2_093_270,
    4_788_593,
    10_954_451,
    25_059_550,
    57_326_567,
    131_141_031,
    299_999_999,
]
MINIMAL_GAS = [400_000, 2_093_270, 10_954_451, 57_326_567, 299_999_999]


@pytest.mark.parametrize(("depth", "gas", "wei"), MAINNET_TABLE)
def test_mainnet_table(depth: int, gas: int, wei: int) -> None:
    assert required_bond_at_depth(depth, 73) == wei == gas * GAS_PRICE


def test_mainnet_full_path_costs() -> None:
    """Σ over depths 1..73 = 691.154694 ETH, one full path of moves."""
    assert sum(required_bond_at_depth(d, 73) for d in range(1, 74)) == 691_154_694 * 10**12


@pytest.mark.parametrize(("depth", "gas"), list(enumerate(UNIT_GAS)))
def test_unit_table(depth: int, gas: int) -> None:
    assert required_bond_at_depth(depth, 8) == gas * GAS_PRICE


@pytest.mark.parametrize(("depth", "gas"), list(enumerate(MINIMAL_GAS)))
def test_minimal_table(depth: int, gas: int) -> None:
    assert required_bond_at_depth(depth, 4) == gas * GAS_PRICE


def test_deepest_bond_of_unit() -> None:
    assert required_bond_at_depth(8, 8) == 59_999_999_800_000_000_000


def test_solady_self_checks() -> None:
    assert exp_wad(0) == WAD
    assert exp_wad(WAD) == 2_718_281_828_459_045_235
    assert ln_wad(2_718_281_828_459_045_235) == 999_999_999_999_999_999


@pytest.mark.parametrize(
    ("max_depth", "exponent", "base", "ln_base"),
    [
        (8, 827_509_150_816_294_515, 2_287_613_537_501_587_651, 827_509_150_816_294_514),
        (73, 90_685_934_336_032_273, 1_094_925_072_882_607_666, 90_685_934_336_032_272),
    ],
)
def test_intermediates(max_depth: int, exponent: int, base: int, ln_base: int) -> None:
    """§10.2's intermediate table, step by step as ``required_bond`` computes them."""
    ln750 = ln_wad(750 * WAD)
    assert ln750 == 6_620_073_206_530_356_124
    assert (WAD * WAD) // (max_depth * WAD) == {8: 125_000_000_000_000_000, 73: 13_698_630_136_986_301}[
        max_depth
    ]
    assert (ln750 * ((WAD * WAD) // (max_depth * WAD))) // WAD == exponent
    assert exp_wad(exponent) == base
    assert ln_wad(base) == ln_base == ln_bond_base(max_depth)


def test_exp_wad_edges() -> None:
    assert exp_wad(-41_446_531_673_892_822_313) == 0
    assert exp_wad(-41_446_531_673_892_822_312) > 0
    with pytest.raises(ValueError):
        exp_wad(135_305_999_368_893_231_589)
    with pytest.raises(ValueError):
        ln_wad(0)


def test_tdiv_truncates_toward_zero() -> None:
    assert [tdiv(7, 2), tdiv(-7, 2), tdiv(7, -2), tdiv(-7, -2)] == [3, -3, -3, 3]


def test_depth_past_max_reverts() -> None:
    with pytest.raises(GameRuleError) as raised:
        required_bond(gindex(9, 0), 8)
    assert raised.value.reason == GameError.GAME_DEPTH_EXCEEDED
    assert required_bond(gindex(8, 255), 8) == required_bond_at_depth(8, 8)


def test_default_init_bond_is_the_depth_0_bond() -> None:
    """§10.4: the root bond defaults to §10.2's value at depth 0, 0.08 ETH, whatever MAX is."""
    assert DEFAULT_INIT_BOND == 80_000_000_000_000_000
    assert all(required_bond_at_depth(0, m) == DEFAULT_INIT_BOND for m in range(4, MAX_GAME_DEPTH_LIMIT + 1))


LEGAL_MAX = st.integers(min_value=4, max_value=MAX_GAME_DEPTH_LIMIT)


@given(LEGAL_MAX, st.data())
def test_bonds_grow_with_depth(max_depth: int, data: st.DataObject) -> None:
    depth = data.draw(st.integers(min_value=0, max_value=max_depth - 1))
    assert required_bond_at_depth(depth + 1, max_depth) > required_bond_at_depth(depth, max_depth)


@pytest.mark.parametrize("max_depth", range(4, MAX_GAME_DEPTH_LIMIT + 1))
def test_bonds_follow_the_real_formula(max_depth: int) -> None:
    """§10.1 at every depth of every legal MAX: 400 000 · 750^(depth / MAX) gas to within the one gas
    lost to rounding down, at 200 gwei, never above 300 M gas."""
    for depth in range(max_depth + 1):
        bond = required_bond_at_depth(depth, max_depth)
        ideal_gas = 400_000 * 750 ** (depth / max_depth)
        assert bond % GAS_PRICE == 0
        assert math.isclose(bond // GAS_PRICE, ideal_gas, abs_tol=1.000001)
        assert bond <= GAS_PRICE * 300_000_000
