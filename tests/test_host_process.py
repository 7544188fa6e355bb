"""Hosts and guests as real processes: ``faultproof run … -- <host>`` and ``faultproof host … -- <program>``.

Real Go programs, real pipes on fds 3–6, real exit statuses (spec: mips32.md §10.3,
preimage-oracle.md §5). The reference for every run is the same program in a VM in this process,
against the in-process oracle of ``faultproof.examples``.

Every failure of a host — a missing preimage, death, a malformed frame, silence — must end the run
with one ``error:`` line naming the request and exit status 2, quickly, and keep the state before
the failing step in ``--output`` so the run can be resumed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from faultproof.errors import ExecutionError, HostClosed
from faultproof.examples import CLAIM_RESULT, claim_global_preimages, claim_host, claim_local_inputs
from faultproof.fileio import write_state, write_text_atomic
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import describe_key, keccak256_key, local_key
from faultproof.preimage.server import HostProcess
from faultproof.preimage.store import DiskStore
from faultproof.programs import build_programs
from faultproof.runner import RunOptions, run_vm, stopped_by_oracle
from faultproof.vm import read_state
from faultproof.vm.mips32.vm import MipsVM

REPOSITORY = Path(__file__).resolve().parent.parent
FAULTPROOF = str(Path(sys.executable).parent / "faultproof")
NATIVE_ENV = {"GOOS": "linux", "GOARCH": "amd64", "CGO_ENABLED": "0"}
WRONG_CLAIM = CLAIM_RESULT + 1
QUIET = ("--info-at", "never")
LOCAL_0 = describe_key(local_key(0))


def faultproof(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([FAULTPROOF, *args], cwd=cwd, capture_output=True, timeout=timeout)


def error_line(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    """The one ``error:`` line a failed command ends with (forwarded host output may precede it)."""
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    last = stderr.splitlines()[-1]
    assert last.startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in last, last
    return last


def local_flags(claim: int) -> list[str]:
    return [f"--local={index}=0x{claim_local_inputs(claim)[local_key(index)].hex()}" for index in range(3)]


@dataclass(frozen=True)
class VMRun:
    stdout: bytes
    stderr: bytes
    exit_code: int
    state_hash: bytes


def run_in_process(elf: Path, host: OracleHost) -> VMRun:
    vm, metadata = MipsVM.load_elf(elf)
    vm.host = host
    run_vm(vm, RunOptions.from_flags(info_at="never"), metadata)
    return VMRun(bytes(vm.stdout), bytes(vm.stderr), vm.exit_code, vm.state_hash())


@pytest.fixture(scope="module")
def reference_runs(mips_elves: dict[str, Path]) -> dict[int, VMRun]:
    """`claim` in a VM with the in-process oracle, for the true and the false claim."""
    return {
        claim: run_in_process(mips_elves["claim"], claim_host(claim)) for claim in (CLAIM_RESULT, WRONG_CLAIM)
    }


@pytest.fixture(scope="session")
def native_elves() -> dict[str, Path]:
    """`claim` and `hello` built for this machine, to run natively against a host."""
    return build_programs("native", NATIVE_ENV, REPOSITORY / "build" / "programs", names=("claim", "hello"))


@pytest.fixture
def claim_folder(mips_elves: dict[str, Path], tmp_path: Path) -> Path:
    """``tmp_path`` with `claim`'s step-0 ``state.bin`` and ``meta.json``."""
    vm, metadata = MipsVM.load_elf(mips_elves["claim"])
    write_state(vm, tmp_path / "state.bin")
    write_text_atomic(tmp_path / "meta.json", metadata.to_json())
    return tmp_path


def fill_store(path: Path, preimages: dict[bytes, bytes]) -> Path:
    store = DiskStore(path)
    try:
        for key, value in preimages.items():
            store.put(key, value)
    finally:
        store.close()
    return path


def all_global_preimages() -> dict[bytes, bytes]:
    return {key: value for by_hint in claim_global_preimages().values() for key, value in by_hint.items()}


def preimage_folder(path: Path) -> Path:
    """A folder with one file per global preimage of `claim`, for ``--hints TYPE=dir:…``."""
    path.mkdir()
    for index, value in enumerate(all_global_preimages().values()):
        (path / f"preimage-{index}").write_bytes(value)
    return path


def hint_flags(folder: Path) -> list[str]:
    """``--hints`` routing each hint type of `claim` to the folder of its preimages."""
    return [f"--hints={kind}=dir:{folder}" for kind in claim_global_preimages()]


def run_claim(folder: Path, *host: str, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[bytes]:
    return faultproof(
        "run", "--input", "state.bin", "--output", "out.json", *QUIET, *flags, "--", *host, cwd=folder
    )


# -- a VM against `faultproof host` --------------------------------------------------------------


def test_vm_against_a_host_process_equals_the_in_process_oracle(
    claim_folder: Path, reference_runs: dict[int, VMRun]
) -> None:
    """The true claim; the global preimages come from a folder, routed by hint type."""
    folder = preimage_folder(claim_folder / "preimages")
    hints = [f"--hints={kind}=dir:{folder}" for kind in claim_global_preimages()]
    result = run_claim(
        claim_folder, FAULTPROOF, "host", "--store", "store", *local_flags(CLAIM_RESULT), *hints
    )
    assert result.returncode == 0, result.stderr.decode()
    reference = reference_runs[CLAIM_RESULT]
    assert result.stdout == reference.stdout
    assert read_state(claim_folder / "out.json").state_hash() == reference.state_hash


def test_vm_against_a_host_process_with_a_locals_file_and_a_filled_store(
    claim_folder: Path, reference_runs: dict[int, VMRun]
) -> None:
    """The false claim; the local inputs come from a JSON file, the preimages from the store."""
    fill_store(claim_folder / "store", all_global_preimages())
    inputs = claim_local_inputs(WRONG_CLAIM)
    (claim_folder / "claim.bin").write_bytes(inputs[local_key(2)])
    locals_json = {
        "0": f"0x{inputs[local_key(0)].hex()}",
        f"0x{local_key(1).hex()}": f"0x{inputs[local_key(1)].hex()}",
    }
    locals_json["2"] = "@claim.bin"
    (claim_folder / "locals.json").write_text(json.dumps(locals_json))
    result = run_claim(claim_folder, FAULTPROOF, "host", "--store", "store", "--locals", "locals.json")
    assert result.returncode == 0, result.stderr.decode()
    reference = reference_runs[WRONG_CLAIM]
    assert reference.exit_code == 1
    assert result.stdout == reference.stdout
    assert read_state(claim_folder / "out.json").state_hash() == reference.state_hash


# -- a program running natively against `faultproof host` ----------------------------------------


@pytest.mark.parametrize("claim", [CLAIM_RESULT, WRONG_CLAIM], ids=["good-claim", "bad-claim"])
def test_native_claim_behaves_as_in_the_vm(
    native_elves: dict[str, Path], reference_runs: dict[int, VMRun], tmp_path: Path, claim: int
) -> None:
    program = str(native_elves["claim"])
    host = [
        "host",
        "--store",
        "store",
        *local_flags(claim),
        *hint_flags(preimage_folder(tmp_path / "preimages")),
    ]
    result = faultproof(*host, "--", program, cwd=tmp_path)
    reference = reference_runs[claim]
    assert (result.stdout, result.stderr, result.returncode) == (
        reference.stdout,
        reference.stderr,
        reference.exit_code,
    )


def test_native_hello_behaves_as_in_the_vm(
    native_elves: dict[str, Path], mips_elves: dict[str, Path], tmp_path: Path
) -> None:
    reference = run_in_process(mips_elves["hello"], OracleHost.in_memory())
    result = faultproof("host", "--store", "store", "--", str(native_elves["hello"]), cwd=tmp_path)
    assert (result.stdout, result.stderr, result.returncode) == (b"hello world!\n", b"", 0)
    assert (reference.stdout, reference.stderr, reference.exit_code) == (b"hello world!\n", b"", 0)


def test_native_program_with_a_missing_preimage(native_elves: dict[str, Path], tmp_path: Path) -> None:
    """The host stops with the key it lacks; the program is stopped too."""
    result = faultproof("host", "--store", "store", "--", str(native_elves["claim"]), cwd=tmp_path)
    error_line(result, f"missing preimage for {LOCAL_0}")
    assert result.stdout == b""


def test_native_program_that_cannot_be_started(tmp_path: Path) -> None:
    result = faultproof("host", "--store", "store", "--", "./no-such-program", cwd=tmp_path)
    error_line(result, "cannot start program './no-such-program': No such file or directory")


# -- a missing preimage: the state before the step is kept, and the run resumes ---------------------


def test_missing_preimage_keeps_the_pre_step_state_and_the_run_resumes(
    claim_folder: Path, mips_elves: dict[str, Path], reference_runs: dict[int, VMRun]
) -> None:
    globals_ = claim_global_preimages()
    fill_store(claim_folder / "store", globals_["fetch-state"])
    host = [FAULTPROOF, "host", "--store", "store", *local_flags(CLAIM_RESULT)]
    diff_key = next(iter(globals_["fetch-diff"]))
    result = run_claim(claim_folder, *host)
    missing = f"missing preimage for {describe_key(diff_key)}"
    line = error_line(result, "instruction 0x0000000c", f"while answering {describe_key(diff_key)}", missing)
    assert "host exited with status 2" in line
    assert (
        f"kept the state before step {int(line.split()[2].rstrip(':')):,} in out.json"
        in result.stderr.decode()
    )

    # The library stops at the same step, holding the same pre-step state.
    vm, metadata = MipsVM.load_elf(mips_elves["claim"])
    vm.host = OracleHost.in_memory({**claim_local_inputs(), **globals_["fetch-state"]})
    with pytest.raises(ExecutionError) as caught:
        run_vm(vm, RunOptions.from_flags(info_at="never"), metadata)
    assert stopped_by_oracle(caught.value)
    assert line.startswith(f"error: step {caught.value.step}: ")
    kept = read_state(claim_folder / "out.json")
    assert (kept.step_count, kept.state_hash()) == (vm.step_count, vm.state_hash())

    # Once the host has the preimages, the run continues from there to the same end.
    fill_store(claim_folder / "store", globals_["fetch-diff"])
    resumed = faultproof(
        "run", "--input", "out.json", "--output", "final.json", *QUIET, "--", *host, cwd=claim_folder
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert resumed.stdout == reference_runs[CLAIM_RESULT].stdout
    assert read_state(claim_folder / "final.json").state_hash() == reference_runs[CLAIM_RESULT].state_hash


# -- hosts that fail: one clear error, exit status 2, no hang --------------------------------------

# Fake hosts on raw descriptors 3–6: fd 3 hint requests, 4 hint acks, 5 keys, 6 answers.
RAW_HOST = """
import os, sys
def read_exactly(fd, size):
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data
"""

FAKE_HOSTS = {
    "exits-at-first-key": RAW_HOST
    + """
read_exactly(5, 32)
sys.stderr.write("host crashed\\n")
sys.exit(3)
""",
    "longer-answer-than-announced": RAW_HOST
    + """
read_exactly(5, 32)
os.write(6, (32).to_bytes(8, "big") + bytes(40))
read_exactly(5, 32)
read_exactly(5, 1)
""",
    "length-prefix-then-exit": RAW_HOST
    + """
read_exactly(5, 32)
os.write(6, (32).to_bytes(8, "big"))
""",
    "never-answers": RAW_HOST
    + """
read_exactly(5, 32)
import time
time.sleep(60)
""",
    "dies-at-first-hint": """
import os, sys
from faultproof.examples import claim_local_inputs
from faultproof.preimage.host import OracleHost
from faultproof.preimage.server import serve_inherited

class DiesAtHint(OracleHost):
    def hint(self, hint):
        sys.stderr.write("cannot fetch: " + hint.decode() + "\\n")
        sys.stderr.flush()
        os._exit(3)

serve_inherited(DiesAtHint.in_memory(claim_local_inputs()))
""",
}
FETCH_STATE = "fetch-state 7f7fa7f8fea0d8d22fb5225f32264f463eee3bd2513cbee93da6560338e0615e"


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        (
            "exits-at-first-key",
            [f"host exited with status 3 while answering {LOCAL_0}", "stderr: 'host crashed'"],
        ),
        (
            "longer-answer-than-announced",
            [f"host sent 8 unrequested bytes on the preimage stream before {describe_key(local_key(1))}"],
        ),
        (
            "length-prefix-then-exit",
            [f"host exited with status 0 while answering {LOCAL_0} (received 8 of 40 bytes)"],
        ),
        ("never-answers", [f"host did not answer {LOCAL_0} within 1 s"]),
        (
            "dies-at-first-hint",
            [
                f"host exited with status 3 while answering hint '{FETCH_STATE[:48]}'…",
                f"'cannot fetch: {FETCH_STATE}'",
            ],
        ),
    ],
)
def test_a_failing_host_stops_the_run_with_one_clear_error(
    claim_folder: Path, name: str, fragments: list[str]
) -> None:
    (claim_folder / "host.py").write_text(textwrap.dedent(FAKE_HOSTS[name]))
    started = time.monotonic()
    result = run_claim(claim_folder, sys.executable, "host.py", flags=("--host-timeout", "1"))
    assert time.monotonic() - started < 30
    error_line(result, *fragments)
    pre_step = read_state(claim_folder / "out.json")
    assert not pre_step.exited and pre_step.step_count > 0


def test_a_host_that_exits_while_a_child_keeps_its_pipes_is_noticed_at_once(claim_folder: Path) -> None:
    """No end-of-file arrives (``sleep`` holds the pipes): the host's exit itself ends the wait."""
    started = time.monotonic()
    result = run_claim(claim_folder, "sh", "-c", "sleep 3 & exit 4")
    error_line(result, f"host exited with status 4 while answering {LOCAL_0}")
    assert time.monotonic() - started < 10  # well below the default 15 s timeout


def test_a_host_command_that_cannot_be_started(claim_folder: Path) -> None:
    result = run_claim(claim_folder, "./no-such-host")
    error_line(result, "cannot start host command './no-such-host': No such file or directory")
    assert not (claim_folder / "out.json").exists()


# -- `faultproof host` arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (
            ["--local", "0=0x01", "--local", "x=1"],
            "--local #2 'x=1': key 'x' is neither a decimal local index",
        ),
        (["--local", "0=0x0"], "--local #1 '0=0x0': value '0x0' is neither 0x-hex of whole bytes nor @FILE"),
        (["--local", "7"], "--local #1 '7': expected KEY=VALUE"),
        (["--local", "0=@missing.bin"], "--local #1 '0=@missing.bin': cannot read"),
        (["--local", "18446744073709551616=0x"], "local index 18446744073709551616 does not fit 8 bytes"),
        (
            [f"--local=0x{keccak256_key(b'').hex()}=0x"],
            "is not a local key (type 1); global preimages go in the store",
        ),
        (["--local", "1=0x", "--local", f"0x{local_key(1).hex()}=0x01"], "--local #2 '0x0100"),
        (["--locals", "missing.json"], "--locals missing.json: cannot read"),
        (["--hints", "fetch-state"], "--hints #1 'fetch-state': expected TYPE=dir:FOLDER"),
        (
            ["--hints", "fetch-state=dir:nowhere"],
            "--hints #1 'fetch-state=dir:nowhere': nowhere is not a folder",
        ),
        (["--hints", "fetch-state=rpc:http://localhost:1"], "a JSON-RPC source answers l1-block-header"),
        ([], "fd 3 (hint requests) is not open"),
    ],
    ids=[
        "bad-key",
        "odd-hex",
        "no-equals",
        "missing-file",
        "index-too-large",
        "global-key",
        "duplicate",
        "missing-locals-file",
        "hints-no-source",
        "hints-missing-folder",
        "hints-rpc-type",
        "no-descriptors",
    ],
)
def test_bad_host_arguments(tmp_path: Path, flags: list[str], fragment: str) -> None:
    result = faultproof("host", "--store", "store", *flags, cwd=tmp_path)
    error_line(result, fragment)
    assert len(result.stderr.decode().splitlines()) == 1


def test_descriptors_3_to_6_must_be_pipes(tmp_path: Path) -> None:
    command = f"exec {FAULTPROOF} host --store store 3</dev/null 4>/dev/null 5</dev/null 6>/dev/null"
    result = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, timeout=60)
    error_line(result, "fd 3 (hint requests) is not a pipe")


def test_a_malformed_locals_file_entry_is_named(tmp_path: Path) -> None:
    (tmp_path / "locals.json").write_text(json.dumps({"0": "0x00", "1": 5}))
    result = faultproof("host", "--store", "store", "--locals", "locals.json", cwd=tmp_path)
    error_line(result, "--locals locals.json entry '1': the value must be a string (0x-hex or @FILE), got 5")


def test_a_malformed_local_argument_of_a_host_started_by_run(claim_folder: Path) -> None:
    """The host's complaint, with the argument's position, ends up in the run's error line."""
    result = run_claim(
        claim_folder, FAULTPROOF, "host", "--store", "store", "--local", "0=0x00", "--local", "1=x"
    )
    error_line(result, "host exited with status 2", "--local #2 '1=x'")


# -- descriptors ----------------------------------------------------------------------------------

LIST_FDS_AND_SERVE = """
import os, sys
from faultproof.examples import claim_host
from faultproof.preimage.server import serve_inherited
sys.stderr.write(" ".join(sorted(os.listdir("/proc/self/fd"), key=int)) + "\\n")
sys.stderr.flush()
serve_inherited(claim_host())
"""

USE_HOST_WITH_LOW_PIPES = """
import os, sys
from faultproof.preimage.keys import local_key
from faultproof.preimage.server import HostProcess
seen = []
with HostProcess([sys.executable, "-c", sys.argv[1]], timeout=10, stderr=seen.append) as host:
    host.hint(b"fetch-state 00")
    print(host.get_preimage(local_key(2)).hex())
print(b"".join(seen).decode().strip())
"""


def test_pipes_on_fds_3_to_6_of_the_parent_reach_the_right_fds_of_the_child() -> None:
    """In a parent with nothing open beyond 0–2, the new pipes themselves take fds 3–10."""
    result = subprocess.run(
        [sys.executable, "-c", USE_HOST_WITH_LOW_PIPES, LIST_FDS_AND_SERVE], capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    value, fds = result.stdout.decode().splitlines()
    assert value == claim_local_inputs()[local_key(2)].hex()
    # 0–6, and the descriptor listing /proc/self/fd itself: nothing else leaked into the host.
    assert fds.split()[:7] == ["0", "1", "2", "3", "4", "5", "6"] and len(fds.split()) == 8


def test_host_process_errors_name_the_request(tmp_path: Path) -> None:
    """The library API of a host child: its exit is an error naming the key; closing stops it."""
    (tmp_path / "host.py").write_text(textwrap.dedent(FAKE_HOSTS["exits-at-first-key"]))
    with HostProcess([sys.executable, str(tmp_path / "host.py")], stderr=lambda data: None) as host:
        with pytest.raises(HostClosed) as caught:
            host.get_preimage(local_key(0))
        assert str(caught.value) == (
            f"host exited with status 3 while answering {LOCAL_0}; its last line on stderr: 'host crashed'"
        )
    assert host.process.returncode == 3
