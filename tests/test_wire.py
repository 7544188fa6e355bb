"""The host wire protocol over real pipes, both sides (spec: preimage-oracle.md §5).

The server runs in a thread of this process, the client is ``PipeHost``; hand-written peers on
raw descriptors stand in for clients and hosts that split frames, dribble answers or break the
protocol. Processes (a host child, a native guest) are tested in ``test_host_process.py``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from faultproof.errors import HostClosed, HostTimeout, MalformedRequest, MalformedResponse, PreimageNotFound
from faultproof.ints import be32, be64
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.parts import preimage_stream
from faultproof.preimage.wire import (
    PipeHost,
    WireEnds,
    hint_frame,
    open_pipes,
    serve,
)
from faultproof.vm.mips32.state import REG_A0, REG_A1, REG_A2, REG_V0, MipsState
from faultproof.vm.mips32.vm import MipsVM
from mips_asm import syscall

MIB = 1 << 20
SIZES = [0, 1, 32, 1 * MIB, 5 * MIB]
TIMEOUT = 10.0


def pattern(size: int) -> bytes:
    """``size`` pseudo-random bytes, so that a misaligned or repeated copy shows."""
    return hashlib.shake_128(b"faultproof wire").digest(size)


class Peer:
    """A thread running ``body`` on the server's ends; it closes them when done."""

    def __init__(self, body: Callable[[WireEnds], None], ends: WireEnds) -> None:
        self.error: BaseException | None = None

        def run() -> None:
            try:
                body(ends)
            except BaseException as error:
                self.error = error
            finally:
                ends.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self) -> BaseException | None:
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the peer thread did not finish"
        return self.error


@contextmanager
def connected(body: Callable[[WireEnds], None], timeout: float = TIMEOUT) -> Iterator[tuple[PipeHost, Peer]]:
    """A ``PipeHost`` whose far end is ``body`` running in a thread."""
    client, server = open_pipes()
    peer = Peer(body, server)
    host = PipeHost(client, timeout)
    try:
        yield host, peer
    finally:
        host.close()
        peer.join()


def serving(host: PreimageHost) -> Callable[[WireEnds], None]:
    return lambda ends: serve(host, ends)


def memory_host(preimages: dict[bytes, bytes] | None = None) -> OracleHost:
    """An in-process host that records the hints it receives."""
    return OracleHost.in_memory(preimages, record_hints=True)


def read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        assert chunk, "unexpected end of file"
        data += chunk
    return data


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=[f"{size}B" for size in SIZES])
def test_preimage_round_trip(size: int) -> None:
    value = pattern(size)
    key = keccak256_key(value)
    with connected(serving(memory_host({key: value}))) as (host, peer):
        assert host.get_preimage(key) == value
        assert host.get_preimage(key) == value  # the stream is clean for the next request
    assert peer.join() is None


def test_many_hints_and_preimages_interleaved() -> None:
    """10,000 hints, each acknowledged, with a preimage request after every 100th."""
    server_host = memory_host({local_key(0): b"zero"})
    with connected(serving(server_host)) as (host, peer):
        for index in range(10_000):
            host.hint(f"fetch-thing {index:x}".encode())
            if index % 100 == 0:
                assert host.get_preimage(local_key(0)) == b"zero"
    assert peer.join() is None
    assert server_host.hints == [f"fetch-thing {index:x}".encode() for index in range(10_000)]


def test_empty_and_binary_hints() -> None:
    hints = [b"", b"\x00\xff" * 3, bytes(range(256)) * 10]
    server_host = memory_host()
    with connected(serving(server_host)) as (host, _):
        for hint in hints:
            host.hint(hint)
    assert server_host.hints == hints


# -- the server and a client that splits and batches its frames -----------------------------------


def test_hints_split_across_writes_and_batched() -> None:
    """The server reassembles frames written byte by byte and answers frames sent in one write."""
    server_host = memory_host()
    client, server = open_pipes()
    peer = Peer(serving(server_host), server)
    split = [f"split hint {index}".encode() for index in range(64)]
    for hint in split:
        for byte in hint_frame(hint):
            os.write(client.hint_requests, bytes([byte]))
        assert read_exactly(client.hint_acks, 1) == b"\x00"
    batched = [f"batched {index}".encode() for index in range(1000)]
    os.write(client.hint_requests, b"".join(hint_frame(hint) for hint in batched))
    assert read_exactly(client.hint_acks, len(batched)) == bytes(len(batched))
    client.close()
    assert peer.join() is None
    assert server_host.hints == split + batched


def test_keys_split_across_writes() -> None:
    value = pattern(100)
    key = keccak256_key(value)
    client, server = open_pipes()
    peer = Peer(serving(memory_host({key: value})), server)
    for cut in range(1, 32):
        os.write(client.preimage_requests, key[:cut])
        time.sleep(0.001)
        os.write(client.preimage_requests, key[cut:])
        assert read_exactly(client.preimage_responses, 108) == preimage_stream(value)
    client.close()
    assert peer.join() is None


@pytest.mark.parametrize("size", [0, 1, 31, 32, 33, 100])
def test_guest_reads_the_answer_in_small_pieces_at_every_alignment(size: int) -> None:
    """A guest reads ``BE8(len) ‖ data`` 1–4 bytes at a time (as inside the VM), from any offset."""
    value = pattern(size)
    key = keccak256_key(value)
    client, server = open_pipes()
    peer = Peer(serving(memory_host({key: value})), server)
    stream = preimage_stream(value)
    for first in range(4):
        for chunk in range(1, 5):
            os.write(client.preimage_requests, key)
            received = read_exactly(client.preimage_responses, min(first, len(stream)))
            while len(received) < len(stream):
                received += os.read(client.preimage_responses, min(chunk, len(stream) - len(received)))
            assert received == stream
    client.close()
    assert peer.join() is None


def test_client_reassembles_an_answer_dribbled_in_small_writes() -> None:
    """A server MAY deliver the response in arbitrarily small pieces (§5.2)."""
    values = [pattern(size) for size in (0, 1, 5, 32, 77)]

    def dribble(ends: WireEnds) -> None:
        for value in values:
            read_exactly(ends.preimage_requests, 32)
            stream = preimage_stream(value)
            position = 0
            for step in range(len(stream)):
                piece = stream[position : position + 1 + step % 4]
                if not piece:
                    break
                os.write(ends.preimage_responses, piece)
                position += len(piece)

    with connected(dribble) as (host, peer):
        for value in values:
            assert host.get_preimage(keccak256_key(value)) == value
    assert peer.join() is None


def test_vm_reads_at_every_offset_alignment_and_count_through_the_pipes() -> None:
    """A ``MipsVM`` whose host is a ``PipeHost`` serves every ``read(5, …)`` shape (mips32.md §6.5).

    Two keys alternate so that every step fetches its preimage over the wire again.
    """
    values = [pattern(37), pattern(37)[::-1]]
    keys = [keccak256_key(value) for value in values]
    pc, buffer = 0x1000, 0x2000
    with connected(serving(memory_host(dict(zip(keys, values, strict=True))))) as (host, _):
        vm = MipsVM(MipsState(pc=pc, next_pc=pc + 4), host=host)
        vm.memory.write_word(pc, syscall())
        reads = 0
        for offset in range(len(values[0]) + 8):
            for alignment in range(4):
                for count in range(1, 5):
                    which = reads % 2
                    stream = preimage_stream(values[which])
                    vm.state = MipsState(
                        pc=pc, next_pc=pc + 4, preimage_key=keys[which], preimage_offset=offset
                    )
                    vm.state.registers[REG_V0], vm.state.registers[REG_A0] = 4003, 5
                    vm.state.registers[REG_A1], vm.state.registers[REG_A2] = buffer + alignment, count
                    vm.memory.write_word(buffer, 0)
                    vm.step()
                    copied = min(len(stream) - offset, 4 - alignment, count)
                    assert vm.state.registers[REG_V0] == copied
                    word = vm.memory.read_word(buffer).to_bytes(4, "big")
                    assert word[alignment : alignment + copied] == stream[offset : offset + copied]
                    reads += 1


# -- the server's failures ----------------------------------------------------------------------


def test_a_missing_preimage_ends_the_service_loudly() -> None:
    client, server = open_pipes()
    peer = Peer(serving(memory_host()), server)
    os.write(client.preimage_requests, local_key(7))
    error = peer.join()
    assert isinstance(error, PreimageNotFound)
    assert str(error) == f"missing preimage for local key 0x{local_key(7).hex()}"
    assert os.read(client.preimage_responses, 8) == b""  # closed, no "not found" answer
    client.close()


class ExplodingHints:
    """A ``PreimageHost`` whose hint handling fails."""

    def get_preimage(self, key: bytes) -> bytes:
        return b"one"

    def hint(self, hint: bytes) -> None:
        raise ValueError(f"cannot handle {hint.decode()}")


def test_a_failing_hint_is_reported_and_still_acknowledged() -> None:
    failures: list[tuple[bytes, Exception]] = []
    client, server = open_pipes()
    peer = Peer(
        lambda ends: serve(ExplodingHints(), ends, lambda hint, error: failures.append((hint, error))), server
    )
    host = PipeHost(client, TIMEOUT)
    host.hint(b"fetch thing")
    assert host.get_preimage(local_key(1)) == b"one"
    host.close()
    assert peer.join() is None
    assert [(hint, str(error)) for hint, error in failures] == [(b"fetch thing", "cannot handle fetch thing")]


@pytest.mark.parametrize(
    ("stream", "partial"),
    [("hint", be32(10) + b"abc"), ("hint", b"\x00\x00"), ("preimage", local_key(1)[:17])],
    ids=["hint-body", "hint-length", "key"],
)
def test_a_request_cut_off_by_end_of_file_is_malformed(stream: str, partial: bytes) -> None:
    client, server = open_pipes()
    peer = Peer(serving(memory_host()), server)
    os.write(client.hint_requests if stream == "hint" else client.preimage_requests, partial)
    client.close()
    error = peer.join()
    assert isinstance(error, MalformedRequest)
    assert f"client closed the {stream} stream in the middle of a request ({len(partial)} bytes" in str(error)


def test_the_server_stops_when_the_client_stops_reading() -> None:
    value = pattern(4 * MIB)
    key = keccak256_key(value)
    client, server = open_pipes()
    peer = Peer(serving(memory_host({key: value})), server)
    os.write(client.preimage_requests, key)
    assert len(os.read(client.preimage_responses, 100)) > 0
    client.close()
    assert peer.join() is None


# -- the client's failures: each a HostError naming the request, never a hang -------------------

KEY = local_key(3)
KEY_NAME = f"local key 0x{KEY.hex()}"


def answer_with(
    response: bytes, then: Callable[[WireEnds], None] = lambda ends: None
) -> Callable[[WireEnds], None]:
    def body(ends: WireEnds) -> None:
        read_exactly(ends.preimage_requests, 32)
        os.write(ends.preimage_responses, response)
        then(ends)

    return body


def wait_for_close(ends: WireEnds) -> None:
    """Keep the streams open until the client closes its ends."""
    while os.read(ends.preimage_requests, 64):
        pass


def test_a_host_that_closes_after_the_length_prefix() -> None:
    with connected(answer_with(be64(100))) as (host, _), pytest.raises(HostClosed) as caught:
        host.get_preimage(KEY)
    assert str(caught.value) == (
        f"host closed the preimage stream while answering {KEY_NAME} (received 8 of 108 bytes)"
    )


def test_a_host_that_closes_without_answering() -> None:
    with (
        connected(answer_with(b"")) as (host, _),
        pytest.raises(HostClosed, match=f"while answering {KEY_NAME}$"),
    ):
        host.get_preimage(KEY)


def test_a_host_gone_before_the_request() -> None:
    with connected(lambda ends: None) as (host, peer):
        peer.join()
        with pytest.raises(HostClosed, match=f"host closed the preimage stream before {KEY_NAME} was"):
            host.get_preimage(KEY)
        with pytest.raises(HostClosed, match="host closed the hint stream before hint 'x' was"):
            host.hint(b"x")


def test_an_answer_longer_than_announced_is_malformed() -> None:
    """The extra bytes would be read as the next answer; they are found before the next request."""
    with connected(answer_with(be64(2) + b"abcdef", wait_for_close)) as (host, _):
        assert host.get_preimage(KEY) == b"ab"
        with pytest.raises(MalformedResponse, match=f"host sent 4 unrequested bytes .* before {KEY_NAME}"):
            host.get_preimage(KEY)


def test_an_answer_shorter_than_announced_times_out() -> None:
    started = time.monotonic()
    with (
        connected(answer_with(be64(10) + b"abc", wait_for_close), timeout=0.3) as (host, _),
        pytest.raises(HostTimeout) as caught,
    ):
        host.get_preimage(KEY)
    assert time.monotonic() - started < 3
    assert str(caught.value) == f"host did not answer {KEY_NAME} within 0.3 s (received 11 of 18 bytes)"


def test_an_implausible_length_prefix_is_malformed() -> None:
    with (
        connected(answer_with(b"\xff" * 8, wait_for_close)) as (host, _),
        pytest.raises(MalformedResponse, match=f"host announced {2**64 - 1} bytes for {KEY_NAME}"),
    ):
        host.get_preimage(KEY)


def test_a_host_that_never_acknowledges_a_hint_times_out() -> None:
    def swallow(ends: WireEnds) -> None:
        while os.read(ends.hint_requests, 64):
            pass

    with connected(swallow, timeout=0.2) as (host, _), pytest.raises(HostTimeout) as caught:
        host.hint(b"fetch-state " + b"ab" * 40)
    assert str(caught.value).startswith("host did not answer hint 'fetch-state abababab")
    assert str(caught.value).endswith("… (92 bytes) within 0.2 s")


def test_a_host_that_stops_reading_requests_times_out_on_a_large_hint() -> None:
    """A write the host never drains counts against the same deadline."""
    with (
        connected(wait_for_close, timeout=0.2) as (host, _),
        pytest.raises(HostTimeout, match=r"within 0\.2 s"),
    ):
        host.hint(bytes(8 * MIB))
