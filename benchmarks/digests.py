"""Rollout digests: one short hash per rollout, to compare two versions of the engine.

A change that must not change behaviour (a refactor, a faster step) keeps every line the same:
run this before and after and diff the output. Covered: the Gymnasium env on every bundled world
in both action modes (random actions from a fixed seed, episodes reset as they end), its rgb
render, the PettingZoo env (with a NaN action), the batched vector env, and sandboxed runs of
every bundled agent on its world (trajectory digest, score, steps).

Usage (any directory): python benchmarks/digests.py [--no-runs] > before.json   (then again after; diff the two)
       ARENA_PURE_PYTHON=1 python benchmarks/digests.py          (the pure Python build: same lines)
"""

from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np

from arena import ArenaEnv, ArenaParallelEnv, BatchedVectorEnv, _speedups
from arena.controllers.runner import run_episode, run_match

WORLDS = ("line-follow", "line-rescue", "maze", "sumo", "obstacle-run", "missions")
SOLO_AGENTS = {"line-follow": "line_follower", "line-rescue": "rescue_liner", "maze": "maze_walker",
               "obstacle-run": "obstacle_dodger", "missions": "mission_runner"}


def env_rollout(world: str, mode: str, steps: int = 400) -> str:
    env = ArenaEnv(world, action_mode=mode)
    rng = np.random.default_rng(7)
    h = hashlib.sha256()
    env.reset(seed=11)
    for _ in range(steps):
        obs, r, te, tr, info = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
        for key in sorted(obs):
            h.update(obs[key].tobytes())
        h.update(np.float64(r).tobytes() + bytes([te, tr]) + json.dumps(info, sort_keys=True).encode())
        if te or tr:
            env.reset()
    h.update(env.state_digest())
    env.close()
    return h.hexdigest()[:16]


def render_digest() -> str:
    env = ArenaEnv("line-follow", render_mode="rgb_array")
    env.reset(seed=3)
    for _ in range(50):
        env.step(np.array([0.5, 0.3], np.float32))
    out = hashlib.sha256(env.render().tobytes()).hexdigest()[:16]
    env.close()
    return out


def parallel_rollout(steps: int = 300) -> str:
    env = ArenaParallelEnv(world="sumo")
    env.reset(seed=5)
    rng = np.random.default_rng(3)
    h = hashlib.sha256()
    for k in range(steps):
        acts = {a: rng.uniform(-1.2, 1.2, env.action_space(a).shape).astype(np.float32) for a in env.agents}
        if k == 10:
            acts["p0"][0] = np.nan
        obs, rew, te, tr, _ = env.step(acts)
        for a in sorted(obs):
            for key in sorted(obs[a]):
                h.update(np.asarray(obs[a][key]).tobytes())
        h.update(json.dumps([rew, te, tr], sort_keys=True, default=float).encode())
        if not env.agents:
            env.reset(seed=6)
    return h.hexdigest()[:16]


def vector_rollout(steps: int = 200) -> str:
    envs = BatchedVectorEnv(3, workers=2, world="maze")
    envs.reset(seed=4)
    h = hashlib.sha256()
    rng = np.random.default_rng(9)
    for _ in range(steps):
        obs, r, _, _, _ = envs.step(rng.uniform(-1, 1, envs.action_space.shape))
        for key in sorted(obs):
            h.update(obs[key].tobytes())
        h.update(r.tobytes())
    envs.close()
    return h.hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-runs", action="store_true", help="skip the sandboxed runs (the slowest part)")
    args = ap.parse_args()
    out: dict = {"compiled": _speedups.active()}
    for world in WORLDS:
        for mode in ("duty", "speed"):
            out[f"env/{world}/{mode}"] = env_rollout(world, mode)
    out["render/line-follow"] = render_digest()
    out["pettingzoo/sumo"] = parallel_rollout()
    out["vector/maze"] = vector_rollout()
    if not args.no_runs:
        for world, agent in SOLO_AGENTS.items():
            r = run_episode(world, None, agent, seed=1)
            out[f"run/{world}"] = (r.status, r.digest, round(r.score["total"], 6), r.steps)
        r = run_episode("line-follow", None, "brick_line_follower", seed=2)
        out["run/brick"] = (r.status, r.digest, round(r.score["total"], 6), r.steps)
        rs = run_match("sumo", [(None, "sumo_seeker"), (None, "sumo_charger")], seed=3)
        out["run/sumo"] = [(r.status, r.digest, round(r.score["total"], 6), r.steps) for r in rs]
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":  # the vector env's workers import this file again
    main()
