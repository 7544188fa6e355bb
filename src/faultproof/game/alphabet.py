"""The alphabet VM: a toy execution trace the game can be played over (spec: dispute-game.md §17).

Its state after ``j`` steps of the subgame disputing block ``D`` is just ``BE32(D) ‖ BE32(j)``, so
every claim is cheap to compute and every step cheap to check, yet each status-byte case of §6.3
can be played: the final state is ``VALID`` exactly when the disputed output is the true alphabet
output of ``D``. One rule serves both sides (§17.1) — ``step`` below is the contract's function,
and the off-chain trace (``faultproof.trace.alphabet``) is built from ``state_commitment`` — so the
two cannot disagree the way upstream's pair does at the first step.
"""

from __future__ import annotations

from dataclasses import dataclass

from faultproof.crypto import keccak256
from faultproof.errors import StepFailure
from faultproof.game.local_context import DISPUTED_BLOCK_IDENT, DISPUTED_OUTPUT_IDENT
from faultproof.preimage.keys import local_key, localize, typed
from faultproof.vm.interface import PreimagePartSource
from faultproof.vm.status import VMStatus

WORD_SIZE = 32

PRESTATE_DATA = (0x60).to_bytes(WORD_SIZE, "big")
"""``P``, the witness of ``S_0``: the same in every execution subgame."""

ABSOLUTE_PRESTATE = typed(VMStatus.UNFINISHED, keccak256(PRESTATE_DATA))
"""``commit(S_0)`` — the one value shared with upstream's alphabet game."""

OUTPUT_DOMAIN = keccak256(b"faultproof.alphabet.output")
"""``DOMAIN``: separates alphabet output roots from every other hash of a 32-byte word."""

# Where in a local key's parts the step finds its inputs (§17.3).
DISPUTED_OUTPUT_OFFSET = 8  # past the 8-byte length prefix: the 32-byte root
DISPUTED_BLOCK_OFFSET = 0  # the part holds BE8(size) ‖ BE8(block)
BLOCK_IN_PART = slice(8, 16)


def output_root(block: int) -> bytes:
    """``O(n) = H(DOMAIN ‖ BE32(n))``, the alphabet chain's output root of L2 block ``n``."""
    return keccak256(OUTPUT_DOMAIN + block.to_bytes(WORD_SIZE, "big"))


def state_data(disputed_block: int, step: int) -> bytes:
    """The witness of ``S_step``: ``P`` at step 0, else ``BE32(D) ‖ BE32(step)``."""
    if step == 0:
        return PRESTATE_DATA
    return disputed_block.to_bytes(WORD_SIZE, "big") + step.to_bytes(WORD_SIZE, "big")


def final_status(disputed_block: int, disputed_output: bytes) -> VMStatus:
    """A trace that has run to its end is valid iff the disputed output is block ``D``'s true output."""
    return VMStatus.VALID if disputed_output == output_root(disputed_block) else VMStatus.INVALID


def state_commitment(disputed_block: int, disputed_output: bytes, step: int, trace_length: int) -> bytes:
    """``commit(S_step)`` in the subgame disputing output ``X`` of block ``D`` (§17.2)."""
    if step == 0:
        return ABSOLUTE_PRESTATE
    status = VMStatus.UNFINISHED if step < trace_length else final_status(disputed_block, disputed_output)
    return typed(status, keccak256(state_data(disputed_block, step)))


@dataclass(frozen=True)
class AlphabetVM:
    """The on-chain ``AlphabetVM`` step verifier, with ``N = trace_length`` steps per subgame (§17.3)."""

    trace_length: int

    def step(
        self, state_data: bytes, proof: bytes, local_context: bytes, oracle: PreimagePartSource, caller: bytes
    ) -> bytes:
        """The post-state commitment of one step from ``state_data``; ``proof`` is ignored.

        Local data is read from ``oracle`` under keys localized to ``caller`` (the game) and
        ``local_context``, as the contract reads the PreimageOracle; a part that was never loaded
        raises ``PreimagePartUnavailable`` as the oracle's revert would. Malformed state data
        raises ``StepFailure``.
        """
        # DECODE
        if len(state_data) == WORD_SIZE and keccak256(state_data)[1:] == ABSOLUTE_PRESTATE[1:]:
            part, _ = oracle.read_part(
                localize(local_key(DISPUTED_BLOCK_IDENT), local_context, caller), DISPUTED_BLOCK_OFFSET
            )
            block, step = int.from_bytes(part[BLOCK_IN_PART], "big"), 0
        elif len(state_data) == 2 * WORD_SIZE:
            block = int.from_bytes(state_data[:WORD_SIZE], "big")
            step = int.from_bytes(state_data[WORD_SIZE:], "big")
        else:
            raise StepFailure(
                f"alphabet state data is neither the prestate nor 64 bytes ({len(state_data)} bytes)"
            )
        # TRANSITION: an ended trace steps to itself
        next_step = step + 1 if step < self.trace_length else step
        # STATUS
        if next_step < self.trace_length:
            status = VMStatus.UNFINISHED
        else:
            disputed_output, _ = oracle.read_part(
                localize(local_key(DISPUTED_OUTPUT_IDENT), local_context, caller), DISPUTED_OUTPUT_OFFSET
            )
            status = final_status(block, disputed_output)
        return typed(
            status, keccak256(block.to_bytes(WORD_SIZE, "big") + next_step.to_bytes(WORD_SIZE, "big"))
        )


__all__ = [
    "ABSOLUTE_PRESTATE",
    "OUTPUT_DOMAIN",
    "PRESTATE_DATA",
    "AlphabetVM",
    "final_status",
    "output_root",
    "state_commitment",
    "state_data",
]
