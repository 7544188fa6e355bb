"""RV64 ``load-elf`` (riscv64.md §9): a real Go guest, and small hand-made ELFs for every rule.

The hand-made ELFs are written with ``struct`` so each test shows exactly the header it is about:
one program header per segment, and optionally a ``.symtab`` with its string tables.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from faultproof.elf import GO_RUNTIME_PATCHES
from faultproof.errors import ElfError
from faultproof.memory import Memory
from faultproof.metadata import Symbol
from faultproof.vm.riscv64.elf import initial_stack, load_elf
from faultproof.vm.riscv64.state import REG_SP, RiscvState, encode_witness, state_hash

SP = 0x1000_0000_0000_0000
HEAP = 0x7F00_0000_0000
RET = bytes.fromhex("67800000")
EM_RISCV = 243
EM_X86_64 = 62
PT_LOAD = 1
PT_NOTE = 4
PT_PHDR = 6
PT_GNU_STACK = 0x6474E551
PT_RISCV_ATTRIBUTES = 0x7000_0003

# -- §13.3 vector B: the initial stack alone ----------------------------------------------------

VECTOR_B_LEAVES = {
    SP: "0000000000000000420000000000000035000000000000000000000000000000",
    SP + 0x20: "0600000000000000001000000000000019000000000000004800000000000010",
    SP + 0x40: "000000000000000072616e642070726f746f6c616d6264610000000000000000",
}
VECTOR_B_ROOT = "e3452f1138542a2d5e49acd7671562e6dda5a8cd463740e69f23bbedaeff07d7"
VECTOR_B_HASH = "03e258b2fefc1e393675b0fea2a3ccf3255dfe7e482e1b158ddca4282aeee932"
# §9.5: bytes 0x00–0x57 above sp.
STACK_IMAGE = bytes.fromhex(
    "0000000000000000" "4200000000000000" "3500000000000000" "0000000000000000"
    "0600000000000000" "0010000000000000" "1900000000000000" "4800000000000010"
    "0000000000000000"
) + b"rand protolambda"  # fmt: skip


def _initial_state() -> RiscvState:
    state = RiscvState(heap=HEAP)
    state.registers[REG_SP] = SP
    return state


def test_vector_b_initial_stack() -> None:
    memory = Memory(64)
    memory.write(SP + 8, initial_stack(SP))
    assert memory.read(SP, 0x58) == STACK_IMAGE
    for address, leaf in VECTOR_B_LEAVES.items():
        assert memory.read(address, 32).hex() == leaf
    assert memory.merkle_root().hex() == VECTOR_B_ROOT
    assert state_hash(encode_witness(memory.merkle_root(), _initial_state())).hex() == VECTOR_B_HASH


def test_initial_stack_words() -> None:
    words = struct.unpack("<10Q", initial_stack(SP))
    assert words == (0x42, 0x35, 0, 6, 4096, 25, SP + 72, 0, 0x6F727020646E6172, 0x6164626D616C6F74)


# -- hand-made ELFs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seg:
    """One program header; its file bytes are appended to the ELF unless ``offset`` says where."""

    vaddr: int
    data: bytes
    memsz: int | None = None
    type: int = PT_LOAD
    paddr: int = 0
    offset: int | None = None


def build_elf(
    segments: list[Seg],
    symbols: list[tuple[str, int, int]] | None = None,
    *,
    entry: int = 0x1_0000,
    machine: int = EM_RISCV,
    endian: str = "<",
) -> bytes:
    """An ELF64 executable: header, program headers, segment bytes, then ``.symtab`` if given."""
    header = struct.Struct(endian + "16sHHIQQQIHHHHHH")
    program_header = struct.Struct(endian + "IIQQQQQQ")
    section_header = struct.Struct(endian + "IIQQQQIIQQ")
    symbol = struct.Struct(endian + "IBBHQQ")

    body = bytearray()
    data_start = header.size + program_header.size * len(segments)
    phdrs = bytearray()
    for seg in segments:
        offset = seg.offset if seg.offset is not None else data_start + len(body)
        if seg.offset is None:
            body += seg.data
        memsz = len(seg.data) if seg.memsz is None else seg.memsz
        phdrs += program_header.pack(seg.type, 6, offset, seg.vaddr, seg.paddr, len(seg.data), memsz, 8)

    sections: list[bytes] = []
    shoff = shnum = shstrndx = 0
    if symbols is not None:
        strtab = bytearray(b"\x00")
        symtab = bytearray(symbol.pack(0, 0, 0, 0, 0, 0))  # entry 0: the null symbol
        for name, value, size in symbols:
            symtab += symbol.pack(len(strtab), 0x12, 0, 1, value, size)  # GLOBAL FUNC
            strtab += name.encode() + b"\x00"
        shstrtab = b"\x00.symtab\x00.strtab\x00.shstrtab\x00"
        symtab_at = data_start + len(body)
        strtab_at = symtab_at + len(symtab)
        shstrtab_at = strtab_at + len(strtab)
        body += symtab + strtab + shstrtab
        body += bytes(-len(body) % 8)
        shoff = data_start + len(body)
        sections = [
            section_header.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            section_header.pack(1, 2, 0, 0, symtab_at, len(symtab), 2, 1, 8, symbol.size),  # SHT_SYMTAB
            section_header.pack(9, 3, 0, 0, strtab_at, len(strtab), 0, 0, 1, 0),  # SHT_STRTAB
            section_header.pack(17, 3, 0, 0, shstrtab_at, len(shstrtab), 0, 0, 1, 0),
        ]
        shnum, shstrndx = len(sections), 3
    ident = b"\x7fELF" + bytes([2, 1 if endian == "<" else 2, 1]) + bytes(9)
    elf_header = header.pack(
        ident, 2, machine, 1, entry, header.size, shoff, 0, header.size,
        program_header.size, len(segments), section_header.size, shnum, shstrndx,
    )  # fmt: skip
    return elf_header + phdrs + body + b"".join(sections)


def elf32(machine: int = EM_RISCV) -> bytes:
    """A minimal ELF32 little-endian header without segments or sections."""
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    return struct.pack("<16sHHIIIIIHHHHHH", ident, 2, machine, 1, 0x1000, 0, 0, 0, 52, 32, 0, 40, 0, 0)


NO_SYMBOLS: list[tuple[str, int, int]] = [("main.main", 0x1_0000, 4)]


def load(tmp_path: Path, data: bytes) -> tuple[RiscvState, Memory, list[Symbol]]:
    path = tmp_path / "guest.elf"
    path.write_bytes(data)
    state, memory, metadata = load_elf(path)
    return state, memory, metadata.symbols


def load_error(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "guest.elf"
    path.write_bytes(data)
    with pytest.raises(ElfError) as caught:
        load_elf(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


# -- initial state (§9.2) and stack (§9.5) ------------------------------------------------------


def test_initial_state(tmp_path: Path) -> None:
    state, memory, _ = load(tmp_path, build_elf([], NO_SYMBOLS, entry=0x1234_5678_9ABC))
    expected = _initial_state()
    expected.pc = 0x1234_5678_9ABC
    assert state == expected
    assert memory.address_bits == 64
    # Nothing else written: the memory is exactly vector B's.
    assert memory.page_indexes() == [SP >> 12]
    assert memory.merkle_root().hex() == VECTOR_B_ROOT


# -- segments (§9.3) ----------------------------------------------------------------------------


def test_segments_of_every_type_with_equal_sizes_are_copied(tmp_path: Path) -> None:
    segments = [
        Seg(0x1_0000, b"load"),
        Seg(0x2_0000, b"note", type=PT_NOTE),
        Seg(0x3_0000, b"phdr", type=PT_PHDR),
        Seg(0x4_0000, b"unknown", type=0x6FFF_FFFF),
        Seg(0x5_0000, b"", type=PT_GNU_STACK),
    ]
    _, memory, _ = load(tmp_path, build_elf(segments, NO_SYMBOLS))
    for seg in segments[:4]:
        assert memory.read(seg.vaddr, len(seg.data)) == seg.data
    # Every page a segment touches exists, the one after its end included (§9.7).
    assert {0x10, 0x20, 0x30, 0x40, 0x50} <= set(memory.page_indexes())


def test_riscv_attributes_are_skipped(tmp_path: Path) -> None:
    # Sizes that would be rejected for any other type, and bytes that must not appear.
    attributes = Seg(0x1_0000, b"attributes", memsz=0, type=PT_RISCV_ATTRIBUTES)
    _, memory, _ = load(tmp_path, build_elf([attributes], NO_SYMBOLS))
    assert memory.read(0x1_0000, 10) == bytes(10)
    assert 0x10 not in memory.pages


def test_load_segment_is_zero_filled(tmp_path: Path) -> None:
    segments = [Seg(0x1_0000, b"\xee" * 64), Seg(0x1_0010, b"abc", memsz=32)]
    _, memory, _ = load(tmp_path, build_elf(segments, NO_SYMBOLS))
    # The later segment overwrites the earlier one, its zero fill included.
    assert memory.read(0x1_0000, 64) == b"\xee" * 16 + b"abc" + bytes(29) + b"\xee" * 16


def test_vaddr_not_paddr(tmp_path: Path) -> None:
    _, memory, _ = load(tmp_path, build_elf([Seg(0x1_0000, b"here", paddr=0x2_0000)], NO_SYMBOLS))
    assert memory.read(0x1_0000, 4) == b"here" and memory.read(0x2_0000, 4) == bytes(4)


def test_later_segments_overwrite_earlier_ones(tmp_path: Path) -> None:
    segments = [Seg(0x1_0000, b"first!"), Seg(0x1_0002, b"XY", type=PT_NOTE)]
    _, memory, _ = load(tmp_path, build_elf(segments, NO_SYMBOLS))
    assert memory.read(0x1_0000, 6) == b"fiXYt!"


def test_segment_at_the_top_of_the_address_space(tmp_path: Path) -> None:
    top = (1 << 64) - 4
    _, memory, _ = load(tmp_path, build_elf([Seg(top, b"\x01\x02\x03\x04")], NO_SYMBOLS))
    assert memory.read(top, 4) == b"\x01\x02\x03\x04"
    # The page after the end wraps to page 0 (§9.7 and upstream's wrapping addresses).
    assert {0, (1 << 52) - 1} <= set(memory.page_indexes())


@pytest.mark.parametrize(
    ("seg", "problem"),
    [
        (Seg(0x1_0000, b"abcd", memsz=2), "segment 0: file size 4 differs from memory size 2"),
        (Seg(0x1_0000, b"ab", memsz=4, type=PT_NOTE), "segment 0: file size 2 differs from memory size 4"),
        (Seg(0x1_0000, b"abcd", memsz=2, type=PT_NOTE), "file size 4 differs from memory size 2"),
        (Seg(0x1_0000, b"", memsz=4096, type=PT_GNU_STACK), "file size 0 differs from memory size 4096"),
        (Seg(0x1_0000, b"abcd", offset=1 << 20), "segment 0: file is truncated"),
        (Seg((1 << 64) - 2, b"abcd"), "runs past the end of the 64-bit address space"),
        (Seg(0x1_0000, b"", memsz=(1 << 32) + 1), "larger than the loader's limit"),
    ],
    ids=[
        "load-filesz-gt-memsz",
        "note-filesz-lt-memsz",
        "note-filesz-gt-memsz",
        "stack-memsz",
        "truncated",
        "wraps",
        "huge",
    ],
)
def test_bad_segments_are_rejected(tmp_path: Path, seg: Seg, problem: str) -> None:
    assert problem in load_error(tmp_path, build_elf([seg], NO_SYMBOLS))


def test_segment_errors_name_the_segment_number(tmp_path: Path) -> None:
    segments = [
        Seg(0x1_0000, b"ok"),
        Seg(0x2_0000, b"ok", type=PT_RISCV_ATTRIBUTES, memsz=0),
        Seg(0, b"ab", 1),
    ]
    assert "segment 2: file size 2 differs from memory size 1" in load_error(
        tmp_path, build_elf(segments, [])
    )


# -- Go patches (§9.4) --------------------------------------------------------------------------


def test_go_patches(tmp_path: Path) -> None:
    text = Seg(0x1_0000, b"\xaa" * 0x100)
    data = Seg(0x2_0000, b"\xbb" * 0x20)
    symbols = [
        ("runtime.gcenable", 0x1_0010, 8),
        ("runtime.MemProfileRate", 0x2_0008, 8),
        ("main.main", 0x1_0020, 8),  # not patched
        ("runtime.init.5", 0x1_0030, 8),
        ("runtime.init.5", 0x1_0040, 8),  # every occurrence
        ("flag.init", 0x7_0000, 4),  # no segment there: written anyway
        ("runtime.check", 0x1_00FE, 4),  # beyond the segment's end: written anyway
        ("runtime.gcenable.func1", 0x1_0050, 4),  # a prefix of a name is not the name
    ]
    _, memory, metadata = load(tmp_path, build_elf([text, data], symbols))
    for address in (0x1_0010, 0x1_0030, 0x1_0040, 0x7_0000, 0x1_00FE):
        assert memory.read(address, 4) == RET, hex(address)
    assert memory.read(0x1_0014, 4) == b"\xaa" * 4  # only 4 bytes
    assert memory.read(0x1_0020, 8) == b"\xaa" * 8
    assert memory.read(0x1_0050, 4) == b"\xaa" * 4
    assert memory.read(0x2_0000, 0x20) == b"\xbb" * 8 + bytes(8) + b"\xbb" * 16
    assert sorted(metadata) == sorted(Symbol(value, size, name) for name, value, size in symbols)


def test_every_listed_symbol_is_patched(tmp_path: Path) -> None:
    names = sorted(GO_RUNTIME_PATCHES)
    assert len(names) == 14
    symbols = [(name, 0x1_0000 + 16 * i, 16) for i, name in enumerate(names)]
    _, memory, _ = load(tmp_path, build_elf([Seg(0x1_0000, b"\xcc" * 16 * len(names))], symbols))
    for _, address, _ in symbols:
        assert memory.read(address, 16) == RET + b"\xcc" * 12


def test_symbol_table_is_required(tmp_path: Path) -> None:
    assert "no symbol table (.symtab)" in load_error(tmp_path, build_elf([Seg(0x1_0000, b"code")]))


# -- bad input (§9.1) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: b"#!/bin/sh\necho not an elf\n", "not an ELF file"),
        (lambda: b"", "not an ELF file"),
        (lambda: b"\x7fELF", "not an ELF file"),
        (
            lambda: build_elf([], NO_SYMBOLS, machine=EM_X86_64),
            "ELF is for EM_X86_64, not RISC-V (EM_RISCV = 243)",
        ),
        (lambda: build_elf([], NO_SYMBOLS, machine=8), "ELF is for EM_MIPS, not RISC-V"),
        (lambda: elf32(), "ELF must be 64-bit little-endian (ELFCLASS64, ELFDATA2LSB)"),
        (lambda: build_elf([], NO_SYMBOLS, endian=">"), "ELF must be 64-bit little-endian"),
    ],
    ids=["script", "empty", "magic-only", "x86-64", "mips", "elf32", "big-endian"],
)
def test_bad_files_are_rejected(tmp_path: Path, make: Callable[[], bytes], problem: str) -> None:
    assert problem in load_error(tmp_path, make())


def test_every_truncation_is_rejected(tmp_path: Path) -> None:
    data = build_elf([Seg(0x1_0000, b"code" * 8)], [("runtime.gcenable", 0x1_0000, 4)])
    load(tmp_path, data)
    for length in range(len(data)):
        load_error(tmp_path, data[:length])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ElfError, match=r"cannot read .*nothing\.elf: No such file"):
        load_elf(tmp_path / "nothing.elf")


# -- a real Go guest ----------------------------------------------------------------------------


def test_hello(riscv_elves: dict[str, Path]) -> None:
    path = riscv_elves["hello"]
    state, memory, metadata = load_elf(path)
    with path.open("rb") as file:
        elf = ELFFile(file)
        entry = elf.header["e_entry"]
        symbols = {
            symbol.name: symbol["st_value"] for symbol in elf.get_section_by_name(".symtab").iter_symbols()
        }
        loads = [segment for segment in elf.iter_segments() if segment["p_type"] == "PT_LOAD"]
        text = loads[0].data()
        text_start = loads[0]["p_vaddr"]

    expected = _initial_state()
    expected.pc = entry
    assert state == expected
    assert metadata.symbol_name(entry) == "_rt0_riscv64_linux"

    patched = [name for name in GO_RUNTIME_PATCHES if name in symbols]
    assert {"runtime.gcenable", "runtime.init.5", "runtime.main.func1", "runtime.check"} <= set(patched)
    for name in patched:
        assert memory.read(symbols[name], 4) == RET, name
    assert memory.read(symbols["runtime.MemProfileRate"], 8) == bytes(8)
    assert memory.read(SP, 0x58) == STACK_IMAGE

    # The code is the file's, except at the patches.
    loaded = bytearray(memory.read(text_start, len(text)))
    for name in patched:
        offset = symbols[name] - text_start
        assert bytes(loaded[offset : offset + 4]) == RET
        loaded[offset : offset + 4] = text[offset : offset + 4]
    assert loaded == text
    # The zero-length GNU_STACK segment at 0 materialises page 0 (§9.7).
    assert 0 in memory.pages
    assert state_hash(encode_witness(memory.merkle_root(), state))[0] == 3
