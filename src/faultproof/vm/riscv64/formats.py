"""RV64 state files: binary and JSON, byte-compatible with Asterisc (spec: riscv64.md §10.1, §10.2).

The file name selects the format (``faultproof.statefiles``): ``.bin`` or ``.bin.gz`` is binary,
anything else JSON, and ``.gz`` means gzip. Every problem with a file is one ``StateFormatError``
naming the file and what is wrong.

Both formats carry a cached witness and state hash besides the fields. Upstream snapshots can
hold stale ones, so readers check only their shape and the VM recomputes both from the fields;
writers always store fresh ones.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from pathlib import Path
from typing import Any

from faultproof.crypto import HASH_SIZE
from faultproof.memory import PAGE_SIZE, Memory
from faultproof.statefiles import (
    U8_MAX,
    U64_MAX,
    Cursor,
    JsonReader,
    PageList,
    excerpt,
    file_bytes_by_name,
    is_binary_name,
    is_gzip_name,
    json_pages,
    json_text,
    page_index_limit,
    parse_json_state,
    peek,
    peek_json_state,
    read_by_name,
    state_error,
)
from faultproof.vm.riscv64.state import (
    REGISTER_COUNT,
    STATE_FIELDS,
    WITNESS_SIZE,
    RiscvState,
    decode_fields,
    encode_fields,
    encode_witness,
    state_hash,
)

ADDRESS_BITS = 64

# -- binary layout (§10.1) ----------------------------------------------------------------------

# Upstream writes pages in map order, so readers take any order.
_PAGES = PageList(
    count=struct.Struct(">Q"), index=struct.Struct(">Q"), address_bits=ADDRESS_BITS, ascending_only=False
)
_PAGE_RECORD_SIZE = _PAGES.index.size + PAGE_SIZE
# An upstream comment calls these 8 bytes; its serializer writes 4, and so do we.
_HINT_LENGTH = struct.Struct(">I")
_WITNESS_LENGTH = struct.Struct(">I")
_WITNESS_LENGTHS = (0, WITNESS_SIZE)
_AFTER_PAGES_SIZE = STATE_FIELDS.size + _HINT_LENGTH.size + _WITNESS_LENGTH.size + HASH_SIZE
EMPTY_STATE_FILE_SIZE = _PAGES.count.size + _AFTER_PAGES_SIZE
assert EMPTY_STATE_FILE_SIZE == 378

# -- JSON layout (§10.2) ------------------------------------------------------------------------

_JSON_KEYS = (
    "memory",
    "preimageKey",
    "preimageOffset",
    "pc",
    "exit",
    "exited",
    "step",
    "heap",
    "loadReservation",
    "registers",
    "lastHint",
    "witness",
    "stateHash",
)
_OPTIONAL_JSON_KEYS = frozenset({"lastHint", "witness"})


# -- public entry points ------------------------------------------------------------------------


def read_state_file(path: Path) -> tuple[RiscvState, Memory, bytes]:
    """The state, memory and ``lastHint`` stored in a file of either format."""
    return read_by_name(Path(path), decode_binary_state, decode_json_state)


def recognizes_state_file(path: Path) -> bool:
    """Whether the file looks like a state of this VM rather than of another (e.g. MIPS32).

    Binary: the 8-byte page count must be a possible one (MIPS32 files start with version byte
    0x02, which would mean at least 2^57 pages), and an uncompressed file's size must match its
    length fields (§10.1). JSON: opening with the memory list, whose first page is 8192 hex
    digits or, without pages, followed by ``loadReservation``. Only the first bytes are read,
    plus two length fields of an uncompressed binary file. A file that is not recognized may
    still be read with ``read_state_file``, which then says precisely what is wrong with it.
    """
    path = Path(path)
    if is_binary_name(path):
        head = peek(path, _PAGES.count.size)
        if head is None or len(head) != _PAGES.count.size:
            return False
        (count,) = _PAGES.count.unpack(head)
        return count <= page_index_limit(ADDRESS_BITS) and (is_gzip_name(path) or _size_matches(path, count))
    opening = peek_json_state(path)
    if opening is None:
        return False
    if opening.first_page_data is None:
        return opening.has_key("loadReservation")
    return opening.first_page_is_hex


def _size_matches(path: Path, count: int) -> bool:
    """Whether an uncompressed binary file is ``378 + 4104·N + L + W`` bytes long, ``W ∈ {0, 362}``."""
    hint_length_at = _PAGES.count.size + count * _PAGE_RECORD_SIZE + STATE_FIELDS.size
    try:
        with path.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            # Also keeps a huge count's offset from reaching seek, which cannot represent it.
            if hint_length_at >= size:
                return False
            file.seek(hint_length_at)
            (hint_length,) = _HINT_LENGTH.unpack(file.read(_HINT_LENGTH.size))
            file.seek(hint_length, os.SEEK_CUR)
            (witness_length,) = _WITNESS_LENGTH.unpack(file.read(_WITNESS_LENGTH.size))
    except (OSError, struct.error):
        return False
    expected = EMPTY_STATE_FILE_SIZE + count * _PAGE_RECORD_SIZE + hint_length + witness_length
    return witness_length in _WITNESS_LENGTHS and size == expected


def state_file_bytes(path: Path, state: RiscvState, memory: Memory, last_hint: bytes) -> bytes:
    """The file contents for ``path``: binary or JSON by name, gzipped if it ends in ``.gz``."""
    return file_bytes_by_name(
        Path(path),
        lambda: encode_binary_state(state, memory, last_hint),
        lambda: encode_json_state(state, memory, last_hint),
    )


def _fresh_witness(state: RiscvState, memory: Memory) -> tuple[bytes, bytes]:
    """The witness and state hash of the state as it is now, for the writers' caches."""
    witness = encode_witness(memory.merkle_root(), state)
    return witness, state_hash(witness)


# -- binary (§10.1) -----------------------------------------------------------------------------


def encode_binary_state(state: RiscvState, memory: Memory, last_hint: bytes) -> bytes:
    """``N ‖ pages ‖ fields ‖ L ‖ lastHint ‖ W ‖ witness ‖ stateHash``, pages ascending, W = 362."""
    witness, hash_ = _fresh_witness(state, memory)
    return b"".join(
        [
            _PAGES.encode(memory),
            encode_fields(state),
            _HINT_LENGTH.pack(len(last_hint)),
            last_hint,
            _WITNESS_LENGTH.pack(len(witness)),
            witness,
            hash_,
        ]
    )


def decode_binary_state(data: bytes, path: Path) -> tuple[RiscvState, Memory, bytes]:
    """Parse §10.1 bytes, rejecting truncation, bad or duplicate pages, bad lengths, trailing bytes."""
    if not data:
        raise state_error(path, "empty file")
    cursor = Cursor(data, path)
    memory = _PAGES.decode(cursor, _AFTER_PAGES_SIZE)
    state = decode_fields(bytes(cursor.take(STATE_FIELDS.size, "state fields")))
    if state.exited > 1:
        raise state_error(path, f"exited is {state.exited}, must be 0 or 1")
    (hint_length,) = cursor.unpack(_HINT_LENGTH, "lastHint length")
    last_hint = bytes(cursor.take(hint_length, "lastHint"))
    (witness_length,) = cursor.unpack(_WITNESS_LENGTH, "witness length")
    if witness_length not in _WITNESS_LENGTHS:
        raise state_error(path, f"witness length is {witness_length}, must be 0 or {WITNESS_SIZE}")
    cursor.take(witness_length, "witness")
    cursor.take(HASH_SIZE, "stateHash")
    cursor.finish()
    return state, memory, last_hint


# -- JSON (§10.2) -------------------------------------------------------------------------------


def _decode_hex_page(reader: JsonReader, value: object, index: int) -> bytes:
    """A page's ``data``: exactly 8192 hex digits of either case, nothing else."""
    digits = 2 * PAGE_SIZE
    if not isinstance(value, str) or len(value) != digits:
        length = f"{len(value)} characters" if isinstance(value, str) else excerpt(value)
        raise reader.fail(f"page {index}: data must be a string of {digits} hex digits, got {length}")
    try:
        page = bytes.fromhex(value)
    except ValueError as error:
        raise reader.fail(f"page {index}: data is not hex ({error})") from error
    # fromhex skips whitespace between bytes, which would leave the page short.
    if len(page) != PAGE_SIZE:
        raise reader.fail(f"page {index}: data is not hex (contains whitespace)")
    return page


def encode_json_state(state: RiscvState, memory: Memory, last_hint: bytes) -> str:
    """The §10.2 document: keys in spec order, ``lastHint`` only when non-empty, fresh witness and hash."""
    witness, hash_ = _fresh_witness(state, memory)
    document: dict[str, Any] = {
        "memory": json_pages(memory, bytes.hex),
        "preimageKey": "0x" + state.preimage_key.hex(),
        "preimageOffset": state.preimage_offset,
        "pc": state.pc,
        "exit": state.exit_code,
        "exited": state.exited == 1,
        "step": state.step,
        "heap": state.heap,
        "loadReservation": state.load_reservation,
        "registers": list(state.registers),
    }
    if last_hint:
        document["lastHint"] = "0x" + last_hint.hex()
    document["witness"] = base64.b64encode(witness).decode("ascii")
    document["stateHash"] = "0x" + hash_.hex()
    return json_text(document)


def _check_witness(reader: JsonReader, value: object) -> None:
    """The cached witness must be standard padded base64 of 362 bytes; its content is not used."""
    if not isinstance(value, str):
        raise reader.fail(f"witness must be a base64 string, got {excerpt(value)}")
    try:
        witness = base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise reader.fail(f"witness: invalid base64 ({error})") from error
    if len(witness) != WITNESS_SIZE:
        raise reader.fail(f"witness must be {WITNESS_SIZE} bytes, got {len(witness)}")


def decode_json_state(data: bytes, path: Path) -> tuple[RiscvState, Memory, bytes]:
    """Parse a §10.2 document, checking every field's type and range and every page's size."""
    document = parse_json_state(data, path, _JSON_KEYS, _OPTIONAL_JSON_KEYS)
    reader = JsonReader(path)
    registers = reader.integers(document["registers"], "registers", REGISTER_COUNT, U64_MAX)
    exited = reader.boolean(document["exited"], "exited")
    state = RiscvState(
        preimage_key=reader.hex_bytes(document["preimageKey"], "preimageKey", 32),
        preimage_offset=reader.integer(document["preimageOffset"], "preimageOffset", U64_MAX),
        pc=reader.integer(document["pc"], "pc", U64_MAX),
        exit_code=reader.integer(document["exit"], "exit", U8_MAX),
        exited=int(exited),
        step=reader.integer(document["step"], "step", U64_MAX),
        heap=reader.integer(document["heap"], "heap", U64_MAX),
        load_reservation=reader.integer(document["loadReservation"], "loadReservation", U64_MAX),
        registers=registers,
    )
    last_hint = reader.hex_bytes(document.get("lastHint", "0x"), "lastHint")
    if "witness" in document:
        _check_witness(reader, document["witness"])
    reader.hex_bytes(document["stateHash"], "stateHash", HASH_SIZE)
    return state, reader.memory(document["memory"], ADDRESS_BITS, _decode_hex_page), last_hint


__all__ = [
    "decode_binary_state",
    "decode_json_state",
    "encode_binary_state",
    "encode_json_state",
    "read_state_file",
    "recognizes_state_file",
    "state_file_bytes",
]
