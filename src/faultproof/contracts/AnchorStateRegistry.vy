# pragma version ~=0.4.3
"""
@title AnchorStateRegistry
@notice Which dispute games count, and the anchor every new game starts from (spec:
        dispute-game.md §13; upstream: AnchorStateRegistry.sol 3.x). A game's claim is valid once
        it is registered with the factory, respected, neither blacklisted nor retired, the system
        is not paused, and it resolved DEFENDER_WINS more than the finality delay ago; a valid game
        newer than the anchor may become the anchor.
@dev    Constructed rather than initialized: the constructor takes upstream's `initialize`
        arguments and, as `initialize` does, retires every game created up to now.
"""

interface ISystemConfig:
    def guardian() -> address: view
    def paused() -> bool: view


interface IDisputeGameFactory:
    def games(gameType: uint32, rootClaim: bytes32, extraData: Bytes[MAX_EXTRA_DATA_SIZE]) -> (address, uint64): view


interface IDisputeGame:
    def gameData() -> (uint32, bytes32, Bytes[MAX_EXTRA_DATA_SIZE]): view
    def anchorStateRegistry() -> address: view
    def wasRespectedGameTypeWhenCreated() -> bool: view
    def createdAt() -> uint64: view
    def resolvedAt() -> uint64: view
    def status() -> uint8: view
    def rootClaim() -> bytes32: view
    def l2SequenceNumber() -> uint256: view


struct OutputRoot:
    root: bytes32
    l2SequenceNumber: uint256


event AnchorUpdated:
    game: indexed(address)


event RespectedGameTypeSet:
    gameType: indexed(uint32)


event RetirementTimestampSet:
    timestamp: indexed(uint64)


event DisputeGameBlacklisted:
    game: indexed(address)


MAX_EXTRA_DATA_SIZE: constant(uint256) = 64  # the factory's bound
CHALLENGER_WINS: constant(uint8) = 1
DEFENDER_WINS: constant(uint8) = 2

DISPUTE_GAME_FINALITY_DELAY_SECONDS: immutable(uint256)

systemConfig: public(address)
disputeGameFactory: public(address)
anchorGame: public(address)
startingAnchorRoot: public(OutputRoot)
disputeGameBlacklist: public(HashMap[address, bool])
respectedGameType: public(uint32)
retirementTimestamp: public(uint64)


@deploy
def __init__(
    systemConfig: address,
    disputeGameFactory: address,
    startingAnchorRoot: OutputRoot,
    startingRespectedGameType: uint32,
    disputeGameFinalityDelaySeconds: uint256,
):
    self.systemConfig = systemConfig
    self.disputeGameFactory = disputeGameFactory
    self.startingAnchorRoot = startingAnchorRoot
    self.respectedGameType = startingRespectedGameType
    self.retirementTimestamp = convert(block.timestamp, uint64)
    DISPUTE_GAME_FINALITY_DELAY_SECONDS = disputeGameFinalityDelaySeconds


# -- the anchor --------------------------------------------------------------------------------------


@view
@external
def getAnchorRoot() -> (bytes32, uint256):
    """@notice (root, L2 block) every new game starts from: the starting anchor or the anchor game's."""
    return self._anchor_root()


@view
@external
def anchors(gameType: uint32) -> (bytes32, uint256):
    """@notice The same anchor for every game type (upstream's legacy getter)."""
    return self._anchor_root()


@external
def setAnchorState(game: address):
    """@notice Make a valid game newer than the anchor the anchor (permissionless; §18 K26)."""
    root: bytes32 = empty(bytes32)
    anchor_block: uint256 = 0
    root, anchor_block = self._anchor_root()
    assert self._is_claim_valid(game), "AnchorStateRegistry_InvalidAnchorGame"
    assert staticcall IDisputeGame(game).l2SequenceNumber() > anchor_block, "AnchorStateRegistry_InvalidAnchorGame"
    self.anchorGame = game
    log AnchorUpdated(game=game)


# -- predicates (§13) --------------------------------------------------------------------------------


@view
@external
def paused() -> bool:
    return self._paused()


@view
@external
def disputeGameFinalityDelaySeconds() -> uint256:
    return DISPUTE_GAME_FINALITY_DELAY_SECONDS


@view
@external
def isGameRegistered(game: address) -> bool:
    return self._is_registered(game)


@view
@external
def isGameRespected(game: address) -> bool:
    return staticcall IDisputeGame(game).wasRespectedGameTypeWhenCreated()


@view
@external
def isGameBlacklisted(game: address) -> bool:
    return self.disputeGameBlacklist[game]


@view
@external
def isGameRetired(game: address) -> bool:
    return self._is_retired(game)


@view
@external
def isGameProper(game: address) -> bool:
    return self._is_proper(game)


@view
@external
def isGameResolved(game: address) -> bool:
    return self._is_resolved(game)


@view
@external
def isGameFinalized(game: address) -> bool:
    return self._is_finalized(game)


@view
@external
def isGameClaimValid(game: address) -> bool:
    return self._is_claim_valid(game)


# -- guardian ----------------------------------------------------------------------------------------


@external
def setRespectedGameType(gameType: uint32):
    self._require_guardian()
    self.respectedGameType = gameType
    log RespectedGameTypeSet(gameType=gameType)


@external
def updateRetirementTimestamp():
    """@notice Retire every game created up to now."""
    self._require_guardian()
    self.retirementTimestamp = convert(block.timestamp, uint64)
    log RetirementTimestampSet(timestamp=self.retirementTimestamp)


@external
def blacklistDisputeGame(game: address):
    self._require_guardian()
    self.disputeGameBlacklist[game] = True
    log DisputeGameBlacklisted(game=game)


# -- internals ---------------------------------------------------------------------------------------


@view
@internal
def _anchor_root() -> (bytes32, uint256):
    if self.anchorGame == empty(address):
        return self.startingAnchorRoot.root, self.startingAnchorRoot.l2SequenceNumber
    game: address = self.anchorGame
    return staticcall IDisputeGame(game).rootClaim(), staticcall IDisputeGame(game).l2SequenceNumber()


@view
@internal
def _paused() -> bool:
    return staticcall ISystemConfig(self.systemConfig).paused()


@view
@internal
def _is_registered(game: address) -> bool:
    """The factory made `game` for its creation arguments, pointed at this registry."""
    game_type: uint32 = 0
    root_claim: bytes32 = empty(bytes32)
    extra_data: Bytes[MAX_EXTRA_DATA_SIZE] = b""
    game_type, root_claim, extra_data = staticcall IDisputeGame(game).gameData()
    proxy: address = empty(address)
    timestamp: uint64 = 0
    proxy, timestamp = staticcall IDisputeGameFactory(self.disputeGameFactory).games(game_type, root_claim, extra_data)
    return proxy == game and staticcall IDisputeGame(game).anchorStateRegistry() == self


@view
@internal
def _is_retired(game: address) -> bool:
    return staticcall IDisputeGame(game).createdAt() <= self.retirementTimestamp


@view
@internal
def _is_proper(game: address) -> bool:
    """Registered, not blacklisted, not retired, and the system not paused."""
    if not self._is_registered(game) or self.disputeGameBlacklist[game] or self._is_retired(game):
        return False
    return not self._paused()


@view
@internal
def _is_resolved(game: address) -> bool:
    status: uint8 = staticcall IDisputeGame(game).status()
    resolved_at: uint64 = staticcall IDisputeGame(game).resolvedAt()
    return resolved_at != 0 and (status == CHALLENGER_WINS or status == DEFENDER_WINS)


@view
@internal
def _is_finalized(game: address) -> bool:
    """Resolved more than the finality delay ago (strictly)."""
    if not self._is_resolved(game):
        return False
    resolved_at: uint256 = convert(staticcall IDisputeGame(game).resolvedAt(), uint256)
    return block.timestamp - resolved_at > DISPUTE_GAME_FINALITY_DELAY_SECONDS


@view
@internal
def _is_claim_valid(game: address) -> bool:
    if not self._is_proper(game) or not staticcall IDisputeGame(game).wasRespectedGameTypeWhenCreated():
        return False
    return self._is_finalized(game) and staticcall IDisputeGame(game).status() == DEFENDER_WINS


@view
@internal
def _require_guardian():
    assert msg.sender == staticcall ISystemConfig(self.systemConfig).guardian(), "AnchorStateRegistry_Unauthorized"
