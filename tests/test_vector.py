"""The batched vector env: gymnasium's vector API, seeds that do not depend on the split."""

import os
import signal

import gymnasium as gym
import numpy as np
import pytest

import arena  # noqa: F401 - registers ids with the batched vector entry point
from arena.envs.single import ArenaEnv
from arena.envs.vector import BatchedVectorEnv


def test_make_vec_uses_the_batched_env_and_matches_single_envs():
    envs = gym.make_vec("arena/LineFollow-v0", num_envs=3, vectorization_mode="vector_entry_point", workers=2)
    assert isinstance(envs.unwrapped, BatchedVectorEnv)
    obs, info = envs.reset(seed=10)
    actions = np.array([[0.5, 0.5], [0.2, -0.2], [-0.3, 0.6]], dtype=np.float32)
    for _ in range(30):
        obs, rew, term, trunc, info = envs.step(actions)
    assert obs["S3/reflection"].shape == (3, 1) and rew.shape == (3,) and info["score/total"].shape == (3,)
    assert envs.observation_space.contains(obs)
    envs.close()
    # env i is seeded 10 + i and behaves exactly like a lone ArenaEnv with that seed
    for i in range(3):
        e = ArenaEnv("line-follow")
        e.reset(seed=10 + i)
        for _ in range(30):
            o, *_ = e.step(actions[i])
        for k in o:
            assert np.array_equal(o[k], obs[k][i]), k
        e.close()


def test_results_do_not_depend_on_the_number_of_workers():
    def run(workers):
        envs = BatchedVectorEnv(4, workers=workers, world="line-follow")
        envs.reset(seed=3)
        rng = np.random.default_rng(0)
        out = []
        for _ in range(20):
            obs, *_ = envs.step(rng.uniform(-1, 1, (4, 2)).astype(np.float32))
            out.append(obs["B/angle"].copy())
        envs.close()
        return np.stack(out)
    assert np.array_equal(run(1), run(2))


def test_next_step_autoreset(tmp_path, root):
    text = (root / "worlds" / "line-follow.toml").read_text().replace("time_limit = 180.0", "time_limit = 1.0")
    short = tmp_path / "short.toml"
    short.write_text(text)
    envs = BatchedVectorEnv(2, workers=1, world=str(short))
    envs.reset(seed=0)
    a = np.zeros((2, 2), dtype=np.float32)
    truncs = [envs.step(a)[3].copy() for _ in range(101)]
    assert truncs[99].all() and not truncs[100].any()  # truncated after 100 steps, reset on the next
    assert not any(t.any() for t in truncs[:99])
    envs.close()


@pytest.mark.parametrize("seed", [None, 5, [1, 2]])
def test_reset_seed_forms(seed):
    envs = BatchedVectorEnv(2, workers=2, world="line-follow")
    obs, info = envs.reset(seed=seed)
    assert obs["S2/angle"].shape == (2, 1)
    envs.close()


def test_a_bad_world_is_a_clear_error(tmp_path):
    from arena.errors import ArenaError

    bad = tmp_path / "bad.toml"
    bad.write_text('id = "Bad-v0"\n')
    with pytest.raises(ArenaError, match="bad.toml"):
        BatchedVectorEnv(2, workers=2, world=str(bad))


def test_a_dead_worker_is_a_clear_error_not_a_hang():
    from arena.errors import ArenaError

    envs = BatchedVectorEnv(2, workers=2, world="line-follow")
    envs.reset(seed=0)
    envs._procs[0].kill()
    envs._procs[0].join()
    with pytest.raises(ArenaError, match="worker process died"):
        envs.step(np.zeros((2, 2), dtype=np.float32))


def test_a_worker_dying_mid_step_is_a_clear_error_and_closes_everything():
    from arena.envs.vector import STEP, _signal
    from arena.errors import ArenaError

    envs = BatchedVectorEnv(2, workers=2, world="line-follow")
    envs.reset(seed=0)
    # stopped first, so it cannot finish the step (about 0.1 ms) before the kill lands
    os.kill(envs._procs[0].pid, signal.SIGSTOP)
    _signal(envs._links[0][1].fileno(), STEP)  # the worker is asked to step ...
    envs._procs[0].kill()  # ... and dies before it answers
    envs._procs[0].join()
    with pytest.raises(ArenaError, match="worker process died"):
        envs._collect()
    assert envs._closed and not any(p.is_alive() for p in envs._procs)


def test_an_exception_in_the_callers_share_leaves_no_stale_signal():
    envs = BatchedVectorEnv(2, workers=2, world="line-follow")
    envs.reset(seed=0)
    step = envs._local.step

    def interrupted(buf):
        raise KeyboardInterrupt

    envs._local.step = interrupted
    a = np.full((2, 2), 0.5)
    with pytest.raises(KeyboardInterrupt):
        envs.step(a)
    with pytest.raises(BlockingIOError):  # the worker's done signal was consumed, not left behind
        os.read(envs._links[0][2].fileno(), 1)
    envs._local.step = step
    obs, *_ = envs.step(a)
    assert obs["S3/reflection"].shape == (2, 1)
    envs.close()


def test_float64_actions_reach_the_envs_unrounded():
    envs = BatchedVectorEnv(2, workers=2, world="line-follow")
    envs.reset(seed=4)
    lone = [ArenaEnv("line-follow") for _ in range(2)]
    for i, e in enumerate(lone):
        e.reset(seed=4 + i)
    rng = np.random.default_rng(1)
    for _ in range(40):
        a = rng.uniform(-1, 1, (2, 2))  # float64, not representable in float32
        obs, rew, *_ = envs.step(a)
        for i, e in enumerate(lone):
            o, r, *_ = e.step(a[i])
            assert r == rew[i] and all(np.array_equal(o[k], obs[k][i]) for k in o)
    # env 0 is stepped in this process: its whole physical state must be the lone env's, bit for bit
    assert envs._local.envs[0].state_digest() == lone[0].state_digest()
    envs.close()
    for e in lone:
        e.close()


def test_step_before_reset_and_unsendable_options_are_clear_errors():
    from gymnasium.error import ResetNeeded

    from arena.errors import ArenaError

    envs = BatchedVectorEnv(2, workers=2, world="line-follow")
    with pytest.raises(ResetNeeded):
        envs.step(np.zeros((2, 2)))
    with pytest.raises(ArenaError, match="reset options"):
        envs.reset(seed=0, options={"callback": lambda: None})
    assert envs._closed


def test_infos_carry_every_score_term_and_a_mask():
    envs = BatchedVectorEnv(3, workers=2, world="line-follow", shaping={"energy": 1.0})
    _, info = envs.reset(seed=0)
    assert info["shaping/energy"].tolist() == [0.0, 0.0, 0.0]  # no shaping before the first step
    _, rew, _, _, info = envs.step(np.full((3, 2), 0.5, dtype=np.float32))
    assert np.allclose(info["shaping/energy"], -0.5 * 0.01)  # -sum(a^2) * control period
    assert {"score/total", "time", "_score/total"} <= set(info) and info["_time"].all()
    assert np.allclose(info["time"], 0.01)
    envs.close()


def test_same_step_autoreset_with_scaled_observations_and_an_episode_cap():
    from gymnasium.vector import AutoresetMode

    kw = {"world": "line-follow", "observation": "scaled", "obs_keys": ("S3/reflection", "B/angle"), "stack": 2}
    envs = BatchedVectorEnv(2, workers=2, max_episode_steps=5, autoreset_mode=AutoresetMode.SAME_STEP, **kw)
    assert envs.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
    obs, _ = envs.reset(seed=4)
    assert obs.shape == (2, 6) and obs.dtype == np.float32
    a = np.full((2, 2), 0.5, dtype=np.float32)
    for _ in range(5):
        last = obs
        obs, _, term, trunc, info = envs.step(a)
    assert trunc.all() and not term.any() and info["_final_obs"].all()
    # the final observation is the episode's own (moved on from `last`); obs is the next episode's
    assert not np.array_equal(info["final_obs"], last)
    lone = ArenaEnv(**kw)
    first, _ = lone.reset(seed=4)
    for _ in range(5):
        final, *_ = lone.step(a[0])
    assert np.array_equal(info["final_obs"][0], final)
    assert np.array_equal(obs[:, :3], obs[:, 3:])  # a fresh stack: every slot the reset reading
    obs, _, term, trunc, info = envs.step(a)
    assert not (term | trunc).any() and "final_obs" not in info
    envs.close()
    lone.close()
    with pytest.raises(ValueError, match="max_episode_steps=0"):
        BatchedVectorEnv(1, workers=1, max_episode_steps=0, world="line-follow")


def test_a_script_without_the_main_guard_gets_the_fix_not_a_dead_worker(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "noguard.py"
    script.write_text("import gymnasium as gym\nimport arena\n"
                      "envs = gym.make_vec('arena/LineFollow-v0', num_envs=2, vectorization_mode='vector_entry_point',"
                      " workers=2)\nprint('built')\n")
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert res.returncode != 0 and "built" not in res.stdout
    assert 'if __name__ == "__main__":' in res.stderr and "noguard.py" in res.stderr
    guarded = tmp_path / "guarded.py"
    guarded.write_text("import gymnasium as gym\nimport arena\n\nif __name__ == '__main__':\n"
                       "    envs = gym.make_vec('arena/LineFollow-v0', num_envs=2, vectorization_mode='vector_entry_point',"
                       " workers=2)\n    envs.reset(seed=0)\n    envs.close()\n    print('built')\n")
    res = subprocess.run([sys.executable, str(guarded)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert res.returncode == 0 and "built" in res.stdout, res.stderr
