"""Onchain commands: ``deploy`` the oracle and the step verifiers, ``verify-step`` a proof against them.

Without ``--rpc`` both use an embedded chain in this process, so ``verify-step`` deploys the
contracts afresh into its own (at the addresses ``deploy`` prints: same account, same order). With
``--rpc`` they talk to a node; ``verify-step`` then finds the contracts in the file ``deploy``
wrote, or takes ``--oracle`` and ``--verifier``.

Exit status of ``verify-step``: 0 when the verifier's post-state equals the proof's, 1 when it
differs or ``step`` reverts (the proof does not verify), 2 for bad input (as every command).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import click

from faultproof.chain import Chain, EmbeddedChain, JsonRpcChain
from faultproof.chain.accounts import Address
from faultproof.cli.options import rpc_option, vm_option
from faultproof.errors import ChainError, UsageError
from faultproof.onchain.deployment import (
    ORACLE_CONTRACT,
    VERIFIER_CONTRACTS,
    Deployment,
    compile_for_deployment,
    deploy,
    read_deployment,
    register_contract_errors,
    write_deployment,
)
from faultproof.onchain.verify import OnchainStep, proof_vm_kind, verifier_oracle, verify_step
from faultproof.preimage.keys import describe_key
from faultproof.preimage.store import DiskStore, PreimageStore
from faultproof.proofs import read_proof

F = TypeVar("F", bound=Callable[..., object])

PROOF_REJECTED_STATUS = 1
LOCAL_CONTEXT_SIZE = 32
DEFAULT_DEPLOYMENTS = "deployments.json"


def _deployments_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--deployments",
        default=DEFAULT_DEPLOYMENTS,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=what,
    )


def _connect(rpc: str | None) -> Chain:
    return EmbeddedChain() if rpc is None else JsonRpcChain(rpc)


@click.command("deploy")
@rpc_option("an embedded chain in this process")
@_deployments_option("Where to record the addresses, for verify-step.")
def deploy_command(rpc: str | None, deployments: Path) -> None:
    """Deploy the PreimageOracle and the MIPS and RISCV step verifiers; print their addresses."""
    if not deployments.parent.is_dir():
        raise UsageError(f"--deployments: folder {deployments.parent} does not exist")
    deployment = deploy(_connect(rpc), rpc=rpc)
    for name, address in deployment.contracts().items():
        click.echo(f"{name:<15} {address}")
    write_deployment(deployments, deployment)
    where = rpc if rpc is not None else "an embedded chain, gone with this process: verify-step redeploys"
    click.echo(f"deployed on {where} (chain id {deployment.chain_id}); recorded in {deployments}", err=True)


@click.command("verify-step")
@click.option(
    "--proof",
    "proof_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The step proof (proof-N.json).",
)
@vm_option("default: recognized from the witness length")
@rpc_option("an embedded chain in this process")
@click.option(
    "--oracle", default=None, metavar="ADDRESS", help="The PreimageOracle (with --rpc; with --verifier)."
)
@click.option(
    "--verifier", default=None, metavar="ADDRESS", help="The VM's step verifier (with --rpc; with --oracle)."
)
@_deployments_option("Where deploy recorded the contracts (with --rpc, unless --oracle/--verifier).")
@click.option(
    "--local-context",
    default="0x" + "00" * LOCAL_CONTEXT_SIZE,
    show_default=True,
    metavar="HEX",
    help="The 32-byte local context local keys are localized with (§2.1).",
)
@click.option(
    "--store",
    "store_path",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="A preimage store with the arguments of blob and precompile keys.",
)
def verify_step_command(
    proof_path: Path,
    vm_kind: str | None,
    rpc: str | None,
    oracle: str | None,
    verifier: str | None,
    deployments: Path,
    local_context: str,
    store_path: Path | None,
) -> None:
    """Load the preimage part a step reads, call step on chain and compare its post-state with
    the proof's: exit 0 when equal, 1 when different or reverted."""
    proof = read_proof(proof_path)
    kind = proof_vm_kind(proof, vm_kind)
    context = _local_context(local_context)
    if (oracle is None) != (verifier is None):
        raise UsageError("--oracle and --verifier go together")
    if oracle is not None and rpc is None:
        raise UsageError("--oracle and --verifier name contracts on a node: give its --rpc URL too")
    chain = _connect(rpc)
    deployment = _deployment(chain, rpc, kind, deployments, oracle, verifier)
    sender = chain.accounts[0]
    with _store(store_path) as store:
        result = verify_step(
            chain.at(deployment.oracle, compile_for_deployment(ORACLE_CONTRACT)),
            deployment.verifiers[kind],
            proof,
            context,
            sender,
            kind,
            store,
        )
    _report(result, VERIFIER_CONTRACTS[kind])


def _local_context(text: str) -> bytes:
    try:
        context = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise UsageError(f"--local-context: {text!r} is not hex") from None
    if len(context) != LOCAL_CONTEXT_SIZE:
        raise UsageError(f"--local-context: {LOCAL_CONTEXT_SIZE} bytes are needed, got {len(context)}")
    return context


def _address(flag: str, text: str) -> Address:
    try:
        return Address(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a 20-byte hex address") from None


def _deployment(
    chain: Chain, rpc: str | None, kind: str, path: Path, oracle: str | None, verifier: str | None
) -> Deployment:
    """The contracts to verify with: deployed here (embedded), named, or recorded by ``deploy``."""
    if rpc is None:
        return deploy(chain)
    if oracle is not None and verifier is not None:
        deployment = Deployment(
            chain.chain_id, rpc, _address("--oracle", oracle), {kind: _address("--verifier", verifier)}
        )
        register_contract_errors(chain, ORACLE_CONTRACT)
        register_contract_errors(chain, VERIFIER_CONTRACTS[kind])
        source = "--oracle/--verifier"
    else:
        deployment = read_deployment(path)
        if deployment.chain_id != chain.chain_id:
            raise UsageError(
                f"{path} records a deployment on chain id {deployment.chain_id}, but {rpc} is chain id "
                f"{chain.chain_id}: run faultproof deploy --rpc {rpc} first"
            )
        if kind not in deployment.verifiers:
            raise UsageError(f"{path} records no {VERIFIER_CONTRACTS[kind]} verifier")
        for name in (ORACLE_CONTRACT, VERIFIER_CONTRACTS[kind]):
            register_contract_errors(chain, name)
        source = str(path)
    for name, address in (
        (ORACLE_CONTRACT, deployment.oracle),
        (VERIFIER_CONTRACTS[kind], deployment.verifiers[kind]),
    ):
        if not chain.code(address):
            raise ChainError(f"no contract at {address} ({name}, from {source}) on {rpc}")
    reads_from = verifier_oracle(chain, deployment.verifiers[kind])
    if reads_from != deployment.oracle:
        raise UsageError(
            f"the {VERIFIER_CONTRACTS[kind]} verifier at {deployment.verifiers[kind]} reads preimages from "
            f"{reads_from}, not from the oracle at {deployment.oracle}"
        )
    return deployment


@contextlib.contextmanager
def _store(path: Path | None) -> Iterator[PreimageStore | None]:
    if path is None:
        yield None
        return
    with DiskStore(path, readonly=True) as store:
        yield store


def _report(result: OnchainStep, verifier_name: str) -> None:
    """Both hashes on stdout; a rejected proof also gets one ``error:`` line and status 1."""
    proof = result.proof
    upload = result.upload
    if upload is not None:
        click.echo(
            f"loaded part at offset {upload.offset} of {describe_key(upload.key)} ({upload.function})",
            err=True,
        )
    onchain = (
        f"0x{result.post.hex()}" if result.post is not None else f"reverted: {result.revert_description}"
    )
    click.echo(f"step {proof.step} ({result.vm_kind})")
    click.echo(f"onchain post  {onchain}")
    click.echo(f"proof post    0x{proof.post.hex()}")
    if result.post is None:
        _reject(f"step {proof.step}: the {verifier_name} verifier reverted: {result.revert_description}")
    if not result.matches:
        _reject(f"step {proof.step}: the onchain post-state differs from the proof's post")


def _reject(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(PROOF_REJECTED_STATUS)
