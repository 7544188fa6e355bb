"""The alphabet VM's trace for one execution subgame (spec: dispute-game.md §17.4).

Built from exactly what ``addLocalData`` loads for idents 4 and 3 — the disputed block ``D`` and the
disputed output ``X`` — so the off-chain claims and the on-chain ``AlphabetVM`` follow one rule.
"""

from __future__ import annotations

from faultproof.game import alphabet
from faultproof.game.local_context import DISPUTED_BLOCK_IDENT, DISPUTED_OUTPUT_IDENT
from faultproof.game.positions import depth, trace_index
from faultproof.ints import be64
from faultproof.preimage.keys import local_key
from faultproof.trace.provider import OracleDatum, StepData, TraceError, TraceProvider


class AlphabetTraceProvider(TraceProvider):
    """The bottom half of an alphabet game: ``get(t) = commit(S_{t+1})`` over ``N = 2^depth`` steps."""

    def __init__(self, disputed_block: int, disputed_output: bytes, exec_depth: int) -> None:
        self.disputed_block = disputed_block
        self.disputed_output = disputed_output
        self.depth = exec_depth
        self.trace_length = 1 << exec_depth

    def trace_index(self, position: int) -> int:
        if position < 1 or depth(position) > self.depth:
            raise TraceError(f"position {position} is outside an execution subgame of depth {self.depth}")
        return trace_index(position, self.depth)

    def get(self, position: int) -> bytes:
        step = self.trace_index(position) + 1
        return alphabet.state_commitment(self.disputed_block, self.disputed_output, step, self.trace_length)

    def get_step_data(self, position: int) -> StepData:
        """``(S_t, b"", datum)``: the first step reads the disputed block, the last the disputed output."""
        step = self.trace_index(position)
        datum = None
        if step == 0:
            datum = OracleDatum(
                local_key(DISPUTED_BLOCK_IDENT), be64(self.disputed_block), alphabet.DISPUTED_BLOCK_OFFSET
            )
        elif step == self.trace_length - 1:
            datum = OracleDatum(
                local_key(DISPUTED_OUTPUT_IDENT), self.disputed_output, alphabet.DISPUTED_OUTPUT_OFFSET
            )
        return StepData(alphabet.state_data(self.disputed_block, step), b"", datum)

    def absolute_prestate_commitment(self) -> bytes:
        return alphabet.ABSOLUTE_PRESTATE


__all__ = ["AlphabetTraceProvider"]
