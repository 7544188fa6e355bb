# pragma version ~=0.4.3
"""
@title Wallet
@notice A contract account for the dispute game tests (dispute-game.md §18 K13, K25, K30): it sends
        calls for its owner, and receives ETH with a storage write, which a 2,300-gas stipend does
        not cover, or refuses it.
"""

MAX_CALLDATA: constant(uint256) = 1024

owner: public(address)
refuses: public(bool)
received: public(uint256)


@deploy
def __init__():
    self.owner = msg.sender


@payable
@external
def execute(target: address, data: Bytes[MAX_CALLDATA], amount: uint256) -> Bytes[MAX_CALLDATA]:
    """@notice Call `target` with `data` and `amount` wei; its revert is this call's revert."""
    assert msg.sender == self.owner
    return raw_call(target, data, max_outsize=MAX_CALLDATA, value=amount)


@external
def setRefuses(refuses: bool):
    assert msg.sender == self.owner
    self.refuses = refuses


@payable
@external
def __default__():
    assert not self.refuses, "Wallet refuses ETH"
    self.received += msg.value
