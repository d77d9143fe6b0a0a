"""What the run's digest costs per control step, against the step itself, in CPU time.

Prints, per world, medians of several repeats in microseconds of CPU (time.process_time) per
control step:
- Match.step (physics substeps, motor and sensor models, scoring);
- the state part of every link: Match.state_bytes (every body's base and joint state, every
  observation value and motor flag);
- the commands part: arena.match.command_bytes (kit-arena-trajectory/3, binary) against the
  canonical JSON of kit-arena-trajectory/2, on the same commands;
- a whole Trajectory.step with each rule (/3 now, /2 before), and the ratio of the two;
- the share of (step + digest) that the digest is now.
The commands are those of the world's bundled agent kind: plain duties for line-follow, per-port
command tables ({"run": deg/s, "acc": deg/s^2}, as brick programs send) for sumo, both players.
The runner computes the digest while the controllers think, so in `arena run` it is mostly off the
critical path; this is its full cost.

Usage: python benchmarks/digest_cost.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from arena import _speedups
from arena.match import Match, Trajectory, command_bytes, trajectory_header

WORLDS = ("line-follow", "sumo", "missions")


def per_step_us(fn, n: int) -> float:
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n * 1e6


def commands_for(world: str, match: Match) -> list[dict]:
    if world == "sumo":  # brick-style tables
        return [{p: {"run": 312.5 + i, "acc": 4322.87} for p in r.ports} for i, r in enumerate(match.robots)]
    return [{p: 0.4 + 0.01 * k for k, p in enumerate(r.ports)} for r in match.robots]


def measure(world: str, steps: int, repeats: int) -> dict[str, float]:
    match = Match(world)
    match.reset(np.random.SeedSequence(0))
    cmds = commands_for(world, match)
    header = trajectory_header(world, [("r", "a")] * match.players, 0, "bench")
    new, old = Trajectory(match, header, keep_tags=True), Trajectory(match, header, keep_tags=True, rule=2)
    out: dict[str, list[float]] = {k: [] for k in ("step", "state", "cmd3", "cmd2", "traj3", "traj2")}
    for _ in range(repeats):  # interleaved, so all see the same load
        out["step"].append(per_step_us(lambda: match.step(cmds), steps))
        out["state"].append(per_step_us(match.state_bytes, steps))
        out["cmd3"].append(per_step_us(lambda: command_bytes(cmds), steps))
        out["cmd2"].append(per_step_us(lambda: json.dumps(cmds, sort_keys=True, separators=(",", ":")).encode(),
                                       steps))
        out["traj3"].append(per_step_us(lambda: new.step(cmds), steps))
        out["traj2"].append(per_step_us(lambda: old.step(cmds), steps))
    match.close()
    return {k: statistics.median(v) for k, v in out.items()} | {"traj3_range": (min(out["traj3"]), max(out["traj3"])),
                                                                "traj2_range": (min(out["traj2"]), max(out["traj2"]))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"compiled speedups: {_speedups.active()}; CPU microseconds per control step (median of {args.repeats}; "
          "Trajectory.step also min-max)")
    print(f"{'world':<13}{'step':>8}{'state':>8}{'cmd/3':>7}{'cmd/2':>7}{'link/3':>18}{'link/2':>18}"
          f"{'/3 / /2':>9}{'digest share':>14}")
    for world in WORLDS:
        m = measure(world, args.steps, args.repeats)
        r3, r2 = m["traj3_range"], m["traj2_range"]
        print(f"{world:<13}{m['step']:>8.1f}{m['state']:>8.1f}{m['cmd3']:>7.1f}{m['cmd2']:>7.1f}"
              f"{m['traj3']:>7.1f} ({r3[0]:.1f}-{r3[1]:.1f}){m['traj2']:>7.1f} ({r2[0]:.1f}-{r2[1]:.1f})"
              f"{m['traj3'] / m['traj2']:>9.2f}{m['traj3'] / (m['step'] + m['traj3']):>14.3f}")


if __name__ == "__main__":
    main()
