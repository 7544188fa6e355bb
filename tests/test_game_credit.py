"""Closing a game and paying its bonds out (dispute-game.md §10.6, §18 K6, K24, K27, K30).

``closeGame`` picks NORMAL or REFUND once the game is finalized (and tries the anchor update);
``claimCredit`` unlocks a recipient's credit in DelayedWETH once, then pays it after the delay.
"""

from __future__ import annotations

from functools import partial

import pytest

from faultproof.chain import Chain, Contract, dev_accounts
from faultproof.chain.interface import PRIORITY_FEE
from faultproof.contracts import compile_file
from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.bonds import DEFAULT_INIT_BOND
from faultproof.game.configs import UNIT
from faultproof.game.resolution import BondDistributionMode, GameStatus
from faultproof.onchain.games import GameSystem
from game_chain import ANCHOR_BLOCK, Mirror, alphabet_system, revert_reason
from honest_play import accessor, plan

OWNER, PROPOSER, HONEST, LIAR, OTHER = dev_accounts()[:5]
FINALITY_DELAY, WETH_DELAY = 100, 1_000
ALPHABET = UNIT.game_type
WALLET = "tests/contracts/Wallet.vy"


@pytest.fixture
def system() -> GameSystem:
    return alphabet_system(UNIT, finality_delay=FINALITY_DELAY, weth_delay=WETH_DELAY)


def disputed_game(system: GameSystem) -> Mirror:
    """An honest proposal attacked once by the liar and defended by the honest side, resolved and
    finalized: the honest side is owed both the liar's bond and its own."""
    mirror = Mirror(system, UNIT, PROPOSER)
    assert not mirror.move(0, True, keccak256(b"wrong"), LIAR).reverted
    for action in plan(mirror.model, accessor(mirror.model)):
        assert not mirror.perform(action, HONEST).reverted
    mirror.resolve_all(OTHER)
    mirror.wait(FINALITY_DELAY + 1)
    mirror.settle()
    return mirror


def spent(chain: Chain, receipt_gas: int, block: int) -> int:
    return receipt_gas * (chain.block(block).base_fee + PRIORITY_FEE)


def test_claim_credit_unlocks_then_pays(system: GameSystem) -> None:
    mirror = disputed_game(system)
    game, chain, weth = mirror.game, system.chain, system.weth
    owed = mirror.model.credit(BondDistributionMode.NORMAL)[HONEST.address]
    assert owed == game.normalModeCredit(HONEST.address) > game.refundModeCredit(HONEST.address)
    receipt = game.claimCredit(HONEST.address, sender=OTHER)  # anyone, for anyone
    (closed,) = [event for event in game.events(receipt.logs) if event.name == "GameClosed"]
    assert closed.args == {"bondDistributionMode": BondDistributionMode.NORMAL}
    assert game.bondDistributionMode() == BondDistributionMode.NORMAL and game.hasUnlockedCredit(
        HONEST.address
    )
    assert weth.withdrawals(game.address, HONEST.address) == (owed, chain.block().timestamp)
    assert system.anchor_state_registry.anchorGame() == game.address  # closing tried the anchor update
    withdraw = partial(game.claimCredit, HONEST.address, sender=OTHER)
    assert revert_reason(withdraw) == "WithdrawalDelayNotMet"  # DelayedWETH's revert passes through
    chain.advance_time(WETH_DELAY)
    before = chain.balance(HONEST.address)
    withdraw()
    assert chain.balance(HONEST.address) == before + owed
    assert game.credit(HONEST.address) == game.normalModeCredit(HONEST.address) == 0
    assert game.refundModeCredit(HONEST.address) == 0
    assert revert_reason(withdraw) == "NoCreditToClaim"
    # The liar is owed nothing: its unlock is of 0, and then there is nothing to claim.
    game.claimCredit(LIAR.address, sender=OTHER)
    assert game.hasUnlockedCredit(LIAR.address)
    assert revert_reason(partial(game.claimCredit, LIAR.address, sender=OTHER)) == "NoCreditToClaim"


def test_close_game_order(system: GameSystem) -> None:
    """§10.6: paused first, then unresolved, then unfinalized; once decided, closing returns at once."""
    mirror = Mirror(system, UNIT, PROPOSER)
    game, config = mirror.game, system.system_config
    config.pause(sender=OWNER)
    assert revert_reason(game.closeGame) == "GamePaused"
    config.unpause(sender=OWNER)
    assert revert_reason(game.closeGame) == "GameNotResolved"
    mirror.resolve_all(OTHER)
    assert revert_reason(game.closeGame) == "GameNotFinalized"
    assert revert_reason(partial(game.claimCredit, PROPOSER.address)) == "GameNotFinalized"
    system.chain.advance_time(FINALITY_DELAY + 1)
    receipt = game.closeGame()
    assert [event.name for event in game.events(receipt.logs)] == ["GameClosed"]
    config.pause(sender=OWNER)
    assert game.closeGame().logs == ()  # decided: no check, no event


def test_k27_a_pause_cannot_force_refund_mode(system: GameSystem) -> None:
    """K27: while paused, closing reverts rather than choosing REFUND; after the pause, NORMAL."""
    mirror = disputed_game(system)
    system.system_config.pause(sender=OWNER)
    assert revert_reason(partial(mirror.game.claimCredit, HONEST.address)) == "GamePaused"
    assert mirror.game.bondDistributionMode() == BondDistributionMode.UNDECIDED
    system.system_config.unpause(sender=OWNER)
    mirror.game.closeGame()
    assert mirror.game.bondDistributionMode() == BondDistributionMode.NORMAL


@pytest.mark.parametrize("lever", ["blacklist", "retire"])
def test_refund_mode_returns_every_deposit(system: GameSystem, lever: str) -> None:
    """§10.6: an improper game at close pays back what each depositor deposited, nothing else."""
    mirror = disputed_game(system)
    registry, game = system.anchor_state_registry, mirror.game
    if lever == "blacklist":
        registry.blacklistDisputeGame(game.address, sender=OWNER)
    else:
        registry.updateRetirementTimestamp(sender=OWNER)
    game.closeGame()
    assert game.bondDistributionMode() == BondDistributionMode.REFUND
    assert registry.anchorGame() == bytes(20)  # an improper game never becomes the anchor
    deposits = mirror.model.credit(BondDistributionMode.REFUND)
    assert set(deposits) == {PROPOSER.address, LIAR.address, HONEST.address}
    for address, amount in deposits.items():
        assert game.credit(address) == amount
    chain = system.chain
    game.claimCredit(LIAR.address)
    chain.advance_time(WETH_DELAY)
    before = chain.balance(LIAR.address)
    game.claimCredit(LIAR.address)
    assert chain.balance(LIAR.address) == before + deposits[LIAR.address]


def test_k24_a_later_unlock_never_postpones_an_earlier_one(system: GameSystem) -> None:
    """K24: each recipient is unlocked once, in its own sub-account: the proposer's unlock later on
    does not move the honest side's withdrawal time, nor does claiming again."""
    mirror = disputed_game(system)
    game, weth, chain = mirror.game, system.weth, system.chain
    game.claimCredit(HONEST.address)
    unlocked = weth.withdrawals(game.address, HONEST.address)
    chain.advance_time(WETH_DELAY // 2)
    game.claimCredit(PROPOSER.address)
    assert revert_reason(partial(game.claimCredit, HONEST.address)) == "WithdrawalDelayNotMet"
    assert weth.withdrawals(game.address, HONEST.address) == unlocked
    chain.set_next_block_timestamp(unlocked[1] + WETH_DELAY)
    game.claimCredit(HONEST.address)  # on time, though the proposer's delay runs on
    assert revert_reason(partial(game.claimCredit, PROPOSER.address)) == "WithdrawalDelayNotMet"


def wallet_game(system: GameSystem) -> tuple[Contract, Contract]:
    """An honest proposal made through a contract wallet, resolved and finalized."""
    chain, factory = system.chain, system.factory
    wallet = chain.deploy(compile_file(WALLET), sender=PROPOSER)
    block = ANCHOR_BLOCK + 5
    calldata = factory.create.calldata(ALPHABET, alphabet.output_root(block), block.to_bytes(32, "big"))
    wallet.execute(factory.address, calldata, DEFAULT_INIT_BOND, sender=PROPOSER, value=DEFAULT_INIT_BOND)
    game = system.game(factory.gameAtIndex(factory.gameCount() - 1)[2])
    chain.advance_time(UNIT.max_clock_duration)
    game.resolveClaim(0, 0)
    game.resolve()
    chain.advance_time(FINALITY_DELAY + 1)
    return wallet, game


def test_k30_credit_to_an_eoa_and_to_a_contract(system: GameSystem) -> None:
    """K30: the game takes the bond from DelayedWETH as plain ETH and forwards it with all the gas,
    so a contract recipient whose receive writes storage is paid; one that refuses is not."""
    wallet, game = wallet_game(system)
    assert game.status() == GameStatus.DEFENDER_WINS
    game.claimCredit(wallet.address)
    system.chain.advance_time(WETH_DELAY)
    wallet.setRefuses(True, sender=PROPOSER)
    assert revert_reason(partial(game.claimCredit, wallet.address)) == "BondTransferFailed"
    wallet.setRefuses(False, sender=PROPOSER)
    game.claimCredit(wallet.address)
    assert wallet.received() == DEFAULT_INIT_BOND and system.chain.balance(game.address) == 0
    assert system.weth.balanceOf(game.address) == 0


def test_k6_many_parallel_wrong_children_enrich_the_honest_side(system: GameSystem) -> None:
    """K6: 20 wrong attacks on an honest root, each countered: after claiming, the honest side has
    more ETH than before it played, gas included."""
    chain = system.chain
    mirror = Mirror(system, UNIT, PROPOSER)
    for k in range(20):
        assert not mirror.move(0, True, keccak256(bytes([k])), LIAR).reverted
    start = chain.balance(HONEST.address)
    fees = 0
    for action in plan(mirror.model, accessor(mirror.model)):
        receipt = mirror.perform(action, HONEST).receipt
        assert receipt is not None
        fees += spent(chain, receipt.gas_used, receipt.block_number)
    mirror.resolve_all(OTHER)
    assert mirror.game.status() == GameStatus.DEFENDER_WINS
    mirror.wait(FINALITY_DELAY + 1)
    mirror.settle()
    for step in range(2):
        receipt = mirror.game.claimCredit(HONEST.address, sender=HONEST)
        fees += spent(chain, receipt.gas_used, receipt.block_number)
        if step == 0:
            chain.advance_time(WETH_DELAY)
    deposits = mirror.model.credit(BondDistributionMode.REFUND)
    assert chain.balance(HONEST.address) == start - fees + deposits[LIAR.address]
    assert deposits[LIAR.address] > fees
    assert mirror.game.normalModeCredit(LIAR.address) == 0


def test_credit_view_follows_the_mode(system: GameSystem) -> None:
    mirror = disputed_game(system)
    game = mirror.game
    assert game.credit(LIAR.address) == 0 and game.refundModeCredit(LIAR.address) > 0
    system.anchor_state_registry.blacklistDisputeGame(game.address, sender=OWNER)
    game.closeGame()
    assert game.credit(LIAR.address) == game.refundModeCredit(LIAR.address) > 0
