"""What the run's digest costs per control step, against the step itself.

Prints, per world, medians of several repeats in microseconds per control step:
- Match.step (physics substeps, motor and sensor models, scoring);
- the digest before kit-arena-replay/2: sha256 of every robot's and object's base pose and
  velocity (what Match.state_digest hashed then);
- the digest now: arena.match.Trajectory.step (the commands, every body's base and joint state,
  every observation value and motor flag, one sha256 link);
and the ratio (step + new digest) / (step + old digest). The runner computes the digest while the
controllers think, so in `arena run` it is mostly off the critical path; this is its full cost.

Usage: python benchmarks/digest_cost.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import struct
import time

import numpy as np

from arena import _speedups
from arena.match import Match, Trajectory, trajectory_header

WORLDS = ("line-follow", "sumo", "missions")
_BASE = struct.Struct("<13d")


def old_digest(match: Match) -> bytes:
    h = hashlib.sha256()
    for b in [r.body for r in match.robots] + list(match.object_bodies):
        pos, quat = match.sim.pose(b)
        lin, ang = match.sim.velocity(b)
        h.update(_BASE.pack(*pos, *quat, *lin, *ang))
    return h.digest()


def per_step_us(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def measure(world: str, steps: int, repeats: int) -> tuple[float, float, float]:
    match = Match(world)
    match.reset(np.random.SeedSequence(0))
    cmds = [{p: 0.4 for p in r.ports} for r in match.robots]
    traj = Trajectory(match, trajectory_header(world, [("r", "a")] * match.players, 0, "bench"), keep_tags=True)
    step, old, new = [], [], []
    for _ in range(repeats):
        step.append(per_step_us(lambda: match.step(cmds), steps))
        old.append(per_step_us(lambda: old_digest(match), steps))
        new.append(per_step_us(lambda: traj.step(cmds), steps))
    match.close()
    return statistics.median(step), statistics.median(old), statistics.median(new)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"compiled speedups: {_speedups.active()}; microseconds per control step (median of {args.repeats})")
    print(f"{'world':<14}{'Match.step':>12}{'old digest':>12}{'new digest':>12}{'ratio':>8}")
    for world in WORLDS:
        s, o, n = measure(world, args.steps, args.repeats)
        print(f"{world:<14}{s:>12.1f}{o:>12.1f}{n:>12.1f}{(s + n) / (s + o):>8.3f}")


if __name__ == "__main__":
    main()
