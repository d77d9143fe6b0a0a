"""arena train / export / curves and the SB3 adapter: tiny runs (a few hundred steps), never timed."""

import json
import subprocess

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from conftest import arena_cmd  # noqa: E402

from arena.errors import ArenaError  # noqa: E402
from arena.learn import curve, mlp, tbevents  # noqa: E402
from arena.learn.train import TrainConfig, train  # noqa: E402

KEYS = ["S3/reflection", "S2/rate", "B/speed", "C/speed"]


@pytest.fixture(scope="module")
def short_world(tmp_path_factory, root):
    """LineFollow with a 2 s time limit: whole episodes in a few hundred steps."""
    text = (root / "worlds" / "line-follow.toml").read_text().replace("time_limit = 180.0", "time_limit = 2.0")
    f = tmp_path_factory.mktemp("world") / "short.toml"
    f.write_text(text)
    return str(f)


def tiny(world: str, **kw) -> TrainConfig:
    base = dict(world=world, steps=512, n_envs=2, n_steps=128, batch_size=64, n_epochs=2, obs_keys=KEYS, stack=2,
                eval_every=256, eval_seeds=[7, 8], eval_seconds=0.5, checkpoint_every=256, episode_seconds=1.0)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def run(tmp_path_factory, short_world):
    out = tmp_path_factory.mktemp("runs") / "r0"
    summary = train(tiny(short_world), out, progress=False, say=lambda s: None)
    return out, summary


def test_a_run_writes_logs_evaluations_curve_and_checkpoints(run):
    out, summary = run
    assert summary["steps"] == 512
    for name in ("config.json", "progress.csv", "eval.csv", "curve.png", "model.zip", "best.zip"):
        assert (out / name).is_file(), name
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = curve.read_eval(out / "eval.csv")
    assert [r[0] for r in rows] == [0, 256, 512]  # the untrained policy, then every 256 steps
    assert sorted(p.name for p in (out / "checkpoints").glob("*.zip")) == ["model_256.zip", "model_512.zip"]
    header = (out / "progress.csv").read_text().splitlines()[0]
    assert "train/value_loss" in header and "rollout/ep_rew_mean" in header
    # TensorBoard: well-formed records (every CRC checked) with training and evaluation scalars
    (events,) = out.glob("events.out.tfevents.*")
    tags = {t for _, t, _ in tbevents.read_scalars(events)}
    assert {"eval/score_median", "train/value_loss", "rollout/ep_rew_mean"} <= tags


def test_event_records_match_the_tensorboard_format():
    assert tbevents.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    rec = tbevents.record(tbevents.event(3, 1.5, {"a/b": 2.0}))
    assert int.from_bytes(rec[:8], "little") == len(rec) - 16
    assert tbevents._scalars_of(rec[12:-4]) == [(3, "a/b", 2.0)]
    with pytest.raises(ValueError, match="bad data CRC"):
        bad = bytearray(rec)
        bad[14] ^= 1
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "e").write_bytes(bytes(bad))
            tbevents.read_scalars(Path(d) / "e")


def test_the_same_seed_trains_the_same_policy(run, short_world, tmp_path):
    out, _ = run
    train(tiny(short_world), tmp_path / "again", progress=False, say=lambda s: None)
    a = (out / "eval.csv").read_text()
    b = (tmp_path / "again" / "eval.csv").read_text()
    assert a == b


def test_resume_continues_from_the_last_checkpoint(short_world, tmp_path):
    out = tmp_path / "r"
    train(tiny(short_world, steps=256), out, progress=False, say=lambda s: None)
    with pytest.raises(ArenaError, match="already holds a run: pass --resume"):
        train(tiny(short_world, steps=256), out, progress=False, say=lambda s: None)
    with pytest.raises(ArenaError, match="differs from this command in \\['stack'\\]: resume with the same"):
        train(tiny(short_world, steps=512, stack=3), out, resume=True, progress=False, say=lambda s: None)
    s = train(tiny(short_world, steps=512), out, resume=True, progress=False, say=lambda s: None)  # a bigger budget
    assert s["steps"] == 512
    assert [r[0] for r in curve.read_eval(out / "eval.csv")] == [0, 256, 512]
    assert (out / "checkpoints" / "model_512.zip").is_file()
    with pytest.raises(ArenaError, match="cannot read the run's config"):
        train(tiny(short_world), tmp_path / "empty", resume=True, progress=False, say=lambda s: None)
    (tmp_path / "nockpt").mkdir()
    tiny(short_world).save(tmp_path / "nockpt" / "config.json")
    with pytest.raises(ArenaError, match="no checkpoint to resume from"):
        train(tiny(short_world), tmp_path / "nockpt", resume=True, progress=False, say=lambda s: None)


def test_bad_training_options_are_clear_errors(short_world, tmp_path):
    with pytest.raises(ArenaError, match="no budget"):
        train(tiny(short_world, steps=None), tmp_path / "a", progress=False)
    with pytest.raises(ArenaError, match="vec 'fast'"):
        train(tiny(short_world, vec="fast"), tmp_path / "b", progress=False)
    with pytest.raises(ArenaError, match="--steps 0: give a budget of at least 1"):  # it trained nothing, silently
        train(tiny(short_world, steps=0), tmp_path / "d", progress=False)
    with pytest.raises(ArenaError, match="--n-steps 0: PPO's rollout needs at least 2"):  # an SB3 AssertionError
        train(tiny(short_world, n_steps=0), tmp_path / "e", progress=False)
    res = subprocess.run(arena_cmd("train", "--out", str(tmp_path / "c"), "--world", short_world, "--shaping", "vibes",
                                   "--steps", "128"), capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and "unknown shaping terms ['vibes']" in res.stderr and "Traceback" not in res.stderr


def test_export_gives_a_numpy_agent_equal_to_torch_and_a_pybricks_program(run, tmp_path, short_world):
    out, _ = run
    agent, brick = tmp_path / "ppo_agent", tmp_path / "ppo_brick"
    res = subprocess.run(arena_cmd("export", str(out), "--out", str(agent), "--pybricks", str(brick)),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "max |action - torch action|" in res.stdout
    assert sorted(p.name for p in agent.iterdir()) == ["agent.toml", "controller.py", "features.py", "policy.json",
                                                       "policy.npz"]
    src = (brick / "main.py").read_text()
    assert "import numpy" not in src and "np." not in src and "ColorSensor(Port.S3)" in src
    compile(src, "main.py", "exec")
    layers, act = mlp.from_npz_dict(np.load(agent / "policy.npz", allow_pickle=False))
    assert [w.shape for w, _ in layers] == [(16, 8), (16, 16), (2, 16)] and act == "tanh"
    # both run sandboxed under `arena run` and drive the same way (the brick reads integers)
    scores = []
    for folder in (agent, brick):
        r = subprocess.run(arena_cmd("run", "--world", short_world, "--agent", str(folder), "--seed", "3", "--json"),
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr + r.stdout
        scores.append(json.loads(r.stdout)["score"]["total"])
    assert scores[1] == pytest.approx(scores[0], abs=0.5)


def test_export_refuses_what_the_brick_cannot_read(short_world, tmp_path):
    out = tmp_path / "colour"
    train(tiny(short_world, steps=128, obs_keys=["S3/color", "B/speed"], eval_every=10_000), out, progress=False,
          say=lambda s: None)
    from arena.learn.export import export

    with pytest.raises(ArenaError, match="'S3/color' has no pybricks reading.*--obs-keys"):
        export(out, tmp_path / "a", pybricks=tmp_path / "b")
    with pytest.raises(ArenaError, match="not a run folder or a model .zip"):
        export(tmp_path / "nothing.txt", tmp_path / "c")


def test_curves_command_plots_several_runs(run, tmp_path):
    out, _ = run
    png = tmp_path / "c.png"
    res = subprocess.run(arena_cmd("curves", str(out), str(out), "--out", str(png)), capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0 and png.read_bytes()[:4] == b"\x89PNG"
    res = subprocess.run(arena_cmd("curves", str(out), str(out), "--across", "--out", str(png)), capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0 and "over 2 runs" in res.stdout and png.read_bytes()[:4] == b"\x89PNG"


def test_curves_across_training_seeds_take_the_median_of_the_runs_medians_at_shared_steps():
    a = [(0, 0.0, 0.0, 0.0), (10, 50.0, 40.0, 60.0), (20, 90.0, 10.0, 99.0)]
    b = [(0, 0.0, 0.0, 0.0), (10, 20.0, 0.0, 30.0), (20, 80.0, 80.0, 80.0), (25, 100.0, 100.0, 100.0)]
    c = [(0, 5.0, 5.0, 5.0), (10, 30.0, 30.0, 30.0), (20, 10.0, 0.0, 10.0)]
    assert curve.across({"a": a, "b": b, "c": c}) == [(0, 0.0, 0.0, 5.0), (10, 30.0, 20.0, 50.0), (20, 80.0, 10.0, 90.0)]
    assert curve.across({"a": a, "b": b}) == [(0, 0.0, 0.0, 0.0), (10, 35.0, 20.0, 50.0), (20, 85.0, 80.0, 90.0)]
    assert curve.across({"a": a, "late": [(5, 1.0, 1.0, 1.0)]}) == []  # no shared step: nothing to aggregate


def test_sb3_adapter_matches_dummy_vec_env_and_trains(short_world):
    from stable_baselines3 import PPO
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from arena.learn.sb3vec import BatchedSB3VecEnv
    from arena.learn.train import make_env

    cfg = tiny(short_world, episode_seconds=0.05)  # 5-step episodes: autoresets happen
    ours = BatchedSB3VecEnv(2, workers=2, max_episode_seconds=0.05, shaping=cfg.shaping_arg(), **cfg.env_kwargs())
    theirs = DummyVecEnv([lambda: Monitor(make_env(cfg, 0.05)) for _ in range(2)])
    ours.seed(9)
    theirs.seed(9)
    o1, o2 = ours.reset(), theirs.reset()
    assert np.array_equal(o1, o2)
    a = np.array([[0.5, 0.3], [-0.2, 0.4]], dtype=np.float32)
    for t in range(7):
        ours.step_async(a)
        theirs.step_async(a)
        (o1, r1, d1, i1), (o2, r2, d2, i2) = ours.step_wait(), theirs.step_wait()
        assert np.array_equal(o1, o2) and np.allclose(r1, r2) and np.array_equal(d1, d2)
        if d1.any():
            assert t == 4
            for x, y in zip(i1, i2, strict=True):
                assert np.array_equal(x["terminal_observation"], y["terminal_observation"])
                assert x["TimeLimit.truncated"] == y["TimeLimit.truncated"] is True
                assert x["episode"]["l"] == y["episode"]["l"] == 5
                assert x["episode"]["r"] == pytest.approx(y["episode"]["r"], abs=1e-6)  # Monitor rounds
    theirs.close()
    model = PPO("MlpPolicy", ours, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(128)
    assert model.num_timesteps == 128
    ours.close()


def test_a_longer_control_period_is_held_by_the_exported_agent(short_world, tmp_path):
    out = tmp_path / "slow"
    train(tiny(short_world, steps=128, control_dt=0.03, eval_every=10_000), out, progress=False, say=lambda s: None)
    from arena.learn.export import export, load_controller

    rep = export(out, tmp_path / "agent", pybricks=tmp_path / "brick")
    assert rep["max_error"] <= 1e-5
    assert json.loads((tmp_path / "agent" / "policy.json").read_text())["repeat"] == 3
    assert "PERIOD_MS = 30" in (tmp_path / "brick" / "main.py").read_text()
    ctrl = load_controller(tmp_path / "agent")
    ctrl.reset(0, {})
    obs = {"S3/reflection": 20.0, "S2/rate": 0.0, "B/speed": 0.0, "C/speed": 0.0}
    first = ctrl.act(obs)
    held = [ctrl.act({**obs, "S3/reflection": 90.0}) for _ in range(2)]
    assert held == [first, first]  # the 10 ms calls inside one 30 ms decision keep it
    assert ctrl.act({**obs, "S3/reflection": 90.0}) != first  # the next decision sees the new reading
    with pytest.raises(ArenaError, match="--control-dt 0.015"):
        train(tiny(short_world, control_dt=0.015), tmp_path / "bad", progress=False)
