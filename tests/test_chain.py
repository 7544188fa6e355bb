"""The chain layer, the same tests on every backend: the embedded EVM and anvil over JSON-RPC.

A small Vyper contract (``contracts/Probe.vy``) exercises what the dispute game and the step
verifiers need from a chain: storage, events and anonymous logs, reverts with a reason and with a
custom error, block hashes, time, senders and value. Each mined block is checked to be a real one:
its hash is the keccak of its RLP header, whose transactions and receipts roots are the tries of
the block's transactions and receipts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp
from eth_abi.abi import encode

from anvil import running_anvil
from faultproof.chain import Address, Chain, Contract, EmbeddedChain, JsonRpcChain, dev_accounts
from faultproof.contracts import compile_file
from faultproof.crypto import keccak256, sha256
from faultproof.errors import ChainError, ExecutionReverted, NoCodeError
from faultproof.preimage.hints import ordered_trie

PROBE = Path(__file__).parent / "contracts" / "Probe.vy"
ERROR_STRING = keccak256(b"Error(string)")[:4]
PROBE_ERROR = keccak256(b"ProbeError(uint256)")[:4]
POINT_EVALUATION = Address((0x0A).to_bytes(20, "big"))
NOBODY = Address(keccak256(b"nobody")[:20])


@pytest.fixture(scope="module", params=["embedded", "anvil"])
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """A fresh chain per backend; anvil keeps trace steps so execution gas is measurable."""
    if request.param == "embedded":
        yield EmbeddedChain()
        return
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with running_anvil("prague", log, "--steps-tracing") as anvil:
        yield JsonRpcChain(anvil.url)


@pytest.fixture(scope="module")
def probe(chain: Chain) -> Contract:
    return chain.deploy(compile_file(PROBE), 7, value=5)


# -- accounts -----------------------------------------------------------------------------------


def test_dev_accounts_are_the_well_known_ones() -> None:
    first = dev_accounts()[0]
    assert str(first.address) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert first.private_key.hex() == "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    assert str(dev_accounts()[9].address) == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


def test_addresses_print_checksummed() -> None:
    address = Address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    assert str(address) == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55's example
    assert repr(address) == "Address('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')"
    with pytest.raises(ValueError, match="20 bytes"):
        Address(b"\x01")


# -- deployment, storage, senders -----------------------------------------------------------------


def test_deployment(chain: Chain, probe: Contract) -> None:
    assert probe.deployment is not None and probe.deployment.status == 1
    assert probe.deployment.contract_address == probe.address
    assert chain.code(probe.address) == probe.compiled.runtime_bytecode
    assert probe.owner() == chain.accounts[0].address
    assert chain.balance(probe.address) >= 5


def test_storage_write_and_read(chain: Chain, probe: Contract) -> None:
    sender = chain.accounts[2]
    receipt = probe.store(1234, sender=sender)
    assert receipt.status == 1 and receipt.block_number == chain.block_number
    assert probe.stored() == 1234
    assert probe.last_sender() == sender.address
    assert chain.block(receipt.block_number).hash == receipt.block_hash


def test_msg_sender_of_calls(chain: Chain, probe: Contract) -> None:
    assert probe.sender() == chain.accounts[0].address
    assert probe.sender(sender=chain.accounts[3]) == chain.accounts[3].address
    raw = chain.call(probe.address, probe.sender.calldata(), sender=NOBODY)
    assert raw == encode(["address"], [bytes(NOBODY)])
    raw = chain.call(probe.address, probe.sender.calldata(), sender=chain.accounts[6])
    assert raw == encode(["address"], [bytes(chain.accounts[6].address)])


def test_raw_calldata(chain: Chain, probe: Contract) -> None:
    calldata = keccak256(b"store(uint256)")[:4] + (99).to_bytes(32, "big")
    assert probe.store.calldata(99) == calldata
    chain.transact(probe.address, calldata)
    assert chain.call(probe.address, keccak256(b"stored()")[:4]) == (99).to_bytes(32, "big")


# -- logs -----------------------------------------------------------------------------------------


def test_events_and_anonymous_logs(chain: Chain, probe: Contract) -> None:
    sender = chain.accounts[1]
    stored = probe.store(77, sender=sender)
    (event,) = probe.events(stored.logs)
    assert event.name == "Stored" and event.args == {"sender": sender.address, "value": 77}
    assert event.log.topics[1] == bytes(12) + sender.address

    anonymous = probe.log_anonymous(b"no topics at all")
    (log,) = anonymous.logs
    assert log.topics == () and log.address == probe.address
    assert log.data == b"no topics at all"
    assert probe.events(anonymous.logs) == []  # LOG0 belongs to no event

    found = chain.logs(probe.address, from_block=stored.block_number)
    assert found == [*stored.logs, *anonymous.logs]
    assert chain.logs(NOBODY, from_block=stored.block_number) == []


# -- reverts --------------------------------------------------------------------------------------


def test_a_reverted_transaction_is_mined_and_raises_with_its_reason(chain: Chain, probe: Contract) -> None:
    with pytest.raises(ExecutionReverted, match=r"^execution reverted: code is one$") as raised:
        probe.fail(1)
    assert raised.value.reason == "code is one"
    assert raised.value.data == ERROR_STRING + encode(["string"], ["code is one"])
    receipt = raised.value.receipt
    assert receipt is not None and receipt.status == 0
    assert chain.block(receipt.block_number).transactions == (receipt.transaction_hash,)


def test_custom_errors_decode_once_registered(chain: Chain, probe: Contract) -> None:
    with pytest.raises(ExecutionReverted) as raised:
        probe.fail.call(5)
    assert raised.value.data == PROBE_ERROR + (5).to_bytes(32, "big")
    assert raised.value.reason is None and raised.value.receipt is None
    assert str(raised.value) == f"execution reverted: revert data 0x{raised.value.data.hex()}"
    chain.register_errors("ProbeError(uint256)")
    with pytest.raises(ExecutionReverted, match=r"^execution reverted: ProbeError\(5\)$"):
        probe.fail(5)


def test_executions_that_fail_without_revert_data(chain: Chain, probe: Contract) -> None:
    """An invalid opcode, or running out of gas, fails like a revert with no data."""
    invalid = chain.transact(None, bytes.fromhex("60fe60005360016000f3")).contract_address  # code: 0xfe
    assert invalid is not None and chain.code(invalid) == b"\xfe"
    with pytest.raises(ExecutionReverted, match=r"^execution reverted: no revert data$") as raised:
        chain.call(invalid, b"\x01")
    assert raised.value.data == b""
    with pytest.raises(ExecutionReverted) as raised:
        chain.deploy(probe.compiled, 7, gas=100_000)  # not enough to store the code
    receipt = raised.value.receipt
    assert receipt is not None and receipt.status == 0 and receipt.gas_used == 100_000
    assert receipt.contract_address is None and raised.value.data == b""


def test_a_reverting_view(probe: Contract) -> None:
    assert probe.fail_in_view(3) == 3
    with pytest.raises(ExecutionReverted, match="code too large") as raised:
        probe.fail_in_view(10)
    assert raised.value.receipt is None


# -- blocks, hashes, time -------------------------------------------------------------------------


def test_blockhash_returns_the_chains_block_hashes(chain: Chain, probe: Contract) -> None:
    chain.mine(3)
    latest = chain.block_number
    for number in range(max(0, latest - 5), latest):
        assert probe.hash_of_block(number) == chain.block(number).hash
    with pytest.raises(ExecutionReverted):  # calls run in the latest block, whose hash BLOCKHASH
        probe.hash_of_block(latest)  # does not know (0), and Vyper refuses to return that


def test_blocks_are_real(chain: Chain, probe: Contract) -> None:
    """Every header hashes to the block hash and commits to the block's transactions and receipts."""
    probe.store(5)
    for number in range(chain.block_number + 1):
        block = chain.block(number)
        assert keccak256(block.header) == block.hash
        fields = rlp.decode(block.header)
        assert fields[0] == block.parent_hash and fields[3] == block.state_root
        assert (fields[4], fields[5]) == (block.transactions_root, block.receipts_root)
        assert int.from_bytes(fields[8], "big") == block.number
        assert int.from_bytes(fields[11], "big") == block.timestamp
        if number:
            assert block.parent_hash == chain.block(number - 1).hash
        transactions = chain.block_transactions(number)
        assert [keccak256(raw) for raw in transactions] == list(block.transactions)
        assert ordered_trie(transactions)[0] == block.transactions_root
        assert ordered_trie(chain.block_receipts(number))[0] == block.receipts_root


def test_moving_time(chain: Chain, probe: Contract) -> None:
    before = chain.block()
    moved = chain.advance_time(3600)
    assert moved.number == before.number + 1 and moved.timestamp == before.timestamp + 3600
    assert probe.now() == (moved.timestamp, moved.number)  # calls see the latest block
    chain.set_next_block_timestamp(moved.timestamp + 7200)
    receipt = probe.store(1)
    assert chain.block(receipt.block_number).timestamp == moved.timestamp + 7200
    with pytest.raises(ChainError, match="after the latest block"):
        chain.set_next_block_timestamp(moved.timestamp)


def test_mining_empty_blocks(chain: Chain) -> None:
    first = chain.block_number
    last = chain.mine(4)
    assert last.number == first + 4 == chain.block_number
    assert last.transactions == () and chain.block_transactions(last.number) == []


def test_a_long_chain_keeps_its_gas_limit() -> None:
    """Nearly empty blocks must not shrink the limit (py-evm's default) until a step no longer fits."""
    chain = EmbeddedChain()
    limit = chain.block().gas_limit
    chain.mine(1500)
    assert chain.block().gas_limit == limit
    receipt = chain.transact(chain.accounts[1].address, b"", value=1, gas=limit)
    assert receipt.status == 1


def test_an_embedded_chain_saved_and_reopened_continues(tmp_path: Path) -> None:
    chain = EmbeddedChain()
    probe = chain.deploy(compile_file(PROBE), 7, value=5)
    probe.store(41)
    chain.advance_time(600)
    chain.save(tmp_path / "chain")
    again = EmbeddedChain.open(tmp_path / "chain")
    assert again.block() == chain.block()
    reopened = again.at(probe.address, probe.compiled)
    assert reopened.stored() == 41
    receipt = reopened.store(42)
    assert again.block(receipt.block_number).timestamp == chain.block().timestamp + 12
    assert reopened.stored() == 42 and probe.stored() == 41  # two chains from here on
    chain.save(tmp_path / "same")
    assert (tmp_path / "same").read_bytes() == (tmp_path / "chain").read_bytes()


def test_a_damaged_chain_file_is_refused(tmp_path: Path) -> None:
    chain = EmbeddedChain()
    chain.save(tmp_path / "chain")
    data = (tmp_path / "chain").read_bytes()
    (tmp_path / "short").write_bytes(data[:-3])
    with pytest.raises(ChainError, match="short: truncated"):
        EmbeddedChain.open(tmp_path / "short")
    (tmp_path / "other").write_bytes(b"PK" + data[2:])
    with pytest.raises(ChainError, match="not a faultproof chain"):
        EmbeddedChain.open(tmp_path / "other")
    with pytest.raises(ChainError, match="missing: cannot read"):
        EmbeddedChain.open(tmp_path / "missing")


def test_a_block_that_does_not_exist(chain: Chain) -> None:
    with pytest.raises(ChainError, match="no block 1000000"):
        chain.block(1_000_000)


# -- value ----------------------------------------------------------------------------------------


def test_value_transfers(chain: Chain, probe: Contract) -> None:
    before = chain.balance(probe.address)
    probe.deposit(value=10**18, sender=chain.accounts[4])
    assert chain.balance(probe.address) == before + 10**18
    recipient = Address(keccak256(b"recipient")[:20])
    probe.pay(recipient, 12345)
    assert chain.balance(recipient) == 12345
    assert chain.balance(probe.address) == before + 10**18 - 12345
    chain.transact(recipient, value=5, sender=chain.accounts[5])  # a plain transfer to an account
    assert chain.balance(recipient) == 12350


# -- gas ------------------------------------------------------------------------------------------


def test_execution_gas_is_gas_used_less_the_intrinsic_gas(chain: Chain, probe: Contract) -> None:
    calldata = probe.store.calldata(2**255)
    receipt = chain.transact(probe.address, calldata)
    assert receipt.execution_gas == receipt.gas_used - chain.intrinsic_gas(calldata, creation=False)
    assert 2_000 < receipt.execution_gas < 30_000
    transfer = chain.transact(NOBODY, value=1)
    assert (transfer.gas_used, transfer.execution_gas) == (21_000, 0)
    deployment = probe.deployment
    assert deployment is not None and deployment.execution_gas is not None
    creation = probe.compiled.bytecode + (7).to_bytes(32, "big")
    assert deployment.execution_gas == deployment.gas_used - chain.intrinsic_gas(creation, creation=True)


def test_execution_gas_under_the_calldata_floor(chain: Chain, probe: Contract) -> None:
    """EIP-7623 (Prague) makes calldata-heavy transactions pay a floor that hides execution."""
    probe.store(1)
    plain = chain.transact(probe.address, probe.store.calldata(2))
    padded = probe.store.calldata(3) + b"\xff" * 3000  # ignored by the contract, priced by the floor
    floored = chain.transact(probe.address, padded)
    assert floored.gas_used == 21_000 + 10 * (padded.count(0) + 4 * (len(padded) - padded.count(0)))
    assert floored.gas_used > chain.intrinsic_gas(padded, creation=False) + plain.execution_gas
    assert floored.execution_gas == plain.execution_gas


# -- precompiles and missing code -----------------------------------------------------------------


def test_point_evaluation_precompile(chain: Chain) -> None:
    """The oracle's blob loader needs 0x0a (EIP-4844, Cancun). The empty blob's polynomial is zero:
    its commitment and every evaluation proof are the point at infinity, and p(z) = 0 for any z."""
    infinity = b"\xc0" + bytes(47)
    versioned_hash = b"\x01" + sha256(infinity)[1:]
    z = (12345).to_bytes(32, "big")
    output = chain.call(POINT_EVALUATION, versioned_hash + z + bytes(32) + infinity + infinity)
    modulus = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
    assert output == encode(["uint256", "uint256"], [4096, modulus])
    with pytest.raises(ExecutionReverted):  # p(z) = 1 is false
        chain.call(POINT_EVALUATION, versioned_hash + z + (1).to_bytes(32, "big") + infinity + infinity)


def test_calls_to_an_address_without_code(chain: Chain, probe: Contract) -> None:
    with pytest.raises(NoCodeError, match=rf"^no contract at {NOBODY}$"):
        chain.call(NOBODY, b"\x01")
    with pytest.raises(NoCodeError):
        chain.transact(NOBODY, b"\x01")
    with pytest.raises(NoCodeError):
        chain.at(NOBODY, probe.compiled)
    assert chain.at(probe.address, probe.compiled).stored() == probe.stored()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://127.0.0.1:9/rpc", "no-url"])
def test_a_node_that_does_not_answer(url: str) -> None:
    with pytest.raises(ChainError, match=rf"^JSON-RPC eth_chainId to {url} failed: .+") as raised:
        JsonRpcChain(url, timeout=5)
    assert "\n" not in str(raised.value)
