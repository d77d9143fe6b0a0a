"""What recording a match's replay costs once the match has run, in CPU time.

    python benchmarks/replay_store.py [--agents line_follower brick_line_follower] [--repeats 5]

Runs each agent once on line-follow (record=True, as tournaments do), then times, in the same
process and interleaved:
- now: replay.build (the commands as the run's digest encoded them, zlib'd) + pickling it (a
  tournament worker sends it to the parent) + the store's JSON encode and gzip;
- before: the kit-arena-replay/2 form (every step's commands as JSON lists) through the same
  three steps.
Prints CPU milliseconds per match (min-max over the repeats) and the stored bytes of each.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import time

from arena.compete import replay
from arena.content import resolve
from arena.controllers.runner import run_match
from arena.match import load_world_spec


def stored(rep: dict) -> bytes:
    """What Store.add_match writes for a replay."""
    return gzip.compress(json.dumps(rep, sort_keys=True, separators=(",", ":")).encode(), mtime=0)


def cpu_ms(fn, repeats: int) -> tuple[float, float, object]:
    out, times = fn(), []  # once untimed: one-off imports and lookups are not per match
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        times.append((time.process_time() - t0) * 1e3)
    return min(times), max(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", nargs="+", default=["line_follower", "brick_line_follower"])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    world = resolve("worlds", "line-follow")
    spec = load_world_spec(world)
    print(f"CPU ms per match, min-max of {args.repeats}; bytes stored")
    for agent in args.agents:
        (r,) = run_match(world, [(None, agent)], seed=1, record=True, hash_every=100)
        players = [{"robot": r.robot, "robot_file": str(spec.robot), "robot_hash": r.robot_hash, "agent": agent,
                    "agent_hash": r.agent_hash}]

        def now(players=players, r=r):
            rep = replay.build(str(world), spec.id, 1, players, [r], 100)
            return stored(pickle.loads(pickle.dumps(rep)))

        def before(players=players, r=r):
            rep = replay.build(str(world), spec.id, 1, players, [r], 100)
            old = dict(rep, format="kit-arena-replay/2", actions=[[a] for a in r.actions])
            del old["commands"]
            return stored(pickle.loads(pickle.dumps(old)))

        rows = []
        for _ in range(2):  # interleaved: both see the same load
            rows.append((cpu_ms(now, args.repeats), cpu_ms(before, args.repeats)))
        n = (min(a[0][0] for a in rows), max(a[0][1] for a in rows), len(rows[0][0][2]))
        b = (min(a[1][0] for a in rows), max(a[1][1] for a in rows), len(rows[0][1][2]))
        print(f"{agent:<22}{r.steps:>6} steps  now {n[0]:6.1f}-{n[1]:6.1f} ms {n[2]:>8} B   "
              f"before {b[0]:6.1f}-{b[1]:6.1f} ms {b[2]:>8} B")


if __name__ == "__main__":
    main()
