"""Tournaments: schedules, resumable and idempotent writes, infrastructure failures, kill -9, Ray."""

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import tiny
from conftest import arena_cmd

from arena.compete import tournament as T
from arena.compete.backends import LocalBackend, RayBackend
from arena.compete.store import Store

ROOT = Path(__file__).resolve().parent.parent
FOLLOWER, BANG = ROOT / "agents" / "line_follower", ROOT / "agents" / "bang_bang"


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    d = tmp_path_factory.mktemp("content")
    follower, bang = tiny.copies(d)
    return {"solo": T.load_world_entry(tiny.solo_world(d)), "duel": T.load_world_entry(tiny.duel_world(d)),
            "crasher": tiny.agent(d, "crasher", tiny.CRASHER), "follower": follower, "bang": bang, "dir": d}


def comparable(store: Store) -> list[tuple]:
    return [(r["match_id"], r["player"], r["agent"], r["status"], r["total"], r["digest"], r["steps"])
            for r in store.results()]


def test_schedule_solo_every_agent_every_seed_and_duels_both_ways(content):
    agents = [T.load_agent(content["follower"]), T.load_agent(content["bang"])]
    solo = T.schedule([content["solo"]], agents, range(3))
    assert len(solo) == 6 and all(len(j.players) == 1 for j in solo)
    duel = T.schedule([content["duel"]], agents, range(2))
    assert len(duel) == 4  # one pair x 2 seeds x 2 start orders
    orders = {(j.seed, tuple(p["agent"] for p in j.players)) for j in duel}
    assert orders == {(s, o) for s in range(2) for o in (("line_follower", "bang_bang"), ("bang_bang", "line_follower"))}
    ids = [j.match_id for j in solo + duel]
    assert len(set(ids)) == len(ids)
    assert T.schedule([content["solo"]], agents, range(3))[0].match_id == solo[0].match_id  # stable


def test_play_is_resumable_and_idempotent_and_duels_are_rated(tmp_path, content):
    agents = [T.load_agent(content[k]) for k in ("follower", "bang", "crasher")]
    jobs = T.schedule([content["solo"], content["duel"]], agents, range(1))
    store = Store(tmp_path / "r.sqlite")
    be = LocalBackend(2)
    try:
        first = T.play(jobs[:4], store, be)
        assert (first.played, first.skipped) == (4, 0)
        again = T.play(jobs, store, be)
    finally:
        be.close()
    assert again.skipped == 4 and again.played == len(jobs) - 4 and again.failures == 0
    n = store.db.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
    assert n == len(jobs) == 3 + 6
    rows = store.results()
    assert len(rows) == 3 + 2 * 6
    # a controller that raises is a result (ERROR with its reason), never an infrastructure failure
    crashed = [r for r in rows if r["agent"] == "crasher"]
    assert crashed and all(r["status"] == "ERROR" and "boom" in r["reason"] for r in crashed)
    assert store.failures() == []
    from arena.compete.ranking import leaderboard

    board = leaderboard(rows, n_boot=50)
    assert set(board) == {"LineFollow-v0", "LineDuel-v0", "overall"}
    assert [s.agent for s in board["LineFollow-v0"]][0] == "line_follower"
    duel = board["LineDuel-v0"]
    assert duel[-1].agent == "crasher"  # forfeits every duel
    assert all(s.rating_lo <= s.rating + 1e-6 and s.rating <= s.rating_hi + 1e-6 for s in duel)
    assert store.replay(jobs[-1].match_id)["players"][1]["agent"] in ("line_follower", "bang_bang", "crasher")


# -- infrastructure failures: must be module-level functions, imported by spawned workers ------------
def flaky(job):
    """Crashes the worker on the first attempt of seed 0 and raises on the first attempt of seed 1."""
    marks = Path(os.environ["ARENA_TEST_MARKS"])
    mark = marks / f"{job.match_id}.seen"
    if job.seed in (0, 1) and not mark.exists():
        mark.write_text("x")
        if job.seed == 0:
            os._exit(3)  # a worker dying mid-match
        raise RuntimeError("arena bug while building the world")
    return T.execute(job)


def always_broken(job):
    raise OSError("disk on fire")


def test_a_worker_dying_while_others_run_loses_no_match(tmp_path, content, monkeypatch):
    monkeypatch.setenv("ARENA_TEST_MARKS", str(tmp_path))
    jobs = T.schedule([content["solo"]], [T.load_agent(FOLLOWER)], range(3))
    store = Store(tmp_path / "r.sqlite")
    be = LocalBackend(2)
    try:  # all three in flight: the crash also fails whatever was running beside it; each is retried
        s = T.play(jobs, store, be, retries=2, fn=flaky)
    finally:
        be.close()
    assert s.played == 3 and not s.gave_up and s.failures >= 2
    msgs = [f["message"] for f in store.failures()]
    assert any("BrokenProcessPool" in m or "terminated" in m for m in msgs)
    assert sorted(r["seed"] for r in store.results()) == [0, 1, 2]


def test_infrastructure_failures_are_recorded_unranked_and_retried(tmp_path, content, monkeypatch):
    monkeypatch.setenv("ARENA_TEST_MARKS", str(tmp_path))
    jobs = T.schedule([content["solo"]], [T.load_agent(FOLLOWER)], range(3))
    store = Store(tmp_path / "r.sqlite")
    be = LocalBackend(2)
    try:
        # one match in flight at a time: a dying worker breaks the whole pool, and a match that was
        # raising on the other worker at that moment would be reported as broken, not as its error
        s = T.play(jobs, store, be, retries=2, fn=flaky, in_flight=1)
    finally:
        be.close()
    assert s.played == 3 and not s.gave_up
    msgs = [f["message"] for f in store.failures()]
    assert any("arena bug" in m for m in msgs) and any("BrokenProcessPool" in m or "terminated" in m for m in msgs)
    assert len(store.results()) == 3  # each match once, no failure ranked

    clean = Store(tmp_path / "clean.sqlite")
    be = LocalBackend(1)
    try:
        T.play(jobs, clean, be)
    finally:
        be.close()
    assert comparable(store) == comparable(clean)


def test_a_match_that_always_fails_is_given_up_and_left_unranked(tmp_path, content):
    jobs = T.schedule([content["solo"]], [T.load_agent(BANG)], range(1))
    store = Store(tmp_path / "r.sqlite")
    be = LocalBackend(1)
    try:
        s = T.play(jobs, store, be, retries=1, fn=always_broken)
    finally:
        be.close()
    assert s.gave_up == [jobs[0].match_id] and s.failures == 2
    assert store.results() == [] and [f["attempt"] for f in store.failures()] == [0, 1]


def test_kill_9_mid_tournament_then_restart_has_no_duplicates_and_no_losses(tmp_path, content):
    world = str(content["solo"].path)
    args = ["tournament", "--world", world, "--agent", str(FOLLOWER), "--agent", str(BANG), "--seeds", "10",
            "--workers", "2"]
    db = tmp_path / "killed.sqlite"
    p = subprocess.Popen(arena_cmd(*args, "--db", str(db)), cwd=tmp_path, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    n, deadline = 0, time.monotonic() + 1800  # only a hang ends the wait
    while time.monotonic() < deadline and p.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=60) as c:
                    n = c.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
            if n >= 3:
                break
        time.sleep(0.05)
    assert p.poll() is None, "the tournament finished before it could be killed"
    os.killpg(p.pid, signal.SIGKILL)  # the arena and its workers, as a crash would
    p.wait(600)
    with sqlite3.connect(db, timeout=60) as c:
        partial = c.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
    assert 3 <= partial < 20
    r = subprocess.run(arena_cmd(*args, "--db", str(db)), cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr
    assert f"0 stored by another process, {partial} already stored" in r.stdout  # the dead one's claims taken over
    full = tmp_path / "full.sqlite"
    r = subprocess.run(arena_cmd(*args, "--db", str(full)), cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr
    killed, clean = Store(db), Store(full)
    assert killed.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 20 and killed.claims() == []
    assert comparable(killed) == comparable(clean)


def test_ray_backend_gives_the_same_results_as_the_local_one(tmp_path, content):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'kit-arena[ray]'")
    jobs = T.schedule([content["solo"], content["duel"]], [T.load_agent(content["follower"]),
                                                          T.load_agent(content["bang"])], range(1))
    local, remote = Store(tmp_path / "local.sqlite"), Store(tmp_path / "ray.sqlite")
    be = LocalBackend(2)
    try:
        T.play(jobs, local, be)
    finally:
        be.close()
    be = RayBackend(2)
    try:
        assert ray.is_initialized()
        s = T.play(jobs, remote, be)
    finally:
        be.close()
    assert s.played == len(jobs) and s.failures == 0
    assert comparable(local) == comparable(remote)


# -- claims: concurrent tournaments split the work; a dead claimant's matches are taken over -------
def _solo_result(agent, seed):
    from arena.controllers.runner import EpisodeResult

    return EpisodeResult(world="LineFollow-v0", robot="rover", agent=agent, seed=seed, status="OK", reason="",
                         score={"total": 10.0, "tiebreak_s": 5.0, "terms": {}, "finished": True}, steps=1,
                         sim_time=0.01, wall_time=0.01, digest="0" * 32, isolation="rlimit", agent_hash=f"h-{agent}")


def _fake_jobs(n):
    from arena.compete.store import result_match_id

    out = []
    for seed in range(n):
        mid = result_match_id([_solo_result("a", seed)])
        out.append(T.Job(mid, "w.toml", "LineFollow-v0", "", seed, ({"agent": "a"},), record=False))
    return out


def _fake_play(job):
    return T.Outcome(job.match_id, [_solo_result("a", job.seed)])


class StepBackend:
    """Runs each match when submitted; wait() hands results back one at a time, and first lets
    `idle` rounds pass with nothing done (as a long match would), calling `during` each round."""

    workers = 1

    def __init__(self, idle=0, during=None):
        self.idle, self.during, self.done = idle, during, []

    def submit(self, fn, job):
        self.done.append(fn(job))
        return len(self.done) - 1

    def wait(self, handles, timeout=None):
        if self.during:
            self.during()
        if self.idle:
            self.idle -= 1
            return []
        return [(handles[0], self.done[handles[0]])]


def test_a_long_match_keeps_its_claim_renewed(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    seen = []
    s = T.play(_fake_jobs(1), store, StepBackend(idle=3, during=lambda: seen.append(store.claims())),
               fn=_fake_play, lease=1e-9)  # renewed after every round
    assert s.played == 1 and store.claims() == []
    expiries = [c[0]["expires"] for c in seen]
    assert len(expiries) == 4 and expiries == sorted(expiries) and len(set(expiries)) == 4


def test_a_match_another_process_holds_is_left_to_it_and_counted_as_stored_elsewhere(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    jobs = _fake_jobs(3)
    other = Store(tmp_path / "r.sqlite")
    assert other.claim(jobs[1].match_id, "elsewhere.example:1:x", lease=3600) == "claimed"

    def other_finishes():  # the other tournament stores its match while this one plays the rest
        if not other.has_match(jobs[1].match_id):
            other.add(_solo_result("a", 1))

    s = T.play(jobs, store, StepBackend(during=other_finishes), fn=_fake_play, poll=0.01)
    assert (s.played, s.elsewhere, s.skipped) == (2, 1, 0)
    assert sorted(r["seed"] for r in store.results()) == [0, 1, 2]


def test_a_stale_lease_is_taken_over(tmp_path):
    import socket

    from test_store import _dead_pid

    store = Store(tmp_path / "r.sqlite")
    jobs = _fake_jobs(3)
    now = time.time()
    store.claim(jobs[0].match_id, f"{socket.gethostname()}:{_dead_pid()}:dead", lease=3600)  # killed here
    store.claim(jobs[1].match_id, "elsewhere.example:1:x", lease=1.0, now=now)  # another host, lease running out
    s = T.play(jobs, store, StepBackend(), fn=_fake_play, poll=0.05)
    assert s.played == 3 and s.elsewhere == 0 and store.claims() == []
    assert time.time() >= now + 1.0  # the foreign lease was waited out, not ignored


def _played(out: str) -> tuple[int, int, int]:
    import re

    m = re.search(r"(\d+) matches played by this process, (\d+) stored by another process, (\d+) already stored", out)
    assert m, out
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_two_tournaments_on_one_store_play_each_match_exactly_once(tmp_path, content):
    db = tmp_path / "shared.sqlite"
    Store(db).close()
    args = ["tournament", "--world", str(content["solo"].path), "--agent", str(content["follower"]), "--agent",
            str(content["bang"]), "--seeds", "3", "--workers", "1", "--no-replays", "--db", str(db)]
    procs = [subprocess.Popen(arena_cmd(*args), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=1800) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    counts = [_played(out) for out, _ in outs]
    assert sum(c[0] for c in counts) == 6  # every match played once in total, by one of them
    assert all(sum(c) == 6 for c in counts)  # each accounts for every match
    store = Store(db)
    assert store.db.execute("SELECT COUNT(*) FROM matches").fetchone()[0] == 6 and store.claims() == []
    for out, _ in outs:  # not a terminal: a line per finished match, with its id
        assert "[1/" in out and "LineFollow-v0 seed" in out
        for m in store.matches():
            if m["match_id"] in out:
                break
        else:
            raise AssertionError(f"no match id in {out}")
