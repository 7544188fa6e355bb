"""DelayedWETH.vy, the bond escrow (dispute-game.md §10.5, §18 K22–K25).

WETH9 balances and allowances, withdrawals unlocked per (holder, recipient) and paid only after the
delay, the owner's ``hold`` and ``recover``, and the pause of the system config.
"""

from __future__ import annotations

from functools import partial

import pytest

from faultproof.chain import Chain, Contract, EmbeddedChain, dev_accounts
from faultproof.chain.interface import PRIORITY_FEE
from faultproof.contracts import compile_file
from faultproof.onchain.games import compile_game_contract
from game_chain import revert_reason as reason

OWNER, ALICE, BOB, GUARDIAN = dev_accounts()[:4]
DELAY = 3_600
WALLET = "tests/contracts/Wallet.vy"


@pytest.fixture
def chain() -> Chain:
    return EmbeddedChain()


@pytest.fixture
def config(chain: Chain) -> Contract:
    return chain.deploy(compile_game_contract("SystemConfig"), GUARDIAN.address)


@pytest.fixture
def weth(chain: Chain, config: Contract) -> Contract:
    return chain.deploy(compile_game_contract("DelayedWETH"), DELAY, config.address, sender=OWNER)


def test_weth9_balances_and_allowances(chain: Chain, weth: Contract) -> None:
    assert (weth.name(), weth.symbol(), weth.decimals()) == ("Wrapped Ether", "WETH", 18)
    weth.deposit(sender=ALICE, value=100)
    chain.transact(weth.address, b"", sender=BOB, value=7)  # plain ETH is a deposit
    assert (weth.balanceOf(ALICE.address), weth.balanceOf(BOB.address), weth.totalSupply()) == (100, 7, 107)
    weth.transfer(BOB.address, 30, sender=ALICE)
    assert reason(partial(weth.transfer, BOB.address, 71, sender=ALICE)) == "InsufficientBalance"
    assert (
        reason(partial(weth.transferFrom, ALICE.address, BOB.address, 1, sender=BOB))
        == "InsufficientAllowance"
    )
    weth.approve(BOB.address, 20, sender=ALICE)
    weth.transferFrom(ALICE.address, BOB.address, 15, sender=BOB)
    assert weth.allowance(ALICE.address, BOB.address) == 5
    weth.approve(BOB.address, 2**256 - 1, sender=ALICE)
    weth.transferFrom(ALICE.address, BOB.address, 55, sender=BOB)  # an unlimited allowance stays
    assert weth.allowance(ALICE.address, BOB.address) == 2**256 - 1
    assert (weth.balanceOf(ALICE.address), weth.balanceOf(BOB.address)) == (0, 107)
    assert reason(lambda: chain.transact(weth.address, bytes(4), sender=BOB)) is None  # no such function


def test_withdrawal_needs_an_unlock_and_the_delay(chain: Chain, weth: Contract) -> None:
    """§10.5: unlock by the holder for a recipient, withdraw only after ``delay`` (inclusive)."""
    weth.deposit(sender=ALICE, value=1_000)
    assert weth.delay() == DELAY
    assert reason(partial(weth.withdraw, BOB.address, 1, sender=ALICE)) == "InsufficientUnlockedWithdrawal"
    assert reason(partial(weth.withdraw, BOB.address, 0, sender=ALICE)) == "WithdrawalNotUnlocked"
    weth.unlock(BOB.address, 600, sender=ALICE)
    unlocked_at = chain.block().timestamp
    assert weth.withdrawals(ALICE.address, BOB.address) == (600, unlocked_at)
    assert weth.withdrawals(BOB.address, BOB.address) == (0, 0)  # only the caller's own sub-accounts
    chain.set_next_block_timestamp(unlocked_at + DELAY - 1)
    assert reason(partial(weth.withdraw, BOB.address, 600, sender=ALICE)) == "WithdrawalDelayNotMet"
    before = chain.balance(ALICE.address)
    receipt = weth.withdraw(BOB.address, 400, sender=ALICE)
    fee = receipt.gas_used * (chain.block(receipt.block_number).base_fee + PRIORITY_FEE)
    assert chain.balance(ALICE.address) == before + 400 - fee
    assert weth.balanceOf(ALICE.address) == 600 and weth.withdrawals(ALICE.address, BOB.address)[0] == 200
    events = weth.events(receipt.logs)
    assert [(event.name, event.args) for event in events] == [
        ("Withdrawal", {"src": ALICE.address, "wad": 400})
    ]


def test_k23_no_withdrawal_beyond_the_unlocked_amount(chain: Chain, weth: Contract) -> None:
    """K23: a second withdrawal past what was unlocked reverts, however much WETH the holder has."""
    weth.deposit(sender=ALICE, value=1_000)
    weth.unlock(ALICE.address, 300, sender=ALICE)
    chain.advance_time(DELAY)
    weth.withdraw(300, sender=ALICE)  # withdraw(wad): for the caller itself
    assert reason(partial(weth.withdraw, 1, sender=ALICE)) == "InsufficientUnlockedWithdrawal"
    assert reason(partial(weth.withdraw, ALICE.address, 1, sender=ALICE)) == "InsufficientUnlockedWithdrawal"
    assert weth.balanceOf(ALICE.address) == 700


def test_unlock_restarts_the_delay(chain: Chain, weth: Contract) -> None:
    """Each unlock of one (holder, recipient) pair restarts its delay (the reason the game unlocks
    each recipient once, §18 K24, see test_game_credit)."""
    weth.deposit(sender=ALICE, value=10)
    weth.unlock(BOB.address, 5, sender=ALICE)
    chain.advance_time(DELAY)
    weth.unlock(BOB.address, 5, sender=ALICE)
    assert reason(partial(weth.withdraw, BOB.address, 10, sender=ALICE)) == "WithdrawalDelayNotMet"


def test_pause_stops_withdrawals(chain: Chain, weth: Contract, config: Contract) -> None:
    weth.deposit(sender=ALICE, value=10)
    weth.unlock(ALICE.address, 10, sender=ALICE)
    chain.advance_time(DELAY)
    assert reason(partial(config.pause, sender=ALICE)) == "NotGuardian"
    config.pause(sender=GUARDIAN)
    assert weth.config() == config.address and config.paused()
    assert reason(partial(weth.withdraw, 10, sender=ALICE)) == "Paused"
    config.unpause(sender=GUARDIAN)
    weth.withdraw(10, sender=ALICE)
    assert weth.balanceOf(ALICE.address) == 0


def test_k22_hold_seizes_in_the_same_call(weth: Contract) -> None:
    """K22: a holder that set its allowance for the owner to 0 is still held: hold approves and
    transfers in one call. ``hold(guy)`` takes the whole balance."""
    weth.deposit(sender=ALICE, value=50)
    weth.approve(OWNER.address, 0, sender=ALICE)
    receipt = weth.hold(ALICE.address, 20, sender=OWNER)
    assert [event.name for event in weth.events(receipt.logs)] == ["Approval", "Transfer"]
    assert (weth.balanceOf(ALICE.address), weth.balanceOf(OWNER.address)) == (30, 20)
    weth.hold(ALICE.address, sender=OWNER)
    assert (weth.balanceOf(ALICE.address), weth.balanceOf(OWNER.address)) == (0, 50)
    assert reason(partial(weth.hold, ALICE.address, 1, sender=BOB)) == "NotOwner"
    assert reason(partial(weth.hold, ALICE.address, sender=BOB)) == "NotOwner"


def test_k25_recover_pays_a_contract_owner_with_a_costly_receive(chain: Chain, weth: Contract) -> None:
    """K25: recover sends with all the gas, so an owner contract whose receive writes storage is paid;
    at most the contract's balance; a refusing owner makes it revert."""
    wallet = chain.deploy(compile_file(WALLET), sender=OWNER)
    weth.transferOwnership(wallet.address, sender=OWNER)
    assert weth.owner() == wallet.address
    weth.deposit(sender=ALICE, value=1_000)
    wallet.execute(weth.address, weth.recover.calldata(400), 0, sender=OWNER)
    assert wallet.received() == 400 and chain.balance(weth.address) == 600
    wallet.execute(weth.address, weth.recover.calldata(10**30), 0, sender=OWNER)
    assert wallet.received() == 1_000 and chain.balance(weth.address) == 0
    weth.deposit(sender=ALICE, value=5)
    wallet.setRefuses(True, sender=OWNER)
    recover = partial(wallet.execute, weth.address, weth.recover.calldata(5), 0, sender=OWNER)
    assert reason(recover) == "RecoverFailed"
    assert reason(partial(weth.recover, 1, sender=ALICE)) == "NotOwner"
    assert reason(partial(weth.transferOwnership, ALICE.address, sender=ALICE)) == "NotOwner"
