"""What every chain backend provides, and the parts of the chain layer that do not depend on one.

A backend implements a handful of primitives (execute a call, send a signed transaction, read
state, blocks and logs, mine, move time); ``Chain`` builds the public operations on them: calls
and transactions from dev accounts, deployment, revert decoding and the gas accounting, so the
embedded EVM and a JSON-RPC node behave alike down to their error messages.

Transactions are EIP-1559 (type 2), signed here with py-evm's transaction classes by the
deterministic dev keys, one per block on both backends (anvil automines). A transaction that
reverts is mined all the same (status 0), like on any chain, and then raises ``ExecutionReverted``
carrying its receipt and revert data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from eth.abc import SignedTransactionAPI
from eth.vm.forks.london.transactions import LondonTransactionBuilder
from eth.vm.forks.prague import PragueVM
from eth_keys.datatypes import PrivateKey
from eth_typing import Address as EvmAddress

from faultproof.chain.accounts import Account, Address
from faultproof.contracts import CompiledContract, compile_file
from faultproof.crypto import keccak256
from faultproof.errors import ChainError, ExecutionReverted, NoCodeError

if TYPE_CHECKING:
    from faultproof.chain.contract import Contract

DEFAULT_GAS_LIMIT = 2**24
"""Gas limit of a transaction that names none: EIP-7825's cap (Osaka), which fits any block here."""

PRECOMPILE_RANGE = 0x1_0000
"""Addresses below this are precompiles (0x01–0x11 in Prague, 0x100 in Osaka) or reserved for them."""

PRIORITY_FEE = 10**9  # 1 gwei to the block producer; max fee = 2 × base fee + this

# Intrinsic gas (yellow paper G_transaction, G_txcreate; EIP-2028 calldata; EIP-3860 init code).
TX_GAS = 21_000
CREATE_GAS = 32_000
ZERO_BYTE_GAS = 4
NONZERO_BYTE_GAS = 16
INITCODE_WORD_GAS = 2

ERROR_STRING_SELECTOR = keccak256(b"Error(string)")[:4]
PANIC_SELECTOR = keccak256(b"Panic(uint256)")[:4]


@dataclass(frozen=True)
class Log:
    """One log entry: ``topics`` is empty for an anonymous ``LOG0``."""

    address: Address
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    transaction_hash: bytes
    log_index: int


@dataclass(frozen=True)
class Receipt:
    """A mined transaction.

    ``execution_gas`` is ``gas_used`` less the intrinsic gas (21000, calldata per EIP-2028, and
    creation costs): what the EVM spent running the code, net of refunds. Where EIP-7623's calldata
    floor (Prague) raised ``gas_used`` above that, the backend reports the executed gas it measured
    instead, so benchmarks compare execution, not calldata pricing; None if it could not (a
    JSON-RPC node that keeps no trace steps).
    """

    transaction_hash: bytes
    status: int  # 1: success, 0: reverted
    block_number: int
    block_hash: bytes
    gas_used: int
    execution_gas: int | None
    logs: tuple[Log, ...]
    contract_address: Address | None  # of a contract creation


@dataclass(frozen=True)
class Block:
    """A block's header fields, its hash and its transactions' hashes.

    ``header`` is the RLP encoding of the header, so ``keccak256(header) == hash``; it commits to
    the transactions and receipts through ``transactions_root`` and ``receipts_root``.
    """

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    gas_limit: int
    gas_used: int
    base_fee: int
    header: bytes
    transactions: tuple[bytes, ...]


@dataclass(frozen=True)
class Transaction:
    """What a dev account asks the chain to do; ``to`` None creates a contract."""

    sender: Account
    to: Address | None
    data: bytes
    value: int
    gas: int


def sign(transaction: Transaction, chain_id: int, nonce: int, base_fee: int) -> SignedTransactionAPI:
    """The EIP-1559 transaction, signed by its sender's key (py-evm's encoding and signing)."""
    builder = cast(type[LondonTransactionBuilder], PragueVM.get_transaction_builder())
    unsigned = builder.new_unsigned_dynamic_fee_transaction(
        chain_id=chain_id,
        nonce=nonce,
        max_priority_fee_per_gas=PRIORITY_FEE,
        max_fee_per_gas=2 * base_fee + PRIORITY_FEE,
        gas=transaction.gas,
        to=EvmAddress(bytes(transaction.to or b"")),
        value=transaction.value,
        data=transaction.data,
        access_list=(),
    )
    return unsigned.as_signed_transaction(PrivateKey(transaction.sender.private_key))


class Chain(ABC):
    """An EVM chain that dev accounts transact on. Backends: ``EmbeddedChain``, ``JsonRpcChain``."""

    chain_id: int
    accounts: tuple[Account, ...]

    def __init__(self) -> None:
        self._custom_errors: dict[bytes, str] = {}

    # -- calls and transactions -------------------------------------------------------------------

    def call(
        self,
        to: bytes | str,
        data: bytes = b"",
        *,
        sender: Account | bytes | str | None = None,
        value: int = 0,
    ) -> bytes:
        """Execute ``data`` against ``to`` without a transaction (``eth_call`` on ``latest``): on the
        latest block's state, seeing its ``block.number`` and ``block.timestamp``.

        Returns the output bytes; raises ``ExecutionReverted`` on a revert and ``NoCodeError`` when
        ``to`` holds no code and ``data`` is not empty (a call that could only return nothing).
        """
        target = Address(to)
        if data:
            self._expect_code(target)
        if isinstance(sender, Account):
            sender = sender.address
        origin = Address(sender) if sender is not None else self.accounts[0].address
        success, output = self._execute_call(origin, target, data, value)
        if not success:
            raise ExecutionReverted(output, self.decode_revert(output))
        return output

    def transact(
        self,
        to: bytes | str | None,
        data: bytes = b"",
        *,
        sender: Account | None = None,
        value: int = 0,
        gas: int | None = None,
    ) -> Receipt:
        """Sign and send a transaction from ``sender`` (the first dev account by default), mined.

        ``to`` None creates a contract from ``data``. Raises ``ExecutionReverted`` (with the receipt)
        if it reverted and ``NoCodeError`` if ``data`` is sent to an address without code.
        """
        target = None if to is None else Address(to)
        if target is not None and data:
            self._expect_code(target)
        transaction = Transaction(sender or self.accounts[0], target, data, value, gas or DEFAULT_GAS_LIMIT)
        receipt, revert_data = self._send(transaction)
        if not receipt.status:
            raise ExecutionReverted(revert_data, self.decode_revert(revert_data), receipt)
        return receipt

    def deploy(
        self,
        contract: CompiledContract | str | Path,
        *args: Any,
        sender: Account | None = None,
        value: int = 0,
        gas: int | None = None,
    ) -> Contract:
        """Deploy a compiled contract (or compile a ``.vy`` file first) with constructor ``args``."""
        from faultproof.chain.contract import Contract, encode_constructor

        compiled = contract if isinstance(contract, CompiledContract) else compile_file(contract)
        data = compiled.bytecode + encode_constructor(compiled.abi, args)
        receipt = self.transact(None, data, sender=sender, value=value, gas=gas)
        assert receipt.contract_address is not None
        return Contract(self, receipt.contract_address, compiled, receipt)

    def at(self, address: bytes | str, contract: CompiledContract) -> Contract:
        """A handle on a contract already deployed at ``address``."""
        from faultproof.chain.contract import Contract

        target = Address(address)
        self._expect_code(target)
        return Contract(self, target, contract)

    # -- revert reasons ---------------------------------------------------------------------------

    def register_errors(self, *signatures: str) -> None:
        """Name custom errors (``"PartOffsetOOB()"``, ``"InvalidProof(uint256)"``) so reverts with
        their selector decode to a reason. Vyper's ABI lists no errors, so contracts that
        ``raw_revert`` them declare them here (``Contract`` does it for ABIs that list them)."""
        for signature in signatures:
            self._custom_errors[keccak256(signature.encode())[:4]] = signature

    def decode_revert(self, data: bytes) -> str | None:
        """The reason in revert data: an ``Error(string)`` message, a ``Panic`` code or a known
        custom error with its arguments; None for anything else (including no data)."""
        from eth_abi.abi import decode
        from eth_abi.exceptions import DecodingError

        selector, arguments = data[:4], data[4:]
        try:
            if selector == ERROR_STRING_SELECTOR:
                return str(decode(["string"], arguments)[0])
            if selector == PANIC_SELECTOR:
                return f"Panic(0x{decode(['uint256'], arguments)[0]:x})"
            signature = self._custom_errors.get(selector)
            if signature is None:
                return None
            types = _parameter_types(signature)
            values = decode(types, arguments) if types else ()
            name = signature.partition("(")[0]
            return f"{name}({', '.join(_show(value) for value in values)})"
        except (DecodingError, OverflowError, ValueError):
            return None

    # -- gas --------------------------------------------------------------------------------------

    @staticmethod
    def intrinsic_gas(data: bytes, creation: bool) -> int:
        """21000, calldata per EIP-2028, and for a creation 32000 and EIP-3860's init code words."""
        zeros = data.count(0)
        gas = TX_GAS + ZERO_BYTE_GAS * zeros + NONZERO_BYTE_GAS * (len(data) - zeros)
        if creation:
            gas += CREATE_GAS + INITCODE_WORD_GAS * ((len(data) + 31) // 32)
        return gas

    # -- what a backend provides ------------------------------------------------------------------

    @abstractmethod
    def _execute_call(self, sender: Address, to: Address, data: bytes, value: int) -> tuple[bool, bytes]:
        """Run a call on the latest state: (success, output or revert data)."""

    @abstractmethod
    def _send(self, transaction: Transaction) -> tuple[Receipt, bytes]:
        """Sign, send and mine a transaction: (receipt, revert data, empty if it succeeded)."""

    @abstractmethod
    def code(self, address: bytes | str) -> bytes:
        """The code stored at an address (empty for an account without code)."""

    @abstractmethod
    def balance(self, address: bytes | str) -> int:
        """An account's balance in wei."""

    @property
    @abstractmethod
    def block_number(self) -> int:
        """The number of the latest mined block."""

    @abstractmethod
    def block(self, number: int | None = None) -> Block:
        """A mined block by number (the latest if None); ``ChainError`` if there is none."""

    @abstractmethod
    def block_transactions(self, number: int) -> list[bytes]:
        """A block's transactions in their consensus encoding (EIP-2718 envelopes)."""

    @abstractmethod
    def block_receipts(self, number: int) -> list[bytes]:
        """A block's receipts in their consensus encoding (EIP-2718 envelopes)."""

    @abstractmethod
    def logs(
        self, address: bytes | str | None = None, from_block: int = 0, to_block: int | None = None
    ) -> list[Log]:
        """Logs of mined blocks ``from_block..to_block`` (inclusive; to the latest if None)."""

    @abstractmethod
    def mine(self, blocks: int = 1) -> Block:
        """Mine ``blocks`` empty blocks; returns the last."""

    @abstractmethod
    def _schedule_next_block(self, timestamp: int) -> None:
        """Give the next mined block this timestamp."""

    # -- shared on top of them --------------------------------------------------------------------

    def set_next_block_timestamp(self, timestamp: int) -> None:
        """Give the next mined block this timestamp, which must be later than the latest block's."""
        latest = self.block().timestamp
        if timestamp <= latest:
            raise ChainError(
                f"the next block's timestamp {timestamp} must be after the latest block's {latest}"
            )
        self._schedule_next_block(timestamp)

    def advance_time(self, seconds: int) -> Block:
        """Mine one empty block ``seconds`` after the latest, so calls and the next transactions
        see the clock moved; returns it."""
        if seconds < 1:
            raise ChainError(f"time moves forward by at least one second per block, not {seconds}")
        self.set_next_block_timestamp(self.block().timestamp + seconds)
        return self.mine()

    def _expect_code(self, address: Address) -> None:
        if int.from_bytes(address, "big") < PRECOMPILE_RANGE:
            return  # precompiles run without code
        if not self.code(address):
            raise NoCodeError(f"no contract at {address}")


def _parameter_types(signature: str) -> list[str]:
    """``["uint256", "bytes32"]`` of ``Name(uint256,bytes32)``; tuples are not needed here."""
    inside = signature.partition("(")[2].removesuffix(")")
    return [kind.strip() for kind in inside.split(",") if kind.strip()]


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Iterable) and not isinstance(value, str):
        return "(" + ", ".join(_show(item) for item in value) + ")"
    return repr(value) if isinstance(value, str) else str(value)
