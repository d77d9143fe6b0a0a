"""Per-world default shaping: every bundled world declares [[shaping]] defaults, and `arena train`
with no --shaping trains on any bundled world with them (tiny budgets, never timed)."""

import json
import subprocess

import pytest
from conftest import ROOT, arena_cmd

from arena import content
from arena.errors import SpecError
from arena.world import shaping
from arena.world.spec import load_world

WORLDS = [p.stem for p in sorted((ROOT / "worlds").glob("*.toml"))]


def spec_of(name_or_text, tmp_path=None):
    if tmp_path is None:
        return load_world(content.resolve("worlds", name_or_text))
    f = tmp_path / "w.toml"
    f.write_text(name_or_text)
    return load_world(f)


def test_the_bundled_worlds_are_all_found():
    assert {"line-follow", "line-rescue", "maze", "missions", "obstacle-run", "sumo"} <= set(WORLDS)


@pytest.mark.parametrize("world", WORLDS)
def test_every_bundled_world_declares_default_shaping(world):
    spec = spec_of(world)
    assert spec.shaping, f"worlds/{world}.toml has no [[shaping]] tables"
    on = shaping.defaults(spec)
    assert on and all(s.kind not in shaping.ACTION_KINDS for s in on)
    assert [s for s, _w in shaping.choose(spec, "default")] == list(on)


def test_default_false_keeps_a_term_available_but_off():
    spec = spec_of("line-follow")
    assert [s.name for s in shaping.defaults(spec)] == ["progress"]  # line is declared default = false
    assert dict((s.name, w) for s, w in shaping.choose(spec, ("progress", "line"))) == {"progress": 100.0, "line": 50.0}
    assert [s.name for s, _ in shaping.choose(spec, "line")] == ["line"]  # one name, not its letters


def test_worlds_without_shaping_tables_derive_defaults(root, tmp_path):
    text = (root / "worlds" / "line-follow.toml").read_text().split("# Training-only shaping")[0]
    spec = spec_of(text, tmp_path)
    assert spec.shaping == ()
    assert [(s.name, s.default) for s in shaping.declared(spec)] == [
        ("progress", True), ("line", False), ("energy", False), ("smoothness", False)]
    touch_only = text.split("[[score]]")[0] + '[[score]]\nname = "bumps"\nkind = "touch"\nweight = -1.0\n'
    assert shaping.defaults(spec_of(touch_only, tmp_path)) == ()
    from arena.learn.train import TrainConfig, default_shaping

    said, cfg = [], TrainConfig(world=str(tmp_path / "w.toml"))
    default_shaping(cfg, said.append)
    assert cfg.shaping == [] and said == ["shaping: line-follow declares no default terms: the reward is the score's "
                                          "increase only"]
    cfg = TrainConfig(world="sumo", shaping=["energy"])
    default_shaping(cfg, said.append)
    assert cfg.shaping == ["energy"] and len(said) == 1  # named terms are left alone, silently


def test_a_bad_default_is_a_clear_error(root, tmp_path):
    text = (root / "worlds" / "sumo.toml").read_text().replace('zone = "ring"\nweight = 10.0',
                                                                  'zone = "ring"\nweight = 10.0\ndefault = "yes"')
    assert 'default = "yes"' in text
    with pytest.raises(SpecError, match="default"):
        spec_of(text, tmp_path)


@pytest.mark.parametrize("world", WORLDS)
def test_every_bundled_world_trains_with_its_default_shaping(world, tmp_path):
    pytest.importorskip("stable_baselines3")
    from arena.learn.train import TrainConfig, train

    said = []
    cfg = TrainConfig(world=world, steps=128, n_envs=2, n_steps=64, batch_size=64, n_epochs=1, eval_every=10_000,
                      eval_seeds=[7], eval_seconds=0.2, episode_seconds=1.0, checkpoint_every=10_000)
    out = tmp_path / "run"
    s = train(cfg, out, progress=False, say=said.append)
    assert s["steps"] == 128
    names = [t.name for t in shaping.defaults(spec_of(world))]
    assert json.loads((out / "config.json").read_text())["shaping"] == names  # recorded by name, for resume/export
    assert said[0].startswith(f"shaping: {world}'s defaults: {names[0]} (")


def test_arena_train_on_sumo_uses_its_defaults_and_says_so(tmp_path):
    pytest.importorskip("stable_baselines3")

    res = subprocess.run(arena_cmd("train", "--world", "sumo", "--out", str(tmp_path / "s"), "--steps", "256",
                                   "--n-steps", "64", "--envs", "2", "--eval-seeds", "1", "--eval-seconds", "0.5",
                                   "--no-progress"), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "shaping: sumo's defaults: push_out (push_out, weight 10)" in res.stdout
    assert "trained 256 steps" in res.stdout
    res = subprocess.run(arena_cmd("train", "--world", "sumo", "--out", str(tmp_path / "n"), "--steps", "128",
                                   "--n-steps", "64", "--envs", "2", "--eval-seeds", "1", "--eval-seconds", "0.5",
                                   "--no-progress", "--shaping", ""), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and "shaping:" not in res.stdout  # '' still means none
    assert json.loads((tmp_path / "n" / "config.json").read_text())["shaping"] == []
