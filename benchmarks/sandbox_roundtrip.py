"""Start cost and JSON-lines round trip of arena.controllers.sandbox, per isolation mode.

    python benchmarks/sandbox_roundtrip.py [--starts 10] [--messages 2000]

Start cost = Sandbox.start() until the first reply of a child that imports only json
(interpreter start + isolation setup), median of --starts runs. Round trip = one request()
of a small observation-sized message, median over --messages.

Then, with bwrap, the round trip for each placement of arena.controllers.placement.placement, with 100 us of
busy work in the arena between requests (as a control step would have): the child on the
arena's CPU, on another CPU sleeping between messages, and on another CPU polling for them
(arena.controllers.host.LineReader, as `arena run` does when a core is idle), with the share of
the arena's waits in which its SpinPolicy polled (it stops when polling does not pay, e.g. when
other processes keep the other CPU busy).

Last, the real exchange without physics, per placement: `arena run`'s ControllerProcess (host.py
and the bundled line follower) fed --steps recorded line-follow observations, with 100 us of busy
work between send and receive (as the digest chain has): the arena's CPU per step in send_obs,
recv_action and validate_action, the controller's CPU per step (/proc schedstat), and the median
round trip. These are what a step costs over the in-process loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.controllers.sandbox import Limits, Sandbox, _world_executable, bwrap_usable  # noqa: E402

CHILD = """\
import json, sys
for line in sys.stdin:
    sys.stdout.write(json.dumps({"action": [0.0, 0.0, 0.0, 0.0], "echo": json.loads(line)["t"]}) + "\\n")
    sys.stdout.flush()
"""


def python_for(mode: str) -> str | None:
    if mode == "bwrap" or os.geteuid() != 0 or _world_executable(sys.executable):
        return sys.executable
    return "/usr/bin/python3" if _world_executable("/usr/bin/python3") else None


def round_trips(sb: Sandbox, obs: dict, messages: int, work_s: float = 0.0) -> float:
    """Median request() time (us) over `messages`, with `work_s` of busy work between requests."""
    sb.request(obs, first=True)
    rt_us = []
    for i in range(messages):
        obs["t"] = i
        t = time.perf_counter()
        sb.request(obs)
        rt_us.append((time.perf_counter() - t) * 1e6)
        busy = time.perf_counter() + work_s  # the arena's step between two messages
        while time.perf_counter() < busy:
            pass
    return statistics.median(rt_us)


def bench(mode: str, script: Path, starts: int, messages: int) -> str:
    py = python_for(mode)
    if py is None:
        return f"{mode:7s} skipped: no Python an unprivileged uid can run"
    limits = Limits(step_s=1.0)
    obs = {"t": 0, "obs": [0.125] * 24}
    start_ms = []
    for _ in range(starts):
        t = time.perf_counter()
        with Sandbox([py, "-I", "-S", script.name], workdir_files={script.name: script}, limits=limits,
                     isolation=mode) as sb:  # fmt: skip
            sb.request(obs, first=True)
            start_ms.append((time.perf_counter() - t) * 1e3)
    with Sandbox([py, "-I", "-S", script.name], workdir_files={script.name: script}, limits=limits,
                 isolation=mode) as sb:  # fmt: skip
        rt_us = round_trips(sb, obs, messages)
        feats = {k: v for k, v in sb.features.items() if k != "pid"}
    return (f"{mode:7s} start {statistics.median(start_ms):6.1f} ms (median of {starts})   "
            f"round trip {rt_us:6.1f} us (median of {messages})   {feats}")  # fmt: skip


POLLING_CHILD = """\
import json, os, sys
sys.path.insert(0, {arena!r})
from host import LineReader
lines = LineReader(0, spin={spin!r})
while line := lines.readline():
    os.write(1, (json.dumps({{"action": [0.0, 0.0], "echo": json.loads(line)["t"]}}) + "\\n").encode())
"""


def placement_bench(script_dir: Path, arena_cpu: int, child_cpu: int, spin: bool, messages: int) -> tuple[float, float]:
    """(median round trip in us, share of the arena's waits that polled) with the arena on
    arena_cpu and the child on child_cpu."""
    arena_dir = Path(__file__).resolve().parents[1] / "arena" / "controllers"
    script = script_dir / f"child_{child_cpu}_{spin}.py"
    script.write_text(POLLING_CHILD.format(arena=str(arena_dir), spin=spin))
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {arena_cpu})
    try:
        with Sandbox([sys.executable, "-I", "-S", script.name], workdir_files={script.name: script}, readonly=[arena_dir],
                     limits=Limits(step_s=1.0), isolation="bwrap", cpu=child_cpu, spin=spin) as sb:  # fmt: skip
            us = round_trips(sb, {"t": 0, "v": [0.125] * 14}, messages, work_s=100e-6)
            return us, sb.policy.spins / max(sb.policy.waits, 1)
    finally:
        os.sched_setaffinity(0, before)


def recorded_observations(n: int):
    """(match, n observations of line-follow driven by a proportional line follower, as the arena sends them)."""
    import numpy as np

    from arena.match import Match

    match = Match("line-follow", [None])
    obs = match.reset(np.random.SeedSequence(0))
    seq = []
    for _ in range(n):
        seq.append(dict(obs[0]))
        turn = 0.009 * (obs[0]["S3/reflection"] - 50.0)
        obs = match.step([{"B": 0.38 - turn, "C": 0.38 + turn}])
    return match, seq


def _sched_s(sb: Sandbox) -> float:
    """CPU seconds of the sandbox's processes, to the nanosecond (/proc/PID/schedstat)."""
    from arena.controllers.sandbox.process import _tree

    total = 0
    for pid in _tree(sb._proc.pid, sb._setup.uid):
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e9


def host_bench(match, seq: list, arena_cpu: int, child_cpu: int, spin: bool, steps: int,
               work_s: float = 100e-6) -> tuple[float, float, float]:
    """(arena CPU us/step in send_obs + recv_action + validate_action, controller CPU us/step, median
    round trip us) of the bundled line follower in its sandbox, fed the recorded observations."""
    from arena.controllers.protocol import validate_action
    from arena.controllers.runner import ControllerProcess

    robot, sonars = match.robots[0], match.sonars[0]
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {arena_cpu})
    ctl = ControllerProcess(Path(__file__).resolve().parents[1] / "agents" / "line_follower", Limits(), "auto",
                            child_cpu, spin)
    try:
        ctl.start("line-follow", robot.ports)
        ctl.reset(0, {"world": "line-follow"}, [k.key for k in robot.obs_keys()])
        cpu, clock = time.thread_time, time.perf_counter
        arena_s, rts, ctl0 = 0.0, [], _sched_s(ctl.sandbox)
        for i in range(steps):
            c0, t0 = cpu(), clock()
            ctl.send_obs(i * 10, seq[i % len(seq)], robot)
            c1 = cpu()
            busy = clock() + work_s  # the digest chain's hashing, done while the controller thinks
            while clock() < busy:
                pass
            c2 = cpu()
            validate_action(ctl.recv_action(), robot.ports, sonars)
            arena_s += (c1 - c0) + (cpu() - c2)
            rts.append(clock() - t0)
        ctl_s = _sched_s(ctl.sandbox) - ctl0
    finally:
        ctl.close()
        os.sched_setaffinity(0, before)
    return arena_s / steps * 1e6, ctl_s / steps * 1e6, statistics.median(rts) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=4000, help="steps of the line follower exchange")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, euid {os.geteuid()}")
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / "echo_child.py"
        script.write_text(CHILD)
        for mode in ("bwrap", "rlimit"):
            ok, why = bwrap_usable()
            if mode == "bwrap" and not ok:
                print(f"bwrap   skipped: {why}")
                continue
            print(bench(mode, script, args.starts, args.messages))
        cpus = sorted(os.sched_getaffinity(0))
        if bwrap_usable()[0] and len(cpus) >= 2:
            a, other = cpus[0], cpus[1]
            d_path = Path(d)
            for name, child, spin in (("same CPU, sleeping", a, False), ("other CPU, sleeping", other, False),
                                      ("other CPU, polling", other, True)):
                us, polled = placement_bench(d_path, a, child, spin, args.messages)
                print(f"bwrap   round trip, child on {name:20s}: {us:6.1f} us (median of {args.messages}, "
                      f"100 us of arena work between messages; the arena polled in {polled:.0%} of its waits)")
    cpus = sorted(os.sched_getaffinity(0))
    match, seq = recorded_observations(1500)
    places = [("same CPU, sleeping", cpus[0], False)]
    if len(cpus) >= 2:
        places += [("other CPU, sleeping", cpus[1], False), ("other CPU, polling", cpus[1], True)]
    for name, child, spin in places:
        arena_us, ctl_us, rt_us = host_bench(match, seq, cpus[0], child, spin, args.steps)
        print(f"line follower, child on {name:20s}: arena {arena_us:5.1f} us CPU/step, controller {ctl_us:6.1f} us "
              f"CPU/step, round trip {rt_us:6.1f} us (median of {args.steps}, 100 us of arena work inside)")
    match.close()


if __name__ == "__main__":
    main()
