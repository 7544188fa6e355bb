"""``faultproof deploy`` and ``faultproof verify-step``: real step proofs checked by the contracts.

The proofs come from the Go guest `claim` run in each VM with its host in-process: steps that read
a local input (loaded with ``loadLocalData`` by the account that calls ``step``) and a keccak256
preimage, past the length prefix, and a plain step of `hello`. Tampered proofs are rejected with
exit status 1 and one line saying why; bad input gets the usual one ``error:`` line and status 2.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from anvil import running_anvil
from cli_helpers import assert_one_line_error, faultproof, ok
from faultproof.examples import claim_host
from faultproof.preimage.keys import KeyType, precompile_key
from faultproof.preimage.precompiles import precompile_address
from faultproof.proofs import proof_to_json, read_proof
from faultproof.vm.interface import FaultProofVM, StepProof
from faultproof.vm.mips32.vm import MipsVM
from faultproof.vm.riscv64.vm import RiscvVM

VMS: dict[str, type[FaultProofVM]] = {"mips32": MipsVM, "riscv64": RiscvVM}
# The embedded chain's contracts: deployed by the first dev account, in this order.
EMBEDDED_ADDRESSES = {
    "PreimageOracle": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "MIPS": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    "RISCV": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
}
REJECTED = 1


def claim_vm(kind: str, elf: Path) -> FaultProofVM:
    vm, _ = VMS[kind].load_elf(elf)
    vm.host = claim_host()
    return vm


def read_proof_of(kind: str, elf: Path, key_type: int, offset_past: int) -> StepProof:
    """The proof of the first step of `claim` that reads a ``key_type`` preimage at an offset
    ``>= offset_past``: found with the fast engine, which returns after every preimage read."""
    vm = claim_vm(kind, elf)
    while not vm.exited:
        vm.run(10**9)
        read = vm.last_preimage_read
        if read is not None and read.key[0] == key_type and read.offset >= offset_past:
            break
    else:
        pytest.fail(f"{kind} claim reads no type-{key_type} preimage at offset {offset_past} or later")
    step = vm.step_count - 1
    vm = claim_vm(kind, elf)
    while vm.step_count < step:  # the engine stops after every preimage read
        vm.run(step - vm.step_count)
    proof = vm.step(proof=True)
    assert proof is not None and proof.oracle_key is not None and proof.oracle_key[0] == key_type
    return proof


@pytest.fixture(scope="module")
def proofs(
    mips_elves: dict[str, Path], riscv_elves: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Proof files by name: ``<vm>-local``, ``<vm>-keccak``, and ``mips32-plain`` (hello, step 1000)."""
    folder = tmp_path_factory.mktemp("proofs")
    found: dict[str, StepProof] = {}
    for kind, elves in (("mips32", mips_elves), ("riscv64", riscv_elves)):
        found[f"{kind}-local"] = read_proof_of(kind, elves["claim"], KeyType.LOCAL, 8)
        found[f"{kind}-keccak"] = read_proof_of(kind, elves["claim"], KeyType.KECCAK256, 9)
    hello, _ = MipsVM.load_elf(mips_elves["hello"])
    hello.run(1000)
    plain = hello.step(proof=True)
    assert plain is not None and plain.oracle_key is None
    found["mips32-plain"] = plain
    paths = {}
    for name, proof in found.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(proof_to_json(proof))
    return paths


def verified(result: subprocess.CompletedProcess[bytes], proof: StepProof) -> list[str]:
    """Status 0 and the onchain post-state printed beside the proof's, equal."""
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith(f"step {proof.step} (")
    assert lines[1:] == [f"onchain post  0x{proof.post.hex()}", f"proof post    0x{proof.post.hex()}"]
    return lines


def rejected(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    """Status 1 and, last on stderr, one ``error:`` line holding every fragment."""
    stderr = result.stderr.decode()
    assert result.returncode == REJECTED, stderr
    assert "Traceback" not in stderr
    last = stderr.splitlines()[-1]
    assert last.startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in last, last
    return last


def write_proof(folder: Path, proof: StepProof) -> str:
    path = folder / f"proof-{proof.step}.json"
    path.write_text(proof_to_json(proof))
    return str(path)


# -- the embedded chain -------------------------------------------------------------------------------


def test_deploy_prints_and_records_the_addresses(tmp_path: Path) -> None:
    result = ok("deploy", cwd=tmp_path)
    printed = dict(line.split() for line in result.stdout.decode().splitlines())
    assert printed == EMBEDDED_ADDRESSES
    assert "recorded in deployments.json" in result.stderr.decode()
    record = json.loads((tmp_path / "deployments.json").read_text())
    assert record == {"chain-id": 31337, "rpc": None, "contracts": EMBEDDED_ADDRESSES}


@pytest.mark.parametrize(
    "name", ["mips32-local", "mips32-keccak", "riscv64-local", "riscv64-keccak", "mips32-plain"]
)
def test_verify_step_of_real_proofs(proofs: dict[str, Path], tmp_path: Path, name: str) -> None:
    proof = read_proof(proofs[name])
    result = faultproof("verify-step", "--proof", str(proofs[name]), cwd=tmp_path)
    lines = verified(result, proof)
    assert lines[0] == f"step {proof.step} ({name.split('-')[0]})"
    if proof.oracle_key is not None:
        loader = "loadLocalData" if proof.oracle_key[0] == KeyType.LOCAL else "loadKeccak256PreimagePart"
        assert f"loaded part at offset {proof.oracle_offset} of " in result.stderr.decode()
        assert f"({loader})" in result.stderr.decode()
    assert not (tmp_path / "deployments.json").exists()  # an embedded verify-step records nothing


def test_verify_step_with_the_vm_named_and_another_local_context(
    proofs: dict[str, Path], tmp_path: Path
) -> None:
    proof = read_proof(proofs["riscv64-local"])
    context = "0x" + "ab" * 32
    result = faultproof(
        "verify-step",
        "--proof",
        str(proofs["riscv64-local"]),
        "--vm",
        "riscv64",
        "--local-context",
        context,
        cwd=tmp_path,
    )
    verified(result, proof)


def test_a_proof_with_another_post_state_is_rejected(proofs: dict[str, Path], tmp_path: Path) -> None:
    proof = read_proof(proofs["mips32-keccak"])
    wrong = dataclasses.replace(proof, post=bytes([proof.post[0]]) + bytes(31))
    result = faultproof("verify-step", "--proof", write_proof(tmp_path, wrong), cwd=tmp_path)
    rejected(result, f"step {proof.step}: the onchain post-state differs from the proof's post")
    assert f"onchain post  0x{proof.post.hex()}" in result.stdout.decode()
    assert f"proof post    0x{wrong.post.hex()}" in result.stdout.decode()


@pytest.mark.parametrize("name", ["mips32-keccak", "riscv64-keccak"])
def test_a_tampered_memory_proof_makes_step_revert(
    proofs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    proof = read_proof(proofs[name])
    damaged = bytearray(proof.proof_data)
    damaged[40] ^= 1  # a sibling of the instruction's memory proof
    tampered = dataclasses.replace(proof, proof_data=bytes(damaged))
    result = faultproof("verify-step", "--proof", write_proof(tmp_path, tampered), cwd=tmp_path)
    verifier, reason = (
        ("MIPS", "InvalidMemoryProof()")
        if name.startswith("mips32")
        else ("RISCV", "revert data 0x" + "00" * 28 + "badf00d1")  # riscv64.md: a memory proof's code
    )
    rejected(result, f"step {proof.step}: the {verifier} verifier reverted: {reason}")
    assert f"onchain post  reverted: {reason}" in result.stdout.decode()


def test_a_step_reading_a_part_that_was_not_loaded_reverts(proofs: dict[str, Path], tmp_path: Path) -> None:
    """Reading at the end of the stream: no part exists there, so none is loaded and the oracle's
    "pre-image must exist" reaches the caller, as upstream."""
    proof = read_proof(proofs["mips32-keccak"])
    assert proof.oracle_value is not None
    at_the_end = dataclasses.replace(proof, oracle_offset=len(proof.oracle_value))
    result = faultproof("verify-step", "--proof", write_proof(tmp_path, at_the_end), cwd=tmp_path)
    rejected(result, "the MIPS verifier reverted")


# -- bad input ----------------------------------------------------------------------------------------


def test_bad_verify_step_arguments(proofs: dict[str, Path], tmp_path: Path) -> None:
    proof = str(proofs["mips32-plain"])
    cases = [
        (
            ["--proof", proof, "--vm", "riscv64"],
            "the proof's state witness has 226 bytes; a riscv64 witness has 362",
        ),
        (["--proof", proof, "--local-context", "0x1234"], "--local-context: 32 bytes are needed, got 2"),
        (["--proof", proof, "--local-context", "xyz"], "--local-context: 'xyz' is not hex"),
        (
            ["--proof", proof, "--oracle", EMBEDDED_ADDRESSES["PreimageOracle"]],
            "--oracle and --verifier go together",
        ),
        (
            [
                "--proof",
                proof,
                "--oracle",
                EMBEDDED_ADDRESSES["PreimageOracle"],
                "--verifier",
                EMBEDDED_ADDRESSES["MIPS"],
            ],
            "give its --rpc URL too",
        ),
        (["--proof", str(tmp_path / "missing.json")], "missing.json: cannot read"),
        (["--rpc", "http://127.0.0.1:1", "--proof", proof], "127.0.0.1:1"),
    ]
    for arguments, fragment in cases:
        assert_one_line_error(faultproof("verify-step", *arguments, cwd=tmp_path), fragment)


def test_a_proof_of_no_vm(proofs: dict[str, Path], tmp_path: Path) -> None:
    proof = read_proof(proofs["mips32-plain"])
    odd = dataclasses.replace(proof, state_data=proof.state_data + b"\x00")
    result = faultproof("verify-step", "--proof", write_proof(tmp_path, odd), cwd=tmp_path)
    assert_one_line_error(result, "227 bytes, the witness of no VM: 226 (mips32), 362 (riscv64)")


def test_a_precompile_read_without_a_store_names_what_is_missing(
    proofs: dict[str, Path], tmp_path: Path
) -> None:
    proof = read_proof(proofs["mips32-keccak"])
    key = precompile_key(precompile_address(1), 3000, bytes(128))
    claimed = dataclasses.replace(proof, oracle_key=key, oracle_value=bytes(7) + b"\x01\x01", oracle_offset=0)
    result = faultproof("verify-step", "--proof", write_proof(tmp_path, claimed), cwd=tmp_path)
    assert_one_line_error(result, f"precompile key 0x{key.hex()}", "no preimage store was given")
    empty_store = tmp_path / "store"
    result = faultproof(
        "verify-step", "--proof", write_proof(tmp_path, claimed), "--store", str(empty_store), cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr.decode()


def test_deploy_into_a_missing_folder(tmp_path: Path) -> None:
    result = faultproof("deploy", "--deployments", str(tmp_path / "missing" / "d.json"), cwd=tmp_path)
    assert_one_line_error(result, "--deployments: folder", "does not exist")


# -- anvil --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_anvil("prague", tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        yield anvil.url


def test_deploy_and_verify_over_json_rpc(proofs: dict[str, Path], anvil_url: str, tmp_path: Path) -> None:
    result = ok("deploy", "--rpc", anvil_url, cwd=tmp_path)
    printed = dict(line.split() for line in result.stdout.decode().splitlines())
    record = json.loads((tmp_path / "deployments.json").read_text())
    assert record == {"chain-id": 31337, "rpc": anvil_url, "contracts": printed}
    for name in ("mips32-local", "riscv64-keccak"):
        proof = read_proof(proofs[name])
        verified(
            faultproof("verify-step", "--rpc", anvil_url, "--proof", str(proofs[name]), cwd=tmp_path), proof
        )
    # The contracts named, instead of the record.
    proof = read_proof(proofs["mips32-keccak"])
    named = ("--oracle", printed["PreimageOracle"], "--verifier", printed["MIPS"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    verified(
        faultproof(
            "verify-step", "--rpc", anvil_url, "--proof", str(proofs["mips32-keccak"]), *named, cwd=elsewhere
        ),
        proof,
    )
    # A verifier that reads another oracle, or no verifier at all.
    wrong = ("--oracle", printed["MIPS"], "--verifier", printed["MIPS"])
    result = faultproof(
        "verify-step", "--rpc", anvil_url, "--proof", str(proofs["mips32-keccak"]), *wrong, cwd=elsewhere
    )
    assert_one_line_error(result, f"reads preimages from {printed['PreimageOracle']}, not from the oracle at")
    not_a_verifier = ("--oracle", printed["PreimageOracle"], "--verifier", printed["PreimageOracle"])
    result = faultproof(
        "verify-step",
        "--rpc",
        anvil_url,
        "--proof",
        str(proofs["mips32-keccak"]),
        *not_a_verifier,
        cwd=elsewhere,
    )
    assert_one_line_error(result, "is not a step verifier")


def test_verify_over_json_rpc_needs_a_deployment(
    proofs: dict[str, Path], anvil_url: str, tmp_path: Path
) -> None:
    proof = str(proofs["mips32-plain"])
    result = faultproof("verify-step", "--rpc", anvil_url, "--proof", proof, cwd=tmp_path)
    assert_one_line_error(result, "deployment file deployments.json: cannot read")
    stale = {
        "chain-id": 31337,
        "rpc": anvil_url,
        "contracts": {name: "0x" + "12" * 20 for name in EMBEDDED_ADDRESSES},
    }
    (tmp_path / "deployments.json").write_text(json.dumps(stale))
    result = faultproof("verify-step", "--rpc", anvil_url, "--proof", proof, cwd=tmp_path)
    assert_one_line_error(result, "no contract at 0x1212121212121212121212121212121212121212 (PreimageOracle")
    other_chain = dict(stale, **{"chain-id": 1})
    (tmp_path / "deployments.json").write_text(json.dumps(other_chain))
    result = faultproof("verify-step", "--rpc", anvil_url, "--proof", proof, cwd=tmp_path)
    assert_one_line_error(result, "records a deployment on chain id 1", "run faultproof deploy --rpc")
    (tmp_path / "deployments.json").write_text("{}")
    result = faultproof("verify-step", "--rpc", anvil_url, "--proof", proof, cwd=tmp_path)
    assert_one_line_error(result, "deployment file deployments.json: not a deployment record")
