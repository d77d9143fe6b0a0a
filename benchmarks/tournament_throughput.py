"""Tournament throughput: matches per minute on 1 and 2 local workers, and on a local Ray instance.

    python benchmarks/tournament_throughput.py [--matches 24] [--time-limit 10] [--no-ray]

Every run plays the same schedule (the bundled line_follower and bang_bang on a short copy of
LineFollow-v0, replays recorded) into a fresh database. The machine may be shared: figures are
noisy when other work runs on it, so the load average before each run and the cores the local
runs actually got (CPU seconds of the arena, its workers and their controllers / wall seconds) are
printed too. One match stream needs about 0.8 core (physics, controller process, result writes),
so 2 workers approach 2x only when both cores are free. benchmarks/under_load.py runs the same
measurement quiet and with CPU-bound background processes, side by side.
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


def schedule(matches: int, time_limit: float) -> tuple[list, Path]:
    """The benchmark's jobs (line_follower and bang_bang on a copy of line-follow cut to
    `time_limit` simulated seconds) and the temporary folder that holds the world and databases."""
    from arena.compete import tournament as T

    tmp = Path(tempfile.mkdtemp(prefix="arena-bench-"))
    world = tmp / "bench-line.toml"
    world.write_text(re.sub(r"(?m)^time_limit = .*$", f"time_limit = {time_limit}",
                            (ROOT / "worlds" / "line-follow.toml").read_text()))
    agents = [T.load_agent(ROOT / "agents" / "line_follower"), T.load_agent(ROOT / "agents" / "bang_bang")]
    return T.schedule([T.load_world_entry(world)], agents, range((matches + 1) // 2))[:matches], tmp


def _cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def play_rate(label: str, backend, jobs: list, tmp: Path) -> dict:
    """Play `jobs` on `backend` into a fresh database: {"rate": matches/min, "cores": CPU seconds
    per wall second (local backends; None for Ray), "load": load average before, "played"}."""
    from arena.compete import tournament as T
    from arena.compete.store import Store

    store = Store(tmp / f"{label}-{time.monotonic_ns()}.sqlite")
    load = os.getloadavg()[0]
    try:
        if hasattr(backend, "_pool"):  # start the workers before timing (spawn + imports)
            list(backend._pool().map(_warm, range(backend.workers)))
        c0 = _cpu()
        t0 = time.perf_counter()
        s = T.play(jobs, store, backend)
        wall = time.perf_counter() - t0
    finally:
        backend.close()  # waits for the workers, so their CPU time (and their controllers') is counted
    cores = None if backend.name == "ray" else (_cpu() - c0) / wall
    return {"rate": s.played / wall * 60, "cores": cores, "load": load, "played": s.played, "wall": wall}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--matches", type=int, default=24)
    ap.add_argument("--time-limit", type=float, default=10.0, help="simulated seconds per match")
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()

    from arena.compete.backends import LocalBackend, RayBackend

    jobs, tmp = schedule(args.matches, args.time_limit)
    print(f"{len(jobs)} matches of {args.time_limit:g} s simulated each, {os.cpu_count()} cores; "
          "a shared machine makes these figures noisy")

    def bench(label: str, backend) -> dict:
        r = play_rate(label, backend, jobs, tmp)
        used = "" if r["cores"] is None else f", used {r['cores']:.2f} cores"
        print(f"{label:10s} {r['played']} matches in {r['wall']:6.2f} s = {r['rate']:7.1f} matches/min  "
              f"(load before {r['load']:.2f}{used})")
        return r

    one = bench("local-1", LocalBackend(1))
    two = bench("local-2", LocalBackend(2))
    print(f"speed-up 2 workers / 1 worker: {two['rate'] / one['rate']:.2f}x (target >= 1.8x on 2 idle cores)")
    per1, per2 = one["rate"] / max(one["cores"], 1e-9), two["rate"] / max(two["cores"], 1e-9)
    print(f"per core actually used: {per1:.1f} vs {per2:.1f} matches/min ({per2 / per1:.0%} per-core efficiency; "
          "on a busy machine the speed-up is bounded by the cores the runs could get)")
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
        print(f"ray-2 / local-2: {r['rate'] / two['rate']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
