# pragma version ~=0.4.3
"""
@title DelayedWETH
@notice WETH with delayed, per-recipient withdrawals and an owner backstop: the escrow of every
        dispute game bond (spec: dispute-game.md §10.5; upstream: DelayedWETH.sol over WETH98).
        A game unlocks a recipient's credit as a sub-account of its own balance, and may take it
        out only `delay()` seconds later, so the owner can see, and `hold`, any single payout.
@dev    Vyper declares no overloads: `withdraw(uint256)` and `hold(address)`, the one-argument
        forms of `withdraw(address,uint256)` and `hold(address,uint256)`, are dispatched by
        `__default__` on their selectors and are missing from the ABI Vyper emits
        (faultproof.onchain.games.DELAYED_WETH_OVERLOADS lists them). Plain ETH is a deposit.
        Every transfer of ETH out is a full-gas call: a game is an EIP-1167 proxy, whose receive
        costs more than a 2,300-gas stipend (§18 K25, K30).
"""

interface ISystemConfig:
    def paused() -> bool: view


struct WithdrawalRequest:
    amount: uint256
    timestamp: uint256


event Approval:
    src: indexed(address)
    guy: indexed(address)
    wad: uint256


event Transfer:
    src: indexed(address)
    dst: indexed(address)
    wad: uint256


event Deposit:
    dst: indexed(address)
    wad: uint256


event Withdrawal:
    src: indexed(address)
    wad: uint256


event OwnershipTransferred:
    previousOwner: indexed(address)
    newOwner: indexed(address)


SELECTOR_SIZE: constant(uint256) = 4
WORD_SIZE: constant(uint256) = 32

name: public(constant(String[13])) = "Wrapped Ether"
symbol: public(constant(String[4])) = "WETH"
decimals: public(constant(uint8)) = 18

DELAY: immutable(uint256)
CONFIG: immutable(address)

owner: public(address)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
withdrawals: public(HashMap[address, HashMap[address, WithdrawalRequest]])


@deploy
def __init__(delay: uint256, config: address):
    """@param config The SystemConfig whose `paused()` stops withdrawals."""
    DELAY = delay
    CONFIG = config
    self.owner = msg.sender


# -- WETH9 -------------------------------------------------------------------------------------------


@payable
@external
def deposit():
    self._deposit(msg.sender, msg.value)


@view
@external
def totalSupply() -> uint256:
    return self.balance


@external
def approve(guy: address, wad: uint256) -> bool:
    self._approve(msg.sender, guy, wad)
    return True


@external
def transfer(dst: address, wad: uint256) -> bool:
    return self._transfer_from(msg.sender, dst, wad)


@external
def transferFrom(src: address, dst: address, wad: uint256) -> bool:
    return self._transfer_from(src, dst, wad)


# -- delayed withdrawals -----------------------------------------------------------------------------


@view
@external
def delay() -> uint256:
    return DELAY


@view
@external
def config() -> address:
    return CONFIG


@external
def unlock(guy: address, wad: uint256):
    """@notice Unlock `wad` more of the caller's balance for `guy`; the delay starts again."""
    request: WithdrawalRequest = self.withdrawals[msg.sender][guy]
    request.timestamp = block.timestamp
    request.amount += wad
    self.withdrawals[msg.sender][guy] = request


@external
def withdraw(guy: address, wad: uint256):
    """@notice Take `wad` unlocked for `guy` out of the caller's balance as ETH, after the delay."""
    self._withdraw(guy, wad)


@external
def hold(guy: address, wad: uint256):
    """@notice The owner takes `wad` of `guy`'s WETH: approval and transfer in one call (§18 K22)."""
    self._hold(guy, wad)


@external
def recover(wad: uint256):
    """@notice The owner takes up to `wad` of this contract's ETH."""
    assert msg.sender == self.owner, "NotOwner"
    amount: uint256 = min(wad, self.balance)
    assert raw_call(msg.sender, b"", value=amount, revert_on_failure=False), "RecoverFailed"


@external
def transferOwnership(newOwner: address):
    assert msg.sender == self.owner, "NotOwner"
    log OwnershipTransferred(previousOwner=self.owner, newOwner=newOwner)
    self.owner = newOwner


@payable
@external
def __default__():
    """
    @notice Plain ETH is a deposit; `withdraw(uint256)` withdraws for the caller itself and
            `hold(address)` holds a whole balance (see the header).
    """
    if len(msg.data) == 0:
        self._deposit(msg.sender, msg.value)
        return
    assert msg.value == 0
    selector: bytes4 = convert(slice(msg.data, 0, SELECTOR_SIZE), bytes4)
    argument: Bytes[WORD_SIZE] = slice(msg.data, SELECTOR_SIZE, WORD_SIZE)
    if selector == method_id("withdraw(uint256)", output_type=bytes4):
        self._withdraw(msg.sender, abi_decode(argument, uint256))
    elif selector == method_id("hold(address)", output_type=bytes4):
        guy: address = abi_decode(argument, address)
        self._hold(guy, self.balanceOf[guy])
    else:
        raise


# -- internals ---------------------------------------------------------------------------------------


@internal
def _deposit(dst: address, wad: uint256):
    self.balanceOf[dst] += wad
    log Deposit(dst=dst, wad=wad)


@internal
def _withdraw(guy: address, wad: uint256):
    assert not staticcall ISystemConfig(CONFIG).paused(), "Paused"
    request: WithdrawalRequest = self.withdrawals[msg.sender][guy]
    assert request.amount >= wad, "InsufficientUnlockedWithdrawal"
    assert request.timestamp > 0, "WithdrawalNotUnlocked"
    assert request.timestamp + DELAY <= block.timestamp, "WithdrawalDelayNotMet"
    self.withdrawals[msg.sender][guy].amount = request.amount - wad
    assert self.balanceOf[msg.sender] >= wad, "InsufficientBalance"
    self.balanceOf[msg.sender] -= wad
    log Withdrawal(src=msg.sender, wad=wad)
    assert raw_call(msg.sender, b"", value=wad, revert_on_failure=False), "TransferFailed"


@internal
def _hold(guy: address, wad: uint256):
    assert msg.sender == self.owner, "NotOwner"
    self._approve(guy, msg.sender, wad)
    self._transfer_from(guy, msg.sender, wad)


@internal
def _approve(src: address, guy: address, wad: uint256):
    self.allowance[src][guy] = wad
    log Approval(src=src, guy=guy, wad=wad)


@internal
def _transfer_from(src: address, dst: address, wad: uint256) -> bool:
    """WETH9's transferFrom: a spender other than `src` needs an allowance, unless it is unlimited."""
    assert self.balanceOf[src] >= wad, "InsufficientBalance"
    if src != msg.sender and self.allowance[src][msg.sender] != max_value(uint256):
        assert self.allowance[src][msg.sender] >= wad, "InsufficientAllowance"
        self.allowance[src][msg.sender] -= wad
    self.balanceOf[src] -= wad
    self.balanceOf[dst] += wad
    log Transfer(src=src, dst=dst, wad=wad)
    return True
