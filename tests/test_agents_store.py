"""The agent store (agents.store) and the backoff (agents.retry): what survives a crash, what is retried."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faultproof.agents.challenger import HonestChallenger
from faultproof.agents.events import AgentEvent, EventKind
from faultproof.agents.interfaces import FAULT_DISPUTE_GAME, interface
from faultproof.agents.retry import Backoff, with_backoff
from faultproof.agents.store import AgentStore, CreditPhase, GameState, TxState
from faultproof.chain import Address, EmbeddedChain, JsonRpcChain
from faultproof.errors import AgentStoreError, ChainError, ExecutionReverted, NoCodeError

GAME = "0x" + "ab" * 20
ACCOUNT = "0x" + "11" * 20


def test_intents_survive_a_crash_and_outcomes_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "agent.sqlite"
    store = AgentStore(path, 31337, ACCOUNT)
    sent = store.record_intent(GAME, "move:0:attack:00", EventKind.MOVE)
    unsent = store.record_intent(GAME, "step:4:defend", EventKind.STEP)
    store.record_outcome(
        sent, TxState.LANDED, tx_hash=b"\x01" * 32, block_number=7, gas_used=90_000, fee=10**15
    )
    # A process that dies here, without closing, leaves the committed state: reopened by another process.
    script = (
        "import sys; from faultproof.agents.store import AgentStore;"
        f"s = AgentStore(sys.argv[1], 31337, '{ACCOUNT}');"
        "print(';'.join(f'{r.action}={r.state}' for r in s.transactions()))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "move:0:attack:00=landed;step:4:defend=intent"
    assert [record.id for record in store.pending(GAME)] == [unsent]
    (landed,) = [r for r in store.transactions() if r.id == sent]
    assert (landed.block_number, landed.gas_used, landed.fee, landed.tx_hash) == (
        7,
        90_000,
        10**15,
        "01" * 32,
    )


def test_refused_actions_games_credits_preimages_and_trace_caches(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agent.sqlite", 1, ACCOUNT)
    tx = store.record_intent(GAME, "move:3:defend:ff", EventKind.MOVE)
    assert not store.refused(GAME, "move:3:defend:ff")
    store.record_outcome(tx, TxState.REVERTED, detail="ClockTimeExceeded")
    assert store.refused(GAME.upper().replace("0X", "0x"), "move:3:defend:ff")  # addresses in any case
    store.set_game_state(GAME, GameState.SKIPPED, "absolute prestate differs")
    assert store.game_state(GAME) == GameState.SKIPPED
    store.set_credit(GAME, ACCOUNT, CreditPhase.UNLOCKED, 1_700_000_000)
    record = store.credit(GAME, ACCOUNT)
    assert record is not None and (record.phase, record.unlocked_at) == (CreditPhase.UNLOCKED, 1_700_000_000)
    assert not store.uploaded(GAME, b"\x02" * 32, 8)
    store.record_upload(GAME, b"\x02" * 32, 8, GAME)
    store.record_upload(GAME, b"\x02" * 32, 8, GAME)  # idempotent
    assert store.uploaded(GAME, b"\x02" * 32, 8)
    store.set_trace_cache(GAME, tmp_path / "traces" / "x")
    assert store.trace_cache(GAME) == tmp_path / "traces" / "x"
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_belongs_to_one_account_on_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "agent.sqlite"
    AgentStore(path, 1, ACCOUNT).close()
    with pytest.raises(AgentStoreError, match="chain-id 1"):
        AgentStore(path, 2, ACCOUNT)
    with pytest.raises(AgentStoreError, match="account"):
        AgentStore(path, 1, "0x" + "22" * 20)
    (tmp_path / "not-a-db").write_bytes(b"garbage " * 100)
    with pytest.raises(AgentStoreError, match="not-a-db"):
        AgentStore(tmp_path / "not-a-db", 1, ACCOUNT)


def test_backoff_delays_double_up_to_a_ceiling() -> None:
    assert list(Backoff(1, 2, 5, attempts=6).delays()) == [1, 2, 4, 5, 5]
    assert list(Backoff(attempts=1).delays()) == []
    with pytest.raises(ValueError):
        Backoff(initial=0)


def test_outages_are_retried_reverts_are_not() -> None:
    slept: list[float] = []
    reported: list[str] = []
    calls = iter([ChainError("down"), ChainError("down"), "up"])

    def flaky() -> str:
        result = next(calls)
        if isinstance(result, Exception):
            raise result
        return result

    assert with_backoff(flaky, Backoff(), lambda e, d: reported.append(f"{e} {d}"), slept.append) == "up"
    assert slept == [1, 2] and reported == ["down 1.0", "down 2.0"]

    def reverts() -> None:
        raise ExecutionReverted(b"", "ClockTimeExceeded")

    with pytest.raises(ExecutionReverted):
        with_backoff(reverts, Backoff(), lambda e, d: None, slept.append)
    assert slept == [1, 2]


def test_a_dead_node_is_reported_in_one_line_and_retried_with_backoff() -> None:
    port = _closed_port()
    slept: list[float] = []
    reported: list[str] = []
    with pytest.raises(ChainError, match=f"127.0.0.1:{port}"):
        with_backoff(
            lambda: JsonRpcChain(f"http://127.0.0.1:{port}", timeout=2),
            Backoff(initial=0.5, attempts=4),
            lambda error, delay: reported.append(str(error)),
            slept.append,
        )
    assert slept == [0.5, 1.0, 2.0]
    assert len(reported) == 3 and all("\n" not in line and "failed" in line for line in reported)


def test_a_challenger_pointed_at_no_contract_says_so_and_backs_off() -> None:
    chain = EmbeddedChain()
    nowhere = "0x" + "0d" * 20
    events: list[AgentEvent] = []
    slept: list[float] = []
    challenger = HonestChallenger(chain, chain.accounts[1], games=[nowhere], on_event=events.append)
    with pytest.raises(NoCodeError, match=f"no contract at {Address(nowhere)}"):
        challenger.run(backoff=Backoff(initial=1, attempts=5), sleep=slept.append)
    assert slept == [1, 2, 4, 8]
    assert [event.kind for event in events] == [EventKind.UNREACHABLE] * 4
    assert all("no contract at" in event.detail and "retrying in" in event.detail for event in events)
    # A factory address with no code is reported the same way.
    challenger = HonestChallenger(chain, chain.accounts[1], factory=nowhere, on_event=events.append)
    with pytest.raises(NoCodeError):
        challenger.run(backoff=Backoff(attempts=2), sleep=slept.append)


def test_interfaces_read_as_abi_entries() -> None:
    contract = interface("I", "f((bytes32,uint8)[],bytes) payable returns (uint256,(address,bool))\ng()")
    f, g = contract.abi
    assert f["stateMutability"] == "payable" and g["stateMutability"] == "nonpayable"
    assert f["inputs"][0]["type"] == "tuple[]" and [c["type"] for c in f["inputs"][0]["components"]] == [
        "bytes32",
        "uint8",
    ]
    assert [o["type"] for o in f["outputs"]] == ["uint256", "tuple"]
    names = {entry["name"] for entry in FAULT_DISPUTE_GAME.abi}
    assert {"move", "step", "addLocalData", "resolveClaim", "claimCredit", "claimData"} <= names


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
