"""The 64-bit memory tree of the RV64 VM (spec: riscv64.md §3.2, §3.3, §3.5, §13.1, §13.2).

Every expected value here is the spec's own figure or is computed by this module from the spec's
definitions, sharing nothing with ``faultproof.memory`` but Keccak: ``zero_hashes`` (§3.2),
``fold`` (VERIFY of §3.3, written out), and ``reference_root``, a naive level-by-level fold of a
byte image. The other test modules of the RV64 VM import these helpers.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.crypto import keccak256
from faultproof.memory import ZERO_HASHES, Memory, root_from_proof, verify_proof

DEPTH = 59
LEAF = 32
PROOF_SIZE = 60 * LEAF
TOP = 2**64 - 1

# §13.1, copied verbatim: Z[0] … Z[59].
SPEC_ZERO_HASH_TABLE = """
0000000000000000000000000000000000000000000000000000000000000000
ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5
b4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30
21ddb9a356815c3fac1026b6dec5df3124afbadb485c9ba5a3e3398a04b7ba85
e58769b32a1beaf1ea27375a44095a0d1fb664ce2dd358e7fcbfb78c26a19344
0eb01ebfc9ed27500cd4dfc979272d1f0913cc9f66540d7e8005811109e1cf2d
887c22bd8750d34016ac3c66b5ff102dacdd73f6b014e710b51e8022af9a1968
ffd70157e48063fc33c97a050f7f640233bf646cc98d9524c6b92bcf3ab56f83
9867cc5f7f196b93bae1e27e6320742445d290f2263827498b54fec539f756af
cefad4e508c098b9a7e1d8feb19955fb02ba9675585078710969d3440f5054e0
f9dc3e7fe016e050eff260334f18a5d4fe391d82092319f5964f2e2eb7c1c3a5
f8b13a49e282f609c317a833fb8d976d11517c571d1221a265d25af778ecf892
3490c6ceeb450aecdc82e28293031d10c7d73bf85e57bf041a97360aa2c5d99c
c1df82d9c4b87413eae2ef048f94b4d3554cea73d92b0f7af96e0271c691e2bb
5c67add7c6caf302256adedf7ab114da0acfe870d449a3a489f781d659e8becc
da7bce9f4e8618b6bd2f4132ce798cdc7a60e7e1460a7299e3c6342a579626d2
2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981f
e1d3b5c807b281e4683cc6d6315cf95b9ade8641defcb32372f1c126e398ef7a
5a2dce0a8a7f68bb74560f8f71837c2c2ebbcbf7fffb42ae1896f13f7c7479a0
b46a28b6f55540f89444f63de0378e3d121be09e06cc9ded1c20e65876d36aa0
c65e9645644786b620e2dd2ad648ddfcbf4a7e5b1a3a4ecfe7f64667a3f0b7e2
f4418588ed35a2458cffeb39b93d26f18d2ab13bdce6aee58e7b99359ec2dfd9
5a9c16dc00d6ef18b7933a6f8dc65ccb55667138776f7dea101070dc8796e377
4df84f40ae0c8229d0d6069e5c8f39a7c299677a09d367fc7b05e3bc380ee652
cdc72595f74c7b1043d0e1ffbab734648c838dfb0527d971b602bc216c9619ef
0abf5ac974a1ed57f4050aa510dd9c74f508277b39d7973bb2dfccc5eeb0618d
b8cd74046ff337f0a7bf2c8e03e10f642c1886798d71806ab1e888d9e5ee87d0
838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e
662ee4dd2dd7b2bc707961b1e646c4047669dcb6584f0d8d770daf5d7e7deb2e
388ab20e2573d171a88108e79d820e98f26c0b84aa8b2f4aa4968dbb818ea322
93237c50ba75ee485f4c22adf2f741400bdf8d6a9cc7df7ecae576221665d735
8448818bb4ae4562849e949e17ac16e0be16688e156b5cf15e098c627c0056a9
27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757
bf558bebd2ceec7f3c5dce04a4782f88c2c6036ae78ee206d0bc5289d20461a2
e21908c2968c0699040a6fd866a577a99a9d2ec88745c815fd4a472c789244da
ae824d72ddc272aab68a8c3022e36f10454437c1886f3ff9927b64f232df414f
27e429a4bef3083bc31a671d046ea5c1f5b8c3094d72868d9dfdc12c7334ac5f
743cc5c365a9a6a15c1f240ac25880c7a9d1de290696cb766074a1d83d927816
4adcf616c3bfabf63999a01966c998b7bb572774035a63ead49da73b5987f347
75786645d0c5dd7c04a2f8a75dcae085213652f5bce3ea8b9b9bedd1cab3c5e9
b88b152c9b8a7b79637d35911848b0c41e7cc7cca2ab4fe9a15f9c38bb4bb939
0c4e2d8ce834ffd7a6cd85d7113d4521abb857774845c4291e6f6d010d97e318
5bc799d83e3bb31501b3da786680df30fbc18eb41cbce611e8c0e9c72f69571c
a10d3ef857d04d9c03ead7c6317d797a090fa1271ad9c7addfbcb412e9643d4f
b33b1809c42623f474055fa9400a2027a7a885c8dfa4efe20666b4ee27d7529c
134d7f28d53f175f6bf4b62faa2110d5b76f0f770c15e628181c1fcc18f970a9
c34d24b2fc8c50ca9c07a7156ef4e5ff4bdf002eda0b11c1d359d0b59a546807
04dbb9db631457879b27e0dfdbe50158fd9cf9b4cf77605c4ac4c95bd65fc9f6
f9295a686647cb999090819cda700820c282c613cedcd218540bbc6f37b01c65
67c4a1ea624f092a3a5cca2d6f0f0db231972fce627f0ecca0dee60f17551c5f
8fdaeb5ab560b2ceb781cdb339361a0fbee1b9dffad59115138c8d6a70dda9cc
c1bf0bbdd7fee15764845db875f6432559ff8dbc9055324431bc34e5b93d15da
307317849eccd90c0c7b98870b9317c15a5959dcfb84c76dcc908c4fe6ba9212
6339bf06e458f6646df5e83ba7c3d35bc263b3222c8e9040068847749ca8e8f9
5045e4342aeb521eb3a5587ec268ed3aa6faf32b62b0bc41a9d549521f406fc3
08601d83cdd34b5f7b8df63e7b9a16519d35473d0b89c317beed3d3d9424b253
84e35c5d92171376cae5c86300822d729cd3a8479583bef09527027dba5f1126
3c5cbbeb3834b7a5c1cba9aa5fee0c95ec3f17a33ec3d8047fff799187f5ae20
40bbe913c226c34c9fbe4389dd728984257a816892b3cae3e43191dd291f0eb5
14af5385bcbb1e4738bbae8106046e6e2fca42875aa5c000c582587742bcc748
"""
SPEC_ZERO_HASHES = [bytes.fromhex(line) for line in SPEC_ZERO_HASH_TABLE.split()]
EMPTY_ROOT = bytes.fromhex("14af5385bcbb1e4738bbae8106046e6e2fca42875aa5c000c582587742bcc748")
ZERO_PROOF_ROOT_AT_0 = bytes.fromhex("35cd541162972205c2a30d6a7d172f1e8b4584eef5d15a46f835cc3c90492137")


# -- the spec's definitions, written out (shared with test_riscv64_verifier) ---------------------


def zero_hashes(levels: int) -> list[bytes]:
    """§3.2: ``Z[0]`` is 32 zero bytes (not hashed), ``Z[i] = H(Z[i-1] ‖ Z[i-1])``."""
    hashes = [bytes(LEAF)]
    for _ in range(levels):
        hashes.append(keccak256(hashes[-1] + hashes[-1]))
    return hashes


Z = zero_hashes(DEPTH)


def fold(leaf_address: int, proof: bytes, leaf: bytes | None = None) -> bytes:
    """VERIFY's fold of §3.3 (REROOT when ``leaf`` replaces the proof's own leaf)."""
    assert leaf_address % LEAF == 0 and len(proof) == PROOF_SIZE
    node = proof[:LEAF] if leaf is None else leaf
    path = leaf_address >> 5
    for j in range(DEPTH):
        sibling = proof[LEAF * (j + 1) : LEAF * (j + 2)]
        node = keccak256(node + sibling) if (path >> j) & 1 == 0 else keccak256(sibling + node)
    return node


def leaves_of(image: dict[int, int]) -> dict[int, bytes]:
    """Leaf index → 32 raw bytes, for a byte image ``address → byte``."""
    leaves: dict[int, bytearray] = {}
    for address, byte in image.items():
        leaves.setdefault(address >> 5, bytearray(LEAF))[address & 31] = byte
    return {index: bytes(leaf) for index, leaf in leaves.items()}


def subtree_roots(leaves: dict[int, bytes], height: int) -> dict[int, bytes]:
    """Roots of every non-empty subtree of this height (by index at that height), naively folded."""
    nodes = dict(leaves)
    for level in range(height):
        parents: dict[int, bytes] = {}
        for index in {i >> 1 for i in nodes}:
            left = nodes.get(2 * index, Z[level])
            right = nodes.get(2 * index + 1, Z[level])
            parents[index] = keccak256(left + right)
        nodes = parents
    return nodes


def reference_root(image: dict[int, int]) -> bytes:
    return subtree_roots(leaves_of(image), DEPTH).get(0, Z[DEPTH])


def reference_proof(image: dict[int, int], address: int) -> bytes:
    """The proof of §3.3 from the byte image: the leaf, then the sibling subtree roots bottom-up."""
    leaves = leaves_of(image)
    index = (address & TOP) >> 5
    parts = [leaves.get(index, Z[0])]
    for j in range(DEPTH):
        parts.append(subtree_roots(leaves, j).get((index >> j) ^ 1, Z[j]))
    return b"".join(parts)


def write_image(image: dict[int, int], address: int, data: bytes) -> None:
    for i, byte in enumerate(data):
        image[(address + i) & TOP] = byte


def flip_bit(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(flipped)


# -- §13.1, §13.2 ------------------------------------------------------------------------------


def test_zero_hash_table_is_recomputed_from_its_definition() -> None:
    assert len(SPEC_ZERO_HASHES) == 60
    assert zero_hashes(59) == SPEC_ZERO_HASHES
    assert list(ZERO_HASHES[:60]) == SPEC_ZERO_HASHES
    # Z[7] is an all-zero page (§3.2): the root of 128 zero leaves.
    assert subtree_roots({0: bytes(LEAF)}, 7)[0] == SPEC_ZERO_HASHES[7]


def test_empty_memory_root() -> None:
    assert Memory(64).merkle_root() == EMPTY_ROOT == SPEC_ZERO_HASHES[59]
    assert reference_root({}) == EMPTY_ROOT


def test_all_zero_proof_folds_to_the_spec_value_and_is_rejected() -> None:
    """§13.2: 1920 zero bytes folded for address 0 give 0x35cd…, which is not the empty root."""
    zero_proof = bytes(PROOF_SIZE)
    assert fold(0, zero_proof) == ZERO_PROOF_ROOT_AT_0
    assert root_from_proof(0, zero_proof, DEPTH) == ZERO_PROOF_ROOT_AT_0
    assert not verify_proof(EMPTY_ROOT, 0, zero_proof, DEPTH)
    # The honest proof of address 0 in empty memory is the zero leaf and the zero hashes.
    honest = Memory(64).proof(0)
    assert honest == bytes(LEAF) + b"".join(SPEC_ZERO_HASHES[:59])
    assert fold(0, honest) == EMPTY_ROOT
    assert verify_proof(EMPTY_ROOT, 0, honest, DEPTH)


def test_the_leaf_is_raw_bytes_in_address_order() -> None:
    """§3.2: a leaf is not hashed, and its first byte is the lowest address."""
    memory = Memory(64)
    memory.write(0x40, bytes([0xAB]))
    memory.write(0x5F, bytes([0xCD]))
    leaf = bytes([0xAB]) + bytes(30) + bytes([0xCD])
    proof = memory.proof(0x40)
    assert proof[:LEAF] == leaf
    # Leaf 2 is a left child at level 0 and a right child at level 1.
    expected_root = keccak256(Z[1] + keccak256(leaf + Z[0]))
    for j in range(2, DEPTH):
        expected_root = keccak256(expected_root + Z[j])
    assert memory.merkle_root() == expected_root


# -- random addresses over the whole 2^64 space --------------------------------------------------

ADDRESS_BASES = [
    0,
    0x1000,
    0x4000_0000,
    0x7F00_0000_0000,
    0x1000_0000_0000_0000,
    0x7FFF_FFFF_FFFF_F000,
    0x8000_0000_0000_0000,
    TOP - 0xFFF,
]
ADDRESSES = st.one_of(
    st.integers(0, TOP),
    st.builds(
        lambda base, delta: (base + delta) & TOP, st.sampled_from(ADDRESS_BASES), st.integers(-96, 4200)
    ),
)
WRITES = st.lists(st.tuples(ADDRESSES, st.binary(min_size=1, max_size=72)), max_size=10)


@settings(max_examples=60)
@given(writes=WRITES, probes=st.lists(ADDRESSES, min_size=1, max_size=4))
def test_random_proofs_verify_and_match_the_reference(
    writes: list[tuple[int, bytes]], probes: list[int]
) -> None:
    memory = Memory(64)
    image: dict[int, int] = {}
    for address, data in writes:
        memory.write(address, data)
        write_image(image, address, data)
    root = memory.merkle_root()
    assert root == reference_root(image)
    for address in [*probes, *(a for a, _ in writes)]:
        leaf_address = address & ~31
        proof = memory.proof(address)
        assert len(proof) == PROOF_SIZE
        assert proof[:LEAF] == bytes(image.get(leaf_address + i, 0) for i in range(LEAF))
        assert fold(leaf_address, proof) == root
        assert verify_proof(root, leaf_address, proof, DEPTH)
        # Every address of a leaf has that leaf's proof.
        assert memory.proof(leaf_address | 31) == proof


@settings(max_examples=15)
@given(writes=WRITES, address=ADDRESSES)
def test_proofs_equal_the_naive_reference_proof(writes: list[tuple[int, bytes]], address: int) -> None:
    memory = Memory(64)
    image: dict[int, int] = {}
    for where, data in writes:
        memory.write(where, data)
        write_image(image, where, data)
    assert memory.proof(address) == reference_proof(image, address)


@settings(max_examples=40)
@given(writes=WRITES, address=ADDRESSES, other=ADDRESSES)
def test_a_proof_verifies_for_another_leaf_only_if_it_is_that_leafs_proof(
    writes: list[tuple[int, bytes]], address: int, other: int
) -> None:
    """Leaf position is bound by the fold's left/right choices: a proof moved to another leaf folds
    to the root only where the tree looks the same from there (mirrored zero subtrees)."""
    memory = Memory(64)
    for where, data in writes:
        memory.write(where, data)
    root = memory.merkle_root()
    proof = memory.proof(address)
    moved_verifies = fold(other & ~31, proof) == root
    assert moved_verifies == (memory.proof(other) == proof)
    assert verify_proof(root, other & ~31, proof, DEPTH) == moved_verifies


def test_a_proof_moved_to_a_different_leaf_is_rejected() -> None:
    memory = Memory(64)
    memory.write(0x1000, b"\x01")
    root = memory.merkle_root()
    proof = memory.proof(0x1000)
    for other in (0, 0x1020, 0x2000, 0x1000 | 1 << 63, TOP - 31):
        assert fold(other, proof) != root
    assert fold(0x101F & ~31, proof) == root


# -- every single-bit flip of a proof fails ------------------------------------------------------


def populated_memory(seed: int) -> Memory:
    rng = random.Random(seed)
    memory = Memory(64)
    for _ in range(20):
        memory.write(rng.randrange(0, 2**64), rng.randbytes(rng.randrange(1, 80)))
    for base in (0x1000_0000_0000_0000, TOP - 0x7F):
        memory.write(base, rng.randbytes(0x80))
    return memory


@pytest.mark.parametrize(
    "address",
    [
        0x1000_0000_0000_0040,  # written, with written neighbours in its page
        TOP - 31,  # the last leaf (path of all ones), written
        0x0123_4567_89AB_CDE0,  # an absent page: zero leaf, mostly zero-hash siblings
    ],
    ids=["written", "last-leaf", "absent-page"],
)
def test_every_single_bit_flip_of_a_proof_is_rejected(address: int) -> None:
    """All 1920 · 8 = 15360 flips: the leaf's bits and every sibling's bits are all bound."""
    memory = populated_memory(7)
    root = memory.merkle_root()
    proof = memory.proof(address)
    assert fold(address, proof) == root
    for bit in range(PROOF_SIZE * 8):
        assert root_from_proof(address, flip_bit(proof, bit), DEPTH) != root, f"bit {bit}"


# -- accesses that span two leaves (§3.5) --------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "siblings"),
    [
        (0x1000_0000_0000_001C, True),  # leaves 0 and 1 of a page: siblings in the tree
        (0x1000_0000_0000_003C, False),  # leaves 1 and 2: neighbours, not siblings
        (0x1000_0000_0000_0FFC, False),  # the last leaf of a page and the first of the next page
        (TOP - 3, False),  # the top of the address space, wrapping to address 0
    ],
)
def test_straddling_store_with_the_intermediate_root(address: int, siblings: bool) -> None:
    """STORE of 8 bytes over two leaves: slot 1, REROOT, slot 2 against the intermediate root."""
    memory = Memory(64)
    image: dict[int, int] = {}
    for where, data in [(address - 40, bytes(range(1, 49))), (address + 8, bytes(range(100, 140)))]:
        memory.write(where, data)
        write_image(image, where, data)
    value = bytes.fromhex("8877665544332211")
    left, right = address & ~31, (address + 7) & TOP & ~31
    assert left != right
    in_left = left + LEAF - address

    pre_root = memory.merkle_root()
    left_proof = memory.proof(left)
    right_pre_proof = memory.proof(right)
    assert fold(left, left_proof) == pre_root == reference_root(image)
    patched = bytearray(left_proof[:LEAF])
    patched[address - left :] = value[:in_left]
    intermediate = fold(left, left_proof, bytes(patched))

    memory.write(address, value[:in_left])
    write_image(image, address, value[:in_left])
    assert memory.merkle_root() == intermediate == reference_root(image)
    right_proof = memory.proof(right)
    assert fold(right, right_proof) == intermediate
    assert right_proof[:LEAF] == right_pre_proof[:LEAF]  # the right leaf itself is untouched
    # The level-0 sibling is the updated left leaf only when the two leaves are siblings.
    assert (right_proof[LEAF : 2 * LEAF] == bytes(patched)) is siblings
    # The pre-state proof of the right leaf no longer folds to the current root.
    assert fold(right, right_pre_proof) == pre_root != intermediate

    final_leaf = bytes(value[in_left:]) + right_proof[8 - in_left : LEAF]
    memory.write((address + in_left) & TOP, value[in_left:])
    write_image(image, address + in_left, value[in_left:])
    assert fold(right, right_proof, final_leaf) == memory.merkle_root() == reference_root(image)
    assert memory.read(address, 8) == value


def test_wrapping_access_reads_the_top_and_bottom_leaves() -> None:
    memory = Memory(64)
    memory.write(TOP - 1, bytes([0x11, 0x22, 0x33, 0x44]))
    assert memory.read(TOP - 1, 4) == bytes([0x11, 0x22, 0x33, 0x44])
    assert memory.proof(0)[:4] == bytes([0x33, 0x44, 0, 0])
    assert memory.proof(TOP)[LEAF - 2 : LEAF] == bytes([0x11, 0x22])
    root = memory.merkle_root()
    assert fold(0, memory.proof(0)) == root == fold(TOP - 31, memory.proof(TOP))
    assert root == reference_root({TOP - 1: 0x11, TOP: 0x22, 0: 0x33, 1: 0x44})


# -- proofs in absent pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "probe"),
    [
        (0x1000_0000_0000_0008, 0x1000_0000_0000_1000),  # the next page
        (0x1000_0000_0000_0008, 0x1000_0000_0000_0020),  # same page, sibling leaf
        (0x1000_0000_0000_0008, 0x9000_0000_0000_0000),  # the other half of memory
        (0x8000_0000_0000_0000, 0x0000_0000_0000_0000),
        (TOP - 7, 0x7FFF_FFFF_FFFF_FFE0),
    ],
)
def test_proof_in_an_absent_page_is_zero_hashes_but_one(written: int, probe: int) -> None:
    """With one leaf written, a proof elsewhere holds ``Z[j]`` at every level but the one where
    the two paths meet, where it holds the root of the written leaf's subtree at that height."""
    memory = Memory(64)
    memory.write(written, bytes.fromhex("0102030405060708"))
    leaf = bytearray(LEAF)
    leaf[written & 31 : (written & 31) + 8] = bytes.fromhex("0102030405060708")
    meet = ((written >> 5) ^ (probe >> 5)).bit_length() - 1
    node = bytes(leaf)
    for j in range(meet):
        node = keccak256(node + Z[j]) if (written >> (5 + j)) & 1 == 0 else keccak256(Z[j] + node)
    expected = [Z[0]] + [node if j == meet else Z[j] for j in range(DEPTH)]
    proof = memory.proof(probe)
    assert proof == b"".join(expected)
    assert probe >> 12 not in memory.pages or probe >> 12 == written >> 12
    assert fold(probe & ~31, proof) == memory.merkle_root()


def test_empty_memory_proofs_everywhere() -> None:
    memory = Memory(64)
    empty_proof = bytes(LEAF) + b"".join(Z[:DEPTH])
    for address in (0, 0x20, 0x7F00_0000_0000, 0x8000_0000_0000_0000, TOP):
        assert memory.proof(address) == empty_proof
        assert fold(address & ~31, empty_proof) == EMPTY_ROOT
    assert not memory.pages  # reading proofs allocates nothing
