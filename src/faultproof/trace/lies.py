"""Wrong views of a VM game's truth, for the adversaries of tests and the demo (dispute-game.md §15.7).

A liar that plays the honest algorithm over a wrong trace is the strongest ordinary opponent: it
defends its false root consistently all the way down. Two wrappers make such a trace out of the
honest one:

* ``FalseOutputs``: the honest output roots before a block, made-up ones from it on — a proposer
  whose chain went wrong at that block;
* ``WrongFromStep``: inside an execution subgame, the honest run's states before local trace index
  ``t*`` and made-up states from it on, with the opposite verdict at the exec root, so the liar's
  exec roots pass the status-byte rule (§6.3) wherever the honest ones do. The bisection then ends
  at the instruction ``t*``, which the honest side proves on chain.

``first_preimage_read`` finds a ``t*`` whose instruction reads a preimage part, so that final step
needs the part uploaded to the oracle first (§15.4).
"""

from __future__ import annotations

from collections.abc import Callable

from faultproof.crypto import keccak256
from faultproof.ints import be64
from faultproof.preimage.keys import KeyType, key_type
from faultproof.trace.outputs import OutputSource
from faultproof.trace.provider import StepData, TraceProvider
from faultproof.trace.vm import VMTraceProvider
from faultproof.vm.status import VMStatus

RUN_CHUNK = 1 << 22


class FalseOutputs(OutputSource):
    """``honest``'s output roots before ``from_block``, made-up ones from it on."""

    def __init__(self, honest: OutputSource, from_block: int) -> None:
        self.honest = honest
        self.from_block = from_block

    def output_root(self, block: int) -> bytes:
        if block < self.from_block:
            return self.honest.output_root(block)
        return keccak256(b"a false output root" + be64(block))


def opposite_verdict(status: int) -> int:
    """INVALID for VALID, VALID otherwise: the exec root a liar must post where the honest one is."""
    return VMStatus.INVALID if status == VMStatus.VALID else VMStatus.VALID


class WrongFromStep(TraceProvider):
    """The honest trace of one subgame before local trace index ``t_star``, made-up states from it on."""

    def __init__(self, honest: VMTraceProvider, t_star: int) -> None:
        self.honest = honest
        self.t_star = t_star
        self.depth = honest.depth

    def get(self, position: int) -> bytes:
        t = self.honest.trace_index(position)
        if t < self.t_star:
            return self.honest.get(position)
        if t == self.honest.trace_length - 1:
            honest_root = self.honest.get(position)
            return bytes([opposite_verdict(honest_root[0])]) + keccak256(b"a false final state")[1:]
        return bytes([VMStatus.UNFINISHED]) + keccak256(b"a false state" + be64(t))[1:]

    def get_step_data(self, position: int) -> StepData:
        return self.honest.get_step_data(position)

    def absolute_prestate_commitment(self) -> bytes:
        return self.honest.absolute_prestate_commitment()


def first_preimage_read(provider: VMTraceProvider, wanted: Callable[[bytes, int], bool]) -> int:
    """The first step of the provider's run whose preimage read (key, offset) is ``wanted``."""
    vm = provider.load(provider.prestate)
    while not vm.exited:
        vm.run(RUN_CHUNK)  # a fast run stops right after each preimage read
        read = vm.last_preimage_read
        if read is not None and wanted(read.key, read.offset):
            return vm.step_count - 1
    raise ValueError("the program exited without such a preimage read")


def keccak_data_read(key: bytes, offset: int) -> bool:
    """A read of a keccak256 preimage's data (past its 8-byte length prefix)."""
    return key_type(key) == KeyType.KECCAK256 and offset >= 8


__all__ = ["FalseOutputs", "WrongFromStep", "first_preimage_read", "keccak_data_read", "opposite_verdict"]
