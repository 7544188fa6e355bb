"""The game commands end to end, as a user runs them: real processes over one folder and its chain.

An alphabet deployment on the embedded chain kept in the folder (and one on anvil): a false root is
proposed, refused moves name the contract's reason, the challenger plays the game to its end,
``game show`` draws what happened, and bad input gets one ``error:`` line with exit status 2. The
demo — the README's first command — is run as the user runs it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from anvil import running_anvil
from cli_helpers import assert_one_line_error, faultproof, ok
from conftest import GUEST_BUILDS
from faultproof.chain import EmbeddedChain
from faultproof.crypto import keccak256
from faultproof.game import alphabet

FALSE_ROOT = "0x" + keccak256(b"not the output of block 1004").hex()
OTHER = "0x" + "cd" * 32


def text(result: object) -> str:
    return result.stdout.decode()  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an alphabet game system (MINIMAL: MAX 4, SPLIT 2) on its embedded chain."""
    folder = tmp_path_factory.mktemp("deployed")
    result = ok("game", "deploy", "--vm", "alphabet", cwd=folder)
    assert "game type 255: FaultDisputeGame" in text(result) and "(MAX 4, SPLIT 2)" in text(result)
    return folder


@pytest.fixture
def workspace(deployed: Path, tmp_path: Path) -> Path:
    """A copy of the deployed folder, so each test plays on its own chain."""
    shutil.copytree(deployed, tmp_path / "work")
    return tmp_path / "work"


def test_deploy_records_the_system_and_keeps_the_chain(deployed: Path) -> None:
    record = json.loads((deployed / ".faultproof" / "games.json").read_text())
    assert record["l2"] == "alphabet" and record["anchor-block"] == 1000 and record["rpc"] is None
    assert set(record["contracts"]) == {
        "SystemConfig",
        "PreimageOracle",
        "DelayedWETH",
        "DisputeGameFactory",
        "AnchorStateRegistry",
    }
    assert record["game-types"]["255"]["vm"] == "alphabet"
    chain = EmbeddedChain.open(deployed / ".faultproof" / "chain.bin")
    for address in [*record["contracts"].values(), record["game-types"]["255"]["implementation"]]:
        assert chain.code(address), address


def test_a_false_root_played_to_the_end(workspace: Path) -> None:
    created = text(ok("game", "create", "--root", FALSE_ROOT, cwd=workspace))
    assert "block 1004" in created and FALSE_ROOT in created
    shown = text(ok("game", "show", "0", cwd=workspace))
    assert "IN_PROGRESS" in shown and "#0 root → @1 (depth 0)  output of block 1004" in shown
    assert "1h00m left to counter" in shown or "59m" in shown

    played = text(ok("challenger", cwd=workspace))
    assert "challenger move             claim 0  attack  position 2" in played
    assert "challenger resolve " in played and "challenger credit-withdrawn" in played
    assert "CHALLENGER_WINS" in played.splitlines()[-1]

    shown = text(ok("game", "show", "0", cwd=workspace))
    assert "CHALLENGER_WINS" in shown and "#1 attack #0 → @2 (depth 1)" in shown
    assert "bonds paid (NORMAL mode):" in shown
    listed = text(ok("game", "list", cwd=workspace))
    assert listed.split()[0] == "0" and "CHALLENGER_WINS" in listed


def test_an_honest_proposal_stands(workspace: Path) -> None:
    honest = "0x" + alphabet.output_root(1003).hex()
    assert "proposer   game-created" in text(ok("proposer", "--block", "1003", cwd=workspace))
    ok("proposer", "--block", "1003", cwd=workspace)  # proposed already: no second game
    (listed,) = text(ok("game", "list", cwd=workspace)).splitlines()
    assert listed.endswith(f"block 1003 claims 1 root {honest}")
    played = text(ok("challenger", cwd=workspace))
    assert "move" not in played and "DEFENDER_WINS" in played


def test_refused_moves_name_the_contracts_reason(workspace: Path) -> None:
    ok("game", "create", "--root", FALSE_ROOT, cwd=workspace)
    assert_one_line_error(
        faultproof("game", "move", "0", "0", OTHER, "--defend", cwd=workspace),
        "move refused: CannotDefendRootClaim",
    )
    ok("game", "move", "0", "0", OTHER, "--attack", cwd=workspace)
    assert_one_line_error(
        faultproof("game", "move", "0", "0", OTHER, "--attack", cwd=workspace),
        "move refused: ClaimAlreadyExists",
    )
    ok("game", "advance", "7200", cwd=workspace)
    assert_one_line_error(
        faultproof("game", "move", "0", "1", OTHER, "--attack", cwd=workspace),
        "move refused: ClockTimeExceeded",
    )


def test_resolve_waits_for_the_clocks(workspace: Path) -> None:
    ok("game", "create", "--root", FALSE_ROOT, cwd=workspace)
    ok("game", "move", "0", "0", OTHER, "--attack", cwd=workspace)
    assert_one_line_error(faultproof("game", "resolve", "0", cwd=workspace), "ClockNotExpired")
    ok("game", "advance", "3600", cwd=workspace)
    resolved = text(ok("game", "resolve", "0", cwd=workspace))
    assert "resolved 2 claims; the game: CHALLENGER_WINS" in resolved
    assert "already resolved: CHALLENGER_WINS" in text(ok("game", "resolve", "0", cwd=workspace))


def test_bad_input(workspace: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(faultproof("game", "list", cwd=empty), "no game system", "game deploy")
    assert_one_line_error(faultproof("game", "show", "0", cwd=workspace), "no game 0: the factory has 0")
    assert_one_line_error(faultproof("game", "show", "0x12", cwd=workspace), "neither a factory index")
    assert_one_line_error(faultproof("game", "create", "--root", "0x1234", cwd=workspace), "2 bytes, not 32")
    assert_one_line_error(faultproof("game", "create", "--type", "0", cwd=workspace), "not deployed here")
    assert_one_line_error(faultproof("game", "create", "--account", "99", cwd=workspace), "no dev account 99")
    ok("game", "create", "--root", FALSE_ROOT, cwd=workspace)
    assert_one_line_error(
        faultproof("game", "create", "--root", FALSE_ROOT, cwd=workspace), "create refused: GameAlreadyExists"
    )
    assert_one_line_error(
        faultproof("game", "move", "0", "5", OTHER, "--attack", cwd=workspace), "no claim 5 (it has 1)"
    )
    (workspace / ".faultproof" / "chain.bin").write_bytes(b"garbage")
    assert_one_line_error(faultproof("game", "list", cwd=workspace), "not a faultproof chain")


def test_a_challenger_pointed_at_a_contract_that_is_not_there(workspace: Path) -> None:
    record_path = workspace / ".faultproof" / "games.json"
    record = json.loads(record_path.read_text())
    record["contracts"]["DisputeGameFactory"] = "0x" + "42" * 20
    record_path.write_text(json.dumps(record))
    result = faultproof("challenger", "--once", "--retries", "3", "--retry-delay", "0.01", cwd=workspace)
    stderr = result.stderr.decode().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr.decode()
    assert [line.split(";")[0] for line in stderr[:2]] == [
        "unreachable: no contract at 0x4242424242424242424242424242424242424242"
    ] * 2
    assert "retrying in 0.01 s" in stderr[0] and "retrying in 0.02 s" in stderr[1]
    assert stderr[-1] == "error: no contract at 0x4242424242424242424242424242424242424242"


def test_a_challenger_pointed_at_a_dead_node(tmp_path: Path) -> None:
    result = faultproof(
        "challenger", "--rpc", "http://127.0.0.1:9", "--retries", "2", "--retry-delay", "0.01", cwd=tmp_path
    )
    stderr = result.stderr.decode().splitlines()
    assert result.returncode == 2 and len(stderr) == 2
    assert stderr[0].startswith("unreachable: JSON-RPC eth_chainId to http://127.0.0.1:9 failed")
    assert stderr[-1].startswith("error: JSON-RPC eth_chainId to http://127.0.0.1:9 failed")


# -- over JSON-RPC ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_anvil("prague", tmp_path_factory.mktemp("anvil") / "anvil.log") as anvil:
        yield anvil.url


def test_the_same_session_on_anvil(anvil_url: str, tmp_path: Path) -> None:
    ok("game", "deploy", "--rpc", anvil_url, cwd=tmp_path)
    ok("game", "create", "--rpc", anvil_url, "--root", FALSE_ROOT, cwd=tmp_path)
    played = text(ok("challenger", "--rpc", anvil_url, "--advance-time", cwd=tmp_path))
    assert "challenger move" in played and "CHALLENGER_WINS" in played.splitlines()[-1]
    assert not (tmp_path / ".faultproof" / "chain.bin").exists()
    shown = text(ok("game", "show", "0", "--rpc", anvil_url, cwd=tmp_path))
    assert "CHALLENGER_WINS" in shown and "bonds paid (NORMAL mode)" in shown


# -- the demo --------------------------------------------------------------------------------------


def test_demo_alphabet_with_a_lying_challenger(tmp_path: Path) -> None:
    shown = text(ok("demo", "--vm", "alphabet", "--liar", "challenger", cwd=tmp_path))
    assert "DEFENDER_WINS: the lie was refuted" in shown
    assert "liar       move" in shown and "challenger move" in shown


def test_demo_mips32(mips_elves: dict[str, Path], tmp_path: Path) -> None:
    """The README's first command: a false root about the transition rollup on MIPS32."""
    shown = text(ok("demo", "--out", str(GUEST_BUILDS), cwd=tmp_path))
    assert "mips32 VM running the `transition` Go program" in shown
    assert "challenger preimage" in shown and "loadKeccak256PreimagePart" in shown
    assert "challenger step" in shown and "CHALLENGER_WINS: the lie was refuted" in shown
    balances = [line for line in shown.splitlines() if "honest challenger" in line]
    assert len(balances) == 1 and " +" in balances[0]
