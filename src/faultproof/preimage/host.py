"""The preimage host: local inputs, a verified store, and hint routing behind one ``PreimageHost``.

``OracleHost`` is what a VM (in process) or the host process (``faultproof host``, over the wire
protocol) asks for preimages (spec: preimage-oracle.md §2.1, §4, §5):

* a local key is served from the inputs of the one dispute the host was started for, un-localized;
* a global key is served from the store, which hint handlers fill and which verifies every value
  before keeping it (``verify.check_preimage``);
* a hint goes to the ``HintRouter``; what it cannot handle is reported, never raised, because the
  wire protocol acknowledges every hint (§5.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from faultproof.errors import InvalidPreimageKey, PreimageNotFound
from faultproof.preimage.hints import HintRouter, UnhandledHint
from faultproof.preimage.keys import KeyType, describe_key, key_type
from faultproof.preimage.store import MemoryStore, PreimageStore


class OracleHost:
    """A ``PreimageHost`` over a store, the local inputs of one dispute, and a hint router.

    ``local_inputs`` maps un-localized local keys (``keys.local_key(i)``) to their values.
    ``on_unknown_hint`` is called with every hint that stored nothing (an unknown type, or a
    handler that raised), beside the router's own ``on_unknown``. With ``record_hints`` every hint
    received is kept in ``hints``, in order (for tests and debugging: a long run sends many).
    """

    def __init__(
        self,
        store: PreimageStore,
        router: HintRouter | None = None,
        local_inputs: Mapping[bytes, bytes] | None = None,
        on_unknown_hint: Callable[[UnhandledHint], None] | None = None,
        record_hints: bool = False,
    ) -> None:
        self.store = store
        self.router = router if router is not None else HintRouter()
        self.local_inputs: dict[bytes, bytes] = {}
        self.on_unknown_hint = on_unknown_hint
        self.record_hints = record_hints
        self.hints: list[bytes] = []
        for key, value in (local_inputs or {}).items():
            if key_type(key) != KeyType.LOCAL:
                raise InvalidPreimageKey(f"local inputs are local keys; {describe_key(key)} is not")
            self.local_inputs[key] = value

    @classmethod
    def in_memory(
        cls,
        preimages: Mapping[bytes, bytes] | None = None,
        router: HintRouter | None = None,
        on_unknown_hint: Callable[[UnhandledHint], None] | None = None,
        record_hints: bool = False,
    ) -> OracleHost:
        """A host over a ``MemoryStore``: local keys of ``preimages`` become the local inputs, the
        others are stored, each verified (so only keys checkable without evidence: keccak256, SHA-256).
        """
        store = MemoryStore()
        local_inputs = {}
        for key, value in (preimages or {}).items():
            if key_type(key) == KeyType.LOCAL:
                local_inputs[key] = value
            else:
                store.put(key, value)
        return cls(store, router, local_inputs, on_unknown_hint, record_hints)

    def get_preimage(self, key: bytes) -> bytes:
        """The preimage of an un-localized key; raises ``PreimageNotFound`` (or ``InvalidPreimageKey``)."""
        if key_type(key) == KeyType.LOCAL:
            local = self.local_inputs.get(key)
            if local is not None:
                return local
        value = self.store.get(key)
        if value is None:
            raise PreimageNotFound(key)
        return value

    def hint(self, hint: bytes) -> None:
        """Route a hint into the store; never raises for a hint that could not be handled."""
        if self.record_hints:
            self.hints.append(hint)
        unhandled = self.router.route(hint, self.store)
        if unhandled is not None and self.on_unknown_hint is not None:
            self.on_unknown_hint(unhandled)
