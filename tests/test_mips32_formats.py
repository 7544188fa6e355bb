"""MIPS32 state files (mips32.md §9.1, §9.2), proof JSON (§9.3), witness summary (§9.4), VM registry.

Every malformed input must surface as one ``StateFormatError`` naming the file, never as a raw
decoding exception, because the CLI turns exactly that type into a one-line error.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import faultproof.vm
from faultproof.errors import StateFormatError, UsageError
from faultproof.examples import claim_host
from faultproof.fileio import write_atomic
from faultproof.memory import ZERO_HASHES, Memory
from faultproof.proofs import proof_from_json, proof_to_json, read_proof
from faultproof.vm import read_state, vm_class
from faultproof.vm.interface import StepProof
from faultproof.vm.mips32.formats import (
    decode_binary_state,
    decode_json_state,
    encode_binary_state,
    encode_json_state,
    read_state_file,
    recognizes_state_file,
    state_file_bytes,
)
from faultproof.vm.mips32.state import MipsState
from faultproof.vm.mips32.vm import MipsVM
from faultproof.vm.riscv64.vm import RiscvVM

STATE_NAMES = ("state.bin", "state.bin.gz", "state.json", "state.json.gz")
SOURCE = Path("test.bin")

# -- §11.1 vectors ------------------------------------------------------------------------------

EMPTY_WITNESS = (
    ZERO_HASHES[27]
    + bytes(32)
    + bytes.fromhex("000000000000000000000004000000000000000000000000")
    + bytes(2)
    + bytes(8)
    + bytes(128)
)
EMPTY_STATE_FILE = (
    bytes.fromhex("0200000000")
    + bytes(32)
    + bytes.fromhex("000000000000000000000004000000000000000000000000")
    + bytes(2)
    + bytes(8)
    + bytes(128)
    + bytes.fromhex("00000000")
)


def test_empty_state_vectors(tmp_path: Path) -> None:
    vm = MipsVM()
    assert ZERO_HASHES[27].hex() == "838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e"
    assert vm.witness() == EMPTY_WITNESS
    assert vm.state_hash().hex() == "035bfc06cffac3c3e48ae14e308edd2c39314896a680ed3241eb35238e1843a0"
    data = vm.state_file_bytes(tmp_path / "empty.bin")
    assert len(data) == 203
    assert data == EMPTY_STATE_FILE
    assert vm.witness_summary() == {
        "witnessHash": "0x035bfc06cffac3c3e48ae14e308edd2c39314896a680ed3241eb35238e1843a0",
        "witness": "0x" + EMPTY_WITNESS.hex(),
        "step": 0,
        "exited": False,
        "exitCode": 0,
    }


def test_empty_state_file_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(EMPTY_STATE_FILE)
    assert read_state(path).witness() == EMPTY_WITNESS


# -- round trips --------------------------------------------------------------------------------


def _hello(mips_elves: dict[str, Path]) -> MipsVM:
    vm, _ = MipsVM.load_elf(mips_elves["hello"])
    assert isinstance(vm, MipsVM)
    return vm


def _mid_run_claim(mips_elves: dict[str, Path]) -> MipsVM:
    """`claim` after its first preimage read, with half a hint in its buffer."""
    vm, _ = MipsVM.load_elf(mips_elves["claim"])
    assert isinstance(vm, MipsVM)
    vm.host = claim_host()
    while vm.last_preimage_read is None:
        vm.run(100_000)
    assert vm.state.preimage_key != bytes(32) and vm.state.preimage_offset != 0
    vm.last_hint = bytearray(b"\x00\x00\x00\x20fetch-st")
    return vm


def _assert_same_state(read: MipsVM, original: MipsVM) -> None:
    assert read.witness() == original.witness()
    assert read.memory.pages == original.memory.pages
    assert read.last_hint == original.last_hint


@pytest.mark.parametrize("name", STATE_NAMES)
@pytest.mark.parametrize("program", ["hello-loaded", "claim-mid-run"])
def test_state_round_trip(mips_elves: dict[str, Path], tmp_path: Path, name: str, program: str) -> None:
    original = _hello(mips_elves) if program == "hello-loaded" else _mid_run_claim(mips_elves)
    path = tmp_path / name
    data = original.state_file_bytes(path)
    path.write_bytes(data)
    assert recognizes_state_file(path)
    read = read_state(path)
    assert isinstance(read, MipsVM)
    _assert_same_state(read, original)
    # Writing what was read gives the same bytes: the files are canonical for this writer.
    assert read.state_file_bytes(path) == data


def test_binary_layout_of_a_loaded_program(mips_elves: dict[str, Path]) -> None:
    vm = _mid_run_claim(mips_elves)
    data = encode_binary_state(vm.state, vm.memory, bytes(vm.last_hint))
    assert len(data) == 203 + 4100 * vm.page_count() + len(vm.last_hint)
    assert data[0] == 2
    assert struct.unpack_from(">I", data, 1)[0] == vm.page_count()
    assert data.endswith(struct.pack(">I", len(vm.last_hint)) + vm.last_hint)


def test_json_layout(mips_elves: dict[str, Path]) -> None:
    vm = _mid_run_claim(mips_elves)
    text = encode_json_state(vm.state, vm.memory, bytes(vm.last_hint))
    document = json.loads(text)
    assert list(document) == [
        "memory", "preimageKey", "preimageOffset", "pc", "nextPC", "lo", "hi",
        "heap", "exit", "exited", "step", "registers", "lastHint",
    ]  # fmt: skip
    assert text.startswith('{\n  "memory": [\n') and text.endswith("}\n")
    assert document["preimageKey"] == "0x" + vm.state.preimage_key.hex()
    assert document["lastHint"] == "0x" + vm.last_hint.hex()
    indexes = [page["index"] for page in document["memory"]]
    assert indexes == sorted(indexes) == vm.memory.page_indexes()
    first = document["memory"][0]
    assert zlib.decompress(base64.b64decode(first["data"])) == bytes(vm.memory.pages[first["index"]])


def test_json_omits_empty_last_hint(mips_elves: dict[str, Path]) -> None:
    vm = _hello(mips_elves)
    document = json.loads(encode_json_state(vm.state, vm.memory, b""))
    assert "lastHint" not in document
    assert document["exited"] is False


def test_gzip_files_are_deterministic(mips_elves: dict[str, Path]) -> None:
    vm = _hello(mips_elves)
    path = Path("state.bin.gz")
    first = state_file_bytes(path, vm.state, vm.memory, b"")
    assert first == state_file_bytes(path, vm.state, vm.memory, b"")
    assert gzip.decompress(first) == encode_binary_state(vm.state, vm.memory, b"")


# -- malformed binary states --------------------------------------------------------------------


def _small_binary_state() -> bytes:
    """A state with two pages and a hint: every field of the format is present."""
    memory = Memory(32)
    memory.write(0x1000, b"\x01\x02\x03")
    memory.write(0x7FFF_D000, b"\xff" * 8)
    state = MipsState(preimage_key=bytes(range(32)), pc=0x1000, next_pc=0x1004, exited=1, exit_code=3, step=7)
    return encode_binary_state(state, memory, b"\x00\x00\x00\x05hi")


def _binary_error(data: bytes) -> str:
    with pytest.raises(StateFormatError) as caught:
        decode_binary_state(data, SOURCE)
    message = str(caught.value)
    assert str(SOURCE) in message and "\n" not in message
    return message


def test_small_binary_state_is_valid() -> None:
    state, memory, last_hint = decode_binary_state(_small_binary_state(), SOURCE)
    assert memory.page_indexes() == [1, 0x7FFFD]
    assert (state.step, state.exited, state.exit_code, last_hint) == (7, 1, 3, b"\x00\x00\x00\x05hi")


def test_every_truncation_is_rejected() -> None:
    data = _small_binary_state()
    for length in range(len(data)):
        message = _binary_error(data[:length])
        assert "truncated" in message or "empty" in message


@pytest.mark.parametrize(
    ("version", "detail"), [(1, "multithreaded"), (3, "multithreaded64"), (9, "not a Cannon")]
)
def test_unknown_versions_are_rejected(version: int, detail: str) -> None:
    message = _binary_error(bytes([version]) + _small_binary_state()[1:])
    assert f"unknown state version 0x{version:02x}" in message and detail in message


def _page_record(index: int, fill: int = 0) -> bytes:
    return struct.pack(">I", index) + bytes([fill]) * 4096


def _with_pages(*records: bytes) -> bytes:
    tail = EMPTY_STATE_FILE[5:]
    return bytes([2]) + struct.pack(">I", len(records)) + b"".join(records) + tail


def test_page_order_is_checked() -> None:
    assert decode_binary_state(_with_pages(_page_record(1), _page_record(2)), SOURCE)[1].page_indexes() == [
        1,
        2,
    ]
    assert "duplicate page index 5" in _binary_error(_with_pages(_page_record(5), _page_record(5, 1)))
    assert "unsorted page index 2" in _binary_error(_with_pages(_page_record(3), _page_record(2)))
    assert "outside the 32-bit address space" in _binary_error(_with_pages(_page_record(1 << 20)))


def test_page_count_larger_than_the_file_is_rejected() -> None:
    assert "truncated: 4294967295 pages" in _binary_error(
        bytes([2]) + b"\xff\xff\xff\xff" + EMPTY_STATE_FILE[5:]
    )


def test_exited_must_be_zero_or_one() -> None:
    data = bytearray(EMPTY_STATE_FILE)
    exited_offset = 1 + 4 + 32 + 24 + 1
    data[exited_offset] = 2
    assert "exited is 2" in _binary_error(bytes(data))


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


@given(st.binary(max_size=300))
def test_random_bytes_fail_cleanly(data: bytes) -> None:
    for decode in (decode_binary_state, decode_json_state):
        with contextlib.suppress(StateFormatError):
            decode(data, SOURCE)


def test_bad_gzip_is_rejected(tmp_path: Path) -> None:
    compressed = gzip.compress(_small_binary_state())
    for name, data in [
        ("plain.bin.gz", _small_binary_state()),
        ("cut.bin.gz", compressed[: len(compressed) // 2]),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(StateFormatError, match="not a valid gzip file"):
            read_state_file(path)
    assert not recognizes_state_file(tmp_path / "plain.bin.gz")


def test_missing_file_is_a_state_format_error(tmp_path: Path) -> None:
    with pytest.raises(StateFormatError, match=r"missing\.json: cannot read: No such file"):
        read_state(tmp_path / "missing.json")


# -- malformed JSON states ----------------------------------------------------------------------


def _page_json(index: int, page: bytes = bytes(4096)) -> dict[str, object]:
    return {"index": index, "data": base64.b64encode(zlib.compress(page)).decode()}


def _json_document() -> dict[str, object]:
    return json.loads(encode_json_state(MipsState(), Memory(32), b"\x01"))


def _json_error(document: object) -> str:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(StateFormatError) as caught:
        decode_json_state(data, SOURCE)
    message = str(caught.value)
    assert str(SOURCE) in message and "\n" not in message
    return message


def test_json_pages_are_checked() -> None:
    document = _json_document()
    document["memory"] = [_page_json(1), _page_json(1)]
    assert "duplicate page index 1" in _json_error(document)
    document["memory"] = [{"index": 1, "data": "not base64!"}]
    assert "invalid base64" in _json_error(document)
    document["memory"] = [{"index": 1, "data": base64.b64encode(b"not zlib").decode()}]
    assert "invalid zlib" in _json_error(document)
    for size in (4095, 4097, 0):
        document["memory"] = [_page_json(1, bytes(size))]
        assert "inflate to exactly 4096" in _json_error(document)
    trailing = base64.b64encode(zlib.compress(bytes(4096)) + b"xx").decode()
    document["memory"] = [{"index": 1, "data": trailing}]
    assert "inflate to exactly 4096" in _json_error(document)
    document["memory"] = [{"index": 1}]
    assert "memory[0]" in _json_error(document)
    document["memory"] = [{"index": -1, "data": _page_json(0)["data"]}]
    assert "memory[0].index" in _json_error(document)


def test_json_pages_in_any_order_are_accepted() -> None:
    document = _json_document()
    document["memory"] = [_page_json(7, b"\x07" * 4096), _page_json(2)]
    _, memory, _ = decode_json_state(json.dumps(document).encode(), SOURCE)
    assert memory.page_indexes() == [2, 7] and memory.read(7 << 12, 1) == b"\x07"


@pytest.mark.parametrize(
    "key",
    [
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
    ],
)
def test_json_missing_keys_are_rejected(key: str) -> None:
    document = _json_document()
    del document[key]
    assert f"missing key {key!r}" in _json_error(document)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("pc", 1 << 32, "pc must be an integer from 0 to 4294967295"),
        ("pc", -1, "pc must be"),
        ("pc", "0x10", "pc must be"),
        ("pc", 1.5, "pc must be"),
        ("lo", True, "lo must be"),
        ("exit", 256, "exit must be an integer from 0 to 255"),
        ("step", 1 << 64, "step must be"),
        ("exited", 1, "exited must be true or false"),
        ("exited", 2, "exited must be true or false"),
        ("registers", [0] * 31, "registers must be a list of 32"),
        ("registers", [0] * 31 + [1 << 32], "registers[31] must be"),
        ("preimageKey", "0x" + "00" * 31, "preimageKey must be 32 bytes"),
        ("preimageKey", "00" * 32, "preimageKey must be a 0x-prefixed hex string"),
        ("lastHint", "0x123", "lastHint must be a 0x-prefixed hex string of whole bytes"),
        ("lastHint", None, "lastHint must be"),
        ("memory", {}, "memory must be a list"),
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
    text = bytearray(encode_json_state(MipsState(), _two_page_memory(), b"\x01").encode())
    position = data.draw(st.integers(0, len(text) - 1))
    text[position] = data.draw(st.sampled_from(b'{}[]",:0aZ+/=\\ \x00\xff'))
    try:
        decode_json_state(bytes(text), SOURCE)
    except StateFormatError as error:
        assert str(SOURCE) in str(error)


def _two_page_memory() -> Memory:
    memory = Memory(32)
    memory.write(0x3000, b"abc")
    memory.write(0x5000, b"def")
    return memory


# -- proof JSON (§9.3) --------------------------------------------------------------------------


def test_proof_json_round_trip_without_oracle(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    vm = _hello(mips_elves)
    vm.run(1000)
    proof = vm.step(proof=True)
    assert proof is not None and proof.oracle_key is None
    text = proof_to_json(proof)
    assert list(json.loads(text)) == ["step", "pre", "post", "state-data", "proof-data"]
    path = tmp_path / "proof.json"
    write_atomic(path, text.encode())
    assert read_proof(path) == proof


def test_proof_json_round_trip_with_oracle(mips_elves: dict[str, Path]) -> None:
    vm, _ = MipsVM.load_elf(mips_elves["claim"])
    vm.host = claim_host()
    while vm.last_preimage_read is None:
        vm.run(100_000)
    # The guest reads each preimage in several steps; prove the next one, at a non-zero offset.
    proof = None
    while proof is None or proof.oracle_key is None:
        proof = vm.step(proof=True)
    assert proof.oracle_offset > 0
    document = json.loads(proof_to_json(proof))
    assert list(document)[5:] == ["oracle-key", "oracle-value", "oracle-offset"]
    assert document["oracle-offset"] == proof.oracle_offset
    assert proof_from_json(proof_to_json(proof)) == proof


def test_proof_json_omits_zero_oracle_offset() -> None:
    proof = StepProof(1, bytes(32), bytes(32), b"\x01", b"\x02", bytes(32), b"\x00" * 8, 0)
    document = json.loads(proof_to_json(proof))
    assert "oracle-offset" not in document and document["oracle-value"] == "0x" + "00" * 8
    assert proof_from_json(proof_to_json(proof)) == proof


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("nope", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"step": 1}', "missing key 'pre'"),
        (
            '{"step": 1, "pre": "0x00", "post": "0x00", "state-data": "0x", "proof-data": "0x"}',
            "pre must be 32 bytes",
        ),
        (
            '{"step": -1, "pre": "0x", "post": "0x", "state-data": "0x", "proof-data": "0x"}',
            "step must be an integer",
        ),
    ],
)
def test_malformed_proofs_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(StateFormatError, match=problem):
        proof_from_json(text, "p.json")


def test_proof_oracle_fields_come_together() -> None:
    proof = json.loads(proof_to_json(StepProof(1, bytes(32), bytes(32), b"", b"", bytes(32), b"\x00" * 8, 5)))
    del proof["oracle-value"]
    with pytest.raises(StateFormatError, match="must both be present"):
        proof_from_json(json.dumps(proof))


# -- the VM registry ----------------------------------------------------------------------------


def test_registry() -> None:
    kinds = faultproof.vm.VM_KINDS
    assert kinds == {"mips32": MipsVM, "riscv64": RiscvVM}
    assert vm_class("mips32") is MipsVM
    with pytest.raises(UsageError, match="unknown VM 'riscv128'"):
        vm_class("riscv128")


def test_read_state_by_kind_and_by_recognition(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    vm = _hello(mips_elves)
    for name in STATE_NAMES:
        path = tmp_path / name
        path.write_bytes(vm.state_file_bytes(path))
        assert read_state(path).witness() == vm.witness()
        assert read_state(path, "mips32").witness() == vm.witness()


def test_unrecognized_state_gets_the_readers_complaint(tmp_path: Path) -> None:
    path = tmp_path / "state.bin"
    path.write_bytes(b"\x03" + EMPTY_STATE_FILE[1:])
    assert not recognizes_state_file(path)
    with pytest.raises(StateFormatError, match="unknown state version 0x03"):
        read_state(path)
    reordered = tmp_path / "reordered.json"
    document = _json_document()
    reordered.write_text(json.dumps(dict(reversed(list(document.items())))))
    assert not recognizes_state_file(reordered)
    assert read_state(reordered).witness() == MipsVM().witness()
