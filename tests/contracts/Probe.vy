# pragma version ~=0.4.3
"""A contract that exercises what the chain layer must carry: storage, events, raw logs,
reverts with a reason and with a custom error, block hashes, time, senders and value."""

event Stored:
    sender: indexed(address)
    value: uint256

owner: public(address)
stored: public(uint256)
last_sender: public(address)


@deploy
@payable
def __init__(initial: uint256):
    self.owner = msg.sender
    self.stored = initial


@external
def store(amount: uint256):
    self.stored = amount
    self.last_sender = msg.sender
    log Stored(sender=msg.sender, value=amount)


@external
def log_anonymous(data: Bytes[64]):
    raw_log([], data)


@external
def fail(code: uint256):
    assert code != 1, "code is one"
    raw_revert(abi_encode(code, method_id=method_id("ProbeError(uint256)")))


@view
@external
def fail_in_view(code: uint256) -> uint256:
    assert code < 10, "code too large"
    return code


@view
@external
def sender() -> address:
    return msg.sender


@view
@external
def hash_of_block(number: uint256) -> bytes32:
    return blockhash(number)


@view
@external
def now() -> (uint256, uint256):
    return block.timestamp, block.number


@external
@payable
def deposit() -> uint256:
    return self.balance


@external
def pay(to: address, amount: uint256):
    send(to, amount)
