"""Shared fixtures: the real Go guests, built once per test run; fresh alphabet game systems."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from faultproof.game.configs import MINIMAL, UNIT
from faultproof.onchain.games import GameSystem
from faultproof.programs import build_programs
from faultproof.vm.mips32.vm import MipsVM
from faultproof.vm.riscv64.vm import RiscvVM
from game_chain import alphabet_system

REPOSITORY = Path(__file__).resolve().parent.parent
GUEST_BUILDS = REPOSITORY / "build" / "programs"

# Example counts stay as each test sets them; only the per-example deadline goes, because a
# loaded 2-core CI machine makes single examples slow without anything being wrong.
settings.register_profile("faultproof", deadline=None)
settings.load_profile("faultproof")


@pytest.fixture(scope="session")
def mips_elves() -> dict[str, Path]:
    """The guest programs built for MIPS32 (reused across runs while the sources are unchanged)."""
    return build_programs(MipsVM.kind, MipsVM.go_env, GUEST_BUILDS)


@pytest.fixture(scope="session")
def riscv_elves() -> dict[str, Path]:
    """The guest programs built for RV64 (reused across runs while the sources are unchanged)."""
    return build_programs(RiscvVM.kind, RiscvVM.go_env, GUEST_BUILDS)


@pytest.fixture
def unit_system() -> GameSystem:
    """An alphabet game system of the UNIT shape (MAX 8, SPLIT 4) on a fresh embedded chain."""
    return alphabet_system(UNIT)


@pytest.fixture
def minimal_system() -> GameSystem:
    """An alphabet game system of the MINIMAL shape (MAX 4, SPLIT 2) on a fresh embedded chain."""
    return alphabet_system(MINIMAL)
