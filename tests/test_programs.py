"""The guest builds: reproducible, and independent of the repository they are built in."""

from __future__ import annotations

from pathlib import Path

from faultproof.programs import _build_env, build_programs
from faultproof.vm.mips32.vm import MipsVM


def test_guest_elves_carry_no_repository_state(mips_elves: dict[str, Path]) -> None:
    """Go would embed the commit and dirty flag of the checkout, making the prestate depend on them."""
    for elf in mips_elves.values():
        data = elf.read_bytes()
        assert b"vcs.revision" not in data and b"vcs.modified" not in data, elf


def test_a_fresh_build_equals_the_cached_one(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    fresh = build_programs(MipsVM.kind, MipsVM.go_env, tmp_path, names=("hello",))
    assert fresh["hello"].read_bytes() == mips_elves["hello"].read_bytes()


def test_a_build_whose_stamp_differs_is_redone(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    """The cache is keyed by content: an ELF whose stamp does not match its sources is rebuilt."""
    built = build_programs(MipsVM.kind, MipsVM.go_env, tmp_path, names=("hello",))["hello"]
    stamp = built.with_name(built.name + ".sources")
    built.write_bytes(b"stale")
    assert (
        build_programs(MipsVM.kind, MipsVM.go_env, tmp_path, names=("hello",))["hello"].read_bytes()
        == b"stale"
    )
    stamp.write_text("another fingerprint\n")
    rebuilt = build_programs(MipsVM.kind, MipsVM.go_env, tmp_path, names=("hello",))["hello"]
    assert rebuilt.read_bytes() == mips_elves["hello"].read_bytes()


def test_a_targets_goflags_add_to_the_hermetic_ones() -> None:
    """riscv64 passes -d=softfloat through GOFLAGS; the offline -mod=mod must survive it."""
    assert _build_env({})["GOFLAGS"] == "-mod=mod"
    softfloat = "-gcflags=all=-d=softfloat"
    assert _build_env({"GOFLAGS": softfloat})["GOFLAGS"] == f"-mod=mod {softfloat}"
