"""The batched vector env: gymnasium's vector API, seeds that do not depend on the split."""

import gymnasium as gym
import numpy as np
import pytest

import arena  # noqa: F401 - registers ids with the batched vector entry point
from arena.env import ArenaEnv
from arena.vector import BatchedVectorEnv


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


def test_infos_carry_every_score_term_and_a_mask():
    envs = BatchedVectorEnv(3, workers=2, world="line-follow", shaping={"energy": 1.0})
    _, info = envs.reset(seed=0)
    assert info["shaping/energy"].tolist() == [0.0, 0.0, 0.0]  # no shaping before the first step
    _, rew, _, _, info = envs.step(np.full((3, 2), 0.5, dtype=np.float32))
    assert np.allclose(info["shaping/energy"], -0.5 * 0.01)  # -sum(a^2) * control period
    assert {"score/total", "time", "_score/total"} <= set(info) and info["_time"].all()
    assert np.allclose(info["time"], 0.01)
    envs.close()
