"""Does plain SB3 learn LineFollow? docs/training.md's SB3 example (default PPO, the documented
scaled observations and progress shaping, on arena's batched VecEnv adapter), seeded, with a plain
SB3 callback that scores the deterministic policy every 50k steps on held-out seeds 1000-1002 over
the full 180 s (the world's score, no shaping; one lap is 100 of 300 points).

    python benchmarks/sb3_lap.py [TRAINING_SEED]     # about 26 min on 2 cores

Prints "N steps: scores [s1000, s1001, s1002]" per evaluation. Not run by the tests (it trains).
"""
import sys
import time

from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback

from arena.learn.sb3vec import BatchedSB3VecEnv

KEYS = ("S3/reflection", "S2/rate", "B/speed", "C/speed")


def evaluate(model):
    from arena.envs.single import ArenaEnv
    env = ArenaEnv("line-follow", observation="scaled", stack=3, obs_keys=KEYS, control_dt=0.05)
    out = []
    for seed in (1000, 1001, 1002):
        obs, info = env.reset(seed=seed)
        done = False
        while not done:
            a, _ = model.predict(obs, deterministic=True)
            obs, r, te, tr, info = env.step(a)
            done = te or tr
        out.append(round(float(info["score/total"]), 1))
    env.close()
    return out


class Every(BaseCallback):
    def __init__(self, n):
        super().__init__()
        self.n, self.next = n, n

    def _on_step(self):
        if self.num_timesteps >= self.next:
            self.next += self.n
            print(f"{self.num_timesteps} steps: scores {evaluate(self.model)}", flush=True)
        return True


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    t0 = time.monotonic()
    venv = BatchedSB3VecEnv(4, world="line-follow", observation="scaled", stack=3, obs_keys=KEYS,
                            shaping=("progress",), control_dt=0.05, random_start=True,
                            lost_after=100.0, max_episode_seconds=30)
    model = PPO("MlpPolicy", venv, n_steps=512, seed=seed,
                policy_kwargs={"net_arch": {"pi": [16, 16], "vf": [64, 64]}})
    model.learn(300_000, callback=Every(50_000))
    print(f"seed {seed}: trained in {(time.monotonic() - t0) / 60:.1f} min", flush=True)
