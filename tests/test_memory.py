"""Merkleized memory (spec: mips32.md §3, §11.1; Appendix A for the 64-bit tree).

Expected roots are the independent figures of the spec, or a from-scratch reference root computed
here by a deliberately naive sparse Merkle fold (``reference_root``) that shares no code with
``faultproof.memory`` beyond Keccak itself.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.crypto import keccak256
from faultproof.memory import ZERO_HASHES, Memory, root_from_proof, verify_proof

# -- spec figures (§3.2, §11.1) ----------------------------------------------------------------

SPEC_ZERO_HASHES = {
    0: "0000000000000000000000000000000000000000000000000000000000000000",
    1: "ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5",
    2: "b4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30",
    3: "21ddb9a356815c3fac1026b6dec5df3124afbadb485c9ba5a3e3398a04b7ba85",
    26: "b8cd74046ff337f0a7bf2c8e03e10f642c1886798d71806ab1e888d9e5ee87d0",
    27: "838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e",
    59: "14af5385bcbb1e4738bbae8106046e6e2fca42875aa5c000c582587742bcc748",
}
ROOT_WORD_AT_0 = "a9f9448ae7c7395fc4430f4b83dbe5473a9319753465b4022ae3a0dd83308886"
ROOT_WORD_AT_7FFFD004 = "8e25f18f09612d8f8723497ecd45d6b73ba8af97bf97b885899159f74a4ba1a5"
ROOT_BOTH_WORDS = "19d2a08870af1b174d4425b953df00006a14a1f2121b89271635546a5cdeabfb"

DEPTH32 = 27
DEPTH64 = 59
PROOF32 = 28 * 32
PROOF64 = 60 * 32


def zero_hashes(levels: int) -> list[bytes]:
    hashes = [bytes(32)]
    for _ in range(levels):
        hashes.append(keccak256(hashes[-1] + hashes[-1]))
    return hashes


Z = zero_hashes(64)


def reference_root(image: dict[int, int], address_bits: int) -> bytes:
    """The root of a memory holding ``image`` (address -> byte), folded level by level."""
    depth = address_bits - 5
    leaves: dict[int, bytearray] = {}
    for address, byte in image.items():
        leaves.setdefault(address >> 5, bytearray(32))[address & 31] = byte
    nodes: dict[int, bytes] = {index: bytes(leaf) for index, leaf in leaves.items()}
    for level in range(depth):
        parents: dict[int, bytes] = {}
        for index in {i >> 1 for i in nodes}:
            left = nodes.get(2 * index, Z[level])
            right = nodes.get(2 * index + 1, Z[level])
            parents[index] = keccak256(left + right)
        nodes = parents
    return nodes.get(0, Z[depth])


# -- zero hashes and fixed roots -----------------------------------------------------------------


@pytest.mark.parametrize(("height", "expected"), sorted(SPEC_ZERO_HASHES.items()))
def test_zero_hashes_match_spec(height: int, expected: str) -> None:
    assert ZERO_HASHES[height].hex() == expected
    assert Z[height].hex() == expected  # the spec's definition, recomputed here


def test_empty_roots() -> None:
    assert Memory(32).merkle_root().hex() == SPEC_ZERO_HASHES[27]
    assert Memory(64).merkle_root().hex() == SPEC_ZERO_HASHES[59]


def test_root_of_word_at_0() -> None:
    memory = Memory(32)
    memory.write_word(0, 0xAABB_CCDD)
    assert memory.merkle_root().hex() == ROOT_WORD_AT_0


def test_root_of_word_at_7fffd004() -> None:
    memory = Memory(32)
    memory.write_word(0x7FFF_D004, 0x0102_0304)
    assert memory.merkle_root().hex() == ROOT_WORD_AT_7FFFD004


@pytest.mark.parametrize("incremental", [False, True])
def test_root_of_both_words(incremental: bool) -> None:
    memory = Memory(32)
    memory.write_word(0, 0xAABB_CCDD)
    if incremental:
        assert memory.merkle_root().hex() == ROOT_WORD_AT_0
    memory.write_word(0x7FFF_D004, 0x0102_0304)
    assert memory.merkle_root().hex() == ROOT_BOTH_WORDS


def test_root_of_both_words_written_as_bytes() -> None:
    memory = Memory(32)
    memory.write(0x7FFF_D004, bytes.fromhex("01020304"))
    memory.write(0, bytes.fromhex("aabbccdd"))
    assert memory.merkle_root().hex() == ROOT_BOTH_WORDS
    assert reference_root({0: 0xAA, 1: 0xBB, 2: 0xCC, 3: 0xDD}, 32).hex() == ROOT_WORD_AT_0


def test_proof_of_address_0() -> None:
    memory = Memory(32)
    memory.write_word(0, 0xAABB_CCDD)
    expected = bytes.fromhex("aabbccdd") + bytes(28) + b"".join(Z[i] for i in range(27))
    proof = memory.proof(0)
    assert proof == expected
    assert len(proof) == PROOF32
    assert verify_proof(bytes.fromhex(ROOT_WORD_AT_0), 0, proof, DEPTH32)
    # Every address of the same leaf has the same proof.
    assert memory.proof(28) == expected
    assert memory.proof(31) == expected


def test_proof_of_absent_memory_is_zero_leaf_and_zero_hashes() -> None:
    memory = Memory(32)
    memory.write_word(0x1000_0000, 1)
    proof = memory.proof(0x7654_3210)
    assert proof[:32] == bytes(32)
    assert verify_proof(memory.merkle_root(), 0x7654_3210, proof, DEPTH32)


def test_empty_memory_proof_of_64_bit_address() -> None:
    memory = Memory(64)
    proof = memory.proof(0xFFFF_FFFF_FFFF_FFE0)
    assert proof == bytes(32) + b"".join(Z[i] for i in range(59))
    assert len(proof) == PROOF64


# -- proofs of random addresses ------------------------------------------------------------------

ADDRESS_BASES32 = [0, 0xFFF, 0x1000, 0x0500_0000, 0x7FFF_CFE0, 0x7FFF_D000, 0xFFFF_EFFF, 0xFFFF_FFE0]


def interesting_addresses(bits: int) -> st.SearchStrategy[int]:
    top = (1 << bits) - 1
    bases = ADDRESS_BASES32 if bits == 32 else [*ADDRESS_BASES32, 1 << 32, 0x0000_7FFF_FFFF_F000, top - 0x40]
    near = st.builds(lambda base, delta: (base + delta) & top, st.sampled_from(bases), st.integers(-64, 4160))
    return st.one_of(near, st.integers(0, top))


def memory_writes(bits: int) -> st.SearchStrategy[list[tuple[int, bytes]]]:
    return st.lists(st.tuples(interesting_addresses(bits), st.binary(min_size=1, max_size=80)), max_size=12)


@pytest.mark.parametrize("bits", [32, 64])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_proofs_of_random_addresses_verify(bits: int, data: st.DataObject) -> None:
    depth = bits - 5
    memory = Memory(bits)
    for address, chunk in data.draw(memory_writes(bits)):
        memory.write(address, chunk)
    root = memory.merkle_root()
    for _ in range(4):
        address = data.draw(interesting_addresses(bits))
        proof = memory.proof(address)
        assert len(proof) == (depth + 1) * 32
        assert proof[:32] == memory.read(address & ~31, 32)
        assert root_from_proof(address, proof, depth) == root
        assert verify_proof(root, address, proof, depth)
        # A proof of the wrong length never verifies.
        assert not verify_proof(root, address, proof[:-32], depth)
        assert not verify_proof(root, address, proof + bytes(32), depth)


def nontrivial_memory(bits: int, seed: int) -> Memory:
    rng = random.Random(seed)
    memory = Memory(bits)
    top = (1 << bits) - 1
    for _ in range(30):
        memory.write(rng.randrange(0, top), rng.randbytes(rng.randrange(1, 64)))
    return memory


def flip(proof: bytes, bit: int) -> bytes:
    flipped = bytearray(proof)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


def test_flipping_any_bit_of_a_proof_fails_exhaustive() -> None:
    """All 896 · 8 single-bit flips of one 32-bit proof (leaf and every sibling) are rejected."""
    memory = nontrivial_memory(32, 1)
    address = 0x1234_5678 & ~3
    memory.write_word(address, 0xFEED_FACE)
    root = memory.merkle_root()
    proof = memory.proof(address)
    assert verify_proof(root, address, proof, DEPTH32)
    for bit in range(PROOF32 * 8):
        assert not verify_proof(root, address, flip(proof, bit), DEPTH32), f"bit {bit} flipped"


def test_flipping_any_bit_of_a_proof_of_empty_memory_fails() -> None:
    """Even an all-zero leaf with zero-hash siblings: every single-bit flip changes the root."""
    memory = Memory(32)
    root = memory.merkle_root()
    proof = memory.proof(0x7FFF_D000)
    for bit in range(0, PROOF32 * 8, 7):
        assert not verify_proof(root, 0x7FFF_D000, flip(proof, bit), DEPTH32)


@pytest.mark.parametrize("bits", [32, 64])
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32), address_seed=st.integers(0, 2**64 - 1), bit=st.integers(0, PROOF64 * 8 - 1)
)
def test_flipping_a_random_bit_of_a_proof_fails(bits: int, seed: int, address_seed: int, bit: int) -> None:
    depth = bits - 5
    memory = nontrivial_memory(bits, seed)
    address = address_seed & ((1 << bits) - 1)
    root = memory.merkle_root()
    proof = memory.proof(address)
    bit %= len(proof) * 8
    assert verify_proof(root, address, proof, depth)
    assert not verify_proof(root, address, flip(proof, bit), depth)


def test_proof_for_one_address_does_not_verify_for_its_sibling_leaf() -> None:
    memory = Memory(32)
    memory.write_word(0x100, 0x1111_1111)
    memory.write_word(0x120, 0x2222_2222)
    root = memory.merkle_root()
    proof = memory.proof(0x100)
    assert verify_proof(root, 0x100, proof, DEPTH32)
    assert not verify_proof(root, 0x120, proof, DEPTH32)


# -- incremental root == from-scratch root --------------------------------------------------------

WRITE_OP = st.one_of(
    st.tuples(st.just("write"), interesting_addresses(32), st.binary(min_size=0, max_size=300)),
    st.tuples(st.just("byte"), interesting_addresses(32), st.binary(min_size=1, max_size=1)),
    st.tuples(
        st.just("word"), interesting_addresses(32).map(lambda a: a & ~3), st.binary(min_size=4, max_size=4)
    ),
    st.tuples(st.just("root"), st.just(0), st.just(b"")),
)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(WRITE_OP, max_size=25))
def test_incremental_root_equals_from_scratch_root(ops: list[tuple[str, int, bytes]]) -> None:
    memory = Memory(32)
    image: dict[int, int] = {}  # shadow model: address -> byte
    for kind, address, data in ops:
        if kind == "root":
            memory.merkle_root()
            continue
        if kind == "word":
            memory.write_word(address, int.from_bytes(data, "big"))
        else:
            memory.write(address, data)
        for i, byte in enumerate(data):
            image[(address + i) & 0xFFFF_FFFF] = byte
    root = memory.merkle_root()
    assert root == reference_root(image, 32)
    fresh = Memory(32)
    for index, page in memory.iter_pages():
        fresh.set_page(index, page)
    assert fresh.merkle_root() == root
    for address, byte in image.items():
        assert memory.read(address, 1) == bytes([byte])
    for address in list(image)[:8]:
        aligned = address & ~3
        word = bytes(image.get((aligned + i) & 0xFFFF_FFFF, 0) for i in range(4))
        assert memory.read_word(aligned) == int.from_bytes(word, "big")


@settings(max_examples=30, deadline=None)
@given(ops=st.lists(st.tuples(interesting_addresses(64), st.binary(min_size=1, max_size=100)), max_size=10))
def test_incremental_root_equals_from_scratch_root_64(ops: list[tuple[int, bytes]]) -> None:
    memory = Memory(64)
    image: dict[int, int] = {}
    for address, data in ops:
        memory.write(address, data)
        memory.merkle_root()
        for i, byte in enumerate(data):
            image[(address + i) % 2**64] = byte
    assert memory.merkle_root() == reference_root(image, 64)


def test_page_crossing_write_marks_both_pages() -> None:
    memory = Memory(32)
    memory.merkle_root()
    memory.write(0x0000_1FFE, b"\x01\x02\x03\x04")
    assert memory.read_word(0x1FFC) == 0x0000_0102
    assert memory.read_word(0x2000) == 0x0304_0000
    assert memory.merkle_root() == reference_root({0x1FFE: 1, 0x1FFF: 2, 0x2000: 3, 0x2001: 4}, 32)


def test_overwriting_with_zero_returns_to_empty_root() -> None:
    memory = Memory(32)
    memory.write(0x4000_0000, b"\xff" * 5000)
    assert memory.merkle_root() != Z[27]
    memory.write(0x4000_0000, bytes(5000))
    assert memory.merkle_root() == Z[27]


def test_set_page_replaces_a_page() -> None:
    memory = Memory(32)
    memory.write(0x3000, b"\x55" * 64)
    memory.merkle_root()
    memory.set_page(3, bytes([7]) + bytes(4095))
    assert memory.merkle_root() == reference_root({0x3000: 7}, 32)
    with pytest.raises(ValueError):
        memory.set_page(3, bytes(100))


# -- copies, absent pages, wrapping ----------------------------------------------------------------


def test_copy_is_independent() -> None:
    original = Memory(32)
    original.write(0x1000, b"abc")
    copy = original.copy()
    root = original.merkle_root()
    assert copy.merkle_root() == root
    original.write(0x1000, b"x")
    original.write_word(0x9000, 5)
    assert copy.read(0x1000, 3) == b"abc"
    assert copy.read_word(0x9000) == 0
    assert copy.merkle_root() == root
    copy.write(0x2000, b"y")
    assert original.read(0x2000, 1) == b"\x00"
    assert original.merkle_root() == reference_root(
        {0x1000: ord("x"), 0x1001: ord("b"), 0x1002: ord("c"), 0x9003: 5}, 32
    )
    assert copy.merkle_root() == reference_root(
        {0x1000: ord("a"), 0x1001: ord("b"), 0x1002: ord("c"), 0x2000: ord("y")}, 32
    )


def test_copy_with_pending_writes() -> None:
    original = Memory(32)
    original.write(0x1000, b"abc")  # not yet hashed
    copy = original.copy()
    assert copy.merkle_root() == reference_root({0x1000: 0x61, 0x1001: 0x62, 0x1002: 0x63}, 32)


def test_reads_of_absent_pages_are_zero() -> None:
    memory = Memory(32)
    memory.write_word(0x1000, 0xFFFF_FFFF)
    assert memory.read(0x5000_0000, 10_000) == bytes(10_000)
    assert memory.read_word(0x5000_0000) == 0
    assert memory.read(0x0FFE, 8) == b"\x00\x00\xff\xff\xff\xff\x00\x00"
    root = memory.merkle_root()
    assert memory.proof(0x5000_0000)[:32] == bytes(32)
    assert memory.merkle_root() == root


def test_read_zero_length() -> None:
    assert Memory(32).read(0x1234, 0) == b""


def test_write_and_read_wrap_at_top_of_32_bit_space() -> None:
    memory = Memory(32)
    memory.write(0xFFFF_FFFE, b"abcd")
    assert memory.read(0xFFFF_FFFE, 4) == b"abcd"
    assert memory.read(0, 2) == b"cd"
    assert memory.read_word(0xFFFF_FFFC) == 0x0000_6162
    assert memory.read_word(0) == 0x6364_0000
    image = {0xFFFF_FFFE: 0x61, 0xFFFF_FFFF: 0x62, 0: 0x63, 1: 0x64}
    assert memory.merkle_root() == reference_root(image, 32)
    # Addresses beyond the space are taken modulo its size.
    assert memory.read(0x1_0000_0000, 2) == b"cd"


def test_write_wraps_at_top_of_64_bit_space() -> None:
    memory = Memory(64)
    memory.write(2**64 - 1, b"xy")
    assert memory.read(2**64 - 1, 2) == b"xy"
    assert memory.read(0, 1) == b"y"
    assert memory.merkle_root() == reference_root({2**64 - 1: ord("x"), 0: ord("y")}, 64)


def test_large_write_spanning_many_pages() -> None:
    memory = Memory(32)
    data = bytes(range(256)) * 40  # 10240 bytes over 4 pages
    memory.write(0x0000_0F80, data)
    assert memory.read(0x0000_0F80, len(data)) == data
    assert memory.merkle_root() == reference_root({0xF80 + i: b for i, b in enumerate(data) if b}, 32)
