"""SB3 training throughput: PPO's env steps per second with arena's batched VecEnv adapter
(arena.learn.sb3vec.BatchedSB3VecEnv) against SB3's SubprocVecEnv and DummyVecEnv, in one run.

Each vector env gets the same world, envs, observation (scaled), shaping and PPO settings; a short
warm-up run is not timed, then PPO learns --steps env steps and the rate is steps / wall time
(rollouts and gradient updates together, as a user sees it). Printed: each rate, and the adapter's
ratio to the others (target: >= 1.5x SubprocVecEnv). The machine must be otherwise idle for the
ratios to mean anything; the figures go in docs/training.md.

Usage: python benchmarks/sb3_vec.py [--steps N] [--envs K] [--workers W]
"""

from __future__ import annotations

import argparse
import time

from stable_baselines3 import PPO
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

from arena.envs.single import ArenaEnv
from arena.learn.sb3vec import BatchedSB3VecEnv

ENV = {"world": "line-follow", "observation": "scaled", "obs_keys": ("S3/reflection", "S2/rate", "B/speed", "C/speed"),
       "stack": 3, "shaping": ("progress", "line")}


class Factory:  # picklable, for SubprocVecEnv's spawned workers
    def __call__(self):
        return Monitor(ArenaEnv(**ENV))


def make(kind: str, n: int, workers: int | None):
    if kind == "batched":
        return BatchedSB3VecEnv(n, workers=workers, **ENV)
    if kind == "subproc":
        return SubprocVecEnv([Factory() for _ in range(n)], start_method="spawn")
    return DummyVecEnv([Factory() for _ in range(n)])


def rate(kind: str, n: int, workers: int | None, steps: int) -> float:
    import torch

    torch.set_num_threads(1)
    venv = make(kind, n, workers)
    venv.seed(0)
    model = PPO("MlpPolicy", venv, n_steps=256, batch_size=64, seed=0, device="cpu", verbose=0)
    model.learn(n * 256)  # warm-up: imports, first rollout, first update
    t0 = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    r = (model.num_timesteps - n * 256) / (time.perf_counter() - t0)
    venv.close()
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=32768)
    ap.add_argument("--envs", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None, help="processes for the batched adapter (default: one per CPU)")
    args = ap.parse_args()
    rates = {}
    for kind in ("batched", "subproc", "dummy"):
        rates[kind] = rate(kind, args.envs, args.workers, args.steps)
        print(f"{kind:8s} {rates[kind]:9.0f} env steps/s  (PPO, {args.envs} envs, {args.steps} steps)", flush=True)
    print(f"batched / subproc = {rates['batched'] / rates['subproc']:.2f}x   "
          f"batched / dummy = {rates['batched'] / rates['dummy']:.2f}x")


if __name__ == "__main__":
    main()
