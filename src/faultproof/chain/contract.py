"""A deployed contract as a Python object: its ABI's functions as methods, its events decoded.

``oracle.readPreimage(key, offset)`` calls a ``view``/``pure`` function and returns its decoded
result (one value, or a tuple for several); ``oracle.loadLocalData(…, sender=account)`` sends a
transaction for any other function and returns the ``Receipt``. Either can be asked for
explicitly: ``.call(…)`` simulates any function and decodes what it returns, ``.transact(…)``
sends a transaction even for a view. ``.calldata(…)`` gives the bytes that would be sent.
Encoding and decoding are eth-abi's (the Ethereum Foundation's ABI codec).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi.abi import decode, encode

from faultproof.chain.accounts import Account, Address
from faultproof.chain.interface import Log, Receipt
from faultproof.contracts import CompiledContract
from faultproof.crypto import keccak256

if TYPE_CHECKING:
    from faultproof.chain.interface import Chain

ABIEntry = dict[str, Any]
READ_ONLY = ("view", "pure")


@dataclass(frozen=True)
class Event:
    """A log decoded by the event of the ABI it belongs to."""

    name: str
    args: dict[str, Any]
    log: Log


class Contract:
    """A contract at ``address`` on ``chain``, driven through its ABI."""

    def __init__(
        self, chain: Chain, address: Address, compiled: CompiledContract, deployment: Receipt | None = None
    ) -> None:
        self.chain = chain
        self.address = address
        self.compiled = compiled
        self.deployment = deployment  # the creation's receipt, when this handle deployed it
        self._functions: dict[str, list[ABIEntry]] = {}
        self._events: dict[bytes, ABIEntry] = {}
        for entry in compiled.abi:
            if entry.get("type") == "function":
                self._functions.setdefault(entry["name"], []).append(entry)
            elif entry.get("type") == "event" and not entry.get("anonymous"):
                self._events[keccak256(_signature(entry).encode())] = entry
            elif entry.get("type") == "error":
                chain.register_errors(_signature(entry))

    def __getattr__(self, name: str) -> ContractFunction:
        entries = self.__dict__.get("_functions", {}).get(name)
        if entries is None:
            raise AttributeError(f"{self.compiled.name} has no function {name!r}")
        return ContractFunction(self, name, entries)

    def __repr__(self) -> str:
        return f"<{self.compiled.name} at {self.address}>"

    def events(self, logs: Iterable[Log]) -> list[Event]:
        """The logs this contract emitted that match an event of its ABI, decoded."""
        decoded = []
        for log in logs:
            entry = self._events.get(log.topics[0]) if log.address == self.address and log.topics else None
            if entry is not None:
                decoded.append(Event(entry["name"], _decode_event(entry, log), log))
        return decoded


class ContractFunction:
    """One function of a contract (all its ABI overloads, told apart by argument count)."""

    def __init__(self, contract: Contract, name: str, entries: list[ABIEntry]) -> None:
        self.contract = contract
        self.name = name
        self.entries = entries

    def __call__(
        self, *args: Any, sender: Account | None = None, value: int = 0, gas: int | None = None
    ) -> Any:
        """A view's result, or the receipt of the transaction a state-changing function sends."""
        if self._entry(args).get("stateMutability") in READ_ONLY:
            return self.call(*args, sender=sender, value=value)
        return self.transact(*args, sender=sender, value=value, gas=gas)

    def call(self, *args: Any, sender: Account | None = None, value: int = 0) -> Any:
        """Simulate the function (``eth_call``) and decode what it returns."""
        entry = self._entry(args)
        output = self.contract.chain.call(
            self.contract.address,
            self.calldata(*args),
            sender=sender,
            value=value,
        )
        values = _python_values(entry["outputs"], decode(_types(entry["outputs"]), output))
        if len(values) == 1:
            return values[0]
        return values if values else None

    def transact(
        self, *args: Any, sender: Account | None = None, value: int = 0, gas: int | None = None
    ) -> Receipt:
        """Send the function as a mined transaction; its receipt."""
        return self.contract.chain.transact(
            self.contract.address, self.calldata(*args), sender=sender, value=value, gas=gas
        )

    def calldata(self, *args: Any) -> bytes:
        """Selector and ABI-encoded arguments."""
        entry = self._entry(args)
        return keccak256(_signature(entry).encode())[:4] + encode(_types(entry["inputs"]), args)

    def _entry(self, args: Sequence[Any]) -> ABIEntry:
        matching = [entry for entry in self.entries if len(entry["inputs"]) == len(args)]
        if len(matching) != 1:
            counts = sorted(len(entry["inputs"]) for entry in self.entries)
            raise TypeError(f"{self.name} takes {' or '.join(map(str, counts))} arguments, got {len(args)}")
        return matching[0]


def encode_constructor(abi: list[ABIEntry], args: Sequence[Any]) -> bytes:
    """The ABI-encoded constructor arguments that follow the init code."""
    constructor: ABIEntry = next(
        (entry for entry in abi if entry.get("type") == "constructor"), {"inputs": []}
    )
    if len(constructor["inputs"]) != len(args):
        raise TypeError(f"the constructor takes {len(constructor['inputs'])} arguments, got {len(args)}")
    return encode(_types(constructor["inputs"]), args)


def _decode_event(entry: ABIEntry, log: Log) -> dict[str, Any]:
    """Indexed arguments from the topics (a dynamic one is only its hash), the rest from the data."""
    indexed = [item for item in entry["inputs"] if item.get("indexed")]
    plain = [item for item in entry["inputs"] if not item.get("indexed")]
    values = _python_values(plain, decode(_types(plain), log.data))
    args = dict(zip((item["name"] for item in plain), values, strict=True))
    for item, topic in zip(indexed, log.topics[1:], strict=True):
        kind = _type(item)
        dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
        args[item["name"]] = topic if dynamic else _python_value(kind, item, decode([kind], topic)[0])
    return {item["name"]: args[item["name"]] for item in entry["inputs"]}


def _python_values(parameters: Sequence[ABIEntry], values: Sequence[Any]) -> tuple[Any, ...]:
    """Decoded values with every address an ``Address`` (eth-abi gives lowercase hex strings)."""
    return tuple(
        _python_value(item["type"], item, value) for item, value in zip(parameters, values, strict=True)
    )


def _python_value(kind: str, parameter: ABIEntry, value: Any) -> Any:
    if kind.endswith("]"):
        return [_python_value(kind[: kind.rindex("[")], parameter, item) for item in value]
    if kind == "tuple":
        return _python_values(parameter["components"], value)
    return Address(value) if kind == "address" else value


def _signature(entry: ABIEntry) -> str:
    return f"{entry['name']}({','.join(_types(entry['inputs']))})"


def _types(parameters: Iterable[ABIEntry]) -> list[str]:
    return [_type(parameter) for parameter in parameters]


def _type(parameter: ABIEntry) -> str:
    """The canonical type of an ABI parameter; a tuple spells out its components."""
    kind: str = parameter["type"]
    if kind.startswith("tuple"):
        return f"({','.join(_types(parameter['components']))}){kind.removeprefix('tuple')}"
    return kind
