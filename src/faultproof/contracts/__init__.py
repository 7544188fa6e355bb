"""Compile the project's Vyper contracts (and any other Vyper source) into deployable artifacts.

The contracts live beside this module as ``<Name>.vy``; ``compile_contract("PreimageOracle")``
compiles one of them, ``compile_file(path)`` any file; a contract may import Vyper modules from
its own folder (``import PreimageKeyLib``). Vyper comes from PyPI at the version
``pyproject.toml`` pins, and runs in-process (a small contract compiles in about 50 ms).

Artifacts are cached on disk, so a test session compiles each contract once. An artifact is
found by the SHA-256 of the source, the compiler version and the settings, and records the
SHA-256 of every module the compiler imported: it is used only while each still matches, so a
changed module is never served stale and a change to one contract leaves the others cached. The
cache lives under ``$FAULTPROOF_CACHE`` (else ``$XDG_CACHE_HOME/faultproof``, else
``~/.cache/faultproof``) in ``contracts/``; each artifact is written under a temporary name and
renamed, so concurrent test workers never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from faultproof.errors import ContractBuildError, OutputError

CONTRACTS_DIR = Path(__file__).resolve().parent
"""Where the project's contract sources are: ``<Name>.vy`` beside this module."""

# How Vyper's error text names an error of a list, and where it points: "line 41:17".
AGGREGATED_ERROR = re.compile(r"^(\w+): (.+)$", re.MULTILINE)
SOURCE_POSITION = re.compile(r"line (\d+):(\d+)")

Optimize = Literal["gas", "codesize", "none"]


@dataclass(frozen=True)
class CompilerSettings:
    """What the compiler is told besides the source.

    ``optimize`` trades gas for code size (``"codesize"`` keeps a big step verifier under the
    24 KiB limit of EIP-170 if ``"gas"`` does not). ``evm_version`` None means Vyper's default
    (``prague`` for 0.4.3), the fork the embedded chain runs. ``experimental_codegen`` selects
    Vyper's Venom pipeline, which often spends less gas.
    """

    optimize: Optimize = "gas"
    evm_version: str | None = None
    experimental_codegen: bool = False


@dataclass(frozen=True)
class CompiledContract:
    """A compiled contract: what ``Chain.deploy`` needs, and what a contract handle reads."""

    name: str
    abi: list[dict[str, Any]] = field(repr=False)
    bytecode: bytes = field(repr=False)  # the deployment (init) code; constructor arguments follow it
    runtime_bytecode: bytes = field(repr=False)  # the code the chain stores at the address
    settings: CompilerSettings = CompilerSettings()


def compile_contract(name: str, settings: CompilerSettings | None = None) -> CompiledContract:
    """Compile the project contract ``<name>.vy`` from ``faultproof/contracts/``."""
    return compile_file(CONTRACTS_DIR / f"{name}.vy", settings)


def compile_file(path: str | Path, settings: CompilerSettings | None = None) -> CompiledContract:
    """Compile a Vyper file (cached); it may import modules from its own folder.

    Raises ``ContractBuildError`` with one line naming the file (and line) when the file cannot be
    read or does not compile.
    """
    import vyper

    path = Path(path)
    settings = settings or CompilerSettings()
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ContractBuildError(f"cannot read contract source {path}: {_os_reason(error)}") from error
    key = json.dumps({"vyper": vyper.__version__, "settings": asdict(settings)}, sort_keys=True)
    digest = hashlib.sha256(key.encode() + b"\0" + source.encode()).hexdigest()
    artifact = cache_dir() / f"{path.stem}-{digest[:24]}.json"
    cached = _load_artifact(artifact, path.stem, settings)
    if cached is not None:
        return cached
    compiled, imports = _compile(path, source, settings)
    _store_artifact(artifact, compiled, imports)
    return compiled


def cache_dir() -> Path:
    """The folder of cached artifacts (see the module docstring)."""
    root = os.environ.get("FAULTPROOF_CACHE")
    if not root:
        root = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faultproof")
    return Path(root) / "contracts"


def _compile(path: Path, source: str, settings: CompilerSettings) -> tuple[CompiledContract, dict[str, str]]:
    """The compiled contract and the SHA-256 of each module file it imported, by path."""
    from vyper.compiler import outputs_from_compiler_data
    from vyper.compiler.input_bundle import FileInput, FilesystemInputBundle
    from vyper.compiler.phases import CompilerData
    from vyper.compiler.settings import OptimizationLevel, Settings
    from vyper.exceptions import VyperException

    folder = path.resolve().parent
    try:
        data = CompilerData(
            FileInput(source_id=-1, contents=source, path=Path(path.name), resolved_path=path.resolve()),
            FilesystemInputBundle([folder]),
            settings=Settings(
                optimize=OptimizationLevel.from_string(settings.optimize),
                evm_version=settings.evm_version,
                experimental_codegen=settings.experimental_codegen,
            ),
        )
        output = outputs_from_compiler_data(data, ["abi", "bytecode", "bytecode_runtime"])
        modules = [Path(module.resolved_path) for module in data.resolved_imports.compiler_inputs]
    except VyperException as error:
        raise ContractBuildError(f"{path}{_describe(error)}") from error
    except Exception as error:  # vyper reports bad settings (an unknown EVM version) as plain errors
        raise ContractBuildError(f"{path}: cannot compile: {type(error).__name__}: {error}") from error
    compiled = CompiledContract(
        name=path.stem,
        abi=output["abi"],
        bytecode=bytes.fromhex(output["bytecode"].removeprefix("0x")),
        runtime_bytecode=bytes.fromhex(output["bytecode_runtime"].removeprefix("0x")),
        settings=settings,
    )
    return compiled, {str(module): _file_digest(module) for module in modules if module.is_file()}


def _describe(error: Exception) -> str:
    """``:line:column: Kind: message`` of the first error Vyper reports, on one line.

    Vyper formats an error over several lines with the source around it, and gathers the errors of
    one analysis pass into one exception whose text lists them all; the first is what to fix first.
    """
    text = str(error)
    kind, message = type(error).__name__, text.splitlines()[0] if text else ""
    listed = AGGREGATED_ERROR.findall(text) if text.startswith("Compilation failed") else []
    if listed:
        kind, message = listed[0]
    position = SOURCE_POSITION.search(text)
    where = f":{position[1]}:{position[2]}" if position else ""
    more = f" (and {len(listed) - 1} more)" if len(listed) > 1 else ""
    return f"{where}: {kind}: {message.strip()}{more}"


def _load_artifact(artifact: Path, name: str, settings: CompilerSettings) -> CompiledContract | None:
    """The cached contract, unless absent, unreadable, or a module it imported has changed since."""
    try:
        stored = json.loads(artifact.read_text())
        if any(_file_digest(Path(module)) != digest for module, digest in stored["imports"].items()):
            return None
        return CompiledContract(
            name=name,
            abi=stored["abi"],
            bytecode=bytes.fromhex(stored["bytecode"]),
            runtime_bytecode=bytes.fromhex(stored["runtime_bytecode"]),
            settings=settings,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # compile again and replace it


def _store_artifact(artifact: Path, compiled: CompiledContract, imports: dict[str, str]) -> None:
    from faultproof.fileio import write_atomic

    record = {
        "abi": compiled.abi,
        "bytecode": compiled.bytecode.hex(),
        "runtime_bytecode": compiled.runtime_bytecode.hex(),
        "imports": imports,
    }
    try:
        artifact.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(artifact, json.dumps(record, sort_keys=True).encode())
    except (OSError, OutputError):
        pass  # a read-only cache only costs a compilation next time


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _os_reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
