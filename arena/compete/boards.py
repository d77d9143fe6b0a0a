"""Leaderboards read from a store, computed once per change of the results.

Rating every stored result takes seconds once there are thousands of them, and a board is read far
more often than results are written. A computed board is kept in the store's `boards` table with
the results version it was computed from (Store.results_version); reading it again before the next
result arrives costs one query. Never imports pybullet.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from arena import __version__
from arena.compete.ranking import BOOTSTRAP, Standing, leaderboard

# Bump when ranking.standings changes what it computes: boards cached by an older rule are not reused.
RULES = "2"


def _key(world: str | None, n_boot: int) -> str:
    return json.dumps(["board", RULES, __version__, world or "", n_boot])


def board(store, world: str | None = None, n_boot: int = BOOTSTRAP,
          progress: Callable[[int, int, str], None] | None = None) -> dict[str, list[Standing]]:
    """The leaderboard of every world (or one world id) with the overall table, from the cache when
    the results have not changed since it was computed. progress(done, total, table) is called
    while a board is computed (never for a cached one)."""
    key, version = _key(world, n_boot), store.results_version()
    cached = store.cached_board(key, version)
    if cached is not None:
        return {w: [Standing(**s) for s in rows] for w, rows in json.loads(cached).items()}
    out = leaderboard(store.results(world), world, n_boot, progress=progress)
    store.put_board(key, version, json.dumps({w: [s.as_dict() for s in rows] for w, rows in out.items()}))
    return out
