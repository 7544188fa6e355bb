"""Hint routing, the in-process host, and the data sources (spec: preimage-oracle.md §2.1, §4, §5.1).

The JSON-RPC source runs against a real node: anvil from the npm registry, one per header shape
(Berlin, London, Shanghai, Cancun, Prague), with blocks of legacy, EIP-2930 and EIP-1559
transactions and a contract creation that logs. Without anvil these tests fail and say how to
install it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rlp

from anvil import Anvil, running_anvil
from faultproof.crypto import keccak256
from faultproof.errors import PreimageError, PreimageNotFound, PreimageRejected
from faultproof.ints import be64
from faultproof.preimage.hints import (
    DirectorySource,
    FileSource,
    HintRouter,
    JsonRpcSource,
    PrecompileSource,
    PreimageSink,
    UnhandledHint,
    encode_header,
    hint_type,
    ordered_trie,
    parse_hash,
    put_entries,
)
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import (
    InvalidPreimageKey,
    KeyType,
    keccak256_key,
    local_key,
    precompile_key,
    sha256_key,
)
from faultproof.preimage.precompiles import precompile_address
from faultproof.preimage.store import MemoryStore
from faultproof.preimage.verify import Evidence, precompile_entries


class RecordingSink:
    """A sink that verifies like a store and remembers the order of the puts."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.puts: list[bytes] = []

    def put(self, key: bytes, value: bytes, evidence: Evidence | None = None) -> None:
        self.store.put(key, value, evidence)
        self.puts.append(key)

    def put_many(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        pairs = list(items)
        self.store.put_many(pairs)
        self.puts.extend(key for key, _ in pairs)


# -- the router ---------------------------------------------------------------------------------


def store_argument(argument: bytes, sink: PreimageSink) -> None:
    sink.put(keccak256_key(argument), argument)


def explode(argument: bytes, sink: PreimageSink) -> None:
    raise RuntimeError(f"cannot fetch {argument.decode()}")


def test_hint_type_is_the_first_word() -> None:
    assert hint_type(b"l1-block-header 0xabc") == ("l1-block-header", b"0xabc")
    assert hint_type(b"fetch a b  c") == ("fetch", b"a b  c")
    assert hint_type(b"bare") == ("bare", b"")
    assert hint_type(b"") == ("", b"")
    assert hint_type(b"\xff\xfe x") == (None, b"x")


def test_router_routes_by_type() -> None:
    sink = RecordingSink()
    router = HintRouter({"fetch": store_argument})
    assert router.route(b"fetch faultproof", sink) is None
    assert sink.store.get(keccak256_key(b"faultproof")) == b"faultproof"
    assert router.route(b"fetch", sink) is None  # no argument: the empty one
    assert sink.store.get(keccak256_key(b"")) == b""
    assert router.unknown_hints == [] and router.failed_hints == []
    assert router.hint_types == ["fetch"]


def test_unknown_hints_are_reported_not_dropped() -> None:
    reports: list[UnhandledHint] = []
    router = HintRouter({"fetch": store_argument}, on_unknown=reports.append)
    sink = RecordingSink()
    hints = [b"l2-state-node 0x1234", b"", b"\xff binary", b"fetch-state abc"]
    returned = [router.route(hint, sink) for hint in hints]
    assert router.unknown_hints == hints
    assert [report.hint for report in reports] == hints
    assert returned == reports
    assert "no handler for hint type 'l2-state-node'" in str(reports[0])
    assert str(reports[0]).startswith("hint 'l2-state-node 0x1234': ")
    assert "b'\\xff'" in reports[2].reason
    assert all(report.error is None for report in reports)
    assert sink.puts == []


def test_a_failing_handler_is_reported_and_the_router_goes_on() -> None:
    reports: list[UnhandledHint] = []
    router = HintRouter({"explode": explode, "fetch": store_argument}, on_unknown=reports.append)
    sink = RecordingSink()
    unhandled = router.route(b"explode thing", sink)
    assert unhandled is not None and isinstance(unhandled.error, RuntimeError)
    assert unhandled.reason == "RuntimeError: cannot fetch thing"
    assert router.failed_hints == reports == [unhandled]
    assert router.unknown_hints == []
    assert router.route(b"fetch next", sink) is None
    assert sink.store.get(keccak256_key(b"next")) == b"next"


def test_a_handler_offering_a_wrong_preimage_is_reported() -> None:
    def lie(argument: bytes, sink: PreimageSink) -> None:
        sink.put(keccak256_key(argument), argument + b"!")

    sink = RecordingSink()
    router = HintRouter({"lie": lie})
    unhandled = router.route(b"lie abc", sink)
    assert unhandled is not None and isinstance(unhandled.error, PreimageRejected)
    assert keccak256_key(b"abc") not in sink.store


def test_register_checks_hint_types() -> None:
    router = HintRouter({"fetch": store_argument})
    with pytest.raises(ValueError, match="already has a handler"):
        router.register("fetch", explode)
    for bad in ("", "two words"):
        with pytest.raises(ValueError, match="one word"):
            router.register(bad, explode)
    router.add_source(JsonRpcSource("http://127.0.0.1:1"))
    assert router.hint_types == ["fetch", "l1-block-header", "l1-receipts", "l1-transactions"]


def test_put_entries_puts_prepared_entries() -> None:
    sink = RecordingSink()
    entries = precompile_entries(precompile_address(4), 18, b"faultproof")
    put_entries(sink, entries)
    assert sink.puts == [entry.key for entry in entries]
    assert sink.store.get(entries[0].key) == b"\x01faultproof"


def test_precompile_source() -> None:
    """op-program's ``l1-precompile-v2`` hint: the result and the key preimage become available."""
    address, call = precompile_address(2), b"abc"
    router = HintRouter()
    router.add_source(PrecompileSource())
    sink = RecordingSink()
    key_preimage = address + be64(72) + call
    assert router.route(b"l1-precompile-v2 0x" + key_preimage.hex().encode(), sink) is None
    assert sink.store.get(precompile_key(address, 72, call)) == b"\x01" + hashlib.sha256(call).digest()
    assert sink.store.get(keccak256_key(key_preimage)) == key_preimage
    for bad, reason in [
        (b"l1-precompile-v2 0x1234", "expected 0x-hex of address"),
        (b"l1-precompile-v2 0x" + (address + be64(71) + call).hex().encode(), "needs at least 72 gas"),
        (b"l1-precompile-v2 " + (precompile_address(0x20) + be64(9)).hex().encode(), "not a supported"),
    ]:
        unhandled = router.route(bad, sink)
        assert unhandled is not None and reason in unhandled.reason


# -- the host -----------------------------------------------------------------------------------


def test_host_serves_local_inputs_then_the_store() -> None:
    store = MemoryStore()
    store.put(keccak256_key(b"global"), b"global")
    store.put(local_key(9), b"local in the store")
    host = OracleHost(store, local_inputs={local_key(0): b"zero", local_key(1): b""})
    assert host.get_preimage(local_key(0)) == b"zero"
    assert host.get_preimage(local_key(1)) == b""
    assert host.get_preimage(local_key(9)) == b"local in the store"
    assert host.get_preimage(keccak256_key(b"global")) == b"global"
    for missing in (local_key(2), keccak256_key(b"other"), sha256_key(b"global")):
        with pytest.raises(PreimageNotFound) as raised:
            host.get_preimage(missing)
        assert raised.value.key == missing and missing.hex() in str(raised.value)


def test_host_rejects_malformed_keys_and_non_local_inputs() -> None:
    host = OracleHost(MemoryStore())
    with pytest.raises(InvalidPreimageKey, match="key type 0"):
        host.get_preimage(bytes(32))
    with pytest.raises(InvalidPreimageKey, match="32 bytes, got 31"):
        host.get_preimage(bytes([2]) * 31)
    with pytest.raises(InvalidPreimageKey, match="not"):
        OracleHost(MemoryStore(), local_inputs={keccak256_key(b"x"): b"x"})


def test_host_in_memory_verifies_global_preimages() -> None:
    host = OracleHost.in_memory({local_key(3): b"anything", keccak256_key(b"a"): b"a"})
    assert host.local_inputs == {local_key(3): b"anything"}
    assert host.get_preimage(keccak256_key(b"a")) == b"a"
    with pytest.raises(PreimageRejected):
        OracleHost.in_memory({keccak256_key(b"a"): b"b"})


def test_host_hints_fill_the_store_and_unhandled_ones_are_reported() -> None:
    """§4: a preimage becomes available once its hint was handled; §5.1: a hint never raises."""
    host_reports: list[UnhandledHint] = []
    router_reports: list[UnhandledHint] = []
    router = HintRouter({"fetch": store_argument, "explode": explode}, on_unknown=router_reports.append)
    host = OracleHost(MemoryStore(), router, on_unknown_hint=host_reports.append, record_hints=True)
    key = keccak256_key(b"faultproof")
    with pytest.raises(PreimageNotFound):
        host.get_preimage(key)
    host.hint(b"fetch faultproof")
    host.hint(b"unknown x")
    host.hint(b"explode y")
    assert host.get_preimage(key) == b"faultproof"
    assert host.hints == [b"fetch faultproof", b"unknown x", b"explode y"]
    assert [report.hint for report in host_reports] == [b"unknown x", b"explode y"]
    assert host_reports == router_reports
    assert router.unknown_hints == [b"unknown x"]


def test_host_records_hints_only_when_asked() -> None:
    host = OracleHost(MemoryStore())
    host.hint(b"one")
    assert host.hints == [] and host.router.unknown_hints == [b"one"]


# -- files --------------------------------------------------------------------------------------


def test_file_source(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"file contents")
    sink = RecordingSink()
    router = HintRouter({"keccak": FileSource(path), "sha": FileSource(str(path), KeyType.SHA256)})
    assert router.route(b"keccak", sink) is None
    assert router.route(b"sha ignored argument", sink) is None
    assert sink.store.get(keccak256_key(b"file contents")) == b"file contents"
    assert sink.store.get(sha256_key(b"file contents")) == b"file contents"


def test_file_source_reports_a_missing_file(tmp_path: Path) -> None:
    router = HintRouter({"fetch": FileSource(tmp_path / "missing.bin")})
    unhandled = router.route(b"fetch", RecordingSink())
    assert unhandled is not None and isinstance(unhandled.error, PreimageError)
    assert "cannot read preimage file" in unhandled.reason and "missing.bin" in unhandled.reason


def test_file_sources_serve_hash_keys_only(tmp_path: Path) -> None:
    for key_type in (KeyType.LOCAL, KeyType.BLOB, KeyType.PRECOMPILE):
        with pytest.raises(ValueError, match="keccak256 or sha256"):
            FileSource(tmp_path, key_type)
        with pytest.raises(ValueError, match="keccak256 or sha256"):
            DirectorySource(tmp_path, key_type)


def test_directory_source_loads_once_on_the_first_hint(tmp_path: Path) -> None:
    contents = [b"", b"alpha", b"beta" * 1000]
    for index, data in enumerate(contents):
        (tmp_path / f"{index}.bin").write_bytes(data)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.bin").write_bytes(b"nested")
    sink = RecordingSink()
    source = DirectorySource(tmp_path)
    router = HintRouter({"fetch-state": source, "fetch-diff": source})
    assert sink.puts == []  # nothing is read before a hint
    assert router.route(b"fetch-state 0xaa", sink) is None
    assert sink.puts == [keccak256_key(data) for data in contents]
    (tmp_path / "late.bin").write_bytes(b"late")
    assert router.route(b"fetch-diff 0xbb", sink) is None
    assert keccak256_key(b"late") not in sink.store
    assert keccak256_key(b"nested") not in sink.store
    assert len(sink.puts) == len(contents)


def test_directory_source_sha256_and_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    sink = RecordingSink()
    assert HintRouter({"f": DirectorySource(tmp_path, KeyType.SHA256)}).route(b"f", sink) is None
    assert sink.store.get(sha256_key(b"a")) == b"a"
    unhandled = HintRouter({"f": DirectorySource(tmp_path / "nowhere")}).route(b"f", sink)
    assert unhandled is not None and "cannot list preimage folder" in unhandled.reason


# -- JSON-RPC: encodings --------------------------------------------------------------------------


def test_parse_hash() -> None:
    digest = bytes(range(32))
    assert parse_hash(b"0x" + digest.hex().encode()) == digest
    assert parse_hash(digest.hex().encode()) == digest
    for bad in (b"0x1234", b"0x" + b"zz" * 32, b"", digest):
        with pytest.raises(PreimageError, match="expected a 32-byte hex hash"):
            parse_hash(bad)


def test_header_fields_must_be_a_fork_prefix() -> None:
    """A Prague field without the Cancun ones is no header of any fork: refused, not guessed."""
    block = {name: "0x00" for name in ("parentHash", "sha3Uncles", "miner", "stateRoot")}
    block |= {name: "0x00" for name in ("transactionsRoot", "receiptsRoot", "logsBloom", "extraData")}
    block |= {name: "0x0" for name in ("difficulty", "number", "gasLimit", "gasUsed", "timestamp")}
    block |= {"mixHash": "0x00", "nonce": "0x00", "baseFeePerGas": "0x7", "requestsHash": "0x00"}
    with pytest.raises(PreimageError, match="has baseFeePerGas, requestsHash but no withdrawalsRoot"):
        encode_header(block)
    del block["requestsHash"]
    assert len(rlp.decode(encode_header(block))) == 16
    del block["nonce"], block["mixHash"]
    with pytest.raises(PreimageError, match="block header has no mixHash, nonce"):
        encode_header(block)


def test_ordered_trie_of_nothing_is_the_empty_trie() -> None:
    root, nodes = ordered_trie([])
    assert root == keccak256(b"\x80") and nodes == [b"\x80"]


@pytest.mark.parametrize("count", [1, 2, 16, 17, 200])
def test_ordered_trie_nodes_lead_from_the_root_to_every_value(count: int) -> None:
    values = [bytes([i % 256]) * (1 + i % 40) for i in range(count)]
    root, nodes = ordered_trie(values)
    by_hash = {keccak256(node): node for node in nodes}
    assert root in by_hash and len(by_hash) == len(nodes)
    assert trie_leaves(by_hash, root) == sorted(values)


def trie_leaves(nodes: dict[bytes, bytes], root: bytes) -> list[bytes]:
    """Every value of a trie, read as a client would: each node fetched by its hash."""
    leaves: list[bytes] = []

    def walk(node: Any) -> None:
        if isinstance(node, bytes):
            if len(node) == 32:
                walk(rlp.decode(nodes[node]))
            return
        if len(node) == 17:
            for child in node[:16]:
                if child:
                    walk(child)
            if node[16]:
                leaves.append(node[16])
        elif node[0][0] >> 4 in (2, 3):
            leaves.append(node[1])
        else:
            walk(node[1])

    walk(rlp.decode(nodes[root]))
    return sorted(leaves)


# -- JSON-RPC against anvil -------------------------------------------------------------------------


# A contract creation whose init code logs one word under one topic: LOG1(0, 32, topic).
TOPIC = keccak256(b"faultproof")
LOGGING_INIT_CODE = "0x602a600052" + "7f" + TOPIC.hex() + "60206000a100"
# Header fields by fork: 15 before London, then one more for each field a fork appended.
HEADER_LENGTHS = {"berlin": 15, "london": 16, "shanghai": 17, "cancun": 20, "prague": 21}


@dataclass
class Chain:
    anvil: Anvil
    blocks: list[dict[str, Any]]  # every block, with its transaction hashes


def mine_blocks(anvil: Anvil) -> list[dict[str, Any]]:
    """An empty block, then blocks of several transactions of each type the fork has."""
    accounts = anvil.call("eth_accounts")  # unlocked: anvil signs for them
    gas_price = "0x77359400"  # 2 gwei, above any base fee here
    legacy = {"from": accounts[0], "to": accounts[1], "value": "0x1", "gasPrice": gas_price}
    access_list = {**legacy, "from": accounts[1], "to": accounts[2], "accessList": []}
    creation = {"from": accounts[2], "data": LOGGING_INIT_CODE, "gasPrice": gas_price, "gas": "0x30000"}
    batches: list[list[dict[str, Any]]] = [[], [legacy, access_list, creation]]
    if anvil.fork != "berlin":
        dynamic = {"from": accounts[0], "to": accounts[2], "value": "0x2", "maxFeePerGas": gas_price}
        batches.append([dynamic, {**dynamic, "value": "0x3"}, legacy])
    batches.append([{**legacy, "value": hex(value)} for value in range(1, 21)])
    anvil.call("evm_setAutomine", False)
    for batch in batches:
        for transaction in batch:
            anvil.call("eth_sendTransaction", transaction)
        anvil.call("evm_mine")
    latest = int(anvil.call("eth_blockNumber"), 16)
    return [anvil.call("eth_getBlockByNumber", hex(number), False) for number in range(latest + 1)]


@pytest.fixture(scope="module", params=list(HEADER_LENGTHS))
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    with running_anvil(request.param, tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        yield Chain(anvil, mine_blocks(anvil))


def test_anvil_blocks_have_the_expected_transactions(chain: Chain) -> None:
    counts = [len(block["transactions"]) for block in chain.blocks]
    assert counts == ([0, 0, 3, 20] if chain.anvil.fork == "berlin" else [0, 0, 3, 3, 20])
    types = {
        int(chain.anvil.call("eth_getTransactionByHash", tx_hash)["type"], 16)
        for block in chain.blocks
        for tx_hash in block["transactions"]
    }
    assert types == ({0, 1} if chain.anvil.fork == "berlin" else {0, 1, 2})


def test_l1_block_header_for_every_block(chain: Chain) -> None:
    sink = RecordingSink()
    router = HintRouter()
    router.add_source(JsonRpcSource(chain.anvil.url))
    blocks = well_formed(chain)
    for block in blocks:
        block_hash = bytes.fromhex(block["hash"][2:])
        assert router.route(b"l1-block-header " + block["hash"].encode(), sink) is None
        header = sink.store.get(typed_keccak(block_hash))
        assert header is not None and keccak256(header) == block_hash
        assert len(rlp.decode(header)) == HEADER_LENGTHS[chain.anvil.fork]
    assert router.failed_hints == [] and router.unknown_hints == []


def well_formed(chain: Chain) -> list[dict[str, Any]]:
    """The mined blocks. anvil makes up its genesis header: before Cancun it has Cancun's blob gas
    fields without the fields of the forks in between (see ``test_anvil_genesis``)."""
    return chain.blocks[1:]


def test_anvil_genesis(chain: Chain) -> None:
    """A header with a later fork's field but not an earlier one's is no fork's: refused, not guessed."""
    genesis = chain.blocks[0]
    genesis_hash = bytes.fromhex(genesis["hash"][2:])
    router = HintRouter()
    router.add_source(JsonRpcSource(chain.anvil.url))
    sink = RecordingSink()
    unhandled = router.route(b"l1-block-header " + genesis["hash"].encode(), sink)
    if chain.anvil.fork in ("berlin", "london"):
        assert unhandled is not None and "not a header shape of any fork" in unhandled.reason
        assert sink.puts == []
    else:
        assert unhandled is None
        assert keccak256(sink.store.get(typed_keccak(genesis_hash)) or b"") == genesis_hash


def typed_keccak(digest: bytes) -> bytes:
    return bytes([KeyType.KECCAK256]) + digest[1:]


def test_l1_transactions(chain: Chain) -> None:
    source = JsonRpcSource(chain.anvil.url)
    for block in well_formed(chain):
        sink = RecordingSink()
        source.transactions(block["hash"].encode(), sink)
        header = rlp.decode(sink.store.get(typed_keccak(bytes.fromhex(block["hash"][2:]))))
        transactions_root = header[4]
        nodes = {key: sink.store.get(key) for key in sink.puts}
        by_hash = {keccak256(value): value for value in nodes.values() if value is not None}
        raw = trie_leaves(by_hash, transactions_root)
        assert len(raw) == len(block["transactions"])
        # Each raw transaction is also stored as the keccak preimage of its hash.
        for tx_hash in block["transactions"]:
            value = sink.store.get(typed_keccak(bytes.fromhex(tx_hash[2:])))
            assert value is not None and keccak256(value).hex() == tx_hash[2:]
            assert value in raw


def test_l1_receipts(chain: Chain) -> None:
    source = JsonRpcSource(chain.anvil.url)
    logged = False
    for block in well_formed(chain):
        sink = RecordingSink()
        source.receipts(block["hash"].encode(), sink)
        header = rlp.decode(sink.store.get(typed_keccak(bytes.fromhex(block["hash"][2:]))))
        by_hash = {keccak256(value): value for value in map(sink.store.get, sink.puts) if value is not None}
        receipts = trie_leaves(by_hash, header[5])
        assert len(receipts) == len(block["transactions"])
        for receipt in receipts:
            fields = rlp.decode(receipt if receipt[0] >= 0xC0 else receipt[1:])
            assert fields[0] == b"\x01"  # status: success
            for address, topics, data in fields[3]:
                logged |= topics == [TOPIC] and data == (42).to_bytes(32, "big") and len(address) == 20
    assert logged, "the contract creation's log is in a stored receipt"


def test_unknown_block_and_tampered_answers_are_reported(chain: Chain) -> None:
    router = HintRouter()
    router.add_source(JsonRpcSource(chain.anvil.url))
    unknown = "0x" + "ab" * 32
    unhandled = router.route(f"l1-block-header {unknown}".encode(), RecordingSink())
    assert unhandled is not None and f"does not know block {unknown}" in unhandled.reason

    class Lying(JsonRpcSource):
        def call(self, method: str, *params: Any) -> Any:
            result = super().call(method, *params)
            if method == "eth_getBlockByHash" and result is not None:
                result["gasUsed"] = hex(int(result["gasUsed"], 16) + 1)
            return result

    block = chain.blocks[-1]
    sink = RecordingSink()
    with pytest.raises(PreimageError, match="hashes to"):
        Lying(chain.anvil.url).block_header(block["hash"].encode(), sink)
    assert sink.puts == []


def test_a_node_that_is_down_is_reported() -> None:
    router = HintRouter()
    router.add_source(JsonRpcSource("http://127.0.0.1:9", timeout=5))
    unhandled = router.route(b"l1-block-header 0x" + b"00" * 32, RecordingSink())
    assert unhandled is not None and isinstance(unhandled.error, PreimageError)
    assert "JSON-RPC eth_getBlockByHash to http://127.0.0.1:9 failed" in unhandled.reason
