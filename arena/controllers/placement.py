"""Which CPU the arena and each controller of a match run on, and whether they poll.

A controller on a core of its own and an arena that polls for its reply cost no wake-up; without
a spare core both take turns on one (benchmarks/sandboxed_run.py measures both). A core is spare
only if it has been mostly idle lately (IdleProbe): on a busy machine another process owns it, and
pinning a controller there would keep it from running wherever a core frees up
(benchmarks/under_load.py measures both).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

IDLE_MIN = 0.5  # a CPU idle less than this share of the probe's interval is not spare


def _cpu_times() -> dict[int, tuple[int, int]]:
    """{cpu: (idle ticks, total ticks)} from /proc/stat ({} where it cannot be read)."""
    out = {}
    try:
        with open("/proc/stat") as f:
            for line in f:
                if not line.startswith("cpu") or line[3] == " ":
                    continue
                name, *vals = line.split()
                ticks = [int(v) for v in vals[:8]]  # user nice system idle iowait irq softirq steal
                out[int(name[3:])] = (ticks[3] + ticks[4], sum(ticks))
    except (OSError, ValueError, IndexError):
        return {}
    return out


class IdleProbe:
    """How idle each CPU was while the block ran: ``with IdleProbe() as probe: build the world``,
    then ``probe.idle`` ({cpu: share of the interval it was idle}, None where /proc/stat cannot be
    read or the probe is disabled) and ``probe.cpu`` (the CPU this thread ran on).

    This thread stays on its CPU for the block (the affinity is given back at the end), so its
    own work shows on that CPU only and every other CPU's idle share is what other processes
    left. /proc/stat counts in 10 ms ticks: the end waits until at least MIN_S has passed."""

    MIN_S = 0.03

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and hasattr(os, "sched_getaffinity")
        self.idle: dict[int, float] | None = None
        self.cpu: int | None = None

    def __enter__(self) -> IdleProbe:
        if not self.enabled:
            return self
        self.before = os.sched_getaffinity(0)
        self.cpu = current_cpu()
        if self.cpu not in self.before:
            self.cpu = min(self.before)
        os.sched_setaffinity(0, {self.cpu})
        self.t0, self.start = time.monotonic(), _cpu_times()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if not self.enabled:
            return
        try:
            if exc_type is None and self.start:
                left = self.t0 + self.MIN_S - time.monotonic()
                if left > 0:
                    time.sleep(left)
                end, idle = _cpu_times(), {}
                for cpu, (idle1, total1) in end.items():
                    idle0, total0 = self.start.get(cpu, (idle1, total1))
                    idle[cpu] = (idle1 - idle0) / (total1 - total0) if total1 > total0 else 0.0
                self.idle = idle or None
        finally:
            os.sched_setaffinity(0, self.before)


def current_cpu() -> int:
    """The CPU this process is running on now (field 39 of /proc/self/stat)."""
    try:
        with open("/proc/self/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return 0


def pin_to_cpu(cpu: int | None = None) -> None:
    """Keep this process, and the controllers it starts (affinity is inherited), on one CPU.

    Tournament workers each take their own CPU this way. The arena and its controllers take
    turns (the arena waits while a controller thinks, and the other way round), so one core
    serves them all when there is no spare one (see placement)."""
    if not hasattr(os, "sched_setaffinity"):
        return
    allowed = sorted(os.sched_getaffinity(0))
    cpu = current_cpu() if cpu is None else allowed[cpu % len(allowed)]
    if cpu in allowed:
        os.sched_setaffinity(0, {cpu})


@dataclass(frozen=True)
class Placement:
    """Which CPU the arena and each controller run on, and whether they poll for each other."""

    arena: int | None
    controllers: tuple[int | None, ...]
    spin: bool


def placement(n_controllers: int, allowed: set[int] | None = None, current: int | None = None,
              idle: dict[int, float] | None = None) -> Placement:
    """Where a match's processes run, from the CPUs this process may use, the one it runs on
    (``current``) and how idle each has been lately (``idle``, from an IdleProbe).

    With a core for the arena and an idle one for each controller, each gets its own and both
    sides may poll for the other's message instead of sleeping (the channel's SpinPolicy keeps
    polling only while it pays): a sleeping process on another core takes tens of microseconds
    to wake, more than a whole control step's Python. With fewer cores (a tournament worker
    pinned to one CPU, or a two-player match on two cores) everything runs on the arena's CPU
    and takes turns: a reply on the same core wakes the arena in a few microseconds. When there
    would be cores enough but other processes keep them busy, nothing is pinned and nobody
    polls: the scheduler runs each side wherever a core frees up, and a side polling on the
    core its peer needs would only delay the peer (benchmarks/under_load.py measures these)."""
    if not hasattr(os, "sched_getaffinity"):
        return Placement(None, (None,) * n_controllers, False)
    allowed = set(os.sched_getaffinity(0) if allowed is None else allowed)
    here = current_cpu() if current is None else current
    arena = here if here in allowed else min(allowed)
    spare = sorted(allowed - {arena})
    if len(spare) >= n_controllers > 0:
        idle_spare = [c for c in spare if idle is None or idle.get(c, 0.0) >= IDLE_MIN]
        if len(idle_spare) >= n_controllers:
            return Placement(arena, tuple(idle_spare[:n_controllers]), True)
        return Placement(None, (None,) * n_controllers, False)  # polling on a shared core steals the peer's turn
    return Placement(arena, (arena,) * n_controllers, False)
