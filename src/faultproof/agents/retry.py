"""Retrying an agent's work while its chain cannot be reached, with exponential backoff.

A challenger pointed at a dead node, or at an address with no contract (a typo, or a deployment
not mined yet), reports the problem in one line and tries again after 1, 2, 4 … seconds, up to a
ceiling and a number of attempts; then the last error is raised for the caller (the CLI prints it
and exits 2). Reverts are answers, not outages: they are never retried here. The sleep function
is injected, so tests see the delays without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from faultproof.errors import ChainError, ExecutionReverted

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Delays ``initial · factor^k`` seconds, at most ``maximum``, for at most ``attempts`` tries
    in all (None: forever)."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    attempts: int | None = 8

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.factor < 1 or self.maximum < self.initial:
            raise ValueError(f"not a backoff: {self}")
        if self.attempts is not None and self.attempts < 1:
            raise ValueError(f"a backoff makes at least one attempt, not {self.attempts}")

    def delays(self) -> Iterator[float]:
        """The waits between attempts: one fewer than the attempts."""
        delay, waits = self.initial, 0
        while self.attempts is None or waits < self.attempts - 1:
            yield delay
            delay = min(delay * self.factor, self.maximum)
            waits += 1


def is_outage(error: Exception) -> bool:
    """A chain that cannot be reached or holds no contract where one is expected; not a revert."""
    return isinstance(error, ChainError) and not isinstance(error, ExecutionReverted)


def with_backoff(
    operation: Callable[[], T],
    backoff: Backoff,
    on_retry: Callable[[ChainError, float], None],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``operation()``, tried again after each outage (``on_retry(error, delay)`` first, then
    ``sleep(delay)``); the last outage is raised when the attempts run out."""
    delays = backoff.delays()
    while True:
        try:
            return operation()
        except ChainError as error:
            if not is_outage(error):
                raise
            delay = next(delays, None)
            if delay is None:
                raise
            on_retry(error, delay)
            sleep(delay)


__all__ = ["Backoff", "is_outage", "with_backoff"]
