# pragma version ~=0.4.3
"""
@title PreimageOracle
@notice The authenticated store of preimage parts that the onchain step verifiers read
        (spec: preimage-oracle.md §6.1, §6.2; upstream: PreimageOracle.sol 1.1.x without the
        large preimage proposals of §6.3).

        A part is 32 bytes of a preimage's stream `BE8(len(d)) ‖ d ‖ zeros` at one exact offset
        (§3). Each loader derives the key from the data it is given, so nobody can put a wrong
        part under a global key, and localizes local keys with `msg.sender`, so nobody can write
        into another caller's local data (§2.1). Every loader stores one `(key, offset)` part and
        the preimage's length; `readPreimage` serves it.

        Custom errors are the upstream ones, reproduced as their 4-byte selectors with
        `raw_revert` (Vyper 0.4 has no error declarations).
"""

# §3: the stream of a preimage is its 8-byte big-endian length, then the preimage.
PART_SIZE: constant(uint256) = 32
LENGTH_PREFIX_SIZE: constant(uint256) = 8

# §1: a key is 32 bytes; byte 0 is its type, bytes 1–31 identify the preimage.
KEY_TYPE_SHIFT: constant(uint256) = 248
KEY_BODY_MASK: constant(uint256) = 2**248 - 1
LOCAL_KEY_TYPE: constant(uint256) = 1
KECCAK256_KEY_TYPE: constant(uint256) = 2
SHA256_KEY_TYPE: constant(uint256) = 4
BLOB_KEY_TYPE: constant(uint256) = 5
PRECOMPILE_KEY_TYPE: constant(uint256) = 6

# The largest preimage `loadKeccak256PreimagePart` and `loadSha256PreimagePart` take, and the
# largest precompile input: anything smaller than upstream's MIN_LPP_SIZE_BYTES (126000) is loaded
# in one call upstream, so it must be loadable here. Vyper reserves this much memory for the
# argument, which every call of these loaders pays for (see the README's gas figures).
MAX_PREIMAGE_SIZE: constant(uint256) = 126000
# A precompile's return data: the largest is the identity's (its input); 0x08 and 0x0f return one
# word, the BLS12-381 ones at most 256 bytes, modexp the modulus length of its input.
MAX_PRECOMPILE_OUTPUT_SIZE: constant(uint256) = 126000

# §1.1, EIP-4844: the KZG commitment and proof sizes and the versioned hash's version byte.
BLOB_COMMITMENT_SIZE: constant(uint256) = 48
KZG_PROOF_SIZE: constant(uint256) = 48
VERSIONED_HASH_VERSION_KZG: constant(uint256) = 1
BLOB_VALUE_SIZE: constant(uint256) = 32

SHA256_PRECOMPILE: constant(address) = 0x0000000000000000000000000000000000000002
POINT_EVALUATION_PRECOMPILE: constant(address) = 0x000000000000000000000000000000000000000A

# §6.2: gas kept back for the work around a precompile call, so that with
# `gasleft · 63 ≥ requiredGas · 64 + reserve · 63` the call itself gets at least `requiredGas`.
PRECOMPILE_CALL_RESERVED_GAS: constant(uint256) = 100_000

# The bytes the `status` of a precompile call adds before its return data (§1, type 6).
STATUS_SIZE: constant(uint256) = 1

preimageLengths: public(HashMap[bytes32, uint256])
preimageParts: public(HashMap[bytes32, HashMap[uint256, bytes32]])
preimagePartOk: public(HashMap[bytes32, HashMap[uint256, bool]])


# -- reading ----------------------------------------------------------------------------------------


@view
@external
def readPreimage(key: bytes32, offset: uint256) -> (bytes32, uint256):
    """
    @notice The part of `key`'s stream at `offset` and how many of its bytes are meaningful:
            32, or what is left of the stream (§3, §6.2).
    """
    assert self.preimagePartOk[key][offset], "pre-image must exist"
    length: uint256 = self.preimageLengths[key]
    part_length: uint256 = PART_SIZE
    if offset + PART_SIZE >= length + LENGTH_PREFIX_SIZE:
        part_length = length + LENGTH_PREFIX_SIZE - offset
    return self.preimageParts[key][offset], part_length


# -- type 1: local data -----------------------------------------------------------------------------


@external
def loadLocalData(
    ident: uint256, localContext: bytes32, word: bytes32, size: uint256, partOffset: uint256
) -> bytes32:
    """
    @notice Load one part of the caller's local input `ident` under `localContext`: the value is
            `word[0:size]`, so a value shorter than 32 bytes sits in the high-order bytes of
            `word`. Returns the localized key (§2.1).
    @dev The stream is `BE8(size) ‖ word`, all of `word` even past `size`, as upstream does.
    """
    key: bytes32 = self._localize(self._typed(LOCAL_KEY_TYPE, convert(ident, bytes32)), localContext)
    if partOffset >= size + LENGTH_PREFIX_SIZE or size > PART_SIZE:
        raw_revert(method_id("PartOffsetOOB()"))
    self._store_part(key, partOffset, self._head_part(size, word, partOffset), size)
    return key


# -- types 2 and 4: keccak256 and SHA-256 preimages -------------------------------------------------


@external
def loadKeccak256PreimagePart(partOffset: uint256, preimage: Bytes[MAX_PREIMAGE_SIZE]):
    """
    @notice Load the part at `partOffset` of `preimage` under `typed(2, keccak256(preimage))`.
    @dev Upstream reads the length at calldata offset 0x44, i.e. assumes the canonical ABI
         encoding; for a canonical call that is `len(preimage)`, which is what is used here.
    """
    size: uint256 = len(preimage)
    if partOffset >= size + LENGTH_PREFIX_SIZE:
        raw_revert(method_id("PartOffsetOOB()"))
    key: bytes32 = self._typed(KECCAK256_KEY_TYPE, keccak256(preimage))
    self._store_part(key, partOffset, self._stream_part(preimage, partOffset), size)


@external
def loadSha256PreimagePart(partOffset: uint256, preimage: Bytes[MAX_PREIMAGE_SIZE]):
    """
    @notice Load the part at `partOffset` of `preimage` under `typed(4, sha256(preimage))`,
            hashed by the SHA-256 precompile (0x02).
    """
    size: uint256 = len(preimage)
    if partOffset >= size + LENGTH_PREFIX_SIZE:
        raw_revert(method_id("PartOffsetOOB()"))
    key: bytes32 = self._typed(SHA256_KEY_TYPE, sha256(preimage))
    self._store_part(key, partOffset, self._stream_part(preimage, partOffset), size)


# -- type 5: blob point evaluation ------------------------------------------------------------------


@external
def loadBlobPreimagePart(
    z: uint256,
    y: uint256,
    commitment: Bytes[BLOB_COMMITMENT_SIZE],
    proof: Bytes[KZG_PROOF_SIZE],
    partOffset: uint256,
):
    """
    @notice Load a part of `y = p(z)` for the blob polynomial `p` committed by `commitment`, once
            the point-evaluation precompile (0x0a) accepted the KZG `proof` (§1.1, EIP-4844).
            The key is `typed(5, keccak256(commitment ‖ z))`; the value is `y`, 32 bytes.
    """
    success: bool = False
    digest: Bytes[32] = b""
    success, digest = raw_call(
        SHA256_PRECOMPILE,
        commitment,
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not success:
        raw_revert(method_id("ShaFailed()"))
    versioned_hash: bytes32 = self._typed(VERSIONED_HASH_VERSION_KZG, convert(digest, bytes32))
    point_evaluation_input: Bytes[192] = concat(
        versioned_hash, convert(z, bytes32), convert(y, bytes32), commitment, proof
    )
    # A proof that does not verify makes the precompile fail; so does an input that is not 192 bytes.
    if not raw_call(
        POINT_EVALUATION_PRECOMPILE,
        point_evaluation_input,
        is_static_call=True,
        revert_on_failure=False,
    ):
        raw_revert(method_id("InvalidProof()"))
    if partOffset >= BLOB_VALUE_SIZE + LENGTH_PREFIX_SIZE:
        raw_revert(method_id("PartOffsetOOB()"))
    key: bytes32 = self._typed(BLOB_KEY_TYPE, keccak256(concat(commitment, convert(z, bytes32))))
    part: bytes32 = self._head_part(BLOB_VALUE_SIZE, convert(y, bytes32), partOffset)
    self._store_part(key, partOffset, part, BLOB_VALUE_SIZE)


# -- type 6: precompile results ---------------------------------------------------------------------


@external
def loadPrecompilePreimagePart(
    partOffset: uint256,
    precompile: address,
    requiredGas: uint64,
    input: Bytes[MAX_PREIMAGE_SIZE],
):
    """
    @notice Load a part of `status ‖ returndata` of a static call to `precompile` with `input`,
            under `typed(6, keccak256(precompile ‖ BE8(requiredGas) ‖ input))` (§1.2).
    @dev The call gets all the gas left, which the check makes at least `requiredGas`: with less,
         a caller could record an out-of-gas failure as the result of a call that succeeds on L1.
    """
    key: bytes32 = self._typed(
        PRECOMPILE_KEY_TYPE, keccak256(concat(convert(precompile, bytes20), convert(requiredGas, bytes8), input))
    )
    if msg.gas * 63 < convert(requiredGas, uint256) * 64 + PRECOMPILE_CALL_RESERVED_GAS * 63:
        raw_revert(method_id("NotEnoughGas()"))
    success: bool = False
    returndata: Bytes[MAX_PRECOMPILE_OUTPUT_SIZE] = b""
    success, returndata = raw_call(
        precompile,
        input,
        max_outsize=MAX_PRECOMPILE_OUTPUT_SIZE,
        is_static_call=True,
        revert_on_failure=False,
    )
    # Return data is cut at max_outsize; a result that long may be cut, so it is not recorded.
    assert len(returndata) < MAX_PRECOMPILE_OUTPUT_SIZE, "precompile result too large"
    size: uint256 = STATUS_SIZE + len(returndata)
    if partOffset >= size + LENGTH_PREFIX_SIZE:
        raw_revert(method_id("PartOffsetOOB()"))
    status: uint256 = 1 if success else 0
    part: bytes32 = empty(bytes32)
    if partOffset < LENGTH_PREFIX_SIZE + STATUS_SIZE:
        # The part starts in `BE8(size) ‖ status`: shift the first 31 bytes of the return data in.
        head: uint256 = (status << KEY_TYPE_SHIFT) | (convert(self._word_at(returndata, 0), uint256) >> 8)
        part = self._head_part(size, convert(head, bytes32), partOffset)
    else:
        part = self._word_at(returndata, partOffset - LENGTH_PREFIX_SIZE - STATUS_SIZE)
    self._store_part(key, partOffset, part, size)


# -- helpers ----------------------------------------------------------------------------------------


@internal
def _store_part(key: bytes32, offset: uint256, part: bytes32, length: uint256):
    """One `(key, offset)` part and the preimage's length (§6.1)."""
    self.preimagePartOk[key][offset] = True
    self.preimageParts[key][offset] = part
    self.preimageLengths[key] = length


@pure
@internal
def _typed(key_type: uint256, digest: bytes32) -> bytes32:
    """`digest` with byte 0 replaced by `key_type` (§1)."""
    return convert((convert(digest, uint256) & KEY_BODY_MASK) | (key_type << KEY_TYPE_SHIFT), bytes32)


@view
@internal
def _localize(key: bytes32, context: bytes32) -> bytes32:
    """`typed(1, keccak256(key ‖ leftpad32(msg.sender) ‖ context))` (§2.1)."""
    return self._typed(LOCAL_KEY_TYPE, keccak256(concat(key, convert(msg.sender, bytes32), context)))


@pure
@internal
def _head_part(length: uint256, head: bytes32, offset: uint256) -> bytes32:
    """
    @notice The part at `offset` < 40 of a stream that starts `BE8(length) ‖ head` and continues
            with zeros; for a longer preimage `head` is its first 32 bytes and `offset` < 8.
    """
    first: uint256 = (length << 192) | (convert(head, uint256) >> 64)  # stream[0:32]
    second: uint256 = convert(head, uint256) << 192  # stream[32:40] ‖ zeros
    if offset == 0:
        return convert(first, bytes32)
    if offset >= PART_SIZE:
        return convert(second << (8 * (offset - PART_SIZE)), bytes32)
    return convert((first << (8 * offset)) | (second >> (256 - 8 * offset)), bytes32)


@pure
@internal
def _stream_part(data: Bytes[MAX_PREIMAGE_SIZE], offset: uint256) -> bytes32:
    """The part at `offset` of `BE8(len(data)) ‖ value` (§3); `offset` < len(data) + 8."""
    if offset < LENGTH_PREFIX_SIZE:
        return self._head_part(len(data), self._word_at(data, 0), offset)
    return self._word_at(data, offset - LENGTH_PREFIX_SIZE)


@pure
@internal
def _word_at(data: Bytes[MAX_PREIMAGE_SIZE], start: uint256) -> bytes32:
    """`data[start : start + 32]` padded with zeros; `start` < len(data), or 0."""
    size: uint256 = len(data)
    if start + PART_SIZE <= size:
        return extract32(data, start)
    if size >= PART_SIZE:
        # The last word of the data, moved up so that it starts at `start`.
        return convert(convert(extract32(data, size - PART_SIZE), uint256) << (8 * (start + PART_SIZE - size)), bytes32)
    # A data shorter than a word: `convert` pads a Bytes[32] with zeros on the right.
    short: Bytes[PART_SIZE] = slice(concat(data, empty(bytes32)), 0, PART_SIZE)
    return convert(slice(short, start, PART_SIZE - start), bytes32)
