"""The chain layer: one small interface (``Chain``) over an EVM chain, with two backends.

``EmbeddedChain()`` is a real chain in this process (py-evm, Prague), the default: nothing to
start. ``JsonRpcChain(url)`` drives any node over JSON-RPC (anvil in the tests). Both sign with the
same deterministic dev accounts, so code written against one runs against the other::

    chain = EmbeddedChain()
    oracle = chain.deploy(compile_contract("PreimageOracle"), 126_000, 86_400)
    receipt = oracle.loadLocalData(ident, context, word, size, offset, sender=chain.accounts[1])
    value, length = oracle.readPreimage(key, offset)
    output = chain.call(verifier.address, calldata)  # exact calldata, built byte by byte
"""

from faultproof.chain.accounts import Account, Address, dev_accounts
from faultproof.chain.contract import Contract, ContractFunction, Event
from faultproof.chain.embedded import EmbeddedChain
from faultproof.chain.interface import Block, Chain, Log, Receipt
from faultproof.chain.jsonrpc import JsonRpcChain

__all__ = [
    "Account",
    "Address",
    "Block",
    "Chain",
    "Contract",
    "ContractFunction",
    "EmbeddedChain",
    "Event",
    "JsonRpcChain",
    "Log",
    "Receipt",
    "dev_accounts",
]
