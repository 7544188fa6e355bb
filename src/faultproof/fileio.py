"""Writing the files the CLI produces so that no crash or interrupt leaves a half-written one.

States, proofs and metadata are consumed by other tools (and by the dispute game), where a truncated
file is worse than a missing one. Every file is therefore written under a temporary name in the
target's folder, flushed to disk, and renamed over the target in one ``os.replace``: readers see
either the old file or the complete new one. The name ``-`` means standard output.

Reading the one file every command shares, the symbol metadata, lives here too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from pathlib import Path

from faultproof.errors import OutputError, StateFormatError
from faultproof.metadata import Metadata
from faultproof.vm.interface import FaultProofVM

STDOUT = "-"
# Writable by whoever may write the folder, as for any new file: the umask still applies.
NEW_FILE_MODE = 0o666


def write_atomic(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, or write ``data`` to stdout when ``path`` is ``-``.

    Raises ``OutputError`` naming the file when it cannot be written (missing folder, permissions,
    full disk); the target is then left as it was.
    """
    if str(path) == STDOUT:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort, as some file systems refuse to sync a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_text_atomic(path: str | Path, text: str) -> None:
    """``write_atomic`` for a UTF-8 text document."""
    write_atomic(path, text.encode())


def write_state(vm: FaultProofVM, path: str | Path) -> None:
    """Write the VM's state in the format ``path``'s name selects (JSON for ``-``)."""
    write_atomic(path, vm.state_file_bytes(Path(path)))


def read_metadata(path: str | Path) -> Metadata:
    """The symbol metadata written by ``load-elf``; ``StateFormatError`` naming the file if unusable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise StateFormatError(f"metadata file {path}: cannot read: {reason}") from error
    try:
        return Metadata.from_json(text)
    except StateFormatError as error:
        raise StateFormatError(f"metadata file {path}: {error}") from error


__all__ = ["STDOUT", "read_metadata", "write_atomic", "write_state", "write_text_atomic"]
