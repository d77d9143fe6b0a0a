"""The reads the pages need that the Store has no method for: one match's rows, one agent's rows.

Read-only SELECTs on the store's connection, always with bound parameters. Never imports pybullet.
"""

from __future__ import annotations

import json
import math

RUN_COLUMNS = ("match_id", "player", "world", "robot", "agent", "agent_hash", "seed", "status", "reason", "total",
               "tiebreak", "steps", "sim_time", "created")


def _rows(store, where: str, args: tuple, limit: int | None = None) -> list[dict]:
    q = f"SELECT {', '.join(RUN_COLUMNS)} FROM results WHERE {where} ORDER BY created DESC, match_id, player"
    if limit is not None:
        q += f" LIMIT {int(limit)}"
    return [dict(zip(RUN_COLUMNS, r, strict=True)) for r in store.db.execute(q, args)]


def match_rows(store, mid: str) -> list[dict]:
    """One match's result rows in start order, each with its score card (terms); [] when unknown."""
    rows = store.db.execute(f"SELECT {', '.join(RUN_COLUMNS)}, score_json, output FROM results WHERE match_id=? "
                            "ORDER BY player", (mid,)).fetchall()
    out = []
    for r in rows:
        d = dict(zip((*RUN_COLUMNS, "score_json", "output"), r, strict=True))
        try:
            d["terms"] = json.loads(d.pop("score_json")).get("terms", {})
        except (ValueError, AttributeError):
            d["terms"] = {}
        out.append(d)
    return out


def agent_rows(store, agent_hash: str, limit: int = 500) -> list[dict]:
    """An agent version's runs, newest first."""
    return _rows(store, "agent_hash = ?", (agent_hash,), limit)


def agent_submissions(store, agent_hash: str) -> list[dict]:
    return [s for s in store.submissions(active_only=False) if s["agent_hash"] == agent_hash]


def finite(value):
    """JSON has no NaN or infinity: those become null, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
