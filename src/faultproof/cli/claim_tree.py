"""A game's claims drawn as the tree they form, so a person reads a game at a glance.

Each claim is one line after the claim it counters (named on the line): the kind of move, the
position and what it stands for there (an output root of which block, an execution subgame's
root, a state at a local trace index), its value (with the VM status of a state commitment), who
posted it and its bond, how long its challengers still have, and whether it stands or is
countered — the standing it would have if the game were resolved now (§11.3: a claim is countered
iff it was stepped on or has a child that stands).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from faultproof.game.clocks import challenger_duration
from faultproof.game.params import GameParameters
from faultproof.game.positions import depth, index_at_depth, move
from faultproof.game.split import claimed_block, local_trace_index
from faultproof.game.tree import ZERO_ADDRESS, ClaimData, subgames
from faultproof.vm.status import VMStatus

WEI_PER_ETH = 10**18


def standing(claims: Sequence[ClaimData]) -> list[bool]:
    """Whether each claim stands (is uncountered) if the game were resolved now (§11.3)."""
    children = subgames(claims)
    stands = [True] * len(claims)
    for index in reversed(range(len(claims))):  # children come after their parent in the array
        stepped = claims[index].countered_by != ZERO_ADDRESS
        stands[index] = not stepped and not any(stands[child] for child in children[index])
    return stands


def claim_tree(
    claims: Sequence[ClaimData],
    params: GameParameters,
    *,
    anchor_block: int,
    l2_block_number: int,
    now: int,
    in_progress: bool = True,
) -> list[Text]:
    """One line per claim, in tree order: a claim's only counter follows it in the same column (a
    line of play reads top to bottom), several counters branch off with tree guides."""
    children = subgames(claims)
    stands = standing(claims)
    lines: list[Text] = []
    pending: list[tuple[int, str, str]] = [(0, "", "")]
    while pending:
        index, first, rest = pending.pop()
        line = Text(first, style="dim")
        line.append_text(
            _describe(claims, index, params, anchor_block, l2_block_number, now, stands, in_progress)
        )
        lines.append(line)
        kids = children[index]
        if len(kids) == 1:
            pending.append((kids[0], rest, rest))
            continue
        for order, child in reversed(list(enumerate(kids))):
            last = order == len(kids) - 1
            pending.append((child, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  ")))
    return lines


def _describe(
    claims: Sequence[ClaimData],
    index: int,
    params: GameParameters,
    anchor_block: int,
    l2_block_number: int,
    now: int,
    stands: list[bool],
    in_progress: bool,
) -> Text:
    claim = claims[index]
    line = Text()
    line.append(f"#{index} ", style="bold")
    kind = _move_kind(claims, claim)
    line.append(kind if claim.is_root else f"{kind} #{claim.parent_index}", style="cyan")
    line.append(f" → @{claim.position} (depth {depth(claim.position)})  ")
    line.append(_meaning(claim, params, anchor_block, l2_block_number))
    line.append(f"  0x{claim.claim[:4].hex()}…{claim.claim[-2:].hex()}")
    if depth(claim.position) > params.split_depth:
        line.append(f" {VMStatus(claim.claim[0]).name}", style="magenta")
    line.append(f"  by {_short_address(claim.claimant)}  bond {_eth(claim.bond)}")
    if in_progress:
        line.append(f"  {_time_left(claims, claim, params, now)}", style="yellow")
    if claim.countered_by != ZERO_ADDRESS and not any(c.parent_index == index for c in claims):
        line.append(f"  ✗ stepped on by {_short_address(claim.countered_by)}", style="red")
    elif stands[index]:
        line.append("  ✓ stands", style="green")
    else:
        line.append("  ✗ countered", style="red")
    return line


def _move_kind(claims: Sequence[ClaimData], claim: ClaimData) -> str:
    if claim.is_root:
        return "root"
    parent = claims[claim.parent_index]
    return "attack" if move(parent.position, True) == claim.position else "defend"


def _meaning(claim: ClaimData, params: GameParameters, anchor_block: int, l2_block_number: int) -> str:
    """What the value at this position commits to (§2.2)."""
    at = depth(claim.position)
    if at <= params.split_depth:
        block = claimed_block(claim.position, params.split_depth, anchor_block, l2_block_number)
        return f"output of block {block}"
    if at == params.split_depth + 1:
        return f"exec root of subgame {index_at_depth(claim.position)}"
    return f"state after step {local_trace_index(claim.position, params)}"


def _time_left(claims: Sequence[ClaimData], claim: ClaimData, params: GameParameters, now: int) -> str:
    parent_duration = 0 if claim.is_root else claims[claim.parent_index].clock.duration
    left = params.max_clock_duration - challenger_duration(parent_duration, claim.clock, now, params)
    return f"{_duration(left)} left to counter" if left else "clock out"


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02}h"
    if hours:
        return f"{hours}h{minutes:02}m"
    return f"{minutes}m{seconds:02}s"


def _eth(wei: int) -> str:
    return f"{wei / WEI_PER_ETH:.4g} ETH"


def _short_address(address: bytes) -> str:
    return f"0x{address[:2].hex()}…{address[-2:].hex()}"


__all__ = ["claim_tree", "standing"]
