"""Whole Go programs in a VM's fast engine (``run``) against its reference step (``step``).

Both VMs' fast-engine tests share this: a reference run recorded once per program (the witness at
every multiple of ``CHUNK``, after every preimage read and at exit), the same program in the fast
engine stopped every ``CHUNK`` steps and compared there, and the same program in as few ``run``
calls as the preimage stops allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from faultproof.preimage.oracle import PreimageHost
from faultproof.vm.interface import FaultProofVM, PreimageRead

CHUNK = 9973  # prime, so chunk ends fall on every kind of instruction
REFERENCE_STEP_LIMIT = 40_000_000  # bounds a reference run, so that a looping program fails

# name -> (program, host factory)
Programs = dict[str, tuple[str, Callable[[], PreimageHost] | None]]


def load(vm_class: type[FaultProofVM], elves: dict[str, Path], programs: Programs, name: str) -> FaultProofVM:
    program, make_host = programs[name]
    vm, _ = vm_class.load_elf(elves[program])
    if make_host is not None:
        vm.host = make_host()
    return vm


@dataclass
class Outcome:
    """What a whole run is compared on."""

    steps: int
    state_hash: bytes
    stdout: bytes
    stderr: bytes
    exit_code: int

    @classmethod
    def of(cls, vm: FaultProofVM) -> Outcome:
        return cls(vm.step_count, vm.state_hash(), bytes(vm.stdout), bytes(vm.stderr), vm.exit_code)


@dataclass
class ReferenceTrace:
    """The reference run: witnesses at every multiple of ``CHUNK``, after every preimage read, at exit."""

    witnesses: dict[int, bytes]
    preimage_reads: dict[int, PreimageRead]
    outcome: Outcome


_TRACES: dict[tuple[str, str], ReferenceTrace] = {}


def reference_trace(
    vm_class: type[FaultProofVM], elves: dict[str, Path], programs: Programs, name: str
) -> ReferenceTrace:
    """Run the reference step to the end, once per VM kind and program per test session."""
    key = (vm_class.kind, name)
    if key not in _TRACES:
        vm = load(vm_class, elves, programs, name)
        witnesses = {vm.step_count: vm.witness()}
        reads: dict[int, PreimageRead] = {}
        while not vm.exited and vm.step_count < REFERENCE_STEP_LIMIT:
            vm.step()
            if vm.last_preimage_read is not None:
                reads[vm.step_count] = vm.last_preimage_read
            if vm.step_count % CHUNK == 0 or vm.last_preimage_read is not None or vm.exited:
                witnesses[vm.step_count] = vm.witness()
        _TRACES[key] = ReferenceTrace(witnesses, reads, Outcome.of(vm))
    return _TRACES[key]


def program_params(programs: Programs, slow: set[str]) -> list[object]:
    """The program names for ``parametrize``, the ``slow`` ones marked so."""
    return [pytest.param(name, marks=pytest.mark.slow) if name in slow else name for name in programs]


def assert_chunks_match(vm: FaultProofVM, expected: ReferenceTrace) -> None:
    """Stop every ``CHUNK`` steps (and wherever ``run`` stops early) and compare the full witness."""
    assert vm.witness() == expected.witnesses[vm.step_count]
    while not vm.exited:
        before = vm.step_count
        limit = CHUNK - before % CHUNK
        vm.run(limit)
        step = vm.step_count
        assert step > before
        if step - before < limit:  # stopped early: only at exit or right after a preimage read
            assert vm.exited or vm.last_preimage_read is not None
        assert vm.last_preimage_read == expected.preimage_reads.get(step), f"preimage read at step {step}"
        assert vm.witness() == expected.witnesses[step], f"witness differs after step {step}"
    assert Outcome.of(vm) == expected.outcome


def assert_whole_run_matches(vm: FaultProofVM, expected: ReferenceTrace) -> None:
    """Run to the end in as few ``run`` calls as the preimage stops allow: the same outcome."""
    runs, limit = 0, 2 * expected.outcome.steps
    while not vm.exited and vm.step_count < limit:
        vm.run(limit - vm.step_count)
        runs += 1
    assert Outcome.of(vm) == expected.outcome
    assert runs == len(expected.preimage_reads) + 1  # one return per preimage read, one at exit
