"""The agents over JSON-RPC: whole games on anvil, time moved with its dev methods (dispute-game.md §15).

The same runner, agents and checks as on the embedded chain (``test_agents_games``), against a real
node: blocks come with anvil's own timestamps, a staller lands its moves on their last second with
``evm_setNextBlockTimestamp``, and fees are paid at anvil's base fee.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_games import ADVERSARY_SEATS, HONEST, Table, adversary_view, check_outcome
from anvil import running_anvil
from faultproof.agents import AgentEvent, Backoff, EventKind, HonestChallenger
from faultproof.chain import JsonRpcChain
from faultproof.errors import ChainError
from faultproof.game.configs import UNIT


@pytest.fixture(scope="module")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log: Path = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with running_anvil("prague", log) as anvil:
        yield anvil.url


@pytest.mark.parametrize("root_honest", [False, True])
def test_a_game_on_anvil(anvil_url: str, root_honest: bool) -> None:
    table = Table.deploy(JsonRpcChain(anvil_url), UNIT)
    lie = adversary_view(table, {table.head - 6})
    table.proposer(None if root_honest else lie, name="proposer" if root_honest else "wrong-root")
    table.adversary("staller", ADVERSARY_SEATS[0], lie)
    table.adversary("freeloader", ADVERSARY_SEATS[1], lie, seed=5)
    table.adversary("duplicator", ADVERSARY_SEATS[2], lie)
    honest = table.challenger()
    result = table.run()
    check_outcome(table, result, honest, root_honest)
    kinds = {event.kind for event in table.events if event.agent == "challenger"}
    assert {EventKind.MOVE, EventKind.RESOLVE, EventKind.CREDIT_WITHDRAWN} <= kinds


def test_a_node_that_dies_mid_run_is_reported_and_retried(tmp_path: Path) -> None:
    with running_anvil("prague", tmp_path / "anvil.log") as anvil:
        chain = JsonRpcChain(anvil.url, timeout=2)
        table = Table.deploy(chain, UNIT)
        table.proposer(adversary_view(table, set())).poll()
        events: list[AgentEvent] = []
        challenger = HonestChallenger(
            chain, table.seat(HONEST), factory=table.factory, on_event=events.append
        )
        challenger.run_once()
        assert [event.kind for event in events] == [EventKind.MOVE]
    slept: list[float] = []  # the node is gone
    with pytest.raises(ChainError, match="failed"):
        challenger.run(backoff=Backoff(initial=2, attempts=4), sleep=slept.append)
    assert slept == [2, 4, 8]
    outages = [event for event in events if event.kind == EventKind.UNREACHABLE]
    assert len(outages) == 3 and all(
        anvil.url in event.detail and "\n" not in event.detail for event in outages
    )
