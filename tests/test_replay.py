"""Replays: JSON only, re-simulated and checked hash by hash; tampering is caught; GIFs."""

import gzip
import json
import pickle
import subprocess

import pytest
import tiny
from conftest import arena_cmd

from arena.compete import replay
from arena.compete import tournament as T
from arena.errors import ArenaError


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    d = tmp_path_factory.mktemp("replay")
    follower, bang = tiny.copies(d)
    duel = T.load_world_entry(tiny.duel_world(d, time_limit=2.0))
    solo = T.load_world_entry(tiny.solo_world(d, time_limit=3.0))
    out = {}
    for key, world, agents in (("solo", solo, [follower]), ("duel", duel, [follower, bang])):
        job = T.schedule([world], [T.load_agent(a) for a in agents], [4])[0]
        out[key] = T.execute(job).replay
    return out


def test_replay_is_plain_json_and_verifies(recorded, tmp_path):
    rep = recorded["solo"]
    assert rep["format"] == replay.FORMAT and rep["seed"] == 4 and rep["steps"] == 300
    assert rep["world"]["hash"] and rep["players"][0]["robot_hash"] and rep["players"][0]["agent_hash"]
    assert rep["control_dt"] == 0.01 and rep["physics_dt"] == 0.005
    assert [s for s, _ in rep["checkpoints"]] == [100, 200, 300]
    f = tmp_path / "r.json.gz"
    replay.save(rep, f)
    json.loads(gzip.decompress(f.read_bytes()))  # JSON inside, nothing else
    v = replay.verify(replay.load(f))
    assert v.ok and v.checked == 3 and v.steps == 300, v.message


def test_two_player_replay_verifies(recorded):
    rep = recorded["duel"]
    assert len(rep["actions"][0]) == 2 and len(rep["players"]) == 2
    assert replay.verify(rep).ok


def test_changing_one_action_fails_verification(recorded):
    rep = json.loads(json.dumps(recorded["duel"]))
    rep["actions"][150][1]["B"] = -1.0
    v = replay.verify(rep)
    assert not v.ok and "state hash differs at step 200" in v.message


def test_changing_one_hash_or_a_score_fails_verification(recorded):
    rep = json.loads(json.dumps(recorded["solo"]))
    rep["checkpoints"][1][1] = "0" * 16
    v = replay.verify(rep)
    assert not v.ok and "step 200" in v.message
    rep = json.loads(json.dumps(recorded["solo"]))
    rep["results"][0]["total"] += 1.0
    assert "score" in replay.verify(rep).message
    rep = json.loads(json.dumps(recorded["solo"]))
    rep["seed"] = 5
    assert "match id" in replay.verify(rep).message


def test_malicious_commands_in_a_replay_are_refused(recorded):
    rep = json.loads(json.dumps(recorded["solo"]))
    rep["actions"][3][0] = {"B": "NaN"}
    v = replay.verify(rep)
    assert not v.ok and "step 3: invalid command" in v.message


def test_pickles_and_non_replays_are_refused(tmp_path):
    f = tmp_path / "evil.json"
    f.write_bytes(pickle.dumps({"format": replay.FORMAT}))
    with pytest.raises(ArenaError, match="not a replay"):
        replay.load(f)
    f.write_text('{"format": "something-else"}')
    with pytest.raises(ArenaError, match="not a Kit Arena replay"):
        replay.load(f)


def test_cli_verifies_and_renders_a_gif(recorded, tmp_path):
    f = tmp_path / "duel.json.gz"
    replay.save(recorded["duel"], f)
    gif = tmp_path / "duel.gif"
    p = subprocess.run(arena_cmd("replay", str(f), "--verify", "--gif", str(gif)), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "OK verified" in p.stdout and gif.stat().st_size > 1000
    import imageio.v2 as imageio

    frames = imageio.mimread(gif)
    assert len(frames) > 10 and frames[0].ndim == 3
    bad = json.loads(json.dumps(recorded["duel"]))
    bad["actions"][10][0]["C"] = 1.0
    replay.save(bad, f)
    p = subprocess.run(arena_cmd("replay", str(f), "--verify"), capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "FAILED state hash differs" in p.stdout
