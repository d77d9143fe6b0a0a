"""The Gymnasium env: API checks, seeding, determinism, rendering."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import arena  # noqa: F401 - registers arena/<Id>
from arena.envs.single import ArenaEnv


@pytest.fixture(scope="module")
def env():
    e = ArenaEnv("line-follow")
    yield e
    e.close()


def test_registered_and_passes_check_env():
    e = gym.make("arena/LineFollow-v0")
    check_env(e.unwrapped, skip_render_check=True)
    e.close()


def test_spaces_follow_the_robot_build(env):
    keys = set(env.observation_space.spaces)
    assert {"S1/pressed", "S2/angle", "S2/rate", "S3/reflection", "S3/color", "S3/rgb", "S4/distance",
            "B/angle", "B/speed", "C/angle", "C/speed"} <= keys
    assert env.action_space.shape == (2,)


def test_reset_places_robot_on_the_line(env):
    obs, info = env.reset(seed=3)
    assert obs["S3/reflection"][0] < 40  # the colour sensor starts over the black line
    assert info["score/laps"] == 0.0
    assert env.observation_space.contains(obs)


def test_driving_forward_turns_the_encoders_and_scores(env):
    env.reset(seed=0)
    for _ in range(100):
        obs, reward, term, trunc, info = env.step(np.array([0.5, 0.5], dtype=np.float32))
    assert obs["B/angle"][0] > 300 and obs["C/angle"][0] > 300
    assert 350 < obs["B/speed"][0] < 560  # half duty: about half of 1020 deg/s, less the load
    assert info["time"] == pytest.approx(1.0)


def rollout(seed: int, n: int = 150):
    e = ArenaEnv("line-follow")
    e.reset(seed=seed)
    rng = np.random.default_rng(123)
    trace = []
    for _ in range(n):
        obs, r, term, trunc, info = e.step(rng.uniform(-1, 1, 2).astype(np.float32))
        trace.append((e.state_digest(), tuple(float(v[0]) for v in obs.values()), r))
    e.close()
    return trace


def test_same_seed_same_rollout_different_seed_differs():
    a, b, c = rollout(7), rollout(7), rollout(8)
    assert a == b
    assert a != c


def test_reset_twice_with_a_seed_repeats_exactly(env):
    def run():
        env.reset(seed=11)
        return [env.step(np.array([0.6, 0.2]))[0]["S2/angle"][0] for _ in range(60)] + [env.state_digest()]
    assert run() == run()


def test_nan_and_out_of_range_actions_are_made_safe(env):
    env.reset(seed=0)
    obs, *_ = env.step(np.array([np.nan, 1e300]))
    assert all(np.all(np.isfinite(v)) for v in obs.values())
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(5))


def test_rgb_array_render_shows_mat_and_robot():
    e = ArenaEnv("line-follow", render_mode="rgb_array")
    e.reset(seed=0)
    frame = e.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert (frame.reshape(-1, 3) < 40).all(axis=1).any()  # the black line
    assert (np.abs(frame.reshape(-1, 3).astype(int) - (255, 140, 0)).sum(axis=1) < 10).any()  # heading marker
    e.close()


def test_human_render_opens_a_pygame_window(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    e = ArenaEnv("line-follow", render_mode="human")
    e.reset(seed=0)
    e.step(np.zeros(2))
    assert e._window is not None and not e._window.closed
    e.close()


def test_env_and_runner_agree_on_a_seed(root):
    """The same seed gives the same episode through gymnasium and through `arena run`."""
    import importlib.util

    from arena.controllers.runner import run_episode

    spec = importlib.util.spec_from_file_location("lf", root / "agents" / "line_follower" / "controller.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ctl = mod.Controller()
    ctl.reset(4, {})
    e = ArenaEnv("line-follow")
    e.reset(seed=4)
    raw = e.last_obs
    mine = []
    for _ in range(300):
        mine.append(ctl.act(raw))
        raw, _r, term, trunc, _i = e.step_commands(mine[-1])
    digest = e.state_digest()
    e.close()
    r = run_episode("line-follow", "rover", root / "agents" / "line_follower", seed=4, record=True)
    assert r.status == "OK"
    assert r.actions[:300] == mine  # same observations in both, so the same decisions
    e2 = ArenaEnv("line-follow")
    e2.reset(seed=4)
    for a in r.actions[:300]:
        e2.step_commands(a)
    assert e2.state_digest() == digest
    e2.close()


def test_domain_randomisation_draws_battery_and_tolerances_per_seed():
    env = ArenaEnv("line-follow", randomize=True)
    volts = set()
    for seed in range(4):
        env.reset(seed=seed)
        volts.add(round(env.robot.volts, 4))
        assert 7.2 <= env.robot.volts <= 9.0
    assert len(volts) == 4
    env.reset(seed=1)
    v1 = env.robot.volts
    env.reset(seed=1)
    assert env.robot.volts == v1
    env.close()
    plain = ArenaEnv("line-follow")
    plain.reset(seed=1)
    assert plain.robot.volts == 9.0
    plain.close()


def test_flat_observation_and_speed_actions():
    from gymnasium.wrappers import FlattenObservation

    env = FlattenObservation(ArenaEnv("line-follow", action_mode="speed"))
    obs, _ = env.reset(seed=0)
    assert obs.ndim == 1 and obs.shape == env.observation_space.shape
    for _ in range(100):
        obs, *_ = env.step(np.array([0.5, 0.5], dtype=np.float32))
    inner = env.unwrapped
    # speed mode: half of the motor's top regulated speed (1050 deg/s), held by the regulation
    assert inner.last_obs["B/speed"] == pytest.approx(525, abs=40)
    env.close()


def test_shaping_terms_change_reward_not_score():
    plain, shaped = ArenaEnv("line-follow"), ArenaEnv("line-follow", shaping={"energy": 1.0, "smoothness": 0.5})
    plain.reset(seed=0)
    shaped.reset(seed=0)
    a = np.array([0.8, -0.8], dtype=np.float32)
    _, r0, *_, i0 = plain.step(a)
    _, r1, *_, i1 = shaped.step(a)
    assert i1["shaping/energy"] == pytest.approx(-1.28 * 0.01)
    assert i1["shaping/smoothness"] == pytest.approx(-1.28)
    assert r1 == pytest.approx(r0 + i1["shaping/energy"] + 0.5 * i1["shaping/smoothness"])
    assert i1["score/total"] == i0["score/total"]
    with pytest.raises(ValueError, match="unknown shaping"):
        ArenaEnv("line-follow", shaping={"vibes": 1.0})
