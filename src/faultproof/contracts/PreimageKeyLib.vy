# pragma version ~=0.4.3
"""
@title PreimageKeyLib
@notice Preimage key rules that more than one contract applies (preimage-oracle.md §1, §2.1),
        as a Vyper module: `import PreimageKeyLib`, then `PreimageKeyLib.localize(key, context)`.
@dev    Stateless, so an importing contract needs no `uses`/`initializes`. The RISCV step
        verifier reads local keys through it; the MIPS verifier and the PreimageOracle apply
        the same rule and may import it too.
"""

KEY_TYPE_SHIFT: constant(uint256) = 248
KEY_BODY_MASK: constant(uint256) = 2**248 - 1
LOCAL_KEY_TYPE: constant(uint256) = 1


@pure
@internal
def typed(key_type: uint256, digest: bytes32) -> bytes32:
    """`digest` with byte 0 replaced by `key_type` (§1)."""
    return convert((convert(digest, uint256) & KEY_BODY_MASK) | (key_type << KEY_TYPE_SHIFT), bytes32)


@view
@internal
def localize(key: bytes32, context: bytes32) -> bytes32:
    """`typed(1, keccak256(key ‖ leftpad32(msg.sender) ‖ context))` (§2.1): a local key bound to
    the caller (the dispute game that calls `step` and `loadLocalData`) and its local context."""
    return self.typed(LOCAL_KEY_TYPE, keccak256(concat(key, convert(msg.sender, bytes32), context)))
