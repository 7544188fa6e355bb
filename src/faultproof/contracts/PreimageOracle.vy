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

        Gas (execution gas of a transaction, fresh storage: three new slots are 66,300 of it):
                                    Venom, optimize gas   legacy pipeline
        loadLocalData               67,500                67,800
        loadKeccak256PreimagePart   67,600 (200 bytes)    110,200
        loadSha256PreimagePart      67,800 (200 bytes)    110,400
        loadPrecompilePreimagePart  124,000 (ecrecover)   118,700
        readPreimage (cold)         6,900                 6,900
        runtime code                3,223 bytes           4,412 bytes
        Deploy with CompilerSettings(experimental_codegen=True). Vyper lays memory out statically:
        a `Bytes[126000]` argument is copied to the start of the frame, and any buffer after it
        costs the expansion of all 126,000 bytes (about 42,000 gas) once touched. The legacy
        pipeline keeps every local variable in memory, after the argument; Venom keeps words on
        the stack, so its loaders touch only the bytes they are given, as long as nothing else
        is allocated there: hence a short preimage read from calldata (`_short_bytes_argument`),
        parts computed inline rather than by helpers that take the preimage, and the precompile
        key hashed last. Optimising for code size under Venom gives 2,733 bytes and costs 130
        gas more per readPreimage.
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
# largest precompile input: upstream loads anything below its large-preimage threshold
# (MIN_LPP_SIZE_BYTES, 126000 on mainnet) in one call, so that much must be loadable here.
# Vyper lays out a function's memory statically, with this bound reserved for the argument; a
# buffer placed after it costs the memory expansion of the whole bound once touched.
MAX_PREIMAGE_SIZE: constant(uint256) = 126000
# Where the offset word of the `preimage` argument of the keccak256 and SHA-256 loaders is.
SELECTOR_SIZE: constant(uint256) = 4
PREIMAGE_ARGUMENT_HEAD: constant(uint256) = SELECTOR_SIZE + 32

# The largest precompile result recorded: every precompile but the identity (whose result is its
# input) returns at most 256 bytes, modexp at most 1024 on L1 (EIP-7823).
MAX_PRECOMPILE_RESULT_SIZE: constant(uint256) = 4096

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

# The large-preimage parameters (§6.3) the dispute game reads (dispute-game.md §3.1, §9.2): the
# size from which a preimage goes through a proposal, and the proposals' challenge window.
MIN_PROPOSAL_SIZE: immutable(uint256)
CHALLENGE_PERIOD: immutable(uint256)

preimageLengths: public(HashMap[bytes32, uint256])
preimageParts: public(HashMap[bytes32, HashMap[uint256, bytes32]])
preimagePartOk: public(HashMap[bytes32, HashMap[uint256, bool]])


@deploy
def __init__(_minProposalSize: uint256, _challengePeriod: uint256):
    MIN_PROPOSAL_SIZE = _minProposalSize
    CHALLENGE_PERIOD = _challengePeriod


@view
@external
def minProposalSize() -> uint256:
    return MIN_PROPOSAL_SIZE


@view
@external
def challengePeriod() -> uint256:
    return CHALLENGE_PERIOD


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
    # The part is cut from one 32-byte window of the preimage.
    start: uint256 = self._window_start(size, partOffset, LENGTH_PREFIX_SIZE)
    window: bytes32 = empty(bytes32)
    if size < PART_SIZE:
        window = self._short_bytes_argument(PREIMAGE_ARGUMENT_HEAD, size)
    else:
        window = extract32(preimage, start)
    part: bytes32 = empty(bytes32)
    if partOffset < LENGTH_PREFIX_SIZE:
        part = self._head_part(size, window, partOffset)
    else:
        part = self._shift_left(window, partOffset - LENGTH_PREFIX_SIZE - start)
    self._store_part(key, partOffset, part, size)


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
    start: uint256 = self._window_start(size, partOffset, LENGTH_PREFIX_SIZE)
    window: bytes32 = empty(bytes32)
    if size < PART_SIZE:
        window = self._short_bytes_argument(PREIMAGE_ARGUMENT_HEAD, size)
    else:
        window = extract32(preimage, start)
    part: bytes32 = empty(bytes32)
    if partOffset < LENGTH_PREFIX_SIZE:
        part = self._head_part(size, window, partOffset)
    else:
        part = self._shift_left(window, partOffset - LENGTH_PREFIX_SIZE - start)
    self._store_part(key, partOffset, part, size)


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
        SHA256_PRECOMPILE, commitment, max_outsize=32, is_static_call=True, revert_on_failure=False
    )
    if not success:
        raw_revert(method_id("ShaFailed()"))
    versioned_hash: bytes32 = self._typed(VERSIONED_HASH_VERSION_KZG, convert(digest, bytes32))
    # The precompile fails for a proof that does not verify, and for an input that is not 192 bytes.
    if not raw_call(
        POINT_EVALUATION_PRECOMPILE,
        concat(versioned_hash, convert(z, bytes32), convert(y, bytes32), commitment, proof),
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
    partOffset: uint256, precompile: address, requiredGas: uint64, input: Bytes[MAX_PREIMAGE_SIZE]
):
    """
    @notice Load a part of `status ‖ returndata` of a static call to `precompile` with `input`,
            under `typed(6, keccak256(precompile ‖ BE8(requiredGas) ‖ input))` (§1.2), where
            `status` is 1 for success and 0 for a failed call.
    @dev The call gets all the gas left, which the check makes at least `requiredGas`: with less,
         anyone could record an out-of-gas failure as the result of a call that succeeds on L1.
         The key is hashed last (upstream hashes it first) because its buffer lies after the
         input's: whatever memory is used after it costs the expansion over the whole input bound
         (see MAX_PREIMAGE_SIZE).
    """
    if msg.gas * 63 < convert(requiredGas, uint256) * 64 + PRECOMPILE_CALL_RESERVED_GAS * 63:
        raw_revert(method_id("NotEnoughGas()"))
    success: bool = False
    returndata: Bytes[MAX_PRECOMPILE_RESULT_SIZE + 1] = b""
    success, returndata = raw_call(
        precompile,
        input,
        max_outsize=MAX_PRECOMPILE_RESULT_SIZE + 1,
        is_static_call=True,
        revert_on_failure=False,
    )
    # The buffer is one byte larger than any result recorded, so a longer result is never cut short.
    assert len(returndata) <= MAX_PRECOMPILE_RESULT_SIZE, "precompile result too large"
    size: uint256 = STATUS_SIZE + len(returndata)
    if partOffset >= size + LENGTH_PREFIX_SIZE:
        raw_revert(method_id("PartOffsetOOB()"))
    # The stream is `BE8(size) ‖ status ‖ returndata`: a part up to offset 8 starts in the first
    # word of `status ‖ returndata`; any later part is a window of `returndata`, one byte further.
    start: uint256 = self._window_start(len(returndata), partOffset, LENGTH_PREFIX_SIZE + STATUS_SIZE)
    window: bytes32 = empty(bytes32)
    if len(returndata) < PART_SIZE:
        window = extract32(concat(returndata, empty(bytes32)), 0)
    else:
        window = extract32(returndata, start)
    part: bytes32 = empty(bytes32)
    if partOffset <= LENGTH_PREFIX_SIZE:
        status: uint256 = 1 if success else 0
        head: uint256 = (status << KEY_TYPE_SHIFT) | (convert(window, uint256) >> 8)
        part = self._head_part(size, convert(head, bytes32), partOffset)
    else:
        part = self._shift_left(window, partOffset - LENGTH_PREFIX_SIZE - STATUS_SIZE - start)
    # `_typed` inline: the return buffer of an internal call would be placed after the hashed one.
    digest: uint256 = convert(
        keccak256(concat(convert(precompile, bytes20), convert(requiredGas, bytes8), input)), uint256
    )
    key: bytes32 = convert((digest & KEY_BODY_MASK) | (PRECOMPILE_KEY_TYPE << KEY_TYPE_SHIFT), bytes32)
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
    @notice The part at `offset` of a stream that starts `BE8(length) ‖ head`: for a value of at
            most 32 bytes (`head` is the value, zero-padded) any `offset` < 40, for a longer one
            (`head` is its first 32 bytes) `offset` ≤ 8.
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
def _window_start(size: uint256, part_offset: uint256, prefix_size: uint256) -> uint256:
    """
    @notice Where the 32-byte window of `size` bytes of data starts from which the part at
            `part_offset` of `prefix ‖ data` is cut: the part itself when it lies inside the data,
            else the data's last word (the part runs past its end), or the whole data when it is
            shorter than a word (its window is zero-padded).
    """
    if size < PART_SIZE or part_offset < prefix_size:
        return 0
    return min(part_offset - prefix_size, size - PART_SIZE)


@pure
@internal
def _shift_left(window: bytes32, count: uint256) -> bytes32:
    """`window[count:32]` followed by `count` zero bytes."""
    return convert(convert(window, uint256) << (8 * count), bytes32)


@view
@internal
def _short_bytes_argument(head: uint256, size: uint256) -> bytes32:
    """
    @notice A `bytes` argument of `size` < 32 bytes, zero-padded to a word, read from calldata.
    @dev `head` is the calldata position of the argument's offset word. The calldata word that
         ends where the argument's bytes end is the tail of its length word followed by the bytes,
         so shifting it up leaves the bytes and zeros, whatever the encoding pads them with. Read
         from calldata rather than cut from the argument, so that no buffer is placed after the
         argument's (see MAX_PREIMAGE_SIZE).
    """
    end: uint256 = SELECTOR_SIZE + convert(slice(msg.data, head, 32), uint256) + 32 + size
    return convert(convert(slice(msg.data, end - 32, 32), uint256) << (8 * (PART_SIZE - size)), bytes32)
