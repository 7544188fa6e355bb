"""Paged, merkleized memory shared by every VM (spec: mips32.md §3, riscv64.md).

The address space is a binary Merkle tree whose leaves are the raw 32-byte chunks of memory (not
hashed) and whose interior nodes are ``keccak256(left ‖ right)``. Its depth follows from the
address width: ``address_bits - 5`` (27 for MIPS32, 59 for a 64-bit space).

Storage is sparse: 4 KiB pages exist only where something was written, and an absent page reads as
zero. Hashes are cached per tree node and only the paths above leaves written since the last root
are recomputed, so a step costs about ``depth`` hashes, never a pass over the whole memory.

The fast interpreters write pages directly for speed; the contract for doing so is small and public:
after changing bytes of ``pages[p]`` a writer adds every touched leaf index (``address >> 5``) to
``dirty_leaves``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from faultproof.crypto import HASH_SIZE, keccak256

PAGE_ADDRESS_BITS = 12
PAGE_SIZE = 1 << PAGE_ADDRESS_BITS
LEAF_ADDRESS_BITS = 5
LEAF_SIZE = 1 << LEAF_ADDRESS_BITS


def _zero_hashes(levels: int) -> tuple[bytes, ...]:
    """``Z[0] = 0^32``, ``Z[i] = H(Z[i-1] ‖ Z[i-1])``: roots of all-zero subtrees by height."""
    hashes = [bytes(HASH_SIZE)]
    for _ in range(levels):
        hashes.append(keccak256(hashes[-1] + hashes[-1]))
    return tuple(hashes)


ZERO_HASHES = _zero_hashes(64)

_WORD_BE = struct.Struct(">I")


def tree_depth(address_bits: int) -> int:
    """Number of levels between a leaf and the root of a memory of ``2**address_bits`` bytes."""
    return address_bits - LEAF_ADDRESS_BITS


def proof_size(address_bits: int) -> int:
    """Bytes in a memory proof: the leaf and one sibling per level."""
    return (tree_depth(address_bits) + 1) * HASH_SIZE


def root_from_proof(address: int, proof: bytes, depth: int) -> bytes:
    """Fold a proof (leaf, then siblings from the bottom) into the root it commits to.

    Bit ``j`` of the leaf index says whether the node at height ``j`` is a right child.
    """
    node = proof[:HASH_SIZE]
    index = address >> LEAF_ADDRESS_BITS
    for level in range(depth):
        sibling = proof[HASH_SIZE * (level + 1) : HASH_SIZE * (level + 2)]
        node = keccak256(sibling + node) if (index >> level) & 1 else keccak256(node + sibling)
    return node


def verify_proof(root: bytes, address: int, proof: bytes, depth: int) -> bool:
    """Whether ``proof`` shows that the leaf holding ``address`` is part of the tree ``root``."""
    return len(proof) == (depth + 1) * HASH_SIZE and root_from_proof(address, proof, depth) == root


class Memory:
    """Sparse byte-addressed memory with an incrementally maintained Merkle root."""

    __slots__ = ("_nodes", "address_bits", "depth", "dirty_leaves", "pages")

    def __init__(self, address_bits: int = 32) -> None:
        self.address_bits = address_bits
        self.depth = tree_depth(address_bits)
        self.pages: dict[int, bytearray] = {}
        self.dirty_leaves: set[int] = set()
        # Hash of every interior node whose subtree is not all zero, by generalized index
        # (root = 1, children of g are 2g and 2g+1). Absent means the zero hash of its height.
        self._nodes: dict[int, bytes] = {}

    # -- pages ----------------------------------------------------------------------------------

    def page(self, index: int) -> bytearray:
        """The page with this index, allocated (zeroed) on first use."""
        page = self.pages.get(index)
        if page is None:
            page = self.pages[index] = bytearray(PAGE_SIZE)
        return page

    def page_indexes(self) -> list[int]:
        """Indexes of allocated pages, ascending (the order of every state file)."""
        return sorted(self.pages)

    def set_page(self, index: int, data: bytes) -> None:
        """Replace a whole page, as when loading a state file."""
        if len(data) != PAGE_SIZE:
            raise ValueError(f"page {index} has {len(data)} bytes, expected {PAGE_SIZE}")
        self.pages[index] = bytearray(data)
        first_leaf = (index << PAGE_ADDRESS_BITS) >> LEAF_ADDRESS_BITS
        self.dirty_leaves.update(range(first_leaf, first_leaf + PAGE_SIZE // LEAF_SIZE))

    # -- byte access ----------------------------------------------------------------------------

    def read(self, address: int, length: int) -> bytes:
        """``length`` bytes from ``address``, wrapping at the top of the address space."""
        out = bytearray()
        mask = (1 << self.address_bits) - 1
        address &= mask
        while length > 0:
            offset = address & (PAGE_SIZE - 1)
            chunk = min(length, PAGE_SIZE - offset)
            page = self.pages.get(address >> PAGE_ADDRESS_BITS)
            out += page[offset : offset + chunk] if page is not None else bytes(chunk)
            address = (address + chunk) & mask
            length -= chunk
        return bytes(out)

    def write(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address``, allocating pages and marking changed leaves."""
        mask = (1 << self.address_bits) - 1
        address &= mask
        position = 0
        while position < len(data):
            offset = address & (PAGE_SIZE - 1)
            chunk = min(len(data) - position, PAGE_SIZE - offset)
            self.page(address >> PAGE_ADDRESS_BITS)[offset : offset + chunk] = data[
                position : position + chunk
            ]
            first = address >> LEAF_ADDRESS_BITS
            last = (address + chunk - 1) >> LEAF_ADDRESS_BITS
            self.dirty_leaves.update(range(first, last + 1))
            address = (address + chunk) & mask
            position += chunk

    def read_word(self, address: int) -> int:
        """The big-endian 32-bit word at a 4-byte aligned address."""
        page = self.pages.get(address >> PAGE_ADDRESS_BITS)
        if page is None:
            return 0
        return int(_WORD_BE.unpack_from(page, address & (PAGE_SIZE - 1))[0])

    def write_word(self, address: int, value: int) -> None:
        """Store a big-endian 32-bit word at a 4-byte aligned address."""
        _WORD_BE.pack_into(self.page(address >> PAGE_ADDRESS_BITS), address & (PAGE_SIZE - 1), value)
        self.dirty_leaves.add(address >> LEAF_ADDRESS_BITS)

    # -- Merkle tree ----------------------------------------------------------------------------

    def _leaf_pair(self, parent_index: int) -> bytes:
        """The 64 bytes under a height-1 node: two adjacent leaves, never split across pages."""
        address = parent_index << (LEAF_ADDRESS_BITS + 1)
        page = self.pages.get(address >> PAGE_ADDRESS_BITS)
        if page is None:
            return bytes(2 * LEAF_SIZE)
        offset = address & (PAGE_SIZE - 1)
        return bytes(page[offset : offset + 2 * LEAF_SIZE])

    def merkle_root(self) -> bytes:
        """The memory root, re-hashing only the paths above leaves written since the last call."""
        if self.dirty_leaves:
            self._rehash_dirty()
        return self._nodes.get(1, ZERO_HASHES[self.depth])

    def _rehash_dirty(self) -> None:
        nodes = self._nodes
        depth = self.depth
        # Height 1 sits directly above the leaves; its hashes come straight from page bytes.
        indexes = {leaf >> 1 for leaf in self.dirty_leaves}
        self.dirty_leaves = set()
        base = 1 << (depth - 1)
        for index in indexes:
            nodes[base + index] = keccak256(self._leaf_pair(index))
        for height in range(2, depth + 1):
            zero = ZERO_HASHES[height - 1]
            child_base = base
            base >>= 1
            indexes = {index >> 1 for index in indexes}
            for index in indexes:
                left = nodes.get(child_base + 2 * index, zero)
                right = nodes.get(child_base + 2 * index + 1, zero)
                nodes[base + index] = keccak256(left + right)

    def proof(self, address: int) -> bytes:
        """Leaf holding ``address`` followed by its siblings from the bottom up (spec §3.3)."""
        self.merkle_root()
        leaf_index = (address & ((1 << self.address_bits) - 1)) >> LEAF_ADDRESS_BITS
        leaf_address = leaf_index << LEAF_ADDRESS_BITS
        parts = [self.read(leaf_address, LEAF_SIZE), self.read(leaf_address ^ LEAF_SIZE, LEAF_SIZE)]
        index = leaf_index >> 1
        for height in range(1, self.depth):
            gindex = (1 << (self.depth - height)) + (index ^ 1)
            parts.append(self._nodes.get(gindex, ZERO_HASHES[height]))
            index >>= 1
        return b"".join(parts)

    # -- whole-memory operations ----------------------------------------------------------------

    def copy(self) -> Memory:
        """An independent copy (snapshots, trace providers)."""
        self.merkle_root()
        clone = Memory(self.address_bits)
        clone.pages = {index: bytearray(page) for index, page in self.pages.items()}
        clone._nodes = dict(self._nodes)
        return clone

    def iter_pages(self) -> Iterator[tuple[int, bytes]]:
        """Allocated pages in ascending index order."""
        for index in self.page_indexes():
            yield index, bytes(self.pages[index])

    def usage(self) -> int:
        """Bytes of allocated pages."""
        return len(self.pages) * PAGE_SIZE
