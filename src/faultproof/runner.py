"""The ``run`` loop of mips32.md §10.2 and riscv64.md §11.3, over any ``FaultProofVM``.

The specs describe the loop one step at a time: per iteration, report progress, guard against
functions a single-threaded program never returns from (MIPS32: ``runtime.notesleep``), stop,
snapshot, prove, and stop on a preimage read. Doing that literally costs several pattern checks
per instruction, so the loop jumps instead: from the step patterns it computes the next step at
which anything can happen and lets the VM's fast engine run up to it in one ``vm.run(k)``. The
engine returns early at exit and after every step that read a preimage, so the preimage conditions
are still checked after every such step, and the guard is a VM trap that costs nothing per step.
The observable result — which files are written, where the run stops — is exactly that of the
step-by-step loop.

The runner only computes and writes files; what the user sees (progress, guest output) goes to a
``RunObserver`` that the CLI provides.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeVar

from faultproof.errors import ExecutionError, PreimageError, StepFailure, TrapReached, UsageError
from faultproof.fileio import write_state, write_text_atomic
from faultproof.memory import PAGE_SIZE
from faultproof.metadata import Metadata
from faultproof.preimage.keys import KeyType
from faultproof.proofs import proof_to_json
from faultproof.vm.interface import FaultProofVM, PreimageRead

U64_MAX = (1 << 64) - 1
# Bytes before the preimage in the stream a guest reads: its 8-byte length.
PREIMAGE_LENGTH_PREFIX = 8
# The most steps run without returning to the loop: bounds the delay of guest output and Ctrl-C.
RUN_CHUNK = 100_000

T = TypeVar("T")


# -- step patterns (§10.1) ----------------------------------------------------------------------


class PatternKind(Enum):
    NEVER = "never"
    ALWAYS = "always"
    AT = "="
    EVERY = "%"


# Decimal, or 0x/0o/0b with optional single underscores between digits. A leading zero is refused:
# upstream (Go's base detection) reads ``010`` as octal 8, a reader of the command line as ten.
_NUMBER = re.compile(r"0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0")


def parse_unsigned(text: str, flag: str, maximum: int = U64_MAX) -> int:
    """An unsigned integer in decimal or with a 0x/0o/0b prefix; ``UsageError`` naming ``flag``."""
    if not _NUMBER.fullmatch(text):
        raise UsageError(f"{flag}: {text!r} is not an unsigned integer (decimal, 0x…, 0o… or 0b…)")
    value = int(text, 0)
    if value > maximum:
        raise UsageError(f"{flag}: {text} is larger than {maximum}")
    return value


@dataclass(frozen=True)
class StepPattern:
    """Which pre-step step counters an iteration acts on: ``never``, ``always``, ``=N`` or ``%N``."""

    kind: PatternKind
    number: int = 0

    @classmethod
    def parse(cls, text: str, flag: str) -> StepPattern:
        """Parse a pattern flag; anything malformed is a ``UsageError`` naming the flag."""
        if text in ("", "never"):
            return NEVER
        if text == "always":
            return ALWAYS
        if text[:1] == "=":
            return cls(PatternKind.AT, parse_unsigned(text[1:], flag))
        if text[:1] == "%":
            number = parse_unsigned(text[1:], flag)
            if number == 0:
                raise UsageError(f"{flag}: %0 is not a valid pattern (every N steps needs N > 0)")
            return cls(PatternKind.EVERY, number)
        raise UsageError(f"{flag}: {text!r} is not a step pattern (never, always, =N or %N)")

    def matches(self, step: int) -> bool:
        return self.next_match(step) == step

    def next_match(self, start: int) -> int | None:
        """The first step counter ``>= start`` that matches, or None if there is none."""
        if self.kind is PatternKind.ALWAYS:
            return start
        if self.kind is PatternKind.AT:
            return self.number if self.number >= start else None
        if self.kind is PatternKind.EVERY:
            return -(-start // self.number) * self.number
        return None


NEVER = StepPattern(PatternKind.NEVER)
ALWAYS = StepPattern(PatternKind.ALWAYS)


# -- preimage stop conditions (§10.2 step 7) ----------------------------------------------------

ANY_PREIMAGE_TYPE = "any"
PREIMAGE_TYPE_NAMES: dict[str, KeyType] = {
    "local": KeyType.LOCAL,
    "keccak": KeyType.KECCAK256,
    "sha256": KeyType.SHA256,
    "blob": KeyType.BLOB,
    "precompile": KeyType.PRECOMPILE,
}


@dataclass(frozen=True)
class PreimageMatch:
    """Preimage reads that stop a run: keys starting with ``prefix``, at ``offset`` if it is set."""

    prefix: bytes
    offset: int | None = None

    def matches(self, read: PreimageRead) -> bool:
        return read.key.startswith(self.prefix) and self.offset in (None, read.offset)

    @classmethod
    def of_type(cls, name: str) -> PreimageMatch:
        """``--stop-at-preimage-type``: a key type name, or ``any``."""
        if name == ANY_PREIMAGE_TYPE:
            return cls(b"")
        if name not in PREIMAGE_TYPE_NAMES:
            known = ", ".join([*PREIMAGE_TYPE_NAMES, ANY_PREIMAGE_TYPE])
            raise UsageError(f"--stop-at-preimage-type: unknown type {name!r} (one of {known})")
        return cls(bytes([PREIMAGE_TYPE_NAMES[name]]))

    @classmethod
    def of_key(cls, text: str) -> PreimageMatch:
        """``--stop-at-preimage <hex key prefix>[@offset]``; the offset defaults to 0 as upstream."""
        prefix_text, _, offset_text = text.partition("@")
        digits = prefix_text.removeprefix("0x").removeprefix("0X")
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", digits):
            raise UsageError(f"--stop-at-preimage: {prefix_text!r} is not a hex key prefix of whole bytes")
        offset = parse_unsigned(offset_text, "--stop-at-preimage offset") if offset_text else 0
        return cls(bytes.fromhex(digits), offset)


# -- options and results ------------------------------------------------------------------------


def _check_file_format(name: str, flag: str) -> None:
    """A snapshot or proof name must take the step number through exactly one ``%d``-style field."""
    try:
        name % 0
    except (TypeError, ValueError) as error:
        raise UsageError(f"{flag}: {name!r} must contain one %d for the step number ({error})") from None


@dataclass(frozen=True)
class RunOptions:
    """What the loop does besides executing, with §10.2's defaults."""

    info_at: StepPattern = StepPattern(PatternKind.EVERY, 100_000)
    stop_at: StepPattern = NEVER
    snapshot_at: StepPattern = NEVER
    snapshot_fmt: str = "state-%d.json"
    proof_at: StepPattern = NEVER
    proof_fmt: str = "proof-%d.json"
    stop_at_preimage: PreimageMatch | None = None
    stop_at_preimage_larger_than: int | None = None

    def __post_init__(self) -> None:
        _check_file_format(self.snapshot_fmt, "--snapshot-fmt")
        _check_file_format(self.proof_fmt, "--proof-fmt")

    @classmethod
    def from_flags(
        cls,
        *,
        info_at: str = "%100000",
        stop_at: str = "",
        snapshot_at: str = "",
        snapshot_fmt: str = "state-%d.json",
        proof_at: str = "",
        proof_fmt: str = "proof-%d.json",
        stop_at_preimage_type: str = "",
        stop_at_preimage: str = "",
        stop_at_preimage_larger_than: str = "",
    ) -> RunOptions:
        """Options from command-line strings; ``stop_at_preimage`` replaces ``stop_at_preimage_type``."""
        preimage: PreimageMatch | None = None
        if stop_at_preimage:
            preimage = PreimageMatch.of_key(stop_at_preimage)
        elif stop_at_preimage_type:
            preimage = PreimageMatch.of_type(stop_at_preimage_type)
        larger_than = (
            parse_unsigned(stop_at_preimage_larger_than, "--stop-at-preimage-larger-than")
            if stop_at_preimage_larger_than
            else None
        )
        return cls(
            info_at=StepPattern.parse(info_at, "--info-at"),
            stop_at=StepPattern.parse(stop_at, "--stop-at"),
            snapshot_at=StepPattern.parse(snapshot_at, "--snapshot-at"),
            snapshot_fmt=snapshot_fmt,
            proof_at=StepPattern.parse(proof_at, "--proof-at"),
            proof_fmt=proof_fmt,
            stop_at_preimage=preimage,
            stop_at_preimage_larger_than=larger_than,
        )


class StopReason(Enum):
    EXITED = "exited"
    STOP_AT = "stop-at"
    PREIMAGE = "preimage"


@dataclass(frozen=True)
class RunResult:
    """How a run ended: why, how many steps it executed and how long it took."""

    reason: StopReason
    steps: int
    elapsed: float
    final_step: int
    detail: str = ""


@dataclass(frozen=True)
class RunInfo:
    """A progress report at an ``info-at`` step (§10.2 step 2)."""

    step: int
    pc: int
    instruction: int
    symbol: str | None
    #: Since the previous report; None for the first.
    steps_per_second: float | None
    pages: int

    @property
    def memory_bytes(self) -> int:
        return self.pages * PAGE_SIZE


class RunObserver(Protocol):
    """Where a run's progress and the guest's output go; the CLI shows them, tests may collect them."""

    def info(self, info: RunInfo) -> None: ...

    def output(self, fd: int, data: bytes) -> None:
        """Guest bytes written to ``fd`` 1 (stdout) or 2 (stderr) since the last call."""
        ...


# -- the loop -----------------------------------------------------------------------------------


def run_vm(
    vm: FaultProofVM,
    options: RunOptions,
    metadata: Metadata | None = None,
    observer: RunObserver | None = None,
) -> RunResult:
    """Run until exit, ``stop-at`` or a preimage stop condition, writing snapshots and proofs.

    A failing step raises ``ExecutionError`` naming the step, pc, instruction and symbol; the VM
    then holds the state before that step, and files written so far are complete. With
    ``metadata``, the VM keeps the traps on its ``guard_symbols`` after the run.
    """
    return _RunLoop(vm, options, metadata, observer).run()


def stopped_by_oracle(error: ExecutionError) -> bool:
    """Whether a run stopped because the preimage oracle could not answer, not because of the program.

    That is a missing preimage or a host that failed (``PreimageError``). The VM then holds the state
    before the step that asked, so the run can be resumed from it once the host has the preimage;
    a step that fails on its own (an undefined instruction, a read past a preimage's end) fails
    again from there.
    """
    return isinstance(error.cause, PreimageError)


class _RunLoop:
    def __init__(
        self, vm: FaultProofVM, options: RunOptions, metadata: Metadata | None, observer: RunObserver | None
    ) -> None:
        self.vm = vm
        self.options = options
        self.metadata = metadata
        self.observer = observer
        self.patterns = (options.info_at, options.stop_at, options.snapshot_at, options.proof_at)
        # (symbol, [start, end)) of every function the run must not enter.
        self.guards = [
            (name, span) for name in vm.guard_symbols for span in (metadata.ranges(name) if metadata else [])
        ]
        if self.guards:
            vm.set_traps([span for _, span in self.guards])
        self.forwarded = {1: len(vm.stdout), 2: len(vm.stderr)}
        self.last_report: tuple[int, float] | None = None

    def run(self) -> RunResult:
        vm = self.vm
        first_step = vm.step_count
        started = time.monotonic()
        reason, detail = StopReason.EXITED, ""
        while not vm.exited:
            step = vm.step_count
            if self._next_due(step) == step:
                if self._iteration_stops(step):
                    reason = StopReason.STOP_AT
                    break
            else:
                self._run_until_due(step)
            read = vm.last_preimage_read
            if read is not None and (detail := self._preimage_stop(read)):
                reason = StopReason.PREIMAGE
                break
        elapsed = time.monotonic() - started
        return RunResult(reason, vm.step_count - first_step, elapsed, vm.step_count, detail)

    def _next_due(self, start: int) -> int | None:
        """The first step counter ``>= start`` at which any pattern matches."""
        matches = [due for due in (p.next_match(start) for p in self.patterns) if due is not None]
        return min(matches, default=None)

    def _iteration_stops(self, step: int) -> bool:
        """§10.2 steps 2–6 for a step at which some pattern matches; True when ``stop-at`` ends the run."""
        options = self.options
        if options.info_at.matches(step):
            self._report(step)
        self._check_guard()
        if options.stop_at.matches(step):
            return True
        if options.snapshot_at.matches(step):
            write_state(self.vm, options.snapshot_fmt % step)
        if options.proof_at.matches(step):
            proof = self._execute(lambda: self.vm.step(proof=True))
            assert proof is not None, "step(proof=True) returns a proof"
            write_text_atomic(options.proof_fmt % step, proof_to_json(proof))
        else:
            self._run_until_due(step)
        return False

    def _run_until_due(self, step: int) -> None:
        """Execute step ``step`` and every following one up to the next step a pattern acts on."""
        due = self._next_due(step + 1)
        count = RUN_CHUNK if due is None else min(due - step, RUN_CHUNK)
        self._execute(lambda: self.vm.run(count))

    def _execute(self, action: Callable[[], T]) -> T:
        """Run VM code, turning a failed step into an ``ExecutionError`` that says where it failed."""
        try:
            return action()
        except (StepFailure, PreimageError, TrapReached) as error:
            raise self._execution_error(error) from error
        finally:
            self._forward_output()

    def _execution_error(self, cause: Exception) -> ExecutionError:
        vm = self.vm
        insn = vm.instruction_at(vm.pc)
        return ExecutionError(vm.step_count, vm.pc, insn, self._symbol(vm.pc), cause, vm.pc_digits)

    def _symbol(self, pc: int) -> str | None:
        return self.metadata.symbol_name(pc) if self.metadata else None

    def _check_guard(self) -> None:
        """§10.2 step 3, for steps the loop stops at; elsewhere the VM trap does it."""
        pc = self.vm.pc
        for name, (start, end) in self.guards:
            if start <= pc < end:
                reason = f"reached {name}, where a single-threaded Go program would wait forever"
                raise self._execution_error(TrapReached(reason))

    def _preimage_stop(self, read: PreimageRead) -> str:
        """Why the last step's preimage read stops the run, or ``""`` if it does not."""
        options = self.options
        if options.stop_at_preimage is not None and options.stop_at_preimage.matches(read):
            return f"read key 0x{read.key.hex()} at offset {read.offset}"
        limit = options.stop_at_preimage_larger_than
        stream_size = read.size + PREIMAGE_LENGTH_PREFIX
        if limit is not None and stream_size > limit:
            return f"read key 0x{read.key.hex()}, {stream_size} bytes with its length prefix (> {limit})"
        return ""

    def _report(self, step: int) -> None:
        if self.observer is None:
            return
        now = time.monotonic()
        rate = None
        if self.last_report is not None:
            last_step, last_time = self.last_report
            rate = (step - last_step) / (now - last_time) if now > last_time else None
        self.last_report = (step, now)
        vm = self.vm
        info = RunInfo(step, vm.pc, vm.instruction_at(vm.pc), self._symbol(vm.pc), rate, vm.page_count())
        self.observer.info(info)

    def _forward_output(self) -> None:
        """Hand the guest's new stdout and stderr bytes to the observer."""
        if self.observer is None:
            return
        for fd, stream in ((1, self.vm.stdout), (2, self.vm.stderr)):
            if len(stream) > self.forwarded[fd]:
                self.observer.output(fd, bytes(stream[self.forwarded[fd] :]))
                self.forwarded[fd] = len(stream)


__all__ = [
    "ALWAYS",
    "NEVER",
    "PreimageMatch",
    "RunInfo",
    "RunObserver",
    "RunOptions",
    "RunResult",
    "StepPattern",
    "StopReason",
    "parse_unsigned",
    "run_vm",
    "stopped_by_oracle",
]
