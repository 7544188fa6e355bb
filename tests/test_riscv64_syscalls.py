"""Single-step vectors for every RV64 syscall and file descriptor (spec: riscv64.md §3.4, §7, §8).

Same harness as the instruction vectors (``test_riscv64_instructions.run_vector``): the whole
post-state is checked (so "no other register changes" and "no memory is written" hold for every
row), the step's proof is checked slot by slot, and the stateless verifier must reproduce the post
hash or revert with the same code. Results are written out from the tables of §7.2–§7.4 and §8.1:
a success sets ``a0`` to the value and ``a1 = 0``; an error sets ``a0 = −1`` and ``a1`` to the code
(``0x4d``, ``0x16``, ``0xd``). Preimage rows compute the expected part from the stream formula of
preimage-oracle.md §3 (``S = BE8(len) ‖ d``), never from the code under test.

The verifier runs with a non-zero local context, so local keys are really localized.
"""

from __future__ import annotations

import pytest

from faultproof.crypto import keccak256
from faultproof.errors import (
    PreimageNotFound,
    PreimagePartUnavailable,
    StepFailure,
    UnsupportedSyscall,
)
from faultproof.memory import Memory
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import local_key, localize
from faultproof.vm.interface import PreimagePartSource
from faultproof.vm.riscv64.state import RiscvState
from faultproof.vm.riscv64.vm import RiscvVM
from riscv_asm import A0, A1, A2, A3, A4, A5, A7, ecall
from test_riscv64_instructions import (
    ALL_ONES,
    CALLER,
    DATA,
    HEAP,
    KEY,
    LEAF_A,
    LEAF_B,
    PC,
    PROOF_SIZE,
    OnchainParts,
    Vector,
    le32,
    le64,
    prepare,
    run_vector,
    vid,
)
from test_riscv64_instructions import ALL_VECTORS as INSTRUCTION_VECTORS

ECALL = ecall()
CONTEXT = bytes([0x22]) * 32

EXIT, EXIT_GROUP, BRK, MMAP, READ, WRITE, FCNTL = 93, 94, 214, 222, 63, 64, 25
OPENAT, CLOCK_GETTIME, CLONE, GETRLIMIT = 56, 113, 220, 163
EBADF, EINVAL, EACCES = 0x4D, 0x16, 0xD
ERROR = ALL_ONES
UNSUPPORTED_SYSCALL = 0xF001CA11
UNKNOWN_RESOURCE = 0xF0012
PREIMAGE_READ_FAILED = 0xBADF00D0

BUF = DATA + 0x100  # leaf-aligned
BUF_MEMORY = {BUF: LEAF_A, BUF + 32: LEAF_B}
A1_BEFORE = 0x0000_0A1A  # a stale a1 that every successful syscall must clear


def S(id: str, regs: dict[int, int], **fields: object) -> Vector:
    """A syscall row: ``ecall`` at PC."""
    return Vector(id=id, insn=ECALL, regs=regs, **fields)  # type: ignore[arg-type]


def ok(a0: int) -> dict[int, int]:
    return {A0: a0, A1: 0}


def err(code: int) -> dict[int, int]:
    return {A0: ERROR, A1: code}


def run(vector: Vector) -> RiscvVM:
    return run_vector(vector, CONTEXT)


# -- exit, exit_group (§7.2): pc still advances -------------------------------------------------


def exit_row(id: str, number: int, a0: int, code: int, **fields: object) -> Vector:
    return S(id, {A7: number, A0: a0, A1: A1_BEFORE}, post_exited=1, post_exit_code=code, **fields)


EXIT_VECTORS = [
    exit_row("exit-0", EXIT, 0, 0),
    exit_row("exit-1", EXIT, 1, 1),
    exit_row("exit-2", EXIT, 2, 2),
    exit_row("exit_group-0", EXIT_GROUP, 0, 0),
    exit_row("exit_group-255", EXIT_GROUP, 255, 255),
    exit_row("exit-code-masked-to-ff", EXIT, 0x1FF, 0xFF),
    exit_row("exit-code-masked-to-0", EXIT_GROUP, 0x1_0000_0100, 0),
    exit_row("exit_group-minus-1", EXIT_GROUP, ALL_ONES, 0xFF),
    exit_row("exit-replaces-old-code", EXIT, 4, 4, exit_code=9),
]

# -- brk, clone, openat and the reverting numbers (§7.2) -----------------------------------------

SIMPLE_VECTORS = [
    S("brk", {A7: BRK, A0: 0x1234, A1: A1_BEFORE}, post_regs=ok(0x4000_0000)),
    S("brk-0", {A7: BRK, A0: 0, A1: A1_BEFORE}, post_regs=ok(0x4000_0000), heap=0x5000_0000),
    S("clone", {A7: CLONE, A0: 0x50F00, A1: A1_BEFORE}, post_regs=ok(1)),
    S("openat", {A7: OPENAT, A0: ALL_ONES - 99, A1: BUF}, mem=BUF_MEMORY, post_regs=err(EACCES)),
    *(
        S(f"syscall-{number}-reverts", {A7: number}, raises=UnsupportedSyscall, code=UNSUPPORTED_SYSCALL)
        for number in (261, 422, 101)
    ),
]

# -- clock_gettime and getrlimit: 16-byte stores at a1 (§7.2), slot 2 if straddling ---------------

TIMESPEC = le64(1337) + le64(42)
RLIMIT = le64(1024) + le64(1024)
STORE16_MEMORY = {DATA: LEAF_A, DATA + 32: LEAF_B}
WRAP16 = 0xFFFF_FFFF_FFFF_FFF8


def store16(id: str, number: int, a0: int, address: int, data: bytes, slots: tuple[int, ...]) -> Vector:
    return S(
        id,
        {A7: number, A0: a0, A1: address},
        mem=STORE16_MEMORY if address != WRAP16 else {WRAP16: LEAF_A[:8], 0: LEAF_B[:8]},
        post_regs=ok(0),
        post_mem={address: data},
        slots=slots,
    )


STORE16_VECTORS = [
    store16("clock_gettime", CLOCK_GETTIME, 1, DATA, TIMESPEC, (DATA,)),
    store16("clock_gettime-realtime", CLOCK_GETTIME, 0, DATA + 8, TIMESPEC, (DATA,)),
    store16("clock_gettime-any-clock-id", CLOCK_GETTIME, ALL_ONES, DATA + 3, TIMESPEC, (DATA,)),
    store16("clock_gettime-end-of-leaf", CLOCK_GETTIME, 1, DATA + 16, TIMESPEC, (DATA,)),
    store16("clock_gettime-straddles", CLOCK_GETTIME, 1, DATA + 20, TIMESPEC, (DATA, DATA + 32)),
    store16("clock_gettime-straddles-1-15", CLOCK_GETTIME, 1, DATA + 31, TIMESPEC, (DATA, DATA + 32)),
    store16("clock_gettime-straddles-15-1", CLOCK_GETTIME, 1, DATA + 17, TIMESPEC, (DATA, DATA + 32)),
    store16("clock_gettime-wraps-to-0", CLOCK_GETTIME, 1, WRAP16, TIMESPEC, (WRAP16, 0)),
    store16("getrlimit-nofile", GETRLIMIT, 7, DATA, RLIMIT, (DATA,)),
    store16("getrlimit-nofile-misaligned", GETRLIMIT, 7, DATA + 5, RLIMIT, (DATA,)),
    store16("getrlimit-nofile-straddles", GETRLIMIT, 7, DATA + 24, RLIMIT, (DATA, DATA + 32)),
    store16("getrlimit-nofile-wraps-to-0", GETRLIMIT, 7, WRAP16, RLIMIT, (WRAP16, 0)),
    *(
        S(
            f"getrlimit-resource-{resource:#x}-reverts",
            {A7: GETRLIMIT, A0: resource, A1: DATA},
            mem=STORE16_MEMORY,
            raises=UnsupportedSyscall,
            code=UNKNOWN_RESOURCE,
        )
        for resource in (0, 6, 8, 0x1_0000_0007)
    ),
]

# -- mmap (§7.3) ----------------------------------------------------------------------------------

MAP_PRIVATE, MAP_ANONYMOUS = 0x02, 0x20
ANONYMOUS = MAP_PRIVATE | MAP_ANONYMOUS
NO_FD = ALL_ONES


def mmap(
    id: str,
    hint: int,
    length: int,
    a0: int,
    a1: int,
    flags: int = ANONYMOUS,
    fd: int = NO_FD,
    **fields: object,
) -> Vector:
    """``mmap(hint, length, prot = 3, flags, fd, offset = 0x1000)``; prot and offset are ignored."""
    regs = {A7: MMAP, A0: hint, A1: length, A2: 3, A3: flags, A4: fd, A5: 0x1000}
    return S(id, regs, post_regs={A0: a0, A1: a1}, **fields)


MMAP_VECTORS = [
    mmap("mmap-page", 0, 0x1000, HEAP, 0, post_heap=HEAP + 0x1000),
    mmap("mmap-1-byte-rounds-up", 0, 1, HEAP, 0, post_heap=HEAP + 0x1000),
    mmap("mmap-fff", 0, 0xFFF, HEAP, 0, post_heap=HEAP + 0x1000),
    mmap("mmap-1001", 0, 0x1001, HEAP, 0, post_heap=HEAP + 0x2000),
    mmap("mmap-zero-length", 0, 0, HEAP, 0),
    mmap("mmap-large", 0, 0x1_2345_6789, HEAP, 0, post_heap=HEAP + 0x1_2345_7000),
    mmap("mmap-anonymous-only-flag", 0, 0x1000, HEAP, 0, flags=MAP_ANONYMOUS, post_heap=HEAP + 0x1000),
    mmap("mmap-unaligned-heap-is-kept", 0, 0x10, HEAP + 0x123, 0, heap=HEAP + 0x123, post_heap=HEAP + 0x1123),
    # No limit: the heap wraps modulo 2^64, and so does the rounding of the length.
    mmap(
        "mmap-heap-wraps", 0, 0x2000, 0xFFFF_FFFF_FFFF_F000, 0, heap=0xFFFF_FFFF_FFFF_F000, post_heap=0x1000
    ),
    mmap("mmap-length-rounding-wraps-to-0", 0, 0xFFFF_FFFF_FFFF_F001, HEAP, 0),
    mmap("mmap-max-length", 0, 0xFFFF_FFFF_FFFF_F000, HEAP, 0, post_heap=HEAP - 0x1000),
    # A hint is returned as is, unchecked, and the heap does not move.
    mmap("mmap-hint", 0x1234_5000, 0x1000, 0x1234_5000, 0),
    mmap("mmap-hint-unaligned-huge-length", 0x7001, ALL_ONES, 0x7001, 0),
    # MAP_ANONYMOUS is required and fd must be −1 (all 64 bits).
    mmap("mmap-not-anonymous", 0, 0x1000, ERROR, EBADF, flags=MAP_PRIVATE),
    mmap("mmap-not-anonymous-with-hint", 0x1234_5000, 0x1000, ERROR, EBADF, flags=MAP_PRIVATE),
    mmap("mmap-file-descriptor", 0, 0x1000, ERROR, EBADF, fd=3),
    mmap("mmap-fd-32-bit-minus-1", 0, 0x1000, ERROR, EBADF, fd=0xFFFF_FFFF),
    mmap("mmap-fd-0", 0, 0x1000, ERROR, EBADF, fd=0),
]

# -- fcntl (§7.4): the command is examined first --------------------------------------------------

F_GETFD, F_GETFL, F_SETFL = 1, 3, 4
GETFL = {0: 0, 1: 1, 2: 1, 3: 0, 4: 1, 5: 0, 6: 1}


def fcntl(id: str, fd: int, command: int, a0: int, a1: int) -> Vector:
    return S(id, {A7: FCNTL, A0: fd, A1: command}, post_regs={A0: a0, A1: a1})


FCNTL_VECTORS = [
    *(fcntl(f"fcntl-getfd-{fd}", fd, F_GETFD, 0, 0) for fd in range(7)),
    *(fcntl(f"fcntl-getfl-{fd}", fd, F_GETFL, flags, 0) for fd, flags in GETFL.items()),
    fcntl("fcntl-getfd-7", 7, F_GETFD, ERROR, EBADF),
    fcntl("fcntl-getfl-7", 7, F_GETFL, ERROR, EBADF),
    fcntl("fcntl-getfl-minus-1", ALL_ONES, F_GETFL, ERROR, EBADF),
    fcntl("fcntl-getfd-2^32", 1 << 32, F_GETFD, ERROR, EBADF),
    fcntl("fcntl-setfl-0", 0, F_SETFL, ERROR, EINVAL),
    fcntl("fcntl-setfl-bad-fd-is-einval", 9, F_SETFL, ERROR, EINVAL),
    fcntl("fcntl-cmd-0", 1, 0, ERROR, EINVAL),
    fcntl("fcntl-cmd-2", 1, 2, ERROR, EINVAL),
    fcntl("fcntl-cmd-2^32-plus-1", 1, (1 << 32) + 1, ERROR, EINVAL),
]

# -- read and write on fds other than 5 and 6 (§8.1) ----------------------------------------------


FD_NAMES = {ALL_ONES: "minus-1"}


def rw(id: str, number: int, fd: int, count: int, post: dict[int, int], **fields: object) -> Vector:
    return S(id, {A7: number, A0: fd, A1: BUF, A2: count}, mem=BUF_MEMORY, post_regs=post, **fields)


READ_WRITE_VECTORS = [
    rw("read-stdin-eof", READ, 0, 16, ok(0)),
    # The hint acknowledgement is not written to memory (the buffer keeps LEAF_A).
    rw("read-hint-ack-fd-3", READ, 3, 16, ok(16)),
    rw("read-hint-ack-fd-3-huge-count", READ, 3, ALL_ONES, ok(ALL_ONES)),
    *(
        rw(f"read-fd-{FD_NAMES.get(fd, fd)}-ebadf", READ, fd, 16, err(EBADF))
        for fd in (1, 2, 4, 6, 7, ALL_ONES)
    ),
    rw("write-stdout", WRITE, 1, 5, ok(5), stdout=LEAF_A[:5]),
    rw("write-stdout-straddles-leaves", WRITE, 1, 40, ok(40), stdout=LEAF_A + LEAF_B[:8]),
    rw("write-stderr", WRITE, 2, 3, ok(3), stderr=LEAF_A[:3]),
    rw("write-stdout-0", WRITE, 1, 0, ok(0)),
    *(
        rw(f"write-fd-{FD_NAMES.get(fd, fd)}-ebadf", WRITE, fd, 16, err(EBADF))
        for fd in (0, 3, 5, 7, ALL_ONES)
    ),
    S(
        "write-stdout-wraps",
        {A7: WRITE, A0: 1, A1: ALL_ONES - 1, A2: 4},
        mem={ALL_ONES - 1: b"ab", 0: b"cd"},
        post_regs=ok(4),
        stdout=b"abcd",
    ),
]

# -- unknown syscalls: no effect, no memory written (§7.2) ---------------------------------------

NO_OP_NUMBERS = (98, 124, 123, 134, 135, 132, 178, 233, 215, 278, 258, 20, 21, 59, 78, 79, 160, 29, 0)

UNKNOWN_SYSCALL_VECTORS = [
    *(
        S(f"syscall-{number}-no-op", {A7: number, A0: BUF, A1: BUF, A2: 64}, mem=BUF_MEMORY, post_regs=ok(0))
        for number in NO_OP_NUMBERS
    ),
    # The futex quirk (§7.2): the real riscv64 futex (98) is a no-op, 422 reverts (above).
    S("futex-98-wait", {A7: 98, A0: BUF, A1: 0, A2: 1}, mem=BUF_MEMORY, post_regs=ok(0)),
    S("syscall-number-is-64-bit", {A7: (1 << 32) + EXIT, A0: 3}, post_regs=ok(0)),
    S("syscall-minus-1", {A7: ALL_ONES, A0: 3}, post_regs=ok(0)),
]

# -- fd 4: hints (§8.4) ---------------------------------------------------------------------------


def be4(n: int) -> bytes:
    return n.to_bytes(4, "big")


def hint_write(
    id: str,
    data: bytes,
    last_hint: bytes,
    hints: tuple[bytes, ...],
    post_last_hint: bytes,
    address: int = BUF,
) -> Vector:
    return S(
        id,
        {A7: WRITE, A0: 4, A1: address, A2: len(data)},
        mem={address: data},
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
    hint_write(
        "hint-straddles-leaves", be4(40) + bytes(range(40)), b"", (bytes(range(40)),), b"", address=BUF + 20
    ),
    S(
        "hint-zero-count",
        {A7: WRITE, A0: 4, A1: BUF, A2: 0},
        last_hint=be4(3) + b"a",
        post_regs=ok(0),
        post_last_hint=be4(3) + b"a",
    ),
]

# -- fd 6: preimage key writes (§8.2): a 32-byte shift register -----------------------------------

OLD_KEY = bytes(range(0x40, 0x60))
KEY_SOURCE = bytes(range(0xA0, 0xC0))  # the leaf at BUF


def key_write(id: str, alignment: int, count: int, appended: bytes, offset: int = 17) -> Vector:
    """write(6, BUF + alignment, count): the key shifts left by the bytes taken and takes them in."""
    return S(
        id,
        {A7: WRITE, A0: 6, A1: BUF + alignment, A2: count},
        mem={BUF: KEY_SOURCE, BUF + 32: LEAF_B},
        preimage_key=OLD_KEY,
        preimage_offset=offset,
        post_regs=ok(len(appended)),
        post_preimage_key=(OLD_KEY + appended)[-32:],
        post_preimage_offset=0,
        slots=(BUF + alignment,),
    )


KEY_VECTORS = [
    # Every alignment, taking the rest of the leaf (count 32 is capped at 32 - alignment).
    *(key_write(f"key-align-{al}-count-32", al, 32, KEY_SOURCE[al:]) for al in range(32)),
    # Every alignment, one byte.
    *(key_write(f"key-align-{al}-count-1", al, 1, KEY_SOURCE[al : al + 1]) for al in range(32)),
    key_write("key-align-0-count-5", 0, 5, KEY_SOURCE[:5]),
    key_write("key-align-20-count-5", 20, 5, KEY_SOURCE[20:25]),
    key_write("key-align-20-count-huge", 20, ALL_ONES, KEY_SOURCE[20:]),
    key_write("key-align-0-count-100", 0, 100, KEY_SOURCE),
    # A zero-byte write still reads the leaf (slot 1) and still resets the offset.
    key_write("key-count-0-resets-offset", 0, 0, b""),
    key_write("key-align-31-count-0", 31, 0, b"", offset=ALL_ONES),
    # The example of §8.2: 01 02 03 onto 0xaa…aa gives 29 × aa ‖ 01 02 03.
    S(
        "key-spec-example",
        {A7: WRITE, A0: 6, A1: BUF + 4, A2: 3},
        mem={BUF + 4: bytes([1, 2, 3, 4])},
        preimage_key=bytes([0xAA]) * 32,
        post_regs=ok(3),
        post_preimage_key=bytes.fromhex("aa" * 29 + "010203"),
        post_preimage_offset=0,
        slots=(BUF,),
    ),
    # The leaf never wraps: at the top of memory only the bytes up to 2^64 are taken.
    S(
        "key-top-of-memory",
        {A7: WRITE, A0: 6, A1: ALL_ONES - 1, A2: 8},
        mem={ALL_ONES - 1: b"\x01\x02", 0: b"\x03\x04"},
        preimage_key=OLD_KEY,
        post_regs=ok(2),
        post_preimage_key=OLD_KEY[2:] + b"\x01\x02",
        post_preimage_offset=0,
        slots=(ALL_ONES,),
    ),
]

# -- fd 5: preimage reads (§8.3) ------------------------------------------------------------------

VALUE = bytes(range(0x30, 0x30 + 70))
STREAM = len(VALUE).to_bytes(8, "big") + VALUE  # 78 bytes
KECCAK_KEY = bytes([0x02]) + keccak256(VALUE)[1:]
LOCAL_VALUE = bytes.fromhex("cafef00d0102")
EMPTY_KEY = bytes([0x02]) + keccak256(b"")[1:]


def preimage_read(
    id: str,
    offset: int,
    alignment: int,
    count: int,
    key: bytes = KECCAK_KEY,
    value: bytes = VALUE,
) -> Vector:
    """read(5, BUF + alignment, count) at stream offset ``offset``, expected from §8.3's formula."""
    stream = len(value).to_bytes(8, "big") + value
    n = min(count, 32 - alignment, 32, len(stream) - offset)
    return S(
        id,
        {A7: READ, A0: 5, A1: BUF + alignment, A2: count},
        mem=BUF_MEMORY,
        preimage_key=key,
        preimage_offset=offset,
        preimages={key: value},
        post_regs=ok(n),
        post_mem={BUF + alignment: stream[offset : offset + n]},
        post_preimage_offset=offset + n,
        slots=(BUF + alignment,),
        oracle=True,
    )


def failed_read(
    id: str, offset: int, key: bytes, preimages: dict[bytes, bytes], raises: type[Exception]
) -> Vector:
    return S(
        id,
        {A7: READ, A0: 5, A1: BUF, A2: 8},
        mem=BUF_MEMORY,
        preimage_key=key,
        preimage_offset=offset,
        preimages=preimages,
        raises=raises,
        verifier_raises=PreimagePartUnavailable,
        verifier_code=PREIMAGE_READ_FAILED,
    )


PREIMAGE_READ_VECTORS = [
    # Every alignment at three offsets: the length prefix, the data, and near the stream's end.
    *(preimage_read(f"read5-offset-0-align-{al}", 0, al, 32) for al in range(32)),
    *(preimage_read(f"read5-offset-8-align-{al}-count-huge", 8, al, ALL_ONES) for al in range(32)),
    *(preimage_read(f"read5-offset-61-align-{al}-count-7", 61, al, 7) for al in range(32)),
    # Every offset, aligned, 32 bytes asked (each part is capped by the stream end).
    *(preimage_read(f"read5-offset-{o}", o, 0, 32) for o in range(78)),
    # Partial reads: the count, the leaf and the part each cap the copy.
    preimage_read("read5-count-1", 8, 0, 1),
    preimage_read("read5-count-5-misaligned", 9, 3, 5),
    preimage_read("read5-capped-by-leaf", 8, 20, 100),
    preimage_read("read5-capped-by-part", 8, 0, 100),
    preimage_read("read5-last-byte", 77, 0, 100),
    preimage_read("read5-prefix-and-data", 6, 1, 4),
    # count = 0 with a part: slot 1 is still used, the leaf rewritten unchanged, 0 returned.
    preimage_read("read5-count-0", 8, 0, 0),
    preimage_read("read5-count-0-align-31", 40, 31, 0),
    preimage_read("read5-empty-preimage-prefix", 0, 0, 32, key=EMPTY_KEY, value=b""),
    preimage_read("read5-empty-preimage-last-byte", 7, 4, 32, key=EMPTY_KEY, value=b""),
    # Local keys: the VM asks the host for the raw key; the verifier localizes it (§8.3).
    preimage_read("read5-local-key", 8, 0, 32, key=local_key(1), value=LOCAL_VALUE),
    preimage_read("read5-local-key-prefix", 0, 5, 32, key=local_key(1), value=LOCAL_VALUE),
    # Reading at or past the end fails the step: offchain no post-state, onchain 0xbadf00d0.
    failed_read("read5-at-end-fails", 78, KECCAK_KEY, {KECCAK_KEY: VALUE}, PreimagePartUnavailable),
    failed_read(
        "read5-far-past-end-fails", ALL_ONES, KECCAK_KEY, {KECCAK_KEY: VALUE}, PreimagePartUnavailable
    ),
    failed_read("read5-empty-preimage-past-end", 8, EMPTY_KEY, {EMPTY_KEY: b""}, PreimagePartUnavailable),
    failed_read("read5-missing-preimage", 0, KEY, {}, PreimageNotFound),
    failed_read("read5-missing-local-preimage", 0, local_key(2), {}, PreimageNotFound),
]

ALL_VECTORS = [
    *EXIT_VECTORS,
    *SIMPLE_VECTORS,
    *STORE16_VECTORS,
    *MMAP_VECTORS,
    *FCNTL_VECTORS,
    *READ_WRITE_VECTORS,
    *UNKNOWN_SYSCALL_VECTORS,
    *HINT_VECTORS,
    *KEY_VECTORS,
    *PREIMAGE_READ_VECTORS,
]


def test_vector_ids_are_unique() -> None:
    ids = [vector.id for vector in ALL_VECTORS + INSTRUCTION_VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("vector", EXIT_VECTORS, ids=vid)
def test_exit(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", SIMPLE_VECTORS + UNKNOWN_SYSCALL_VECTORS, ids=vid)
def test_simple_and_unknown_syscalls(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", STORE16_VECTORS, ids=vid)
def test_clock_gettime_and_getrlimit(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", MMAP_VECTORS, ids=vid)
def test_mmap(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", FCNTL_VECTORS, ids=vid)
def test_fcntl(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", READ_WRITE_VECTORS, ids=vid)
def test_read_write(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", HINT_VECTORS, ids=vid)
def test_hint_writes(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", KEY_VECTORS, ids=vid)
def test_preimage_key_writes(vector: Vector) -> None:
    run(vector)


@pytest.mark.parametrize("vector", PREIMAGE_READ_VECTORS, ids=vid)
def test_preimage_reads(vector: Vector) -> None:
    run(vector)


# -- proof sizes per step kind: the table of §3.4, row by row --------------------------------------

PROOF_BYTES = {
    # pre-state already exited: no proof at all
    "exited-0": 0,
    # any non-memory instruction and non-memory syscall: slot 0
    "add": 1920,
    "beq-taken": 1920,
    "jalr": 1920,
    "lui": 1920,
    "auipc": 1920,
    "fence": 1920,
    "fld": 1920,
    "fsd": 1920,
    "fmv.x.d": 1920,
    "csrrw": 1920,
    "ebreak": 1920,
    "exit-0": 1920,
    "brk": 1920,
    "mmap-page": 1920,
    "fcntl-getfl-1": 1920,
    "openat": 1920,
    "write-stdout": 1920,
    "write-stdout-straddles-leaves": 1920,
    "hint-whole": 1920,
    "read-stdin-eof": 1920,
    "read-hint-ack-fd-3": 1920,
    "futex-98-wait": 1920,
    # load / store / lr / successful sc within one leaf: slots 0, 1
    "ld": 3840,
    "sd": 3840,
    "lw-own-instruction": 3840,
    "lr.w": 3840,
    "sc.w-succeeds": 3840,
    # load / store straddling two leaves: slots 0, 1, 2
    "ld-straddles-4-4": 5760,
    "sd-straddles-4-4": 5760,
    "ld-wraps-to-0": 5760,
    "sd-wraps-to-0": 5760,
    # failed sc: slot 0
    "sc.w-fails-other-address": 1920,
    # AMO: slots 0, 1
    "amoadd.w-overflow": 3840,
    "amomaxu.d": 3840,
    # read(5, …) with a part, write(6, …): slots 0, 1
    "read5-offset-8-align-0-count-huge": 3840,
    "read5-count-0": 3840,
    "key-align-0-count-32": 3840,
    "key-count-0-resets-offset": 3840,
    # clock_gettime, getrlimit(7, …): slots 0, 1 (+ 2 if straddling)
    "clock_gettime": 3840,
    "clock_gettime-straddles": 5760,
    "getrlimit-nofile": 3840,
    "getrlimit-nofile-straddles": 5760,
}


@pytest.mark.parametrize(("vector_id", "size"), PROOF_BYTES.items(), ids=list(PROOF_BYTES))
def test_proof_size_per_step_kind(vector_id: str, size: int) -> None:
    vector = next(v for v in ALL_VECTORS + INSTRUCTION_VECTORS if v.id == vector_id)
    proof = prepare(vector)[0].step(proof=True)
    assert proof is not None
    assert len(proof.proof_data) == size
    assert size % PROOF_SIZE == 0


# -- local keys in the stateless verifier (§8.3, preimage-oracle.md §2.1) ---------------------------


class Parts(PreimagePartSource):
    """Every part of one stream under exactly one onchain key."""

    def __init__(self, key: bytes, value: bytes) -> None:
        self.key = key
        self.stream = len(value).to_bytes(8, "big") + value

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if key != self.key or offset >= len(self.stream):
            raise PreimagePartUnavailable("pre-image must exist")
        return (self.stream + bytes(32))[offset : offset + 32], min(32, len(self.stream) - offset)


def test_local_key_is_localized_with_context_and_caller() -> None:
    vector = next(v for v in PREIMAGE_READ_VECTORS if v.id == "read5-local-key")
    proof = prepare(vector)[0].step(proof=True)
    assert proof is not None
    assert proof.oracle_key == local_key(1)  # the proof names the raw key
    localized = localize(local_key(1), CONTEXT, CALLER)
    assert localized[0] == 1 and localized != local_key(1)

    def verify(parts: PreimagePartSource, context: bytes = CONTEXT, caller: bytes = CALLER) -> bytes:
        return RiscvVM.verify_step(proof.state_data, proof.proof_data, context, parts, caller)

    assert verify(Parts(localized, LOCAL_VALUE)) == proof.post
    other_context = bytes([0x33]) * 32
    wrong = [
        (Parts(local_key(1), LOCAL_VALUE), CONTEXT, CALLER),  # not localized
        (Parts(localized, LOCAL_VALUE), other_context, CALLER),  # another dispute's context
        (Parts(localized, LOCAL_VALUE), CONTEXT, bytes([0x44]) * 20),  # another caller
    ]
    for parts, context, caller in wrong:
        with pytest.raises(PreimagePartUnavailable) as failure:
            verify(parts, context, caller)
        assert failure.value.code == PREIMAGE_READ_FAILED
    # The same raw key in another context is another input: its own localized key serves it.
    assert verify(Parts(localize(local_key(1), other_context, CALLER), LOCAL_VALUE), other_context)


def test_global_key_is_not_localized() -> None:
    vector = next(v for v in PREIMAGE_READ_VECTORS if v.id == "read5-offset-8-align-0-count-huge")
    proof = prepare(vector)[0].step(proof=True)
    assert proof is not None
    assert (
        RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, Parts(KECCAK_KEY, VALUE), CALLER)
        == proof.post
    )
    with pytest.raises(PreimagePartUnavailable):
        localized = localize(KECCAK_KEY, CONTEXT, CALLER)
        RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, Parts(localized, VALUE), CALLER)


def test_a_different_part_changes_the_post_state() -> None:
    vector = next(v for v in PREIMAGE_READ_VECTORS if v.id == "read5-offset-8-align-0-count-huge")
    proof = prepare(vector)[0].step(proof=True)
    assert proof is not None
    forged = Parts(KECCAK_KEY, bytes([VALUE[0] ^ 1]) + VALUE[1:])
    assert RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, forged, CALLER) != proof.post


# -- a guest talking to the VM over several steps -------------------------------------------------


class Guest:
    """One VM issuing syscalls from the same pc; every step is proven and verified."""

    def __init__(self, host: OracleHost | None = None) -> None:
        memory = Memory(64)
        memory.write(PC, le32(ECALL))
        self.host = host or OracleHost.in_memory(record_hints=True)
        self.vm = RiscvVM(RiscvState(pc=PC, heap=HEAP), memory, host=self.host)
        self.parts = OnchainParts({}, CONTEXT)

    def set_up(self, number: int, a0: int = 0, a1: int = 0, a2: int = 0, data: bytes = b"") -> None:
        """Put the arguments in place for an ``ecall`` at PC."""
        vm = self.vm
        if data:
            vm.memory.write(a1, data)
        vm.state.pc = PC
        vm.state.registers[A0 : A2 + 1] = [a0, a1, a2]
        vm.state.registers[A7] = number

    def execute(self) -> tuple[int, int]:
        """One proven step, checked by the verifier; returns ``(a0, a1)``."""
        vm = self.vm
        proof = vm.step(proof=True)
        assert proof is not None
        if proof.oracle_key is not None:
            assert proof.oracle_value is not None
            self.parts = OnchainParts({proof.oracle_key: proof.oracle_value[8:]}, CONTEXT)
        assert (
            RiscvVM.verify_step(proof.state_data, proof.proof_data, CONTEXT, self.parts, CALLER) == proof.post
        )
        return vm.state.registers[A0], vm.state.registers[A1]

    def syscall(
        self, number: int, a0: int = 0, a1: int = 0, a2: int = 0, data: bytes = b""
    ) -> tuple[int, int]:
        self.set_up(number, a0, a1, a2, data)
        return self.execute()


def test_key_write_and_stream_read_like_a_guest() -> None:
    guest = Guest(OracleHost.in_memory({KECCAK_KEY: VALUE}))
    guest.vm.state.preimage_offset = 5
    key_address = BUF + 0x101  # misaligned: the guest retries short writes
    guest.vm.memory.write(key_address, KECCAK_KEY)
    counts = []
    written = 0
    while written < 32:
        count, errno = guest.syscall(WRITE, 6, key_address + written, 32 - written)
        assert errno == 0 and guest.vm.state.preimage_offset == 0
        counts.append(count)
        written += count
    assert counts == [31, 1]
    assert guest.vm.state.preimage_key == KECCAK_KEY
    # Read the whole stream into a misaligned buffer, as partial reads of at most a leaf's rest.
    buffer = BUF + 0x203
    stream = b""
    sizes = []
    while len(stream) < len(STREAM):
        count, errno = guest.syscall(READ, 5, buffer + len(stream), 1000)
        assert errno == 0
        sizes.append(count)
        stream += guest.vm.memory.read(buffer + len(stream), count)
    assert stream == STREAM
    assert sizes == [29, 32, 17]
    assert guest.vm.state.preimage_offset == len(STREAM)
    # One read too many fails the step and leaves the state as it was.
    guest.set_up(READ, 5, buffer, 8)
    before = guest.vm.witness()
    with pytest.raises(PreimagePartUnavailable):
        guest.execute()
    assert guest.vm.witness() == before
    # A new key write (even of zero bytes) restarts the stream.
    assert guest.syscall(WRITE, 6, key_address, 0) == (0, 0)
    assert guest.syscall(READ, 5, buffer, 8) == (8, 0)
    assert guest.vm.memory.read(buffer, 8) == STREAM[:8]


def test_key_built_one_byte_at_a_time() -> None:
    guest = Guest()
    guest.vm.memory.write(BUF, KEY)
    for i in range(32):
        assert guest.syscall(WRITE, 6, BUF + i, 1) == (1, 0)
        assert guest.vm.state.preimage_key[-(i + 1) :] == KEY[: i + 1]
    assert guest.vm.state.preimage_key == KEY


def test_hint_split_across_many_writes() -> None:
    guest = Guest()
    message = be4(11) + b"fetch-state" + be4(3) + b"abc" + be4(0) + be4(10) + b"fetch-diff"
    delivered: list[list[bytes]] = []
    position = 0
    for size in (1, 1, 1, 2, 5, 6, 4, 1, 2, 4, 4, 7, 100):
        chunk = message[position : position + size]
        position += len(chunk)
        assert guest.syscall(WRITE, 4, BUF + 0x1F, len(chunk), chunk) == (len(chunk), 0)
        delivered.append(list(guest.host.hints))
    assert position == len(message)
    assert guest.host.hints == [b"fetch-state", b"abc", b"", b"fetch-diff"]
    # Each hint is delivered exactly when its last byte arrives; until then it waits in lastHint.
    assert delivered[:5] == [[]] * 5
    assert delivered[5] == [b"fetch-state"]
    assert bytes(guest.vm.last_hint) == b""


def test_hint_acknowledgement_read_writes_nothing() -> None:
    guest = Guest()
    guest.vm.memory.write(BUF, LEAF_A)
    root = guest.vm.memory.merkle_root()
    assert guest.syscall(READ, 3, BUF, 4) == (4, 0)
    assert guest.vm.memory.merkle_root() == root


def test_mmap_sequence_bumps_the_heap() -> None:
    guest = Guest()
    anonymous = {A3: 0x22, A4: ALL_ONES}
    for index, value in anonymous.items():
        guest.vm.state.registers[index] = value
    assert guest.syscall(MMAP, 0, 0x2000) == (HEAP, 0)
    assert guest.syscall(MMAP, 0, 1) == (HEAP + 0x2000, 0)
    assert guest.syscall(MMAP, 0x0900_0000, 0x1000) == (0x0900_0000, 0)
    assert guest.syscall(MMAP, 0, 0x10_0000) == (HEAP + 0x3000, 0)
    assert guest.vm.state.heap == HEAP + 0x10_3000


def test_exit_then_every_step_is_the_identity() -> None:
    guest = Guest()
    guest.syscall(EXIT_GROUP, 0x102)
    vm = guest.vm
    assert (vm.state.exited, vm.state.exit_code, vm.state.pc, vm.state.step) == (1, 2, PC + 4, 1)
    witness = vm.witness()
    proof = vm.step(proof=True)
    assert proof is not None
    assert proof.proof_data == b""
    assert proof.pre == proof.post and proof.post[0] == 2  # panic
    assert vm.witness() == witness
    assert RiscvVM.verify_step(proof.state_data, b"", CONTEXT, guest.parts, CALLER) == proof.post


def test_reverting_syscalls_leave_the_state() -> None:
    for number in (261, 422, 101):
        guest = Guest()
        guest.set_up(number)
        before = guest.vm.witness()
        with pytest.raises(UnsupportedSyscall) as failure:
            guest.execute()
        assert isinstance(failure.value, StepFailure) and failure.value.code == UNSUPPORTED_SYSCALL
        assert guest.vm.witness() == before
        assert guest.vm.state.step == 0
    # The real riscv64 futex is a no-op that succeeds.
    guest = Guest()
    assert guest.syscall(98, BUF, 0, 1) == (0, 0)
    assert guest.vm.state.step == 1
