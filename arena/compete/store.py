"""The results store: SQLite in WAL mode; never imports pybullet.

Every match is keyed by a match id derived from what decides its outcome: the world id (with its
version), each player's robot and agent content hashes in start order, the seed and the engine
version. Writing the same match twice is a no-op, so a tournament that is killed and started again
resumes with no duplicates and no losses. Only the arena process writes; workers return results.
The schema is documented in docs/store.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import socket
import sqlite3
import time
import zlib
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from arena.compete import storefile
from arena.errors import ArenaError

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS matches (
    match_id    TEXT PRIMARY KEY,      -- see match_id()
    world       TEXT NOT NULL,         -- world id with version, e.g. LineFollow-v0
    world_hash  TEXT NOT NULL,         -- content hash of the world file ('' when unknown)
    seed        INTEGER NOT NULL,
    players     INTEGER NOT NULL,      -- 1 for solo worlds, 2 for head-to-head
    engine      TEXT NOT NULL,
    created     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    match_id    TEXT NOT NULL REFERENCES matches(match_id),
    player      INTEGER NOT NULL,      -- start position (0-based)
    world       TEXT NOT NULL,
    robot       TEXT NOT NULL,
    robot_hash  TEXT NOT NULL,
    agent       TEXT NOT NULL,
    agent_hash  TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    status      TEXT NOT NULL,         -- OK | ERROR | TIMEOUT | INVALID (controller statuses are results)
    reason      TEXT NOT NULL,
    total       REAL NOT NULL,         -- score total
    tiebreak    REAL NOT NULL,         -- s; lower ranks higher at equal total
    score_json  TEXT NOT NULL,         -- the full score card
    steps       INTEGER NOT NULL,
    sim_time    REAL NOT NULL,
    wall_time   REAL NOT NULL,
    digest      TEXT NOT NULL,         -- trajectory hash
    isolation   TEXT NOT NULL,
    engine      TEXT NOT NULL,
    output      TEXT NOT NULL,         -- controller's captured output (capped, escaped)
    created     REAL NOT NULL,
    PRIMARY KEY (match_id, player)
);
CREATE INDEX IF NOT EXISTS results_world ON results(world);
CREATE TABLE IF NOT EXISTS replays (
    match_id    TEXT PRIMARY KEY REFERENCES matches(match_id),
    data        BLOB NOT NULL          -- gzip-compressed replay JSON (arena.compete.replay), never pickle
);
CREATE TABLE IF NOT EXISTS failures (  -- infrastructure failures: unranked, retried
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    match_id    TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    message     TEXT NOT NULL,
    created     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS matches_created ON matches(created);
CREATE TABLE IF NOT EXISTS claims (    -- leases: which arena process is playing a match right now
    match_id    TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,         -- host:pid:token of the claiming arena process
    expires     REAL NOT NULL          -- unix time; after it (or once that process is gone) anyone may take over
);
CREATE TABLE IF NOT EXISTS boards (    -- computed leaderboards, valid while the results are unchanged
    key         TEXT PRIMARY KEY,      -- what was asked (world filter, resamples, ranking version)
    version     TEXT NOT NULL,         -- results_version() when it was computed
    data        TEXT NOT NULL,         -- JSON
    created     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    agent_hash  TEXT NOT NULL,
    name        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    path        TEXT NOT NULL,         -- the immutable stored copy
    status      TEXT NOT NULL,         -- accepted | rejected
    reason      TEXT NOT NULL,
    created     REAL NOT NULL,
    PRIMARY KEY (name, agent_hash)
);
CREATE TABLE IF NOT EXISTS teams (     -- who may submit through `arena serve` (arena.compete.teams)
    name        TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,  -- sha256 hex of the team's token; the token itself is never stored
    created     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (      -- the submission queue (arena.compete.jobs)
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team        TEXT NOT NULL,
    name        TEXT NOT NULL,         -- the agent's name
    filename    TEXT NOT NULL,         -- as uploaded, shown only: the file is uploads/<upload>
    upload      TEXT NOT NULL,         -- the stored upload's file name: <id>.zip or <id>.py
    worlds      TEXT NOT NULL,         -- JSON list of world ids asked for ([]: declared or by trial)
    status      TEXT NOT NULL,         -- queued | running | done | failed | rejected
    reason      TEXT NOT NULL,
    agent_hash  TEXT NOT NULL,         -- '' until admitted
    agent_path  TEXT NOT NULL,         -- the stored copy, '' until admitted
    match_ids   TEXT NOT NULL,         -- JSON list of its stored matches
    done        INTEGER NOT NULL,      -- progress: its matches stored
    total       INTEGER NOT NULL,      -- progress: its matches in all (0 until validated)
    owner       TEXT NOT NULL,         -- host:pid:token of the worker holding it ('' when none)
    expires     REAL NOT NULL,         -- the worker's lease; after it (or once it is gone) another takes over
    attempts    INTEGER NOT NULL,      -- how many times a worker took it
    created     REAL NOT NULL,
    started     REAL,
    finished    REAL
);
CREATE INDEX IF NOT EXISTS jobs_team ON jobs(team, created);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, id);
"""

RESULT_COLUMNS = ("match_id", "player", "world", "robot", "robot_hash", "agent", "agent_hash", "seed", "status",
                  "reason", "total", "tiebreak", "score_json", "steps", "sim_time", "wall_time", "digest",
                  "isolation", "engine", "output", "created")


def match_id(world: str, players: list[tuple[str, str]], seed: int, engine: str, presses=None) -> str:
    """The key of a match: world id (with version), (robot hash, agent hash) per start position,
    seed and engine version, and the scripted brick button presses [[button, start s, end s], ...]
    when there are any (other presses make another match; a match without any keeps its old id)."""
    items = ["kit-arena-match", world, [list(p) for p in players], int(seed), engine]
    if presses:
        items.append([[str(b), float(t0), float(t1)] for b, t0, t1 in presses])
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:32]


def result_match_id(results) -> str:
    r0 = results[0]
    return match_id(r0.world, [(r.robot_hash or r.robot, r.agent_hash) for r in results], r0.seed, r0.engine)


LEASE_S = 300.0  # a claim lasts this long unless renewed; a tournament renews every third of it


def claimant() -> str:
    """This process as a claim owner: host, pid and a random token (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _owner_alive(owner: str) -> bool:
    """False only when the owner ran on this host and its process is gone (its lease is stale now)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def _for_world(query: str, column: str, world: str | None) -> tuple[str, tuple]:
    """The query, filtered to one world when one is given, and its parameters."""
    return (f"{query} WHERE {column} = ?", (world,)) if world else (query, ())


class Store:
    def __init__(self, path: str | Path):
        """Open (or create) a results database; ArenaError naming the file and the fix for a folder,
        an unreadable file, a non-database, another application's or schema's database, or a store
        of a newer kit-arena (arena.compete.storefile)."""
        self.path = Path(path)
        self.db = storefile.connect(self.path)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise storefile.refused(self.path, exc) from None
        except ArenaError:
            self.db.close()
            raise

    def _open(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        storefile.check_foreign(self.db, self.path)
        storefile.check_newer(self.path, version, SCHEMA_VERSION)
        old = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='results'").fetchone()
        if old and version < SCHEMA_VERSION:
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(results)")}
            if "player" not in cols:  # schema 1 (one row per solo episode): kept aside, not mixed in
                self.db.execute(f"ALTER TABLE results RENAME TO results_v{version or 1}")
                self.db.execute("DROP INDEX IF EXISTS results_world")
        if version == SCHEMA_VERSION:  # same version: every table it has must be ours as they are
            storefile.check_columns(self.db, self.path, SCHEMA, existing_only=True)
        self.db.executescript(SCHEMA)
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        storefile.check_columns(self.db, self.path, SCHEMA)

    # -- writing (the arena process only) -------------------------------------------------------
    @contextmanager
    def _write(self):
        """One write transaction, taking the write lock up front (BEGIN IMMEDIATE): a concurrent
        writer waits for the busy timeout instead of failing half way through."""
        if self.db.in_transaction:
            self.db.commit()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def transaction(self):
        """A write transaction for the modules that keep their own tables here (teams, jobs)."""
        return self._write()

    def add_match(self, results, replay: dict | None = None, world_hash: str = "") -> bool:
        """Store one match (an EpisodeResult per player, in start order) and its replay in one
        transaction, and end any claim on it. Returns False when that match was already stored
        (nothing is changed)."""
        mid = replay["match_id"] if replay is not None else result_match_id(results)  # the replay's has the presses
        r0, now = results[0], time.time()
        with self._write():
            cur = self.db.execute("INSERT OR IGNORE INTO matches VALUES (?,?,?,?,?,?,?)",
                                  (mid, r0.world, world_hash, r0.seed, len(results), r0.engine, now))
            self.db.execute("DELETE FROM claims WHERE match_id=?", (mid,))
            if cur.rowcount != 1:
                return False
            for i, r in enumerate(results):
                self.db.execute(
                    f"INSERT INTO results VALUES ({','.join('?' * len(RESULT_COLUMNS))})",
                    (mid, i, r.world, r.robot, r.robot_hash, r.agent, r.agent_hash, r.seed, r.status, r.reason,
                     r.score["total"], r.score["tiebreak_s"], json.dumps(r.score, sort_keys=True), r.steps,
                     r.sim_time, r.wall_time, r.digest, r.isolation, r.engine, r.output, now))
            if replay is not None:
                data = gzip.compress(json.dumps(replay, sort_keys=True, separators=(",", ":")).encode(), mtime=0)
                self.db.execute("INSERT OR REPLACE INTO replays VALUES (?,?)", (mid, data))
        return True

    def add(self, r) -> bool:
        """Store a solo EpisodeResult; returns False when that match was already stored."""
        return self.add_match([r])

    def claim(self, mid: str, owner: str, lease: float = LEASE_S, now: float | None = None) -> str:
        """Take the lease on a match before playing it: "claimed" (play it), "stored" (someone
        already stored it) or "taken" (another live process holds an unexpired lease on it)."""
        now = time.time() if now is None else now
        with self._write():
            if self.has_match(mid):
                return "stored"
            row = self.db.execute("SELECT owner, expires FROM claims WHERE match_id=?", (mid,)).fetchone()
            if row and row[0] != owner and row[1] > now and _owner_alive(row[0]):
                return "taken"
            self.db.execute("INSERT OR REPLACE INTO claims VALUES (?,?,?)", (mid, owner, now + lease))
        return "claimed"

    def renew(self, mids: Iterable[str], owner: str, lease: float = LEASE_S) -> int:
        """Extend this owner's leases on these matches; returns how many it still held."""
        mids = list(mids)
        if not mids:
            return 0
        with self._write():
            cur = self.db.execute(f"UPDATE claims SET expires=? WHERE owner=? AND match_id IN "
                                  f"({','.join('?' * len(mids))})", (time.time() + lease, owner, *mids))
        return cur.rowcount

    def release(self, mid: str, owner: str) -> None:
        """Give a claim back (the match failed and will not be retried by this owner)."""
        with self._write():
            self.db.execute("DELETE FROM claims WHERE match_id=? AND owner=?", (mid, owner))

    def claims(self) -> list[dict]:
        rows = self.db.execute("SELECT match_id, owner, expires FROM claims ORDER BY match_id")
        return [dict(zip(("match_id", "owner", "expires"), r, strict=True)) for r in rows]

    def add_failure(self, mid: str, attempt: int, message: str) -> None:
        with self._write():
            self.db.execute("INSERT INTO failures (match_id, attempt, message, created) VALUES (?,?,?,?)",
                            (mid, attempt, message[:2000], time.time()))

    def add_submission(self, agent_hash: str, name: str, owner: str, path: str, status: str, reason: str) -> None:
        with self._write():
            self.db.execute("INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?,?,?)",
                            (agent_hash, name, owner, path, status, reason, time.time()))

    # -- reading -----------------------------------------------------------------------------------
    def has_match(self, mid: str) -> bool:
        return self.db.execute("SELECT 1 FROM matches WHERE match_id=?", (mid,)).fetchone() is not None

    def match_statuses(self, mid: str) -> list[str]:
        """The status of each player of a stored match, in start order ([] when it is not stored)."""
        return [r[0] for r in self.db.execute("SELECT status FROM results WHERE match_id=? ORDER BY player", (mid,))]

    def match_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT match_id FROM matches")}

    def has(self, world: str, robot: str, agent_hash: str, seed: int, engine: str) -> bool:
        """Whether a solo match is stored (robot: its content hash, or its name for old callers)."""
        return self.has_match(match_id(world, [(robot, agent_hash)], seed, engine))

    def results(self, world: str | None = None) -> list[dict]:
        """Every stored result row (one per player per match), in a stable order, with `players`."""
        q, args = _for_world(f"SELECT {', '.join('r.' + c for c in RESULT_COLUMNS)}, m.players FROM results r "
                             "JOIN matches m USING (match_id)", "r.world", world)
        q += " ORDER BY r.world, r.seed, r.match_id, r.player"
        return [dict(zip((*RESULT_COLUMNS, "players"), row, strict=True)) for row in self.db.execute(q, args)]

    def matches(self, world: str | None = None, agent: str | None = None, limit: int | None = None) -> list[dict]:
        """Stored matches, newest first: match_id, world, seed, created and per player (start
        order) agent, agent_hash, robot, status, total, tiebreak. agent: a name or an agent hash."""
        where, args = [], []
        if world:
            where.append("m.world = ?")
            args.append(world)
        if agent:
            where.append("EXISTS (SELECT 1 FROM results r WHERE r.match_id = m.match_id AND "
                         "(r.agent = ? OR r.agent_hash = ?))")
            args += [agent, agent]
        q = "SELECT m.match_id, m.world, m.seed, m.created FROM matches m"
        q += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY m.created DESC, m.rowid DESC"
        if limit is not None:
            q += f" LIMIT {int(limit)}"
        out = [dict(zip(("match_id", "world", "seed", "created"), r, strict=True), players=[])
               for r in self.db.execute(q, args)]
        by = {m["match_id"]: m for m in out}
        ids = list(by)
        for i in range(0, len(ids), 500):  # SQLite caps the parameters of one statement
            chunk = ids[i:i + 500]
            for row in self.db.execute("SELECT match_id, agent, agent_hash, robot, status, total, tiebreak FROM "
                                       f"results WHERE match_id IN ({','.join('?' * len(chunk))}) "
                                       "ORDER BY match_id, player", chunk):
                by[row[0]]["players"].append(dict(zip(("agent", "agent_hash", "robot", "status", "total",
                                                       "tiebreak"), row[1:], strict=True)))
        return out

    def worlds(self) -> list[str]:
        """The world ids that have stored matches."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT world FROM matches ORDER BY world")]

    def agents(self) -> list[str]:
        """The agent names that have stored results."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT agent FROM results ORDER BY agent")]

    # -- computed leaderboards, valid until the results change ------------------------------------
    def results_version(self) -> str:
        """Changes whenever a result is added or removed (rows only grow; the count covers deletes)."""
        n, last = self.db.execute("SELECT COUNT(*), MAX(rowid) FROM results").fetchone()
        return f"{n}:{last or 0}"

    def cached_board(self, key: str, version: str) -> str | None:
        row = self.db.execute("SELECT data FROM boards WHERE key=? AND version=?", (key, version)).fetchone()
        return row[0] if row else None

    def put_board(self, key: str, version: str, data: str) -> None:
        """Keep a computed board (a read-only database just goes without the cache)."""
        try:
            with self._write():
                self.db.execute("INSERT OR REPLACE INTO boards VALUES (?,?,?,?)", (key, version, data, time.time()))
        except sqlite3.OperationalError:
            pass

    def replay_data(self, mid: str) -> bytes | None:
        """The stored replay as it is in the database (gzip JSON; arena.compete.replay.parse reads it)."""
        row = self.db.execute("SELECT data FROM replays WHERE match_id=?", (mid,)).fetchone()
        return row[0] if row else None

    def replay(self, mid: str) -> dict | None:
        data = self.replay_data(mid)
        if data is None:
            return None
        try:
            return json.loads(gzip.decompress(data))
        except (OSError, EOFError, ValueError, TypeError, zlib.error) as exc:
            raise ArenaError(f"{storefile.show(self.path)}: the stored replay of match {mid} is damaged ({exc}) "
                             "(fix: delete that match from the database and run `arena tournament` to play it "
                             "again)") from None

    def failures(self) -> list[dict]:
        rows = self.db.execute("SELECT match_id, attempt, message, created FROM failures ORDER BY id")
        return [dict(zip(("match_id", "attempt", "message", "created"), r, strict=True)) for r in rows]

    def submissions(self, active_only: bool = True) -> list[dict]:
        """Submissions, newest first; active_only keeps the newest accepted version of each name."""
        rows = self.db.execute("SELECT agent_hash, name, owner, path, status, reason, created FROM submissions "
                               "ORDER BY created DESC")
        out, seen = [], set()
        for r in rows:
            d = dict(zip(("agent_hash", "name", "owner", "path", "status", "reason", "created"), r, strict=True))
            if active_only:
                if d["status"] != "accepted" or d["name"] in seen:
                    continue
                seen.add(d["name"])
            out.append(d)
        return out

    def leaderboard(self, world: str | None = None) -> list[dict]:
        """A plain summary per world and agent: mean total over its runs (failed runs count with
        their score), runs, failures, mean tie-break. Sorted by world, mean total, tie-break.
        (arena.compete.ranking computes the rated leaderboard with intervals.)"""
        q, args = _for_world("SELECT world, agent, robot, COUNT(*), AVG(total), MIN(total), MAX(total), AVG(tiebreak), "
                             "SUM(status != 'OK') FROM results", "world", world)
        q += " GROUP BY world, agent_hash, agent, robot ORDER BY world, AVG(total) DESC, AVG(tiebreak) ASC"
        rows = self.db.execute(q, args).fetchall()
        out, rank, last_world = [], 0, None
        for w, agent, robot, n, mean, lo, hi, tb, fails in rows:
            rank = 1 if w != last_world else rank + 1
            last_world = w
            out.append({"world": w, "rank": rank, "agent": agent, "robot": robot, "runs": n, "mean": mean,
                        "min": lo, "max": hi, "tiebreak": tb, "failures": fails})
        return out

    def close(self) -> None:
        self.db.close()
