"""A JSON-RPC 2.0 client over HTTP, for everything that talks to an Ethereum node.

The preimage host's chain source and the chain layer's ``JsonRpcChain`` both use it; each names
the error its callers expect (``PreimageError``, ``ChainError``), and every failure becomes that
error with one line naming the method and the node. The standard library's HTTP client is enough
for one request at a time, so no HTTP library is added for it.
"""

from __future__ import annotations

import http.client
import itertools
import json
import urllib.request
from typing import Any

from faultproof.errors import FaultproofError


class JsonRpcClient:
    """Requests to the node at ``url``, raising ``error`` when the node cannot answer."""

    def __init__(self, url: str, error: type[FaultproofError], timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self.error = error
        self._ids = itertools.count(1)

    def call(self, method: str, *params: Any) -> Any:
        """The result of one request; a JSON-RPC error object raises ``error`` with its message."""
        reply = self.reply(method, *params)
        error = reply.get("error")
        if error is not None:
            message = error.get("message", error) if isinstance(error, dict) else error
            raise self.error(f"JSON-RPC {method} to {self.url}: {message}")
        return reply.get("result")

    def reply(self, method: str, *params: Any) -> dict[str, Any]:
        """The whole reply object, error included, for callers that read an error's ``data``."""
        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        try:
            request = urllib.request.Request(
                self.url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.load(response)
        except (OSError, ValueError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise self.error(f"JSON-RPC {method} to {self.url} failed: {reason}") from error
        if not isinstance(reply, dict):
            raise self.error(f"JSON-RPC {method} to {self.url}: malformed reply")
        return reply
