"""The registry of fault proof VM kinds: the one place that knows which ISAs exist.

Everything above the VMs (CLI, runner, trace providers) picks a VM here, by name or by asking each
kind whether it recognizes a state file, and then talks only to ``FaultProofVM``. Adding an ISA is
one line in ``_VM_CLASSES``.

The VM modules are imported on first use, not with this package: ``faultproof.preimage.parts``
imports ``faultproof.vm.interface`` (and so this package), and the VM modules import
``faultproof.preimage.parts``, so importing a VM module here would be circular.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import cast

from faultproof.errors import StateFormatError, UsageError
from faultproof.vm.interface import FaultProofVM

# name -> (module, class): the VM kinds, in the order state files are offered to them.
_VM_CLASSES: dict[str, tuple[str, str]] = {
    "mips32": ("faultproof.vm.mips32.vm", "MipsVM"),
    "riscv64": ("faultproof.vm.riscv64.vm", "RiscvVM"),
}

VM_NAMES: tuple[str, ...] = tuple(_VM_CLASSES)
"""The names of the VM kinds, known without importing any VM (e.g. for ``--vm`` choices)."""


def vm_class(name: str) -> type[FaultProofVM]:
    """The VM class registered under ``name``; ``UsageError`` for an unknown name."""
    try:
        module_name, class_name = _VM_CLASSES[name]
    except KeyError:
        raise UsageError(f"unknown VM {name!r} (known: {', '.join(VM_NAMES)})") from None
    return cast(type[FaultProofVM], getattr(importlib.import_module(module_name), class_name))


def vm_kinds() -> dict[str, type[FaultProofVM]]:
    """Every registered VM class by name."""
    return {name: vm_class(name) for name in VM_NAMES}


def __getattr__(name: str) -> dict[str, type[FaultProofVM]]:
    """``VM_KINDS``, built on first access so importing this package stays free of cycles."""
    if name == "VM_KINDS":
        return vm_kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_state(path: Path, kind: str | None = None) -> FaultProofVM:
    """A VM holding the state stored at ``path``, of kind ``kind`` or of the kind that recognizes it.

    When no kind recognizes the file, each kind's reader is tried in turn, so a damaged file still
    gets the precise complaint of the reader it was meant for (with one kind registered, exactly
    that reader's error).
    """
    path = Path(path)
    if kind is not None:
        return vm_class(kind).read_state(path)
    classes = list(vm_kinds().values())
    for cls in classes:
        if cls.recognizes_state(path):
            return cls.read_state(path)
    errors: list[tuple[str, StateFormatError]] = []
    for cls in classes:
        try:
            return cls.read_state(path)
        except StateFormatError as error:
            errors.append((cls.kind, error))
    if len(errors) == 1:
        raise errors[0][1]
    reasons = "; ".join(f"as {kind_name}: {error}" for kind_name, error in errors)
    raise StateFormatError(f"state file {path} is not a state of any known VM ({reasons})")


__all__ = ["VM_NAMES", "read_state", "vm_class", "vm_kinds"]
