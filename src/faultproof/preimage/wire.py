"""The host wire protocol over pipes, both sides (spec: preimage-oracle.md §5).

Two independent request/response streams join a client (the VM, or a guest running natively) and a
server (the host that knows the preimages):

* hints: the client sends ``BE4(len) ‖ hint`` and waits for one acknowledgement byte (§5.1);
* preimages: the client sends a 32-byte key and reads ``BE8(len) ‖ data`` (§5.2).

``PipeHost`` is the client: a ``PreimageHost`` whose host lives at the far end of four pipes. Every
exchange is bounded by a deadline, and an optional *peer* (the host process) ends a wait the
moment it exits, so a host that dies, stalls or garbles a frame is a ``HostError`` naming the
request, never a hang. ``serve`` is the server: it answers requests from any ``PreimageHost`` until
the client closes both streams; a missing preimage ends it with ``PreimageNotFound`` (there is no
"not found" answer, §5.2), while a failed hint is reported and still acknowledged (§5.1).

Each side holds one end of each of the four pipes; ``WireEnds`` names them by stream. Which file
descriptors those are for a guest and for a host child process is fixed by §5.3.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Protocol

from faultproof.errors import (
    HostClosed,
    HostTimeout,
    MalformedRequest,
    MalformedResponse,
    PreimageError,
)
from faultproof.ints import be32, be64
from faultproof.preimage.keys import KEY_SIZE, describe_key
from faultproof.preimage.oracle import PreimageHost

HINT_LENGTH_SIZE = 4  # §5.1: BE4(len(hint))
PREIMAGE_LENGTH_SIZE = 8  # §5.2: BE8(len(d))
HINT_ACK = b"\x00"  # §5.1; its value carries no meaning, so the client never checks it
DEFAULT_TIMEOUT = 15.0  # mips32.md §10.3: upstream's bound on one exchange with the host
MAX_PREIMAGE_SIZE = 1 << 30
"""A length prefix above this is taken as a corrupt frame rather than awaited byte by byte.

The largest preimages a dispute uses are keccak preimages under the large preimage proposal limit
(about 8.9 MB, §6.3) and local inputs such as chain configurations, far below this."""

# The preimage response pipe is enlarged to this (best effort) so 1 MiB preimages flow in one read.
RESPONSE_PIPE_SIZE = 1 << 20
READ_SIZE = 1 << 16
# How much of a hint an error message shows.
HINT_PREVIEW = 48


# -- the four streams ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WireEnds:
    """One side's file descriptors for the four streams of §5.3 (its ends of four pipes)."""

    hint_requests: int
    hint_acks: int
    preimage_requests: int
    preimage_responses: int

    def close(self) -> None:
        for fd in astuple(self):
            with contextlib.suppress(OSError):
                os.close(fd)


HOST_CHILD_FDS = WireEnds(hint_requests=3, hint_acks=4, preimage_requests=5, preimage_responses=6)
"""Where a host child process finds its ends (§5.3; mips32.md §10.3): it reads 3 and 5, writes 4 and 6."""

GUEST_FDS = WireEnds(hint_requests=4, hint_acks=3, preimage_requests=6, preimage_responses=5)
"""Where a guest finds its ends (§5.3): it writes hints to 4 and keys to 6, reads 3 and 5."""


def open_pipes() -> tuple[WireEnds, WireEnds]:
    """Four new pipes as ``(client ends, server ends)``; every descriptor is close-on-exec."""
    hint_requests = os.pipe()
    hint_acks = os.pipe()
    preimage_requests = os.pipe()
    preimage_responses = os.pipe()
    with contextlib.suppress(OSError):  # the system may cap pipe sizes; the protocol works at any size
        fcntl.fcntl(preimage_responses[1], fcntl.F_SETPIPE_SZ, RESPONSE_PIPE_SIZE)
    client = WireEnds(hint_requests[1], hint_acks[0], preimage_requests[1], preimage_responses[0])
    server = WireEnds(hint_requests[0], hint_acks[1], preimage_requests[0], preimage_responses[1])
    return client, server


def hint_frame(hint: bytes) -> bytes:
    """``BE4(len) ‖ hint`` (§5.1)."""
    if len(hint) >= 1 << (8 * HINT_LENGTH_SIZE):
        raise PreimageError(f"a hint of {len(hint)} bytes does not fit a {HINT_LENGTH_SIZE}-byte length")
    return be32(len(hint)) + hint


def describe_hint(hint: bytes) -> str:
    """A hint for an error message: its start, quoted, and its size if it is cut."""
    shown = repr(hint[:HINT_PREVIEW].decode(errors="replace"))
    return f"hint {shown}" if len(hint) <= HINT_PREVIEW else f"hint {shown}… ({len(hint)} bytes)"


# -- client -------------------------------------------------------------------------------------


class Peer(Protocol):
    """The process serving the far end, watched so that its exit ends a wait at once."""

    def exit_fd(self) -> int | None:
        """A descriptor that becomes readable when the process has exited (a pidfd), if any."""
        ...

    def went_away(self, when: str) -> str:
        """A sentence saying that the host stopped answering ``when`` and how it ended."""
        ...


class _Exchange:
    """One request and its answer, against one deadline; knows how to word what went wrong."""

    def __init__(self, what: str, timeout: float) -> None:
        self.what = what
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.received = 0
        self.expected: int | None = None

    def remaining_ms(self) -> int:
        return max(0, round((self.deadline - time.monotonic()) * 1000))

    def progress(self) -> str:
        if not self.received:
            return ""
        total = f" of {self.expected}" if self.expected is not None else ""
        return f" (received {self.received}{total} bytes)"


class PipeHost:
    """A ``PreimageHost`` reached over the wire protocol: the client side of §5.

    ``ends`` are the client's ends of the four streams (set non-blocking here). Each exchange — a
    hint and its acknowledgement, a key and its whole answer — must complete within ``timeout``
    seconds; ``peer``, if given, is the host process, whose exit ends a wait at once. Errors are
    ``HostError`` subclasses naming the hint or the key and its type.

    Before each request the answer stream is checked to be empty, so bytes a host sent beyond its
    previous answer are reported as a malformed response instead of being read as the next one.
    After any error the streams may be out of step: the run stops, and the host is not asked again.
    """

    def __init__(
        self,
        ends: WireEnds,
        timeout: float = DEFAULT_TIMEOUT,
        peer: Peer | None = None,
        max_preimage_size: int = MAX_PREIMAGE_SIZE,
    ) -> None:
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        self.ends = ends
        self.timeout = timeout
        self.peer = peer
        self.max_preimage_size = max_preimage_size
        for fd in astuple(ends):
            os.set_blocking(fd, False)
        self._pollers: dict[int, select.poll] = {}

    def close(self) -> None:
        """Close the client's ends; a host sees end-of-file on both request streams."""
        self.ends.close()

    # -- PreimageHost ---------------------------------------------------------------------------

    def hint(self, hint: bytes) -> None:
        """Send one hint and wait for its acknowledgement (§5.1)."""
        exchange = _Exchange(describe_hint(hint), self.timeout)
        self._expect_nothing_pending(self.ends.hint_acks, "hint", exchange)
        self._write_all(self.ends.hint_requests, hint_frame(hint), "hint", exchange)
        self._read_into(self.ends.hint_acks, memoryview(bytearray(len(HINT_ACK))), "hint", exchange)

    def get_preimage(self, key: bytes) -> bytes:
        """Request ``key`` and read ``BE8(len) ‖ data`` (§5.2); the value is ``data``."""
        if len(key) != KEY_SIZE:
            raise ValueError(f"a preimage key has {KEY_SIZE} bytes, got {len(key)}")
        exchange = _Exchange(describe_key(key), self.timeout)
        responses = self.ends.preimage_responses
        self._expect_nothing_pending(responses, "preimage", exchange)
        self._write_all(self.ends.preimage_requests, key, "preimage", exchange)
        prefix = bytearray(PREIMAGE_LENGTH_SIZE)
        self._read_into(responses, memoryview(prefix), "preimage", exchange)
        size = int.from_bytes(prefix, "big")
        if size > self.max_preimage_size:
            raise MalformedResponse(
                f"host announced {size} bytes for {exchange.what}, more than the limit of "
                f"{self.max_preimage_size}: not a valid length prefix"
            )
        value = bytearray(size)
        exchange.expected = PREIMAGE_LENGTH_SIZE + size
        self._read_into(responses, memoryview(value), "preimage", exchange)
        return bytes(value)

    # -- framing with deadlines -----------------------------------------------------------------

    def _write_all(self, fd: int, data: bytes, stream: str, exchange: _Exchange) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                self._wait(fd, select.POLLOUT, stream, exchange)
            except BrokenPipeError:
                raise self._closed(stream, f"before {exchange.what} was sent") from None

    def _read_into(self, fd: int, buffer: memoryview, stream: str, exchange: _Exchange) -> None:
        filled = 0
        while filled < len(buffer):
            try:
                count = os.readv(fd, [buffer[filled:]])
            except BlockingIOError:
                self._wait(fd, select.POLLIN, stream, exchange)
                continue
            if count == 0:
                raise self._closed(stream, f"while answering {exchange.what}{exchange.progress()}")
            filled += count
            exchange.received += count

    def _expect_nothing_pending(self, fd: int, stream: str, exchange: _Exchange) -> None:
        """Before a request: the answer stream must hold no leftover bytes and must still be open."""
        try:
            leftover = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        if not leftover:
            raise self._closed(stream, f"before {exchange.what} was requested")
        raise MalformedResponse(
            f"host sent {len(leftover)} unrequested bytes on the {stream} stream before {exchange.what}: "
            f"its previous answer was longer than announced"
        )

    def _wait(self, fd: int, event: int, stream: str, exchange: _Exchange) -> None:
        """Block until ``fd`` is ready, the deadline passes or the peer exits."""
        ready = self._poller(fd, event).poll(exchange.remaining_ms())
        if not ready:
            raise HostTimeout(
                f"host did not answer {exchange.what} within {exchange.timeout:g} s{exchange.progress()}"
            )
        if all(ready_fd != fd for ready_fd, _ in ready):
            raise self._closed(stream, f"while answering {exchange.what}{exchange.progress()}")

    def _poller(self, fd: int, event: int) -> select.poll:
        """A poll object for ``fd`` and the peer's exit, made once per descriptor."""
        poller = self._pollers.get(fd)
        if poller is None:
            poller = self._pollers[fd] = select.poll()
            poller.register(fd, event)
            exit_fd = self.peer.exit_fd() if self.peer else None
            if exit_fd is not None:
                poller.register(exit_fd, select.POLLIN)
        return poller

    def _closed(self, stream: str, when: str) -> HostClosed:
        if self.peer is None:
            return HostClosed(f"host closed the {stream} stream {when}")
        return HostClosed(self.peer.went_away(when))


# -- server -------------------------------------------------------------------------------------

HintErrorHandler = Callable[[bytes, Exception], None]


def serve(
    host: PreimageHost,
    ends: WireEnds,
    on_hint_error: HintErrorHandler | None = None,
    stop_fd: int | None = None,
) -> None:
    """Answer hints and preimage requests from ``host`` until the client closes both streams.

    ``ends`` are the server's ends. A hint whose handling raises is passed to ``on_hint_error`` and
    acknowledged all the same (§5.1). A preimage the host cannot produce ends the service with the
    host's exception, normally ``PreimageNotFound``: the caller closes the streams, which is the
    loud failure §5.2 asks for. The service also ends when ``stop_fd`` becomes readable (a pidfd of
    a client process that exited) or when the client stops reading an answer.
    """
    _Server(host, ends, on_hint_error, stop_fd).run()


class _Server:
    def __init__(
        self, host: PreimageHost, ends: WireEnds, on_hint_error: HintErrorHandler | None, stop_fd: int | None
    ) -> None:
        self.host = host
        self.ends = ends
        self.on_hint_error = on_hint_error
        self.stop_fd = stop_fd
        os.set_blocking(ends.hint_acks, True)
        os.set_blocking(ends.preimage_responses, True)
        self.buffers = {ends.hint_requests: bytearray(), ends.preimage_requests: bytearray()}
        self.poller = select.poll()
        for fd in (*self.buffers, *([] if stop_fd is None else [stop_fd])):
            self.poller.register(fd, select.POLLIN)

    def run(self) -> None:
        open_streams = set(self.buffers)
        while open_streams:
            ready = {fd for fd, _ in self.poller.poll()}
            if self.stop_fd in ready:
                return
            # Hints first: a client waits for the acknowledgement before a dependent request.
            for fd in sorted(ready, key=lambda fd: fd != self.ends.hint_requests):
                if not self._receive(fd):
                    self.poller.unregister(fd)
                    open_streams.discard(fd)
                try:
                    self._answer(fd)
                except BrokenPipeError:
                    return

    def _receive(self, fd: int) -> bool:
        """Append what arrived on a request stream; False at end-of-file."""
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return True
        if data:
            self.buffers[fd] += data
            return True
        if self.buffers[fd]:
            stream = "hint" if fd == self.ends.hint_requests else "preimage"
            raise MalformedRequest(
                f"client closed the {stream} stream in the middle of a request "
                f"({len(self.buffers[fd])} bytes of an incomplete frame)"
            )
        return False

    def _answer(self, fd: int) -> None:
        """Answer every complete request frame buffered for ``fd``."""
        buffer = self.buffers[fd]
        if fd == self.ends.hint_requests:
            while len(buffer) >= HINT_LENGTH_SIZE:
                end = HINT_LENGTH_SIZE + int.from_bytes(buffer[:HINT_LENGTH_SIZE], "big")
                if len(buffer) < end:
                    break
                hint = bytes(buffer[HINT_LENGTH_SIZE:end])
                del buffer[:end]
                self._hint(hint)
        else:
            while len(buffer) >= KEY_SIZE:
                key = bytes(buffer[:KEY_SIZE])
                del buffer[:KEY_SIZE]
                value = self.host.get_preimage(key)
                _write_all_blocking(self.ends.preimage_responses, [be64(len(value)), value])

    def _hint(self, hint: bytes) -> None:
        try:
            self.host.hint(hint)
        except Exception as error:  # §5.1: acknowledged even if handling failed; reported, not fatal
            if self.on_hint_error is not None:
                self.on_hint_error(hint, error)
        _write_all_blocking(self.ends.hint_acks, [HINT_ACK])


def _write_all_blocking(fd: int, parts: list[bytes]) -> None:
    """Write ``parts`` in order without copying them into one buffer."""
    views = [memoryview(part) for part in parts if part]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views.pop(0))
        if views:
            views[0] = views[0][written:]


__all__ = [
    "DEFAULT_TIMEOUT",
    "GUEST_FDS",
    "HOST_CHILD_FDS",
    "PipeHost",
    "WireEnds",
    "hint_frame",
    "open_pipes",
    "serve",
]
