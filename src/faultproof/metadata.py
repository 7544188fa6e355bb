"""Program metadata: the ELF's symbols, for diagnostics and the run loop's guard (mips32.md §8.7)."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

from faultproof.errors import StateFormatError


@dataclass(frozen=True, order=True)
class Symbol:
    start: int
    size: int
    name: str


class Metadata:
    """Symbols sorted by start address, with lookup of the symbol containing an address."""

    def __init__(self, symbols: list[Symbol]) -> None:
        self.symbols = sorted(symbols)
        self._starts = [symbol.start for symbol in self.symbols]

    def lookup(self, address: int) -> Symbol | None:
        """The symbol whose ``[start, start + size)`` contains ``address``, if any."""
        position = bisect.bisect_right(self._starts, address) - 1
        while position >= 0:
            symbol = self.symbols[position]
            if symbol.start + symbol.size > address:
                return symbol
            if symbol.size != 0 or symbol.start != address:
                return None
            position -= 1
        return None

    def symbol_name(self, address: int) -> str | None:
        symbol = self.lookup(address)
        return symbol.name if symbol else None

    def ranges(self, name: str) -> list[tuple[int, int]]:
        """``[start, end)`` of every symbol with this name."""
        return [(s.start, s.start + s.size) for s in self.symbols if s.name == name]

    def to_json(self) -> str:
        symbols = [{"name": s.name, "start": s.start, "size": s.size} for s in self.symbols]
        return json.dumps({"symbols": symbols}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Metadata:
        try:
            document = json.loads(text)
            symbols = [Symbol(int(s["start"]), int(s["size"]), str(s["name"])) for s in document["symbols"]]
        except (ValueError, KeyError, TypeError) as error:
            raise StateFormatError(f"malformed metadata: {error}") from error
        return cls(symbols)
