"""``load-elf`` for MIPS32: segments, Go runtime patches, the initial stack (mips32.md §8).

The result is step 0 of the program; its hash is the program's absolute prestate, so every byte
written here is consensus-critical.
"""

from __future__ import annotations

import io
from pathlib import Path

from elftools.common.exceptions import ELFError as PyElfError
from elftools.construct import ConstructError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from faultproof.errors import ElfError
from faultproof.ints import be32
from faultproof.memory import PAGE_ADDRESS_BITS, Memory
from faultproof.metadata import Metadata, Symbol
from faultproof.vm.mips32.state import REG_SP, MipsState

EM_MIPS = 8
PT_LOAD = 1
PT_MIPS_ABIFLAGS = 0x7000_0003
HEAP_START = 0x0500_0000
STACK_POINTER = 0x7FFF_D000

# ``jr $ra; nop``: return immediately from a patched function (§8.4).
RETURN_IMMEDIATELY = bytes.fromhex("03e0000800000000")

# Go runtime functions that need threads or a collector a single-threaded VM cannot run (§8.4).
PATCHED_SYMBOLS = frozenset(
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

# The argv/envp/auxv image the Go runtime expects at the initial stack pointer (§8.5).
STACK_CLEAR_BELOW = 0x4000
STACK_CLEAR_ABOVE = 0x1000
AT_PAGESZ = 6
AT_RANDOM = 25
RANDOM_BYTES = b"4;byfairdiceroll"
ENVIRONMENT = b"GODEBUG=memprofilerate=0\x00\x00\x00\x00"
PROGRAM_NAME = b"op-program\x00\x00"


def initial_stack(sp: int) -> bytes:
    """The 96 bytes written at ``sp``: argc, argv, envp, auxv and the strings they point to."""
    random_address = sp + 40
    environment_address = random_address + len(RANDOM_BYTES)
    program_name_address = environment_address + len(ENVIRONMENT)
    words = [
        1,  # argc
        program_name_address,  # argv[0]
        0,
        environment_address,  # envp[0]
        0,
        AT_PAGESZ,
        0x1000,
        AT_RANDOM,
        random_address,
        0,  # AT_NULL
    ]
    return b"".join(be32(word) for word in words) + RANDOM_BYTES + ENVIRONMENT + PROGRAM_NAME


def _materialize(memory: Memory, start: int, length: int) -> None:
    """Allocate every page of ``[start, start + length]``, end included, as upstream does (§8.6)."""
    for page in range(start >> PAGE_ADDRESS_BITS, ((start + length) >> PAGE_ADDRESS_BITS) + 1):
        memory.page(page)


def _write(memory: Memory, address: int, data: bytes) -> None:
    _materialize(memory, address, len(data))
    memory.write(address, data)


def _open(data: bytes) -> ELFFile:
    try:
        elf = ELFFile(io.BytesIO(data))
    except (PyElfError, ConstructError) as error:
        raise ElfError(f"not an ELF file: {error}") from error
    if elf.header["e_machine"] != "EM_MIPS":
        raise ElfError(f"ELF is for {elf.header['e_machine']}, not MIPS (EM_MIPS = {EM_MIPS})")
    if elf.elfclass != 32 or elf.little_endian:
        raise ElfError("ELF must be 32-bit big-endian (ELFCLASS32, ELFDATA2MSB)")
    return elf


def _load_segments(elf: ELFFile, data: bytes, memory: Memory) -> None:
    for index, segment in enumerate(elf.iter_segments()):
        header = segment.header
        if header["p_type"] == "PT_MIPS_ABIFLAGS" or header["p_type"] == PT_MIPS_ABIFLAGS:
            continue
        vaddr, filesz, memsz, offset = (
            header["p_vaddr"],
            header["p_filesz"],
            header["p_memsz"],
            header["p_offset"],
        )
        if filesz != memsz and not (header["p_type"] == "PT_LOAD" and filesz < memsz):
            raise ElfError(f"segment {index}: file size {filesz} differs from memory size {memsz}")
        if vaddr + memsz >= 1 << 32 or vaddr + memsz >= HEAP_START:
            raise ElfError(
                f"segment {index} at 0x{vaddr:08x} (+{memsz} bytes) overlaps the heap at 0x{HEAP_START:08x}"
            )
        if offset + filesz > len(data):
            raise ElfError(f"segment {index}: file is truncated ({offset + filesz} > {len(data)} bytes)")
        _write(memory, vaddr, data[offset : offset + filesz] + bytes(memsz - filesz))


def _symbols(elf: ELFFile) -> list[Symbol]:
    symbols: list[Symbol] = []
    for section in elf.iter_sections():
        if isinstance(section, SymbolTableSection):
            symbols.extend(
                Symbol(symbol["st_value"], symbol["st_size"], symbol.name)
                for symbol in section.iter_symbols()
            )
    return symbols


def load_elf(path: Path) -> tuple[MipsState, Memory, Metadata]:
    """Step 0 of the program in ``path`` and its symbol metadata."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ElfError(f"cannot read {path}: {error.strerror}") from error
    try:
        elf = _open(data)
        state = MipsState(pc=elf.header["e_entry"], next_pc=elf.header["e_entry"] + 4, heap=HEAP_START)
        memory = Memory(32)
        _load_segments(elf, data, memory)
        symbols = _symbols(elf)
    except ElfError as error:
        raise ElfError(f"{path}: {error}") from error
    except (PyElfError, ConstructError, ValueError, KeyError) as error:
        raise ElfError(f"{path}: malformed ELF: {error}") from error

    # GO PATCHES (§8.4)
    for symbol in symbols:
        if symbol.name in PATCHED_SYMBOLS:
            _write(memory, symbol.start, RETURN_IMMEDIATELY)

    # STACK (§8.5)
    clear_start = STACK_POINTER - STACK_CLEAR_BELOW
    _write(memory, clear_start, bytes(STACK_CLEAR_BELOW + STACK_CLEAR_ABOVE))
    state.registers[REG_SP] = STACK_POINTER
    _write(memory, STACK_POINTER, initial_stack(STACK_POINTER))
    return state, memory, Metadata(symbols)
