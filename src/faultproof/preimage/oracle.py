"""What a VM needs from the outside world: preimages by key and somewhere to send hints.

The VM talks to one ``PreimageHost``. In-process hosts implement it directly (``host.OracleHost``);
a host in another process is reached through the wire protocol behind the same interface.
"""

from __future__ import annotations

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
