"""The run loop (mips32.md §10.1, §10.2) over real guests.

The loop jumps from one interesting step to the next with ``vm.run(k)``; the central test holds it
equal to a literal step-by-step reading of §10.2 (which files, which contents, where it stops).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.errors import (
    DivisionByZero,
    ExecutionError,
    InvalidInstruction,
    OutputError,
    PreimageNotFound,
    TrapReached,
    UsageError,
)
from faultproof.examples import claim_host
from faultproof.fileio import write_atomic
from faultproof.metadata import Metadata, Symbol
from faultproof.preimage.keys import KeyType
from faultproof.preimage.parts import PreimagesAsParts
from faultproof.proofs import proof_to_json, read_proof
from faultproof.runner import (
    ALWAYS,
    NEVER,
    PatternKind,
    PreimageMatch,
    RunInfo,
    RunOptions,
    StepPattern,
    StopReason,
    parse_unsigned,
    run_vm,
)
from faultproof.vm import read_state
from faultproof.vm.interface import FaultProofVM, PreimageRead
from faultproof.vm.mips32.formats import decode_binary_state, encode_binary_state
from faultproof.vm.mips32.vm import MipsVM

UNDEFINED_INSTRUCTION = 0xFC00_0000
DIV_ZERO_BY_ZERO = 0x0000_001A  # div $zero, $zero


# -- step patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", NEVER),
        ("never", NEVER),
        ("always", ALWAYS),
        ("=0", StepPattern(PatternKind.AT, 0)),
        ("=123", StepPattern(PatternKind.AT, 123)),
        ("=0x10", StepPattern(PatternKind.AT, 16)),
        ("%0o10", StepPattern(PatternKind.EVERY, 8)),
        ("%0b101", StepPattern(PatternKind.EVERY, 5)),
        ("%1_000", StepPattern(PatternKind.EVERY, 1000)),
        ("=18446744073709551615", StepPattern(PatternKind.AT, 2**64 - 1)),
    ],
)
def test_patterns_parse(text: str, expected: StepPattern) -> None:
    assert StepPattern.parse(text, "--stop-at") == expected


@pytest.mark.parametrize(
    "text",
    ["%0", "=", "%", "=-1", "= 1", "=1.0", "=abc", "=010", "=18446744073709551616", "sometimes", "5", "=0x"],
)
def test_bad_patterns_are_usage_errors_naming_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--proof-at: "):
        StepPattern.parse(text, "--proof-at")


@given(st.sampled_from(["=", "%"]), st.integers(1, 50), st.integers(0, 200))
def test_next_match_is_the_first_matching_step(operator: str, number: int, start: int) -> None:
    pattern = StepPattern.parse(f"{operator}{number}", "--info-at")
    expected = next((step for step in range(start, start + 2 * number + 1) if pattern.matches(step)), None)
    if operator == "=":
        expected = number if number >= start else None
    else:
        assert all(pattern.matches(step) == (step % number == 0) for step in range(start, start + number))
    assert pattern.next_match(start) == expected


def test_parse_unsigned_bounds() -> None:
    assert parse_unsigned("0xFFFFFFFF", "--x", 2**32 - 1) == 2**32 - 1
    with pytest.raises(UsageError, match="larger than"):
        parse_unsigned("0x100000000", "--x", 2**32 - 1)


def test_run_options_from_flags() -> None:
    options = RunOptions.from_flags(
        stop_at_preimage_type="keccak", stop_at_preimage="0x01ab@8", stop_at_preimage_larger_than="0x40"
    )
    assert options.stop_at_preimage == PreimageMatch(b"\x01\xab", 8)  # the key prefix replaces the type
    assert options.stop_at_preimage_larger_than == 64
    assert RunOptions.from_flags(stop_at_preimage="02").stop_at_preimage == PreimageMatch(b"\x02", 0)
    assert RunOptions.from_flags(stop_at_preimage_type="keccak").stop_at_preimage == PreimageMatch(b"\x02")
    assert RunOptions.from_flags(stop_at_preimage_type="any").stop_at_preimage == PreimageMatch(b"")
    assert RunOptions.from_flags().info_at == StepPattern(PatternKind.EVERY, 100_000)


@pytest.mark.parametrize(
    ("flags", "flag"),
    [
        ({"stop_at_preimage_type": "md5"}, "--stop-at-preimage-type"),
        ({"stop_at_preimage": "0x1"}, "--stop-at-preimage"),
        ({"stop_at_preimage": "02@x"}, "--stop-at-preimage offset"),
        ({"stop_at_preimage_larger_than": "-5"}, "--stop-at-preimage-larger-than"),
        ({"snapshot_fmt": "state.json"}, "--snapshot-fmt"),
        ({"proof_fmt": "proof-%d-%d.json"}, "--proof-fmt"),
        ({"info_at": "%0"}, "--info-at"),
    ],
)
def test_bad_run_flags(flags: dict[str, str], flag: str) -> None:
    with pytest.raises(UsageError, match=f"^{flag}: "):
        RunOptions.from_flags(**flags)


# -- equivalence with the literal loop ----------------------------------------------------------


def _literal_run(vm: FaultProofVM, options: RunOptions) -> None:
    """§10.2 read word for word: one iteration, one step."""
    while not vm.exited:
        step = vm.step_count
        if options.stop_at.matches(step):
            return
        if options.snapshot_at.matches(step):
            Path(options.snapshot_fmt % step).write_bytes(
                vm.state_file_bytes(Path(options.snapshot_fmt % step))
            )
        if options.proof_at.matches(step):
            proof = vm.step(proof=True)
            assert proof is not None
            Path(options.proof_fmt % step).write_text(proof_to_json(proof))
        else:
            vm.step()
        read = vm.last_preimage_read
        if read is None:
            continue
        if options.stop_at_preimage is not None and options.stop_at_preimage.matches(read):
            return
        limit = options.stop_at_preimage_larger_than
        if limit is not None and read.size + 8 > limit:
            return


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _claim(mips_elves: dict[str, Path]) -> MipsVM:
    vm, _ = MipsVM.load_elf(mips_elves["claim"])
    assert isinstance(vm, MipsVM)
    vm.host = claim_host()
    return vm


# Both loops start shortly before `claim` reads its first preimage (the literal loop is slow); the
# start is found from the program itself, so the test follows any change to the guest.
LEAD_BEFORE_FIRST_READ = 5_000


@pytest.fixture(scope="module")
def claim_near_first_read(mips_elves: dict[str, Path]) -> tuple[int, bytes]:
    probe = _claim(mips_elves)
    while probe.last_preimage_read is None:
        probe.run(100_000)
    start = probe.step_count - LEAD_BEFORE_FIRST_READ
    vm = _claim(mips_elves)
    vm.run(start)
    assert vm.step_count == start and vm.last_preimage_read is None
    return start, encode_binary_state(vm.state, vm.memory, bytes(vm.last_hint))


def _relative_to(start: int, flags: dict[str, str]) -> dict[str, str]:
    """Flags whose ``=+N`` patterns are made absolute as ``=start+N``."""
    return {
        name: f"={start + int(value[2:])}" if value.startswith("=+") else value
        for name, value in flags.items()
    }


def _claim_from(snapshot: bytes) -> MipsVM:
    state, memory, last_hint = decode_binary_state(snapshot, Path("snapshot.bin"))
    return MipsVM(state, memory, last_hint, claim_host())


@pytest.mark.parametrize(
    "flags",
    [
        {"snapshot_at": "%997", "proof_at": "=+1234", "stop_at": "=+5000", "snapshot_fmt": "s-%d.bin"},
        {"snapshot_at": "=+17", "proof_at": "%1500", "stop_at": "=+4501", "info_at": "%7"},
        {"snapshot_at": "=+3", "stop_at": "=+3"},
        {"stop_at_preimage_type": "local", "snapshot_at": "%5000"},
        {"stop_at_preimage_type": "keccak", "proof_at": "%50000"},
        {"stop_at_preimage": "01" + "00" * 30 + "02@8"},
        {"stop_at_preimage_larger_than": "40", "snapshot_at": "%30000", "snapshot_fmt": "s-%d.bin.gz"},
    ],
)
def test_run_equals_the_literal_loop(
    claim_near_first_read: tuple[int, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flags: dict[str, str],
) -> None:
    start, snapshot = claim_near_first_read
    options = RunOptions.from_flags(**_relative_to(start, flags))
    (tmp_path / "fast").mkdir()
    (tmp_path / "literal").mkdir()
    monkeypatch.chdir(tmp_path / "fast")
    fast = _claim_from(snapshot)
    result = run_vm(fast, options)
    monkeypatch.chdir(tmp_path / "literal")
    literal = _claim_from(snapshot)
    _literal_run(literal, options)

    assert fast.state_hash() == literal.state_hash()
    assert not fast.exited
    assert result.final_step == fast.step_count == start + result.steps
    assert _files(tmp_path / "fast") == _files(tmp_path / "literal")
    expected_reason = StopReason.STOP_AT if "stop_at" in flags else StopReason.PREIMAGE
    assert result.reason is expected_reason


def test_stop_at_leaves_no_snapshot_or_proof_for_that_step(
    mips_elves: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    vm = _claim(mips_elves)
    run_vm(vm, RunOptions.from_flags(snapshot_at="%10", proof_at="%10", stop_at="=30", info_at="never"))
    assert vm.step_count == 30
    assert sorted(os.listdir(tmp_path)) == sorted(
        [f"state-{n}.json" for n in (0, 10, 20)] + [f"proof-{n}.json" for n in (0, 10, 20)]
    )


def test_preimage_stops(mips_elves: dict[str, Path]) -> None:
    local = _claim(mips_elves)
    assert run_vm(local, RunOptions.from_flags(stop_at_preimage_type="local")).reason is StopReason.PREIMAGE
    assert local.last_preimage_read is not None and local.last_preimage_read.key[0] == KeyType.LOCAL

    keccak = _claim(mips_elves)
    run_vm(keccak, RunOptions.from_flags(stop_at_preimage_type="keccak"))
    assert keccak.last_preimage_read is not None and keccak.last_preimage_read.key[0] == KeyType.KECCAK256
    assert keccak.step_count > local.step_count

    # The 64-byte diff is the first preimage whose stream (8 + size bytes) exceeds 40 bytes.
    large = _claim(mips_elves)
    result = run_vm(large, RunOptions.from_flags(stop_at_preimage_larger_than="40"))
    assert large.last_preimage_read is not None and large.last_preimage_read.size == 64
    assert "72 bytes" in result.detail

    # A key prefix with an offset stops at that offset only.
    key = local.last_preimage_read.key
    at_offset = _claim(mips_elves)
    run_vm(at_offset, RunOptions.from_flags(stop_at_preimage=f"0x{key.hex()}@4"))
    assert at_offset.last_preimage_read == PreimageRead(key, 4, 32)


def test_claim_runs_to_completion_and_reports(mips_elves: dict[str, Path]) -> None:
    observer = _Collector()
    vm = _claim(mips_elves)
    result = run_vm(vm, RunOptions.from_flags(info_at="%100000"), observer=observer)
    assert result.reason is StopReason.EXITED and vm.exited and vm.exit_code == 0
    assert result.steps == vm.step_count and result.elapsed > 0
    assert [info.step for info in observer.infos] == list(range(0, vm.step_count, 100_000))
    assert observer.infos[0].steps_per_second is None and observer.infos[1].steps_per_second
    assert observer.joined(1) == b"computing 72057589742964736 * 3 + 4\nclaim 216172769228894212 is good!\n"
    assert observer.joined(2) == b"started!"


def test_an_exited_state_runs_no_iteration(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    vm = _claim(mips_elves)
    run_vm(vm, RunOptions(info_at=NEVER))
    again = run_vm(vm, RunOptions.from_flags(snapshot_at="always", snapshot_fmt=str(tmp_path / "s-%d.json")))
    assert (again.reason, again.steps) == (StopReason.EXITED, 0)
    assert list(tmp_path.iterdir()) == []


def test_info_always_reports_every_step(mips_elves: dict[str, Path]) -> None:
    observer = _Collector()
    vm = _claim(mips_elves)
    run_vm(vm, RunOptions(info_at=ALWAYS, stop_at=StepPattern(PatternKind.AT, 5)), observer=observer)
    assert [info.step for info in observer.infos] == [0, 1, 2, 3, 4, 5]
    assert observer.infos[0].symbol is None  # no metadata given
    assert observer.infos[0].instruction == vm.instruction_at(observer.infos[0].pc)


@dataclass
class _Collector:
    infos: list[RunInfo] = field(default_factory=list)
    chunks: list[tuple[int, bytes]] = field(default_factory=list)

    def info(self, info: RunInfo) -> None:
        self.infos.append(info)

    def output(self, fd: int, data: bytes) -> None:
        self.chunks.append((fd, data))

    def joined(self, fd: int) -> bytes:
        return b"".join(data for chunk_fd, data in self.chunks if chunk_fd == fd)


# -- proofs from the run verify statelessly -----------------------------------------------------


def test_proofs_verify_statelessly(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    """The differential check of §11.2: the verifier reproduces ``post`` of sampled proofs."""
    keccak = _claim(mips_elves)
    run_vm(keccak, RunOptions.from_flags(stop_at_preimage_type="keccak"))
    read_step = keccak.step_count - 1
    vm = _claim(mips_elves)
    fmt = str(tmp_path / "proof-%d.json")
    sampled = [0, 1, 99_999, 250_000, read_step]
    for step in sampled:
        run_vm(vm, RunOptions.from_flags(proof_at=f"={step}", stop_at=f"={step + 1}", proof_fmt=fmt))
    for step in sampled:
        proof = read_proof(Path(fmt % step))
        assert proof.step == step
        preimages = {}
        if proof.oracle_key is not None and proof.oracle_value is not None:
            preimages[proof.oracle_key] = proof.oracle_value[8:]
        assert (step == read_step) == (proof.oracle_key is not None)
        parts = PreimagesAsParts(preimages)
        assert (
            MipsVM.verify_step(proof.state_data, proof.proof_data, bytes(32), parts, bytes(20)) == proof.post
        )


# -- failures -----------------------------------------------------------------------------------


def _hello_with_metadata(mips_elves: dict[str, Path]) -> tuple[MipsVM, Metadata]:
    vm, metadata = MipsVM.load_elf(mips_elves["hello"])
    assert isinstance(vm, MipsVM)
    return vm, metadata


@pytest.mark.parametrize(
    ("word", "cause"), [(UNDEFINED_INSTRUCTION, InvalidInstruction), (DIV_ZERO_BY_ZERO, DivisionByZero)]
)
def test_failing_step_names_step_pc_instruction_and_symbol(
    mips_elves: dict[str, Path], tmp_path: Path, word: int, cause: type[Exception]
) -> None:
    vm, metadata = _hello_with_metadata(mips_elves)
    vm.run(2000)
    vm.memory.write_word(vm.pc, word)
    pc, step = vm.pc, vm.step_count
    fmt = str(tmp_path / "state-%d.bin")
    with pytest.raises(ExecutionError) as caught:
        run_vm(vm, RunOptions.from_flags(snapshot_at="%1000", snapshot_fmt=fmt), metadata)
    error = caught.value
    assert (error.step, error.pc, error.insn) == (step, pc, word)
    assert error.symbol == metadata.symbol_name(pc) and error.symbol
    assert isinstance(error.cause, cause)
    assert f"step {step}: pc 0x{pc:08x} in {error.symbol}, instruction 0x{word:08x}" in str(error)
    # The VM holds the state before the failing step, and the snapshot written there is complete.
    assert vm.step_count == step
    assert read_state(Path(fmt % step)).state_hash() == vm.state_hash()


def test_missing_preimage_is_an_execution_error(mips_elves: dict[str, Path]) -> None:
    vm, metadata = MipsVM.load_elf(mips_elves["claim"])
    with pytest.raises(ExecutionError, match="missing preimage for local key") as caught:
        run_vm(vm, RunOptions(), metadata)
    assert isinstance(caught.value.cause, PreimageNotFound)


@pytest.mark.parametrize("stop_there", [False, True])
def test_notesleep_guard(mips_elves: dict[str, Path], stop_there: bool) -> None:
    """Reaching ``runtime.notesleep`` is an error, checked before ``stop-at`` (§10.2 step 3)."""
    probe, metadata = _hello_with_metadata(mips_elves)
    probe.run(777)
    pc = probe.pc
    fake = Metadata([*metadata.symbols, Symbol(pc, 4, "runtime.notesleep")])
    vm, _ = _hello_with_metadata(mips_elves)
    first_visit = _first_step_at(vm, pc)
    options = RunOptions.from_flags(info_at="never", stop_at=f"={first_visit}" if stop_there else "")
    vm, _ = _hello_with_metadata(mips_elves)
    with pytest.raises(ExecutionError, match=r"runtime\.notesleep") as caught:
        run_vm(vm, options, fake)
    assert isinstance(caught.value.cause, TrapReached)
    assert caught.value.step == first_visit


def _first_step_at(vm: FaultProofVM, pc: int) -> int:
    while vm.pc != pc:
        vm.step()
    return vm.step_count


# -- atomic files -------------------------------------------------------------------------------


def test_atomic_write_replaces_or_leaves_everything_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match=r"cannot write .*folder"):
        write_atomic(tmp_path / "folder", b"data")  # a folder cannot be replaced by a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "state.json"]


def test_atomic_write_of_dash_goes_to_stdout(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    write_atomic("-", b"\x00state\xff")
    assert capfdbinary.readouterr().out == b"\x00state\xff"
