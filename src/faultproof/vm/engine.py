"""What the fast interpreters of every VM share: handlers decoded once per pc, and their upkeep.

A fast interpreter (``mips32/fast.py``, ``riscv64/fast.py``) executes plain steps (no witness) and is
held equal to the VM's reference transition by the tests. Its ISA part is how one instruction word
becomes a *handler* (a closure with the instruction's fields and pc-derived constants fixed) and the
loop that calls handlers. Everything else is the same for every ISA and lives here in ``Engine``:

* **The handler cache.** Handlers by pc, in a plain ``dict`` (a ``dict`` subclass with
  ``__missing__`` costs a third of the loop's speed, because only exact dicts get the interpreter's
  fast subscript); the loop decodes a pc on the ``KeyError`` of its first lookup (``handler_at``).
* **Traps.** A pc in a trap range gets the deferring handler at decode time, so traps cost nothing
  per step; changing the traps drops only the handlers of the ranges that changed.
* **The reference for the rare and the failing.** A handler raises ``UseReference`` *before changing
  anything*; the loop syncs its locals to the state and ``reference_step`` runs ``vm.step()``, which
  handles IO, preimages, hints, traps and failures and leaves the pre-step state on failure.
* **Self-modifying code.** Pages that handlers were decoded from are *code pages*. A fast store into
  a code page calls ``forget_code_page``; writes made by the reference step during a run are found
  through the leaves it marks dirty; and writes made between runs (through ``Memory`` or
  ``vm.step()``) are found by comparing each code page with its decode-time copy when ``run`` starts.
* **The step counter wraps modulo 2^64.** ``run`` never lets the ISA loop cross the wrap: the step
  at counter ``2^64 − 1`` is executed by the reference.
"""

from __future__ import annotations

import bisect
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from faultproof.ints import MASK64
from faultproof.memory import LEAF_ADDRESS_BITS, PAGE_ADDRESS_BITS, PAGE_SIZE, Memory
from faultproof.vm.interface import PreimageRead, StepProof

ZERO_PAGE = bytes(PAGE_SIZE)
LEAVES_PER_PAGE_BITS = PAGE_ADDRESS_BITS - LEAF_ADDRESS_BITS


class UseReference(Exception):
    """Raised by a handler, before it changes anything, to have the reference execute the step."""


class EngineState(Protocol):
    """What an engine reads of a VM state record (a dataclass, so a restored copy can be copied in)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    pc: int
    step: int
    exited: int
    registers: list[int]


S = TypeVar("S", bound=EngineState)
H = TypeVar("H", bound=Callable[..., int])


class SteppingVM(Protocol[S]):
    """What an engine needs from its VM: the state, the memory and the reference step."""

    state: S
    memory: Memory
    last_preimage_read: PreimageRead | None

    def step(self, proof: bool = False) -> StepProof | None: ...


class Engine(ABC, Generic[S, H]):
    """Executes steps of one VM through cached handlers; ``run`` is the only entry point.

    An engine is bound to the VM's state object, register list and memory: its handlers hold them.
    ``serves`` tells whether they are still the VM's (a caller may assign a new state or memory), and
    the VM builds a new engine when they are not.
    """

    def __init__(self, vm: SteppingVM[S], traps: Iterable[tuple[int, int]], use_reference: H) -> None:
        self.vm = vm
        self.state = vm.state
        self.registers = vm.state.registers
        self.memory = vm.memory
        self.pages = vm.memory.pages
        self.use_reference = use_reference
        self.handlers: dict[int, H] = {}
        # page index -> pcs decoded from it, and a copy of its bytes at the time of the first decode
        self.code_pcs: dict[int, set[int]] = {}
        self.code_snapshots: dict[int, bytes] = {}
        self.traps: list[tuple[int, int]] = []
        self.trap_starts: list[int] = []
        self.trap_ends: list[int] = []
        self.set_traps(traps)

    def serves(self, vm: SteppingVM[S]) -> bool:
        """Whether this engine still works on the VM's own state and memory objects."""
        return (
            self.state is vm.state
            and self.registers is vm.state.registers
            and self.memory is vm.memory
            and self.pages is vm.memory.pages
        )

    # -- the ISA's part -------------------------------------------------------------------------

    @abstractmethod
    def decode(self, pc: int) -> H:
        """The handler of the instruction at ``pc`` (not a trap); ``use_reference`` for the rare."""

    @abstractmethod
    def execute(self, max_steps: int) -> None:
        """Up to ``max_steps`` steps of an unexited state whose counter does not wrap on the way;
        stop early at exit or after a preimage read."""

    # -- traps ----------------------------------------------------------------------------------

    def set_traps(self, ranges: Iterable[tuple[int, int]]) -> None:
        """Trap at every pc in these ``[start, end)`` ranges, re-decoding the pcs of changed ranges."""
        ranges = list(ranges)
        for start, end in set(self.traps) ^ set(ranges):
            self.forget_pcs(start, end)
        self.traps = ranges
        # The ranges merged into disjoint intervals sorted by start, for a bisect at decode time.
        self.trap_starts, self.trap_ends = [], []
        for start, end in sorted(r for r in ranges if r[0] < r[1]):
            if self.trap_ends and start <= self.trap_ends[-1]:
                self.trap_ends[-1] = max(self.trap_ends[-1], end)
            else:
                self.trap_starts.append(start)
                self.trap_ends.append(end)

    def is_trap(self, pc: int) -> bool:
        index = bisect.bisect_right(self.trap_starts, pc) - 1
        return index >= 0 and pc < self.trap_ends[index]

    def forget_pcs(self, start: int, end: int) -> None:
        """Drop the handlers of the pcs in ``[start, end)``, by whichever is smaller to walk."""
        handlers = self.handlers
        if end - start <= len(handlers):
            pcs: Iterable[int] = range(start, end)
        else:
            pcs = [pc for pc in handlers if start <= pc < end]
        for pc in pcs:
            handlers.pop(pc, None)

    # -- the handler cache ----------------------------------------------------------------------

    def handler_at(self, pc: int) -> H:
        """Decode ``pc`` into the cache, recording its page as a code page (the loop's cache miss)."""
        page_index = pc >> PAGE_ADDRESS_BITS
        pcs = self.code_pcs.get(page_index)
        if pcs is None:
            pcs = self.code_pcs[page_index] = set()
            self.code_snapshots[page_index] = bytes(self.pages.get(page_index, ZERO_PAGE))
        pcs.add(pc)
        # A trap must raise TrapReached, which only the reference step does.
        trapped = bool(self.trap_starts) and self.is_trap(pc)
        handler = self.handlers[pc] = self.use_reference if trapped else self.decode(pc)
        return handler

    def forget_code_page(self, page_index: int) -> None:
        """Drop the handlers decoded from a page whose bytes changed."""
        for pc in self.code_pcs.pop(page_index, ()):
            self.handlers.pop(pc, None)
        self.code_snapshots.pop(page_index, None)

    def forget_changed_code(self) -> None:
        """Drop the handlers of every code page whose bytes differ from its decode-time copy."""
        pages = self.pages
        changed = [
            index
            for index, snapshot in self.code_snapshots.items()
            if pages.get(index, ZERO_PAGE) != snapshot
        ]
        for index in changed:
            self.forget_code_page(index)

    # -- execution ------------------------------------------------------------------------------

    def run(self, max_steps: int) -> None:
        """Execute up to ``max_steps`` steps; stop early at exit or after a preimage read.

        The ISA loop runs up to the step counter's wrap; the step at ``2^64 − 1`` is the reference's.
        An ``exited`` value other than 0 and 1 is the reference's to judge (MIPS32 fails, RV64 does
        nothing).
        """
        vm = self.vm
        state = self.state
        if max_steps <= 0 or state.exited == 1:
            return
        vm.last_preimage_read = None
        if state.exited:
            self.reference_step()
            return
        self.forget_changed_code()
        while True:
            steps = min(max_steps, MASK64 - state.step)
            if steps:
                self.execute(steps)
            else:
                steps = 1
                self.reference_step()
            max_steps -= steps
            if max_steps <= 0 or state.exited or vm.last_preimage_read is not None:
                return

    def reference_step(self) -> None:
        """One step by ``vm.step()``, dropping the handlers of any code page it writes.

        The reference writes through ``Memory``, which marks the leaves it writes; giving it a fresh
        ``dirty_leaves`` set for the step shows which leaves those are.
        """
        memory = self.memory
        dirty_leaves = memory.dirty_leaves
        written: set[int] = set()
        memory.dirty_leaves = written
        try:
            self.vm.step()
        except BaseException:
            self._keep_state_object()
            raise
        finally:
            dirty_leaves |= memory.dirty_leaves
            memory.dirty_leaves = dirty_leaves
        for page_index in {leaf >> LEAVES_PER_PAGE_BITS for leaf in written}:
            if page_index in self.code_pcs:
                self.forget_code_page(page_index)

    def _keep_state_object(self) -> None:
        """Put the state restored by a failed ``vm.step()`` back into the bound state object.

        The reference restores by replacing ``vm.state`` with a pre-step copy; copying that into the
        object (and register list) the handlers are bound to keeps them valid, so a trap hit or a
        failure does not cost a re-decode of everything.
        """
        restored = self.vm.state
        if restored is self.state:
            return
        for field in dataclasses.fields(restored):
            if field.name != "registers":
                setattr(self.state, field.name, getattr(restored, field.name))
        self.registers[:] = restored.registers
        self.vm.state = self.state


__all__ = ["ZERO_PAGE", "Engine", "EngineState", "SteppingVM", "UseReference"]
