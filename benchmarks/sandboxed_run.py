"""A sandboxed line-follow run against the same controller in-process.

Prints the median (of several runs) real-time factor of:
- the in-process loop: ArenaEnv.step_commands(controller.act(obs)), as an RL policy would run;
- `arena run`: the controller in its own sandboxed process (JSON lines over pipes);
their ratio (target >= 0.7), and the per-step round-trip cost the sandbox adds.

Usage: python benchmarks/sandboxed_run.py [--runs N]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

from arena.env import ArenaEnv
from arena.runner import pin_to_cpu, run_episode

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "agents" / "line_follower"


def in_process() -> tuple[float, float, int]:
    spec = importlib.util.spec_from_file_location("lf", AGENT / "controller.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ctl = mod.Controller()
    env = ArenaEnv("line-follow", "rover")
    t0 = time.perf_counter()
    env.reset(seed=0)
    ctl.reset(0, {})
    raw = env.last_obs
    while True:
        raw, _r, term, trunc, _i = env.step_commands(ctl.act(raw))
        if term or trunc:
            break
    wall = time.perf_counter() - t0
    sim, steps = env.time, env.steps
    env.close()
    return sim / wall, wall, steps


def sandboxed() -> tuple[float, float, int, str]:
    r = run_episode("line-follow", "rover", AGENT, seed=0)
    assert r.status == "OK", r.reason
    return r.sim_time / r.wall_time, r.wall_time, r.steps, r.isolation


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    pin_to_cpu()  # as `arena run` does: the arena and its controller take turns on one core
    inp = [in_process() for _ in range(args.runs)]
    box = [sandboxed() for _ in range(args.runs)]
    rtf_in = statistics.median(x[0] for x in inp)
    rtf_box = statistics.median(x[0] for x in box)
    steps = inp[0][2]
    extra_us = (statistics.median(x[1] for x in box) - statistics.median(x[1] for x in inp)) / steps * 1e6
    print(f"in-process controller : {rtf_in:6.1f}x real time  (median of {args.runs})")
    print(f"sandboxed ({box[0][3]:6s})    : {rtf_box:6.1f}x real time")
    print(f"ratio sandboxed / in-process : {rtf_box / rtf_in:.2f}  (target >= 0.7)")
    print(f"round trip added per step    : {extra_us:.0f} us  ({steps} steps; includes sandbox start, ~50 ms)")


if __name__ == "__main__":
    main()
