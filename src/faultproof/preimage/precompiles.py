"""The EVM precompiles a precompile key can name, run again to check its value (preimage-oracle.md §1.2).

The onchain loader computes a precompile key's value as ``status ‖ returndata`` of a ``staticcall``
to the precompile with at least ``requiredGas`` gas (§6.2). A host that stores such a value must get
the same answer, so it runs the same precompile here:

* 0x01–0x09 and the BLS12-381 precompiles 0x0b–0x11 come from py-evm (the Ethereum Foundation's
  Python EVM), with the gas schedule of its latest fork (Prague). py-evm is used as it is, through
  the small slice of its ``ComputationAPI`` a precompile touches.
* 0x0a, the EIP-4844 point evaluation, is written out below over C-KZG-4844 (``ckzg``) with the
  Ethereum mainnet trusted setup loaded once; py-evm's own version reloads the setup (about 2 s) on
  every call. The same check proves a blob key's value (§1.1, ``loadBlobPreimagePart``).
* Results follow L1 as of Osaka: EIP-7823 bounds modexp's operand lengths, which py-evm (Prague)
  does not do yet. Osaka's EIP-7883 only raises modexp's price, so Prague's price stays a lower
  bound of what a correct ``requiredGas`` covers.

* A call that needs more gas than ``requiredGas`` is refused (``out_of_gas``): onchain its outcome
  would depend on how much gas the caller forwards. py-evm charges gas before it computes, so this
  also stops a huge modexp or pairing before any work is done.

Onchain a failing call returns no data, so a failure's value is the single byte ``0x00``.

Why py-evm, measured on the project's machine: a two-pair bn254 pairing takes 0.35–0.5 s in py-evm
(py_ecc) and 1.3 s in the execution specs' ``ethereum-execution`` package, whose KZG check is pure
Python too (0.6 s per proof; ckzg verifies in about 1 ms). With ``coincurve`` installed
ecrecover takes 0.7 ms instead of 6.6 ms, and with ``blake2b-py`` a million blake2f rounds take
25 ms instead of about 25 s.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import ckzg

from faultproof.preimage.keys import (
    ADDRESS_SIZE,
    BLOB_COMMITMENT_SIZE,
    BLOB_SIZE,
    BLS_MODULUS,
    FIELD_ELEMENT_SIZE,
    FIELD_ELEMENTS_PER_BLOB,
    versioned_hash,
)

STATUS_SUCCESS = b"\x01"
STATUS_FAILURE = b"\x00"

ECRECOVER = 0x01
SHA256 = 0x02
RIPEMD160 = 0x03
IDENTITY = 0x04
MODEXP = 0x05
BN254_ADD = 0x06
BN254_MUL = 0x07
BN254_PAIRING = 0x08
BLAKE2F = 0x09
POINT_EVALUATION = 0x0A
BLS12_G1_ADD = 0x0B
BLS12_G1_MSM = 0x0C
BLS12_G2_ADD = 0x0D
BLS12_G2_MSM = 0x0E
BLS12_PAIRING = 0x0F
BLS12_MAP_FP_TO_G1 = 0x10
BLS12_MAP_FP2_TO_G2 = 0x11

PRECOMPILE_NAMES: dict[int, str] = {
    ECRECOVER: "ecrecover",
    SHA256: "sha256",
    RIPEMD160: "ripemd160",
    IDENTITY: "identity",
    MODEXP: "modexp",
    BN254_ADD: "bn254 add",
    BN254_MUL: "bn254 mul",
    BN254_PAIRING: "bn254 pairing",
    BLAKE2F: "blake2f",
    POINT_EVALUATION: "point evaluation",
    BLS12_G1_ADD: "bls12-381 g1 add",
    BLS12_G1_MSM: "bls12-381 g1 msm",
    BLS12_G2_ADD: "bls12-381 g2 add",
    BLS12_G2_MSM: "bls12-381 g2 msm",
    BLS12_PAIRING: "bls12-381 pairing",
    BLS12_MAP_FP_TO_G1: "bls12-381 map fp to g1",
    BLS12_MAP_FP2_TO_G2: "bls12-381 map fp2 to g2",
}

# EIP-4844 point evaluation.
POINT_EVALUATION_GAS = 50_000
POINT_EVALUATION_INPUT_SIZE = 32 + 32 + 32 + BLOB_COMMITMENT_SIZE + 48
POINT_EVALUATION_OUTPUT = FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")

# EIP-7823 (Osaka): modexp fails when an operand is longer than this.
MODEXP_MAX_OPERAND_SIZE = 1024

# The mainnet KZG setup as C-KZG-4844 2.x reads it (Lagrange G1, monomial G2 and G1 points): pinned,
# because a blob key is only provable onchain with exactly this setup.
TRUSTED_SETUP_SHA256 = "d39b9f2d047cc9dca2de58f264b6a09448ccd34db967881a6713eacacf0f26b7"


def precompile_address(number: int) -> bytes:
    """The 20-byte address of precompile ``number`` (e.g. 1 for ecrecover)."""
    return number.to_bytes(ADDRESS_SIZE, "big")


def precompile_name(address: bytes) -> str | None:
    """The name of a supported precompile, or None."""
    if len(address) != ADDRESS_SIZE or any(address[:-1]):
        return None
    return PRECOMPILE_NAMES.get(address[-1])


def supported_precompiles() -> str:
    """The supported precompiles, for messages: ``0x01 ecrecover, 0x02 sha256, …``."""
    return ", ".join(f"0x{number:02x} {name}" for number, name in PRECOMPILE_NAMES.items())


@dataclass(frozen=True)
class PrecompileResult:
    """The outcome of one call: whether it succeeded, its return data, and the gas it charged.

    ``out_of_gas`` means the call needed more than the gas it was given (``gas`` is then what it
    asked for), so its outcome onchain would depend on the caller.
    """

    success: bool
    returndata: bytes
    gas: int
    out_of_gas: bool = False

    @property
    def value(self) -> bytes:
        """``status ‖ returndata``, the preimage of the precompile key (§1.2)."""
        return (STATUS_SUCCESS if self.success else STATUS_FAILURE) + self.returndata


class _OutOfGas(Exception):
    def __init__(self, needed: int) -> None:
        self.needed = needed


class _PrecompileFailed(Exception):
    """The precompile halted exceptionally (bad input): status 0, no return data."""


class _Call:
    """What a py-evm precompile reads and writes of its ``ComputationAPI``: input, gas, output."""

    def __init__(self, data: bytes, gas_limit: int) -> None:
        self.msg = _Message(data)
        self.output = b""
        self.gas_limit = gas_limit
        self.gas_used = 0

    def consume_gas(self, amount: int, reason: str) -> None:
        self.gas_used += amount
        if self.gas_used > self.gas_limit:
            raise _OutOfGas(self.gas_used)


class _Message:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.data_as_bytes = data


def run_precompile(address: bytes, data: bytes, gas_limit: int) -> PrecompileResult:
    """Call a supported precompile on ``data`` with ``gas_limit`` gas.

    Raises ``LookupError`` for an address that is not a supported precompile (see
    ``precompile_name``); a call that fails is a result, not an exception.
    """
    if precompile_name(address) is None:
        raise LookupError(f"0x{address.hex()} is not a supported precompile")
    number = address[-1]
    call = _Call(data, gas_limit)
    try:
        if number == POINT_EVALUATION:
            call.output = _point_evaluation(data, call)
        elif number == MODEXP and _modexp_operand_too_long(data):
            raise _PrecompileFailed("EIP-7823: a modexp operand is longer than 1024 bytes")
        else:
            _run_py_evm(address, call)
    except _OutOfGas as starved:
        return PrecompileResult(False, b"", starved.needed, out_of_gas=True)
    except _PrecompileFailed:
        return PrecompileResult(False, b"", call.gas_used)
    return PrecompileResult(True, bytes(call.output), call.gas_used)


def _run_py_evm(address: bytes, call: _Call) -> None:
    from eth.exceptions import VMError

    precompile = _py_evm_precompiles()[address]
    try:
        # _Call provides the part of ComputationAPI that precompiles use (checked by the tests).
        precompile(cast(Any, call))
    except VMError as error:
        raise _PrecompileFailed(str(error)) from error


@functools.cache
def _py_evm_precompiles() -> dict[bytes, Callable[[Any], object]]:
    # Imported on first use: py-evm takes about a second to import.
    from eth.vm.forks.prague.computation import PragueComputation

    return {bytes(address): function for address, function in PragueComputation.get_precompiles().items()}


def _modexp_operand_too_long(data: bytes) -> bool:
    header = data[:96].ljust(96, b"\x00")
    lengths = (int.from_bytes(header[i : i + 32], "big") for i in range(0, 96, 32))
    return any(length > MODEXP_MAX_OPERAND_SIZE for length in lengths)


# -- 0x0a: EIP-4844 point evaluation ----------------------------------------------------------------


def _point_evaluation(data: bytes, call: _Call) -> bytes:
    """Verify ``p(z) = y`` for the blob polynomial of ``commitment`` (EIP-4844 ``point_evaluation``).

    ``data = versionedHash ‖ z ‖ y ‖ commitment ‖ proof``; returns ``BE32(4096) ‖ BE32(r)``.
    """
    # INPUT
    if len(data) != POINT_EVALUATION_INPUT_SIZE:
        raise _PrecompileFailed(
            f"point evaluation takes {POINT_EVALUATION_INPUT_SIZE} bytes, got {len(data)}"
        )
    expected_hash = data[0:32]
    z = data[32:64]
    y = data[64:96]
    commitment = data[96:144]
    proof = data[144:192]
    # GAS
    call.consume_gas(POINT_EVALUATION_GAS, "point evaluation")
    # OPERATION
    if versioned_hash(commitment) != expected_hash:
        raise _PrecompileFailed("the commitment does not match the versioned hash")
    if not verify_kzg_proof(commitment, z, y, proof):
        raise _PrecompileFailed("the KZG proof does not verify")
    return POINT_EVALUATION_OUTPUT


# -- KZG over the mainnet trusted setup -------------------------------------------------------------


@functools.cache
def trusted_setup() -> object:
    """The Ethereum mainnet KZG trusted setup, loaded once (about 2 s).

    It ships inside py-evm's wheel; ckzg ships none. Its hash is checked so that an upgrade that
    changed it cannot go unnoticed.
    """
    resource = importlib.resources.files("eth") / "_utils" / "kzg_trusted_setup.txt"
    with importlib.resources.as_file(resource) as path:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != TRUSTED_SETUP_SHA256:
            raise RuntimeError(f"{path} is not the mainnet KZG trusted setup (sha256 {digest})")
        return ckzg.load_trusted_setup(str(path), 0)


def verify_kzg_proof(commitment: bytes, z: bytes, y: bytes, proof: bytes) -> bool:
    """Whether ``proof`` shows ``p(z) = y`` for the polynomial committed by ``commitment``.

    Malformed points and out-of-range field elements are a failed proof, not an error.
    """
    if len(commitment) != BLOB_COMMITMENT_SIZE or len(proof) != BLOB_COMMITMENT_SIZE:
        return False
    if len(z) != FIELD_ELEMENT_SIZE or len(y) != FIELD_ELEMENT_SIZE:
        return False
    try:
        return bool(ckzg.verify_kzg_proof(commitment, z, y, proof, trusted_setup()))
    except RuntimeError:
        return False


def blob_to_kzg_commitment(blob: bytes) -> bytes:
    """The KZG commitment of a blob; raises ``ValueError`` for a blob that is not 4096 field elements."""
    _check_blob(blob)
    try:
        return bytes(ckzg.blob_to_kzg_commitment(blob, trusted_setup()))
    except RuntimeError as error:
        raise ValueError("a blob field element is not below the BLS modulus") from error


def compute_kzg_proof(blob: bytes, z: bytes) -> tuple[bytes, bytes]:
    """``(proof, y)`` for evaluating the blob's polynomial at ``z``."""
    _check_blob(blob)
    try:
        proof, y = ckzg.compute_kzg_proof(blob, z, trusted_setup())
    except (RuntimeError, ValueError) as error:
        raise ValueError(f"cannot evaluate the blob at z = 0x{z.hex()}") from error
    return bytes(proof), bytes(y)


def _check_blob(blob: bytes) -> None:
    if len(blob) != BLOB_SIZE:
        raise ValueError(f"a blob has {BLOB_SIZE} bytes, got {len(blob)}")
