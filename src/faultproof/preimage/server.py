"""Preimage hosts and programs as processes, joined by the pipes of the wire protocol.

Three arrangements of the same four streams (spec: preimage-oracle.md §5.3, mips32.md §10.3):

* ``HostProcess`` — the VM's side of ``faultproof run … -- <host command>``: starts the host as a
  child with the host-side ends on its fds 3–6 and is a ``PreimageHost`` for the VM (through
  ``PipeHost``), forwarding the child's stderr and stopping it when the run ends;
* ``inherited_ends``/``serve_inherited`` — the host's side of that arrangement: serve on the fds
  3–6 it was given;
* ``serve_program`` — ``faultproof host … -- <program>``: start a program running natively with the
  guest-side ends on its fds 3–6 and serve it, so it can be debugged at full speed before it runs
  in a VM.

Children are started with ``posix_spawn``, whose ``dup2`` file actions put our pipe ends on fds 3–6
of the child without running Python in the forked child. Our ends are first duplicated to numbers
of at least 10, so that no ``dup2`` onto 3–6 can overwrite an end still to be moved, whatever numbers
the pipes had here. Everything else we hold is close-on-exec (PEP 446), so the child gets exactly
stdin, stdout, stderr and its four streams.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType

from faultproof.errors import HostError, UsageError
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.wire import (
    DEFAULT_TIMEOUT,
    GUEST_FDS,
    HOST_CHILD_FDS,
    HintErrorHandler,
    PipeHost,
    WireEnds,
    open_pipes,
    serve,
)

STDERR_FD = 2
# Our pipe ends are moved at least this high before a child is started (module docstring).
FIRST_HIGH_FD = 10
# How long a child may take to exit by itself once its streams are closed, and again after SIGTERM.
STOP_GRACE = 2.0
# How long to wait for a host that closed its streams to exit, to report its status.
EXIT_REPORT_WAIT = 2.0
# How long to wait for the rest of an exited host's stderr; a process it left behind may hold the
# pipe open much longer, and its output is still forwarded as it comes.
STDERR_DRAIN = 0.5
# How much of a host's stderr is kept for error messages.
STDERR_TAIL = 4096
LAST_WORDS_LIMIT = 240


# -- child processes ----------------------------------------------------------------------------


class ChildProcess:
    """A process started with some of our descriptors on chosen descriptor numbers of its own.

    ``descriptors`` maps the child's fd number to ours. Raises ``OSError`` if the program cannot be
    started (not found, not executable).
    """

    def __init__(self, command: Sequence[str], descriptors: Mapping[int, int]) -> None:
        if not command:
            raise ValueError("empty command")
        high = {
            target: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, FIRST_HIGH_FD)
            for target, fd in descriptors.items()
        }
        try:
            actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in high.items()]
            self.pid = os.posix_spawnp(command[0], list(command), os.environ, file_actions=actions)
        finally:
            for fd in high.values():
                os.close(fd)
        self.command = list(command)
        self.returncode: int | None = None
        self.pidfd: int | None = None
        with contextlib.suppress(OSError, AttributeError):  # pidfds need Linux 5.3
            self.pidfd = os.pidfd_open(self.pid)

    def poll(self) -> int | None:
        """The exit status (negative: killed by that signal) if the process has exited."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait up to ``timeout`` seconds (None: for ever) for the exit; the status, or None."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            self._sleep_until_exit(remaining)
        return self.returncode

    def stop(self, grace: float = STOP_GRACE) -> int:
        """Let the process exit by itself for ``grace`` seconds, then SIGTERM, then SIGKILL."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            status = self.wait(grace)
            if status is not None:
                return status
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
        status = self.wait()
        assert status is not None, "wait() without a timeout returns the status"
        return status

    def _sleep_until_exit(self, timeout: float | None) -> None:
        if self.pidfd is None:
            time.sleep(0.01 if timeout is None else min(0.01, timeout))
            return
        poller = select.poll()
        poller.register(self.pidfd, select.POLLIN)
        poller.poll(None if timeout is None else max(0, round(timeout * 1000)))

    def close(self) -> None:
        """Release the pidfd (kept open until now so that no poller watches a reused number)."""
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def describe_status(status: int) -> str:
    """``exited with status N`` or ``was killed by SIGNAME``."""
    if status >= 0:
        return f"exited with status {status}"
    try:
        name = signal.Signals(-status).name
    except ValueError:
        name = f"signal {-status}"
    return f"was killed by {name}"


def _map_ends(child_fds: WireEnds, ours: WireEnds) -> dict[int, int]:
    """Child fd -> our fd, stream by stream."""
    return {
        child_fds.hint_requests: ours.hint_requests,
        child_fds.hint_acks: ours.hint_acks,
        child_fds.preimage_requests: ours.preimage_requests,
        child_fds.preimage_responses: ours.preimage_responses,
    }


# -- the VM's side: a host process --------------------------------------------------------------


class HostProcess:
    """A preimage host running as a child process, used by the VM as its ``PreimageHost``.

    The child gets the host-side ends on fds 3–6 (mips32.md §10.3); each exchange with it is bounded
    by ``timeout`` seconds, and its exit ends any wait at once. Its stderr goes to ``stderr`` (a
    function given each chunk) or, without one, straight to ours; with a function, errors quote the
    host's last line of stderr. Use as a context manager, or call ``close`` to stop the child.

    Raises ``HostError`` if the command cannot be started.
    """

    def __init__(
        self,
        command: Sequence[str],
        timeout: float = DEFAULT_TIMEOUT,
        stderr: Callable[[bytes], None] | None = None,
    ) -> None:
        client, server = open_pipes()
        descriptors = _map_ends(HOST_CHILD_FDS, server)
        stderr_read, stderr_write = os.pipe() if stderr is not None else (-1, -1)
        if stderr is not None:
            descriptors[STDERR_FD] = stderr_write
        try:
            self.process = ChildProcess(command, descriptors)
        except OSError as error:
            client.close()
            if stderr is not None:
                os.close(stderr_read)
            raise HostError(f"cannot start host command {command[0]!r}: {error.strerror or error}") from None
        finally:
            server.close()
            if stderr is not None:
                os.close(stderr_write)
        self._tail = bytearray()
        self._stderr_thread: threading.Thread | None = None
        if stderr is not None:
            self._stderr_thread = threading.Thread(
                target=self._forward_stderr, args=(stderr_read, stderr), name="host-stderr", daemon=True
            )
            self._stderr_thread.start()
        self.pipes = PipeHost(client, timeout, peer=self)

    def __enter__(self) -> HostProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> int:
        """Close the streams, stop the host (it may exit by itself first) and return its status."""
        self.pipes.close()
        status = self.process.stop()
        self.process.close()
        if self._stderr_thread is not None:
            self._stderr_thread.join(STDERR_DRAIN)
        return status

    # -- PreimageHost ---------------------------------------------------------------------------

    def hint(self, hint: bytes) -> None:
        self.pipes.hint(hint)

    def get_preimage(self, key: bytes) -> bytes:
        return self.pipes.get_preimage(key)

    # -- Peer -----------------------------------------------------------------------------------

    def exit_fd(self) -> int | None:
        return self.process.pidfd

    def went_away(self, when: str) -> str:
        """How the host ended and its last line on stderr. A host that closed its streams is given
        a moment to exit first, as it normally does right after."""
        status = self.process.wait(EXIT_REPORT_WAIT)
        if status is None:
            return f"host closed its streams {when} (it is still running)"
        if self._stderr_thread is not None:
            self._stderr_thread.join(STDERR_DRAIN)
        last_line = self.last_stderr_line()
        said = f"; its last line on stderr: {last_line!r}" if last_line else ""
        return f"host {describe_status(status)} {when}{said}"

    def last_stderr_line(self) -> str:
        """The host's last non-empty line of stderr (when it is captured), shortened."""
        lines = bytes(self._tail).decode(errors="replace").splitlines()
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        return last if len(last) <= LAST_WORDS_LIMIT else last[:LAST_WORDS_LIMIT] + "…"

    def _forward_stderr(self, fd: int, sink: Callable[[bytes], None]) -> None:
        try:
            while chunk := os.read(fd, 1 << 16):
                self._tail += chunk
                del self._tail[:-STDERR_TAIL]
                sink(chunk)
        finally:
            os.close(fd)


# -- the host's side ----------------------------------------------------------------------------

_READABLE = (os.O_RDONLY, os.O_RDWR)
_WRITABLE = (os.O_WRONLY, os.O_RDWR)


def inherited_ends() -> WireEnds:
    """The host's ends on fds 3–6, as given by the VM that started this process (§5.3).

    Call it before opening anything else: a process started without them would otherwise find its
    own files on 3–6. Raises ``UsageError`` unless each is an open pipe (or socket) of the right
    direction.
    """
    for fd, stream, modes in (
        (HOST_CHILD_FDS.hint_requests, "hint requests", _READABLE),
        (HOST_CHILD_FDS.hint_acks, "hint acknowledgements", _WRITABLE),
        (HOST_CHILD_FDS.preimage_requests, "preimage requests", _READABLE),
        (HOST_CHILD_FDS.preimage_responses, "preimage responses", _WRITABLE),
    ):
        _check_inherited(fd, stream, modes)
    return HOST_CHILD_FDS


def serve_inherited(host: PreimageHost, on_hint_error: HintErrorHandler | None = None) -> None:
    """Serve ``host`` on the fds 3–6 this process was started with (``inherited_ends``)."""
    serve(host, inherited_ends(), on_hint_error)


def _check_inherited(fd: int, stream: str, modes: tuple[int, ...]) -> None:
    try:
        mode = os.fstat(fd).st_mode
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        raise UsageError(
            f"fd {fd} ({stream}) is not open: a host serves the VM that starts it "
            f"(faultproof run … -- faultproof host …) or a program given after --"
        ) from None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        raise UsageError(f"fd {fd} ({stream}) is not a pipe")
    if (flags & os.O_ACCMODE) not in modes:
        direction = "readable" if modes is _READABLE else "writable"
        raise UsageError(f"fd {fd} ({stream}) is not {direction}")


def serve_program(
    host: PreimageHost, command: Sequence[str], on_hint_error: HintErrorHandler | None = None
) -> int:
    """Run ``command`` natively with the guest-side ends on its fds 3–6, serve it, return its status.

    The program inherits stdin, stdout and stderr. If serving fails (a missing preimage, a request
    cut off), the program's streams are closed and it is stopped before the error propagates.
    Raises ``UsageError`` if the program cannot be started.
    """
    client, server = open_pipes()
    try:
        process = ChildProcess(command, _map_ends(GUEST_FDS, client))
    except OSError as error:
        server.close()
        raise UsageError(f"cannot start program {command[0]!r}: {error.strerror or error}") from None
    finally:
        client.close()
    try:
        serve(host, server, on_hint_error, stop_fd=process.pidfd)
    except BaseException:
        server.close()
        process.stop()
        raise
    else:
        server.close()
        status = process.wait()
    finally:
        process.close()
    assert status is not None, "wait() without a timeout returns the status"
    return status


__all__ = [
    "ChildProcess",
    "HostProcess",
    "describe_status",
    "inherited_ends",
    "serve_inherited",
    "serve_program",
]
