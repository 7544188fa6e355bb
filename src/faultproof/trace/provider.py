"""What every trace provider answers (spec: dispute-game.md §14.1).

A provider covers one tree in its own coordinates: the output provider the top half (depth
``SPLIT``), a bottom provider one execution subgame (depth ``K``, its root at local position 1).
``get`` is the claim an honest player makes at a position; ``get_step_data`` is what a step at a
leaf needs: the pre-state's witness, the VM's proof, and the preimage part the step reads, which
the stepper must put in the oracle first (§15.4).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from faultproof.errors import FaultproofError
from faultproof.preimage.keys import KeyType

LOCAL_IDENT_BYTES = slice(24, 32)  # a local key is 0x01 ‖ 0^23 ‖ BE8(ident)


class TraceError(FaultproofError):
    """A trace provider was asked for what it cannot answer: a position outside its tree, step data
    in the output half, a program that did not exit within the subgame's steps."""


@dataclass(frozen=True)
class OracleDatum:
    """The preimage part a step reads: a local key (type 1, not localized) or a global key."""

    key: bytes
    value: bytes
    offset: int

    @property
    def is_local(self) -> bool:
        return self.key[0] == KeyType.LOCAL

    @property
    def local_ident(self) -> int:
        """The ``addLocalData`` ident of a local key."""
        if not self.is_local:
            raise ValueError(f"0x{self.key.hex()} is not a local key")
        return int.from_bytes(self.key[LOCAL_IDENT_BYTES], "big")


@dataclass(frozen=True)
class StepData:
    """``(preState, proof, oracle datum)`` for one step (§14.1)."""

    pre_state: bytes
    proof: bytes
    oracle: OracleDatum | None


@dataclass(frozen=True)
class BlockNumberChallenge:
    """The arguments of ``challengeRootL2Block`` (§8): the root's output-root preimage and L2 header."""

    output_root_proof: tuple[bytes, bytes, bytes, bytes]
    header_rlp: bytes


class TraceProvider(ABC):
    """The honest side's answers over one tree of depth ``depth`` (§14.1)."""

    #: The depth of the provider's tree: ``SPLIT`` for outputs, ``K`` for an execution subgame.
    depth: int

    @abstractmethod
    def get(self, position: int) -> bytes:
        """The honest claim at ``position`` (provider coordinates)."""

    @abstractmethod
    def get_step_data(self, position: int) -> StepData:
        """What the step at ``traceIndex(position)`` needs: the witness of the state before it, etc."""

    @abstractmethod
    def absolute_prestate_commitment(self) -> bytes:
        """The commitment to the state before the first trace index."""

    def l2_block_number_challenge(self) -> BlockNumberChallenge | None:
        """Proof that the root claims the wrong block number, if it does; only outputs can tell."""
        return None


__all__ = ["BlockNumberChallenge", "OracleDatum", "StepData", "TraceError", "TraceProvider"]
