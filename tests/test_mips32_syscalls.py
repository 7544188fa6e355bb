"""Single-step vectors for every MIPS32 syscall (spec: mips32.md §6, preimage-oracle.md §3).

Same harness as the instruction vectors (``test_mips32_instructions.run_vector``): the whole
post-state is checked, so "no other register changes" holds for every row. Results are written
out by hand from the table of §6.2: success sets ``R[2] = v0`` and ``R[7] = 0``; an error sets
``R[2] = 0xFFFFFFFF`` and ``R[7] = errno`` (``EBADF = 9``, ``EINVAL = 0x16``).
"""

from __future__ import annotations

import pytest

from faultproof.errors import PreimageNotFound, PreimagePartUnavailable
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import local_key
from faultproof.vm.mips32.state import MipsState
from faultproof.vm.mips32.vm import MipsVM
from mips_asm import A0, A1, A2, A3, V0, syscall
from test_mips32_instructions import (
    HEAP,
    KEY,
    PC,
    TARGET,
    Vector,
    memory_of,
    run_vector,
    vid,
    words_from_bytes,
)

SYSCALL = syscall()
MMAP, BRK, CLONE, EXIT_GROUP, READ, WRITE, FCNTL = 4090, 4045, 4120, 4246, 4003, 4004, 4055
EBADF, EINVAL = 0x9, 0x16
ERROR = 0xFFFF_FFFF
A3_BEFORE = 0x0000_0A3A  # a stale $a3 that every successful syscall must clear
BUF = 0x0020_0010


def V(id: str, regs: dict[int, int], **fields: object) -> Vector:
    """A syscall vector; ``$a3`` starts non-zero unless the row sets it."""
    return Vector(id=id, insn=fields.pop("insn", SYSCALL), regs={A3: A3_BEFORE, **regs}, **fields)  # type: ignore[arg-type]


def ok(v0: int) -> dict[int, int]:
    return {V0: v0, A3: 0}


def err(errno: int) -> dict[int, int]:
    return {V0: ERROR, A3: errno}


# -- mmap / brk / clone (§6.3) ----------------------------------------------------------------

MMAP_VECTORS = [
    V("mmap-page", {V0: MMAP, A0: 0, A1: 0x1000}, post_regs=ok(HEAP), post_heap=HEAP + 0x1000),
    V("mmap-1-byte-rounds-up", {V0: MMAP, A0: 0, A1: 1}, post_regs=ok(HEAP), post_heap=HEAP + 0x1000),
    V("mmap-unaligned-length", {V0: MMAP, A0: 0, A1: 0x1001}, post_regs=ok(HEAP), post_heap=HEAP + 0x2000),
    V("mmap-fff", {V0: MMAP, A0: 0, A1: 0xFFF}, post_regs=ok(HEAP), post_heap=HEAP + 0x1000),
    V("mmap-zero-length", {V0: MMAP, A0: 0, A1: 0}, post_regs=ok(HEAP)),
    V("mmap-large", {V0: MMAP, A0: 0, A1: 0x1234_5678}, post_regs=ok(HEAP), post_heap=0x1734_6000),
    V(
        "mmap-heap-unaligned-is-kept",
        {V0: MMAP, A0: 0, A1: 0x10},
        heap=0x0500_0123,
        post_regs=ok(0x0500_0123),
        post_heap=0x0500_1123,
    ),
    # The limit is inclusive: the heap may end exactly at 0x60000000.
    V(
        "mmap-up-to-limit",
        {V0: MMAP, A0: 0, A1: 0x1000},
        heap=0x5FFF_F000,
        post_regs=ok(0x5FFF_F000),
        post_heap=0x6000_0000,
    ),
    V("mmap-whole-heap-range", {V0: MMAP, A0: 0, A1: 0x5B00_0000}, post_regs=ok(HEAP), post_heap=0x6000_0000),
    V("mmap-past-limit-einval", {V0: MMAP, A0: 0, A1: 0x1001}, heap=0x5FFF_F000, post_regs=err(EINVAL)),
    V("mmap-at-limit-einval", {V0: MMAP, A0: 0, A1: 1}, heap=0x6000_0000, post_regs=err(EINVAL)),
    V("mmap-at-limit-zero-length", {V0: MMAP, A0: 0, A1: 0}, heap=0x6000_0000, post_regs=ok(0x6000_0000)),
    V("mmap-too-large-einval", {V0: MMAP, A0: 0, A1: 0x5B00_0001}, post_regs=err(EINVAL)),
    # Size rounding overflows: 0xFFFFF001 rounds to 2^32 = 0 (mod 2^32) < a1.
    V("mmap-rounding-overflow-einval", {V0: MMAP, A0: 0, A1: 0xFFFF_F001}, post_regs=err(EINVAL)),
    V("mmap-max-length-einval", {V0: MMAP, A0: 0, A1: 0xFFFF_FFFF}, post_regs=err(EINVAL)),
    # The bump wraps (new < heap) without exceeding the limit: 0xF0000000 + 0x20000000 = 0x10000000.
    V("mmap-wrap-einval", {V0: MMAP, A0: 0, A1: 0x2000_0000}, heap=0xF000_0000, post_regs=err(EINVAL)),
    V(
        "mmap-wrap-to-zero-einval",
        {V0: MMAP, A0: 0, A1: 0x9000_0000},
        heap=0x7000_0000,
        post_regs=err(EINVAL),
    ),
    V("mmap-heap-above-limit-einval", {V0: MMAP, A0: 0, A1: 0}, heap=0x7000_0000, post_regs=err(EINVAL)),
    # A hinted address is returned unchanged, the heap untouched, nothing checked.
    V("mmap-hint-address", {V0: MMAP, A0: 0x1234_5000, A1: 0x1000}, post_regs=ok(0x1234_5000)),
    V(
        "mmap-hint-address-huge-length",
        {V0: MMAP, A0: 0x7000_0001, A1: 0xFFFF_FFFF},
        heap=0x5FFF_F000,
        post_regs=ok(0x7000_0001),
    ),
    V("brk", {V0: BRK, A0: 0x1234}, post_regs=ok(0x4000_0000)),
    V("brk-ignores-heap", {V0: BRK}, heap=0x5000_0000, post_regs=ok(0x4000_0000)),
    V("clone", {V0: CLONE, A0: 0x5_0F00}, post_regs=ok(1)),
]

# -- exit_group -------------------------------------------------------------------------------

EXIT_VECTORS = [
    # Registers, pc and nextPC are unchanged (no ADVANCE); only exited/exitCode/step change.
    V("exit-0", {V0: EXIT_GROUP, A0: 0}, post_exited=1, post_exit_code=0, post_pc=PC, post_next_pc=PC + 4),
    V("exit-1", {V0: EXIT_GROUP, A0: 1}, post_exited=1, post_exit_code=1, post_pc=PC, post_next_pc=PC + 4),
    V("exit-2", {V0: EXIT_GROUP, A0: 2}, post_exited=1, post_exit_code=2, post_pc=PC, post_next_pc=PC + 4),
    V(
        "exit-code-masked",
        {V0: EXIT_GROUP, A0: 0x1FF},
        post_exited=1,
        post_exit_code=0xFF,
        post_pc=PC,
        post_next_pc=PC + 4,
    ),
    V(
        "exit-code-masked-to-0",
        {V0: EXIT_GROUP, A0: 0xFFFF_FF00},
        post_exited=1,
        post_exit_code=0,
        post_pc=PC,
        post_next_pc=PC + 4,
    ),
    V(
        "exit-in-delay-slot",
        {V0: EXIT_GROUP, A0: 3},
        next_pc=TARGET,
        post_exited=1,
        post_exit_code=3,
        post_pc=PC,
        post_next_pc=TARGET,
    ),
    V(
        "exit-replaces-old-code",
        {V0: EXIT_GROUP, A0: 4},
        exit_code=9,
        post_exited=1,
        post_exit_code=4,
        post_pc=PC,
        post_next_pc=PC + 4,
    ),
]

# -- read (fds 0, 3, other) / write (fds 1, 2, other) ------------------------------------------

HELLO = b"hello world!\n"
MEMORY_AT_BUF = {BUF: 0x5555_5555}

READ_WRITE_VECTORS = [
    V("read-stdin-eof", {V0: READ, A0: 0, A1: BUF, A2: 4}, mem=MEMORY_AT_BUF, post_regs=ok(0)),
    V("read-hint-ack", {V0: READ, A0: 3, A1: BUF, A2: 0x1234}, mem=MEMORY_AT_BUF, post_regs=ok(0x1234)),
    V(
        "read-hint-ack-huge-count",
        {V0: READ, A0: 3, A1: BUF, A2: 0xFFFF_FFFF},
        mem=MEMORY_AT_BUF,
        post_regs=ok(0xFFFF_FFFF),
    ),
    *[
        V(
            f"read-fd-{fd:#x}-ebadf",
            {V0: READ, A0: fd, A1: BUF, A2: 4},
            mem=MEMORY_AT_BUF,
            post_regs=err(EBADF),
        )
        for fd in (1, 2, 4, 6, 7, 0x100, 0xFFFF_FFFF)
    ],
    V(
        "write-stdout",
        {V0: WRITE, A0: 1, A1: BUF, A2: len(HELLO)},
        mem=words_from_bytes(BUF, HELLO),
        post_regs=ok(13),
        stdout=HELLO,
    ),
    V(
        "write-stderr",
        {V0: WRITE, A0: 2, A1: BUF, A2: 8},
        mem=words_from_bytes(BUF, b"started!"),
        post_regs=ok(8),
        stderr=b"started!",
    ),
    V(
        "write-stdout-zero-count",
        {V0: WRITE, A0: 1, A1: BUF, A2: 0},
        mem=words_from_bytes(BUF, HELLO),
        post_regs=ok(0),
    ),
    # Offchain output reads are byte-granular and unaligned, cross pages, and see absent pages as zero.
    V(
        "write-stdout-unaligned-page-crossing",
        {V0: WRITE, A0: 1, A1: 0x0020_0FFB, A2: len(HELLO)},
        mem=words_from_bytes(0x0020_0FFB, HELLO),
        post_regs=ok(13),
        stdout=HELLO,
    ),
    V(
        "write-stderr-absent-page-zeros",
        {V0: WRITE, A0: 2, A1: 0x0030_0001, A2: 3},
        post_regs=ok(3),
        stderr=b"\x00\x00\x00",
    ),
    V(
        "write-stdout-wraps-address-space",
        {V0: WRITE, A0: 1, A1: 0xFFFF_FFFE, A2: 4},
        mem={**words_from_bytes(0xFFFF_FFFE, b"ab"), **words_from_bytes(0, b"cd")},
        post_regs=ok(4),
        stdout=b"abcd",
    ),
    V(
        "write-stdout-in-delay-slot",
        {V0: WRITE, A0: 1, A1: BUF, A2: 2},
        mem=words_from_bytes(BUF, b"ok"),
        next_pc=TARGET,
        post_regs=ok(2),
        stdout=b"ok",
        post_pc=TARGET,
        post_next_pc=TARGET + 4,
    ),
    *[
        V(
            f"write-fd-{fd:#x}-ebadf",
            {V0: WRITE, A0: fd, A1: BUF, A2: 4},
            mem=MEMORY_AT_BUF,
            post_regs=err(EBADF),
        )
        for fd in (0, 3, 5, 7, 0xFFFF_FFFF)
    ],
]

# -- fd 4: hints (§6.7) -----------------------------------------------------------------------


def be4(n: int) -> bytes:
    return n.to_bytes(4, "big")


def hint_write(
    name: str,
    data: bytes,
    last_hint: bytes,
    hints: tuple[bytes, ...],
    post_last_hint: bytes,
    address: int = BUF,
) -> Vector:
    return V(
        name,
        {V0: WRITE, A0: 4, A1: address, A2: len(data)},
        mem=words_from_bytes(address, data),
        last_hint=last_hint,
        post_regs=ok(len(data)),
        hints=hints,
        post_last_hint=post_last_hint,
    )


HINT_VECTORS = [
    hint_write("hint-whole", be4(3) + b"abc", b"", (b"abc",), b""),
    hint_write("hint-partial-kept", be4(5) + b"ab", b"", (), be4(5) + b"ab"),
    hint_write("hint-completes-partial", b"cde", be4(5) + b"ab", (b"abcde",), b""),
    hint_write("hint-two-in-one-write", be4(1) + b"x" + be4(2) + b"yz", b"", (b"x", b"yz"), b""),
    hint_write("hint-one-and-a-prefix", be4(1) + b"x" + be4(9)[:2], b"", (b"x",), be4(9)[:2]),
    hint_write("hint-length-prefix-split", be4(2)[2:] + b"hi", be4(2)[:2], (b"hi",), b""),
    hint_write("hint-length-prefix-only", be4(2)[:3], b"", (), be4(2)[:3]),
    hint_write("hint-empty-hint-delivered", be4(0), b"", (b"",), b""),
    hint_write("hint-unaligned-page-crossing", be4(4) + b"fetch", b"", (b"fetc",), b"h", address=0x0020_0FFE),
    V(
        "hint-zero-count",
        {V0: WRITE, A0: 4, A1: BUF, A2: 0},
        last_hint=be4(3) + b"a",
        post_regs=ok(0),
        post_last_hint=be4(3) + b"a",
    ),
]

# -- fd 6: preimage key writes (§6.6) ---------------------------------------------------------

OLD_KEY = bytes(range(0x40, 0x60))
KEY_WORD = 0xA1B2_C3D4
KEY_MEMORY = {BUF: KEY_WORD}


def key_write(name: str, address: int, count: int, appended: bytes, offset: int = 17) -> Vector:
    return V(
        name,
        {V0: WRITE, A0: 6, A1: address, A2: count},
        mem=KEY_MEMORY,
        preimage_key=OLD_KEY,
        preimage_offset=offset,
        post_regs=ok(len(appended)),
        post_preimage_key=(OLD_KEY + appended)[-32:],
        post_preimage_offset=0,
    )


KEY_VECTORS = [
    key_write("key-align0-count4", BUF, 4, bytes.fromhex("a1b2c3d4")),
    key_write("key-align0-count100", BUF, 100, bytes.fromhex("a1b2c3d4")),
    key_write("key-align0-count3", BUF, 3, bytes.fromhex("a1b2c3")),
    key_write("key-align0-count2", BUF, 2, bytes.fromhex("a1b2")),
    key_write("key-align0-count1", BUF, 1, bytes.fromhex("a1")),
    key_write("key-align1-count4", BUF + 1, 4, bytes.fromhex("b2c3d4")),
    key_write("key-align1-count2", BUF + 1, 2, bytes.fromhex("b2c3")),
    key_write("key-align2-count4", BUF + 2, 4, bytes.fromhex("c3d4")),
    key_write("key-align2-count1", BUF + 2, 1, bytes.fromhex("c3")),
    key_write("key-align3-count4", BUF + 3, 4, bytes.fromhex("d4")),
    key_write("key-align3-count-huge", BUF + 3, 0xFFFF_FFFF, bytes.fromhex("d4")),
    # A zero-length write still resets the offset (and still reads the word with proof #1).
    key_write("key-count0-resets-offset", BUF, 0, b""),
    key_write("key-align2-count0", BUF + 2, 0, b"", offset=0xFFFF_FFFF),
]

# -- fd 5: preimage reads (§6.5) --------------------------------------------------------------

FAULTPROOF = b"faultproof"  # stream: 00000000 0000000a 6661756c 7470726f 6f66
KECCAK_KEY = bytes.fromhex("024c2867a87e758d67d8a8b0b3cdb8a3069918ba7fd309ff6c61b82254419a6a")
# The keccak256 key of the empty string (§7): hosts verify what they serve, so it needs its own key.
KECCAK_EMPTY_KEY = bytes.fromhex("02d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
READ_MEMORY = {BUF: 0x1122_3344}


def preimage_read(
    name: str,
    offset: int,
    address: int,
    count: int,
    word: int,
    n: int,
    key: bytes = KECCAK_KEY,
    value: bytes = FAULTPROOF,
) -> Vector:
    return V(
        name,
        {V0: READ, A0: 5, A1: address, A2: count},
        mem=READ_MEMORY,
        preimage_key=key,
        preimage_offset=offset,
        preimages={key: value},
        post_regs=ok(n),
        post_mem={BUF: word},
        post_preimage_offset=offset + n,
    )


PREIMAGE_READ_VECTORS = [
    preimage_read("read5-length-prefix-high", 0, BUF, 4, 0x0000_0000, 4),
    preimage_read("read5-length-prefix-low", 4, BUF, 4, 0x0000_000A, 4),
    preimage_read("read5-data-align0", 8, BUF, 4, 0x6661_756C, 4),
    preimage_read("read5-data-align1", 8, BUF + 1, 4, 0x1166_6175, 3),
    preimage_read("read5-data-align2", 8, BUF + 2, 4, 0x1122_6661, 2),
    preimage_read("read5-data-align3", 8, BUF + 3, 4, 0x1122_3366, 1),
    preimage_read("read5-count0", 8, BUF, 0, 0x1122_3344, 0),
    preimage_read("read5-count0-align3", 8, BUF + 3, 0, 0x1122_3344, 0),
    preimage_read("read5-count1", 8, BUF, 1, 0x6622_3344, 1),
    preimage_read("read5-count2", 8, BUF, 2, 0x6661_3344, 2),
    preimage_read("read5-count3", 8, BUF, 3, 0x6661_7544, 3),
    preimage_read("read5-count-huge", 12, BUF, 0xFFFF_FFFF, 0x7470_726F, 4),
    preimage_read("read5-align1-count2", 12, BUF + 1, 2, 0x1174_7044, 2),
    preimage_read("read5-straddles-prefix-and-data", 6, BUF + 1, 4, 0x1100_0A66, 3),
    # The stream ends at len + 8 = 18: the last parts are short.
    preimage_read("read5-stream-end-2", 16, BUF, 4, 0x6F66_3344, 2),
    preimage_read("read5-stream-end-1", 17, BUF, 4, 0x6622_3344, 1),
    preimage_read("read5-stream-end-1-align2", 17, BUF + 2, 4, 0x1122_6644, 1),
    preimage_read("read5-empty-preimage-prefix", 0, BUF, 4, 0x0000_0000, 4, key=KECCAK_EMPTY_KEY, value=b""),
    preimage_read("read5-empty-preimage-last", 7, BUF, 4, 0x0022_3344, 1, key=KECCAK_EMPTY_KEY, value=b""),
    # Local keys are read un-localized offchain (the verifier test localizes them).
    preimage_read(
        "read5-local-key", 8, BUF, 4, 0xCAFE_F00D, 4, key=local_key(1), value=bytes.fromhex("cafef00d0102")
    ),
    preimage_read(
        "read5-local-key-offset-12",
        12,
        BUF + 2,
        4,
        0x1122_0102,
        2,
        key=local_key(1),
        value=bytes.fromhex("cafef00d0102"),
    ),
    # Reading at or past the end of the stream is a FAIL, not EOF.
    V(
        "read5-past-end-fails",
        {V0: READ, A0: 5, A1: BUF, A2: 4},
        mem=READ_MEMORY,
        preimage_key=KECCAK_KEY,
        preimage_offset=18,
        preimages={KECCAK_KEY: FAULTPROOF},
        raises=PreimagePartUnavailable,
        data_address=BUF,
    ),
    V(
        "read5-far-past-end-fails",
        {V0: READ, A0: 5, A1: BUF, A2: 0},
        mem=READ_MEMORY,
        preimage_key=KECCAK_KEY,
        preimage_offset=0xFFFF_FFFF,
        preimages={KECCAK_KEY: FAULTPROOF},
        raises=PreimagePartUnavailable,
        data_address=BUF,
    ),
    V(
        "read5-empty-preimage-past-end-fails",
        {V0: READ, A0: 5, A1: BUF, A2: 4},
        mem=READ_MEMORY,
        preimage_key=KECCAK_EMPTY_KEY,
        preimage_offset=8,
        preimages={KECCAK_EMPTY_KEY: b""},
        raises=PreimagePartUnavailable,
        data_address=BUF,
    ),
    # A missing preimage is fatal (offchain: the host has none; onchain: no part was loaded).
    V(
        "read5-missing-preimage-fails",
        {V0: READ, A0: 5, A1: BUF, A2: 4},
        mem=READ_MEMORY,
        preimage_key=KEY,
        raises=PreimageNotFound,
        verifier_raises=PreimagePartUnavailable,
        data_address=BUF,
    ),
    V(
        "read5-missing-preimage-count0-fails",
        {V0: READ, A0: 5, A1: BUF, A2: 0},
        mem=READ_MEMORY,
        preimage_key=KEY,
        raises=PreimageNotFound,
        verifier_raises=PreimagePartUnavailable,
        data_address=BUF,
    ),
]

# -- fcntl ------------------------------------------------------------------------------------

FCNTL_VECTORS = [
    *[V(f"fcntl-getfd-fd{fd}", {V0: FCNTL, A0: fd, A1: 1}, post_regs=ok(0)) for fd in range(7)],
    V("fcntl-getfd-fd7-ebadf", {V0: FCNTL, A0: 7, A1: 1}, post_regs=err(EBADF)),
    V("fcntl-getfd-fd-max-ebadf", {V0: FCNTL, A0: 0xFFFF_FFFF, A1: 1}, post_regs=err(EBADF)),
    *[V(f"fcntl-getfl-fd{fd}-rdonly", {V0: FCNTL, A0: fd, A1: 3}, post_regs=ok(0)) for fd in (0, 3, 5)],
    *[V(f"fcntl-getfl-fd{fd}-wronly", {V0: FCNTL, A0: fd, A1: 3}, post_regs=ok(1)) for fd in (1, 2, 4, 6)],
    V("fcntl-getfl-fd7-ebadf", {V0: FCNTL, A0: 7, A1: 3}, post_regs=err(EBADF)),
    *[
        V(f"fcntl-cmd{cmd:#x}-einval", {V0: FCNTL, A0: 0, A1: cmd}, post_regs=err(EINVAL))
        for cmd in (0, 2, 4, 0xFFFF_FFFF)
    ],
    V("fcntl-unknown-cmd-bad-fd-einval", {V0: FCNTL, A0: 7, A1: 2}, post_regs=err(EINVAL)),
]

# -- everything else: no-op success ----------------------------------------------------------

UNKNOWN_VECTORS = [
    *[
        V(f"unknown-{number}", {V0: number, A0: 1, A1: BUF, A2: 4}, mem=MEMORY_AT_BUF, post_regs=ok(0))
        for number in (
            0,
            1,
            4001,
            4005,
            4006,
            4091,
            4162,
            4166,
            4194,
            4195,
            4206,
            4213,
            4215,
            4218,
            4222,
            4238,
            4263,
            4353,
            5009,
            0xFFFF_FFFF,
        )
    ],
    V("unknown-with-code-field", {V0: 4238}, insn=syscall(0xF_FFFF), post_regs=ok(0)),
    V("brk-with-code-field", {V0: BRK}, insn=syscall(0x12345), post_regs=ok(0x4000_0000)),
    V(
        "unknown-in-delay-slot",
        {V0: 4238},
        next_pc=TARGET,
        post_regs=ok(0),
        post_pc=TARGET,
        post_next_pc=TARGET + 4,
    ),
]

TABLES = {
    "mmap": MMAP_VECTORS,
    "exit": EXIT_VECTORS,
    "read-write": READ_WRITE_VECTORS,
    "hint": HINT_VECTORS,
    "key": KEY_VECTORS,
    "preimage-read": PREIMAGE_READ_VECTORS,
    "fcntl": FCNTL_VECTORS,
    "unknown": UNKNOWN_VECTORS,
}

ALL_VECTORS: list[Vector] = [vector for table in TABLES.values() for vector in table]


def test_vector_ids_are_unique() -> None:
    ids = [vector.id for vector in ALL_VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("vector", MMAP_VECTORS, ids=vid)
def test_mmap_brk_clone(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", EXIT_VECTORS, ids=vid)
def test_exit_group(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", READ_WRITE_VECTORS, ids=vid)
def test_read_write(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", HINT_VECTORS, ids=vid)
def test_hint_writes(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", KEY_VECTORS, ids=vid)
def test_preimage_key_writes(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", PREIMAGE_READ_VECTORS, ids=vid)
def test_preimage_reads(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", FCNTL_VECTORS, ids=vid)
def test_fcntl(vector: Vector) -> None:
    run_vector(vector)


@pytest.mark.parametrize("vector", UNKNOWN_VECTORS, ids=vid)
def test_unknown_syscalls(vector: Vector) -> None:
    run_vector(vector)


# -- status byte of the state hash (§2.2) -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"), [(0, 0x00), (1, 0x01), (2, 0x02), (0xFF, 0x02), (0x100, 0x00), (0x101, 0x01)]
)
def test_exit_status_byte(code: int, status: int) -> None:
    vm = run_vector(
        V(
            f"exit-{code}",
            {V0: EXIT_GROUP, A0: code},
            post_exited=1,
            post_exit_code=code & 0xFF,
            post_pc=PC,
            post_next_pc=PC + 4,
        )
    )
    assert vm.state_hash()[0] == status


def test_unfinished_status_byte() -> None:
    vm = run_vector(V("brk", {V0: BRK}, post_regs=ok(0x4000_0000)))
    assert vm.state_hash()[0] == 3


def test_missing_preimage_error_names_the_key() -> None:
    vector = next(v for v in PREIMAGE_READ_VECTORS if v.id == "read5-missing-preimage-fails")
    vm = run_vector(vector)
    with pytest.raises(PreimageNotFound) as raised:
        vm.step()
    assert KEY.hex() in str(raised.value)
    assert raised.value.key == KEY


def test_failed_preimage_read_reports_no_read() -> None:
    vector = next(v for v in PREIMAGE_READ_VECTORS if v.id == "read5-past-end-fails")
    vm = run_vector(vector)
    assert vm.last_preimage_read is None


def test_successful_preimage_read_is_reported() -> None:
    vector = next(v for v in PREIMAGE_READ_VECTORS if v.id == "read5-data-align1")
    vm = run_vector(vector)
    assert vm.last_preimage_read is not None
    assert vm.last_preimage_read.key == KECCAK_KEY
    assert vm.last_preimage_read.offset == 8
    assert vm.last_preimage_read.size == len(FAULTPROOF)


# -- multi-step sequences (the state carries over between syscalls) ----------------------------


class Guest:
    """Drives one VM through a series of syscalls issued from the same pc."""

    def __init__(self, host: OracleHost | None = None) -> None:
        self.vm = MipsVM(MipsState(pc=PC, next_pc=PC + 4, heap=HEAP), memory_of({}), host=host)

    def syscall(
        self, number: int, a0: int = 0, a1: int = 0, a2: int = 0, data: bytes = b""
    ) -> tuple[int, int]:
        vm = self.vm
        if data:
            vm.memory.write(a1, data)
        vm.memory.write_word(vm.state.pc, SYSCALL)
        vm.state.registers[V0 : A2 + 1] = [number, 0, a0, a1, a2]
        vm.step()
        return vm.state.registers[V0], vm.state.registers[A3]


def test_mmap_sequence_bumps_heap() -> None:
    guest = Guest()
    assert guest.syscall(MMAP, 0, 0x2000) == (0x0500_0000, 0)
    assert guest.syscall(MMAP, 0, 0x0001) == (0x0500_2000, 0)
    assert guest.syscall(MMAP, 0x0900_0000, 0x1000) == (0x0900_0000, 0)
    assert guest.syscall(MMAP, 0, 0x5AFF_D000) == (0x0500_3000, 0)
    assert guest.vm.state.heap == 0x6000_0000
    assert guest.syscall(MMAP, 0, 1) == (ERROR, EINVAL)
    assert guest.vm.state.heap == 0x6000_0000


def test_hint_split_across_many_writes() -> None:
    host = OracleHost.in_memory(record_hints=True)
    guest = Guest(host)
    message = be4(11) + b"fetch-state" + be4(3) + b"abc" + be4(0) + be4(10) + b"fetch-diff"
    delivered: list[list[bytes]] = []
    position = 0
    for size in (1, 1, 1, 2, 5, 6, 4, 1, 2, 4, 4, 7, 100):
        chunk = message[position : position + size]
        position += len(chunk)
        assert guest.syscall(WRITE, 4, 0x0030_0FFD, len(chunk), chunk) == (len(chunk), 0)
        delivered.append(list(host.hints))
    assert position == len(message)
    assert host.hints == [b"fetch-state", b"abc", b"", b"fetch-diff"]
    # Each hint is delivered exactly when its last byte arrives.
    assert delivered[:5] == [[]] * 5
    assert delivered[5] == [b"fetch-state"]
    assert bytes(guest.vm.last_hint) == b""


def test_partial_hint_stays_in_last_hint() -> None:
    host = OracleHost.in_memory(record_hints=True)
    guest = Guest(host)
    guest.syscall(WRITE, 4, BUF, 9, be4(2) + b"ok" + be4(7)[:3])
    assert host.hints == [b"ok"]
    assert bytes(guest.vm.last_hint) == be4(7)[:3]
    guest.syscall(WRITE, 4, BUF, 3, be4(7)[3:] + b"ab")
    assert bytes(guest.vm.last_hint) == be4(7) + b"ab"
    assert host.hints == [b"ok"]


def test_eight_key_writes_form_a_key_and_reset_the_offset() -> None:
    value = b"faultproof"
    guest = Guest(OracleHost.in_memory({KECCAK_KEY: value}))
    guest.vm.state.preimage_offset = 5
    key_address = 0x0030_0000
    guest.vm.memory.write(key_address, KECCAK_KEY)
    for i in range(8):
        assert guest.syscall(WRITE, 6, key_address + 4 * i, 32 - 4 * i) == (4, 0)
        assert guest.vm.state.preimage_offset == 0
    assert guest.vm.state.preimage_key == KECCAK_KEY
    # Read the whole stream 4 bytes at a time: length prefix, then data, then the short tail.
    stream = b""
    for expected in (4, 4, 4, 4, 2):
        assert guest.syscall(READ, 5, BUF, 4) == (expected, 0)
        stream += guest.vm.memory.read(BUF, expected)
    assert stream == bytes.fromhex("000000000000000a") + value
    assert guest.vm.state.preimage_offset == 18
    with pytest.raises(PreimagePartUnavailable):
        guest.syscall(READ, 5, BUF, 4)
    # A new key write (even of zero bytes) restarts the stream.
    assert guest.syscall(WRITE, 6, key_address, 0) == (0, 0)
    assert guest.vm.state.preimage_offset == 0
    assert guest.syscall(READ, 5, BUF + 1, 4) == (3, 0)
    assert guest.vm.state.preimage_offset == 3


def test_unaligned_key_writes_need_more_syscalls() -> None:
    guest = Guest()
    key_address = 0x0030_0001  # the guest retries short writes: 3, then 4 × 7, then 1
    guest.vm.memory.write(key_address, KECCAK_KEY)
    written = 0
    counts = []
    while written < 32:
        count, errno = guest.syscall(WRITE, 6, key_address + written, 32 - written)
        assert errno == 0
        counts.append(count)
        written += count
    assert counts == [3, 4, 4, 4, 4, 4, 4, 4, 1]
    assert guest.vm.state.preimage_key == KECCAK_KEY
