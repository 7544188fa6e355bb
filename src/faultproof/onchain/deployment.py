"""The fault proof contracts of one chain: deploying them, and the file that records where they are.

A deployment is a ``PreimageOracle`` and one step verifier per VM kind, each verifier constructed
with the oracle's address (it reads preimage parts from nowhere else). ``faultproof deploy`` writes
the addresses to a small JSON document so that ``faultproof verify-step --rpc`` finds them::

    {
      "chain-id": 31337,
      "rpc": "http://127.0.0.1:8545",
      "contracts": {"PreimageOracle": "0x…", "MIPS": "0x…", "RISCV": "0x…"}
    }

``rpc`` is null for the embedded chain: it lives only as long as the process that made it, but a
fresh one deploys the same contracts from the same account at the same addresses, so the record
still says where ``verify-step`` (which deploys into its own embedded chain) finds them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faultproof.chain.accounts import Account, Address
from faultproof.chain.interface import Chain
from faultproof.contracts import CONTRACTS_DIR, CompiledContract, CompilerSettings, compile_contract
from faultproof.errors import StateFormatError
from faultproof.fileio import write_text_atomic

ORACLE_CONTRACT = "PreimageOracle"

VERIFIER_CONTRACTS: dict[str, str] = {"mips32": "MIPS", "riscv64": "RISCV"}
"""The step verifier contract of each VM kind (``--vm`` names)."""

DEPLOYMENT_SETTINGS: dict[str, CompilerSettings] = {
    ORACLE_CONTRACT: CompilerSettings(optimize="gas", experimental_codegen=True),
    "MIPS": CompilerSettings(optimize="codesize", experimental_codegen=True),
    "RISCV": CompilerSettings(optimize="codesize", experimental_codegen=True),
}
"""How each contract is compiled for deployment, as its source's header asks: with Venom, as the
legacy pipeline's code spends 20-40% more gas on a MIPS step, 55-70% more on a RISC-V step and
60% more in the oracle's keccak256 and SHA-256 loaders."""

# Vyper 0.4 declares no errors: the project's contracts revert with `raw_revert(method_id("E()"))`.
_RAISED_ERROR = re.compile(r'method_id\(\s*"([A-Za-z_]\w*\([^")]*\))"')


@dataclass(frozen=True)
class Deployment:
    """Where the contracts are on the chain with ``chain_id`` (reached at ``rpc``, None: embedded)."""

    chain_id: int
    rpc: str | None
    oracle: Address
    verifiers: dict[str, Address] = field(default_factory=dict)  # by VM kind

    def contracts(self) -> dict[str, Address]:
        """Contract name → address, the oracle first."""
        named = {ORACLE_CONTRACT: self.oracle}
        named.update({VERIFIER_CONTRACTS[kind]: address for kind, address in self.verifiers.items()})
        return named

    def to_json(self) -> str:
        document = {
            "chain-id": self.chain_id,
            "rpc": self.rpc,
            "contracts": {name: str(address) for name, address in self.contracts().items()},
        }
        return json.dumps(document, indent=2) + "\n"


MIN_PROPOSAL_SIZE = 126_000
"""OP Mainnet's ``oracle.minProposalSize()`` (dispute-game.md §3.1): preimages this large need a proposal."""

CHALLENGE_PERIOD = 86_400
"""OP Mainnet's ``oracle.challengePeriod()`` (dispute-game.md §3.1), which a step's clock extension adds."""


def deploy(
    chain: Chain,
    vm_kinds: Sequence[str] = tuple(VERIFIER_CONTRACTS),
    sender: Account | None = None,
    rpc: str | None = None,
    *,
    min_proposal_size: int = MIN_PROPOSAL_SIZE,
    challenge_period: int = CHALLENGE_PERIOD,
) -> Deployment:
    """Deploy the oracle, then the step verifier of each VM kind pointed at it, from ``sender``.

    The custom errors the contracts raise are registered with ``chain``, so their reverts decode.
    """
    oracle = chain.deploy(
        compile_for_deployment(ORACLE_CONTRACT), min_proposal_size, challenge_period, sender=sender
    )
    register_contract_errors(chain, ORACLE_CONTRACT)
    verifiers = {}
    for kind in vm_kinds:
        name = VERIFIER_CONTRACTS[kind]
        verifiers[kind] = chain.deploy(compile_for_deployment(name), oracle.address, sender=sender).address
        register_contract_errors(chain, name)
    return Deployment(chain.chain_id, rpc, oracle.address, verifiers)


def compile_for_deployment(name: str) -> CompiledContract:
    """Project contract ``name`` compiled with its ``DEPLOYMENT_SETTINGS``."""
    return compile_contract(name, DEPLOYMENT_SETTINGS.get(name))


def register_contract_errors(chain: Chain, name: str) -> None:
    """Name the custom errors project contract ``name`` raises, so ``chain`` decodes its reverts."""
    source = (CONTRACTS_DIR / f"{name}.vy").read_text()
    chain.register_errors(*sorted(set(_RAISED_ERROR.findall(source))))


# -- the record -------------------------------------------------------------------------------------


def write_deployment(path: str | Path, deployment: Deployment) -> None:
    """Record a deployment (atomically: a reader never sees half a file)."""
    write_text_atomic(path, deployment.to_json())


def read_deployment(path: str | Path) -> Deployment:
    """The deployment recorded in ``path``; ``StateFormatError`` naming the file if it is not one."""
    try:
        document = json.loads(Path(path).read_text())
    except OSError as error:
        raise StateFormatError(f"deployment file {path}: cannot read: {error.strerror or error}") from error
    except (UnicodeDecodeError, ValueError) as error:
        raise StateFormatError(f"deployment file {path}: not valid JSON ({error})") from error
    try:
        chain_id, rpc, contracts = document["chain-id"], document["rpc"], document["contracts"]
        if not isinstance(chain_id, int) or not (rpc is None or isinstance(rpc, str)):
            raise TypeError("chain-id must be an integer and rpc a string or null")
        addresses = {name: Address(address) for name, address in contracts.items()}
        oracle = addresses.pop(ORACLE_CONTRACT)
        kinds = {name: kind for kind, name in VERIFIER_CONTRACTS.items()}
        verifiers = {kinds[name]: address for name, address in addresses.items()}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise StateFormatError(f"deployment file {path}: not a deployment record ({error})") from error
    return Deployment(chain_id, rpc, oracle, verifiers)
