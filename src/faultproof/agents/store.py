"""What an agent remembers across restarts (spec: dispute-game.md §15.2), in one SQLite file.

Decisions are never read from here: every pass rebuilds them from the chain. The store keeps the
side data that the chain cannot give back cheaply or at all:

* **transactions** — each one recorded as an *intent* before it is sent and given its outcome
  (landed, reverted) after, so a restart finds any transaction whose fate it did not see and
  reconciles it with the chain before planning again: nothing is repeated (the chain shows what
  landed) and nothing is missed (what did not land is planned again). A reverted action is not
  retried: the rules that refused it only get stricter with time.
* **preimages** uploaded to the oracle, **games** the agent is done with or skips, each
  recipient's **credit** phase (when it was unlocked: the WETH delay runs from there), and where a
  game's **trace cache** (VM snapshots) lives.

The file is opened in write-ahead-log mode with full synchronisation, and every write is one
statement (one transaction), so a crash at any instant leaves the last committed state.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from faultproof.errors import AgentStoreError

SCHEMA_VERSION = "1"
IN_MEMORY = ":memory:"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    game TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    tx_hash TEXT,
    block_number INTEGER,
    gas_used INTEGER,
    fee TEXT NOT NULL DEFAULT '0',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS transactions_by_action ON transactions (game, action);
CREATE INDEX IF NOT EXISTS transactions_by_state ON transactions (state);
CREATE TABLE IF NOT EXISTS preimages (
    oracle TEXT NOT NULL, key TEXT NOT NULL, part_offset INTEGER NOT NULL, game TEXT NOT NULL,
    PRIMARY KEY (oracle, key, part_offset)
);
CREATE TABLE IF NOT EXISTS games (address TEXT PRIMARY KEY, state TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credits (
    game TEXT NOT NULL, recipient TEXT NOT NULL, phase TEXT NOT NULL, unlocked_at INTEGER,
    PRIMARY KEY (game, recipient)
);
CREATE TABLE IF NOT EXISTS trace_caches (game TEXT PRIMARY KEY, path TEXT NOT NULL);
"""


class TxState(StrEnum):
    INTENT = "intent"  # recorded, about to be sent; its outcome is unknown until reconciled
    LANDED = "landed"  # mined and succeeded
    REVERTED = "reverted"  # mined and refused, or refused when sent
    ABANDONED = "abandoned"  # found not to have landed after a crash: planned again if still due
    TAKEN = "taken"  # found done on chain after a crash (by this agent or another)


class GameState(StrEnum):
    DONE = "done"  # resolved and every credit collected
    SKIPPED = "skipped"  # not a game this agent judges (wrong prestate, anchor or type)


class CreditPhase(StrEnum):
    UNLOCKED = "unlocked"  # first claimCredit sent: the WETH delay runs from ``unlocked_at``
    DONE = "done"  # withdrawn, or nothing to collect


@dataclass(frozen=True)
class TxRecord:
    id: int
    game: str
    action: str
    kind: str
    state: TxState
    tx_hash: str | None
    block_number: int | None
    gas_used: int | None
    fee: int
    detail: str


@dataclass(frozen=True)
class CreditRecord:
    phase: CreditPhase
    unlocked_at: int | None


class AgentStore:
    """An agent's store at ``path`` (``":memory:"`` for one that dies with the process).

    ``chain_id`` and ``account`` are recorded on first use and checked on every later open: a store
    belongs to one account on one chain. Raises ``AgentStoreError`` when the file cannot be used.
    """

    def __init__(self, path: str | Path, chain_id: int, account: str) -> None:
        self.path = str(path)
        try:
            if self.path != IN_MEMORY:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.executescript(SCHEMA)
            self._claim_ownership(chain_id, account)
        except sqlite3.Error as error:
            raise AgentStoreError(f"agent store {self.path}: {error}") from error

    def close(self) -> None:
        self.db.close()

    def _claim_ownership(self, chain_id: int, account: str) -> None:
        wanted = {"schema": SCHEMA_VERSION, "chain-id": str(chain_id), "account": account.lower()}
        found = dict(self.db.execute("SELECT name, value FROM meta").fetchall())
        for name, value in wanted.items():
            if name in found and found[name] != value:
                raise AgentStoreError(f"agent store {self.path} belongs to {name} {found[name]}, not {value}")
        self.db.executemany("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", wanted.items())

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self.db
        except sqlite3.Error as error:
            raise AgentStoreError(f"agent store {self.path}: {error}") from error

    # -- transactions ---------------------------------------------------------------------------

    def record_intent(self, game: str, action: str, kind: str) -> int:
        """Before sending: the transaction this agent is about to send; its id."""
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO transactions (game, action, kind, state) VALUES (?, ?, ?, ?)",
                (game.lower(), action, kind, TxState.INTENT),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def record_outcome(
        self,
        tx_id: int,
        state: TxState,
        *,
        tx_hash: bytes | None = None,
        block_number: int | None = None,
        gas_used: int | None = None,
        fee: int = 0,
        detail: str = "",
    ) -> None:
        """After sending (or reconciling): what became of the transaction."""
        with self._writing() as db:
            db.execute(
                "UPDATE transactions SET state = ?, tx_hash = ?, block_number = ?, gas_used = ?, fee = ?,"
                " detail = ? WHERE id = ?",
                (
                    state,
                    None if tx_hash is None else tx_hash.hex(),
                    block_number,
                    gas_used,
                    str(fee),
                    detail,
                    tx_id,
                ),
            )

    def pending(self, game: str | None = None) -> list[TxRecord]:
        """Intents whose outcome was never recorded: sent or not, the process stopped in between."""
        return self._transactions("state = ?", (TxState.INTENT,), game)

    def transactions(self, game: str | None = None) -> list[TxRecord]:
        return self._transactions("1", (), game)

    def refused(self, game: str, action: str) -> bool:
        """Whether this action was sent before and reverted."""
        row = self.db.execute(
            "SELECT 1 FROM transactions WHERE game = ? AND action = ? AND state = ? LIMIT 1",
            (game.lower(), action, TxState.REVERTED),
        ).fetchone()
        return row is not None

    def _transactions(self, where: str, args: tuple[object, ...], game: str | None) -> list[TxRecord]:
        if game is not None:
            where, args = f"{where} AND game = ?", (*args, game.lower())
        rows = self.db.execute(
            "SELECT id, game, action, kind, state, tx_hash, block_number, gas_used, fee, detail"
            f" FROM transactions WHERE {where} ORDER BY id",
            args,
        ).fetchall()
        return [
            TxRecord(
                id=row[0],
                game=row[1],
                action=row[2],
                kind=row[3],
                state=TxState(row[4]),
                tx_hash=row[5],
                block_number=row[6],
                gas_used=row[7],
                fee=int(row[8]),
                detail=row[9],
            )
            for row in rows
        ]

    # -- preimages ------------------------------------------------------------------------------

    def record_upload(self, oracle: str, key: bytes, offset: int, game: str) -> None:
        with self._writing() as db:
            db.execute(
                "INSERT OR IGNORE INTO preimages (oracle, key, part_offset, game) VALUES (?, ?, ?, ?)",
                (oracle.lower(), key.hex(), offset, game.lower()),
            )

    def uploaded(self, oracle: str, key: bytes, offset: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM preimages WHERE oracle = ? AND key = ? AND part_offset = ?",
            (oracle.lower(), key.hex(), offset),
        ).fetchone()
        return row is not None

    # -- games ----------------------------------------------------------------------------------

    def game_state(self, game: str) -> GameState | None:
        row = self.db.execute("SELECT state FROM games WHERE address = ?", (game.lower(),)).fetchone()
        return None if row is None else GameState(row[0])

    def set_game_state(self, game: str, state: GameState, detail: str = "") -> None:
        with self._writing() as db:
            db.execute(
                "INSERT OR REPLACE INTO games (address, state, detail) VALUES (?, ?, ?)",
                (game.lower(), state, detail),
            )

    # -- credit ---------------------------------------------------------------------------------

    def credit(self, game: str, recipient: str) -> CreditRecord | None:
        row = self.db.execute(
            "SELECT phase, unlocked_at FROM credits WHERE game = ? AND recipient = ?",
            (game.lower(), recipient.lower()),
        ).fetchone()
        return None if row is None else CreditRecord(CreditPhase(row[0]), row[1])

    def set_credit(self, game: str, recipient: str, phase: CreditPhase, unlocked_at: int | None) -> None:
        with self._writing() as db:
            db.execute(
                "INSERT OR REPLACE INTO credits (game, recipient, phase, unlocked_at) VALUES (?, ?, ?, ?)",
                (game.lower(), recipient.lower(), phase, unlocked_at),
            )

    # -- trace caches ---------------------------------------------------------------------------

    def trace_cache(self, game: str) -> Path | None:
        row = self.db.execute("SELECT path FROM trace_caches WHERE game = ?", (game.lower(),)).fetchone()
        return None if row is None else Path(row[0])

    def set_trace_cache(self, game: str, path: Path) -> None:
        with self._writing() as db:
            db.execute(
                "INSERT OR REPLACE INTO trace_caches (game, path) VALUES (?, ?)", (game.lower(), str(path))
            )


__all__ = ["AgentStore", "CreditPhase", "CreditRecord", "GameState", "TxRecord", "TxState"]
