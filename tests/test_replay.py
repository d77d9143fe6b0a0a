"""Replays: JSON only, re-simulated and checked step by step; any change is caught and named; GIFs;
every unreadable replay (file or stored blob) is one clear line."""

import base64
import gzip
import json
import os
import pickle
import subprocess
import zlib

import pytest
import tiny
from conftest import arena_cmd

from arena.compete import replay
from arena.compete import tournament as T
from arena.compete.store import Store, match_id
from arena.controllers.runner import run_episode
from arena.errors import ArenaError
from arena.match import TAG_BYTES, Trajectory, trajectory_header


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    d = tmp_path_factory.mktemp("replay")
    follower, bang = tiny.copies(d)
    duel = T.load_world_entry(tiny.duel_world(d, time_limit=2.0))
    solo = T.load_world_entry(tiny.solo_world(d, time_limit=3.0))
    out = {}
    crasher = tiny.agent(d, "crasher", tiny.CRASHER)
    for key, world, agents in (("solo", solo, [follower]), ("duel", duel, [follower, bang]),
                               ("crash", duel, [follower, crasher])):
        job = T.schedule([world], [T.load_agent(a) for a in agents], [4])[0]
        out[key] = T.execute(job).replay
    return out


def copy(rep):
    return json.loads(json.dumps(rep))


def with_match_id(rep):
    """The replay's match id recomputed from its (edited) configuration, as a forger would."""
    rep["match_id"] = match_id(rep["world"]["id"], [(p["robot_hash"], p["agent_hash"]) for p in rep["players"]],
                               rep["seed"], rep["engine"])
    return rep


def numeric_step(rep, player, start):
    """The first step from `start` at which this player's command is a plain duty on some port."""
    acts = replay.actions(rep)
    for k in range(start, len(acts)):
        for port, v in acts[k][player].items():
            if isinstance(v, float):
                return k, port
    raise AssertionError("no plain duty recorded")


def edited(rep, change):
    """rep with change(actions) applied to its decoded commands, packed again."""
    acts = replay.actions(rep)
    change(acts)
    replay.set_actions(rep, acts)
    return rep


def test_replay_is_plain_json_and_verifies(recorded, tmp_path):
    rep = recorded["solo"]
    assert rep["format"] == replay.FORMAT == "kit-arena-replay/3" and rep["seed"] == 4 and rep["steps"] == 300
    assert "actions" not in rep and len(replay.actions(rep)) == 300  # packed: no per-step JSON
    assert rep["world"]["hash"] and rep["players"][0]["robot_hash"] and rep["players"][0]["agent_hash"]
    assert rep["control_dt"] == 0.01 and rep["physics_dt"] == 0.005
    assert [s for s, _ in rep["checkpoints"]] == [100, 200, 300]
    assert len(base64.b64decode(rep["tags"])) == TAG_BYTES * 301  # the start and every step
    f = tmp_path / "r.json.gz"
    replay.save(rep, f)
    json.loads(gzip.decompress(f.read_bytes()))  # JSON inside, nothing else
    v = replay.verify(replay.load(f))
    assert v.ok and v.checked == 301 and v.steps == 300, v.message


def test_two_player_replay_verifies(recorded):
    rep = recorded["duel"]
    assert len(replay.actions(rep)[0]) == 2 and len(rep["players"]) == 2
    assert replay.verify(rep).ok


def test_a_match_with_a_failed_controller_verifies(recorded):
    rep = recorded["crash"]
    assert rep["results"][1]["status"] == "ERROR" and replay.actions(rep)[-1][1] == {"B": {"stop": "coast"},
                                                                                   "C": {"stop": "coast"}}
    v = replay.verify(rep)
    assert v.ok, v.message


def test_the_runs_digest_is_the_replays_and_is_reproducible(recorded, tmp_path):
    """The stored result's digest is the replay's final digest, and a second run gives the same."""
    follower, _ = tiny.copies(tmp_path)
    world = tiny.solo_world(tmp_path, time_limit=3.0)
    a = run_episode(world, None, follower, seed=4, record=True, hash_every=100)
    b = run_episode(world, None, follower, seed=4)
    assert a.digest == b.digest == recorded["solo"]["digest"]
    assert a.tags == recorded["solo"]["tags"] and a.checkpoints == recorded["solo"]["checkpoints"]
    # the commands the digest encoded are the replay's, as they were applied
    assert replay.decode_commands(a.commands, a.steps, 1) == [[c] for c in a.actions] == replay.actions(recorded["solo"])
    assert run_episode(world, None, follower, seed=5).digest != a.digest


@pytest.mark.parametrize("delta", [0.01, -0.01])
def test_one_action_changed_by_a_hundredth_fails_naming_its_step(recorded, delta):
    rep = copy(recorded["solo"])
    k, port = numeric_step(rep, 0, 150)

    def change(acts):
        v0 = acts[k][0][port]
        acts[k][0][port] = v0 + delta if abs(v0 + delta) <= 1 else v0 - delta

    v = replay.verify(edited(rep, change))
    assert not v.ok and v.steps == k + 1
    assert f"first at step {k + 1} " in v.message and f"commands[{k}]" in v.message, v.message


def test_a_changed_action_of_the_second_player_is_named(recorded):
    rep = copy(recorded["duel"])
    k, port = numeric_step(rep, 1, 120)
    v = replay.verify(edited(rep, lambda acts: acts[k][1].update({port: round(acts[k][1][port] * 0.5, 6)})))
    assert not v.ok and f"first at step {k + 1} " in v.message, v.message


def test_an_added_or_dropped_command_fails(recorded):
    rep = copy(recorded["solo"])
    k, port = numeric_step(rep, 0, 40)
    edited(rep, lambda acts: acts[k][0].pop(port))  # "keep the last command" is a different command stream
    assert f"first at step {k + 1} " in replay.verify(rep).message


def test_a_changed_seed_fails(recorded):
    rep = copy(recorded["solo"])
    rep["seed"] = 5
    v = replay.verify(rep)
    assert not v.ok and "match id" in v.message
    v = replay.verify(with_match_id(rep))  # consistent id: the start state itself differs
    assert not v.ok and "at the start (step 0)" in v.message, v.message


def test_a_changed_agent_or_robot_hash_fails(recorded):
    rep = copy(recorded["solo"])
    rep["players"][0]["agent_hash"] = "0" * 16
    assert "match id" in replay.verify(rep).message
    v = replay.verify(with_match_id(rep))  # the agent is not re-run, but the digest covers its hash
    assert not v.ok and "at the start (step 0)" in v.message, v.message
    rep = copy(recorded["solo"])
    rep["players"][0]["robot_hash"] = "0" * 16
    v = replay.verify(with_match_id(rep))
    assert not v.ok and "no robot file with content hash" in v.message


def test_changing_a_tag_a_checkpoint_the_digest_or_a_score_fails(recorded):
    rep = copy(recorded["solo"])
    tags = bytearray(base64.b64decode(rep["tags"]))
    tags[TAG_BYTES * 77] ^= 1
    rep["tags"] = base64.b64encode(bytes(tags)).decode()
    assert "first at step 77 " in replay.verify(rep).message
    rep = copy(recorded["solo"])
    rep["checkpoints"][1][1] = "0" * 16
    v = replay.verify(rep)
    assert not v.ok and "checkpoint differs at step 200" in v.message
    rep = copy(recorded["solo"])
    rep["digest"] = "0" * 32
    assert "final digest differs" in replay.verify(rep).message
    rep = copy(recorded["solo"])
    rep["results"][0]["total"] += 1.0
    assert "score" in replay.verify(rep).message
    rep = copy(recorded["solo"])
    rep["tags"] = rep["tags"][:-8]
    assert "tags" in replay.verify(rep).message


def test_malicious_commands_in_a_replay_are_refused(recorded):
    rep = copy(recorded["solo"])
    edited(rep, lambda acts: acts[3].__setitem__(0, {"B": "NaN"}))
    v = replay.verify(rep)
    assert not v.ok and "step 3: invalid command" in v.message


def test_an_old_format_replay_is_read_but_not_verified(recorded, tmp_path):
    rep = as_json_actions(copy(recorded["solo"]))
    rep["format"] = "kit-arena-replay/1"
    del rep["tags"]
    f = tmp_path / "old.json"
    replay.save(rep, f)
    v = replay.verify(replay.load(f))
    assert not v.ok and "older arena" in v.message and "play the match again" in v.message
    p = subprocess.run(arena_cmd("replay", str(f), "--verify"), capture_output=True, text=True, timeout=600)
    assert p.returncode == 1 and "FAILED format kit-arena-replay/1" in p.stdout and "Traceback" not in p.stderr


def as_json_actions(rep):
    """rep with its commands as the JSON lists of kit-arena-replay/1 and /2 ("actions")."""
    rep["actions"] = replay.actions(rep)
    del rep["commands"]
    return rep


def as_v2(rep):
    """The replay that kit-arena-replay/2 recorded for this run: commands as JSON lists, hashed as
    JSON (Trajectory rule 2): its tags, checkpoints and digest come from re-simulating the run."""
    rep = as_json_actions(copy(rep))
    header = trajectory_header(rep["world"]["id"], [(p["robot_hash"], p["agent_hash"]) for p in rep["players"]],
                               rep["seed"], rep["engine"], rep.get("presses") or None)
    rep["format"], traj, checkpoints = "kit-arena-replay/2", None, []
    for step, match, cmds in replay._simulate(rep):
        if traj is None:
            traj = Trajectory(match, header, keep_tags=True, rule=2)
            continue
        chain = traj.step(cmds)
        if step % rep["hash_every"] == 0:
            checkpoints.append([step, chain.hex()[:16]])
    rep.update(tags=base64.b64encode(bytes(traj.tags)).decode(), checkpoints=checkpoints, digest=traj.digest)
    return rep


def test_a_v2_replay_is_verified_by_its_own_rule(recorded, tmp_path):
    """Replays recorded before the binary command encoding still verify (their digest hashed the
    commands as JSON), and a changed command in one still fails at its step."""
    old = as_v2(recorded["solo"])
    assert old["digest"] != recorded["solo"]["digest"]  # another rule, another chain
    f = tmp_path / "v2.json.gz"
    replay.save(old, f)
    v = replay.verify(replay.load(f))
    assert v.ok and v.checked == 301, v.message
    k, port = numeric_step(old, 0, 100)
    old["actions"][k][0][port] = -old["actions"][k][0][port] or 0.5
    v = replay.verify(old)
    assert not v.ok and f"first at step {k + 1} " in v.message, v.message


def test_damaged_commands_in_a_replay_are_one_clear_failure(recorded, tmp_path):
    rep = copy(recorded["solo"])
    raw = zlib.decompress(base64.b64decode(rep["commands"]))
    for bad, why in ((raw[:-3], "step 299"), (raw + b"\x00", "past the last of 300 steps"),
                     (b"\x07" + raw[1:], "step 0")):
        rep["commands"] = base64.b64encode(zlib.compress(bad)).decode()
        v = replay.verify(rep)
        assert not v.ok and "key commands is damaged" in v.message and why in v.message, v.message
    rep["commands"] = "not base64!"
    f = tmp_path / "bad.json"
    replay.save(rep, f)
    p = subprocess.run(arena_cmd("replay", str(f), "--verify"), capture_output=True, text=True, timeout=600)
    assert p.returncode == 1 and "key commands is damaged" in p.stdout and "Traceback" not in p.stderr


def test_pickles_and_non_replays_are_refused(tmp_path):
    f = tmp_path / "evil.json"
    f.write_bytes(pickle.dumps({"format": replay.FORMAT}))
    with pytest.raises(ArenaError, match="not a replay"):
        replay.load(f)
    f.write_text('{"format": "something-else"}')
    with pytest.raises(ArenaError, match="not a Kit Arena replay"):
        replay.load(f)


def _damaged(good: bytes) -> dict:
    gz = gzip.compress(good, mtime=0)
    bad_crc = bytearray(gz)
    bad_crc[-8] ^= 0xFF
    rep = json.loads(good)
    no_players = dict(rep, players=[])
    wrong_type = dict(rep, steps="300")
    missing = {k: v for k, v in rep.items() if k != "commands"}
    return {
        "truncated gzip": (gz[: len(gz) // 2], "damaged gzip data"),
        "gzip crc": (bytes(bad_crc), "damaged gzip data"),
        "gzip header only": (b"\x1f\x8b\x08\x00", "damaged gzip data"),
        "not gzip, not json": (os.urandom(64).replace(b"\x1f", b"x"), "not a replay (JSON expected)"),
        "truncated json": (good[:100], "not a replay (JSON expected)"),
        "empty": (b"", "not a replay (JSON expected)"),
        "json list": (b"[1, 2]", "not a Kit Arena replay"),
        "other version": (json.dumps(dict(rep, format="kit-arena-replay/9")).encode(), "not a Kit Arena replay"),
        "no players": (json.dumps(no_players).encode(), "key players is empty"),
        "wrong type": (json.dumps(wrong_type).encode(), "key steps must be int, found str"),
        "missing key": (json.dumps(missing).encode(), "key commands is missing"),
        "deep json": (b"[" * 100000 + b"]" * 100000, "not a replay"),
    }


def test_every_unreadable_replay_file_is_one_clear_error(recorded, tmp_path):
    good = json.dumps(recorded["solo"]).encode()
    for name, (data, why) in _damaged(good).items():
        f = tmp_path / (name.replace(" ", "-") + ".json.gz")
        f.write_bytes(data)
        with pytest.raises(ArenaError) as e:
            replay.load(f)
        msg = str(e.value)
        assert str(f) in msg and why in msg and "(fix: " in msg and "\n" not in msg, (name, msg)
    with pytest.raises(ArenaError, match="is a folder, not a replay file"):
        replay.load(tmp_path)
    with pytest.raises(ArenaError, match="not a regular file"):
        replay.load("/dev/null")


def test_an_unreadable_replay_file_names_the_permission(recorded, tmp_path, monkeypatch):
    f = tmp_path / "locked.json"
    replay.save(recorded["solo"], f)

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(replay, "open", denied, raising=False)  # root reads any file: simulate the refusal
    with pytest.raises(ArenaError, match=r"locked.json: cannot read the replay: permission denied \(fix: "):
        replay.load(f)


def test_a_replay_at_a_path_that_is_not_utf8(recorded, tmp_path):
    folder = os.fsencode(tmp_path)
    good = folder + b"/ok-\xff.json"
    with open(good, "wb") as fh:
        fh.write(json.dumps(recorded["solo"]).encode())
    bad = folder + b"/bad-\xfe.json"
    with open(bad, "wb") as fh:
        fh.write(b"\x1f\x8b garbage")
    p = subprocess.run(arena_cmd("replay", os.fsdecode(good)), capture_output=True, timeout=600)
    assert p.returncode == 0 and b"replay " in p.stdout, p.stderr
    p = subprocess.run(arena_cmd("replay", os.fsdecode(bad), "--verify"), capture_output=True, timeout=600)
    err = p.stderr.decode()
    assert p.returncode == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "bad-\\xfe.json" in err and "damaged gzip data" in err


def test_cli_corrupt_stored_blob_and_folder_are_one_line(recorded, tmp_path):
    db = tmp_path / "r.sqlite"
    store = Store(db)
    mid = recorded["solo"]["match_id"]
    store.db.execute("INSERT INTO matches VALUES (?,?,?,?,?,?,?)", (mid, "LineFollow-v0", "", 4, 1, "0", 0.0))
    data = gzip.compress(json.dumps(recorded["solo"]).encode(), mtime=0)
    bad = bytearray(data)
    bad[-8] ^= 0xFF  # CRC check failed
    store.db.execute("INSERT INTO replays VALUES (?,?)", (mid, bytes(bad)))
    store.db.commit()
    with pytest.raises(ArenaError, match="stored replay of match .* is damaged"):
        store.replay(mid)
    store.close()
    for args, why in (((mid, "--verify", "--db", str(db)), f"the stored replay of match {mid}: damaged gzip data"),
                      ((str(tmp_path), "--verify"), "is a folder, not a replay file"),
                      (("no-such-match", "--db", str(db)), "no replay file or stored match 'no-such-match'")):
        p = subprocess.run(arena_cmd("replay", *args), capture_output=True, text=True, timeout=600)
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1 and why in p.stderr and "(fix: " in p.stderr, p.stderr


def test_cli_verifies_and_renders_a_gif(recorded, tmp_path):
    f = tmp_path / "duel.json.gz"
    replay.save(recorded["duel"], f)
    gif = tmp_path / "duel.gif"
    p = subprocess.run(arena_cmd("replay", str(f), "--verify", "--gif", str(gif)), capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    assert "OK verified" in p.stdout and gif.stat().st_size > 1000
    import imageio.v2 as imageio

    frames = imageio.mimread(gif)
    assert len(frames) > 10 and frames[0].ndim == 3
    bad = copy(recorded["duel"])
    k, port = numeric_step(bad, 0, 10)
    edited(bad, lambda acts: acts[k][0].update({port: acts[k][0][port] + (0.01 if acts[k][0][port] < 0.99 else -0.01)}))
    replay.save(bad, f)
    p = subprocess.run(arena_cmd("replay", str(f), "--verify"), capture_output=True, text=True, timeout=600)
    assert p.returncode == 1 and f"FAILED re-simulation differs from the recording first at step {k + 1} " in p.stdout
    p = subprocess.run(arena_cmd("replay", str(f), "--out", str(tmp_path)), capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 2 and "cannot write the replay" in p.stderr and "Traceback" not in p.stderr


def test_a_worlds_presses_are_read_again_when_its_file_changes(tmp_path):
    """build() reads the world's [brick] presses once per process per file version, not per match."""
    world = tiny.solo_world(tmp_path, time_limit=1.0)
    assert tuple(replay._world_presses(world)) == ()
    assert replay._world_presses(world) is replay._world_presses(world)  # not parsed again
    world.write_text(world.read_text() + '\n[brick]\npresses = ["CENTER@0.3"]\n')
    assert [p[0] for p in replay._world_presses(world)] == ["CENTER"]
