"""MIPS32 state files: the canonical binary format and the JSON alternative (spec: mips32.md §9.1, §9.2).

The file name selects the format, as upstream's CLI does: a ``.gz`` suffix means gzip around the
rest, and the name without it ending in ``.bin`` means binary; anything else is JSON. So
``state.bin.gz`` is gzipped binary, ``state.json`` plain JSON and ``state.json.gz`` gzipped JSON.

State files come from other tools and from users, so every reader checks everything it relies on
and reports a problem as one ``StateFormatError`` naming the file and what is wrong — never a raw
decoding exception from ``struct``, ``json``, ``zlib`` or ``gzip``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faultproof.errors import StateFormatError
from faultproof.memory import PAGE_ADDRESS_BITS, PAGE_SIZE, Memory
from faultproof.vm.mips32.state import REGISTER_COUNT, STATE_FIELDS, MipsState, decode_fields, encode_fields

ADDRESS_BITS = 32
PAGE_COUNT_LIMIT = 1 << (ADDRESS_BITS - PAGE_ADDRESS_BITS)

# -- binary layout (§9.1) -----------------------------------------------------------------------

STATE_VERSION = 0x02
# Cannon's multithreaded formats share the version byte's position; name them in the error.
MULTITHREADED_VERSIONS = {0x01: "multithreaded", 0x03: "multithreaded64"}

_VERSION = struct.Struct(">B")
_PAGE_COUNT = struct.Struct(">I")
_PAGE_INDEX = struct.Struct(">I")
_HINT_LENGTH = struct.Struct(">I")
_PAGE_RECORD_SIZE = _PAGE_INDEX.size + PAGE_SIZE
EMPTY_STATE_FILE_SIZE = _VERSION.size + _PAGE_COUNT.size + STATE_FIELDS.size + _HINT_LENGTH.size
assert EMPTY_STATE_FILE_SIZE == 203

# -- JSON layout (§9.2) -------------------------------------------------------------------------

_JSON_KEYS = (
    "memory",
    "preimageKey",
    "preimageOffset",
    "pc",
    "nextPC",
    "lo",
    "hi",
    "heap",
    "exit",
    "exited",
    "step",
    "registers",
    "lastHint",
)
_OPTIONAL_JSON_KEYS = frozenset({"lastHint"})
_PAGE_KEYS = ("index", "data")
# A JSON state of this VM opens with its memory list; other VMs' JSON states do not.
_JSON_SIGNATURE = re.compile(rb'\s*\{\s*"memory"\s*:')
_SIGNATURE_PEEK = 64
_HEX = re.compile(r"0x[0-9a-fA-F]*")

U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
U8_MAX = (1 << 8) - 1
GZIP_LEVEL = 6
EXCERPT_LENGTH = 40


# -- choosing the format ------------------------------------------------------------------------


def is_gzip_name(path: Path) -> bool:
    """Whether the file is gzip-compressed: its name ends in ``.gz``."""
    return path.name.endswith(".gz")


def is_binary_name(path: Path) -> bool:
    """Whether the file holds the binary format: its name, less any ``.gz``, ends in ``.bin``."""
    return path.name.removesuffix(".gz").endswith(".bin")


def _fail(path: Path, problem: str) -> StateFormatError:
    return StateFormatError(f"state file {path}: {problem}")


def _read_file(path: Path) -> bytes:
    """The decompressed contents of a state file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _fail(path, f"cannot read: {error.strerror or error}") from error
    if not is_gzip_name(path):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise _fail(path, f"not a valid gzip file ({error})") from error


def _peek(path: Path, size: int) -> bytes:
    """The first ``size`` decompressed bytes, without reading a large file in full."""
    if is_gzip_name(path):
        with gzip.open(path, "rb") as compressed:
            return compressed.read(size)
    with path.open("rb") as file:
        return file.read(size)


# -- public entry points ------------------------------------------------------------------------


def read_state_file(path: Path) -> tuple[MipsState, Memory, bytes]:
    """The state, memory and ``lastHint`` stored in a file of either format."""
    path = Path(path)
    data = _read_file(path)
    if is_binary_name(path):
        return decode_binary_state(data, path)
    return decode_json_state(data, path)


def recognizes_state_file(path: Path) -> bool:
    """Whether the file looks like a state of this VM: version byte 0x02, or JSON opening with memory.

    Only the first bytes are read. A file that is not recognized may still be read with
    ``read_state_file``, which then says precisely what is wrong with it.
    """
    path = Path(path)
    try:
        head = _peek(path, 1 if is_binary_name(path) else _SIGNATURE_PEEK)
    except (OSError, EOFError, zlib.error):
        return False
    if is_binary_name(path):
        return head == bytes([STATE_VERSION])
    return _JSON_SIGNATURE.match(head) is not None


def state_file_bytes(path: Path, state: MipsState, memory: Memory, last_hint: bytes) -> bytes:
    """The file contents for ``path``: binary or JSON by name, gzipped if it ends in ``.gz``."""
    path = Path(path)
    if is_binary_name(path):
        data = encode_binary_state(state, memory, last_hint)
    else:
        data = encode_json_state(state, memory, last_hint).encode()
    if is_gzip_name(path):
        # mtime=0: the same state always gives the same file bytes.
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    return data


# -- binary (§9.1) ------------------------------------------------------------------------------


def encode_binary_state(state: MipsState, memory: Memory, last_hint: bytes) -> bytes:
    """``version ‖ N ‖ pages ‖ fields ‖ len(lastHint) ‖ lastHint``, pages in ascending index."""
    parts = [_VERSION.pack(STATE_VERSION), _PAGE_COUNT.pack(len(memory.pages))]
    for index, page in memory.iter_pages():
        parts += [_PAGE_INDEX.pack(index), page]
    parts.append(encode_fields(state))
    parts += [_HINT_LENGTH.pack(len(last_hint)), last_hint]
    return b"".join(parts)


class _Cursor:
    """Reads consecutive fields of a binary state, failing with the field's name when input ends."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = memoryview(data)
        self.path = path
        self.position = 0

    def take(self, size: int, what: str) -> memoryview:
        if size > len(self.data) - self.position:
            left = len(self.data) - self.position
            problem = f"truncated: {what} needs {size} bytes at offset {self.position}, {left} left"
            raise _fail(self.path, problem)
        chunk = self.data[self.position : self.position + size]
        self.position += size
        return chunk

    def unpack(self, layout: struct.Struct, what: str) -> tuple[Any, ...]:
        return layout.unpack(self.take(layout.size, what))


def _check_version(version: int, path: Path) -> None:
    if version == STATE_VERSION:
        return
    if version in MULTITHREADED_VERSIONS:
        detail = f"Cannon's {MULTITHREADED_VERSIONS[version]} format is not supported"
    else:
        detail = "not a Cannon state format"
    expected = f"expected 0x{STATE_VERSION:02x}, singlethreaded-2"
    raise _fail(path, f"unknown state version 0x{version:02x} ({detail}; {expected})")


def _binary_pages(cursor: _Cursor, path: Path) -> Iterator[tuple[int, bytes]]:
    """The page records, checked to be in strictly ascending index order."""
    (count,) = cursor.unpack(_PAGE_COUNT, "page count")
    # Checked before reading any page so a corrupt count fails fast with a clear message.
    needed = cursor.position + count * _PAGE_RECORD_SIZE + STATE_FIELDS.size + _HINT_LENGTH.size
    if needed > len(cursor.data):
        problem = f"truncated: {count} pages need at least {needed} bytes, the file has {len(cursor.data)}"
        raise _fail(path, problem)
    previous = -1
    for number in range(count):
        (index,) = cursor.unpack(_PAGE_INDEX, f"page {number} index")
        if index <= previous:
            problem = "duplicate" if index == previous else "unsorted"
            raise _fail(path, f"{problem} page index {index} (after {previous})")
        if index >= PAGE_COUNT_LIMIT:
            raise _fail(path, f"page index {index} is outside the 32-bit address space")
        previous = index
        yield index, bytes(cursor.take(PAGE_SIZE, f"page {index}"))


def decode_binary_state(data: bytes, path: Path) -> tuple[MipsState, Memory, bytes]:
    """Parse §9.1 bytes, rejecting other versions, truncation, bad pages and trailing bytes."""
    if not data:
        raise _fail(path, "empty file")
    cursor = _Cursor(data, path)
    (version,) = cursor.unpack(_VERSION, "version")
    _check_version(version, path)
    memory = Memory(ADDRESS_BITS)
    for index, page in _binary_pages(cursor, path):
        memory.set_page(index, page)
    state = decode_fields(bytes(cursor.take(STATE_FIELDS.size, "state fields")))
    if state.exited > 1:
        raise _fail(path, f"exited is {state.exited}, must be 0 or 1")
    (hint_length,) = cursor.unpack(_HINT_LENGTH, "lastHint length")
    last_hint = bytes(cursor.take(hint_length, "lastHint"))
    if cursor.position != len(data):
        raise _fail(path, f"{len(data) - cursor.position} unexpected bytes after the state")
    return state, memory, last_hint


# -- JSON (§9.2) --------------------------------------------------------------------------------


def _compress_page(page: bytes) -> str:
    return base64.b64encode(zlib.compress(page)).decode("ascii")


def encode_json_state(state: MipsState, memory: Memory, last_hint: bytes) -> str:
    """The §9.2 document: keys in spec order, ``lastHint`` only when non-empty, two-space indent."""
    document: dict[str, Any] = {
        "memory": [{"index": index, "data": _compress_page(page)} for index, page in memory.iter_pages()],
        "preimageKey": "0x" + state.preimage_key.hex(),
        "preimageOffset": state.preimage_offset,
        "pc": state.pc,
        "nextPC": state.next_pc,
        "lo": state.lo,
        "hi": state.hi,
        "heap": state.heap,
        "exit": state.exit_code,
        "exited": state.exited == 1,
        "step": state.step,
        "registers": list(state.registers),
    }
    if last_hint:
        document["lastHint"] = "0x" + last_hint.hex()
    return json.dumps(document, indent=2) + "\n"


def _excerpt(value: object) -> str:
    """A JSON value as it appeared, shortened so an error message stays one readable line."""
    text = json.dumps(value)
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 3] + "..."


class _JsonReader:
    """Typed access to the fields of a parsed JSON state, each failure naming the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> StateFormatError:
        return _fail(self.path, problem)

    def integer(self, value: object, what: str, maximum: int) -> int:
        # bool is an int in Python but not a JSON number.
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
            raise self.fail(f"{what} must be an integer from 0 to {maximum}, got {_excerpt(value)}")
        return value

    def hex_bytes(self, value: object, what: str, size: int | None = None) -> bytes:
        if not isinstance(value, str) or not _HEX.fullmatch(value) or len(value) % 2:
            raise self.fail(f"{what} must be a 0x-prefixed hex string of whole bytes, got {_excerpt(value)}")
        data = bytes.fromhex(value[2:])
        if size is not None and len(data) != size:
            raise self.fail(f"{what} must be {size} bytes, got {len(data)}")
        return data

    def page(self, entry: object, number: int) -> tuple[int, bytes]:
        if not isinstance(entry, dict) or set(entry) != set(_PAGE_KEYS):
            raise self.fail(f"memory[{number}] must be an object with keys index and data")
        index = self.integer(entry["index"], f"memory[{number}].index", PAGE_COUNT_LIMIT - 1)
        return index, self.page_data(entry["data"], index)

    def page_data(self, value: object, index: int) -> bytes:
        if not isinstance(value, str):
            raise self.fail(f"page {index}: data must be a base64 string")
        try:
            compressed = base64.b64decode(value, validate=True)
        except binascii.Error as error:
            raise self.fail(f"page {index}: invalid base64 ({error})") from error
        inflater = zlib.decompressobj()
        try:
            page = inflater.decompress(compressed, PAGE_SIZE + 1)
        except zlib.error as error:
            raise self.fail(f"page {index}: invalid zlib data ({error})") from error
        if len(page) != PAGE_SIZE or not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
            raise self.fail(f"page {index}: data must inflate to exactly {PAGE_SIZE} bytes")
        return page

    def memory(self, value: object) -> Memory:
        if not isinstance(value, list):
            raise self.fail("memory must be a list of pages")
        memory = Memory(ADDRESS_BITS)
        for number, entry in enumerate(value):
            index, page = self.page(entry, number)
            if index in memory.pages:
                raise self.fail(f"duplicate page index {index}")
            memory.set_page(index, page)
        return memory


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing a repeated key that would silently override the first."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key!r}")
        document[key] = value
    return document


def _parse_json(data: bytes, path: Path) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_reject_duplicate_keys)
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 text, so not a JSON state ({error.reason} at byte {error.start})"
        raise _fail(path, problem) from error
    except ValueError as error:
        raise _fail(path, f"not valid JSON ({error})") from error
    if not isinstance(document, dict):
        raise _fail(path, "a JSON state must be an object")
    missing = [key for key in _JSON_KEYS if key not in document and key not in _OPTIONAL_JSON_KEYS]
    unknown = [key for key in document if key not in _JSON_KEYS]
    if missing:
        raise _fail(path, f"missing key {missing[0]!r}")
    if unknown:
        raise _fail(path, f"unknown key {unknown[0]!r}")
    return document


def decode_json_state(data: bytes, path: Path) -> tuple[MipsState, Memory, bytes]:
    """Parse a §9.2 document, checking every field's type and range and every page's size."""
    document = _parse_json(data, path)
    reader = _JsonReader(path)
    registers = document["registers"]
    if not isinstance(registers, list) or len(registers) != REGISTER_COUNT:
        raise reader.fail(f"registers must be a list of {REGISTER_COUNT} integers")
    if not isinstance(document["exited"], bool):
        raise reader.fail(f"exited must be true or false, got {_excerpt(document['exited'])}")
    state = MipsState(
        preimage_key=reader.hex_bytes(document["preimageKey"], "preimageKey", 32),
        preimage_offset=reader.integer(document["preimageOffset"], "preimageOffset", U32_MAX),
        pc=reader.integer(document["pc"], "pc", U32_MAX),
        next_pc=reader.integer(document["nextPC"], "nextPC", U32_MAX),
        lo=reader.integer(document["lo"], "lo", U32_MAX),
        hi=reader.integer(document["hi"], "hi", U32_MAX),
        heap=reader.integer(document["heap"], "heap", U32_MAX),
        exit_code=reader.integer(document["exit"], "exit", U8_MAX),
        exited=int(document["exited"]),
        step=reader.integer(document["step"], "step", U64_MAX),
        registers=[reader.integer(value, f"registers[{i}]", U32_MAX) for i, value in enumerate(registers)],
    )
    last_hint = reader.hex_bytes(document.get("lastHint", "0x"), "lastHint")
    return state, reader.memory(document["memory"]), last_hint


__all__ = [
    "decode_binary_state",
    "decode_json_state",
    "encode_binary_state",
    "encode_json_state",
    "read_state_file",
    "recognizes_state_file",
    "state_file_bytes",
]
