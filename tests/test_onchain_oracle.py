"""PreimageOracle.vy on a real EVM: every loader accepts a correct part and rejects a wrong one.

Each loaded part is read back with ``readPreimage`` and compared with the Python side
(``preimage_part`` and the key constructors of ``faultproof.preimage.keys``), at every offset of
small preimages: the length prefix, the preimage's words and the last, partial part. Rejections
are compared byte for byte with the upstream revert data (``PartOffsetOOB()`` and friends).
Then ``faultproof.onchain.oracle`` is held to putting exactly the part a step proof names on
chain. Everything runs on the embedded chain; a subset runs on anvil too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi.abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from anvil import running_anvil
from faultproof.chain import Chain, Contract, EmbeddedChain, JsonRpcChain
from faultproof.contracts import CompilerSettings, compile_contract
from faultproof.crypto import keccak256
from faultproof.errors import EvidenceNotFound, ExecutionReverted, PreimageUploadError
from faultproof.onchain.deployment import CHALLENGE_PERIOD, MIN_PROPOSAL_SIZE, compile_for_deployment
from faultproof.onchain.oracle import MAX_PRECOMPILE_RESULT_SIZE, load_step_part, step_part_upload
from faultproof.preimage.keys import (
    blob_field_element_point,
    blob_key,
    keccak256_key,
    local_key,
    localize,
    precompile_key,
    sha256_key,
    versioned_hash,
)
from faultproof.preimage.parts import preimage_part, preimage_stream
from faultproof.preimage.precompiles import (
    blob_to_kzg_commitment,
    compute_kzg_proof,
    precompile_address,
    run_precompile,
)
from faultproof.preimage.store import MemoryStore
from faultproof.preimage.verify import BlobEvidence, PrecompileEvidence, blob_entries, precompile_entries
from faultproof.vm.interface import StepProof
from test_preimage_verify import SUCCESS_CASES, random_blob

# Spec §6.2: the functions and their selectors, and the custom errors.
SELECTORS = {
    "readPreimage(bytes32,uint256)": "e03110e1",
    "loadLocalData(uint256,bytes32,bytes32,uint256,uint256)": "52f0f3ad",
    "loadKeccak256PreimagePart(uint256,bytes)": "e1592611",
    "loadSha256PreimagePart(uint256,bytes)": "8dc4be11",
    "loadBlobPreimagePart(uint256,uint256,bytes,bytes,uint256)": "9d7e8769",
    "loadPrecompilePreimagePart(uint256,address,uint64,bytes)": "ea713950",
}
GETTERS = ("preimageLengths(bytes32)", "preimageParts(bytes32,uint256)", "preimagePartOk(bytes32,uint256)")
PARAMETERS = {"minProposalSize()": "dd24f9bf", "challengePeriod()": "f3f480d9"}  # constructor arguments
PART_OFFSET_OOB = bytes.fromhex("fe254987")
NOT_ENOUGH_GAS = bytes.fromhex("dd629f86")
INVALID_PROOF = bytes.fromhex("09bde339")
SHA_FAILED = bytes.fromhex("f9112969")
ERRORS = {"PartOffsetOOB()": PART_OFFSET_OOB, "NotEnoughGas()": NOT_ENOUGH_GAS}
ERRORS |= {"InvalidProof()": INVALID_PROOF, "ShaFailed()": SHA_FAILED}

ERROR_STRING = keccak256(b"Error(string)")[:4]
MUST_EXIST = ERROR_STRING + encode(["string"], ["pre-image must exist"])

CONTEXT = bytes([0x22]) * 32
OTHER_CONTEXT = bytes([0x33]) * 32
LENGTHS = (0, 1, 10, 31, 32, 33, 65)
ECRECOVER = precompile_address(0x01)
IDENTITY = precompile_address(0x04)
POINT_EVALUATION = precompile_address(0x0A)


def sample(length: int) -> bytes:
    """A preimage of ``length`` bytes without zero bytes, so a misplaced zero pad shows."""
    return bytes((7 * index + length) % 251 + 1 for index in range(length))


def stream_part(stream: bytes, offset: int) -> tuple[bytes, int]:
    """§3 from its definition: 32 bytes of the zero-padded stream, and how many are in it."""
    return (stream + bytes(32))[offset : offset + 32], min(32, len(stream) - offset)


def revert_data(call: Any, *args: Any, **kwargs: Any) -> bytes:
    """The revert data of a call or transaction that must revert."""
    with pytest.raises(ExecutionReverted) as raised:
        call(*args, **kwargs)
    return raised.value.data


# -- chains -------------------------------------------------------------------------------------------


LEGACY = CompilerSettings(experimental_codegen=False)


def deploy_oracle(chain: Chain, settings: CompilerSettings | None = None) -> Contract:
    """The oracle as deployed (Venom), or compiled with other ``settings``."""
    compiled = (
        compile_for_deployment("PreimageOracle")
        if settings is None
        else compile_contract("PreimageOracle", settings)
    )
    oracle = chain.deploy(compiled, MIN_PROPOSAL_SIZE, CHALLENGE_PERIOD)
    chain.register_errors(*ERRORS)
    return oracle


@pytest.fixture
def oracle(request: pytest.FixtureRequest) -> Contract:
    """A fresh oracle on a fresh embedded chain for each test: as deployed, or (``BOTH_BUILDS``)
    also built by Vyper's legacy pipeline."""
    build = getattr(request, "param", "venom")
    return deploy_oracle(EmbeddedChain(), LEGACY if build == "legacy" else None)


BOTH_BUILDS = pytest.mark.parametrize("oracle", ["venom", "legacy"], indirect=True)


@pytest.fixture(scope="module")
def shared_oracle() -> Contract:
    """One oracle for the property tests, which must not use function-scoped fixtures."""
    return deploy_oracle(EmbeddedChain())


@pytest.fixture(scope="module")
def anvil_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    with running_anvil("prague", tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        yield JsonRpcChain(anvil.url)


@pytest.fixture(params=["embedded", "anvil"])
def any_oracle(request: pytest.FixtureRequest) -> Contract:
    """An oracle on each backend: the embedded chain, and anvil over JSON-RPC."""
    if request.param == "embedded":
        return deploy_oracle(EmbeddedChain())
    return deploy_oracle(request.getfixturevalue("anvil_chain"))


# -- the interface ------------------------------------------------------------------------------------


def test_function_selectors_are_upstreams() -> None:
    abi = compile_contract("PreimageOracle").abi
    signatures = {
        f"{entry['name']}({','.join(item['type'] for item in entry['inputs'])})": entry
        for entry in abi
        if entry["type"] == "function"
    }
    assert set(signatures) == {*SELECTORS, *GETTERS, *PARAMETERS}
    for signature, selector in (SELECTORS | PARAMETERS).items():
        assert keccak256(signature.encode())[:4].hex() == selector, signature
    views = {name for name, entry in signatures.items() if entry["stateMutability"] == "view"}
    assert views == {"readPreimage(bytes32,uint256)", *GETTERS, *PARAMETERS}
    outputs = {name: [item["type"] for item in entry["outputs"]] for name, entry in signatures.items()}
    assert outputs["readPreimage(bytes32,uint256)"] == ["bytes32", "uint256"]
    assert outputs["loadLocalData(uint256,bytes32,bytes32,uint256,uint256)"] == ["bytes32"]
    assert outputs["preimageLengths(bytes32)"] == ["uint256"]
    assert outputs["preimageParts(bytes32,uint256)"] == ["bytes32"]
    assert outputs["preimagePartOk(bytes32,uint256)"] == ["bool"]


def test_constructor_sets_the_large_preimage_parameters(oracle: Contract) -> None:
    assert oracle.minProposalSize() == MIN_PROPOSAL_SIZE
    assert oracle.challengePeriod() == CHALLENGE_PERIOD


@pytest.mark.parametrize("settings", [None, LEGACY], ids=["venom", "legacy"])
def test_error_selectors_are_upstreams(settings: CompilerSettings | None) -> None:
    compiled = (
        compile_for_deployment("PreimageOracle")
        if settings is None
        else compile_contract("PreimageOracle", settings)
    )
    for signature, selector in ERRORS.items():
        assert keccak256(signature.encode())[:4] == selector
        # Every custom error is raised somewhere: its selector is pushed by the code.
        assert selector in compiled.runtime_bytecode, signature


def test_spec_vectors_of_keys() -> None:
    """§7 vectors, as the loaders below derive their keys with these constructors."""
    assert (
        keccak256_key(b"faultproof").hex()
        == "024c2867a87e758d67d8a8b0b3cdb8a3069918ba7fd309ff6c61b82254419a6a"
    )
    assert (
        sha256_key(b"faultproof").hex() == "04faef04edff2410932e5c7ae507c6a7060243c63b445adbba39826d3127c74e"
    )


# -- readPreimage -------------------------------------------------------------------------------------


def test_reading_an_unloaded_part_reverts(any_oracle: Contract) -> None:
    data = b"faultproof"
    key = keccak256_key(data)
    with pytest.raises(ExecutionReverted, match=r"^execution reverted: pre-image must exist$") as raised:
        any_oracle.readPreimage(key, 0)
    assert raised.value.data == MUST_EXIST
    any_oracle.loadKeccak256PreimagePart(0, data)
    assert any_oracle.readPreimage(key, 0) == preimage_part(data, 0)
    # Only the loaded offset exists, and only under its key.
    assert revert_data(any_oracle.readPreimage, key, 1) == MUST_EXIST
    assert revert_data(any_oracle.readPreimage, sha256_key(data), 0) == MUST_EXIST
    assert any_oracle.preimagePartOk(key, 0) and not any_oracle.preimagePartOk(key, 1)


# -- keccak256 and SHA-256 preimages --------------------------------------------------------------------

HASH_LOADERS = {
    "keccak256": ("loadKeccak256PreimagePart", keccak256_key),
    "sha256": ("loadSha256PreimagePart", sha256_key),
}


@BOTH_BUILDS
@pytest.mark.parametrize("kind", list(HASH_LOADERS))
def test_hash_loader_parts_at_every_offset(oracle: Contract, kind: str) -> None:
    loader, derive = HASH_LOADERS[kind]
    for length in LENGTHS:
        data = sample(length)
        key = derive(data)
        for offset in range(length + 8):
            getattr(oracle, loader)(offset, data)
            expected = preimage_part(data, offset)
            assert expected == stream_part(preimage_stream(data), offset)
            assert oracle.readPreimage(key, offset) == expected, (length, offset)
            assert oracle.preimageParts(key, offset) == expected[0]
            assert oracle.preimagePartOk(key, offset)
        assert oracle.preimageLengths(key) == length


@pytest.mark.parametrize("kind", list(HASH_LOADERS))
def test_hash_loader_spec_vector(oracle: Contract, kind: str) -> None:
    """§7: the stream of `faultproof`; part 17 is its last byte, and offset 18 is out of bounds."""
    loader, derive = HASH_LOADERS[kind]
    key = derive(b"faultproof")
    getattr(oracle, loader)(0, b"faultproof")
    getattr(oracle, loader)(17, b"faultproof")
    assert oracle.readPreimage(key, 0) == (
        bytes.fromhex("000000000000000a6661756c7470726f6f66") + bytes(14),
        18,
    )
    assert oracle.readPreimage(key, 17) == (b"f" + bytes(31), 1)
    assert revert_data(getattr(oracle, loader), 18, b"faultproof") == PART_OFFSET_OOB


@pytest.mark.parametrize("kind", list(HASH_LOADERS))
def test_hash_loader_rejects_offsets_past_the_stream(oracle: Contract, kind: str) -> None:
    loader, derive = HASH_LOADERS[kind]
    for length in (0, 5, 40):
        data = sample(length)
        for offset in (length + 8, length + 9, 2**256 - 1):
            with pytest.raises(ExecutionReverted, match=r"^execution reverted: PartOffsetOOB\(\)$") as raised:
                getattr(oracle, loader)(offset, data)
            assert raised.value.data == PART_OFFSET_OOB
        assert oracle.preimageLengths(derive(data)) == 0  # nothing was stored


def test_hash_loader_takes_the_largest_preimage_and_no_larger(oracle: Contract) -> None:
    data = sample(126_000)
    receipt = oracle.loadKeccak256PreimagePart(126_000, data)
    assert receipt.status == 1
    assert oracle.readPreimage(keccak256_key(data), 126_000) == preimage_part(data, 126_000)
    with pytest.raises(ExecutionReverted):
        oracle.loadKeccak256PreimagePart(0, sample(126_001))


@BOTH_BUILDS
@pytest.mark.parametrize("length", [0, 1, 5, 31])
def test_a_short_preimage_in_a_non_canonical_encoding(oracle: Contract, length: int) -> None:
    """A short preimage's parts are read from calldata: its position comes from the offset word,
    and whatever pads it is cut off, so an unusual (valid) encoding stores the canonical part."""
    data = sample(length)
    selector = bytes.fromhex(SELECTORS["loadKeccak256PreimagePart(uint256,bytes)"])
    for offset in range(length + 8):
        calldata = (
            selector
            + offset.to_bytes(32, "big")
            + (0x60).to_bytes(32, "big")  # the bytes start one word later than canonical
            + b"\xee" * 32  # a word no argument points at
            + length.to_bytes(32, "big")
            + data.ljust(32, b"\xdd")  # padded with garbage, not zeros
        )
        oracle.chain.transact(oracle.address, calldata)
        assert oracle.readPreimage(keccak256_key(data), offset) == preimage_part(data, offset)


@settings(max_examples=40)
@given(
    data=st.binary(max_size=300), choice=st.integers(min_value=0), kind=st.sampled_from(list(HASH_LOADERS))
)
def test_hash_loader_agrees_with_the_python_parts(
    shared_oracle: Contract, data: bytes, choice: int, kind: str
) -> None:
    loader, derive = HASH_LOADERS[kind]
    offset = choice % (len(data) + 8)
    getattr(shared_oracle, loader)(offset, data)
    assert shared_oracle.readPreimage(derive(data), offset) == preimage_part(data, offset)
    assert shared_oracle.preimageLengths(derive(data)) == len(data)


# -- local data -----------------------------------------------------------------------------------------

WORD = bytes(range(0xA1, 0xC1))  # 32 distinct non-zero bytes


@BOTH_BUILDS
def test_local_data_parts_at_every_offset(oracle: Contract) -> None:
    """The stream is BE8(size) ‖ word: all of the word, also the bytes past `size` (as upstream)."""
    sender = oracle.chain.accounts[1]
    key = localize(local_key(1), CONTEXT, sender.address)
    for size in (0, 1, 8, 20, 31, 32):
        stream = size.to_bytes(8, "big") + WORD
        for offset in range(size + 8):
            oracle.loadLocalData(1, CONTEXT, WORD, size, offset, sender=sender)
            part, part_length = oracle.readPreimage(key, offset)
            assert (part, part_length) == (stream_part(stream, offset)[0], min(32, size + 8 - offset))
            # The bytes that count are the value's: what `preimage_part` gives for word[0:size].
            assert part[:part_length] == preimage_part(WORD[:size], offset)[0][:part_length]
        assert oracle.preimageLengths(key) == size


def test_local_data_returns_the_localized_key(oracle: Contract) -> None:
    """§7: local key 1 localized with context 0x22…22 by sender 0x11…11."""
    sender = bytes([0x11]) * 20
    calldata = oracle.loadLocalData.calldata(1, CONTEXT, WORD, 32, 0)
    returned = oracle.chain.call(oracle.address, calldata, sender=sender)
    vector = "010a0c5dcb5a27385afd006e6921e00b436b6ef2e968343e1cd3a408897f1643"
    assert returned.hex() == vector == localize(local_key(1), CONTEXT, sender).hex()
    account = oracle.chain.accounts[2]
    assert oracle.loadLocalData.call(7, OTHER_CONTEXT, WORD, 8, 3, sender=account) == localize(
        local_key(7), OTHER_CONTEXT, account.address
    )
    # ident is placed under the type byte as a 31-byte number, whatever its size.
    big = 2**200 + 12345
    expected = localize(b"\x01" + big.to_bytes(31, "big"), CONTEXT, account.address)
    assert oracle.loadLocalData.call(big, CONTEXT, WORD, 8, 0, sender=account) == expected


def test_local_data_rejects_offsets_and_sizes_out_of_bounds(oracle: Contract) -> None:
    for size, offset in ((0, 8), (8, 16), (32, 40), (33, 0), (2**64, 0)):
        assert revert_data(oracle.loadLocalData, 1, CONTEXT, WORD, size, offset) == PART_OFFSET_OOB


def test_local_data_is_isolated_per_caller_and_context(any_oracle: Contract) -> None:
    alice, bob = any_oracle.chain.accounts[1], any_oracle.chain.accounts[2]
    words = {
        (alice, CONTEXT): b"\x01" * 32,
        (alice, OTHER_CONTEXT): b"\x02" * 32,
        (bob, CONTEXT): b"\x03" * 32,
        (bob, OTHER_CONTEXT): b"\x04" * 32,
    }
    keys = set()
    for (sender, context), word in words.items():
        any_oracle.loadLocalData(4, context, word, 32, 8, sender=sender)
        keys.add(localize(local_key(4), context, sender.address))
    assert len(keys) == 4
    for (sender, context), word in words.items():
        assert any_oracle.readPreimage(localize(local_key(4), context, sender.address), 8) == (word, 32)
    # Bob loading under Alice's ident and context writes his own key, never hers.
    any_oracle.loadLocalData(4, CONTEXT, b"\x09" * 32, 32, 8, sender=bob)
    assert any_oracle.readPreimage(localize(local_key(4), CONTEXT, alice.address), 8) == (b"\x01" * 32, 32)


@settings(max_examples=30)
@given(
    ident=st.integers(min_value=0, max_value=2**64 - 1),
    word=st.binary(min_size=32, max_size=32),
    size=st.integers(min_value=0, max_value=32),
    choice=st.integers(min_value=0),
)
def test_local_data_agrees_with_the_python_keys(
    shared_oracle: Contract, ident: int, word: bytes, size: int, choice: int
) -> None:
    offset = choice % (size + 8)
    sender = shared_oracle.chain.accounts[3]
    shared_oracle.loadLocalData(ident, CONTEXT, word, size, offset, sender=sender)
    key = localize(local_key(ident), CONTEXT, sender.address)
    part, part_length = shared_oracle.readPreimage(key, offset)
    assert part == stream_part(size.to_bytes(8, "big") + word, offset)[0]
    assert part_length == min(32, size + 8 - offset)


# -- blobs ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blob() -> tuple[bytes, bytes]:
    data = random_blob(4844)
    return data, blob_to_kzg_commitment(data)


def blob_arguments(blob: tuple[bytes, bytes], index: int) -> tuple[int, bytes, bytes, bytes]:
    """(z, y, commitment, proof) of field element ``index``."""
    data, commitment = blob
    z = blob_field_element_point(index)
    proof, y = compute_kzg_proof(data, z)
    assert y == data[32 * index : 32 * index + 32]
    return int.from_bytes(z, "big"), y, commitment, proof


@BOTH_BUILDS
def test_blob_parts_at_every_offset(oracle: Contract, blob: tuple[bytes, bytes]) -> None:
    for index in (0, 1, 4095):
        z, y, commitment, proof = blob_arguments(blob, index)
        key = blob_key(commitment, z.to_bytes(32, "big"))
        for offset in range(40):
            oracle.loadBlobPreimagePart(z, int.from_bytes(y, "big"), commitment, proof, offset)
            assert oracle.readPreimage(key, offset) == preimage_part(y, offset), (index, offset)
        assert oracle.preimageLengths(key) == 32


def test_zero_blob_spec_vector(oracle: Contract) -> None:
    """§7: the zero blob's commitment (and every proof) is the point at infinity, 0xc0 ‖ 0…0."""
    infinity = b"\xc0" + bytes(47)
    assert (
        versioned_hash(infinity).hex() == "010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014"
    )
    oracle.loadBlobPreimagePart(1, 0, infinity, infinity, 8)
    key = bytes.fromhex("05d0386f1692642e9b46449e7ee5a7aaa85d92ab248930e0ff388ed56c79977e")
    assert oracle.readPreimage(key, 8) == (bytes(32), 32)


def test_blob_loader_rejects_a_wrong_proof_or_value(any_oracle: Contract, blob: tuple[bytes, bytes]) -> None:
    z, y, commitment, proof = blob_arguments(blob, 5)
    y_number = int.from_bytes(y, "big")
    _, _, _, other_proof = blob_arguments(blob, 6)
    wrong = [
        (z, y_number, commitment, other_proof, 0),  # the proof of another element
        (z, y_number ^ 1, commitment, proof, 0),  # another value
        (z + 1, y_number, commitment, proof, 0),  # another point
        (z, y_number, commitment[:47], proof, 0),  # a commitment too short
        (z, y_number, commitment, proof[:47], 0),  # a proof too short
        (z, y_number, commitment, other_proof, 40),  # the proof is checked before the offset
    ]
    for arguments in wrong:
        with pytest.raises(ExecutionReverted, match=r"^execution reverted: InvalidProof\(\)$") as raised:
            any_oracle.loadBlobPreimagePart(*arguments)
        assert raised.value.data == INVALID_PROOF
    for offset in (40, 41, 2**256 - 1):
        assert (
            revert_data(any_oracle.loadBlobPreimagePart, z, y_number, commitment, proof, offset)
            == PART_OFFSET_OOB
        )
    key = blob_key(commitment, z.to_bytes(32, "big"))
    assert revert_data(any_oracle.readPreimage, key, 0) == MUST_EXIST
    any_oracle.loadBlobPreimagePart(z, y_number, commitment, proof, 39)
    assert any_oracle.readPreimage(key, 39) == preimage_part(y, 39)


# -- precompile results -----------------------------------------------------------------------------------


def precompile_value(address: bytes, required_gas: int, input: bytes) -> bytes:
    """``status ‖ returndata`` as the Python precompiles compute it (what hosts store)."""
    result = run_precompile(address, input, required_gas)
    assert not result.out_of_gas
    return result.value


@pytest.mark.parametrize("case", list(SUCCESS_CASES))
def test_precompile_results_agree_with_the_python_precompiles(oracle: Contract, case: str) -> None:
    number, required_gas, make = SUCCESS_CASES[case]
    address = precompile_address(number)
    input, returned = make()
    value = precompile_value(address, required_gas, input)
    assert value == b"\x01" + returned
    key = precompile_key(address, required_gas, input)
    for offset in (0, len(value) + 7):  # every offset: test_precompile_parts_at_every_offset
        oracle.loadPrecompilePreimagePart(offset, address, required_gas, input)
        assert oracle.readPreimage(key, offset) == preimage_part(value, offset), offset
    assert oracle.preimageLengths(key) == len(value)


@BOTH_BUILDS
def test_precompile_parts_at_every_offset(oracle: Contract) -> None:
    for address, input in ((IDENTITY, sample(0)), (IDENTITY, sample(30)), (IDENTITY, sample(100))):
        value = precompile_value(address, 1000, input)
        key = precompile_key(address, 1000, input)
        for offset in range(len(value) + 8):
            oracle.loadPrecompilePreimagePart(offset, address, 1000, input)
            assert oracle.readPreimage(key, offset) == preimage_part(value, offset), (len(input), offset)
        assert (
            revert_data(oracle.loadPrecompilePreimagePart, len(value) + 8, address, 1000, input)
            == PART_OFFSET_OOB
        )


@BOTH_BUILDS
def test_a_failing_or_empty_precompile_result(oracle: Contract) -> None:
    # Point evaluation fails on an input that is not 192 bytes: status 0, no return data.
    oracle.loadPrecompilePreimagePart(0, POINT_EVALUATION, 50_000, b"\x01")
    assert oracle.readPreimage(precompile_key(POINT_EVALUATION, 50_000, b"\x01"), 0) == (
        bytes.fromhex("0000000000000001") + b"\x00" + bytes(23),
        9,
    )
    # ecrecover of a bad signature succeeds with no data: status 1 alone.
    oracle.loadPrecompilePreimagePart(8, ECRECOVER, 3000, bytes(128))
    assert oracle.readPreimage(precompile_key(ECRECOVER, 3000, bytes(128)), 8) == (b"\x01" + bytes(31), 1)
    assert revert_data(oracle.loadPrecompilePreimagePart, 9, ECRECOVER, 3000, bytes(128)) == PART_OFFSET_OOB


def test_precompile_loader_refuses_a_call_with_too_little_gas(any_oracle: Contract) -> None:
    """With less gas than requiredGas · 64/63 + 100000 the call could run out of gas and record
    a failure that L1 would not see, so the loader refuses before calling."""
    input = bytes(128)
    for required_gas, gas in ((3000, 100_000), (1_000_000, 1_000_000), (20_000_000, None)):
        with pytest.raises(ExecutionReverted, match=r"^execution reverted: NotEnoughGas\(\)$") as raised:
            any_oracle.loadPrecompilePreimagePart(0, ECRECOVER, required_gas, input, gas=gas)
        assert raised.value.data == NOT_ENOUGH_GAS
        assert (
            revert_data(any_oracle.readPreimage, precompile_key(ECRECOVER, required_gas, input), 0)
            == MUST_EXIST
        )


@BOTH_BUILDS
@pytest.mark.parametrize(
    ("address", "required_gas", "input"),
    [(ECRECOVER, 3000, None), (IDENTITY, 15 + 3 * 125, sample(4000))],
    ids=["ecrecover", "identity-4000-bytes"],
)
def test_the_least_gas_that_passes_the_check_is_enough_for_the_call(
    oracle: Contract, address: bytes, required_gas: int, input: bytes | None
) -> None:
    """At the lowest transaction gas that passes the check, the precompile still gets all the gas
    it needs: the status is 1 and the result complete, so no caller can record a made-up failure."""
    if input is None:
        input = SUCCESS_CASES["ecrecover"][2]()[0]
    assert run_precompile(address, input, required_gas).gas == required_gas  # exactly what it costs
    low, high = 100_000, 2_000_000  # the check fails at low and passes at high
    while high - low > 1:
        middle = (low + high) // 2
        try:
            oracle.loadPrecompilePreimagePart(0, address, required_gas, input, gas=middle)
            high = middle
        except ExecutionReverted as error:
            if error.data != NOT_ENOUGH_GAS:  # out of gas after the check: still too little
                assert error.data == b"", error
            low = middle
    key = precompile_key(address, required_gas, input)
    value = precompile_value(address, required_gas, input)
    assert value[0] == 1
    assert oracle.readPreimage(key, 0) == preimage_part(value, 0)
    assert oracle.preimageLengths(key) == len(value)


def test_precompile_results_longer_than_the_oracle_records_are_refused(oracle: Contract) -> None:
    longest = sample(MAX_PRECOMPILE_RESULT_SIZE)
    oracle.loadPrecompilePreimagePart(0, IDENTITY, 10_000, longest)
    assert oracle.preimageLengths(precompile_key(IDENTITY, 10_000, longest)) == MAX_PRECOMPILE_RESULT_SIZE + 1
    with pytest.raises(ExecutionReverted, match="precompile result too large"):
        oracle.loadPrecompilePreimagePart(0, IDENTITY, 10_000, sample(MAX_PRECOMPILE_RESULT_SIZE + 1))


# -- loading the part a step proof names -------------------------------------------------------------------


def proof_reading(key: bytes, value: bytes, offset: int) -> StepProof:
    """A step proof whose step reads ``value`` under ``key`` at ``offset`` (the rest is unused)."""
    return StepProof(
        step=1,
        pre=bytes(32),
        post=bytes(32),
        state_data=b"",
        proof_data=b"",
        oracle_key=key,
        oracle_value=preimage_stream(value),
        oracle_offset=offset,
    )


def assert_loads(oracle: Contract, proof: StepProof, onchain_key: bytes, **kwargs: Any) -> None:
    sender = kwargs.pop("sender", oracle.chain.accounts[0])
    upload = load_step_part(oracle, proof, CONTEXT, sender, **kwargs)
    assert upload is not None and upload.key == onchain_key and upload.offset == proof.oracle_offset
    assert proof.oracle_value is not None
    assert oracle.readPreimage(onchain_key, proof.oracle_offset) == preimage_part(
        proof.oracle_value[8:], proof.oracle_offset
    )


def test_step_parts_of_hash_keys(any_oracle: Contract) -> None:
    data = sample(70)
    for offset in (0, 7, 8, 40, 77):
        assert_loads(any_oracle, proof_reading(keccak256_key(data), data, offset), keccak256_key(data))
        assert_loads(any_oracle, proof_reading(sha256_key(data), data, offset), sha256_key(data))


def test_step_parts_of_local_keys_are_loaded_by_the_caller_of_step(any_oracle: Contract) -> None:
    caller = any_oracle.chain.accounts[4]
    for index, value in ((1, b"\x5a" * 32), (4, (12345).to_bytes(8, "big")), (0, b"")):
        proof = proof_reading(local_key(index), value, len(value) + 7)
        onchain_key = localize(local_key(index), CONTEXT, caller.address)
        assert_loads(any_oracle, proof, onchain_key, sender=caller)
        other = localize(local_key(index), CONTEXT, any_oracle.chain.accounts[0].address)
        assert revert_data(any_oracle.readPreimage, other, len(value) + 7) == MUST_EXIST


def test_step_parts_of_a_blob_key_from_a_store(oracle: Contract, blob: tuple[bytes, bytes]) -> None:
    data, commitment = blob
    store = MemoryStore()
    store.put_many(blob_entries(data))
    z = blob_field_element_point(9)
    y = data[32 * 9 : 32 * 10]
    assert_loads(oracle, proof_reading(blob_key(commitment, z), y, 12), blob_key(commitment, z), store=store)
    # Given the evidence, no store is needed.
    proof, _ = compute_kzg_proof(data, z)
    evidence = BlobEvidence(commitment, z, proof)
    assert_loads(
        oracle, proof_reading(blob_key(commitment, z), y, 39), blob_key(commitment, z), evidence=evidence
    )


def test_step_parts_of_a_precompile_key_from_a_store(any_oracle: Contract) -> None:
    input, _ = SUCCESS_CASES["ecrecover"][2]()
    store = MemoryStore()
    store.put_many(precompile_entries(ECRECOVER, 3000, input))
    key = precompile_key(ECRECOVER, 3000, input)
    value = store.get(key)
    assert value is not None
    assert_loads(any_oracle, proof_reading(key, value, 9), key, store=store)
    evidence = PrecompileEvidence(ECRECOVER, 3000, input)
    assert_loads(any_oracle, proof_reading(key, value, 40), key, evidence=evidence)


def test_missing_evidence_is_a_typed_error(blob: tuple[bytes, bytes]) -> None:
    data, commitment = blob
    z = blob_field_element_point(2)
    blob_proof = proof_reading(blob_key(commitment, z), data[64:96], 0)
    with pytest.raises(EvidenceNotFound, match="no preimage store was given"):
        step_part_upload(blob_proof, CONTEXT, bytes(20))
    with pytest.raises(EvidenceNotFound, match=r"the store has no keccak256 key 0x02"):
        step_part_upload(blob_proof, CONTEXT, bytes(20), MemoryStore())
    partial = MemoryStore()
    partial.put_many(blob_entries(data, indices=range(100)))  # elements 0–99 only
    with pytest.raises(EvidenceNotFound, match="lacks its element 100"):
        step_part_upload(blob_proof, CONTEXT, bytes(20), partial)
    input = bytes(128)
    precompile_proof = proof_reading(precompile_key(ECRECOVER, 3000, input), b"\x01", 0)
    with pytest.raises(EvidenceNotFound, match="address, requiredGas and input"):
        step_part_upload(precompile_proof, CONTEXT, bytes(20), MemoryStore())
    wrong = PrecompileEvidence(ECRECOVER, 3001, input)
    with pytest.raises(PreimageUploadError, match="not the one"):
        step_part_upload(precompile_proof, CONTEXT, bytes(20), evidence=wrong)


def test_steps_without_a_part_to_load() -> None:
    no_read = dataclasses.replace(
        proof_reading(keccak256_key(b"x"), b"x", 0), oracle_key=None, oracle_value=None
    )
    assert step_part_upload(no_read, CONTEXT, bytes(20)) is None
    # At the end of the stream no part exists; the verifier reverts, as upstream's does.
    assert step_part_upload(proof_reading(keccak256_key(b"x"), b"x", 9), CONTEXT, bytes(20)) is None


@pytest.mark.parametrize(
    ("proof", "match"),
    [
        (proof_reading(keccak256_key(b"x"), b"y", 0), "not the preimage of keccak256 key"),
        (proof_reading(sha256_key(b"x"), b"y", 0), "not the preimage of sha256 key"),
        (proof_reading(local_key(6), b"{}" * 20, 0), "has 40 bytes, more than the oracle's loader takes"),
        (proof_reading(b"\x03" + bytes(31), b"x", 0), "no onchain loader takes generic key"),
        (proof_reading(b"\x81" + bytes(31), b"x", 0), "no onchain loader takes type 129 key"),
        (proof_reading(bytes(32), b"x", 0), "key type 0 is illegal"),
        (
            dataclasses.replace(
                proof_reading(keccak256_key(b"x"), b"x", 0), oracle_value=b"\x00" * 7 + b"\x02x"
            ),
            "not a length-prefixed preimage",
        ),
    ],
    ids=["keccak", "sha256", "local-too-long", "generic", "application", "type-0", "stream"],
)
def test_parts_no_loader_can_store(proof: StepProof, match: str) -> None:
    with pytest.raises(PreimageUploadError, match=match):
        step_part_upload(proof, CONTEXT, bytes(20))


def test_a_preimage_too_large_for_one_call() -> None:
    data = sample(126_001)
    with pytest.raises(PreimageUploadError, match="large preimage proposal"):
        step_part_upload(proof_reading(keccak256_key(data), data, 0), CONTEXT, bytes(20))


def test_a_part_the_oracle_refuses_is_an_upload_error(oracle: Contract, blob: tuple[bytes, bytes]) -> None:
    data, commitment = blob
    z = blob_field_element_point(9)
    proof_of_another_element, _ = compute_kzg_proof(data, blob_field_element_point(10))
    step = proof_reading(blob_key(commitment, z), data[32 * 9 : 32 * 10], 0)
    evidence = BlobEvidence(commitment, z, proof_of_another_element)
    match = r"^loadBlobPreimagePart refused the part at offset 0 of blob key 0x05.*InvalidProof\(\)$"
    with pytest.raises(PreimageUploadError, match=match):
        load_step_part(oracle, step, CONTEXT, oracle.chain.accounts[0], evidence=evidence)
