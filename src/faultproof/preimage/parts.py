"""Preimage streams and the 32-byte parts the onchain oracle serves (spec: preimage-oracle.md §3)."""

from __future__ import annotations

from collections.abc import Mapping

from faultproof.errors import PreimagePartUnavailable
from faultproof.ints import be64
from faultproof.vm.interface import PreimagePartSource

PART_SIZE = 32
LENGTH_PREFIX_SIZE = 8


def preimage_stream(value: bytes) -> bytes:
    """``BE8(len) ‖ value``: what a reader addresses with its preimage offset."""
    return be64(len(value)) + value


def preimage_part(value: bytes, offset: int) -> tuple[bytes, int]:
    """``(part, partLen)`` at ``offset`` of the stream; no part exists at or past its end.

    The part is sliced from the length prefix and the value directly: a guest reads a large
    preimage a few bytes per step, so building the whole stream each time would cost O(size).
    """
    if offset >= len(value) + LENGTH_PREFIX_SIZE:
        raise PreimagePartUnavailable(f"no preimage part at offset {offset} of a {len(value)}-byte preimage")
    prefix = be64(len(value))[offset:]
    start = max(offset - LENGTH_PREFIX_SIZE, 0)
    part = prefix + value[start : offset + PART_SIZE - LENGTH_PREFIX_SIZE]
    return part.ljust(PART_SIZE, b"\x00"), len(part)


class PreimagesAsParts(PreimagePartSource):
    """Every part of every preimage in a mapping, as if each had been loaded on chain.

    Keys are the onchain keys, i.e. already localized for local data.
    """

    def __init__(self, preimages: Mapping[bytes, bytes]) -> None:
        self.preimages = preimages

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        value = self.preimages.get(key)
        if value is None:
            raise PreimagePartUnavailable("pre-image must exist")
        return preimage_part(value, offset)
