"""The ``faultproof`` command as the CLI tests run it: a real process, its exit status, its one error line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FAULTPROOF = Path(sys.executable).parent / "faultproof"


def faultproof(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(FAULTPROOF), *args], cwd=cwd, capture_output=True, timeout=300)


def ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    result = faultproof(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr.decode()
    return result


def assert_one_line_error(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    """Exit status 2 and exactly one line ``error: …`` on stderr, holding every fragment; no traceback."""
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def assert_no_new_files(folder: Path, before: set[str]) -> None:
    """Nothing was created, not even a partly written file."""
    assert {p.name for p in folder.iterdir()} == before
