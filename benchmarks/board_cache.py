"""Reading the leaderboard of a large results store: cold (computed) vs cached.

    python benchmarks/board_cache.py [--results 10000] [--seed 0]

Fills a temporary store with synthetic results (seeded: four solo worlds of ten agents and one
head-to-head world of five), then reads the board as `arena leaderboard` does
(arena.compete.boards.board): the first read computes every rating and keeps the board in the
store, the second finds it unchanged and reads it back. Prints both times and their ratio, then
the time of a read after one more result (the board is computed again).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def fill(store, n: int, seed: int) -> int:
    from arena.controllers.runner import EpisodeResult

    rng = np.random.default_rng(seed)
    skill = {f"agent{k}": rng.normal(200, 60) for k in range(10)}

    def result(world, agent, s, players):
        total = float(max(0.0, rng.normal(skill[agent], 40)))
        status = "OK" if rng.random() > 0.03 else "ERROR"
        return EpisodeResult(world=world, robot="rover", agent=agent, seed=s, status=status, reason="",
                             score={"total": total, "tiebreak_s": float(rng.uniform(40, 180)), "terms": {},
                                    "finished": True},
                             steps=100, sim_time=1.0, wall_time=0.1, digest="0" * 32, isolation="rlimit",
                             agent_hash=f"h-{agent}", robot_hash="r-rover")

    duel_agents = list(skill)[:5]
    lineups = [p for a, b in itertools.combinations(duel_agents, 2) for p in ((a, b), (b, a))]
    written, s = 0, 0
    while written < n:
        for w in ("Solo1-v0", "Solo2-v0", "Solo3-v0", "Solo4-v0"):
            for agent in skill:
                if written < n:
                    store.add(result(w, agent, s, 1))
                    written += 1
        if s % 4 == 0:
            for a, b in lineups:
                if written + 2 <= n:
                    store.add_match([result("Duel-v0", a, s, 2), result("Duel-v0", b, s, 2)])
                    written += 2
        s += 1
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from arena.compete.boards import board
    from arena.compete.store import Store

    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "results.sqlite")
        t0 = time.perf_counter()
        n = fill(store, args.results, args.seed)
        print(f"{n} synthetic results written in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        cold = board(store)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = board(store)
        t_warm = time.perf_counter() - t0
        assert {w: [s.as_dict() for s in r] for w, r in cold.items()} == \
               {w: [s.as_dict() for s in r] for w, r in warm.items()}, "the cached board differs"
        fill_one = Store(Path(d) / "results.sqlite")
        from arena.controllers.runner import EpisodeResult

        fill_one.add(EpisodeResult(world="Solo1-v0", robot="rover", agent="agent0", seed=10**6, status="OK",
                                   reason="", score={"total": 1.0, "tiebreak_s": 1.0, "terms": {}, "finished": True},
                                   steps=1, sim_time=0.01, wall_time=0.01, digest="0" * 32, isolation="rlimit",
                                   agent_hash="h-agent0", robot_hash="r-rover"))
        t0 = time.perf_counter()
        board(store)
        t_again = time.perf_counter() - t0
        store.close()
        fill_one.close()
    print(f"cold read (computes every rating): {t_cold:8.3f} s")
    print(f"cached read (results unchanged):   {t_warm:8.3f} s")
    print(f"cold / cached: {t_cold / t_warm:.0f}x")
    print(f"read after one more result:        {t_again:8.3f} s (computed again)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
