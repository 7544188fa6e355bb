"""AnchorStateRegistry.vy and SystemConfig.vy (dispute-game.md §13, §18 K26, K27).

Which games are registered, respected, blacklisted, retired, proper, resolved, finalized and valid;
the guardian's levers; and which games may become the anchor every new game starts from.
"""

from __future__ import annotations

from functools import partial

import pytest

from faultproof.chain import Contract, dev_accounts
from faultproof.game import alphabet
from faultproof.game.configs import UNIT
from faultproof.game.resolution import GameStatus
from faultproof.onchain.games import GameSystem, compile_game_contract
from game_chain import ANCHOR_BLOCK, ANCHOR_ROOT, alphabet_system, revert_reason

OWNER, PROPOSER, CHALLENGER, OTHER = dev_accounts()[:4]  # the owner is the guardian
FINALITY_DELAY = 100
ALPHABET = UNIT.game_type
INVALID_ANCHOR = "AnchorStateRegistry_InvalidAnchorGame"


@pytest.fixture
def system() -> GameSystem:
    return alphabet_system(UNIT, finality_delay=FINALITY_DELAY)


def propose(system: GameSystem, block: int, honest: bool = True) -> Contract:
    root = alphabet.output_root(block) if honest else b"\x0b" * 32
    return system.create_game(ALPHABET, root, block, PROPOSER)


def challenge(game: Contract) -> None:
    """An attack on the root nobody answers: the game will resolve CHALLENGER_WINS."""
    game.attack(game.rootClaim(), 0, b"\x0c" * 32, sender=CHALLENGER, value=game.getRequiredBond(2))


def resolve_now(game: Contract) -> int:
    """Resolve every claim, then the game (their clocks must have run out); ``resolvedAt``."""
    for index in reversed(range(game.claimDataLen())):
        game.resolveClaim(index, 0, sender=OTHER)
    game.resolve(sender=OTHER)
    return int(game.resolvedAt())


def resolve(system: GameSystem, game: Contract) -> int:
    """Resolve ``game`` as soon as its clocks allow; ``resolvedAt``."""
    system.chain.advance_time(UNIT.max_clock_duration)
    return resolve_now(game)


def finalize(system: GameSystem, game: Contract) -> None:
    resolve(system, game)
    system.chain.advance_time(FINALITY_DELAY + 1)


def predicates(registry: Contract, game: Contract) -> dict[str, bool]:
    names = (
        "Registered",
        "Respected",
        "Blacklisted",
        "Retired",
        "Proper",
        "Resolved",
        "Finalized",
        "ClaimValid",
    )
    return {name: getattr(registry, f"isGame{name}")(game.address) for name in names}


def test_a_new_game(system: GameSystem) -> None:
    registry = system.anchor_state_registry
    game = propose(system, ANCHOR_BLOCK + 3)
    assert predicates(registry, game) == {
        "Registered": True,
        "Respected": True,
        "Blacklisted": False,
        "Retired": False,
        "Proper": True,
        "Resolved": False,
        "Finalized": False,
        "ClaimValid": False,
    }
    assert registry.getAnchorRoot() == registry.anchors(12345) == (ANCHOR_ROOT, ANCHOR_BLOCK)
    assert registry.disputeGameFactory() == system.factory.address
    assert registry.systemConfig() == system.system_config.address
    assert registry.disputeGameFinalityDelaySeconds() == FINALITY_DELAY
    assert registry.startingAnchorRoot() == (ANCHOR_ROOT, ANCHOR_BLOCK)


def test_finality_is_strictly_after_the_delay(system: GameSystem) -> None:
    registry, chain = system.anchor_state_registry, system.chain
    game = propose(system, ANCHOR_BLOCK + 3)
    resolved_at = resolve(system, game)
    assert registry.isGameResolved(game.address) and not registry.isGameFinalized(game.address)
    chain.set_next_block_timestamp(resolved_at + FINALITY_DELAY)
    chain.mine()
    assert not registry.isGameFinalized(game.address)
    chain.mine()
    assert registry.isGameFinalized(game.address) and registry.isGameClaimValid(game.address)


def test_registration_needs_the_factory_and_this_registry(system: GameSystem) -> None:
    registry, chain = system.anchor_state_registry, system.chain
    # An implementation initialized by hand: no factory made it.
    implementation = system.implementations[ALPHABET]
    implementation.initialize(
        PROPOSER.address, b"\x01" * 32, bytes(32), (ANCHOR_BLOCK + 1).to_bytes(32, "big")
    )
    assert not registry.isGameRegistered(implementation.address)
    assert not registry.isGameProper(implementation.address)
    # A game of this factory that points at another registry.
    other = alphabet_system(UNIT, chain)
    foreign = chain.deploy(
        compile_game_contract("FaultDisputeGame"),
        ALPHABET,
        UNIT.absolute_prestate,
        UNIT.max_game_depth,
        UNIT.split_depth,
        UNIT.clock_extension,
        UNIT.max_clock_duration,
        system.verifiers[ALPHABET].address,
        system.weth.address,
        other.anchor_state_registry.address,
        10,
    )
    system.factory.setImplementation(ALPHABET, foreign.address, sender=OWNER)
    game = propose(system, ANCHOR_BLOCK + 2)
    assert system.factory.games(*game.gameData())[0] == game.address
    assert not registry.isGameRegistered(game.address)


def test_guardian_levers(system: GameSystem) -> None:
    registry, config = system.anchor_state_registry, system.system_config
    game = propose(system, ANCHOR_BLOCK + 3)
    for lever in (
        partial(registry.setRespectedGameType, 7),
        registry.updateRetirementTimestamp,
        partial(registry.blacklistDisputeGame, game.address),
    ):
        assert revert_reason(partial(lever, sender=OTHER)) == "AnchorStateRegistry_Unauthorized"
    receipt = registry.blacklistDisputeGame(game.address, sender=OWNER)
    (event,) = registry.events(receipt.logs)
    assert (event.name, event.args) == ("DisputeGameBlacklisted", {"game": game.address})
    assert registry.isGameBlacklisted(game.address) and not registry.isGameProper(game.address)

    receipt = registry.updateRetirementTimestamp(sender=OWNER)
    (event,) = registry.events(receipt.logs)
    retired_at = system.chain.block().timestamp
    assert (event.name, event.args) == ("RetirementTimestampSet", {"timestamp": retired_at})
    later = propose(system, ANCHOR_BLOCK + 4)
    assert registry.isGameRetired(game.address) and not registry.isGameRetired(later.address)

    assert config.guardian() == OWNER.address
    config.pause(sender=OWNER)
    assert registry.paused() and not registry.isGameProper(later.address)
    config.unpause(sender=OWNER)
    assert registry.isGameProper(later.address)

    receipt = registry.setRespectedGameType(7, sender=OWNER)
    (event,) = registry.events(receipt.logs)
    assert (event.name, event.args) == ("RespectedGameTypeSet", {"gameType": 7})
    newest = propose(system, ANCHOR_BLOCK + 5)
    assert later.wasRespectedGameTypeWhenCreated() and not newest.wasRespectedGameTypeWhenCreated()
    assert not registry.isGameRespected(newest.address)


def test_set_anchor_state_and_new_games_start_from_it(system: GameSystem) -> None:
    registry = system.anchor_state_registry
    first = propose(system, ANCHOR_BLOCK + 3)
    before = propose(system, ANCHOR_BLOCK + 9)  # created before the anchor moves
    finalize(system, first)
    receipt = registry.setAnchorState(first.address, sender=OTHER)  # anyone may
    (event,) = registry.events(receipt.logs)
    assert (event.name, event.args) == ("AnchorUpdated", {"game": first.address})
    assert registry.anchorGame() == first.address
    assert registry.getAnchorRoot() == registry.anchors(0) == (first.rootClaim(), ANCHOR_BLOCK + 3)
    after = propose(system, ANCHOR_BLOCK + 9, honest=False)
    assert after.startingOutputRoot() == (alphabet.output_root(ANCHOR_BLOCK + 3), ANCHOR_BLOCK + 3)
    assert before.startingOutputRoot() == (ANCHOR_ROOT, ANCHOR_BLOCK)  # §5: read once, at creation
    assert revert_reason(lambda: propose(system, ANCHOR_BLOCK + 3, honest=False)) == "UnexpectedRootClaim"
    # The anchor stays the anchor when blacklisted afterwards (§13).
    registry.blacklistDisputeGame(first.address, sender=OWNER)
    assert registry.getAnchorRoot()[1] == ANCHOR_BLOCK + 3


def test_k26_only_a_valid_newer_game_becomes_the_anchor(system: GameSystem) -> None:
    """K26: blacklisted, retired, not respected, unfinalized, lost or older games are each refused."""
    registry, chain = system.anchor_state_registry, system.chain
    blacklisted, retired = propose(system, ANCHOR_BLOCK + 1), propose(system, ANCHOR_BLOCK + 2)
    registry.updateRetirementTimestamp(sender=OWNER)
    registry.setRespectedGameType(9, sender=OWNER)
    not_respected = propose(system, ANCHOR_BLOCK + 3)
    registry.setRespectedGameType(ALPHABET, sender=OWNER)
    lost, newer, older, unfinalized = (propose(system, ANCHOR_BLOCK + n) for n in (5, 7, 6, 4))
    challenge(lost)
    chain.advance_time(UNIT.max_clock_duration)
    for game in (blacklisted, retired, not_respected, lost, newer, older):
        resolve_now(game)
    registry.blacklistDisputeGame(blacklisted.address, sender=OWNER)
    chain.advance_time(FINALITY_DELAY + 1)
    resolve_now(unfinalized)
    assert lost.status() == GameStatus.CHALLENGER_WINS
    for game in (blacklisted, retired, not_respected, unfinalized, lost):
        assert not registry.isGameClaimValid(game.address)
        assert revert_reason(partial(registry.setAnchorState, game.address)) == INVALID_ANCHOR
    registry.setAnchorState(newer.address)
    assert registry.isGameClaimValid(older.address)
    assert revert_reason(partial(registry.setAnchorState, older.address)) == INVALID_ANCHOR  # not newer
    assert revert_reason(partial(registry.setAnchorState, newer.address)) == INVALID_ANCHOR  # not newer
    assert registry.anchorGame() == newer.address


def test_pause_makes_games_improper_and_anchors_invalid(system: GameSystem) -> None:
    registry = system.anchor_state_registry
    game = propose(system, ANCHOR_BLOCK + 3)
    finalize(system, game)
    system.system_config.pause(sender=OWNER)
    assert not registry.isGameClaimValid(game.address)
    assert revert_reason(partial(registry.setAnchorState, game.address)) == INVALID_ANCHOR
    assert revert_reason(partial(system.system_config.pause, sender=OTHER)) == "NotGuardian"
    system.system_config.unpause(sender=OWNER)
    registry.setAnchorState(game.address)
