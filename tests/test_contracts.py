"""Compiling Vyper contracts: artifacts, the on-disk cache and its keys, settings, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vyper

import faultproof.contracts as contracts
from faultproof.chain import EmbeddedChain
from faultproof.contracts import CompiledContract, CompilerSettings, cache_dir, compile_contract, compile_file
from faultproof.errors import ContractBuildError

PROBE = Path(__file__).parent / "contracts" / "Probe.vy"

LIBRARY = """
@internal
@pure
def double(x: uint256) -> uint256:
    return 2 * x
"""

USER = """
import library

@external
@pure
def twice(x: uint256) -> uint256:
    return library.double(x)
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache of its own."""
    monkeypatch.setenv("FAULTPROOF_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "contracts"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "library.vy").write_text(LIBRARY)
    (folder / "User.vy").write_text(USER)
    return folder


def forbid_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_nothing(*args: object) -> CompiledContract:
        raise AssertionError("compiled although the artifact is cached")

    monkeypatch.setattr(contracts, "_compile", compile_nothing)


def test_an_artifact_has_what_deployment_needs(cache: Path) -> None:
    compiled = compile_file(PROBE)
    assert compiled.name == "Probe"
    assert {entry.get("name") for entry in compiled.abi} >= {"store", "stored", "Stored"}
    assert compiled.runtime_bytecode and compiled.runtime_bytecode in compiled.bytecode
    assert compiled.settings == CompilerSettings()
    probe = EmbeddedChain().deploy(compiled, 3)
    assert probe.stored() == 3


def test_artifacts_are_cached_by_source_compiler_settings_and_imports(
    cache: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = sources / "User.vy"
    first = compile_file(user)
    (artifact,) = cache.iterdir()
    assert artifact.name.startswith("User-")
    assert json.loads(artifact.read_text())["bytecode"] == first.bytecode.hex()

    with monkeypatch.context() as patch:
        forbid_compiling(patch)
        assert compile_file(user) == first

    codesize = compile_file(user, CompilerSettings(optimize="codesize"))
    assert len(list(cache.iterdir())) == 2 and codesize.settings.optimize == "codesize"

    (sources / "Other.vy").write_text(USER)  # a contract beside it, which it does not import
    with monkeypatch.context() as patch:
        forbid_compiling(patch)
        assert compile_file(user) == first

    (sources / "library.vy").write_text(LIBRARY.replace("2 * x", "3 * x"))  # a module it imports
    changed = compile_file(user)
    assert changed.bytecode != first.bytecode
    assert len(list(cache.iterdir())) == 2  # the artifact of the same source is replaced
    chain = EmbeddedChain()
    assert chain.deploy(changed).twice(5) == 15
    assert chain.deploy(first).twice(5) == 10


def test_the_compiler_version_is_part_of_the_key(
    cache: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_file(sources / "User.vy")
    monkeypatch.setattr(vyper, "__version__", "0.0.0-other")
    compile_file(sources / "User.vy")
    assert len(list(cache.iterdir())) == 2


def test_a_damaged_artifact_is_compiled_again(cache: Path, sources: Path) -> None:
    first = compile_file(sources / "User.vy")
    (artifact,) = cache.iterdir()
    artifact.write_text("{not json")
    assert compile_file(sources / "User.vy") == first
    assert json.loads(artifact.read_text())["runtime_bytecode"] == first.runtime_bytecode.hex()


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FAULTPROOF_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "faultproof" / "contracts"
    monkeypatch.setenv("FAULTPROOF_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine" / "contracts"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(:\n", r":2:0: SyntaxException: EOF in multi-line statement$"),
        (
            "@external\ndef f(value: uint256):\n    pass\n\n@external\ndef g(value: uint256):\n    pass\n",
            r":\d+:\d+: ArgumentException: Cannot use 'value' as a variable name in a function input "
            r"\(and 1 more\)$",
        ),
        ("@external\ndef f() -> uint256:\n    return missing\n", r":3:\d+: \w+: .*missing"),
    ],
)
def test_compiler_errors_are_one_line(cache: Path, tmp_path: Path, source: str, message: str) -> None:
    path = tmp_path / "Broken.vy"
    path.write_text(source)
    with pytest.raises(ContractBuildError, match=f"^{path}{message}") as raised:
        compile_file(path)
    assert "\n" not in str(raised.value)


def test_missing_sources_and_bad_settings(cache: Path) -> None:
    with pytest.raises(ContractBuildError, match=r"^cannot read contract source .*Absent\.vy: No such file"):
        compile_contract("Absent")
    with pytest.raises(ContractBuildError, match=r"Probe\.vy: cannot compile: .*byzantium"):
        compile_file(PROBE, CompilerSettings(evm_version="byzantium"))
