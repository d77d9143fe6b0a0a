"""Tournament throughput: matches per minute on 1 and 2 local workers, and on a local Ray instance.

    python benchmarks/tournament_throughput.py [--matches 24] [--time-limit 10] [--no-ray]

Every run plays the same schedule (the bundled line_follower and bang_bang on a short copy of
LineFollow-v0, replays recorded) into a fresh database. The machine may be shared: figures are
noisy when other work runs on it, so the load average before each run and the cores the local
runs actually got (CPU seconds of the arena, its workers and their controllers / wall seconds) are
printed too. One match stream needs about 0.8 core (physics, controller process, result writes),
so 2 workers approach 2x only when both cores are free.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _warm(x):
    import arena.controllers.runner  # noqa: F401 - import the engine in the worker

    return x


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--matches", type=int, default=24)
    ap.add_argument("--time-limit", type=float, default=10.0, help="simulated seconds per match")
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()

    from arena.compete import tournament as T
    from arena.compete.backends import LocalBackend, RayBackend
    from arena.compete.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="arena-bench-"))
    world = tmp / "bench-line.toml"
    world.write_text(re.sub(r"(?m)^time_limit = .*$", f"time_limit = {args.time_limit}",
                            (ROOT / "worlds" / "line-follow.toml").read_text()))
    agents = [T.load_agent(ROOT / "agents" / "line_follower"), T.load_agent(ROOT / "agents" / "bang_bang")]
    jobs = T.schedule([T.load_world_entry(world)], agents, range((args.matches + 1) // 2))[: args.matches]
    print(f"{len(jobs)} matches of {args.time_limit:g} s simulated each, {os.cpu_count()} cores; "
          "a shared machine makes these figures noisy")

    def cpu() -> float:
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    def bench(label: str, backend) -> float:
        store = Store(tmp / f"{label}.sqlite")
        load = os.getloadavg()[0]
        c0 = None
        try:
            if hasattr(backend, "_pool"):  # start the workers before timing (spawn + imports)
                list(backend._pool().map(_warm, range(backend.workers)))
            c0 = cpu()
            t0 = time.perf_counter()
            s = T.play(jobs, store, backend)
            wall = time.perf_counter() - t0
        finally:
            backend.close()  # waits for the workers, so their CPU time (and their controllers') is counted
        rate = s.played / wall * 60
        used = "" if backend.name == "ray" else f", used {(cpu() - c0) / wall:.2f} cores"
        print(f"{label:10s} {s.played} matches in {wall:6.2f} s = {rate:7.1f} matches/min  "
              f"(load before {load:.2f}{used})")
        if backend.name != "ray":
            per_core[label] = rate / max((cpu() - c0) / wall, 1e-9)
        return rate

    per_core: dict[str, float] = {}
    one = bench("local-1", LocalBackend(1))
    two = bench("local-2", LocalBackend(2))
    print(f"speed-up 2 workers / 1 worker: {two / one:.2f}x (target >= 1.8x on 2 idle cores)")
    print(f"per core actually used: {per_core['local-1']:.1f} vs {per_core['local-2']:.1f} matches/min "
          f"({per_core['local-2'] / per_core['local-1']:.0%} per-core efficiency; on a busy machine the speed-up "
          "is bounded by the cores the runs could get)")
    if not args.no_ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("ray: not installed (pip install 'kit-arena[ray]')")
            return 0
        be = RayBackend(2)
        # warm the Ray workers so their start-up is not timed
        ray_mod = be.ray
        warm = ray_mod.remote(num_cpus=1)(_warm)
        ray_mod.get([warm.remote(i) for i in range(4)])
        r = bench("ray-2", be)
        print(f"ray-2 / local-2: {r / two:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
