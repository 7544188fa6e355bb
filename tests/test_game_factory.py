"""DisputeGameFactory.vy and the deployment of a game system (dispute-game.md §10.4, §12, §18 K13, K15,
K16, K28).

Games are EIP-1167 proxies of their type's implementation, one per (type, root claim, extraData),
created with the exact init bond and the caller as their creator.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from eth_abi.abi import encode

from faultproof.chain import Contract, EmbeddedChain, dev_accounts
from faultproof.contracts import compile_file
from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.bonds import DEFAULT_INIT_BOND
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.onchain.games import GameSetup, GameSystem, deploy_game_system
from game_chain import ANCHOR_BLOCK, ANCHOR_ROOT, alphabet_system, revert_reason

OWNER, PROPOSER, OTHER = dev_accounts()[0], dev_accounts()[1], dev_accounts()[2]
WALLET = "tests/contracts/Wallet.vy"
ALPHABET = UNIT.game_type


def word(block: int) -> bytes:
    return block.to_bytes(32, "big")


def eip1167(implementation: bytes) -> bytes:
    """The runtime code of a minimal proxy of ``implementation`` (EIP-1167)."""
    return (
        bytes.fromhex("363d3d373d3d3d363d73")
        + implementation
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )


@pytest.fixture
def system() -> GameSystem:
    return alphabet_system(UNIT)


def test_create_makes_an_initialized_proxy(system: GameSystem) -> None:
    factory, chain = system.factory, system.chain
    root = alphabet.output_root(ANCHOR_BLOCK + 4)
    receipt = factory.create(ALPHABET, root, word(ANCHOR_BLOCK + 4), sender=PROPOSER, value=DEFAULT_INIT_BOND)
    (event,) = factory.events(receipt.logs)
    proxy = event.args["disputeProxy"]
    assert event.name == "DisputeGameCreated"
    assert event.args == {"disputeProxy": proxy, "gameType": ALPHABET, "rootClaim": root}
    assert chain.code(proxy) == eip1167(system.implementations[ALPHABET].address)
    game = system.game(proxy)
    assert game.gameCreator() == PROPOSER.address and game.claimData(0)[3] == DEFAULT_INIT_BOND
    timestamp = chain.block(receipt.block_number).timestamp
    assert factory.gameCount() == 1 and factory.gameAtIndex(0) == (ALPHABET, timestamp, proxy)
    assert factory.games(ALPHABET, root, word(ANCHOR_BLOCK + 4)) == (proxy, timestamp)
    assert factory.games(ALPHABET, root, word(ANCHOR_BLOCK + 5)) == (bytes(20), 0)  # none
    assert revert_reason(lambda: factory.gameAtIndex(1)) is None
    assert game.l1Head() == chain.block(receipt.block_number - 1).hash


def test_game_uuid_is_the_hash_of_the_abi_encoded_arguments(system: GameSystem) -> None:
    """§12.1: UUID = H(abi.encode(uint32, bytes32, bytes))."""
    for extra in (b"", word(7), bytes(64)):
        expected = keccak256(encode(["uint32", "bytes32", "bytes"], [ALPHABET, b"\x07" * 32, extra]))
        assert system.factory.getGameUUID(ALPHABET, b"\x07" * 32, extra) == expected


def test_k28_the_bond_is_exact(system: GameSystem) -> None:
    """K28: ``create`` takes exactly ``initBonds[type]``."""
    factory = system.factory
    for value in (0, DEFAULT_INIT_BOND - 1, DEFAULT_INIT_BOND + 1):
        create = partial(factory.create, ALPHABET, b"\x01" * 32, word(ANCHOR_BLOCK + 1), value=value)
        assert revert_reason(create) == "IncorrectBondAmount"
    assert (
        revert_reason(lambda: factory.create(7, b"\x01" * 32, word(ANCHOR_BLOCK + 1))) == "NoImplementation"
    )


def test_k28_deployment_sets_the_bond_before_the_implementation() -> None:
    """K28: in the deployment, each type's InitBondUpdated comes in an earlier block than its
    ImplementationSet, so no game of the type ever exists without its bond."""
    system = alphabet_system(UNIT)
    events = system.factory.events(system.chain.logs(system.factory.address))
    order = [(event.name, event.log.block_number) for event in events]
    assert [name for name, _ in order] == ["InitBondUpdated", "ImplementationSet"]
    assert order[0][1] < order[1][1]
    assert events[0].args == {"gameType": ALPHABET, "newBond": DEFAULT_INIT_BOND}
    assert events[1].args == {"impl": system.implementations[ALPHABET].address, "gameType": ALPHABET}


def test_k16_one_game_per_proposal(system: GameSystem) -> None:
    """K16: the same (type, root, extraData) twice reverts GameAlreadyExists; a padded extraData is
    refused by the game (BadExtraData, see test_game_contracts), so it cannot mint a second UUID."""
    system.create_game(ALPHABET, b"\x01" * 32, ANCHOR_BLOCK + 1, PROPOSER)
    again = lambda: system.create_game(ALPHABET, b"\x01" * 32, ANCHOR_BLOCK + 1, OTHER)  # noqa: E731
    assert revert_reason(again) == "GameAlreadyExists"
    system.create_game(ALPHABET, b"\x01" * 32, ANCHOR_BLOCK + 2, PROPOSER)  # another block: another game
    padded = b"\0" + word(ANCHOR_BLOCK + 1)
    assert revert_reason(
        lambda: system.factory.create(ALPHABET, b"\x01" * 32, padded, value=DEFAULT_INIT_BOND)
    ) == ("BadExtraData")


def test_k13_the_creator_is_the_caller_not_the_origin(system: GameSystem) -> None:
    """K13: a proposer behind a contract wallet: the wallet is the creator and holds the refund."""
    chain, factory = system.chain, system.factory
    wallet = chain.deploy(compile_file(WALLET), sender=PROPOSER)
    root = alphabet.output_root(ANCHOR_BLOCK + 3)
    calldata = factory.create.calldata(ALPHABET, root, word(ANCHOR_BLOCK + 3))
    wallet.execute(factory.address, calldata, DEFAULT_INIT_BOND, sender=PROPOSER, value=DEFAULT_INIT_BOND)
    game = system.game(factory.gameAtIndex(0)[2])
    assert game.gameCreator() == wallet.address != PROPOSER.address
    assert game.claimData(0)[2] == wallet.address
    assert game.refundModeCredit(wallet.address) == DEFAULT_INIT_BOND
    assert game.refundModeCredit(PROPOSER.address) == 0


def test_find_latest_games(system: GameSystem) -> None:
    """§12.1: newest first from ``start``, only the asked type, at most ``n``."""
    other = replace(
        MINIMAL, game_type=256, challenge_period=UNIT.challenge_period, max_clock_duration=302_400
    )
    both = deploy_game_system(
        EmbeddedChain(),
        [GameSetup(UNIT, "alphabet"), GameSetup(other, "alphabet")],
        anchor_root=ANCHOR_ROOT,
        anchor_block=ANCHOR_BLOCK,
        challenge_period=UNIT.challenge_period,
    )
    created = []
    for k in range(7):
        game_type = ALPHABET if k % 3 else 256
        game = both.create_game(game_type, bytes([k + 1]) * 32, ANCHOR_BLOCK + 1 + k, PROPOSER)
        created.append((k, game_type, game))
    factory = both.factory
    found = factory.findLatestGames(ALPHABET, 6, 3)
    assert [entry[0] for entry in found] == [5, 4, 2]
    for index, metadata, timestamp, root, extra in found:
        game_type, game_timestamp, proxy = factory.gameAtIndex(index)
        assert (game_type, game_timestamp) == (ALPHABET, timestamp)
        packed = (ALPHABET << 224) | (timestamp << 160) | int.from_bytes(proxy, "big")
        assert metadata == packed.to_bytes(32, "big")
        assert (root, extra) == (bytes([index + 1]) * 32, word(ANCHOR_BLOCK + 1 + index))
    assert [entry[0] for entry in factory.findLatestGames(256, 6, 10)] == [6, 3, 0]
    assert [entry[0] for entry in factory.findLatestGames(ALPHABET, 3, 10)] == [2, 1]
    assert factory.findLatestGames(ALPHABET, 7, 3) == [] and factory.findLatestGames(ALPHABET, 6, 0) == []
    assert [entry[0] for entry in factory.findLatestGames(ALPHABET, 0, 5)] == []
    assert [game.address for game in both.games()] == [game.address for _, _, game in created]


def test_k15_game_types_are_compared_at_full_width() -> None:
    """K15: with type 256 respected, a type-0 game (256 truncated to a byte) is not respected."""
    zero = replace(UNIT, game_type=0)
    wide = replace(UNIT, game_type=256)
    system = deploy_game_system(
        EmbeddedChain(),
        [GameSetup(zero, "alphabet"), GameSetup(wide, "alphabet")],
        anchor_root=ANCHOR_ROOT,
        anchor_block=ANCHOR_BLOCK,
        challenge_period=UNIT.challenge_period,
        respected_game_type=256,
    )
    assert system.anchor_state_registry.respectedGameType() == 256
    respected = system.create_game(256, b"\x01" * 32, ANCHOR_BLOCK + 1, PROPOSER)
    not_respected = system.create_game(0, b"\x01" * 32, ANCHOR_BLOCK + 1, PROPOSER)
    assert respected.wasRespectedGameTypeWhenCreated()
    assert not not_respected.wasRespectedGameTypeWhenCreated()
    assert not system.anchor_state_registry.isGameRespected(not_respected.address)
    assert (respected.gameType(), not_respected.gameType()) == (256, 0)


def test_owner_functions(system: GameSystem) -> None:
    factory = system.factory
    assert factory.owner() == OWNER.address
    for call in (
        lambda: factory.setImplementation(1, OTHER.address, sender=OTHER),
        lambda: factory.setInitBond(1, 5, sender=OTHER),
        lambda: factory.transferOwnership(OTHER.address, sender=OTHER),
    ):
        assert revert_reason(call) == "NotOwner"
    factory.transferOwnership(OTHER.address, sender=OWNER)
    factory.setInitBond(ALPHABET, 5, sender=OTHER)
    assert factory.initBonds(ALPHABET) == 5 and factory.owner() == OTHER.address
    system.create_game(ALPHABET, b"\x02" * 32, ANCHOR_BLOCK + 1, PROPOSER)
    assert system.games()[0].claimData(0)[3] == 5


def test_deploy_game_system_checks_its_setups() -> None:
    chain = EmbeddedChain()
    options = {"anchor_root": ANCHOR_ROOT, "anchor_block": ANCHOR_BLOCK, "challenge_period": 120}
    with pytest.raises(ValueError, match="challenge period"):
        deploy_game_system(chain, [GameSetup(UNIT, "alphabet")], **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="verifier"):
        deploy_game_system(chain, [GameSetup(MINIMAL, "cannon")], **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        deploy_game_system(chain, [GameSetup(MINIMAL, "alphabet")] * 2, **options)  # type: ignore[arg-type]


def test_deployment_is_deterministic_and_registers_each_verifier() -> None:
    """The same setups from the same owner deploy to the same addresses; MIPS and RISCV verifiers
    read the system's one oracle."""
    mips = replace(UNIT, game_type=0, absolute_prestate=b"\x03" + bytes(31))
    riscv = replace(UNIT, game_type=2, absolute_prestate=b"\x03" + bytes(31))
    setups = [GameSetup(UNIT, "alphabet"), GameSetup(mips, "mips32"), GameSetup(riscv, "riscv64", 10**17)]

    def deploy() -> GameSystem:
        return deploy_game_system(
            EmbeddedChain(),
            setups,
            anchor_root=ANCHOR_ROOT,
            anchor_block=ANCHOR_BLOCK,
            challenge_period=86_400,
        )

    first, second = deploy(), deploy()

    def addresses(system: GameSystem) -> list[bytes]:
        contracts = (system.system_config, system.oracle, system.weth, system.anchor_state_registry)
        return [contract.address for contract in (*contracts, system.factory)]

    assert addresses(first) == addresses(second)
    assert first.implementations[0].address == second.implementations[0].address
    for game_type, verifier in first.verifiers.items():
        assert isinstance(verifier, Contract) and verifier.oracle() == first.oracle.address
        assert first.implementations[game_type].vm() == verifier.address
    assert first.factory.initBonds(2) == 10**17
    assert first.oracle.challengePeriod() == 86_400 and first.oracle.minProposalSize() == 126_000
