"""How fast preimages and hints travel through the host wire protocol (spec: preimage-oracle.md §5).

    python benchmarks/preimage_pipe.py [--server thread|process|both] [--seconds S]

The client is ``PipeHost``, as the VM uses it. The server is either ``serve`` in a thread of this
process over fresh pipes (``thread``: the protocol's own cost, sharing one interpreter) or a real
``faultproof host --store DIR`` child started through ``HostProcess`` as ``faultproof run -- …``
starts it (``process``: what a VM run sees, store reads included). For each preimage size the
same key is requested repeatedly for about ``--seconds`` and the best of three rounds is kept.

Prints one table (no assertions): requests per second and payload MB/s (10^6 bytes per second of
preimage data, length prefixes not counted). Figures depend on the machine and on its load.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.server import HostProcess
from faultproof.preimage.wire import PipeHost, open_pipes, serve

SIZES = {"32 B": 32, "1 KiB": 1 << 10, "64 KiB": 1 << 16, "1 MiB": 1 << 20, "8 MiB": 8 << 20}
ROUNDS = 3
FAULTPROOF = Path(sys.executable).parent / "faultproof"


def payload(size: int) -> bytes:
    return hashlib.shake_128(b"benchmark").digest(size)


@contextmanager
def thread_server(preimages: dict[bytes, bytes]) -> Iterator[PreimageHost]:
    client, server = open_pipes()
    worker = threading.Thread(target=serve, args=(OracleHost.in_memory(preimages), server), daemon=True)
    worker.start()
    host = PipeHost(client)
    try:
        yield host
    finally:
        host.close()
        worker.join()
        server.close()


@contextmanager
def process_server(preimages: dict[bytes, bytes]) -> Iterator[PreimageHost]:
    from faultproof.preimage.store import DiskStore

    folder = Path(tempfile.mkdtemp(prefix="faultproof-bench-"))
    try:
        store = DiskStore(folder / "store")
        for key, value in preimages.items():
            store.put(key, value)
        store.close()
        command = [str(FAULTPROOF), "host", "--store", str(folder / "store")]
        # The host warns once that no source answers the benchmark's hint type.
        with HostProcess(command, stderr=lambda data: None) as host:
            yield host
    finally:
        shutil.rmtree(folder)


SERVERS: dict[str, Callable[[dict[bytes, bytes]], contextlib.AbstractContextManager[PreimageHost]]] = {
    "thread": thread_server,
    "process": process_server,
}


def best_rate(action: Callable[[], None], seconds: float) -> tuple[float, int]:
    """(calls per second, calls) of the best of ``ROUNDS`` rounds of about ``seconds`` each."""
    best = 0.0
    calls = 0
    for _ in range(ROUNDS):
        count = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / ROUNDS or count == 0:
            action()
            count += 1
        if count / elapsed > best:
            best, calls = count / elapsed, count
    return best, calls


def measure(server: str, seconds: float) -> list[tuple[str, str, float, float]]:
    """Rows of (server, what, per second, MB/s)."""
    values = {name: payload(size) for name, size in SIZES.items()}
    preimages = {keccak256_key(value): value for value in values.values()}
    rows = []
    with SERVERS[server](preimages) as host:
        for name, value in values.items():
            key = keccak256_key(value)
            assert host.get_preimage(key) == value
            rate, _ = best_rate(lambda key=key: host.get_preimage(key), seconds)  # type: ignore[misc]
            rows.append((server, f"preimage {name}", rate, rate * len(value) / 1e6))
        hint = b"fetch-state " + bytes(32).hex().encode()
        rate, _ = best_rate(lambda: host.hint(hint), seconds)
        rows.append((server, f"hint {len(hint)} B", rate, 0.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=[*SERVERS, "both"], default="both")
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement (all rounds)")
    arguments = parser.parse_args()
    servers = list(SERVERS) if arguments.server == "both" else [arguments.server]
    print(f"# {platform.python_implementation()} {platform.python_version()} on {platform.machine()}")
    print(f"{'server':<8} {'request':<18} {'per second':>12} {'MB/s':>10}")
    for server in servers:
        for name, what, rate, megabytes in measure(server, arguments.seconds):
            throughput = f"{megabytes:10,.1f}" if megabytes else f"{'-':>10}"
            print(f"{name:<8} {what:<18} {rate:12,.0f} {throughput}")


if __name__ == "__main__":
    main()
