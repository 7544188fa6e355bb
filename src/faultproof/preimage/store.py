"""Key/value stores of verified preimages: ``MemoryStore`` and the crash-safe on-disk ``DiskStore``.

Every ``put`` runs ``verify.check_preimage`` before anything is written, so a store never holds a value
the onchain oracle would not accept for its key (spec: preimage-oracle.md §1, §6.2). A key's value
never changes once stored:

* keccak256 and SHA-256 keys (types 2 and 4): the value *is* determined by the key, so putting a key
  again is a no-op and a different value cannot pass verification;
* every other key (local inputs, blob and precompile results, application types): putting the same
  value again is a no-op, and a *different* value is rejected with ``PreimageRejected``. For a local
  key this is a choice, made so that a store can never mix the inputs of two disputes, nor change an
  input under a program that has already read it (its run would no longer be reproducible); for blob
  and precompile keys it guards against a verifier weaker than the onchain loader.

``put_many`` verifies every item first and then writes them in one transaction: all or nothing. The
evidence of a blob or precompile key is only used to verify its value; it is not stored.

Storage engine of ``DiskStore``: SQLite (stdlib ``sqlite3``), chosen by measurement
----------------------------------------------------------------------------------

``benchmarks/preimage_store.py`` on the project's machine (2 cores, virtual disk, Python 3.11,
SQLite 3.40): 1,000,000 keccak preimages of 8–200 random bytes written in batches of 10,000, then
single writes (one transaction each) on the full store, then 1,000,000 random reads. Raw engines,
without verification. Figures on this shared machine vary a lot: the final run, and in brackets
the range over all runs of this workload (three to six per engine).

    engine                           batched writes/s   single writes/s     random reads/s     bytes/preimage
    SQLite WAL, synchronous=NORMAL   52 k [25–75 k]     21 k [3.5–21 k]     110 k [70–150 k]   167
    SQLite WAL, synchronous=FULL     52 k [28–52 k]     4.2 k [0.26–4.2 k]  101 k [80–101 k]   167
    LMDB 0.9.36 (py-lmdb 3.0), sync  89 k [62–97 k]     1.7 k [0.15–2.6 k]  324 k [244–475 k]  300
    append-only log + dict index     385 k [385–843 k]  185 k [185–265 k]   321 k [239–440 k]  144

Through the stores (verification on every put and get): ``DiskStore`` 38 k batched and 17 k single
writes/s, 72 k random reads/s, 168 bytes per preimage; ``MemoryStore`` 261 k batched and 279 k single
writes/s, 1.1 M reads/s. Checking a small keccak preimage costs about 2 µs.

* **Crash safety.** All three survive SIGKILL mid-write: SQLite's write-ahead log (WAL) appends
  checksummed frames and a transaction exists only once its commit frame is complete; LMDB is
  copy-on-write with an atomic meta-page switch; a log drops a torn tail by its checksums. After a
  power loss SQLite with ``synchronous=NORMAL`` is consistent and may have lost the last transactions
  (it syncs only at checkpoints, in an order that keeps the file consistent; ``FULL`` syncs every
  commit and keeps them, at a fifth of the single write rate or less). LMDB is consistent after a
  power loss only if it syncs every commit (``sync=False`` can corrupt the file): hence its slow
  single writes.
* **Concurrency.** SQLite WAL and LMDB give each reader a consistent snapshot while one writer
  commits, across processes, without blocking the writer. A log needs its own locking and an index
  in every reader process, rebuilt by scanning the file and kept up with its tail.
* **Throughput.** Keys are hashes, so B-tree inserts land on random leaves and a batch rewrites whole
  pages all over the tree (SQLite writes each one twice: to the WAL, then at a checkpoint). LMDB
  writes batches 1.7–2.8× and reads 3–5× faster than SQLite through Python, but takes 1.8× the
  space and, syncing every commit, is 3–12× slower for single writes, the path hint handlers using
  ``put`` take. An append-only log is fastest for writes, but its index lives in the RAM of every
  process (about 150 bytes per key in a dict: 1.5 GB per reader for 10 M preimages), it scans the
  whole file on open, and it is a storage engine we would have to write and maintain.
* **Damaged files.** Neither B-tree engine checksums its pages: flipping 1–4 random bytes of a small
  store (2,000 preimages) made both serve a wrong value in 85–92 % of the trials (so every read is
  verified, below). SQLite never crashed (420 trials); LMDB raised ``MDB_CORRUPTED`` or
  ``MDB_PAGE_NOTFOUND`` in 3 % of 1,000 trials and once killed the reading process with SIGBUS.
* **No native build.** ``sqlite3`` ships with CPython; py-lmdb has CPython 3.11 x86-64 wheels but is
  one more native dependency.

SQLite is the only candidate without a weak spot on safety, concurrency, single writes, space or
dependencies, and its throughput is far above what a host fetching preimages over RPC needs; LMDB is
the one to switch to (behind the same ``PreimageStore`` protocol) if bulk reads become the
bottleneck. Settings, each measured: WAL with ``synchronous=NORMAL``; a ``WITHOUT ROWID`` table keyed
by the 32-byte key (one B-tree, 167 bytes per small preimage, against 197 for a rowid table with a
unique index); batches inserted in key order; a checkpoint every 16,384 WAL pages instead of 1,000,
so that a leaf page dirtied by many commits is written back once; memory-mapped reads (with SQLite's
defaults for these last three: 34 k batched and 14 k single writes/s instead of 52 k and 21 k). A
64 MiB page cache was tried and dropped: beside the memory map it cut single writes by a third.

Why a record can never be served torn or damaged
------------------------------------------------

Both, by design: the format makes torn writes impossible, and reads re-check what they serve.

1. A torn write cannot become visible: a record is written inside a SQLite transaction, and the WAL's
   cumulative frame checksums make recovery ignore any transaction whose frames are not all complete
   (the tests kill writers with SIGKILL in the middle of 1 MiB writes, and cut or damage the WAL).
2. A damaged file (a flipped bit on disk, a bug, a copy gone wrong) is not something transactions can
   prevent, and SQLite has no page checksums; so ``get`` re-verifies every record: keccak256 and
   SHA-256 values are hashed again and compared with their key (about 2 µs for a small preimage, 3 ms
   for 1 MiB), every other value is stored with a 16-byte BLAKE2b checksum keyed by its preimage key,
   which binds it to that key too. A mismatch raises ``StoreCorrupted``; SQLite's own detection of a
   malformed page raises it too. ``__contains__`` and iteration only look at keys.

Layout and concurrency: ``DiskStore(path)`` is a folder holding ``preimages.sqlite3`` and, while it
is open, SQLite's ``-wal`` and ``-shm`` files. The folder must be on a local file system (WAL shares
memory between processes), and writable even for a ``readonly`` store, whose SQLite still needs the
``-shm`` file. Any number of processes may open the same store; writers are serialised
by SQLite (the design point is one writer and several readers), and readers see each committed
transaction whole. Within a process a store may be shared by threads; open it again after a
``fork``, never use the parent's object.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from faultproof.errors import PreimageRejected, StoreCorrupted, StoreError
from faultproof.preimage.keys import KeyType, describe_key, keccak256_key, sha256_key
from faultproof.preimage.verify import Evidence, PreimageEntry, check_preimage

StoreItem = PreimageEntry | tuple[bytes, bytes] | tuple[bytes, bytes, Evidence | None]
"""What ``put_many`` takes: a ``PreimageEntry`` or a ``(key, value)`` / ``(key, value, evidence)`` tuple."""


class PreimageStore(Protocol):
    """A key/value store of verified preimages."""

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or ``None``; raises ``StoreCorrupted`` rather than serve a
        value that fails its check."""
        ...

    def put(self, key: bytes, value: bytes, evidence: Evidence | None = None) -> None:
        """Verify ``value`` against ``key`` (``PreimageRejected``), then store it."""
        ...

    def put_many(self, items: Iterable[StoreItem]) -> None:
        """Verify every item, then store them all in one transaction (all or nothing)."""
        ...

    def __contains__(self, key: object) -> bool: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


# -- shared rules ---------------------------------------------------------------------------------

SELF_VERIFYING_TYPES = frozenset({KeyType.KECCAK256, KeyType.SHA256})
"""Key types whose value can be re-checked from the key alone: the key is a hash of the value."""

CHECKSUM_SIZE = 16


def record_checksum(key: bytes, value: bytes) -> bytes:
    """The integrity check stored beside a value whose key cannot check it: BLAKE2b keyed by the key."""
    return hashlib.blake2b(value, digest_size=CHECKSUM_SIZE, key=key).digest()


def _verified_items(items: Iterable[StoreItem]) -> list[tuple[bytes, bytes]]:
    """Every item as ``(key, value)`` bytes, each verified; raises before returning anything."""
    verified = []
    for item in items:
        if isinstance(item, PreimageEntry):
            key, value, evidence = item.key, item.value, item.evidence
        elif len(item) == 3:
            key, value, evidence = item
        else:
            key, value = item
            evidence = None
        key, value = bytes(key), bytes(value)
        check_preimage(key, value, evidence)
        verified.append((key, value))
    return verified


def _conflict(key: bytes) -> PreimageRejected:
    return PreimageRejected(f"{describe_key(key)} already holds another value; stored values never change")


# -- in memory ------------------------------------------------------------------------------------


class _ClosedOnExit(ABC):
    """``with store:`` closes the store at the end of the block."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class MemoryStore(_ClosedOnExit):
    """A ``PreimageStore`` in a dictionary, with the same rules as ``DiskStore``.

    Values are immutable ``bytes`` that were verified on the way in, so reads do not check again.
    """

    def __init__(self) -> None:
        self._values: dict[bytes, bytes] = {}
        self._write_lock = threading.Lock()

    def get(self, key: bytes) -> bytes | None:
        return self._values.get(key)

    def put(self, key: bytes, value: bytes, evidence: Evidence | None = None) -> None:
        self.put_many([(key, value, evidence)])

    def put_many(self, items: Iterable[StoreItem]) -> None:
        verified = _verified_items(items)
        with self._write_lock:
            new: dict[bytes, bytes] = {}
            for key, value in verified:
                stored = new.get(key, self._values.get(key))
                if stored is None:
                    new[key] = value
                elif stored != value:
                    raise _conflict(key)
            self._values.update(new)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, bytes) and key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[bytes]:
        """The stored keys (a snapshot)."""
        return iter(list(self._values))

    def close(self) -> None:
        pass


# -- on disk --------------------------------------------------------------------------------------

STORE_FILE = "preimages.sqlite3"
APPLICATION_ID = int.from_bytes(b"fpPS")  # SQLite header field naming the file's owner
FORMAT_VERSION = 1  # SQLite ``user_version``: bump with a migration when the schema changes

BUSY_TIMEOUT_SECONDS = 30.0
MMAP_BYTES = 1 << 30
CHECKPOINT_PAGES = 16384
WAL_SIZE_LIMIT = 64 << 20
ITERATION_CHUNK = 4096

_SCHEMA = "CREATE TABLE preimages (key BLOB PRIMARY KEY, value BLOB NOT NULL, checksum BLOB) WITHOUT ROWID"
_SELECT = "SELECT value, checksum FROM preimages WHERE key = ?"
_SELECT_VALUE = "SELECT value FROM preimages WHERE key = ?"
_SELECT_PRESENCE = "SELECT 1 FROM preimages WHERE key = ?"
_SELECT_KEYS_AFTER = "SELECT key FROM preimages WHERE key > ? ORDER BY key LIMIT ?"
_COUNT = "SELECT COUNT(*) FROM preimages"
_INSERT = "INSERT OR IGNORE INTO preimages (key, value, checksum) VALUES (?, ?, ?)"
_TABLES = "SELECT name FROM sqlite_schema WHERE type = 'table'"
_CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class DiskStore(_ClosedOnExit):
    """A ``PreimageStore`` in a SQLite database in the folder ``path`` (created if needed).

    ``readonly`` opens an existing store for reading only (``StoreError`` on any write, or if there is
    no store). Opening a path that exists but is not a store (a file, a folder with other content, a
    foreign database) raises ``StoreError`` and changes nothing. See the module docstring for the
    format, the concurrency rules and the checks on every read.
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._connection = self._open()

    # -- reading

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            connection = self._open_connection()
            try:
                row = connection.execute(_SELECT, (key,)).fetchone()
            except sqlite3.Error as error:
                raise self._failure("read", error) from error
        if row is None:
            return None
        value, checksum = row
        self._check_record(key, value, checksum)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, bytes):
            return False
        with self._lock:
            connection = self._open_connection()
            try:
                return connection.execute(_SELECT_PRESENCE, (key,)).fetchone() is not None
            except sqlite3.Error as error:
                raise self._failure("read", error) from error

    def __len__(self) -> int:
        """The number of stored preimages; SQLite counts the leaf pages, about 10 ms per million."""
        with self._lock:
            connection = self._open_connection()
            try:
                count: int = connection.execute(_COUNT).fetchone()[0]
            except sqlite3.Error as error:
                raise self._failure("count", error) from error
        return count

    def __iter__(self) -> Iterator[bytes]:
        """Every stored key in key order, read in chunks so that writes may go on meanwhile."""
        after = b""
        while True:
            with self._lock:
                connection = self._open_connection()
                try:
                    rows = connection.execute(_SELECT_KEYS_AFTER, (after, ITERATION_CHUNK)).fetchall()
                except sqlite3.Error as error:
                    raise self._failure("list", error) from error
            for (key,) in rows:
                if not isinstance(key, bytes):
                    raise StoreCorrupted(f"preimage store {self.path}: a key is not a byte string")
                yield key
            if len(rows) < ITERATION_CHUNK:
                return
            after = rows[-1][0]

    # -- writing

    def put(self, key: bytes, value: bytes, evidence: Evidence | None = None) -> None:
        self.put_many([(key, value, evidence)])

    def put_many(self, items: Iterable[StoreItem]) -> None:
        if self.readonly:
            raise StoreError(f"preimage store {self.path} is open read-only")
        verified = _verified_items(items)
        if not verified:
            return
        # Key order keeps consecutive inserts on neighbouring B-tree pages.
        verified.sort(key=itemgetter(0))
        rows = [(key, value, _stored_checksum(key, value)) for key, value in verified]
        unchecked = [(key, value) for key, value in verified if key[0] not in SELF_VERIFYING_TYPES]
        with self._lock:
            connection = self._open_connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany(_INSERT, rows)
                    for key, value in unchecked:
                        (stored,) = connection.execute(_SELECT_VALUE, (key,)).fetchone()
                        if stored != value:
                            raise _conflict(key)
                except BaseException:
                    if connection.in_transaction:  # SQLite rolls back by itself after some errors
                        connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                raise self._failure("write", error) from error

    # -- lifetime

    def close(self) -> None:
        """Close the database; the last process to close a store folds its WAL into the main file."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except sqlite3.Error as error:
                raise self._failure("close", error) from error

    def __repr__(self) -> str:
        mode = ", readonly=True" if self.readonly else ""
        return f"DiskStore({str(self.path)!r}{mode})"

    # -- internals

    def _open(self) -> sqlite3.Connection:
        database = self.path / STORE_FILE
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"{self.path} is not a preimage store: it is a file, not a folder")
        if not database.exists():
            self._prepare_new_folder()
        uri = database.resolve().as_uri() + ("?mode=ro" if self.readonly else "?mode=rwc")
        try:
            connection = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._failure("open", error) from error
        try:
            self._initialise(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare_new_folder(self) -> None:
        if self.readonly:
            raise StoreError(f"no preimage store at {self.path} (opened read-only, so none is created)")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            names = {entry.name for entry in self.path.iterdir()}
        except OSError as error:
            reason = error.strerror or error
            raise StoreError(f"cannot create preimage store {self.path}: {reason}") from error
        # A store is only created in an empty folder (or one another process has just created it in).
        if names and STORE_FILE not in names:
            raise StoreError(f"{self.path} is not a preimage store: the folder holds other files")

    def _initialise(self, connection: sqlite3.Connection) -> None:
        """Check that the database is a store of this format (creating it in an empty file), then tune
        the connection. Nothing is written to a database that is not a store."""
        try:
            if not self._is_store(connection):
                if self.readonly:
                    raise StoreError(f"{self.path} is not a preimage store (an empty database)")
                self._create_schema(connection)
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                raise StoreError(f"preimage store {self.path} is not in WAL mode")
            for pragma in (
                "synchronous=NORMAL",
                f"mmap_size={MMAP_BYTES}",
                "cell_size_check=ON",
                f"wal_autocheckpoint={CHECKPOINT_PAGES}",
                f"journal_size_limit={WAL_SIZE_LIMIT}",
                f"query_only={int(self.readonly)}",
            ):
                connection.execute(f"PRAGMA {pragma}")
        except sqlite3.Error as error:
            raise self._failure("open", error) from error

    def _is_store(self, connection: sqlite3.Connection) -> bool:
        """True for a store of this format, False for an empty database; raises for anything else."""
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        tables = {name for (name,) in connection.execute(_TABLES)}
        if application_id == 0 and not tables:
            return False
        if application_id != APPLICATION_ID:
            raise StoreError(f"{self.path / STORE_FILE} is a database, but not a preimage store")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version != FORMAT_VERSION:
            raise StoreError(
                f"preimage store {self.path} has format {version}; this code reads {FORMAT_VERSION}"
            )
        if "preimages" not in tables:
            raise StoreCorrupted(f"preimage store {self.path} has lost its table")
        return True

    def _create_schema(self, connection: sqlite3.Connection) -> None:
        # WAL mode cannot change inside a transaction; a crash right after it leaves an empty database,
        # which the next open initialises again.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            if not self._is_store(connection):  # another process may have won the race
                connection.execute(_SCHEMA)
                connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
                connection.execute(f"PRAGMA user_version={FORMAT_VERSION}")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError(f"preimage store {self.path} is closed")
        return self._connection

    def _check_record(self, key: bytes, value: object, checksum: object) -> None:
        if not isinstance(value, bytes):
            raise StoreCorrupted(f"preimage store {self.path}: {describe_key(key)} holds no byte string")
        kind = key[0]
        if kind == KeyType.KECCAK256:
            intact = checksum is None and keccak256_key(value) == key
        elif kind == KeyType.SHA256:
            intact = checksum is None and sha256_key(value) == key
        else:
            intact = checksum == record_checksum(key, value)
        if not intact:
            raise StoreCorrupted(f"preimage store {self.path}: {describe_key(key)} fails its integrity check")

    def _failure(self, action: str, error: sqlite3.Error) -> StoreError:
        kind = StoreCorrupted if getattr(error, "sqlite_errorcode", None) in _CORRUPTION_CODES else StoreError
        return kind(f"preimage store {self.path}: cannot {action}: {error}")


def _stored_checksum(key: bytes, value: bytes) -> bytes | None:
    """The ``checksum`` column of a record: none for a hash key (the key is the check), else BLAKE2b."""
    return None if key[0] in SELF_VERIFYING_TYPES else record_checksum(key, value)
