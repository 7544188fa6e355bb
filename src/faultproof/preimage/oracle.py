"""What a VM needs from the outside world: preimages by key and somewhere to send hints.

The VM talks to one ``PreimageHost``. In-process hosts implement it directly; a host in another
process is reached through the wire protocol behind the same interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from faultproof.errors import PreimageNotFound


class PreimageHost(Protocol):
    """The host side of the preimage oracle, as the VM sees it."""

    def get_preimage(self, key: bytes) -> bytes:
        """The preimage of an (un-localized) key; raises ``PreimageNotFound``."""
        ...

    def hint(self, hint: bytes) -> None:
        """Tell the host which data the program will ask for next."""
        ...


class NoHost:
    """The host of a run without one: hints are dropped and every preimage read is fatal."""

    def get_preimage(self, key: bytes) -> bytes:
        raise PreimageNotFound(key)

    def hint(self, hint: bytes) -> None:
        pass


HintHandler = Callable[[bytes, "KeyValueHost"], None]


class KeyValueHost:
    """An in-process host serving preimages from a dictionary that hint handlers can fill.

    ``hint_handlers`` maps the first word of a hint (its type, e.g. ``fetch-state``) to a function
    that receives the hint's argument bytes and this host; hints of other types are recorded in
    ``unhandled_hints`` so a test can see them rather than have them vanish.
    """

    def __init__(
        self,
        preimages: Mapping[bytes, bytes] | None = None,
        hint_handlers: Mapping[str, HintHandler] | None = None,
    ) -> None:
        self.preimages: dict[bytes, bytes] = dict(preimages or {})
        self.hint_handlers: dict[str, HintHandler] = dict(hint_handlers or {})
        self.hints: list[bytes] = []
        self.unhandled_hints: list[bytes] = []

    def add(self, key: bytes, value: bytes) -> None:
        """Make ``value`` available under ``key``."""
        self.preimages[key] = value

    def get_preimage(self, key: bytes) -> bytes:
        value = self.preimages.get(key)
        if value is None:
            raise PreimageNotFound(key)
        return value

    def hint(self, hint: bytes) -> None:
        self.hints.append(hint)
        kind, _, argument = hint.partition(b" ")
        handler = self.hint_handlers.get(kind.decode(errors="replace"))
        if handler is None:
            self.unhandled_hints.append(hint)
        else:
            handler(argument, self)
