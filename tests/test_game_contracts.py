"""The FaultDisputeGame contract, rule by rule, held to the Python model (dispute-game.md §3–§11, §19).

Every game is created through the factory of a system deployed by
``faultproof.onchain.games.deploy_game_system`` and mirrored on ``GameModel`` (``game_chain.Mirror``):
each call must revert with the model's reason or change the state exactly as the model's does, and
the tests name the reason they expect besides. The known attacks of §18 that a game rule stops are
shown on the contract here (K1, K3, K4, K5, K7–K12, K16–K19); steps and local data (K20, K21, K29,
K31) and the block-number challenge (K14) have their own files, as have the factory, the escrow,
the registry and credit.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anvil import running_anvil
from faultproof.agents.planner import Move
from faultproof.chain import Chain, Contract, EmbeddedChain, JsonRpcChain
from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.bonds import required_bond
from faultproof.game.clocks import expiry
from faultproof.game.configs import MAINNET, MINIMAL, UNIT, alphabet_parameters
from faultproof.game.errors import GameRuleError
from faultproof.game.params import GameParameters
from faultproof.game.positions import gindex
from faultproof.game.resolution import GameStatus, resolve_game
from faultproof.game.split import exec_root_statuses
from faultproof.game.tree import ZERO_ADDRESS
from faultproof.onchain.deployment import compile_for_deployment
from faultproof.onchain.games import (
    GAME_SETTINGS,
    GameSystem,
    compile_game_contract,
)
from faultproof.vm.status import VMStatus
from game_chain import (
    ANCHOR_BLOCK,
    HONEST,
    LIAR,
    LIE,
    PROPOSER,
    RIVAL,
    Mirror,
    alphabet_system,
    leaf_to_step_on,
    lying_game,
    play_out,
    revert_reason,
)
from game_trees import dag_parent_position, is_attack_position
from honest_play import accessor, plan
from test_game_bonds import UNIT_GAS
from test_game_model import output_root_proof, status_value
from test_game_play import LyingOutputs

PLAYERS = (HONEST, LIAR)  # even depths, odd depths


# -- §19: the interface -------------------------------------------------------------------------------


FUNCTIONS = {
    "initialize(address,bytes32,bytes32,bytes)": [],
    "move(bytes32,uint256,bytes32,bool)": [],
    "attack(bytes32,uint256,bytes32)": [],
    "defend(bytes32,uint256,bytes32)": [],
    "step(uint256,bool,bytes,bytes)": [],
    "addLocalData(uint256,uint256,uint256)": [],
    "challengeRootL2Block((bytes32,bytes32,bytes32,bytes32),bytes)": [],
    "resolveClaim(uint256,uint256)": [],
    "resolve()": ["uint8"],
    "closeGame()": [],
    "claimCredit(address)": [],
}
VIEWS = {
    "claimData(uint256)": ["uint32", "address", "address", "uint128", "bytes32", "uint128", "uint128"],
    "claimDataLen()": ["uint256"],
    "claims(bytes32)": ["bool"],
    "subgames(uint256,uint256)": ["uint256"],
    "resolvedSubgames(uint256)": ["bool"],
    "resolutionCheckpoints(uint256)": ["bool", "uint32", "uint128", "address"],
    "getRequiredBond(uint128)": ["uint256"],
    "getChallengerDuration(uint256)": ["uint64"],
    "getNumToResolve(uint256)": ["uint256"],
    "credit(address)": ["uint256"],
    "normalModeCredit(address)": ["uint256"],
    "refundModeCredit(address)": ["uint256"],
    "hasUnlockedCredit(address)": ["bool"],
    "bondDistributionMode()": ["uint8"],
    "status()": ["uint8"],
    "createdAt()": ["uint64"],
    "resolvedAt()": ["uint64"],
    "gameType()": ["uint32"],
    "gameCreator()": ["address"],
    "rootClaim()": ["bytes32"],
    "l1Head()": ["bytes32"],
    "extraData()": ["bytes"],
    "gameData()": ["uint32", "bytes32", "bytes"],
    "l2BlockNumber()": ["uint256"],
    "l2SequenceNumber()": ["uint256"],
    "startingBlockNumber()": ["uint256"],
    "startingRootHash()": ["bytes32"],
    "startingOutputRoot()": ["bytes32", "uint256"],
    "l2BlockNumberChallenged()": ["bool"],
    "l2BlockNumberChallenger()": ["address"],
    "wasRespectedGameTypeWhenCreated()": ["bool"],
    "absolutePrestate()": ["bytes32"],
    "maxGameDepth()": ["uint256"],
    "splitDepth()": ["uint256"],
    "maxClockDuration()": ["uint64"],
    "clockExtension()": ["uint64"],
    "vm()": ["address"],
    "weth()": ["address"],
    "anchorStateRegistry()": ["address"],
    "l2ChainId()": ["uint256"],
}
EVENTS = {
    "Move(uint256,bytes32,address)": [True, True, True],
    "Resolved(uint8)": [True],
    "GameClosed(uint8)": [False],
}
# A few of upstream's selectors, as its interface (IFaultDisputeGame) fixes them.
UPSTREAM_SELECTORS = {
    "move(bytes32,uint256,bytes32,bool)": "6f034409",
    "attack(bytes32,uint256,bytes32)": "472777c6",
    "step(uint256,bool,bytes,bytes)": "d8cc1a3c",
    "resolveClaim(uint256,uint256)": "03c2924d",
    "claimData(uint256)": "c6f0308c",
    "challengeRootL2Block((bytes32,bytes32,bytes32,bytes32),bytes)": "01935130",
}


def abi_type(parameter: dict[str, Any]) -> str:
    if parameter["type"] == "tuple":
        return f"({','.join(abi_type(item) for item in parameter['components'])})"
    return str(parameter["type"])


def flat_outputs(outputs: list[dict[str, Any]]) -> list[str]:
    """Output types, a lone struct spread into its fields (the same encoding as Solidity's getters)."""
    if len(outputs) == 1 and outputs[0]["type"] == "tuple":
        return [abi_type(item) for item in outputs[0]["components"]]
    return [abi_type(item) for item in outputs]


def test_interface_is_upstreams() -> None:
    """§19: names, argument and result types (so selectors) and mutability; the events' shapes."""
    abi = compile_game_contract("FaultDisputeGame").abi
    functions = {
        f"{entry['name']}({','.join(abi_type(item) for item in entry['inputs'])})": entry
        for entry in abi
        if entry["type"] == "function"
    }
    assert set(functions) == set(FUNCTIONS) | set(VIEWS)
    for signature, outputs in (FUNCTIONS | VIEWS).items():
        entry = functions[signature]
        assert flat_outputs(entry["outputs"]) == outputs, signature
        assert (entry["stateMutability"] == "view") == (signature in VIEWS), signature
    payable = {name for name, entry in functions.items() if entry["stateMutability"] == "payable"}
    assert payable == {
        "initialize(address,bytes32,bytes32,bytes)",
        "move(bytes32,uint256,bytes32,bool)",
        "attack(bytes32,uint256,bytes32)",
        "defend(bytes32,uint256,bytes32)",
    }
    for signature, selector in UPSTREAM_SELECTORS.items():
        assert keccak256(signature.encode())[:4].hex() == selector
    events = {
        f"{entry['name']}({','.join(abi_type(item) for item in entry['inputs'])})": [
            item["indexed"] for item in entry["inputs"]
        ]
        for entry in abi
        if entry["type"] == "event"
    }
    assert events == EVENTS


def test_code_fits_eip_170() -> None:
    """Every game contract, as deployed, is below the 24 KiB code limit."""
    for name in GAME_SETTINGS:
        assert len(compile_game_contract(name).runtime_bytecode) < 24_576, name


def test_parameters_are_readable(unit_system: GameSystem) -> None:
    game = unit_system.implementations[UNIT.game_type]
    assert game.gameType() == UNIT.game_type and game.absolutePrestate() == UNIT.absolute_prestate
    assert (game.maxGameDepth(), game.splitDepth()) == (UNIT.max_game_depth, UNIT.split_depth)
    assert (game.maxClockDuration(), game.clockExtension()) == (UNIT.max_clock_duration, UNIT.clock_extension)
    assert game.vm() == unit_system.verifiers[UNIT.game_type].address
    assert game.weth() == unit_system.weth.address
    assert game.anchorStateRegistry() == unit_system.anchor_state_registry.address
    assert game.l2ChainId() == 10


# -- §3.2: the constructor ----------------------------------------------------------------------------


def deploy_implementation(
    chain: Chain,
    *,
    max_depth: int,
    split: int,
    clock_extension: int,
    max_clock_duration: int,
    challenge_period: int,
    game_type: int = 255,
) -> Contract:
    """A FaultDisputeGame implementation over a fresh oracle with ``challenge_period``."""
    oracle = chain.deploy(compile_for_deployment("PreimageOracle"), 126_000, challenge_period)
    vm = chain.deploy(compile_game_contract("AlphabetVM"), 8, oracle.address)
    return chain.deploy(
        compile_game_contract("FaultDisputeGame"),
        game_type,
        alphabet.ABSOLUTE_PRESTATE,
        max_depth,
        split,
        clock_extension,
        max_clock_duration,
        vm.address,
        vm.address,
        vm.address,
        10,
    )


def python_reason(
    max_depth: int,
    split: int,
    clock_extension: int,
    max_clock_duration: int,
    challenge_period: int,
    game_type: int,
) -> str | None:
    try:
        GameParameters(
            game_type,
            alphabet.ABSOLUTE_PRESTATE,
            max_depth,
            split,
            max_clock_duration,
            clock_extension,
            challenge_period,
        )
    except GameRuleError as error:
        return error.reason.value
    return None


CONSTRUCTOR_CASES = [
    # (MAX, SPLIT, CE, MCD, challenge period, game type) → §3.2 reason
    ((125, 30, 10_800, 302_400, 86_400, 0), None),
    ((126, 30, 10_800, 302_400, 86_400, 0), "MaxDepthTooLarge"),  # K18
    ((126, 1, 10**6, 1, 2**64, 2**32 - 1), "MaxDepthTooLarge"),  # the first check wins
    ((8, 7, 10_800, 302_400, 86_400, 0), "InvalidSplitDepth"),  # K19: SPLIT = MAX - 1
    ((8, 6, 10_800, 302_400, 86_400, 0), None),
    ((8, 2**256 - 1, 10_800, 302_400, 86_400, 0), "InvalidSplitDepth"),
    ((0, 0, 0, 0, 0, 0), "InvalidSplitDepth"),
    ((1, 0, 0, 0, 0, 0), "InvalidSplitDepth"),
    ((8, 1, 10_800, 302_400, 86_400, 0), "InvalidSplitDepth"),  # K19: SPLIT = 1
    ((8, 2, 10_800, 302_400, 86_400, 0), None),
    ((8, 4, 0, 2**64 - 1, 2**64, 0), "InvalidChallengePeriod"),
    ((8, 4, 1, 2**64 - 1, 2**64 - 1, 0), "InvalidClockExtension"),  # CE + cp = 2^64
    ((8, 4, 0, 2**64 - 1, 2**64 - 1, 0), None),
    ((8, 4, 10_800, 97_199, 86_400, 0), "InvalidClockExtension"),  # K3: CE + cp > MCD
    ((8, 4, 10_800, 97_200, 86_400, 0), None),
    ((8, 4, 10_800, 21_599, 0, 0), "InvalidClockExtension"),  # 2·CE > MCD
    ((8, 4, 10_800, 21_600, 0, 0), None),
    ((8, 4, 10_800, 302_400, 86_400, 2**32 - 1), "ReservedGameType"),
    ((8, 4, 10_800, 302_400, 86_400, 2**32 - 2), None),
]


@pytest.fixture(scope="module")
def constructor_chain() -> Chain:
    return EmbeddedChain()


@pytest.mark.parametrize(("arguments", "reason"), CONSTRUCTOR_CASES)
def test_constructor_checks_in_order(
    constructor_chain: Chain, arguments: tuple[int, int, int, int, int, int], reason: str | None
) -> None:
    assert python_reason(*arguments) == reason
    check_constructor(constructor_chain, arguments, reason)


@settings(max_examples=20)
@given(
    max_depth=st.integers(0, 130),
    split=st.one_of(st.integers(0, 130), st.just(2**256 - 1)),
    clock_extension=st.sampled_from([0, 1, 60, 10_800, 2**63, 2**64 - 1]),
    max_clock_duration=st.sampled_from([0, 120, 21_600, 302_400, 2**64 - 1]),
    challenge_period=st.sampled_from([0, 120, 86_400, 2**64 - 1, 2**64]),
    game_type=st.sampled_from([0, 255, 2**32 - 2, 2**32 - 1]),
)
def test_constructor_agrees_with_the_python_validation(
    constructor_chain: Chain,
    max_depth: int,
    split: int,
    clock_extension: int,
    max_clock_duration: int,
    challenge_period: int,
    game_type: int,
) -> None:
    arguments = (max_depth, split, clock_extension, max_clock_duration, challenge_period, game_type)
    check_constructor(constructor_chain, arguments, python_reason(*arguments))


def check_constructor(
    chain: Chain, arguments: tuple[int, int, int, int, int, int], reason: str | None
) -> None:
    """The implementation deploys with ``arguments`` (MAX, SPLIT, CE, MCD, challenge period, game
    type) iff ``reason`` is None, else its constructor reverts with ``reason``."""
    max_depth, split, extension, duration, period, game_type = arguments

    def deploy() -> Contract:
        return deploy_implementation(
            chain,
            max_depth=max_depth,
            split=split,
            clock_extension=extension,
            max_clock_duration=duration,
            challenge_period=period,
            game_type=game_type,
        )

    if reason is None:
        assert deploy().maxGameDepth() == max_depth
    else:
        assert revert_reason(deploy) == reason


# -- §5: initialization --------------------------------------------------------------------------------


def test_initialize_records_the_creation(unit_system: GameSystem) -> None:
    chain = unit_system.chain
    block = ANCHOR_BLOCK + 9
    mirror = Mirror(unit_system, UNIT, PROPOSER, l2_block_number=block)
    game, creation = mirror.game, chain.block()
    assert game.gameCreator() == PROPOSER.address and game.rootClaim() == alphabet.output_root(block)
    assert game.l1Head() == chain.block(creation.number - 1).hash
    assert game.extraData() == block.to_bytes(32, "big")
    assert game.l2BlockNumber() == game.l2SequenceNumber() == block
    assert game.gameData() == (UNIT.game_type, alphabet.output_root(block), block.to_bytes(32, "big"))
    assert game.startingOutputRoot() == (alphabet.output_root(ANCHOR_BLOCK), ANCHOR_BLOCK)
    assert (game.startingRootHash(), game.startingBlockNumber()) == game.startingOutputRoot()
    assert game.createdAt() == creation.timestamp and game.resolvedAt() == 0
    assert game.wasRespectedGameTypeWhenCreated()
    bond = unit_system.factory.initBonds(UNIT.game_type)
    assert game.claimData(0) == (
        2**32 - 1,
        ZERO_ADDRESS,
        PROPOSER.address,
        bond,
        game.rootClaim(),
        1,
        creation.timestamp,
    )
    assert unit_system.weth.balanceOf(game.address) == bond and chain.balance(game.address) == 0
    mirror.check_state()
    assert (
        revert_reason(lambda: game.initialize(LIAR.address, LIE, LIE, bytes(32), sender=LIAR))
        == "AlreadyInitialized"
    )
    # §5: the game takes plain ETH only from DelayedWETH.
    assert revert_reason(lambda: chain.transact(game.address, b"", sender=LIAR, value=1)) is None


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_extra_data_is_one_word(unit_system: GameSystem, size: int) -> None:
    """§4.3, K16: a padded or truncated block number cannot mint a second game for one proposal."""
    factory, bond = unit_system.factory, unit_system.factory.initBonds(UNIT.game_type)
    extra = (ANCHOR_BLOCK + 5).to_bytes(32, "big").rjust(size, b"\0")[-size:] if size else b""
    create = lambda: factory.create(UNIT.game_type, LIE, extra, sender=LIAR, value=bond)  # noqa: E731
    assert revert_reason(create) == "BadExtraData"


def test_extra_data_past_the_factory_bound_reverts(unit_system: GameSystem) -> None:
    factory, bond = unit_system.factory, unit_system.factory.initBonds(UNIT.game_type)
    assert (
        revert_reason(lambda: factory.create(UNIT.game_type, LIE, bytes(65), sender=LIAR, value=bond)) is None
    )


@pytest.mark.parametrize("block", [ANCHOR_BLOCK, ANCHOR_BLOCK - 1, 0])
def test_a_proposal_must_follow_the_anchor(unit_system: GameSystem, block: int) -> None:
    create = lambda: unit_system.create_game(UNIT.game_type, LIE, block, LIAR)  # noqa: E731
    assert revert_reason(create) == "UnexpectedRootClaim"


def test_no_game_without_an_anchor() -> None:
    system = alphabet_system(UNIT)
    empty = compile_game_contract("AnchorStateRegistry")
    registry = system.chain.deploy(
        empty, system.system_config.address, system.factory.address, (bytes(32), 0), UNIT.game_type, 0
    )
    implementation = system.chain.deploy(
        compile_game_contract("FaultDisputeGame"),
        UNIT.game_type,
        UNIT.absolute_prestate,
        UNIT.max_game_depth,
        UNIT.split_depth,
        UNIT.clock_extension,
        UNIT.max_clock_duration,
        system.verifiers[UNIT.game_type].address,
        system.weth.address,
        registry.address,
        10,
    )
    system.factory.setImplementation(UNIT.game_type, implementation.address)
    assert (
        revert_reason(lambda: system.create_game(UNIT.game_type, LIE, ANCHOR_BLOCK + 1, LIAR))
        == "AnchorRootNotFound"
    )


# -- §6: moves -----------------------------------------------------------------------------------------


def test_move_effects(unit_system: GameSystem) -> None:
    mirror = lying_game(unit_system)
    outcome = mirror.move(0, True, alphabet.output_root(ANCHOR_BLOCK + 8), HONEST)
    assert outcome.receipt is not None
    (event,) = mirror.game.events(outcome.receipt.logs)
    assert event.name == "Move" and event.args == {
        "parentIndex": 0,
        "claim": alphabet.output_root(ANCHOR_BLOCK + 8),
        "claimant": HONEST.address,
    }
    bond = required_bond(2, UNIT.max_game_depth)
    game = mirror.game
    assert game.claimData(1)[3] == bond and game.subgames(0, 0) == 1 and game.getNumToResolve(0) == 1
    assert game.claims(keccak256(alphabet.output_root(ANCHOR_BLOCK + 8) + (2 << 128).to_bytes(32, "big")))
    assert unit_system.weth.balanceOf(game.address) == bond + unit_system.factory.initBonds(UNIT.game_type)
    assert game.refundModeCredit(HONEST.address) == bond
    mirror.descend(1, [False, True], PLAYERS)
    mirror.check_state()


def test_move_rows_in_order(unit_system: GameSystem) -> None:
    """§6.1: each row's error, and the earlier row wins when a move breaks two."""
    mirror = lying_game(unit_system)
    bond = mirror.bond(0, True)
    assert mirror.move(1, True, LIE, HONEST, disputed=LIE).reason is None  # row 2: no claim 1
    assert (
        mirror.move(0, True, LIE, HONEST, disputed=bytes(32)).reason == "InvalidDisputedClaimIndex"
    )  # row 3, K12
    assert mirror.move(0, False, LIE, HONEST, disputed=bytes(32)).reason == "InvalidDisputedClaimIndex"
    assert mirror.move(0, False, LIE, HONEST, bond=bond + 1).reason == "CannotDefendRootClaim"  # row 4 first
    assert mirror.move(0, True, LIE, HONEST, bond=bond - 1).reason == "IncorrectBondAmount"  # row 8
    assert mirror.move(0, True, LIE, HONEST, bond=bond + 1).reason == "IncorrectBondAmount"
    assert mirror.move(0, True, LIE, HONEST, bond=0).reason == "IncorrectBondAmount"
    assert mirror.move(0, True, LIE, HONEST).receipt is not None
    assert mirror.move(0, True, LIE, RIVAL).reason == "ClaimAlreadyExists"  # row 10, K17
    mirror.check_state()


def test_k17_duplicate_key_is_value_position_and_parent(unit_system: GameSystem) -> None:
    """K17 (§4.4): another value at the same position, or the same value elsewhere, is not a duplicate."""
    mirror = lying_game(unit_system)
    (two,) = mirror.descend(0, [True], PLAYERS)
    value = mirror.model.claims[two].claim
    assert mirror.move(0, True, value, HONEST).reason == "ClaimAlreadyExists"
    assert not mirror.move(0, True, keccak256(value), HONEST).reverted
    assert not mirror.move(two, True, LIE, LIAR).reverted
    assert not mirror.move(two, False, LIE, LIAR).reverted
    assert not mirror.move(3, True, LIE, LIAR).reverted  # the same value against another parent
    mirror.check_state()


def test_k11_no_defense_of_a_whole_trace(minimal_system: GameSystem) -> None:
    """K11: neither the root nor an exec root can be defended; attacking them is fine."""
    mirror = lying_game(minimal_system, MINIMAL)
    assert mirror.move(0, False, LIE, HONEST).reason == "CannotDefendRootClaim"
    *_, exec_root = mirror.descend(0, [True, True, True], PLAYERS)
    assert mirror.move(exec_root, False, LIE, LIAR).reason == "CannotDefendRootClaim"
    assert not mirror.move(exec_root, True, LIE, LIAR).reverted
    mirror.check_state()


def test_depth_ends_at_max(minimal_system: GameSystem) -> None:
    """Row 6: a claim at MAX_GAME_DEPTH is countered only by a step."""
    mirror = lying_game(minimal_system, MINIMAL)
    leaf = mirror.descend(0, [True, True, True, True], PLAYERS)[-1]
    assert mirror.model.claims[leaf].depth == MINIMAL.max_game_depth
    for is_attack in (True, False):
        assert mirror.move(leaf, is_attack, LIE, HONEST, bond=0).reason == "GameDepthExceeded"
    assert revert_reason(lambda: mirror.game.getRequiredBond(32)) == "GameDepthExceeded"


# -- §6.3: the status byte of an exec root ------------------------------------------------------------


MINIMAL_STATUS_CASES = {  # (split-depth position, is_attack) → accepted status bytes (§2.3, §6.3)
    (4, True): {1, 2},
    (4, False): {0},  # defends 4 against 2: the mover's team posted 2
    (6, True): {1, 2},
    (6, False): {1, 2},  # defends 6 against the root: the opponents posted it
}


def status_bytes(exhaustive: bool) -> list[int]:
    return list(range(256)) if exhaustive else [0, 1, 2, 3, 4, 0x80, 0xFF]


@pytest.mark.parametrize("exhaustive", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_k10_every_status_byte_case_minimal(minimal_system: GameSystem, exhaustive: bool) -> None:
    """K10: every case of §6.3 at MINIMAL depth; UNFINISHED and unknown bytes are never accepted."""
    mirror = lying_game(minimal_system, MINIMAL)
    two, four = mirror.descend(0, [True, True], PLAYERS)
    (six,) = mirror.descend(two, [False], PLAYERS)
    split_claims = {4: four, 6: six}
    for (position, is_attack), accepted in MINIMAL_STATUS_CASES.items():
        for status in status_bytes(exhaustive):
            outcome = mirror.move(
                split_claims[position], is_attack, status_value(status, b"%d" % status), LIAR
            )
            assert outcome.reverted == (status not in accepted), (position, is_attack, status)
            if outcome.reverted:
                assert outcome.reason == "UnexpectedRootClaim"
    mirror.check_state()


def test_status_byte_at_every_split_position_unit(unit_system: GameSystem) -> None:
    """§6.3 at UNIT depth: attack and defense against each of the 16 outputs at the split, each status."""
    mirror = lying_game(unit_system)
    outputs = {1: 0}  # position → index: the whole top half, every position a move can create
    for position in range(2, 1 << (UNIT.split_depth + 1), 2):
        parent = dag_parent_position(position)
        outputs[position] = mirror.descend(outputs[parent], [is_attack_position(position)], PLAYERS)[0]
    split_outputs = {p: i for p, i in outputs.items() if p.bit_length() - 1 == UNIT.split_depth}
    assert len(split_outputs) == 8  # the even positions at depth 4: every one a move can create
    kinds = set()
    for position, index in split_outputs.items():
        for is_attack in (True, False):
            accepted = exec_root_statuses(position, is_attack, UNIT.split_depth)
            kinds.add(frozenset(accepted))
            for status in range(4):
                outcome = mirror.move(index, is_attack, status_value(status), LIAR)
                assert outcome.reverted == (status not in accepted)
    assert kinds == {frozenset({VMStatus.VALID}), frozenset({VMStatus.INVALID, VMStatus.PANIC})}
    mirror.check_state()


# -- §9: clocks ----------------------------------------------------------------------------------------


def test_k9_move_and_resolution_meet_at_one_second(unit_system: GameSystem) -> None:
    """K9: at the boundary second a move reverts and resolution succeeds; one second earlier the reverse
    (simulated in a block at each second, then sent)."""
    mirror = lying_game(unit_system)
    mirror.wait(50)
    (two,) = mirror.descend(0, [True], PLAYERS)
    game, model, bond = mirror.game, mirror.model, mirror.bond(two, True)
    boundary = model.claims[two].clock.timestamp + UNIT.max_clock_duration
    for now, move_reason, resolve_reason in (
        (boundary - 1, None, "ClockNotExpired"),
        (boundary, "ClockTimeExceeded", None),
    ):
        mirror.wait_until(now)
        assert mirror.settle() == now
        assert (
            game.getChallengerDuration(two)
            == model.challenger_duration(two, now)
            == UNIT.max_clock_duration - (now < boundary)
        )
        simulate_move = partial(game.move.call, model.claims[two].claim, two, LIE, True, value=bond)
        simulate_resolve = partial(game.resolveClaim.call, two, 0)
        for simulate, reason in ((simulate_move, move_reason), (simulate_resolve, resolve_reason)):
            if reason is None:
                simulate()
            else:
                assert revert_reason(simulate) == reason
    assert mirror.move(two, True, LIE, LIAR).reason == "ClockTimeExceeded"
    assert not mirror.resolve_claim(two, 0, HONEST).reverted
    mirror.check_state()


def test_k1_counter_to_a_freeloader_has_the_extension(unit_system: GameSystem) -> None:
    """K1: ``p`` posted with 10 s of its team's clock left, freeloader ``f`` under it at once: the
    counter to ``f`` still has CE seconds."""
    mirror = lying_game(unit_system)
    created = mirror.model.created_at
    mirror.wait_until(created + UNIT.max_clock_duration - 10)
    (p,) = mirror.descend(0, [True], PLAYERS)
    (f,) = mirror.descend(p, [True], PLAYERS)
    last = mirror.model.claims[f].clock.timestamp + UNIT.clock_extension - 1
    mirror.wait_until(last)
    assert not mirror.move(f, True, LIE, HONEST).reverted
    mirror.wait(1)
    assert mirror.move(f, True, keccak256(LIE), HONEST).reason == "ClockTimeExceeded"
    mirror.check_state()


def last_second_line(mirror: Mirror, moves: int) -> None:
    """Attacks down the tree, each at the last second its team's clock allows (§9.2 caps every one)."""
    parent = 0
    for _ in range(moves):
        claim = mirror.model.claims[parent]
        grandparent = 0 if parent == 0 else mirror.model.claims[claim.parent_index].clock.duration
        mirror.wait_until(expiry(grandparent, claim.clock, mirror.params) - 1)
        parent = mirror.descend(parent, [True], PLAYERS)[0]


def test_k3_late_claim_before_a_step(unit_system: GameSystem) -> None:
    """K3: a claim at MAX - 1 posted with its team's clock nearly spent stores MCD - CE - cp."""
    mirror = lying_game(unit_system)
    last_second_line(mirror, UNIT.max_game_depth - 1)
    clock = mirror.game.claimData(UNIT.max_game_depth - 1)[6]
    assert clock >> 64 == UNIT.max_clock_duration - UNIT.clock_extension - UNIT.challenge_period
    mirror.check_state()


# -- §10: bonds ----------------------------------------------------------------------------------------


def bond_game(chain: Chain, max_depth: int) -> Contract:
    return deploy_implementation(
        chain, max_depth=max_depth, split=2, clock_extension=0, max_clock_duration=1, challenge_period=0
    )


@pytest.mark.parametrize("max_depth", [4, 8, 16, 50, 73, 125])
def test_required_bond_at_every_depth(constructor_chain: Chain, max_depth: int) -> None:
    """§10.2 to the wei at every depth, at the left and right ends of each depth; none past MAX."""
    game = bond_game(constructor_chain, max_depth)
    for depth in range(max_depth + 1):
        expected = required_bond(gindex(depth, 0), max_depth)
        assert game.getRequiredBond(gindex(depth, 0)) == expected, depth
        assert game.getRequiredBond(gindex(depth, (1 << depth) - 1)) == expected, depth
    assert revert_reason(lambda: game.getRequiredBond(gindex(max_depth + 1, 0))) == "GameDepthExceeded"


@pytest.mark.slow
def test_required_bond_for_every_legal_max(constructor_chain: Chain) -> None:
    for max_depth in range(4, 126):
        game = bond_game(constructor_chain, max_depth)
        for depth in range(max_depth + 1):
            assert game.getRequiredBond(gindex(depth, 0)) == required_bond(gindex(depth, 0), max_depth)


def test_bond_table_of_the_spec(constructor_chain: Chain) -> None:
    """§10.3 rows."""
    mainnet = bond_game(constructor_chain, 73)
    assert mainnet.getRequiredBond(1) == 80_000_000_000_000_000
    assert mainnet.getRequiredBond(gindex(30, 0)) == 1_215_127_800_000_000_000
    assert mainnet.getRequiredBond(gindex(73, 0)) == 59_999_999_800_000_000_000
    unit = bond_game(constructor_chain, 8)
    assert [unit.getRequiredBond(gindex(d, 0)) // (200 * 10**9) for d in range(9)] == UNIT_GAS


# -- §11: resolution -----------------------------------------------------------------------------------


def test_k8_resolution_order_and_the_end_of_the_game(unit_system: GameSystem) -> None:
    """K8: children first, ``resolve`` last; then every state-changing call reverts GameNotInProgress."""
    mirror = lying_game(unit_system)
    two, four = mirror.descend(0, [True, True], PLAYERS)
    mirror.wait(10 * UNIT.max_clock_duration)
    assert mirror.resolve(HONEST).reason == "OutOfOrderResolution"
    assert mirror.resolve_claim(0, 0, HONEST).reason == "OutOfOrderResolution"
    assert mirror.resolve_claim(two, 0, HONEST).reason == "OutOfOrderResolution"
    assert mirror.resolve_claim(9, 0, HONEST).reason is None
    assert not mirror.resolve_claim(four, 0, HONEST).reverted
    assert mirror.resolve_claim(four, 0, HONEST).reason == "ClaimAlreadyResolved"
    assert not mirror.resolve_claim(two, 0, HONEST).reverted
    assert not mirror.resolve_claim(0, 0, HONEST).reverted
    outcome = mirror.resolve(HONEST)
    assert outcome.receipt is not None
    (event,) = mirror.game.events(outcome.receipt.logs)
    assert event.name == "Resolved" and event.args == {"status": GameStatus.DEFENDER_WINS}
    assert mirror.game.status() == GameStatus.DEFENDER_WINS  # 2 was countered by 4
    for reverted in (
        mirror.move(four, True, LIE, HONEST),
        mirror.resolve(HONEST),
        mirror.resolve_claim(0, 0, HONEST),
        mirror.step(four, True, b"", b"", HONEST),
        mirror.add_local_data(4, four, 0, HONEST),
        mirror.challenge_root_l2_block(output_root_proof(bytes(32)), b"", HONEST),
    ):
        assert reverted.reason == "GameNotInProgress"
    assert revert_reason(lambda: mirror.game.getChallengerDuration(0)) == "GameNotInProgress"
    mirror.check_state()


def test_k5_left_most_uncountered_child_takes_the_bond(unit_system: GameSystem) -> None:
    """K5: an honest attack and a wrong defense under one claim: the attack (left-most) is paid; on a
    tie of positions the first posted is."""
    mirror = lying_game(unit_system)
    (two,) = mirror.descend(0, [True], (PROPOSER, PROPOSER))
    assert not mirror.move(two, False, keccak256(b"right of it"), LIAR).reverted
    assert not mirror.move(two, True, keccak256(b"first"), HONEST).reverted
    assert not mirror.move(two, True, keccak256(b"second"), RIVAL).reverted
    mirror.resolve_all(LIAR)
    bond_two, bond_four = mirror.model.claims[two].bond, mirror.model.claims[-1].bond
    assert mirror.game.claimData(two)[1] == HONEST.address
    assert mirror.game.normalModeCredit(HONEST.address) == bond_two + bond_four
    assert mirror.game.normalModeCredit(RIVAL.address) == bond_four  # its own bond back
    mirror.check_state()


@pytest.mark.parametrize("children", [40, pytest.param(500, marks=pytest.mark.slow)])
def test_k7_paginated_resolution_equals_one_shot(unit_system: GameSystem, children: int) -> None:
    """K7: many children resolved in pages of 7 give what one-shot resolution gives; 0 means "all"
    only on the first page."""
    mirror = lying_game(unit_system)
    for k in range(children):
        sender = (HONEST, LIAR, RIVAL)[k % 3]
        assert not mirror.move(0, True, keccak256(b"child %d" % k), sender).reverted
    (countered,) = mirror.descend(5, [True], PLAYERS)
    mirror.wait(2 * UNIT.max_clock_duration)
    claims = list(mirror.model.claims)
    for index in range(len(claims) - 1, 0, -1):
        assert not mirror.resolve_claim(index, 0, HONEST).reverted
    assert not mirror.resolve_claim(0, 7, HONEST).reverted
    assert mirror.game.getNumToResolve(0) == children - 7
    assert not mirror.resolve_claim(0, 0, HONEST).reverted  # a later page of 0 looks at nothing
    assert mirror.game.getNumToResolve(0) == children - 7
    while mirror.game.getNumToResolve(0):
        assert not mirror.resolve_claim(0, 7, HONEST).reverted
    assert not mirror.resolve(HONEST).reverted
    one_shot = resolve_game(claims)
    assert mirror.model.resolution.normal_mode_credit == dict(one_shot.normal_mode_credit)
    assert mirror.game.claimData(0)[1] == HONEST.address  # child 0, left-most and first
    assert countered
    mirror.check_state()


def test_k4_a_freeloader_left_of_the_honest_counter_is_countered(unit_system: GameSystem) -> None:
    """K4 (upstream's Alice and Bob): on an honest root Bob attacks with the right value, the honest
    side defends Bob's claim, and Bob attacks his own claim, left of the honest defense. The honest
    side counters that too: Bob ends with no credit, the honest side with both of his bonds."""
    mirror = Mirror(unit_system, UNIT, PROPOSER)
    bob = LIAR
    assert not mirror.move(0, True, mirror.honest_value(0, 2), bob).reverted
    for action in plan(mirror.model, accessor(mirror.model)):
        assert not mirror.perform(action, HONEST).reverted
    assert mirror.model.claims[-1].position == 6  # the honest defense of Bob's claim
    assert not mirror.move(1, True, keccak256(b"Bob's own"), bob).reverted  # at 4, left of 6
    actions = plan(mirror.model, accessor(mirror.model))
    assert [mirror.model.claims[a.parent].position for a in actions if isinstance(a, Move)] == [4]
    for action in actions:
        assert not mirror.perform(action, HONEST).reverted
    mirror.resolve_all(RIVAL)
    bobs = sum(claim.bond for claim in mirror.model.claims if claim.claimant == bob.address)
    honest = sum(claim.bond for claim in mirror.model.claims if claim.claimant == HONEST.address)
    assert mirror.game.normalModeCredit(bob.address) == 0
    assert mirror.game.normalModeCredit(HONEST.address) == bobs + honest
    assert mirror.game.status() == GameStatus.DEFENDER_WINS
    mirror.check_state()


DEEP = alphabet_parameters(125, 30, 302_400, 10_800, 86_400)


@pytest.mark.parametrize(
    "params", [MAINNET, pytest.param(DEEP, marks=pytest.mark.slow)], ids=["mainnet", "max-125"]
)
def test_k18_deep_games_bisect_to_a_step(params: GameParameters) -> None:
    """K18: full-width positions: a liar disputing an honest proposal is bisected to a step at depth
    73 and at depth 125 (step positions at depth 126), and the honest side collects."""
    system = alphabet_system(params)
    block = ANCHOR_BLOCK + (1 << params.split_depth)
    mirror = Mirror(system, params, PROPOSER, l2_block_number=block)
    step = play_out(mirror, wrong_blocks=frozenset({block, block - 3}))
    assert step is not None
    assert not mirror.perform(step, HONEST).reverted
    assert mirror.model.claims[step.claim].depth == params.max_game_depth
    mirror.resolve_all(HONEST)
    assert mirror.game.status() == GameStatus.DEFENDER_WINS
    assert mirror.game.normalModeCredit(LIAR.address) == 0
    mirror.check_state()


GAS_CEILINGS = {"move": 230_000, "step": 115_000, "leaf": 70_000, "parent": 130_000}
"""Execution gas a UNIT alphabet game stays under (the contract's header has the measured figures)."""


def test_gas_of_a_unit_game(unit_system: GameSystem) -> None:
    """Receipts carry the execution gas of every kind of call; a move, a step (with the AlphabetVM's
    oracle read) and a claim's resolution stay under their ceilings."""
    mirror, step = leaf_to_step_on(unit_system)
    assert not mirror.add_local_data(4, step.claim, 0, HONEST).reverted
    gas: dict[str, list[int]] = {kind: [] for kind in GAS_CEILINGS}
    outcome = mirror.step(step.claim, True, step.data.pre_state, b"", HONEST)
    assert outcome.receipt is not None and outcome.receipt.execution_gas is not None
    gas["step"].append(outcome.receipt.execution_gas)
    mirror.wait_until(mirror.model.created_at + 10 * UNIT.max_clock_duration)
    for index in reversed(range(len(mirror.model.claims))):
        receipt = mirror.resolve_claim(index, 0, HONEST).receipt
        assert receipt is not None and receipt.execution_gas is not None
        gas["parent" if mirror.model.children[index] else "leaf"].append(receipt.execution_gas)
    for receipt in mirror.receipts:
        if any(event.name == "Move" for event in mirror.game.events(receipt.logs)):
            assert receipt.execution_gas is not None
            gas["move"].append(receipt.execution_gas)
    assert len(gas["move"]) == len(mirror.model.claims) - 1
    for kind, values in gas.items():
        assert values, kind
        assert max(values) < GAS_CEILINGS[kind], (kind, max(values))


# -- anvil ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anvil_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    with running_anvil("prague", tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        yield JsonRpcChain(anvil.url)


def test_a_short_game_on_anvil(anvil_chain: Chain) -> None:
    """The JSON-RPC backend plays a MINIMAL game, deployed and proposed at once, from a lying root to
    a step and a resolution."""
    system = alphabet_system(MINIMAL, anvil_chain)
    block, wrong = ANCHOR_BLOCK + 4, frozenset({ANCHOR_BLOCK + 4, ANCHOR_BLOCK + 1})
    root = LyingOutputs(wrong).output_root(block)
    mirror = Mirror(system, MINIMAL, LIAR, root_claim=root, l2_block_number=block)
    # anvil stamps blocks with its wall clock, several in one second: the deployment made sure a
    # game proposed at once is later than the registry's retirement second.
    assert not system.anchor_state_registry.isGameRetired(mirror.game.address)
    step = play_out(mirror, wrong_blocks=wrong)
    assert step is not None
    assert not mirror.perform(step, HONEST).reverted
    mirror.resolve_all(HONEST)
    assert mirror.game.status() == GameStatus.CHALLENGER_WINS
    mirror.check_state()
