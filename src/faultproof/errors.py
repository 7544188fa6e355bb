"""One hierarchy of typed exceptions for everything the library can refuse.

Library code raises these and never prints; the CLI turns any ``FaultproofError`` into one line on
stderr and exit status 2. Exceptions that are not ``FaultproofError`` are bugs and keep their
traceback.
"""


class FaultproofError(Exception):
    """Base of every error a user can cause with bad input or a bad claim."""


# -- input files --------------------------------------------------------------------------------


class ElfError(FaultproofError):
    """The program file is not an ELF the VM can load (wrong machine, truncated, overlapping)."""


class StateFormatError(FaultproofError):
    """A state, proof or metadata file is truncated, malformed or of an unknown version."""


class UsageError(FaultproofError):
    """A command-line argument is malformed (e.g. a step pattern)."""


class OutputError(FaultproofError):
    """A result file cannot be written (missing folder, permissions, full disk)."""


class GuestBuildError(FaultproofError):
    """The Go guest programs could not be built."""


# -- preimages ----------------------------------------------------------------------------------


class PreimageError(FaultproofError):
    """The preimage oracle could not serve a request."""


class InvalidPreimageKey(PreimageError):
    """A key that no preimage can have: not 32 bytes, type 0, or arguments out of range."""


class PreimageNotFound(PreimageError):
    """No preimage is known for a key; the message names the key and its type."""

    def __init__(self, key: bytes) -> None:
        from faultproof.preimage.keys import describe_key

        self.key = key
        super().__init__(f"missing preimage for {describe_key(key)}")


# -- step failures ------------------------------------------------------------------------------


class StepFailure(FaultproofError):
    """The state transition has no valid post-state: the onchain verifier reverts here.

    A stateful VM raises it instead of producing a post-state, and leaves its state as it was
    before the step, so a caller can still write or inspect the pre-state. ``code`` is the 32-byte
    revert code where the VM's contract reverts with one (riscv64.md Appendix A), else None.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        self.code = code
        super().__init__(message if code is None else f"{message} (revert code 0x{code:x})")


class InvalidExitedValue(StepFailure):
    """The witness's ``exited`` byte is neither 0 nor 1."""


class InvalidMemoryProof(StepFailure):
    """A memory proof does not lead to the state's memory root, or the address is unaligned."""


class InvalidInstruction(StepFailure):
    """The instruction word is not one the VM defines."""


class BranchInDelaySlot(StepFailure):
    """A branch was executed in the delay slot of another control transfer."""


class JumpInDelaySlot(StepFailure):
    """A jump was executed in the delay slot of another control transfer."""


class DivisionByZero(StepFailure):
    """``div``/``divu`` with a zero divisor, which the VM cannot prove."""


class MisalignedAddress(StepFailure):
    """A jump target, atomic address or instruction fetch that the VM requires to be aligned is not."""


class UnsupportedSyscall(StepFailure):
    """A syscall (or syscall argument) the VM refuses rather than emulates."""


class PreimagePartUnavailable(StepFailure):
    """A preimage read at an offset for which no part exists (missing key or past the end)."""


class InvalidWitness(StepFailure):
    """The calldata handed to the stateless verifier does not have the canonical layout."""


# -- runs ---------------------------------------------------------------------------------------


class ExecutionError(FaultproofError):
    """A run stopped because a step failed; names where, so the program can be debugged."""

    def __init__(
        self, step: int, pc: int, insn: int | None, symbol: str | None, cause: Exception, pc_digits: int = 8
    ) -> None:
        self.step = step
        self.pc = pc
        self.insn = insn
        self.symbol = symbol
        self.cause = cause
        word = "unreadable" if insn is None else f"0x{insn:08x}"
        where = f" in {symbol}" if symbol else ""
        super().__init__(f"step {step}: pc 0x{pc:0{pc_digits}x}{where}, instruction {word}: {cause}")


class TrapReached(FaultproofError):
    """Execution reached a pc the caller marked as a trap (e.g. ``runtime.notesleep``)."""


class HostError(PreimageError):
    """The host at the far end of the pipes failed, went away or broke the wire protocol."""


class HostTimeout(HostError):
    """The host did not answer a request within the timeout."""


class HostClosed(HostError):
    """The host closed its end of a stream (usually because it exited) before answering."""


class MalformedResponse(HostError):
    """The host sent bytes that are not a valid answer to the request."""


class MalformedRequest(PreimageError):
    """A client closed a stream in the middle of a request frame."""


class StoreError(PreimageError):
    """A preimage store cannot be opened, read or written (not a store, read-only, closed, I/O)."""


class StoreCorrupted(StoreError):
    """A stored record fails its integrity check or the file is malformed; nothing is served from it."""


class PreimageRejected(PreimageError):
    """A value offered for a key does not belong to it, so it is never stored or served."""


class PreimageUploadError(PreimageError):
    """A preimage part a step reads cannot be put on chain: its key type has no onchain loader, the
    value is too large for its loader, or the proof's value does not belong to its key."""


class EvidenceNotFound(PreimageUploadError):
    """A blob or precompile key's loader needs arguments (commitment, KZG proof, precompile input)
    that neither the caller nor a preimage store supplies."""


# -- contracts and chains -----------------------------------------------------------------------


class ContractBuildError(FaultproofError):
    """A Vyper contract cannot be compiled: missing source, a compiler error, or a bad setting."""


class ChainError(FaultproofError):
    """A chain cannot be reached, or refused a request (dead node, wrong URL, unknown block)."""


class NoCodeError(ChainError):
    """A call or transaction is sent to an address that holds no contract code."""


class ExecutionReverted(ChainError):
    """A call or transaction reverted.

    ``data`` is the revert data as the contract returned it; ``reason`` is its decoding when it is
    ``Error(string)``, ``Panic(uint256)`` or a custom error the chain knows (``"PartOffsetOOB()"``),
    else None. ``receipt`` is the mined transaction's receipt (status 0); None for a call.
    """

    def __init__(self, data: bytes, reason: str | None, receipt: object = None) -> None:
        self.data = data
        self.reason = reason
        self.receipt = receipt
        if reason is not None:
            detail = reason
        elif data:
            detail = f"revert data 0x{data.hex()}"
        else:
            detail = "no revert data"
        super().__init__(f"execution reverted: {detail}")


# -- agents -------------------------------------------------------------------------------------


class AgentError(FaultproofError):
    """An agent cannot go on: its store is unusable, or a run cannot make progress."""


class AgentStoreError(AgentError):
    """An agent's store cannot be opened or written, or belongs to another chain or account."""


class GameCommandError(FaultproofError):
    """A game command cannot do what it was asked: the contract refused it, or it is too early."""


class RunStalled(AgentError):
    """A run of agents reached its time or pass limit before every game was resolved and paid out."""
