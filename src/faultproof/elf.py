"""What the VMs' ELF loaders share: opening, segments, symbols, patches (mips32.md §8, riscv64.md §9).

Each VM's ``load-elf`` says which machine, word size and byte order it accepts, which segments it
refuses, what it patches and how its stack looks; the mechanics are the same for both and live here.
Everything a loader writes ends up in the absolute prestate, so these rules are consensus-critical.

Errors: the helpers raise ``ElfError`` without the file name; a loader wraps its work in
``elf_errors(path)``, which adds the name and turns pyelftools' exceptions into ``ElfError`` too.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError as PyElfError
from elftools.construct import ConstructError
from elftools.elf import enums
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from faultproof.errors import ElfError
from faultproof.memory import PAGE_ADDRESS_BITS, Memory
from faultproof.metadata import Symbol

PT_LOAD = 1

# Go 1.22 runtime functions that need threads or a collector a single-threaded VM cannot run, and
# package inits that start background goroutines. Both VMs patch the same names to return at
# once (mips32.md §8.4, riscv64.md §9.4), each with its own return instruction.
GO_RUNTIME_PATCHES = frozenset(
    {
        "runtime.gcenable",
        "runtime.init.5",
        "runtime.main.func1",
        "runtime.deductSweepCredit",
        "runtime.(*gcControllerState).commit",
        "github.com/prometheus/client_golang/prometheus.init",
        "github.com/prometheus/client_golang/prometheus.init.0",
        "github.com/prometheus/procfs.init",
        "github.com/prometheus/common/model.init",
        "github.com/prometheus/client_model/go.init",
        "github.com/prometheus/client_model/go.init.0",
        "github.com/prometheus/client_model/go.init.1",
        "flag.init",
        "runtime.check",
    }
)

# pyelftools reports a known segment type by a name that depends on the machine (0x70000003 is
# PT_MIPS_ABIFLAGS on MIPS and PT_RISCV_ATTRIBUTES on RISC-V) and an unknown one by number.
_SEGMENT_TYPE_NUMBERS: dict[str, int] = {
    name: number
    for table in (enums.ENUM_P_TYPE_BASE, enums.ENUM_P_TYPE_MIPS, enums.ENUM_P_TYPE_RISCV)
    for name, number in table.items()
    if isinstance(number, int)
}


@dataclass(frozen=True)
class ElfTarget:
    """The kind of ELF a VM loads: ``e_machine`` (by pyelftools' name and number), class, byte order."""

    isa: str
    machine: str
    machine_number: int
    bits: int
    little_endian: bool


@dataclass(frozen=True)
class Segment:
    """A program header that passed the size rules; ``image`` reads its bytes."""

    number: int
    type: int
    vaddr: int
    offset: int
    filesz: int
    memsz: int

    def image(self, data: bytes) -> bytes:
        """The ``filesz`` file bytes followed by zeros up to ``memsz``; ``data`` is the whole ELF."""
        if self.offset + self.filesz > len(data):
            problem = f"file is truncated ({self.offset + self.filesz} > {len(data)} bytes)"
            raise ElfError(f"segment {self.number}: {problem}")
        return data[self.offset : self.offset + self.filesz] + bytes(self.memsz - self.filesz)


def read_elf_file(path: Path) -> bytes:
    """The bytes of an ELF file."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ElfError(f"cannot read {path}: {error.strerror}") from error


@contextmanager
def elf_errors(path: Path) -> Iterator[None]:
    """Name the file in every ``ElfError`` raised inside, and report a malformed ELF as one."""
    try:
        yield
    except ElfError as error:
        raise ElfError(f"{path}: {error}") from error
    except (PyElfError, ConstructError, ValueError, KeyError) as error:
        raise ElfError(f"{path}: malformed ELF: {error}") from error


def open_elf(data: bytes, target: ElfTarget) -> ELFFile:
    """Parse the ELF header, refusing another machine, word size or byte order."""
    try:
        elf = ELFFile(io.BytesIO(data))
    except (PyElfError, ConstructError) as error:
        raise ElfError(f"not an ELF file: {error}") from error
    if elf.header["e_machine"] != target.machine:
        machine = f"{target.machine} = {target.machine_number}"
        raise ElfError(f"ELF is for {elf.header['e_machine']}, not {target.isa} ({machine})")
    if elf.elfclass != target.bits or elf.little_endian != target.little_endian:
        order, data_encoding = ("little", "LSB") if target.little_endian else ("big", "MSB")
        expected = f"ELFCLASS{target.bits}, ELFDATA2{data_encoding}"
        raise ElfError(f"ELF must be {target.bits}-bit {order}-endian ({expected})")
    return elf


def segment_type(p_type: str | int) -> int:
    """The number of a segment type, however pyelftools reported it."""
    return p_type if isinstance(p_type, int) else _SEGMENT_TYPE_NUMBERS[p_type]


def iter_segments(elf: ELFFile, skipped_type: int) -> Iterator[Segment]:
    """The program headers in file order, except ``skipped_type``, checked against the size rules.

    Every type is loaded, not only ``PT_LOAD``: sizes must match, except that a ``PT_LOAD`` may
    have fewer file bytes than memory bytes (the rest is zero fill, e.g. ``.bss``).
    """
    for number, segment in enumerate(elf.iter_segments()):
        header = segment.header
        kind = segment_type(header["p_type"])
        if kind == skipped_type:
            continue
        filesz, memsz = header["p_filesz"], header["p_memsz"]
        if filesz != memsz and not (kind == PT_LOAD and filesz < memsz):
            raise ElfError(f"segment {number}: file size {filesz} differs from memory size {memsz}")
        yield Segment(number, kind, header["p_vaddr"], header["p_offset"], filesz, memsz)


def _section_symbols(section: SymbolTableSection) -> list[Symbol]:
    return [Symbol(symbol["st_value"], symbol["st_size"], symbol.name) for symbol in section.iter_symbols()]


def all_symbols(elf: ELFFile) -> list[Symbol]:
    """The symbols of every symbol table (``.symtab`` and any ``.dynsym``), in table order."""
    symbols: list[Symbol] = []
    for section in elf.iter_sections():
        if isinstance(section, SymbolTableSection):
            symbols += _section_symbols(section)
    return symbols


def symtab_symbols(elf: ELFFile) -> list[Symbol]:
    """The symbols of the first ``SHT_SYMTAB`` section, in table order; an error if there is none.

    Upstream's Go loader reads exactly these (``debug/elf``'s ``File.Symbols``): that table, less
    its entry 0, the null symbol every symbol table starts with.
    """
    for section in elf.iter_sections():
        if isinstance(section, SymbolTableSection) and section["sh_type"] == "SHT_SYMTAB":
            return _section_symbols(section)[1:]
    raise ElfError("no symbol table (.symtab), which the Go runtime patches need (built with -ldflags=-s?)")


def write_range(memory: Memory, address: int, data: bytes) -> None:
    """Write ``data`` at ``address``, allocating every page of ``[address, address + len(data)]``.

    The end is included, as in upstream's loaders, so a zero-length segment still allocates the
    page of its address (mips32.md §8.6, riscv64.md §9.7). Page lists change; hashes never do.
    """
    page_mask = (1 << (memory.address_bits - PAGE_ADDRESS_BITS)) - 1
    first = address >> PAGE_ADDRESS_BITS
    last = (address + len(data)) >> PAGE_ADDRESS_BITS
    for page in range(first, last + 1):
        memory.page(page & page_mask)
    memory.write(address, data)


def patch_symbols(memory: Memory, symbols: Iterable[Symbol], names: Collection[str], code: bytes) -> None:
    """Write ``code`` at every symbol named in ``names``, in table order, occurrences included."""
    for symbol in symbols:
        if symbol.name in names:
            write_range(memory, symbol.start, code)


__all__ = [
    "GO_RUNTIME_PATCHES",
    "PT_LOAD",
    "ElfTarget",
    "Segment",
    "all_symbols",
    "elf_errors",
    "iter_segments",
    "open_elf",
    "patch_symbols",
    "read_elf_file",
    "segment_type",
    "symtab_symbols",
    "write_range",
]
