"""What starting a sandboxed controller costs, from Sandbox.start() to its "ready" reply.

    python benchmarks/sandbox_start.py [--starts 10] [--agent line_follower] [--isolation auto]
                                       [--compare-host OLD_HOST.py]

Per start of `arena.controllers.runner.ControllerProcess` (bubblewrap or rlimit, the agent loaded
by host.py), in CPU time so that a busy machine does not blur it:
- arena: the arena process's CPU from start() to the ready reply (setup, fork, exec);
- child: the CPU of every process of the sandbox (bwrap, the interpreter, host.py, the agent)
  at the ready reply: the usage_usec of its cgroup v2 when it has one, else Sandbox.cpu_seconds
  (from /proc, in clock ticks: 10 ms steps on most kernels);
and, for reference only, the wall time to ready. Each line is min-max (median) over --starts runs.
--compare-host runs another host.py (e.g. `git show REV:arena/controllers/host.py > /tmp/h/host.py`;
its folder is mounted read-only beside it) interleaved with the current one, for a same-run ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.content import resolve  # noqa: E402
from arena.controllers.runner import ControllerProcess  # noqa: E402
from arena.controllers.sandbox import Limits  # noqa: E402


def _child_cpu_ms(sb) -> float:
    for cg in sb._setup.cgroups:
        try:
            with open(f"{cg}/cpu.stat") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("usage_usec")) / 1e3
        except (OSError, StopIteration):
            continue
    return sb.cpu_seconds() * 1e3


def one_start(agent: Path, isolation: str, host: Path | None) -> tuple[float, float, float]:
    """(arena CPU ms, child CPU ms, wall ms) of one start to ready (host: another host.py)."""
    ctl = ControllerProcess(agent, Limits(), isolation)
    if host is not None:
        ctl.sandbox.argv = [a if not a.endswith("host.py") else str(host) for a in ctl.sandbox.argv]
        ctl.sandbox.readonly.append(host.parent)
    t0, w0 = time.process_time(), time.perf_counter()
    ctl.start("LineFollow-v0", ["B", "C"])
    arena_ms, wall_ms = (time.process_time() - t0) * 1e3, (time.perf_counter() - w0) * 1e3
    child_ms = _child_cpu_ms(ctl.sandbox)
    ctl.close()
    return arena_ms, child_ms, wall_ms


def row(name: str, runs: list[tuple[float, float, float]]) -> str:
    cols = []
    for k in range(3):
        v = [r[k] for r in runs]
        cols.append(f"{min(v):6.1f}-{max(v):6.1f} (med {statistics.median(v):5.1f})")
    return f"{name:<22}" + "  ".join(cols)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--agent", default="line_follower")
    ap.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "rlimit"))
    ap.add_argument("--compare-host", type=Path, help="another host.py to start the same way, interleaved")
    args = ap.parse_args()
    agent = resolve("agents", args.agent)
    other = args.compare_host.resolve() if args.compare_host else None
    one_start(agent, args.isolation, None)  # warm: bwrap probe, page cache
    now, before = [], []
    for _ in range(args.starts):  # interleaved, so both see the same load
        now.append(one_start(agent, args.isolation, None))
        if other is not None:
            before.append(one_start(agent, args.isolation, other))
    iso = ControllerProcess(agent, Limits(), args.isolation).isolation
    print(f"{args.starts} starts of {args.agent} ({iso}); ms, min-max (median)")
    print(f"{'':<22}{'arena CPU':<26}{'child CPU':<26}wall to ready (load-dependent)")
    print(row("host.py", now))
    if other is not None:
        print(row(other.name + " (compared)", before))
        ratio = [n[0] + n[1] for n in now], [b[0] + b[1] for b in before]
        print(f"CPU host.py / compared (medians): {statistics.median(ratio[0]) / statistics.median(ratio[1]):.2f}")


if __name__ == "__main__":
    main()
