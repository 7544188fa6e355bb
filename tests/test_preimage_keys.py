"""Preimage keys, localization, streams and parts (spec: preimage-oracle.md §1–§3, vectors of §7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultproof.crypto import keccak256, sha256
from faultproof.errors import InvalidPreimageKey, PreimageNotFound, PreimagePartUnavailable
from faultproof.ints import be64
from faultproof.preimage.hints import HintRouter, PreimageSink
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import (
    BLS_MODULUS,
    FIELD_ELEMENTS_PER_BLOB,
    ROOT_OF_UNITY,
    KeyType,
    bitrev12,
    blob_commitment_key,
    blob_domain,
    blob_field_element_point,
    blob_key,
    blob_key_preimage,
    describe_key,
    generic_key,
    is_global,
    keccak256_key,
    key_type,
    local_key,
    localize,
    precompile_key,
    precompile_key_preimage,
    sha256_key,
    typed,
    versioned_hash,
)
from faultproof.preimage.oracle import NoHost
from faultproof.preimage.parts import PreimagesAsParts, preimage_part, preimage_stream


def h(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


LOCAL_KEY_1 = h("0x0100000000000000000000000000000000000000000000000000000000000001")
CONTEXT = bytes([0x22]) * 32
SENDER = bytes([0x11]) * 20
LOCALIZED_1 = h("0x010a0c5dcb5a27385afd006e6921e00b436b6ef2e968343e1cd3a408897f1643")
KECCAK_EMPTY = h("0x02d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
KECCAK_FAULTPROOF = h("0x024c2867a87e758d67d8a8b0b3cdb8a3069918ba7fd309ff6c61b82254419a6a")
SHA256_EMPTY = h("0x04b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
SHA256_FAULTPROOF = h("0x04faef04edff2410932e5c7ae507c6a7060243c63b445adbba39826d3127c74e")

# -- §7 vectors: keys ---------------------------------------------------------------------------


def test_local_key_index_1() -> None:
    assert local_key(1) == LOCAL_KEY_1


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, "01" + "00" * 31),
        (2, "01" + "00" * 30 + "02"),
        (0x0102_0304_0506_0708, "01" + "00" * 23 + "0102030405060708"),
        (2**64 - 1, "01" + "00" * 23 + "ff" * 8),
    ],
)
def test_local_key_layout(index: int, expected: str) -> None:
    """``0x01 ‖ 23 zero bytes ‖ BE8(index)`` (§1)."""
    assert local_key(index).hex() == expected


def test_localize_vector() -> None:
    assert localize(LOCAL_KEY_1, CONTEXT, SENDER) == LOCALIZED_1


def test_localize_is_type_1_and_binds_context_and_sender() -> None:
    other_context = localize(LOCAL_KEY_1, bytes([0x23]) * 32, SENDER)
    other_sender = localize(LOCAL_KEY_1, CONTEXT, bytes([0x12]) * 20)
    other_key = localize(local_key(2), CONTEXT, SENDER)
    assert len({LOCALIZED_1, other_context, other_sender, other_key}) == 4
    for key in (other_context, other_sender, other_key):
        assert key[0] == 0x01 and len(key) == 32


def test_localize_formula() -> None:
    """``typed(1, H(key ‖ leftpad32(sender) ‖ context))``, written out from §2.1."""
    preimage = LOCAL_KEY_1 + bytes(12) + SENDER + CONTEXT
    assert len(preimage) == 96
    assert localize(LOCAL_KEY_1, CONTEXT, SENDER) == b"\x01" + keccak256(preimage)[1:]


def test_two_argument_context_vector() -> None:
    """§2.2 context ``H(disputedClaim ‖ BE32(disputedPos))`` with illustrative inputs (§7)."""
    context = keccak256(bytes([0x33]) * 32 + (2**31).to_bytes(32, "big"))
    assert context == h("0xebaa35d95ea7e64857ca13d2bcf6fea61512b007d1880cb1d7c01da047e07688")


def test_keccak_empty_string() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256_key(b"") == KECCAK_EMPTY


def test_keccak_faultproof() -> None:
    assert keccak256_key(b"faultproof") == KECCAK_FAULTPROOF


def test_sha256_empty_string() -> None:
    assert sha256(b"").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_key(b"") == SHA256_EMPTY


def test_sha256_faultproof() -> None:
    assert sha256_key(b"faultproof") == SHA256_FAULTPROOF


def test_typed_replaces_only_byte_0() -> None:
    digest = bytes(range(0xE0, 0x100))
    assert typed(KeyType.BLOB, digest) == bytes([5]) + digest[1:]
    assert KECCAK_FAULTPROOF[1:] == keccak256(b"faultproof")[1:]


# -- §7 vectors: blob and precompile keys (typed keccak of the documented key preimages) -----------

SPEC_BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
SPEC_ROOT_OF_UNITY = 0x564C0A11A0F704F4FC3E8ACFE0F8245F0AD1347B378FBF96E206DA11A5D36306
ZERO_BLOB_COMMITMENT = bytes([0xC0]) + bytes(47)
VERSIONED_HASH = h("0x010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014")
COMMITMENT_KEY = h("0x040657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014")
BLOB_KEY_0 = h("0x05d0386f1692642e9b46449e7ee5a7aaa85d92ab248930e0ff388ed56c79977e")
BLOB_KEY_1 = h("0x0548a8b457e7d906d8d22e959da25e1162d6f70cfaf8fc55338f898581217adb")
PRECOMPILE_KEY = h("0x0634ede7674d561ed0d622612b957ba7595909b7fe94b52956a7fb8acc6c1aa3")
ECRECOVER = bytes(19) + b"\x01"


def spec_bitrev12(i: int) -> int:
    return int(f"{i:012b}"[::-1], 2)


def test_blob_domain_points() -> None:
    """§1.1: ω = 7^((r-1)/4096), z_i = ω^bitrev12(i); z_0 = 1, z_1 = r - 1, z_2 as listed."""
    assert pow(7, (SPEC_BLS_MODULUS - 1) // 4096, SPEC_BLS_MODULUS) == SPEC_ROOT_OF_UNITY
    z = [pow(SPEC_ROOT_OF_UNITY, spec_bitrev12(i), SPEC_BLS_MODULUS) for i in range(3)]
    assert z[0] == 1
    assert z[1] == SPEC_BLS_MODULUS - 1
    assert z[2] == 0x8D51CCCE760304D0EC030002760300000001000000000000
    assert (BLS_MODULUS, ROOT_OF_UNITY) == (SPEC_BLS_MODULUS, SPEC_ROOT_OF_UNITY)
    assert [blob_field_element_point(i) for i in range(3)] == [v.to_bytes(32, "big") for v in z]


def test_blob_versioned_hash_and_commitment_key() -> None:
    versioned = b"\x01" + sha256(ZERO_BLOB_COMMITMENT)[1:]
    assert versioned == VERSIONED_HASH
    assert typed(KeyType.SHA256, versioned) == COMMITMENT_KEY
    assert versioned_hash(ZERO_BLOB_COMMITMENT) == VERSIONED_HASH
    assert blob_commitment_key(ZERO_BLOB_COMMITMENT) == COMMITMENT_KEY
    # Only byte 0 differs from the versioned hash, so it is the SHA-256 key of the commitment.
    assert sha256_key(ZERO_BLOB_COMMITMENT) == COMMITMENT_KEY


@pytest.mark.parametrize(("z", "expected"), [(1, BLOB_KEY_0), (SPEC_BLS_MODULUS - 1, BLOB_KEY_1)])
def test_blob_keys(z: int, expected: bytes) -> None:
    key = typed(KeyType.BLOB, keccak256(ZERO_BLOB_COMMITMENT + z.to_bytes(32, "big")))
    assert key == expected


@pytest.mark.parametrize(("index", "expected"), [(0, BLOB_KEY_0), (1, BLOB_KEY_1)])
def test_blob_key_of_element(index: int, expected: bytes) -> None:
    """§7: element ``i`` of the zero blob is keyed by ``z = ω^bitrev12(i)``."""
    z = blob_field_element_point(index)
    assert blob_key(ZERO_BLOB_COMMITMENT, z) == expected
    assert blob_key_preimage(ZERO_BLOB_COMMITMENT, z) == ZERO_BLOB_COMMITMENT + z
    assert key_type(expected) == KeyType.BLOB


def test_precompile_key() -> None:
    key = typed(KeyType.PRECOMPILE, keccak256(ECRECOVER + be64(3000) + bytes(128)))
    assert key == PRECOMPILE_KEY
    assert precompile_key(ECRECOVER, 3000, bytes(128)) == PRECOMPILE_KEY
    assert precompile_key_preimage(ECRECOVER, 3000, bytes(128)) == ECRECOVER + be64(3000) + bytes(128)


def test_precompile_key_is_not_the_legacy_form() -> None:
    """§1.2: the 1.0.0 key ``typed(6, H(address ‖ input))`` MUST NOT be used."""
    legacy = typed(KeyType.PRECOMPILE, keccak256(ECRECOVER + bytes(128)))
    assert precompile_key(ECRECOVER, 3000, bytes(128)) != legacy


def test_precompile_gas_is_eight_bytes() -> None:
    assert precompile_key(ECRECOVER, 2**64 - 1, b"") == typed(6, keccak256(ECRECOVER + b"\xff" * 8))
    with pytest.raises(InvalidPreimageKey, match="does not fit in 64 bits"):
        precompile_key(ECRECOVER, 2**64, b"")
    with pytest.raises(InvalidPreimageKey, match="does not fit in 64 bits"):
        precompile_key(ECRECOVER, -1, b"")
    with pytest.raises(InvalidPreimageKey, match="precompile address has 20 bytes, got 32"):
        precompile_key(bytes(32), 0, b"")


def test_blob_key_argument_sizes() -> None:
    with pytest.raises(InvalidPreimageKey, match="blob commitment has 48 bytes, got 47"):
        blob_key(bytes(47), bytes(32))
    with pytest.raises(InvalidPreimageKey, match="evaluation point z has 32 bytes, got 31"):
        blob_key(ZERO_BLOB_COMMITMENT, bytes(31))


def test_generic_key_reserved_form() -> None:
    """§1: ``typed(3, H(x ‖ leftpad32(sender)))``."""
    commitment, sender = bytes(range(32)), bytes([0x11]) * 20
    key = generic_key(commitment, sender)
    assert key == b"\x03" + keccak256(commitment + bytes(12) + sender)[1:]
    assert key_type(key) == KeyType.GENERIC
    with pytest.raises(InvalidPreimageKey):
        generic_key(commitment, bytes(32))


def test_blob_domain_is_the_4096th_roots_of_unity_in_bit_reversed_order() -> None:
    domain = blob_domain()
    assert len(domain) == len(set(domain)) == FIELD_ELEMENTS_PER_BLOB
    values = [int.from_bytes(z, "big") for z in domain]
    assert all(pow(value, FIELD_ELEMENTS_PER_BLOB, SPEC_BLS_MODULUS) == 1 for value in values[:64])
    # Bit reversal pairs every element with its negation: z_{2k+1} = -z_{2k}.
    assert all(values[2 * k + 1] == SPEC_BLS_MODULUS - values[2 * k] for k in range(2048))


@given(st.integers(0, FIELD_ELEMENTS_PER_BLOB - 1))
def test_blob_field_element_point_formula(index: int) -> None:
    expected = pow(SPEC_ROOT_OF_UNITY, spec_bitrev12(index), SPEC_BLS_MODULUS)
    assert blob_field_element_point(index) == expected.to_bytes(32, "big")
    assert bitrev12(bitrev12(index)) == index


@pytest.mark.parametrize("index", [-1, FIELD_ELEMENTS_PER_BLOB])
def test_blob_field_element_out_of_range(index: int) -> None:
    with pytest.raises(InvalidPreimageKey, match="field elements 0–4095"):
        blob_field_element_point(index)


# -- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (LOCAL_KEY_1, KeyType.LOCAL),
        (KECCAK_EMPTY, KeyType.KECCAK256),
        (SHA256_EMPTY, KeyType.SHA256),
        (PRECOMPILE_KEY, KeyType.PRECOMPILE),
        (bytes([7]) + bytes(31), 7),
        (bytes([128]) + bytes(31), 128),
        (bytes([255]) + bytes(31), 255),
    ],
)
def test_key_type(key: bytes, expected: int) -> None:
    assert key_type(key) == expected
    assert is_global(key) == (expected != KeyType.LOCAL)


@pytest.mark.parametrize(
    ("key", "match"),
    [
        (bytes(32), "key type 0 is illegal"),
        (bytes([0]) + bytes(range(1, 32)), "key type 0 is illegal"),
        (b"", "has 32 bytes, got 0"),
        (KECCAK_EMPTY[:31], "has 32 bytes, got 31"),
        (KECCAK_EMPTY + b"\x00", "has 32 bytes, got 33"),
    ],
)
def test_key_type_rejects_malformed_keys(key: bytes, match: str) -> None:
    with pytest.raises(InvalidPreimageKey, match=match):
        key_type(key)


@pytest.mark.parametrize("index", [-1, 2**64])
def test_local_key_index_must_fit_8_bytes(index: int) -> None:
    with pytest.raises(InvalidPreimageKey, match="local key index"):
        local_key(index)


def test_key_types() -> None:
    assert [t.value for t in KeyType] == [1, 2, 3, 4, 5, 6]
    assert [t.name for t in KeyType][:2] == ["LOCAL", "KECCAK256"]


def test_describe_key_names_type_and_hex() -> None:
    text = describe_key(KECCAK_FAULTPROOF)
    assert "keccak256" in text and KECCAK_FAULTPROOF.hex() in text
    assert "local" in describe_key(LOCAL_KEY_1)
    assert "type 200" in describe_key(bytes([200]) + bytes(31))


# -- §3 streams and parts --------------------------------------------------------------------------

FAULTPROOF_STREAM = h("000000000000000a6661756c7470726f6f66")


def test_stream_of_faultproof() -> None:
    assert preimage_stream(b"faultproof") == FAULTPROOF_STREAM
    assert preimage_stream(b"") == bytes(8)


def test_part_at_offset_0() -> None:
    part, length = preimage_part(b"faultproof", 0)
    assert length == 18
    assert part == FAULTPROOF_STREAM + bytes(14)


def test_part_at_offset_17() -> None:
    part, length = preimage_part(b"faultproof", 17)
    assert length == 1
    assert part == b"\x66" + bytes(31)


@pytest.mark.parametrize("offset", [18, 19, 2**32])
def test_part_at_or_past_end_is_invalid(offset: int) -> None:
    with pytest.raises(PreimagePartUnavailable):
        preimage_part(b"faultproof", offset)


@pytest.mark.parametrize(
    ("size", "offset", "part_len"),
    [
        (0, 0, 8),
        (0, 7, 1),
        (24, 0, 32),
        (24, 1, 31),
        (25, 0, 32),
        (25, 1, 32),
        (25, 2, 31),
        (100, 40, 32),
        (100, 100, 8),
        (100, 107, 1),
    ],
)
def test_part_length(size: int, offset: int, part_len: int) -> None:
    """``partLen = min(32, len + 8 - o)``; the part is ``(S ‖ 0^32)[o : o + 32]``."""
    value = bytes((i * 7 + 1) & 0xFF for i in range(size))
    stream = size.to_bytes(8, "big") + value
    part, length = preimage_part(value, offset)
    assert length == part_len
    assert part == (stream + bytes(32))[offset : offset + 32]


def test_empty_preimage_has_no_part_at_8() -> None:
    with pytest.raises(PreimagePartUnavailable):
        preimage_part(b"", 8)


def test_preimages_as_parts() -> None:
    parts = PreimagesAsParts({KECCAK_FAULTPROOF: b"faultproof"})
    assert parts.read_part(KECCAK_FAULTPROOF, 17) == (b"\x66" + bytes(31), 1)
    with pytest.raises(PreimagePartUnavailable):
        parts.read_part(KECCAK_FAULTPROOF, 18)
    with pytest.raises(PreimagePartUnavailable):
        parts.read_part(KECCAK_EMPTY, 0)


# -- hosts -----------------------------------------------------------------------------------------


def test_oracle_host_in_memory() -> None:
    host = OracleHost.in_memory({KECCAK_FAULTPROOF: b"faultproof"})
    assert host.get_preimage(KECCAK_FAULTPROOF) == b"faultproof"
    with pytest.raises(PreimageNotFound) as raised:
        host.get_preimage(KECCAK_EMPTY)
    assert KECCAK_EMPTY.hex() in str(raised.value)
    assert raised.value.key == KECCAK_EMPTY


def test_oracle_host_hint_handlers() -> None:
    def fetch(argument: bytes, sink: PreimageSink) -> None:
        sink.put(keccak256_key(argument), argument)

    host = OracleHost.in_memory(router=HintRouter({"fetch": fetch}), record_hints=True)
    host.hint(b"fetch faultproof")
    host.hint(b"other x")
    assert host.get_preimage(KECCAK_FAULTPROOF) == b"faultproof"
    assert host.hints == [b"fetch faultproof", b"other x"]
    assert host.router.unknown_hints == [b"other x"]


def test_no_host() -> None:
    host = NoHost()
    host.hint(b"anything")
    with pytest.raises(PreimageNotFound):
        host.get_preimage(LOCAL_KEY_1)
