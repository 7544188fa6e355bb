"""``load-elf`` for RV64: segments, Go runtime patches, the initial stack (riscv64.md §9).

The result is step 0 of the program; its hash is the program's absolute prestate, so every byte
written here is consensus-critical, upstream's quirks included (Asterisc v1.3.0).
"""

from __future__ import annotations

import struct
from pathlib import Path

from faultproof.elf import (
    GO_RUNTIME_PATCHES,
    ElfTarget,
    Segment,
    elf_errors,
    iter_segments,
    open_elf,
    patch_symbols,
    read_elf_file,
    symtab_symbols,
    write_range,
)
from faultproof.errors import ElfError
from faultproof.memory import PAGE_SIZE, Memory
from faultproof.metadata import Metadata
from faultproof.vm.riscv64.state import REG_SP, RiscvState

ADDRESS_BITS = 64
RISCV64 = ElfTarget(isa="RISC-V", machine="EM_RISCV", machine_number=243, bits=64, little_endian=True)
PT_RISCV_ATTRIBUTES = 0x7000_0003
HEAP_START = 0x0000_7F00_0000_0000
STACK_POINTER = 0x1000_0000_0000_0000

# Not a rule of §9.3 but a guard against corrupt headers: upstream would wrap a segment around
# the top of the address space, or try to allocate a huge one until it runs out of memory.
MAX_SEGMENT_SIZE = 1 << 32

# ``jalr x0, 0(ra)``, i.e. ``ret``: return at once from a patched function (§9.4).
RETURN_IMMEDIATELY = bytes.fromhex("67800000")
# Zeroed after the other patches: disables memory profiling and its floating-point sampling.
MEM_PROFILE_RATE = "runtime.MemProfileRate"
MEM_PROFILE_RATE_OFF = bytes(8)

# The initial stack (§9.5). ``argc`` at ``sp`` is never written, so it reads 0; upstream's words
# start one above it.
STACK_WORDS_OFFSET = 8
AT_PAGESZ = 6
AT_RANDOM = 25
RANDOM_OFFSET = 72
_STACK_WORDS = struct.Struct("<10Q")


def initial_stack(sp: int) -> bytes:
    """The little-endian words written at ``sp + 8``: upstream's argv/envp/auxv image, quirks and all."""
    return _STACK_WORDS.pack(
        0x42,  # argv[0] slot: never read, as argc = 0; no NULL terminator follows
        0x35,  # taken as envp[0]: points to unmapped 0x35, an empty string Go drops
        0,  # end of envp
        AT_PAGESZ,
        PAGE_SIZE,
        AT_RANDOM,
        sp + RANDOM_OFFSET,
        0,  # AT_NULL
        0x6F72_7020_646E_6172,  # the 16 "random" bytes: "rand pro"
        0x6164_626D_616C_6F74,  # "tolambda"
    )


def _check_fits(segment: Segment) -> None:
    """Refuse a segment no real program has: past the top of the address space, or over 4 GiB."""
    where = f"segment {segment.number} at 0x{segment.vaddr:x} (+{segment.memsz} bytes)"
    if segment.memsz > MAX_SEGMENT_SIZE:
        raise ElfError(f"{where} is larger than the loader's limit of {MAX_SEGMENT_SIZE} bytes")
    if segment.vaddr + segment.memsz > 1 << ADDRESS_BITS:
        raise ElfError(f"{where} runs past the end of the {ADDRESS_BITS}-bit address space")


def load_elf(path: Path) -> tuple[RiscvState, Memory, Metadata]:
    """Step 0 of the program in ``path`` and its symbol metadata."""
    data = read_elf_file(path)
    with elf_errors(path):
        elf = open_elf(data, RISCV64)
        state = RiscvState(pc=elf.header["e_entry"], heap=HEAP_START)
        memory = Memory(ADDRESS_BITS)
        # SEGMENTS (§9.3): later ones overwrite earlier ones, zero fill included.
        for segment in iter_segments(elf, PT_RISCV_ATTRIBUTES):
            _check_fits(segment)
            write_range(memory, segment.vaddr, segment.image(data))
        symbols = symtab_symbols(elf)

    # GO PATCHES (§9.4): written even where no segment was loaded.
    patch_symbols(memory, symbols, GO_RUNTIME_PATCHES, RETURN_IMMEDIATELY)
    patch_symbols(memory, symbols, {MEM_PROFILE_RATE}, MEM_PROFILE_RATE_OFF)

    # STACK (§9.5)
    state.registers[REG_SP] = STACK_POINTER
    write_range(memory, STACK_POINTER + STACK_WORDS_OFFSET, initial_stack(STACK_POINTER))
    return state, memory, Metadata(symbols)


__all__ = ["initial_stack", "load_elf"]
