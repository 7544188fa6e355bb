"""A chain reached over JSON-RPC: any Ethereum node, anvil in the tests.

Transactions are signed here, by the same dev keys as on the embedded chain, and sent raw
(``eth_sendRawTransaction``): that works with any node, not only with dev nodes that hold
unlocked accounts, and keeps one signing path for both backends. Moving time and mining empty
blocks use the dev-node methods anvil and hardhat share (``evm_setNextBlockTimestamp``,
``evm_mine``).

Receipts carry no revert data, so a reverted transaction is replayed with ``eth_call`` on the
state before its block to recover it: exact when the transaction is its block's first (always on
an automining dev node). Where EIP-7623's calldata floor sets ``gasUsed``, the execution gas is
read from the node's trace (``debug_traceTransaction``); None when the node keeps no steps.
"""

from __future__ import annotations

import time
from typing import Any

from faultproof.chain.accounts import Account, Address, dev_accounts
from faultproof.chain.interface import TX_GAS, Block, Chain, Log, Receipt, Transaction, sign
from faultproof.errors import ChainError
from faultproof.jsonrpc import JsonRpcClient
from faultproof.preimage.hints import encode_header, encode_receipt

# JSON-RPC error codes that blame the request, not the execution (parse error, invalid request,
# method not found, invalid params): any other eth_call error is the execution failing.
REQUEST_ERRORS = (-32700, -32600, -32601, -32602)
RECEIPT_POLL_INTERVAL = 0.05  # seconds between receipt polls while a transaction is pending

# EIP-7623: a transaction pays at least 21000 + 10 per calldata token (a zero byte is one token,
# any other byte four).
FLOOR_GAS_PER_TOKEN = 10
NONZERO_BYTE_TOKENS = 4


class JsonRpcChain(Chain):
    """The chain of the node at ``url``; fails at once with ``ChainError`` if nothing answers."""

    def __init__(self, url: str, accounts: tuple[Account, ...] | None = None, timeout: float = 30.0) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout
        self._rpc = JsonRpcClient(url, ChainError, timeout)
        self.chain_id = _quantity(self._rpc.call("eth_chainId"))
        self.accounts = accounts or dev_accounts()

    # -- calls and transactions -------------------------------------------------------------------

    def _execute_call(self, sender: Address, to: Address, data: bytes, value: int) -> tuple[bool, bytes]:
        request = {"from": _hex(sender), "to": _hex(to), "data": _hex(data), "value": hex(value)}
        return self._eth_call(request, "latest")

    def _send(self, transaction: Transaction) -> tuple[Receipt, bytes]:
        sender = _hex(transaction.sender.address)
        nonce = _quantity(self._rpc.call("eth_getTransactionCount", sender, "pending"))
        signed = sign(transaction, self.chain_id, nonce, self.block().base_fee)
        transaction_hash = self._rpc.call("eth_sendRawTransaction", _hex(signed.encode()))
        reply = self._wait_for_receipt(transaction_hash)
        # None for a failed creation, for which geth still names the address it would have had.
        created = reply.get("contractAddress") if _quantity(reply["status"]) else None
        receipt = Receipt(
            transaction_hash=_data(reply["transactionHash"]),
            status=_quantity(reply["status"]),
            block_number=_quantity(reply["blockNumber"]),
            block_hash=_data(reply["blockHash"]),
            gas_used=_quantity(reply["gasUsed"]),
            execution_gas=self._execution_gas(transaction, _quantity(reply["gasUsed"]), transaction_hash),
            logs=tuple(_log(entry) for entry in reply["logs"]),
            contract_address=Address(created) if created else None,
        )
        if receipt.status:
            return receipt, b""
        replay = {"from": sender, "data": _hex(transaction.data), "value": hex(transaction.value)}
        replay |= {"gas": hex(transaction.gas)} | ({"to": _hex(transaction.to)} if transaction.to else {})
        _, revert_data = self._eth_call(replay, hex(receipt.block_number - 1))
        return receipt, revert_data

    def _eth_call(self, request: dict[str, str], block: str) -> tuple[bool, bytes]:
        """(success, output or revert data); an execution that fails without data (an invalid
        opcode, out of gas) fails with none, as on the embedded chain."""
        reply = self._rpc.reply("eth_call", request, block)
        error = reply.get("error")
        if error is None:
            return True, _data(reply.get("result") or "0x")
        if not isinstance(error, dict) or error.get("code") in REQUEST_ERRORS:
            message = error.get("message", error) if isinstance(error, dict) else error
            raise ChainError(f"JSON-RPC eth_call to {self.url}: {message}")
        data = error.get("data")
        return False, _data(data) if isinstance(data, str) and data.startswith("0x") else b""

    def _wait_for_receipt(self, transaction_hash: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._rpc.call("eth_getTransactionReceipt", transaction_hash)
            if reply is not None:
                return dict(reply)
            if time.monotonic() > deadline:
                raise ChainError(
                    f"{self.url} did not mine transaction {transaction_hash} in {self.timeout} s"
                )
            time.sleep(RECEIPT_POLL_INTERVAL)

    def _execution_gas(self, transaction: Transaction, gas_used: int, transaction_hash: str) -> int | None:
        intrinsic = self.intrinsic_gas(transaction.data, transaction.to is None)
        zeros = transaction.data.count(0)
        tokens = zeros + NONZERO_BYTE_TOKENS * (len(transaction.data) - zeros)
        if gas_used != TX_GAS + FLOOR_GAS_PER_TOKEN * tokens or not transaction.data:
            return gas_used - intrinsic
        # gasUsed is the calldata floor, which hides what execution cost: the trace shows the gas
        # left before the first and after the last instruction (anvil keeps the steps of a trace
        # only when started with --steps-tracing).
        options = {"disableStack": True, "disableStorage": True, "enableMemory": False}
        steps = self._rpc.call("debug_traceTransaction", transaction_hash, options).get("structLogs")
        if not steps:
            return None
        last = steps[-1]
        executed = int(steps[0]["gas"]) - (int(last["gas"]) - int(last["gasCost"]))
        return executed - min(int(last.get("refund", 0)), (intrinsic + executed) // 5)

    # -- state ------------------------------------------------------------------------------------

    def code(self, address: bytes | str) -> bytes:
        return _data(self._rpc.call("eth_getCode", _hex(Address(address)), "latest"))

    def balance(self, address: bytes | str) -> int:
        return _quantity(self._rpc.call("eth_getBalance", _hex(Address(address)), "latest"))

    # -- blocks and logs --------------------------------------------------------------------------

    @property
    def block_number(self) -> int:
        return _quantity(self._rpc.call("eth_blockNumber"))

    def block(self, number: int | None = None) -> Block:
        reply = self._block(number)
        header = encode_header(reply)
        block = Block(
            number=_quantity(reply["number"]),
            hash=_data(reply["hash"]),
            parent_hash=_data(reply["parentHash"]),
            timestamp=_quantity(reply["timestamp"]),
            state_root=_data(reply["stateRoot"]),
            transactions_root=_data(reply["transactionsRoot"]),
            receipts_root=_data(reply["receiptsRoot"]),
            gas_limit=_quantity(reply["gasLimit"]),
            gas_used=_quantity(reply["gasUsed"]),
            base_fee=_quantity(reply.get("baseFeePerGas") or "0x0"),
            header=header,
            transactions=tuple(_data(transaction) for transaction in reply["transactions"]),
        )
        return block

    def block_transactions(self, number: int) -> list[bytes]:
        hashes = self._block(number)["transactions"]
        return [_data(self._rpc.call("eth_getRawTransactionByHash", tx_hash)) for tx_hash in hashes]

    def block_receipts(self, number: int) -> list[bytes]:
        self._block(number)
        return [encode_receipt(receipt) for receipt in self._rpc.call("eth_getBlockReceipts", hex(number))]

    def logs(
        self, address: bytes | str | None = None, from_block: int = 0, to_block: int | None = None
    ) -> list[Log]:
        query: dict[str, Any] = {
            "fromBlock": hex(from_block),
            "toBlock": "latest" if to_block is None else hex(to_block),
        }
        if address is not None:
            query["address"] = _hex(Address(address))
        return [_log(entry) for entry in self._rpc.call("eth_getLogs", query)]

    def _block(self, number: int | None) -> dict[str, Any]:
        reply = self._rpc.call("eth_getBlockByNumber", "latest" if number is None else hex(number), False)
        if reply is None:
            raise ChainError(f"no block {number}: the chain is at block {self.block_number}")
        return dict(reply)

    # -- mining and time --------------------------------------------------------------------------

    def mine(self, blocks: int = 1) -> Block:
        for _ in range(blocks):
            self._rpc.call("evm_mine")
        return self.block()

    def _schedule_next_block(self, timestamp: int) -> None:
        self._rpc.call("evm_setNextBlockTimestamp", timestamp)


def _log(entry: dict[str, Any]) -> Log:
    return Log(
        address=Address(entry["address"]),
        topics=tuple(_data(topic) for topic in entry["topics"]),
        data=_data(entry["data"]),
        block_number=_quantity(entry["blockNumber"]),
        transaction_hash=_data(entry["transactionHash"]),
        log_index=_quantity(entry["logIndex"]),
    )


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _data(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def _quantity(text: str) -> int:
    return int(text, 16)
