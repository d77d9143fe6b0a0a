"""Tournament backends: where matches run. A backend takes (fn, job) pairs and hands back
each finished job's Outcome, or the exception that stopped it (wait(handles, timeout) may return
none when the timeout passes first: the caller renews its leases then); it never writes to the store.

- LocalBackend: a process pool on this machine (spawn processes, worker k pinned to CPU k).
- RayBackend: the same matches as Ray tasks, on a local Ray instance or a cluster.

Functions shipped to a worker go by qualified name: they must be importable module-level functions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from arena.errors import ArenaError

if TYPE_CHECKING:
    from arena.compete.tournament import Job


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _pin_worker(counter) -> None:
    """Worker k and its controllers run on CPU k (mod the CPUs allowed): see placement.pin_to_cpu."""
    from arena.controllers.placement import pin_to_cpu

    with counter.get_lock():
        k = counter.value
        counter.value += 1
    pin_to_cpu(k)


class LocalBackend:
    """A process pool (spawn: pybullet clients must never cross a fork)."""

    name = "local"

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self.pool = None

    def _pool(self):
        if self.pool is None:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            ctx = get_context("spawn")
            self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_pin_worker,
                                            initargs=(ctx.Value("i", 0),))
        return self.pool

    def submit(self, fn: Callable, job: Job):
        return self._pool().submit(fn, job)

    def wait(self, handles: list, timeout: float | None = None) -> list[tuple[object, object]]:
        """Block until at least one handle is done (or timeout s passed: then maybe none);
        (handle, Outcome or Exception) for each done."""
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as fwait
        from concurrent.futures.process import BrokenProcessPool

        done, _ = fwait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        out, broken = [], False
        for h in done:
            exc = h.exception()
            broken |= isinstance(exc, BrokenProcessPool)
            out.append((h, exc if exc is not None else h.result()))
        if broken:  # a worker died: the pool is unusable, start a fresh one
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class RayBackend:
    """The same matches as Ray tasks (pip install 'kit-arena[ray]'). Without an address a local Ray
    instance with `workers` CPUs is started. On a cluster every node needs this package and the
    same paths for worlds, robots and agents (a shared file system)."""

    name = "ray"

    def __init__(self, workers: int, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise ArenaError("the ray backend needs Ray: pip install 'kit-arena[ray]'") from None
        self.ray = ray
        self.workers = max(1, workers)
        self._own = not ray.is_initialized()
        if self._own:
            kw = {"address": address} if address else {"num_cpus": self.workers, "include_dashboard": False}
            ray.init(log_to_driver=False, configure_logging=False, **kw)
        self._remote: dict = {}

    def submit(self, fn: Callable, job: Job):
        if fn not in self._remote:
            self._remote[fn] = self.ray.remote(num_cpus=1, max_retries=0)(fn)
        return self._remote[fn].remote(job)

    def wait(self, handles: list, timeout: float | None = None) -> list[tuple[object, object]]:
        done, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        out = []
        for h in done:
            try:
                out.append((h, self.ray.get(h)))
            except Exception as exc:  # noqa: BLE001 - any task failure is an infrastructure failure
                out.append((h, exc))
        return out

    def close(self) -> None:
        if self._own and self.ray.is_initialized():
            self.ray.shutdown()


def make_backend(name: str, workers: int, address: str | None = None):
    if name == "local":
        return LocalBackend(workers)
    if name == "ray":
        return RayBackend(workers, address)
    raise ArenaError(f"unknown backend {name!r}: use local or ray")
