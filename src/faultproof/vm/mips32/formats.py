"""MIPS32 state files: the canonical binary format and the JSON alternative (spec: mips32.md §9.1, §9.2).

The file name selects the format (``faultproof.statefiles``): ``.bin`` or ``.bin.gz`` is binary,
anything else JSON, and ``.gz`` means gzip. Every problem with a file is one ``StateFormatError``
naming the file and what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from pathlib import Path
from typing import Any

from faultproof.memory import PAGE_SIZE, Memory
from faultproof.statefiles import (
    U8_MAX,
    U32_MAX,
    U64_MAX,
    Cursor,
    JsonReader,
    PageList,
    file_bytes_by_name,
    is_binary_name,
    json_pages,
    json_text,
    parse_json_state,
    peek,
    peek_json_state,
    read_by_name,
    state_error,
)
from faultproof.vm.mips32.state import REGISTER_COUNT, STATE_FIELDS, MipsState, decode_fields, encode_fields

ADDRESS_BITS = 32

# -- binary layout (§9.1) -----------------------------------------------------------------------

STATE_VERSION = 0x02
# Cannon's multithreaded formats share the version byte's position; name them in the error.
MULTITHREADED_VERSIONS = {0x01: "multithreaded", 0x03: "multithreaded64"}

_VERSION = struct.Struct(">B")
_PAGES = PageList(
    count=struct.Struct(">I"), index=struct.Struct(">I"), address_bits=ADDRESS_BITS, ascending_only=True
)
_HINT_LENGTH = struct.Struct(">I")
EMPTY_STATE_FILE_SIZE = _VERSION.size + _PAGES.count.size + STATE_FIELDS.size + _HINT_LENGTH.size
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


# -- public entry points ------------------------------------------------------------------------


def read_state_file(path: Path) -> tuple[MipsState, Memory, bytes]:
    """The state, memory and ``lastHint`` stored in a file of either format."""
    return read_by_name(Path(path), decode_binary_state, decode_json_state)


def recognizes_state_file(path: Path) -> bool:
    """Whether the file looks like a state of this VM: version byte 0x02, or JSON of MIPS32 shape.

    Only the first bytes are read. A JSON state must open with its memory list, and its first page
    must be base64 of zlib (RV64 writes hex) or, without pages, ``nextPC`` must follow (RV64 has no
    such key). A file that is not recognized may still be read with ``read_state_file``, which then
    says precisely what is wrong with it.
    """
    path = Path(path)
    if is_binary_name(path):
        return peek(path, _VERSION.size) == _VERSION.pack(STATE_VERSION)
    opening = peek_json_state(path)
    if opening is None:
        return False
    if opening.first_page_data is None:
        return opening.has_key("nextPC")
    return not opening.first_page_is_hex


def state_file_bytes(path: Path, state: MipsState, memory: Memory, last_hint: bytes) -> bytes:
    """The file contents for ``path``: binary or JSON by name, gzipped if it ends in ``.gz``."""
    return file_bytes_by_name(
        Path(path),
        lambda: encode_binary_state(state, memory, last_hint),
        lambda: encode_json_state(state, memory, last_hint),
    )


# -- binary (§9.1) ------------------------------------------------------------------------------


def encode_binary_state(state: MipsState, memory: Memory, last_hint: bytes) -> bytes:
    """``version ‖ N ‖ pages ‖ fields ‖ len(lastHint) ‖ lastHint``, pages in ascending index."""
    return b"".join(
        [
            _VERSION.pack(STATE_VERSION),
            _PAGES.encode(memory),
            encode_fields(state),
            _HINT_LENGTH.pack(len(last_hint)),
            last_hint,
        ]
    )


def _check_version(version: int, path: Path) -> None:
    if version == STATE_VERSION:
        return
    if version in MULTITHREADED_VERSIONS:
        detail = f"Cannon's {MULTITHREADED_VERSIONS[version]} format is not supported"
    else:
        detail = "not a Cannon state format"
    expected = f"expected 0x{STATE_VERSION:02x}, singlethreaded-2"
    raise state_error(path, f"unknown state version 0x{version:02x} ({detail}; {expected})")


def decode_binary_state(data: bytes, path: Path) -> tuple[MipsState, Memory, bytes]:
    """Parse §9.1 bytes, rejecting other versions, truncation, bad pages and trailing bytes."""
    if not data:
        raise state_error(path, "empty file")
    cursor = Cursor(data, path)
    (version,) = cursor.unpack(_VERSION, "version")
    _check_version(version, path)
    memory = _PAGES.decode(cursor, STATE_FIELDS.size + _HINT_LENGTH.size)
    state = decode_fields(bytes(cursor.take(STATE_FIELDS.size, "state fields")))
    if state.exited > 1:
        raise state_error(path, f"exited is {state.exited}, must be 0 or 1")
    (hint_length,) = cursor.unpack(_HINT_LENGTH, "lastHint length")
    last_hint = bytes(cursor.take(hint_length, "lastHint"))
    cursor.finish()
    return state, memory, last_hint


# -- JSON (§9.2) --------------------------------------------------------------------------------


def _compress_page(page: bytes) -> str:
    return base64.b64encode(zlib.compress(page)).decode("ascii")


def _decompress_page(reader: JsonReader, value: object, index: int) -> bytes:
    """A page's ``data``: base64 of a zlib stream that inflates to exactly one page."""
    if not isinstance(value, str):
        raise reader.fail(f"page {index}: data must be a base64 string")
    try:
        compressed = base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise reader.fail(f"page {index}: invalid base64 ({error})") from error
    inflater = zlib.decompressobj()
    try:
        page = inflater.decompress(compressed, PAGE_SIZE + 1)
    except zlib.error as error:
        raise reader.fail(f"page {index}: invalid zlib data ({error})") from error
    if len(page) != PAGE_SIZE or not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise reader.fail(f"page {index}: data must inflate to exactly {PAGE_SIZE} bytes")
    return page


def encode_json_state(state: MipsState, memory: Memory, last_hint: bytes) -> str:
    """The §9.2 document: keys in spec order, ``lastHint`` only when non-empty, two-space indent."""
    document: dict[str, Any] = {
        "memory": json_pages(memory, _compress_page),
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
    return json_text(document)


def decode_json_state(data: bytes, path: Path) -> tuple[MipsState, Memory, bytes]:
    """Parse a §9.2 document, checking every field's type and range and every page's size."""
    document = parse_json_state(data, path, _JSON_KEYS, _OPTIONAL_JSON_KEYS)
    reader = JsonReader(path)
    registers = reader.integers(document["registers"], "registers", REGISTER_COUNT, U32_MAX)
    exited = reader.boolean(document["exited"], "exited")
    state = MipsState(
        preimage_key=reader.hex_bytes(document["preimageKey"], "preimageKey", 32),
        preimage_offset=reader.integer(document["preimageOffset"], "preimageOffset", U32_MAX),
        pc=reader.integer(document["pc"], "pc", U32_MAX),
        next_pc=reader.integer(document["nextPC"], "nextPC", U32_MAX),
        lo=reader.integer(document["lo"], "lo", U32_MAX),
        hi=reader.integer(document["hi"], "hi", U32_MAX),
        heap=reader.integer(document["heap"], "heap", U32_MAX),
        exit_code=reader.integer(document["exit"], "exit", U8_MAX),
        exited=int(exited),
        step=reader.integer(document["step"], "step", U64_MAX),
        registers=registers,
    )
    last_hint = reader.hex_bytes(document.get("lastHint", "0x"), "lastHint")
    return state, reader.memory(document["memory"], ADDRESS_BITS, _decompress_page), last_hint


__all__ = [
    "decode_binary_state",
    "decode_json_state",
    "encode_binary_state",
    "encode_json_state",
    "read_state_file",
    "recognizes_state_file",
    "state_file_bytes",
]
