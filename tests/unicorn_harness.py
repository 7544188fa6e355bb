"""What the unicorn differential tests of every VM share, whatever the instruction set.

A lock-step keeps unicorn's memory as total as the VM's (absent = zero, no permissions): every page
the VM has is mapped up front, any other on its first touch (``UnicornMemory``); it reads unicorn's
registers through a cached ctypes batch (``RegisterReader``); and a mismatch is a ``Divergence``.
The per-ISA files (``test_mips32_unicorn.py``, ``test_riscv64_unicorn.py``) supply decoding, the
alignment of VM steps with unicorn instructions, and the comparison.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pytest

from faultproof.memory import PAGE_ADDRESS_BITS, PAGE_SIZE, Memory

unicorn = pytest.importorskip("unicorn")

UcError = unicorn.UcError

# ``emu_start`` stops when ``pc == until``; no Go guest executes address 0. (A stop address at the
# top of the space, e.g. 0xFFFFFFFF or 0xFFFFFFFC on MIPS32, makes unicorn 2.1.4 fail with
# UC_ERR_READ_UNMAPPED before the first instruction, so "no stop address" cannot be spelled that way.)
UNTIL_NEVER = 0


class Divergence(AssertionError):
    """The VM and unicorn disagree after an instruction."""


M = TypeVar("M", bound=Memory)


def recording_copy(cls: type[M], memory: Memory) -> M:
    """A ``Memory`` subclass instance (one that records accesses) holding ``memory``'s pages."""
    recording = cls(memory.address_bits)
    for index, page in memory.pages.items():
        recording.set_page(index, bytes(page))
    return recording


class RegisterReader:
    """``uc.reg_read_batch(registers)`` without the binding's per-call Python work.

    The public call rebuilds its ctypes arrays on every use and took about 70 % of the lock-step's
    time; this keeps them and calls only the C function. It falls back to the public call when the
    binding's private helper is missing (another unicorn release); ``test_register_reader`` in each
    ISA's file holds both equal.
    """

    def __init__(self, uc: Any, registers: list[int], mask: int) -> None:
        self.uc = uc
        self.registers = registers
        self.mask = mask
        count = len(registers)
        self._count = ctypes.c_int(count)
        self._ids = (ctypes.c_int * count)(*registers)
        # 8-byte slots hold every register of both ISAs. The slots start zeroed and unicorn writes
        # values of the register's width, so a 32-bit ISA needs no masking per step; a caller masks
        # before it reports a difference.
        self._values = (ctypes.c_uint64 * count)()
        base = ctypes.addressof(self._values)
        self._pointers = (ctypes.c_void_p * count)(*(base + 8 * index for index in range(count)))
        self._raw: Callable[..., int] | None = getattr(uc, "_do_reg_read_batch", None)

    def read(self) -> list[int]:
        if self._raw is None:
            return self.read_public()
        status = self._raw(self._ids, self._pointers, self._count)
        if status != unicorn.UC_ERR_OK:
            raise UcError(status)
        return self._values[:]

    def read_public(self) -> list[int]:
        return [value & self.mask for value in self.uc.reg_read_batch(self.registers)]


class UnicornMemory:
    """Unicorn's memory, mapped page by page from the VM's ``Memory`` so it is as total as the VM's.

    The VM's pages are mapped (runs of consecutive pages as one region) and copied at the start;
    any other page is mapped when unicorn first touches it, with the VM's contents of that moment.
    A lock-step runs unicorn before the VM, so that is the VM's **pre**-step page.
    """

    def __init__(self, uc: Any, vm_memory: Memory, address_digits: int) -> None:
        self.uc = uc
        self.vm_memory = vm_memory
        self.address_mask = (1 << (4 * address_digits)) - 1
        self.address_digits = address_digits
        self.mapped: set[int] = set()
        self.mapped_on_demand = 0
        self._map_vm_pages()
        uc.hook_add(unicorn.UC_HOOK_MEM_UNMAPPED, self._on_unmapped)

    def _map_vm_pages(self) -> None:
        indexes = self.vm_memory.page_indexes()
        start = 0
        while start < len(indexes):
            end = start
            while end + 1 < len(indexes) and indexes[end + 1] == indexes[end] + 1:
                end += 1
            self.uc.mem_map(indexes[start] << PAGE_ADDRESS_BITS, (end - start + 1) * PAGE_SIZE)
            for index in indexes[start : end + 1]:
                self.uc.mem_write(index << PAGE_ADDRESS_BITS, bytes(self.vm_memory.pages[index]))
                self.mapped.add(index)
            start = end + 1

    def map_page(self, index: int) -> None:
        self.uc.mem_map(index << PAGE_ADDRESS_BITS, PAGE_SIZE)
        self.mapped.add(index)
        page = self.vm_memory.pages.get(index)
        if page is not None:
            self.uc.mem_write(index << PAGE_ADDRESS_BITS, bytes(page))

    def _on_unmapped(
        self, uc: object, access: int, address: int, size: int, value: int, user: object
    ) -> bool:
        # The VM's memory is total (absent = zero, no permissions): map a page on its first touch.
        for index in {
            address >> PAGE_ADDRESS_BITS,
            ((address + max(size, 1) - 1) & self.address_mask) >> PAGE_ADDRESS_BITS,
        }:
            if index not in self.mapped:
                self.map_page(index)
                self.mapped_on_demand += 1
        return True

    def read(self, address: int, size: int) -> bytes:
        """``size`` bytes (within one page) as unicorn holds them; an unmapped page reads as zero."""
        if address >> PAGE_ADDRESS_BITS not in self.mapped:
            return bytes(size)
        return bytes(self.uc.mem_read(address, size))

    def write(self, address: int, data: bytes) -> None:
        """Copy bytes (within one page) the VM produced into unicorn, mapping the page if needed."""
        if address >> PAGE_ADDRESS_BITS not in self.mapped:
            self.map_page(address >> PAGE_ADDRESS_BITS)
        self.uc.mem_write(address, data)

    def compare_all(self, step: int) -> int:
        """Every page either side has must be equal (catches stray writes a per-step check missed)."""
        indexes = set(self.vm_memory.pages) | self.mapped
        for index in sorted(indexes):
            address = index << PAGE_ADDRESS_BITS
            vm_page = self.vm_memory.pages.get(index)
            vm_bytes = bytes(vm_page) if vm_page is not None else bytes(PAGE_SIZE)
            uc_bytes = self.read(address, PAGE_SIZE)
            if vm_bytes != uc_bytes:
                offset = next(i for i in range(PAGE_SIZE) if vm_bytes[i] != uc_bytes[i])
                raise Divergence(
                    f"memory at 0x{address + offset:0{self.address_digits}x} differs after VM step {step}"
                )
        return len(indexes)


class SteppingVM(Protocol):
    @property
    def exited(self) -> bool: ...

    def step(self) -> object: ...


V = TypeVar("V", bound=SteppingVM)


def run_vm_until(vm: V, stop: Callable[[V], bool], limit: int) -> None:
    """Run the VM alone (reference step) until ``stop`` holds before a step."""
    for _ in range(limit):
        if vm.exited or stop(vm):
            return
        vm.step()
    raise AssertionError(f"condition not reached within {limit} steps")
