"""A VM-backed game over a toy rollup: the `transition` guest's chain, host and traces.

The `transition` guest (``programs/transition/main.go``, a faultproof test guest) checks one block
transition of a toy rollup whose L2 state after block ``n`` is a u64 ``s_n``:

    s_{n+1} = s_n · a + b  (mod 2^64),   a, b = 3, 4 (claim's fixture, mips32.md §11.2)
    O(n)    = keccak256(BE8(n) ‖ BE8(s_n))

It reads exactly the boot info the dispute game's ``addLocalData`` can load (dispute-game.md §7.5):
local 2 (the agreed output root, whose keccak preimage it fetches after a ``fetch-state`` hint),
local 3 (the disputed root, only compared) and local 4 (the disputed block), and fetches ``a`` and
``b`` as keccak preimages after a ``fetch-diff`` hint. So every step of its run — a local read, a
global keccak read — can be proven by an onchain ``step``, which makes it the program of a real
MIPS32 (or RV64) game.

The output root commits to its block, as a real one does through the block hash, so that the
program can judge a transition whose disputed block is not the next one: the game clamps every
output past ``l2BlockNumber`` to that block (§2.2), which makes ``n → n`` transitions.

This module gives the honest side of such a game:

* ``TransitionChain``: the chain's output roots from an anchor on (an ``OutputSource``), and the
  preimages of those roots;
* ``transition_host``: the per-subgame ``PreimageHost``, its local keys exactly what
  ``addLocalData`` loads;
* ``TransitionProgram``: the guest's initial state ``S_0`` for a VM kind, its guard traps, and the
  bottom providers (``vm_bottom``) that run it with snapshots;
* ``vm_game_parameters``: the game shape with ``N = 2^K`` at least the program's step count;
* ``transition_bottom``: the agents' ``BottomBuilder`` for such games, and ``transition_trace``:
  the ``SplitTraceAccessor`` of one game (e.g. on ``GameModel``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from faultproof.crypto import keccak256
from faultproof.examples import CLAIM_A, CLAIM_B, CLAIM_S
from faultproof.fileio import write_state
from faultproof.game import configs
from faultproof.game.local_context import (
    DISPUTED_BLOCK_IDENT,
    DISPUTED_OUTPUT_IDENT,
    L1_HEAD_IDENT,
    L2_CHAIN_ID_IDENT,
    STARTING_OUTPUT_IDENT,
    local_data,
)
from faultproof.game.params import MIN_SPLIT_DEPTH, GameParameters, GameType
from faultproof.ints import be64, u64
from faultproof.preimage.hints import HintRouter, PreimageSink
from faultproof.preimage.host import OracleHost
from faultproof.preimage.keys import keccak256_key, local_key
from faultproof.preimage.oracle import PreimageHost
from faultproof.preimage.store import MemoryStore
from faultproof.trace.outputs import OutputSource, OutputTraceProvider
from faultproof.trace.provider import TraceError
from faultproof.trace.split import BottomFactory, ExecInputs, SplitTraceAccessor
from faultproof.trace.vm import vm_bottom
from faultproof.vm import vm_class
from faultproof.vm.interface import FaultProofVM

# -- the toy rollup -------------------------------------------------------------------------------

STATE_MULTIPLIER = CLAIM_A
STATE_INCREMENT = CLAIM_B
ANCHOR_STATE = CLAIM_S
"""``s`` of the anchor block: claim's fixture ``s``."""

# What `transition` fetches after ``fetch-diff``: H(BE8(a)) ‖ H(BE8(b)), and a and b themselves.
DIFF = keccak256(be64(STATE_MULTIPLIER)) + keccak256(be64(STATE_INCREMENT))
DIFF_HASH = keccak256(DIFF)
"""Compiled into the guest as ``diffHashHex`` (claim's local 1)."""

FETCH_STATE_HINT = "fetch-state"
FETCH_DIFF_HINT = "fetch-diff"
BOOT_IDENTS = (
    L1_HEAD_IDENT,
    STARTING_OUTPUT_IDENT,
    DISPUTED_OUTPUT_IDENT,
    DISPUTED_BLOCK_IDENT,
    L2_CHAIN_ID_IDENT,
)
"""The local inputs a game can load (§7.5); the guest reads 2, 3 and 4 of them."""


def next_state(state: int) -> int:
    """The block function: ``s_{n+1} = s_n · a + b mod 2^64``."""
    return u64(state * STATE_MULTIPLIER + STATE_INCREMENT)


def output_preimage(block: int, state: int) -> bytes:
    """``BE8(n) ‖ BE8(s_n)``: the keccak preimage of block ``n``'s output root."""
    return be64(block) + be64(state)


def output_root(block: int, state: int) -> bytes:
    """``O(n) = keccak256(BE8(n) ‖ BE8(s_n))``."""
    return keccak256(output_preimage(block, state))


class TransitionChain(OutputSource):
    """The toy rollup from an anchor block on: every block's state, output root and root preimage.

    Blocks before the anchor are unknown (``TraceError``). Blocks are computed forward once and
    kept with their roots, so a root of any block up to the highest asked for can be looked up by
    value (``root_preimage``): what an honest host serves after a ``fetch-state`` hint.
    """

    def __init__(self, anchor_block: int = 0, anchor_state: int = ANCHOR_STATE) -> None:
        self.anchor_block = anchor_block
        self.states: list[int] = []
        self.roots: list[bytes] = []
        self.preimages: dict[bytes, bytes] = {}
        self._append(u64(anchor_state))

    @property
    def anchor_root(self) -> bytes:
        return self.roots[0]

    def state(self, block: int) -> int:
        """``s_block``."""
        return self.states[self._extend_to(block)]

    def output_root(self, block: int) -> bytes:
        return self.roots[self._extend_to(block)]

    def root_preimage(self, root: bytes) -> bytes | None:
        """``BE8(n) ‖ BE8(s_n)`` of a root of this chain (up to the highest block computed so far);
        None for any other 32 bytes."""
        return self.preimages.get(root)

    def _extend_to(self, block: int) -> int:
        """Compute the chain up to ``block``; its offset from the anchor."""
        if block < self.anchor_block:
            raise TraceError(f"block {block} is before the chain's anchor block {self.anchor_block}")
        while len(self.states) <= block - self.anchor_block:
            self._append(next_state(self.states[-1]))
        return block - self.anchor_block

    def _append(self, state: int) -> None:
        preimage = output_preimage(self.anchor_block + len(self.states), state)
        root = keccak256(preimage)
        self.states.append(state)
        self.roots.append(root)
        self.preimages[root] = preimage


# -- the host -------------------------------------------------------------------------------------


def transition_host(chain: TransitionChain, local_inputs: Mapping[int, bytes]) -> OracleHost:
    """The host of one run of `transition`: ``local_inputs`` by ident, global preimages on hints.

    ``fetch-state <hex root>`` stores the root's preimage when it is one of ``chain``'s (a false root
    has none: the hint is reported as failed, and the read after it fails with ``PreimageNotFound``);
    ``fetch-diff <hex>`` stores the diff and ``a``, ``b``. Every other key, local or global, raises
    the store's ``PreimageNotFound``.
    """

    def fetch_state(argument: bytes, sink: PreimageSink) -> None:
        preimage = chain.root_preimage(_hash_argument(argument))
        if preimage is None:
            raise TraceError(f"0x{argument.decode()} is not an output root of this chain")
        sink.put(keccak256_key(preimage), preimage)

    def fetch_diff(argument: bytes, sink: PreimageSink) -> None:
        if _hash_argument(argument) != DIFF_HASH:
            raise TraceError(f"0x{argument.decode()} is not the transition's diff hash")
        left, right = be64(STATE_MULTIPLIER), be64(STATE_INCREMENT)
        sink.put_many(
            [(keccak256_key(DIFF), DIFF), (keccak256_key(left), left), (keccak256_key(right), right)]
        )

    router = HintRouter({FETCH_STATE_HINT: fetch_state, FETCH_DIFF_HINT: fetch_diff})
    locals_by_key = {local_key(ident): value for ident, value in local_inputs.items()}
    return OracleHost(MemoryStore(), router, local_inputs=locals_by_key)


def _hash_argument(argument: bytes) -> bytes:
    """The 32-byte hash a hint names in lowercase hex; anything else is a ``TraceError``."""
    try:
        digest = bytes.fromhex(argument.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        digest = b""
    if len(digest) != 32:
        raise TraceError(f"hint argument {argument[:80]!r} is not a 32-byte hash in hex")
    return digest


class GameLike(Protocol):
    """The creation arguments of a game, as ``GameSnapshot`` (agents) and ``GameModel`` both hold them."""

    @property
    def params(self) -> GameParameters: ...

    @property
    def anchor_block(self) -> int: ...

    @property
    def anchor_root(self) -> bytes: ...

    @property
    def l2_block_number(self) -> int: ...

    @property
    def l1_head(self) -> bytes: ...

    @property
    def l2_chain_id(self) -> int: ...


@dataclass(frozen=True)
class GameInputs:
    """What a game's local data depends on besides the claims (§4.3, §7.5): fixed at creation."""

    anchor_block: int
    anchor_root: bytes
    l2_block_number: int
    l1_head: bytes = bytes(32)
    l2_chain_id: int = 0

    @classmethod
    def of(cls, game: GameLike) -> GameInputs:
        return cls(game.anchor_block, game.anchor_root, game.l2_block_number, game.l1_head, game.l2_chain_id)


def subgame_host_factory(
    chain: TransitionChain, params: GameParameters, game: GameInputs
) -> Callable[[ExecInputs], PreimageHost]:
    """Hosts per execution subgame: local keys 1–5 with exactly the values ``addLocalData`` loads."""

    def host_for(inputs: ExecInputs) -> PreimageHost:
        chain.output_root(inputs.agreed_block)  # the agreed root's preimage, if it is the chain's
        boot = {
            ident: local_data(
                ident,
                inputs.transition,
                game.l1_head,
                game.anchor_block,
                game.l2_block_number,
                game.l2_chain_id,
                params.split_depth,
            )
            for ident in BOOT_IDENTS
        }
        return transition_host(chain, boot)

    return host_for


def boot_inputs(
    agreed_root: bytes,
    disputed_root: bytes,
    disputed_block: int,
    l1_head: bytes = bytes(32),
    l2_chain_id: int = 0,
) -> dict[int, bytes]:
    """Local inputs 1–5 of a run outside any game (the sizes ``addLocalData`` loads them with)."""
    return {
        L1_HEAD_IDENT: l1_head,
        STARTING_OUTPUT_IDENT: agreed_root,
        DISPUTED_OUTPUT_IDENT: disputed_root,
        DISPUTED_BLOCK_IDENT: be64(disputed_block),
        L2_CHAIN_ID_IDENT: be64(l2_chain_id),
    }


def example_host(true: bool = True) -> OracleHost:
    """The host of one run outside a game: block 1 of ``TransitionChain()`` claimed with its output
    root, or (``true=False``) with a false one."""
    chain = TransitionChain()
    disputed = chain.output_root(1) if true else keccak256(b"a false output root")
    return transition_host(chain, boot_inputs(chain.anchor_root, disputed, 1))


# -- the program in a VM --------------------------------------------------------------------------

GAME_TYPES: dict[str, GameType] = {"mips32": GameType.CANNON, "riscv64": GameType.ASTERISC}
"""The factory's game type of a VM game, by VM kind (§12.2)."""

DEFAULT_SNAPSHOT_INTERVAL = 1 << 15
"""Snapshots every 32,768 steps: twenty per subgame of `transition` (~650,000 steps on MIPS32, 1.9 MB
each). Measured over a whole MIPS32 game, an answer after the first run executes at most 16,384
steps (bisection midpoints fall near snapshots) in at most 0.16 s; without snapshots up to 606,000
steps and 0.44 s, and eight to twelve times the steps over the game."""

STEP_MARGIN = 4
"""``N`` is at least the measured step count plus a quarter: runs differ a little with their inputs
(a false root prints more; a clamped ``n → n`` transition computes nothing)."""

RUN_CHUNK = 1 << 22
PRESTATE_FILE = "prestate.bin"


@dataclass(frozen=True)
class TransitionProgram:
    """`transition`'s initial state ``S_0`` in one VM kind, as a state file, with the VM's traps."""

    vm_class: type[FaultProofVM]
    prestate: Path
    absolute_prestate: bytes
    traps: tuple[tuple[int, int], ...]

    @classmethod
    def load(cls, elf: Path, folder: Path, vm: str = "mips32") -> TransitionProgram:
        """Load the built ELF in the VM named ``vm`` and write ``S_0`` to ``folder/prestate.bin``.

        The traps are the ranges of the VM's guard symbols, as the runner sets them: a run that
        enters one (a single-threaded program waiting forever) fails instead of spinning to ``N``.
        """
        kind = vm_class(vm)
        state, metadata = kind.load_elf(elf)
        traps = tuple(span for name in kind.guard_symbols for span in metadata.ranges(name))
        folder.mkdir(parents=True, exist_ok=True)
        prestate = folder / PRESTATE_FILE
        write_state(state, prestate)
        return cls(kind, prestate, state.state_hash(), traps)

    @property
    def game_type(self) -> GameType:
        return GAME_TYPES[self.vm_class.kind]

    def start(self, host: PreimageHost) -> FaultProofVM:
        """A VM at ``S_0`` with ``host`` and the traps."""
        vm = self.vm_class.read_state(self.prestate)
        vm.host = host
        if self.traps:
            vm.set_traps(list(self.traps))
        return vm

    def run(self, host: PreimageHost, max_steps: int = 1 << 32) -> FaultProofVM:
        """Run from ``S_0`` to the exit (or ``max_steps``); the VM holds the final state."""
        vm = self.start(host)
        while not vm.exited and vm.step_count < max_steps:
            vm.run(min(RUN_CHUNK, max_steps - vm.step_count))
        return vm

    def step_count(self) -> int:
        """Steps to the exit, the most of a true and a false one-block transition (``example_host``)."""
        return max(self.run(example_host(true)).step_count for true in (True, False))

    def bottom(
        self,
        host_for: Callable[[ExecInputs], PreimageHost],
        exec_depth: int,
        snapshot_root: Path,
        snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
    ) -> BottomFactory:
        """``VMTraceProvider``s per subgame, snapshots in ``snapshot_root/<local context>``."""
        return vm_bottom(
            self.vm_class,
            self.prestate,
            host_for,
            exec_depth,
            snapshot_root,
            snapshot_interval,
            list(self.traps),
        )


def exec_depth_for(steps: int) -> int:
    """The least ``K`` with ``2^K ≥ steps + steps / STEP_MARGIN``."""
    return max(1, (steps + steps // STEP_MARGIN - 1).bit_length())


def vm_game_parameters(
    program: TransitionProgram,
    steps: int | None = None,
    split_depth: int | None = None,
    base: GameParameters = configs.MINIMAL,
) -> GameParameters:
    """The VM game of ``program``: ``base``'s clocks, the VM's game type and ``commit(S_0)``.

    ``K`` fits ``steps`` (measured when not given, see ``TransitionProgram.step_count``) and
    ``MAX = SPLIT + 1 + K``. Without a ``split_depth`` the split is 2 or 3, whichever makes ``MAX``
    even: leaves are then claimed by the root's team, so a false root's line of play ends in a
    challenger's ``step`` rather than in a leaf its proposer cannot step on.
    """
    exec_depth = exec_depth_for(program.step_count() if steps is None else steps)
    if split_depth is None:
        split_depth = MIN_SPLIT_DEPTH + (MIN_SPLIT_DEPTH + 1 + exec_depth) % 2
    return replace(
        base,
        game_type=program.game_type,
        absolute_prestate=program.absolute_prestate,
        max_game_depth=split_depth + 1 + exec_depth,
        split_depth=split_depth,
    )


def transition_bottom(
    chain: TransitionChain,
    program: TransitionProgram,
    snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
) -> Callable[[GameLike, Path], BottomFactory]:
    """The agents' ``BottomBuilder`` of the program's game type: for a game (its ``GameSnapshot``)
    and its own cache folder, bottom providers running the program with each subgame's host,
    snapshots in ``folder/<local context>``.

    The folder must belong to the game alone: a subgame's local context hashes its claims and
    positions, not the game's anchor or ``l2BlockNumber``, which its local data also depends on.
    """

    def build(game: GameLike, folder: Path) -> BottomFactory:
        host_for = subgame_host_factory(chain, game.params, GameInputs.of(game))
        return program.bottom(host_for, game.params.exec_depth, folder, snapshot_interval)

    return build


def transition_trace(
    game: GameLike,
    chain: TransitionChain,
    program: TransitionProgram,
    folder: Path,
    snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
) -> SplitTraceAccessor:
    """The honest trace accessor of one VM game over ``chain`` (a ``GameModel`` or a snapshot):
    outputs above the split, runs of `transition` below it, snapshots under ``folder``, which must
    be the game's alone (see ``transition_bottom``)."""
    params = game.params
    if params.absolute_prestate != program.absolute_prestate:
        raise TraceError(
            f"the game's absolute prestate 0x{params.absolute_prestate.hex()} is not the program's "
            f"0x{program.absolute_prestate.hex()}"
        )
    top = OutputTraceProvider(
        chain, params.split_depth, game.anchor_block, game.anchor_root, game.l2_block_number
    )
    bottom = transition_bottom(chain, program, snapshot_interval)(game, folder)
    return SplitTraceAccessor(params, top, bottom)


__all__ = [
    "ANCHOR_STATE",
    "DEFAULT_SNAPSHOT_INTERVAL",
    "DIFF",
    "DIFF_HASH",
    "GAME_TYPES",
    "GameInputs",
    "GameLike",
    "TransitionChain",
    "TransitionProgram",
    "boot_inputs",
    "example_host",
    "exec_depth_for",
    "next_state",
    "output_preimage",
    "output_root",
    "subgame_host_factory",
    "transition_bottom",
    "transition_host",
    "transition_trace",
    "vm_game_parameters",
]
