"""Addresses and the deterministic development accounts both chain backends sign with.

The dev accounts are the ones every Ethereum dev node knows: keys derived from the mnemonic
``test test … junk`` along ``m/44'/60'/0'/0/i`` (BIP-39 seed, BIP-32 derivation, BIP-44 path),
the same that anvil funds. Deriving them (rather than listing ten keys) keeps their origin
checkable and their number open; nothing here is random.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import cache

from coincurve import PrivateKey, PublicKey

from faultproof.crypto import keccak256

ADDRESS_SIZE = 20

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The well-known development mnemonic (anvil's and hardhat's default)."""

DEV_ACCOUNT_COUNT = 10
DEV_BALANCE = 10_000 * 10**18
"""What the embedded chain funds each dev account with (wei): anvil's default of 10,000 ether."""

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HARDENED = 0x8000_0000
BIP44_ETHEREUM_PATH = (44 | HARDENED, 60 | HARDENED, 0 | HARDENED, 0)  # m/44'/60'/0'/0, then /i


class Address(bytes):
    """A 20-byte account address; prints as its EIP-55 checksummed hex."""

    def __new__(cls, value: bytes | str) -> Address:
        raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
        if len(raw) != ADDRESS_SIZE:
            raise ValueError(f"an address is {ADDRESS_SIZE} bytes, got {len(raw)}")
        return super().__new__(cls, raw)

    def __str__(self) -> str:
        """EIP-55: a hex letter is upper case where the same nibble of keccak(lowercase hex) is ≥ 8."""
        lower = self.hex()
        digest = keccak256(lower.encode()).hex()
        return "0x" + "".join(
            c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest, strict=False)
        )

    def __repr__(self) -> str:
        return f"Address('{self}')"


@dataclass(frozen=True)
class Account:
    """A key pair that signs transactions; ``address`` is what contracts see as ``msg.sender``."""

    private_key: bytes = field(repr=False)
    address: Address

    @classmethod
    def from_key(cls, private_key: bytes) -> Account:
        public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
        return cls(private_key, Address(keccak256(public)[-ADDRESS_SIZE:]))


@cache
def dev_accounts(count: int = DEV_ACCOUNT_COUNT, mnemonic: str = DEV_MNEMONIC) -> tuple[Account, ...]:
    """The first ``count`` accounts of ``mnemonic`` on Ethereum's BIP-44 path."""
    seed = hashlib.pbkdf2_hmac("sha512", mnemonic.encode(), b"mnemonic", 2048)  # BIP-39, no passphrase
    key, chain_code = _split(hmac.digest(b"Bitcoin seed", seed, "sha512"))  # BIP-32 master key
    for index in BIP44_ETHEREUM_PATH:
        key, chain_code = _child(key, chain_code, index)
    return tuple(Account.from_key(_child(key, chain_code, index)[0]) for index in range(count))


def _child(key: bytes, chain_code: bytes, index: int) -> tuple[bytes, bytes]:
    """BIP-32 private parent key → private child key (CKDpriv)."""
    if index & HARDENED:
        data = b"\0" + key + index.to_bytes(4, "big")
    else:
        data = PublicKey.from_secret(key).format(compressed=True) + index.to_bytes(4, "big")
    tweak, child_chain_code = _split(hmac.digest(chain_code, data, "sha512"))
    child = (int.from_bytes(tweak, "big") + int.from_bytes(key, "big")) % SECP256K1_ORDER
    return child.to_bytes(32, "big"), child_chain_code


def _split(digest: bytes) -> tuple[bytes, bytes]:
    return digest[:32], digest[32:]
