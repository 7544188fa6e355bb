"""The honest trace of each game type: how a challenger knows the truth it defends (dispute-game.md §14).

A game's trace is an output source for the top half and, below the split, one bottom provider
per execution subgame (§14.4). ``GameTraces`` says how to build both for a game of one type,
from the game's snapshot and a cache folder the challenger keeps for it (VM snapshots go there,
§14.3); it also names the absolute prestate such games must have, checked before the challenger
plays (§15.2). The alphabet VM's is built in; a VM-backed kind plugs in with a ``BottomBuilder``
around ``faultproof.trace.vm.vm_bottom``::

    traces = {GameType.ALPHABET: alphabet_traces(),
              GameType.CANNON: GameTraces(prestate, outputs, mips_bottom)}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from faultproof.agents.snapshot import GameSnapshot
from faultproof.game import alphabet
from faultproof.game.params import GameType
from faultproof.trace.outputs import AlphabetOutputs, OutputSource, OutputTraceProvider
from faultproof.trace.split import BottomFactory, SplitTraceAccessor, alphabet_bottom

BottomBuilder = Callable[[GameSnapshot, Path], BottomFactory]
"""Makes a game's bottom-provider factory from its snapshot and its trace cache folder."""


@dataclass(frozen=True)
class GameTraces:
    """The honest trace of games of one type: outputs above the split, a VM's below."""

    absolute_prestate: bytes
    outputs: OutputSource
    bottom: BottomBuilder = field(repr=False)

    def accessor(self, snapshot: GameSnapshot, cache_dir: Path) -> SplitTraceAccessor:
        """The trace accessor of one game (it caches a bottom provider per exec subgame)."""
        top = OutputTraceProvider(
            self.outputs,
            snapshot.params.split_depth,
            snapshot.anchor_block,
            snapshot.anchor_root,
            snapshot.l2_block_number,
        )
        return SplitTraceAccessor(snapshot.params, top, self.bottom(snapshot, cache_dir))

    def mismatch(self, snapshot: GameSnapshot) -> str | None:
        """Why this trace cannot judge the game (§15.2), or None: the game must start from the
        prestate this trace's VM starts from, and from an anchor this trace's outputs agree with."""
        if snapshot.params.absolute_prestate != self.absolute_prestate:
            return (
                f"absolute prestate 0x{snapshot.params.absolute_prestate.hex()} is not the local VM's "
                f"0x{self.absolute_prestate.hex()}"
            )
        honest_anchor = self.outputs.output_root(snapshot.anchor_block)
        if snapshot.anchor_root != honest_anchor:
            return (
                f"starting root 0x{snapshot.anchor_root.hex()} is not the output root of block "
                f"{snapshot.anchor_block} (0x{honest_anchor.hex()})"
            )
        return None


def alphabet_traces(outputs: OutputSource | None = None) -> GameTraces:
    """The alphabet VM's trace (§17): ``AlphabetOutputs`` unless told otherwise (a liar's view)."""

    def bottom(snapshot: GameSnapshot, _: Path) -> BottomFactory:
        return alphabet_bottom(snapshot.params.exec_depth)

    return GameTraces(alphabet.ABSOLUTE_PRESTATE, outputs or AlphabetOutputs(), bottom)


TraceRegistry = Mapping[int, GameTraces]
"""Game type → its traces; a challenger plays the types it has traces for."""


def default_traces() -> dict[int, GameTraces]:
    """The trace kinds built in: the alphabet VM (type 255)."""
    return {GameType.ALPHABET: alphabet_traces()}


__all__ = ["BottomBuilder", "GameTraces", "TraceRegistry", "alphabet_traces", "default_traces"]
