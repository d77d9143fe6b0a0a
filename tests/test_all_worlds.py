"""Every bundled world with every bundled robot that fits it: the standard env checks.

dm_control-style suite tests: the API checker, exact determinism, observations that never share
memory and that respond to the robot's actions, and Gymnasium vectorisation.
"""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import arena  # noqa: F401 - registers the ids
from arena.content import listing
from arena.envs.single import ArenaEnv
from arena.errors import SpecError
from arena.robot.spec import load_robot
from arena.world.spec import load_world

# Quantities that only change on an event and may rightly stay constant in a short random rollout
# on an open mat: a bump (pressed), crossing into another colour (the colour id is a class: it
# stays "white" all over a plain start area, as in the maze, sumo and missions worlds).
EVENT_QUANTITIES = ("pressed", "color")


def _pairs():
    out = []
    for wf in listing("worlds"):
        w = load_world(wf)
        for rf in listing("robots"):
            try:
                ArenaEnv(w, load_robot(rf)).close()
            except SpecError:
                continue  # over the world's size or mass limits: `arena check` says so
            out.append(pytest.param(wf, rf, id=f"{w.id}-{rf.stem}"))
    return out


PAIRS = _pairs()


def test_every_world_has_a_robot_that_fits():
    worlds = {str(p.values[0]) for p in PAIRS}
    assert worlds == {str(w) for w in listing("worlds")}


@pytest.mark.parametrize("world, robot", PAIRS)
def test_check_env(world, robot):
    env = ArenaEnv(world, robot)
    check_env(env, skip_render_check=True)
    env.close()


def _rollout(world, robot, seed, n=200):
    env = ArenaEnv(world, robot)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    frames = [obs]
    for k in range(n):
        if k % 25 == 0:  # hold each random action for 250 ms so the robot turns and sweeps its sensors
            action = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs, r, term, trunc, _ = env.step(action)
        frames.append(obs)
        if term or trunc:
            break
    digest = env.state_digest()
    env.close()
    return frames, digest


@pytest.mark.parametrize("world, robot", PAIRS)
def test_determinism_no_shared_memory_no_constant_observation(world, robot):
    a, da = _rollout(world, robot, seed=1)
    b, db = _rollout(world, robot, seed=1)
    assert da == db
    assert all(all(np.array_equal(x[k], y[k]) for k in x) for x, y in zip(a, b, strict=True))
    # every step returns fresh arrays
    for k in a[0]:
        assert not np.shares_memory(a[0][k], a[1][k])
    for k in a[0]:
        if k.endswith(EVENT_QUANTITIES):
            continue
        values = np.stack([f[k] for f in a])
        assert np.ptp(values, axis=0).max() > 0, f"{k} never changed in a random rollout"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec(mode):
    envs = gym.make_vec("arena/LineFollow-v0", num_envs=2, vectorization_mode=mode)
    obs, info = envs.reset(seed=[0, 1])
    assert obs["S3/reflection"].shape == (2, 1)
    for _ in range(20):
        obs, rew, term, trunc, info = envs.step(envs.action_space.sample())
    assert rew.shape == (2,)
    envs.close()


@pytest.mark.parametrize("world, robot", PAIRS)
def test_stable_baselines3_env_checker(world, robot):
    """Every single-agent env passes SB3's own checker (warnings allowed, errors not)."""
    from stable_baselines3.common.env_checker import check_env as sb3_check_env  # in the dev extra

    env = ArenaEnv(world, robot)
    sb3_check_env(env, warn=False)
    env.close()
