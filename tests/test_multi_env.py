"""Multi-robot worlds: PettingZoo ParallelEnv and the single-agent env with a built-in opponent."""

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from arena.envs.parallel import ArenaParallelEnv
from arena.envs.single import ArenaEnv


@pytest.fixture()
def duel_world(tmp_path, root):
    """Line-follow with two robots on the track, 10 s: a two-player world for interface tests."""
    text = (root / "worlds" / "line-follow.toml").read_text()
    text = text.replace('id = "LineFollow-v0"', 'id = "LineDuel-v0"\nplayers = 2').replace("time_limit = 180.0", "time_limit = 10.0")
    text += '\n[[start]]\npath = "track"\nat = 1500.0\n'
    f = tmp_path / "duel.toml"
    f.write_text(text)
    return f


def test_parallel_api(duel_world):
    env = ArenaParallelEnv(world=duel_world)
    assert env.possible_agents == ["p0", "p1"]
    parallel_api_test(env, num_cycles=200)
    env.close()


def test_parallel_seed(duel_world):
    parallel_seed_test(lambda: ArenaParallelEnv(world=duel_world), num_cycles=100)


def test_each_player_scores_its_own_progress(duel_world):
    env = ArenaParallelEnv(world=duel_world)
    obs, infos = env.reset(seed=0)
    assert set(obs) == {"p0", "p1"}
    totals = {"p0": 0.0, "p1": 0.0}
    for _ in range(300):
        obs, rew, term, trunc, infos = env.step({"p0": np.array([0.5, 0.5]), "p1": np.zeros(2)})
        for a in rew:
            totals[a] += rew[a]
    assert totals["p0"] > 0.0 and totals["p1"] == 0.0
    assert infos["p0"]["score/total"] == pytest.approx(totals["p0"])
    env.close()


def test_single_agent_env_drives_the_other_seat(duel_world):
    env = ArenaEnv(duel_world, opponent="seeker")
    env.reset(seed=0)
    start = env.match.robots[1].pose
    for _ in range(100):
        env.step(np.zeros(2))
    moved = env.match.robots[1].pose
    assert abs(moved.yaw - start.yaw) > 0.1  # the seeker turns on the spot looking for us
    env.close()
    with pytest.raises(ValueError, match="unknown opponent"):
        ArenaEnv(duel_world, opponent="nobody")
