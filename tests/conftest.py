"""Shared fixtures: the real Go guests, built once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from faultproof.programs import build_programs
from faultproof.vm.mips32.vm import MipsVM

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mips_elves() -> dict[str, Path]:
    """The guest programs built for MIPS32 (reused across runs while the sources are unchanged)."""
    return build_programs(MipsVM.kind, MipsVM.go_env, REPOSITORY / "build" / "programs")
