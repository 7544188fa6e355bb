"""``load-elf`` for MIPS32: segments, Go runtime patches, the initial stack (mips32.md §8).

The result is step 0 of the program; its hash is the program's absolute prestate, so every byte
written here is consensus-critical.
"""

from __future__ import annotations

from pathlib import Path

from faultproof.elf import (
    GO_RUNTIME_PATCHES,
    ElfTarget,
    all_symbols,
    elf_errors,
    iter_segments,
    open_elf,
    patch_symbols,
    read_elf_file,
    write_range,
)
from faultproof.errors import ElfError
from faultproof.ints import be32
from faultproof.memory import Memory
from faultproof.metadata import Metadata
from faultproof.vm.mips32.state import REG_SP, MipsState

MIPS32 = ElfTarget(isa="MIPS", machine="EM_MIPS", machine_number=8, bits=32, little_endian=False)
PT_MIPS_ABIFLAGS = 0x7000_0003
HEAP_START = 0x0500_0000
STACK_POINTER = 0x7FFF_D000

# ``jr $ra; nop``: return immediately from a patched function (§8.4).
RETURN_IMMEDIATELY = bytes.fromhex("03e0000800000000")

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


def load_elf(path: Path) -> tuple[MipsState, Memory, Metadata]:
    """Step 0 of the program in ``path`` and its symbol metadata."""
    data = read_elf_file(path)
    with elf_errors(path):
        elf = open_elf(data, MIPS32)
        state = MipsState(pc=elf.header["e_entry"], next_pc=elf.header["e_entry"] + 4, heap=HEAP_START)
        memory = Memory(32)
        # SEGMENTS (§8.3)
        for segment in iter_segments(elf, PT_MIPS_ABIFLAGS):
            end = segment.vaddr + segment.memsz
            if end >= 1 << 32 or end >= HEAP_START:
                raise ElfError(
                    f"segment {segment.number} at 0x{segment.vaddr:08x} (+{segment.memsz} bytes)"
                    f" overlaps the heap at 0x{HEAP_START:08x}"
                )
            write_range(memory, segment.vaddr, segment.image(data))
        symbols = all_symbols(elf)

    # GO PATCHES (§8.4)
    patch_symbols(memory, symbols, GO_RUNTIME_PATCHES, RETURN_IMMEDIATELY)

    # STACK (§8.5)
    clear_start = STACK_POINTER - STACK_CLEAR_BELOW
    write_range(memory, clear_start, bytes(STACK_CLEAR_BELOW + STACK_CLEAR_ABOVE))
    state.registers[REG_SP] = STACK_POINTER
    write_range(memory, STACK_POINTER, initial_stack(STACK_POINTER))
    return state, memory, Metadata(symbols)
