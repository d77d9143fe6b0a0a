"""Vectorised throughput: one env against gymnasium's vector envs and arena's batched one.

Prints env steps per second (all sub-envs together), median of several runs, and each one's
speed-up over one `gymnasium.make` env. The target (>= 1.7x on 2 cores) is for the async vector
env the arena ids are registered with: `gymnasium.make_vec(id, n,
vectorization_mode="vector_entry_point")`, i.e. arena.envs.vector.BatchedVectorEnv. gymnasium's own
AsyncVectorEnv (one env per process, pickled messages every step) is printed for comparison.
The machine must be otherwise idle for the ratios to mean anything.

Usage: python benchmarks/vector.py [--steps N] [--repeats R] [--envs K]
"""

from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np

import arena  # noqa: F401 - registers arena/<Id>


def single(steps: int) -> float:
    env = gym.make("arena/LineFollow-v0")
    env.reset(seed=0)
    a = np.array([0.4, 0.42], dtype=np.float32)
    t0 = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            env.reset()
    rate = steps / (time.perf_counter() - t0)
    env.close()
    return rate


def rate(envs, n: int, steps: int) -> float:
    """Env steps per second of a vector env of n envs, after one warm-up step."""
    a = np.tile(np.array([0.4, 0.42], dtype=np.float32), (n, 1))
    envs.step(a)
    t0 = time.perf_counter()
    for _ in range(steps // n):
        envs.step(a)
    out = (steps // n) * n / (time.perf_counter() - t0)
    envs.close()
    return out


def vector(steps: int, n: int, mode: str) -> float:
    envs = gym.make_vec("arena/LineFollow-v0", num_envs=n, vectorization_mode=mode)
    envs.reset(seed=list(range(n)))
    return rate(envs, n, steps)


def batched(steps: int, n: int, workers: int) -> float:
    from arena.envs.vector import BatchedVectorEnv

    envs = BatchedVectorEnv(n, workers=workers, world="line-follow")
    envs.reset(seed=0)
    return rate(envs, n, steps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--envs", type=int, default=2)
    args = ap.parse_args()
    one = statistics.median(single(args.steps) for _ in range(args.repeats))
    sync = statistics.median(vector(args.steps, args.envs, "sync") for _ in range(args.repeats))
    asyn = statistics.median(vector(args.steps, args.envs, "async") for _ in range(args.repeats))
    print(f"one env                : {one:8.0f} steps/s")
    print(f"sync vector x{args.envs}         : {sync:8.0f} steps/s  ({sync / one:.2f}x)")
    print(f"async vector x{args.envs}        : {asyn:8.0f} steps/s  ({asyn / one:.2f}x)  gymnasium's AsyncVectorEnv")
    b1 = statistics.median(batched(args.steps, 8, 1) for _ in range(args.repeats))
    print(f"batched x8  (1 worker) : {b1:8.0f} steps/s  ({b1 / one:.2f}x)  all in this process: the baseline of its parallel gain")
    for n in (2, 4, 8, 16):
        b = statistics.median(batched(args.steps, n, 2) for _ in range(args.repeats))
        print(f"batched x{n:<2d} (2 workers) : {b:8.0f} steps/s  ({b / one:.2f}x; target >= 1.7x)  "
              "arena.envs.vector.BatchedVectorEnv, the ids' vector entry point")


if __name__ == "__main__":  # spawned workers re-import this file
    main()
