"""The ``faultproof`` command end to end, as a user runs it: a real process, real files, real exit codes.

Bad input must end with exit status 2 and exactly one line ``error: …`` on stderr, with no
traceback and no output file created or partially written.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli_helpers import assert_no_new_files, assert_one_line_error, faultproof, ok
from faultproof.fileio import read_metadata
from faultproof.preimage.parts import PreimagesAsParts
from faultproof.proofs import read_proof
from faultproof.vm import read_state
from faultproof.vm.mips32.vm import MipsVM

UNDEFINED_INSTRUCTION = 0xFC00_0000
PT_LOAD = 1


def state_hash(path: Path) -> bytes:
    return read_state(path).state_hash()


@pytest.fixture
def hello_state(mips_elves: dict[str, Path], tmp_path: Path) -> Path:
    """``tmp_path`` holding ``state.json`` and ``meta.json`` of `hello`, made by ``load-elf``."""
    ok("load-elf", "--vm", "mips32", "--path", str(mips_elves["hello"]), "--out", "state.json", cwd=tmp_path)
    return tmp_path


# -- happy paths --------------------------------------------------------------------------------


def test_load_elf_and_run_hello_to_completion(hello_state: Path) -> None:
    meta = read_metadata(hello_state / "meta.json")
    assert meta.ranges("main.main")
    result = ok("run", "--input", "state.json", "--output", "out.json", cwd=hello_state)
    assert result.stdout == b"hello world!\n"
    assert "exited with code 0" in result.stderr.decode()
    final = read_state(hello_state / "out.json")
    assert final.exited and final.exit_code == 0
    assert final.state_hash()[0] == 0  # status byte: Valid


def test_debug_info_reports_the_memory_of_the_final_state(hello_state: Path) -> None:
    """``--debug-info`` (passed by newer challengers): allocated pages × 4096, as 0x-hex."""
    ok("run", "--input", "state.json", "--output", "out.json", "--debug-info", "debug.json", cwd=hello_state)
    pages = len(json.loads((hello_state / "out.json").read_text())["memory"])
    assert json.loads((hello_state / "debug.json").read_text()) == {"memory_used": hex(pages * 4096)}


def test_load_elf_defaults_and_cannon_alias(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    ok("load-elf", "--type", "singlethreaded-2", "--path", str(mips_elves["hello"]), cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "state.bin.gz"]
    loaded, _ = MipsVM.load_elf(mips_elves["hello"])
    assert state_hash(tmp_path / "state.bin.gz") == loaded.state_hash()
    ok("load-elf", "--path", str(mips_elves["hello"]), "--out", "other.bin", "--meta", "", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "other.bin", "state.bin.gz"]


def test_proof_matches_snapshots_and_verifies(hello_state: Path) -> None:
    step = 1000
    ok(
        "run",
        *("--snapshot-at", f"%{step}", "--proof-at", f"={step}", "--stop-at", f"={step + 1}"),
        cwd=hello_state,
    )
    assert sorted(p.name for p in hello_state.iterdir()) == sorted(
        ["meta.json", "state.json", "out.json", "state-0.json", f"state-{step}.json", f"proof-{step}.json"]
    )
    proof = read_proof(hello_state / f"proof-{step}.json")
    assert proof.step == step
    assert proof.pre == state_hash(hello_state / f"state-{step}.json")
    assert proof.post == state_hash(hello_state / "out.json")
    assert proof.state_data == read_state(hello_state / f"state-{step}.json").witness()
    post = MipsVM.verify_step(proof.state_data, proof.proof_data, bytes(32), PreimagesAsParts({}), bytes(20))
    assert post == proof.post


def test_snapshots_every_k_steps(hello_state: Path) -> None:
    ok("run", "--snapshot-at", "%100000", "--snapshot-fmt", "snap-%d.bin.gz", "--output", "", cwd=hello_state)
    snapshots = sorted(
        hello_state.glob("snap-*.bin.gz"), key=lambda p: int(p.name.split("-")[1].split(".")[0])
    )
    assert [p.name for p in snapshots] == [f"snap-{n}.bin.gz" for n in (0, 100000, 200000)]
    for path in snapshots:
        assert read_state(path).step_count == int(path.name.split("-")[1].split(".")[0])
    assert not (hello_state / "out.json").exists()


def test_absolute_prestate_is_pre_of_the_first_proof(hello_state: Path) -> None:
    ok("run", "--proof-at", "=0", "--stop-at", "=1", "--info-at", "never", cwd=hello_state)
    prestate = read_proof(hello_state / "proof-0.json").pre
    summary = json.loads(ok("witness", "--input", "state.json", cwd=hello_state).stdout)
    assert summary["witnessHash"] == "0x" + prestate.hex()


def test_witness(hello_state: Path) -> None:
    result = ok("witness", "--input", "state.json", "--output", "witness.bin", cwd=hello_state)
    summary = json.loads(result.stdout)
    raw = (hello_state / "witness.bin").read_bytes()
    assert len(raw) == 226 and summary["witness"] == "0x" + raw.hex()
    assert summary == {
        "witnessHash": "0x" + state_hash(hello_state / "state.json").hex(),
        "witness": "0x" + raw.hex(),
        "step": 0,
        "exited": False,
        "exitCode": 0,
    }


def test_build_programs_prints_the_elves(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    out = mips_elves["hello"].parent.parent
    result = ok("build-programs", "--vm", "mips32", "--out", str(out), cwd=tmp_path)
    assert result.stdout.decode().splitlines() == [str(path) for path in mips_elves.values()]


def test_state_output_to_stdout(hello_state: Path) -> None:
    result = ok("run", "--stop-at", "=5", "--output", "-", "--info-at", "never", cwd=hello_state)
    document = json.loads(result.stdout)
    assert document["step"] == 5


def test_a_host_less_run_stops_at_a_preimage_read(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    """Without a host, `claim`'s first preimage read fails, naming the key (§10.3); the state before
    that step is kept in --output so the run can be resumed once the preimage is available."""
    ok("load-elf", "--path", str(mips_elves["claim"]), "--out", "state.bin", cwd=tmp_path)
    result = faultproof("run", "--input", "state.bin", "--info-at", "never", cwd=tmp_path)
    guest_stderr, kept, error = result.stderr.split(b"\n", 2)
    assert guest_stderr == b"started!"
    result.stderr = error
    line = assert_one_line_error(result, "missing preimage for local key 0x01", "instruction 0x0000000c")
    failed_step = int(line.removeprefix("error: step ").split(":")[0])
    assert kept == f"kept the state before step {failed_step:,} in out.json to resume from".encode()
    assert result.stdout == b""
    kept_state = read_state(tmp_path / "out.json")
    assert kept_state.step_count == failed_step and not kept_state.exited


# -- bad input ----------------------------------------------------------------------------------


def _elf_with_segment_in_heap(hello: bytes) -> bytes:
    """`hello` with its first loadable segment moved to end past the heap start (0x05000000)."""
    data = bytearray(hello)
    (phoff,) = struct.unpack_from(">I", data, 28)
    phentsize, phnum = struct.unpack_from(">HH", data, 42)
    for index in range(phnum):
        header = phoff + index * phentsize
        p_type, _, _, _, _, memsz = struct.unpack_from(">IIIIII", data, header)
        if p_type == PT_LOAD:
            struct.pack_into(">I", data, header + 8, 0x0500_0000 - memsz // 2)
            return bytes(data)
    raise AssertionError("no PT_LOAD segment")


@pytest.mark.parametrize(
    ("make_elf", "fragments"),
    [
        (lambda hello: b"#!/bin/sh\necho not an elf\n", ("not an ELF file",)),
        (lambda hello: Path(sys.executable).resolve().read_bytes(), ("not MIPS",)),
        (lambda hello: hello[:2000], ("truncated",)),
        (lambda hello: hello[: len(hello) // 2], ("truncated",)),
        (_elf_with_segment_in_heap, ("overlaps the heap at 0x05000000",)),
    ],
    ids=["not-elf", "host-architecture", "truncated-header", "truncated-half", "segment-in-heap"],
)
def test_load_elf_rejects_bad_programs(
    mips_elves: dict[str, Path],
    tmp_path: Path,
    make_elf: Callable[[bytes], bytes],
    fragments: tuple[str, ...],
) -> None:
    (tmp_path / "program.elf").write_bytes(make_elf(mips_elves["hello"].read_bytes()))
    result = faultproof("load-elf", "--path", "program.elf", "--out", "state.bin", cwd=tmp_path)
    assert_one_line_error(result, *fragments)
    assert_no_new_files(tmp_path, {"program.elf"})


def test_load_elf_of_a_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(faultproof("load-elf", "--path", "nothing.elf", cwd=tmp_path), "nothing.elf")
    assert_no_new_files(tmp_path, set())


def _corrupt_states(valid: bytes) -> dict[str, bytes]:
    """Broken variants of a binary state file, by the name they are saved under."""
    version_3 = b"\x03" + valid[1:]
    exited_2 = bytearray(valid)
    exited_2[len(valid) - 4 - 128 - 8 - 1] = 2  # the exited byte of a state without lastHint
    return {
        "truncated.bin": valid[: len(valid) - 100],
        "version3.bin": version_3,
        "exited2.bin": bytes(exited_2),
        "garbage.bin.gz": b"not gzip at all",
        "broken.json": b'{"memory": [',
        "empty.json": b"",
    }


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("truncated.bin", "truncated"),
        ("version3.bin", "unknown state version 0x03"),
        ("exited2.bin", "exited is 2"),
        ("garbage.bin.gz", "not a valid gzip file"),
        ("broken.json", "not valid JSON"),
        ("empty.json", "not valid JSON"),
        ("missing.json", "No such file"),
    ],
)
@pytest.mark.parametrize("command", ["run", "witness"])
def test_bad_state_files(hello_state: Path, name: str, fragment: str, command: str) -> None:
    valid = read_state(hello_state / "state.json").state_file_bytes(Path("x.bin"))
    for file_name, data in _corrupt_states(valid).items():
        (hello_state / file_name).write_bytes(data)
    before = {p.name for p in hello_state.iterdir()}
    extra = ["--output", "out.bin"] if command == "witness" else []
    result = faultproof(command, "--input", name, *extra, cwd=hello_state)
    assert_one_line_error(result, f"state file {name}", fragment)
    assert_no_new_files(hello_state, before)


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--proof-at", "%0"], "--proof-at: %0 is not a valid pattern"),
        (["--stop-at", "=abc"], "--stop-at: 'abc' is not an unsigned integer"),
        (["--snapshot-at", "sometimes"], "--snapshot-at: 'sometimes' is not a step pattern"),
        (["--info-at", "=010"], "--info-at"),
        (["--snapshot-fmt", "state.json", "--snapshot-at", "%5"], "--snapshot-fmt"),
        (["--stop-at-preimage-type", "md5"], "--stop-at-preimage-type"),
        (["--vm", "riscv128"], "'--vm'"),
        (["--no-such-flag"], "No such option"),
        (["--meta", "absent.json"], "metadata file absent.json"),
    ],
)
def test_bad_run_arguments(hello_state: Path, flags: list[str], fragment: str) -> None:
    before = {p.name for p in hello_state.iterdir()}
    assert_one_line_error(faultproof("run", *flags, cwd=hello_state), fragment)
    assert_no_new_files(hello_state, before)


def test_unwritable_outputs(hello_state: Path) -> None:
    before = {p.name for p in hello_state.iterdir()}
    for flags in (
        ["--output", "no/such/dir/out.json"],
        ["--snapshot-at", "%10", "--snapshot-fmt", "missing/state-%d.json"],
        ["--proof-at", "=3", "--proof-fmt", "missing/proof-%d.json"],
    ):
        result = faultproof("run", "--stop-at", "=5", *flags, cwd=hello_state)
        assert_one_line_error(result, f"{flags[-2]}: folder", "does not exist")
    (hello_state / "read-only").mkdir(mode=0o500)
    result = faultproof("witness", "--input", "state.json", "--output", "read-only/w.bin", cwd=hello_state)
    if os.geteuid() != 0:  # root writes anywhere
        assert_one_line_error(result, "cannot write read-only/w.bin")
    assert_no_new_files(hello_state, before | {"read-only"})


def test_undefined_instruction_stops_the_run(mips_elves: dict[str, Path], hello_state: Path) -> None:
    """A state whose program reaches 0xFC000000: the error names where, earlier snapshots stay valid."""
    # The pc reached for the first time last within 50,000 steps: the run fails there, not earlier.
    vm = read_state(hello_state / "state.json")
    first_visits: dict[int, int] = {}
    while vm.step_count < 50_000:
        first_visits.setdefault(vm.pc, vm.step_count)
        vm.step()
    failing_pc = max(first_visits, key=lambda pc: first_visits[pc])
    failing_step = first_visits[failing_pc]
    assert failing_step > 10_000
    crafted = read_state(hello_state / "state.json")
    assert isinstance(crafted, MipsVM)
    crafted.memory.write_word(failing_pc, UNDEFINED_INSTRUCTION)
    (hello_state / "crafted.json").write_bytes(crafted.state_file_bytes(Path("crafted.json")))
    symbol = read_metadata(hello_state / "meta.json").symbol_name(failing_pc)
    assert symbol

    result = faultproof(
        "run", "--input", "crafted.json", "--snapshot-at", "%5000", "--info-at", "never", cwd=hello_state
    )
    message = assert_one_line_error(result)
    where = f"step {failing_step}: pc 0x{failing_pc:08x} in {symbol}, instruction 0xfc000000"
    assert message == f"error: {where}: invalid instruction"
    assert not (hello_state / "out.json").exists()
    snapshots = sorted(hello_state.glob("state-*.json"))
    assert [p.name for p in snapshots] == sorted(f"state-{n}.json" for n in range(0, failing_step + 1, 5000))
    for path in snapshots:
        assert read_state(path).step_count == int(path.stem.split("-")[1])
