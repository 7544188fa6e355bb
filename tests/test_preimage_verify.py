"""A value is stored only if it belongs to its key (spec: preimage-oracle.md §1, §6.2).

Every key type: a correct preimage is accepted, a wrong one is rejected before it is stored. Blob
values are proven with real KZG proofs over the mainnet trusted setup; precompile values are
checked by running the precompile again, against expected outputs computed independently.
"""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultproof.errors import PreimageError, PreimageRejected
from faultproof.ints import be64
from faultproof.preimage.keys import (
    BLOB_SIZE,
    BLS_MODULUS,
    FIELD_ELEMENTS_PER_BLOB,
    blob_commitment_key,
    blob_field_element_point,
    blob_key,
    generic_key,
    keccak256_key,
    local_key,
    precompile_key,
    sha256_key,
    versioned_hash,
)
from faultproof.preimage.precompiles import (
    POINT_EVALUATION_OUTPUT,
    blob_to_kzg_commitment,
    compute_kzg_proof,
    precompile_address,
    run_precompile,
    verify_kzg_proof,
)
from faultproof.preimage.store import MemoryStore
from faultproof.preimage.verify import (
    BlobEvidence,
    PrecompileEvidence,
    WholeBlobEvidence,
    blob_element_entries,
    blob_entries,
    check_preimage,
    precompile_entries,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def assert_rejected(
    key: bytes, value: bytes, evidence: object = None, match: str | None = None
) -> PreimageRejected:
    """The store refuses the value and keeps nothing under the key."""
    store = MemoryStore()
    with pytest.raises(PreimageRejected, match=match) as raised:
        store.put(key, value, evidence)  # type: ignore[arg-type]
    assert key not in store and store.get(key) is None
    return raised.value


def assert_accepted(key: bytes, value: bytes, evidence: object = None) -> None:
    store = MemoryStore()
    store.put(key, value, evidence)  # type: ignore[arg-type]
    assert store.get(key) == value


# -- keys without evidence ----------------------------------------------------------------------


@settings(max_examples=200)
@given(data=st.binary(max_size=300), other=st.binary(max_size=300))
def test_hash_keys_accept_their_preimage_only(data: bytes, other: bytes) -> None:
    for key_of in (keccak256_key, sha256_key):
        key = key_of(data)
        assert_accepted(key, data)
        if other != data:
            error = assert_rejected(key, other, match="does not hash to")
            assert key.hex() in str(error)


def test_keccak_rejection_names_key_and_type() -> None:
    key = keccak256_key(b"faultproof")
    error = assert_rejected(key, b"faultproof!")
    assert str(error).startswith(f"value does not hash to keccak256 key 0x{key.hex()}")
    assert keccak256_key(b"faultproof!").hex() in str(error)


def test_sha256_key_does_not_accept_the_keccak_preimage() -> None:
    """Byte 0 is part of the key: a keccak hash under type 4 is not a SHA-256 key of the data."""
    data = b"faultproof"
    assert_rejected(bytes([4]) + keccak256_key(data)[1:], data)


def test_local_keys_are_not_checkable_and_accepted() -> None:
    assert_accepted(local_key(7), b"anything at all")


@pytest.mark.parametrize(
    ("key", "match"),
    [
        (bytes(32), "key type 0 is illegal"),
        (keccak256_key(b"x")[:31], "has 32 bytes, got 31"),
        (keccak256_key(b"x") + b"\x00", "has 32 bytes, got 33"),
        (b"", "has 32 bytes, got 0"),
        (generic_key(bytes(32), bytes(20)), "cannot verify a preimage for generic key"),
        (bytes([7]) + bytes(31), "cannot verify a preimage for type 7 key"),
        (bytes([200]) + bytes(31), "cannot verify a preimage for type 200 key"),
    ],
    ids=["type-0", "short", "long", "empty", "generic", "reserved", "application"],
)
def test_unverifiable_keys_are_rejected(key: bytes, match: str) -> None:
    check = pytest.raises(PreimageRejected, match=match)
    with check:
        check_preimage(key, b"value")


def test_evidence_for_a_hash_key_is_a_mistake() -> None:
    evidence = PrecompileEvidence(precompile_address(4), 15, b"x")
    assert_rejected(keccak256_key(b"x"), b"x", evidence, match="takes no evidence")


# -- blob keys: KZG proofs over the mainnet setup -----------------------------------------------------


def random_blob(seed: int) -> bytes:
    """4096 field elements below the BLS modulus, deterministic per seed."""
    rng = random.Random(seed)
    return b"".join(word(rng.randrange(BLS_MODULUS)) for _ in range(FIELD_ELEMENTS_PER_BLOB))


@pytest.fixture(scope="module")
def blob() -> tuple[bytes, bytes]:
    data = random_blob(4844)
    return data, blob_to_kzg_commitment(data)


def element(blob: bytes, index: int) -> bytes:
    return blob[32 * index : 32 * index + 32]


def test_trusted_setup_is_mainnet() -> None:
    """A proof from the c-kzg-4844 mainnet test vectors verifies only with the mainnet [τ]G2."""
    commitment = h(
        "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7"
    )
    z = h("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000")
    y = h("1522a4a7f34e1ea350ae07c29c96c7e79655aa926122e95fe69fcbd932ca49e9")
    proof = h(
        "a62ad71d14c5719385c0686f1871430475bf3a00f0aa3f7b8dd99a9abc2160744faf0070725e00b60ad9a026a15b1a8c"
    )
    assert verify_kzg_proof(commitment, z, y, proof)
    wrong_y = (int.from_bytes(y, "big") + 1).to_bytes(32, "big")
    assert not verify_kzg_proof(commitment, z, wrong_y, proof)


def test_zero_blob_commitment_is_the_spec_vector() -> None:
    """§7: the zero blob commits to the point at infinity ``0xc0 ‖ 0^47``."""
    commitment = blob_to_kzg_commitment(bytes(BLOB_SIZE))
    assert commitment == b"\xc0" + bytes(47)
    expected = h("0x010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014")
    assert versioned_hash(commitment) == expected


@pytest.mark.parametrize("index", [0, 1, 2, 1000, 4095])
def test_blob_element_with_kzg_proof(blob: tuple[bytes, bytes], index: int) -> None:
    """y at z_i is element i of the blob (§1.1); the proof is accepted, a wrong y is not."""
    data, commitment = blob
    z = blob_field_element_point(index)
    proof, y = compute_kzg_proof(data, z)
    assert y == element(data, index)
    key = blob_key(commitment, z)
    assert_accepted(key, y, BlobEvidence(commitment, z, proof))

    wrong = element(data, (index + 1) % FIELD_ELEMENTS_PER_BLOB)
    error = assert_rejected(key, wrong, BlobEvidence(commitment, z, proof), match="KZG proof does not show")
    assert f"blob key 0x{key.hex()}" in str(error)


def test_blob_rejections(blob: tuple[bytes, bytes]) -> None:
    data, commitment = blob
    z0, z1 = blob_field_element_point(0), blob_field_element_point(1)
    proof0, y0 = compute_kzg_proof(data, z0)
    proof1, _ = compute_kzg_proof(data, z1)
    key = blob_key(commitment, z0)
    # The proof of another point, evidence for another key, no evidence, a short value.
    assert_rejected(key, y0, BlobEvidence(commitment, z0, proof1), match="KZG proof")
    assert_rejected(key, y0, BlobEvidence(commitment, z1, proof0), match="the evidence is for blob key")
    assert_rejected(key, y0, None, match="needs BlobEvidence")
    assert_rejected(key, y0[:31], BlobEvidence(commitment, z0, proof0), match="32 bytes, got 31")
    assert_rejected(key, y0, PrecompileEvidence(bytes(20), 0, b""), match="needs BlobEvidence")
    # A point outside the field and a malformed proof are failed proofs, not crashes.
    big_z = word(BLS_MODULUS)
    assert_rejected(blob_key(commitment, big_z), y0, BlobEvidence(commitment, big_z, proof0), match="KZG")
    assert_rejected(key, y0, BlobEvidence(commitment, z0, b"\x00" * 48), match="KZG")


def test_whole_blob_evidence(blob: tuple[bytes, bytes]) -> None:
    data, commitment = blob
    evidence = WholeBlobEvidence(commitment, data)
    z5 = blob_field_element_point(5)
    assert_accepted(blob_key(commitment, z5), element(data, 5), evidence)
    assert_rejected(blob_key(commitment, z5), element(data, 6), evidence, match="is blob element 5")
    # A z that is no point of the domain, a blob that is not the commitment's.
    assert_rejected(blob_key(commitment, word(5)), element(data, 5), evidence, match="no element of the blob")
    tampered = bytearray(data)
    tampered[32 * 9 + 31] ^= 1
    forged = WholeBlobEvidence(commitment, bytes(tampered))
    assert_rejected(blob_key(commitment, z5), element(data, 5), forged, match="does not have commitment")


def test_blob_entries_store_a_whole_blob(blob: tuple[bytes, bytes]) -> None:
    """The commitment under typed(4, versionedHash), every element, every ``commitment ‖ z`` (§1.3)."""
    data, commitment = blob
    entries = blob_entries(data)
    assert len(entries) == 1 + 2 * FIELD_ELEMENTS_PER_BLOB
    store = MemoryStore()
    for entry in entries:
        store.put(entry.key, entry.value, entry.evidence)
    assert store.get(blob_commitment_key(commitment)) == commitment
    for index in (0, 1, 2, 4095):
        z = blob_field_element_point(index)
        assert store.get(blob_key(commitment, z)) == element(data, index)
        assert store.get(keccak256_key(commitment + z)) == commitment + z


def test_blob_entries_reject_a_non_canonical_blob() -> None:
    with pytest.raises(PreimageRejected, match="not a blob: a blob field element is not below the BLS"):
        blob_entries(word(BLS_MODULUS) + bytes(BLOB_SIZE - 32))
    with pytest.raises(PreimageRejected, match="131072 bytes"):
        blob_entries(bytes(100))


def test_blob_element_entries(blob: tuple[bytes, bytes]) -> None:
    data, commitment = blob
    z = blob_field_element_point(77)
    proof, y = compute_kzg_proof(data, z)
    store = MemoryStore()
    for entry in blob_element_entries(commitment, z, y, proof):
        store.put(entry.key, entry.value, entry.evidence)
    assert store.get(blob_key(commitment, z)) == element(data, 77)
    assert store.get(keccak256_key(commitment + z)) == commitment + z


# -- precompile keys: run again, compared with independent expectations -------------------------------

BN254_P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
BN254_G1 = word(1) + word(2)
BN254_G1_NEG = word(1) + word(BN254_P - 2)
BN254_G1_DOUBLE = h(
    "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
    "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
)
BN254_G2 = h(
    "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
    "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
    "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
    "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
)
BLS_G1 = (
    bytes(16)
    + h("17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")
    + bytes(16)
    + h("08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1")
)
BLS_G1_DOUBLE = (
    bytes(16)
    + h("0572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e")
    + bytes(16)
    + h("166a9d8cabc673a322fda673779d8e3822ba3ecb8670e461f73bb9021d5fd76a4c56d9d4cd16bd1bba86881979749d28")
)


def ecrecover_case() -> tuple[bytes, bytes]:
    from eth_keys import keys

    private_key = keys.PrivateKey(b"\x01" * 32)
    message_hash = hashlib.sha256(b"faultproof").digest()
    signature = private_key.sign_msg_hash(message_hash)
    data = message_hash + word(signature.v + 27) + word(signature.r) + word(signature.s)
    address = h("1a642f0e3c3af545e7acbd38b07251b3990914f1")  # of the private key 0x0101…01
    assert private_key.public_key.to_canonical_address() == address
    return data, bytes(12) + address


def blake2f_case() -> tuple[bytes, bytes]:
    """EIP-152: one compression of BLAKE2b-512 over "abc" is hashlib's blake2b digest of "abc"."""
    iv = [
        0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
        0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
    ]  # fmt: skip
    iv[0] ^= 0x0101_0040  # digest length 64, fanout 1, depth 1
    data = struct.pack(">I", 12) + struct.pack("<8Q", *iv) + b"abc".ljust(128, b"\x00")
    data += struct.pack("<2Q", 3, 0) + b"\x01"
    return data, hashlib.blake2b(b"abc").digest()


def point_evaluation_case() -> tuple[bytes, bytes]:
    data = random_blob(7)
    commitment = blob_to_kzg_commitment(data)
    z = blob_field_element_point(3)
    proof, y = compute_kzg_proof(data, z)
    return versioned_hash(commitment) + z + y + commitment + proof, POINT_EVALUATION_OUTPUT


MODULUS_25519 = 2**255 - 19

# name: (address, requiredGas, () -> (input, expected returndata))
SUCCESS_CASES: dict[str, tuple[int, int, Callable[[], tuple[bytes, bytes]]]] = {
    "ecrecover": (0x01, 3000, ecrecover_case),
    "sha256": (0x02, 120, lambda: (b"abc" * 50, hashlib.sha256(b"abc" * 50).digest())),
    "ripemd160": (0x03, 600, lambda: (b"", bytes(12) + h("9c1185a5c5e9fc54612808977ee8f548b2258d31"))),
    "identity": (0x04, 18, lambda: (b"faultproof", b"faultproof")),
    "modexp": (
        0x05,
        1000,
        lambda: (
            word(1) + word(2) + word(32) + b"\x03" + b"\xff\xff" + word(MODULUS_25519),
            word(pow(3, 0xFFFF, MODULUS_25519)),
        ),
    ),
    "bn254-add": (0x06, 150, lambda: (BN254_G1 + BN254_G1, BN254_G1_DOUBLE)),
    "bn254-mul": (0x07, 6000, lambda: (BN254_G1 + word(2), BN254_G1_DOUBLE)),
    "bn254-pairing": (0x08, 113_000, lambda: (BN254_G1 + BN254_G2 + BN254_G1_NEG + BN254_G2, word(1))),
    "bn254-pairing-false": (0x08, 113_000, lambda: (BN254_G1 + BN254_G2 + BN254_G1 + BN254_G2, word(0))),
    "blake2f": (0x09, 12, blake2f_case),
    "point-evaluation": (0x0A, 50_000, point_evaluation_case),
    "bls12-g1-add": (0x0B, 375, lambda: (BLS_G1 + BLS_G1, BLS_G1_DOUBLE)),
    "bls12-g1-add-infinity": (0x0B, 375, lambda: (BLS_G1 + bytes(128), BLS_G1)),
}


@pytest.mark.parametrize("case", list(SUCCESS_CASES))
def test_precompile_value_accepted_and_tampered_rejected(case: str) -> None:
    number, gas, make = SUCCESS_CASES[case]
    data, returndata = make()
    address = precompile_address(number)
    key = precompile_key(address, gas, data)
    evidence = PrecompileEvidence(address, gas, data)
    value = b"\x01" + returndata
    assert_accepted(key, value, evidence)

    tampered = bytearray(value)
    tampered[-1] ^= 0x01
    error = assert_rejected(key, bytes(tampered), evidence, match=f"precompile 0x{address.hex()} returns")
    assert f"precompile key 0x{key.hex()}" in str(error)
    assert_rejected(key, b"\x00", evidence, match="returns 0x01")  # the status is checked too


# name: (address, requiredGas, input): calls that fail, whose value is the status byte 0 alone.
FAILURE_CASES: dict[str, tuple[int, int, bytes]] = {
    "bn254-add-not-on-curve": (0x06, 150, word(1) + word(3) + BN254_G1),
    "bn254-pairing-bad-length": (0x08, 100_000, bytes(191)),
    "blake2f-bad-length": (0x09, 100, bytes(212)),
    "blake2f-bad-final-flag": (0x09, 100, blake2f_case()[0][:-1] + b"\x02"),
    "point-evaluation-bad-length": (0x0A, 50_000, bytes(191)),
    "point-evaluation-wrong-hash": (0x0A, 50_000, bytes(32) + word(1) + bytes(32) + b"\xc0" + bytes(95)),
    "modexp-eip-7823-bound": (0x05, 10**9, word(1025) + word(1) + word(1) + bytes(1027)),
}


@pytest.mark.parametrize("case", list(FAILURE_CASES))
def test_failing_precompile_call_is_status_zero(case: str) -> None:
    number, gas, data = FAILURE_CASES[case]
    address = precompile_address(number)
    key = precompile_key(address, gas, data)
    evidence = PrecompileEvidence(address, gas, data)
    assert_accepted(key, b"\x00", evidence)
    assert_rejected(key, b"\x01", evidence, match="returns 0x00")


def test_ecrecover_of_a_bad_signature_succeeds_with_no_data() -> None:
    """§7's precompile key (ecrecover, 3000 gas, 128 zero bytes): v = 0 is invalid, status 1, empty."""
    address = precompile_address(1)
    entries = precompile_entries(address, 3000, bytes(128))
    assert entries[0].key == h("0x0634ede7674d561ed0d622612b957ba7595909b7fe94b52956a7fb8acc6c1aa3")
    assert entries[0].value == b"\x01"
    assert entries[1].key == keccak256_key(address + be64(3000) + bytes(128))
    assert entries[1].value == address + be64(3000) + bytes(128)
    store = MemoryStore()
    for entry in entries:
        store.put(entry.key, entry.value, entry.evidence)
    assert len(store) == 2


def test_required_gas_must_cover_the_call() -> None:
    """sha256 of 150 bytes costs 60 + 12·5 = 120 gas; less would let the caller's gas decide (§6.2)."""
    address, data = precompile_address(2), b"abc" * 50
    value = b"\x01" + hashlib.sha256(data).digest()
    assert_accepted(precompile_key(address, 120, data), value, PrecompileEvidence(address, 120, data))
    low = PrecompileEvidence(address, 119, data)
    error = assert_rejected(precompile_key(address, 119, data), value, low, match="needs at least")
    assert "120 gas" in str(error) and "requiredGas 119" in str(error)


def test_a_huge_modexp_is_refused_by_gas_before_it_runs() -> None:
    """Lengths within EIP-7823's bound but a price far above requiredGas: rejected without computing."""
    address = precompile_address(5)
    data = word(1024) + word(1024) + word(1024) + b"\xff" * 3072
    with pytest.raises(PreimageRejected, match="needs at least"):
        precompile_entries(address, 1000, data)


def test_unknown_precompile_is_rejected_by_name() -> None:
    for address in (precompile_address(0x12), precompile_address(0x100), b"\x01" + bytes(19)):
        evidence = PrecompileEvidence(address, 1000, b"")
        key = precompile_key(address, 1000, b"")
        error = assert_rejected(key, b"\x01", evidence, match="is not a supported precompile")
        assert f"0x{address.hex()}" in str(error) and "0x0a point evaluation" in str(error)
        with pytest.raises(PreimageRejected, match="not a supported precompile"):
            precompile_entries(address, 1000, b"")
    with pytest.raises(LookupError):
        run_precompile(precompile_address(0x12), b"", 1000)


def test_precompile_evidence_must_match_the_key() -> None:
    address = precompile_address(4)
    key = precompile_key(address, 18, b"one")
    assert_rejected(key, b"\x01one", PrecompileEvidence(address, 18, b"two"), match="the evidence is for")
    assert_rejected(key, b"\x01one", PrecompileEvidence(address, 19, b"one"), match="the evidence is for")
    assert_rejected(key, b"\x01one", None, match="needs PrecompileEvidence")
    assert_rejected(key, b"\x01one", PrecompileEvidence(address, 2**64, b"one"), match="64 bits")
    assert_accepted(key, b"\x01one", PrecompileEvidence(address, 18, b"one"))


def test_run_precompile_reports_gas() -> None:
    result = run_precompile(precompile_address(4), b"x" * 33, 10**6)
    assert result.success and result.returndata == b"x" * 33 and result.gas == 15 + 3 * 2
    starved = run_precompile(precompile_address(4), b"x" * 33, 20)
    assert starved.out_of_gas and not starved.success and starved.gas == 21
    assert starved.value == b"\x00"


def test_rejections_are_preimage_errors() -> None:
    assert issubclass(PreimageRejected, PreimageError)
