"""Bonds by depth, to the wei (spec: dispute-game.md §10.1–§10.4).

The bond for a move grows geometrically from about 400 k gas at depth 0 to 300 M gas at the
deepest level, so lying deep in the tree is expensive and countering a lie pays for the counter.
The contract computes it with Solady's fixed-point ``lnWad``/``expWad`` (rational approximations,
``>>`` flooring, ``sdiv`` truncating); the agents must send exactly that many wei, so this module
restates the integer algorithm of §10.2 step by step rather than using floating point.
"""

from __future__ import annotations

from functools import cache

from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.positions import depth

WAD = 10**18

# §10.1: 400 k gas at depth 0, 300 M gas at MAX, priced at 200 gwei.
MIN_BOND_GAS = 400_000
MAX_BOND_GAS = 300_000_000
BOND_GAS_PRICE = 200 * 10**9
BOND_GROWTH = MAX_BOND_GAS // MIN_BOND_GAS  # 750

# §10.2 ln_wad constants.
LP = (
    3273285459638523848632254066296,
    24828157081833163892658089445524,
    43456485725739037958740375743393,
    -11111509109440967052023855526967,
    -45023709667254063763336534515857,
    -14706773417378608786704636184526,
)
LP6 = 795164235651350426258249787498
LQ = (
    5573035233440673466300451813936,
    71694874799317883764090561454958,
    283447036172924575727196451306956,
    401686690394027663651624208769553,
    204048457590392012362485061816622,
    31853899698501571402653359427138,
    909429971244387300277376558375,
)
LS = 1677202110996718588342820967067443963516166
LN2 = 16597577552685614221487285958193947469193820559219878177908093499208371
LOFF = 600920179829731861736702779321621459595472258049074101567377883020018308

# §10.2 exp_wad constants.
EXP_ZERO_BELOW = -41446531673892822313  # at or below: e^x rounds to 0
EXP_OVERFLOW_AT = 135305999368893231589  # at or above: e^x overflows int256
EL2 = 54916777467707473351141471128
EY0 = 1346386616545796478920950773328
EY1 = 57155421227552351082224309758442
EP0 = 94201549194550492254356042504812
EP1 = 28719021644029726153956944680412240
EP2 = 4385272521454847904659076985693276
EQ = (
    2855989394907223263936484059900,
    50020603652535783019961831881945,
    -533845033583426703283633433725380,
    3604857256930695427073651918091429,
    -14423608567350463180887372962807573,
    26449188498355588339934803723976023,
)
ES = 3822833074963236453042738258902158003155416615667


def tdiv(numerator: int, denominator: int) -> int:
    """Signed division truncating toward zero, as the EVM's ``sdiv`` (Python's ``//`` floors)."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator < 0) == (denominator < 0) else -quotient


def ln_wad(x: int) -> int:
    """``ln(x / WAD) · WAD`` as Solady's ``lnWad`` computes it (§10.2); ``x`` must be positive."""
    if x <= 0:
        raise ValueError(f"ln_wad is undefined for {x} (Solady reverts LnWadUndefined)")
    shift = 255 - (x.bit_length() - 1)
    z = (x << shift) >> 159  # mantissa in [2^96, 2^97)
    p = z + LP[0]
    for c in LP[1:]:
        p = ((p * z) >> 96) + c
    p = p * z - (LP6 << 96)
    q = z + LQ[0]
    for c in LQ[1:]:
        q = ((q * z) >> 96) + c
    r = tdiv(p, q)
    r = r * LS + (159 - shift) * LN2 + LOFF
    return r >> 174


def exp_wad(x: int) -> int:
    """``e^(x / WAD) · WAD`` as Solady's ``expWad`` computes it (§10.2)."""
    if x <= EXP_ZERO_BELOW:
        return 0
    if x >= EXP_OVERFLOW_AT:
        raise ValueError(f"exp_wad overflows for {x} (Solady reverts ExpOverflow)")
    x = tdiv(x << 78, 5**18)  # to 2^96 fixed point
    k = (tdiv(x << 96, EL2) + 2**95) >> 96  # round(x / ln 2)
    x = x - k * EL2
    y = x + EY0
    y = ((y * x) >> 96) + EY1
    p = y + x - EP0
    p = ((p * y) >> 96) + EP1
    p = p * x + (EP2 << 96)
    q = x - EQ[0]
    for c in EQ[1:]:
        q = ((q * x) >> 96) + c
    r = tdiv(p, q)
    # The product is an unsigned 256-bit value on the EVM; it is positive and below 2^256 here.
    return (r * ES) >> (195 - k)


@cache
def ln_bond_base(max_depth: int) -> int:
    """``ln_wad(base)``, where ``base = 750^(1/MAX)`` is the factor from one depth to the next.

    It depends only on ``MAX``, so it is computed once per game shape (as a contract may precompute).
    """
    ln_growth = ln_wad(BOND_GROWTH * WAD)
    base = exp_wad((ln_growth * ((WAD * WAD) // (max_depth * WAD))) // WAD)
    return ln_wad(base)


def required_bond_at_depth(at_depth: int, max_depth: int) -> int:
    """The bond in wei for a claim at ``at_depth`` (§10.2); ``GameDepthExceeded`` past ``max_depth``."""
    if at_depth > max_depth:
        raise GameRuleError(GameError.GAME_DEPTH_EXCEEDED, f"depth {at_depth} > MAX_GAME_DEPTH {max_depth}")
    # Upstream's powWad(base, depth·WAD) is exp_wad(ln_wad(base) · depth·WAD / WAD); the division is exact.
    gas = (MIN_BOND_GAS * exp_wad(ln_bond_base(max_depth) * at_depth)) // WAD
    return BOND_GAS_PRICE * gas


def required_bond(position: int, max_depth: int) -> int:
    """``getRequiredBond(position)``: what a move to ``position`` must send, exactly."""
    return required_bond_at_depth(depth(position), max_depth)


DEFAULT_INIT_BOND = BOND_GAS_PRICE * MIN_BOND_GAS
"""§10.4: the root bond deployments default to — the formula's value at depth 0 for every ``MAX``
(``exp_wad(0) = WAD``), 0.08 ETH."""


__all__ = [
    "DEFAULT_INIT_BOND",
    "WAD",
    "exp_wad",
    "ln_bond_base",
    "ln_wad",
    "required_bond",
    "required_bond_at_depth",
    "tdiv",
]
