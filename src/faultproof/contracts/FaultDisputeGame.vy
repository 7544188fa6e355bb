# pragma version ~=0.4.3
"""
@title FaultDisputeGame
@notice One fault dispute game: a bisection over output roots, then over the VM steps of one block
        transition, settled by a single on-chain step (spec: dispute-game.md §4–§11, §19;
        upstream: FaultDisputeGame.sol 1.8.x). faultproof.game.model.GameModel is the executable
        model of this contract: the same checks in the same order, the same revert reasons.
@dev    Deployment. One implementation per game type holds the rules and the parameters as
        immutables; every game is an EIP-1167 minimal proxy the DisputeGameFactory creates and
        initializes in the same transaction (§12.1), so the creation arguments (creator, root
        claim, L1 head, extraData) live in the proxy's storage. `initialize` is open to any caller
        but only ever reaches a proxy the factory has just made: no uninitialized proxy is
        observable between two transactions, and a second call reverts AlreadyInitialized.

        Reverts carry the spec's error name as their reason string (§0.1), enums are uint8
        ordinals. A VM step's revert data is passed on unchanged (up to MAX_VM_REVERT_SIZE bytes).

        Storage. A claim takes five slots: parentIndex with claimant (written once), counteredBy
        (written by step and resolution), bond, claim, and position with clock; a move writes four
        fresh slots. A resolution checkpoint takes two. Children of a claim are a DynArray per
        parent (`subgames`).

        Compiled with CompilerSettings(optimize="codesize", experimental_codegen=True) (Venom),
        chosen by measurement: every build spends the same gas within 0.3% (storage dominates),
        and this one has the least code. Execution gas of a UNIT alphabet game bisected from a
        lying proposal to a step (as in tests/test_game_contracts.py; medians, and the maximum of
        the moves):

        build               runtime code   create    move             step      resolveClaim
                                                     median/max                 leaf / parent
        Venom, codesize     12,853 bytes   527,244   206,992/223,973  107,353   65,192 / 103,433
        Venom, gas          15,773 bytes   527,090   206,767/223,748  107,116   65,045 / 103,280
        legacy, gas         17,279 bytes   527,109   207,396/224,495  106,775   65,216 / 103,614
        legacy, codesize    16,683 bytes   527,250   207,537/224,636  106,990   65,355 / 103,753

        `create` is DisputeGameFactory.create (the proxy and `initialize`); `step` is an attack
        from the absolute prestate, with the AlphabetVM's read of local data; addLocalData costs
        136,385, resolve() 52,771; resolving a parent that credits a new recipient costs up to
        124,376. The claim's four slots, its duplicate key, the parent's child list, the refund
        credit and the WETH deposit are most of a move.
"""

# -- interfaces --------------------------------------------------------------------------------------


interface IBigStepper:
    def oracle() -> address: view


interface IPreimageOracle:
    def challengePeriod() -> uint256: view
    def loadLocalData(
        ident: uint256, localContext: bytes32, word: bytes32, size: uint256, partOffset: uint256
    ) -> bytes32: nonpayable


interface IDelayedWETH:
    def deposit(): payable
    def unlock(guy: address, wad: uint256): nonpayable
    def withdraw(guy: address, wad: uint256): nonpayable


interface IAnchorStateRegistry:
    def getAnchorRoot() -> (bytes32, uint256): view
    def respectedGameType() -> uint32: view
    def paused() -> bool: view
    def isGameFinalized(game: address) -> bool: view
    def isGameProper(game: address) -> bool: view


# -- types and constants (§1) ------------------------------------------------------------------------


struct StoredClaim:  # §4.1's ClaimData in five slots
    parentAndClaimant: uint256  # parentIndex << 160 | claimant
    counteredBy: address
    bond: uint128
    claim: bytes32
    positionAndClock: uint256  # position << 128 | clock


struct ResolutionCheckpoint:  # §4.2
    initialCheckpointComplete: bool
    subgameIndex: uint32
    leftmostPosition: uint128
    counteredBy: address


struct StoredCheckpoint:  # ResolutionCheckpoint in two slots
    progress: uint256  # leftmostPosition << 40 | subgameIndex << 8 | initialCheckpointComplete
    counteredBy: address


struct OutputRoot:
    root: bytes32
    l2SequenceNumber: uint256


struct OutputRootProof:  # §8
    version: bytes32
    stateRoot: bytes32
    messagePasserStorageRoot: bytes32
    latestBlockhash: bytes32


# GameStatus and BondDistributionMode (§1)
IN_PROGRESS: constant(uint8) = 0
CHALLENGER_WINS: constant(uint8) = 1
DEFENDER_WINS: constant(uint8) = 2
UNDECIDED: constant(uint8) = 0
NORMAL: constant(uint8) = 1
REFUND: constant(uint8) = 2

# VM status bytes (§1)
VM_VALID: constant(uint256) = 0
VM_INVALID: constant(uint256) = 1
VM_PANIC: constant(uint256) = 2

ROOT_PARENT_INDEX: constant(uint256) = 2**32 - 1  # §4.1
ROOT_POSITION: constant(uint256) = 1
ANCHOR_POSITION: constant(uint256) = 0  # §1: the anchor's position in a local context
RESERVED_GAME_TYPE: constant(uint32) = max_value(uint32)
MAX_GAME_DEPTH_LIMIT: constant(uint256) = 125  # §3.2: step positions stay inside uint128
MIN_SPLIT_DEPTH: constant(uint256) = 2
NO_LEFTMOST_POSITION: constant(uint128) = max_value(uint128)  # §11.1
MAX_CHILDREN: constant(uint256) = 2**32  # subgames per claim: indices are uint32
ADDRESS_BITS: constant(uint256) = 160
ADDRESS_MASK: constant(uint256) = 2**160 - 1
HALF_BITS: constant(uint256) = 128  # position << 128 | clock; §4.4's claim hash
CLOCK_HALF_BITS: constant(uint256) = 64  # §1: Clock = duration << 64 | timestamp
HALF_CLOCK_MASK: constant(uint256) = 2**64 - 1
HALF_MASK: constant(uint256) = 2**128 - 1
CHECKPOINT_INDEX_SHIFT: constant(uint256) = 8
CHECKPOINT_POSITION_SHIFT: constant(uint256) = 40
SUBGAME_INDEX_MASK: constant(uint256) = 2**32 - 1

# Creation arguments (§4.3): extraData of an FDG is one word, the L2 block number. The bound is
# the factory's, so every extraData the factory accepts reaches the BadExtraData check.
EXTRA_DATA_SIZE: constant(uint256) = 32
MAX_EXTRA_DATA_SIZE: constant(uint256) = 64

# Step arguments (§7.1): room for the largest step of each verifier. MIPS: a 226-byte witness and
# two 896-byte memory proofs; RISC-V: a 362-byte witness and three 1,920-byte proofs; alphabet: 64.
MAX_STATE_DATA_SIZE: constant(uint256) = 362
MAX_PROOF_SIZE: constant(uint256) = 5760
MAX_VM_REVERT_SIZE: constant(uint256) = 1024

# Local data (§7.5): idents and the sizes of their values.
LOCAL_L1_HEAD: constant(uint256) = 1
LOCAL_STARTING_OUTPUT: constant(uint256) = 2
LOCAL_DISPUTED_OUTPUT: constant(uint256) = 3
LOCAL_DISPUTED_BLOCK: constant(uint256) = 4
LOCAL_L2_CHAIN_ID: constant(uint256) = 5
WORD_SIZE: constant(uint256) = 32
NUMBER_SIZE: constant(uint256) = 8
NUMBER_SHIFT: constant(uint256) = 192  # BE8(n) ‖ 0^24

# Block-number challenge (§8): the header is an RLP list whose item 8 is the number.
MAX_HEADER_SIZE: constant(uint256) = 2048
HEADER_NUMBER_FIELD: constant(uint256) = 8
RLP_SHORT_STRING: constant(uint256) = 128  # 0x80
RLP_LONG_STRING: constant(uint256) = 184  # 0xb8
RLP_SHORT_LIST: constant(uint256) = 192  # 0xc0
RLP_LONG_LIST: constant(uint256) = 248  # 0xf8
RLP_MAX_SHORT_LENGTH: constant(uint256) = 55

# Bonds (§10.1, §10.2): 400 k gas at depth 0 growing to 300 M gas at MAX, at 200 gwei.
WAD: constant(int256) = 10**18
MIN_BOND_GAS: constant(uint256) = 400_000
BOND_GROWTH: constant(int256) = 750  # 300_000_000 // 400_000
BOND_GAS_PRICE: constant(uint256) = 200 * 10**9
LP0: constant(int256) = 3273285459638523848632254066296
LP1: constant(int256) = 24828157081833163892658089445524
LP2: constant(int256) = 43456485725739037958740375743393
LP3: constant(int256) = -11111509109440967052023855526967
LP4: constant(int256) = -45023709667254063763336534515857
LP5: constant(int256) = -14706773417378608786704636184526
LP6: constant(int256) = 795164235651350426258249787498
LQ0: constant(int256) = 5573035233440673466300451813936
LQ1: constant(int256) = 71694874799317883764090561454958
LQ2: constant(int256) = 283447036172924575727196451306956
LQ3: constant(int256) = 401686690394027663651624208769553
LQ4: constant(int256) = 204048457590392012362485061816622
LQ5: constant(int256) = 31853899698501571402653359427138
LQ6: constant(int256) = 909429971244387300277376558375
LS: constant(int256) = 1677202110996718588342820967067443963516166
LN2: constant(int256) = 16597577552685614221487285958193947469193820559219878177908093499208371
LOFF: constant(int256) = 600920179829731861736702779321621459595472258049074101567377883020018308
EL2: constant(int256) = 54916777467707473351141471128
EY0: constant(int256) = 1346386616545796478920950773328
EY1: constant(int256) = 57155421227552351082224309758442
EP0: constant(int256) = 94201549194550492254356042504812
EP1: constant(int256) = 28719021644029726153956944680412240
EP2: constant(int256) = 4385272521454847904659076985693276
EQ0: constant(int256) = 2855989394907223263936484059900
EQ1: constant(int256) = 50020603652535783019961831881945
EQ2: constant(int256) = -533845033583426703283633433725380
EQ3: constant(int256) = 3604857256930695427073651918091429
EQ4: constant(int256) = -14423608567350463180887372962807573
EQ5: constant(int256) = 26449188498355588339934803723976023
ES: constant(uint256) = 3822833074963236453042738258902158003155416615667

# -- events (§19) ------------------------------------------------------------------------------------


event Move:
    parentIndex: indexed(uint256)
    claim: indexed(bytes32)
    claimant: indexed(address)


event Resolved:
    status: indexed(uint8)


event GameClosed:
    bondDistributionMode: uint8


# -- parameters (§3.1): the implementation's code, shared by every proxy ---------------------------

GAME_TYPE: immutable(uint32)
ABSOLUTE_PRESTATE: immutable(bytes32)
MAX_GAME_DEPTH: immutable(uint256)
SPLIT_DEPTH: immutable(uint256)
CLOCK_EXTENSION: immutable(uint64)
MAX_CLOCK_DURATION: immutable(uint64)
VM: immutable(address)
WETH: immutable(address)
ANCHOR_STATE_REGISTRY: immutable(address)
L2_CHAIN_ID: immutable(uint256)
ORACLE: immutable(address)  # VM.oracle(), fixed with the VM
CHALLENGE_PERIOD: immutable(uint256)  # ORACLE.challengePeriod(), fixed with the oracle
LN_BOND_BASE: immutable(int256)  # ln_wad(750^(1/MAX)), §10.2

# -- state (§4): the proxy's storage -----------------------------------------------------------------

gameCreator: public(address)
rootClaim: public(bytes32)
l1Head: public(bytes32)
extraData: public(Bytes[MAX_EXTRA_DATA_SIZE])

initialized: bool
createdAt: public(uint64)
resolvedAt: public(uint64)
status: public(uint8)
bondDistributionMode: public(uint8)
startingOutputRoot: public(OutputRoot)
wasRespectedGameTypeWhenCreated: public(bool)
l2BlockNumberChallenged: public(bool)
l2BlockNumberChallenger: public(address)

claimCount: uint256
claimStore: HashMap[uint256, StoredClaim]
claims: public(HashMap[bytes32, bool])
subgames: public(HashMap[uint256, DynArray[uint256, MAX_CHILDREN]])
resolvedSubgames: public(HashMap[uint256, bool])
checkpointStore: HashMap[uint256, StoredCheckpoint]

normalModeCredit: public(HashMap[address, uint256])
refundModeCredit: public(HashMap[address, uint256])
hasUnlockedCredit: public(HashMap[address, bool])


@deploy
def __init__(
    gameType: uint32,
    absolutePrestate: bytes32,
    maxGameDepth: uint256,
    splitDepth: uint256,
    clockExtension: uint64,
    maxClockDuration: uint64,
    vm: address,
    weth: address,
    anchorStateRegistry: address,
    l2ChainId: uint256,
):
    """@notice The parameters of one game type, checked in the order of §3.2."""
    assert maxGameDepth <= MAX_GAME_DEPTH_LIMIT, "MaxDepthTooLarge"
    if maxGameDepth < 2:
        raise "InvalidSplitDepth"
    assert splitDepth < maxGameDepth - 1, "InvalidSplitDepth"  # SPLIT + 1 < MAX, without overflow
    assert splitDepth >= MIN_SPLIT_DEPTH, "InvalidSplitDepth"
    oracle: address = staticcall IBigStepper(vm).oracle()
    challenge_period: uint256 = staticcall IPreimageOracle(oracle).challengePeriod()
    assert challenge_period <= convert(max_value(uint64), uint256), "InvalidChallengePeriod"
    max_extension: uint256 = max(
        2 * convert(clockExtension, uint256), convert(clockExtension, uint256) + challenge_period
    )
    assert max_extension <= convert(maxClockDuration, uint256), "InvalidClockExtension"  # hence < 2^64
    assert gameType != RESERVED_GAME_TYPE, "ReservedGameType"

    GAME_TYPE = gameType
    ABSOLUTE_PRESTATE = absolutePrestate
    MAX_GAME_DEPTH = maxGameDepth
    SPLIT_DEPTH = splitDepth
    CLOCK_EXTENSION = clockExtension
    MAX_CLOCK_DURATION = maxClockDuration
    VM = vm
    WETH = weth
    ANCHOR_STATE_REGISTRY = anchorStateRegistry
    L2_CHAIN_ID = l2ChainId
    ORACLE = oracle
    CHALLENGE_PERIOD = challenge_period
    # §10.2: base = 750^(1/MAX), then ln of it; everything else of a bond depends on the depth only.
    ln_growth: int256 = self._ln_wad(BOND_GROWTH * WAD)
    base: int256 = self._exp_wad(ln_growth * ((WAD * WAD) // (convert(maxGameDepth, int256) * WAD)) // WAD)
    LN_BOND_BASE = self._ln_wad(base)


# -- initialization (§5) -----------------------------------------------------------------------------


@payable
@external
def initialize(creator: address, rootClaim: bytes32, l1Head: bytes32, extraData: Bytes[MAX_EXTRA_DATA_SIZE]):
    """
    @notice Start the game: read the anchor once, push the root claim with the creator's bond.
            Called by the factory in the transaction that creates this proxy (see the header).
    """
    assert not self.initialized, "AlreadyInitialized"
    anchor_root: bytes32 = empty(bytes32)
    anchor_block: uint256 = 0
    anchor_root, anchor_block = staticcall IAnchorStateRegistry(ANCHOR_STATE_REGISTRY).getAnchorRoot()
    assert anchor_root != empty(bytes32), "AnchorRootNotFound"
    self.startingOutputRoot = OutputRoot(root=anchor_root, l2SequenceNumber=anchor_block)
    assert len(extraData) == EXTRA_DATA_SIZE, "BadExtraData"
    assert extract32(extraData, 0, output_type=uint256) > anchor_block, "UnexpectedRootClaim"

    self.gameCreator = creator
    self.rootClaim = rootClaim
    self.l1Head = l1Head
    self.extraData = extraData
    self._push_claim(ROOT_PARENT_INDEX, creator, msg.value, rootClaim, ROOT_POSITION, block.timestamp)
    self.initialized = True
    self._deposit(creator, msg.value)
    self.createdAt = convert(block.timestamp, uint64)
    respected: uint32 = staticcall IAnchorStateRegistry(ANCHOR_STATE_REGISTRY).respectedGameType()
    self.wasRespectedGameTypeWhenCreated = respected == GAME_TYPE


@payable
@external
def __default__():
    """@notice Bonds come back from DelayedWETH as plain ETH before they are forwarded (§5, §10.6)."""
    assert msg.sender == WETH


# -- moves (§6) --------------------------------------------------------------------------------------


@payable
@external
def move(disputed: bytes32, parentIndex: uint256, claim: bytes32, isAttack: bool):
    """@notice Counter claim `parentIndex` (whose value must be `disputed`) with `claim` (§6.1)."""
    self._move(disputed, parentIndex, claim, isAttack, msg.value)


@payable
@external
def attack(disputed: bytes32, parentIndex: uint256, claim: bytes32):
    self._move(disputed, parentIndex, claim, True, msg.value)


@payable
@external
def defend(disputed: bytes32, parentIndex: uint256, claim: bytes32):
    self._move(disputed, parentIndex, claim, False, msg.value)


@internal
def _move(disputed: bytes32, parent_index: uint256, claim: bytes32, is_attack: bool, bond: uint256):
    """§6.1, rows 1–10 in order, then the effects."""
    self._require_in_progress()
    self._require_claim(parent_index)
    assert self.claimStore[parent_index].claim == disputed, "InvalidDisputedClaimIndex"
    parent_position: uint256 = self._position(parent_index)
    position: uint256 = self._move_position(parent_position, is_attack)
    new_depth: uint256 = self._depth(position)
    if not is_attack:
        assert parent_index != 0 and new_depth != SPLIT_DEPTH + 2, "CannotDefendRootClaim"
    assert not (self.l2BlockNumberChallenged and parent_index == 0), "L2BlockNumberChallenged"
    assert new_depth <= MAX_GAME_DEPTH, "GameDepthExceeded"
    if new_depth == SPLIT_DEPTH + 1:
        self._check_exec_root_status(claim, parent_index, parent_position, is_attack)
    assert bond == self._required_bond(new_depth), "IncorrectBondAmount"
    duration: uint256 = self._challenger_duration(parent_index)
    assert duration < convert(MAX_CLOCK_DURATION, uint256), "ClockTimeExceeded"
    duration = min(duration, convert(MAX_CLOCK_DURATION, uint256) - self._clock_extension(new_depth))
    key: bytes32 = keccak256(concat(claim, convert((position << HALF_BITS) | parent_index, bytes32)))
    assert not self.claims[key], "ClaimAlreadyExists"
    self.claims[key] = True

    self._push_claim(parent_index, msg.sender, bond, claim, position, duration << CLOCK_HALF_BITS | block.timestamp)
    self.subgames[parent_index].append(self.claimCount - 1)
    self._deposit(msg.sender, bond)
    log Move(parentIndex=parent_index, claim=claim, claimant=msg.sender)


@view
@internal
def _check_exec_root_status(claim: bytes32, parent_index: uint256, parent_position: uint256, is_attack: bool):
    """
    @notice §6.3: an exec root's status byte states its poster's stance on the disputed output.
            `A`, the output after the parent's, is found by the walk even for an attack.
    """
    status: uint256 = convert(claim, uint256) >> 248
    next_output: uint256 = self._find_ancestor(parent_index, self._trace_ancestor(parent_position + 1))
    if is_attack or self._depth(self._position(next_output)) % 2 == SPLIT_DEPTH % 2:
        assert status == VM_INVALID or status == VM_PANIC, "UnexpectedRootClaim"
    else:
        assert status == VM_VALID, "UnexpectedRootClaim"


# -- step and local data (§7) ------------------------------------------------------------------------


@external
def step(
    claimIndex: uint256,
    isAttack: bool,
    stateData: Bytes[MAX_STATE_DATA_SIZE],
    proof: Bytes[MAX_PROOF_SIZE],
):
    """@notice Counter the claim at MAX_GAME_DEPTH `claimIndex` by executing one VM step (§7.1)."""
    self._require_in_progress()
    self._require_claim(claimIndex)
    parent_position: uint256 = self._position(claimIndex)
    step_position: uint256 = self._move_position(parent_position, isAttack)
    assert self._depth(step_position) == MAX_GAME_DEPTH + 1, "InvalidParent"

    # §7.2: the pre-state claim and the claim the VM's post-state is compared with
    pre_state: bytes32 = empty(bytes32)
    post_index: uint256 = claimIndex
    if isAttack:
        if self._index_at_depth(step_position) % (1 << (MAX_GAME_DEPTH - SPLIT_DEPTH)) == 0:
            pre_state = ABSOLUTE_PRESTATE
        else:
            pre_index: uint256 = self._find_ancestor(
                self._parent_index(claimIndex), self._trace_ancestor_bounded(parent_position - 1)
            )
            pre_state = self.claimStore[pre_index].claim
    else:
        pre_state = self.claimStore[claimIndex].claim
        post_index = self._find_ancestor(
            self._parent_index(claimIndex), self._trace_ancestor_bounded(parent_position + 1)
        )
    assert convert(keccak256(stateData), uint256) << 8 == convert(pre_state, uint256) << 8, "InvalidPrestate"

    output: bytes32 = self._vm_step(stateData, proof, self._local_context(claimIndex))
    valid: bool = output == self.claimStore[post_index].claim
    agree: bool = (self._depth(parent_position) - self._depth(self._position(post_index))) % 2 == 0
    assert agree != valid, "ValidStep"
    assert self.claimStore[claimIndex].counteredBy == empty(address), "DuplicateStep"
    self.claimStore[claimIndex].counteredBy = msg.sender


@internal
def _vm_step(state_data: Bytes[MAX_STATE_DATA_SIZE], proof: Bytes[MAX_PROOF_SIZE], context: bytes32) -> bytes32:
    """`VM.step` with canonical ABI calldata (the verifiers require it); its reverts pass through."""
    success: bool = False
    response: Bytes[MAX_VM_REVERT_SIZE] = b""
    success, response = raw_call(
        VM,
        abi_encode(state_data, proof, context, method_id=method_id("step(bytes,bytes,bytes32)")),
        max_outsize=MAX_VM_REVERT_SIZE,
        revert_on_failure=False,
    )
    if not success:
        raw_revert(response)
    return extract32(response, 0)


@external
def addLocalData(ident: uint256, execLeafIdx: uint256, partOffset: uint256):
    """@notice Load one part of a local input of claim `execLeafIdx`'s exec subgame (§7.5)."""
    self._require_in_progress()
    self._require_claim(execLeafIdx)
    starting: bytes32 = empty(bytes32)
    starting_position: uint256 = 0
    disputed: bytes32 = empty(bytes32)
    disputed_position: uint256 = 0
    starting, starting_position, disputed, disputed_position = self._outputs(execLeafIdx)
    context: bytes32 = self._context(starting, starting_position, disputed, disputed_position)

    word: bytes32 = empty(bytes32)
    size: uint256 = WORD_SIZE
    if ident == LOCAL_L1_HEAD:
        word = self.l1Head
    elif ident == LOCAL_STARTING_OUTPUT:
        word = starting
    elif ident == LOCAL_DISPUTED_OUTPUT:
        word = disputed
    elif ident == LOCAL_DISPUTED_BLOCK:
        word = convert(self._claimed_block(disputed_position) << NUMBER_SHIFT, bytes32)
        size = NUMBER_SIZE
    elif ident == LOCAL_L2_CHAIN_ID:
        word = convert(L2_CHAIN_ID << NUMBER_SHIFT, bytes32)
        size = NUMBER_SIZE
    else:
        raise "InvalidLocalIdent"
    extcall IPreimageOracle(ORACLE).loadLocalData(ident, context, word, size, partOffset)


@view
@internal
def _local_context(index: uint256) -> bytes32:
    """`localContext(i)` (§7.4), the same for `step` and `addLocalData`."""
    starting: bytes32 = empty(bytes32)
    starting_position: uint256 = 0
    disputed: bytes32 = empty(bytes32)
    disputed_position: uint256 = 0
    starting, starting_position, disputed, disputed_position = self._outputs(index)
    return self._context(starting, starting_position, disputed, disputed_position)


@pure
@internal
def _context(starting: bytes32, starting_position: uint256, disputed: bytes32, disputed_position: uint256) -> bytes32:
    if starting_position == ANCHOR_POSITION:
        return keccak256(concat(disputed, convert(disputed_position, bytes32)))
    return keccak256(
        concat(starting, convert(starting_position, bytes32), disputed, convert(disputed_position, bytes32))
    )


@view
@internal
def _outputs(index: uint256) -> (bytes32, uint256, bytes32, uint256):
    """
    @notice `outputs(i)` (§7.4): the starting and the disputed output (claim, position) of the
            block transition claim `index`'s exec subgame disputes; the anchor has position 0.
    """
    assert self._depth(self._position(index)) > SPLIT_DEPTH, "ClaimAboveSplit"
    exec_root: uint256 = index
    for _: uint256 in range(MAX_GAME_DEPTH_LIMIT):
        if self._depth(self._position(exec_root)) == SPLIT_DEPTH + 1:
            break
        exec_root = self._parent_index(exec_root)
    output: uint256 = self._parent_index(exec_root)
    output_position: uint256 = self._position(output)
    if self._position(exec_root) >> 1 == output_position:  # the exec root attacks the output
        if self._index_at_depth(output_position) == 0:
            return self.startingOutputRoot.root, ANCHOR_POSITION, self.claimStore[output].claim, output_position
        before: uint256 = self._find_ancestor(output, self._trace_ancestor(output_position - 1))
        return self.claimStore[before].claim, self._position(before), self.claimStore[output].claim, output_position
    after: uint256 = self._find_ancestor(output, self._trace_ancestor(output_position + 1))
    return self.claimStore[output].claim, output_position, self.claimStore[after].claim, self._position(after)


@view
@internal
def _claimed_block(position: uint256) -> uint256:
    """`block(g)` of an output position, clamped to the proposal's block (§2.2, §18 K20)."""
    return min(
        self.startingOutputRoot.l2SequenceNumber + self._trace_index(position, SPLIT_DEPTH) + 1,
        self._l2_block_number(),
    )


# -- block-number challenge (§8) ---------------------------------------------------------------------


@external
def challengeRootL2Block(outputRootProof: OutputRootProof, headerRLP: Bytes[MAX_HEADER_SIZE]):
    """@notice Show that the root's output commits to a block other than `l2BlockNumber()`."""
    self._require_in_progress()
    assert not self.l2BlockNumberChallenged, "L2BlockNumberChallenged"
    output_root: bytes32 = keccak256(
        concat(
            outputRootProof.version,
            outputRootProof.stateRoot,
            outputRootProof.messagePasserStorageRoot,
            outputRootProof.latestBlockhash,
        )
    )
    assert output_root == self.rootClaim, "InvalidOutputRootProof"
    assert keccak256(headerRLP) == outputRootProof.latestBlockhash, "InvalidHeaderRLP"
    assert self._header_block_number(headerRLP) != self._l2_block_number(), "BlockNumberMatches"
    self.l2BlockNumberChallenged = True
    self.l2BlockNumberChallenger = msg.sender


@pure
@internal
def _header_block_number(header: Bytes[MAX_HEADER_SIZE]) -> uint256:
    """
    @notice Item 8 of the RLP list `header`, read big-endian; InvalidHeaderRLP unless the header is
            one RLP list with canonical item prefixes and item 8 a string of at most 32 bytes.
    @dev    Items that are lists are skipped, not decoded (a header holds none).
    """
    data: Bytes[MAX_HEADER_SIZE + 32] = concat(header, empty(bytes32))  # windows past the end read 0
    size: uint256 = len(header)
    is_list: bool = False
    start: uint256 = 0
    length: uint256 = 0
    is_list, start, length = self._rlp_prefix(convert(extract32(data, 0), uint256))
    assert is_list and start + length == size, "InvalidHeaderRLP"
    position: uint256 = start
    count: uint256 = 0
    number: uint256 = 0
    for _: uint256 in range(MAX_HEADER_SIZE):  # every item takes at least one byte
        if position == size:
            break
        header_size: uint256 = 0
        is_list, header_size, length = self._rlp_prefix(convert(extract32(data, position), uint256))
        start = position + header_size
        assert start + length <= size, "InvalidHeaderRLP"
        if count == HEADER_NUMBER_FIELD:
            assert not is_list and length <= WORD_SIZE, "InvalidHeaderRLP"
            if length > 0:
                number = convert(extract32(data, start), uint256) >> (8 * (WORD_SIZE - length))
        count += 1
        position = start + length
    assert count > HEADER_NUMBER_FIELD, "InvalidHeaderRLP"
    return number


@pure
@internal
def _rlp_prefix(window: uint256) -> (bool, uint256, uint256):
    """
    @notice Whether the RLP item starting `window` (its first 32 bytes) is a list, the size of its
            prefix and of its payload; InvalidHeaderRLP for a prefix a strict decoder rejects.
    """
    first: uint256 = window >> 248
    second: uint256 = (window >> 240) & 255
    if first < RLP_SHORT_STRING:
        return False, 0, 1
    if first < RLP_LONG_STRING:
        # a single byte below 0x80 is its own encoding
        assert first != RLP_SHORT_STRING + 1 or second >= RLP_SHORT_STRING, "InvalidHeaderRLP"
        return False, 1, first - RLP_SHORT_STRING
    if first < RLP_SHORT_LIST:
        string_length_size: uint256 = first - (RLP_LONG_STRING - 1)
        return False, 1 + string_length_size, self._rlp_long_length(window, string_length_size)
    if first < RLP_LONG_LIST:
        return True, 1, first - RLP_SHORT_LIST
    list_length_size: uint256 = first - (RLP_LONG_LIST - 1)
    return True, 1 + list_length_size, self._rlp_long_length(window, list_length_size)


@pure
@internal
def _rlp_long_length(window: uint256, length_size: uint256) -> uint256:
    """The payload length of a long-form prefix: `length_size` bytes after the first, canonical."""
    length: uint256 = (window << 8) >> (256 - 8 * length_size)
    assert (window >> 240) & 255 != 0 and length > RLP_MAX_SHORT_LENGTH, "InvalidHeaderRLP"
    return length


# -- resolution (§11) --------------------------------------------------------------------------------


@external
def resolveClaim(claimIndex: uint256, numToResolve: uint256):
    """
    @notice Resolve claim `claimIndex`'s subgame once its clock has run out, its children a page
            at a time (`numToResolve` 0: all, on the first page only) (§11.1).
    """
    self._require_in_progress()
    assert self._challenger_duration(claimIndex) == convert(MAX_CLOCK_DURATION, uint256), "ClockNotExpired"
    assert not self.resolvedSubgames[claimIndex], "ClaimAlreadyResolved"
    children: uint256 = len(self.subgames[claimIndex])
    if children == 0 and claimIndex != 0:
        countered_by: address = self.claimStore[claimIndex].counteredBy
        self._pay(countered_by if countered_by != empty(address) else self._claimant(claimIndex), claimIndex)
        self.resolvedSubgames[claimIndex] = True
        return

    checkpoint: ResolutionCheckpoint = self._checkpoint(claimIndex)
    page: uint256 = numToResolve
    if not checkpoint.initialCheckpointComplete:
        checkpoint.leftmostPosition = NO_LEFTMOST_POSITION
        checkpoint.initialCheckpointComplete = True
        if page == 0:
            page = children
    first: uint256 = convert(checkpoint.subgameIndex, uint256)
    end: uint256 = first + min(page, children - first)
    for k: uint256 in range(first, end, bound=MAX_CHILDREN):
        child: uint256 = self.subgames[claimIndex][k]
        assert self.resolvedSubgames[child], "OutOfOrderResolution"
        position: uint128 = convert(self._position(child), uint128)
        if self.claimStore[child].counteredBy == empty(address) and position < checkpoint.leftmostPosition:
            checkpoint.counteredBy = self._claimant(child)
            checkpoint.leftmostPosition = position
    checkpoint.subgameIndex = convert(end, uint32)
    self._store_checkpoint(claimIndex, checkpoint)
    if end < children:
        return

    self.resolvedSubgames[claimIndex] = True
    if claimIndex == 0 and self.l2BlockNumberChallenged:
        self._pay(self.l2BlockNumberChallenger, 0)
        self.claimStore[0].counteredBy = self.l2BlockNumberChallenger
    else:
        recipient: address = checkpoint.counteredBy
        if recipient == empty(address):
            recipient = self._claimant(claimIndex)
        self._pay(recipient, claimIndex)
        self.claimStore[claimIndex].counteredBy = checkpoint.counteredBy


@external
def resolve() -> uint8:
    """@notice End the game once the root's subgame is resolved (§11.2)."""
    self._require_in_progress()
    assert self.resolvedSubgames[0], "OutOfOrderResolution"
    status: uint8 = DEFENDER_WINS
    if self.claimStore[0].counteredBy != empty(address):
        status = CHALLENGER_WINS
    self.status = status
    self.resolvedAt = convert(block.timestamp, uint64)
    log Resolved(status=status)
    return status


@internal
def _pay(recipient: address, index: uint256):
    """`pay(recipient, bond of claim index)`: a NORMAL-mode credit, no WETH call (§10.6, §11.1)."""
    self.normalModeCredit[recipient] += convert(self.claimStore[index].bond, uint256)


# -- credit (§10.6) ----------------------------------------------------------------------------------


@external
def closeGame():
    """@notice Decide NORMAL or REFUND once the game is finalized, trying the anchor update."""
    self._close_game()


@external
def claimCredit(recipient: address):
    """@notice First call: close the game and unlock `recipient`'s credit; second: pay it out."""
    self._close_game()
    amount: uint256 = self._credit(recipient)
    if not self.hasUnlockedCredit[recipient]:
        self.hasUnlockedCredit[recipient] = True
        extcall IDelayedWETH(WETH).unlock(recipient, amount)
        return
    assert amount != 0, "NoCreditToClaim"
    self.normalModeCredit[recipient] = 0
    self.refundModeCredit[recipient] = 0
    extcall IDelayedWETH(WETH).withdraw(recipient, amount)
    assert raw_call(recipient, b"", value=amount, revert_on_failure=False), "BondTransferFailed"


@internal
def _close_game():
    if self.bondDistributionMode != UNDECIDED:
        return
    assert not staticcall IAnchorStateRegistry(ANCHOR_STATE_REGISTRY).paused(), "GamePaused"
    assert self.resolvedAt != 0, "GameNotResolved"
    assert staticcall IAnchorStateRegistry(ANCHOR_STATE_REGISTRY).isGameFinalized(self), "GameNotFinalized"
    # The anchor update may fail (an older or an invalid game); closing goes on regardless.
    anchor_updated: bool = raw_call(
        ANCHOR_STATE_REGISTRY,
        abi_encode(self, method_id=method_id("setAnchorState(address)")),
        revert_on_failure=False,
    )
    mode: uint8 = REFUND
    if staticcall IAnchorStateRegistry(ANCHOR_STATE_REGISTRY).isGameProper(self):
        mode = NORMAL
    self.bondDistributionMode = mode
    log GameClosed(bondDistributionMode=mode)


@view
@internal
def _credit(recipient: address) -> uint256:
    if self.bondDistributionMode == REFUND:
        return self.refundModeCredit[recipient]
    return self.normalModeCredit[recipient]


@internal
def _deposit(depositor: address, amount: uint256):
    """Every bond is escrowed in DelayedWETH and recorded for a refund (§5, §6.1, §10.6)."""
    self.refundModeCredit[depositor] += amount
    extcall IDelayedWETH(WETH).deposit(value=amount)


# -- views (§19) -------------------------------------------------------------------------------------


@view
@external
def claimData(index: uint256) -> (uint32, address, address, uint128, bytes32, uint128, uint128):
    """@notice Claim `index` as ClaimData's fields in §4.1's order; reverts past the array."""
    self._require_claim(index)
    stored: StoredClaim = self.claimStore[index]
    return (
        convert(stored.parentAndClaimant >> ADDRESS_BITS, uint32),
        stored.counteredBy,
        self._claimant(index),
        stored.bond,
        stored.claim,
        convert(stored.positionAndClock >> HALF_BITS, uint128),
        convert(stored.positionAndClock & HALF_MASK, uint128),
    )


@view
@external
def claimDataLen() -> uint256:
    return self.claimCount


@view
@external
def getRequiredBond(position: uint128) -> uint256:
    """@notice The exact bond of a move to `position` (§10); GameDepthExceeded past MAX."""
    return self._required_bond(self._depth(convert(position, uint256)))


@view
@external
def getChallengerDuration(claimIndex: uint256) -> uint64:
    """@notice `challengerDuration(i)` (§9.1); GameNotInProgress once the game is over."""
    self._require_in_progress()
    return convert(self._challenger_duration(claimIndex), uint64)


@view
@external
def getNumToResolve(claimIndex: uint256) -> uint256:
    return len(self.subgames[claimIndex]) - convert(self._checkpoint(claimIndex).subgameIndex, uint256)


@view
@external
def resolutionCheckpoints(claimIndex: uint256) -> (bool, uint32, uint128, address):
    """@notice How far the paginated resolution of claim `claimIndex` has come (§4.2, §11.1)."""
    checkpoint: ResolutionCheckpoint = self._checkpoint(claimIndex)
    return (
        checkpoint.initialCheckpointComplete,
        checkpoint.subgameIndex,
        checkpoint.leftmostPosition,
        checkpoint.counteredBy,
    )


@view
@external
def credit(recipient: address) -> uint256:
    """@notice What `claimCredit` pays `recipient`: its refund in REFUND mode, else its normal credit."""
    return self._credit(recipient)


@view
@external
def gameType() -> uint32:
    return GAME_TYPE


@view
@external
def gameData() -> (uint32, bytes32, Bytes[MAX_EXTRA_DATA_SIZE]):
    return GAME_TYPE, self.rootClaim, self.extraData


@view
@external
def l2BlockNumber() -> uint256:
    return self._l2_block_number()


@view
@external
def l2SequenceNumber() -> uint256:
    return self._l2_block_number()


@view
@external
def startingBlockNumber() -> uint256:
    return self.startingOutputRoot.l2SequenceNumber


@view
@external
def startingRootHash() -> bytes32:
    return self.startingOutputRoot.root


@view
@external
def absolutePrestate() -> bytes32:
    return ABSOLUTE_PRESTATE


@view
@external
def maxGameDepth() -> uint256:
    return MAX_GAME_DEPTH


@view
@external
def splitDepth() -> uint256:
    return SPLIT_DEPTH


@view
@external
def maxClockDuration() -> uint64:
    return MAX_CLOCK_DURATION


@view
@external
def clockExtension() -> uint64:
    return CLOCK_EXTENSION


@view
@external
def vm() -> address:
    return VM


@view
@external
def weth() -> address:
    return WETH


@view
@external
def anchorStateRegistry() -> address:
    return ANCHOR_STATE_REGISTRY


@view
@external
def l2ChainId() -> uint256:
    return L2_CHAIN_ID


# -- claims ------------------------------------------------------------------------------------------


@internal
def _push_claim(parent_index: uint256, claimant: address, bond: uint256, claim: bytes32, position: uint256, clock: uint256):
    self.claimStore[self.claimCount] = StoredClaim(
        parentAndClaimant=(parent_index << ADDRESS_BITS) | convert(claimant, uint256),
        counteredBy=empty(address),
        bond=convert(bond, uint128),
        claim=claim,
        positionAndClock=(position << HALF_BITS) | clock,
    )
    self.claimCount += 1


@view
@internal
def _require_claim(index: uint256):
    """Row 2 of §6.1 and §7.1: an index past the claim array reverts."""
    assert index < self.claimCount


@view
@internal
def _parent_index(index: uint256) -> uint256:
    return self.claimStore[index].parentAndClaimant >> ADDRESS_BITS


@view
@internal
def _claimant(index: uint256) -> address:
    return convert(self.claimStore[index].parentAndClaimant & ADDRESS_MASK, address)


@view
@internal
def _position(index: uint256) -> uint256:
    return self.claimStore[index].positionAndClock >> HALF_BITS


@view
@internal
def _find_ancestor(start: uint256, position: uint256) -> uint256:
    """The first claim at `position` walking up the parents from `start` (itself first)."""
    index: uint256 = start
    for _: uint256 in range(MAX_GAME_DEPTH_LIMIT + 1):
        if self._position(index) == position:
            return index
        index = self._parent_index(index)
    raise  # a line of play has at most MAX_GAME_DEPTH + 1 claims


@view
@internal
def _require_in_progress():
    assert self.status == IN_PROGRESS, "GameNotInProgress"


@view
@internal
def _l2_block_number() -> uint256:
    """§4.3: the extraData word."""
    return extract32(self.extraData, 0, output_type=uint256)


@view
@internal
def _checkpoint(index: uint256) -> ResolutionCheckpoint:
    stored: StoredCheckpoint = self.checkpointStore[index]
    return ResolutionCheckpoint(
        initialCheckpointComplete=stored.progress & 1 == 1,
        subgameIndex=convert((stored.progress >> CHECKPOINT_INDEX_SHIFT) & SUBGAME_INDEX_MASK, uint32),
        leftmostPosition=convert(stored.progress >> CHECKPOINT_POSITION_SHIFT, uint128),
        counteredBy=stored.counteredBy,
    )


@internal
def _store_checkpoint(index: uint256, checkpoint: ResolutionCheckpoint):
    complete: uint256 = 1 if checkpoint.initialCheckpointComplete else 0
    self.checkpointStore[index] = StoredCheckpoint(
        progress=(convert(checkpoint.leftmostPosition, uint256) << CHECKPOINT_POSITION_SHIFT)
        | (convert(checkpoint.subgameIndex, uint256) << CHECKPOINT_INDEX_SHIFT)
        | complete,
        counteredBy=checkpoint.counteredBy,
    )


# -- clocks (§9) -------------------------------------------------------------------------------------


@view
@internal
def _challenger_duration(index: uint256) -> uint256:
    """`min(MCD, duration(parent(i)) + (now - timestamp(i)))`; the root's parent has duration 0."""
    self._require_claim(index)
    parent_duration: uint256 = 0
    parent_index: uint256 = self._parent_index(index)
    if parent_index != ROOT_PARENT_INDEX:
        parent_duration = (self.claimStore[parent_index].positionAndClock & HALF_MASK) >> CLOCK_HALF_BITS
    posted_at: uint256 = self.claimStore[index].positionAndClock & HALF_CLOCK_MASK
    return min(convert(MAX_CLOCK_DURATION, uint256), parent_duration + block.timestamp - posted_at)


@view
@internal
def _clock_extension(new_depth: uint256) -> uint256:
    """`ext(nd)` (§9.2): time guaranteed to the new claim's potential grandchild."""
    if new_depth == MAX_GAME_DEPTH - 1:
        return convert(CLOCK_EXTENSION, uint256) + CHALLENGE_PERIOD  # its next turn is a step
    if new_depth == SPLIT_DEPTH - 1:
        return 2 * convert(CLOCK_EXTENSION, uint256)  # its next turn posts an exec root
    return convert(CLOCK_EXTENSION, uint256)


# -- positions (§2.1) --------------------------------------------------------------------------------


@pure
@internal
def _depth(position: uint256) -> uint256:
    """The index of the most significant set bit."""
    depth: uint256 = 0
    rest: uint256 = position
    for bits: uint256 in [128, 64, 32, 16, 8, 4, 2, 1]:
        if rest >> bits != 0:
            rest >>= bits
            depth += bits
    return depth


@pure
@internal
def _index_at_depth(position: uint256) -> uint256:
    return position - (1 << self._depth(position))


@pure
@internal
def _move_position(position: uint256, is_attack: bool) -> uint256:
    """`attack(g) = 2g`, `defend(g) = 2(g | 1)`."""
    if is_attack:
        return position << 1
    return (position | 1) << 1


@pure
@internal
def _trace_index(position: uint256, max_depth: uint256) -> uint256:
    """`rightIndex(g, D) - 2^D`; `D ≥ depth(g)`."""
    remaining: uint256 = max_depth - self._depth(position)
    return ((position << remaining) | ((1 << remaining) - 1)) - (1 << max_depth)


@pure
@internal
def _trace_ancestor(position: uint256) -> uint256:
    """`g` without its trailing 1-bits (1 if none are left): the claim that made g's commitment."""
    ancestor: uint256 = position >> self._depth(position ^ (position + 1))
    if ancestor == 0:
        return ROOT_POSITION
    return ancestor


@view
@internal
def _trace_ancestor_bounded(position: uint256) -> uint256:
    """`traceAncestorBounded(g, SPLIT)`: the trace ancestor, kept inside g's exec subgame."""
    assert self._depth(position) > SPLIT_DEPTH, "ClaimAboveSplit"
    ancestor: uint256 = self._trace_ancestor(position)
    ancestor_depth: uint256 = self._depth(ancestor)
    if ancestor_depth <= SPLIT_DEPTH:
        remaining: uint256 = SPLIT_DEPTH + 1 - ancestor_depth
        return (ancestor << remaining) | ((1 << remaining) - 1)
    return ancestor


# -- bonds (§10.2) -----------------------------------------------------------------------------------


@view
@internal
def _required_bond(depth: uint256) -> uint256:
    """`200 gwei · (400 000 · exp_wad(ln_wad(base) · depth)) // WAD`."""
    assert depth <= MAX_GAME_DEPTH, "GameDepthExceeded"
    scaled: uint256 = convert(self._exp_wad(LN_BOND_BASE * convert(depth, int256)), uint256)
    return BOND_GAS_PRICE * (MIN_BOND_GAS * scaled // convert(WAD, uint256))


@pure
@internal
def _ln_wad(x: int256) -> int256:
    """
    @notice Solady's lnWad as §10.2 restates it: ≈ ln(x / WAD) · WAD for x > 0.
    @dev    `//` on int256 truncates toward zero (sdiv) and `>>` is arithmetic, as the spec needs;
            the mantissa is cut with logical shifts, as uint256.
    """
    normalize: uint256 = 255 - self._depth(convert(x, uint256))
    z: int256 = convert((convert(x, uint256) << normalize) >> 159, int256)  # in [2^96, 2^97)
    p: int256 = z + LP0
    p = ((p * z) >> 96) + LP1
    p = ((p * z) >> 96) + LP2
    p = ((p * z) >> 96) + LP3
    p = ((p * z) >> 96) + LP4
    p = ((p * z) >> 96) + LP5
    p = p * z - (LP6 << 96)
    q: int256 = z + LQ0
    q = ((q * z) >> 96) + LQ1
    q = ((q * z) >> 96) + LQ2
    q = ((q * z) >> 96) + LQ3
    q = ((q * z) >> 96) + LQ4
    q = ((q * z) >> 96) + LQ5
    q = ((q * z) >> 96) + LQ6
    r: int256 = p // q
    r = r * LS + (159 - convert(normalize, int256)) * LN2 + LOFF
    return r >> 174


@pure
@internal
def _exp_wad(x: int256) -> int256:
    """
    @notice Solady's expWad as §10.2 restates it: ≈ e^(x / WAD) · WAD.
    @dev    Bonds only ask for 0 ≤ x ≤ ln(750) · WAD, inside both of Solady's range checks (0 below
            -41.4·WAD, overflow from 135.3·WAD), so they are left out; the last product is formed
            unsigned, as the spec requires.
    """
    y: int256 = (x << 78) // 5**18  # to 2^96 fixed point
    k: int256 = (((y << 96) // EL2) + 2**95) >> 96  # round(y / ln 2)
    y = y - k * EL2
    t: int256 = y + EY0
    t = ((t * y) >> 96) + EY1
    p: int256 = t + y - EP0
    p = ((p * t) >> 96) + EP1
    p = p * y + (EP2 << 96)
    q: int256 = y - EQ0
    q = ((q * y) >> 96) + EQ1
    q = ((q * y) >> 96) + EQ2
    q = ((q * y) >> 96) + EQ3
    q = ((q * y) >> 96) + EQ4
    q = ((q * y) >> 96) + EQ5
    r: int256 = p // q
    return convert((convert(r, uint256) * ES) >> convert(195 - k, uint256), int256)
