"""The embedded chain: a real Prague chain in this process, mined block by block by py-evm.

py-evm (the Ethereum Foundation's Python EVM) is driven directly through its ``MiningChain``:
every transaction is applied to a pending block that is then mined, so each block has a real
header whose hash commits to its transactions and receipts (``transactionsRoot``/``receiptsRoot``
tries), ``BLOCKHASH`` returns the hashes of the blocks before it, and the point-evaluation
precompile (0x0a), ``MCOPY`` and transient storage are there (Prague, ``PragueVM``). Everything is
deterministic: the dev accounts come from a fixed mnemonic, genesis has a fixed timestamp and
each block comes ``BLOCK_TIME`` seconds after its parent unless told otherwise.

Why py-evm's ``MiningChain`` directly: measured on the project's 2-core machine with the same
900-byte Vyper probe contract (py-evm 0.12.1b1, eth-tester 0.14.0b1, titanoboa 0.2.8; best of two
runs; "transaction" means a mined one where the library mines):

==========================  ==================  =======================  ======================
                            MiningChain (here)  eth-tester PyEVMBackend  titanoboa
==========================  ==================  =======================  ======================
100 transactions            0.66 s (one block   1.8 s (one block each)   0.02 s (no blocks)
                            each)
100 calls                   0.10 s              0.25 s                   0.02 s
100 empty blocks            0.07 s              0.09 s                   none: ``time_travel``
                                                                         only renumbers
BLOCKHASH of its blocks     yes                 yes                      no blocks to hash
headers, tx/receipt tries   yes                 yes                      no
fork                        Prague (any)        Prague                   Prague
timestamps                  the chain's own     wall clock               wall clock
revert data                 raw bytes           reason string only       raw bytes
==========================  ==================  =======================  ======================

titanoboa is the fastest because it does not mine: it applies messages to one state, so it has
no headers, no receipts and no block hashes of its own, which the dispute game (bound to an L1
block hash) and the rollup (derived from L1 headers, transactions and receipts) need. eth-tester
mines with the same ``MiningChain`` behind a normalisation layer that costs a factor of three,
keeps only a revert's reason string and stamps blocks with the wall clock. Driving ``MiningChain``
directly is about 200 lines and keeps py-evm, already a dependency (the precompiles), the one EVM
the project carries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import rlp
from eth.abc import BlockAPI, ComputationAPI, ReceiptAPI, SignedTransactionAPI, VirtualMachineAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.exceptions import VMError
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState
from eth.vm.spoof import SpoofTransaction
from eth_typing import Address as EvmAddress
from eth_typing import BlockNumber

from faultproof.chain.accounts import DEV_BALANCE, Account, Address, dev_accounts
from faultproof.chain.interface import Block, Chain, Log, Receipt, Transaction, sign
from faultproof.errors import ChainError
from faultproof.fileio import write_atomic
from faultproof.preimage.precompiles import POINT_EVALUATION, precompile_address, run_precompile

CHAIN_ID = 31337  # the usual dev chain id (anvil's)
GENESIS_TIMESTAMP = 1_700_000_000
BLOCK_TIME = 12  # seconds between blocks, as on mainnet
GAS_LIMIT = 60_000_000
INITIAL_BASE_FEE = 10**9  # EIP-1559's initial base fee


def _point_evaluation(computation: ComputationAPI) -> ComputationAPI:
    """EIP-4844's precompile as ``faultproof.preimage.precompiles`` runs it: the same check as
    py-evm's, over a trusted setup loaded once instead of on every call (about 2 s each)."""
    address = precompile_address(POINT_EVALUATION)
    result = run_precompile(address, computation.msg.data_as_bytes, computation.get_gas_remaining())
    computation.consume_gas(result.gas, reason="point evaluation")  # out of gas if it needs more
    if not result.success:
        raise VMError("point evaluation failed")
    computation.output = result.returndata
    return computation


class _Computation(PragueComputation):
    # py-evm declares the precompile table as an attribute and reads it from the class.
    _precompiles: dict[EvmAddress, Callable[[ComputationAPI], ComputationAPI]] = {  # noqa: RUF012
        **PragueComputation.get_precompiles(),
        EvmAddress(precompile_address(POINT_EVALUATION)): _point_evaluation,
    }


class _State(PragueState):
    computation_class = _Computation


class DevPragueVM(PragueVM):
    """Prague as py-evm runs it, with a point evaluation that does not reload the trusted setup."""

    _state_class = _State


class EmbeddedChain(Chain):
    """A fresh dev chain in memory: genesis funds the dev accounts with 10,000 ether each.

    ``save(path)`` writes the whole chain — every block, the state, the clock — to a file and
    ``EmbeddedChain.open(path)`` continues it, so a chain can outlive the process that made it
    (the CLI keeps one between commands). The file is py-evm's key/value database sorted by key,
    so the same chain gives the same bytes.
    """

    def __init__(self, accounts: tuple[Account, ...] | None = None, database: MemoryDB | None = None) -> None:
        super().__init__()
        self.chain_id = CHAIN_ID
        self.accounts = accounts or dev_accounts()
        chain_class = MiningChain.configure(
            __name__="FaultproofDevChain", vm_configuration=((0, DevPragueVM),), chain_id=CHAIN_ID
        )
        if database is not None:
            self._chain = chain_class(AtomicDB(database))
            self._schedule_next_block(self.block().timestamp + BLOCK_TIME)
            return
        genesis: dict[str, Any] = {
            "coinbase": bytes(20),
            "difficulty": 0,
            "gas_limit": GAS_LIMIT,
            "timestamp": GENESIS_TIMESTAMP,
            "extra_data": b"",
            "nonce": bytes(8),
            "base_fee_per_gas": INITIAL_BASE_FEE,
        }
        balances: dict[Any, Any] = {
            _evm(account.address): {"balance": DEV_BALANCE, "nonce": 0, "code": b"", "storage": {}}
            for account in self.accounts
        }
        self._chain = cast(MiningChain, chain_class.from_genesis(AtomicDB(), genesis, balances))
        self._schedule_next_block(GENESIS_TIMESTAMP + BLOCK_TIME)

    # -- persistence ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> EmbeddedChain:
        """The chain ``save`` wrote to ``path``; ``ChainError`` naming the file if it is not one."""
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise ChainError(f"chain file {path}: cannot read: {error.strerror or error}") from error
        return cls(database=MemoryDB(_decode_database(data, path)))

    def save(self, path: str | Path) -> None:
        """Write the chain to ``path`` atomically (a reader never sees half a chain)."""
        store = cast(MemoryDB, cast(AtomicDB, self._chain.chaindb.db).wrapped_db).kv_store
        write_atomic(path, _encode_database(store))

    # -- calls and transactions -------------------------------------------------------------------

    def _execute_call(self, sender: Address, to: Address, data: bytes, value: int) -> tuple[bool, bytes]:
        # On the latest block's state and in its environment (number, timestamp), as eth_call on
        # "latest" runs; a zero base fee lets the call run without gas money.
        vm = self._chain.get_vm(self._chain.get_canonical_head().copy(base_fee_per_gas=0))
        state = vm.state
        unsigned = vm.create_unsigned_transaction(
            nonce=state.get_nonce(_evm(sender)),
            gas_price=0,
            gas=GAS_LIMIT,
            to=_evm(to),
            value=value,
            data=data,
        )
        snapshot = state.snapshot()
        try:
            spoof = SpoofTransaction(unsigned, from_=_evm(sender))
            computation = state.apply_transaction(cast(SignedTransactionAPI, spoof))
        finally:
            state.revert(snapshot)
        # On failure the output is a REVERT's data; other failures (invalid opcode, out of gas) have none.
        return not computation.is_error, bytes(computation.output)

    def _send(self, transaction: Transaction) -> tuple[Receipt, bytes]:
        nonce = self._vm().state.get_nonce(_evm(transaction.sender.address))
        signed = sign(transaction, self.chain_id, nonce, _base_fee(self._chain.header.base_fee_per_gas))
        try:
            _, receipt, computation = self._chain.apply_transaction(signed)
        except Exception as error:  # py-evm's ValidationError: nonce, balance, gas limit
            raise ChainError(f"transaction rejected: {error}") from error
        block = self._chain.mine_block()
        self._schedule_next_block(block.header.timestamp + BLOCK_TIME)
        contract = None
        if transaction.to is None and not computation.is_error:
            contract = Address(computation.msg.storage_address)
        # gasUsed before EIP-7623's floor: py-evm's intrinsic gas (it charges EIP-3860's init code
        # words in the computation instead), execution, less the refund (EIP-3529: at most a fifth).
        spent = signed.intrinsic_gas + computation.get_gas_used()
        unfloored = spent - min(computation.get_gas_refund(), spent // 5)
        result = Receipt(
            transaction_hash=signed.hash,
            status=0 if computation.is_error else 1,
            block_number=block.number,
            block_hash=block.hash,
            gas_used=receipt.gas_used,
            execution_gas=unfloored - self.intrinsic_gas(transaction.data, transaction.to is None),
            logs=_logs(block, signed.hash, receipt, 0),
            contract_address=contract,
        )
        return result, bytes(computation.output) if computation.is_error else b""

    # -- state ------------------------------------------------------------------------------------

    def code(self, address: bytes | str) -> bytes:
        return bytes(self._vm().state.get_code(_evm(Address(address))))

    def balance(self, address: bytes | str) -> int:
        return int(self._vm().state.get_balance(_evm(Address(address))))

    # -- blocks and logs --------------------------------------------------------------------------

    @property
    def block_number(self) -> int:
        return int(self._chain.get_canonical_head().block_number)

    def block(self, number: int | None = None) -> Block:
        mined = self._block(self.block_number if number is None else number)
        header = mined.header
        return Block(
            number=header.block_number,
            hash=header.hash,
            parent_hash=header.parent_hash,
            timestamp=header.timestamp,
            state_root=header.state_root,
            transactions_root=header.transaction_root,
            receipts_root=header.receipt_root,
            gas_limit=header.gas_limit,
            gas_used=header.gas_used,
            base_fee=_base_fee(header.base_fee_per_gas),
            header=rlp.encode(header),
            transactions=tuple(transaction.hash for transaction in mined.transactions),
        )

    def block_transactions(self, number: int) -> list[bytes]:
        return [transaction.encode() for transaction in self._block(number).transactions]

    def block_receipts(self, number: int) -> list[bytes]:
        return [receipt.encode() for receipt in self._receipts(self._block(number))]

    def logs(
        self, address: bytes | str | None = None, from_block: int = 0, to_block: int | None = None
    ) -> list[Log]:
        wanted = None if address is None else Address(address)
        last = self.block_number if to_block is None else min(to_block, self.block_number)
        found: list[Log] = []
        for number in range(from_block, last + 1):
            block = self._block(number)
            index = 0
            for transaction, receipt in zip(block.transactions, self._receipts(block), strict=True):
                logs = _logs(block, transaction.hash, receipt, index)
                index += len(logs)
                found.extend(log for log in logs if wanted is None or log.address == wanted)
        return found

    # -- mining and time --------------------------------------------------------------------------

    def mine(self, blocks: int = 1) -> Block:
        for _ in range(blocks):
            mined = self._chain.mine_block()
            self._schedule_next_block(mined.header.timestamp + BLOCK_TIME)
        return self.block()

    # -- py-evm -----------------------------------------------------------------------------------

    def _schedule_next_block(self, timestamp: int) -> None:
        """Set the pending header's timestamp and gas limit.

        py-evm stamps a new pending header with the wall clock, and moves its gas limit by 1/1024 of
        the parent's towards a floor when blocks are nearly empty, so a long dev chain would end up
        unable to take a step transaction; ours follow the chain's own clock and keep the limit.
        """
        self._chain.header = self._chain.header.copy(timestamp=timestamp, gas_limit=GAS_LIMIT)

    def _vm(self) -> VirtualMachineAPI:
        return self._chain.get_vm()

    def _block(self, number: int) -> BlockAPI:
        if not 0 <= number <= self.block_number:
            raise ChainError(f"no block {number}: the chain is at block {self.block_number}")
        return self._chain.get_canonical_block_by_number(BlockNumber(number))

    def _receipts(self, block: BlockAPI) -> tuple[ReceiptAPI, ...]:
        return tuple(block.get_receipts(self._chain.chaindb))


CHAIN_FILE_MAGIC = b"faultproof-chain\x00v1"


def _encode_database(store: dict[bytes, bytes]) -> bytes:
    """``magic ‖ (BE4(len key) ‖ key ‖ BE4(len value) ‖ value)*`` in key order."""
    parts = [CHAIN_FILE_MAGIC]
    for key in sorted(store):
        value = store[key]
        parts += [len(key).to_bytes(4, "big"), key, len(value).to_bytes(4, "big"), value]
    return b"".join(parts)


def _decode_database(data: bytes, path: str | Path) -> dict[bytes, bytes]:
    if not data.startswith(CHAIN_FILE_MAGIC):
        raise ChainError(f"chain file {path}: not a faultproof chain (bad header)")
    store: dict[bytes, bytes] = {}
    offset = len(CHAIN_FILE_MAGIC)
    while offset < len(data):
        fields = []
        for _ in range(2):
            size = int.from_bytes(data[offset : offset + 4], "big")
            field = data[offset + 4 : offset + 4 + size]
            if offset + 4 > len(data) or len(field) != size:
                raise ChainError(f"chain file {path}: truncated at byte {offset}")
            fields.append(field)
            offset += 4 + size
        store[fields[0]] = fields[1]
    return store


def _evm(address: bytes) -> EvmAddress:
    return EvmAddress(bytes(address))


def _base_fee(value: int | None) -> int:
    assert value is not None, "every header since London has a base fee"
    return value


def _logs(block: BlockAPI, transaction_hash: bytes, receipt: ReceiptAPI, first_index: int) -> tuple[Log, ...]:
    return tuple(
        Log(
            address=Address(entry.address),
            topics=tuple(topic.to_bytes(32, "big") for topic in entry.topics),
            data=bytes(entry.data),
            block_number=block.number,
            transaction_hash=transaction_hash,
            log_index=first_index + offset,
        )
        for offset, entry in enumerate(receipt.logs)
    )
