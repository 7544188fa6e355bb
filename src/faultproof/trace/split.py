"""Joining the output half with per-subgame execution traces (spec: dispute-game.md §14.4).

Above the split every answer comes from the output provider. Below it, the claim being answered
(``ref``) fixes which execution subgame a position belongs to — the transition between the
split-depth output on ``ref``'s line of play and its neighbour — and so which bottom provider
answers: one per transition, built from the agreed and the claimed output, cached under the same
local context the contract computes, which is also the namespace of the preimages its VM reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faultproof.game.local_context import ExecTransition, transition_at_split
from faultproof.game.params import GameParameters
from faultproof.game.positions import depth, trace_index
from faultproof.game.split import local_position
from faultproof.game.tree import ClaimData, ancestor_at_depth
from faultproof.trace.alphabet import AlphabetTraceProvider
from faultproof.trace.outputs import OutputTraceProvider
from faultproof.trace.provider import StepData, TraceError, TraceProvider


@dataclass(frozen=True)
class ExecInputs:
    """What a bottom provider is built from (§14.4 rule 3), and its transition (rule 2)."""

    agreed_block: int
    agreed_output: bytes
    claimed_block: int
    claimed_output: bytes
    transition: ExecTransition

    @property
    def local_context(self) -> bytes:
        """The cache key (rule 4): byte-identical to the contract's ``localContext``."""
        return self.transition.local_context


BottomFactory = Callable[[ExecInputs], TraceProvider]
"""Makes the bottom provider of one execution subgame, e.g. an alphabet trace or a VM run."""


def alphabet_bottom(exec_depth: int) -> BottomFactory:
    """Bottom providers of the alphabet VM (§17.4): ``D`` and ``X`` are the claimed block and output."""

    def make(inputs: ExecInputs) -> TraceProvider:
        return AlphabetTraceProvider(inputs.claimed_block, inputs.claimed_output, exec_depth)

    return make


class SplitTraceAccessor:
    """The trace accessor ``get(game, ref, pos)`` of §14.1, over a game's claim array."""

    def __init__(self, params: GameParameters, top: OutputTraceProvider, bottom: BottomFactory) -> None:
        if top.depth != params.split_depth:
            raise ValueError(
                f"the output provider has depth {top.depth}, the game splits at {params.split_depth}"
            )
        self.params = params
        self.top = top
        self.bottom = bottom
        self.providers: dict[bytes, TraceProvider] = {}

    def exec_inputs(self, claims: Sequence[ClaimData], ref: int, position: int) -> ExecInputs:
        """Rules 2 and 3: the subgame of a position below the split, seen from claim ``ref``."""
        split = self.params.split_depth
        if depth(position) <= split:
            raise TraceError(f"position {position} is an output position (split depth {split})")
        output_index = ancestor_at_depth(claims, ref, split)
        output = claims[output_index]
        at = depth(position)
        defends = trace_index(position, at) > trace_index(output.position, at)
        transition = transition_at_split(claims, output_index, not defends, self.top.anchor_root)
        pre, post = transition.starting, transition.disputed
        if pre.is_anchor:
            agreed = (self.top.anchor_block, self.top.anchor_root)
        else:
            agreed = (self.top.honest_block(pre.position), pre.claim)
        return ExecInputs(*agreed, self.top.claimed_block(post.position), post.claim, transition)

    def provider(self, claims: Sequence[ClaimData], ref: int, position: int) -> tuple[TraceProvider, int]:
        """The provider answering at ``position`` and the position in its coordinates (rule 5)."""
        if depth(position) <= self.params.split_depth:
            return self.top, position
        inputs = self.exec_inputs(claims, ref, position)
        provider = self.providers.get(inputs.local_context)
        if provider is None:
            provider = self.providers[inputs.local_context] = self.bottom(inputs)
        return provider, local_position(position, self.params)

    def get(self, claims: Sequence[ClaimData], ref: int, position: int) -> bytes:
        """The honest claim at ``position`` when answering (or judging) claim ``ref``."""
        provider, local = self.provider(claims, ref, position)
        return provider.get(local)

    def get_step_data(self, claims: Sequence[ClaimData], ref: int, position: int) -> StepData:
        """The witness for the step at ``traceIndex(position)`` (a leaf position, depth ``MAX``)."""
        provider, local = self.provider(claims, ref, position)
        return provider.get_step_data(local)


__all__ = ["BottomFactory", "ExecInputs", "SplitTraceAccessor", "alphabet_bottom"]
