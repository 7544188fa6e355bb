"""What a claim commits to, on either side of the split (spec: dispute-game.md §2.2, §6.3).

Down to ``SPLIT_DEPTH`` claims are L2 output roots, bisecting blocks; below it every claim at depth
``SPLIT + 1`` roots an independent execution subgame over one block transition, bisecting VM
steps in local coordinates. The status byte of that subgame's root must match its poster's
stance on the disputed output (§6.3): the program exits 0 exactly when the output follows.
"""

from __future__ import annotations

from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters
from faultproof.game.positions import Position, depth, gindex, index_at_depth, trace_ancestor, trace_index
from faultproof.vm.status import VMStatus

STATUS_BYTE = 0  # a VM claim's byte 0 is its status (§1)


def is_output_position(position: int, params: GameParameters) -> bool:
    """Whether a claim at ``position`` is an output root (depth ≤ SPLIT) rather than a VM state."""
    return depth(position) <= params.split_depth


def claimed_block(position: int, split_depth: int, anchor_block: int, l2_block_number: int) -> int:
    """``block(g)``: the L2 block whose output root a claim at ``position`` (depth ≤ SPLIT) asserts.

    The top half spans ``2^SPLIT`` blocks after the anchor; positions past the proposal's block
    are clamped to it, so a subgame can never dispute a block the proposal did not claim (§18 K20).
    """
    return min(anchor_block + trace_index(position, split_depth) + 1, l2_block_number)


def local_position(position: int, params: GameParameters) -> Position:
    """The position inside its execution subgame, whose root is local position 1 (§2.2, §14.4)."""
    local_depth = depth(position) - (params.split_depth + 1)
    if local_depth < 0:
        raise GameRuleError(GameError.CLAIM_ABOVE_SPLIT, f"position {position} is an output position")
    return gindex(local_depth, index_at_depth(position) % (1 << local_depth))


def local_trace_index(position: int, params: GameParameters) -> int:
    """``t'``: the VM step after which the state a claim below the split commits to is taken."""
    return trace_index(position, params.max_game_depth) % params.exec_trace_length


def exec_subgame_index(position: int, params: GameParameters) -> int:
    """Which exec root (its index at depth ``SPLIT + 1``) a position below the split belongs to."""
    return trace_index(position, params.max_game_depth) >> params.exec_depth


def exec_root_statuses(parent_position: int, is_attack: bool, split_depth: int) -> frozenset[VMStatus]:
    """The status bytes §6.3 allows for an exec root posted against the output at ``parent_position``.

    An attack disputes the parent output, so the program must reject it. A defense disputes the
    next output ``A`` (``traceAncestor(parent + 1)``, found by the contract's walk, whose depth is
    fixed by positions alone): rejected if the opponents posted ``A``, accepted if the mover's own
    team did. ``UNFINISHED`` is never allowed.
    """
    rejected = frozenset({VMStatus.INVALID, VMStatus.PANIC})
    if is_attack:
        return rejected
    next_output_depth = depth(trace_ancestor(parent_position + 1))
    return rejected if next_output_depth % 2 == split_depth % 2 else frozenset({VMStatus.VALID})


def check_exec_root_status(claim: bytes, parent_position: int, is_attack: bool, split_depth: int) -> None:
    """Row 7 of §6.1: ``UnexpectedRootClaim`` unless the claim's status byte is allowed."""
    allowed = exec_root_statuses(parent_position, is_attack, split_depth)
    if claim[STATUS_BYTE] not in allowed:
        names = ", ".join(sorted(status.name for status in allowed))
        raise GameRuleError(
            GameError.UNEXPECTED_ROOT_CLAIM,
            f"exec root 0x{claim.hex()} has status {claim[STATUS_BYTE]}, this move needs {names}",
        )


__all__ = [
    "check_exec_root_status",
    "claimed_block",
    "exec_root_statuses",
    "exec_subgame_index",
    "is_output_position",
    "local_position",
    "local_trace_index",
]
