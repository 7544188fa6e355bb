"""The outside world as an onchain step verifier sees it, shared by every stateless verifier.

Onchain there is no stdout and no hint channel, and preimage parts come from the oracle contract,
where local keys are stored localized with the caller and its local context (preimage-oracle.md
§2.1). The VM's state keeps the raw key; the verifier localizes it only to look the part up.
"""

from __future__ import annotations

from faultproof.errors import PreimagePartUnavailable
from faultproof.preimage.keys import KeyType, localize
from faultproof.vm.interface import PreimagePartSource


class OnchainIO:
    """``StepIO`` of a stateless verifier: localized preimage parts, and no output at all.

    ``unavailable_code`` is the revert code the VM's contract gives when the oracle has no part.
    """

    def __init__(
        self,
        parts: PreimagePartSource,
        local_context: bytes,
        caller: bytes,
        unavailable_code: int | None = None,
    ) -> None:
        self.parts = parts
        self.local_context = local_context
        self.caller = caller
        self.unavailable_code = unavailable_code

    def preimage_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        if key[0] == KeyType.LOCAL:
            key = localize(key, self.local_context, self.caller)
        try:
            return self.parts.read_part(key, offset)
        except PreimagePartUnavailable as error:
            if self.unavailable_code is None:
                raise
            raise PreimagePartUnavailable(str(error), self.unavailable_code) from error

    def output(self, fd: int, address: int, count: int) -> None:
        pass


__all__ = ["OnchainIO"]
