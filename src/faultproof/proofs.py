"""VM-independent JSON documents: step proofs (mips32.md §9.3, riscv64.md §10.3) and witness summaries.

A proof file is what a challenger needs to call ``step`` on chain, so it is read back by other
tools; ``proof_from_json`` checks every field and reports a problem as one ``StateFormatError``
naming the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from faultproof.errors import StateFormatError
from faultproof.vm.interface import FaultProofVM, StepProof

HASH_SIZE = 32
U64_MAX = (1 << 64) - 1
_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})*")

_REQUIRED_KEYS = ("step", "pre", "post", "state-data", "proof-data")
_ORACLE_KEYS = ("oracle-key", "oracle-value")
_KNOWN_KEYS = frozenset((*_REQUIRED_KEYS, *_ORACLE_KEYS, "oracle-offset"))


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


# -- proofs (§9.3) ------------------------------------------------------------------------------


def proof_to_json(proof: StepProof) -> str:
    """The proof file: oracle fields only for a step that read a preimage, a zero offset omitted."""
    document: dict[str, Any] = {
        "step": proof.step,
        "pre": _hex(proof.pre),
        "post": _hex(proof.post),
        "state-data": _hex(proof.state_data),
        "proof-data": _hex(proof.proof_data),
    }
    if proof.oracle_key is not None and proof.oracle_value is not None:
        document["oracle-key"] = _hex(proof.oracle_key)
        document["oracle-value"] = _hex(proof.oracle_value)
        if proof.oracle_offset:
            document["oracle-offset"] = proof.oracle_offset
    return json.dumps(document, indent=2) + "\n"


class _ProofReader:
    """Typed access to the fields of a parsed proof document, each failure naming the field."""

    def __init__(self, document: dict[str, Any], source: str) -> None:
        self.document = document
        self.source = source

    def fail(self, problem: str) -> StateFormatError:
        return StateFormatError(f"proof file {self.source}: {problem}")

    def integer(self, key: str, maximum: int) -> int:
        value = self.document[key]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
            raise self.fail(f"{key} must be an integer from 0 to {maximum}")
        return value

    def hex_bytes(self, key: str, size: int | None = None) -> bytes:
        value = self.document[key]
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            raise self.fail(f"{key} must be a 0x-prefixed hex string of whole bytes")
        data = bytes.fromhex(value[2:])
        if size is not None and len(data) != size:
            raise self.fail(f"{key} must be {size} bytes, got {len(data)}")
        return data


def proof_from_json(text: str | bytes, source: str = "<proof>") -> StepProof:
    """Parse a proof file; ``source`` names it in error messages."""
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise StateFormatError(f"proof file {source}: not valid JSON ({error})") from error
    if not isinstance(document, dict):
        raise StateFormatError(f"proof file {source}: a proof must be a JSON object")
    reader = _ProofReader(document, source)
    missing = [key for key in _REQUIRED_KEYS if key not in document]
    unknown = sorted(set(document) - _KNOWN_KEYS)
    if missing or unknown:
        raise reader.fail(f"missing key {missing[0]!r}" if missing else f"unknown key {unknown[0]!r}")
    oracle_keys = [key for key in _ORACLE_KEYS if key in document]
    if len(oracle_keys) == 1 or ("oracle-offset" in document and not oracle_keys):
        raise reader.fail("oracle-key and oracle-value must both be present (oracle-offset only with them)")
    return StepProof(
        step=reader.integer("step", U64_MAX),
        pre=reader.hex_bytes("pre", HASH_SIZE),
        post=reader.hex_bytes("post", HASH_SIZE),
        state_data=reader.hex_bytes("state-data"),
        proof_data=reader.hex_bytes("proof-data"),
        oracle_key=reader.hex_bytes("oracle-key", HASH_SIZE) if oracle_keys else None,
        oracle_value=reader.hex_bytes("oracle-value") if oracle_keys else None,
        oracle_offset=reader.integer("oracle-offset", U64_MAX) if "oracle-offset" in document else 0,
    )


def read_proof(path: Path) -> StepProof:
    """The proof stored in a file."""
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise StateFormatError(f"proof file {path}: cannot read: {error.strerror or error}") from error
    return proof_from_json(text, str(path))


# -- witness summary (§9.4) ---------------------------------------------------------------------


def witness_summary_json(vm: FaultProofVM) -> str:
    """The VM's witness summary as an indented JSON document ending in a newline."""
    return json.dumps(vm.witness_summary(), indent=2) + "\n"


__all__ = ["proof_from_json", "proof_to_json", "read_proof", "witness_summary_json"]
