"""A sandboxed line-follow run against the same controller in-process.

Runs rounds of the three (interleaved, so that a drifting machine moves both sides of a ratio) and
prints the median real-time factor of:
- the in-process loop: ArenaEnv.step_commands(controller.act(obs)), as an RL policy would run;
- `arena run`: the controller in its own sandboxed process (JSON lines over pipes), on a core of
  its own when one has been idle lately (the default placement, see arena.controllers.placement);
- the same with everything on one CPU, as in a tournament worker;
their ratios, each round's sandboxed run against the same round's in-process one (median and range
over the rounds; target >= 0.7 for `arena run`), the per-step wall time the sandbox adds, and the
CPU per step of each side (the arena process, from getrusage, world build included; the controller,
from Sandbox.cpu_seconds, its start included) against the in-process loop's.

On a busy machine the "own core" runs find no idle core and run unpinned; benchmarks/under_load.py
measures that case against a quiet run, side by side.

Usage: python benchmarks/sandboxed_run.py [--runs N] [--own-core-only]   (default 9 rounds)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics

from _inprocess import LINE_FOLLOWER, line_follower_episode

import arena.controllers.sandbox.channel as channel
from arena.controllers.runner import run_episode


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def in_process() -> tuple[float, float, int, float]:
    c0 = _cpu_s()
    sim, wall, steps = line_follower_episode(0)
    return sim / wall, wall, steps, (_cpu_s() - c0) / steps * 1e6


def sandboxed() -> tuple[float, float, int, str, float, float]:
    """(x real time, wall s, steps, isolation, arena CPU us/step, controller CPU us/step)."""
    ctl_s = []
    close = channel.Sandbox.close

    def counting_close(sb):  # the controller's CPU time, read just before it is killed
        if not sb._closed:
            ctl_s.append(sb.cpu_seconds())
        close(sb)

    channel.Sandbox.close = counting_close
    try:
        c0 = _cpu_s()
        r = run_episode("line-follow", "rover", LINE_FOLLOWER, seed=0)
        arena_us = (_cpu_s() - c0) / r.steps * 1e6
    finally:
        channel.Sandbox.close = close
    assert r.status == "OK", r.reason
    return r.sim_time / r.wall_time, r.wall_time, r.steps, r.isolation, arena_us, sum(ctl_s) / r.steps * 1e6


def _positive(text: str) -> int:
    """argparse type: a whole number of at least 1 (a median needs one run)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=_positive, default=9)
    ap.add_argument("--own-core-only", action="store_true", help="skip the one-CPU runs (tournament workers' view)")
    args = ap.parse_args()
    allowed = os.sched_getaffinity(0)
    inp, box, one = [], [], []
    # interleaved rounds: each ratio compares runs minutes apart at most, so a machine whose speed
    # drifts (other tenants, frequency) moves both sides of a ratio together
    for _ in range(args.runs):
        inp.append(in_process())
        box.append(sandboxed())
        if args.own_core_only:
            continue
        os.sched_setaffinity(0, {min(allowed)})  # a tournament worker's view: one CPU for everything
        try:
            one.append(sandboxed())
        finally:
            os.sched_setaffinity(0, allowed)
    rtf_in = statistics.median(x[0] for x in inp)
    steps = inp[0][2]
    print(f"in-process controller          : {rtf_in:6.1f}x real time  (median of {args.runs}, range "
          f"{min(x[0] for x in inp):.1f}-{max(x[0] for x in inp):.1f})  "
          f"CPU {statistics.median(x[3] for x in inp):.0f} us/step")
    kinds = [(f"sandboxed, own core ({box[0][3]})", box)] + ([(f"sandboxed, one CPU ({one[0][3]})", one)] if one else [])
    for name, runs in kinds:
        rtf = statistics.median(x[0] for x in runs)
        ratios = [b[0] / a[0] for a, b in zip(inp, runs, strict=True)]  # each round against its own baseline
        extra = [(b[1] - a[1]) / steps * 1e6 for a, b in zip(inp, runs, strict=True)]
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        print(f"{name:31s}: {rtf:6.1f}x real time  ratio {statistics.median(ratios):.2f} (rounds "
              f"{min(ratios):.2f}-{max(ratios):.2f}, middle half {q[0]:.2f}-{q[2]:.2f})  +{statistics.median(extra):.0f} us per step (rounds "
              f"{min(extra):.0f}-{max(extra):.0f}, sandbox start included)  CPU us/step: arena "
              f"{statistics.median(x[4] for x in runs):.0f}, controller {statistics.median(x[5] for x in runs):.0f}")
    print("target: ratio >= 0.7 for `arena run` (own core when one is spare)")


if __name__ == "__main__":
    main()
