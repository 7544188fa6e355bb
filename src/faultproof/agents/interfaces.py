"""The contract functions the agents call, as ABIs written from the spec's interface (§19, §12, §13, §10.5).

The agents talk to a deployment only through these names and types, never through the project's
compiled sources, so they play any implementation that keeps upstream's selectors — this
project's Vyper contracts or upstream's — and a handle is cheap to make for any address. Each
interface is written as signatures, one per line, in the human-readable form
``name(inputs) [view|payable] [returns (outputs)]``; ``interface`` turns them into ABI entries.
"""

from __future__ import annotations

from typing import Any

from faultproof.contracts import CompiledContract

ABIEntry = dict[str, Any]

MUTABILITIES = ("view", "pure", "payable", "nonpayable")


def interface(name: str, signatures: str) -> CompiledContract:
    """A contract handle's ABI (no code) from one signature per line."""
    entries = [_function(line.strip()) for line in signatures.strip().splitlines() if line.strip()]
    return CompiledContract(name=name, abi=entries, bytecode=b"", runtime_bytecode=b"")


def _function(signature: str) -> ABIEntry:
    name, rest = signature.split("(", 1)
    inputs, rest = _balanced(rest)
    words = rest.split()
    mutability = "nonpayable"
    outputs: list[ABIEntry] = []
    while words:
        word = words.pop(0)
        if word in MUTABILITIES:
            mutability = word
        elif word == "returns":
            returned, _ = _balanced(" ".join(words).removeprefix("("))
            outputs = _parameters(returned)
            words = []
        else:
            raise ValueError(f"cannot read ABI signature {signature!r} at {word!r}")
    return {
        "type": "function",
        "name": name.strip(),
        "inputs": _parameters(inputs),
        "outputs": outputs,
        "stateMutability": mutability,
    }


def _balanced(text: str) -> tuple[str, str]:
    """Split ``a,(b,c))rest`` (the opening parenthesis already consumed) into its inside and the rest."""
    level = 1
    for offset, char in enumerate(text):
        level += {"(": 1, ")": -1}.get(char, 0)
        if level == 0:
            return text[:offset], text[offset + 1 :]
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _parameters(text: str) -> list[ABIEntry]:
    parameters: list[ABIEntry] = []
    level, start = 0, 0
    for offset, char in enumerate(text + ","):
        level += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and level == 0:
            item = text[start:offset].strip()
            if item:
                parameters.append(_parameter(item))
            start = offset + 1
    return parameters


def _parameter(item: str) -> ABIEntry:
    if item.startswith("("):
        inside, suffix = _balanced(item[1:])
        return {"name": "", "type": "tuple" + suffix.strip(), "components": _parameters(inside)}
    return {"name": "", "type": item.split()[0]}


FAULT_DISPUTE_GAME = interface(
    "IFaultDisputeGame",
    """
    claimData(uint256) view returns (uint32,address,address,uint128,bytes32,uint128,uint128)
    claimDataLen() view returns (uint256)
    status() view returns (uint8)
    createdAt() view returns (uint64)
    resolvedAt() view returns (uint64)
    gameType() view returns (uint32)
    gameCreator() view returns (address)
    rootClaim() view returns (bytes32)
    l1Head() view returns (bytes32)
    l2BlockNumber() view returns (uint256)
    l2ChainId() view returns (uint256)
    startingBlockNumber() view returns (uint256)
    startingRootHash() view returns (bytes32)
    absolutePrestate() view returns (bytes32)
    maxGameDepth() view returns (uint256)
    splitDepth() view returns (uint256)
    maxClockDuration() view returns (uint64)
    clockExtension() view returns (uint64)
    vm() view returns (address)
    weth() view returns (address)
    anchorStateRegistry() view returns (address)
    l2BlockNumberChallenged() view returns (bool)
    resolvedSubgames(uint256) view returns (bool)
    getChallengerDuration(uint256) view returns (uint64)
    getRequiredBond(uint128) view returns (uint256)
    getNumToResolve(uint256) view returns (uint256)
    credit(address) view returns (uint256)
    normalModeCredit(address) view returns (uint256)
    refundModeCredit(address) view returns (uint256)
    hasUnlockedCredit(address) view returns (bool)
    bondDistributionMode() view returns (uint8)
    move(bytes32,uint256,bytes32,bool) payable
    attack(bytes32,uint256,bytes32) payable
    defend(bytes32,uint256,bytes32) payable
    step(uint256,bool,bytes,bytes)
    addLocalData(uint256,uint256,uint256)
    challengeRootL2Block((bytes32,bytes32,bytes32,bytes32),bytes)
    resolveClaim(uint256,uint256)
    resolve() returns (uint8)
    closeGame()
    claimCredit(address)
    """,
)

DISPUTE_GAME_FACTORY = interface(
    "IDisputeGameFactory",
    """
    gameCount() view returns (uint256)
    gameAtIndex(uint256) view returns (uint32,uint64,address)
    games(uint32,bytes32,bytes) view returns (address,uint64)
    gameImpls(uint32) view returns (address)
    initBonds(uint32) view returns (uint256)
    create(uint32,bytes32,bytes) payable returns (address)
    """,
)

ANCHOR_STATE_REGISTRY = interface(
    "IAnchorStateRegistry",
    """
    getAnchorRoot() view returns (bytes32,uint256)
    respectedGameType() view returns (uint32)
    isGameFinalized(address) view returns (bool)
    disputeGameFinalityDelaySeconds() view returns (uint256)
    """,
)

DELAYED_WETH = interface(
    "IDelayedWETH",
    """
    delay() view returns (uint256)
    balanceOf(address) view returns (uint256)
    """,
)

BIG_STEPPER = interface(
    "IBigStepper",
    """
    oracle() view returns (address)
    """,
)

PREIMAGE_ORACLE = interface(
    "IPreimageOracle",
    """
    challengePeriod() view returns (uint256)
    minProposalSize() view returns (uint256)
    preimagePartOk(bytes32,uint256) view returns (bool)
    readPreimage(bytes32,uint256) view returns (bytes32,uint256)
    loadLocalData(uint256,bytes32,bytes32,uint256,uint256) returns (bytes32)
    loadKeccak256PreimagePart(uint256,bytes)
    loadSha256PreimagePart(uint256,bytes)
    loadBlobPreimagePart(uint256,uint256,bytes,bytes,uint256)
    loadPrecompilePreimagePart(uint256,address,uint64,bytes)
    """,
)


__all__ = [
    "ANCHOR_STATE_REGISTRY",
    "BIG_STEPPER",
    "DELAYED_WETH",
    "DISPUTE_GAME_FACTORY",
    "FAULT_DISPUTE_GAME",
    "PREIMAGE_ORACLE",
    "interface",
]
