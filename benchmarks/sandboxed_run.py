"""A sandboxed line-follow run against the same controller in-process.

Prints the median (of several runs) real-time factor of:
- the in-process loop: ArenaEnv.step_commands(controller.act(obs)), as an RL policy would run;
- `arena run`: the controller in its own sandboxed process (JSON lines over pipes);
their ratio (target >= 0.7), and the per-step round-trip cost the sandbox adds.

Usage: python benchmarks/sandboxed_run.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics

from _inprocess import LINE_FOLLOWER, line_follower_episode

from arena.runner import pin_to_cpu, run_episode


def in_process() -> tuple[float, float, int]:
    sim, wall, steps = line_follower_episode(0)
    return sim / wall, wall, steps


def sandboxed() -> tuple[float, float, int, str]:
    r = run_episode("line-follow", "rover", LINE_FOLLOWER, seed=0)
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
