"""anvil, the JSON-RPC node the tests run: found, started on a free loopback port, stopped.

anvil comes from the npm registry (``scripts/setup`` installs it into ``node_modules``); without
it the tests that need it fail and say how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
ANVIL_NPM = "npm install --prefix . --no-save --no-package-lock --no-audit --no-fund @foundry-rs/anvil@1.7.1"
START_TIMEOUT = 30.0  # seconds


def anvil_binary() -> str:
    """anvil from FAULTPROOF_ANVIL, the repository's node_modules (see ANVIL_NPM), or the PATH."""
    configured = os.environ.get("FAULTPROOF_ANVIL")
    if configured:
        if not os.access(configured, os.X_OK):
            pytest.fail(f"FAULTPROOF_ANVIL={configured} is not an executable anvil")
        return configured
    for candidate in sorted(REPOSITORY.glob("node_modules/@foundry-rs/anvil-*/bin/anvil")):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("anvil")
    if found:
        return found
    pytest.fail(f"anvil is not installed: run `{ANVIL_NPM}` in {REPOSITORY} (or set FAULTPROOF_ANVIL)")


@dataclass
class Anvil:
    url: str
    fork: str
    process: subprocess.Popen[bytes]

    def call(self, method: str, *params: Any) -> Any:
        """One request, for test set-up: a JSON-RPC error fails the test."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.load(response)
        assert "error" not in reply, reply
        return reply["result"]


@contextmanager
def running_anvil(fork: str, log: Path, *options: str) -> Iterator[Anvil]:
    """anvil with ``--hardfork fork`` on a port the system picks, logging to ``log``; stopped after."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [anvil_binary(), "--host", "127.0.0.1", "--port", "0", "--hardfork", fork, *options],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Anvil(_listening_url(process, log, fork), fork, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening_url(process: subprocess.Popen[bytes], log: Path, fork: str) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Listening on "):
                return f"http://{line.removeprefix('Listening on ').strip()}"
        if process.poll() is not None:
            break
        time.sleep(0.05)
    pytest.fail(f"anvil --hardfork {fork} did not start:\n{log.read_text(errors='replace')[-2000:]}")
