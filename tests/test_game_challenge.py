"""The block-number challenge on the FaultDisputeGame contract (dispute-game.md §8, §18 K14).

The root's output-root proof and header are checked as the model checks them, with a strict RLP
reading of the header: malformed headers are refused, and random headers (without nested lists,
which the contract skips and a strict decoder decodes) end alike on both.
"""

from __future__ import annotations

import itertools

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from faultproof.agents import GameReader
from faultproof.cli.game import show_payouts
from faultproof.crypto import keccak256
from faultproof.game.configs import UNIT
from faultproof.game.resolution import GameStatus
from faultproof.onchain.games import (
    GameSystem,
)
from game_chain import (
    ANCHOR_BLOCK,
    HONEST,
    LIAR,
    LIE,
    RIVAL,
    Mirror,
    alphabet_system,
)
from test_game_model import header, output_root_proof

OutputRootProof = tuple[bytes, bytes, bytes, bytes]
PLAYERS = (HONEST, LIAR)  # even depths, odd depths


# -- §8: the block-number challenge --------------------------------------------------------------------


PROPOSALS = itertools.count(ANCHOR_BLOCK + 100)  # a new block for each game of a shared system


def challenged_game(
    system: GameSystem, header_rlp: bytes, block: int | None = None
) -> tuple[Mirror, OutputRootProof]:
    """A game proposing ``block`` (a new one by default) whose root is the output root of a block
    with this header."""
    proof = output_root_proof(keccak256(header_rlp))
    root = keccak256(b"".join(proof))
    block = next(PROPOSALS) if block is None else block
    return Mirror(system, UNIT, LIAR, root_claim=root, l2_block_number=block), proof


def test_k14_block_number_challenge(unit_system: GameSystem) -> None:
    """K14: a root whose output is of another block: the challenger takes the root's bond, moves stop."""
    wrong_header = header(ANCHOR_BLOCK + 7)
    mirror, proof = challenged_game(unit_system, wrong_header)
    (child,) = mirror.descend(0, [True], PLAYERS)
    challenge = mirror.challenge_root_l2_block
    assert challenge(output_root_proof(bytes(32)), wrong_header, HONEST).reason == "InvalidOutputRootProof"
    assert challenge(proof, header(5), HONEST).reason == "InvalidHeaderRLP"
    assert not challenge(proof, wrong_header, RIVAL).reverted
    assert mirror.game.l2BlockNumberChallenger() == RIVAL.address
    assert challenge(proof, wrong_header, HONEST).reason == "L2BlockNumberChallenged"
    assert mirror.move(0, True, keccak256(b"x"), HONEST).reason == "L2BlockNumberChallenged"
    assert not mirror.move(child, True, LIE, LIAR).reverted  # moves elsewhere go on
    mirror.resolve_all(HONEST)
    assert mirror.game.status() == GameStatus.CHALLENGER_WINS
    assert mirror.game.claimData(0)[1] == RIVAL.address
    assert mirror.game.normalModeCredit(RIVAL.address) == unit_system.factory.initBonds(UNIT.game_type)
    mirror.check_state()
    # `game show` names the challenger as the root bond's recipient
    console = Console(record=True, width=200)
    show_payouts(GameReader(unit_system.chain).read(mirror.game.address), console)
    assert f"{RIVAL.address}  0.08 ETH" in console.export_text()


def test_block_number_matches(unit_system: GameSystem) -> None:
    matching = header(ANCHOR_BLOCK + 16)
    mirror, proof = challenged_game(unit_system, matching, ANCHOR_BLOCK + 16)
    assert mirror.challenge_root_l2_block(proof, matching, HONEST).reason == "BlockNumberMatches"


def rlp_item(payload: bytes, style: str = "canonical") -> bytes:
    """A string item, canonically encoded or in one of the forms a strict decoder refuses."""
    if style == "canonical":
        return bytes(rlp.encode(payload))
    if style == "prefixed byte":  # a single byte below 0x80 given a short-string prefix
        return b"\x81" + payload[:1]
    length = len(payload).to_bytes(max(1, (len(payload).bit_length() + 7) // 8), "big")
    if style == "leading zero":
        length = b"\0" + length
    return bytes([0xB7 + len(length)]) + length + payload  # "long form" (and short lengths in it)


def rlp_list(items: list[bytes], style: str = "canonical") -> bytes:
    payload = b"".join(items)
    if style == "canonical" and len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    length = len(payload).to_bytes(max(1, (len(payload).bit_length() + 7) // 8), "big")
    if style == "leading zero":
        length = b"\0" + length
    return bytes([0xF7 + len(length)]) + length + payload


HEADER_FIELDS = [keccak256(bytes([i])) for i in range(8)]

MALFORMED_HEADERS = {
    "a string, not a list": bytes(rlp.encode(b"\x01" * 40)),
    "eight items": bytes(rlp.encode(HEADER_FIELDS)),
    "item 8 is a list": bytes(rlp.encode([*HEADER_FIELDS, [b"\x01"], b""])),
    "item 8 is 33 bytes": bytes(rlp.encode([*HEADER_FIELDS, b"\x01" * 33, b""])),
    "trailing byte": bytes(rlp.encode([*HEADER_FIELDS, b"\x07", b""])) + b"\x00",
    "truncated": bytes(rlp.encode([*HEADER_FIELDS, b"\x07", b"abc"]))[:-1],
    "prefixed single byte": rlp_list([*map(rlp_item, HEADER_FIELDS), rlp_item(b"\x07", "prefixed byte")]),
    "long form of a short string": rlp_list([*map(rlp_item, HEADER_FIELDS), rlp_item(b"\x07\x08", "long")]),
    "length with a leading zero": rlp_list(
        [*map(rlp_item, HEADER_FIELDS), rlp_item(b"\x01" * 60, "leading zero")]
    ),
    "list length with a leading zero": rlp_list(
        [*map(rlp_item, HEADER_FIELDS), rlp_item(b"\x07")], "leading zero"
    ),
    "empty": b"",
}


@pytest.mark.parametrize("name", list(MALFORMED_HEADERS))
def test_malformed_headers_are_refused(unit_system: GameSystem, name: str) -> None:
    malformed = MALFORMED_HEADERS[name]
    mirror, proof = challenged_game(unit_system, malformed)
    assert mirror.challenge_root_l2_block(proof, malformed, HONEST).reason == "InvalidHeaderRLP"


@pytest.fixture(scope="module")
def shared_unit_system() -> GameSystem:
    return alphabet_system(UNIT)


ITEM_STYLES = st.sampled_from(["canonical"] * 6 + ["prefixed byte", "long", "leading zero"])


@settings(max_examples=25)
@given(
    fields=st.lists(st.binary(max_size=70), max_size=16),
    styles=st.lists(ITEM_STYLES, min_size=16, max_size=16),
    list_style=st.sampled_from(["canonical", "canonical", "long", "leading zero"]),
    tail=st.sampled_from([b"", b"\x00", b"\xc0"]),
    cut=st.integers(0, 2),
)
def test_headers_are_read_as_the_model_reads_them(
    shared_unit_system: GameSystem,
    fields: list[bytes],
    styles: list[str],
    list_style: str,
    tail: bytes,
    cut: int,
) -> None:
    """§8 on random headers without nested lists: well formed or not, the contract and the model
    (a strict RLP decoder) agree on InvalidHeaderRLP, BlockNumberMatches and success."""
    items = [
        rlp_item(field, style) if field else rlp_item(field)
        for field, style in zip(fields, styles, strict=False)
    ]
    encoded = rlp_list(items, list_style) + tail
    encoded = encoded[: len(encoded) - cut] if cut < len(encoded) else encoded
    mirror, proof = challenged_game(shared_unit_system, encoded)
    mirror.challenge_root_l2_block(proof, encoded, HONEST)
