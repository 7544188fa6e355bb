# pragma version ~=0.4.3
"""
@title AlphabetVM
@notice The toy step verifier of alphabet games (game type 255, test only; spec: dispute-game.md
        §17.3). Its state after `j` steps of the subgame disputing block D is `BE32(D) ‖ BE32(j)`;
        the first step reads D from local key 4, the step reaching the end of the trace reads the
        disputed output from local key 3 and states VALID exactly when it is D's alphabet output.
        faultproof.game.alphabet.AlphabetVM is the executable model: the same rule, line by line.
@dev    `step` has the IBigStepper shape; `proof` is ignored. Any other length of state data than
        the prestate's 32 bytes or a state's 64 reverts (the ABI decoder refuses more than 64).
"""

import PreimageKeyLib

interface IPreimageOracle:
    def readPreimage(key: bytes32, offset: uint256) -> (bytes32, uint256): view


# §17.2
ABSOLUTE_PRESTATE: constant(bytes32) = 0x03c7ae758795765c6664a5d39bf63841c71ff191e9189522bad8ebff5d4eca98
OUTPUT_DOMAIN: constant(bytes32) = 0xa373d9764ee582cd318fa439534b0e3a2a8dac66a7c47f9903f5c4c84fd7f034  # H("faultproof.alphabet.output")

WORD_SIZE: constant(uint256) = 32
MAX_PROOF_SIZE: constant(uint256) = 5760  # the dispute game's bound; the proof is ignored
STATUS_SHIFT: constant(uint256) = 248
UNFINISHED: constant(uint256) = 3
VALID: constant(uint256) = 0
INVALID: constant(uint256) = 1

# Local inputs (§7.5) and where their values sit in the parts read (BE8(size) ‖ value ‖ zeros).
DISPUTED_OUTPUT_IDENT: constant(uint256) = 3
DISPUTED_BLOCK_IDENT: constant(uint256) = 4
DISPUTED_OUTPUT_OFFSET: constant(uint256) = 8  # the 32-byte root, past the length prefix
DISPUTED_BLOCK_OFFSET: constant(uint256) = 0  # the length prefix, then BE8(block)
BLOCK_SHIFT: constant(uint256) = 128  # the part's bytes 8..15
BLOCK_MASK: constant(uint256) = 2**64 - 1

ORACLE: immutable(address)
TRACE_LENGTH: immutable(uint256)


@deploy
def __init__(traceLength: uint256, oracle: address):
    """@param traceLength N = 2^K, the steps of one execution subgame (K = MAX - SPLIT - 1)."""
    TRACE_LENGTH = traceLength
    ORACLE = oracle


@view
@external
def oracle() -> address:
    return ORACLE


@view
@external
def step(stateData: Bytes[2 * WORD_SIZE], proof: Bytes[MAX_PROOF_SIZE], localContext: bytes32) -> bytes32:
    """@notice The post-state commitment of one step from `stateData` (§17.3)."""
    # DECODE
    disputed_block: uint256 = 0
    index: uint256 = 0
    if len(stateData) == WORD_SIZE and self._same_body(keccak256(stateData), ABSOLUTE_PRESTATE):
        part: bytes32 = self._read_local(DISPUTED_BLOCK_IDENT, localContext, DISPUTED_BLOCK_OFFSET)
        disputed_block = (convert(part, uint256) >> BLOCK_SHIFT) & BLOCK_MASK
    elif len(stateData) == 2 * WORD_SIZE:
        disputed_block = extract32(stateData, 0, output_type=uint256)
        index = extract32(stateData, WORD_SIZE, output_type=uint256)
    else:
        raise "alphabet state data is neither the prestate nor 64 bytes"
    # TRANSITION: an ended trace steps to itself
    if index < TRACE_LENGTH:
        index += 1
    # STATUS
    status: uint256 = UNFINISHED
    if index >= TRACE_LENGTH:
        disputed: bytes32 = self._read_local(DISPUTED_OUTPUT_IDENT, localContext, DISPUTED_OUTPUT_OFFSET)
        status = INVALID
        if disputed == keccak256(concat(OUTPUT_DOMAIN, convert(disputed_block, bytes32))):
            status = VALID
    return PreimageKeyLib.typed(status, keccak256(concat(convert(disputed_block, bytes32), convert(index, bytes32))))


@view
@internal
def _read_local(ident: uint256, context: bytes32, offset: uint256) -> bytes32:
    """The part at `offset` of local input `ident`, localized to the calling game and `context`."""
    key: bytes32 = PreimageKeyLib.localize(PreimageKeyLib.typed(PreimageKeyLib.LOCAL_KEY_TYPE, convert(ident, bytes32)), context)
    part: bytes32 = empty(bytes32)
    length: uint256 = 0
    part, length = staticcall IPreimageOracle(ORACLE).readPreimage(key, offset)
    return part


@pure
@internal
def _same_body(a: bytes32, b: bytes32) -> bool:
    """Whether two commitments agree but for byte 0 (the status)."""
    return convert(a, uint256) << 8 == convert(b, uint256) << 8
