"""Preimage stores: the rules every store keeps, persistence, read-only mode, one writer and several
readers in other processes, crash safety under SIGKILL and torn WAL files, and damaged files
(``faultproof.preimage.store``). Everything runs on real SQLite files and real processes."""

from __future__ import annotations

import multiprocessing
import random
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from faultproof.errors import PreimageError, PreimageRejected, StoreCorrupted, StoreError
from faultproof.preimage.keys import KeyType, keccak256_key, local_key, sha256_key
from faultproof.preimage.store import STORE_FILE, DiskStore, MemoryStore, PreimageStore
from faultproof.preimage.verify import PreimageEntry, check_preimage

# Spawned children import this module afresh: no forked SQLite handles, no inherited test state.
SPAWN = multiprocessing.get_context("spawn")
CHILD_START_SECONDS = 60.0

Item = tuple[bytes, bytes]


def keccak_item(value: bytes) -> Item:
    return keccak256_key(value), value


def local_value(index: int) -> bytes:
    """The one value local input ``index`` has in every test (a store never changes a stored value)."""
    return random.Random(f"local {index}").randbytes(8 + index % 300)


def local_item(index: int) -> Item:
    return local_key(index), local_value(index)


def expected_value(key: bytes) -> bytes | None:
    """What a key may hold in the crash tests, where keccak and local keys are used: None if unknown."""
    if key[0] == KeyType.LOCAL:
        return local_value(int.from_bytes(key[24:]))
    return None


def assert_serves_only_verified(store: DiskStore) -> int:
    """Every stored key serves a value that belongs to it; returns how many keys there are."""
    count = 0
    for key in store:
        value = store.get(key)
        assert value is not None
        check_preimage(key, value)
        local = expected_value(key)
        assert local is None or value == local
        count += 1
    return count


@pytest.fixture(params=["memory", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PreimageStore]:
    """Each store kind, empty."""
    opened: PreimageStore = MemoryStore() if request.param == "memory" else DiskStore(tmp_path / "store")
    with opened:
        yield opened


# -- the rules of every store -------------------------------------------------------------------------


def test_round_trip(store: PreimageStore) -> None:
    items = [
        keccak_item(b""),
        keccak_item(b"faultproof"),
        (sha256_key(b"faultproof"), b"faultproof"),
        local_item(1),
    ]
    for key, value in items:
        store.put(key, value)
    for key, value in items:
        assert store.get(key) == value
        assert key in store
    assert len(store) == len(items)
    assert store.get(keccak256_key(b"missing")) is None
    assert keccak256_key(b"missing") not in store
    assert "not a key" not in store
    assert store.get(b"short") is None


def test_put_many_takes_entries_and_tuples(store: PreimageStore) -> None:
    big = bytes(range(256)) * 4096
    store.put_many(
        [
            PreimageEntry(*keccak_item(b"entry")),
            keccak_item(big),
            (*keccak_item(b"with evidence"), None),
            keccak_item(b"entry"),  # repeated in the batch: stored once
        ]
    )
    assert store.get(keccak256_key(big)) == big
    assert store.get(keccak256_key(b"with evidence")) == b"with evidence"
    assert len(store) == 3
    store.put_many([])
    assert len(store) == 3


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (keccak256_key(b"right"), b"wrong"),
        (sha256_key(b"right"), b"wrong"),
        (keccak256_key(b"right")[:31], b"right"),  # a key has 32 bytes
        (bytes(32), b""),  # type 0 is illegal
    ],
)
def test_rejects_wrong_values_before_storing(store: PreimageStore, key: bytes, value: bytes) -> None:
    with pytest.raises(PreimageRejected):
        store.put(key, value)
    with pytest.raises(PreimageRejected):
        store.put_many([keccak_item(b"fine"), (key, value)])
    assert store.get(key) is None
    assert store.get(keccak256_key(b"fine")) is None  # the whole batch was refused
    assert len(store) == 0


def test_a_stored_value_never_changes(store: PreimageStore) -> None:
    key, value = local_item(7)
    store.put(key, value)
    store.put(key, value)  # the same value again: a no-op
    store.put_many([(key, value), keccak_item(b"again")])
    with pytest.raises(PreimageRejected, match="already holds another value"):
        store.put(key, b"another input")
    with pytest.raises(PreimageRejected):
        store.put_many([keccak_item(b"in the same batch"), (key, b"another input")])
    with pytest.raises(PreimageRejected):  # two values for one new key in one batch
        store.put_many([(local_key(8), b"a"), (local_key(8), b"b")])
    assert store.get(key) == value
    assert store.get(keccak256_key(b"in the same batch")) is None
    assert store.get(local_key(8)) is None
    assert len(store) == 2


def test_precompile_results_are_stored_with_their_evidence(store: PreimageStore) -> None:
    pytest.importorskip("eth", reason="precompile verification runs py-evm")
    from faultproof.preimage.precompiles import precompile_address
    from faultproof.preimage.verify import precompile_entries

    entries = precompile_entries(precompile_address(4), 18, b"identity")  # the identity precompile
    store.put_many(entries)
    for entry in entries:
        assert store.get(entry.key) == entry.value
    result = entries[0]
    with pytest.raises(PreimageRejected):
        store.put(result.key, b"\x01forged", result.evidence)
    with pytest.raises(PreimageRejected):
        store.put(result.key, result.value)  # no evidence: nothing proves the value
    assert store.get(result.key) == result.value


def test_threads_share_a_store(store: PreimageStore) -> None:
    errors: list[BaseException] = []

    def write(first: int) -> None:
        for batch in range(20):
            store.put_many(keccak_item(b"%d-%d" % (first, i)) for i in range(batch * 10, batch * 10 + 10))

    def read() -> None:
        for _ in range(2000):
            value = store.get(keccak256_key(b"0-5"))
            assert value in (None, b"0-5")

    def guarded(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                action()
            except BaseException as error:
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(lambda first=first: write(first))) for first in range(2)]
    threads += [threading.Thread(target=guarded(read)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store) == 400


# -- the disk store: persistence, modes, what is not a store ----------------------------------------


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    items = [keccak_item(random.Random(i).randbytes(i)) for i in range(0, 3000, 7)] + [local_item(3)]
    with DiskStore(tmp_path / "a" / "b") as store:  # parent folders are created too
        store.put_many(items[:-1])
        store.put(*items[-1])
    with DiskStore(tmp_path / "a" / "b") as store:
        assert len(store) == len(items)
        assert sorted(store) == sorted(key for key, _ in items)
        for key, value in items:
            assert store.get(key) == value
        store.put(*keccak_item(b"still writable"))
    assert sorted(path.name for path in (tmp_path / "a" / "b").iterdir()) == [STORE_FILE]


def test_readonly(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no preimage store"):
        DiskStore(tmp_path / "missing", readonly=True)
    assert not (tmp_path / "missing").exists()

    with DiskStore(tmp_path / "store") as writer:
        writer.put(*keccak_item(b"first"))
        with DiskStore(tmp_path / "store", readonly=True) as reader:
            assert reader.get(keccak256_key(b"first")) == b"first"
            writer.put(*keccak_item(b"second"))  # the writer keeps writing while a reader is open
            assert reader.get(keccak256_key(b"second")) == b"second"
            for write in (
                lambda: reader.put(*keccak_item(b"x")),
                lambda: reader.put_many([keccak_item(b"x")]),
            ):
                with pytest.raises(StoreError, match="read-only"):
                    write()
            assert keccak256_key(b"x") not in reader
            assert repr(reader).endswith("readonly=True)")


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = DiskStore(tmp_path / "store")
    store.close()
    store.close()  # closing twice is fine
    with pytest.raises(StoreError, match="closed"):
        store.get(keccak256_key(b""))
    with pytest.raises(StoreError, match="closed"):
        store.put(*keccak_item(b""))


def test_what_is_not_a_store(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_bytes(b"data")
    with pytest.raises(StoreError, match="not a folder"):
        DiskStore(a_file)

    crowded = tmp_path / "crowded"
    crowded.mkdir()
    (crowded / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="holds other files"):
        DiskStore(crowded)
    assert [path.name for path in crowded.iterdir()] == ["notes.txt"]

    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / STORE_FILE).write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        DiskStore(garbage)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / STORE_FILE) as connection:
        connection.execute("CREATE TABLE accounts (name TEXT)")
    connection.close()
    before = (foreign / STORE_FILE).read_bytes()
    for readonly in (False, True):
        with pytest.raises(StoreError, match="not a preimage store"):
            DiskStore(foreign, readonly=readonly)
    assert (foreign / STORE_FILE).read_bytes() == before  # not even switched to WAL mode


def test_future_format_is_refused(tmp_path: Path) -> None:
    DiskStore(tmp_path / "store").close()
    with sqlite3.connect(tmp_path / "store" / STORE_FILE) as connection:
        connection.execute("PRAGMA user_version=2")
    connection.close()
    with pytest.raises(StoreError, match="format 2"):
        DiskStore(tmp_path / "store")


def test_empty_database_left_by_a_crash_during_creation_is_initialised(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    connection = sqlite3.connect(tmp_path / "store" / STORE_FILE)
    connection.execute("PRAGMA journal_mode=WAL")  # the first step of creating a store, then the crash
    connection.close()
    with DiskStore(tmp_path / "store") as store:
        store.put(*keccak_item(b"after"))
        assert len(store) == 1


def test_store_errors_are_preimage_errors() -> None:
    assert issubclass(StoreCorrupted, StoreError)
    assert issubclass(StoreError, PreimageError)


# -- one writer, several reader processes -----------------------------------------------------------

CONCURRENT_BATCHES = 100
CONCURRENT_BATCH_SIZE = 30


def concurrent_batch(batch: int) -> list[Item]:
    """Batch ``batch`` of the concurrency test: small values and now and then a 64 KiB one."""
    rng = random.Random(f"batch {batch}")
    sizes = [65536 if rng.random() < 0.02 else rng.randint(8, 1000) for _ in range(CONCURRENT_BATCH_SIZE)]
    return [keccak_item(rng.randbytes(size)) for size in sizes]


def concurrent_writer(path: str, start: Barrier) -> None:
    with DiskStore(Path(path)) as store:
        start.wait(CHILD_START_SECONDS)
        for batch in range(CONCURRENT_BATCHES):
            items = concurrent_batch(batch)
            if batch % 3 == 0:
                for key, value in items:
                    store.put(key, value)  # one transaction each, in the batch's order
            else:
                store.put_many(items)


def concurrent_reader(
    path: str, readonly: bool, start: Barrier, finished: Event, report: Synchronized[int]
) -> None:
    """Read every batch last key first, over and over: once a key is present, every key written before
    it must be present and whole, and a batch once seen complete never disappears.
    Reports how many batches it saw missing and complete (as ``missing * 1_000_000 + complete``)."""
    batches = [concurrent_batch(batch) for batch in range(CONCURRENT_BATCHES)]
    complete_seen = [False] * CONCURRENT_BATCHES
    missing = complete = 0
    with DiskStore(Path(path), readonly=readonly) as store:
        start.wait(CHILD_START_SECONDS)
        while True:
            last_pass = finished.is_set()
            for batch, items in enumerate(batches):
                present_so_far = False
                for key, value in reversed(items):
                    served = store.get(key)
                    if served is None:
                        assert not present_so_far, f"batch {batch} is partly visible"
                        assert not complete_seen[batch], f"batch {batch} disappeared"
                    else:
                        assert served == value, f"batch {batch} serves a wrong value"
                        present_so_far = True
                if present_so_far:
                    complete_seen[batch] = True
                    complete += 1
                else:
                    missing += 1
            if last_pass:
                break
    assert all(complete_seen), "the reader did not see every batch at the end"
    report.value = missing * 1_000_000 + complete


def test_one_writer_and_two_reader_processes(tmp_path: Path) -> None:
    path = tmp_path / "store"
    DiskStore(path).close()
    start = SPAWN.Barrier(3)
    finished = SPAWN.Event()
    reports = [SPAWN.Value("q", -1) for _ in range(2)]
    writer = SPAWN.Process(target=concurrent_writer, args=(str(path), start))
    readers = [
        SPAWN.Process(target=concurrent_reader, args=(str(path), readonly, start, finished, report))
        for readonly, report in zip((True, False), reports, strict=True)
    ]
    processes = [writer, *readers]
    try:
        for process in processes:
            process.start()
        writer.join(CHILD_START_SECONDS)
        finished.set()
        for reader in readers:
            reader.join(CHILD_START_SECONDS)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    assert [process.exitcode for process in processes] == [0, 0, 0]
    for report in reports:
        assert report.value % 1_000_000 >= CONCURRENT_BATCHES  # at least the final pass
    # The readers overlapped the writer: together they saw batches before they were written.
    assert sum(report.value // 1_000_000 for report in reports) > 0
    with DiskStore(path) as store:
        assert len(store) == len(
            {key for batch in range(CONCURRENT_BATCHES) for key, _ in concurrent_batch(batch)}
        )


# -- crash safety -----------------------------------------------------------------------------------


def crash_batches(seed: int) -> Iterator[list[Item]]:
    """An endless, reproducible stream of writes: single puts and batches, small and large (to 1 MiB)
    keccak preimages, and local inputs (whose values never depend on the seed)."""
    rng = random.Random(seed)
    while True:
        choice = rng.random()
        if choice < 0.35:
            yield [keccak_item(rng.randbytes(rng.randint(8, 200)))]
        elif choice < 0.65:
            yield [keccak_item(rng.randbytes(rng.randint(8, 200))) for _ in range(rng.randint(2, 300))]
        elif choice < 0.85:
            yield [keccak_item(rng.randbytes(rng.randint(1024, 1 << 20)))]
        elif choice < 0.95:
            batch = [keccak_item(rng.randbytes(rng.randint(8, 1 << 18))) for _ in range(rng.randint(2, 8))]
            yield [*batch, local_item(rng.randrange(1000))]
        else:
            yield [local_item(rng.randrange(1000))]


def crash_writer(path: str, seed: int, committed: Synchronized[int]) -> None:
    """Write ``crash_batches(seed)`` until killed, counting the batches that were committed."""
    with DiskStore(Path(path)) as store:
        for index, batch in enumerate(crash_batches(seed)):
            if len(batch) == 1:
                store.put(*batch[0])
            else:
                store.put_many(batch)
            committed.value = index + 1


def kill_writers(path: Path, rounds: int, seed: int) -> None:
    """Kill a writer process at a random moment, ``rounds`` times on the same store; after each kill
    every stored key serves a verified value, every committed batch is there, and the store writes."""
    rng = random.Random(seed)
    for round_ in range(rounds):
        committed = SPAWN.Value("q", 0)
        writer = SPAWN.Process(target=crash_writer, args=(str(path), seed * 1000 + round_, committed))
        writer.start()
        if round_ % 3 == 0:
            time.sleep(rng.uniform(0.2, 1.0))  # may hit the start, the open, SQLite's recovery, or writes
        else:
            deadline = time.monotonic() + CHILD_START_SECONDS
            while committed.value == 0 and writer.is_alive() and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.4))  # in the middle of writing
        writer.kill()  # SIGKILL
        writer.join()
        assert writer.exitcode == -9, "the writer ended before it was killed"

        with DiskStore(path) as store:
            count = assert_serves_only_verified(store)
            assert count == len(store)
            batches = crash_batches(seed * 1000 + round_)
            for _ in range(committed.value):  # what was committed before the kill survived it
                for key, value in next(batches):
                    assert store.get(key) == value
            store.put(*keccak_item(b"written after round %d" % round_))


def test_sigkill_in_the_middle_of_writes(tmp_path: Path) -> None:
    kill_writers(tmp_path / "store", rounds=6, seed=1)


@pytest.mark.slow
def test_sigkill_in_the_middle_of_writes_many_rounds(tmp_path: Path) -> None:
    kill_writers(tmp_path / "store", rounds=20, seed=2)


def test_torn_write_ahead_log(tmp_path: Path) -> None:
    """A power loss can leave the WAL cut anywhere or with a damaged frame: the store then serves the
    transactions before the damage, whole, and nothing else."""
    batches = [
        [keccak_item(random.Random(f"{b} {i}").randbytes(50 + 997 * i)) for i in range(12)] for b in range(30)
    ]
    live = tmp_path / "live"
    with DiskStore(live) as store:
        for batch in batches:
            store.put_many(batch)
        # Snapshot the files of the open store: its transactions are all still in the WAL.
        database = (live / STORE_FILE).read_bytes()
        wal = (live / f"{STORE_FILE}-wal").read_bytes()
    assert len(wal) > 100_000

    rng = random.Random(3)
    for trial in range(12):
        damaged = bytearray(wal)
        if trial % 2:
            del damaged[rng.randrange(len(wal)) :]
        else:
            damaged[rng.randrange(32, len(wal))] ^= 1 << rng.randrange(8)
        copy = tmp_path / f"copy-{trial}"
        copy.mkdir()
        (copy / STORE_FILE).write_bytes(database)
        (copy / f"{STORE_FILE}-wal").write_bytes(damaged)
        with DiskStore(copy) as store:
            present = [all(key in store for key, _ in batch) for batch in batches]
            partial = [
                any(key in store for key, _ in batch) and not whole
                for batch, whole in zip(batches, present, strict=True)
            ]
            assert not any(partial), "a transaction survived in part"
            assert present == sorted(present, reverse=True), "a later transaction survived an earlier one"
            assert_serves_only_verified(store)
            store.put(*keccak_item(b"still writable"))


# -- damaged files ----------------------------------------------------------------------------------


def damaged_store_items() -> list[Item]:
    rng = random.Random(11)
    items = [keccak_item(rng.randbytes(rng.randint(8, 300))) for _ in range(300)]
    items += [keccak_item(rng.randbytes(20_000)) for _ in range(3)]  # overflow pages
    sha = [rng.randbytes(64) for _ in range(20)]
    items += [(sha256_key(value), value) for value in sha]
    items += [local_item(index) for index in range(20)]
    return items


def build_store(path: Path, items: list[Item]) -> bytes:
    """A closed store of ``items`` (its WAL folded into the main file); returns the file's bytes."""
    with DiskStore(path) as store:
        store.put_many(items)
    assert not (path / f"{STORE_FILE}-wal").exists()
    return (path / STORE_FILE).read_bytes()


@pytest.mark.parametrize("kind", ["keccak256", "sha256", "local"])
def test_a_damaged_value_is_detected(tmp_path: Path, kind: str) -> None:
    rng = random.Random(kind)
    value = rng.randbytes(100)
    key = {"keccak256": keccak256_key(value), "sha256": sha256_key(value), "local": local_key(5000)}[kind]
    neighbours = [keccak_item(rng.randbytes(100)) for _ in range(50)]
    data = bytearray(build_store(tmp_path / "store", [(key, value), *neighbours]))
    offset = data.index(value)
    data[offset + 50] ^= 0x04
    (tmp_path / "store" / STORE_FILE).write_bytes(data)
    with DiskStore(tmp_path / "store") as store:
        with pytest.raises(StoreCorrupted, match="integrity check"):
            store.get(key)
        for neighbour, neighbour_value in neighbours:
            assert store.get(neighbour) == neighbour_value


def test_random_damage_never_serves_a_wrong_value(tmp_path: Path) -> None:
    """Flip random bytes anywhere in the file: every read serves the right value, nothing, or a
    ``StoreError``; never a wrong value and never another exception."""
    items = damaged_store_items()
    data = build_store(tmp_path / "pristine", items)
    rng = random.Random(5)
    detected = 0
    for trial in range(120):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] ^= rng.randint(1, 255)
        folder = tmp_path / f"trial-{trial}"
        folder.mkdir()
        (folder / STORE_FILE).write_bytes(damaged)
        try:
            with DiskStore(folder) as store:
                for key, value in items:
                    try:
                        served = store.get(key)
                    except StoreError:
                        detected += 1
                        continue
                    assert served is None or served == value
        except StoreError:
            detected += 1
        shutil.rmtree(folder)
    assert detected > 0
