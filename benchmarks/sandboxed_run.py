"""A sandboxed line-follow run against the same controller in-process, interleaved.

Each round is one sandboxed `arena run` of line-follow (`run_episode`: the controller in its own
sandboxed process, on a core of its own when one has been idle lately, the default placement; see
arena.controllers.placement), with the in-process baseline run in slices between its steps: after
every SLICE control steps of the sandboxed run, SLICE steps of the same episode in this process
(ArenaEnv.step_commands(controller.act(obs)), as an RL policy would run). Each side is timed over
its own slices, so both see the same stretches of the machine: this VM's speed swings by 1.5-2x
from one second to the next, which made a ratio of whole runs taken one after the other vary from
0.4 to 1.2. The sandboxed side's time is its run's wall time less the slices, so its sandbox start,
world reset and close count; the baseline's includes its reset.

Prints per round and as the median (and range) over rounds: each side's microseconds per step,
their ratio (target >= 0.7 for `arena run`), the CPU per step of the arena's side and of the
controller's process, and the physics step's own time in each (Match.step in the sandboxed run,
the whole env step in the baseline); with --compare-pipes, rounds with the lane off (ARENA_LANE=0: every step as
JSON lines over the pipes) in between, for the lane's share; with --one-cpu, rounds with the
arena and its controller on one CPU, as in a tournament worker.

On a busy machine the "own core" runs find no idle core and run unpinned;
benchmarks/under_load.py measures that case against a quiet run, side by side.

Usage: python benchmarks/sandboxed_run.py [--runs N] [--compare-pipes] [--one-cpu]   (default 5 rounds)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import time

import numpy as np
from _args import positive
from _inprocess import LINE_FOLLOWER

import arena.controllers.runner as runner
import arena.controllers.sandbox.channel as channel
from arena.envs.single import ArenaEnv
from arena.match import Match

SLICE = 200  # control steps: 2 s of simulated time, 30-60 ms of this machine's


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Baseline:
    """The in-process episode, run a slice at a time; the clock and CPU it took."""

    def __init__(self):
        spec = importlib.util.spec_from_file_location("line_follower", LINE_FOLLOWER / "controller.py")
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        self.env = ArenaEnv("line-follow", "rover")
        self.wall = self.cpu = self.physics = 0.0
        self.steps = 0
        self.done = True

    def run(self, n: int) -> None:
        w0, c0 = time.perf_counter(), time.thread_time()
        env = self.env
        for _ in range(n):
            if self.done:  # a new episode (the first, or after one ended), its reset timed
                self.ctl = self.module.Controller()
                env.reset(seed=0)
                self.ctl.reset(0, {})
                self.raw, self.done = env.last_obs, False
            action = self.ctl.act(self.raw)
            t = time.perf_counter()
            self.raw, _r, term, trunc, _i = env.step_commands(action)
            self.physics += time.perf_counter() - t
            self.steps += 1
            self.done = term or trunc
        self.wall += time.perf_counter() - w0
        self.cpu += time.thread_time() - c0


class Interleaved(Match):
    """The sandboxed run's Match: after every SLICE steps, a slice of the baseline."""

    baseline: Baseline | None = None
    physics = 0.0

    def step(self, commands):
        t = time.perf_counter()
        obs = Match.step(self, commands)
        Interleaved.physics += time.perf_counter() - t
        if self.steps % SLICE == 0:
            Interleaved.baseline.run(SLICE)
        return obs


def one_round(lane: bool) -> dict:
    """One sandboxed run of line-follow with its baseline interleaved: per-step figures of both."""
    base = Baseline()
    ctl_s = []
    close = channel.Sandbox.close

    def counting_close(sb):  # the controller's CPU time, read just before it is killed
        if not sb._closed:
            ctl_s.append(sb.cpu_seconds())
        close(sb)

    old_lane = os.environ.get("ARENA_LANE")
    os.environ["ARENA_LANE"] = "1" if lane else "0"
    Interleaved.baseline, Interleaved.physics = base, 0.0
    runner.Match, channel.Sandbox.close = Interleaved, counting_close
    try:
        c0 = _cpu_s()
        r = runner.run_episode("line-follow", "rover", LINE_FOLLOWER, seed=0)
        cpu = _cpu_s() - c0
    finally:
        runner.Match, channel.Sandbox.close = Match, close
        if old_lane is None:
            os.environ.pop("ARENA_LANE", None)
        else:
            os.environ["ARENA_LANE"] = old_lane
    assert r.status == "OK", r.reason
    in_run_wall, in_run_cpu = base.wall, base.cpu  # the slices inside the run's wall time
    base.run(r.steps - base.steps)  # the baseline's last steps (the run ended mid-slice)
    return {"in": base.wall / base.steps * 1e6, "box": (r.wall_time - in_run_wall) / r.steps * 1e6,
            "in_cpu": base.cpu / base.steps * 1e6, "isolation": r.isolation,
            "arena_cpu": (cpu - in_run_cpu) / r.steps * 1e6, "ctl_cpu": sum(ctl_s) / r.steps * 1e6,
            # the physics step alone: Match.step in the sandboxed run, against the whole of
            # step_commands (Match.step and the env's own bookkeeping) in the baseline
            "box_physics": Interleaved.physics / r.steps * 1e6, "in_physics": base.physics / base.steps * 1e6}


def _one_cpu(lane: bool) -> dict:
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})  # a tournament worker's view: one CPU for everything
    try:
        return one_round(lane)
    finally:
        os.sched_setaffinity(0, allowed)


def _summary(name: str, rounds: list[dict]) -> str:
    ratios = [r["in"] / r["box"] for r in rounds]
    phys = [r["box_physics"] / r["in_physics"] for r in rounds]  # > 1: the sandboxed run's step runs slower
    extra = [r["box"] - r["in"] for r in rounds]
    med = statistics.median
    return (f"{name:24s}: ratio {med(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f})  "
            f"{med(r['box'] for r in rounds):5.0f} us/step against {med(r['in'] for r in rounds):4.0f} in-process, "
            f"+{med(extra):.0f} (rounds {min(extra):.0f}-{max(extra):.0f})  CPU us/step: arena "
            f"{med(r['arena_cpu'] for r in rounds):.0f}, controller {med(r['ctl_cpu'] for r in rounds):.0f}, "
            f"in-process {med(r['in_cpu'] for r in rounds):.0f}\n{'':26s}the physics step: {med(phys):.2f} of its time "
            f"in-process (rounds {min(phys):.2f}-{max(phys):.2f}; Match.step {med(r['box_physics'] for r in rounds):.0f} "
            f"us against step_commands {med(r['in_physics'] for r in rounds):.0f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=positive, default=5)
    ap.add_argument("--compare-pipes", action="store_true", help="also rounds with the lane off (ARENA_LANE=0)")
    ap.add_argument("--one-cpu", action="store_true", help="also rounds on one CPU (tournament workers' view)")
    args = ap.parse_args()
    kinds = [("lane", lambda: one_round(True))]
    if args.compare_pipes:
        kinds.append(("pipes (ARENA_LANE=0)", lambda: one_round(False)))
    if args.one_cpu:
        kinds.append(("one CPU (pipes there)", lambda: _one_cpu(True)))
    warm = Match("line-follow", ["rover"])  # a process's first reset builds the mat (~0.35 s): not in a round
    warm.reset(np.random.SeedSequence(0))
    warm.close()
    results: dict = {name: [] for name, _ in kinds}
    isolation = ""
    for i in range(args.runs):
        for name, run in kinds:  # the kinds take turns, round by round
            r = run()
            isolation = r["isolation"]
            results[name].append(r)
            print(f"round {i + 1} {name:22s}: in-process {r['in']:5.0f} us/step, sandboxed {r['box']:5.0f}, "
                  f"ratio {r['in'] / r['box']:.3f}", flush=True)
    print(f"sandboxed `arena run` of line-follow ({isolation}) against the same controller in-process, "
          f"interleaved every {SLICE} steps; median of {args.runs} rounds:")
    for name, _ in kinds:
        print(_summary(name, results[name]))
    print("target: ratio >= 0.7 for `arena run` (own core when one is spare)")


if __name__ == "__main__":
    main()
