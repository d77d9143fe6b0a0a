"""Stable-Baselines3's VecEnv over arena.envs.vector.BatchedVectorEnv.

SB3 wants same-step autoreset (a finished env's next observation is already the new episode's,
its last one in info["terminal_observation"]), `TimeLimit.truncated` for bootstrapping, and the
Monitor's info["episode"] = {r, l, t} to log returns. BatchedVectorEnv steps many envs per
process with shared memory, so SB3 gets the batched env's throughput (benchmarks/sb3_vec.py
compares it with SB3's SubprocVecEnv and DummyVecEnv).

    if __name__ == "__main__":  # the workers are spawned: a script needs the guard
        venv = BatchedSB3VecEnv(8, world="line-follow", observation="scaled", shaping=("progress",))
        model = PPO("MlpPolicy", venv).learn(100_000)
"""

from __future__ import annotations

import time

import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from arena.envs.vector import BatchedVectorEnv


class BatchedSB3VecEnv(VecEnv):
    """n envs of one world for SB3. Arguments: num_envs, workers (processes, this one included),
    max_episode_seconds (truncate training episodes; None: the world's time limit), and the
    ArenaEnv arguments (world, robot, observation, obs_keys, stack, shaping, ...)."""

    def __init__(self, num_envs: int, workers: int | None = None, max_episode_seconds: float | None = None,
                 **env_kwargs):
        from arena.sim import CONTROL_DT

        dt = env_kwargs.get("control_dt", CONTROL_DT)
        steps = None if max_episode_seconds is None else max(1, int(round(max_episode_seconds / dt)))
        self.venv = BatchedVectorEnv(num_envs, workers=workers, max_episode_steps=steps,
                                     autoreset_mode=AutoresetMode.SAME_STEP, **env_kwargs)
        super().__init__(num_envs, self.venv.single_observation_space, self.venv.single_action_space)
        self._flat = not hasattr(self.observation_space, "spaces")
        self._seed: int | None = None
        self._actions = None
        self._returns = np.zeros(num_envs)
        self._lengths = np.zeros(num_envs, dtype=np.int64)
        self._t0 = time.monotonic()

    def seed(self, seed: int | None = None):
        """Seeds the next reset: env i gets seed + i (SB3 calls this before reset)."""
        self._seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def reset(self):
        obs, _info = self.venv.reset(seed=self._seed)
        self._seed = None  # later resets continue each env's own stream
        self._returns[:] = 0.0
        self._lengths[:] = 0
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def step_async(self, actions) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self):
        obs, rew, term, trunc, info = self.venv.step(self._actions)
        dones = term | trunc
        self._returns += rew
        self._lengths += 1
        infos = [{} for _ in range(self.num_envs)]
        keys = [k for k in info if not k.startswith("_") and k != "final_obs"]
        for i in range(self.num_envs):
            d = infos[i]
            for k in keys:
                d[k] = float(info[k][i])
            if dones[i]:
                final = info["final_obs"]
                d["terminal_observation"] = final[i] if self._flat else {k: v[i] for k, v in final.items()}
                d["TimeLimit.truncated"] = bool(trunc[i] and not term[i])
                d["episode"] = {"r": float(self._returns[i]), "l": int(self._lengths[i]),
                                "t": round(time.monotonic() - self._t0, 6)}
                self._returns[i], self._lengths[i] = 0.0, 0
        return obs, rew.astype(np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices=None):
        if attr_name == "render_mode":
            return [None for _ in self._indices(indices)]
        raise AttributeError(f"BatchedSB3VecEnv does not expose env attribute {attr_name!r}")

    def set_attr(self, attr_name: str, value, indices=None) -> None:
        raise AttributeError(f"BatchedSB3VecEnv cannot set env attribute {attr_name!r}")

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs):
        raise AttributeError(f"BatchedSB3VecEnv cannot call env method {method_name!r}")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False for _ in self._indices(indices)]

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)
