"""How fast preimage stores write and read a million small preimages, and how much disk they take.

    python benchmarks/preimage_store.py [-n 1000000] [--batch 10000] [--single N] [--single-seconds S]
                                        [--reads N] [--engines NAME ...] [--folder DIR]

Prints one table (no assertions). The workload: ``-n`` keccak256 preimages of 8–200 random bytes,
each engine starting from an empty folder:

* batched writes — all of them in transactions of ``--batch`` preimages (``put_many``);
* single writes — then more preimages, one transaction each (``put``), on the full store, until
  ``--single`` are written or ``--single-seconds`` have passed (slow durable commits need the limit);
* random reads — ``--reads`` reads of random stored keys;
* size on disk — the folder after ``close()``.

Engines:

* ``MemoryStore``, ``DiskStore`` — the stores of ``faultproof.preimage.store``, with verification
  on every put and the integrity check on every read;
* the raw storage candidates, without verification, that ``DiskStore``'s engine was chosen from:
  SQLite in WAL mode tuned as ``DiskStore`` is (``synchronous`` NORMAL or FULL), the same with
  SQLite's defaults for memory mapping and checkpoints, LMDB through py-lmdb (``pip install lmdb``;
  skipped if missing) syncing each commit, and an append-only log with a CRC per record and an
  in-memory dict index (the design of Bitcask: the upper bound of what a file can do).

Figures depend on the machine, its disk and its load; on a shared virtual machine they vary by tens
of percent between runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from faultproof.preimage.keys import keccak256_key
from faultproof.preimage.store import (
    CHECKPOINT_PAGES,
    MMAP_BYTES,
    DiskStore,
    MemoryStore,
    PreimageStore,
)

Item = tuple[bytes, bytes]


class Engine(Protocol):
    """What is measured: a store or a raw storage candidate."""

    def put_batch(self, items: list[Item]) -> None: ...

    def put_one(self, key: bytes, value: bytes) -> None: ...

    def get(self, key: bytes) -> bytes | None: ...

    def close(self) -> None: ...


# -- the stores ---------------------------------------------------------------------------------


class StoreEngine:
    """A ``PreimageStore`` as measured: ``put_many``, ``put`` and ``get``."""

    def __init__(self, store: PreimageStore) -> None:
        self.store = store

    def put_batch(self, items: list[Item]) -> None:
        self.store.put_many(items)

    def put_one(self, key: bytes, value: bytes) -> None:
        self.store.put(key, value)

    def get(self, key: bytes) -> bytes | None:
        return self.store.get(key)

    def close(self) -> None:
        self.store.close()


# -- raw candidates -----------------------------------------------------------------------------


class SqliteEngine:
    """One WAL-mode SQLite table keyed by the 32-byte key, as ``DiskStore`` uses it (``tuned``) or with
    SQLite's defaults for memory mapping, checkpoints and insertion order."""

    def __init__(self, folder: Path, synchronous: str, tuned: bool) -> None:
        self.connection = sqlite3.connect(folder / "preimages.sqlite3", isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute(f"PRAGMA synchronous={synchronous}")
        if tuned:
            self.connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            self.connection.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        self.connection.execute(
            "CREATE TABLE preimages (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
        )
        self.tuned = tuned

    def put_batch(self, items: list[Item]) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.executemany(
            "INSERT OR IGNORE INTO preimages VALUES (?, ?)", sorted(items) if self.tuned else items
        )
        self.connection.execute("COMMIT")

    def put_one(self, key: bytes, value: bytes) -> None:
        self.connection.execute("INSERT OR IGNORE INTO preimages VALUES (?, ?)", (key, value))

    def get(self, key: bytes) -> bytes | None:
        row = self.connection.execute("SELECT value FROM preimages WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.connection.close()


class LmdbEngine:
    """One LMDB environment, every commit synced (the only setting that survives a power loss)."""

    def __init__(self, folder: Path) -> None:
        import lmdb  # type: ignore[import-not-found]  # optional: only this candidate needs it

        self.environment = lmdb.open(str(folder), map_size=1 << 40, readahead=False)

    def put_batch(self, items: list[Item]) -> None:
        with self.environment.begin(write=True) as transaction:
            transaction.cursor().putmulti(items, overwrite=False)

    def put_one(self, key: bytes, value: bytes) -> None:
        with self.environment.begin(write=True) as transaction:
            transaction.put(key, value, overwrite=False)

    def get(self, key: bytes) -> bytes | None:
        with self.environment.begin() as transaction:
            return transaction.get(key)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.environment.close()


LOG_HEADER = struct.Struct("<32sI")  # key, value length; the value and a CRC-32 of both follow
LOG_CRC = struct.Struct("<I")


class LogEngine:
    """An append-only file of checksummed records and a dict from key to value offset (no fsync: like
    SQLite's NORMAL, a power loss can drop a tail, which the CRCs cut off when the log is scanned)."""

    def __init__(self, folder: Path) -> None:
        self.file = open(folder / "preimages.log", "ab")  # noqa: SIM115  # kept open until close()
        self.reader = os.open(folder / "preimages.log", os.O_RDONLY)
        self.end = 0
        self.index: dict[bytes, tuple[int, int]] = {}

    def put_batch(self, items: list[Item]) -> None:
        records = bytearray()
        for key, value in items:
            if key in self.index:
                continue
            record = LOG_HEADER.pack(key, len(value)) + value
            self.index[key] = (self.end + len(records) + LOG_HEADER.size, len(value))
            records += record
            records += LOG_CRC.pack(zlib.crc32(record))
        self.file.write(records)
        self.file.flush()
        self.end += len(records)

    def put_one(self, key: bytes, value: bytes) -> None:
        self.put_batch([(key, value)])

    def get(self, key: bytes) -> bytes | None:
        entry = self.index.get(key)
        if entry is None:
            return None
        offset, length = entry
        return os.pread(self.reader, length, offset)

    def close(self) -> None:
        self.file.close()
        os.close(self.reader)


def lmdb_available() -> bool:
    try:
        import lmdb  # noqa: F401
    except ImportError:
        return False
    return True


ENGINES: dict[str, Callable[[Path], Engine]] = {
    "MemoryStore": lambda folder: StoreEngine(MemoryStore()),
    "DiskStore": lambda folder: StoreEngine(DiskStore(folder)),
    "SQLite WAL NORMAL (raw)": lambda folder: SqliteEngine(folder, "NORMAL", tuned=True),
    "SQLite WAL FULL (raw)": lambda folder: SqliteEngine(folder, "FULL", tuned=True),
    "SQLite WAL NORMAL, defaults (raw)": lambda folder: SqliteEngine(folder, "NORMAL", tuned=False),
    "LMDB, sync (raw)": LmdbEngine,
    "append-only log (raw)": LogEngine,
}


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    engine: str
    batched_per_second: float
    single_per_second: float
    reads_per_second: float
    size_bytes: int
    preimages: int


def preimages(count: int, seed: int) -> list[Item]:
    """``count`` keccak256 preimages of 8–200 random bytes with their keys."""
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        value = rng.randbytes(rng.randint(8, 200))
        items.append((keccak256_key(value), value))
    return items


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(
    name: str, folder: Path, items: list[Item], extra: list[Item], args: argparse.Namespace
) -> Result:
    folder.mkdir()
    engine = ENGINES[name](folder)

    start = time.perf_counter()
    for first in range(0, len(items), args.batch):
        engine.put_batch(items[first : first + args.batch])
    batched = len(items) / (time.perf_counter() - start)

    start = time.perf_counter()
    written = 0
    deadline = start + args.single_seconds
    for key, value in extra:
        engine.put_one(key, value)
        written += 1
        if time.perf_counter() > deadline:
            break
    single = written / (time.perf_counter() - start)

    rng = random.Random(3)
    keys = [items[rng.randrange(len(items))][0] for _ in range(args.reads)]
    start = time.perf_counter()
    for key in keys:
        if engine.get(key) is None:
            raise SystemExit(f"{name}: a stored preimage is missing")
    reads = args.reads / (time.perf_counter() - start)

    engine.close()
    return Result(name, batched, single, reads, folder_size(folder), len(items) + written)


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"{args.n:,} keccak256 preimages of 8–200 bytes, batches of {args.batch:,}, "
        f"{args.reads:,} random reads — Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()}"
    )
    header = ("engine", "batched writes/s", "single writes/s", "random reads/s", "size MiB", "bytes/preimage")
    rows = [
        (
            result.engine,
            f"{result.batched_per_second:,.0f}",
            f"{result.single_per_second:,.0f}",
            f"{result.reads_per_second:,.0f}",
            f"{result.size_bytes / 2**20:,.1f}" if result.size_bytes else "—",
            f"{result.size_bytes / result.preimages:,.0f}" if result.size_bytes else "—",
        )
        for result in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1_000_000, help="preimages written (default: %(default)s)")
    parser.add_argument(
        "--batch", type=int, default=10_000, help="preimages per batch (default: %(default)s)"
    )
    parser.add_argument(
        "--single", type=int, default=20_000, help="single writes at most (default: %(default)s)"
    )
    parser.add_argument(
        "--single-seconds",
        type=float,
        default=10.0,
        help="time limit of the single writes (default: %(default)s)",
    )
    parser.add_argument("--reads", type=int, default=1_000_000, help="random reads (default: %(default)s)")
    parser.add_argument(
        "--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES), help="engines (default: all)"
    )
    parser.add_argument(
        "--folder", type=Path, help="where the stores are written (default: a temporary folder)"
    )
    args = parser.parse_args(argv)

    engines = [name for name in args.engines if lmdb_available() or "LMDB" not in name]
    for skipped in sorted(set(args.engines) - set(engines)):
        print(f"skipping {skipped}: pip install lmdb", file=sys.stderr)
    items = preimages(args.n, seed=1)
    extra = preimages(args.single, seed=2)
    base = Path(tempfile.mkdtemp(prefix="preimage-store-", dir=args.folder))
    results = []
    try:
        for index, name in enumerate(engines):
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            results.append(measure(name, base / f"engine-{index}", items, extra, args))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print_table(results, args)


if __name__ == "__main__":
    main(sys.argv[1:])
