"""Hint routing: which data source fills the store for a hint (spec: preimage-oracle.md §4, §5.1).

A hint is ``<type> <argument>``: its type is the first space-separated word (``l1-block-header``,
``fetch-state``, …). A ``HintRouter`` hands the argument of each hint to the handler registered for
its type together with a ``PreimageSink`` (the host's store), and the handler puts the preimages the
hint implies; the sink verifies every one before it is stored (``verify.check_preimage``).

A hint never fails for the program: §5.1 acknowledges it even when handling failed, and a missing
preimage is only fatal when it is requested. So the router never raises for a hint either; a hint
of an unknown type, or whose handler raised, is *reported*: kept in ``unknown_hints`` /
``failed_hints`` and passed to ``on_unknown`` (the host process logs it).

Sources: ``FileSource`` (one file), ``DirectorySource`` (every file of a folder), ``PrecompileSource``
(precompile calls, run here) and ``JsonRpcSource`` (an EVM chain: block headers, transactions and
receipts, each checked against the block hash before it is stored).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from faultproof.crypto import keccak256
from faultproof.errors import PreimageError
from faultproof.jsonrpc import JsonRpcClient
from faultproof.preimage.keys import ADDRESS_SIZE, KEY_SIZE, KeyType, keccak256_key, sha256_key
from faultproof.preimage.verify import Evidence, PreimageEntry, precompile_entries

HINT_PREVIEW = 64  # how much of a hint a report shows


class PreimageSink(Protocol):
    """Where a hint handler puts preimages: a store that verifies each before keeping it."""

    def put(self, key: bytes, value: bytes, evidence: Evidence | None = None) -> None: ...

    def put_many(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Verify every item, then keep them all at once (one transaction on disk)."""
        ...


class HintHandler(Protocol):
    """Handles the argument of one hint type (everything after the first space) into a sink."""

    def __call__(self, argument: bytes, sink: PreimageSink) -> None: ...


class HintSource(Protocol):
    """A data source answering several hint types, e.g. ``JsonRpcSource``."""

    def handlers(self) -> Mapping[str, HintHandler]: ...


def put_entries(sink: PreimageSink, entries: Iterable[PreimageEntry]) -> None:
    """Put prepared entries (``verify.blob_entries``, ``verify.precompile_entries``) into a sink."""
    for entry in entries:
        sink.put(entry.key, entry.value, entry.evidence)


# -- the router -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnhandledHint:
    """A hint that stored nothing: its type has no handler, or the handler raised ``error``."""

    hint: bytes
    reason: str
    error: Exception | None = None

    def __str__(self) -> str:
        preview = self.hint[:HINT_PREVIEW].decode("ascii", errors="replace")
        ellipsis = "…" if len(self.hint) > HINT_PREVIEW else ""
        return f"hint '{preview}{ellipsis}': {self.reason}"


def hint_type(hint: bytes) -> tuple[str | None, bytes]:
    """``(type, argument)`` of a hint; the type is None when its first word is not ASCII."""
    kind, _, argument = hint.partition(b" ")
    try:
        return kind.decode("ascii"), argument
    except UnicodeDecodeError:
        return None, argument


class HintRouter:
    """Routes each hint to the handler of its type; reports, never drops, what it cannot handle."""

    def __init__(
        self,
        handlers: Mapping[str, HintHandler] | None = None,
        on_unknown: Callable[[UnhandledHint], None] | None = None,
    ) -> None:
        self._handlers: dict[str, HintHandler] = {}
        self.on_unknown = on_unknown
        self.unknown_hints: list[bytes] = []
        self.failed_hints: list[UnhandledHint] = []
        for kind, handler in (handlers or {}).items():
            self.register(kind, handler)

    @property
    def hint_types(self) -> list[str]:
        """The hint types that have a handler, sorted."""
        return sorted(self._handlers)

    def register(self, kind: str, handler: HintHandler) -> None:
        """Route hints of type ``kind`` to ``handler``; one handler per type."""
        if not kind or " " in kind:
            raise ValueError(f"a hint type is one word, got {kind!r}")
        if kind in self._handlers:
            raise ValueError(f"hint type {kind!r} already has a handler")
        self._handlers[kind] = handler

    def add_source(self, source: HintSource) -> None:
        """Register every hint type a source answers."""
        for kind, handler in source.handlers().items():
            self.register(kind, handler)

    def route(self, hint: bytes, sink: PreimageSink) -> UnhandledHint | None:
        """Handle one hint into ``sink``; returns (and reports) an ``UnhandledHint`` if it stored nothing."""
        kind, argument = hint_type(hint)
        handler = self._handlers.get(kind) if kind is not None else None
        if handler is None:
            self.unknown_hints.append(hint)
            return self._report(
                UnhandledHint(hint, f"no handler for hint type {kind or hint.partition(b' ')[0]!r}")
            )
        try:
            handler(argument, sink)
        except Exception as error:  # any failure of a source is reported, never raised (§5.1)
            unhandled = UnhandledHint(hint, f"{type(error).__name__}: {error}", error)
            self.failed_hints.append(unhandled)
            return self._report(unhandled)
        return None

    def _report(self, unhandled: UnhandledHint) -> UnhandledHint:
        if self.on_unknown is not None:
            self.on_unknown(unhandled)
        return unhandled


# -- files --------------------------------------------------------------------------------------


def _content_key(key_type: KeyType) -> Callable[[bytes], bytes]:
    if key_type == KeyType.KECCAK256:
        return keccak256_key
    if key_type == KeyType.SHA256:
        return sha256_key
    raise ValueError(f"a file is served under a keccak256 or sha256 key, not {key_type.name.lower()}")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise PreimageError(f"cannot read preimage file {path}: {error.strerror or error}") from error


class _ContentSource(ABC):
    """Stores files under the keys of their contents, once, on the first hint routed to it."""

    def __init__(self, path: Path | str, key_type: KeyType = KeyType.KECCAK256) -> None:
        self.path = Path(path)
        self.key_type = key_type
        self._key_of = _content_key(key_type)
        self._loaded = False

    @abstractmethod
    def _files(self) -> list[Path]:
        """The files to store, in a fixed order."""

    def __call__(self, argument: bytes, sink: PreimageSink) -> None:
        if self._loaded:
            return
        contents = [_read(file) for file in self._files()]
        sink.put_many((self._key_of(data), data) for data in contents)
        self._loaded = True


class FileSource(_ContentSource):
    """A hint handler that stores one file's bytes under the key of its content (keccak256 by default).

    The file is read on the first hint routed to it; the hint's argument is not used.
    """

    def _files(self) -> list[Path]:
        return [self.path]


class DirectorySource(_ContentSource):
    """A hint handler that stores every file directly in a folder under the key of its content.

    The folder is read once, on the first hint routed to it (in name order; subfolders are skipped).
    """

    def _files(self) -> list[Path]:
        try:
            return sorted(entry for entry in self.path.iterdir() if entry.is_file())
        except OSError as error:
            raise PreimageError(
                f"cannot list preimage folder {self.path}: {error.strerror or error}"
            ) from error


# -- precompiles --------------------------------------------------------------------------------

PRECOMPILE_HINT_PREFIX = ADDRESS_SIZE + 8  # address20 ‖ BE8(requiredGas)


class PrecompileSource:
    """Answers ``l1-precompile-v2 <0x address20 ‖ BE8(requiredGas) ‖ input>`` by running the
    precompile here (``precompiles``): the result under its key and the key preimage (§1.2, §1.3)."""

    def handlers(self) -> dict[str, HintHandler]:
        return {"l1-precompile-v2": self.precompile}

    def precompile(self, argument: bytes, sink: PreimageSink) -> None:
        text = argument.decode("ascii", errors="replace").strip().removeprefix("0x")
        try:
            call = bytes.fromhex(text)
        except ValueError:
            call = b""
        if len(call) < PRECOMPILE_HINT_PREFIX:
            raise PreimageError(
                f"expected 0x-hex of address ‖ requiredGas ‖ input, got {argument[:HINT_PREVIEW]!r}"
            )
        address = call[:ADDRESS_SIZE]
        required_gas = int.from_bytes(call[ADDRESS_SIZE:PRECOMPILE_HINT_PREFIX], "big")
        put_entries(sink, precompile_entries(address, required_gas, call[PRECOMPILE_HINT_PREFIX:]))


# -- an EVM chain over JSON-RPC ---------------------------------------------------------------------

Decoder = Callable[[str], int | bytes]


def _quantity(text: str) -> int:
    return int(text, 16)


def _data(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


# The block header, field by field in RLP order (Yellow Paper §4.3), then the fields each fork
# appended. A header has a prefix of the fork fields; its shape is the fork that produced it.
HEADER_FIELDS: tuple[tuple[str, Decoder], ...] = (
    ("parentHash", _data),
    ("sha3Uncles", _data),
    ("miner", _data),
    ("stateRoot", _data),
    ("transactionsRoot", _data),
    ("receiptsRoot", _data),
    ("logsBloom", _data),
    ("difficulty", _quantity),
    ("number", _quantity),
    ("gasLimit", _quantity),
    ("gasUsed", _quantity),
    ("timestamp", _quantity),
    ("extraData", _data),
    ("mixHash", _data),
    ("nonce", _data),
)
FORK_HEADER_FIELDS: tuple[tuple[str, Decoder, str], ...] = (
    ("baseFeePerGas", _quantity, "London, EIP-1559"),
    ("withdrawalsRoot", _data, "Shanghai, EIP-4895"),
    ("blobGasUsed", _quantity, "Cancun, EIP-4844"),
    ("excessBlobGas", _quantity, "Cancun, EIP-4844"),
    ("parentBeaconBlockRoot", _data, "Cancun, EIP-4788"),
    ("requestsHash", _data, "Prague, EIP-7685"),
)


# rlp and trie are imported on first use: they pull in eth-utils (about 0.1 s), which a host without
# a chain source never needs.


def encode_header(block: Mapping[str, Any]) -> bytes:
    """The RLP encoding of a block's header from its JSON-RPC form, for every shape up to Prague
    (and Osaka, whose header is Prague's)."""
    import rlp

    absent = [name for name, _ in HEADER_FIELDS if block.get(name) is None]
    if absent:
        raise PreimageError(f"block header has no {', '.join(absent)}")
    fields: list[int | bytes] = [decode(block[name]) for name, decode in HEADER_FIELDS]
    present = [block.get(name) is not None for name, _, _ in FORK_HEADER_FIELDS]
    count = present.index(False) if False in present else len(present)
    if any(present[count:]):
        missing = FORK_HEADER_FIELDS[count][0]
        extra = [name for (name, _, _), there in zip(FORK_HEADER_FIELDS, present, strict=True) if there]
        raise PreimageError(
            f"block header has {', '.join(extra)} but no {missing}: not a header shape of any fork"
        )
    fields += [decode(block[name]) for name, decode, _ in FORK_HEADER_FIELDS[:count]]
    return bytes(rlp.encode(fields))


def encode_receipt(receipt: Mapping[str, Any]) -> bytes:
    """The consensus encoding of a receipt (EIP-2718: ``type ‖ rlp(...)`` for typed ones)."""
    import rlp

    outcome: int | bytes = (
        _data(receipt["root"]) if receipt.get("root") else _quantity(receipt["status"])
    )  # a state root before Byzantium, the status after
    logs = [
        [_data(log["address"]), [_data(topic) for topic in log["topics"]], _data(log["data"])]
        for log in receipt["logs"]
    ]
    payload = bytes(
        rlp.encode([outcome, _quantity(receipt["cumulativeGasUsed"]), _data(receipt["logsBloom"]), logs])
    )
    tx_type = _quantity(receipt.get("type") or "0x0")
    return payload if tx_type == 0 else bytes([tx_type]) + payload


def ordered_trie(values: Sequence[bytes]) -> tuple[bytes, list[bytes]]:
    """``(root, nodes)`` of the Merkle-Patricia trie mapping ``rlp(i)`` to ``values[i]``.

    ``nodes`` are the nodes a reader walks from the root (each a keccak preimage, the root's
    included); nodes shorter than 32 bytes are embedded in their parent and have no key of their own.
    """
    import rlp
    from trie.hexary import HexaryTrie

    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    for index, value in enumerate(values):
        trie[rlp.encode(index)] = value
    root = trie.root_hash
    if not values:
        return root, [bytes(rlp.encode(b""))]
    nodes: list[bytes] = []
    pending = [root]
    while pending:
        node = db[pending.pop()]
        nodes.append(node)
        pending.extend(_child_references(rlp.decode(node)))
    return root, nodes


def _child_references(node: Any) -> Iterator[bytes]:
    """The hashes a decoded trie node refers to, looking into embedded children."""
    if len(node) == 17:  # branch: 16 children and a value
        children = node[:16]
    elif node[0] and node[0][0] >> 4 in (0, 1):  # extension (hex-prefix flag 0/1): one child
        children = [node[1]]
    else:  # leaf: a value, no children
        return
    for child in children:
        if isinstance(child, list):
            yield from _child_references(child)
        elif len(child) == KEY_SIZE:
            yield child


def parse_hash(argument: bytes) -> bytes:
    """A 32-byte hash from a hint argument: ``0x``-prefixed (or bare) hex."""
    text = argument.decode("ascii", errors="replace").strip().removeprefix("0x")
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != KEY_SIZE:
        raise PreimageError(f"expected a 32-byte hex hash, got {argument[:HINT_PREVIEW]!r}")
    return value


class JsonRpcSource:
    """An EVM chain reached over JSON-RPC (e.g. the L1 node), answering the op-program's L1 hints.

    * ``l1-block-header <0xhash>``: the RLP header, checked to hash to the block hash;
    * ``l1-transactions <0xhash>``: the header, the nodes of the transactions trie and every raw
      transaction (keccak preimages: a transaction's hash is the keccak of its encoding), checked
      against the header's ``transactionsRoot``;
    * ``l1-receipts <0xhash>``: the header and the receipts trie, checked against ``receiptsRoot``.
    """

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self._rpc = JsonRpcClient(url, PreimageError, timeout)

    def handlers(self) -> dict[str, HintHandler]:
        return {
            "l1-block-header": self.block_header,
            "l1-transactions": self.transactions,
            "l1-receipts": self.receipts,
        }

    # -- the hints --------------------------------------------------------------------------------

    def block_header(self, argument: bytes, sink: PreimageSink) -> None:
        _, header = self._header(parse_hash(argument))
        sink.put(keccak256_key(header), header)

    def transactions(self, argument: bytes, sink: PreimageSink) -> None:
        block, header = self._header(parse_hash(argument))
        raw = [self._raw_transaction(tx_hash) for tx_hash in block["transactions"]]
        root, nodes = ordered_trie(raw)
        self._expect_root(block, "transactionsRoot", root)
        sink.put_many((keccak256_key(value), value) for value in (header, *nodes, *raw))

    def receipts(self, argument: bytes, sink: PreimageSink) -> None:
        block_hash = parse_hash(argument)
        block, header = self._header(block_hash)
        receipts = self.call("eth_getBlockReceipts", "0x" + block_hash.hex())
        if receipts is None:
            raise PreimageError(f"{self.url} has no receipts for block 0x{block_hash.hex()}")
        root, nodes = ordered_trie([encode_receipt(receipt) for receipt in receipts])
        self._expect_root(block, "receiptsRoot", root)
        sink.put_many((keccak256_key(value), value) for value in (header, *nodes))

    # -- JSON-RPC ---------------------------------------------------------------------------------

    def call(self, method: str, *params: Any) -> Any:
        """One JSON-RPC request; raises ``PreimageError`` naming the method and the node."""
        return self._rpc.call(method, *params)

    def _header(self, block_hash: bytes) -> tuple[dict[str, Any], bytes]:
        block = self.call("eth_getBlockByHash", "0x" + block_hash.hex(), False)
        if block is None:
            raise PreimageError(f"{self.url} does not know block 0x{block_hash.hex()}")
        header = encode_header(block)
        if keccak256(header) != block_hash:
            raise PreimageError(
                f"the header {self.url} returned for block 0x{block_hash.hex()} hashes to "
                f"0x{keccak256(header).hex()}: a header shape this host does not know?"
            )
        return block, header

    def _raw_transaction(self, tx_hash: str) -> bytes:
        raw = self.call("eth_getRawTransactionByHash", tx_hash)
        if raw is None:
            raise PreimageError(f"{self.url} does not know transaction {tx_hash}")
        return _data(raw)

    def _expect_root(self, block: Mapping[str, Any], field: str, root: bytes) -> None:
        if _data(block[field]) != root:
            raise PreimageError(
                f"the trie of block {block['hash']} from {self.url} has root 0x{root.hex()}, "
                f"not its header's {field} {block[field]}"
            )
