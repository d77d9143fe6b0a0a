"""Which CPU the arena and each controller of a match run on, and whether they poll.

A controller on a core of its own and an arena that polls for its reply cost no wake-up; without
a spare core both take turns on one (benchmarks/sandboxed_run.py measures both).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


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


def placement(n_controllers: int, allowed: set[int] | None = None, current: int | None = None) -> Placement:
    """Where a match's processes run, from the CPUs this process may use.

    With a core for the arena and one for each controller, each gets its own and both sides
    poll for the other's message instead of sleeping: a sleeping process on another core takes
    tens of microseconds to wake, more than a whole control step's Python. With fewer cores
    (a tournament worker pinned to one CPU, or a two-player match on two cores) everything runs
    on the arena's CPU and takes turns: a reply on the same core wakes the arena in a few
    microseconds (benchmarks/sandboxed_run.py measures both)."""
    if not hasattr(os, "sched_getaffinity"):
        return Placement(None, (None,) * n_controllers, False)
    allowed = set(os.sched_getaffinity(0) if allowed is None else allowed)
    here = current_cpu() if current is None else current
    arena = here if here in allowed else min(allowed)
    spare = sorted(allowed - {arena})
    if len(spare) >= n_controllers > 0:
        return Placement(arena, tuple(spare[:n_controllers]), True)
    return Placement(arena, (arena,) * n_controllers, False)
