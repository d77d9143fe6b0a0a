"""Where a sandboxed line-follow run's time goes in the arena process: cProfile with a wall clock
over one `run_episode` (the controller in its sandbox, default placement), after one warm-up run.

    python benchmarks/sandboxed_profile.py [--top N]

Prints the run's real-time factor and the functions with the most time of their own. The physics
step is compiled and shows inside `_run`'s own time; the rest per step is the digest chain
(`record_state`), sending the observation (`send_obs`), receiving and decoding the reply
(`recv_action`) and validating it (`validate_action`): divide by the steps printed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from arena.controllers.runner import run_episode

AGENT = Path(__file__).resolve().parent.parent / "agents" / "line_follower"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=18)
    args = ap.parse_args()
    run_episode("line-follow", None, AGENT, seed=0)  # warm: imports, the mat
    prof = cProfile.Profile(time.perf_counter)
    prof.enable()
    r = run_episode("line-follow", None, AGENT, seed=0)
    prof.disable()
    print(f"{r.steps} steps, {r.wall_time:.2f} s wall, {r.sim_time / r.wall_time:.1f}x real time ({r.isolation})")
    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
