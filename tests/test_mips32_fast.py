"""The fast interpreter (``MipsVM.run``) against the reference step (``MipsVM.step``), spec mips32.md §5–§7.

Whole programs are compared at the end and every ``CHUNK`` steps (full witness, so a divergence is
caught within one chunk of where it happens); single random instructions are compared step by step
with hypothesis; self-modifying code and traps have their own tests.
"""

from __future__ import annotations

import functools
import random
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fast_vs_reference as whole
from faultproof.errors import DivisionByZero, InvalidExitedValue, InvalidMemoryProof, TrapReached
from faultproof.examples import claim_host
from faultproof.memory import Memory
from faultproof.trace.transition import example_host
from faultproof.vm.mips32.fast import FastInterpreter
from faultproof.vm.mips32.state import MipsState
from faultproof.vm.mips32.vm import MipsVM

MASK32 = 0xFFFF_FFFF
HELLO_STEP_LIMIT = 2_000_000  # bounds on runs, so that a diverging engine fails instead of looping

# name -> (program, host factory); ``claim_false`` is the negative variant of mips32.md §11.2
PROGRAMS: whole.Programs = {
    "hello": ("hello", None),
    "claim": ("claim", claim_host),
    "claim_false": ("claim", functools.partial(claim_host, 5)),
    "compute": ("compute", None),
    "transition": ("transition", example_host),
    "transition_false": ("transition", functools.partial(example_host, False)),
}
SLOW_PROGRAMS = {"compute", "transition", "transition_false"}


def load(elves: dict[str, Path], name: str) -> MipsVM:
    vm = whole.load(MipsVM, elves, PROGRAMS, name)
    assert isinstance(vm, MipsVM)
    return vm


def reference_trace(elves: dict[str, Path], name: str) -> whole.ReferenceTrace:
    return whole.reference_trace(MipsVM, elves, PROGRAMS, name)


# -- whole programs -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", whole.program_params(PROGRAMS, SLOW_PROGRAMS))
def test_whole_program_matches_reference(mips_elves: dict[str, Path], name: str) -> None:
    whole.assert_whole_run_matches(load(mips_elves, name), reference_trace(mips_elves, name))


@pytest.mark.parametrize("name", whole.program_params(PROGRAMS, SLOW_PROGRAMS))
def test_program_in_chunks_matches_reference(mips_elves: dict[str, Path], name: str) -> None:
    whole.assert_chunks_match(load(mips_elves, name), reference_trace(mips_elves, name))


def test_fast_path_rarely_defers_to_reference(mips_elves: dict[str, Path]) -> None:
    """Guard against a fast path that silently hands everything to the reference."""
    vm = load(mips_elves, "hello")
    reference_steps = 0
    reference_step = vm.step

    def counting_step(proof: bool = False) -> object:
        nonlocal reference_steps
        reference_steps += 1
        return reference_step(proof)

    vm.step = counting_step  # type: ignore[method-assign,assignment]
    vm.run(HELLO_STEP_LIMIT)
    assert vm.exited
    assert reference_steps < vm.step_count // 200


def test_run_contract_at_edges(mips_elves: dict[str, Path]) -> None:
    """``run(0)`` does nothing, an exited state runs no step, an invalid ``exited`` byte fails."""
    vm = load(mips_elves, "hello")
    witness = vm.witness()
    vm.run(0)
    assert vm.witness() == witness
    vm.run(1)
    assert vm.step_count == 1
    vm.run(10)
    assert vm.step_count == 11

    vm.state.exited = 1
    witness = vm.witness()
    vm.run(5)
    assert vm.witness() == witness

    vm.state.exited = 2
    with pytest.raises(InvalidExitedValue):
        vm.run(5)
    assert vm.witness() == witness[:89] + b"\x02" + witness[90:]


# -- single instructions --------------------------------------------------------------------------
#
# One instruction at ``pc``, a register file mixing random values, sign boundaries and addresses near
# ``DATA`` (where a window of random bytes lies), random hi/lo. ``run(1)`` on one copy and ``step()``
# on another must give the same witness, memory pages and output, or the same exception from an
# unchanged state.

CODE = 0x0040_0000
DATA = 0x1000_0000
DATA_WINDOW = 512  # random bytes at [DATA - 256, DATA + 256)
BOUNDARY_PCS = [0x0FFF_FFF8, 0x0FFF_FFFC, MASK32 - 7, MASK32 - 3]  # pc + 4 changes region or wraps
SPECIAL_DEFINED = [0x00, 0x02, 0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0F, 0x10, 0x11]
SPECIAL_DEFINED += [0x12, 0x13, 0x18, 0x19, 0x1A, 0x1B, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27]
SPECIAL_DEFINED += [0x2A, 0x2B]
SPECIAL2_DEFINED = [0x02, 0x20, 0x21]
REGIMM_KINDS = [0x00, 0x01, 0x10, 0x11]  # bltz, bgez, bltzal (never taken), bgezal
MEMORY_OPCODES = [*range(0x20, 0x27), 0x28, 0x29, 0x2A, 0x2B, 0x2E, 0x30, 0x38]
UNDEFINED_OPCODES = [*range(0x10, 0x1C), 0x1D, 0x1E, 0x1F, 0x27, 0x2C, 0x2D, 0x2F, *range(0x31, 0x38)]
UNDEFINED_OPCODES += range(0x39, 0x40)
SYSCALL_NUMBERS = [4090, 4045, 4120, 4246, 4003, 4004, 4055, 4001, 0]


def encode(op: int, rs: int, rt: int, low16: int) -> int:
    """An instruction word from its opcode, rs, rt and low half (``rd|shamt|fn`` or ``imm``)."""
    return (op << 26) | (rs << 21) | (rt << 16) | low16


def r_low16(rd: int, shamt: int, fn: int) -> int:
    return (rd << 11) | (shamt << 6) | fn


def build_machine(
    insn: int, pc: int, next_pc: int, registers: list[int], hi: int, lo: int, data: bytes, exited: int = 0
) -> tuple[MipsState, Memory]:
    state = MipsState(
        pc=pc, next_pc=next_pc, lo=lo, hi=hi, heap=0x0500_0000, exited=exited, step=12345, registers=registers
    )
    memory = Memory(32)
    memory.write(DATA - DATA_WINDOW // 2, data)
    memory.write_word(pc, insn)
    return state, memory


def outcome_of_one_step(vm: MipsVM, execute: str) -> tuple[str | None, bytes, list[int], bytes, bytes]:
    try:
        if execute == "run":
            vm.run(1)
        else:
            vm.step()
        error = None
    except Exception as exception:
        error = type(exception).__name__
    return error, vm.witness(), vm.memory.page_indexes(), bytes(vm.stdout), bytes(vm.stderr)


def assert_one_step_matches(state: MipsState, memory: Memory) -> None:
    fast = MipsVM(state.copy(), memory.copy())
    reference = MipsVM(state.copy(), memory.copy())
    pre_witness = fast.witness()

    fast_outcome = outcome_of_one_step(fast, "run")
    reference_outcome = outcome_of_one_step(reference, "step")

    assert fast_outcome == reference_outcome
    if fast_outcome[0] is not None:
        assert fast_outcome[1] == pre_witness  # a failing step leaves the state as it was


fields = st.integers(0, 31)
immediates = st.one_of(st.integers(-64, 64).map(lambda i: i & 0xFFFF), st.integers(0, 0xFFFF))
r_types = st.builds(r_low16, fields, fields, st.one_of(st.sampled_from(SPECIAL_DEFINED), st.integers(0, 63)))

instructions = st.one_of(
    st.builds(encode, st.just(0x00), fields, fields, r_types),  # SPECIAL, every funct incl. undefined
    st.builds(
        encode,
        st.just(0x1C),
        fields,
        fields,
        st.builds(r_low16, fields, fields, st.one_of(st.sampled_from(SPECIAL2_DEFINED), st.integers(0, 63))),
    ),
    st.builds(encode, st.just(0x01), fields, st.one_of(st.sampled_from(REGIMM_KINDS), fields), immediates),
    st.builds(encode, st.integers(0x04, 0x07), fields, fields, immediates),  # beq bne blez bgtz
    st.builds(
        lambda op, target: (op << 26) | target, st.sampled_from([0x02, 0x03]), st.integers(0, (1 << 26) - 1)
    ),
    st.builds(encode, st.integers(0x08, 0x0F), fields, fields, immediates),  # immediate ALU, lui
    st.builds(encode, st.sampled_from(MEMORY_OPCODES), fields, fields, immediates),
    st.builds(encode, st.sampled_from(UNDEFINED_OPCODES), fields, fields, immediates),
    st.integers(0, MASK32),
)

register_values = st.one_of(
    st.integers(0, MASK32),
    st.integers(0, 40),
    st.sampled_from([0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, MASK32, MASK32 - 1]),
    st.integers(-256, 256).map(lambda offset: (DATA + offset) & MASK32),
)


@st.composite
def machines(draw: st.DrawFn) -> tuple[MipsState, Memory]:
    insn = draw(instructions)
    if draw(st.integers(0, 3)) == 0:  # the same register in every field: operands alias the result
        register = draw(fields)
        insn = (insn & ~0x03FF_F800) | (register << 21) | (register << 16) | (register << 11)
    pc = draw(st.one_of(st.integers(0, 1100).map(lambda i: CODE + 4 * i), st.sampled_from(BOUNDARY_PCS)))
    next_pc = draw(
        st.one_of(
            st.just((pc + 4) & MASK32),
            st.just((pc + 8) & MASK32),  # a delay slot that the check cannot see (§7.6)
            st.integers(0, MASK32),
        )
    )
    registers = draw(st.lists(register_values, min_size=32, max_size=32))  # R[0] may be non-zero
    if draw(st.booleans()):  # a meaningful syscall (small fd and count)
        registers[2] = draw(st.sampled_from(SYSCALL_NUMBERS))
        registers[4] = draw(st.integers(0, 8))
        registers[6] = draw(st.integers(0, 40))
    return build_machine(
        insn,
        pc,
        next_pc,
        registers,
        draw(st.integers(0, MASK32)),
        draw(st.integers(0, MASK32)),
        draw(st.binary(min_size=DATA_WINDOW, max_size=DATA_WINDOW)),
        exited=draw(st.sampled_from([0] * 30 + [1, 2])),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(machines())
def test_random_instruction_matches_reference(machine: tuple[MipsState, Memory]) -> None:
    assert_one_step_matches(*machine)


def every_encoding() -> list[object]:
    """Each SPECIAL/SPECIAL2 funct, each REGIMM kind and each other opcode, defined or not."""
    cases = [pytest.param(0x00, fn, id=f"special-{fn:#04x}") for fn in range(64)]
    cases += [pytest.param(0x1C, fn, id=f"special2-{fn:#04x}") for fn in [*SPECIAL2_DEFINED, 0x00, 0x3F]]
    cases += [pytest.param(0x01, kind, id=f"regimm-{kind:#04x}") for kind in [*REGIMM_KINDS, 0x02, 0x1F]]
    cases += [pytest.param(op, None, id=f"op-{op:#04x}") for op in range(0x02, 0x40) if op != 0x1C]
    return cases


@pytest.mark.parametrize(("op", "selector"), every_encoding())
def test_every_encoding_matches_reference(op: int, selector: int | None) -> None:
    """A fixed sweep that hypothesis might miss: per encoding, random fields plus the corner cases.

    Variants: random fields; destination 0 (the write is dropped); one register in every field
    (aliasing); operands read from a non-zero R[0]; inside a delay slot, detectable or not (§7.6);
    at a pc where pc + 4 leaves the 256 MiB region or wraps.
    """
    rng = random.Random(f"{op}-{selector}")
    for variant in range(24):
        rs, rt, rd, shamt = (rng.randrange(32) for _ in range(4))
        if variant % 6 == 1:
            rt = rd = 0
        elif variant % 6 == 2:
            rs = rt = rd = rng.randrange(1, 32)
        elif variant % 6 == 3:
            rs = rt = 0
        imm = rng.choice([rng.randrange(-64, 65) & 0xFFFF, rng.randrange(0x10000)])
        if op in (0x00, 0x1C):
            insn = encode(op, rs, rt, r_low16(rd, shamt, selector or 0))
        elif op == 0x01:
            insn = encode(op, rs, selector or 0, imm)
        elif op in (0x02, 0x03):
            insn = (op << 26) | rng.randrange(1 << 26)
        else:
            insn = encode(op, rs, rt, imm)
        pc = rng.choice(BOUNDARY_PCS) if variant % 6 == 5 else CODE + 4 * rng.randrange(2048)
        next_pc = (pc + 4) & MASK32
        if variant % 6 == 4:
            next_pc = rng.choice([(pc + 8) & MASK32, rng.randrange(1 << 32)])
        registers = [
            rng.choice(
                [
                    rng.randrange(1 << 32),
                    rng.randrange(41),
                    rng.choice([0x7FFF_FFFF, 0x8000_0000, MASK32]),
                    DATA + rng.randrange(-256, 257),
                ]
            )
            for _ in range(32)
        ]
        if op >= 0x20:  # a base register in the data window, so loads see random bytes
            registers[rs] = DATA + rng.randrange(-192, 193)
        if op == 0x00 and selector == 0x0C:
            registers[2] = SYSCALL_NUMBERS[variant % len(SYSCALL_NUMBERS)]
            registers[4], registers[6] = rng.randrange(9), rng.randrange(41)
        data = rng.randbytes(DATA_WINDOW)
        assert_one_step_matches(
            *build_machine(insn, pc, next_pc, registers, rng.randrange(1 << 32), rng.randrange(1 << 32), data)
        )


def test_failure_inside_the_fast_path_leaves_the_pre_step_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception from a fast handler (not the reference) still leaves the state before that step."""
    words = [
        0x2408_0001,  # addiu $t0, $zero, 1
        0x2508_0001,  # addiu $t0, $t0, 1
        0x3C09_2000,  # lui   $t1, 0x2000
        0xAD28_0000,  # sw    $t0, 0($t1)   <- allocating the page fails
    ]
    vm = program_vm(words)

    def no_more_pages(memory: Memory, index: int) -> bytearray:
        raise MemoryError("no page for you")

    monkeypatch.setattr(Memory, "page", no_more_pages)
    with pytest.raises(MemoryError):
        vm.run(10)
    assert (vm.pc, vm.state.next_pc, vm.step_count) == (CODE + 12, CODE + 16, 3)
    assert vm.state.registers[8:10] == [2, 0x2000_0000]


def test_state_after_failure_is_usable() -> None:
    """After a failed step restored a copy of the state, ``run`` works on the VM's new state."""
    memory = Memory(32)
    memory.write_word(CODE, 0x010A_001A)  # div $t0, $t2
    memory.write_word(CODE + 4, 0x0000_5010)  # mfhi $t2
    state = MipsState(pc=CODE, next_pc=CODE + 4)
    state.registers[8] = 7
    vm = MipsVM(state, memory)
    witness = vm.witness()
    with pytest.raises(DivisionByZero):
        vm.run(10)
    assert vm.witness() == witness
    vm.state.registers[10] = 2
    vm.run(2)
    assert (vm.state.lo, vm.state.hi, vm.state.registers[10], vm.step_count) == (3, 1, 1, 2)


def test_jump_to_unaligned_pc_fails_at_the_fetch() -> None:
    """Jumps to unaligned addresses are accepted; the next fetch FAILs (§7.6), from that state."""
    vm = program_vm([0x0100_0008, 0x0000_0000])  # jr $t0; nop
    vm.state.registers[8] = CODE + 0x102
    vm.run(2)
    witness = vm.witness()
    with pytest.raises(InvalidMemoryProof):
        vm.run(1)
    assert (vm.pc, vm.step_count, vm.witness()) == (CODE + 0x102, 2, witness)


# -- self-modifying code --------------------------------------------------------------------------


def self_modifying_program(store: int) -> list[int]:
    """Two passes over a loop whose first pass rewrites the loop's first instruction.

    Pass one executes ``addiu $v0, $zero, 1``, then stores ``addiu $v0, $zero, 42`` over it with
    the given store opcode; pass two must execute the new word. Exit code: 1 + 42 = 43.
    """
    return [
        0x3C08_0040,  # 00 lui   $t0, 0x0040
        0x2410_0000,  # 04 addiu $s0, $zero, 0
        0x2402_0001,  # 08 addiu $v0, $zero, 1          <- rewritten
        0x0222_8821,  # 0c addu  $s1, $s1, $v0
        0x3C09_2402,  # 10 lui   $t1, 0x2402
        0x3529_002A,  # 14 ori   $t1, $t1, 0x002a
        (store << 26) | (8 << 21) | (9 << 16) | 0x0008,  # 18 store $t1, 8($t0)
        0x2610_0001,  # 1c addiu $s0, $s0, 1
        0x2A0A_0002,  # 20 slti  $t2, $s0, 2
        0x1540_FFF8,  # 24 bne   $t2, $zero, 0x08
        0x0000_0000,  # 28 nop (delay slot)
        0x0220_2021,  # 2c addu  $a0, $s1, $zero
        0x2402_1096,  # 30 addiu $v0, $zero, 4246 (exit_group)
        0x0000_000C,  # 34 syscall
    ]


def program_vm(words: list[int]) -> MipsVM:
    memory = Memory(32)
    for index, word in enumerate(words):
        memory.write_word(CODE + 4 * index, word)
    return MipsVM(MipsState(pc=CODE, next_pc=CODE + 4), memory)


@pytest.mark.parametrize("store", [0x2B, 0x38, 0x2A], ids=["sw", "sc", "swl-by-reference"])
def test_self_modifying_code(store: int) -> None:
    words = self_modifying_program(store)
    fast = program_vm(words)
    fast.run(1000)
    reference = program_vm(words)
    while not reference.exited:
        reference.step()
    assert (fast.exited, fast.exit_code) == (True, 43)
    assert fast.witness() == reference.witness()


def test_code_written_between_runs() -> None:
    """A write through ``Memory`` between runs replaces an instruction that was already decoded."""
    words = self_modifying_program(0x2B)
    words[6] = 0  # no store: the loop would add 1 twice
    vm = program_vm(words)
    vm.run(10)  # the first pass has decoded the word at 0x08
    vm.memory.write_word(CODE + 8, 0x2402_002A)
    vm.run(1000)
    assert (vm.exited, vm.exit_code) == (True, 43)


# -- traps ----------------------------------------------------------------------------------------


def test_trap_stops_before_the_step(mips_elves: dict[str, Path]) -> None:
    vm, metadata = MipsVM.load_elf(mips_elves["hello"])
    (trap,) = metadata.ranges("main.main")
    vm.run(1000)  # handlers exist before the traps are set
    vm.set_traps([(0x10, 0x20), trap])
    with pytest.raises(TrapReached):
        vm.run(HELLO_STEP_LIMIT)
    assert trap[0] <= vm.pc < trap[1]

    # The state is the one before the trapped step: an untrapped VM has it after as many steps
    # (the fast engine is held equal to the reference by the tests above), and its reference
    # step traps there too.
    untrapped, _ = MipsVM.load_elf(mips_elves["hello"])
    untrapped.run(vm.step_count)
    assert vm.witness() == untrapped.witness()
    untrapped.set_traps([trap])
    with pytest.raises(TrapReached):
        untrapped.step()

    with pytest.raises(TrapReached):  # still trapped, still unchanged
        vm.run(1)
    assert vm.witness() == untrapped.witness()
    vm.set_traps([])
    vm.run(HELLO_STEP_LIMIT)
    assert vm.exited and vm.stdout == b"hello world!\n"


def test_trap_set_on_code_already_decoded() -> None:
    words = self_modifying_program(0x2B)
    words[6] = 0  # no store: a plain two-pass loop
    vm = program_vm(words)
    vm.run(10)  # one pass: the loop body has handlers, pc is the delay slot before the second pass
    assert (vm.pc, vm.state.next_pc) == (CODE + 0x28, CODE + 0x08)
    vm.set_traps([(CODE + 0x0C, CODE + 0x10)])
    with pytest.raises(TrapReached):
        vm.run(1000)
    assert (vm.pc, vm.step_count) == (CODE + 0x0C, 12)
    vm.set_traps([])
    vm.run(1000)
    assert (vm.exited, vm.exit_code) == (True, 2)


def test_traps_toggled_around_every_syscall(mips_elves: dict[str, Path]) -> None:
    """Trap every syscall, step it by the reference with the traps off, and go on: same outcome.

    Toggling traps must stay cheap: the interpreter (and its decoded handlers) is kept throughout.
    """
    vm = load(mips_elves, "hello")
    syscalls = [
        (index << 12) + 4 * offset
        for index, page in vm.memory.iter_pages()
        for offset, (word,) in enumerate(struct.iter_unpack(">I", page))
        if word >> 26 == 0 and word & 0x3F == 0x0C
    ]
    traps = [(pc, pc + 4) for pc in syscalls]
    vm.run(1)
    interpreter = vm._engine
    vm.set_traps(traps)
    hits = 0
    while not vm.exited and vm.step_count < HELLO_STEP_LIMIT:
        try:
            vm.run(HELLO_STEP_LIMIT)
        except TrapReached:
            hits += 1
            assert vm.pc in syscalls
            vm.set_traps([])
            vm.step()
            vm.set_traps(traps)
    assert hits > 10
    assert vm._engine is interpreter
    assert whole.Outcome.of(vm) == reference_trace(mips_elves, "hello").outcome


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)), max_size=6))
def test_trap_ranges_may_overlap(ranges: list[tuple[int, int]]) -> None:
    """Overlapping, nested, empty and repeated ranges: a pc traps iff some range contains it."""
    vm = MipsVM()
    vm.run(1)
    vm.set_traps([(start, start + length) for start, length in ranges])
    interpreter = vm._engine
    assert isinstance(interpreter, FastInterpreter)
    for pc in range(260):
        assert interpreter.is_trap(pc) == any(start <= pc < start + length for start, length in ranges), pc
