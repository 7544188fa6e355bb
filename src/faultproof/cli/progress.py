"""What a user sees while a program runs: progress on stderr and the guest's own output.

One helper for both, because they share the terminal: on a terminal, progress is one live line
(rich) that the guest's output scrolls above; otherwise (a pipe, a log file, CI) each report is a
plain log line and the guest's bytes pass through unchanged.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from faultproof.runner import RunInfo, RunResult, StopReason

STDOUT_FD = 1
MEBIBYTE = 1 << 20


class RunProgress:
    """A ``RunObserver`` for the CLI; use as a context manager around the run."""

    def __init__(self, pc_digits: int, console: Console | None = None) -> None:
        self.pc_digits = pc_digits
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.live: Live | None = None
        self.stdout_through_live = False
        # Whether the guest left stderr in the middle of a line, where our next line would be glued on.
        self.stderr_mid_line = False

    def __enter__(self) -> RunProgress:
        if self.console.is_terminal:
            # Guest stdout is only routed through the display when it shares the terminal.
            self.stdout_through_live = sys.stdout.isatty()
            self.live = Live(
                console=self.console,
                auto_refresh=False,
                redirect_stdout=self.stdout_through_live,
                redirect_stderr=True,
            )
            self.live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        if self.stderr_mid_line:
            self.console.print()
            self.stderr_mid_line = False

    def describe(self, info: RunInfo) -> str:
        """One line: step, pc and symbol, instruction, speed, memory."""
        symbol = f" {info.symbol}" if info.symbol else ""
        rate = f"{info.steps_per_second:,.0f} steps/s" if info.steps_per_second is not None else "- steps/s"
        memory = info.memory_bytes / MEBIBYTE
        return (
            f"step {info.step:,}  pc 0x{info.pc:0{self.pc_digits}x}{symbol}  insn 0x{info.instruction:08x}"
            f"  {rate}  {info.pages:,} pages ({memory:,.1f} MiB)"
        )

    def info(self, info: RunInfo) -> None:
        line = Text(self.describe(info))
        if self.live is not None:
            self.live.update(line, refresh=True)
        else:
            self.console.print(line)

    def output(self, fd: int, data: bytes) -> None:
        """Pass guest output on: as text through the live display, else as the raw bytes."""
        stream: TextIO = sys.stdout if fd == STDOUT_FD else sys.stderr
        if fd != STDOUT_FD:
            self.stderr_mid_line = not data.endswith(b"\n")
        if self.live is not None and (fd != STDOUT_FD or self.stdout_through_live):
            stream.write(data.decode(errors="replace"))
            return
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()

    def finish(self, result: RunResult, exit_code: int) -> None:
        """The closing line: why the run stopped, where, and how fast it went."""
        if result.reason is StopReason.EXITED:
            outcome = f"exited with code {exit_code} at step {result.final_step:,}"
        elif result.reason is StopReason.STOP_AT:
            outcome = f"stopped at step {result.final_step:,} (--stop-at)"
        else:
            outcome = f"stopped at step {result.final_step:,} after a preimage read: {result.detail}"
        rate = f", {result.steps / result.elapsed:,.0f} steps/s" if result.elapsed > 0 else ""
        self.console.print(Text(f"{outcome}; ran {result.steps:,} steps in {result.elapsed:.1f} s{rate}"))
