# pragma version ~=0.4.3
"""
@title DisputeGameFactory
@notice Creates dispute games, one per (game type, root claim, extraData), and keeps the list
        (spec: dispute-game.md §12.1; upstream: DisputeGameFactory.sol).
@dev    A game is an EIP-1167 minimal proxy of its type's implementation, initialized in the
        creating call with the creation arguments (creator = msg.sender, never tx.origin; §18 K13)
        and the bond. extraData is at most MAX_EXTRA_DATA_SIZE = 64 bytes: an FDG takes exactly 32
        (its L2 block number) and checks the length itself, so a 33..64-byte extraData reaches its
        BadExtraData check; a longer one is refused by this contract's ABI decoder (empty revert).
        findLatestGames returns at most MAX_SEARCH_RESULTS entries per call.
"""

interface IDisputeGame:
    def initialize(creator: address, rootClaim: bytes32, l1Head: bytes32, extraData: Bytes[MAX_EXTRA_DATA_SIZE]): payable
    def gameData() -> (uint32, bytes32, Bytes[MAX_EXTRA_DATA_SIZE]): view


struct GameSearchResult:
    index: uint256
    metadata: bytes32  # GameId
    timestamp: uint64
    rootClaim: bytes32
    extraData: Bytes[MAX_EXTRA_DATA_SIZE]


event DisputeGameCreated:
    disputeProxy: indexed(address)
    gameType: indexed(uint32)
    rootClaim: indexed(bytes32)


event ImplementationSet:
    impl: indexed(address)
    gameType: indexed(uint32)


event InitBondUpdated:
    gameType: indexed(uint32)
    newBond: indexed(uint256)


event OwnershipTransferred:
    previousOwner: indexed(address)
    newOwner: indexed(address)


MAX_EXTRA_DATA_SIZE: constant(uint256) = 64
MAX_SEARCH_RESULTS: constant(uint256) = 100
MAX_GAMES: constant(uint256) = 2**64

# §1: GameId = gameType << 224 | timestamp << 160 | proxy
GAME_TYPE_SHIFT: constant(uint256) = 224
TIMESTAMP_SHIFT: constant(uint256) = 160
TIMESTAMP_MASK: constant(uint256) = 2**64 - 1
ADDRESS_MASK: constant(uint256) = 2**160 - 1

owner: public(address)
gameImpls: public(HashMap[uint32, address])
initBonds: public(HashMap[uint32, uint256])
gameCount: public(uint256)
gameIds: HashMap[uint256, uint256]  # by creation index
gameIdsByUUID: HashMap[bytes32, uint256]


@deploy
def __init__():
    self.owner = msg.sender


@payable
@external
def create(gameType: uint32, rootClaim: bytes32, extraData: Bytes[MAX_EXTRA_DATA_SIZE]) -> address:
    """@notice Create and initialize a game with the exact init bond of its type (§10.4, §12.1)."""
    implementation: address = self.gameImpls[gameType]
    assert implementation != empty(address), "NoImplementation"
    assert msg.value == self.initBonds[gameType], "IncorrectBondAmount"
    proxy: address = create_minimal_proxy_to(implementation)
    extcall IDisputeGame(proxy).initialize(
        msg.sender, rootClaim, blockhash(block.number - 1), extraData, value=msg.value
    )
    uuid: bytes32 = self._uuid(gameType, rootClaim, extraData)
    assert self.gameIdsByUUID[uuid] == 0, "GameAlreadyExists"
    game_id: uint256 = (
        (convert(gameType, uint256) << GAME_TYPE_SHIFT)
        | (block.timestamp << TIMESTAMP_SHIFT)
        | convert(proxy, uint256)
    )
    self.gameIdsByUUID[uuid] = game_id
    self.gameIds[self.gameCount] = game_id
    self.gameCount += 1
    log DisputeGameCreated(disputeProxy=proxy, gameType=gameType, rootClaim=rootClaim)
    return proxy


# -- views -------------------------------------------------------------------------------------------


@view
@external
def gameAtIndex(index: uint256) -> (uint32, uint64, address):
    """@notice (gameType, timestamp, proxy) of the game created `index`-th; reverts past the list."""
    assert index < self.gameCount
    return self._unpack(self.gameIds[index])


@view
@external
def games(gameType: uint32, rootClaim: bytes32, extraData: Bytes[MAX_EXTRA_DATA_SIZE]) -> (address, uint64):
    """@notice (proxy, timestamp) of the game for these creation arguments; zeros if none."""
    kind: uint32 = 0
    timestamp: uint64 = 0
    proxy: address = empty(address)
    kind, timestamp, proxy = self._unpack(self.gameIdsByUUID[self._uuid(gameType, rootClaim, extraData)])
    return proxy, timestamp


@pure
@external
def getGameUUID(gameType: uint32, rootClaim: bytes32, extraData: Bytes[MAX_EXTRA_DATA_SIZE]) -> bytes32:
    return self._uuid(gameType, rootClaim, extraData)


@view
@external
def findLatestGames(gameType: uint32, start: uint256, n: uint256) -> DynArray[GameSearchResult, MAX_SEARCH_RESULTS]:
    """
    @notice Up to `n` games of `gameType` (at most MAX_SEARCH_RESULTS), scanning back from index
            `start`, newest first; empty if `start` is past the list or `n` is 0.
    """
    found: DynArray[GameSearchResult, MAX_SEARCH_RESULTS] = []
    if start >= self.gameCount or n == 0:
        return found
    wanted: uint256 = min(n, MAX_SEARCH_RESULTS)
    for offset: uint256 in range(start + 1, bound=MAX_GAMES):
        index: uint256 = start - offset
        game_id: uint256 = self.gameIds[index]
        kind: uint32 = 0
        timestamp: uint64 = 0
        proxy: address = empty(address)
        kind, timestamp, proxy = self._unpack(game_id)
        if kind == gameType:
            root_claim: bytes32 = empty(bytes32)
            extra_data: Bytes[MAX_EXTRA_DATA_SIZE] = b""
            kind, root_claim, extra_data = staticcall IDisputeGame(proxy).gameData()
            found.append(
                GameSearchResult(
                    index=index,
                    metadata=convert(game_id, bytes32),
                    timestamp=timestamp,
                    rootClaim=root_claim,
                    extraData=extra_data,
                )
            )
            if len(found) == wanted:
                break
    return found


# -- owner -------------------------------------------------------------------------------------------


@external
def setImplementation(gameType: uint32, impl: address):
    assert msg.sender == self.owner, "NotOwner"
    self.gameImpls[gameType] = impl
    log ImplementationSet(impl=impl, gameType=gameType)


@external
def setInitBond(gameType: uint32, initBond: uint256):
    assert msg.sender == self.owner, "NotOwner"
    self.initBonds[gameType] = initBond
    log InitBondUpdated(gameType=gameType, newBond=initBond)


@external
def transferOwnership(newOwner: address):
    assert msg.sender == self.owner, "NotOwner"
    log OwnershipTransferred(previousOwner=self.owner, newOwner=newOwner)
    self.owner = newOwner


# -- internals ---------------------------------------------------------------------------------------


@pure
@internal
def _uuid(game_type: uint32, root_claim: bytes32, extra_data: Bytes[MAX_EXTRA_DATA_SIZE]) -> bytes32:
    """`H(abi.encode(uint32 gameType, bytes32 rootClaim, bytes extraData))` (§12.1)."""
    return keccak256(abi_encode(game_type, root_claim, extra_data))


@pure
@internal
def _unpack(game_id: uint256) -> (uint32, uint64, address):
    return (
        convert(game_id >> GAME_TYPE_SHIFT, uint32),
        convert((game_id >> TIMESTAMP_SHIFT) & TIMESTAMP_MASK, uint64),
        convert(game_id & ADDRESS_MASK, address),
    )
