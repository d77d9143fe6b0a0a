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


# -- training options: scaled observations, stacking, privileged, shaping by name, success ----------
def test_every_registered_world_has_max_episode_steps_from_its_time_limit():
    import arena as pkg
    from arena.content import listing
    from arena.sim import CONTROL_DT
    from arena.world.spec import load_world

    assert pkg._CONTROL_DT == CONTROL_DT  # restated in arena/__init__ so registering needs no pybullet
    for wf in listing("worlds"):
        spec = load_world(wf)
        assert gym.spec(f"arena/{spec.id}").max_episode_steps == round(spec.time_limit / CONTROL_DT)


def test_scaled_observation_is_one_bounded_vector():
    e = ArenaEnv("line-follow", observation="scaled")
    check_env(e, skip_render_check=True)
    obs, _ = e.reset(seed=1)
    rng = np.random.default_rng(0)
    plan = e.obs_plan
    for _ in range(150):
        obs, *_ = e.step(rng.uniform(-1, 1, 2))
        assert obs.dtype == np.float32 and e.observation_space.contains(obs)
    # angles as sin and cos, the colour id one-hot: read the features back by position
    pos, at = 0, {}
    for kind, key, arg in plan:
        n = {"angle": 2, "onehot": arg}.get(kind, 3 if key.endswith("rgb") else 1)
        at[key] = obs[pos:pos + n]
        pos += n
    assert pos == obs.shape[0]
    assert float(np.sum(at["B/angle"] ** 2)) == pytest.approx(1.0, abs=1e-5)
    assert sorted(at["S3/color"].tolist()) == [0.0] * 7 + [1.0]
    raw = e.last_obs
    assert at["S3/reflection"][0] == pytest.approx(raw["S3/reflection"] / 100.0, abs=1e-6)
    assert np.all(np.abs(obs) <= 1.0)
    e.close()


def test_stacked_observation_holds_the_last_k_in_order():
    e = ArenaEnv("line-follow", observation="scaled", obs_keys=("S3/reflection", "B/speed"), stack=3)
    obs0, _ = e.reset(seed=2)
    assert obs0.shape == (6,) and np.array_equal(obs0[:2], obs0[4:])  # reset fills every slot
    seen = [obs0[4:]]
    for _ in range(4):
        obs, *_ = e.step(np.array([0.6, 0.6]))
        seen.append(obs[4:])
    assert np.array_equal(obs[:2], seen[-3]) and np.array_equal(obs[2:4], seen[-2])
    assert seen[-1][1] > 0.1  # B/speed over the motor's top speed, moving forward
    e.close()


def test_bad_observation_options_are_clear_errors():
    with pytest.raises(ValueError, match="observation 'pixels'"):
        ArenaEnv("line-follow", observation="pixels")
    with pytest.raises(ValueError, match="only with observation='scaled'"):
        ArenaEnv("line-follow", stack=2)
    with pytest.raises(ValueError, match="S9/reflection.*keys are"):
        ArenaEnv("line-follow", observation="scaled", obs_keys=("S9/reflection",))


def test_privileged_observation_is_ground_truth():
    e = ArenaEnv("line-follow", observation="scaled", obs_keys=("S3/reflection",), privileged=True)
    obs, _ = e.reset(seed=0)
    assert obs.shape == (1 + 4 + 1,)  # reflection, x, y, sin, cos, distance to the track
    snap = e.match.snapshot().robots[0]
    assert obs[1] == pytest.approx(snap.x / 1.0, abs=1e-5)  # half the 2 m mat: 1 m
    assert obs[2] == pytest.approx(snap.y / 0.7, abs=1e-5)
    assert obs[3] == pytest.approx(np.sin(snap.yaw), abs=1e-5)
    assert 0 <= obs[5] < 0.03  # the robot starts on the line (5 mm jitter, over 0.5 m)
    e.match.place_robot(0, 0.0, 0.0, 0.0)  # the middle of the mat: 0.23 m from the track
    e.step(np.zeros(2))
    assert e.step(np.zeros(2))[0][5] == pytest.approx(0.23 / 0.5, abs=0.02)
    d = ArenaEnv("line-follow", privileged=True)
    assert d.observation_space["privileged"].shape == (5,)
    assert d.observation_space.contains(d.reset(seed=0)[0])
    d.close()
    e.close()


def test_shaping_by_name_uses_the_declared_weights_and_never_the_score():
    plain = ArenaEnv("line-follow")
    shaped = ArenaEnv("line-follow", shaping=("progress", "line"))
    assert shaped.shaping == {"progress": 100.0, "line": 50.0}  # derived from the laps term (weight 100)
    plain.reset(seed=0)
    shaped.reset(seed=0)
    a = np.array([0.4, 0.4])
    total_progress = 0.0
    for _ in range(150):
        _, r0, *_, i0 = plain.step(a)
        _, r1, *_, i1 = shaped.step(a)
        assert i1["score/total"] == i0["score/total"]
        assert r1 == pytest.approx(r0 + 100.0 * i1["shaping/progress"] + 50.0 * i1["shaping/line"])
        total_progress += i1["shaping/progress"]
        assert i1["shaping/line"] <= 0.0
    assert total_progress > 0.005  # driving along the line is progress (laps)
    assert ArenaEnv("line-follow", shaping={"progress": 2.0}).shaping == {"progress": 2.0}
    with pytest.raises(ValueError, match="unknown shaping terms \\['goal'\\].*progress, line"):
        ArenaEnv("line-follow", shaping=("goal",))
    plain.close()
    shaped.close()


def test_success_is_the_worlds_goal_met():
    e = ArenaEnv("maze", shaping=("goal",))
    _, info = e.reset(seed=0)
    assert info["success"] is False and "goal" in e.shaping
    e.match.place_robot(0, 0.45, 0.45, 0.0)  # closer to the exit zone (600, 450) mm
    _, _, _, _, info = e.step(np.zeros(2))
    assert info["shaping/goal"] > 0.5  # closed about 1.2 m in one step
    e.match.place_robot(0, 0.6, 0.45, 0.0)  # inside the exit zone: reach_zone ends the run
    _, _, term, _, info = e.step(np.zeros(2))
    assert term and info["success"] is True
    e.close()


def test_a_world_file_declares_its_own_shaping_terms(tmp_path, root):
    from arena.errors import ArenaError
    from arena.world.spec import load_world

    text = (root / "worlds" / "line-follow.toml").read_text().split("# Training-only shaping")[0]  # its own tables off
    good = tmp_path / "shaped.toml"
    good.write_text(text + '\n[[shaping]]\nname = "along"\nkind = "progress"\npath = "track"\nweight = 7.0\n')
    e = ArenaEnv(load_world(good), shaping=("along", "energy"))
    assert e.shaping == {"along": 7.0, "energy": 1.0}  # declared terms replace the derived ones
    with pytest.raises(ValueError, match="unknown shaping terms \\['progress'\\]"):
        ArenaEnv(load_world(good), shaping=("progress",))
    e.close()
    for extra, key in (('[[shaping]]\nname = "x"\nkind = "progress"\npath = "nope"\n', "path"),
                       ('[[shaping]]\nname = "x"\nkind = "speedy"\n', "kind"),
                       ('[[shaping]]\nname = "x"\nkind = "energy"\ncolour = 1\n', "colour")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text + "\n" + extra)
        with pytest.raises(ArenaError, match=f"bad.toml.*{key}"):
            load_world(bad)


def test_lost_after_ends_a_training_episode_off_the_path():
    e = ArenaEnv("line-follow", lost_after=100.0)
    e.reset(seed=0)
    _, _, term, _, info = e.step(np.zeros(2))
    assert not term and "lost" not in info
    e.match.place_robot(0, 0.0, 0.0, 0.0)  # 230 mm from the track
    _, _, term, trunc, info = e.step(np.zeros(2))
    assert term and not trunc and info["lost"] is True and info["success"] is False
    assert "lost" in e.info_keys()
    e.close()
    with pytest.raises(ValueError, match="lost_after=100.0: needs a world with a scored path"):
        ArenaEnv("maze", lost_after=100.0)


def test_random_start_puts_the_robot_anywhere_on_the_path_facing_along_it():
    e = ArenaEnv("line-follow", random_start=True, shaping=("progress",))
    starts = []
    for seed in range(4):
        _, info = e.reset(seed=seed)
        r = e.match.snapshot().robots[0]
        starts.append((round(r.x, 3), round(r.y, 3)))
        path = e.match.layout.paths["track"]
        assert path.nearest(r.x, r.y)[1] < 0.005 and e.last_obs["S3/reflection"] < 40  # on the line
        assert info["score/total"] == 0.0
        progress = sum(e.step(np.array([0.4, 0.4]))[4]["shaping/progress"] for _ in range(50))
        assert progress > 0  # facing along the path: forward is progress
    assert len(set(starts)) == 4
    with pytest.raises(ValueError, match="random_start=True needs a world with a scored path"):
        ArenaEnv("maze", random_start=True)
    e.close()
