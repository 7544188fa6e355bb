"""The proposer (§16), the challenger's choice of games (§15.2) and many games at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from agent_games import ADVERSARY_SEATS, ANCHOR_BLOCK, HONEST, Table, check_outcome
from faultproof.agents import EventKind, GameTraces, HonestChallenger, LyingOutputs, Proposer, alphabet_traces
from faultproof.agents.snapshot import GameSnapshot
from faultproof.agents.store import GameState
from faultproof.chain import EmbeddedChain
from faultproof.crypto import keccak256
from faultproof.game import alphabet
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.game.params import GameType
from faultproof.onchain.games import GameSetup, deploy_game_system
from faultproof.preimage.keys import typed
from faultproof.trace.outputs import AlphabetOutputs
from faultproof.trace.provider import TraceError, TraceProvider
from faultproof.trace.split import BottomFactory, ExecInputs, alphabet_bottom
from faultproof.vm.status import VMStatus


def test_the_challenger_plays_many_games_at_once() -> None:
    """An honest proposal and two wrong ones at other blocks, all attacked or defended by one liar."""
    table = Table.deploy(EmbeddedChain(), UNIT)
    lie = LyingOutputs({table.head, table.head - 1, table.head - 2})
    table.proposer()
    for seat, block in ((ADVERSARY_SEATS[1], table.head - 1), (ADVERSARY_SEATS[2], table.head - 2)):
        wrong = Proposer(
            table.chain,
            table.seat(seat),
            table.factory,
            lie,
            lambda block=block: block,  # type: ignore[misc]
            game_type=UNIT.game_type,
            max_proposals=1,
            name=f"wrong-{block}",
            on_event=table.events.append,
        )
        table.join(wrong)
    table.adversary("liar", ADVERSARY_SEATS[0], lie)
    honest = table.challenger()
    result = table.run()
    assert len(result.games) == 3
    check_outcome(table, result, honest)
    done = [event.game for event in table.events if event.kind == EventKind.GAME_DONE]
    assert sorted(done) == sorted(result.games)


def test_the_proposer_proposes_the_latest_block_in_reach_once() -> None:
    chain = EmbeddedChain()
    table = Table.deploy(chain, MINIMAL)
    head = [ANCHOR_BLOCK]
    proposer = Proposer(
        chain,
        table.seat(1),
        table.factory,
        AlphabetOutputs(),
        lambda: head[0],
        game_type=255,
        proposal_interval=600,
    )
    proposer.poll()  # nothing after the anchor yet
    assert proposer.created == [] and table.system.factory.gameCount() == 0
    head[0] = ANCHOR_BLOCK + 100  # beyond what a game reaches: 2^SPLIT blocks past the anchor
    proposer.poll()
    (game,) = [table.system.game(address) for address in proposer.created]
    assert game.l2BlockNumber() == ANCHOR_BLOCK + 4 and game.rootClaim() == alphabet.output_root(
        ANCHOR_BLOCK + 4
    )
    proposer.poll()  # within the interval: nothing
    chain.advance_time(600)
    proposer.poll()  # the same proposal exists: not made again
    restarted = Proposer(
        chain, table.seat(1), table.factory, AlphabetOutputs(), lambda: head[0], game_type=255
    )
    restarted.poll()
    assert table.system.factory.gameCount() == 1 and proposer.reverts == restarted.reverts == []
    assert proposer.poll_wakeup(chain.block().timestamp) == chain.block().timestamp


def test_games_the_challenger_cannot_judge_are_skipped_once() -> None:
    """Another VM's prestate, a type with no trace, and a starting root that is not the anchor block's."""
    chain = EmbeddedChain()
    other_vm = replace(
        MINIMAL, game_type=GameType.FAST, absolute_prestate=typed(VMStatus.UNFINISHED, keccak256(b"x"))
    )
    unknown = replace(MINIMAL, game_type=253)
    system = deploy_game_system(
        chain,
        [GameSetup(MINIMAL, "alphabet"), GameSetup(other_vm, "alphabet"), GameSetup(unknown, "alphabet")],
        anchor_root=alphabet.output_root(ANCHOR_BLOCK),
        anchor_block=ANCHOR_BLOCK,
        challenge_period=MINIMAL.challenge_period,
    )
    chain.advance_time(1)
    lie = keccak256(b"lie")
    games = [
        system.create_game(kind, lie, ANCHOR_BLOCK + 4, chain.accounts[1]).address for kind in (255, 254, 253)
    ]
    wrong_anchor = deploy_game_system(
        chain,
        [GameSetup(MINIMAL, "alphabet")],
        anchor_root=keccak256(b"not the anchor"),
        anchor_block=ANCHOR_BLOCK,
        challenge_period=MINIMAL.challenge_period,
    )
    chain.advance_time(1)
    games.append(wrong_anchor.create_game(255, lie, ANCHOR_BLOCK + 4, chain.accounts[1]).address)
    events = []
    traces = {GameType.ALPHABET: alphabet_traces(), GameType.FAST: alphabet_traces()}
    challenger = HonestChallenger(
        chain, chain.accounts[HONEST], traces=traces, games=games, on_event=events.append
    )
    challenger.run_once()
    challenger.run_once()
    skipped = {event.game: event.detail for event in events if event.kind == EventKind.GAME_SKIPPED}
    assert set(skipped) == set(games[1:])
    assert skipped[games[1]].startswith("absolute prestate")
    assert skipped[games[2]] == "no trace for game type 253"
    assert skipped[games[3]].startswith("starting root")
    assert all(challenger.agent_store.game_state(str(game)) == GameState.SKIPPED for game in games[1:])
    # The one game it judges it attacks; nothing is sent to the others.
    (attack,) = [event for event in events if event.kind == EventKind.MOVE]
    assert attack.game == games[0] and len(events) == 4
    # Through the factory, only the types it has traces for are watched at all.
    watching = HonestChallenger(chain, chain.accounts[HONEST], traces=traces, factory=system.factory.address)
    assert watching.watched_games() == games[:2]


def test_a_trace_that_cannot_answer_is_reported_once_and_play_goes_on() -> None:
    """A VM trace that fails (say, the program did not exit) stops only the moves that need it."""

    def broken(snapshot: object, folder: object) -> BottomFactory:
        def make(inputs: ExecInputs) -> TraceProvider:
            raise TraceError("the program has not exited within 2 steps")

        return make

    table = Table.deploy(EmbeddedChain(), MINIMAL)
    lie = LyingOutputs({table.head, table.head - 1})
    table.proposer(lie, name="wrong-root").poll()
    liar = table.adversary("liar", ADVERSARY_SEATS[0], lie)
    traces = {GameType.ALPHABET: GameTraces(alphabet.ABSOLUTE_PRESTATE, AlphabetOutputs(), broken)}
    honest = table.challenger(traces=traces)
    (game,) = honest.watched_games()
    for _ in range(4):
        honest.act(honest.reader.read(game))
        liar.act(liar.reader.read(game))
    failures = [event for event in table.events if event.kind == EventKind.FAILED]
    assert len(failures) == 1 and "has not exited" in failures[0].detail
    assert [event.kind for event in table.events if event.agent == "challenger"].count(EventKind.MOVE) == 1
    assert honest.wakeup(honest.reader.read(game)) != honest.reader.read(game).now  # nothing due now


def test_a_move_whose_clock_check_would_fail_is_not_sent() -> None:
    """A challenger that starts after the root's clock ran out (or a block before) sends nothing (§15.5)."""
    table = Table.deploy(EmbeddedChain(), MINIMAL)
    table.proposer(LyingOutputs({table.head}), name="wrong-root").poll()
    honest = table.challenger()
    (game,) = honest.watched_games()
    snapshot = honest.reader.read(game)
    table.chain.advance_time(snapshot.expiry(0) - snapshot.now - honest.config.block_time)
    for _ in range(2):
        honest.act(honest.reader.read(game))
    (late,) = [event for event in table.events if event.agent == "challenger"]
    assert late.kind == EventKind.TOO_LATE and "claim 0 expires at" in late.detail
    assert honest.fees == 0 and honest.wakeup(honest.reader.read(game)) == snapshot.expiry(0)


def test_a_finished_games_trace_cache_is_deleted(tmp_path: Path) -> None:
    """§14.3: per-game trace data (VM snapshots) goes once the game is resolved and paid out."""
    folders: list[Path] = []

    def bottom(snapshot: GameSnapshot, folder: Path) -> BottomFactory:
        folder.mkdir(parents=True)
        (folder / "snapshot.bin").write_bytes(b"state")
        folders.append(folder)
        return alphabet_bottom(snapshot.params.exec_depth)

    table = Table.deploy(EmbeddedChain(), MINIMAL)
    lie = LyingOutputs({table.head})
    table.proposer(lie, name="wrong-root")
    table.adversary("liar", ADVERSARY_SEATS[0], lie)
    traces = {GameType.ALPHABET: GameTraces(alphabet.ABSOLUTE_PRESTATE, AlphabetOutputs(), bottom)}
    honest = table.challenger(traces=traces, trace_dir=tmp_path / "traces")
    check_outcome(table, table.run(), honest, root_honest=False)
    (folder,) = folders
    assert folder.parent == tmp_path / "traces" and not folder.exists()
