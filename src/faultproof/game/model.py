"""The fault dispute game as a Python state machine (spec: dispute-game.md §4–§11).

``GameModel`` composes the rules of this package in the order the contract checks them — a move is
rows 1–10 of §6.1, a step rows 1–9 of §7.1, resolution §11 — so it raises the contract's first
revert reason for any call, and its claims, clocks, counters and credits are what the contract's
views return after the same calls. Agents use it to predict a transaction's outcome; tests play
whole games on it; and the Vyper contract is held equal to it by differential tests.

Time is an argument (``now``), never the wall clock. Not modelled: the factory, the anchor state
registry and ``closeGame``/``claimCredit`` (WETH moves), which need the chain; ``credit(mode)``
gives what ``claimCredit`` would pay once a mode is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import rlp

from faultproof.crypto import keccak256
from faultproof.errors import PreimagePartUnavailable
from faultproof.game.bonds import required_bond
from faultproof.game.clocks import ROOT_PARENT_DURATION, Clock, challenger_duration, clock_after_move
from faultproof.game.errors import GameError, GameRuleError
from faultproof.game.local_context import ExecTransition, exec_transition, local_data
from faultproof.game.params import GameParameters
from faultproof.game.positions import ROOT_POSITION, depth, move
from faultproof.game.resolution import BondDistributionMode, GameStatus, Resolution
from faultproof.game.split import check_exec_root_status
from faultproof.game.steps import check_prestate, step_counters, step_states
from faultproof.game.tree import ROOT_INDEX, ROOT_PARENT_INDEX, ZERO_ADDRESS, ClaimData, claim_hash
from faultproof.preimage.keys import local_key, localize
from faultproof.preimage.parts import LENGTH_PREFIX_SIZE, preimage_part
from faultproof.vm.interface import PreimagePartSource

StepVerifier = Callable[[bytes, bytes, bytes, PreimagePartSource, bytes], bytes]
"""``IBigStepper.step`` (§7.6): (state data, proof, local context, oracle parts, caller) → post-state.

``AlphabetVM(n).step`` and every ``FaultProofVM.verify_step`` have this shape."""

HEADER_NUMBER_FIELD = 8  # §8: the block number is item 8 of the header's RLP list
MAX_HEADER_NUMBER_SIZE = 32


class LoadedParts(PreimagePartSource):
    """The oracle's parts as ``addLocalData`` loaded them: only a loaded (key, offset) can be read."""

    def __init__(self) -> None:
        self.parts: dict[tuple[bytes, int], tuple[bytes, int]] = {}

    def load(self, key: bytes, value: bytes, offset: int) -> None:
        self.parts[(key, offset)] = preimage_part(value, offset)

    def read_part(self, key: bytes, offset: int) -> tuple[bytes, int]:
        try:
            return self.parts[(key, offset)]
        except KeyError:
            raise PreimagePartUnavailable(f"no part of 0x{key.hex()} at offset {offset} is loaded") from None


class GameModel:
    """One game from ``initialize`` to ``resolve`` (§5–§11)."""

    def __init__(
        self,
        params: GameParameters,
        vm: StepVerifier,
        *,
        root_claim: bytes,
        l2_block_number: int,
        anchor_root: bytes,
        anchor_block: int,
        creator: bytes,
        init_bond: int,
        now: int,
        l1_head: bytes = bytes(32),
        l2_chain_id: int = 0,
        address: bytes = bytes.fromhex("fd" * 20),
    ) -> None:
        """``initialize`` (§5): the anchor is read once and never again; the root is claim 0."""
        if anchor_root == bytes(32):
            raise GameRuleError(
                GameError.ANCHOR_ROOT_NOT_FOUND, "the anchor state registry has no anchor root"
            )
        if l2_block_number <= anchor_block:
            raise GameRuleError(
                GameError.UNEXPECTED_ROOT_CLAIM,
                f"0x{root_claim.hex()}: block {l2_block_number} is not after the anchor block {anchor_block}",
            )
        self.params = params
        self.vm = vm
        self.address = address
        self.l2_block_number = l2_block_number
        self.anchor_root = anchor_root
        self.anchor_block = anchor_block
        self.l1_head = l1_head
        self.l2_chain_id = l2_chain_id
        self.created_at = now
        self.resolved_at = 0
        self.status = GameStatus.IN_PROGRESS
        self.claims: list[ClaimData] = [
            ClaimData(
                ROOT_PARENT_INDEX, ZERO_ADDRESS, creator, init_bond, root_claim, ROOT_POSITION, Clock(0, now)
            )
        ]
        self.children: list[list[int]] = [[]]
        self.claim_hashes: set[bytes] = set()
        self.refund_mode_credit: dict[bytes, int] = {creator: init_bond}
        self.resolution = Resolution(self.claims, self.children)
        self.oracle = LoadedParts()

    # -- views ----------------------------------------------------------------------------------

    @property
    def root_claim(self) -> bytes:
        return self.claims[ROOT_INDEX].claim

    @property
    def l2_block_number_challenged(self) -> bool:
        return self.resolution.l2_block_number_challenger is not None

    def require_in_progress(self) -> None:
        if self.status != GameStatus.IN_PROGRESS:
            raise GameRuleError(GameError.GAME_NOT_IN_PROGRESS, f"the game is {self.status.name}")

    def claim_at(self, index: int) -> ClaimData:
        """``claimData[i]``: an index past the array reverts (the contract's bounds check)."""
        if not 0 <= index < len(self.claims):
            raise IndexError(f"no claim {index} (the game has {len(self.claims)})")
        return self.claims[index]

    def challenger_duration(self, index: int, now: int) -> int:
        """``getChallengerDuration(i)`` (§9.1)."""
        self.require_in_progress()
        claim = self.claim_at(index)
        parent_duration = (
            ROOT_PARENT_DURATION if claim.is_root else self.claims[claim.parent_index].clock.duration
        )
        return challenger_duration(parent_duration, claim.clock, now, self.params)

    def local_transition(self, index: int) -> ExecTransition:
        """``outputs(i)`` of the exec subgame holding claim ``index`` (§7.4)."""
        return exec_transition(self.claims, index, self.params, self.anchor_root)

    def credit(self, mode: BondDistributionMode) -> dict[bytes, int]:
        """``credit(a)`` for every address, once ``closeGame`` has chosen ``mode`` (§10.6)."""
        if mode == BondDistributionMode.REFUND:
            return dict(self.refund_mode_credit)
        return dict(self.resolution.normal_mode_credit)

    # -- moves ----------------------------------------------------------------------------------

    def move(
        self,
        disputed: bytes,
        parent_index: int,
        claim: bytes,
        is_attack: bool,
        sender: bytes,
        value: int,
        now: int,
    ) -> int:
        """``move`` (§6.1), checks in the contract's order; returns the new claim's index."""
        self.require_in_progress()
        parent = self.claim_at(parent_index)
        if parent.claim != disputed:
            raise GameRuleError(
                GameError.INVALID_DISPUTED_CLAIM_INDEX,
                f"claim {parent_index} is 0x{parent.claim.hex()}, not 0x{disputed.hex()}",
            )
        position = move(parent.position, is_attack)
        new_depth = depth(position)
        if not is_attack and (parent_index == ROOT_INDEX or new_depth == self.params.split_depth + 2):
            raise GameRuleError(
                GameError.CANNOT_DEFEND_ROOT_CLAIM, f"claim {parent_index} commits to a whole trace"
            )
        if self.l2_block_number_challenged and parent_index == ROOT_INDEX:
            raise GameRuleError(
                GameError.L2_BLOCK_NUMBER_CHALLENGED, "the root's block number was challenged"
            )
        if new_depth > self.params.max_game_depth:
            raise GameRuleError(
                GameError.GAME_DEPTH_EXCEEDED,
                f"claim {parent_index} is at MAX_GAME_DEPTH: only a step counters it",
            )
        if new_depth == self.params.split_depth + 1:
            check_exec_root_status(claim, parent.position, is_attack, self.params.split_depth)
        bond = required_bond(position, self.params.max_game_depth)
        if value != bond:
            raise GameRuleError(GameError.INCORRECT_BOND_AMOUNT, f"sent {value} wei, the bond is {bond} wei")
        clock = clock_after_move(self.challenger_duration(parent_index, now), new_depth, now, self.params)
        key = claim_hash(claim, position, parent_index)
        if key in self.claim_hashes:
            raise GameRuleError(
                GameError.CLAIM_ALREADY_EXISTS, f"0x{claim.hex()} at {position} against claim {parent_index}"
            )
        self.claim_hashes.add(key)
        self.claims.append(ClaimData(parent_index, ZERO_ADDRESS, sender, value, claim, position, clock))
        self.children.append([])
        self.children[parent_index].append(len(self.claims) - 1)
        self.refund_mode_credit[sender] = self.refund_mode_credit.get(sender, 0) + value
        return len(self.claims) - 1

    def attack(
        self, disputed: bytes, parent_index: int, claim: bytes, sender: bytes, value: int, now: int
    ) -> int:
        return self.move(disputed, parent_index, claim, True, sender, value, now)

    def defend(
        self, disputed: bytes, parent_index: int, claim: bytes, sender: bytes, value: int, now: int
    ) -> int:
        return self.move(disputed, parent_index, claim, False, sender, value, now)

    # -- steps and local data -------------------------------------------------------------------

    def step(self, claim_index: int, is_attack: bool, state_data: bytes, proof: bytes, sender: bytes) -> None:
        """``step`` (§7.1): no clock, no bond; a successful step marks the leaf countered."""
        self.require_in_progress()
        parent = self.claim_at(claim_index)
        states = step_states(self.claims, claim_index, is_attack, self.params)
        check_prestate(state_data, states.pre_state)
        context = self.local_transition(claim_index).local_context
        output = self.vm(state_data, proof, context, self.oracle, self.address)
        post = self.claims[states.post_index]
        if not step_counters(parent.position, post.position, output, post.claim):
            raise GameRuleError(
                GameError.VALID_STEP, f"the VM's 0x{output.hex()} does not counter claim {claim_index}"
            )
        if parent.countered_by != ZERO_ADDRESS:
            raise GameRuleError(GameError.DUPLICATE_STEP, f"claim {claim_index} was already stepped on")
        self.claims[claim_index] = replace(parent, countered_by=sender)

    def add_local_data(self, ident: int, exec_leaf_index: int, part_offset: int) -> None:
        """``addLocalData`` (§7.5): load one part of a local input, localized to this game's subgame."""
        self.require_in_progress()
        self.claim_at(exec_leaf_index)
        transition = self.local_transition(exec_leaf_index)
        value = local_data(
            ident,
            transition,
            self.l1_head,
            self.anchor_block,
            self.l2_block_number,
            self.l2_chain_id,
            self.params.split_depth,
        )
        if part_offset >= len(value) + LENGTH_PREFIX_SIZE:
            raise GameRuleError(
                GameError.PART_OFFSET_OOB, f"offset {part_offset} is past a {len(value)}-byte input"
            )
        key = localize(local_key(ident), transition.local_context, self.address)
        self.oracle.load(key, value, part_offset)

    # -- block-number challenge -----------------------------------------------------------------

    def challenge_root_l2_block(
        self, output_root_proof: tuple[bytes, bytes, bytes, bytes], header_rlp: bytes, sender: bytes
    ) -> None:
        """``challengeRootL2Block`` (§8): the root's output commits to a block other than the claimed one."""
        self.require_in_progress()
        if self.l2_block_number_challenged:
            raise GameRuleError(
                GameError.L2_BLOCK_NUMBER_CHALLENGED, "the block number was already challenged"
            )
        if keccak256(b"".join(output_root_proof)) != self.root_claim:
            raise GameRuleError(
                GameError.INVALID_OUTPUT_ROOT_PROOF, "the output root proof does not hash to the root"
            )
        latest_blockhash = output_root_proof[3]
        if keccak256(header_rlp) != latest_blockhash:
            raise GameRuleError(
                GameError.INVALID_HEADER_RLP, "the header does not hash to the proof's block hash"
            )
        try:
            fields = rlp.decode(header_rlp)
            number = fields[HEADER_NUMBER_FIELD]
        except (rlp.exceptions.DecodingError, IndexError, TypeError):
            raise GameRuleError(
                GameError.INVALID_HEADER_RLP, "the header is not an RLP list with a number"
            ) from None
        if not isinstance(number, bytes) or len(number) > MAX_HEADER_NUMBER_SIZE:
            raise GameRuleError(
                GameError.INVALID_HEADER_RLP, "the header's block number is not a ≤ 32-byte string"
            )
        if int.from_bytes(number, "big") == self.l2_block_number:
            raise GameRuleError(GameError.BLOCK_NUMBER_MATCHES, f"the header is block {self.l2_block_number}")
        self.resolution.l2_block_number_challenger = sender

    # -- resolution -----------------------------------------------------------------------------

    def resolve_claim(self, index: int, num_to_resolve: int, now: int) -> None:
        """``resolveClaim`` (§11.1): only once the challenger clock has run out (§9.3)."""
        self.require_in_progress()
        if self.challenger_duration(index, now) != self.params.max_clock_duration:
            raise GameRuleError(GameError.CLOCK_NOT_EXPIRED, f"claim {index} can still be countered")
        self.resolution.resolve_claim(index, num_to_resolve)

    def resolve(self, now: int) -> GameStatus:
        """``resolve`` (§11.2): after it every state-changing call reverts ``GameNotInProgress``."""
        self.require_in_progress()
        self.status = self.resolution.status()
        self.resolved_at = now
        return self.status


__all__ = ["GameModel", "LoadedParts", "StepVerifier"]
