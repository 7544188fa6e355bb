"""RV64 state files (riscv64.md §10.1, §10.2) and telling them apart from MIPS32 ones.

Every malformed input must surface as one ``StateFormatError`` naming the file, never as a raw
decoding exception, because the CLI turns exactly that type into a one-line error.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultproof.errors import StateFormatError
from faultproof.memory import ZERO_HASHES, Memory
from faultproof.vm.mips32 import formats as mips_formats
from faultproof.vm.mips32.state import MipsState
from faultproof.vm.riscv64.formats import (
    decode_binary_state,
    decode_json_state,
    encode_binary_state,
    encode_json_state,
    read_state_file,
    recognizes_state_file,
    state_file_bytes,
)
from faultproof.vm.riscv64.state import (
    STATE_FIELDS,
    WITNESS_SIZE,
    RiscvState,
    encode_fields,
    encode_witness,
    state_hash,
)

STATE_NAMES = ("state.bin", "state.bin.gz", "state.json", "state.json.gz")
SOURCE = Path("test.bin")
U64_MAX = (1 << 64) - 1
PAGE_INDEX_LIMIT = 1 << 52
HEADER_SIZE = 8
PAGE_RECORD_SIZE = 8 + 4096
# Offsets inside the fields (§10.1 order): preimageKey, preimageOffset, pc, exitCode, exited, ...
EXITED_OFFSET = 32 + 8 + 8 + 1

# -- §13.3 vector S0 as a file ------------------------------------------------------------------

S0_HASH = bytes.fromhex("035cf963af359cb97327b6c6aed0286845e6b0ca8e9538dcfe6e691690bbece8")
S0_WITNESS = ZERO_HASHES[59] + bytes(330)
EMPTY_STATE_FILE = bytes(8) + bytes(330) + bytes(4) + struct.pack(">I", 362) + S0_WITNESS + S0_HASH


def test_empty_state_file_is_vector_s0() -> None:
    data = encode_binary_state(RiscvState(), Memory(64), b"")
    assert len(data) == 378 + 362
    assert data == EMPTY_STATE_FILE
    state, memory, last_hint = decode_binary_state(data, SOURCE)
    assert (state, memory.pages, last_hint) == (RiscvState(), {}, b"")


def test_empty_state_json_is_vector_s0() -> None:
    document = json.loads(encode_json_state(RiscvState(), Memory(64), b""))
    assert document["memory"] == []
    assert base64.b64decode(document["witness"]) == S0_WITNESS
    assert document["stateHash"] == "0x" + S0_HASH.hex()


# -- random states and round trips --------------------------------------------------------------

u64s = st.one_of(st.integers(0, U64_MAX), st.integers((1 << 63), U64_MAX), st.sampled_from([0, U64_MAX]))


@st.composite
def riscv_states(draw: st.DrawFn) -> RiscvState:
    return RiscvState(
        preimage_key=draw(st.binary(min_size=32, max_size=32)),
        preimage_offset=draw(u64s),
        pc=draw(u64s),
        exit_code=draw(st.integers(0, 255)),
        exited=draw(st.integers(0, 1)),
        step=draw(u64s),
        heap=draw(u64s),
        load_reservation=draw(u64s),
        registers=draw(st.lists(u64s, min_size=32, max_size=32)),
    )


@st.composite
def memories(draw: st.DrawFn) -> Memory:
    """A few writes anywhere in the 64-bit space, the top page and page 0 included sometimes."""
    memory = Memory(64)
    addresses = st.one_of(
        st.integers(0, U64_MAX), st.sampled_from([0, U64_MAX - 4095, 0x1000_0000_0000_0000])
    )
    for address, data in draw(st.lists(st.tuples(addresses, st.binary(min_size=1, max_size=40)), max_size=4)):
        memory.write(address, data)
    if draw(st.booleans()):
        memory.page(draw(st.integers(0, PAGE_INDEX_LIMIT - 1)))  # an all-zero page (§9.7)
    return memory


def _assert_same(
    read: tuple[RiscvState, Memory, bytes], state: RiscvState, memory: Memory, hint: bytes
) -> None:
    read_state, read_memory, read_hint = read
    assert read_state == state
    assert read_memory.pages == memory.pages
    assert read_memory.merkle_root() == memory.merkle_root()
    assert read_hint == hint


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(riscv_states(), memories(), st.binary(max_size=64), st.sampled_from(STATE_NAMES))
def test_round_trip(tmp_path: Path, state: RiscvState, memory: Memory, last_hint: bytes, name: str) -> None:
    path = tmp_path / name
    data = state_file_bytes(path, state, memory, last_hint)
    path.write_bytes(data)
    _assert_same(read_state_file(path), state, memory, last_hint)
    assert recognizes_state_file(path)
    assert not mips_formats.recognizes_state_file(path)
    # Writing what was read gives the same bytes: the files are canonical for this writer.
    assert state_file_bytes(path, *read_state_file(path)) == data


def test_round_trip_of_extreme_values(tmp_path: Path) -> None:
    """Every integer at 2^64 - 1, a hint, and pages at both ends of the address space."""
    state = RiscvState(
        bytes([0xFF]) * 32, U64_MAX, U64_MAX, 255, 1, U64_MAX, U64_MAX, U64_MAX, [U64_MAX] * 32
    )
    memory = Memory(64)
    memory.write(U64_MAX - 2, b"\x01\x02\x03\x04\x05")  # wraps onto page 0
    for name in STATE_NAMES:
        path = tmp_path / name
        path.write_bytes(state_file_bytes(path, state, memory, b"\x00\x00\x00\x02hi"))
        _assert_same(read_state_file(path), state, memory, b"\x00\x00\x00\x02hi")
    text = (tmp_path / "state.json").read_text()
    assert f'"pc": {U64_MAX},' in text  # a JSON integer, never a float or a string


# -- binary layout (§10.1) ----------------------------------------------------------------------


def _small_state() -> tuple[RiscvState, Memory, bytes]:
    """Two pages, a hint and non-zero fields: every part of the format is present."""
    memory = Memory(64)
    memory.write(0x1000, b"\x01\x02\x03")
    memory.write(0x1000_0000_0000_0000, b"\xff" * 8)
    state = RiscvState(preimage_key=bytes(range(32)), pc=0x1000, exited=1, exit_code=3, step=7, heap=1 << 63)
    state.registers[31] = U64_MAX
    return state, memory, b"\x00\x00\x00\x05hi"


def _small_binary_state() -> bytes:
    return encode_binary_state(*_small_state())


def test_binary_layout() -> None:
    state, memory, last_hint = _small_state()
    data = encode_binary_state(state, memory, last_hint)
    assert len(data) == 378 + 4104 * 2 + len(last_hint) + 362
    assert data[:8] == struct.pack(">Q", 2)
    assert data[8:16] == struct.pack(">Q", 1)  # ascending page indexes
    assert data[16 : 16 + 4096] == memory.pages[1]
    assert data[16 + 4096 : 24 + 4096] == struct.pack(">Q", 0x1000_0000_0000_0000 >> 12)
    fields_at = HEADER_SIZE + 2 * PAGE_RECORD_SIZE
    assert data[fields_at : fields_at + STATE_FIELDS.size] == encode_fields(state)
    tail = data[fields_at + STATE_FIELDS.size :]
    witness = encode_witness(memory.merkle_root(), state)
    assert tail == struct.pack(">I", len(last_hint)) + last_hint + struct.pack(
        ">I", 362
    ) + witness + state_hash(witness)


def _binary_error(data: bytes) -> str:
    with pytest.raises(StateFormatError) as caught:
        decode_binary_state(data, SOURCE)
    message = str(caught.value)
    assert str(SOURCE) in message and "\n" not in message
    return message


def test_every_truncation_is_rejected() -> None:
    data = _small_binary_state()
    for length in range(len(data)):
        message = _binary_error(data[:length])
        assert "truncated" in message or "empty" in message, message


def test_truncation_names_the_field() -> None:
    data = _small_binary_state()
    assert "page count needs 8 bytes" in _binary_error(data[:5])
    assert "truncated: 2 pages need at least" in _binary_error(data[:5000])
    assert "stateHash needs 32 bytes" in _binary_error(data[:-1])
    no_witness = EMPTY_STATE_FILE[: 378 - 36] + bytes(4) + S0_HASH
    assert decode_binary_state(no_witness, SOURCE)[0] == RiscvState()
    assert "witness needs 362 bytes" in _binary_error(EMPTY_STATE_FILE[:-40])


def _page_record(index: int, fill: int = 0) -> bytes:
    return struct.pack(">Q", index) + bytes([fill]) * 4096


def _with_pages(*records: bytes) -> bytes:
    return struct.pack(">Q", len(records)) + b"".join(records) + EMPTY_STATE_FILE[8:]


def test_pages_in_any_order_are_accepted() -> None:
    _, memory, _ = decode_binary_state(_with_pages(_page_record(7, 7), _page_record(2, 2)), SOURCE)
    assert memory.page_indexes() == [2, 7] and memory.read(7 << 12, 1) == b"\x07"


def test_bad_pages_are_rejected() -> None:
    assert "duplicate page index 5" in _binary_error(_with_pages(_page_record(5), _page_record(5, 1)))
    message = _binary_error(_with_pages(_page_record(1), _page_record(2), _page_record(1)))
    assert "duplicate page index 1" in message
    assert "page index 4503599627370496 is outside the 64-bit address space" in _binary_error(
        _with_pages(_page_record(PAGE_INDEX_LIMIT))
    )
    assert "outside the 64-bit" in _binary_error(_with_pages(_page_record(U64_MAX)))
    assert decode_binary_state(_with_pages(_page_record(PAGE_INDEX_LIMIT - 1)), SOURCE)[1].page_indexes() == [
        PAGE_INDEX_LIMIT - 1
    ]


def test_page_count_larger_than_the_file_is_rejected() -> None:
    message = _binary_error(struct.pack(">Q", U64_MAX) + EMPTY_STATE_FILE[8:])
    assert f"truncated: {U64_MAX} pages" in message


@pytest.mark.parametrize("exited", [2, 3, 0x80, 0xFF])
def test_exited_must_be_zero_or_one(exited: int) -> None:
    data = bytearray(EMPTY_STATE_FILE)
    data[HEADER_SIZE + EXITED_OFFSET] = exited
    assert f"exited is {exited}, must be 0 or 1" in _binary_error(bytes(data))


@pytest.mark.parametrize("length", [1, 32, 361, 363, 724, 0xFFFF_FFFF])
def test_witness_length_must_be_0_or_362(length: int) -> None:
    fields_end = HEADER_SIZE + STATE_FIELDS.size + 4
    data = EMPTY_STATE_FILE[:fields_end] + struct.pack(">I", length) + bytes(min(length, 1000)) + S0_HASH
    assert f"witness length is {length}, must be 0 or 362" in _binary_error(data)


def test_stale_cached_witness_and_hash_are_ignored() -> None:
    """Readers take the fields; the cached witness and hash only need the right size (§10.2)."""
    state, memory, last_hint = _small_state()
    data = bytearray(encode_binary_state(state, memory, last_hint))
    data[-32 - 362 :] = b"\xaa" * (362 + 32)
    _assert_same(decode_binary_state(bytes(data), SOURCE), state, memory, last_hint)


def test_trailing_bytes_are_rejected() -> None:
    assert "1 unexpected bytes after the state" in _binary_error(EMPTY_STATE_FILE + b"\x00")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_binary_states_fail_cleanly(data: st.DataObject) -> None:
    """Random byte changes either still decode (data bytes) or raise ``StateFormatError``."""
    original = bytearray(_small_binary_state())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    try:
        decode_binary_state(bytes(original), SOURCE)
    except StateFormatError as error:
        assert str(SOURCE) in str(error)


@given(st.binary(max_size=800))
def test_random_bytes_fail_cleanly(data: bytes) -> None:
    for decode in (decode_binary_state, decode_json_state):
        with contextlib.suppress(StateFormatError):
            decode(data, SOURCE)


# -- JSON layout (§10.2) ------------------------------------------------------------------------


def test_json_layout() -> None:
    state, memory, last_hint = _small_state()
    text = encode_json_state(state, memory, last_hint)
    document = json.loads(text)
    assert list(document) == [
        "memory", "preimageKey", "preimageOffset", "pc", "exit", "exited", "step", "heap",
        "loadReservation", "registers", "lastHint", "witness", "stateHash",
    ]  # fmt: skip
    assert text.startswith('{\n  "memory": [\n') and text.endswith("}\n")
    assert [page["index"] for page in document["memory"]] == [1, 0x1000_0000_0000_0000 >> 12]
    first = document["memory"][0]["data"]
    assert first == memory.pages[1].hex() and first == first.lower() and len(first) == 8192
    assert document["preimageKey"] == "0x" + bytes(range(32)).hex()
    assert (document["exit"], document["exited"], document["heap"]) == (3, True, 1 << 63)
    assert document["registers"][31] == U64_MAX
    assert document["lastHint"] == "0x" + last_hint.hex()
    witness = encode_witness(memory.merkle_root(), state)
    assert document["witness"] == base64.b64encode(witness).decode()
    assert document["stateHash"] == "0x" + state_hash(witness).hex()


def test_json_omits_empty_last_hint() -> None:
    document = json.loads(encode_json_state(RiscvState(), Memory(64), b""))
    assert "lastHint" not in document
    assert document["exited"] is False


def test_gzip_files_are_deterministic() -> None:
    state, memory, last_hint = _small_state()
    for name in ("state.bin.gz", "state.json.gz"):
        first = state_file_bytes(Path(name), state, memory, last_hint)
        assert first == state_file_bytes(Path(name), state, memory, last_hint)
        plain = state_file_bytes(Path(name.removesuffix(".gz")), state, memory, last_hint)
        assert gzip.decompress(first) == plain


# -- malformed JSON states ----------------------------------------------------------------------


def _json_document() -> dict[str, object]:
    state, memory, last_hint = _small_state()
    document: dict[str, object] = json.loads(encode_json_state(state, memory, last_hint))
    return document


def _json_error(document: object) -> str:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(StateFormatError) as caught:
        decode_json_state(data, SOURCE)
    message = str(caught.value)
    assert str(SOURCE) in message and "\n" not in message
    return message


def _decode(document: dict[str, object]) -> tuple[RiscvState, Memory, bytes]:
    return decode_json_state(json.dumps(document).encode(), SOURCE)


def test_json_reads_back_and_ignores_stale_caches() -> None:
    state, memory, last_hint = _small_state()
    document = _json_document()
    _assert_same(_decode(document), state, memory, last_hint)
    document["witness"] = base64.b64encode(bytes(362)).decode()
    document["stateHash"] = "0x" + "AB" * 32
    _assert_same(_decode(document), state, memory, last_hint)
    del document["witness"]
    _assert_same(_decode(document), state, memory, last_hint)


def test_json_pages_in_any_order_and_either_case_are_accepted() -> None:
    document = _json_document()
    document["memory"] = [{"index": 9, "data": "AbCd" * 2048}, {"index": 3, "data": "00" * 4096}]
    _, memory, _ = _decode(document)
    assert memory.page_indexes() == [3, 9] and memory.read(9 << 12, 2) == b"\xab\xcd"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("00" * 4095, "page 7: data must be a string of 8192 hex digits, got 8190 characters"),
        ("00" * 4097, "got 8194 characters"),
        ("", "got 0 characters"),
        ("0x" + "00" * 4095, "page 7: data is not hex"),
        ("zz" * 4096, "page 7: data is not hex"),
        ("00 " * 2730 + "00", "page 7: data is not hex"),
        (None, "page 7: data must be a string of 8192 hex digits, got null"),
        (12, "got 12"),
    ],
)
def test_json_page_data_is_checked(data: object, problem: str) -> None:
    document = _json_document()
    document["memory"] = [{"index": 7, "data": data}]
    assert problem in _json_error(document)


def test_json_page_entries_are_checked() -> None:
    document = _json_document()
    page = "00" * 4096
    document["memory"] = [{"index": 1, "data": page}, {"index": 1, "data": page}]
    assert "duplicate page index 1" in _json_error(document)
    document["memory"] = [{"index": 1}]
    assert "memory[0] must be an object with keys index and data" in _json_error(document)
    document["memory"] = [{"index": 1, "data": page, "extra": 0}]
    assert "memory[0] must be an object" in _json_error(document)
    document["memory"] = [{"index": PAGE_INDEX_LIMIT, "data": page}]
    assert "memory[0].index must be an integer from 0 to 4503599627370495" in _json_error(document)
    document["memory"] = [{"index": -1, "data": page}]
    assert "memory[0].index" in _json_error(document)


REQUIRED_KEYS = [
    "memory", "preimageKey", "preimageOffset", "pc", "exit", "exited", "step", "heap",
    "loadReservation", "registers", "stateHash",
]  # fmt: skip


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_json_missing_keys_are_rejected(key: str) -> None:
    document = _json_document()
    del document[key]
    assert f"missing key {key!r}" in _json_error(document)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("pc", 1 << 64, "pc must be an integer from 0 to 18446744073709551615"),
        ("pc", -1, "pc must be"),
        ("pc", "0x10", "pc must be"),
        ("pc", 1.5, "pc must be"),
        ("pc", 1e3, "pc must be"),
        ("heap", True, "heap must be"),
        ("loadReservation", 1 << 64, "loadReservation must be"),
        ("preimageOffset", None, "preimageOffset must be"),
        ("step", 1 << 64, "step must be"),
        ("exit", 256, "exit must be an integer from 0 to 255"),
        ("exited", 1, "exited must be true or false"),
        ("exited", "true", "exited must be true or false"),
        ("registers", [0] * 31, "registers must be a list of 32"),
        ("registers", {}, "registers must be a list of 32"),
        ("registers", [0] * 31 + [1 << 64], "registers[31] must be"),
        ("preimageKey", "0x" + "00" * 31, "preimageKey must be 32 bytes"),
        ("preimageKey", "00" * 32, "preimageKey must be a 0x-prefixed hex string"),
        ("lastHint", "0x123", "lastHint must be a 0x-prefixed hex string of whole bytes"),
        ("lastHint", None, "lastHint must be"),
        ("witness", "AAAA", "witness must be 362 bytes, got 3"),
        ("witness", "not base64!", "witness: invalid base64"),
        ("witness", base64.b64encode(bytes(362)).decode().rstrip("="), "witness: invalid base64"),
        ("witness", "0x" + "00" * 362, "witness: invalid base64"),
        ("witness", None, "witness must be a base64 string"),
        ("stateHash", "0x" + "00" * 31, "stateHash must be 32 bytes"),
        ("stateHash", "00" * 32, "stateHash must be a 0x-prefixed hex string"),
        ("memory", {}, "memory must be a list"),
        ("nextPC", 4, "unknown key 'nextPC'"),
        ("extra", 1, "unknown key 'extra'"),
    ],
)
def test_json_field_types_are_checked(key: str, value: object, problem: str) -> None:
    document = _json_document()
    document[key] = value
    assert problem in _json_error(document)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "must be an object"),
        (b'{"pc": 1, "pc": 2}', "duplicate key 'pc'"),
    ],
)
def test_json_syntax_errors_are_rejected(data: bytes, problem: str) -> None:
    assert problem in _json_error(data)


@settings(max_examples=200)
@given(st.data())
def test_corrupted_json_states_fail_cleanly(data: st.DataObject) -> None:
    text = bytearray(encode_json_state(*_small_state()).encode())
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(text) - 1))
        text[position] = data.draw(st.sampled_from(b'{}[]",:0aZ+/=\\ \x00\xff'))
    try:
        decode_json_state(bytes(text), SOURCE)
    except StateFormatError as error:
        assert str(SOURCE) in str(error)


# -- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["state.bin.gz", "state.json.gz"])
def test_bad_gzip_is_rejected(tmp_path: Path, name: str) -> None:
    plain = state_file_bytes(Path(name.removesuffix(".gz")), *_small_state())
    compressed = gzip.compress(plain)
    for data in (plain, compressed[: len(compressed) // 2], compressed[:-4] + b"\x00\x00\x00\x00"):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(StateFormatError, match="not a valid gzip file"):
            read_state_file(path)
    # Recognition only peeks: it cannot see damage after the opening, but it sees a missing gzip.
    path.write_bytes(plain)
    assert not recognizes_state_file(path)


def test_missing_file_is_a_state_format_error(tmp_path: Path) -> None:
    for name in STATE_NAMES:
        with pytest.raises(StateFormatError, match=r"cannot read: No such file"):
            read_state_file(tmp_path / name)
        assert not recognizes_state_file(tmp_path / name)


# -- recognition: RV64 or MIPS32 ----------------------------------------------------------------


def _mips_state(with_pages: bool) -> tuple[MipsState, Memory, bytes]:
    memory = Memory(32)
    if with_pages:
        memory.write(0x1000, b"\x01\x02")
        memory.write(0x7FFF_D000, bytes(range(256)))
    return MipsState(pc=0x1000, next_pc=0x1004), memory, b"\x01"


def _riscv_state(with_pages: bool) -> tuple[RiscvState, Memory, bytes]:
    state, memory, last_hint = _small_state()
    return state, memory if with_pages else Memory(64), last_hint


@pytest.mark.parametrize("name", STATE_NAMES)
@pytest.mark.parametrize("with_pages", [True, False], ids=["pages", "no-pages"])
def test_each_vm_recognizes_only_its_own_files(tmp_path: Path, name: str, with_pages: bool) -> None:
    riscv = tmp_path / "riscv" / name
    mips = tmp_path / "mips" / name
    riscv.parent.mkdir()
    mips.parent.mkdir()
    riscv.write_bytes(state_file_bytes(riscv, *_riscv_state(with_pages)))
    mips.write_bytes(mips_formats.state_file_bytes(mips, *_mips_state(with_pages)))
    assert recognizes_state_file(riscv) and not mips_formats.recognizes_state_file(riscv)
    assert mips_formats.recognizes_state_file(mips) and not recognizes_state_file(mips)


def test_binary_recognition_checks_the_size(tmp_path: Path) -> None:
    path = tmp_path / "state.bin"
    data = _small_binary_state()
    for bad in (
        data + b"\x00",
        data[:-1],
        data[:4],
        b"",
        struct.pack(">Q", PAGE_INDEX_LIMIT + 1) + data[8:],
        struct.pack(">Q", PAGE_INDEX_LIMIT) + data[8:],
    ):
        path.write_bytes(bad)
        assert not recognizes_state_file(path)
    path.write_bytes(EMPTY_STATE_FILE[: 378 - 36] + bytes(4) + S0_HASH)  # no cached witness
    assert recognizes_state_file(path)


def test_unrecognized_json_gets_the_readers_complaint(tmp_path: Path) -> None:
    """Recognition reads only the opening; the reader still takes a reordered document."""
    path = tmp_path / "state.json"
    document = _json_document()
    path.write_text(json.dumps(dict(reversed(list(document.items())))))
    assert not recognizes_state_file(path)
    _assert_same(read_state_file(path), *_small_state())
    # Hex page data of any length is RV64's encoding, so a damaged page is still RV64's to report.
    path.write_text('{"memory": [{"index": 1, "data": "00"}], "pc": 0}')
    assert recognizes_state_file(path)
    with pytest.raises(StateFormatError, match="missing key 'preimageKey'"):
        read_state_file(path)


def test_witness_size_matches_the_spec() -> None:
    assert WITNESS_SIZE == 362 and STATE_FIELDS.size == 330
