"""Where the game commands keep what outlives one command: the chain, the deployment, the agents' memory.

Every game command works in one folder (``--dir``, ``.faultproof`` by default)::

    chain.bin              the embedded chain, when no --rpc is given (EmbeddedChain.save/open)
    games.json             the game system deployed on that chain: addresses, game types, L2 kind
    programs/<vm>/         the `transition` guest built for a VM (or wherever ``programs`` says)
    prestates/<vm>/        its initial state ``S_0``, which VM traces start from
    agents/<address>.db    an agent's persistent store (sent transactions, credit phases)
    traces/                the challenger's trace caches (VM snapshots per game)

A deployment serves one L2 chain, because the anchor state registry holds one anchor for every game
type (dispute-game.md §13): the alphabet chain (§17.5) for the alphabet VM, or the `transition`
guest's toy rollup (``faultproof.trace.transition``) for the MIPS32 and RV64 VMs, which may both
be registered side by side. The record says which, so every later command rebuilds the same honest
view of that chain: its output roots for proposals and the traces a challenger defends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from faultproof.agents.retry import Backoff, with_backoff
from faultproof.agents.traces import GameTraces, alphabet_traces
from faultproof.chain import Chain, EmbeddedChain, JsonRpcChain
from faultproof.chain.accounts import Account, Address
from faultproof.chain.contract import Contract
from faultproof.errors import ChainError, StateFormatError, UsageError
from faultproof.fileio import write_text_atomic
from faultproof.game.configs import TEST_CONFIGS
from faultproof.game.params import GameParameters
from faultproof.onchain.deployment import (
    ORACLE_CONTRACT,
    VERIFIER_CONTRACTS,
    compile_for_deployment,
    register_contract_errors,
)
from faultproof.onchain.games import (
    GAME_CONTRACT,
    VERIFIERS,
    GameSetup,
    GameSystem,
    compile_game_contract,
    deploy_game_system,
)
from faultproof.programs import build_programs
from faultproof.trace.outputs import AlphabetOutputs, OutputSource
from faultproof.trace.transition import (
    DEFAULT_SNAPSHOT_INTERVAL,
    TransitionChain,
    TransitionProgram,
    transition_bottom,
    vm_game_parameters,
)
from faultproof.vm import vm_class

DEFAULT_DIR = Path(".faultproof")
CHAIN_FILE = "chain.bin"
RECORD_FILE = "games.json"
TRANSITION_PROGRAM = "transition"

ALPHABET = "alphabet"
TRANSITION = "transition"
VM_KINDS = (ALPHABET, *VERIFIER_CONTRACTS)

ALPHABET_ANCHOR_BLOCK = 1_000
"""Where an alphabet deployment's registry starts: ``(O(1000), 1000)`` (§17.5)."""

TRANSITION_ANCHOR_BLOCK = 0
"""Where a `transition` deployment's registry starts: block 0 with claim's fixture state."""

SYSTEM_CONTRACTS = {
    "SystemConfig": "system_config",
    ORACLE_CONTRACT: "oracle",
    "DelayedWETH": "weth",
    "DisputeGameFactory": "factory",
    "AnchorStateRegistry": "anchor_state_registry",
}
"""The record's contract names and the ``GameSystem`` fields that hold them."""


@dataclass(frozen=True)
class GameTypeRecord:
    """One registered game type: its VM kind, its implementation and its step verifier."""

    vm: str
    implementation: Address
    verifier: Address


@dataclass(frozen=True)
class SystemRecord:
    """What ``games.json`` holds about a deployment."""

    chain_id: int
    rpc: str | None
    owner: Address
    config: str
    l2: str
    anchor_block: int
    contracts: dict[str, Address]
    game_types: dict[int, GameTypeRecord]

    def to_json(self) -> str:
        document = {
            "chain-id": self.chain_id,
            "rpc": self.rpc,
            "owner": str(self.owner),
            "config": self.config,
            "l2": self.l2,
            "anchor-block": self.anchor_block,
            "contracts": {name: str(address) for name, address in self.contracts.items()},
            "game-types": {
                str(game_type): {
                    "vm": record.vm,
                    "implementation": str(record.implementation),
                    "verifier": str(record.verifier),
                }
                for game_type, record in sorted(self.game_types.items())
            },
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def read(cls, path: Path) -> SystemRecord:
        try:
            document = json.loads(path.read_text())
        except OSError as error:
            raise StateFormatError(f"{path}: cannot read: {error.strerror or error}") from error
        except (UnicodeDecodeError, ValueError) as error:
            raise StateFormatError(f"{path}: not valid JSON ({error})") from error
        try:
            return cls(
                chain_id=int(document["chain-id"]),
                rpc=document["rpc"],
                owner=Address(document["owner"]),
                config=str(document["config"]),
                l2=str(document["l2"]),
                anchor_block=int(document["anchor-block"]),
                contracts={name: Address(value) for name, value in document["contracts"].items()},
                game_types={
                    int(game_type): GameTypeRecord(
                        str(entry["vm"]), Address(entry["implementation"]), Address(entry["verifier"])
                    )
                    for game_type, entry in document["game-types"].items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise StateFormatError(f"{path}: not a game system record ({error})") from error


class Workspace:
    """The folder of the game commands, on one chain (``rpc`` None: the embedded one in the folder)."""

    def __init__(self, directory: Path, rpc: str | None, programs: Path | None = None) -> None:
        self.directory = directory
        self.rpc = rpc
        self.programs = programs or directory / "programs"
        self._loaded: dict[str, TransitionProgram] = {}

    @contextmanager
    def chain(
        self, backoff: Backoff | None = None, on_retry: Callable[[ChainError, float], None] | None = None
    ) -> Iterator[Chain]:
        """The chain; an embedded one is read from the folder and written back afterwards, also
        after a failure, since the transactions mined until then happened. With a ``backoff``, a
        node that does not answer is tried again (``on_retry`` hears of each outage)."""
        if self.rpc is not None:
            rpc = self.rpc
            if backoff is None:
                yield JsonRpcChain(rpc)
            else:
                yield with_backoff(lambda: JsonRpcChain(rpc), backoff, on_retry or _quiet)
            return
        path = self.directory / CHAIN_FILE
        chain = EmbeddedChain.open(path) if path.exists() else EmbeddedChain()
        try:
            yield chain
        finally:
            self.directory.mkdir(parents=True, exist_ok=True)
            chain.save(path)

    # -- the deployment ---------------------------------------------------------------------------

    def deploy(self, chain: Chain, vms: Sequence[str], config: str) -> GameSystem:
        """Deploy a game system for ``vms`` with the clocks of test config ``config``; record it."""
        if not vms:
            raise UsageError("name at least one VM to deploy a game for")
        if ALPHABET in vms and len(vms) > 1:
            raise UsageError("the alphabet VM plays its own L2 chain: deploy it alone")
        base = TEST_CONFIGS[config]
        l2 = ALPHABET if vms == [ALPHABET] else TRANSITION
        anchor_block = ALPHABET_ANCHOR_BLOCK if l2 == ALPHABET else TRANSITION_ANCHOR_BLOCK
        outputs = self.outputs(l2, anchor_block)
        setups = [GameSetup(self.game_parameters(vm, base), vm) for vm in vms]
        system = deploy_game_system(
            chain,
            setups,
            anchor_root=outputs.output_root(anchor_block),
            anchor_block=anchor_block,
            challenge_period=base.challenge_period,
        )
        record = SystemRecord(
            chain_id=chain.chain_id,
            rpc=self.rpc,
            owner=system.owner.address,
            config=config,
            l2=l2,
            anchor_block=anchor_block,
            contracts={name: getattr(system, field).address for name, field in SYSTEM_CONTRACTS.items()},
            game_types={
                setup.params.game_type: GameTypeRecord(
                    setup.verifier,
                    system.implementations[setup.params.game_type].address,
                    system.verifiers[setup.params.game_type].address,
                )
                for setup in setups
            },
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.directory / RECORD_FILE, record.to_json())
        return system

    def record(self) -> SystemRecord:
        path = self.directory / RECORD_FILE
        if not path.exists():
            raise UsageError(f"no game system in {self.directory}: run `faultproof game deploy` first")
        return SystemRecord.read(path)

    def system(self, chain: Chain) -> GameSystem:
        """The recorded game system, as handles on ``chain`` (which must be the recorded one)."""
        record = self.record()
        if record.chain_id != chain.chain_id:
            raise UsageError(
                f"{self.directory / RECORD_FILE} is a deployment on chain {record.chain_id}, "
                f"this chain is {chain.chain_id}"
            )

        def handle(name: str) -> Contract:
            compiled = (
                compile_for_deployment(name) if name == ORACLE_CONTRACT else compile_game_contract(name)
            )
            return chain.at(record.contracts[name], compiled)

        register_contract_errors(chain, ORACLE_CONTRACT)
        system = GameSystem(
            chain,
            self.account(chain, record.owner),
            system_config=handle("SystemConfig"),
            oracle=handle(ORACLE_CONTRACT),
            weth=handle("DelayedWETH"),
            factory=handle("DisputeGameFactory"),
            anchor_state_registry=handle("AnchorStateRegistry"),
        )
        for game_type, entry in record.game_types.items():
            name = VERIFIERS[entry.vm]
            if entry.vm == ALPHABET:
                verifier = chain.at(entry.verifier, compile_game_contract(name))
            else:
                verifier = chain.at(entry.verifier, compile_for_deployment(name))
                register_contract_errors(chain, name)
            system.verifiers[game_type] = verifier
            system.implementations[game_type] = chain.at(
                entry.implementation, compile_game_contract(GAME_CONTRACT)
            )
        return system

    # -- the L2 chain and its traces --------------------------------------------------------------

    def outputs(self, l2: str | None = None, anchor_block: int | None = None) -> OutputSource:
        """The honest output roots of the deployment's L2 chain."""
        if l2 is None or anchor_block is None:
            record = self.record()
            l2, anchor_block = record.l2, record.anchor_block
        if l2 == ALPHABET:
            return AlphabetOutputs()
        return TransitionChain(anchor_block)

    def program(self, vm: str) -> TransitionProgram:
        """The `transition` guest built for ``vm`` (cached by its sources), loaded at ``S_0``."""
        if vm not in self._loaded:
            kind = vm_class(vm)
            built = build_programs(kind.kind, kind.go_env, self.programs, [TRANSITION_PROGRAM])
            self._loaded[vm] = TransitionProgram.load(
                built[TRANSITION_PROGRAM], self.directory / "prestates" / vm, vm
            )
        return self._loaded[vm]

    def game_parameters(self, vm: str, base: GameParameters) -> GameParameters:
        """A game type's parameters: ``base`` for the alphabet VM; for a real VM, ``base``'s clocks
        with depths fitted to the `transition` guest's run."""
        if vm == ALPHABET:
            return base
        return vm_game_parameters(self.program(vm), base=base)

    def traces(self, snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL) -> dict[int, GameTraces]:
        """The honest trace of every recorded game type, for a challenger (VM snapshots every
        ``snapshot_interval`` steps)."""
        record = self.record()
        traces: dict[int, GameTraces] = {}
        for game_type, entry in record.game_types.items():
            if entry.vm == ALPHABET:
                traces[game_type] = alphabet_traces()
                continue
            program = self.program(entry.vm)
            chain = TransitionChain(record.anchor_block)
            bottom = transition_bottom(chain, program, snapshot_interval)
            traces[game_type] = GameTraces(program.absolute_prestate, chain, bottom)
        return traces

    def game_type(self, requested: int | None) -> int:
        """``requested``, or the one game type deployed; a clear error when that is ambiguous."""
        types = sorted(self.record().game_types)
        if requested is None:
            if len(types) != 1:
                raise UsageError(f"several game types are deployed ({types}): choose one with --type")
            return types[0]
        if requested not in types:
            raise UsageError(f"game type {requested} is not deployed here (deployed: {types})")
        return requested

    # -- accounts ---------------------------------------------------------------------------------

    @staticmethod
    def account(chain: Chain, address: Address) -> Account:
        for account in chain.accounts:
            if account.address == address:
                return account
        raise UsageError(f"{address} is not one of this chain's dev accounts")

    @staticmethod
    def dev_account(chain: Chain, index: int) -> Account:
        if not 0 <= index < len(chain.accounts):
            raise UsageError(f"no dev account {index} (there are {len(chain.accounts)})")
        return chain.accounts[index]


def _quiet(_: ChainError, __: float) -> None:
    """Hears of an outage and says nothing."""


__all__ = [
    "ALPHABET",
    "DEFAULT_DIR",
    "VM_KINDS",
    "GameTypeRecord",
    "SystemRecord",
    "Workspace",
]
