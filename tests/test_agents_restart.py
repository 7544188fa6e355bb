"""A challenger that crashes and restarts with the same store neither repeats nor misses a move (§15.2).

The two dangerous instants are simulated in-process — after the intent is recorded but before the
transaction is sent, and after it was mined but before its outcome is recorded — and a real
challenger process is killed with SIGKILL in the middle of a game on anvil and started again.
Either way the restarted challenger reconciles what it recorded with the chain, sends nothing
twice, sends what was never sent, and wins.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_games import ADVERSARY_SEATS, HONEST, Table, adversary_view, check_outcome, only_game
from anvil import running_anvil
from faultproof.agents import AgentStore, EventKind, Runner, alphabet_traces, plan
from faultproof.agents.store import TxRecord, TxState
from faultproof.chain import EmbeddedChain, JsonRpcChain
from faultproof.game.configs import MINIMAL, UNIT
from faultproof.game.resolution import GameStatus

TESTS = Path(__file__).resolve().parent


class Crash(Exception):
    """The process dies here."""


def crash_at(point: str, nth: int):  # type: ignore[no-untyped-def]
    seen = 0

    def hook(where: str) -> None:
        nonlocal seen
        if where == point:
            seen += 1
            if seen == nth:
                raise Crash(f"{where} #{nth}")

    return hook


@pytest.mark.parametrize("nth", [2, 6, 11])
@pytest.mark.parametrize("point", ["before-send", "after-send"])
def test_a_crash_between_recording_and_sending_is_reconciled(tmp_path: Path, point: str, nth: int) -> None:
    table = Table.deploy(EmbeddedChain(), UNIT)
    lie = adversary_view(table, {table.head - 5})
    table.proposer(lie, name="wrong-root")
    table.adversary("liar", ADVERSARY_SEATS[0], lie)
    path = tmp_path / "challenger.sqlite"
    account = table.seat(HONEST)

    def store() -> AgentStore:
        return AgentStore(path, table.chain.chain_id, str(account.address))

    first = table.challenger(store(), crash=crash_at(point, nth), name="first")
    with pytest.raises(Crash):
        table.run()
    (interrupted,) = first.agent_store.pending()
    second = table.challenger(store(), name="second")
    result = Runner(table.chain, [p for p in table.players if p is not first], factory=table.factory).run()
    check_outcome(table, result, second, root_honest=False)

    # Nothing the honest side sent was refused: a repeated move would revert ClaimAlreadyExists.
    assert [e for e in table.events if e.agent in ("first", "second") and e.kind == EventKind.REVERTED] == []
    (recovered,) = [e for e in table.events if e.kind == EventKind.RECOVERED]
    records = [r for r in second.agent_store.transactions() if r.action == interrupted.action]
    if point == "before-send":  # never sent: sent again after the restart (unless no longer due)
        assert "not on chain" in recovered.detail
        assert records[0].state == TxState.ABANDONED
        assert [r.state for r in records[1:]] in ([TxState.LANDED], [])
    else:  # mined: found on chain, not sent again
        assert "found on chain" in recovered.detail
        assert [r.state for r in records] == [TxState.TAKEN]
    assert _once_each(second.agent_store.transactions()), "an action landed twice"


def test_a_killed_challenger_process_restarts_where_it_stopped(tmp_path: Path) -> None:
    """SIGKILL at the moment the challenger's store first holds an unsettled intent (or as close as
    polling gets), on anvil; then the same store in a new process plays on and wins."""
    with running_anvil("prague", tmp_path / "anvil.log") as anvil:
        chain = JsonRpcChain(anvil.url)
        table = Table.deploy(chain, MINIMAL)
        lie = adversary_view(table, {table.head - 1})
        proposer = table.proposer(lie, name="wrong-root")
        liar = table.adversary("liar", ADVERSARY_SEATS[0], lie)
        proposer.poll()
        store_path = tmp_path / "challenger.sqlite"
        log = tmp_path / "challenger.log"
        command = [
            sys.executable,
            str(TESTS / "agent_process.py"),
            anvil.url,
            str(table.factory),
            str(store_path),
        ]

        def start() -> subprocess.Popen[bytes]:
            with log.open("ab") as output:
                return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=_env())

        truth = alphabet_traces()
        process = start()
        killed_at = _kill_at_first_intent(process, store_path)
        process = start()
        runner = Runner(chain, [liar, proposer], factory=table.factory)
        deadline = time.monotonic() + 120
        while process.poll() is None:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            game = runner.snapshot(runner.game_addresses()[0])
            wakeup = liar.wakeup(game)
            if wakeup is not None and wakeup <= game.now:
                liar.act(game)
            elif _quiet(chain) and not plan(game, truth.accessor(game, tmp_path)):
                _advance_past_what_is_due(chain, game)  # only when the challenger owes no move
            time.sleep(0.05)
        assert process.returncode == 0, log.read_text()[-3000:]
        game = runner.snapshot(runner.game_addresses()[0])
        assert game.status == GameStatus.CHALLENGER_WINS
        with sqlite3.connect(store_path) as db:
            states = db.execute("SELECT action, state FROM transactions ORDER BY id").fetchall()
        assert all(state != TxState.REVERTED for _, state in states), states
        landed = [a for a, state in states if state in (TxState.LANDED, TxState.TAKEN) and _once_only(a)]
        assert len(landed) == len(set(landed)), states
        assert "recovered" in log.read_text() or killed_at == "settled", log.read_text()
        honest = table.seat(HONEST).address
        ids = [(c.position, c.parent_index) for c in only_game(runner.run()).claims if c.claimant == honest]
        assert len(ids) == len(set(ids))


def _once_only(action: str) -> bool:
    """Every action lands once, except addLocalData: idempotent, sent with each step (§15.4)."""
    return not action.startswith("local-data:")


def _once_each(records: list[TxRecord]) -> bool:
    landed = [
        r.action for r in records if r.state in (TxState.LANDED, TxState.TAKEN) and _once_only(r.action)
    ]
    return len(landed) == len(set(landed))


def _kill_at_first_intent(process: subprocess.Popen[bytes], store_path: Path) -> str:
    """Poll the store until it holds a transaction; kill the process at once; what state that was."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
                row = db.execute(
                    "SELECT state FROM transactions WHERE kind = 'move' ORDER BY id LIMIT 1"
                ).fetchone()
        except sqlite3.Error:
            row = None
        if row is not None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return "intent" if row[0] == TxState.INTENT else "settled"
        time.sleep(0.001)
    process.kill()
    raise AssertionError("the challenger sent no move within a minute")


_last_block: dict[int, tuple[int, float]] = {}


def _quiet(chain: JsonRpcChain) -> bool:
    """No new block for a second: the challenger has nothing left to send at this time."""
    number = chain.block_number
    seen, since = _last_block.get(id(chain), (-1, 0.0))
    if number != seen:
        _last_block[id(chain)] = (number, time.monotonic())
        return False
    return time.monotonic() - since > 1.0


def _advance_past_what_is_due(chain: JsonRpcChain, game) -> None:  # type: ignore[no-untyped-def]
    """Jump to the next clock expiry, the end of the airgap or of the WETH delay (whichever is next)."""
    now = game.now
    expiries = [game.expiry(index) for index in range(len(game.claims)) if game.expiry(index) > now]
    if game.in_progress and expiries:
        chain.advance_time(min(expiries) - now + 1)
    else:
        chain.advance_time(3_600 + 1)


def _env() -> dict[str, str]:
    src = str(TESTS.parent / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
