"""A whole dispute game system on one chain, deployed in one call (spec: dispute-game.md §3, §10.5, §12, §13).

``deploy_game_system`` puts up the contracts a game needs, from one owner account (the factory's
owner, DelayedWETH's owner and the guardian of the system config)::

    SystemConfig(guardian)           guardian() and paused(), read by the registry and the escrow
    PreimageOracle(minProposalSize, challengePeriod)
    DelayedWETH(delay, config)       the bond escrow
    DisputeGameFactory()
    AnchorStateRegistry(config, factory, anchor, respected type, finality delay)
    per game type: its step verifier (AlphabetVM, MIPS or RISCV, reading the one oracle), the
    FaultDisputeGame implementation, then the factory's init bond, then the implementation

The init bond is set before the implementation is registered, so no game of a type can be created
without a bond (§18 K28). On the embedded chain every address is deterministic: the same setups
from the same owner deploy to the same addresses.

Tests, agents and the CLI drive games through ``GameSystem``: ``create_game`` proposes a root for
an L2 block with the type's init bond and returns the game's handle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from faultproof.chain.accounts import Account
from faultproof.chain.contract import Contract
from faultproof.chain.interface import Chain
from faultproof.contracts import CompiledContract, CompilerSettings, compile_contract
from faultproof.game.bonds import DEFAULT_INIT_BOND
from faultproof.game.params import GameParameters
from faultproof.onchain.deployment import (
    MIN_PROPOSAL_SIZE,
    ORACLE_CONTRACT,
    VERIFIER_CONTRACTS,
    compile_for_deployment,
    register_contract_errors,
)

GAME_CONTRACT = "FaultDisputeGame"

GAME_SETTINGS: dict[str, CompilerSettings] = {
    name: CompilerSettings(optimize="codesize", experimental_codegen=True)
    for name in (
        GAME_CONTRACT,
        "AlphabetVM",
        "DelayedWETH",
        "DisputeGameFactory",
        "AnchorStateRegistry",
        "SystemConfig",
    )
}
"""How the game contracts are compiled: Venom, optimised for code size. For the FaultDisputeGame
every build spends the same gas within 0.3% and this one has the least code (12.9 KB against
15.8-17.3 KB); the contract's header has the measurements."""

VERIFIERS: dict[str, str] = {"alphabet": "AlphabetVM", **VERIFIER_CONTRACTS}
"""The step verifier contract of each ``GameSetup.verifier`` kind."""

DEFAULT_FINALITY_DELAY = 302_400
"""The registry's airgap after a game resolves (3.5 days, OP Mainnet's, §3.1)."""

DEFAULT_WETH_DELAY = 604_800
"""DelayedWETH's unlock-to-withdraw delay (7 days, OP Mainnet's, §3.1)."""

DEFAULT_L2_CHAIN_ID = 10
"""The chain id games load as local input 5: OP Mainnet's."""

DELAYED_WETH_OVERLOADS: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "withdraw",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "wad", "type": "uint256"}],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "hold",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "guy", "type": "address"}],
        "outputs": [],
    },
]
"""DelayedWETH's one-argument overloads, which it serves from ``__default__`` (Vyper declares no
overloads, so its ABI lacks them)."""


@cache
def compile_game_contract(name: str) -> CompiledContract:
    """A game contract compiled with its ``GAME_SETTINGS`` (DelayedWETH with its overloads' ABI)."""
    compiled = compile_contract(name, GAME_SETTINGS[name])
    if name == "DelayedWETH":
        compiled = replace(compiled, abi=compiled.abi + DELAYED_WETH_OVERLOADS)
    return compiled


@dataclass(frozen=True)
class GameSetup:
    """One game type to register: its parameters, its step verifier and its root bond."""

    params: GameParameters
    verifier: str  # "alphabet" | "mips32" | "riscv64"
    init_bond: int = DEFAULT_INIT_BOND


@dataclass
class GameSystem:
    """The contracts of one deployment, and the games created through its factory."""

    chain: Chain
    owner: Account
    system_config: Contract
    oracle: Contract
    weth: Contract
    anchor_state_registry: Contract
    factory: Contract
    implementations: dict[int, Contract] = field(default_factory=dict)  # by game type
    verifiers: dict[int, Contract] = field(default_factory=dict)  # by game type

    def game(self, address: bytes | str) -> Contract:
        """A handle on the game (proxy) at ``address``."""
        return self.chain.at(address, compile_game_contract(GAME_CONTRACT))

    def create_game(
        self, game_type: int, root_claim: bytes, l2_block_number: int, sender: Account
    ) -> Contract:
        """Propose ``root_claim`` for ``l2_block_number`` as ``sender``, paying the type's init bond.

        ``extraData`` is the block number as one 32-byte big-endian word (§4.3)."""
        bond = self.factory.initBonds(game_type)
        receipt = self.factory.create(
            game_type, root_claim, l2_block_number.to_bytes(32, "big"), sender=sender, value=bond
        )
        created = [event for event in self.factory.events(receipt.logs) if event.name == "DisputeGameCreated"]
        return self.game(created[0].args["disputeProxy"])

    def games(self) -> list[Contract]:
        """Every game the factory created, by creation index."""
        return [self.game(self.factory.gameAtIndex(index)[2]) for index in range(self.factory.gameCount())]


def deploy_game_system(
    chain: Chain,
    setups: Sequence[GameSetup],
    *,
    anchor_root: bytes,
    anchor_block: int,
    challenge_period: int,
    min_proposal_size: int = MIN_PROPOSAL_SIZE,
    finality_delay: int = DEFAULT_FINALITY_DELAY,
    weth_delay: int = DEFAULT_WETH_DELAY,
    l2_chain_id: int = DEFAULT_L2_CHAIN_ID,
    respected_game_type: int | None = None,
    owner: Account | None = None,
) -> GameSystem:
    """Deploy the contracts of the module docstring and register every setup's game type.

    The one oracle's ``challenge_period`` is what every game type's clock extension adds before a
    step, so each setup's ``params.challenge_period`` must equal it (``ValueError`` otherwise, as
    for two setups of one game type or an unknown verifier). The registry starts at
    ``(anchor_root, anchor_block)`` and respects ``respected_game_type`` (the first setup's type
    when None). The contracts' custom errors are registered with ``chain`` so reverts decode. A game
    proposed right after is never retired (see ``_leave_the_retirement_second``).
    """
    _check_setups(setups, challenge_period)
    owner = owner or chain.accounts[0]
    system_config = chain.deploy(compile_game_contract("SystemConfig"), owner.address, sender=owner)
    oracle = chain.deploy(
        compile_for_deployment(ORACLE_CONTRACT), min_proposal_size, challenge_period, sender=owner
    )
    register_contract_errors(chain, ORACLE_CONTRACT)
    weth = chain.deploy(compile_game_contract("DelayedWETH"), weth_delay, system_config.address, sender=owner)
    factory = chain.deploy(compile_game_contract("DisputeGameFactory"), sender=owner)
    if respected_game_type is None:
        respected_game_type = setups[0].params.game_type if setups else 0
    registry = chain.deploy(
        compile_game_contract("AnchorStateRegistry"),
        system_config.address,
        factory.address,
        (anchor_root, anchor_block),
        respected_game_type,
        finality_delay,
        sender=owner,
    )
    system = GameSystem(chain, owner, system_config, oracle, weth, registry, factory)
    for setup in setups:
        _register_game_type(system, setup, l2_chain_id)
    _leave_the_retirement_second(chain, registry)
    return system


def _leave_the_retirement_second(chain: Chain, registry: Contract) -> None:
    """Make the next block later than the second the registry was constructed in.

    The registry retires every game created at or before that second (§13). A dev node that mines
    on demand (anvil) may stamp several blocks with one second, so a game proposed right after the
    deployment would be retired and paid in REFUND mode; its next block is moved one second on.
    Where blocks already moved on (the embedded chain, any real chain) nothing is done."""
    retired_until = registry.retirementTimestamp()
    if chain.block().timestamp <= retired_until:
        chain.set_next_block_timestamp(retired_until + 1)


def _check_setups(setups: Sequence[GameSetup], challenge_period: int) -> None:
    seen: set[int] = set()
    for setup in setups:
        params = setup.params
        if params.challenge_period != challenge_period:
            raise ValueError(
                f"game type {params.game_type} expects an oracle challenge period of "
                f"{params.challenge_period} s, the oracle has {challenge_period} s"
            )
        if setup.verifier not in VERIFIERS:
            raise ValueError(f"unknown verifier {setup.verifier!r} (one of {', '.join(VERIFIERS)})")
        if params.game_type in seen:
            raise ValueError(f"game type {params.game_type} is set up twice")
        seen.add(params.game_type)


def _register_game_type(system: GameSystem, setup: GameSetup, l2_chain_id: int) -> None:
    """Verifier, implementation, init bond, then the implementation's registration (§18 K28)."""
    chain, owner, params = system.chain, system.owner, setup.params
    name = VERIFIERS[setup.verifier]
    if setup.verifier == "alphabet":
        verifier = chain.deploy(
            compile_game_contract(name), params.exec_trace_length, system.oracle.address, sender=owner
        )
    else:
        verifier = chain.deploy(compile_for_deployment(name), system.oracle.address, sender=owner)
        register_contract_errors(chain, name)
    implementation = chain.deploy(
        compile_game_contract(GAME_CONTRACT),
        params.game_type,
        params.absolute_prestate,
        params.max_game_depth,
        params.split_depth,
        params.clock_extension,
        params.max_clock_duration,
        verifier.address,
        system.weth.address,
        system.anchor_state_registry.address,
        l2_chain_id,
        sender=owner,
    )
    system.factory.setInitBond(params.game_type, setup.init_bond, sender=owner)
    system.factory.setImplementation(params.game_type, implementation.address, sender=owner)
    system.implementations[params.game_type] = implementation
    system.verifiers[params.game_type] = verifier


__all__ = [
    "DEFAULT_FINALITY_DELAY",
    "DEFAULT_L2_CHAIN_ID",
    "DEFAULT_WETH_DELAY",
    "DELAYED_WETH_OVERLOADS",
    "GAME_CONTRACT",
    "GAME_SETTINGS",
    "VERIFIERS",
    "GameSetup",
    "GameSystem",
    "compile_game_contract",
    "deploy_game_system",
]
