"""The results store (layer 8): SQLite in WAL mode; never imports pybullet.

Every result is keyed by a match key derived from what decides the outcome (world id, robot,
agent content hash, seed, engine version), so writing the same result twice is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    match_key   TEXT PRIMARY KEY,      -- sha256 of world, robot, agent hash, seed, engine
    world       TEXT NOT NULL,         -- world id with version, e.g. LineFollow-v0
    robot       TEXT NOT NULL,
    agent       TEXT NOT NULL,
    agent_hash  TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    status      TEXT NOT NULL,         -- OK | ERROR | TIMEOUT | INVALID
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
    created     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_world ON results(world);
"""


def match_key(world: str, robot: str, agent_hash: str, seed: int, engine: str) -> str:
    return hashlib.sha256(json.dumps([world, robot, agent_hash, seed, engine]).encode()).hexdigest()[:32]


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def add(self, r) -> bool:
        """Store an EpisodeResult; returns False when that match was already stored."""
        key = match_key(r.world, r.robot, r.agent_hash, r.seed, r.engine)
        with self.db:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (key, r.world, r.robot, r.agent, r.agent_hash, r.seed, r.status, r.reason, r.score["total"],
                 r.score["tiebreak_s"], json.dumps(r.score, sort_keys=True), r.steps, r.sim_time, r.wall_time,
                 r.digest, r.isolation, r.engine, r.output, time.time()))
        return cur.rowcount == 1

    def has(self, world: str, robot: str, agent_hash: str, seed: int, engine: str) -> bool:
        key = match_key(world, robot, agent_hash, seed, engine)
        return self.db.execute("SELECT 1 FROM results WHERE match_key=?", (key,)).fetchone() is not None

    def leaderboard(self, world: str | None = None) -> list[dict]:
        """Per world and agent: mean total over its seeds (failed runs count with their score),
        runs, failures, best tie-break. Sorted by world, then mean total, then tie-break."""
        q = ("SELECT world, agent, robot, COUNT(*), AVG(total), MIN(total), MAX(total), AVG(tiebreak), "
             "SUM(status != 'OK') FROM results")
        args: tuple = ()
        if world:
            q += " WHERE world = ?"
            args = (world,)
        q += " GROUP BY world, agent, robot ORDER BY world, AVG(total) DESC, AVG(tiebreak) ASC"
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
