"""A benchmark quiet and with N CPU-bound background processes, side by side, in one run.

    python benchmarks/under_load.py [--load 2] [--repeat 3] sandboxed-run [--time-limit S]
    python benchmarks/under_load.py [--load 2] [--repeat 3] tournament [--matches 12] [--time-limit 10]
    python benchmarks/under_load.py [--load 2] [--repeat 1] SCRIPT.py [ARGS...]   # any benchmarks/*.py

Each repeat measures quiet, then with --load busy processes (each a Python loop at nice 0 that
stops itself after --max-load-s, or as soon as this process dies, and is killed when the
measurement ends), so the two columns see the same machine minutes apart. Figures are ranges
(min-max) over the repeats. "quiet" means no load of ours: the machine's own load average is
printed with every run, and figures from a shared machine must be re-measured on an idle one.

Built-in measurements:
- sandboxed-run: line-follow with the bundled line follower in-process and as `arena run` does it
  (sandboxed controller process, default placement): real-time factors and their ratio (target
  >= 0.7), and the sandboxed run's wall time against the CPU time it used (arena + controller;
  target <= 3x with 2 busy processes), with the arena's context switches per step and its time
  waiting for a CPU (/proc/self/schedstat).
- tournament: matches per minute with 1 and 2 local workers (benchmarks/tournament_throughput.py),
  the cores they used, and matches per CPU-minute (what stays constant when load takes CPU away).
- SCRIPT.py: the script's output quiet and loaded in two columns, its wall and CPU time.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

# the background load: spin in Python; stop at the deadline (argv[1] s) or when the parent
# (argv[2], its pid: reading getppid() at start would race a parent that dies meanwhile) is gone
LOAD = """\
import os, sys, time
end, parent = time.monotonic() + float(sys.argv[1]), int(sys.argv[2])
while time.monotonic() < end and os.getppid() == parent:
    for _ in range(20000):
        pass
"""


def _die_with_parent() -> None:  # in the forked child: SIGKILL when this process exits
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the getppid() check in LOAD still stops it


@contextlib.contextmanager
def background_load(n: int, max_s: float):
    procs = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen([sys.executable, "-c", LOAD, str(max_s), str(os.getpid())],
                                          preexec_fn=_die_with_parent))
        time.sleep(0.5 if n else 0)  # let them start and the load average notice
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def schedstat() -> tuple[float, float]:
    """(s on a CPU, s waiting for one) of this process's main thread."""
    try:
        with open("/proc/self/schedstat") as f:
            run, wait = f.read().split()[:2]
        return int(run) / 1e9, int(wait) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


class RunQueue:
    """Samples /proc/stat's procs_running (tasks running or ready to run, ours included) while
    active: with R of them on C cpus, a CPU-bound task of fair share gets min(1, C / R) of a core."""

    def __init__(self, every_s: float = 0.05):
        self.every_s, self.samples, self._stop = every_s, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                with open("/proc/stat") as f:
                    for line in f:
                        if line.startswith("procs_running"):
                            self.samples.append(int(line.split()[1]) - 1)  # not this sampler
            except (OSError, ValueError):
                return

    def __enter__(self) -> RunQueue:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def fair_share(self) -> float:
        """The share of a core a CPU-bound task would get on average (1.0 on an idle machine)."""
        if not self.samples:
            return 1.0
        return min(1.0, (os.cpu_count() or 1) / max(statistics.mean(self.samples), 1.0))


# -- sandboxed-run ---------------------------------------------------------------------------------


def sandboxed_run(args) -> dict[str, float]:
    from _inprocess import line_follower_episode

    import arena.controllers.sandbox.channel as channel
    from arena.controllers.runner import run_episode

    sim, wall_in, _steps = line_follower_episode(0, args.world)
    ctl_cpu, spun = [], []
    close = channel.Sandbox.close

    def counting_close(sb):  # the controller's CPU time, read just before it is killed
        if not sb._closed:
            ctl_cpu.append(sb.cpu_seconds())
            spun.append(sb.policy.spins / max(sb.policy.waits, 1))
        close(sb)

    channel.Sandbox.close = counting_close
    try:
        with RunQueue() as rq:
            r0, s0 = resource.getrusage(resource.RUSAGE_SELF), schedstat()
            r = run_episode(args.world, "rover", ROOT / "agents" / "line_follower", seed=0)
            r1, s1 = resource.getrusage(resource.RUSAGE_SELF), schedstat()
    finally:
        channel.Sandbox.close = close
    assert r.status == "OK", r.reason
    arena_cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    cpu = arena_cpu + sum(ctl_cpu)
    return {
        "in-process x real time": sim / wall_in,
        "sandboxed x real time": r.sim_time / r.wall_time,
        "ratio sandboxed / in-process": (r.sim_time / r.wall_time) / (sim / wall_in),
        "sandboxed wall s": r.wall_time,
        "sandboxed CPU s (arena+ctl)": cpu,
        "wall / CPU (target <= 3)": r.wall_time / cpu,
        "fair share of a core": rq.fair_share(),
        "wall / CPU x fair share": r.wall_time / cpu * rq.fair_share(),
        "arena vol. switches/step": (r1.ru_nvcsw - r0.ru_nvcsw) / r.steps,
        "arena invol. switches/step": (r1.ru_nivcsw - r0.ru_nivcsw) / r.steps,
        "arena waits for a CPU, us/step": (s1[1] - s0[1]) / r.steps * 1e6,
        "arena polled before sleeping, share": spun[0],
    }


# -- tournament ------------------------------------------------------------------------------------


def tournament(args) -> dict[str, float]:
    from tournament_throughput import play_rate

    from arena.compete.backends import LocalBackend

    one = play_rate("local-1", LocalBackend(1), args.jobs, args.tmp)
    two = play_rate("local-2", LocalBackend(2), args.jobs, args.tmp)
    return {
        "1 worker matches/min": one["rate"],
        "2 workers matches/min": two["rate"],
        "speed-up 2 / 1 (target >= 1.8 quiet)": two["rate"] / one["rate"],
        "1 worker cores used": one["cores"],
        "2 workers cores used": two["cores"],
        "1 worker matches/CPU-min": one["rate"] / one["cores"],
        "2 workers matches/CPU-min": two["rate"] / two["cores"],
    }


# -- any script ------------------------------------------------------------------------------------


def script(args) -> dict[str, float]:
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(args.script), *args.script_args], capture_output=True, text=True,
                       timeout=args.max_load_s)  # fmt: skip
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = (p.stdout + p.stderr).rstrip().splitlines()
    if p.returncode:
        lines.append(f"[{args.script.name} exited with code {p.returncode}]")
    args.outputs.append(lines)
    cpu = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
    return {"wall s": wall, "CPU s": cpu, "wall / CPU": wall / max(cpu, 1e-9)}


# -- the harness -----------------------------------------------------------------------------------


def _fmt(vals: list[float]) -> str:
    lo, hi = min(vals), max(vals)
    digits = 0 if abs(hi) >= 100 else 1 if abs(hi) >= 10 else 2
    return f"{lo:.{digits}f}" if f"{lo:.{digits}f}" == f"{hi:.{digits}f}" else f"{lo:.{digits}f}-{hi:.{digits}f}"


def options(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", type=int, default=2, help="busy background processes in the loaded runs")
    ap.add_argument("--repeat", type=int, default=3, help="quiet + loaded pairs")
    ap.add_argument("--max-load-s", type=float, default=1800.0, help="each background process stops itself after this")
    ap.add_argument("what", help="sandboxed-run, tournament, or a script path")
    args, rest = ap.parse_known_args(argv)
    if args.what == "sandboxed-run":
        sp = argparse.ArgumentParser(prog="sandboxed-run")
        sp.add_argument("--time-limit", type=float, default=None, help="simulated s (default: the world's)")
        sp.parse_args(rest, namespace=args)
        args.measure = sandboxed_run
    elif args.what == "tournament":
        sp = argparse.ArgumentParser(prog="tournament")
        sp.add_argument("--matches", type=int, default=12)
        sp.add_argument("--time-limit", type=float, default=10.0)
        sp.parse_args(rest, namespace=args)
        args.measure = tournament
    else:
        path = Path(args.what)
        if not path.is_file():
            path = HERE / args.what
        if not path.is_file() or path.suffix != ".py":
            ap.error(f"{args.what}: not sandboxed-run, tournament, or a benchmark script (e.g. throughput.py)")
        args.script, args.script_args, args.outputs = path, rest, []
        args.measure = script
    if args.load < 0 or args.repeat < 1:
        ap.error("--load must be >= 0 and --repeat >= 1")
    return args


def prepare(args) -> None:
    """Content the measurements share: a short copy of line-follow, the tournament's schedule."""
    args.world = "line-follow"
    if args.what == "sandboxed-run" and args.time_limit is not None:
        tmp = Path(tempfile.mkdtemp(prefix="arena-load-"))
        args.world = str(tmp / "short-line.toml")
        Path(args.world).write_text(re.sub(r"(?m)^time_limit = .*$", f"time_limit = {args.time_limit}",
                                           (ROOT / "worlds" / "line-follow.toml").read_text()))
    if args.what == "tournament":
        from tournament_throughput import schedule

        args.jobs, args.tmp = schedule(args.matches, args.time_limit)


def main(argv: list[str] | None = None) -> int:
    args = options(sys.argv[1:] if argv is None else argv)
    prepare(args)
    cols = ("quiet", f"{args.load} busy")
    runs: dict[str, list[dict]] = {c: [] for c in cols}
    loads: dict[str, list[float]] = {c: [] for c in cols}
    print(f"{args.what}: {args.repeat} x (quiet, {args.load} busy processes), {os.cpu_count()} cpus, "
          f"load average at start {os.getloadavg()[0]:.1f}", flush=True)
    for k in range(args.repeat):
        for col, n in zip(cols, (0, args.load), strict=True):
            with background_load(n, args.max_load_s):
                loads[col].append(os.getloadavg()[0])
                runs[col].append(args.measure(args))
            print(f"  run {k + 1} {col:8s} load {loads[col][-1]:4.1f}: "
                  + ", ".join(f"{name} {v:.3g}" for name, v in runs[col][-1].items()), flush=True)
    names = list(runs[cols[0]][0])
    width = max(len(n) for n in names) + 2
    print(f"\n{'figure':{width}s} {cols[0]:>14s} {cols[1]:>14s} {'busy / quiet':>14s}")
    for name in names:
        q = [r[name] for r in runs[cols[0]]]
        b = [r[name] for r in runs[cols[1]]]
        ratio = statistics.median(b) / statistics.median(q) if statistics.median(q) else float("nan")
        print(f"{name:{width}s} {_fmt(q):>14s} {_fmt(b):>14s} {ratio:14.2f}")
    print(f"{'load average (1 min)':{width}s} {_fmt(loads[cols[0]]):>14s} {_fmt(loads[cols[1]]):>14s}")
    if args.what not in ("sandboxed-run", "tournament"):
        q_out, b_out = args.outputs[-2], args.outputs[-1]  # the last repeat's quiet and loaded output
        w = max((len(ln) for ln in q_out), default=0)
        print(f"\nlast output, {cols[0]} | {cols[1]}:")
        for i in range(max(len(q_out), len(b_out))):
            left = q_out[i] if i < len(q_out) else ""
            right = b_out[i] if i < len(b_out) else ""
            print(f"{left:{w}s} | {right}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
