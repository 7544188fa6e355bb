"""What the VMs' state files share: naming, gzip, clean errors, page lists (mips32.md §9, riscv64.md §10).

The file name selects the format, as the upstream CLIs do: a ``.gz`` suffix means gzip around the
rest, and the name without it ending in ``.bin`` means binary; anything else is JSON. So
``state.bin.gz`` is gzipped binary, ``state.json`` plain JSON and ``state.json.gz`` gzipped JSON.

State files come from other tools and from users, so every reader checks everything it relies on
and reports a problem as one ``StateFormatError`` naming the file and what is wrong — never a raw
decoding exception from ``struct``, ``json``, ``zlib`` or ``gzip``. The helpers here give each
VM's reader that behaviour; the field layouts stay with the VMs.
"""

from __future__ import annotations

import gzip
import json
import re
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from faultproof.errors import StateFormatError
from faultproof.memory import PAGE_ADDRESS_BITS, PAGE_SIZE, Memory

U8_MAX = (1 << 8) - 1
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
GZIP_LEVEL = 6
EXCERPT_LENGTH = 40

T = TypeVar("T")

_HEX = re.compile(r"0x[0-9a-fA-F]*")

# The opening every JSON state of this project's VMs shares, up to its first page's data string
# (absent when the memory list is empty). Written by the VMs' own writers and by upstream.
_JSON_STATE_OPENING = re.compile(
    rb'\s*\{\s*"memory"\s*:\s*\[\s*(?:\]|\{\s*"index"\s*:\s*\d+\s*,\s*"data"\s*:\s*"(?P<data>[^"]*)")'
)
# Enough for the opening and the longest page data string (8192 hex digits) with room to spare.
JSON_PEEK_SIZE = 16384
_HEX_PAGE = re.compile(rb"[0-9a-fA-F]+")


def page_index_limit(address_bits: int) -> int:
    """One past the largest page index of an address space: state files refuse the rest."""
    return 1 << (address_bits - PAGE_ADDRESS_BITS)


# -- choosing the format ------------------------------------------------------------------------


def is_gzip_name(path: Path) -> bool:
    """Whether the file is gzip-compressed: its name ends in ``.gz``."""
    return path.name.endswith(".gz")


def is_binary_name(path: Path) -> bool:
    """Whether the file holds the binary format: its name, less any ``.gz``, ends in ``.bin``."""
    return path.name.removesuffix(".gz").endswith(".bin")


def state_error(path: Path, problem: str) -> StateFormatError:
    """The one error of every state file problem: the file, then what is wrong with it."""
    return StateFormatError(f"state file {path}: {problem}")


# -- reading and writing files ------------------------------------------------------------------


def _read_state_bytes(path: Path) -> bytes:
    """The decompressed contents of a state file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise state_error(path, f"cannot read: {error.strerror or error}") from error
    if not is_gzip_name(path):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise state_error(path, f"not a valid gzip file ({error})") from error


def read_by_name(
    path: Path, decode_binary: Callable[[bytes, Path], T], decode_json: Callable[[bytes, Path], T]
) -> T:
    """Decode a state file with the reader its name selects, after decompressing it."""
    data = _read_state_bytes(path)
    return decode_binary(data, path) if is_binary_name(path) else decode_json(data, path)


def file_bytes_by_name(
    path: Path, encode_binary: Callable[[], bytes], encode_json: Callable[[], str]
) -> bytes:
    """The contents of a state file: the encoding its name selects, gzipped for ``.gz``."""
    data = encode_binary() if is_binary_name(path) else encode_json().encode()
    if is_gzip_name(path):
        # mtime=0: the same state always gives the same file bytes.
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    return data


def peek(path: Path, size: int) -> bytes | None:
    """The first ``size`` decompressed bytes (fewer if the file is shorter), or None if unreadable.

    For recognizing a file without reading a large one in full; a reader then reports precisely
    what is wrong with a file that cannot be peeked.
    """
    try:
        if is_gzip_name(path):
            with gzip.open(path, "rb") as compressed:
                return compressed.read(size)
        with path.open("rb") as file:
            return file.read(size)
    except (OSError, EOFError, zlib.error):
        return None


# -- binary states ------------------------------------------------------------------------------


class Cursor:
    """Reads consecutive fields of a binary state, failing with the field's name when input ends."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = memoryview(data)
        self.path = path
        self.position = 0

    def take(self, size: int, what: str) -> memoryview:
        """The next ``size`` bytes, which hold ``what``."""
        if size > len(self.data) - self.position:
            left = len(self.data) - self.position
            problem = f"truncated: {what} needs {size} bytes at offset {self.position}, {left} left"
            raise state_error(self.path, problem)
        chunk = self.data[self.position : self.position + size]
        self.position += size
        return chunk

    def unpack(self, layout: struct.Struct, what: str) -> tuple[Any, ...]:
        """The next fields, laid out as ``layout``."""
        return layout.unpack(self.take(layout.size, what))

    def finish(self) -> None:
        """Refuse bytes after the state: a file holds exactly one."""
        if self.position != len(self.data):
            raise state_error(self.path, f"{len(self.data) - self.position} unexpected bytes after the state")


@dataclass(frozen=True)
class PageList:
    """The page list of a binary state: a big-endian count, then ``index ‖ 4096 bytes`` records.

    MIPS32 writes 4-byte counts and indexes and demands ascending order; RV64 writes 8-byte ones
    and accepts any order, as upstream writes them (riscv64.md §10.1). Both reject duplicates and
    indexes outside the address space.
    """

    count: struct.Struct
    index: struct.Struct
    address_bits: int
    ascending_only: bool

    def encode(self, memory: Memory) -> bytes:
        """The count and the records, in ascending index order."""
        parts = [self.count.pack(len(memory.pages))]
        for index, page in memory.iter_pages():
            parts += [self.index.pack(index), page]
        return b"".join(parts)

    def decode(self, cursor: Cursor, bytes_after: int) -> Memory:
        """Read the list; ``bytes_after`` is the least the file holds after it, to fail fast."""
        (count,) = cursor.unpack(self.count, "page count")
        # Checked before reading any page so a corrupt count fails fast with a clear message.
        needed = cursor.position + count * (self.index.size + PAGE_SIZE) + bytes_after
        if needed > len(cursor.data):
            problem = (
                f"truncated: {count} pages need at least {needed} bytes, the file has {len(cursor.data)}"
            )
            raise state_error(cursor.path, problem)
        memory = Memory(self.address_bits)
        previous = -1
        for number in range(count):
            (index,) = cursor.unpack(self.index, f"page {number} index")
            if self.ascending_only and index <= previous:
                problem = "duplicate" if index == previous else "unsorted"
                raise state_error(cursor.path, f"{problem} page index {index} (after {previous})")
            if index in memory.pages:
                raise state_error(cursor.path, f"duplicate page index {index}")
            if index >= page_index_limit(self.address_bits):
                problem = f"page index {index} is outside the {self.address_bits}-bit address space"
                raise state_error(cursor.path, problem)
            previous = index
            memory.set_page(index, bytes(cursor.take(PAGE_SIZE, f"page {index}")))
        return memory


# -- JSON states --------------------------------------------------------------------------------


def json_text(document: dict[str, Any]) -> str:
    """A JSON state as the writers emit it: two-space indent, final newline."""
    return json.dumps(document, indent=2) + "\n"


def json_pages(memory: Memory, encode_page: Callable[[bytes], str]) -> list[dict[str, Any]]:
    """The ``memory`` list: one ``{"index", "data"}`` object per page, ascending."""
    return [{"index": index, "data": encode_page(page)} for index, page in memory.iter_pages()]


def excerpt(value: object) -> str:
    """A JSON value as it appeared, shortened so an error message stays one readable line."""
    text = json.dumps(value)
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 3] + "..."


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing a repeated key that would silently override the first."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key!r}")
        document[key] = value
    return document


def parse_json_state(
    data: bytes, path: Path, keys: Iterable[str], optional_keys: frozenset[str]
) -> dict[str, Any]:
    """The state's JSON object, holding every key of ``keys`` but the optional ones, and no other."""
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_reject_duplicate_keys)
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 text, so not a JSON state ({error.reason} at byte {error.start})"
        raise state_error(path, problem) from error
    except ValueError as error:
        raise state_error(path, f"not valid JSON ({error})") from error
    if not isinstance(document, dict):
        raise state_error(path, "a JSON state must be an object")
    keys = tuple(keys)
    missing = [key for key in keys if key not in document and key not in optional_keys]
    unknown = [key for key in document if key not in keys]
    if missing:
        raise state_error(path, f"missing key {missing[0]!r}")
    if unknown:
        raise state_error(path, f"unknown key {unknown[0]!r}")
    return document


class JsonReader:
    """Typed access to the fields of a parsed JSON state, each failure naming the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> StateFormatError:
        """The error for a problem with this file."""
        return state_error(self.path, problem)

    def integer(self, value: object, what: str, maximum: int) -> int:
        """A JSON integer from 0 to ``maximum``; never a float, a string or a boolean."""
        # bool is an int in Python but not a JSON number.
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
            raise self.fail(f"{what} must be an integer from 0 to {maximum}, got {excerpt(value)}")
        return value

    def integers(self, value: object, what: str, count: int, maximum: int) -> list[int]:
        """A list of exactly ``count`` integers from 0 to ``maximum``."""
        if not isinstance(value, list) or len(value) != count:
            raise self.fail(f"{what} must be a list of {count} integers")
        return [self.integer(item, f"{what}[{i}]", maximum) for i, item in enumerate(value)]

    def boolean(self, value: object, what: str) -> bool:
        """``true`` or ``false``; numbers are refused."""
        if not isinstance(value, bool):
            raise self.fail(f"{what} must be true or false, got {excerpt(value)}")
        return value

    def hex_bytes(self, value: object, what: str, size: int | None = None) -> bytes:
        """A ``0x``-prefixed hex string of whole bytes, of ``size`` bytes when given."""
        if not isinstance(value, str) or not _HEX.fullmatch(value) or len(value) % 2:
            raise self.fail(f"{what} must be a 0x-prefixed hex string of whole bytes, got {excerpt(value)}")
        data = bytes.fromhex(value[2:])
        if size is not None and len(data) != size:
            raise self.fail(f"{what} must be {size} bytes, got {len(data)}")
        return data

    def memory(
        self, value: object, address_bits: int, decode_page: Callable[[JsonReader, object, int], bytes]
    ) -> Memory:
        """The ``memory`` list, in any order, without duplicates; ``decode_page`` reads a ``data``."""
        if not isinstance(value, list):
            raise self.fail("memory must be a list of pages")
        memory = Memory(address_bits)
        index_limit = page_index_limit(address_bits)
        for number, entry in enumerate(value):
            if not isinstance(entry, dict) or set(entry) != {"index", "data"}:
                raise self.fail(f"memory[{number}] must be an object with keys index and data")
            index = self.integer(entry["index"], f"memory[{number}].index", index_limit - 1)
            page = decode_page(self, entry["data"], index)
            if index in memory.pages:
                raise self.fail(f"duplicate page index {index}")
            memory.set_page(index, page)
        return memory


# -- recognizing a VM's files -------------------------------------------------------------------


@dataclass(frozen=True)
class JsonStateOpening:
    """What the first bytes of a JSON state show: its first page's data, and the text peeked."""

    first_page_data: bytes | None
    head: bytes

    @property
    def first_page_is_hex(self) -> bool:
        """Whether the first page is hex digits: RV64's encoding, never MIPS32's.

        MIPS32 pages are base64 of zlib, whose first characters are never all hex digits (the zlib
        header encodes as ``eJ`` or ``eN``). Any length counts, so a damaged RV64 page is still
        read as RV64 and reported by RV64's reader.
        """
        return self.first_page_data is not None and _HEX_PAGE.fullmatch(self.first_page_data) is not None

    def has_key(self, key: str) -> bool:
        """Whether the peeked text names ``key`` (a state without pages shows all its keys)."""
        return f'"{key}"'.encode() in self.head


def peek_json_state(path: Path) -> JsonStateOpening | None:
    """The opening of a JSON state file, or None if the file does not open like one.

    The VMs' JSON states all begin with their memory list, so a recognizer looks at the first
    page's data (whose encoding differs between VMs) or, when there are no pages, at the keys
    that follow; both lie within the first ``JSON_PEEK_SIZE`` bytes.
    """
    head = peek(path, JSON_PEEK_SIZE)
    opening = _JSON_STATE_OPENING.match(head) if head is not None else None
    if head is None or opening is None:
        return None
    return JsonStateOpening(opening["data"], head)


__all__ = [
    "Cursor",
    "JsonReader",
    "JsonStateOpening",
    "PageList",
    "excerpt",
    "file_bytes_by_name",
    "is_binary_name",
    "is_gzip_name",
    "json_pages",
    "json_text",
    "page_index_limit",
    "parse_json_state",
    "peek",
    "peek_json_state",
    "read_by_name",
    "state_error",
]
