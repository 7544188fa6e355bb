"""The ``faultproof`` command with the RV64 VM, end to end: real processes, real files, real exit codes.

``load-elf --vm riscv64`` makes the state; every later command recognizes the VM from the state file
(binary ``.bin``/``.bin.gz`` and JSON, riscv64.md §10). Proofs written by ``run`` verify with the
stateless verifier and start from the snapshot of the same step; ``witness`` prints the fields of
§10.4. Bad input ends with exit status 2 and one ``error:`` line, and creates no file.
"""

from __future__ import annotations

import itertools
import json
import shutil
import struct
from pathlib import Path

import pytest

from cli_helpers import assert_no_new_files, assert_one_line_error, faultproof, ok
from faultproof.examples import CLAIM_RESULT, claim_host, claim_local_inputs
from faultproof.fileio import read_metadata
from faultproof.preimage.keys import local_key
from faultproof.proofs import read_proof
from faultproof.vm import read_state
from faultproof.vm.riscv64.vm import RiscvVM
from onchain_checks import CALLER, CONTEXT, SinglePart, parts_for
from riscv_asm import SP, T0, ZERO, fmadd_d, jal, ld
from test_host_process import FAULTPROOF, hint_flags, local_flags, preimage_folder
from test_riscv64_programs import check_step_proof, is_ecall

WITNESS_SIZE = 362
E_ENTRY_OFFSET = 24  # ELF64 header: e_entry, 8 bytes, little-endian for RISC-V
QUIET = ("--info-at", "never")


def load_elf(elf: Path, *args: str, cwd: Path) -> bytes:
    """``load-elf --vm riscv64`` of ``elf``; its stderr (which names the absolute prestate)."""
    return ok("load-elf", "--vm", "riscv64", "--path", str(elf), *args, cwd=cwd).stderr


def state_hash(path: Path) -> bytes:
    return read_state(path).state_hash()


def run_to_exit(vm: RiscvVM) -> RiscvVM:
    while not vm.exited:
        vm.run(1_000_000)
    return vm


@pytest.fixture
def hello_state(riscv_elves: dict[str, Path], tmp_path: Path) -> Path:
    """``tmp_path`` holding ``state.json`` and ``meta.json`` of `hello`, made by ``load-elf``."""
    ok(
        "load-elf",
        "--vm",
        "riscv64",
        "--path",
        str(riscv_elves["hello"]),
        "--out",
        "state.json",
        cwd=tmp_path,
    )
    return tmp_path


@pytest.fixture(scope="module")
def hello_final_hash(riscv_elves: dict[str, Path]) -> bytes:
    """`hello`'s final state hash, from the library (its reference step)."""
    vm, _ = RiscvVM.load_elf(riscv_elves["hello"])
    while not vm.exited:
        vm.step()
    return vm.state_hash()


# -- happy paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("state_name", ["state.json", "state.bin.gz", "state.bin", "state.json.gz"])
def test_load_elf_and_run_hello(
    riscv_elves: dict[str, Path], hello_final_hash: bytes, tmp_path: Path, state_name: str
) -> None:
    """Every state format is recognized as RV64 by ``run`` and ``witness`` without ``--vm``."""
    stderr = load_elf(riscv_elves["hello"], "--out", state_name, cwd=tmp_path)
    loaded, _ = RiscvVM.load_elf(riscv_elves["hello"])
    prestate = loaded.state_hash()
    assert prestate[0] == 0x03  # §2.2: unfinished
    assert stderr.decode().strip().endswith(f"absolute prestate 0x{prestate.hex()}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["meta.json", state_name])
    assert read_metadata(tmp_path / "meta.json").ranges("main.main")
    state = read_state(tmp_path / state_name)
    assert isinstance(state, RiscvVM) and state.state_hash() == prestate

    run = ok("run", "--input", state_name, "--output", "out.bin.gz", *QUIET, cwd=tmp_path)
    assert run.stdout == b"hello world!\n"
    assert "exited with code 0" in run.stderr.decode()
    final = read_state(tmp_path / "out.bin.gz")
    assert isinstance(final, RiscvVM) and final.exited and final.exit_code == 0
    assert final.state_hash() == hello_final_hash and hello_final_hash[0] == 0


def test_load_elf_defaults(riscv_elves: dict[str, Path], tmp_path: Path) -> None:
    """§11.1: ``--out state.bin.gz`` and ``--meta meta.json`` by default; ``--meta ''`` writes none."""
    ok("load-elf", "--vm", "riscv64", "--path", str(riscv_elves["hello"]), cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "state.bin.gz"]
    ok(
        "load-elf",
        "--vm",
        "riscv64",
        "--path",
        str(riscv_elves["hello"]),
        "--out",
        "o.bin",
        "--meta",
        "",
        cwd=tmp_path,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "o.bin", "state.bin.gz"]
    assert state_hash(tmp_path / "o.bin") == state_hash(tmp_path / "state.bin.gz")


def test_proof_matches_snapshots_and_verifies(hello_state: Path) -> None:
    step = 1000
    ok(
        "run",
        *("--snapshot-at", f"%{step}", "--proof-at", f"={step}", "--stop-at", f"={step + 1}"),
        *QUIET,
        cwd=hello_state,
    )
    assert sorted(p.name for p in hello_state.iterdir()) == sorted(
        ["meta.json", "state.json", "out.json", "state-0.json", f"state-{step}.json", f"proof-{step}.json"]
    )
    proof = read_proof(hello_state / f"proof-{step}.json")
    snapshot = read_state(hello_state / f"state-{step}.json")
    assert proof.step == step == snapshot.step_count
    assert proof.pre == snapshot.state_hash()
    assert proof.state_data == snapshot.witness()
    assert proof.post == state_hash(hello_state / "out.json")
    check_step_proof(proof)


@pytest.mark.parametrize("pattern", ["always", "%7"])
def test_proofs_at_every_step_of_a_stretch(hello_state: Path, pattern: str) -> None:
    """Proofs of consecutive steps chain: each one's ``post`` is the next one's ``pre``."""
    ok("run", "--proof-at", pattern, "--stop-at", "=50", "--output", "", *QUIET, cwd=hello_state)
    steps = range(50) if pattern == "always" else range(0, 50, 7)
    proofs = [read_proof(hello_state / f"proof-{n}.json") for n in steps]
    assert len(list(hello_state.glob("proof-*.json"))) == len(proofs)
    for proof in proofs:
        check_step_proof(proof)
    if pattern == "always":
        assert all(a.post == b.pre for a, b in itertools.pairwise(proofs))


def test_absolute_prestate_is_pre_of_the_first_proof(hello_state: Path) -> None:
    """§11.3: the absolute prestate is the ``pre`` of ``run --proof-at =0 --stop-at =1``."""
    ok("run", "--proof-at", "=0", "--stop-at", "=1", *QUIET, cwd=hello_state)
    prestate = read_proof(hello_state / "proof-0.json").pre
    summary = json.loads(ok("witness", "--input", "state.json", cwd=hello_state).stdout)
    assert summary["stateHash"] == "0x" + prestate.hex()
    assert prestate[0] == 0x03


def test_witness(riscv_elves: dict[str, Path], hello_state: Path) -> None:
    """§10.4: exactly witness, stateHash, step, exited, exitCode and pc; --output has the raw bytes."""
    result = ok("witness", "--input", "state.json", "--output", "witness.bin", cwd=hello_state)
    raw = (hello_state / "witness.bin").read_bytes()
    (entry,) = struct.unpack_from("<Q", riscv_elves["hello"].read_bytes(), E_ENTRY_OFFSET)
    assert len(raw) == WITNESS_SIZE
    assert json.loads(result.stdout) == {
        "witness": "0x" + raw.hex(),
        "stateHash": "0x" + state_hash(hello_state / "state.json").hex(),
        "step": 0,
        "exited": False,
        "exitCode": 0,
        "pc": entry,
    }

    ok("run", "--input", "state.json", "--output", "final.bin", *QUIET, cwd=hello_state)
    final = json.loads(ok("witness", "--input", "final.bin", cwd=hello_state).stdout)
    vm = read_state(hello_state / "final.bin")
    assert isinstance(vm, RiscvVM)
    # `exit_group` advances pc past its ecall (§7.1); challengers extend a trace from this pc.
    assert is_ecall(vm.instruction_at(final["pc"] - 4))
    assert final == {
        "witness": "0x" + vm.witness().hex(),
        "stateHash": "0x" + vm.state_hash().hex(),
        "step": vm.step_count,
        "exited": True,
        "exitCode": 0,
        "pc": vm.pc,
    }


def test_state_output_to_stdout(hello_state: Path) -> None:
    result = ok("run", "--stop-at", "=5", "--output", "-", *QUIET, cwd=hello_state)
    document = json.loads(result.stdout)
    assert document["step"] == 5 and "loadReservation" in document and len(document["registers"]) == 32


def test_build_programs_builds_for_every_vm(
    mips_elves: dict[str, Path], riscv_elves: dict[str, Path], tmp_path: Path
) -> None:
    """Without ``--vm`` every VM's guests are built (here: found in the build cache)."""
    out = riscv_elves["hello"].parent.parent
    assert mips_elves["hello"].parent.parent == out
    result = ok("build-programs", "--out", str(out), cwd=tmp_path)
    expected = [str(path) for path in (*mips_elves.values(), *riscv_elves.values())]
    assert result.stdout.decode().splitlines() == expected
    only_riscv = ok("build-programs", "--vm", "riscv64", "--out", str(out), cwd=tmp_path)
    assert only_riscv.stdout.decode().splitlines() == [str(path) for path in riscv_elves.values()]


def test_examples(riscv_elves: dict[str, Path], tmp_path: Path) -> None:
    """`examples --vm riscv64`: hello, a true and a false claim, with their prestates and verdicts."""
    out = riscv_elves["hello"].parent.parent
    text = ok("examples", "--vm", "riscv64", "--out", str(out), cwd=tmp_path).stdout.decode()
    assert "(mips32)" not in text
    hello, _ = RiscvVM.load_elf(riscv_elves["hello"])
    claim, _ = RiscvVM.load_elf(riscv_elves["claim"])
    finals = []
    for host in (claim_host(CLAIM_RESULT), claim_host(CLAIM_RESULT + 1)):
        vm, _ = RiscvVM.load_elf(riscv_elves["claim"])
        vm.host = host
        finals.append(run_to_exit(vm))
    assert text.count("(riscv64)") == 3
    assert f"absolute prestate  0x{hello.state_hash().hex()}" in text
    assert text.count(f"absolute prestate  0x{claim.state_hash().hex()}") == 2
    assert "stdout  │ hello world!" in text
    assert f"stdout  │ claim {CLAIM_RESULT} is good!" in text
    assert f"stdout  │ claim {CLAIM_RESULT} is bad! Correct result is {CLAIM_RESULT + 1}" in text
    for final, code in zip(finals, (0, 1), strict=True):
        assert final.exit_code == code
        assert f"exit code          {code}   after {final.step_count:,} steps" in text
        assert f"final state hash   0x{final.state_hash().hex()}" in text


# -- a run with a host process ------------------------------------------------------------------


@pytest.fixture
def claim_folder(riscv_elves: dict[str, Path], tmp_path: Path) -> Path:
    load_elf(riscv_elves["claim"], "--out", "state.bin", cwd=tmp_path)
    return tmp_path


def host_command(folder: Path, claim: int) -> list[str]:
    """`faultproof host` serving `claim`'s local inputs and, by hint type, its global preimages."""
    return [
        FAULTPROOF,
        "host",
        "--store",
        "store",
        *local_flags(claim),
        *hint_flags(preimage_folder(folder / "preimages")),
    ]


def test_run_against_a_host_process(riscv_elves: dict[str, Path], claim_folder: Path) -> None:
    """The false claim: the program exits 1; stdout and the final state equal the in-process run."""
    claim = CLAIM_RESULT + 1
    reference, _ = RiscvVM.load_elf(riscv_elves["claim"])
    reference.host = claim_host(claim)
    run_to_exit(reference)
    host = host_command(claim_folder, claim)
    result = faultproof(
        "run", "--input", "state.bin", "--output", "out.json", *QUIET, "--", *host, cwd=claim_folder
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == bytes(reference.stdout)
    assert b"started!" in result.stderr and b"exited with code 1" in result.stderr
    final = read_state(claim_folder / "out.json")
    assert final.exit_code == reference.exit_code == 1
    assert final.state_hash() == reference.state_hash() and final.state_hash()[0] == 1


def test_proof_of_a_local_preimage_read(riscv_elves: dict[str, Path], claim_folder: Path) -> None:
    """A proof at a step reading local key 2 (the claim) past its length prefix: the proof carries
    the raw key, the whole stream and the offset (§10.3), and verifies with only that part loaded
    under the localized key."""
    vm, _ = RiscvVM.load_elf(riscv_elves["claim"])
    vm.host = claim_host()
    while True:
        step = vm.step_count
        vm.step()
        read = vm.last_preimage_read
        if read is not None and read.key == local_key(2) and read.offset > 0:
            break
    ok(
        "run", "--input", "state.bin", "--proof-at", f"={step}", "--stop-at", f"={step + 1}",
        "--output", "out.json", *QUIET, "--", *host_command(claim_folder, CLAIM_RESULT),
        cwd=claim_folder,
    )  # fmt: skip
    proof = read_proof(claim_folder / f"proof-{step}.json")
    claim_value = claim_local_inputs()[local_key(2)]
    assert proof.oracle_key == local_key(2)
    assert proof.oracle_value == len(claim_value).to_bytes(8, "big") + claim_value
    assert proof.oracle_offset == read.offset
    assert proof.post == vm.state_hash() == state_hash(claim_folder / "out.json")
    parts = parts_for(proof)
    assert isinstance(parts, SinglePart)
    assert RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, parts, CALLER) == proof.post
    check_step_proof(proof)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        ("text", ("not an ELF file",)),
        ("mips", ("ELF is for EM_MIPS, not RISC-V",)),
        ("host", ("not RISC-V",)),
        ("header", ("program.elf",)),
        ("2000", ("segment 1: file is truncated",)),
        ("half", ("file is truncated",)),
    ],
)
def test_load_elf_rejects_bad_programs(
    riscv_elves: dict[str, Path],
    mips_elves: dict[str, Path],
    tmp_path: Path,
    source: str,
    fragments: tuple[str, ...],
) -> None:
    hello = riscv_elves["hello"].read_bytes()
    data = {
        "text": b"#!/bin/sh\necho not an elf\n",
        "mips": mips_elves["hello"].read_bytes(),
        "host": Path("/bin/sh").resolve().read_bytes(),
        "header": hello[:40],
        "2000": hello[:2000],
        "half": hello[: len(hello) // 2],
    }[source]
    (tmp_path / "program.elf").write_bytes(data)
    result = faultproof(
        "load-elf", "--vm", "riscv64", "--path", "program.elf", "--out", "s.bin", cwd=tmp_path
    )
    assert_one_line_error(result, "program.elf", *fragments)
    assert_no_new_files(tmp_path, {"program.elf"})


@pytest.fixture(scope="module")
def corrupt_states(riscv_elves: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with `hello`'s RV64 state in binary and JSON and broken variants of both."""
    folder = tmp_path_factory.mktemp("corrupt")
    load_elf(riscv_elves["hello"], "--out", "state.json", cwd=folder)
    vm = read_state(folder / "state.json")
    binary = vm.state_file_bytes(Path("x.bin"))
    (count,) = struct.unpack_from(">Q", binary)
    exited_at = 8 + count * (8 + 4096) + 32 + 8 + 8 + 1  # §10.1: pages, key, offset, pc, exitCode
    exited_2 = bytearray(binary)
    exited_2[exited_at] = 2
    document = json.loads((folder / "state.json").read_text())
    pages = document["memory"]
    files = {
        "state.bin": binary,
        "truncated.bin": binary[:-100],
        "pages-cut.bin": binary[:5000],
        "exited2.bin": bytes(exited_2),
        "garbage.bin.gz": b"not gzip at all",
        "broken.json": (folder / "state.json").read_bytes()[:3000],
        "empty.json": b"",
        "registers.json": json.dumps({**document, "registers": document["registers"][:31]}).encode(),
        "twice.json": json.dumps({**document, "memory": [pages[0], *pages]}).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def corrupt_folder(corrupt_states: Path, tmp_path: Path) -> Path:
    """A private copy of ``corrupt_states``, so each test sees exactly the files it expects."""
    return Path(shutil.copytree(corrupt_states, tmp_path / "states"))


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("truncated.bin", "truncated: witness needs 362 bytes"),
        ("pages-cut.bin", "truncated"),
        ("exited2.bin", "exited is 2, must be 0 or 1"),
        ("garbage.bin.gz", "not a valid gzip file"),
        ("broken.json", "not valid JSON"),
        ("empty.json", "not valid JSON"),
        ("registers.json", "registers must be a list of 32 integers"),
        ("twice.json", "duplicate page index 0"),
        ("missing.json", "No such file"),
    ],
)
@pytest.mark.parametrize("command", ["run", "witness"])
def test_bad_state_files(corrupt_folder: Path, name: str, fragment: str, command: str) -> None:
    before = {p.name for p in corrupt_folder.iterdir()}
    extra = ["--output", "out.bin"] if command == "witness" else []
    result = faultproof(command, "--input", name, *extra, cwd=corrupt_folder)
    assert_one_line_error(result, f"state file {name}", fragment)
    assert_no_new_files(corrupt_folder, before)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("state.bin", "unknown state version 0x00"), ("state.json", "missing key 'nextPC'")],
)
@pytest.mark.parametrize("command", ["run", "witness"])
def test_riscv_state_given_to_mips32(corrupt_folder: Path, name: str, fragment: str, command: str) -> None:
    before = {p.name for p in corrupt_folder.iterdir()}
    result = faultproof(command, "--vm", "mips32", "--input", name, cwd=corrupt_folder)
    assert_one_line_error(result, f"state file {name}", fragment)
    assert_no_new_files(corrupt_folder, before)


# Instruction words that revert, with the revert code the error line must name (Appendix A).
REVERTING = {
    "load-funct3-7": (ld(T0, 0, SP) | (7 << 12), 0xBADC0DE),
    "fmadd.d": (fmadd_d(1, 2, 3, 4), 0xF001C0DE),
    "jal-pc+2": (jal(ZERO, 2), 0xBAD10AD0),
}


@pytest.mark.parametrize("case", REVERTING)
def test_reverting_instruction_stops_the_run(hello_state: Path, case: str) -> None:
    """A state whose program reaches a reverting word: the error names where and the revert code,
    snapshots written before stay valid, and no final state is written."""
    word, code = REVERTING[case]
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
    assert isinstance(crafted, RiscvVM)
    crafted.memory.write(failing_pc, word.to_bytes(4, "little"))
    (hello_state / "crafted.bin.gz").write_bytes(crafted.state_file_bytes(Path("crafted.bin.gz")))
    symbol = read_metadata(hello_state / "meta.json").symbol_name(failing_pc)
    assert symbol

    result = faultproof(
        "run", "--input", "crafted.bin.gz", "--snapshot-at", "%5000", "--snapshot-fmt", "snap-%d.bin", *QUIET,
        cwd=hello_state,
    )  # fmt: skip
    message = assert_one_line_error(result)
    where = f"error: step {failing_step}: pc 0x{failing_pc:016x} in {symbol}, instruction 0x{word:08x}: "
    assert message.startswith(where) and message.endswith(f"(revert code {code:#x})"), message
    assert not (hello_state / "out.json").exists()
    snapshots = sorted(hello_state.glob("snap-*.bin"), key=lambda p: int(p.stem.split("-")[1]))
    assert [p.name for p in snapshots] == [f"snap-{n}.bin" for n in range(0, failing_step + 1, 5000)]
    for path in snapshots:
        assert read_state(path).step_count == int(path.stem.split("-")[1])
