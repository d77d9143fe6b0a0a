"""The submission queue: enqueue's checks, the worker's admission and matches, leases, restarts."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile

import pytest
from conftest import ROOT, arena_cmd

from arena.compete import jobs, teams
from arena.compete.store import Store
from arena.compete.submissions import SubmissionError

LINE_FOLLOWER = (ROOT / "agents" / "line_follower" / "controller.py").read_bytes()
SYNTAX_ERROR = b"class Controller:\n    def act(self, obs)\n        return {}\n"


def _store(tmp_path) -> Store:
    s = Store(tmp_path / "r.sqlite")
    teams.add_team(s, "alpha")
    return s


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


TRAVERSAL = _zip({"controller.py": LINE_FOLLOWER, "../evil.py": b"x = 1\n"})
BOMB = _zip({"controller.py": LINE_FOLLOWER, "weights.bin": bytes(10 * 1024 * 1024)})


# -- enqueue: the cheap checks, at once ---------------------------------------------------------------
def test_enqueue_checks_name_extension_size_worlds_and_team(tmp_path):
    s = _store(tmp_path)
    cases = [
        (("alpha", "<script>", LINE_FOLLOWER, "c.py", []), r"name '<script>': use 1-40 characters"),
        (("alpha", "ok", LINE_FOLLOWER, "c.exe", []), r"'c.exe': upload a .zip .* not '.exe'"),
        (("alpha", "ok", LINE_FOLLOWER, "Makefile", []), r"not a file without an extension"),
        (("alpha", "ok", b"x" * (jobs.MAX_UPLOAD_BYTES + 1), "c.py", []), r"over the 5 MB upload limit"),
        (("alpha", "ok", b"", "c.py", []), r"the upload is empty"),
        (("alpha", "ok", LINE_FOLLOWER, "c.py", ["atlantis"]), r"no world 'atlantis': .*line-follow \(LineFollow-v0\)"),
        # a path is never opened for a request, not even a bundled world's own file
        (("alpha", "ok", LINE_FOLLOWER, "c.py", [str(ROOT / "worlds" / "line-follow.toml")]), r"no world '/"),
        (("nobody", "ok", LINE_FOLLOWER, "c.py", []), r"no team 'nobody'"),
    ]
    for args, match in cases:
        with pytest.raises(SubmissionError, match=match) as e:
            jobs.enqueue(s, *args)
        assert "\n" not in str(e.value)
    assert jobs.jobs(s) == [] and not any((tmp_path / "uploads").glob("*.*"))


def test_enqueue_saves_the_upload_by_job_id_and_lists_jobs(tmp_path):
    s = _store(tmp_path)
    first = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "../../../evil.py", ["line-follow", "LINEFOLLOW-v0"])
    second = jobs.enqueue(s, "alpha", "zipped", _zip({"controller.py": LINE_FOLLOWER}), "Agent.ZIP", [])
    assert (tmp_path / "uploads" / f"{first}.py").read_bytes() == LINE_FOLLOWER
    assert (tmp_path / "uploads" / f"{second}.zip").is_file()
    assert not (tmp_path.parent / "evil.py").exists() and not list((tmp_path / "uploads" / "tmp").iterdir())
    j = jobs.job(s, first)
    assert {k: j[k] for k in ("id", "team", "name", "worlds", "status", "reason", "match_ids", "progress",
                              "started", "finished", "agent_hash")} == {
        "id": first, "team": "alpha", "name": "lf", "worlds": ["LineFollow-v0"], "status": "queued", "reason": "",
        "match_ids": [], "progress": {"done": 0, "total": 0}, "started": None, "finished": None, "agent_hash": ""}
    assert isinstance(j["created"], float)
    assert [x["id"] for x in jobs.jobs(s)] == [second, first]
    assert [x["id"] for x in jobs.jobs(s, team="alpha", limit=1)] == [second] and jobs.jobs(s, team="beta") == []
    assert jobs.job(s, 999) is None and jobs.job(s, "1; DROP TABLE jobs") is None


def test_check_upload_runs_the_submit_checks_on_the_bytes(tmp_path):
    s = _store(tmp_path)
    jobs.check_upload(LINE_FOLLOWER, "mine.py", s)
    jobs.check_upload(_zip({"agent/controller.py": LINE_FOLLOWER}), "agent.zip", s)
    for data, name, match in [(TRAVERSAL, "t.zip", r"'\.\./evil\.py': absolute or \.\./ paths are not allowed"),
                              (BOMB, "bomb.zip", r"'weights\.bin': compressed \d+:1, refused as a possible zip bomb"),
                              (b"not a zip", "x.zip", r"^'x\.zip': not a readable zip file"),
                              (_zip({"notes.txt": b"hi"}), "x.zip", r"^'x\.zip': no controller\.py"),
                              (b"\xff\xfe\x00", "c.py", r"NUL bytes")]:
        with pytest.raises(SubmissionError, match=match) as e:
            jobs.check_upload(data, name, s)
        assert str(tmp_path) not in str(e.value)  # names the upload, not the server's temp file
        assert "check-" not in str(e.value), e.value  # nor the temp file's own name
    assert not list((tmp_path / "uploads" / "tmp").iterdir())  # temp files removed
    with pytest.raises(SubmissionError, match="zip bomb"):
        jobs.check_upload(BOMB, "bomb.zip")  # without a store: the system's temp folder


def test_job_ids_beyond_sqlite_integers_are_unknown_not_an_error(tmp_path):
    s = _store(tmp_path)
    for jid in (10**30, -(10**30), 2**63, 0, -1, "nan", None):
        assert jobs.job(s, jid) is None


# -- leases ------------------------------------------------------------------------------------------
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_claims_take_over_only_a_gone_or_expired_worker_and_give_up_after_max_attempts(tmp_path):
    s = _store(tmp_path)
    jid = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "c.py", [])
    me = f"{socket.gethostname()}:{os.getpid()}:aaaa"
    assert jobs.claim_next(s, me) == jid and jobs.job(s, jid)["status"] == "running"
    assert jobs.claim_next(s, f"{socket.gethostname()}:{os.getpid()}:bbbb") is None  # alive, lease unexpired
    far = "otherhost:1:cccc"
    assert jobs.claim_next(s, far, now=time.time() + jobs.JOB_LEASE_S + 1) == jid  # expired: taken over
    assert jobs.claim_next(s, me) is None  # otherhost's lease is fresh and it may be alive
    dead = f"{socket.gethostname()}:{_dead_pid()}:dddd"
    s.db.execute("UPDATE jobs SET owner=? WHERE id=?", (dead, jid))
    s.db.commit()
    assert jobs.job(s, jid)["started"] is not None
    assert jobs.row(s, jid)["attempts"] == 2
    assert jobs.claim_next(s, me) == jid  # its worker is gone (same host): taken over at once
    s.db.execute("UPDATE jobs SET owner=? WHERE id=?", (dead, jid))
    s.db.commit()
    assert jobs.claim_next(s, me) is None  # three takes: failed instead of a fourth
    j = jobs.job(s, jid)
    assert j["status"] == "failed" and "stopped 3 times" in j["reason"] and j["finished"] is not None
    assert not jobs.finish(s, jid, dead, "done")  # a worker that lost the job cannot end it


# -- the worker, end to end ----------------------------------------------------------------------------
def test_a_job_end_to_end_reaches_done_with_its_matches_on_the_leaderboard(tmp_path):
    s = _store(tmp_path)
    jid = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "controller.py", ["line-follow"])
    lines = []
    assert jobs.work(tmp_path / "r.sqlite", once=True, seeds=1, log=lines.append) == 1
    j = jobs.job(s, jid)
    assert j["status"] == "done" and j["reason"] == "" and j["finished"] >= j["started"] >= j["created"], (j, lines)
    assert len(j["match_ids"]) == 1 and j["progress"] == {"done": 1, "total": 1} and len(j["agent_hash"]) == 16
    stored = {m["match_id"]: m for m in s.matches()}
    assert set(j["match_ids"]) <= set(stored)
    assert stored[j["match_ids"][0]]["players"][0]["agent"] == "lf"
    assert [(b["agent"], b["runs"]) for b in s.leaderboard("LineFollow-v0")] == [("lf", 1)]
    assert s.leaderboard("LineFollow-v0")[0]["mean"] > 0
    assert [(x["name"], x["owner"], x["status"]) for x in s.submissions()] == [("lf", "alpha", "accepted")]
    assert jobs.work(tmp_path / "r.sqlite", once=True, seeds=1) == 0  # nothing left


def test_rejected_jobs_carry_their_reason(tmp_path):
    s = _store(tmp_path)
    syntax = jobs.enqueue(s, "alpha", "broken", SYNTAX_ERROR, "broken.py", ["line-follow"])
    traversal = jobs.enqueue(s, "alpha", "sneaky", TRAVERSAL, "sneaky.zip", ["line-follow"])
    bomb = jobs.enqueue(s, "alpha", "bomb", BOMB, "bomb.zip", ["line-follow"])
    outside = set(tmp_path.parent.iterdir())
    assert jobs.work(tmp_path / "r.sqlite", once=True, seeds=1) == 3
    reasons = {jid: jobs.job(s, jid) for jid in (syntax, traversal, bomb)}
    assert all(j["status"] == "rejected" and j["match_ids"] == [] for j in reasons.values()), reasons
    assert reasons[syntax]["reason"].startswith("the validation episode on LineFollow-v0 (seed 0) failed: ERROR: ")
    assert "SyntaxError" in reasons[syntax]["reason"]
    assert reasons[traversal]["reason"] == ("'../evil.py': absolute or ../ paths are not allowed (fix: make it "
                                            "relative to the agent folder)")
    assert "refused as a possible zip bomb" in reasons[bomb]["reason"]
    assert not any(str(tmp_path) in j["reason"] for j in reasons.values())
    assert set(tmp_path.parent.iterdir()) == outside and s.leaderboard() == []


def test_a_missing_upload_fails_the_job_with_its_reason(tmp_path):
    s = _store(tmp_path)
    jid = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "c.py", [])
    (tmp_path / "uploads" / f"{jid}.py").unlink()
    jobs.work(tmp_path / "r.sqlite", once=True)
    j = jobs.job(s, jid)
    assert j["status"] == "failed" and "upload 'c.py' is missing" in j["reason"]


def test_work_refuses_bad_arguments(tmp_path):
    from arena.errors import ArenaError

    for kw, match in [({"workers": 0}, "workers=0"), ({"seeds": 0}, "seeds=0"), ({"backend": "gpu"}, "use local or "
                                                                                                      "ray"),
                      ({"poll_s": float("nan")}, "poll_s=nan")]:
        with pytest.raises(ArenaError, match=match):
            jobs.work(tmp_path / "r.sqlite", once=True, **kw)


def test_a_killed_worker_job_is_finished_once_and_no_match_runs_twice(tmp_path):
    """`arena worker` killed (SIGKILL, with its pool and sandboxes) mid-evaluation; the next worker
    takes the job over at once (the dead worker ran on this host), plays only the missing matches
    and ends it done once."""
    db = tmp_path / "r.sqlite"
    s = _store(tmp_path)
    jid = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "controller.py", ["line-follow"])
    p = subprocess.Popen(arena_cmd("worker", "--db", str(db), "--once", "--seeds", "3"), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600  # only catches a hang
        while jobs.job(s, jid)["progress"]["done"] < 1:  # validated: now playing seeds 1 and 2
            assert p.poll() is None, p.stdout.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    first = p.stdout.read().decode()
    j = jobs.job(s, jid)
    assert j["status"] == "running", (j, first)  # killed mid-evaluation
    before = s.match_ids()
    assert len(before) in (1, 2), first
    lines = []
    assert jobs.work(db, once=True, seeds=3, log=lines.append) == 1
    j = jobs.job(s, jid)
    assert j["status"] == "done" and len(j["match_ids"]) == 3 and j["progress"] == {"done": 3, "total": 3}, lines
    assert jobs.row(s, jid)["attempts"] == 2
    played = [line.rsplit("match ", 1)[1] for line in lines if " played, match " in line]
    assert not set(played) & before and set(played) | before == set(j["match_ids"]), (lines, before)
    assert not any("validation episode" in line for line in lines)  # its episode was stored: not played again
    assert s.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 3 == len(s.match_ids())
    assert s.claims() == [] and jobs.work(db, once=True, seeds=3) == 0


def test_a_stop_request_puts_the_job_back_without_using_an_attempt(tmp_path):
    import threading

    s = _store(tmp_path)
    jid = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "controller.py", ["line-follow"])
    stop, lines = threading.Event(), []

    def log(line):  # the server stops its workers: here, just before the validation episode
        lines.append(line)
        if "validation episode" in line:
            stop.set()

    assert jobs.work(tmp_path / "r.sqlite", seeds=1, stop=stop, log=log) == 1
    r = jobs.row(s, jid)
    assert (r["status"], r["owner"], r["attempts"]) == ("queued", "", 0) and s.match_ids() == set(), lines
    assert jobs.work(tmp_path / "r.sqlite", once=True, seeds=1) == 1
    r = jobs.row(s, jid)
    assert (r["status"], r["attempts"], r["done"]) == ("done", 1, 1)


def test_an_arena_failure_is_retried_then_the_job_fails_with_the_reason(tmp_path, monkeypatch):
    from arena.compete import admission

    def broken(*_args, **_kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(admission, "validate", broken)
    s = _store(tmp_path)
    jid = jobs.enqueue(s, "alpha", "lf", LINE_FOLLOWER, "controller.py", ["line-follow"])
    lines = []
    assert jobs.work(tmp_path / "r.sqlite", once=True, seeds=1, log=lines.append) == jobs.MAX_ATTEMPTS
    j = jobs.job(s, jid)
    assert j["status"] == "failed" and j["reason"] == (f"the arena failed evaluating it {jobs.MAX_ATTEMPTS} times "
                                                       "(not your agent): RuntimeError: disk on fire"), lines
    assert sum("back in the queue" in line for line in lines) == jobs.MAX_ATTEMPTS - 1


def test_an_older_store_gets_the_queue_tables_and_a_foreign_jobs_table_is_refused(tmp_path):
    import sqlite3

    from arena.errors import ArenaError

    db = tmp_path / "r.sqlite"
    Store(db).close()
    con = sqlite3.connect(db)
    con.executescript("DROP TABLE jobs; DROP TABLE teams;")  # a store written before the queue existed
    con.close()
    s = Store(db)
    assert teams.add_team(s, "alpha") and jobs.jobs(s) == []
    s.close()
    con = sqlite3.connect(db)
    con.executescript("DROP TABLE jobs; CREATE TABLE jobs (id INTEGER PRIMARY KEY, cmd TEXT);")
    con.close()
    with pytest.raises(ArenaError, match=r"table jobs has no column team, .*\(fix: "):
        Store(db)


def test_worker_flags_refuse_bad_values_in_one_line(capsys):
    from arena.cli import main

    for argv, match in [(["worker", "--seeds", "0"], "--seeds: 0 must be at least 1"),
                        (["worker", "--workers", "1.5"], "--workers: '1.5' is not a whole number"),
                        (["worker", "--backend", "gpu"], "--backend: invalid choice: 'gpu'"),
                        (["worker", "--poll", "0"], "--poll: 0 must be above 0")]:
        with pytest.raises(SystemExit) as e:
            main(argv)
        errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
        assert e.value.code == 2 and len(errors) == 1 and match in errors[0], (argv, errors)


def test_worker_on_a_file_that_is_not_a_store_says_only_that(tmp_path, capsys):
    from arena.cli import main

    bad = tmp_path / "notes.txt"
    bad.write_text("not a database\n")
    assert main(["worker", "--db", str(bad), "--once"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "not a results database" in err and len(err.strip().splitlines()) == 1
    assert bad.read_text() == "not a database\n"
