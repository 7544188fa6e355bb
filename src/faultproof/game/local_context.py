"""The block transition an execution subgame disputes, and its local data (spec: dispute-game.md §7.4, §7.5).

Every claim below the split belongs to one exec subgame, which proves one ``n → n+1`` transition:
from a *starting* output its team agrees with to a *disputed* output. The pair fixes the program's
local inputs and, hashed, the *local context* that namespaces its local preimage keys — so two
subgames of one game can never read each other's inputs (§18 K21). ``step`` and ``addLocalData``
must compute it identically, and so must the challenger's trace cache (§14.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faultproof.crypto import keccak256
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.params import GameParameters
from faultproof.game.positions import depth, index_at_depth, trace_ancestor, tree_parent
from faultproof.game.split import claimed_block
from faultproof.game.tree import ClaimData, ancestor_at_depth, find_ancestor
from faultproof.ints import be64

ANCHOR_POSITION = 0  # §1: position 0 stands for the anchor output in a local context


@dataclass(frozen=True)
class OutputRef:
    """An output root and the position that claimed it; ``ANCHOR_POSITION`` for the game's anchor."""

    claim: bytes
    position: int

    @property
    def is_anchor(self) -> bool:
        return self.position == ANCHOR_POSITION


@dataclass(frozen=True)
class ExecTransition:
    """``outputs(i)`` of §7.4: the outputs before and after the transition an exec subgame disputes."""

    starting: OutputRef
    disputed: OutputRef

    @property
    def local_context(self) -> bytes:
        """``localContext``: the disputed output alone when starting from the anchor, else both."""
        disputed = self.disputed.claim + self.disputed.position.to_bytes(32, "big")
        if self.starting.is_anchor:
            return keccak256(disputed)
        return keccak256(self.starting.claim + self.starting.position.to_bytes(32, "big") + disputed)


def transition_at_split(
    claims: Sequence[ClaimData], split_index: int, is_attack: bool, anchor_root: bytes
) -> ExecTransition:
    """The transition of an exec subgame that attacks (or defends) the split-depth output ``split_index``.

    Attacking output ``O`` disputes it, starting from the output before it (the anchor when ``O``
    is the first); defending it starts from ``O`` and disputes the output after it. Either
    neighbour is found by walking up from ``O``, i.e. on the line of play that led to ``O``.
    """
    output = claims[split_index]
    here = OutputRef(output.claim, output.position)
    if is_attack:
        if index_at_depth(output.position) == 0:
            return ExecTransition(OutputRef(anchor_root, ANCHOR_POSITION), here)
        before = claims[find_ancestor(claims, split_index, trace_ancestor(output.position - 1))]
        return ExecTransition(OutputRef(before.claim, before.position), here)
    after = claims[find_ancestor(claims, split_index, trace_ancestor(output.position + 1))]
    return ExecTransition(here, OutputRef(after.claim, after.position))


def exec_transition(
    claims: Sequence[ClaimData], index: int, params: GameParameters, anchor_root: bytes
) -> ExecTransition:
    """``outputs(i)`` for any claim below the split: ``ClaimAboveSplit`` for an output claim."""
    claim_depth = depth(claims[index].position)
    if claim_depth <= params.split_depth:
        raise GameRuleError(
            GameError.CLAIM_ABOVE_SPLIT,
            f"claim {index} at depth {claim_depth} is an output root (split {params.split_depth})",
        )
    exec_root = claims[ancestor_at_depth(claims, index, params.split_depth + 1)]
    split_index = exec_root.parent_index
    is_attack = tree_parent(exec_root.position) == claims[split_index].position
    return transition_at_split(claims, split_index, is_attack, anchor_root)


# §7.5 / preimage-oracle.md §2.3: the local inputs of the program.
L1_HEAD_IDENT = 1
STARTING_OUTPUT_IDENT = 2
DISPUTED_OUTPUT_IDENT = 3
DISPUTED_BLOCK_IDENT = 4
L2_CHAIN_ID_IDENT = 5


def local_data(
    ident: int,
    transition: ExecTransition,
    l1_head: bytes,
    anchor_block: int,
    l2_block_number: int,
    l2_chain_id: int,
    split_depth: int,
) -> bytes:
    """The preimage ``addLocalData(ident, …)`` loads (``word[0:size]`` of §7.5).

    Block numbers and the chain id are 8 bytes; roots and the L1 head 32. ``InvalidLocalIdent``
    for an ident the program has no input for.
    """
    if ident == L1_HEAD_IDENT:
        return l1_head
    if ident == STARTING_OUTPUT_IDENT:
        return transition.starting.claim
    if ident == DISPUTED_OUTPUT_IDENT:
        return transition.disputed.claim
    if ident == DISPUTED_BLOCK_IDENT:
        return be64(claimed_block(transition.disputed.position, split_depth, anchor_block, l2_block_number))
    if ident == L2_CHAIN_ID_IDENT:
        return be64(l2_chain_id)
    raise GameRuleError(GameError.INVALID_LOCAL_IDENT, f"no local input {ident} (idents are 1–5)")


__all__ = [
    "ANCHOR_POSITION",
    "DISPUTED_BLOCK_IDENT",
    "DISPUTED_OUTPUT_IDENT",
    "L1_HEAD_IDENT",
    "L2_CHAIN_ID_IDENT",
    "STARTING_OUTPUT_IDENT",
    "ExecTransition",
    "OutputRef",
    "exec_transition",
    "local_data",
    "transition_at_split",
]
